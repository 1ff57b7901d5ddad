//! What goes away under a run: the runner itself (SIGKILL at several steps), the source server
//! stopped in the middle of a run, and the rollup server restarted in the middle of one, the
//! servers on clusters of the test's own (common::cluster) so the shared test cluster is never
//! touched. The run is paused at a named step (ROLLUP_FAILPOINT=<step>:pause), then killed, or
//! the server is stopped or restarted and the run resumed.
//!
//! What must hold: the rollup tables are as before the run, the run is recorded `failed` with its
//! error, a lost connection is retried (--retries, --retry-delay) and logged, the user sees one
//! clear line and exit code 4 when the retries do not get through, and the next run catches up.
mod common;

use std::time::Duration;

use chrono_tz::Tz;
use common::cluster::OwnCluster;
use common::{ResumeFile, Scenario, Source, assert_failed, assert_same_weeks};

const PAUSED: &str = "failpoint: pausing";
const RETRYING: &str = "the run lost its connection to a server; starting it again";

/// A scenario whose source is database `pagila` on `cluster` and whose rollup is on the shared
/// test cluster.
async fn with_source_on(cluster: &OwnCluster, name: &str) -> Scenario {
    cluster.load_pagila("pagila");
    let mut scenario = Scenario::new(name, Source::Empty).await;
    scenario.source_url = cluster.url("pagila");
    scenario
}

#[tokio::test]
async fn the_source_server_stopping_mid_run_changes_nothing_and_the_next_run_catches_up() {
    let cluster = OwnCluster::start("stopped-source");
    let scenario = with_source_on(&cluster, "stopped_source").await;
    scenario.run(&[]);
    scenario
        .source()
        .await
        .batch_execute("UPDATE rental SET return_date = NULL WHERE rental_id BETWEEN 1000 AND 1100")
        .await
        .unwrap();
    let before = scenario.snapshot().await;

    // Paused after the changed rentals were pulled through postgres_fdw, inside the run's
    // transaction; the source is stopped (fast shutdown ends postgres_fdw's session), the run
    // resumed: its next read of the source fails, and each retry finds the server refusing.
    let resume = ResumeFile::new("stopped-source");
    let mut running = scenario.spawn(
        &["run", "--retries", "2", "--retry-delay", "1s"],
        &[("ROLLUP_FAILPOINT", "02_pulled_rental:pause"), ("ROLLUP_FAILPOINT_RESUME", resume.path())],
    );
    running.wait_for(PAUSED, Duration::from_secs(60));
    cluster.stop();
    resume.resume();
    let (code, stderr) = running.finish(Duration::from_secs(60));
    assert_failed(
        code,
        &stderr,
        4,
        "the run lost its connection to a server 3 time(s) in a row and gave up; the rollup is as it was before the run",
        &[&cluster.password],
    );
    assert!(stderr.contains("could not connect to the source database postgres@127.0.0.1:"), "{stderr}");
    assert_eq!(stderr.matches(RETRYING).count(), 2, "two retries, each logged:\n{stderr}");

    assert_eq!(scenario.snapshot().await, before, "the rollup must be as before the run");
    let failed = scenario.last_run().await;
    assert_eq!(failed.status, "failed");
    let error = failed.error.unwrap();
    assert!(error.contains("queries/pipeline/03_rental_totals_differ.sql failed"), "{error}");
    assert!(!error.contains(&cluster.password), "{error}");

    cluster.start_again();
    scenario.run(&[]);
    assert_eq!(scenario.last_run().await.status, "succeeded");
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "caught up");
    scenario.verify_passes();

    // The source comes back while the run waits to retry: the retry gets through.
    scenario
        .source()
        .await
        .batch_execute("UPDATE rental SET return_date = now() WHERE rental_id = 1000")
        .await
        .unwrap();
    let resume = ResumeFile::new("stopped-source-back");
    let mut running = scenario.spawn(
        &["run", "--retries", "1", "--retry-delay", "5s"],
        &[("ROLLUP_FAILPOINT", "02_pulled_rental:pause"), ("ROLLUP_FAILPOINT_RESUME", resume.path())],
    );
    running.wait_for(PAUSED, Duration::from_secs(60));
    cluster.stop();
    resume.resume();
    running.wait_for(RETRYING, Duration::from_secs(60));
    cluster.start_again();
    let (code, stderr) = running.finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("starting the run again attempt=2"), "{stderr}");
    let statuses: Vec<String> = scenario
        .rollup()
        .await
        .query("SELECT status FROM rollup.etl_run ORDER BY run_id DESC LIMIT 2", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(statuses, ["succeeded", "failed"]);
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "retried");
    scenario.verify_passes();
}

