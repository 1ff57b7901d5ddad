//! `rollup run`: migrate, link the source, and build or refresh the rollup tables.
//!
//! A run is one transaction on the rollup database. postgres_fdw then reads the source inside one
//! remote REPEATABLE READ transaction, so every step sees the same source snapshot, and the rollup
//! tables change all at once or not at all. Only the run record (rollup.etl_run) is written outside
//! it: before, so that a run that dies leaves a trace, and after a failure, to say why.
//!
//! Runs are serialised by a session advisory lock on the rollup database; a second run waits.
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use tokio_postgres::Client;
use tracing::{info, instrument, warn};

use crate::connection::{RollupDatabase, SourceDatabase, Target};
use crate::errors;
use crate::migrations;
use crate::pipeline::{REQUIRED_SOURCE_TABLES, SOURCE_TABLES, bookkeeping, steps};

/// Weeks begin on Monday; recorded with the build so a future setting can force a rebuild.
const WEEK_START: &str = "monday";

/// Key of the advisory lock that serialises runs (any constant; "pagila-r" in ASCII).
const RUN_LOCK_KEY: i64 = 0x7061_6769_6c61_2d72;

/// Migrate the rollup database, link it to the source through postgres_fdw, and build or refresh
/// rollup.weekly_rentals. The first run, and every run whose settings differ from the ones the
/// rollup was built with, rebuilds from scratch; later runs write only the weeks whose numbers
/// changed.
///
/// Example: rollup run --through 2026-11-24
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    #[command(flatten)]
    pub source: SourceDatabase,

    /// IANA time zone in which weeks begin at Monday 00:00. Changing it rebuilds everything.
    #[arg(
        long,
        env = "ROLLUP_TIMEZONE",
        default_value = "UTC",
        value_name = "ZONE"
    )]
    pub timezone: String,

    /// Rebuild every rollup table from scratch instead of writing only what changed.
    #[arg(long)]
    pub full: bool,

    /// Extend the week spine to the week containing DATE (YYYY-MM-DD), so rentals never returned
    /// stay visible as outstanding up to then, e.g. today.
    #[arg(long, value_name = "DATE")]
    pub through: Option<NaiveDate>,
}

/// What the run did, as recorded in rollup.etl_run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub run_id: i64,
    pub mode: Mode,
    pub rows_pulled: i64,
    pub rentals_counted: i64,
    pub rentals_quarantined: i64,
    pub weeks_recomputed: i32,
    pub weeks_inserted: i32,
    pub weeks_updated: i32,
    pub weeks_deleted: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Incremental,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
        }
    }
}

pub async fn run(options: Options) -> Result<()> {
    let outcome = execute(&options).await?;
    info!(
        run_id = outcome.run_id,
        mode = outcome.mode.as_str(),
        rows_pulled = outcome.rows_pulled,
        rentals_counted = outcome.rentals_counted,
        rentals_quarantined = outcome.rentals_quarantined,
        weeks_recomputed = outcome.weeks_recomputed,
        weeks_written = outcome.weeks_inserted + outcome.weeks_updated + outcome.weeks_deleted,
        "run succeeded"
    );
    Ok(())
}

#[instrument(name = "run", skip_all)]
pub async fn execute(options: &Options) -> Result<Outcome> {
    let started = Instant::now();
    let rollup = options.rollup.target()?;
    let source = options.source.target()?;
    let fdw_source = options.source.fdw_target()?;

    // Reaching the source directly first turns a wrong SOURCE_URL into a plain connection error
    // instead of a postgres_fdw error relayed by the rollup server.
    drop(source.connect().await?);
    let mut client = rollup.connect().await?;

    acquire_run_lock(&client).await?;
    migrations::apply(&mut client).await?;
    check_time_zone(&client, &options.timezone).await?;
    bookkeeping::ABANDON_STALE_RUNS
        .execute(&client, &[])
        .await?;
    let mode = choose_mode(&client, options).await?;

    let run_id: i64 = bookkeeping::START_RUN
        .query_one(
            &client,
            &[&mode.as_str(), &options.timezone, &options.through],
        )
        .await?
        .get(0);
    info!(run_id, mode = mode.as_str(), time_zone = %options.timezone, "run started");

    match refresh(&mut client, options, &fdw_source, run_id, mode).await {
        Ok(outcome) => {
            release_run_lock(&client).await;
            info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "run committed"
            );
            Ok(outcome)
        }
        Err(error) => {
            record_failure(&client, &rollup, run_id, &error).await;
            release_run_lock(&client).await;
            Err(error)
        }
    }
}

