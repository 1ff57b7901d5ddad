//! What `rollup run` does (the command's options and entry point are src/commands/run.rs).
//!
//! A run, in order:
//! 1. the run lock ([`lock`]), the migrations, the checks of its settings ([`settings`]);
//! 2. the choice of full build or incremental run, and why ([`mode`]);
//! 3. the run's record started in rollup.etl_run ([`record`]);
//! 4. the steps of [`plan::PLAN`], the one list of them in run order, each marked full,
//!    incremental or both: an incremental run ([`incremental`]) in one transaction; a full build
//!    ([`full_build`]) loaded from one snapshot of the source into staging tables, computed on
//!    `--jobs` connections ([`build_tasks`]) and published in one short transaction;
//! 5. the run's record finished, in the same transaction as its tables ([`record`]).
//!
//! An incremental run and a full build differ in what they read (the `.full` and `.incremental`
//! variants of a step under queries/pipeline/), not in how they count: the counting rule is the
//! rollup's SQL functions (migrations/V9).
//!
//! A run that loses its connection to a server is started again (--retries,
//! src/reliability.rs); since its tables change in one transaction, that is safe. Only the run
//! record is written outside it: before, so a run that dies leaves a trace, and after a failure,
//! to say why.
pub mod build_tasks;
pub mod full_build;
pub mod incremental;
pub mod link;
pub mod lock;
pub mod mode;
pub mod plan;
pub mod record;
pub mod settings;

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use tracing::{info, instrument};

pub use self::mode::Mode;
pub use self::record::Outcome;
use crate::commands::run::Options;
use crate::migrations;
use crate::queries::{bookkeeping, column, steps};

/// Rentals per reconciliation bucket (consecutive rental_ids). A bucket is one aggregated row from
/// the source per run, and a bucket that differs is pulled whole: 1000 keeps both small from
/// Pagila's 16 thousand rentals (17 buckets) to tens of millions (10 thousand buckets per 10M).
pub(crate) const BUCKET_SIZE: i32 = 1000;

#[instrument(name = "run", skip_all)]
pub async fn execute(options: &Options) -> Result<Outcome> {
    let started = Instant::now();
    let rollup = options.rollup.target()?;
    let source = options.source.target()?;
    let fdw_source = options.fdw_source.target(&options.source)?;

    // Reaching the source directly first turns a wrong SOURCE_URL into a plain connection error
    // instead of a postgres_fdw error relayed by the rollup server.
    let source_client = source.connect().await?;
    let mut client = rollup.connect().await?;

    lock::acquire_run_lock(&mut client, &rollup, &options.control).await?;
    migrations::apply(&mut client).await?;
    settings::check(&source_client, &client, &source, options, true).await?;
    settings::warn_without_statement_timeout(&source_client, &source).await;
    let capture = link::capture_on_source(&source_client, &source).await?;
    drop(source_client);
    bookkeeping::ABANDON_STALE_RUNS.execute(&client, &[]).await?;
    let mode::Decision { mode, cutoff, reason } = mode::choose_mode(&client, options).await?;
    info!(mode = mode.as_str(), "{reason}");

    let run_id: i64 =
        bookkeeping::START_RUN.value(&client, &[&mode.as_str(), &options.timezone, &options.through]).await?;
    info!(run_id, mode = mode.as_str(), time_zone = %options.timezone, "run started");

    let plan = incremental::Plan { cutoff, capture };
    let built = match mode {
        Mode::Full => {
            full_build::build(&mut client, options, &rollup, &source, &fdw_source, run_id, capture).await
        }
        Mode::Incremental => incremental::refresh(&mut client, options, &fdw_source, run_id, plan).await,
    };
    match built {
        Ok(outcome) => {
            lock::release_run_lock(&client).await;
            info!(elapsed_ms = started.elapsed().as_millis() as u64, "run committed");
            Ok(outcome)
        }
        Err(error) => {
            record::record_failure(&client, &rollup, run_id, &error).await;
            lock::release_run_lock(&client).await;
            Err(error)
        }
    }
}

/// The run's settings for its transaction (queries/run/transaction_settings.sql).
pub(crate) async fn transaction_settings(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
) -> Result<()> {
    bookkeeping::TRANSACTION_SETTINGS.query_one(transaction, &[&options.work_mem]).await.with_context(
        || format!("--work-mem / ROLLUP_WORK_MEM '{}' is not a memory size such as 256MB", options.work_mem),
    )?;
    Ok(())
}

