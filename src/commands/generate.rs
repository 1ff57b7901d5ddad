//! `rollup generate`: a synthetic rental history at any scale, for benchmarks and for the models
//! trained on the rollup, and a week of churn on top of it.
//!
//! All of it is SQL on the source server (queries/generate/, in order): rows are drawn with
//! `generate_series` and a seeded hash, so the same seed, size and end date give the same
//! database whatever the plan, and nothing passes through this process except Pagila's small
//! tables (films, categories, customer names), streamed with COPY. The database is built in one
//! transaction; if anything fails it is dropped again, so a half-generated source never stays.
use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, Utc};
use tokio_postgres::Client;
use tracing::{info, instrument};

use crate::connection::{SourceDatabase, Target};
use crate::copy;
use crate::errors;
use crate::queries::column;
use crate::queries::generate as queries;
use crate::table;

/// Generate a synthetic rental history at any scale, or a week of churn on it.
///
/// Write a synthetic but realistic rental history into a new database on the source server
/// (never into Pagila itself), or apply a week of churn to one made before. Pagila's films and
/// categories are copied; stores, copies and customers are scaled to the number of rentals;
/// popularity is skewed and seasonal per category; no copy is rented while it is out, unless
/// --dirty. The same --seed, --rentals, --weeks, --end and --dirty give the same data. Point
/// SOURCE_URL at the new database to roll it up.
///
/// Examples: rollup generate --rentals 1000000
///           rollup generate --rentals 1000000 --dirty --into pagila_dirty
///           rollup generate --churn 0.5
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    /// The server to generate on, and the Pagila database its films are copied from.
    #[command(flatten)]
    pub source: SourceDatabase,

    /// The database to create (or to churn) on the source server.
    #[arg(long, default_value = "pagila_synthetic", value_name = "NAME")]
    pub into: String,

    /// How many rentals to generate.
    #[arg(long, value_name = "N", required_unless_present = "churn", conflicts_with = "churn",
          value_parser = clap::value_parser!(i64).range(1..=2_000_000_000))]
    pub rentals: Option<i64>,

    /// Seed of every random choice.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: i64,

    /// Length of the history in weeks, ending at --end.
    #[arg(long, default_value_t = 520, value_name = "W", value_parser = clap::value_parser!(i32).range(4..=900))]
    pub weeks: i32,

    /// First day after the history (YYYY-MM-DD); rentals still out then have no return date.
    /// [default: today, UTC]
    #[arg(long, value_name = "DATE")]
    pub end: Option<NaiveDate>,

    /// Drop the database first if it exists (only one made by `rollup generate`).
    #[arg(long, conflicts_with = "churn")]
    pub replace: bool,

    /// Make the history dirty: 2% of the rentals are returned after their copy was rented again,
    /// and 0.5% are never returned (so many are open for years) while their copy goes on being
    /// rented. A churn of a dirty database also returns some of the rentals open for over a year.
    #[arg(long, conflicts_with = "churn")]
    pub dirty: bool,

    /// Instead of generating, apply a week of activity changing PERCENT of the rentals (new
    /// rentals, returns, a few corrected return dates and deletes) to a generated database; on a
    /// --dirty one, a tenth of the changes return rentals open for over a year.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub churn: Option<f64>,
}

pub async fn run(options: Options) -> Result<()> {
    let pagila = options.source.target()?;
    if options.into == pagila.database() {
        bail!(
            "--into {} is the source database itself; rollup generate writes into a database of its own",
            options.into
        );
    }
    match options.churn {
        Some(percent) => churn(&pagila.with_database("generated", &options.into), percent).await,
        None => generate(&options, &pagila).await,
    }
}