/// The run's transaction: everything the rollup tables get from this run commits together.
async fn refresh(
    client: &mut Client,
    options: &Options,
    fdw_source: &Target,
    run_id: i64,
    mode: Mode,
) -> Result<Outcome> {
    let transaction = client
        .transaction()
        .await
        .context("could not begin the run's transaction")?;

    link_source(&transaction, fdw_source).await?;
    if mode == Mode::Full {
        bookkeeping::CLEAR_FOR_FULL_BUILD
            .run_step(&transaction, &[])
            .await?;
    }
    steps::WEEK_BOUND
        .run_step(&transaction, &[&options.timezone, &options.through])
        .await?;
    steps::RENTAL_WEEK_PAIR.run_step(&transaction, &[]).await?;
    steps::COUNTED_RENTAL_WEEK_PAIR
        .run_step(&transaction, &[])
        .await?;
    steps::WEEKLY_RENTALS_COMPUTED
        .run_step(&transaction, &[&options.through])
        .await?;
    let applied = steps::WEEKLY_RENTALS_APPLIED
        .query_one(&transaction, &[&run_id])
        .await?;
    let counts = bookkeeping::RENTAL_COUNTS
        .query_one(&transaction, &[])
        .await?;

    let outcome = Outcome {
        run_id,
        mode,
        rows_pulled: counts.get("rows_pulled"),
        rentals_counted: counts.get("rentals_counted"),
        rentals_quarantined: counts.get("rentals_quarantined"),
        weeks_recomputed: applied.get("weeks_recomputed"),
        weeks_inserted: applied.get("weeks_inserted"),
        weeks_updated: applied.get("weeks_updated"),
        weeks_deleted: applied.get("weeks_deleted"),
    };
    info!(
        step = "06_weekly_rentals_applied",
        inserted = outcome.weeks_inserted,
        updated = outcome.weeks_updated,
        deleted = outcome.weeks_deleted,
        "step done"
    );
    if outcome.rentals_quarantined > 0 {
        warn!(
            rentals = outcome.rentals_quarantined,
            "rentals left out of every count: returned before rented, or dated outside the plausible range"
        );
    }

    bookkeeping::FINISH_RUN
        .execute(
            &transaction,
            &[
                &run_id,
                &outcome.rows_pulled,
                &outcome.rentals_counted,
                &outcome.rentals_quarantined,
                &outcome.weeks_recomputed,
                &outcome.weeks_inserted,
                &outcome.weeks_updated,
                &outcome.weeks_deleted,
            ],
        )
        .await?;
    if mode == Mode::Full {
        bookkeeping::RECORD_BUILD_SETTINGS
            .execute(&transaction, &[&options.timezone, &WEEK_START, &run_id])
            .await?;
    }
    transaction
        .commit()
        .await
        .context("could not commit the run's transaction")?;
    Ok(outcome)
}

