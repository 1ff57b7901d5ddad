//! One run at a time: a second `rollup run` waits for the first, or with --no-wait /
//! --lock-timeout exits with code 3 having done nothing; a lost connection is retried; runs
//! started together never interleave.
mod common;

use std::time::Duration;

use chrono_tz::Tz;
use common::{ResumeFile, Scenario, Source, assert_failed, assert_same_weeks};

const PAUSED: &str = "failpoint: pausing";

/// (run_id, status, whether it started after the previous run finished) of every run, oldest
/// first.
async fn run_intervals(scenario: &Scenario) -> Vec<(i64, String, Option<bool>)> {
    scenario
        .rollup()
        .await
        .query(
            "SELECT run_id, status, started_at >= lag(finished_at) OVER (ORDER BY run_id)
               FROM rollup.etl_run ORDER BY run_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

#[tokio::test]
async fn a_second_run_waits_for_the_first_or_with_no_wait_exits_3() {
    let scenario = Scenario::new("second_run", Source::PagilaV3).await;
    scenario.run(&[]);
    scenario
        .source()
        .await
        .batch_execute("UPDATE rental SET return_date = NULL WHERE rental_id BETWEEN 300 AND 340")
        .await
        .unwrap();
    let runs_before = scenario.run_count().await;

    // The first run holds the lock, paused inside its transaction after writing the weekly table.
    let resume = ResumeFile::new("second-run");
    let mut first = scenario.spawn(
        &["run"],
        &[
            ("ROLLUP_FAILPOINT", "17_weekly_rentals_applied:pause"),
            ("ROLLUP_FAILPOINT_RESUME", resume.path()),
        ],
    );
    first.wait_for(PAUSED, Duration::from_secs(60));
    let during = scenario.snapshot().await;

    for (args, env, expected) in [
        (
            &["run", "--no-wait"][..],
            &[][..],
            "and --no-wait / ROLLUP_NO_WAIT says not to wait: nothing was done",
        ),
        (&["run"][..], &[("ROLLUP_NO_WAIT", "true")][..], "ROLLUP_NO_WAIT says not to wait"),
        (
            &["run", "--lock-timeout", "1s"][..],
            &[][..],
            "it did not finish within --lock-timeout / ROLLUP_LOCK_TIMEOUT (1 s)",
        ),
    ] {
        let output = scenario.rollup_command_with_env(args, env);
        let stderr = common::stderr(&output);
        assert_failed(output.status.code(), &stderr, 3, expected, &[]);
        assert!(
            stderr.contains("another `rollup run` holds the run lock of the rollup database"),
            "{stderr}"
        );
        assert!(stderr.contains("SELECT pg_terminate_backend("), "names the holder:\n{stderr}");
    }
    assert_eq!(scenario.run_count().await, runs_before + 1, "runs that did not wait leave no record");
    assert_eq!(scenario.snapshot().await, during, "and change nothing");

    // Without --no-wait the second run waits: it has not started (no record of its own) while
    // the first holds the lock.
    let mut second = scenario.spawn(&["run"], &[]);
    second.wait_for("waiting for it to finish", Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));
    assert!(second.is_running());
    let waiting: i64 = scenario
        .rollup()
        .await
        .query_one(
            "SELECT count(*) FROM pg_locks
              WHERE locktype = 'advisory' AND NOT granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(waiting, 1, "the second run waits on the run lock");
    assert_eq!(scenario.run_count().await, runs_before + 1);

    resume.resume();
    let (first_code, first_log) = first.finish(Duration::from_secs(60));
    assert_eq!(first_code, Some(0), "{first_log}");
    let (second_code, second_log) = second.finish(Duration::from_secs(60));
    assert_eq!(second_code, Some(0), "{second_log}");

    let runs = run_intervals(&scenario).await;
    let [.., (_, first_status, _), (_, second_status, after_first)] = &runs[..] else {
        panic!("{runs:?}");
    };
    assert_eq!((first_status.as_str(), second_status.as_str()), ("succeeded", "succeeded"));
    assert_eq!(*after_first, Some(true), "the second run started after the first finished: {runs:?}");
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "after both");
    scenario.verify_passes();
}

#[tokio::test]
async fn runs_started_together_never_interleave() {
    let scenario = Scenario::new("together", Source::PagilaV3).await;
    scenario.run(&[]);
    let source = scenario.source().await;
    source
        .batch_execute(
            "UPDATE rental SET return_date = return_date + interval '3 days' WHERE rental_id % 97 = 0;
             INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             VALUES ('2022-08-30 10:00+00', 17, 17, NULL, 1)",
        )
        .await
        .unwrap();
    let runs_before = scenario.run_count().await;
    let running: Vec<_> = (0..3).map(|_| scenario.spawn(&["run"], &[])).collect();
    for run in running {
        let (code, log) = run.finish(Duration::from_secs(120));
        assert_eq!(code, Some(0), "{log}");
    }
    let runs = run_intervals(&scenario).await;
    assert_eq!(runs.len() as i64, runs_before + 3);
    for (run_id, status, after_previous) in &runs {
        assert_eq!(status, "succeeded", "{runs:?}");
        if *run_id > 1 {
            assert_eq!(
                *after_previous,
                Some(true),
                "run {run_id} started before the one before it finished: {runs:?}"
            );
        }
    }
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "after all");
    scenario.verify_passes();
}