#[instrument(skip_all)]
async fn generate(options: &Options, pagila: &Target) -> Result<()> {
    let rentals = options.rentals.context("--rentals is required")?;
    let end = options.end.unwrap_or_else(|| Utc::now().date_naive());
    let stores = (rentals as f64 / 1_000_000.0).round().max(2.0) as i32;
    let customers = (rentals / 100).max(599) as i32;
    let target = pagila.with_database("generated", &options.into);

    let server = pagila.connect().await?;
    let exists: bool = queries::DATABASE_EXISTS.value(&server, &[&options.into]).await?;
    if exists {
        if !options.replace {
            bail!(
                "database {} already exists; pass --replace to generate it again, or --churn to change it",
                target.describe()
            );
        }
        if !is_generated(&target).await? {
            bail!("database {} was not made by rollup generate; not replacing it", target.describe());
        }
        run_statement(&server, &queries::DROP_DATABASE, &options.into).await?;
    }
    run_statement(&server, &queries::CREATE_DATABASE, &options.into).await?;
    info!(
        database = %target.describe(), rentals, seed = options.seed, weeks = options.weeks, %end,
        dirty = options.dirty, "generating"
    );

    let filled = fill(&server, &target, rentals, options, end, stores, customers).await;
    if let Err(error) = filled {
        if let Err(drop_error) = run_statement(&server, &queries::DROP_DATABASE, &options.into).await {
            tracing::warn!("could not drop the half-made database: {}", errors::render(&drop_error));
        }
        return Err(error);
    }
    let generated = target.connect().await?;
    print_measures(&queries::SUMMARY.query(&generated, &[]).await?)?;
    println!("generated into {}: point SOURCE_URL at it to roll it up", target.describe());
    Ok(())
}

/// Everything after CREATE DATABASE, in one transaction of the new database.
async fn fill(
    pagila: &Client,
    target: &Target,
    rentals: i64,
    options: &Options,
    end: NaiveDate,
    stores: i32,
    customers: i32,
) -> Result<()> {
    let mut generated = target.connect().await?;
    let transaction = generated.transaction().await.context("could not begin the generator's transaction")?;
    queries::SCHEMA.run_script(&transaction).await?;
    queries::SETTINGS
        .execute(
            &transaction,
            &[&rentals, &options.seed, &options.weeks, &end, &stores, &customers, &options.dirty],
        )
        .await?;
    for (copy_out, copy_in) in &queries::FROM_PAGILA {
        let rows = copy::stream(pagila, copy_out, &transaction, copy_in, &Default::default())
            .await
            .context("could not copy Pagila's films from the source database: is Pagila loaded there? (check SOURCE_URL)")?;
        info!(step = copy_in.step_name(), rows, "step done");
    }
    for step in
        [&queries::STORE_CUSTOMER, &queries::DEMAND, &queries::INVENTORY, &queries::RENTAL, &queries::INDEXES]
    {
        step.run_script(&transaction).await?;
    }
    transaction.commit().await.context("could not commit the generated database")
}

#[instrument(skip_all)]
async fn churn(target: &Target, percent: f64) -> Result<()> {
    if !is_generated(target).await? {
        bail!("database {} was not made by rollup generate; --churn only changes those", target.describe());
    }
    let mut client = target.connect().await?;
    let transaction = client.transaction().await.context("could not begin the churn's transaction")?;
    let started = queries::CHURN_STARTED.query_one(&transaction, &[&percent]).await?;
    let week: NaiveDate = column(&started, "week_beginning")?;
    queries::CHURN_APPLIED.run_script(&transaction).await?;
    transaction.commit().await.context("could not commit the churn")?;
    print_measures(&queries::CHURN_SUMMARY.query(&client, &[]).await?)?;
    info!(%week, percent, "churn applied");
    Ok(())
}

async fn is_generated(target: &Target) -> Result<bool> {
    let client = target.connect().await?;
    queries::GENERATED.value(&client, &[]).await
}

/// Runs the statement that `query` builds (quoted by the server) for a database name.
async fn run_statement(server: &Client, query: &crate::queries::Query, database: &str) -> Result<()> {
    let statement: String = query.value(server, &[&database]).await?;
    server.batch_execute(&statement).await.with_context(|| format!("{statement} failed"))
}

fn print_measures(rows: &[tokio_postgres::Row]) -> Result<()> {
    let rows = rows
        .iter()
        .map(|row| Ok(vec![column(row, "measure")?, column(row, "value")?]))
        .collect::<Result<Vec<Vec<String>>>>()?;
    print!("{}", table::render(&["measure", "value"], &rows));
    Ok(())
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(percent) if percent > 0.0 && percent <= 100.0 => Ok(percent),
        _ => Err(format!("'{text}' is not a percentage in (0, 100]")),
    }
}
