//! `rollup run`: migrate, link the source, and build or refresh the rollup tables.
//!
//! Every run takes the same path (queries/pipeline/, in order): pull the rentals changed since the
//! last run (a full build pulls all of them into an empty shadow), reconcile per-bucket fingerprints
//! to catch deletes and late commits, work out which rentals moved between weeks, recount exactly
//! the weeks they left and entered, and recompute the running sums from the earliest of those weeks
//! on, writing only rows whose values changed. A full build is this path with nothing remembered.
//!
//! A run is one transaction on the rollup database. postgres_fdw then reads the source inside one
//! remote REPEATABLE READ transaction, so every step sees the same source snapshot, and the rollup
//! tables change all at once or not at all. Only the run record (rollup.etl_run) is written outside
//! it: before, so that a run that dies leaves a trace, and after a failure, to say why.
//!
//! Runs are serialised by a session advisory lock on the rollup database; a second run waits, or
//! with --no-wait / --lock-timeout exits with code 3. A run that loses its connection to a server
//! is started again (--retries, src/reliability.rs); since it is one transaction, that is safe.
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Client;
use tracing::{info, instrument, warn};

use crate::connection::{FdwSource, RollupDatabase, SourceDatabase, Target};
use crate::copy;
use crate::errors;
use crate::migrations;
use crate::pipeline::{REQUIRED_SOURCE_TABLES, SOURCE_TABLES, bookkeeping, failpoint, safeguards, steps};
use crate::reliability::{self, RunControl};

/// Weeks begin on Monday; recorded with the build so a future setting can force a rebuild.
const WEEK_START: &str = "monday";

/// Version of the definitions this runner computes. Tables built with older definitions lack
/// numbers this version keeps (2: per-film rows and the peak), so they are rebuilt from scratch.
const DEFINITIONS: i32 = 2;

/// Key of the advisory lock that serialises runs (any constant; "pagila-r" in ASCII).
const RUN_LOCK_KEY: i64 = 0x7061_6769_6c61_2d72;

/// Rentals per reconciliation bucket (consecutive rental_ids). A bucket is one aggregated row from
/// the source per run, and a bucket that differs is pulled whole: 1000 keeps both small from
/// Pagila's 16 thousand rentals (17 buckets) to tens of millions (10 thousand buckets per 10M).
const BUCKET_SIZE: i32 = 1000;

/// Build or refresh the rollup tables (the weekly job).
///
/// Migrate the rollup database, link it to the source through postgres_fdw, and build or refresh
/// rollup.weekly_rentals, rollup.film_weekly (per film and store) and rollup.data_issue. The first run, and every run whose time zone differs from the one the
/// rollup was built with, builds from scratch; later runs pull only the rentals changed since the
/// last run (plus a fingerprint per 1000 rentals to catch deletes), recompute only the weeks those
/// changes reach, and write only rows whose values changed.
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

    /// Skip the per-bucket fingerprint comparison with the source. Faster on a large source, but
    /// deleted rentals, and rows committed by a transaction older than the lookback, are then
    /// missed until the next reconciled or --full run.
    #[arg(long)]
    pub no_reconcile: bool,

    /// Compare fingerprints with the source (which catches deletes and late commits) only when no
    /// run has done so within this interval. Reconciling reads every source rental's fingerprint
    /// (seconds at millions of rentals); a weekly schedule reconciles every run, one every few
    /// minutes once a day. 0 reconciles every run.
    #[arg(
        long,
        env = "ROLLUP_RECONCILE_EVERY",
        default_value = "1 day",
        value_name = "INTERVAL",
        allow_hyphen_values = true
    )]
    pub reconcile_every: String,

    #[command(flatten)]
    pub control: RunControl,
}

