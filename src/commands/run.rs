//! `rollup run`: migrate, link the source, and build or refresh the rollup tables.
//!
//! The steps are queries/pipeline/, in order (queries/README.md). An incremental run pulls the
//! rentals changed since the last run, finds what was deleted (the source's totals, or its delete
//! capture; per-bucket fingerprints only where the totals differ), works out which days and
//! (film, store, week)s the changes reach, recomputes exactly those flows and the weekly table
//! from the earliest changed week on, and writes only rows whose values changed. A full build
//! copies the source whole and computes every flow, with the same counting steps: the two differ
//! in what they read (the `.full` and `.incremental` variants of a step), not in how they count.
//!
//! A run is one transaction on the rollup database. postgres_fdw then reads the source inside one
//! remote REPEATABLE READ transaction, so every step sees the same source snapshot (a full build
//! reads the source over a connection of its own, also in one REPEATABLE READ transaction), and
//! the rollup tables change all at once or not at all. Only the run record (rollup.etl_run) is written outside
//! it: before, so that a run that dies leaves a trace, and after a failure, to say why.
//!
//! Runs are serialised by a session advisory lock on the rollup database; a second run waits, or
//! with --no-wait / --lock-timeout exits with code 3. A run that loses its connection to a server
//! is started again (--retries, src/reliability.rs); since it is one transaction, that is safe.
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::{Client, GenericClient};
use tracing::{info, instrument, warn};

use crate::connection::{FdwSource, RollupDatabase, SourceDatabase, Target};
use crate::errors;
use crate::full_build;
use crate::migrations;
use crate::pipeline::{
    REQUIRED_SOURCE_TABLES, SOURCE_TABLES, bookkeeping, build, capture, failpoint, safeguards, steps,
};
use crate::reliability::{self, RunControl};

/// Weeks begin on Monday; recorded with the build so a future setting can force a rebuild.
const WEEK_START: &str = "monday";

/// Version of the definitions this runner computes. Tables built with older definitions lack
/// numbers this version keeps (2: per-film rows and the peak; 3: the flows of migration V9), so
/// they are rebuilt from scratch.
const DEFINITIONS: i32 = 3;

/// Key of the advisory lock that serialises runs (any constant; "pagila-r" in ASCII).
const RUN_LOCK_KEY: i64 = 0x7061_6769_6c61_2d72;

/// Rentals per reconciliation bucket (consecutive rental_ids). A bucket is one aggregated row from
/// the source per run, and a bucket that differs is pulled whole: 1000 keeps both small from
/// Pagila's 16 thousand rentals (17 buckets) to tens of millions (10 thousand buckets per 10M).
pub(crate) const BUCKET_SIZE: i32 = 1000;

/// Build or refresh the rollup tables (the weekly job).
///
/// Migrate the rollup database, link it to the source through postgres_fdw, and build or refresh
/// rollup.weekly_rentals, rollup.film_weekly (per film and store) and rollup.data_issue. The
/// first run, and every run whose time zone differs from the one the rollup was built with, builds
/// from scratch; later runs pull only the rentals changed since the last run, find what was
/// deleted (the source's count and sum of rental_ids, or its delete capture), recompute only the
/// days and weeks those changes reach, and write only rows whose values changed.
///
/// Example: rollup run --through 2026-11-24
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    #[command(flatten)]
    pub source: SourceDatabase,

    #[command(flatten)]
    pub fdw_source: FdwSource,

    /// IANA time zone in which weeks begin at Monday 00:00. Changing it rebuilds everything.
    #[arg(long, env = "ROLLUP_TIMEZONE", default_value = "UTC", value_name = "ZONE")]
    pub timezone: String,

    /// Rebuild every rollup table from scratch instead of writing only what changed.
    #[arg(long)]
    pub full: bool,

    /// Extend the week spine to the week containing DATE (YYYY-MM-DD), so rentals never returned
    /// stay visible as outstanding up to then, e.g. today.
    #[arg(long, value_name = "DATE")]
    pub through: Option<NaiveDate>,

    /// How far before the previous run's start the change cursor reaches back (PostgreSQL interval
    /// syntax). It must exceed the longest transaction writing rentals on the source plus the clock
    /// difference between the servers; reconciliation catches what it misses anyway.
    #[arg(
        long,
        env = "ROLLUP_LOOKBACK",
        default_value = "1 hour",
        value_name = "INTERVAL",
        allow_hyphen_values = true
    )]
    pub lookback: String,

    /// Memory each sort or hash of the run may use on the rollup server before spilling to disk
    /// (PostgreSQL's work_mem, for the run's transaction only). A full build of millions of
    /// rentals sorts them several times; the server default (4MB) makes those sorts spill.
    #[arg(long, env = "ROLLUP_WORK_MEM", default_value = "256MB", value_name = "SIZE")]
    pub work_mem: String,

    /// Never compare full fingerprints with the source. Deletes, inserts and updates made through
    /// the source's normal write path are still found by every run; what this gives up is rows
    /// changed without a new last_update (the trigger bypassed, session_replication_role =
    /// replica) and updates committed later than the lookback reaches: they stay missed until a
    /// --full run. An opt-in for a source too large to read whole even once a day.
    #[arg(long)]
    pub no_reconcile: bool,

    /// Compare full fingerprints with the source (which also sees rows changed without a new
    /// last_update, and updates committed later than the lookback) only when no run has done so
    /// within this interval. It reads every source rental (seconds at millions of rentals);
    /// deletes are found by every run whatever this says. 0 compares every run.
    #[arg(
        long,
        env = "ROLLUP_RECONCILE_EVERY",
        default_value = "1 day",
        value_name = "INTERVAL",
        allow_hyphen_values = true
    )]
    pub reconcile_every: String,

    /// Connections a full build computes on, side by side (the per-film flows in ranges of films,
    /// the day flows, the findings, the indexes). Each may use --work-mem for each of its sorts.
    /// [default: the cores of the rollup server, when this role may read them, else its
    /// max_parallel_workers_per_gather + 1; at most 8]
    #[arg(long, env = "ROLLUP_JOBS", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,

    /// Print what this run would do and change nothing: the mode and why (e.g. "time zone
    /// changed from UTC to Europe/London"), the cutoff, how deletes are found, whether full
    /// fingerprints are compared, the settings in force and the migrations it would apply.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub control: RunControl,
}

