//! The rollup on a Citus cluster (docs/citus.md): a coordinator and two workers of the test's own
//! (tests/common/citus.rs), the source a plain database on the shared test cluster. The same runs
//! give the same numbers as on one server and as the oracle; the per-film work runs on the workers
//! (one task per shard); a worker lost under a run fails it cleanly and changes nothing.
mod common;

use std::time::Duration;

use chrono_tz::Tz;
use common::citus::{self, CitusCluster};
use common::{Scenario, Source, assert_same_film_weeks, assert_same_weeks, query_value};
use tokio_postgres::Client;

/// Everything the rollup tables hold that a run computes (not which run wrote it), one string per
/// table, for comparing a Citus rollup with a single-server one.
async fn computed(rollup: &Client) -> Vec<(String, Option<String>)> {
    let mut tables = Vec::new();
    for (what, query) in [
        (
            "weekly rentals",
            "SELECT string_agg(format('%s %s %s %s %s %s %s', week_beginning, rented_rentals, returned_rentals, \
                outstanding_at_start, outstanding_rentals, out_during_week, peak_outstanding), ';' \
                ORDER BY week_beginning) FROM rollup.weekly_rentals",
        ),
        (
            "film weekly",
            "SELECT md5(string_agg(format('%s %s %s %s %s %s %s %s %s %s', film_id, store_id, week_beginning, \
                rented_rentals, returned_rentals, outstanding_at_start, outstanding_rentals, peak_outstanding, \
                copies, hours_all_copies_out), ';' ORDER BY film_id, store_id, week_beginning)) FROM rollup.film_weekly",
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
            "day flows",
            "SELECT string_agg(format('%s %s %s %s', day, rented_rentals, returned_rentals, peak_rise), ';' ORDER BY day) FROM rollup.day_flow",
        ),
        (
            "data issues",
            "SELECT string_agg(rental_id || ':' || kind || ':' || detail, ',' ORDER BY rental_id, kind) FROM rollup.data_issue",
        ),
        (
            "bucket fingerprints",
            "SELECT string_agg(b::text, ';' ORDER BY bucket) FROM rollup.rental_bucket AS b",
        ),
        (
            "rental shadow",
            "SELECT md5(string_agg(format('%s %s %s %s %s %s %s %s %s', rental_id, rental_date, return_date, inventory_id, \
                last_update, rental_week, return_week, film_id, store_id), ';' ORDER BY rental_id)) FROM rollup.rental_shadow",
        ),
        (
            "inventory shadow",
            "SELECT string_agg(i::text, ';' ORDER BY inventory_id) FROM rollup.inventory_shadow AS i",
        ),
        ("films", "SELECT string_agg(f::text, ';' ORDER BY film_id) FROM rollup.film AS f"),
        (
            "copies to hold",
            "SELECT md5(string_agg(format('%s %s %s %s %s %s %s %s %s %s %s %s %s %s', film_id, store_id, service_level, \
                copies_held, copies_next_week, copies_next_4_weeks, expected_hours_all_copies_out, stockout_week_share, \
                expected_idle_copies, weeks_seen, window_from, window_through, censored_weeks, peak_seen), ';' \
                ORDER BY film_id, store_id)) FROM rollup.copies_recommendation",
        ),
        (
            // the current tables' panel, which the copies to hold and a backtest read through
            // functions Citus does not see into (migration V20)
            "panel known now",
            "SELECT md5(string_agg(p::text, ';' ORDER BY film_id, store_id, week_beginning)) \
                FROM rollup.panel_known_at((SELECT max(week_beginning) FROM rollup.weekly_rentals)) AS p",
        ),
        (
            // a window ten weeks back, as a backtest without a published run reads it: its
            // opening takes away the flows after it too (V23 on one server, V24 on Citus)
            "window ten weeks back",
            "SELECT md5(string_agg(w::text, ';' ORDER BY film_id, store_id, week_beginning)) \
                FROM rollup.window_known_at((SELECT max(week_beginning) - 70 FROM rollup.weekly_rentals), NULL) AS w",
        ),
    ] {
        tables.push((what.to_owned(), query_value(rollup, query, &[]).await));
    }
    tables
}

