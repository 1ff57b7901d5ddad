//! A full build: every rollup table computed from nothing, at the speed of moving the data.
//!
//! The published tables stay as they are, and readable, until the very end. The build fills
//! tables of the same shape in schema `rollup_build` (queries/build/), in three phases:
//!
//! 1. **Load**, on the run's connection: the staging tables are made and the source's rentals,
//!    copies and films streamed into them with binary COPY (FREEZE), all three from one REPEATABLE
//!    READ snapshot of the source, then committed, so that other connections can read them.
//! 2. **Compute**, on `--jobs` connections side by side: first the keys and indexes of the staging
//!    rental shadow, one per connection; then the tasks, each in a transaction of its own: the
//!    bucket fingerprints, the day flows, the data-quality findings, and the per-film flows in
//!    ranges of films of about equal weight (largest first; a connection that finishes takes the
//!    next task). They run the same counting steps as an incremental run (queries/pipeline/, the
//!    `.full` variants say what they read and where they write). On a Citus coordinator
//!    (docs/citus.md) the per-film flows are one task over every film instead, swept on the
//!    workers: the events copied into a staging table distributed by film, then steps 19 and 20 as
//!    one statement that Citus runs as one task per shard. Last, the key of the staging per-film
//!    flows, and statistics.
//! 3. **Publish**, in one short transaction on the run's connection: the staging rental shadow and
//!    per-film flows are swapped in as the partitions of `rollup.rental_shadow` and
//!    `rollup.film_week_flow` (DETACH / ATTACH PARTITION: catalog changes only), the small tables
//!    replaced, the weekly table recomputed from the new day flows, the films written, and the run
//!    recorded. Readers see the old tables or the new ones, never a mix.
//!
//! A build that dies (killed, a lost connection, a failed step) leaves the published tables as they
//! were; its staging schema is dropped by the next run, whatever its kind.
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::{Client, Transaction};
use tracing::info;

use crate::commands::run::Options;
use crate::connection::Target;
use crate::copy;
use crate::progress::{self, Rows};
use crate::queries::{Query, bookkeeping, build, failpoint, steps};
use crate::run::build_tasks::{Job, Jobs, Task, TaskResult, run_tasks};
use crate::run::link::{link_capture, link_source};
use crate::run::record::{Outcome, finish};
use crate::run::{Mode, transaction_settings};

/// Film ranges per connection: more ranges than connections, so that one connection finishing
/// early takes another instead of waiting for the slowest (film popularity is very uneven).
const RANGES_PER_JOB: i64 = 4;

/// Rentals a film range beyond the first per connection should hold: each range is a task with a
/// fixed cost (its own transaction, temporary tables, plans) of tens of milliseconds, which a
/// small source would pay many times over for nothing (Pagila's 16 thousand rentals get one range
/// per connection, not four).
const RENTALS_PER_RANGE: u64 = 250_000;

/// How many film ranges: one per connection at least, up to [`RANGES_PER_JOB`] per connection as
/// the rentals fill them.
fn film_ranges(jobs: usize, rentals: u64) -> i32 {
    let jobs = (jobs as i64).max(1);
    let by_size = i64::try_from(rentals / RENTALS_PER_RANGE).unwrap_or(i64::MAX);
    i32::try_from(by_size.clamp(jobs, jobs.saturating_mul(RANGES_PER_JOB))).unwrap_or(i32::MAX)
}

/// What the load phase did, for rollup.etl_run and the next run's cursor.
pub struct Loaded {
    pub rentals: u64,
    pub copies: u64,
    /// The rollup server's clock at the start of the load, before the source's snapshot was
    /// taken: the next run's cursor starts here (minus the lookback).
    pub watermark: DateTime<Utc>,
}