/// What the run did, as recorded in rollup.etl_run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub run_id: i64,
    pub mode: Mode,
    pub reconciled: bool,
    pub delete_check: Option<&'static str>,
    pub capture_generation: Option<i64>,
    pub rows_pulled: i64,
    pub buckets_compared: i32,
    pub buckets_repulled: i32,
    pub rentals_changed: i64,
    pub rentals_deleted: i64,
    pub rentals_counted: i64,
    pub rentals_quarantined: i64,
    pub days_touched: i32,
    pub weeks_touched: i32,
    pub weeks_recomputed: i32,
    pub weeks_inserted: i32,
    pub weeks_updated: i32,
    pub weeks_deleted: i32,
    pub copies_changed: i32,
    pub film_stores_recomputed: i32,
    pub film_weeks_recomputed: i32,
    pub film_weeks_written: i32,
}

impl Outcome {
    fn new(run_id: i64, mode: Mode, reconciled: bool) -> Outcome {
        Outcome {
            run_id,
            mode,
            reconciled,
            delete_check: None,
            capture_generation: None,
            rows_pulled: 0,
            buckets_compared: 0,
            buckets_repulled: 0,
            rentals_changed: 0,
            rentals_deleted: 0,
            rentals_counted: 0,
            rentals_quarantined: 0,
            days_touched: 0,
            weeks_touched: 0,
            weeks_recomputed: 0,
            weeks_inserted: 0,
            weeks_updated: 0,
            weeks_deleted: 0,
            copies_changed: 0,
            film_stores_recomputed: 0,
            film_weeks_recomputed: 0,
            film_weeks_written: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Incremental,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
        }
    }
}

pub async fn run(options: Options) -> Result<()> {
    if options.dry_run {
        return crate::dry_run::print(&options).await;
    }
    let outcome = reliability::with_retries(&options.control, |attempt| {
        if attempt > 1 {
            info!(attempt, "starting the run again");
        }
        execute(&options)
    })
    .await
    .map_err(explain_cancellation)?;
    info!(
        run_id = outcome.run_id,
        mode = outcome.mode.as_str(),
        rows_pulled = outcome.rows_pulled,
        buckets_repulled = outcome.buckets_repulled,
        rentals_changed = outcome.rentals_changed,
        rentals_deleted = outcome.rentals_deleted,
        rentals_quarantined = outcome.rentals_quarantined,
        weeks_touched = outcome.weeks_touched,
        weeks_recomputed = outcome.weeks_recomputed,
        weeks_written = outcome.weeks_inserted + outcome.weeks_updated + outcome.weeks_deleted,
        film_weeks_written = outcome.film_weeks_written,
        "run succeeded"
    );
    Ok(())
}

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

    acquire_run_lock(&mut client, &rollup, &options.control).await?;
    migrations::apply(&mut client).await?;
    check_time_zone(&client, &options.timezone).await?;
    check_lookback(&client, &options.lookback).await?;
    check_through(&source_client, &client, &source, options).await?;
    warn_without_statement_timeout(&source_client, &source).await;
    let capture = capture_on_source(&source_client, &source).await?;
    drop(source_client);
    bookkeeping::ABANDON_STALE_RUNS.execute(&client, &[]).await?;
    let Decision { mode, cutoff, reason } = choose_mode(&client, options).await?;
    info!(mode = mode.as_str(), "{reason}");

    let run_id: i64 = bookkeeping::START_RUN
        .query_one(&client, &[&mode.as_str(), &options.timezone, &options.through])
        .await?
        .get(0);
    info!(run_id, mode = mode.as_str(), time_zone = %options.timezone, "run started");

    let plan = Plan { cutoff, capture };
    let built = match mode {
        Mode::Full => {
            build_in_full(&mut client, options, &rollup, &source, &fdw_source, run_id, capture).await
        }
        Mode::Incremental => refresh(&mut client, options, &fdw_source, run_id, plan).await,
    };
    match built {
        Ok(outcome) => {
            release_run_lock(&client).await;
            info!(elapsed_ms = started.elapsed().as_millis() as u64, "run committed");
            Ok(outcome)
        }
        Err(error) => {
            record_failure(&client, &rollup, run_id, &error).await;
            release_run_lock(&client).await;
            Err(error)
        }
    }
}

