//! The history of what runs published (migrations/V13) and the forecast features of the panel:
//! a late correction leaves the panel as it was published, byte for byte, while the current one
//! shows the correction; every feature recomputed by brute force from earlier weeks only; the
//! copies a store held as the runs saw them.
mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use common::{Scenario, Source, assert_clear_failure, assert_same_film_weeks, query_value};

fn temporary_file(scenario: &Scenario, name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{}_{name}.csv", scenario.name))
}

/// `rollup export ARGS -o FILE`, which must succeed; the file's bytes.
fn export(scenario: &Scenario, args: &[&str], file: &std::path::Path) -> Vec<u8> {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", file.to_str().unwrap()]);
    let output = scenario.rollup_command(&all);
    assert!(output.status.success(), "rollup {all:?}: {}", common::stderr(&output));
    let bytes = std::fs::read(file).unwrap();
    std::fs::remove_file(file).unwrap();
    bytes
}

fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(bytes).lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn a_late_correction_leaves_the_published_panel_as_it_was() {
    let scenario = Scenario::new("history_late", Source::PagilaV3).await;
    let rollup = scenario.rollup().await;
    scenario.run(&[]);
    let features = temporary_file(&scenario, "features");
    let published_features = export(&scenario, &["film_weekly_features"], &features);
    let published_film_weekly = export(&scenario, &["film_weekly"], &features);
    let first_run: i64 = query_value(&rollup, "SELECT max(run_id) FROM rollup.etl_run", &[]).await;
    let known_at: String = query_value(&rollup, "SELECT clock_timestamp()::text", &[]).await;
    let before_any_run: String =
        query_value(&rollup, "SELECT (min(started_at) - interval '1 second')::text FROM rollup.etl_run", &[])
            .await;

    // a correction of an old week: the first return Pagila has (May 2022) moved 9 days later, by
    // the source's administrator (the trigger stamps last_update, so the next run pulls it)
    let source = scenario.source().await;
    let corrected: i32 = query_value(
        &source,
        "UPDATE rental SET return_date = return_date + interval '9 days'
          WHERE rental_id = (SELECT rental_id FROM rental WHERE return_date IS NOT NULL
                              ORDER BY return_date, rental_id LIMIT 1)
         RETURNING rental_id",
        &[],
    )
    .await;
    scenario.run(&[]);
    let last = scenario.last_run().await;
    assert_eq!(last.mode, "incremental");
    assert!(
        last.film_weeks_written.unwrap_or(0) > 0,
        "rental {corrected}: the correction rewrote film weeks"
    );

    // the current panel shows the correction, as the brute force says
    assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "after the correction",
    );
    let current_features = export(&scenario, &["film_weekly_features"], &features);
    assert_ne!(current_features, published_features, "the correction changes the current panel");

    // as of the time before the correction, and as of that run: byte for byte what was exported
    for as_of in [known_at.as_str(), &first_run.to_string()] {
        assert!(
            export(&scenario, &["film_weekly_features", "--as-of", as_of], &features) == published_features,
            "film_weekly_features --as-of {as_of} differs from the export made then"
        );
        assert_eq!(
            sorted_lines(&export(&scenario, &["film_weekly", "--as-of", as_of], &features)),
            sorted_lines(&published_film_weekly),
            "film_weekly --as-of {as_of}"
        );
    }
    // as of now: the current panel
    let now: String = query_value(&rollup, "SELECT clock_timestamp()::text", &[]).await;
    assert!(export(&scenario, &["film_weekly_features", "--as-of", &now], &features) == current_features);

    // the functions say the same; nothing is known before the first run
    let empty: i64 = query_value(
        &rollup,
        "SELECT count(*) FROM rollup.film_weekly_features_as_of($1::text::timestamptz)",
        &[&before_any_run],
    )
    .await;
    assert_eq!(empty, 0, "nothing was published before the first run");

    // bad --as-of values: one clear error each
    for (args, expected) in [
        (vec!["film_weekly_features", "--as-of", "yesterday-ish"], "is neither a run id"),
        (vec!["film_weekly_features", "--as-of", before_any_run.as_str()], "nothing was published by then"),
        (vec!["film_weekly_features", "--as-of", "999"], "there is no run 999"),
        (
            vec!["weekly_rentals", "--as-of", "1"],
            "--as-of applies to film_weekly and film_weekly_features only",
        ),
    ] {
        let mut all = vec!["export"];
        all.extend_from_slice(&args);
        assert_clear_failure(&scenario.rollup_command(&all), expected);
    }
}

