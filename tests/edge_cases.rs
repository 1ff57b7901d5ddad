//! Hand-built rentals whose weekly numbers are written out by hand below, at the edges of the
//! definitions: Monday 00:00 exactly, never returned, returned the week it was rented, empty weeks
//! in between, a return before its rental, and week boundaries across daylight-saving changes.
mod common;

use chrono::NaiveDate;
use chrono_tz::Tz;
use common::{Scenario, Source, Week, assert_same_weeks, column, date, oracle, query_value};

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
    rows.iter().map(|row| column(row, "rollup.data_issue", "kind")).collect()
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

/// The shadow's (rental_id, rental_week, return_week), by rental_id.
async fn shadow_weeks(scenario: &Scenario) -> Vec<(i32, Option<NaiveDate>, Option<NaiveDate>)> {
    let rollup = scenario.rollup().await;
    let rows = rollup
        .query("SELECT rental_id, rental_week, return_week FROM rollup.rental_shadow ORDER BY rental_id", &[])
        .await
        .unwrap();
    rows.iter().map(|row| (row.get(0), row.get(1), row.get(2))).collect()
}

/// One counting rule: a full build writes the weeks in the COPY statement it sends the source
/// (which has no rollup functions: the anchor reaches it as a literal from rollup.week_origin()),
/// an incremental run with rollup.week_beginning. Around both daylight-saving changes of a zone
/// west of UTC, every week the full build wrote is rollup.week_beginning's, and an incremental
/// run that pulls the same rentals again keeps them.
#[tokio::test]
async fn the_full_builds_weeks_are_rollup_week_beginning_across_daylight_saving() {
    let scenario = Scenario::new("edges_new_york", Source::PagilaV3).await;
    with_rentals(
        &scenario,
        &[
            // America/New_York springs forward on Sunday 2022-03-13: Monday 2022-03-14 00:00 local
            // (EDT) is 04:00 UTC.
            ("2022-03-14 03:59:59+00", Some("2022-03-14 04:00:00+00")), // Sun 23:59:59 -> Mon 00:00
            ("2022-03-14 04:00:00+00", None),
            // and falls back on Sunday 2022-11-06: Monday 2022-11-07 00:00 local (EST) is 05:00 UTC.
            ("2022-11-07 04:59:59+00", Some("2022-11-07 05:00:00+00")), // Sun 23:59:59 -> Mon 00:00
            ("2022-11-07 05:00:00+00", Some("2022-11-14 04:59:59+00")), // Mon 00:00 -> Sun 23:59:59
        ],
    )
    .await;
    const ZONE: &str = "America/New_York";
    scenario.run(&["--timezone", ZONE]);
    assert_eq!(scenario.last_run().await.mode, "full");
    scenario.verify_passes();

    let rollup = scenario.rollup().await;
    let differing: i64 = query_value(
        &rollup,
        "SELECT count(*) FROM rollup.rental_shadow
          WHERE rental_week IS DISTINCT FROM rollup.week_beginning(rental_date, $1::text)
             OR return_week IS DISTINCT FROM rollup.week_beginning(return_date, $1::text)",
        &[&ZONE],
    )
    .await;
    assert_eq!(differing, 0, "the full build's COPY put a rental in another week than rollup.week_beginning");
    let built = shadow_weeks(&scenario).await;
    let weeks = |rented: &str, returned: Option<&str>| (Some(date(rented)), returned.map(date));
    assert_eq!(
        built.iter().map(|&(_, rented, returned)| (rented, returned)).collect::<Vec<_>>(),
        [
            weeks("2022-03-07", Some("2022-03-14")),
            weeks("2022-03-14", None),
            weeks("2022-10-31", Some("2022-11-07")),
            weeks("2022-11-07", Some("2022-11-07")),
        ],
        "by hand"
    );
    assert_same_weeks(
        &scenario.weeks().await,
        &scenario.expected_weeks(Tz::America__New_York, None).await,
        ZONE,
    );

    // The anchor and the weekday recorded with the build are the functions' (migrations/V12).
    let rule_holds: bool = query_value(
        &rollup,
        "SELECT extract(isodow FROM rollup.week_origin()) = 1
            AND rollup.week_containing(rollup.week_origin()) = rollup.week_origin()
            AND rollup.week_containing(rollup.week_origin() + 6) = rollup.week_origin()
            AND rollup.counted_from($1::text) = rollup.local_midnight(rollup.week_origin(), $1::text)
            AND rollup.counted_from($1::text) = timestamptz '1970-01-05 05:00+00'
            AND (SELECT week_start FROM rollup.build_settings) = rollup.week_start()",
        &[&ZONE],
    )
    .await;
    assert!(rule_holds, "rollup.week_origin(), week_start(), week_containing() and counted_from() disagree");

    // Every rental pulled again, by an incremental run: the weeks come from rollup.week_beginning.
    scenario.source().await.batch_execute("UPDATE rental SET return_date = return_date").await.unwrap();
    scenario.run(&["--timezone", ZONE]);
    let run = scenario.last_run().await;
    assert_eq!(run.mode, "incremental");
    assert_eq!(shadow_weeks(&scenario).await, built, "the incremental run moved a rental to another week");
    scenario.verify_passes();
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

/// Counts of rollup.data_issue by kind, and the run record's count of findings.
async fn findings_by_kind(scenario: &Scenario) -> (Vec<(String, i64)>, Option<i64>) {
    let rollup = scenario.rollup().await;
    let kinds = rollup
        .query("SELECT kind, count(*) AS findings FROM rollup.data_issue GROUP BY kind ORDER BY kind", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (column(row, "rollup.data_issue", "kind"), column(row, "rollup.data_issue", "findings")))
        .collect();
    let recorded =
        query_value(&rollup, "SELECT data_issues FROM rollup.etl_run ORDER BY run_id DESC LIMIT 1", &[])
            .await;
    (kinds, recorded)
}

/// Rentals of the source whose copy has no inventory row: the definition of unknown_inventory.
/// A rental whose copy has no inventory row (possible once the source's foreign key is dropped,
/// as in a copy of the data without its constraints), and a film whose copies were all removed
/// while their rentals stayed: the rentals are counted shop-wide, belong to no film, and are
/// listed as unknown_inventory; the film keeps its row in rollup.film and has no per-film rows.
/// A film never stocked (Pagila has 42) is in rollup.film and nowhere else; it is not a finding.
#[tokio::test]
async fn rentals_of_copies_that_do_not_exist_count_shop_wide_and_are_listed() {
    let scenario = Scenario::new("edges_missing_copy", Source::PagilaV3).await;
    scenario.run(&[]);
    let source = scenario.source().await;
    // Pagila's copies rented while out, by the finding's definition (182, all rentals of
    // 2022-02-14); the changes below touch none of them, so the number must stay.
    let overlapping = oracle::copies_rented_while_out(&source).await;
    let rentals: i64 = query_value(&source, "SELECT count(*) FROM rental", &[]).await;
    // film 904 has 4 rentals over its copies
    common::rent_copies_the_inventory_lacks(&source).await;
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(
        (run.mode.as_str(), run.rentals_counted, run.rentals_quarantined),
        ("incremental", Some(rentals + 1), Some(0))
    );
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "shop-wide");
    common::assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "per film",
    );
    scenario.verify_passes();

    // film 904's 4 rentals and the one of copy 999999
    let unknown = common::rentals_without_a_copy(&scenario.source().await).await;
    let (kinds, recorded) = findings_by_kind(&scenario).await;
    assert_eq!(
        kinds,
        [("copy_rented_while_out".to_owned(), overlapping), ("unknown_inventory".to_owned(), unknown)]
    );
    assert_eq!(recorded, Some(overlapping + unknown), "the run record counts the findings");
    let rollup = scenario.rollup().await;
    let count = |sql: &'static str| {
        let rollup = &rollup;
        async move {
            rollup.query_one(sql, &[]).await.unwrap_or_else(|error| panic!("{sql}: {error}")).get::<_, i64>(0)
        }
    };
    // the shop counts the rentals without a copy more than its films do
    assert_eq!(
        count(
            "SELECT ((SELECT sum(rented_rentals) FROM rollup.weekly_rentals)
                   - (SELECT sum(rented_rentals) FROM rollup.film_weekly))::bigint"
        )
        .await,
        unknown
    );
    assert_eq!(count("SELECT count(*) FROM rollup.film_weekly WHERE film_id = 904").await, 0);
    assert_eq!(count("SELECT count(*) FROM rollup.film_weekly_features WHERE film_id = 904").await, 0);
    assert_eq!(count("SELECT count(*) FROM rollup.film WHERE film_id = 904").await, 1);
    let detail: String = query_value(
        &rollup,
        "SELECT detail FROM rollup.data_issue AS d JOIN rollup.rental_shadow AS s USING (rental_id) WHERE s.inventory_id = 999999",
        &[],
    )
    .await;
    assert_eq!(detail, "inventory_id 999999 has no inventory row; counted shop-wide, in no film");

    // never stocked: in rollup.film, without rows or findings; its chart says why there is none
    let never_stocked: i64 = count(
        "SELECT count(*) FROM rollup.film AS f
          WHERE NOT EXISTS (SELECT FROM rollup.inventory_shadow AS i WHERE i.film_id = f.film_id)",
    )
    .await;
    // Pagila's 42 films without copies, and film 904 now: counted on the source
    let without_copies: i64 = query_value(
        &source,
        "SELECT count(*) FROM film AS f WHERE NOT EXISTS (SELECT FROM inventory AS i WHERE i.film_id = f.film_id)",
        &[],
    )
    .await;
    assert_eq!(never_stocked, without_copies);
    let film_id: i32 = query_value(
        &rollup,
        "SELECT min(film_id) FROM rollup.film AS f
          WHERE NOT EXISTS (SELECT FROM rollup.inventory_shadow AS i WHERE i.film_id = f.film_id)",
        &[],
    )
    .await;
    let chart =
        scenario.rollup_command(&["chart", "--film", &film_id.to_string(), "-o", "/dev/null/never.svg"]);
    common::assert_clear_failure(&chart, "has no copy in any store: nothing to chart");

    // the copy turns up: the next run counts its rental in its film and the finding goes
    source
        .batch_execute("INSERT INTO inventory (inventory_id, film_id, store_id) VALUES (999999, 1, 2)")
        .await
        .unwrap();
    scenario.run(&[]);
    let unknown = common::rentals_without_a_copy(&scenario.source().await).await; // film 904's 4 rentals
    let (kinds, recorded) = findings_by_kind(&scenario).await;
    assert_eq!(
        kinds,
        [("copy_rented_while_out".to_owned(), overlapping), ("unknown_inventory".to_owned(), unknown)]
    );
    assert_eq!(recorded, Some(overlapping + unknown));
    common::assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "after the copy turned up",
    );
}

