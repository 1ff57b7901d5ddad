//! Incremental runs must be indistinguishable from full rebuilds: after any sequence of source
//! changes and runs, the incrementally maintained table equals a `--full` rebuild in another
//! database, the brute-force oracle, and `rollup verify`; and a run touches only what changed.
mod common;

use std::time::Duration;

use chrono_tz::Tz;
use common::{
    Scenario, Source, assert_clear_failure, assert_same_film_weeks, assert_same_weeks,
    assert_shadow_equals_source, film_weeks_in, last_run_in, query_value, stderr, weeks_in,
};
use tokio_postgres::Client;

/// splitmix64: a seeded generator small enough to read, so a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> i64 {
        (self.next() % bound) as i64
    }
}

/// A random rental_id among those the source holds (with `condition`), if any.
async fn pick_rental(source: &Client, rng: &mut Rng, condition: &str) -> Option<i32> {
    let count: i64 =
        query_value(source, &format!("SELECT count(*) FROM rental WHERE {condition}"), &[]).await;
    if count == 0 {
        return None;
    }
    let offset = rng.below(count as u64);
    let sql = format!("SELECT rental_id FROM rental WHERE {condition} ORDER BY rental_id OFFSET $1 LIMIT 1");
    Some(query_value(source, &sql, &[&offset]).await)
}

/// Applies one random change of the kinds an OLTP source sees and describes it.
/// `writer` applies it; `source` looks up rentals to change (they differ when the change is made
/// in a transaction left open across a run).
async fn random_change(source: &Client, writer: &Client, rng: &mut Rng) -> String {
    let minutes = rng.below(60 * 24 * 7);
    let inventory_id = 1 + rng.below(4500) as i32;
    let customer_id = 1 + rng.below(599) as i32;
    let returned_after = match rng.below(3) {
        0 => None,
        _ => Some(format!("{} minutes", rng.below(60 * 24 * 12))),
    };
    let insert = |when: String| {
        format!(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             SELECT d, {inventory_id}, {customer_id}, d + {returned}, 1 FROM (SELECT {when} AS d) AS t",
            returned =
                returned_after.as_ref().map_or("NULL".to_owned(), |after| format!("interval '{after}'")),
        )
    };
    let sql = match rng.below(11) {
        // inserts in new weeks after the last one, in old weeks, and in the gap Pagila v3 has
        // between February and May 2022
        0 => insert(format!(
            "(SELECT max(rental_date) FROM rental) + interval '{} minutes'",
            rng.below(60 * 24 * 70)
        )),
        1 => insert(format!(
            "timestamptz '2022-05-24 00:00+00' + interval '{} minutes'",
            rng.below(60 * 24 * 90)
        )),
        2 => insert(format!("timestamptz '2022-02-21 00:00+00' + interval '{minutes} minutes' * 8")),
        3 => match pick_rental(source, rng, "return_date IS NULL").await {
            Some(id) => format!(
                "UPDATE rental SET return_date = rental_date + interval '{} minutes' WHERE rental_id = {id}",
                rng.below(60 * 24 * 200)
            ),
            None => return "no open rental to return".into(),
        },
        4 => match pick_rental(source, rng, "return_date IS NOT NULL").await {
            // sometimes to before the rental: that rental is then quarantined
            Some(id) => format!(
                "UPDATE rental SET return_date = return_date + interval '{} minutes' WHERE rental_id = {id}",
                rng.below(60 * 24 * 30) - 60 * 24 * 10
            ),
            None => return "no returned rental to move".into(),
        },
        5 => match pick_rental(source, rng, "true").await {
            Some(id) => format!(
                "UPDATE rental SET rental_date = rental_date + interval '{} seconds' WHERE rental_id = {id}",
                rng.below(60 * 60 * 24 * 40) - 60 * 60 * 24 * 20
            ),
            None => return "no rental to move".into(),
        },
        6 | 7 => match pick_rental(source, rng, "true").await {
            Some(id) => format!(
                "DELETE FROM payment WHERE rental_id = {id}; DELETE FROM rental WHERE rental_id = {id}"
            ),
            None => return "no rental to delete".into(),
        },
        9 => format!(
            "INSERT INTO inventory (film_id, store_id) VALUES ({}, {})",
            1 + rng.below(1000),
            1 + rng.below(2)
        ),
        10 => "DELETE FROM inventory WHERE inventory_id = (SELECT max(inventory_id) FROM inventory AS i
                WHERE NOT EXISTS (SELECT FROM rental AS r WHERE r.inventory_id = i.inventory_id))"
            .to_owned(),
        _ => match pick_rental(source, rng, "true").await {
            // a copy moved to the other store, and a rental moved to another copy
            Some(id) => format!(
                "UPDATE inventory SET store_id = 3 - store_id WHERE inventory_id = {inventory_id};
                 UPDATE rental SET inventory_id = {inventory_id} WHERE rental_id = {id}"
            ),
            None => return "no rental to move to another copy".into(),
        },
    };
    match writer.batch_execute(&sql).await {
        Ok(()) => sql,
        // a random rental date can collide with Pagila's unique (rental_date, inventory_id,
        // customer_id): that change simply does not happen
        Err(error) => format!("{sql} -- refused by the source: {error}"),
    }
}

