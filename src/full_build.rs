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
//!    `.full` variants say what they read and where they write). Last, the key of the staging
//!    per-film flows, and statistics.
//! 3. **Publish**, in one short transaction on the run's connection: the staging rental shadow and
//!    per-film flows are swapped in as the partitions of `rollup.rental_shadow` and
//!    `rollup.film_week_flow` (DETACH / ATTACH PARTITION: catalog changes only), the small tables
//!    replaced, the weekly table recomputed from the new day flows, the films written, and the run
//!    recorded. Readers see the old tables or the new ones, never a mix.
//!
//! A build that dies (killed, a lost connection, a failed step) leaves the published tables as they
//! were; its staging schema is dropped by the next run, whatever its kind.
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::Mutex;
use tokio_postgres::{Client, Transaction};
use tracing::info;

use crate::commands::run::{BUCKET_SIZE, Mode, Options, Outcome};
use crate::connection::Target;
use crate::copy;
use crate::pipeline::{Query, bookkeeping, build, failpoint, steps};
use crate::progress::{self, Rows};

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
    let watermark: DateTime<Utc> = transaction.query_one("SELECT now()", &[]).await?.get(0);
    build::STAGING_TABLES.run_script(&transaction).await?;
    let copy_out: String = steps::FULL_RENTAL_SHADOW_OUT.query_one(&transaction, &[&time_zone]).await?.get(0);

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

/// One unit of phase 2's work, run in a transaction of its own on one of the connections.
#[derive(Debug, Clone)]
enum Task {
    /// A key or index of a staging table (a statement written by the server).
    Index(String),
    BucketFingerprints,
    DayFlows,
    Findings,
    /// The per-film flows of the films from..=to.
    FilmFlows(i32, i32),
}

impl Task {
    fn name(&self) -> String {
        match self {
            Task::Index(statement) => format!("index: {statement}"),
            Task::BucketFingerprints => String::from("bucket fingerprints"),
            Task::DayFlows => String::from("day flows"),
            Task::Findings => String::from("data-quality findings"),
            Task::FilmFlows(from, to) => format!("film flows of films {from}..={to}"),
        }
    }
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

    let ranges = film_ranges(jobs, loaded.rentals);
    let mut tasks = Vec::new();
    for row in build::FILM_RANGES.query(first, &[&ranges]).await? {
        tasks.push(Task::FilmFlows(row.try_get("from_film")?, row.try_get("to_film")?));
    }
    // the whole-shadow tasks are each about a range's size; they go in first so that the ranges,
    // largest first, fill the gaps
    let mut queue = vec![Task::Findings, Task::DayFlows, Task::BucketFingerprints];
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
    for row in build::STAGING_INDEX_STATEMENTS
        .query(first, &[&"rollup.film_week_flow", &"rollup_build.film_week_flow"])
        .await?
    {
        indexes.push(Task::Index(row.try_get("statement")?));
    }
    run_tasks(&connections, indexes, options, run_id).await?;
    build::STAGING_ANALYZED.run_script(first).await?;
    info!(
        step = "staging_indexes",
        table = "film_week_flow",
        elapsed_ms = started.elapsed().as_millis() as u64,
        "step done"
    );
    Ok(computed)
}

enum TaskResult {
    Done,
    FirstDay(Option<NaiveDate>),
    FilmWeeks { weeks: i64, stores: i64 },
}

/// One connection of phase 2, and its server process (for the progress of its index builds).
struct Job {
    client: Client,
    pid: i32,
}

struct Jobs {
    connections: Vec<Job>,
    monitor: Client,
}

/// Runs the tasks on the connections, each connection taking the next task as it finishes one.
/// The first failure stops the others (their transactions roll back) and is returned.
async fn run_tasks(jobs: &Jobs, tasks: Vec<Task>, options: &Options, run_id: i64) -> Result<Vec<TaskResult>> {
    let queue = Arc::new(Mutex::new(tasks.into_iter().collect::<VecDeque<Task>>()));
    let workers = jobs.connections.iter().map(|job| {
        let queue = Arc::clone(&queue);
        async move {
            let mut results = Vec::new();
            loop {
                let Some(task) = queue.lock().await.pop_front() else {
                    return Ok::<_, anyhow::Error>(results);
                };
                let started = Instant::now();
                let result = run_task(job, &jobs.monitor, &task, options, run_id)
                    .await
                    .with_context(|| format!("the full build's task \"{}\" failed", task.name()))?;
                info!(task = %task.name(), elapsed_ms = started.elapsed().as_millis() as u64, "task done");
                results.push(result);
            }
        }
    });
    let mut all = Vec::new();
    for results in futures_util::future::try_join_all(workers).await? {
        all.extend(results);
    }
    Ok(all)
}

