//! `rollup capture`: the opt-in capture of deleted rentals on the source.
//!
//! A delete leaves no row for a `last_update` cursor to find, so by default every run compares the
//! source's count and sum of rental_ids with the rollup's (one scan of the source's primary key).
//! An owner who allows a trigger on `rental` can install a log of deleted ids instead: runs then
//! read only the ids deleted since their cutoff, at a cost that follows the deletes. The rollup
//! trusts the log only after one run has checked the totals under the same installation, so
//! nothing deleted before it existed is missed, and it falls back to the totals by itself when
//! the capture is dropped, truncated around or pruned past its cutoff.
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tracing::info;

use crate::connection::SourceDatabase;
use crate::errors;
use crate::queries::capture as queries;

/// Install, inspect, prune or remove the capture of deleted rentals on the source.
///
/// Runs on the source as its owner (SOURCE_URL must be a role that may create a schema and a
/// trigger on public.rental, not the read-only role runs use). `install` creates schema
/// rollup_capture: a log table, two statement-level triggers on public.rental (AFTER DELETE
/// logs the ids, AFTER TRUNCATE makes rollups check the totals again), and grants the role runs
/// read the source as (--reader) the right to read it. Runs find it by themselves.
///
/// Example: SOURCE_URL=postgres://postgres@db:5432/pagila rollup capture install --reader rollup_reader
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub source: SourceDatabase,

    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create the log and its triggers, and let --reader read it.
    Install {
        /// The role `rollup run` reads the source as (FDW_SOURCE_URL's user).
        #[arg(long, default_value = "rollup_reader", value_name = "ROLE")]
        reader: String,
    },
    /// Remove the log and its triggers; runs go back to checking the totals.
    Drop,
    /// Forget log rows older than --older-than. A rollup whose cutoff is older checks the totals
    /// instead of trusting the log, so prune well beyond the interval between runs.
    Prune {
        /// PostgreSQL interval, e.g. '30 days'.
        #[arg(long, default_value = "30 days", value_name = "INTERVAL")]
        older_than: String,
    },
    /// Whether the capture is installed, and what its log holds.
    Status,
}

pub async fn run(options: Options) -> Result<()> {
    let source = options.source.target()?;
    let mut client = source.connect().await?;
    match options.action {
        Action::Install { reader } => {
            let transaction = client.transaction().await?;
            if let Err(error) =
                transaction.batch_execute(queries::INSTALL.sql).await.map_err(anyhow::Error::new)
            {
                let hint = match errors::sqlstate(&error) {
                    Some("42P06") => "; it is installed already (rollup capture status)",
                    Some("42501") => "; SOURCE_URL must be the source's owner, not the read-only role",
                    _ => "",
                };
                return Err(
                    error.context(format!("could not install the capture on {}{hint}", source.describe()))
                );
            }
            let grant: String = queries::GRANT_STATEMENT.value(&transaction, &[&reader]).await?;
            transaction
                .batch_execute(&grant)
                .await
                .with_context(|| format!("could not let role {reader} read the capture (--reader)"))?;
            transaction.commit().await.context("could not commit the capture's installation")?;
            info!(source = %source.describe(), reader, "capture installed; the next run checks the totals once, the runs after it read the log");
        }
        Action::Drop => {
            queries::DROP.execute(&client, &[]).await.map_err(|error| {
                let hint =
                    if errors::sqlstate(&error) == Some("3F000") { "; it is not installed" } else { "" };
                error.context(format!("could not drop the capture on {}{hint}", source.describe()))
            })?;
            info!(source = %source.describe(), "capture dropped; runs check the totals again");
        }
        Action::Prune { older_than } => {
            let rows = queries::PRUNE.execute(&client, &[&older_than]).await.with_context(|| {
                format!("could not prune the capture on {} (--older-than '{older_than}')", source.describe())
            })?;
            info!(rows, "capture log pruned");
        }
        Action::Status => match queries::STATUS.query_one(&client, &[]).await {
            Ok(row) => {
                let installed_at: DateTime<Utc> = row.try_get("installed_at")?;
                let pruned_before: Option<DateTime<Utc>> = row.try_get("pruned_before")?;
                let last: Option<DateTime<Utc>> = row.try_get("last_logged")?;
                println!("capture installed on {} at {installed_at}", source.describe());
                println!("generation:     {}", row.try_get::<_, i64>("generation")?);
                println!("deletes logged: {}", row.try_get::<_, i64>("logged")?);
                println!("last logged:    {}", last.map_or("never".to_owned(), |at| at.to_string()));
                if let Some(pruned_before) = pruned_before {
                    println!("pruned before:  {pruned_before}");
                }
            }
            Err(error) if errors::sqlstate(&error) == Some("42P01") => {
                println!(
                    "no capture on {}: runs check the totals (rollup capture install)",
                    source.describe()
                );
            }
            Err(error) => return Err(error),
        },
    }
    Ok(())
}