/// Dates decades away, written by an incremental change (a typo in a year): quarantined, listed,
/// counted in the run record, and the spine keeps its weeks; corrected, they count again.
#[tokio::test]
async fn dates_decades_away_are_quarantined_by_incremental_runs_and_the_spine_stays() {
    let scenario = Scenario::new("edges_decades", Source::PagilaV3).await;
    scenario.run(&[]);
    let spine = scenario.weeks().await.len();
    let source = scenario.source().await;
    let rentals: i64 = query_value(&source, "SELECT count(*) FROM rental", &[]).await;
    let overlapping = oracle::copies_rented_while_out(&source).await;
    // rental 10 to 2062, rental 20 to 1962, rental 30 returned in 2072; then (-1) back again
    let typos = |direction: f64| {
        let source = &source;
        async move {
            source
                .execute(
                    "UPDATE rental
                        SET rental_date = rental_date + CASE rental_id WHEN 10 THEN interval '40 years'
                                                                       WHEN 20 THEN interval '-60 years'
                                                                       ELSE interval '0' END * $1,
                            return_date = return_date + CASE rental_id WHEN 10 THEN interval '40 years'
                                                                       WHEN 20 THEN interval '-60 years'
                                                                       ELSE interval '50 years' END * $1
                      WHERE rental_id IN (10, 20, 30)",
                    &[&direction],
                )
                .await
                .unwrap()
        }
    };
    typos(1.0).await;
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(
        (run.mode.as_str(), run.rentals_counted, run.rentals_quarantined),
        ("incremental", Some(rentals - 3), Some(3)),
        "the 3 rentals changed above are quarantined"
    );
    let weeks = scenario.weeks().await;
    assert_eq!(weeks.len(), spine, "the spine is not stretched over decades");
    assert_same_weeks(&weeks, &scenario.expected_weeks(Tz::UTC, None).await, "oracle");
    scenario.verify_passes();
    let (kinds, recorded) = findings_by_kind(&scenario).await;
    let implausible = kinds.iter().find(|(kind, _)| kind == "implausible_date").map(|(_, n)| *n);
    assert_eq!(implausible, Some(3), "{kinds:?}");
    assert_eq!(recorded, Some(kinds.iter().map(|(_, n)| n).sum::<i64>()));

    typos(-1.0).await;
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!((run.rentals_counted, run.rentals_quarantined), (Some(rentals), Some(0)));
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "corrected");
    let (kinds, _) = findings_by_kind(&scenario).await;
    assert_eq!(kinds, [("copy_rented_while_out".to_owned(), overlapping)]);
}