/// An incremental run's transaction: everything the rollup tables get from this run commits
/// together.
async fn refresh(
    client: &mut Client,
    options: &Options,
    fdw_source: &Target,
    run_id: i64,
    plan: Plan,
) -> Result<Outcome> {
    let Plan { cutoff, capture } = plan;
    let transaction = client.transaction().await.context("could not begin the run's transaction")?;
    let (reconcile, why) = reconcile_decision(&transaction, options).await?;
    info!(reconcile, "full fingerprint comparison: {why}");
    transaction_settings(&transaction, options).await?;
    bookkeeping::RUN_SETTING.execute(&transaction, &[&options.timezone]).await?;
    // a full build that died before it published left its staging tables
    build::STAGING_DROPPED.run_script(&transaction).await?;
    link_source(&transaction, fdw_source, false).await?;
    link_capture(&transaction, capture).await?;
    let mut outcome = Outcome::new(run_id, Mode::Incremental, reconcile);
    let changed = gather_changes(&transaction, options, cutoff, capture, reconcile, &mut outcome).await?;
    if changed {
        recompute(&transaction, options, run_id, &mut outcome).await?;
    }
    steps::PULLED_FILM_INCREMENTAL.run_script(&transaction).await?;
    steps::FILM_APPLIED.run_step_one(&transaction, &[]).await?;
    if changed {
        steps::JUDGED_RENTAL_INCREMENTAL.run_script(&transaction).await?;
        steps::DATA_ISSUE_FOUND.run_script(&transaction).await?;
        steps::DATA_ISSUE_APPLIED_INCREMENTAL.run_step_one(&transaction, &[&run_id]).await?;
    }
    finish(&transaction, options, &mut outcome, None).await?;
    failpoint("commit").await?;
    transaction.commit().await.context("could not commit the run's transaction")?;
    Ok(outcome)
}

/// A full build (src/full_build.rs): the staging tables loaded from one snapshot of the source,
/// computed on `--jobs` connections, and published in one short transaction with the run's record.
async fn build_in_full(
    client: &mut Client,
    options: &Options,
    rollup: &Target,
    source: &Target,
    fdw_source: &Target,
    run_id: i64,
    capture: bool,
) -> Result<Outcome> {
    // Linked first, on its own: a source without Pagila's tables is then explained as such.
    let transaction = client.transaction().await.context("could not begin linking the source")?;
    link_source(&transaction, fdw_source, true).await?;
    link_capture(&transaction, capture).await?;
    transaction.commit().await.context("could not commit the link to the source")?;

    let jobs = match options.jobs {
        Some(jobs) => usize::from(jobs),
        None => full_build::default_jobs(client).await?,
    };
    info!(jobs, "building from scratch");
    let loaded = full_build::load(client, source, &options.timezone).await?;
    let computed = full_build::compute(rollup, options, jobs, run_id, &loaded).await?;

    let transaction = client.transaction().await.context("could not begin publishing the build")?;
    transaction_settings(&transaction, options).await?;
    bookkeeping::RUN_SETTING.execute(&transaction, &[&options.timezone]).await?;
    let mut outcome = Outcome::new(run_id, Mode::Full, false);
    full_build::publish(&transaction, options, run_id, &loaded, &computed, &mut outcome).await?;
    finish(&transaction, options, &mut outcome, Some(loaded.watermark)).await?;
    failpoint("commit").await?;
    transaction.commit().await.context("could not commit the run's transaction")?;
    build::STAGING_DROPPED.run_script(client).await?;
    Ok(outcome)
}

/// The run's settings for its transaction (queries/run/transaction_settings.sql).
async fn transaction_settings(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
) -> Result<()> {
    bookkeeping::TRANSACTION_SETTINGS.query_one(transaction, &[&options.work_mem]).await.with_context(
        || format!("--work-mem / ROLLUP_WORK_MEM '{}' is not a memory size such as 256MB", options.work_mem),
    )?;
    Ok(())
}

