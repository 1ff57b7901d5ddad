//! The full build (src/run/full_build.rs): computed side by side on several connections into staging
//! tables and published in one short transaction. Whatever the number of connections the tables
//! are the same and equal to the oracle; a build killed before it publishes leaves the published
//! tables as they were, readable all along, and the next run removes what it left; the source is
//! read in one snapshot, so a change committed while the build runs is wholly in it or wholly the
//! next run's.
mod common;

use std::time::Duration;

use chrono_tz::Tz;
use common::{ResumeFile, Scenario, Source, assert_same_film_weeks, assert_same_weeks};

const PAUSED: &str = "failpoint: pausing";

/// Everything the published tables hold, row for row, as one string per table (but the runs that
/// wrote them).
async fn published(url: &str) -> Vec<String> {
    let rollup = common::connect(url).await;
    let mut tables = Vec::new();
    for query in [
        "SELECT string_agg(format('%s %s %s %s %s %s %s', week_beginning, rented_rentals, returned_rentals, \
                outstanding_at_start, outstanding_rentals, out_during_week, peak_outstanding), ';' \
                ORDER BY week_beginning) FROM rollup.weekly_rentals",
        "SELECT md5(string_agg(format('%s %s %s %s %s %s %s %s %s %s', film_id, store_id, week_beginning, \
                rented_rentals, returned_rentals, outstanding_at_start, outstanding_rentals, peak_outstanding, \
                copies, hours_all_copies_out), ';' ORDER BY film_id, store_id, week_beginning)) FROM rollup.film_weekly",
        "SELECT md5(string_agg(format('%s %s %s %s %s %s %s %s', film_id, store_id, week_beginning, rented_rentals, \
                returned_rentals, peak_rise, lowest_level, seconds_at_or_above), ';' \
                ORDER BY film_id, store_id, week_beginning)) FROM rollup.film_week_flow",
        "SELECT md5(string_agg(f::text, ';' ORDER BY film_id, store_id, week_beginning)) FROM rollup.film_weekly_features AS f",
        "SELECT string_agg(format('%s %s %s %s', day, rented_rentals, returned_rentals, peak_rise), ';' ORDER BY day) FROM rollup.day_flow",
        "SELECT string_agg(rental_id || ':' || kind || ':' || detail, ',' ORDER BY rental_id, kind) FROM rollup.data_issue",
        "SELECT string_agg(b::text, ';' ORDER BY bucket) FROM rollup.rental_bucket AS b",
        "SELECT md5(string_agg(format('%s %s %s %s %s %s %s %s %s', rental_id, rental_date, return_date, inventory_id, \
                last_update, rental_week, return_week, film_id, store_id), ';' ORDER BY rental_id)) FROM rollup.rental_shadow",
        "SELECT string_agg(i::text, ';' ORDER BY inventory_id) FROM rollup.inventory_shadow AS i",
        "SELECT string_agg(f::text, ';' ORDER BY film_id) FROM rollup.film AS f",
    ] {
        let value: Option<String> = rollup.query_one(query, &[]).await.unwrap().get(0);
        tables.push(value.unwrap_or_default());
    }
    tables
}

#[tokio::test]
async fn any_number_of_connections_builds_the_same_tables_as_the_oracle() {
    let scenario = Scenario::new("jobs_one", Source::PagilaV3).await;
    let four = scenario.extra_database("four").await;
    scenario.run(&["--jobs", "1"]);
    let output = scenario.rollup_command_with_env(&["run", "--jobs", "4"], &[("ROLLUP_URL", &four)]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(published(&scenario.rollup_url).await, published(&four).await, "--jobs 1 and --jobs 4");
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "--jobs 1");
    assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "--jobs 1",
    );
    // the film ranges the four connections took cover every film once
    let tasks = common::stderr(&output).matches("task=film flows of films").count();
    assert!(tasks >= 4, "at least one range per connection:\n{}", common::stderr(&output));
    let bad = scenario.rollup_command(&["run", "--full", "--jobs", "0"]);
    assert_eq!(bad.status.code(), Some(2), "{}", common::stderr(&bad));
}