#[tokio::test]
async fn a_rollup_server_restarting_mid_run_loses_the_run_and_the_retry_completes_it() {
    let cluster = OwnCluster::start("restarted-rollup");
    cluster.create_database("rollup");
    let mut scenario = Scenario::new("restarted_rollup", Source::PagilaV3).await;
    scenario.rollup_url = cluster.url("rollup");
    scenario.run(&[]);
    scenario
        .source()
        .await
        .batch_execute("UPDATE rental SET return_date = return_date + interval '9 days' WHERE rental_id BETWEEN 200 AND 260")
        .await
        .unwrap();
    let before = scenario.snapshot().await;

    // Paused after both weekly tables were written inside the run's transaction.
    let resume = ResumeFile::new("restarted-rollup");
    let mut running = scenario.spawn(
        &["run", "--retry-delay", "1s"],
        &[
            ("ROLLUP_FAILPOINT", "20_film_week_flow_applied.incremental:pause"),
            ("ROLLUP_FAILPOINT_RESUME", resume.path()),
        ],
    );
    running.wait_for(PAUSED, Duration::from_secs(60));
    cluster.stop();
    cluster.start_again();
    assert_eq!(scenario.snapshot().await, before, "the restart must have rolled the run's writes back");
    resume.resume();
    let (code, stderr) = running.finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "the retry must complete the run:\n{stderr}");
    assert_eq!(stderr.matches(RETRYING).count(), 1, "{stderr}");
    assert!(!stderr.contains(&cluster.password), "{stderr}");

    let rollup = scenario.rollup().await;
    let runs: Vec<(String, Option<String>)> = rollup
        .query("SELECT status, error FROM rollup.etl_run ORDER BY run_id DESC LIMIT 2", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(runs[0], ("succeeded".to_owned(), None));
    assert_eq!(runs[1].0, "failed", "the lost attempt is recorded, through a fresh connection");
    assert!(runs[1].1.as_deref().is_some_and(|error| error.contains("connection closed")), "{runs:?}");
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "retried");
    scenario.verify_passes();
}

/// SIGKILL at several points of a full build and of incremental runs, the last one at the commit
/// itself: each time the rollup is as before the run and its record says `running`; the next run
/// marks it abandoned and catches up.
#[tokio::test]
async fn a_run_killed_at_any_step_leaves_the_previous_state_and_the_next_run_catches_up() {
    let scenario = Scenario::new("killed_steps", Source::PagilaV3).await;

    // the first full build, killed while the rentals stream into the emptied shadow
    let mut running = scenario.spawn(&["run"], &[("ROLLUP_FAILPOINT", "02_full_rental_shadow.in:pause")]);
    running.wait_for(PAUSED, Duration::from_secs(60));
    running.kill();
    assert!(scenario.weeks().await.is_empty(), "the killed full build wrote nothing");
    assert_eq!(scenario.last_run().await.status, "running");
    scenario.run(&[]);
    assert_eq!(scenario.last_run().await.mode, "full");

    let source = scenario.source().await;
    for (round, step) in [
        "02_pulled_rental",
        "11_rental_shadow_applied",
        "20_film_week_flow_applied.incremental",
        "24_data_issue_applied.incremental",
        "commit",
    ]
    .iter()
    .enumerate()
    {
        source
            .execute(
                "UPDATE rental SET return_date = return_date + interval '5 days' WHERE rental_id = $1",
                &[&(2000 + round as i32)],
            )
            .await
            .unwrap();
        let before = scenario.snapshot().await;
        let mut running = scenario.spawn(&["run"], &[("ROLLUP_FAILPOINT", &format!("{step}:pause"))]);
        running.wait_for(PAUSED, Duration::from_secs(60));
        running.kill();
        assert_eq!(scenario.snapshot().await, before, "killed after {step}: nothing may change");
        assert_eq!(scenario.last_run().await.status, "running", "{step}");
    }
    scenario.run(&[]);
    let abandoned: i64 = scenario
        .rollup()
        .await
        .query_one(
            "SELECT count(*) FROM rollup.etl_run WHERE status = 'failed' AND error LIKE 'abandoned:%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(abandoned, 6, "every killed run is marked abandoned");
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "caught up");
    common::assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "caught up, per film",
    );
    scenario.verify_passes();
}
