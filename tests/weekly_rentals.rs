//! rollup.weekly_rentals against the brute-force oracle on real Pagila data, and the run's
//! bookkeeping: full build, idempotent re-runs, --full, --through, settings changes, source
//! changes.
mod common;

use chrono_tz::Tz;
use common::{Scenario, Source, assert_same_weeks, date, query_value};

#[tokio::test]
async fn pagila_v3_matches_the_brute_force_weeks() {
    let scenario = Scenario::new("v3_utc", Source::PagilaV3).await;
    scenario.run(&[]);

    let weeks = scenario.weeks().await;
    assert_same_weeks(&weeks, &scenario.expected_weeks(Tz::UTC, None).await, "Pagila v3.1.0, UTC");
    // The assignment's data (README, "What the weekly table means"): from the Monday of Pagila
    // v3.1.0's first rental, 2022-02-14, to that of its last event, 2022-08-29, every week, no gaps.
    let (first, last) = (date("2022-02-14"), date("2022-08-29"));
    assert_eq!(weeks.first().unwrap().week_beginning, first);
    assert_eq!(weeks.last().unwrap().week_beginning, last);
    let spine = ((last - first).num_weeks() + 1) as usize;
    assert_eq!(weeks.len(), spine);
    // Every rental of the source is plausible, so every one is counted, once.
    let rentals: i64 = query_value(&scenario.source().await, "SELECT count(*) FROM rental", &[]).await;
    assert_eq!(weeks.iter().map(|week| week.rented_rentals).sum::<i64>(), rentals);

    let run = scenario.last_run().await;
    assert_eq!((run.mode.as_str(), run.status.as_str()), ("full", "succeeded"));
    assert_eq!(run.rentals_counted, Some(rentals));
    assert_eq!(run.rentals_quarantined, Some(0));
    assert_eq!((run.weeks_recomputed, run.weeks_inserted), (Some(spine as i32), Some(spine as i32)));
    assert_eq!(run.rows_pulled, Some(rentals), "a full build pulls every rental once");

    let report = scenario.rollup().await.query("SELECT * FROM rollup.weekly_report", &[]).await.unwrap();
    let columns: Vec<&str> = report[0].columns().iter().map(|column| column.name()).collect();
    assert_eq!(columns, ["WeekBeginning", "OutstandingRentals", "ReturnedRentals"]);
    assert_eq!(report.len(), spine);
}

#[tokio::test]
async fn pagila_v2_matches_the_brute_force_weeks() {
    let scenario = Scenario::new("v2_utc", Source::PagilaV2).await;
    scenario.run(&[]);

    let weeks = scenario.weeks().await;
    assert_same_weeks(&weeks, &scenario.expected_weeks(Tz::UTC, None).await, "Pagila v2.1.0, UTC");
    // Rentals from May 2005 and the 182 never returned dated 2020-02-14: a spine of 14+ years,
    // carrying the rentals never returned through every empty week in between.
    assert_eq!(weeks.first().unwrap().week_beginning, date("2005-05-23"));
    assert_eq!(weeks.last().unwrap().week_beginning, date("2020-02-10"));
    let quiet_week = weeks.iter().find(|week| week.week_beginning == date("2012-01-02")).unwrap();
    assert_eq!((quiet_week.rented_rentals, quiet_week.returned_rentals), (0, 0));
    // Out at the end: every rental never returned (the 182 of 2020-02-14 and one from 2005).
    let never_returned: i64 =
        query_value(&scenario.source().await, "SELECT count(*) FROM rental WHERE return_date IS NULL", &[])
            .await;
    assert_eq!(weeks.last().unwrap().outstanding_rentals, never_returned);
}

#[tokio::test]
async fn another_time_zone_rebuilds_and_matches_the_brute_force_weeks() {
    let scenario = Scenario::new("v3_zones", Source::PagilaV3).await;
    scenario.run(&[]);
    let utc = scenario.weeks().await;

    for zone in ["America/New_York", "Asia/Kolkata", "Pacific/Auckland"] {
        scenario.run(&["--timezone", zone]);
        let run = scenario.last_run().await;
        assert_eq!(run.mode, "full", "a changed time zone forces a full rebuild");
        let time_zone: Tz = zone.parse().unwrap();
        let weeks = scenario.weeks().await;
        assert_same_weeks(&weeks, &scenario.expected_weeks(time_zone, None).await, zone);
        assert_ne!(weeks, utc, "{zone}: weeks should differ from UTC's");
    }
}