/// The end of a run's transaction: what the rollup counts now, the run's record with its counts
/// and watermark (`watermark`, or the transaction's start), and after a full build the settings
/// the tables now mean.
async fn finish(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    outcome: &mut Outcome,
    watermark: Option<DateTime<Utc>>,
) -> Result<()> {
    let counts = bookkeeping::RENTAL_COUNTS.query_one(transaction, &[]).await?;
    outcome.rentals_counted = counts.get("rentals_counted");
    outcome.rentals_quarantined = counts.get("rentals_quarantined");
    if outcome.rentals_quarantined > 0 {
        warn!(
            rentals = outcome.rentals_quarantined,
            "rentals left out of every count: returned before rented, or dated outside the plausible range"
        );
    }
    bookkeeping::FINISH_RUN
        .execute(
            transaction,
            &[
                &outcome.run_id,
                &options.lookback,
                &outcome.reconciled,
                &outcome.rows_pulled,
                &outcome.buckets_compared,
                &outcome.buckets_repulled,
                &outcome.rentals_changed,
                &outcome.rentals_deleted,
                &outcome.rentals_counted,
                &outcome.rentals_quarantined,
                &outcome.weeks_touched,
                &outcome.weeks_recomputed,
                &outcome.weeks_inserted,
                &outcome.weeks_updated,
                &outcome.weeks_deleted,
                &outcome.copies_changed,
                &outcome.film_stores_recomputed,
                &outcome.film_weeks_recomputed,
                &outcome.film_weeks_written,
                &outcome.delete_check,
                &outcome.capture_generation,
                &outcome.days_touched,
                &watermark,
            ],
        )
        .await?;
    if outcome.mode == Mode::Full {
        bookkeeping::RECORD_BUILD_SETTINGS
            .execute(transaction, &[&options.timezone, &WEEK_START, &outcome.run_id, &DEFINITIONS])
            .await?;
    }
    Ok(())
}

/// Steps 2-12 of an incremental run: what changed in the source, the days and (film, store,
/// week)s it reaches, and the shadows brought up to date. Returns false, having touched nothing,
/// when nothing changed (queries/run/nothing_changed.sql): the later steps would write nothing.
async fn gather_changes(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    cutoff: Option<DateTime<Utc>>,
    capture: bool,
    reconcile: bool,
    outcome: &mut Outcome,
) -> Result<bool> {
    let time_zone = &options.timezone;
    bookkeeping::INCREMENTAL_TABLES.run_script(transaction).await?;
    steps::PULLED_RENTAL.run_step(transaction, &[&cutoff]).await?;
    let (delete_check, capture_generation) =
        look_for_deletes(transaction, reconcile, capture, cutoff).await?;
    outcome.delete_check = Some(delete_check);
    outcome.capture_generation = capture_generation;
    bookkeeping::ANALYZE_PULLED.run_step(transaction, &[]).await?;
    steps::RENTAL_CHANGE.run_step(transaction, &[time_zone, &BUCKET_SIZE]).await?;
    steps::INVENTORY_CHANGE.run_step(transaction, &[]).await?;
    let counts = bookkeeping::PULL_COUNTS.query_one(transaction, &[]).await?;
    outcome.rows_pulled = counts.get("rows_pulled");
    outcome.buckets_compared = counts.get("buckets_compared");
    outcome.buckets_repulled = counts.get("buckets_repulled");
    let nothing_changed: bool =
        bookkeeping::NOTHING_CHANGED.query_one(transaction, &[&options.through, time_zone]).await?.get(0);
    if nothing_changed {
        info!("nothing changed since the last run: no day, week or finding to recompute");
        return Ok(false);
    }
    bookkeeping::ANALYZE_CHANGES.run_step(transaction, &[]).await?;
    steps::TOUCHED_DAY.run_step(transaction, &[time_zone]).await?;
    let copies = steps::INVENTORY_SHADOW_APPLIED.run_step_one(transaction, &[]).await?;
    outcome.copies_changed = copies.get::<_, i32>("copies_changed") + copies.get::<_, i32>("copies_deleted");
    steps::TOUCHED_FILM_WEEK.run_step(transaction, &[time_zone]).await?;
    bookkeeping::ANALYZE_TOUCHED.run_step(transaction, &[]).await?;
    let rentals = steps::RENTAL_SHADOW_APPLIED.run_step_one(transaction, &[]).await?;
    outcome.rentals_changed = rentals.get("rentals_changed");
    outcome.rentals_deleted = rentals.get("rentals_deleted");
    steps::RENTAL_BUCKET_APPLIED_INCREMENTAL.run_step(transaction, &[&BUCKET_SIZE]).await?;
    steps::DAY_EVENT_INCREMENTAL.run_script(transaction).await?;
    let touched = bookkeeping::TOUCHED_COUNTS.query_one(transaction, &[]).await?;
    outcome.days_touched = touched.get("days_touched");
    outcome.weeks_touched = touched.get("weeks_touched");
    Ok(true)
}