/// Phase 1: the staging tables made and filled from one snapshot of the source, committed.
pub async fn load(client: &mut Client, source: &Target, time_zone: &str) -> Result<Loaded> {
    build::STAGING_DROPPED.run_script(client).await?;
    let transaction = client.transaction().await.context("could not begin loading the source")?;
    let watermark: DateTime<Utc> = build::SNAPSHOT_STARTED.value(&transaction, &[]).await?;
    build::STAGING_TABLES.run_script(&transaction).await?;
    let copy_out: String = steps::FULL_RENTAL_SHADOW_OUT.value(&transaction, &[&time_zone]).await?;

    let mut source_client = source.connect().await?;
    let snapshot = source_client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .with_context(|| format!("could not begin reading the source {}", source.describe()))?;
    let estimate = |table: &'static str| {
        let client = snapshot.client();
        async move {
            let row = build::SOURCE_ROWS_ESTIMATED.query_one(client, &[&table]).await?;
            let rows: Option<i64> = row.try_get("rows")?;
            Ok::<_, anyhow::Error>(rows.and_then(|rows| u64::try_from(rows).ok()))
        }
    };
    let progress = Rows::expecting(estimate("public.rental").await?);
    let rentals = streamed(
        &steps::FULL_RENTAL_SHADOW_IN,
        &progress,
        copy::stream_statement(
            snapshot.client(),
            &copy_out,
            steps::FULL_RENTAL_SHADOW_OUT.name,
            &transaction,
            &steps::FULL_RENTAL_SHADOW_IN,
            &progress,
        ),
    )
    .await
    .context("could not copy the source's rentals into the rollup")?;
    let progress = Rows::expecting(estimate("public.inventory").await?);
    let copies = streamed(
        &steps::FULL_INVENTORY_SHADOW_IN,
        &progress,
        copy::stream(
            snapshot.client(),
            &steps::FULL_INVENTORY_SHADOW_OUT,
            &transaction,
            &steps::FULL_INVENTORY_SHADOW_IN,
            &progress,
        ),
    )
    .await
    .context("could not copy the source's inventory into the rollup")?;
    let progress = Rows::expecting(estimate("public.film").await?);
    streamed(
        &steps::FULL_FILM_IN,
        &progress,
        copy::stream(snapshot.client(), &steps::FULL_FILM_OUT, &transaction, &steps::FULL_FILM_IN, &progress),
    )
    .await
    .context("could not copy the source's films into the rollup")?;
    snapshot.commit().await.context("could not end reading the source")?;
    transaction.commit().await.context("could not commit the loaded source")?;
    Ok(Loaded { rentals, copies, watermark })
}

/// Runs one COPY stream, logging it like a pipeline step, with the rows moved so far.
async fn streamed(step: &Query, progress: &Rows, work: impl Future<Output = Result<u64>>) -> Result<u64> {
    let started = Instant::now();
    let rows = progress::watch(step.step_name(), progress::Source::Rows(progress), work).await?;
    info!(step = step.step_name(), rows, elapsed_ms = started.elapsed().as_millis() as u64, "step done");
    failpoint(step.step_name()).await?;
    Ok(rows)
}

/// What phase 2 computed, for rollup.etl_run and the publish phase.
#[derive(Default)]
pub struct Computed {
    pub first_day: Option<NaiveDate>,
    pub film_weeks: i64,
    pub film_stores: i64,
}

/// Phase 2: the staging tables' indexes and every flow and finding, on `jobs` connections.
pub async fn compute(
    rollup: &Target,
    options: &Options,
    jobs: usize,
    run_id: i64,
    loaded: &Loaded,
) -> Result<Computed> {
    let mut connections = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        let client = rollup.connect().await?;
        build::SESSION_SETTINGS.query_one(&client, &[&options.work_mem]).await?;
        let pid: i32 = build::BACKEND_PID.query_one(&client, &[]).await?.try_get("pid")?;
        connections.push(Job { client, pid });
    }
    // Reads the index builds' progress while the jobs' connections are busy building.
    let monitor = rollup.connect().await?;
    let connections = Jobs { connections, monitor };
    let started = Instant::now();
    let first = &connections.connections[0].client;
    let mut indexes = Vec::new();
    for table in ["rental_shadow"] {
        for row in build::STAGING_INDEX_STATEMENTS
            .query(first, &[&format!("rollup.{table}"), &format!("rollup_build.{table}")])
            .await?
        {
            indexes.push(Task::Index(row.try_get("statement")?));
        }
    }
    run_tasks(&connections, indexes, options, run_id).await?;
    info!(
        step = "staging_indexes",
        table = "rental_shadow",
        elapsed_ms = started.elapsed().as_millis() as u64,
        "step done"
    );

    // On a Citus coordinator the per-film sweep runs on the workers, one task per shard, as one
    // statement over every film (one range); Citus spreads it, so it goes first and the
    // whole-shadow tasks take the other connections.
    let on_workers: bool = build::SWEPT_ON_WORKERS.query_one(first, &[]).await?.try_get("on_workers")?;
    let ranges = if on_workers { 1 } else { film_ranges(jobs, loaded.rentals) };
    let mut tasks = Vec::new();
    for row in build::FILM_RANGES.query(first, &[&ranges]).await? {
        let (from, to) = (row.try_get("from_film")?, row.try_get("to_film")?);
        tasks.push(if on_workers { Task::FilmFlowsOnWorkers(from, to) } else { Task::FilmFlows(from, to) });
    }
    let mut queue = Vec::new();
    if on_workers {
        queue.append(&mut tasks);
    }
    // the whole-shadow tasks are each about a range's size; they go in first so that the ranges,
    // largest first, fill the gaps
    queue.extend([Task::Findings, Task::DayFlows, Task::BucketFingerprints]);
    queue.extend(tasks);
    let started = Instant::now();
    let results = run_tasks(&connections, queue, options, run_id).await?;
    info!(step = "staging_computed", jobs, elapsed_ms = started.elapsed().as_millis() as u64, "step done");

    let mut computed = Computed::default();
    for result in results {
        match result {
            TaskResult::FirstDay(day) => computed.first_day = day,
            TaskResult::FilmWeeks { weeks, stores } => {
                computed.film_weeks += weeks;
                computed.film_stores += stores;
            }
            TaskResult::Done => {}
        }
    }

    let started = Instant::now();
    let mut indexes = Vec::new();
    // on Citus the events the workers swept are published too, for the incremental runs to sweep
    let tables: &[&str] =
        if on_workers { &["film_week_flow", "film_week_event"] } else { &["film_week_flow"] };
    for table in tables {
        for row in build::STAGING_INDEX_STATEMENTS
            .query(first, &[&format!("rollup.{table}"), &format!("rollup_build.{table}")])
            .await?
        {
            indexes.push(Task::Index(row.try_get("statement")?));
        }
    }
    run_tasks(&connections, indexes, options, run_id).await?;
    build::STAGING_ANALYZED.run_script(first).await?;
    info!(
        step = "staging_indexes",
        table = "film_week_flow",
        elapsed_ms = started.elapsed().as_millis() as u64,
        "step done"
    );
    // what the history must record when these flows are published, found here rather than in
    // the publishing transaction, which holds the published tables locked
    build::HISTORY_DELTA.run_script(first).await?;
    Ok(computed)
}