/// One row of the panel's new columns (means and the hours scaled to integers by the query).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Features {
    copies_held_then: i32,
    stocked_out: bool,
    shop_recorded_nothing: bool,
    week_of_year: i32,
    weeks_since_first_rented: i32,
    category_rented_previous_week: i64,
    store_rented_previous_week: i64,
    /// (window, mean of rented x 1000, max rented, mean of peak x 1000, max peak)
    windows: Vec<(usize, i64, i64, i64, i64)>,
}

const WINDOWS: [usize; 4] = [4, 8, 13, 52];

async fn panel_features(rollup: &tokio_postgres::Client) -> BTreeMap<(i32, i32, NaiveDate), Features> {
    let rows = rollup
        .query(
            "SELECT film_id, store_id, week_beginning, copies_held_then, stocked_out, shop_recorded_nothing,
                    week_of_year, weeks_since_first_rented, category_rented_previous_week, store_rented_previous_week,
                    (rented_mean_previous_4_weeks * 1000)::bigint AS rented_mean_4, rented_max_previous_4_weeks AS rented_max_4,
                    (peak_mean_previous_4_weeks * 1000)::bigint AS peak_mean_4, peak_previous_4_weeks AS peak_max_4,
                    (rented_mean_previous_8_weeks * 1000)::bigint AS rented_mean_8, rented_max_previous_8_weeks AS rented_max_8,
                    (peak_mean_previous_8_weeks * 1000)::bigint AS peak_mean_8, peak_max_previous_8_weeks AS peak_max_8,
                    (rented_mean_previous_13_weeks * 1000)::bigint AS rented_mean_13, rented_max_previous_13_weeks AS rented_max_13,
                    (peak_mean_previous_13_weeks * 1000)::bigint AS peak_mean_13, peak_max_previous_13_weeks AS peak_max_13,
                    (rented_mean_previous_52_weeks * 1000)::bigint AS rented_mean_52, rented_max_previous_52_weeks AS rented_max_52,
                    (peak_mean_previous_52_weeks * 1000)::bigint AS peak_mean_52, peak_max_previous_52_weeks AS peak_max_52
               FROM rollup.film_weekly_features",
            &[],
        )
        .await
        .unwrap();
    let what = "rollup.film_weekly_features";
    let get = |row: &tokio_postgres::Row, name: &str| -> i64 { common::rows::column(row, what, name) };
    rows.iter()
        .map(|row| {
            let key = (
                common::rows::column(row, what, "film_id"),
                common::rows::column(row, what, "store_id"),
                common::rows::column(row, what, "week_beginning"),
            );
            let features = Features {
                copies_held_then: common::rows::column(row, what, "copies_held_then"),
                stocked_out: common::rows::column(row, what, "stocked_out"),
                shop_recorded_nothing: common::rows::column(row, what, "shop_recorded_nothing"),
                week_of_year: common::rows::column(row, what, "week_of_year"),
                weeks_since_first_rented: common::rows::column(row, what, "weeks_since_first_rented"),
                category_rented_previous_week: get(row, "category_rented_previous_week"),
                store_rented_previous_week: get(row, "store_rented_previous_week"),
                windows: WINDOWS
                    .iter()
                    .map(|n| {
                        (
                            *n,
                            get(row, &format!("rented_mean_{n}")),
                            get(row, &format!("rented_max_{n}")),
                            get(row, &format!("peak_mean_{n}")),
                            get(row, &format!("peak_max_{n}")),
                        )
                    })
                    .collect(),
            };
            (key, features)
        })
        .collect()
}