/// Step 26: rollup.copies_recommendation at `--service-level`. A full build recomputes every
/// stocked pair; so does an incremental run whose basis changed (another service level, or the
/// window of weeks moved: queries/run/recommendation_basis.sql), with the full build's
/// statement, planned for every pair. Otherwise an incremental run recomputes the pairs whose
/// rentals or copies changed (on Citus, read through their films, migration V21: docs/citus.md),
/// and one that changed nothing (`changed` false) none: it skips the step.
pub(crate) async fn recommend_copies(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    changed: bool,
    outcome: &mut Outcome,
) -> Result<()> {
    let run_id = outcome.run_id;
    outcome.service_level = options.service_level;
    let basis = bookkeeping::RECOMMENDATION_BASIS.query_one(transaction, &[&options.service_level]).await?;
    let window_weeks: Vec<NaiveDate> = column(&basis, "window_weeks")?;
    let basis_changed: bool = column(&basis, "basis_changed")?;
    let recommended = if outcome.mode == Mode::Full || basis_changed {
        steps::COPIES_RECOMMENDATION_APPLIED_FULL
            .run_step_one(transaction, &[&run_id, &options.service_level, &window_weeks])
            .await?
    } else if changed {
        // on Citus (V17's events kept by film mark it), the method is handed the touched films
        // (migration V21): its read of the flows there sees no per-pair filter
        let on_workers: bool = bookkeeping::EVENTS_ON_WORKERS.value(transaction, &[]).await?;
        let statement = if on_workers {
            crate::queries::copies_recommendation_applied_incremental_citus()
        } else {
            steps::COPIES_RECOMMENDATION_APPLIED_INCREMENTAL
        };
        statement.run_step_one(transaction, &[&run_id, &options.service_level]).await?
    } else {
        return Ok(());
    };
    outcome.pairs_recommended = column(&recommended, "pairs_recommended")?;
    outcome.recommendations_written = column(&recommended, "pairs_written")?;
    Ok(())
}

/// Steps 15-17: the weekly table, recomputed from the day flows from the week of
/// `first_changed_day` on (and wherever the spine grew or shrank).
pub(crate) async fn recompute_weeks(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    run_id: i64,
    first_changed_day: Option<NaiveDate>,
    outcome: &mut Outcome,
) -> Result<()> {
    steps::WEEK_SPINE.run_step(transaction, &[&options.through, &options.timezone]).await?;
    steps::WEEKLY_RENTALS_COMPUTED.run_step(transaction, &[&first_changed_day]).await?;
    let weeks = steps::WEEKLY_RENTALS_APPLIED.run_step_one(transaction, &[&run_id]).await?;
    outcome.weeks_recomputed = column(&weeks, "weeks_recomputed")?;
    outcome.weeks_inserted = column(&weeks, "weeks_inserted")?;
    outcome.weeks_updated = column(&weeks, "weeks_updated")?;
    outcome.weeks_deleted = column(&weeks, "weeks_deleted")?;
    Ok(())
}

/// Step 25: the versions this run published, kept in the histories of migration V13 (the flows
/// and copy counts where the run changed them, or compared whole in a full build; the films and
/// weeks compared whole, being small), in the run's transaction. `changed` is false for an
/// incremental run that found nothing changed: its flows and copies are as they were.
pub(crate) async fn record_history(
    transaction: &tokio_postgres::Transaction<'_>,
    run_id: i64,
    full: bool,
    changed: bool,
) -> Result<()> {
    let mut history = Vec::new();
    if full {
        history.extend([steps::FILM_WEEK_FLOW_HISTORY_FULL, steps::COPIES_HISTORY_FULL]);
    } else if changed {
        history.extend([steps::FILM_WEEK_FLOW_HISTORY_INCREMENTAL, steps::COPIES_HISTORY_INCREMENTAL]);
    }
    history.extend([steps::FILM_HISTORY, steps::WEEKLY_RENTALS_HISTORY]);
    for step in history {
        let versions = step.run_step_one(transaction, &[&run_id]).await?;
        let closed: i32 = column(&versions, "versions_closed")?;
        let opened: i32 = column(&versions, "versions_opened")?;
        tracing::debug!(step = step.step_name(), closed, opened, "history versions");
    }
    Ok(())
}