/// Phase 3: the staging tables published in the run's transaction (the caller commits it, after
/// recording the run), and the weekly table recomputed from the new day flows.
pub async fn publish(
    transaction: &Transaction<'_>,
    options: &Options,
    run_id: i64,
    loaded: &Loaded,
    computed: &Computed,
    outcome: &mut Outcome,
) -> Result<()> {
    build::PARTITIONS_SWAPPED.run_script(transaction).await?;
    build::TABLES_REPLACED.run_script(transaction).await?;
    crate::run::recompute_weeks(transaction, options, run_id, computed.first_day, outcome).await?;
    steps::PULLED_FILM_FULL.run_script(transaction).await?;
    steps::FILM_APPLIED.run_step_one(transaction, &[]).await?;
    crate::run::record_history(transaction, run_id, true, true).await?;
    outcome.rows_pulled = loaded.rentals as i64;
    outcome.rentals_changed = loaded.rentals as i64;
    outcome.copies_changed = loaded.copies as i32;
    outcome.film_weeks_recomputed = computed.film_weeks as i32;
    outcome.film_weeks_written = computed.film_weeks as i32;
    outcome.film_stores_recomputed = computed.film_stores as i32;
    debug_assert_eq!(outcome.mode, Mode::Full);
    Ok(())
}

/// How many connections phase 2 uses when --jobs is not given: the cores the rollup server has,
/// when it lets this role read them (`/proc/cpuinfo`, through pg_read_file: superusers and
/// pg_read_server_files), else its `max_parallel_workers_per_gather` + 1 (a leader and the
/// workers a server is set to give one query), at most 8.
pub async fn default_jobs(client: &Client) -> Result<usize> {
    let cores: Option<i64> = build::SERVER_CORES.query_one(client, &[]).await?.try_get("cores")?;
    let jobs = match cores {
        Some(cores) if cores > 0 => cores,
        _ => {
            let gather: i64 = build::PARALLEL_WORKERS.query_one(client, &[]).await?.try_get("workers")?;
            gather + 1
        }
    };
    usize::try_from(jobs.clamp(1, 8)).map_err(|error| anyhow!("jobs: {error}"))
}

/// A full build: the staging tables loaded from one snapshot of the source,
/// computed on `--jobs` connections, and published in one short transaction with the run's record.
pub(crate) async fn build(
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
        None => default_jobs(client).await?,
    };
    info!(jobs, "building from scratch");
    let loaded = load(client, source, &options.timezone).await?;
    let computed = compute(rollup, options, jobs, run_id, &loaded).await?;

    let transaction = client.transaction().await.context("could not begin publishing the build")?;
    transaction_settings(&transaction, options).await?;
    bookkeeping::RUN_SETTING.execute(&transaction, &[&options.timezone]).await?;
    let mut outcome = Outcome::new(run_id, Mode::Full, false);
    publish(&transaction, options, run_id, &loaded, &computed, &mut outcome).await?;
    finish(&transaction, options, &mut outcome, true, Some(loaded.watermark)).await?;
    failpoint("commit").await?;
    transaction.commit().await.context("could not commit the run's transaction")?;
    build::STAGING_DROPPED.run_script(client).await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::film_ranges;

    #[test]
    fn a_small_source_gets_a_film_range_per_connection_and_a_large_one_four() {
        assert_eq!(film_ranges(2, 16_044), 2);
        assert_eq!(film_ranges(4, 16_044), 4);
        assert_eq!(film_ranges(2, 1_250_000), 5);
        assert_eq!(film_ranges(2, 10_000_000), 8);
        assert_eq!(film_ranges(1, 0), 1);
    }
}