/// A run whose rollup session is ended by an administrator (pg_terminate_backend: SQLSTATE
/// 57P01, then a closed connection) is recorded failed and started again; the retry completes.
#[tokio::test]
async fn a_terminated_session_is_retried_and_the_retry_completes_the_run() {
    let scenario = Scenario::new("terminated", Source::PagilaV3).await;
    scenario.run(&[]);
    scenario
        .source()
        .await
        .batch_execute("UPDATE rental SET return_date = NULL WHERE rental_id BETWEEN 700 AND 720")
        .await
        .unwrap();
    let resume = ResumeFile::new("terminated");
    let mut running = scenario.spawn(
        &["run", "--retry-delay", "1s"],
        &[("ROLLUP_FAILPOINT", "11_rental_shadow_applied:pause"), ("ROLLUP_FAILPOINT_RESUME", resume.path())],
    );
    running.wait_for(PAUSED, Duration::from_secs(60));
    let rollup = scenario.rollup().await;
    let terminated: i64 = rollup
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                    WHERE datname = current_database() AND application_name = 'pagila-rollup') AS t",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(terminated, 1);
    resume.resume();
    let (code, log) = running.finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("the run lost its connection to a server; starting it again"), "{log}");
    assert!(log.contains("starting the run again attempt=2"), "{log}");
    let runs = run_intervals(&scenario).await;
    let statuses: Vec<&str> = runs.iter().map(|run| run.1.as_str()).collect();
    assert_eq!(statuses, ["succeeded", "failed", "succeeded"]);
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "retried");
    scenario.verify_passes();

    // With no retries left, the same fault ends the run with exit code 4 (another change, so the
    // run has rentals to write and reaches the failpoint).
    scenario
        .source()
        .await
        .batch_execute("UPDATE rental SET return_date = NULL WHERE rental_id BETWEEN 730 AND 740")
        .await
        .unwrap();
    let resume = ResumeFile::new("terminated-no-retry");
    let mut running = scenario.spawn(
        &["run", "--retries", "0"],
        &[("ROLLUP_FAILPOINT", "11_rental_shadow_applied:pause"), ("ROLLUP_FAILPOINT_RESUME", resume.path())],
    );
    running.wait_for(PAUSED, Duration::from_secs(60));
    rollup
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'pagila-rollup'",
        )
        .await
        .unwrap();
    resume.resume();
    let (code, log) = running.finish(Duration::from_secs(60));
    assert_failed(
        code,
        &log,
        4,
        "the run lost its connection to a server 1 time(s) in a row and gave up",
        &[],
    );
    assert_eq!(scenario.last_run().await.status, "failed");
}