/// How a sequence of the random test treats the source's opt-in delete capture.
#[derive(Debug, Clone, Copy)]
enum Capture {
    /// never installed: every run checks the totals
    Absent,
    /// installed before the first run: runs read the log once one run has checked the totals
    Installed,
    /// installed, then dropped half-way: runs fall back to the totals
    Dropped,
}

#[tokio::test]
async fn random_changes_keep_incremental_runs_equal_to_full_rebuilds() {
    let seed: u64 =
        std::env::var("ROLLUP_TEST_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
    eprintln!("random_changes seed: {seed} (replay with ROLLUP_TEST_SEED={seed})");
    let mut rng = Rng(seed);

    for (sequence, capture) in [Capture::Absent, Capture::Installed, Capture::Dropped].into_iter().enumerate()
    {
        let scenario = Scenario::new(&format!("random_{sequence}"), Source::PagilaV3).await;
        let full_url = scenario.extra_database("full").await;
        let source = scenario.source().await;
        if !matches!(capture, Capture::Absent) {
            scenario.capture(&["install", "--reader", "postgres"]);
        }
        // Every run with default settings: no reconciliation forced, the default lookback.
        scenario.run(&[]);
        // what each run published, to compare with what the history gives for it at the end
        let mut published = vec![published_panels(&scenario, None).await];
        let mut history: Vec<String> = Vec::new();
        // A transaction left open across a run, committed after it read the source: the next run
        // must count what it wrote.
        let mut late: Option<Client> = None;
        for round in 0..6 {
            if round == 3 && matches!(capture, Capture::Dropped) {
                scenario.capture(&["drop"]);
                history.push("-- capture dropped".to_owned());
            }
            for _ in 0..=rng.below(4) {
                history.push(random_change(&source, &source, &mut rng).await);
            }
            if rng.below(3) == 0 {
                let writer = scenario.source().await;
                writer.batch_execute("BEGIN").await.unwrap();
                let change = random_change(&source, &writer, &mut rng).await;
                history.push(format!(
                    "-- in a transaction committed after the next run read the source:\n{change}"
                ));
                late = Some(writer);
            }
            scenario.run(&[]);
            published.push(published_panels(&scenario, None).await);
            if let Some(writer) = late.take() {
                writer.batch_execute("COMMIT").await.unwrap_or_else(|error| {
                    history.push(format!("-- that transaction did not commit: {error}"));
                });
            }
            let context = format!(
                "seed {seed}, sequence {sequence} ({capture:?}), round {round}, changes:\n{}",
                history.join("\n")
            );
            // The late transaction committed after the run read the source: compare with what
            // that run could see, a rebuild of the source as it was, unless nothing was late.
            let full = scenario.rollup_command_with_env(&["run", "--full"], &[("ROLLUP_URL", &full_url)]);
            assert!(full.status.success(), "{context}\n{}", common::stderr(&full));
            if history.last().is_some_and(|line| line.starts_with("-- in a transaction")) {
                // the rebuild came after the commit; the incremental run before it: the next
                // round's run must catch up, and is compared then
                continue;
            }
            assert_rollups_equal(&scenario, &full_url, &context).await;
        }
        // the last late transaction, if any, committed after the last run
        scenario.run(&[]);
        published.push(published_panels(&scenario, None).await);
        // each run's panels, as the history gives them now, are what that run published
        for (run, panels) in &published {
            assert_eq!(
                &published_panels(&scenario, Some(*run)).await.1,
                panels,
                "seed {seed}, sequence {sequence}: the panels as of run {run}"
            );
        }
        let full = scenario.rollup_command_with_env(&["run", "--full"], &[("ROLLUP_URL", &full_url)]);
        assert!(full.status.success(), "{}", common::stderr(&full));
        assert_rollups_equal(&scenario, &full_url, &format!("seed {seed}, sequence {sequence}, at the end"))
            .await;
        if matches!(capture, Capture::Installed) {
            assert_eq!(
                scenario.last_run().await.delete_check.as_deref(),
                Some("capture"),
                "with the capture installed, runs read its log"
            );
        }
        scenario.verify_passes();
    }
}

/// The latest run and fingerprints of the panels it published (`run` None: the current views,
/// rollup.film_weekly reading the current tables), or of the panels the history gives for `run`
/// (rollup.film_weekly_at and rollup.film_weekly_features_at).
async fn published_panels(scenario: &Scenario, run: Option<i64>) -> (i64, (Option<String>, Option<String>)) {
    let rollup = scenario.rollup().await;
    let (run, film_weekly, features) = match run {
        Some(run) => {
            (run, format!("rollup.film_weekly_at({run})"), format!("rollup.film_weekly_features_at({run})"))
        }
        None => (
            query_value(&rollup, "SELECT max(run_id) FROM rollup.etl_run WHERE status = 'succeeded'", &[])
                .await,
            "rollup.film_weekly".to_owned(),
            "rollup.film_weekly_features".to_owned(),
        ),
    };
    let film_weekly: Option<String> = query_value(
        &rollup,
        &format!(
            "SELECT md5(string_agg(format('%s %s %s %s %s %s %s %s %s %s %s', film_id, store_id, week_beginning,
                    rented_rentals, returned_rentals, outstanding_at_start, outstanding_rentals, peak_outstanding,
                    copies, hours_all_copies_out, run_id), ';' ORDER BY film_id, store_id, week_beginning))
               FROM {film_weekly}"
        ),
        &[],
    )
    .await;
    let features: Option<String> = query_value(
        &rollup,
        &format!("SELECT md5(string_agg(f::text, ';' ORDER BY film_id, store_id, week_beginning)) FROM {features} AS f"),
        &[],
    )
    .await;
    (run, (film_weekly, features))
}