/// Points postgres_fdw at the source and checks that the tables the pipeline reads are there.
#[instrument(skip_all)]
async fn link_source(
    transaction: &tokio_postgres::Transaction<'_>,
    fdw_source: &Target,
) -> Result<()> {
    let tables: Vec<&str> = SOURCE_TABLES.to_vec();
    let row = steps::LINK_SOURCE
        .query_one(
            transaction,
            &[
                &fdw_source.host(),
                &fdw_source.port().to_string(),
                &fdw_source.database(),
                &fdw_source.user(),
                &fdw_source.password(),
                &"public",
                &tables,
            ],
        )
        .await
        .with_context(|| {
            format!(
                "the rollup server could not read the source {} through postgres_fdw (check {})",
                fdw_source.describe(),
                fdw_source.variable
            )
        })?;
    let imported: Vec<String> = row.get(0);
    let missing: Vec<&str> = REQUIRED_SOURCE_TABLES
        .iter()
        .copied()
        .filter(|table| !imported.iter().any(|name| name == table))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the source database {} has no table public.{}; is Pagila loaded there? (check {})",
            fdw_source.describe(),
            missing.join(", public."),
            fdw_source.variable
        );
    }
    info!(
        step = "01_link_source",
        tables = imported.len(),
        "step done"
    );
    Ok(())
}

async fn acquire_run_lock(client: &Client) -> Result<()> {
    let acquired: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&RUN_LOCK_KEY])
        .await
        .context("could not take the run lock")?
        .get(0);
    if !acquired {
        info!("another run is in progress on this rollup database; waiting for it to finish");
        client
            .execute("SELECT pg_advisory_lock($1)", &[&RUN_LOCK_KEY])
            .await
            .context("could not take the run lock")?;
    }
    Ok(())
}

async fn release_run_lock(client: &Client) {
    if let Err(error) = client
        .execute("SELECT pg_advisory_unlock($1)", &[&RUN_LOCK_KEY])
        .await
    {
        warn!("could not release the run lock (it goes with the connection): {error}");
    }
}

async fn check_time_zone(client: &Client, time_zone: &str) -> Result<()> {
    let known: bool = bookkeeping::TIME_ZONE_KNOWN
        .query_one(client, &[&time_zone])
        .await?
        .get(0);
    if !known {
        bail!(
            "unknown time zone '{time_zone}' (--timezone / ROLLUP_TIMEZONE): use an IANA name the rollup server knows, \
             such as UTC or Europe/Berlin (SELECT name FROM pg_timezone_names)"
        );
    }
    Ok(())
}

/// Full when asked, on the first run, and whenever the settings differ from the last full build's.
async fn choose_mode(client: &Client, options: &Options) -> Result<Mode> {
    if options.full {
        info!("full rebuild requested (--full)");
        return Ok(Mode::Full);
    }
    let Some(built) = bookkeeping::BUILD_SETTINGS.query_opt(client, &[]).await? else {
        info!("no previous build: building from scratch");
        return Ok(Mode::Full);
    };
    let (time_zone, week_start): (String, String) =
        (built.get("time_zone"), built.get("week_start"));
    if time_zone != options.timezone || week_start != WEEK_START {
        info!(
            built_with = %format!("{time_zone}, weeks from {week_start}"),
            now = %format!("{}, weeks from {WEEK_START}", options.timezone),
            "settings changed since the last build: rebuilding from scratch"
        );
        return Ok(Mode::Full);
    }
    Ok(Mode::Incremental)
}

/// Marks the run failed after its transaction rolled back. The run's own connection may be the
/// thing that broke, so a fresh one is tried when it is gone.
async fn record_failure(client: &Client, rollup: &Target, run_id: i64, error: &anyhow::Error) {
    let message = errors::render(error);
    let recorded = if client.is_closed() {
        match rollup.connect().await {
            Ok(fresh) => {
                bookkeeping::FAIL_RUN
                    .execute(&fresh, &[&run_id, &message])
                    .await
            }
            Err(connect_error) => Err(connect_error),
        }
    } else {
        bookkeeping::FAIL_RUN
            .execute(client, &[&run_id, &message])
            .await
    };
    if let Err(record_error) = recorded {
        warn!(
            run_id,
            "could not record the failed run (the next run marks it abandoned): {}",
            errors::render(&record_error)
        );
    }
}
