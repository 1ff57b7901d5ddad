//! `rollup run --dry-run`: what the next run would do, decided exactly as a run decides it
//! (`run::choose_mode`, `run::reconcile_decision`, the same setting checks), without doing any
//! of it: no migration, no link, no run record, no run lock. Printed on standard output.
//!
//! A run's decisions read the rollup's own tables; on a database the run would first have to
//! migrate, they are made on what is there (nothing: a full build), and said to be so.
use std::fmt::Write as _;

use anyhow::Result;

use crate::commands::run::Options;
use crate::migrations;
use crate::queries::bookkeeping;
use crate::run::full_build;
use crate::run::{Mode, link, mode, settings};

pub async fn print(options: &Options) -> Result<()> {
    let rollup = options.rollup.target()?;
    let source = options.source.target()?;
    let fdw_source = options.fdw_source.target(&options.source)?;
    let source_client = source.connect().await?;
    let mut client = rollup.connect().await?;

    let pending = migrations::pending(&mut client).await?;
    let migrated: bool = bookkeeping::SCHEMA_PRESENT.query_one(&client, &[]).await?.try_get("migrated")?;
    settings::check(&source_client, &client, &source, options, migrated).await?;
    let capture = link::capture_on_source(&source_client, &source).await?;

    let mut out = String::new();
    writeln!(out, "rollup run --dry-run: what a run would do now; nothing was changed")?;
    let line = |out: &mut String, label: &str, text: &str| writeln!(out, "  {label:<18} {text}");
    line(&mut out, "rollup database", &rollup.describe())?;
    line(&mut out, "source", &source.describe())?;
    line(&mut out, "postgres_fdw reads", &fdw_source.describe())?;
    let migrations = if pending.is_empty() {
        String::from("none to apply")
    } else {
        format!("{} to apply first: {}", pending.len(), pending.join(", "))
    };
    line(&mut out, "migrations", &migrations)?;

    let decision = if migrated {
        mode::choose_mode(&client, options).await?
    } else {
        mode::Decision {
            mode: Mode::Full,
            cutoff: None,
            reason: String::from(
                "no previous build (the rollup database is not migrated yet): building from scratch",
            ),
        }
    };
    line(&mut out, "mode", &format!("{}: {}", decision.mode.as_str(), decision.reason))?;
    match decision.mode {
        Mode::Incremental => {
            let cutoff = decision.cutoff.map_or_else(|| String::from("none"), |cutoff| cutoff.to_rfc3339());
            line(&mut out, "cutoff", &format!("rentals with last_update at or after {cutoff}"))?;
            let deletes = if capture {
                "the source's delete capture (rollup_capture), every run"
            } else {
                "the source's totals (count, sum of rental_id), then per-bucket fingerprints where they differ; every run"
            };
            line(&mut out, "deletes found by", deletes)?;
            let (_, why) = mode::reconcile_decision(&client, options).await?;
            line(&mut out, "full fingerprints", &why)?;
        }
        Mode::Full => {
            let jobs = match options.jobs {
                Some(jobs) => format!("{jobs} (--jobs)"),
                None => format!("{} (the rollup server's cores)", full_build::default_jobs(&client).await?),
            };
            line(&mut out, "source snapshot", "every source row copied, from one snapshot")?;
            line(&mut out, "jobs", &jobs)?;
        }
    }
    let through =
        options.through.map_or_else(|| String::from("the last rental's week"), |day| day.to_string());
    line(
        &mut out,
        "settings",
        &format!(
            "time zone {}, weeks from Monday, through {through}, lookback {}, work_mem {}, reconcile every {}{}, service level {}",
            options.timezone,
            options.lookback,
            options.work_mem,
            options.reconcile_every,
            if options.no_reconcile { " (--no-reconcile: never)" } else { "" },
            options.service_level
        ),
    )?;
    print!("{out}");
    Ok(())
}