/// Steps 13-20 of an incremental run: the touched days' flows, the weekly table from the earliest
/// changed day on, and the touched (film, store, week)s' flows.
async fn recompute(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    run_id: i64,
    outcome: &mut Outcome,
) -> Result<()> {
    steps::DAY_FLOW_COMPUTED.run_step(transaction, &[]).await?;
    let days = steps::DAY_FLOW_APPLIED_INCREMENTAL.run_step_one(transaction, &[&run_id]).await?;
    let first_changed_day: Option<NaiveDate> = days.get("first_changed_day");
    recompute_weeks(transaction, options, run_id, first_changed_day, outcome).await?;
    steps::FILM_WEEK_EVENT_INCREMENTAL.run_script(transaction).await?;
    steps::FILM_WEEK_FLOW_COMPUTED.run_step(transaction, &[]).await?;
    bookkeeping::ANALYZE_RECOMPUTED.run_step(transaction, &[]).await?;
    let film_weeks = steps::FILM_WEEK_FLOW_APPLIED_INCREMENTAL.run_step_one(transaction, &[&run_id]).await?;
    outcome.film_weeks_recomputed = film_weeks.get("film_weeks_recomputed");
    outcome.film_stores_recomputed = film_weeks.get("film_stores_recomputed");
    outcome.film_weeks_written = film_weeks.get("film_weeks_written");
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
    outcome.weeks_recomputed = weeks.get("weeks_recomputed");
    outcome.weeks_inserted = weeks.get("weeks_inserted");
    outcome.weeks_updated = weeks.get("weeks_updated");
    outcome.weeks_deleted = weeks.get("weeks_deleted");
    Ok(())
}

/// Steps 3-5 of an incremental run: finds what the source deleted, so step 6 can tell. With the
/// source's capture installed and trusted (the last run checked it under the same installation),
/// the ids it logged since the cutoff. Otherwise the source's totals (count and sum of rental_ids)
/// against the rollup's stored ones, and only when they differ the per-bucket fingerprints, the
/// buckets that differ pulled whole. The full fingerprints, when due (`reconcile`), in either case.
/// Returns how the run looked (rollup.etl_run.delete_check) and the capture installation it read
/// or checked the totals under (the next run trusts the capture only under the same one).
async fn look_for_deletes(
    transaction: &tokio_postgres::Transaction<'_>,
    reconcile: bool,
    capture: bool,
    cutoff: Option<DateTime<Utc>>,
) -> Result<(&'static str, Option<i64>)> {
    let installation =
        if capture { bookkeeping::CAPTURE_TRUSTED.query_opt(transaction, &[&cutoff]).await? } else { None };
    let generation: Option<i64> = installation.as_ref().map(|row| row.get("generation"));
    let trusted = installation.as_ref().is_some_and(|row| row.get::<_, bool>("trusted"));
    let check = if trusted {
        steps::CAPTURED_DELETION.run_step(transaction, &[&cutoff]).await?;
        steps::CAPTURED_RENTAL.run_step(transaction, &[]).await?;
        "capture"
    } else {
        if capture {
            info!(
                "the source's delete capture is new to this rollup (or was pruned past the cutoff): checking the totals once"
            );
        }
        let differ: bool = steps::RENTAL_TOTALS_DIFFER.run_step_one(transaction, &[]).await?.get("differs");
        if differ && !reconcile {
            steps::BUCKET_FINGERPRINT_IDS.run_step(transaction, &[&BUCKET_SIZE]).await?;
        }
        if differ { "buckets" } else { "totals" }
    };
    if reconcile {
        steps::BUCKET_FINGERPRINT_HASHES.run_step(transaction, &[&BUCKET_SIZE]).await?;
    }
    repull_differing_buckets(transaction).await?;
    Ok((if reconcile && check == "totals" { "buckets" } else { check }, generation))
}

/// Whether the source has the delete capture (`rollup capture install`) this role may read, asked
/// directly: a capture the role cannot read is reported, not used.
pub(crate) async fn capture_on_source(source_client: &Client, source: &Target) -> Result<bool> {
    match capture::PRESENT.query_opt(source_client, &[]).await? {
        None => Ok(false),
        Some(row) if row.get::<_, bool>("readable") => Ok(true),
        Some(_) => {
            warn!(
                source = %source.describe(),
                "the source has the delete capture (schema rollup_capture), but this role may not read it: checking \
                 the totals instead; grant it with `rollup capture install --reader ROLE` or GRANT SELECT"
            );
            Ok(false)
        }
    }
}

/// Links the source's delete capture when it is there and not linked yet, unlinks it when it is
/// gone (migrations/V10).
async fn link_capture(transaction: &tokio_postgres::Transaction<'_>, capture: bool) -> Result<()> {
    let linked: bool = bookkeeping::CAPTURE_LINKED.query_one(transaction, &[]).await?.get("linked");
    if linked != capture {
        bookkeeping::LINK_CAPTURE.run_step(transaction, &[&capture]).await?;
    }
    Ok(())
}

/// What an incremental run does, decided before its transaction begins.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// An incremental run's cursor: rows with last_update at or after it are pulled.
    cutoff: Option<DateTime<Utc>>,
    /// Whether the source has a delete capture this run may read.
    capture: bool,
}