/// What the run did, as recorded in rollup.etl_run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub run_id: i64,
    pub mode: Mode,
    pub reconciled: bool,
    pub rows_pulled: i64,
    pub buckets_compared: i32,
    pub buckets_repulled: i32,
    pub rentals_changed: i64,
    pub rentals_deleted: i64,
    pub rentals_counted: i64,
    pub rentals_quarantined: i64,
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
    drop(source_client);
    bookkeeping::ABANDON_STALE_RUNS.execute(&client, &[]).await?;
    let (mode, cutoff) = choose_mode(&client, options).await?;

    let run_id: i64 = bookkeeping::START_RUN
        .query_one(&client, &[&mode.as_str(), &options.timezone, &options.through])
        .await?
        .get(0);
    info!(run_id, mode = mode.as_str(), time_zone = %options.timezone, "run started");

    match refresh(&mut client, options, &source, &fdw_source, run_id, mode, cutoff).await {
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

/// The run's transaction: everything the rollup tables get from this run commits together.
async fn refresh(
    client: &mut Client,
    options: &Options,
    source: &Target,
    fdw_source: &Target,
    run_id: i64,
    mode: Mode,
    cutoff: Option<DateTime<Utc>>,
) -> Result<Outcome> {
    let transaction = client.transaction().await.context("could not begin the run's transaction")?;
    let reconcile = mode == Mode::Incremental
        && !options.no_reconcile
        && {
            let due: bool = bookkeeping::RECONCILE_DUE
            .query_one(&transaction, &[&options.reconcile_every])
            .await
            .with_context(|| {
                format!(
                    "--reconcile-every / ROLLUP_RECONCILE_EVERY '{}' is not a PostgreSQL interval such as '1 day'",
                    options.reconcile_every
                )
            })?
            .get(0);
            if !due {
                info!(every = %options.reconcile_every, "reconciled recently: not comparing fingerprints this run");
            }
            due
        };
    bookkeeping::TRANSACTION_SETTINGS.query_one(&transaction, &[&options.work_mem]).await.with_context(
        || format!("--work-mem / ROLLUP_WORK_MEM '{}' is not a memory size such as 256MB", options.work_mem),
    )?;

    link_source(&transaction, fdw_source, mode == Mode::Full).await?;
    let full = mode == Mode::Full;
    let mut rows_copied = 0;
    if full {
        bookkeeping::CLEAR_WEEKLY_RENTALS.run_step(&transaction, &[]).await?;
        bookkeeping::CLEAR_FILM_WEEKLY.run_step(&transaction, &[]).await?;
        bookkeeping::CLEAR_FOR_FULL_BUILD.run_step(&transaction, &[]).await?;
        bookkeeping::INDEXES_DROPPED.run_script(&transaction).await?;
        rows_copied = copy_rental_shadow(&transaction, source, &options.timezone).await?;
        restore_indexes(&transaction, "rollup.rental_shadow").await?;
        bookkeeping::ANALYZE_RENTAL_SHADOW.run_step(&transaction, &[]).await?;
    }
    steps::PULLED_RENTAL.run_step(&transaction, &[&cutoff, &!full]).await?;
    steps::BUCKET_FINGERPRINT.run_step(&transaction, &[&BUCKET_SIZE, &reconcile]).await?;
    repull_differing_buckets(&transaction).await?;
    steps::RENTAL_CHANGE.run_step(&transaction, &[&options.timezone, &BUCKET_SIZE]).await?;
    steps::INVENTORY_CHANGE.run_step(&transaction, &[]).await?;
    bookkeeping::ANALYZE_CHANGES.run_step(&transaction, &[]).await?;
    steps::TOUCHED_FILM_STORE.run_step(&transaction, &[]).await?;
    let rentals = steps::RENTAL_SHADOW_APPLIED.run_step_one(&transaction, &[]).await?;
    let copies = steps::INVENTORY_SHADOW_APPLIED.run_step_one(&transaction, &[]).await?;
    if full {
        bookkeeping::ANALYZE_INVENTORY_SHADOW.run_step(&transaction, &[]).await?;
    }
    steps::TOUCHED_WEEK.run_step(&transaction, &[&full]).await?;
    steps::WEEK_SPINE.run_step(&transaction, &[&options.through]).await?;
    steps::WEEKLY_RENTALS_COMPUTED.run_step(&transaction, &[]).await?;
    let applied = steps::WEEKLY_RENTALS_APPLIED.run_step_one(&transaction, &[&run_id]).await?;
    let film_stores = steps::RECOMPUTED_FILM_STORE.run_step(&transaction, &[]).await?;
    bookkeeping::ANALYZE_RANGES.run_step(&transaction, &[]).await?;
    steps::FILM_WEEKLY_COMPUTED.run_step(&transaction, &[&options.timezone]).await?;
    bookkeeping::ANALYZE_RECOMPUTED.run_step(&transaction, &[]).await?;
    let film_applied = steps::FILM_WEEKLY_APPLIED.run_step_one(&transaction, &[&run_id]).await?;
    if full {
        restore_indexes(&transaction, "rollup.film_weekly").await?;
    }
    steps::FILM_APPLIED.run_step_one(&transaction, &[]).await?;
    steps::DATA_ISSUE_APPLIED.run_step_one(&transaction, &[&run_id, &full]).await?;
    let counts = bookkeeping::RENTAL_COUNTS.query_one(&transaction, &[]).await?;

    let written = |row: &tokio_postgres::Row, prefix: &str| -> i32 {
        ["inserted", "updated", "deleted"]
            .iter()
            .map(|kind| row.get::<_, i32>(format!("{prefix}_{kind}").as_str()))
            .sum()
    };
    let outcome = Outcome {
        run_id,
        mode,
        reconciled: reconcile,
        rows_pulled: counts.get::<_, i64>("rows_pulled") + rows_copied as i64,
        buckets_compared: counts.get("buckets_compared"),
        buckets_repulled: counts.get("buckets_repulled"),
        rentals_changed: rentals.get::<_, i64>("rentals_changed") + rows_copied as i64,
        rentals_deleted: rentals.get("rentals_deleted"),
        rentals_counted: counts.get("rentals_counted"),
        rentals_quarantined: counts.get("rentals_quarantined"),
        weeks_touched: counts.get("weeks_touched"),
        weeks_recomputed: applied.get("weeks_recomputed"),
        weeks_inserted: applied.get("weeks_inserted"),
        weeks_updated: applied.get("weeks_updated"),
        weeks_deleted: applied.get("weeks_deleted"),
        copies_changed: copies.get::<_, i32>("copies_changed") + copies.get::<_, i32>("copies_deleted"),
        film_stores_recomputed: film_stores as i32,
        film_weeks_recomputed: film_applied.get("film_weeks_recomputed"),
        film_weeks_written: written(&film_applied, "film_weeks"),
    };
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
            ],
        )
        .await?;
    if mode == Mode::Full {
        bookkeeping::RECORD_BUILD_SETTINGS
            .execute(&transaction, &[&options.timezone, &WEEK_START, &run_id, &DEFINITIONS])
            .await?;
    }
    failpoint("commit").await?;
    transaction.commit().await.context("could not commit the run's transaction")?;
    Ok(outcome)
}