/// Every table of the incrementally maintained rollup equals the `--full` rebuild at `full_url`
/// and the brute-force oracle, and the shadow equals the source.
async fn assert_rollups_equal(scenario: &Scenario, full_url: &str, context: &str) {
    let full_rollup = common::connect(full_url).await;
    let rollup = scenario.rollup().await;
    let incremental = scenario.weeks().await;
    assert_same_weeks(
        &incremental,
        &weeks_in(&full_rollup).await,
        &format!("incremental vs --full; {context}"),
    );
    assert_same_weeks(
        &incremental,
        &scenario.expected_weeks(Tz::UTC, None).await,
        &format!("incremental vs oracle; {context}"),
    );
    assert_shadow_equals_source(scenario, context).await;
    let film_weeks = scenario.film_weeks().await;
    assert_same_film_weeks(
        &film_weeks,
        &film_weeks_in(&full_rollup).await,
        &format!("film weeks vs --full; {context}"),
    );
    assert_same_film_weeks(
        &film_weeks,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        &format!("film weeks vs oracle; {context}"),
    );
    // the stored flows, the feature panel and the findings, row for row
    for (what, query) in [
        (
            "day flows",
            "SELECT string_agg(format('%s %s %s %s', day, rented_rentals, returned_rentals, peak_rise), ';' ORDER BY day) FROM rollup.day_flow",
        ),
        (
            "film week flows",
            "SELECT md5(string_agg(format('%s %s %s %s %s %s %s %s', film_id, store_id, week_beginning, rented_rentals, \
                    returned_rentals, peak_rise, lowest_level, seconds_at_or_above), ';' \
                    ORDER BY film_id, store_id, week_beginning)) FROM rollup.film_week_flow",
        ),
        (
            "feature panel",
            "SELECT md5(string_agg(f::text, ';' ORDER BY film_id, store_id, week_beginning)) FROM rollup.film_weekly_features AS f",
        ),
        (
            "data issues",
            "SELECT string_agg(rental_id || ':' || kind || ':' || detail, ',' ORDER BY rental_id, kind) FROM rollup.data_issue",
        ),
        (
            "bucket fingerprints",
            "SELECT string_agg(b::text, ';' ORDER BY bucket) FROM rollup.rental_bucket AS b",
        ),
    ] {
        let incremental: Option<String> = query_value(&rollup, query, &[]).await;
        let rebuilt: Option<String> = query_value(&full_rollup, query, &[]).await;
        assert_eq!(incremental, rebuilt, "{what} vs --full; {context}");
    }
}