/// Everything the rollup tables hold and the newest watermark: equal before and after a failed
/// run when it changed nothing. (Scenario::snapshot reads rollup.film_weekly's whole rows, which
/// Citus cannot ship to the workers: the view exists on the coordinator only, docs/citus.md.)
async fn state(rollup: &Client) -> Vec<(String, Option<String>)> {
    let mut tables = computed(rollup).await;
    let watermark: Option<String> =
        query_value(rollup, "SELECT max(source_watermark)::text FROM rollup.etl_run", &[]).await;
    tables.push(("watermark".to_owned(), watermark));
    tables
}

/// A Citus rollup database for `scenario` (named like its databases), its URL.
fn citus_rollup(cluster: &CitusCluster, scenario: &Scenario) -> String {
    cluster.database(&scenario.database_name("citus"))
}

/// Asserts the Citus rollup at `citus_url` equals the single-server one of `scenario` table for
/// table, and the oracle.
async fn assert_citus_equal(scenario: &Scenario, citus_url: &str, context: &str) {
    let on_citus = common::connect(citus_url).await;
    let single = computed(&scenario.rollup().await).await;
    for ((what, expected), (_, actual)) in single.iter().zip(computed(&on_citus).await) {
        assert_eq!(&actual, expected, "{what}: Citus vs one server; {context}");
    }
    assert_same_weeks(
        &common::weeks_in(&on_citus).await,
        &scenario.expected_weeks(Tz::UTC, None).await,
        &format!("Citus vs oracle; {context}"),
    );
    assert_same_film_weeks(
        &common::film_weeks_in(&on_citus).await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        &format!("Citus film weeks vs oracle; {context}"),
    );
}

