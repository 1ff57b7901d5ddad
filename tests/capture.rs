//! The opt-in delete capture (`rollup capture`): runs read the deleted ids it logs instead of
//! counting the source's rentals, trust it only under the installation a run has checked, and go
//! back to the totals when it is dropped, truncated around or pruned past their cutoff. Every
//! table stays equal to the brute-force oracle throughout.
mod common;

use chrono_tz::Tz;
use common::{Scenario, Source, assert_clear_failure, assert_same_film_weeks, assert_same_weeks};

async fn assert_equals_oracle(scenario: &Scenario, context: &str) {
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, context);
    assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        context,
    );
}

/// Deletes a rental (and its payments) on the source.
async fn delete_rental(scenario: &Scenario, rental_id: i32, replica: bool) {
    let source = scenario.source().await;
    if replica {
        // as a replication or bulk tool would: ordinary triggers do not fire, the capture's do
        source.batch_execute("SET session_replication_role = replica").await.unwrap();
    }
    source.execute("DELETE FROM payment WHERE rental_id = $1", &[&rental_id]).await.unwrap();
    source.execute("DELETE FROM rental WHERE rental_id = $1", &[&rental_id]).await.unwrap();
}

#[tokio::test]
async fn deletes_are_read_from_the_capture_once_a_run_has_checked_it() {
    let scenario = Scenario::new("capture_log", Source::PagilaV3).await;
    scenario.run(&[]);
    let installed = scenario.capture(&["install", "--reader", "postgres"]);
    assert!(common::stderr(&installed).contains("capture installed"), "{}", common::stderr(&installed));
    let status = common::stdout(&scenario.capture(&["status"]));
    assert!(status.contains("deletes logged: 0"), "{status}");

    // the first run under the new capture checks the totals and remembers the installation
    delete_rental(&scenario, 3, false).await;
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(run.delete_check.as_deref(), Some("buckets"), "{run:?}");
    let generation = run.capture_generation.expect("the installation is recorded");
    assert_equals_oracle(&scenario, "first run under the capture").await;

    // the runs after it read the log: a delete made with ordinary triggers off is logged too
    delete_rental(&scenario, 4, true).await;
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!((run.delete_check.as_deref(), run.rentals_deleted), (Some("capture"), Some(1)), "{run:?}");
    assert_eq!(run.capture_generation, Some(generation));
    assert_eq!(run.buckets_compared, Some(0), "no bucket compared: {run:?}");
    assert_equals_oracle(&scenario, "deleted in replication mode").await;
    let status = common::stdout(&scenario.capture(&["status"]));
    assert!(status.contains("deletes logged: 2"), "{status}");

    // the log is read on the source through its index on the stamp, not fetched whole
    let mut rollup = scenario.rollup().await;
    let transaction = rollup.transaction().await.unwrap();
    transaction.batch_execute(include_str!("../queries/run/incremental_tables.sql")).await.unwrap();
    let plan: Vec<String> = transaction
        .query(
            &format!(
                "EXPLAIN (VERBOSE, COSTS OFF) {}",
                include_str!("../queries/pipeline/03_captured_deletion.sql")
            ),
            &[&Some(chrono::Utc::now())],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let remote_sql =
        plan.iter().find_map(|line| line.trim().strip_prefix("Remote SQL: ")).unwrap_or_default();
    assert!(
        remote_sql.contains("FROM rollup_capture.deleted_rental WHERE ((deleted_at >= "),
        "{}",
        plan.join("\n")
    );
    drop(transaction);

    // a no-op reads the log and finds nothing
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!((run.delete_check.as_deref(), run.rows_pulled), (Some("capture"), Some(0)), "{run:?}");

    // pruned past the cutoff: the log may miss something, so the next run checks the totals
    scenario.capture(&["prune", "--older-than", "0"]);
    scenario.run(&[]);
    assert_eq!(scenario.last_run().await.delete_check.as_deref(), Some("totals"));

    // dropped: the runs go back to the totals and unlink the capture's foreign tables
    scenario.capture(&["drop"]);
    delete_rental(&scenario, 5, false).await;
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!((run.delete_check.as_deref(), run.capture_generation), (Some("buckets"), None), "{run:?}");
    let linked: bool = scenario
        .rollup()
        .await
        .query_one("SELECT to_regclass('source_capture.deleted_rental') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!linked, "the capture's foreign tables are gone with it");
    assert_equals_oracle(&scenario, "after the capture was dropped").await;
    scenario.verify_passes();
}

/// A TRUNCATE fires no delete trigger: it starts a new generation of the log, and the next run,
/// not trusting it, finds every rental gone by the totals.
#[tokio::test]
async fn a_truncate_makes_the_next_run_check_the_totals() {
    let scenario = Scenario::new("capture_truncate", Source::PagilaV3).await;
    scenario.capture(&["install", "--reader", "postgres"]);
    scenario.run(&[]);
    scenario.run(&[]); // checks the totals under the installation
    scenario.run(&[]);
    assert_eq!(scenario.last_run().await.delete_check.as_deref(), Some("capture"));
    scenario.source().await.batch_execute("TRUNCATE rental CASCADE").await.unwrap();
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(run.delete_check.as_deref(), Some("buckets"), "{run:?}");
    assert!(scenario.weeks().await.is_empty(), "every rental is gone");
    assert_equals_oracle(&scenario, "truncated").await;
}

#[tokio::test]
async fn capture_commands_explain_what_went_wrong() {
    let scenario = Scenario::new("capture_errors", Source::PagilaV3).await;
    let output = scenario.rollup_command(&["capture", "drop"]);
    assert_clear_failure(&output, "it is not installed");
    scenario.capture(&["install", "--reader", "postgres"]);
    let output = scenario.rollup_command(&["capture", "install"]);
    assert_clear_failure(&output, "it is installed already");
    let output = scenario.rollup_command(&["capture", "install", "--reader", "no_such_role"]);
    assert_clear_failure(&output, "it is installed already");
    scenario.capture(&["drop"]);
    let output = scenario.rollup_command(&["capture", "install", "--reader", "no_such_role"]);
    assert_clear_failure(&output, "could not let role no_such_role read the capture (--reader)");
    let status = common::stdout(&scenario.capture(&["status"]));
    assert!(status.contains("no capture on"), "nothing half-installed: {status}");
}