#[tokio::test]
async fn runs_touch_only_what_changed() {
    let scenario = Scenario::new("touched", Source::PagilaV3).await;
    scenario.run(&[]);
    let source = scenario.source().await;
    // The last week of the spine, the oracle's (2022-08-29 in Pagila v3.1.0); every change below
    // is before it, so it stays the last.
    let last_week = scenario.expected_weeks(Tz::UTC, None).await.last().unwrap().week_beginning;
    let weeks_from = |week: &str| ((last_week - common::date(week)).num_days() / 7 + 1) as i32;

    // No change: nothing pulled, nothing recomputed, nothing written; the source's totals equal
    // the rollup's, so no bucket is compared.
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(run.mode, "incremental");
    assert_eq!((run.rows_pulled, run.rentals_changed, run.rentals_deleted), (Some(0), Some(0), Some(0)));
    assert_eq!(
        (run.days_touched, run.weeks_touched, run.weeks_recomputed, run.weeks_written()),
        (Some(0), Some(0), Some(0), Some(0))
    );
    assert_eq!((run.delete_check.as_deref(), run.buckets_compared), (Some("totals"), Some(0)));
    assert_eq!((run.film_weeks_recomputed, run.film_weeks_written), (Some(0), Some(0)));

    // One new rental, never returned, on Wednesday 2022-08-17: one row pulled, one day and one
    // week touched; the weeks from its week to the end are recomputed (the number out grows in
    // each) and all of them change. One week of one film and store is recomputed and written.
    source
        .batch_execute(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             VALUES ('2022-08-17 12:00+00', 10, 10, NULL, 1)",
        )
        .await
        .unwrap();
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!((run.rows_pulled, run.rentals_changed, run.buckets_repulled), (Some(1), Some(1), Some(0)));
    assert_eq!((run.days_touched, run.weeks_touched), (Some(1), Some(1)));
    assert_eq!(run.weeks_recomputed, Some(weeks_from("2022-08-15")));
    assert_eq!(run.weeks_updated, Some(weeks_from("2022-08-15")), "{run:?}");
    assert_eq!(
        (run.film_stores_recomputed, run.film_weeks_recomputed, run.film_weeks_written),
        (Some(1), Some(1), Some(1))
    );

    // A corrected return date of an old rental (returned Saturday 2022-05-28, corrected to
    // Wednesday 2022-06-01): its old and new return days (two weeks) are touched and every week
    // from the earlier one on is recomputed, but only those two weeks change. Its film and store:
    // the same two weeks, nothing later, however much later history the pair has.
    let returned: chrono::DateTime<chrono::Utc> =
        query_value(&source, "SELECT return_date FROM rental WHERE rental_id = 2", &[]).await;
    assert_eq!(returned.date_naive(), common::date("2022-05-28"), "Pagila's rental 2");
    source
        .batch_execute("UPDATE rental SET return_date = '2022-06-01 12:00+00' WHERE rental_id = 2")
        .await
        .unwrap();
    scenario.run(&[]);
    let run = scenario.last_run().await;
    // Two rows pulled: the corrected one, and the rental inserted above, which is still within
    // the one-hour lookback and comes again, unchanged, touching nothing.
    assert_eq!((run.rows_pulled, run.rentals_changed), (Some(2), Some(1)));
    assert_eq!((run.days_touched, run.weeks_touched), (Some(2), Some(2)));
    assert_eq!(run.weeks_recomputed, Some(weeks_from("2022-05-23")));
    assert_eq!(run.weeks_updated, Some(2), "2022-05-23 (returned, outstanding) and 2022-05-30 (returned)");
    assert_eq!(
        (run.film_stores_recomputed, run.film_weeks_recomputed, run.film_weeks_written),
        (Some(1), Some(2), Some(2))
    );

    // A delete is invisible to the cursor; the source's totals differ from the rollup's, the
    // bucket holding it (rental_id / 1000 = 0, as migrations/V9 defines rollup.rental_bucket) is
    // found and pulled whole, along with the two rows changed above, still within the lookback.
    // Every non-empty bucket is compared: their number and the pulled bucket's rows are counted
    // on the source by that definition.
    source
        .batch_execute("DELETE FROM payment WHERE rental_id = 3; DELETE FROM rental WHERE rental_id = 3")
        .await
        .unwrap();
    let bucket_rows: i64 =
        query_value(&source, "SELECT count(*) FROM rental WHERE rental_id / 1000 = 0", &[]).await;
    let buckets: i64 = query_value(&source, "SELECT count(DISTINCT rental_id / 1000) FROM rental", &[]).await;
    scenario.run(&[]);
    let run = scenario.last_run().await;
    assert_eq!(run.delete_check.as_deref(), Some("buckets"));
    assert_eq!((run.buckets_compared, run.buckets_repulled), (Some(buckets as i32), Some(1)));
    assert_eq!((run.rentals_deleted, run.rows_pulled), (Some(1), Some(bucket_rows + 2)));
    assert_same_weeks(
        &scenario.weeks().await,
        &scenario.expected_weeks(Tz::UTC, None).await,
        "after all changes",
    );
    scenario.verify_passes();
}