/// Step 4, once per bucket whose fingerprints differ: pull it whole.
async fn repull_differing_buckets(transaction: &tokio_postgres::Transaction<'_>) -> Result<()> {
    let mismatched = bookkeeping::MISMATCHED_BUCKETS.query(transaction, &[]).await?;
    if mismatched.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let mut rows = 0;
    for bucket in &mismatched {
        let bucket: i32 = bucket.get(0);
        rows += steps::REPULLED_RENTAL.execute(transaction, &[&BUCKET_SIZE, &bucket]).await?;
    }
    info!(
        step = steps::REPULLED_RENTAL.step_name(),
        buckets = mismatched.len(),
        rows,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "step done"
    );
    failpoint(steps::REPULLED_RENTAL.step_name()).await
}

/// Points postgres_fdw at the source and checks that the tables the pipeline reads are there.
#[instrument(skip_all)]
async fn link_source(
    transaction: &tokio_postgres::Transaction<'_>,
    fdw_source: &Target,
    full: bool,
) -> Result<()> {
    let tables: Vec<&str> = SOURCE_TABLES.to_vec();
    // every libpq parameter of the URL goes to the link (sslmode, sslrootcert, ...), none dropped
    let link = fdw_source.fdw_link();
    let (host, port, database, user) = (&link.host, &link.port, &link.database, &link.user);
    let (password, options) = (&link.password, &link.options);
    let could_not = || {
        format!(
            "the rollup server could not read the source {} through postgres_fdw (check {})",
            fdw_source.describe(),
            fdw_source.variable
        )
    };
    if !full {
        let current: bool = bookkeeping::LINK_CURRENT
            .query_one(transaction, &[host, port, database, user, password, &tables, options])
            .await
            .with_context(could_not)?
            .get(0);
        if current {
            info!(step = "01_link_source", "source link unchanged: kept");
            return Ok(());
        }
    }
    let row = steps::LINK_SOURCE
        .query_one(transaction, &[host, port, database, user, password, &"public", &tables, options])
        .await
        .with_context(could_not)?;
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
    info!(step = "01_link_source", tables = imported.len(), "step done");
    Ok(())
}

/// Takes the run lock: at once when it is free; otherwise waits for the run holding it, as long as
/// it takes, at most --lock-timeout, or (--no-wait) not at all. A run that does not get the lock
/// fails with [`errors::RunLocked`] (exit code 3) and leaves no trace in rollup.etl_run.
async fn acquire_run_lock(client: &mut Client, rollup: &Target, control: &RunControl) -> Result<()> {
    let acquired: bool = bookkeeping::RUN_LOCK_TRY.query_one(client, &[&RUN_LOCK_KEY]).await?.get(0);
    if acquired {
        return Ok(());
    }
    let no_wait = "--no-wait / ROLLUP_NO_WAIT says not to wait";
    let timeout = match control.lock_timeout {
        _ if control.no_wait => return Err(run_locked(client, rollup, no_wait, "without --no-wait").await),
        Some(timeout) if timeout.is_zero() => {
            let why = "--lock-timeout / ROLLUP_LOCK_TIMEOUT 0 says not to wait";
            return Err(run_locked(client, rollup, why, "with a longer --lock-timeout").await);
        }
        None => {
            info!("another run is in progress on this rollup database; waiting for it to finish");
            bookkeeping::RUN_LOCK_WAIT.execute(client, &[&RUN_LOCK_KEY]).await?;
            return Ok(());
        }
        Some(timeout) => timeout,
    };
    info!(
        lock_timeout_s = timeout.as_secs_f64(),
        "another run is in progress on this rollup database; waiting for it to finish, at most --lock-timeout"
    );
    // The session lock outlives the transaction, which only scopes lock_timeout to this wait.
    let transaction = client.transaction().await.context("could not begin waiting for the run lock")?;
    safeguards::RUN_LOCK_TIMEOUT.query_one(&transaction, &[&timeout.as_millis().to_string()]).await?;
    match bookkeeping::RUN_LOCK_WAIT.execute(&transaction, &[&RUN_LOCK_KEY]).await {
        Ok(_) => {
            transaction.commit().await.context("could not take the run lock")?;
            Ok(())
        }
        Err(error) if errors::sqlstate(&error) == Some("55P03") => {
            drop(transaction);
            let why = format!(
                "it did not finish within --lock-timeout / ROLLUP_LOCK_TIMEOUT ({} s)",
                timeout.as_secs_f64()
            );
            Err(run_locked(client, rollup, &why, "with a longer --lock-timeout").await)
        }
        Err(error) => Err(error),
    }
}