/// Killed while the connections compute: the published tables are the previous build's, and stay
/// readable while the build runs (it never locks them); the next run finds the staging schema,
/// drops it, and builds.
#[tokio::test]
async fn a_build_killed_in_the_parallel_phase_changes_nothing_and_leaves_nothing() {
    let scenario = Scenario::new("killed_build", Source::PagilaV3).await;
    scenario.run(&[]);
    let before = scenario.snapshot().await;
    let published_before = published(&scenario.rollup_url).await;

    let mut running =
        scenario.spawn(&["run", "--full", "--jobs", "2"], &[("ROLLUP_FAILPOINT", "full_build_task:pause")]);
    running.wait_for(PAUSED, Duration::from_secs(60));
    // readable meanwhile, without waiting: a statement timeout makes a blocked read fail
    let reader = scenario.rollup().await;
    reader.batch_execute("SET statement_timeout = '2s'").await.unwrap();
    let counted: i64 = reader
        .query_one("SELECT count(*) FROM rollup.film_weekly WHERE film_id = 1", &[])
        .await
        .expect("the published tables stay readable during a build")
        .get(0);
    assert!(counted > 0);
    running.kill();

    assert_eq!(scenario.snapshot().await, before, "the killed build changed nothing");
    assert_eq!(published(&scenario.rollup_url).await, published_before);
    let staging: bool =
        reader.query_one("SELECT to_regnamespace('rollup_build') IS NOT NULL", &[]).await.unwrap().get(0);
    assert!(staging, "the killed build left its staging schema");

    scenario.run(&[]); // incremental: tidies up
    let staging: bool =
        reader.query_one("SELECT to_regnamespace('rollup_build') IS NOT NULL", &[]).await.unwrap().get(0);
    assert!(!staging, "the next run dropped the staging schema");
    scenario.run(&["--full"]);
    assert_eq!(published(&scenario.rollup_url).await, published_before, "rebuilt the same");
}

/// The build reads the source in one REPEATABLE READ snapshot. A change committed after it was
/// taken (here while the build computes) is not in the build at all, and the next run, whose cursor
/// starts before the snapshot, catches all of it.
#[tokio::test]
async fn a_change_committed_during_a_build_is_wholly_the_next_runs() {
    let scenario = Scenario::new("snapshot_build", Source::PagilaV3).await;
    let expected_before = scenario.expected_weeks(Tz::UTC, None).await;
    let expected_film_weeks_before = scenario.expected_film_weeks(Tz::UTC, None).await;

    let resume = ResumeFile::new("snapshot-build");
    let mut running = scenario.spawn(
        &["run", "--jobs", "1"],
        &[("ROLLUP_FAILPOINT", "full_build_task:pause"), ("ROLLUP_FAILPOINT_RESUME", resume.path())],
    );
    running.wait_for(PAUSED, Duration::from_secs(60));
    scenario
        .source()
        .await
        .batch_execute(
            "BEGIN;
             INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
                  VALUES ('2022-07-06 12:00+00', 10, 10, '2022-07-08 12:00+00', 1);
             UPDATE rental SET return_date = return_date + interval '9 days' WHERE rental_id = 2;
             DELETE FROM payment WHERE rental_id = 3; DELETE FROM rental WHERE rental_id = 3;
             UPDATE inventory SET store_id = 3 - store_id WHERE inventory_id = 20;
             COMMIT",
        )
        .await
        .unwrap();
    resume.resume();
    let (code, log) = running.finish(Duration::from_secs(120));
    assert_eq!(code, Some(0), "{log}");
    assert_same_weeks(&scenario.weeks().await, &expected_before, "the build: the source before the change");
    assert_same_film_weeks(&scenario.film_weeks().await, &expected_film_weeks_before, "the build, per film");

    scenario.run(&[]);
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "the next run");
    assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "the next run, per film",
    );
    scenario.verify_passes();
}