/// A delete is gone from every table after one plain run, and so is one made in a transaction
/// that commits after a run read the source (that run cannot see it; the next one must).
#[tokio::test]
async fn a_delete_is_gone_after_the_next_plain_run() {
    for capture in [false, true] {
        let name = if capture { "deleted_captured" } else { "deleted" };
        let scenario = Scenario::new(name, Source::PagilaV3).await;
        if capture {
            scenario.capture(&["install", "--reader", "postgres"]);
        }
        scenario.run(&[]);
        scenario.run(&[]); // with the capture: checks the totals once, so the next runs trust it
        let source = scenario.source().await;
        let rented_rentals = |weeks: &[common::Week]| weeks.iter().map(|w| w.rented_rentals).sum::<i64>();
        let before = rented_rentals(&scenario.weeks().await);

        // a rental with a finding (Pagila's 182 open rentals of 2022-02-14 all have one)
        let with_finding: i32 =
            query_value(&scenario.rollup().await, "SELECT min(rental_id) FROM rollup.data_issue", &[]).await;
        source.execute("DELETE FROM payment WHERE rental_id = $1", &[&with_finding]).await.unwrap();
        source.execute("DELETE FROM rental WHERE rental_id = $1", &[&with_finding]).await.unwrap();
        scenario.run(&[]);
        assert_gone(&scenario, with_finding, name).await;
        assert_eq!(rented_rentals(&scenario.weeks().await), before - 1);
        if capture {
            assert_eq!(scenario.last_run().await.delete_check.as_deref(), Some("capture"));
        }

        // deleted in a transaction that began before the run and commits while it runs
        let late_writer = scenario.source().await;
        let victim: i32 = query_value(&source, "SELECT max(rental_id) FROM rental", &[]).await;
        late_writer.batch_execute("BEGIN").await.unwrap();
        late_writer.execute("DELETE FROM payment WHERE rental_id = $1", &[&victim]).await.unwrap();
        late_writer.execute("DELETE FROM rental WHERE rental_id = $1", &[&victim]).await.unwrap();
        let resume = common::ResumeFile::new(name);
        let mut running = scenario.spawn(
            &["run"],
            &[("ROLLUP_FAILPOINT", "02_pulled_rental:pause"), ("ROLLUP_FAILPOINT_RESUME", resume.path())],
        );
        running.wait_for("failpoint: pausing", Duration::from_secs(60));
        late_writer.batch_execute("COMMIT").await.unwrap();
        resume.resume();
        let (code, log) = running.finish(Duration::from_secs(60));
        assert_eq!(code, Some(0), "{log}");
        scenario.run(&[]);
        assert_gone(&scenario, victim, &format!("{name}, committed late")).await;
        scenario.verify_passes();
    }
}

