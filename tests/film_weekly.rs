//! rollup.film_weekly, rollup.data_issue and the feature panel against brute force on Pagila,
//! and kept right by incremental runs when copies move, appear and disappear.
mod common;

use chrono_tz::Tz;
use common::{Scenario, Source, assert_same_film_weeks, oracle, query_value};

#[tokio::test]
async fn pagila_film_weeks_match_the_brute_force_and_add_up_to_the_shop() {
    let scenario = Scenario::new("film_v3", Source::PagilaV3).await;
    for zone in ["UTC", "Europe/Berlin"] {
        scenario.run(&["--timezone", zone]);
        let time_zone: Tz = zone.parse().unwrap();
        let film_weeks = scenario.film_weeks().await;
        assert_same_film_weeks(&film_weeks, &scenario.expected_film_weeks(time_zone, None).await, zone);
        scenario.verify_passes();

        // every week's film rows add up to the shop-wide row
        let differing: i64 = scenario
            .rollup()
            .await
            .query_one(
                "SELECT count(*) FROM rollup.weekly_rentals AS w
                   LEFT JOIN (SELECT week_beginning, sum(rented_rentals) AS rented, sum(returned_rentals) AS returned,
                                     sum(outstanding_rentals) AS outstanding
                                FROM rollup.film_weekly GROUP BY week_beginning) AS f USING (week_beginning)
                  WHERE (w.rented_rentals, w.returned_rentals, w.outstanding_rentals)
                        IS DISTINCT FROM (f.rented, f.returned, f.outstanding)",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(differing, 0, "{zone}: weeks whose film rows do not add up");
    }
    let rollup = scenario.rollup().await;
    let count = |sql: &'static str| {
        let rollup = &rollup;
        async move { rollup.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    eprintln!(
        "Pagila v3.1.0: rollup.film_weekly {} rows, rollup.film_weekly_features {} rows",
        count("SELECT count(*) FROM rollup.film_weekly").await,
        count("SELECT count(*) FROM rollup.film_weekly_features").await
    );
    // The findings, counted on the source by their definition (in Pagila v3.1.0: the 182 rentals
    // of 2022-02-14 never returned, whose copies were rented again); no finding of another kind.
    let overlapping = oracle::copies_rented_while_out(&scenario.source().await).await;
    assert!(overlapping > 0, "Pagila has copies rented while out");
    assert_eq!(
        count("SELECT count(*) FROM rollup.data_issue WHERE kind = 'copy_rented_while_out'").await,
        overlapping
    );
    assert_eq!(count("SELECT count(*) FROM rollup.data_issue").await, overlapping);
    // The panel is dense: every (film, store) with copies x every week of the spine.
    assert_eq!(
        count("SELECT count(*) FROM rollup.film_weekly_features").await,
        count(
            "SELECT (SELECT count(DISTINCT (film_id, store_id)) FROM rollup.inventory_shadow)
                  * (SELECT count(*) FROM rollup.weekly_rentals)"
        )
        .await
    );
}

#[tokio::test]
async fn moved_added_and_removed_copies_are_followed_by_incremental_runs() {
    let scenario = Scenario::new("film_copies", Source::PagilaV3).await;
    let full_url = scenario.extra_database("full").await;
    scenario.run(&[]);
    let source = scenario.source().await;
    let before = oracle::copies_rented_while_out(&source).await;
    for (what, sql) in [
        ("a copy moved to the other store", "UPDATE inventory SET store_id = 3 - store_id WHERE inventory_id = 1"),
        ("a copy added", "INSERT INTO inventory (film_id, store_id) VALUES (1, 1)"),
        (
            "a copy removed (one never rented)",
            "DELETE FROM inventory WHERE inventory_id = (SELECT max(inventory_id) FROM inventory)",
        ),
        ("a rental moved to another film's copy", "UPDATE rental SET inventory_id = 4000 WHERE rental_id = 500"),
        (
            "a copy of a film rented again while open (a new data issue)",
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             SELECT rental_date + interval '1 hour', inventory_id, 7, NULL, 1 FROM rental WHERE rental_id = 600",
        ),
    ] {
        source.batch_execute(sql).await.unwrap();
        scenario.run(&[]);
        let run = scenario.last_run().await;
        assert_eq!(run.mode, "incremental", "{what}");
        let full = scenario.rollup_command_with_env(&["run", "--full"], &[("ROLLUP_URL", &full_url)]);
        assert!(full.status.success(), "{}", common::stderr(&full));
        let incremental = scenario.film_weeks().await;
        assert_same_film_weeks(&incremental, &common::film_weeks_in(&common::connect(&full_url).await).await, what);
        assert_same_film_weeks(&incremental, &scenario.expected_film_weeks(Tz::UTC, None).await, what);
        scenario.verify_passes();
    }
    // Findings: the same as a full rebuild's, and the same as an independent count on the source
    // (a rental for which some later rental of its copy began while it was out).
    let findings =
        "SELECT string_agg(rental_id || ':' || kind, ',' ORDER BY rental_id, kind) FROM rollup.data_issue";
    let incremental: String = scenario.rollup().await.query_one(findings, &[]).await.unwrap().get(0);
    let rebuilt: String = common::connect(&full_url).await.query_one(findings, &[]).await.unwrap().get(0);
    assert_eq!(incremental, rebuilt);
    let overlapping = oracle::copies_rented_while_out(&source).await;
    assert_eq!(incremental.matches("copy_rented_while_out").count() as i64, overlapping);
    assert!(overlapping > before, "the inserted overlapping rental must be found");
}

#[tokio::test]
async fn a_no_op_run_writes_no_film_week() {
    let scenario = Scenario::new("film_noop", Source::PagilaV3).await;
    scenario.run(&[]);
    scenario.run(&[]);
    let row = scenario
        .rollup()
        .await
        .query_one(
            "SELECT film_stores_recomputed, film_weeks_recomputed, film_weeks_written, copies_changed
               FROM rollup.etl_run ORDER BY run_id DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let column = |name| -> i32 { common::column(&row, "rollup.etl_run", name) };
    let counts = (
        column("film_stores_recomputed"),
        column("film_weeks_recomputed"),
        column("film_weeks_written"),
        column("copies_changed"),
    );
    assert_eq!(counts, (0, 0, 0, 0));
}

#[tokio::test]
async fn export_writes_the_feature_panel_as_csv_with_a_header() {
    let scenario = Scenario::new("film_export", Source::PagilaV3).await;
    scenario.run(&[]);
    let path = std::env::temp_dir().join(format!("{}.csv", scenario.name));
    let output = scenario.rollup_command(&["export", "film_weekly_features", "-o", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let csv = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "film_id,store_id,week_beginning,title,category,rental_rate,rental_duration,copies,rented_rentals,\
         returned_rentals,outstanding_rentals,peak_outstanding,utilisation,hours_all_copies_out,\
         rented_previous_week,rented_previous_4_weeks,peak_previous_4_weeks,hours_all_copies_out_previous_4_weeks,\
         copies_held_then,stocked_out,shop_recorded_nothing,week_of_year,weeks_since_first_rented,\
         category_rented_previous_week,store_rented_previous_week,\
         rented_mean_previous_4_weeks,rented_max_previous_4_weeks,rented_mean_previous_8_weeks,rented_max_previous_8_weeks,\
         rented_mean_previous_13_weeks,rented_max_previous_13_weeks,rented_mean_previous_52_weeks,rented_max_previous_52_weeks,\
         peak_mean_previous_4_weeks,peak_mean_previous_8_weeks,peak_max_previous_8_weeks,\
         peak_mean_previous_13_weeks,peak_max_previous_13_weeks,peak_mean_previous_52_weeks,peak_max_previous_52_weeks"
    );
    // The first row: film 1 in store 1 in the first week, its film columns as the source has them.
    let source = scenario.source().await;
    let film_1: String = query_value(
        &source,
        "SELECT concat_ws(',', f.title, c.name, f.rental_rate,  f.rental_duration,
                          (SELECT count(*) FROM inventory WHERE film_id = 1 AND store_id = 1)) AS film_1
           FROM film AS f JOIN film_category USING (film_id) JOIN category AS c USING (category_id)
          WHERE f.film_id = 1",
        &[],
    )
    .await;
    let weeks = scenario.expected_weeks(Tz::UTC, None).await;
    let first_week = weeks.first().unwrap().week_beginning;
    let first = lines.next().unwrap();
    assert!(first.starts_with(&format!("1,1,{first_week},{film_1},")), "{first}");
    // The panel is dense: every (film, store) with copies, every week of the spine.
    let film_stores: i64 =
        query_value(&source, "SELECT count(DISTINCT (film_id, store_id)) FROM inventory", &[]).await;
    assert_eq!(1 + lines.count() as i64, film_stores * weeks.len() as i64);

    // to stdout, and a name that is no table or view of the rollup
    let output = scenario.rollup_command(&["export", "weekly_report"]);
    let text = common::stdout(&output);
    let week = weeks.first().unwrap();
    let head = format!(
        "WeekBeginning,OutstandingRentals,ReturnedRentals\n{},{},{}\n",
        week.week_beginning, week.outstanding_rentals, week.returned_rentals
    );
    assert!(text.starts_with(&head), "{head:?} at the start of:\n{text}");
    let output = scenario.rollup_command(&["export", "pg_shadow"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr(&output).contains("no table or view rollup.pg_shadow"),
        "{}",
        common::stderr(&output)
    );
}

/// Two corrections months apart on one copy recompute only the weeks that hold their old and new
/// return, not the months between nor the weeks after, and still give the numbers of the
/// brute-force oracle.
#[tokio::test]
async fn changes_far_apart_recompute_only_their_own_weeks() {
    let scenario = Scenario::new("film_ranges", Source::PagilaV3).await;
    scenario.run(&[]);
    // The first and the last rental of a copy rented from before June to after August, returned an
    // hour earlier; the weeks of their return before and after the correction, as the counting
    // rule defines them (Monday 00:00 UTC).
    let weeks: Vec<chrono::NaiveDate> = scenario
        .source()
        .await
        .query(
            "WITH copy AS (SELECT inventory_id FROM rental
                            GROUP BY inventory_id
                           HAVING min(rental_date) < '2022-06-01' AND max(rental_date) > '2022-08-01'
                              AND count(return_date) = count(*)
                           ORDER BY inventory_id LIMIT 1),
                  ends AS ((SELECT rental_id FROM rental WHERE inventory_id = (SELECT inventory_id FROM copy)
                             ORDER BY rental_date LIMIT 1)
                           UNION ALL
                           (SELECT rental_id FROM rental WHERE inventory_id = (SELECT inventory_id FROM copy)
                             ORDER BY rental_date DESC LIMIT 1)),
                  moved AS (UPDATE rental SET return_date = return_date - interval '1 hour'
                             WHERE rental_id IN (SELECT rental_id FROM ends)
                            RETURNING return_date)
             SELECT DISTINCT date_bin('7 days', at AT TIME ZONE 'UTC', '1970-01-05')::date
               FROM moved, LATERAL (VALUES (return_date), (return_date + interval '1 hour')) AS t (at)",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(weeks.len() >= 2 && weeks.len() <= 4, "two corrections, one or two weeks each: {weeks:?}");
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(run.film_stores_recomputed, Some(1), "one film and store: {run:?}");
    assert_eq!(
        run.film_weeks_recomputed,
        Some(weeks.len() as i32),
        "only the weeks of the returns: {weeks:?}"
    );
    assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "corrected",
    );
    scenario.verify_passes();
}
