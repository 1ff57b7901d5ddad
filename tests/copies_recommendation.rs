//! rollup.copies_recommendation (migrations/V14) and `rollup backtest`: hand-built histories whose
//! recommendations are worked out by hand below from the method's definition; the service-level-1
//! invariant over every Pagila pair, against the oracle's per-film weeks from raw rentals; an
//! incremental run leaving what a full rebuild does, at the cost of the change; and the backtest's
//! rules of thumb recomputed by brute force from the rows of rollup.film_weekly.
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use common::{Scenario, Source, column, date, oracle, query_value, stderr, stdout};
use tokio_postgres::Client;

/// The weeks the method reads (rollup.recommendation_window()).
const WINDOW: usize = 13;

#[derive(Debug, Clone, PartialEq)]
struct Recommendation {
    copies_held: i32,
    copies_next_week: i32,
    copies_next_4_weeks: i32,
    censored_weeks: i32,
    weeks_seen: i32,
    peak_seen: i64,
    expected_hours_all_copies_out: f64,
    stockout_week_share: f64,
    expected_idle_copies: f64,
    service_level: f64,
}

async fn recommendations(rollup: &Client) -> BTreeMap<(i32, i32), Recommendation> {
    const WHAT: &str = "rollup.copies_recommendation";
    let rows = rollup
        .query(
            "SELECT film_id, store_id, copies_held, copies_next_week, copies_next_4_weeks, censored_weeks,
                    weeks_seen, peak_seen, expected_hours_all_copies_out::float8 AS expected_hours_all_copies_out,
                    stockout_week_share::float8 AS stockout_week_share,
                    expected_idle_copies::float8 AS expected_idle_copies, service_level
               FROM rollup.copies_recommendation",
            &[],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                (column(row, WHAT, "film_id"), column(row, WHAT, "store_id")),
                Recommendation {
                    copies_held: column(row, WHAT, "copies_held"),
                    copies_next_week: column(row, WHAT, "copies_next_week"),
                    copies_next_4_weeks: column(row, WHAT, "copies_next_4_weeks"),
                    censored_weeks: column(row, WHAT, "censored_weeks"),
                    weeks_seen: column(row, WHAT, "weeks_seen"),
                    peak_seen: column(row, WHAT, "peak_seen"),
                    expected_hours_all_copies_out: column(row, WHAT, "expected_hours_all_copies_out"),
                    stockout_week_share: column(row, WHAT, "stockout_week_share"),
                    expected_idle_copies: column(row, WHAT, "expected_idle_copies"),
                    service_level: column(row, WHAT, "service_level"),
                },
            )
        })
        .collect()
}

/// The source's copies of `film_id` in `store_id`.
async fn copies_of(source: &Client, film_id: i32, store_id: i32) -> Vec<i32> {
    let rows = source
        .query(
            "SELECT inventory_id FROM inventory WHERE film_id = $1 AND store_id = $2 ORDER BY inventory_id",
            &[&film_id, &store_id],
        )
        .await
        .unwrap();
    rows.iter().map(|row| column(row, "inventory", "inventory_id")).collect()
}

async fn rent(source: &Client, inventory_id: i32, rented: &str, returned: Option<&str>) {
    source
        .execute(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             VALUES ($1::text::timestamptz, $2, 1, $3::text::timestamptz, 1)",
            &[&rented, &inventory_id, &returned],
        )
        .await
        .unwrap();
}