/// `rental_id` is nowhere in the rollup, and every table equals the oracle.
async fn assert_gone(scenario: &Scenario, rental_id: i32, context: &str) {
    let rollup = scenario.rollup().await;
    let left: i64 = query_value(
        &rollup,
        "SELECT (SELECT count(*) FROM rollup.rental_shadow WHERE rental_id = $1)
              + (SELECT count(*) FROM rollup.data_issue WHERE rental_id = $1)",
        &[&rental_id],
    )
    .await;
    assert_eq!(left, 0, "{context}: rental {rental_id} still in the shadow or the findings");
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, context);
    assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        context,
    );
}

/// Starts a transaction on the source that inserts a rental in the last week, runs `rollup run
/// ARGS` while it is uncommitted, then commits it: the run read the source before the commit,
/// but the row carries the transaction's start time, earlier than the run. Returns the last
/// week's rented count from before the insert.
async fn commit_a_rental_late(scenario: &Scenario, args: &[&str]) -> i64 {
    let rented_before = scenario.weeks().await.last().unwrap().rented_rentals;
    let late_writer = scenario.source().await;
    late_writer.batch_execute("BEGIN").await.unwrap();
    late_writer
        .batch_execute(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             VALUES ('2022-08-30 12:00+00', 11, 11, NULL, 1)",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    scenario.run(args); // reads the source while the insert is uncommitted
    late_writer.batch_execute("COMMIT").await.unwrap();
    assert_eq!(
        scenario.weeks().await.last().unwrap().rented_rentals,
        rented_before,
        "not yet visible to the run that read before the commit"
    );
    rented_before
}

/// A transaction that began before a run read the source and committed after it stamps its rows
/// with its own start time, earlier than that run. The next run must still count them.
#[tokio::test]
async fn a_rental_committed_after_a_run_read_the_source_is_counted_by_the_next_run() {
    for (name, args) in [
        // caught by the cursor's lookback (the default)
        ("late_lookback", &[][..]),
        // lookback 0: the cursor misses it, the source's totals (one rental more) catch it
        ("late_totals", &["--lookback", "0"][..]),
    ] {
        let scenario = Scenario::new(name, Source::PagilaV3).await;
        scenario.run(args);
        let rented_before = commit_a_rental_late(&scenario, args).await;
        scenario.run(args);
        let weeks = scenario.weeks().await;
        assert_eq!(
            weeks.last().unwrap().rented_rentals,
            rented_before + 1,
            "{name}: the late rental must be counted"
        );
        assert_same_weeks(&weeks, &scenario.expected_weeks(Tz::UTC, None).await, name);
        scenario.verify_passes();
    }
}

/// What no cursor and no count can see: a row changed in place without a new last_update (the
/// trigger bypassed, here with session_replication_role = replica, as a replication tool or a
/// bulk fix does), or changed by a transaction older than the lookback. The documented limit: the
/// full fingerprint comparison catches it, by default once a day (--reconcile-every), and
/// `rollup verify` shows it meanwhile. Deletes and inserts are not in this class: every run finds
/// them (a_delete_is_gone_after_the_next_plain_run).
#[tokio::test]
async fn an_update_that_keeps_last_update_waits_for_the_full_comparison() {
    let scenario = Scenario::new("bypassed", Source::PagilaV3).await;
    scenario.run(&[]);
    let source = scenario.source().await;

    // the trigger bypassed: rental 1 returned a week later, last_update as it was
    source
        .batch_execute(
            "SET session_replication_role = replica;
             UPDATE rental SET return_date = return_date + interval '7 days' WHERE rental_id = 1;
             RESET session_replication_role",
        )
        .await
        .unwrap();
    // and a correction committed late, with a lookback of 0 (rental 5 returned two weeks later;
    // the two moves do not cancel out in any week)
    let late_writer = scenario.source().await;
    late_writer.batch_execute("BEGIN").await.unwrap();
    late_writer
        .batch_execute("UPDATE rental SET return_date = return_date + interval '14 days' WHERE rental_id = 5")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    scenario.run(&["--lookback", "0"]);
    late_writer.batch_execute("COMMIT").await.unwrap();

    scenario.run(&["--lookback", "0"]);
    let run = scenario.last_run().await;
    assert_eq!((run.reconciled, run.delete_check.as_deref()), (Some(false), Some("totals")), "{run:?}");
    assert_ne!(
        scenario.weeks().await,
        scenario.expected_weeks(Tz::UTC, None).await,
        "missed until the full comparison, as documented"
    );
    let verified = scenario.rollup_command(&["verify"]);
    assert!(!verified.status.success(), "verify must report the difference");

    // verify's advice, run exactly as printed: the full comparison, due now (0: every run)
    let advice = stderr(&verified);
    let advised =
        advice.split('`').nth(1).unwrap_or_else(|| panic!("no command in verify's advice: {advice}"));
    let words: Vec<&str> = advised.split_whitespace().collect();
    assert_eq!(words[..2], ["rollup", "run"], "{advice}");
    let output = scenario.rollup_command(&words[1..]);
    assert!(output.status.success(), "{advised}: {}", stderr(&output));
    let run = scenario.last_run().await;
    assert_eq!(run.reconciled, Some(true));
    // rental_id / 1000: rentals 1 and 5 are both in bucket 0, the only one whose fingerprint changed
    assert_eq!(run.buckets_repulled, Some(1), "rentals 1 and 5 share bucket 0: {run:?}");
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "caught up");
    assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "caught up",
    );
    scenario.verify_passes();
}

