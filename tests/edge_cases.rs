//! Hand-built rentals whose weekly numbers are written out by hand below, at the edges of the
//! definitions: Monday 00:00 exactly, never returned, returned the week it was rented, empty weeks
//! in between, a return before its rental, and week boundaries across daylight-saving changes.
mod common;

use chrono_tz::Tz;
use common::{Scenario, Source, Week, assert_same_weeks, date};

/// Replaces the source's rentals with `rows` of (rental_date, return_date), as timestamptz text.
async fn with_rentals(scenario: &Scenario, rows: &[(&str, Option<&str>)]) {
    let source = scenario.source().await;
    source.batch_execute("TRUNCATE rental CASCADE").await.unwrap();
    for (inventory_id, (rented, returned)) in (1..).zip(rows) {
        source
            .execute(
                "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
                 VALUES ($1::text::timestamptz, $2, 1, $3::text::timestamptz, 1)",
                &[rented, &inventory_id, returned],
            )
            .await
            .unwrap();
    }
}

/// The kinds of rollup.data_issue's findings, sorted.
async fn findings(scenario: &Scenario) -> Vec<String> {
    let rollup = scenario.rollup().await;
    let rows =
        rollup.query("SELECT kind FROM rollup.data_issue ORDER BY kind, rental_id", &[]).await.unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

fn week(monday: &str, counts: [i64; 6]) -> Week {
    let [rented, returned, at_start, at_end, during, peak] = counts;
    Week {
        week_beginning: date(monday),
        rented_rentals: rented,
        returned_rentals: returned,
        outstanding_at_start: at_start,
        outstanding_rentals: at_end,
        out_during_week: during,
        peak_outstanding: peak,
    }
}

#[tokio::test]
async fn edges_of_the_week_definition_in_utc() {
    let scenario = Scenario::new("edges_utc", Source::PagilaV3).await;
    with_rentals(
        &scenario,
        &[
            // exactly Monday 00:00: belongs to the new week
            ("2022-03-07 00:00:00+00", Some("2022-03-09 12:00+00")),
            // the last instant of a Sunday, returned exactly at a Monday 00:00
            ("2022-03-06 23:59:59.999999+00", Some("2022-03-14 00:00:00+00")),
            // never returned: out in every later week
            ("2022-03-08 10:00+00", None),
            // rented and returned in the same week
            ("2022-03-09 10:00+00", Some("2022-03-10 10:00+00")),
            // after three empty weeks
            ("2022-04-11 09:00+00", Some("2022-04-12 09:00+00")),
            // returned before it was rented: left out of every count
            ("2022-03-10 10:00+00", Some("2022-03-09 10:00+00")),
        ],
    )
    .await;
    scenario.run(&[]);
    scenario.verify_passes();

    // columns: rented, returned, out at start, out at end, out during the week, most out at once
    let expected = vec![
        week("2022-02-28", [1, 0, 0, 1, 1, 1]),
        week("2022-03-07", [3, 2, 1, 2, 4, 4]),
        week("2022-03-14", [0, 1, 2, 1, 2, 2]),
        week("2022-03-21", [0, 0, 1, 1, 1, 1]),
        week("2022-03-28", [0, 0, 1, 1, 1, 1]),
        week("2022-04-04", [0, 0, 1, 1, 1, 1]),
        week("2022-04-11", [1, 1, 1, 1, 2, 2]),
    ];
    assert_same_weeks(&scenario.weeks().await, &expected, "hand-computed weeks");
    assert_same_weeks(
        &expected,
        &scenario.expected_weeks(Tz::UTC, None).await,
        "oracle agrees with the hand count",
    );
    let run = scenario.last_run().await;
    assert_eq!((run.rentals_counted, run.rentals_quarantined), (Some(5), Some(1)));
    assert_eq!(findings(&scenario).await, ["returned_before_rented"]);
}

#[tokio::test]
async fn weeks_follow_local_midnight_across_daylight_saving_changes() {
    let scenario = Scenario::new("edges_berlin", Source::PagilaV3).await;
    with_rentals(
        &scenario,
        &[
            // Europe/Berlin springs forward on Sunday 2022-03-27, so Monday 2022-03-28 00:00 local
            // is 2022-03-27 22:00 UTC. 168-hour weeks counted from a winter Monday would put the
            // boundary at 23:00 UTC and both of these in the wrong week.
            ("2022-03-27 21:59:59+00", Some("2022-03-27 22:00:00+00")), // Sun 23:59:59 -> Mon 00:00
            ("2022-03-27 22:30:00+00", Some("2022-04-01 10:00:00+00")), // Mon 00:30
            // and falls back on Sunday 2022-10-30: Monday 2022-10-31 00:00 local is 23:00 UTC.
            ("2022-10-30 22:30:00+00", Some("2022-10-30 23:00:00+00")), // Sun 23:30 -> Mon 00:00
        ],
    )
    .await;
    scenario.run(&["--timezone", "Europe/Berlin"]);
    scenario.verify_passes();

    let weeks = scenario.weeks().await;
    assert_same_weeks(&weeks, &scenario.expected_weeks(Tz::Europe__Berlin, None).await, "Europe/Berlin");
    let find = |monday: &str| weeks.iter().find(|week| week.week_beginning == date(monday)).unwrap().clone();
    assert_eq!(find("2022-03-21"), week("2022-03-21", [1, 0, 0, 1, 1, 1]));
    assert_eq!(find("2022-03-28"), week("2022-03-28", [1, 2, 1, 0, 2, 1]));
    assert_eq!(find("2022-10-24"), week("2022-10-24", [1, 0, 0, 1, 1, 1]));
    assert_eq!(find("2022-10-31"), week("2022-10-31", [0, 1, 1, 0, 1, 1]));
    assert_eq!(weeks.len(), 33, "2022-03-21 to 2022-10-31 without gaps");
}

#[tokio::test]
async fn a_source_without_rentals_gives_an_empty_table() {
    let scenario = Scenario::new("edges_empty", Source::PagilaV3).await;
    with_rentals(&scenario, &[]).await;
    scenario.run(&[]);
    assert!(scenario.weeks().await.is_empty());
    assert_eq!(scenario.last_run().await.rentals_counted, Some(0));
}

/// A week holding only quarantined rentals must not stretch the spine.
#[tokio::test]
async fn quarantined_rentals_alone_in_a_week_do_not_extend_the_spine() {
    let scenario = Scenario::new("edges_quarantine_spine", Source::PagilaV3).await;
    with_rentals(
        &scenario,
        &[
            ("2022-02-23 10:00+00", Some("2022-02-22 10:00+00")), // quarantined, before
            ("2022-03-07 10:00+00", Some("2022-03-08 10:00+00")),
            ("2022-03-23 10:00+00", Some("2022-03-22 10:00+00")), // quarantined, after
        ],
    )
    .await;
    scenario.run(&[]);
    scenario.verify_passes();
    let expected = vec![week("2022-03-07", [1, 1, 0, 0, 1, 1])];
    assert_same_weeks(&scenario.weeks().await, &expected, "hand count");
    assert_same_weeks(&expected, &scenario.expected_weeks(Tz::UTC, None).await, "oracle");
    let run = scenario.last_run().await;
    assert_eq!((run.rentals_counted, run.rentals_quarantined), (Some(1), Some(2)));
}

/// Dates outside the plausible range are quarantined, not counted.
#[tokio::test]
async fn implausible_dates_are_quarantined() {
    let scenario = Scenario::new("edges_plausible", Source::PagilaV3).await;
    with_rentals(
        &scenario,
        &[
            ("2022-03-07 10:00+00", None),
            ("1969-12-31 10:00+00", None), // before 1970-01-05
            ("2022-03-09 10:00+00", Some("2999-01-01 00:00+00")), // returned after the last bound
            ("2999-01-01 00:00+00", None), // rented after the last bound
        ],
    )
    .await;
    scenario.run(&[]);
    scenario.verify_passes();
    let expected = vec![week("2022-03-07", [1, 0, 0, 1, 1, 1])];
    assert_same_weeks(&scenario.weeks().await, &expected, "hand count");
    assert_same_weeks(&expected, &scenario.expected_weeks(Tz::UTC, None).await, "oracle");
    let run = scenario.last_run().await;
    assert_eq!((run.rentals_counted, run.rentals_quarantined), (Some(1), Some(3)));
    assert_eq!(findings(&scenario).await, ["implausible_date", "implausible_date", "implausible_date"]);
}

/// Moving a rental one week earlier changes only rented and outstanding_at_start of the later
/// week; the incremental run must notice both weeks.
#[tokio::test]
async fn a_rental_date_moved_to_the_previous_week_updates_both_weeks() {
    let scenario = Scenario::new("edges_moved_rental", Source::PagilaV3).await;
    with_rentals(&scenario, &[("2022-03-09 10:00+00", Some("2022-03-30 10:00+00"))]).await;
    scenario.run(&[]);
    assert_eq!(scenario.weeks().await[0], week("2022-03-07", [1, 0, 0, 1, 1, 1]));
    scenario
        .source()
        .await
        .batch_execute("UPDATE rental SET rental_date = '2022-03-02 10:00+00'")
        .await
        .unwrap();
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(run.mode, "incremental");
    let weeks = scenario.weeks().await;
    assert_eq!(weeks[1], week("2022-03-07", [0, 0, 1, 1, 1, 1]));
    assert_same_weeks(&weeks, &scenario.expected_weeks(Tz::UTC, None).await, "after the move");
    scenario.verify_passes();
}

/// --through on a Monday includes that week; on a Sunday, the week that Sunday ends.
#[tokio::test]
async fn through_a_monday_or_a_sunday_ends_the_spine_in_that_week() {
    let scenario = Scenario::new("edges_through_monday", Source::PagilaV3).await;
    for (through, last) in [("2022-10-03", "2022-10-03"), ("2022-10-16", "2022-10-10")] {
        scenario.run(&["--through", through]);
        scenario.verify_passes();
        let weeks = scenario.weeks().await;
        assert_eq!(weeks.last().unwrap().week_beginning, date(last), "--through {through}");
        assert_same_weeks(&weeks, &scenario.expected_weeks(Tz::UTC, Some(date(through))).await, through);
    }
}

/// A rental returned at the very instant it was rented is not returned *before* it was rented:
/// it counts, rented and returned in the same week, but is never out at any instant.
#[tokio::test]
async fn a_rental_returned_the_instant_it_was_rented_counts() {
    let scenario = Scenario::new("edges_zero_length", Source::PagilaV3).await;
    with_rentals(&scenario, &[("2022-03-09 10:00+00", Some("2022-03-09 10:00+00"))]).await;
    scenario.run(&[]);
    scenario.verify_passes();
    // out at t means rented < t <= returned: never true for it, so it adds nothing to the peak
    let expected = vec![week("2022-03-07", [1, 1, 0, 0, 1, 0])];
    assert_same_weeks(&scenario.weeks().await, &expected, "hand count");
    assert_same_weeks(&expected, &scenario.expected_weeks(Tz::UTC, None).await, "oracle");
}