/// `sum / count` rounded half away from zero to 3 decimals, times 1000 (PostgreSQL's round of a
/// non-negative numeric); 0 for no weeks.
fn mean_times_1000(sum: i64, count: i64) -> i64 {
    if count == 0 {
        return 0;
    }
    let scaled = sum * 1000;
    let (quotient, remainder) = (scaled / count, scaled % count);
    if 2 * remainder >= count { quotient + 1 } else { quotient }
}

#[tokio::test]
async fn every_feature_is_computed_from_earlier_weeks_only() {
    let scenario = Scenario::new("history_features", Source::PagilaV3).await;
    scenario.run(&[]);
    // a late rental in an old week too, so the panel is not only what a full build wrote
    let source = scenario.source().await;
    source
        .batch_execute(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             VALUES ('2022-06-08 10:00+00', 1, 1, '2022-06-20 10:00+00', 1)",
        )
        .await
        .unwrap();
    scenario.run(&[]);
    let rollup = scenario.rollup().await;
    let panel = panel_features(&rollup).await;
    assert!(!panel.is_empty());

    // the independent inputs: the shop's weeks from raw rentals (the oracle), the film weeks from
    // the brute force, films' categories and copies from the source
    let weeks = scenario.expected_weeks(Tz::UTC, None).await;
    let spine: Vec<NaiveDate> = weeks.iter().map(|week| week.week_beginning).collect();
    let silent: Vec<NaiveDate> = weeks
        .iter()
        .filter(|week| week.rented_rentals == 0 && week.returned_rentals == 0)
        .map(|week| week.week_beginning)
        .collect();
    assert_eq!(silent.len(), 13, "Pagila v3 has 13 weeks in which the shop recorded nothing: {silent:?}");
    assert!(
        silent.iter().all(|week| *week > common::date("2022-02-01") && *week < common::date("2022-06-01"))
    );
    let film_weeks = scenario.expected_film_weeks(Tz::UTC, None).await;
    let mut demand: HashMap<(i32, i32, NaiveDate), (i64, i64, bool)> = HashMap::new();
    let mut first_rented: HashMap<i32, NaiveDate> = HashMap::new();
    for row in &film_weeks {
        demand.insert(
            (row.film_id, row.store_id, row.week_beginning),
            (row.rented_rentals, row.peak_outstanding, row.hours_all_copies_out > 0.0),
        );
        if row.rented_rentals > 0 {
            let first = first_rented.entry(row.film_id).or_insert(row.week_beginning);
            *first = (*first).min(row.week_beginning);
        }
    }
    let category: HashMap<i32, Option<String>> = source
        .query(
            "SELECT f.film_id, (SELECT min(c.name) FROM film_category AS fc JOIN category AS c USING (category_id)
                                 WHERE fc.film_id = f.film_id) AS category
               FROM film AS f",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get("film_id"), row.get("category")))
        .collect();
    let copies: HashMap<(i32, i32), i64> = source
        .query("SELECT film_id, store_id, count(*) AS copies FROM inventory GROUP BY film_id, store_id", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| ((row.get("film_id"), row.get("store_id")), row.get("copies")))
        .collect();
    let mut store_week: HashMap<(i32, NaiveDate), i64> = HashMap::new();
    let mut category_week: HashMap<(i32, Option<String>, NaiveDate), i64> = HashMap::new();
    for row in &film_weeks {
        *store_week.entry((row.store_id, row.week_beginning)).or_default() += row.rented_rentals;
        let film_category = category.get(&row.film_id).cloned().flatten();
        *category_week.entry((row.store_id, film_category, row.week_beginning)).or_default() +=
            row.rented_rentals;
    }

    let mut expected_rows = 0;
    for (&(film_id, store_id), &held) in &copies {
        for (index, &week) in spine.iter().enumerate() {
            expected_rows += 1;
            let at =
                |week: NaiveDate| demand.get(&(film_id, store_id, week)).copied().unwrap_or((0, 0, false));
            let previous = week - Duration::weeks(1);
            let film_category = category.get(&film_id).cloned().flatten();
            let windows = WINDOWS
                .iter()
                .map(|&n| {
                    let earlier: Vec<(i64, i64, bool)> =
                        spine[index.saturating_sub(n)..index].iter().map(|week| at(*week)).collect();
                    let count = earlier.len() as i64;
                    (
                        n,
                        mean_times_1000(earlier.iter().map(|e| e.0).sum(), count),
                        earlier.iter().map(|e| e.0).max().unwrap_or(0),
                        mean_times_1000(earlier.iter().map(|e| e.1).sum(), count),
                        earlier.iter().map(|e| e.1).max().unwrap_or(0),
                    )
                })
                .collect();
            let expected = Features {
                // every week of Pagila began before the rollup's first run: today's count
                copies_held_then: held as i32,
                stocked_out: at(week).2,
                shop_recorded_nothing: silent.contains(&week),
                week_of_year: week.iso_week().week() as i32,
                weeks_since_first_rented: first_rented
                    .get(&film_id)
                    .filter(|first| **first < week)
                    .map_or(0, |first| ((week - *first).num_days() / 7) as i32),
                category_rented_previous_week: category_week
                    .get(&(store_id, film_category, previous))
                    .copied()
                    .unwrap_or(0),
                store_rented_previous_week: store_week.get(&(store_id, previous)).copied().unwrap_or(0),
                windows,
            };
            let actual = panel.get(&(film_id, store_id, week));
            assert_eq!(actual, Some(&expected), "film {film_id}, store {store_id}, week {week}");
        }
    }
    assert_eq!(panel.len(), expected_rows, "one row per held (film, store) and spine week");
}