/// The full fingerprint comparison runs when none has within --reconcile-every (a full build
/// counts); a run in between still finds deletes, by the totals.
#[tokio::test]
async fn the_full_comparison_runs_when_due() {
    let scenario = Scenario::new("reconcile_due", Source::PagilaV3).await;
    scenario.run(&[]); // full build
    scenario.run(&[]); // the full build counts as compared: not due within the default day
    let run = scenario.last_run().await;
    assert_eq!((run.reconciled, run.buckets_compared), (Some(false), Some(0)));
    let rented_before = scenario.weeks().await.iter().map(|w| w.rented_rentals).sum::<i64>();
    scenario
        .source()
        .await
        .batch_execute("DELETE FROM payment WHERE rental_id = 3; DELETE FROM rental WHERE rental_id = 3")
        .await
        .unwrap();
    scenario.run(&[]);
    let found = scenario.last_run().await;
    assert_eq!(
        (found.reconciled, found.delete_check.as_deref()),
        (Some(false), Some("buckets")),
        "{found:?}"
    );
    assert_eq!((found.buckets_repulled, found.rentals_deleted), (Some(1), Some(1)), "{found:?}");
    assert_eq!(scenario.weeks().await.iter().map(|w| w.rented_rentals).sum::<i64>(), rented_before - 1);

    scenario.run(&["--reconcile-every", "0"]);
    let compared = scenario.last_run().await;
    assert_eq!((compared.reconciled, compared.buckets_repulled), (Some(true), Some(0)), "{compared:?}");
    scenario.verify_passes();
    let bad = scenario.rollup_command(&["run", "--reconcile-every", "often"]);
    assert_clear_failure(
        &bad,
        "--reconcile-every / ROLLUP_RECONCILE_EVERY 'often' is not a PostgreSQL interval",
    );
}