async fn run_task(
    job: &Job,
    monitor: &Client,
    task: &Task,
    options: &Options,
    run_id: i64,
) -> Result<TaskResult> {
    let client = &job.client;
    if let Task::Index(statement) = task {
        let building = progress::Source::IndexBuild { monitor, pid: job.pid };
        progress::watch(&index_label(statement), building, client.batch_execute(statement))
            .await
            .with_context(|| format!("could not build: {statement}"))?;
        return Ok(TaskResult::Done);
    }
    client.batch_execute("BEGIN").await?;
    let result = async {
        bookkeeping::RUN_SETTING.execute(client, &[&options.timezone]).await?;
        let result = match task {
            Task::Index(_) => unreachable!("indexes are built outside a transaction"),
            Task::BucketFingerprints => {
                steps::RENTAL_BUCKET_APPLIED_FULL.run_step(client, &[&BUCKET_SIZE]).await?;
                TaskResult::Done
            }
            Task::DayFlows => {
                steps::DAY_EVENT_FULL.run_script(client).await?;
                steps::DAY_FLOW_COMPUTED.run_step(client, &[]).await?;
                let days = steps::DAY_FLOW_APPLIED_FULL.run_step_one(client, &[&run_id]).await?;
                TaskResult::FirstDay(days.try_get("first_changed_day")?)
            }
            Task::Findings => {
                steps::JUDGED_RENTAL_FULL.run_script(client).await?;
                steps::DATA_ISSUE_FOUND.run_script(client).await?;
                steps::DATA_ISSUE_APPLIED_FULL.run_step_one(client, &[&run_id]).await?;
                TaskResult::Done
            }
            Task::FilmFlows(from, to) => {
                build::FILM_RANGE.execute(client, &[from, to]).await?;
                steps::FILM_WEEK_EVENT_FULL.run_script(client).await?;
                steps::FILM_WEEK_FLOW_COMPUTED.run_step(client, &[]).await?;
                let written = steps::FILM_WEEK_FLOW_APPLIED_FULL.run_step_one(client, &[&run_id]).await?;
                TaskResult::FilmWeeks {
                    weeks: written.try_get::<_, i32>("film_weeks_written")? as i64,
                    stores: written.try_get::<_, i32>("film_stores_recomputed")? as i64,
                }
            }
        };
        failpoint("full_build_task").await?;
        Ok::<_, anyhow::Error>(result)
    }
    .await;
    match result {
        Ok(result) => {
            client.batch_execute("COMMIT").await.context("could not commit the task")?;
            Ok(result)
        }
        Err(error) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(error)
        }
    }
}

/// A short name for a key or index statement of queries/build/staging_index_statements.sql, for
/// its progress: `key of rollup_build.rental_shadow` or `index on rollup_build.rental_shadow
/// (inventory_id, rental_date)` (the staging indexes have no names of their own).
fn index_label(statement: &str) -> String {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let after = |keyword: &str| {
        words.windows(2).find(|pair| pair[0].eq_ignore_ascii_case(keyword)).map_or("", |pair| pair[1])
    };
    if words.first().is_some_and(|word| word.eq_ignore_ascii_case("ALTER")) {
        return format!("key of {}", after("TABLE"));
    }
    let columns = statement.find('(').map_or("", |open| &statement[open..]);
    format!("index on {} {columns}", after("ON"))
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
    crate::commands::run::recompute_weeks(transaction, options, run_id, computed.first_day, outcome).await?;
    steps::PULLED_FILM_FULL.run_script(transaction).await?;
    steps::FILM_APPLIED.run_step_one(transaction, &[]).await?;
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

#[cfg(test)]
mod tests {
    use super::{film_ranges, index_label};

    #[test]
    fn a_small_source_gets_a_film_range_per_connection_and_a_large_one_four() {
        assert_eq!(film_ranges(2, 16_044), 2);
        assert_eq!(film_ranges(4, 16_044), 4);
        assert_eq!(film_ranges(2, 1_250_000), 5);
        assert_eq!(film_ranges(2, 10_000_000), 8);
        assert_eq!(film_ranges(1, 0), 1);
    }

    #[test]
    fn index_builds_are_named_by_their_table_and_columns() {
        assert_eq!(
            index_label("ALTER TABLE rollup_build.rental_shadow ADD PRIMARY KEY (rental_id)"),
            "key of rollup_build.rental_shadow"
        );
        assert_eq!(
            index_label(
                "CREATE INDEX ON rollup_build.rental_shadow USING btree (inventory_id, rental_date) INCLUDE (x)"
            ),
            "index on rollup_build.rental_shadow (inventory_id, rental_date) INCLUDE (x)"
        );
    }
}