/// The error of a run that did not get the run lock, naming the session that holds it: `why` it
/// did not wait (longer), and how to wait (`instead`).
async fn run_locked(client: &Client, rollup: &Target, why: &str, instead: &str) -> anyhow::Error {
    let holder = match safeguards::RUN_LOCK_HOLDER.query_opt(client, &[&RUN_LOCK_KEY]).await {
        Ok(Some(row)) => {
            let pid: i32 = row.get("pid");
            let mut about = format!(" (server process {pid}");
            if let Some(application) = row.get::<_, Option<String>>("application_name") {
                about.push_str(&format!(", {application}"));
            }
            if let Some(client_addr) = row.get::<_, Option<String>>("client_addr") {
                about.push_str(&format!(" from {client_addr}"));
            }
            if let Some(since) = row.get::<_, Option<DateTime<Utc>>>("backend_start") {
                about.push_str(&format!(", connected {}", since.format("%Y-%m-%d %H:%M:%S UTC")));
            }
            about.push(')');
            let stuck = format!(
                "; if it is stuck, end it with SELECT pg_terminate_backend({pid}) on the rollup database"
            );
            (about, stuck)
        }
        // It finished in the meantime, or its session is not visible to this role.
        Ok(None) | Err(_) => (String::new(), String::new()),
    };
    let (about, stuck) = holder;
    anyhow::Error::new(errors::RunLocked {
        message: format!(
            "another `rollup run` holds the run lock of the rollup database {}{about}, and {why}: nothing was done. \
             Run again once it has finished, or {instead} to wait for it{stuck}",
            rollup.describe()
        ),
    })
}

async fn release_run_lock(client: &Client) {
    if client.is_closed() {
        return; // the lock went with the connection
    }
    if let Err(error) = bookkeeping::RUN_LOCK_RELEASE.execute(client, &[&RUN_LOCK_KEY]).await {
        warn!("could not release the run lock (it goes with the connection): {}", errors::render(&error));
    }
}

/// The rollup connection sets no statement timeout, so a cancelled statement (57014) is the
/// source's statement_timeout, relayed by postgres_fdw, or an administrator's pg_cancel_backend.
fn explain_cancellation(error: anyhow::Error) -> anyhow::Error {
    if errors::sqlstate(&error) != Some("57014") {
        return error;
    }
    error.context(
        "a statement of the run was cancelled, most likely by the statement_timeout of the role the rollup reads \
         the source as (README, \"Least privilege\"): the source was too slow, or something on it held a lock the \
         run needed. Nothing changed; run again when the source is less busy, or raise that timeout",
    )
}

/// Refuses a --through before the source's first rental: the week spine starts at the first
/// rental, so such a date extends nothing, and it is most likely a typo in the year. Asked of the
/// source directly; a source without Pagila's tables is left for the link step to explain.
pub(crate) async fn check_through(
    source_client: &Client,
    client: &Client,
    source: &Target,
    options: &Options,
) -> Result<()> {
    let Some(through) = options.through else {
        return Ok(());
    };
    let first: Option<DateTime<Utc>> = match safeguards::FIRST_RENTAL.query_one(source_client, &[]).await {
        Ok(row) => row.get(0),
        Err(error) if errors::sqlstate(&error) == Some("42P01") => return Ok(()),
        Err(error) => {
            return Err(
                error.context(format!("could not read the first rental of the source {}", source.describe()))
            );
        }
    };
    let Some(first) = first else {
        return Ok(());
    };
    let first_day: NaiveDate =
        safeguards::LOCAL_DATE.query_one(client, &[&first, &options.timezone]).await?.get(0);
    if through < first_day {
        bail!(
            "--through {through} is before the first rental in the source ({first_day}, {}): the weeks start with \
             the first rental, so there is nothing to extend to it. Give a later date, such as today, or leave \
             --through out",
            options.timezone
        );
    }
    Ok(())
}

/// A source statement that never ends would hold the run, and with it the run lock, for ever:
/// the role the rollup reads the source as should have a statement_timeout (README, "Least
/// privilege"). Says so when it has none; never fails the run for it.
async fn warn_without_statement_timeout(source_client: &Client, source: &Target) {
    if let Ok(row) = safeguards::SOURCE_STATEMENT_TIMEOUT.query_one(source_client, &[]).await
        && row.get::<_, String>(0) == "0"
    {
        warn!(
            source = %source.describe(),
            "the source role has no statement_timeout: a source query that hangs would hold this run and the \
             run lock until it ends; set one (ALTER ROLE ... SET statement_timeout = '30min', see the README)"
        );
    }
}

pub(crate) async fn check_lookback(client: &Client, lookback: &str) -> Result<()> {
    let valid: bool = bookkeeping::LOOKBACK_VALID
        .query_one(client, &[&lookback])
        .await
        .with_context(|| {
            format!("--lookback / ROLLUP_LOOKBACK '{lookback}' is not a PostgreSQL interval such as '1 hour' or '30 minutes'")
        })?
        .get(0);
    if !valid {
        bail!("--lookback / ROLLUP_LOOKBACK '{lookback}' is negative; give a duration such as '1 hour'");
    }
    Ok(())
}