#[tokio::test]
async fn copies_held_then_follow_what_each_run_saw() {
    let scenario = Scenario::new("history_copies", Source::PagilaV3).await;
    let source = scenario.source().await;
    // a rental three weeks ahead, so the spine reaches weeks that begin after the runs
    source
        .batch_execute(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             VALUES (now() + interval '21 days', 1, 1, NULL, 1)",
        )
        .await
        .unwrap();
    scenario.run(&[]);
    let rollup = scenario.rollup().await;
    // as if the first run had finished five weeks ago
    rollup
        .batch_execute(
            "UPDATE rollup.etl_run SET started_at = started_at - interval '35 days',
                                       finished_at = finished_at - interval '35 days'",
        )
        .await
        .unwrap();
    let first_finished: chrono::DateTime<chrono::Utc> =
        query_value(&rollup, "SELECT finished_at FROM rollup.etl_run", &[]).await;
    let before: i64 =
        query_value(&source, "SELECT count(*) FROM inventory WHERE film_id = 1 AND store_id = 1", &[]).await;
    source.batch_execute("INSERT INTO inventory (film_id, store_id) VALUES (1, 1), (1, 1)").await.unwrap();
    scenario.run(&[]);
    let second_finished: chrono::DateTime<chrono::Utc> =
        query_value(&rollup, "SELECT max(finished_at) FROM rollup.etl_run", &[]).await;
    let rows = rollup
        .query(
            "SELECT week_beginning, copies, copies_held_then FROM rollup.film_weekly_features
              WHERE film_id = 1 AND store_id = 1 ORDER BY week_beginning",
            &[],
        )
        .await
        .unwrap();
    let mut between = 0;
    for row in &rows {
        let week: NaiveDate = row.get("week_beginning");
        let begins = week.and_hms_opt(0, 0, 0).unwrap().and_utc();
        // the last run finished when the week began saw the count; before any, the published one
        let expected = if begins >= first_finished && begins < second_finished { before } else { before + 2 };
        if expected == before {
            between += 1;
        }
        assert_eq!(row.get::<_, i32>("copies"), (before + 2) as i32, "week {week}");
        assert_eq!(i64::from(row.get::<_, i32>("copies_held_then")), expected, "week {week}");
    }
    assert!(between >= 4, "weeks begun between the two runs: {between}");
}