/// JIT is off for the rollup database on the coordinator and on each worker (migration V22), as a
/// new session sees it: every per-film read runs a task per shard, and each compiled its plan.
async fn assert_jit_off_on_every_node(citus_url: &str) {
    let on_citus = common::connect(citus_url).await;
    let settings: Vec<String> = on_citus
        .query(
            "SELECT current_setting('jit') UNION ALL SELECT result FROM run_command_on_workers('SHOW jit')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(settings, ["off", "off", "off"], "jit on the coordinator and each worker");
}

/// The events the Citus workers keep (rollup.film_week_event, migration V17) are those the rental
/// shadow counts: every counted rental's and return's film, store, week and instant, each once.
/// The sweep of an incremental run reads only these, so a stale or missing event would give a
/// later run wrong flows for its week; this checks them after each run, all weeks at once.
async fn assert_events_follow_the_shadow(citus_url: &str, context: &str) {
    let on_citus = common::connect(citus_url).await;
    let kept: Option<String> = query_value(
        &on_citus,
        "SELECT md5(string_agg(format('%s %s %s %s %s %s', film_id, store_id, week, at, delta, rental_id), ';' \
            ORDER BY rental_id, delta, film_id)) FROM rollup.film_week_event",
        &[],
    )
    .await;
    // from the shadow's own columns, by the definition of a counted event (not rollup.counted_events)
    let counted: Option<String> = query_value(
        &on_citus,
        "SELECT md5(string_agg(format('%s %s %s %s %s %s', film_id, store_id, week, at, delta, rental_id), ';' \
            ORDER BY rental_id, delta, film_id)) \
           FROM (SELECT film_id, store_id, rental_week AS week, rental_date AS at, 1 AS delta, rental_id \
                   FROM rollup.rental_shadow WHERE rental_week IS NOT NULL AND film_id IS NOT NULL \
                 UNION ALL \
                 SELECT film_id, store_id, return_week, return_date, -1, rental_id \
                   FROM rollup.rental_shadow WHERE return_week IS NOT NULL AND film_id IS NOT NULL) AS e",
        &[],
    )
    .await;
    assert!(counted.is_some(), "the shadow counts events; {context}");
    assert_eq!(kept, counted, "rollup.film_week_event vs the rental shadow; {context}");
}

/// A few changes of the kinds an OLTP source sees, chosen by `seed`: rentals added and returned,
/// dates moved, a rental deleted, a copy moved to the other store and a rental to it.
async fn change_source(source: &Client, seed: u64) {
    let pick = |salt: u64, bound: u64| {
        (seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(salt * 1_442_695_040_888_963_407) >> 33)
            % bound
    };
    let rental = 1 + pick(1, 16_000) as i32;
    let other = 1 + pick(2, 16_000) as i32;
    let copy = 1 + pick(3, 4_500) as i32;
    let sql = format!(
        "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
              SELECT d, {copy}, {customer}, d + interval '{returned} minutes', 1
                FROM (SELECT timestamptz '2022-06-01 00:00+00' + interval '{minutes} minutes' AS d) AS t;
         UPDATE rental SET return_date = rental_date + interval '{back} minutes'
          WHERE rental_id = (SELECT min(rental_id) FROM rental WHERE return_date IS NULL AND rental_id >= {rental});
         UPDATE rental SET rental_date = rental_date - interval '{moved} seconds' WHERE rental_id = {other};
         DELETE FROM payment WHERE rental_id = {rental} + 7; DELETE FROM rental WHERE rental_id = {rental} + 7;
         UPDATE inventory SET store_id = 3 - store_id WHERE inventory_id = {copy};
         UPDATE rental SET inventory_id = {copy} WHERE rental_id = {other} + 3",
        customer = 1 + pick(4, 599),
        minutes = pick(5, 60 * 24 * 90),
        returned = pick(6, 60 * 24 * 12),
        back = pick(7, 60 * 24 * 200),
        moved = pick(8, 60 * 60 * 24 * 20),
    );
    source.batch_execute(&sql).await.unwrap_or_else(|error| panic!("changing the source: {error}\n{sql}"));
}

#[tokio::test]
async fn a_citus_rollup_equals_the_single_server_and_the_oracle_after_each_run() {
    if !citus::available() {
        return;
    }
    let cluster = CitusCluster::start("citus-equal");
    let scenario = Scenario::new("citus_equal", Source::PagilaV3).await;
    let citus_url = citus_rollup(&cluster, &scenario);
    let on_citus = |args: &[&str]| {
        let output = scenario.rollup_command_with_env(args, &[("ROLLUP_URL", &citus_url)]);
        assert!(output.status.success(), "rollup {args:?} on Citus failed:\n{}", common::stderr(&output));
        output
    };
    scenario.run(&["--jobs", "2"]);
    on_citus(&["run", "--jobs", "2"]);
    assert_citus_equal(&scenario, &citus_url, "full build").await;
    assert_events_follow_the_shadow(&citus_url, "full build").await;

    // a rollup migrated before V17 (as if: V17 to V22 undone) gets the events from the shadow
    // when the next run applies them, and that run sweeps them; the copies to hold such a rollup
    // made from no flows (as if: all zero) are all made again; JIT is off again, on every node.
    // (The later migrations go from the history with them, applied again in order: V23 creates
    // nothing on Citus, V24 replaces V21's panel again and keeps its indexes.)
    common::connect(&citus_url)
        .await
        .batch_execute(
            "DROP TABLE rollup.film_week_event, rollup.film_week_event_replaced, rollup.film_week_touched, \
                        rollup.film_week_flow_recomputed; \
             DROP FUNCTION rollup.counted_events(timestamptz, date, timestamptz, date); \
             DROP FUNCTION rollup.panel_known_at(date, bigint, boolean, integer[]), \
                           rollup.window_known_at(date, bigint, integer[]), \
                           rollup.copies_recommendation_for(date, double precision, integer[]); \
             DROP FUNCTION rollup.panel_known_at(date, bigint, boolean); \
             ALTER FUNCTION rollup.panel_known_at_inlined(date, bigint, boolean) RENAME TO panel_known_at; \
             UPDATE rollup.copies_recommendation SET copies_next_week = 0, copies_next_4_weeks = 0, peak_seen = 0; \
             DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET jit', current_database()); END $$; \
             DELETE FROM refinery_schema_history WHERE version >= 17",
        )
        .await
        .unwrap();
    let source = scenario.source().await;
    change_source(&source, 7).await;
    scenario.run(&[]);
    on_citus(&["run"]);
    assert_citus_equal(&scenario, &citus_url, "V17 to V22 applied to a built rollup, then run").await;
    assert_events_follow_the_shadow(&citus_url, "V17 to V22 applied to a built rollup").await;
    assert_jit_off_on_every_node(&citus_url).await;

    // rentals of copies the inventory lacks (as in a copy of the data without its constraints:
    // one of a copy that never existed, and film 904's 4 after its copies were removed) count
    // shop-wide but have no film, so no worker keeps their events (a distribution column cannot
    // be null): in an incremental run and in a full build the Citus rollup still equals one server
    // and the oracle, and its films count them nowhere
    common::rent_copies_the_inventory_lacks(&source).await;
    scenario.run(&[]);
    on_citus(&["run"]);
    assert_citus_equal(&scenario, &citus_url, "rentals of unknown copies, incremental").await;
    assert_events_follow_the_shadow(&citus_url, "rentals of unknown copies, incremental").await;
    scenario.run(&["--full"]);
    on_citus(&["run", "--full", "--jobs", "2"]);
    assert_citus_equal(&scenario, &citus_url, "rentals of unknown copies, full build").await;
    assert_events_follow_the_shadow(&citus_url, "rentals of unknown copies, full build").await;
    let unknown: i64 = query_value(
        &common::connect(&citus_url).await,
        "SELECT ((SELECT sum(rented_rentals) FROM rollup.weekly_rentals)
               - (SELECT sum(rented_rentals) FROM rollup.film_week_flow))::bigint",
        &[],
    )
    .await;
    let without_a_copy = common::rentals_without_a_copy(&source).await;
    assert!(without_a_copy >= 5, "the 5 rentals above, at least: {without_a_copy}");
    assert_eq!(unknown, without_a_copy, "the shop counts the rentals without a copy, its films do not");

    let seed =
        std::env::var("ROLLUP_TEST_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
    eprintln!("citus seed: {seed} (replay with ROLLUP_TEST_SEED={seed})");
    for round in 0..3 {
        change_source(&source, seed.wrapping_add(round)).await;
        scenario.run(&[]);
        on_citus(&["run"]);
        let context = format!("incremental run {round}, seed {seed}");
        assert_citus_equal(&scenario, &citus_url, &context).await;
        assert_events_follow_the_shadow(&citus_url, &context).await;
    }
    // a return moved by an hour a month before the last one moves none of the window's weeks, so
    // step 26 recomputes the touched pairs only, on Citus through the films handed to the method
    // (migration V21), and the copies to hold still equal one server's
    source
        .batch_execute(
            "UPDATE rental SET return_date = return_date + interval '1 hour'
              WHERE rental_id = (SELECT max(rental_id) FROM rental
                                  WHERE return_date < (SELECT max(return_date) - interval '30 days' FROM rental))",
        )
        .await
        .unwrap();
    scenario.run(&[]);
    on_citus(&["run"]);
    assert_citus_equal(&scenario, &citus_url, "a return moved inside the window").await;
    let (recommended, stocked): (i32, i32) = {
        let on_citus = common::connect(&citus_url).await;
        let row = on_citus
            .query_one(
                "SELECT (SELECT pairs_recommended FROM rollup.etl_run ORDER BY run_id DESC LIMIT 1),
                        (SELECT count(*)::integer FROM rollup.copies_recommendation)",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert!(
        (1..stocked).contains(&recommended),
        "the run recomputed the touched pairs, not every one: {recommended} of {stocked}"
    );
    let verified = on_citus(&["verify"]);
    assert!(verified.status.success());
}

/// `plan` (EXPLAIN FORMAT JSON) is pushed down whole: Citus Adaptive at the top, one task per
/// shard, and each of `inside` (plan node types) within the tasks, not on the coordinator.
fn assert_one_task_per_shard(plan: &serde_json::Value, shards: i64, inside: &[&str]) {
    let top = &plan[0]["Plan"];
    assert_eq!(
        top["Custom Plan Provider"], "Citus Adaptive",
        "pushed down, not run on the coordinator:\n{plan:#}"
    );
    assert_eq!(top["Distributed Query"]["Job"]["Task Count"], shards, "one task per shard:\n{plan:#}");
    let mut nodes = Vec::new();
    plan_objects(&top["Distributed Query"]["Job"]["Tasks"], &mut nodes);
    let node_types: Vec<&str> = nodes.iter().filter_map(|node| node.get("Node Type")?.as_str()).collect();
    for node_type in inside {
        assert!(node_types.contains(node_type), "{node_type} runs inside the task:\n{plan:#}");
    }
}

/// The plan a run logged for `step` (ROLLUP_EXPLAIN_STEPS: EXPLAIN (FORMAT JSON) with its
/// parameters, just before it ran).
fn explained(plans: &str, step: &str) -> serde_json::Value {
    let line = plans
        .lines()
        .find(|line| line.split_once('\t').is_some_and(|(name, _)| name == step))
        .unwrap_or_else(|| panic!("{step} was not explained"));
    serde_json::from_str(line.split_once('\t').unwrap().1).unwrap()
}

/// Every object of a JSON plan (the nodes, and Citus's distributed query and tasks).
fn plan_objects<'a>(
    plan: &'a serde_json::Value,
    found: &mut Vec<&'a serde_json::Map<String, serde_json::Value>>,
) {
    match plan {
        serde_json::Value::Object(node) => {
            found.push(node);
            node.values().for_each(|value| plan_objects(value, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| plan_objects(item, found)),
        _ => {}
    }
}

/// The per-film reads and writes run on the workers: the flows' table is distributed by film in
/// as many shards as Citus made; a full build's sweep (steps 19 and 20, one statement over the
/// events it copied to the workers) runs as one task per shard, its windows, grouping and insert
/// inside the tasks, and step 19 never runs on the coordinator; a read of rollup.film_weekly
/// (running sums partitioned by film and store) and a grouping by film run as one task per shard
/// too, not on rows pulled to the coordinator.
#[tokio::test]
async fn the_per_film_work_runs_on_the_workers_one_task_per_shard() {
    if !citus::available() {
        return;
    }
    let cluster = CitusCluster::start("citus-explain");
    let mut scenario = Scenario::new("citus_explain", Source::PagilaV3).await;
    scenario.rollup_url = citus_rollup(&cluster, &scenario);
    let plans = std::env::temp_dir().join(format!("pagila-rollup-citus-plans-{}", std::process::id()));
    let _ = std::fs::remove_file(&plans);
    let output = scenario.rollup_command_with_env(
        &["--log-format", "json", "run", "--jobs", "2"],
        &[("ROLLUP_EXPLAIN_STEPS", plans.to_str().unwrap())],
    );
    let log = common::stderr(&output);
    assert!(output.status.success(), "the full build on Citus failed:\n{log}");
    let plans_text = std::fs::read_to_string(&plans).unwrap();
    std::fs::remove_file(&plans).unwrap();
    let rollup = scenario.rollup().await;
    let shards: i64 = query_value(
        &rollup,
        "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'rollup.film_week_flow'::regclass",
        &[],
    )
    .await;
    assert!(shards > 1, "rollup.film_week_flow is distributed ({shards} shards)");
    let colocated: i64 = query_value(
        &rollup,
        "SELECT count(DISTINCT colocationid) FROM pg_dist_partition
          WHERE logicalrelid IN ('rollup.film_week_flow'::regclass, 'rollup_data.film_week_flow'::regclass)",
        &[],
    )
    .await;
    assert_eq!(colocated, 1, "the published partition is co-located with its parent");

    // the full build's sweep: one task per shard of the flows, on the workers
    let sweep = explained(&plans_text, "20_film_week_flow_applied.citus");
    assert_one_task_per_shard(&sweep, shards, &["ModifyTable", "WindowAgg", "Aggregate"]);
    let mut everything = Vec::new();
    plan_objects(&sweep, &mut everything);
    assert!(
        !everything.iter().any(|node| node.contains_key("INSERT/SELECT method")),
        "no INSERT ... SELECT through the coordinator:\n{sweep:#}"
    );
    // what reaches the workers first: the events, copied from the coordinator's rental shadow
    let copied = explained(&plans_text, "18_film_week_event.citus");
    assert_eq!(copied[0]["Plan"]["Custom Plan Provider"], "Citus INSERT ... SELECT", "{copied:#}");
    let done: Vec<String> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|record| record["message"] == "step done")
        .filter_map(|record| record["step"].as_str().map(str::to_owned))
        .collect();
    for step in ["18_film_week_event.citus", "20_film_week_flow_applied.citus"] {
        assert!(done.iter().any(|name| name == step), "{step} did not run: {done:?}");
    }
    for step in ["19_film_week_flow_computed", "20_film_week_flow_applied.full"] {
        assert!(!done.iter().any(|name| name == step), "{step} ran on the coordinator: {done:?}");
    }

    let tasks = format!("Task Count: {shards}");
    let plan = |sql: &'static str| {
        let rollup = &rollup;
        async move {
            let lines: Vec<String> = rollup
                .query(&format!("EXPLAIN {sql}"), &[])
                .await
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect();
            lines.join("\n")
        }
    };
    // the running sums of the view, per film and store
    let read = plan(
        "SELECT film_id, store_id, week_beginning, outstanding_at_start, outstanding_rentals, peak_outstanding \
           FROM rollup.film_weekly",
    )
    .await;
    assert!(read.contains("Custom Scan (Citus Adaptive)") && read.contains(&tasks), "{read}");
    let worker_part = &read[read.find("->  Task").unwrap_or_else(|| panic!("no task in:\n{read}"))..];
    assert!(worker_part.contains("WindowAgg"), "the window runs inside each task:\n{read}");
    // the same film's flows read by one task on one worker
    let one = plan("SELECT * FROM rollup.film_weekly WHERE film_id = 7").await;
    assert!(one.contains("Task Count: 1"), "{one}");
    // a grouping by film runs in the tasks too
    let grouped =
        plan("SELECT film_id, sum(rented_rentals) FROM rollup.film_week_flow GROUP BY film_id").await;
    assert!(grouped.contains(&tasks), "{grouped}");
    let worker_part =
        &grouped[grouped.find("->  Task").unwrap_or_else(|| panic!("no task in:\n{grouped}"))..];
    assert!(worker_part.contains("Aggregate"), "the grouping runs inside each task:\n{grouped}");

    // an incremental run sweeps the touched weeks on the workers too: step 19 reads the events
    // kept there (18_film_week_event.incremental.citus), its windows and grouping inside the tasks,
    // only the flows coming back
    change_source(&scenario.source().await, 11).await;
    let output = scenario.rollup_command_with_env(
        &["--log-format", "json", "run"],
        &[("ROLLUP_EXPLAIN_STEPS", plans.to_str().unwrap())],
    );
    assert!(output.status.success(), "the incremental run on Citus failed:\n{}", common::stderr(&output));
    let plans_text = std::fs::read_to_string(&plans).unwrap();
    std::fs::remove_file(&plans).unwrap();
    let sweep = explained(&plans_text, "19_film_week_flow_computed");
    assert_one_task_per_shard(&sweep, shards, &["WindowAgg", "Aggregate"]);
    // and writes the flows there: step 20's delete, update and insert each one task per shard,
    // reading only shards of the co-located work tables, none of the run's temporary tables
    let write = explained(&plans_text, "20_film_week_flow_applied.incremental.citus");
    let mut nodes = Vec::new();
    plan_objects(&write, &mut nodes);
    let writes_per_shard = nodes
        .iter()
        .filter(|node| {
            node.get("Task Count").and_then(|count| count.as_i64()) == Some(shards)
                && node.get("Tasks").is_some_and(|tasks| tasks.to_string().contains("ModifyTable"))
        })
        .count();
    assert_eq!(writes_per_shard, 3, "delete, update and insert, each one task per shard:\n{write:#}");
    let relations: Vec<&str> = nodes.iter().filter_map(|node| node.get("Relation Name")?.as_str()).collect();
    for relation in &relations {
        assert!(
            ["film_week_flow_", "film_week_touched_", "film_week_flow_recomputed_"]
                .iter()
                .any(|shard_of| relation.strip_prefix(shard_of).is_some_and(|id| id.parse::<u64>().is_ok())),
            "{relation} is not a shard of the flows or the work tables:\n{write:#}"
        );
    }
    let done = common::stderr(&output);
    assert!(done.contains("11_film_week_event_applied.citus"), "{done}");
    assert!(!done.contains("\"18_film_week_event.incremental\""), "read from the shadow: {done}");
}

/// A worker that stops under a run fails it, exit code 4 (a lost connection) and one error line
/// naming the worker, and leaves the
/// tables as they were (the run's writes on the workers roll back with the coordinator's); with the
/// worker back, the next run catches up.
#[tokio::test]
async fn a_worker_stopped_mid_run_fails_the_run_and_changes_nothing() {
    if !citus::available() {
        return;
    }
    let cluster = CitusCluster::start("citus-worker");
    let mut scenario = Scenario::new("citus_worker", Source::PagilaV3).await;
    scenario.rollup_url = citus_rollup(&cluster, &scenario);
    scenario.run(&[]);
    scenario
        .source()
        .await
        .batch_execute(
            "UPDATE rental SET return_date = return_date + interval '5 days' WHERE rental_id BETWEEN 100 AND 400",
        )
        .await
        .unwrap();
    let before = state(&scenario.rollup().await).await;

    let resume = common::ResumeFile::new("citus-worker");
    let mut running = scenario.spawn(
        &["run", "--retries", "0"],
        &[
            ("ROLLUP_FAILPOINT", "19_film_week_flow_computed:pause"),
            ("ROLLUP_FAILPOINT_RESUME", resume.path()),
        ],
    );
    running.wait_for("failpoint: pausing", Duration::from_secs(120));
    cluster.workers[0].stop();
    resume.resume();
    let (code, log) = running.finish(Duration::from_secs(120));
    // Citus reports the worker it could not reach; the runner takes it for a lost connection
    // (exit 4), which --retries would start again from the beginning: safe, as nothing changed.
    assert_eq!(code, Some(4), "{log}");
    let errors: Vec<&str> = log.lines().filter(|line| line.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line:\n{log}");
    let worker = format!("127.0.0.1:{}", cluster.workers[0].port);
    assert!(
        errors[0].contains("20_film_week_flow_recomputed.citus") && errors[0].contains(&worker),
        "the error names the step and the worker ({worker}):\n{log}"
    );
    assert!(!log.contains("panicked") && !log.contains(&common::password()), "{log}");

    cluster.workers[0].start_again();
    assert_eq!(state(&scenario.rollup().await).await, before, "the failed run changed nothing");
    assert_eq!(scenario.last_run().await.status, "failed");
    scenario.run(&[]);
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "caught up");
    assert_same_film_weeks(
        &scenario.film_weeks().await,
        &scenario.expected_film_weeks(Tz::UTC, None).await,
        "caught up, per film",
    );
}
