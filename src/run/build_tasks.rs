//! Phase 2 of a full build (src/run/full_build.rs): the tasks, and the connections that take
//! them from one queue, each in a transaction of its own.
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use tokio::sync::Mutex;
use tokio_postgres::Client;
use tracing::info;

use crate::commands::run::Options;
use crate::progress;
use crate::queries::{bookkeeping, build, failpoint, steps};
use crate::run::BUCKET_SIZE;

/// One unit of phase 2's work, run in a transaction of its own on one of the connections.
#[derive(Debug, Clone)]
pub(crate) enum Task {
    /// A key or index of a staging table (a statement written by the server).
    Index(String),
    BucketFingerprints,
    DayFlows,
    Findings,
    /// The per-film flows of the films from..=to.
    FilmFlows(i32, i32),
    /// On a Citus coordinator, the per-film flows of the films from..=to (every film) swept on the
    /// workers: the events copied into the distributed staging table, then one statement that
    /// Citus runs as one task per shard.
    FilmFlowsOnWorkers(i32, i32),
}

impl Task {
    pub(crate) fn name(&self) -> String {
        match self {
            Task::Index(statement) => format!("index: {statement}"),
            Task::BucketFingerprints => String::from("bucket fingerprints"),
            Task::DayFlows => String::from("day flows"),
            Task::Findings => String::from("data-quality findings"),
            Task::FilmFlows(from, to) => format!("film flows of films {from}..={to}"),
            Task::FilmFlowsOnWorkers(from, to) => {
                format!("film flows of films {from}..={to}, on the workers")
            }
        }
    }
}

pub(crate) enum TaskResult {
    Done,
    FirstDay(Option<NaiveDate>),
    FilmWeeks { weeks: i64, stores: i64 },
}

/// One connection of phase 2, and its server process (for the progress of its index builds).
pub(crate) struct Job {
    pub client: Client,
    pub pid: i32,
}

pub(crate) struct Jobs {
    pub connections: Vec<Job>,
    pub monitor: Client,
}

/// Runs the tasks on the connections, each connection taking the next task as it finishes one.
/// The first failure stops the others (their transactions roll back) and is returned.
pub(crate) async fn run_tasks(
    jobs: &Jobs,
    tasks: Vec<Task>,
    options: &Options,
    run_id: i64,
) -> Result<Vec<TaskResult>> {
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

pub(crate) async fn run_task(
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
                steps::FILM_WEEK_FLOW_COMPUTED.run_step(client, &[&options.timezone]).await?;
                let written = steps::FILM_WEEK_FLOW_APPLIED_FULL.run_step_one(client, &[&run_id]).await?;
                TaskResult::FilmWeeks {
                    weeks: written.try_get::<_, i32>("film_weeks_written")? as i64,
                    stores: written.try_get::<_, i32>("film_stores_recomputed")? as i64,
                }
            }
            Task::FilmFlowsOnWorkers(from, to) => {
                // step 18's view, as above; its events copied to the workers, and swept there
                build::FILM_RANGE.execute(client, &[from, to]).await?;
                steps::FILM_WEEK_EVENT_FULL.run_script(client).await?;
                steps::FILM_WEEK_EVENT_CITUS.run_step(client, &[]).await?;
                crate::queries::film_week_flow_applied_citus()
                    .run_step(client, &[&options.timezone, &run_id])
                    .await?;
                let counted = build::FILM_WEEKS_COUNTED.query_one(client, &[]).await?;
                TaskResult::FilmWeeks {
                    weeks: counted.try_get("film_weeks")?,
                    stores: counted.try_get("film_stores")?,
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
pub(crate) fn index_label(statement: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::index_label;

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