/// Three hand-built titles. Film 1 in store 1 (4 copies in Pagila): every copy rented on Sunday
/// 2022-05-01 12:00 and returned on Tuesday 2022-05-10 12:00, so every copy is out for 12 hours of
/// the week of 2022-04-25, the whole week of 2022-05-02 (168 hours) and 36 hours of the week of
/// 2022-05-09. Film 2 in store 2 (3 copies): never rented. Film 3 in store 2: one rental in the
/// week of 2022-05-02, so that the shop records something that week (a week without any rental
/// or return is a gap in the source, which the method leaves out). The spine is the three weeks.
#[tokio::test]
async fn hand_built_titles_get_the_copies_worked_out_by_hand() {
    let scenario = Scenario::new("copies_hand", Source::PagilaV3).await;
    let full_url = scenario.extra_database("full").await;
    let source = scenario.source().await;
    source.batch_execute("TRUNCATE rental CASCADE").await.unwrap();
    let film_1 = copies_of(&source, 1, 1).await;
    assert_eq!(film_1.len(), 4, "Pagila holds 4 copies of film 1 in store 1");
    assert_eq!(copies_of(&source, 2, 2).await.len(), 3, "Pagila holds 3 copies of film 2 in store 2");
    for copy in &film_1 {
        rent(&source, *copy, "2022-05-01 12:00+00", Some("2022-05-10 12:00+00")).await;
    }
    let film_3 = copies_of(&source, 3, 2).await;
    rent(&source, film_3[0], "2022-05-04 12:00+00", Some("2022-05-05 12:00+00")).await;

    scenario.run(&[]);
    let rollup = scenario.rollup().await;

    // the censoring flag: every week of film 1 in store 1 had every copy out
    let flags = rollup
        .query(
            "SELECT week_beginning, hours_all_copies_out::float8 AS hours, all_copies_out
               FROM rollup.panel_known_at('2022-05-09') WHERE film_id = 1 AND store_id = 1
              ORDER BY week_beginning",
            &[],
        )
        .await
        .unwrap();
    let flags: Vec<(NaiveDate, f64, bool)> = flags
        .iter()
        .map(|row| {
            (
                column(row, "panel", "week_beginning"),
                column(row, "panel", "hours"),
                column(row, "panel", "all_copies_out"),
            )
        })
        .collect();
    assert_eq!(
        flags,
        vec![
            (date("2022-04-25"), 12.0, true),
            (date("2022-05-02"), 168.0, true),
            (date("2022-05-09"), 36.0, true)
        ]
    );

    let all = recommendations(&rollup).await;
    // Film 1, store 1: each of the 3 weeks peaks at 4 = the copies, censored, so it counts 4 + 1 = 5;
    // the 0.95 quantile of {5, 5, 5} is 5, above the 4 copies held. At those 4 copies: every week's
    // demand (5) exceeded them (share 1), the mean hours with every copy out is (12 + 168 + 36) / 3
    // = 72, and no copy was ever in at a peak (idle 0).
    assert_eq!(
        all[&(1, 1)],
        Recommendation {
            copies_held: 4,
            copies_next_week: 5,
            copies_next_4_weeks: 5,
            censored_weeks: 3,
            weeks_seen: 3,
            peak_seen: 4,
            expected_hours_all_copies_out: 72.0,
            stockout_week_share: 1.0,
            expected_idle_copies: 0.0,
            service_level: 0.95,
        }
    );
    // Film 2, store 2: never rented, so nothing was out in any of the 3 weeks: 0 copies needed (the
    // method sets no minimum), and all 3 copies idle every week.
    assert_eq!(
        all[&(2, 2)],
        Recommendation {
            copies_held: 3,
            copies_next_week: 0,
            copies_next_4_weeks: 0,
            censored_weeks: 0,
            weeks_seen: 3,
            peak_seen: 0,
            expected_hours_all_copies_out: 0.0,
            stockout_week_share: 0.0,
            expected_idle_copies: 3.0,
            service_level: 0.95,
        }
    );

    // what the commands show: `rollup recommend` as JSON, `rollup export`, a film held nowhere
    let shown = scenario.rollup_command(&["recommend", "--film", "1", "--store", "1", "--format", "json"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
    assert_eq!(shown[0]["copies_next_week"], 5);
    assert_eq!(shown[0]["copies_held"], 4);
    let folder = tempfile::tempdir().unwrap();
    let csv = folder.path().join("copies.csv");
    let exported = scenario.rollup_command(&["export", "copies_recommendation", "-o", csv.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(csv.starts_with("film_id,store_id,service_level,copies_held,copies_next_week,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + all.len());
    let nowhere = scenario.rollup_command(&["recommend", "--film", "99999"]);
    assert_eq!(nowhere.status.code(), Some(1));
    assert!(
        stderr(&nowhere).contains("error: no copies recommendation for film 99999"),
        "{}",
        stderr(&nowhere)
    );
    let bad_level = scenario.rollup_command(&["run", "--service-level", "1.5"]);
    assert_eq!(bad_level.status.code(), Some(2));
    assert!(stderr(&bad_level).contains("above 0 and at most 1"), "{}", stderr(&bad_level));

    // A fifth copy of film 1 in store 1, then an incremental run. Its copies held are 5 now, and
    // with 5 copies no week had every copy out (the peak stayed 4): nothing censored, demand 4 each
    // week, so 4 copies are needed and one copy sat idle at every peak.
    source.execute("INSERT INTO inventory (film_id, store_id) VALUES (1, 1)", &[]).await.unwrap();
    scenario.run(&[]);
    let after = recommendations(&rollup).await;
    assert_eq!(
        after[&(1, 1)],
        Recommendation {
            copies_held: 5,
            copies_next_week: 4,
            copies_next_4_weeks: 4,
            censored_weeks: 0,
            weeks_seen: 3,
            peak_seen: 4,
            expected_hours_all_copies_out: 0.0,
            stockout_week_share: 0.0,
            expected_idle_copies: 1.0,
            service_level: 0.95,
        }
    );
    // only the pair whose copies changed was recomputed: the basis (level, weeks) stayed
    let recomputed: i32 = query_value(
        &rollup,
        "SELECT pairs_recommended FROM rollup.etl_run ORDER BY run_id DESC LIMIT 1",
        &[],
    )
    .await;
    assert_eq!(recomputed, 1);

    // the incremental run left what a full rebuild leaves
    let full = scenario.rollup_command_with_env(&["run", "--full"], &[("ROLLUP_URL", &full_url)]);
    assert!(full.status.success(), "{}", stderr(&full));
    assert_eq!(after, recommendations(&common::connect(&full_url).await).await);
}

/// A week's peak, and its demand as the method counts it.
type PeakAndDemand = (i64, i64);
/// Per (film, store), the weeks it read.
type ByPair = HashMap<(i32, i32), Vec<PeakAndDemand>>;

/// The recommendation as the oracle computes it from raw rentals: the last 13 weeks in which the
/// shop recorded a rental or a return, each pair's demand in each (its peak, plus one when every
/// copy was out for some time, the week's own rows; 0 in a week without a row).
fn windows(source_rentals: &[oracle::Rental], film_weeks: &[oracle::FilmWeek]) -> (Vec<NaiveDate>, ByPair) {
    let weeks = oracle::weekly_rentals(source_rentals, Tz::UTC, None);
    let mut window: Vec<NaiveDate> = weeks
        .iter()
        .filter(|week| week.rented_rentals + week.returned_rentals > 0)
        .map(|week| week.week_beginning)
        .collect();
    window = window.split_off(window.len().saturating_sub(WINDOW));
    let in_window: BTreeSet<NaiveDate> = window.iter().copied().collect();
    let mut by_pair: ByPair = HashMap::new();
    for row in film_weeks.iter().filter(|row| in_window.contains(&row.week_beginning)) {
        let demand = row.peak_outstanding + i64::from(row.hours_all_copies_out > 0.0);
        by_pair.entry((row.film_id, row.store_id)).or_default().push((row.peak_outstanding, demand));
    }
    (window, by_pair)
}

/// Under service level 1 no pair is recommended fewer copies than the highest peak of the weeks it
/// read, for next week and for four weeks; and the recommendation is exactly the highest demand,
/// every stocked pair having a row.
#[tokio::test]
async fn at_service_level_1_no_pagila_pair_gets_fewer_copies_than_its_highest_peak_seen() {
    let scenario = Scenario::new("copies_level_1", Source::PagilaV3).await;
    scenario.run(&["--service-level", "1"]);
    let source = scenario.source().await;
    let inventory = oracle::load_inventory(&source).await;
    let rentals: Vec<oracle::Rental> = inventory.rentals.iter().map(|(rental, _)| *rental).collect();
    let film_weeks = oracle::film_weekly(&inventory, Tz::UTC, None);
    let (window, by_pair) = windows(&rentals, &film_weeks);
    assert_eq!(window.len(), WINDOW);

    let mut stocked: HashMap<(i32, i32), i32> = HashMap::new();
    for pair in inventory.copies.values() {
        *stocked.entry(*pair).or_default() += 1;
    }
    let all = recommendations(&scenario.rollup().await).await;
    assert_eq!(all.len(), stocked.len(), "one row per stocked (film, store)");
    for (pair, held) in &stocked {
        let got = &all[pair];
        let seen = by_pair.get(pair).cloned().unwrap_or_default();
        let highest_peak = seen.iter().map(|(peak, _)| *peak).max().unwrap_or(0);
        let highest_demand = seen.iter().map(|(_, demand)| *demand).max().unwrap_or(0);
        assert!(
            i64::from(got.copies_next_week) >= highest_peak,
            "{pair:?}: {got:?} below peak {highest_peak}"
        );
        assert!(i64::from(got.copies_next_4_weeks) >= highest_peak, "{pair:?}: {got:?}");
        assert_eq!(i64::from(got.copies_next_week), highest_demand, "{pair:?}");
        assert_eq!(got.peak_seen, highest_peak, "{pair:?}");
        assert_eq!(got.copies_held, *held, "{pair:?}");
        assert_eq!(got.weeks_seen as usize, WINDOW, "{pair:?}");
        assert_eq!(got.service_level, 1.0);
    }
}

/// The window a decision made at the end of any week reads (rollup.window_known_at: since
/// migration V23, on one server, the window's flows and each pair's rentals out when it begins,
/// those out now less the flows since) is the oracle's per-film weeks from raw rentals in those
/// weeks: for every week of Pagila's spine, so windows that begin with rentals out (Pagila's
/// unreturned ones), windows with later flows after them (the earlier weeks) and windows shorter
/// than 13 weeks at the start; every stocked pair's peak and hours with every copy out, zeros
/// where the oracle has no row.
#[tokio::test]
async fn the_window_read_at_every_week_is_the_oracles_film_weeks() {
    let scenario = Scenario::new("copies_window", Source::PagilaV3).await;
    scenario.run(&[]);
    let source = scenario.source().await;
    let rollup = scenario.rollup().await;
    let inventory = oracle::load_inventory(&source).await;
    let rentals: Vec<oracle::Rental> = inventory.rentals.iter().map(|(rental, _)| *rental).collect();
    let film_weeks = oracle::film_weekly(&inventory, Tz::UTC, None);
    let spine = oracle::weekly_rentals(&rentals, Tz::UTC, None);
    let by_pair_week: HashMap<(i32, i32, NaiveDate), (i64, f64)> = film_weeks
        .iter()
        .map(|row| {
            (
                (row.film_id, row.store_id, row.week_beginning),
                (row.peak_outstanding, row.hours_all_copies_out),
            )
        })
        .collect();
    let stocked: BTreeSet<(i32, i32)> = inventory.copies.values().copied().collect();

    let mut opened_with_rentals_out = 0;
    for (position, through) in spine.iter().enumerate() {
        let mut window: Vec<NaiveDate> = spine[..=position]
            .iter()
            .filter(|week| week.rented_rentals + week.returned_rentals > 0)
            .map(|week| week.week_beginning)
            .collect();
        window = window.split_off(window.len().saturating_sub(WINDOW));
        let mut expected = BTreeMap::new();
        for pair in &stocked {
            for week in &window {
                let (peak, hours) = by_pair_week.get(&(pair.0, pair.1, *week)).copied().unwrap_or((0, 0.0));
                expected.insert((pair.0, pair.1, *week), (peak, hours));
            }
        }
        let rows = rollup
            .query(
                "SELECT film_id, store_id, week_beginning, peak_outstanding,
                        hours_all_copies_out::float8 AS hours_all_copies_out
                   FROM rollup.window_known_at($1)",
                &[&through.week_beginning],
            )
            .await
            .unwrap();
        const WHAT: &str = "rollup.window_known_at";
        let actual: BTreeMap<(i32, i32, NaiveDate), (i64, f64)> = rows
            .iter()
            .map(|row| {
                let key = (
                    column(row, WHAT, "film_id"),
                    column(row, WHAT, "store_id"),
                    column(row, WHAT, "week_beginning"),
                );
                (key, (column(row, WHAT, "peak_outstanding"), column(row, WHAT, "hours_all_copies_out")))
            })
            .collect();
        assert_eq!(actual.len(), rows.len(), "{through:?}: one row per pair and week");
        assert_eq!(
            actual.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{}: every stocked pair by every week of the window",
            through.week_beginning
        );
        for (key, (peak, hours)) in &actual {
            let (expected_peak, expected_hours) = expected[key];
            assert!(
                *peak == expected_peak && (hours - expected_hours).abs() < 0.0015,
                "decision at the end of {}: {key:?} read peak {peak}, {hours} h; the oracle has {expected_peak}, {expected_hours} h",
                through.week_beginning
            );
        }
        // a window that begins with rentals already out reads them from the earlier flows' sum
        if let Some(first) = window.first() {
            opened_with_rentals_out += film_weeks
                .iter()
                .filter(|row| row.week_beginning == *first && row.outstanding_at_start > 0)
                .count();
        }
    }
    assert!(
        opened_with_rentals_out > 0,
        "no window began with rentals out: the test would not reach the earlier flows"
    );
}

/// A stream of changes (a late return corrected in an old week, new rentals in the last week, a
/// copy added, another level) leaves after each incremental run the recommendations a full
/// rebuild makes; a change that moves neither the level nor the weeks read recomputes only the
/// pairs it touched.
#[tokio::test]
async fn incremental_runs_leave_the_recommendations_of_a_full_rebuild() {
    let scenario = Scenario::new("copies_incremental", Source::PagilaV3).await;
    let full_url = scenario.extra_database("full").await;
    let source = scenario.source().await;
    let rollup = scenario.rollup().await;
    scenario.run(&[]);
    let full_rebuild = |args: &[&str]| {
        let mut all = vec!["run", "--full"];
        all.extend_from_slice(args);
        let output = scenario.rollup_command_with_env(&all, &[("ROLLUP_URL", &full_url)]);
        assert!(output.status.success(), "{}", stderr(&output));
    };

    // a return in an old week moved by a day: film 1's copy 1 (store 1)
    source
        .batch_execute(
            "UPDATE rental SET return_date = return_date + interval '1 day'
              WHERE rental_id = (SELECT min(rental_id) FROM rental
                                  WHERE inventory_id = 1 AND rental_date < '2022-08-01' AND return_date IS NOT NULL)",
        )
        .await
        .unwrap();
    scenario.run(&[]);
    let recomputed: i32 = query_value(
        &rollup,
        "SELECT pairs_recommended FROM rollup.etl_run ORDER BY run_id DESC LIMIT 1",
        &[],
    )
    .await;
    assert_eq!(recomputed, 1, "one rental of one pair changed");
    full_rebuild(&[]);
    assert_eq!(recommendations(&rollup).await, recommendations(&common::connect(&full_url).await).await);

    // a new copy and rentals in a new week: the spine grows, every pair reads other weeks
    source.execute("INSERT INTO inventory (film_id, store_id) VALUES (2, 2)", &[]).await.unwrap();
    rent(&source, 9, "2022-09-06 10:00+00", None).await;
    rent(&source, 10, "2022-09-06 11:00+00", Some("2022-09-07 10:00+00")).await;
    scenario.run(&[]);
    full_rebuild(&[]);
    assert_eq!(recommendations(&rollup).await, recommendations(&common::connect(&full_url).await).await);

    // another service level, nothing else changed
    scenario.run(&["--service-level", "0.5"]);
    full_rebuild(&["--service-level", "0.5"]);
    let incremental = recommendations(&rollup).await;
    assert_eq!(incremental, recommendations(&common::connect(&full_url).await).await);
    assert!(incremental.values().all(|r| r.service_level == 0.5));
}

/// `rollup backtest` on Pagila runs end to end and writes its section; its rules of thumb (copies
/// as held, last week's peak, the max of the last 4 weeks) score what a brute-force walk over the
/// rows of rollup.film_weekly, rollup.weekly_rentals and the source's inventory scores.
#[tokio::test]
async fn the_backtest_runs_on_pagila_and_its_rules_of_thumb_match_a_brute_force_walk() {
    let scenario = Scenario::new("copies_backtest", Source::PagilaV3).await;
    scenario.run(&[]);
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("backtest.md");
    let output = scenario.rollup_command(&["backtest", "--title", "Pagila", "-o", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("## Pagila") && written.contains("| copies as held | baseline |"), "{written}");
    assert!(stdout(&output).contains("### Next week"));

    let rollup = scenario.rollup().await;
    let scores = pagila_rollup::commands::backtest::scores(&rollup, 0.95, None).await.unwrap();

    // brute force, from plain rows
    let weeks = rollup
        .query("SELECT week_beginning, rented_rentals + returned_rentals AS events FROM rollup.weekly_rentals ORDER BY 1", &[])
        .await
        .unwrap();
    let weeks: Vec<(NaiveDate, bool)> = weeks
        .iter()
        .map(|row| (column(row, "weeks", "week_beginning"), column::<i64>(row, "weeks", "events") == 0))
        .collect();
    let gap: HashMap<NaiveDate, bool> = weeks.iter().copied().collect();
    let last = weeks.last().unwrap().0;
    let rows = rollup
        .query(
            "SELECT film_id, store_id, week_beginning, peak_outstanding, hours_all_copies_out > 0 AS censored
               FROM rollup.film_weekly",
            &[],
        )
        .await
        .unwrap();
    let mut peak: HashMap<(i32, i32, NaiveDate), (i64, bool)> = HashMap::new();
    for row in &rows {
        peak.insert(
            (
                column(row, "fw", "film_id"),
                column(row, "fw", "store_id"),
                column(row, "fw", "week_beginning"),
            ),
            (column(row, "fw", "peak_outstanding"), column(row, "fw", "censored")),
        );
    }
    let source = scenario.source().await;
    let held_rows = source
        .query("SELECT film_id, store_id, count(*)::int AS copies FROM inventory GROUP BY 1, 2", &[])
        .await
        .unwrap();
    let held: Vec<((i32, i32), i64)> = held_rows
        .iter()
        .map(|row| {
            let copies: i32 = column(row, "inventory", "copies");
            ((column(row, "inventory", "film_id"), column(row, "inventory", "store_id")), i64::from(copies))
        })
        .collect();
    let week_peak =
        |pair: (i32, i32), week: NaiveDate| peak.get(&(pair.0, pair.1, week)).copied().unwrap_or((0, false));
    let decisions: Vec<NaiveDate> = weeks
        .iter()
        .map(|(week, _)| *week)
        .filter(|week| *week < last && !gap[&(*week + Duration::weeks(1))])
        .collect();

    for (method, rule) in [("copies as held", 0), ("last week's peak", 1), ("max of the last 4 weeks", 2)] {
        for horizon in [1i64, 4] {
            let (mut decided, mut within, mut demand_within, mut idle, mut held_weeks) =
                (0i64, 0i64, 0i64, 0i64, 0i64);
            for at in decisions.iter().filter(|at| **at + Duration::weeks(horizon) <= last) {
                for (pair, copies_held) in &held {
                    let copies = match rule {
                        0 => *copies_held,
                        1 => week_peak(*pair, *at).0,
                        _ => {
                            (0..4).map(|back| week_peak(*pair, *at - Duration::weeks(back)).0).max().unwrap()
                        }
                    };
                    let targets: Vec<(i64, bool)> = (1..=horizon)
                        .map(|ahead| *at + Duration::weeks(ahead))
                        .filter(|week| !gap[week])
                        .map(|week| week_peak(*pair, week))
                        .collect();
                    decided += 1;
                    within += i64::from(targets.iter().all(|(peak, _)| *peak <= copies));
                    demand_within += i64::from(
                        targets.iter().all(|(peak, censored)| peak + i64::from(*censored) <= copies),
                    );
                    idle += targets.iter().map(|(peak, _)| (copies - peak).max(0)).sum::<i64>();
                    held_weeks += copies * targets.len() as i64;
                }
            }
            let score = scores
                .iter()
                .find(|score| score.method == method && i64::from(score.horizon) == horizon)
                .unwrap_or_else(|| panic!("no {method} at horizon {horizon}"));
            let context = format!("{method}, horizon {horizon}");
            assert_eq!(score.decisions, decided, "{context}");
            assert_eq!(score.idle_copy_weeks, idle, "{context}");
            assert_eq!(score.copy_weeks_held, held_weeks, "{context}");
            // the backtest rounds its shares to 4 decimals
            let close =
                |share: f64, count: i64| (share - count as f64 / decided as f64).abs() <= 0.00005 + 1e-12;
            assert!(close(score.peak_within_share, within), "{context}: {score:?}, {within} of {decided}");
            assert!(
                close(score.demand_within_share, demand_within),
                "{context}: {score:?}, {demand_within} of {decided}"
            );
        }
    }
}

/// The panel a decision at the end of a week reads, as one string (its rows in order).
async fn panel_read(rollup: &Client, week: NaiveDate, run: &str) -> String {
    query_value(
        rollup,
        &format!(
            "SELECT coalesce(string_agg(p::text, ';' ORDER BY p.film_id, p.store_id, p.week_beginning), '')
               FROM rollup.window_known_at($1, {run}) AS p"
        ),
        &[&week],
    )
    .await
}

/// Runs placed in time around the weeks of Pagila (the first as if it had finished in the last hour
/// of the week of 2022-07-25), then a rental of that week that arrives late, picked up by a second run.
/// A decision at the end of that week reads the panel the first run published, not the corrected
/// one; a decision at the end of an earlier week, which ended before any run, reads the current
/// tables, the only record of it.
#[tokio::test]
async fn a_decision_reads_the_panel_published_at_its_time_not_a_later_correction() {
    let scenario = Scenario::new("recommend_known_at", Source::PagilaV3).await;
    let rollup = scenario.rollup().await;
    let source = scenario.source().await;
    scenario.run(&[]);
    let decided_at = date("2022-07-25");
    let first_run: i64 = query_value(&rollup, "SELECT max(run_id) FROM rollup.etl_run", &[]).await;
    rollup
        .execute(
            "UPDATE rollup.etl_run AS r
                SET finished_at = rollup.local_midnight($1::date + 7, b.time_zone) - interval '1 hour',
                    started_at = rollup.local_midnight($1::date + 7, b.time_zone) - interval '61 minutes'
               FROM rollup.build_settings AS b
              WHERE r.run_id = $2",
            &[&decided_at, &first_run],
        )
        .await
        .unwrap();
    let published = panel_read(&rollup, decided_at, "NULL").await;
    assert!(!published.is_empty(), "the decision reads the weeks up to {decided_at}");

    // a rental of that week's Wednesday, for the first copy of film 1 in store 1, never returned
    let inventory_id = copies_of(&source, 1, 1).await[0];
    rent(&source, inventory_id, "2022-07-27 12:00:00+00", None).await;
    scenario.run(&[]);
    let second_run: i64 = query_value(&rollup, "SELECT max(run_id) FROM rollup.etl_run", &[]).await;
    assert!(second_run > first_run);

    // which run a reader could see at the end of each week
    let known = |week: &'static str| {
        let rollup = &rollup;
        async move { query_value::<Option<i64>>(rollup, "SELECT rollup.run_known_at($1)", &[&date(week)]).await }
    };
    assert_eq!(
        known("2022-07-25").await,
        Some(first_run),
        "the first run finished in the last hour of 2022-07-25's week"
    );
    assert_eq!(known("2022-08-29").await, Some(first_run), "and was the latest until the second");
    assert_eq!(known("2022-07-18").await, None, "no run had finished by the end of 2022-07-18's week");

    // the decision at the end of 2022-07-25 reads what the first run published
    let at_the_time = panel_read(&rollup, decided_at, "rollup.run_known_at($1)").await;
    assert!(at_the_time == published, "the panel read at the end of {decided_at} is the one published then");
    // the current tables show the late rental: one more copy out at the week's peak
    let now = panel_read(&rollup, decided_at, "NULL").await;
    assert!(now != published, "the late rental changes the current panel");
    let peak = |run: &'static str| {
        let rollup = &rollup;
        async move {
            query_value::<i64>(
                rollup,
                &format!(
                    "SELECT peak_outstanding FROM rollup.panel_known_at($1, {run})
                      WHERE film_id = 1 AND store_id = 1 AND week_beginning = $1"
                ),
                &[&decided_at],
            )
            .await
        }
    };
    assert_eq!(peak("NULL").await, peak("rollup.run_known_at($1)").await + 1);

    // a week that ended before any run: the current tables are the only record of it
    let earlier = date("2022-07-18");
    assert!(
        panel_read(&rollup, earlier, "rollup.run_known_at($1)").await
            == panel_read(&rollup, earlier, "NULL").await
    );

    // the backtest runs with decisions read from both
    let backtest = scenario.rollup_command(&["backtest", "--weeks", "8"]);
    assert!(backtest.status.success(), "rollup backtest: {}", stderr(&backtest));
}