/// Step 2 of a full build: every source rental into the emptied shadow, streamed with COPY from a
/// connection of its own to the source (see queries/pipeline/02_full_rental_shadow.out.sql).
async fn copy_rental_shadow(
    transaction: &tokio_postgres::Transaction<'_>,
    source: &Target,
    time_zone: &str,
) -> Result<u64> {
    let started = Instant::now();
    let copy_out: String = steps::FULL_RENTAL_SHADOW_OUT.query_one(transaction, &[&time_zone]).await?.get(0);
    let client = source.connect().await?;
    let rows = crate::pipeline::with_progress(
        steps::FULL_RENTAL_SHADOW_IN.step_name(),
        copy::stream_statement(
            &client,
            &copy_out,
            steps::FULL_RENTAL_SHADOW_OUT.name,
            transaction,
            &steps::FULL_RENTAL_SHADOW_IN,
        ),
    )
    .await
    .context("could not copy the source's rentals into the rollup")?;
    info!(
        step = steps::FULL_RENTAL_SHADOW_IN.step_name(),
        rows,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "step done"
    );
    failpoint(steps::FULL_RENTAL_SHADOW_IN.step_name()).await?;
    Ok(rows)
}

/// Full build: builds again the keys and indexes of `table` that indexes_dropped.sql dropped.
async fn restore_indexes(transaction: &tokio_postgres::Transaction<'_>, table: &str) -> Result<()> {
    let started = Instant::now();
    for row in bookkeeping::INDEXES_TO_RESTORE.query(transaction, &[&table]).await? {
        let statement: String = row.get(0);
        crate::pipeline::with_progress("indexes_restored", transaction.batch_execute(&statement))
            .await
            .with_context(|| format!("could not rebuild: {statement}"))?;
    }
    info!(step = "indexes_restored", table, elapsed_ms = started.elapsed().as_millis() as u64, "step done");
    Ok(())
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
    let (host, port, password) = (fdw_source.host(), fdw_source.port().to_string(), fdw_source.password());
    let (database, user) = (fdw_source.database(), fdw_source.user());
    if !full {
        let current: bool = bookkeeping::LINK_CURRENT
            .query_one(transaction, &[&host, &port, &database, &user, &password, &tables])
            .await?
            .get(0);
        if current {
            info!(step = "01_link_source", "source link unchanged: kept");
            return Ok(());
        }
    }
    let row = steps::LINK_SOURCE
        .query_one(transaction, &[&host, &port, &database, &user, &password, &"public", &tables])
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
async fn check_through(
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

async fn check_lookback(client: &Client, lookback: &str) -> Result<()> {
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

async fn check_time_zone(client: &Client, time_zone: &str) -> Result<()> {
    // pg_timezone_names reads the whole time zone database (55 ms); the zone the tables were
    // built with was checked then.
    if let Some(built) = bookkeeping::BUILD_SETTINGS.query_opt(client, &[]).await?
        && built.get::<_, String>("time_zone") == time_zone
    {
        return Ok(());
    }
    let known: bool = bookkeeping::TIME_ZONE_KNOWN.query_one(client, &[&time_zone]).await?.get(0);
    if !known {
        bail!(
            "unknown time zone '{time_zone}' (--timezone / ROLLUP_TIMEZONE): use an IANA name the rollup server knows, \
             such as UTC or Europe/Berlin (SELECT name FROM pg_timezone_names)"
        );
    }
    Ok(())
}

/// Full when asked, on the first run, when there is no watermark to continue from, and whenever
/// the settings differ from the last full build's; otherwise incremental from the returned cutoff.
async fn choose_mode(client: &Client, options: &Options) -> Result<(Mode, Option<DateTime<Utc>>)> {
    if options.full {
        info!("full rebuild requested (--full)");
        return Ok((Mode::Full, None));
    }
    let Some(built) = bookkeeping::BUILD_SETTINGS.query_opt(client, &[]).await? else {
        info!("no previous build: building from scratch");
        return Ok((Mode::Full, None));
    };
    let (time_zone, week_start): (String, String) = (built.get("time_zone"), built.get("week_start"));
    let definitions: i32 = built.get("definitions");
    if definitions < DEFINITIONS {
        info!(
            built_with = definitions,
            now = DEFINITIONS,
            "the tables were built with older definitions: rebuilding from scratch"
        );
        return Ok((Mode::Full, None));
    }
    if time_zone != options.timezone || week_start != WEEK_START {
        info!(
            built_with = %format!("{time_zone}, weeks from {week_start}"),
            now = %format!("{}, weeks from {WEEK_START}", options.timezone),
            "settings changed since the last build: rebuilding from scratch"
        );
        return Ok((Mode::Full, None));
    }
    let cutoff: Option<DateTime<Utc>> =
        bookkeeping::CURSOR.query_opt(client, &[&options.lookback]).await?.and_then(|row| row.get(0));
    match cutoff {
        Some(cutoff) => {
            info!(cutoff = %cutoff, lookback = %options.lookback, "pulling rentals changed since the cutoff");
            Ok((Mode::Incremental, Some(cutoff)))
        }
        None => {
            info!("no earlier run to continue from: building from scratch");
            Ok((Mode::Full, None))
        }
    }
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