pub(crate) async fn check_time_zone(client: &Client, time_zone: &str) -> Result<()> {
    // pg_timezone_names reads the whole time zone database (55 ms); the zone the tables were
    // built with was checked then.
    if let Some(built) = bookkeeping::BUILD_SETTINGS.query_opt(client, &[]).await?
        && built.get::<_, String>("time_zone") == time_zone
    {
        return Ok(());
    }
    check_time_zone_known(client, time_zone).await
}

/// Refuses a time zone name the rollup server does not know as an IANA name.
pub(crate) async fn check_time_zone_known(client: &Client, time_zone: &str) -> Result<()> {
    let known: bool =
        bookkeeping::TIME_ZONE_KNOWN.query_one(client, &[&time_zone]).await?.try_get("known")?;
    if !known {
        bail!(
            "unknown time zone '{time_zone}' (--timezone / ROLLUP_TIMEZONE): use an IANA name the rollup server knows, \
             such as UTC or Europe/Berlin (SELECT name FROM pg_timezone_names)"
        );
    }
    Ok(())
}

/// Whether a run builds from scratch or continues from a cutoff, and why, in words for the log
/// and for `--dry-run`.
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub mode: Mode,
    /// An incremental run's cursor: rows with last_update at or after it are pulled.
    pub cutoff: Option<DateTime<Utc>>,
    pub reason: String,
}

/// Full when asked, on the first run, when there is no watermark to continue from, and whenever
/// the settings differ from the last full build's; otherwise incremental from the cutoff.
/// Reads only: `--dry-run` asks it too.
pub(crate) async fn choose_mode(client: &Client, options: &Options) -> Result<Decision> {
    let full = |reason: String| Ok(Decision { mode: Mode::Full, cutoff: None, reason });
    if options.full {
        return full(String::from("full rebuild requested (--full)"));
    }
    let Some(built) = bookkeeping::BUILD_SETTINGS.query_opt(client, &[]).await? else {
        return full(String::from("no previous build: building from scratch"));
    };
    let time_zone: String = built.try_get("time_zone")?;
    let week_start: String = built.try_get("week_start")?;
    let definitions: i32 = built.try_get("definitions")?;
    if definitions < DEFINITIONS {
        return full(format!(
            "the tables were built with definitions version {definitions}, this version computes {DEFINITIONS}: \
             rebuilding from scratch"
        ));
    }
    if time_zone != options.timezone {
        return full(format!(
            "time zone changed from {time_zone} to {}: rebuilding from scratch",
            options.timezone
        ));
    }
    if week_start != WEEK_START {
        return full(format!("weeks started on {week_start}, now on {WEEK_START}: rebuilding from scratch"));
    }
    let cutoff: Option<DateTime<Utc>> =
        bookkeeping::CURSOR.query_opt(client, &[&options.lookback]).await?.and_then(|row| row.get(0));
    match cutoff {
        Some(cutoff) => Ok(Decision {
            mode: Mode::Incremental,
            cutoff: Some(cutoff),
            reason: format!(
                "continuing from the last successful run: pulling rentals changed since {cutoff} (its watermark \
                 minus the lookback, {})",
                options.lookback
            ),
        }),
        None => full(String::from("no earlier run to continue from: building from scratch")),
    }
}

/// Whether this incremental run compares full fingerprints with the source (--reconcile-every,
/// --no-reconcile), and why.
pub(crate) async fn reconcile_decision(
    client: &impl GenericClient,
    options: &Options,
) -> Result<(bool, String)> {
    if options.no_reconcile {
        return Ok((false, String::from("never (--no-reconcile)")));
    }
    let due: bool = bookkeeping::RECONCILE_DUE
        .query_one(client, &[&options.reconcile_every])
        .await
        .with_context(|| {
            format!(
                "--reconcile-every / ROLLUP_RECONCILE_EVERY '{}' is not a PostgreSQL interval such as '1 day'",
                options.reconcile_every
            )
        })?
        .try_get("due")?;
    Ok(if due {
        (true, format!("yes: none within --reconcile-every {}", options.reconcile_every))
    } else {
        (false, format!("no: compared within --reconcile-every {}", options.reconcile_every))
    })
}

/// Marks the run failed after its transaction rolled back. The run's own connection may be the
/// thing that broke, so a fresh one is tried when it is gone.
async fn record_failure(client: &Client, rollup: &Target, run_id: i64, error: &anyhow::Error) {
    let message = errors::render(error);
    let recorded = if client.is_closed() {
        match rollup.connect().await {
            Ok(fresh) => bookkeeping::FAIL_RUN.execute(&fresh, &[&run_id, &message]).await,
            Err(connect_error) => Err(connect_error),
        }
    } else {
        bookkeeping::FAIL_RUN.execute(client, &[&run_id, &message]).await
    };
    if let Err(record_error) = recorded {
        warn!(
            run_id,
            "could not record the failed run (the next run marks it abandoned): {}",
            errors::render(&record_error)
        );
    }
}