#[tokio::test]
async fn a_run_failing_half_way_leaves_the_previous_state_and_the_next_run_catches_up() {
    let scenario = Scenario::new("failing", Source::PagilaV3).await;
    scenario.run(&[]);
    let source = scenario.source().await;
    for (round, step) in [
        "02_pulled_rental",
        "11_rental_shadow_applied",
        "17_weekly_rentals_applied",
        "20_film_week_flow_applied.incremental",
        "commit",
    ]
    .iter()
    .enumerate()
    {
        source
            .execute(
                "UPDATE rental SET return_date = return_date + interval '8 days' WHERE rental_id = $1",
                &[&(100 + round as i32)],
            )
            .await
            .unwrap();
        let before = scenario.snapshot().await;
        let output = scenario.rollup_command_with_env(&["run"], &[("ROLLUP_FAILPOINT", step)]);
        assert_eq!(output.status.code(), Some(1), "{step}: {}", common::stderr(&output));
        assert_eq!(before, scenario.snapshot().await, "a run failing after {step} must change nothing");
        let run = scenario.last_run().await;
        assert_eq!(run.status, "failed");
        assert!(run.error.unwrap().contains(&format!("failpoint {step} reached")));
    }
    scenario.run(&[]);
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "caught up");
    scenario.verify_passes();
}

#[tokio::test]
async fn a_run_killed_half_way_leaves_the_previous_state_and_the_next_run_catches_up() {
    let scenario = Scenario::new("killed", Source::PagilaV3).await;
    scenario.run(&[]);
    let before = scenario.weeks().await;
    scenario
        .source()
        .await
        .batch_execute("UPDATE rental SET return_date = NULL WHERE rental_id BETWEEN 500 AND 520")
        .await
        .unwrap();

    let mut running =
        scenario.spawn(&["run"], &[("ROLLUP_FAILPOINT", "20_film_week_flow_applied.incremental:pause")]);
    // bounded: polls what a reader thread collects, failing after the timeout
    running.wait_for("failpoint: pausing", Duration::from_secs(120));
    running.kill(); // SIGKILL, after both weekly tables were written inside the transaction

    assert_eq!(scenario.weeks().await, before, "the killed run's writes must vanish");
    assert_eq!(last_run_in(&scenario.rollup().await).await.status, "running");
    scenario.run(&[]);
    let rollup = scenario.rollup().await;
    let abandoned: i64 = query_value(
        &rollup,
        "SELECT count(*) FROM rollup.etl_run WHERE status = 'failed' AND error LIKE 'abandoned%'",
        &[],
    )
    .await;
    assert_eq!(abandoned, 1);
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "caught up");
    scenario.verify_passes();
}

#[tokio::test]
async fn verify_reports_a_tampered_week_and_fails() {
    let scenario = Scenario::new("tampered", Source::PagilaV3).await;
    scenario.run(&[]);
    scenario.verify_passes();
    scenario
        .rollup()
        .await
        .batch_execute(
            "UPDATE rollup.weekly_rentals
                SET rented_rentals = rented_rentals + 1, outstanding_rentals = outstanding_rentals + 1,
                    out_during_week = out_during_week + 1
              WHERE week_beginning = '2022-07-04'",
        )
        .await
        .unwrap();
    let output = scenario.rollup_command(&["verify"]);
    assert_eq!(output.status.code(), Some(1));
    let listing = common::stdout(&output);
    assert!(listing.contains("2022-07-04"), "{listing}");
    assert!(common::stderr(&output).contains("1 week(s) of rollup.weekly_rentals differ from the source"));
    scenario.run(&["--full"]);
    scenario.verify_passes();

    // the per-film counts are verified too: one more rental in film 1's first week in store 1
    scenario
        .rollup()
        .await
        .batch_execute(
            "UPDATE rollup.film_week_flow SET rented_rentals = rented_rentals + 1
              WHERE (film_id, store_id, week_beginning)
                    = (SELECT film_id, store_id, min(week_beginning) FROM rollup.film_week_flow
                        WHERE film_id = 1 AND store_id = 1 GROUP BY 1, 2)",
        )
        .await
        .unwrap();
    let output = scenario.rollup_command(&["verify"]);
    assert_eq!(output.status.code(), Some(1));
    let listing = common::stdout(&output);
    let film_1_store_1 = listing.lines().any(|line| {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        cells.len() > 3 && cells[0] == "1" && cells[1] == "1" && cells[2].starts_with("2022-")
    });
    assert!(film_1_store_1, "{listing}");
    assert!(common::stderr(&output).contains("row(s) of rollup.film_weekly differ from the source"));
}