#[tokio::test]
async fn a_second_run_over_an_unchanged_source_writes_nothing() {
    let scenario = Scenario::new("v3_noop", Source::PagilaV3).await;
    scenario.run(&[]);
    let rollup = scenario.rollup().await;
    let versions = "SELECT string_agg(xmin::text, ',' ORDER BY week_beginning) FROM rollup.weekly_rentals";
    let before: String = query_value(&rollup, versions, &[]).await;

    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!((run.mode.as_str(), run.status.as_str()), ("incremental", "succeeded"));
    assert_eq!(run.weeks_written(), Some(0), "{run:?}");
    let after: String = query_value(&rollup, versions, &[]).await;
    assert_eq!(before, after, "no row of rollup.weekly_rentals may get a new version");
}

#[tokio::test]
async fn full_rebuild_gives_the_same_numbers() {
    let scenario = Scenario::new("v3_full", Source::PagilaV3).await;
    scenario.run(&[]);
    let first = scenario.weeks().await;
    scenario.run(&["--full"]);
    let run = scenario.last_run().await;
    assert_eq!(run.mode, "full");
    assert_eq!(run.weeks_inserted, Some(first.len() as i32));
    assert_eq!(scenario.weeks().await, first);
}

#[tokio::test]
async fn through_extends_the_spine_with_outstanding_rentals_carried() {
    let scenario = Scenario::new("v3_through", Source::PagilaV3).await;
    scenario.run(&["--through", "2022-10-05"]);
    let weeks = scenario.weeks().await;
    assert_same_weeks(&weeks, &scenario.expected_weeks(Tz::UTC, Some(date("2022-10-05"))).await, "--through");
    let last = weeks.last().unwrap();
    // the Monday of the week holding 2022-10-05 (a Wednesday)
    assert_eq!(last.week_beginning, date("2022-10-03"));
    // every rental never returned is carried into the weeks after the source's last event
    let never_returned: i64 =
        query_value(&scenario.source().await, "SELECT count(*) FROM rental WHERE return_date IS NULL", &[])
            .await;
    assert_eq!(
        (last.rented_rentals, last.returned_rentals, last.outstanding_rentals),
        (0, 0, never_returned)
    );

    // Without --through the spine shrinks back to the source's own last week, deleting the weeks
    // after it up to the one of --through.
    scenario.run(&[]);
    let own_last = scenario.expected_weeks(Tz::UTC, None).await.last().unwrap().week_beginning;
    assert_eq!(scenario.weeks().await.last().unwrap().week_beginning, own_last);
    let extended = (last.week_beginning - own_last).num_weeks() as i32;
    assert_eq!(scenario.last_run().await.weeks_deleted, Some(extended));
}

#[tokio::test]
async fn source_changes_are_reflected_by_the_next_run() {
    let scenario = Scenario::new("v3_changes", Source::PagilaV3).await;
    scenario.run(&[]);
    let source = scenario.source().await;
    source
        .batch_execute(
            "-- a return date corrected into another week
             UPDATE rental SET return_date = return_date + interval '9 days' WHERE rental_id = 2;
             -- a never-returned rental finally returned
             UPDATE rental SET return_date = '2022-09-14 10:00+00'
              WHERE rental_id = (SELECT min(rental_id) FROM rental WHERE return_date IS NULL);
             -- deleted rentals (their payments first), emptying the last week of rentals
             DELETE FROM payment WHERE rental_id IN (SELECT rental_id FROM rental WHERE rental_date >= '2022-08-29');
             DELETE FROM rental WHERE rental_date >= '2022-08-29';
             -- a rental in a new week far after the others
             INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             VALUES ('2022-12-01 12:00+00', 1, 1, NULL, 1);",
        )
        .await
        .unwrap();
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(run.mode, "incremental");
    assert!(run.weeks_written() > Some(0), "{run:?}");
    assert_same_weeks(
        &scenario.weeks().await,
        &scenario.expected_weeks(Tz::UTC, None).await,
        "after changes",
    );
}
