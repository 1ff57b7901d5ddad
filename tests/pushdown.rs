//! The source must do the filtering and the aggregation. If postgres_fdw stopped shipping one of
//! these (a changed expression, a function it deems unshippable, a new PostgreSQL release), runs
//! would quietly fetch the whole rental table instead. These tests read the plans' Remote SQL.
mod common;

use chrono::{DateTime, NaiveDate, Utc};
use common::{Scenario, Source};
use postgres_types::ToSql;
use tokio_postgres::Transaction;

/// The plan of `sql` (one statement from queries/) with `params`.
async fn plan(transaction: &Transaction<'_>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> String {
    let lines: Vec<String> = transaction
        .query(&format!("EXPLAIN (VERBOSE, COSTS OFF) {sql}"), params)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    lines.join("\n")
}

/// The plan of `sql` and its Remote SQL line.
async fn explain(
    transaction: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> (String, String) {
    let plan = plan(transaction, sql, params).await;
    let remote_sql = plan
        .lines()
        .find_map(|line| line.trim().strip_prefix("Remote SQL: "))
        .unwrap_or_else(|| panic!("no Remote SQL in the plan:\n{plan}"))
        .to_owned();
    (plan, remote_sql)
}

fn assert_aggregated_remotely(plan: &str) {
    assert!(plan.contains("Relations: Aggregate on (source.rental r)"), "aggregate not pushed down:\n{plan}");
}

#[tokio::test]
async fn every_source_read_is_filtered_or_aggregated_on_the_source() {
    let scenario = Scenario::new("pushdown", Source::PagilaV3).await;
    scenario.run(&[]); // migrates and links the foreign tables
    let mut rollup = scenario.rollup().await;
    let transaction = rollup.transaction().await.unwrap();

    // Step 2, the change cursor: only rows at or after the cutoff cross the network.
    let pulled = include_str!("../queries/pipeline/02_pulled_rental.sql");
    let cutoff: Option<DateTime<Utc>> = Some(Utc::now());
    let (_, remote_sql) = explain(&transaction, pulled, &[&cutoff]).await;
    assert!(remote_sql.contains("FROM public.rental WHERE ((last_update >= '"), "{remote_sql}");
    transaction.execute(pulled, &[&cutoff]).await.unwrap();
    transaction.batch_execute(include_str!("../queries/run/incremental_tables.sql")).await.unwrap();

    // Step 3, the delete check: the source's count and sum of ids, one aggregated row.
    let (plan, remote_sql) =
        explain(&transaction, include_str!("../queries/pipeline/03_rental_totals_differ.sql"), &[]).await;
    assert_aggregated_remotely(&plan);
    assert_eq!(remote_sql, "SELECT count(*), sum(rental_id) FROM public.rental", "{plan}");

    // Step 4, per bucket: the ids alone (what the primary key answers), or the full fingerprint,
    // whose hash functions (rollup.rental_hash, rollup.return_hash) are inlined into built-in
    // operators the source runs.
    let (plan, remote_sql) =
        explain(&transaction, include_str!("../queries/pipeline/04_bucket_fingerprint.ids.sql"), &[&1000i32])
            .await;
    assert_aggregated_remotely(&plan);
    assert_eq!(
        remote_sql,
        "SELECT (rental_id / 1000), count(*), sum(rental_id) FROM public.rental GROUP BY 1"
    );
    let fingerprint = include_str!("../queries/pipeline/04_bucket_fingerprint.hashes.sql");
    let (plan, remote_sql) = explain(&transaction, fingerprint, &[&1000i32]).await;
    assert_aggregated_remotely(&plan);
    assert!(
        remote_sql.starts_with(
            "SELECT (rental_id / 1000), count(*), sum(rental_id), count(return_date), sum(hashint8("
        ),
        "{remote_sql}"
    );
    assert!(remote_sql.ends_with("GROUP BY 1"), "{remote_sql}");
    transaction.execute(fingerprint, &[&1000i32]).await.unwrap();

    // Step 5, one bucket pulled whole: a range the source's primary key can serve.
    let repulled = include_str!("../queries/pipeline/05_repulled_rental.sql");
    let (_, remote_sql) = explain(&transaction, repulled, &[&1000i32, &3i32]).await;
    assert!(
        remote_sql
            .contains("WHERE ((rental_id > 2000::bigint)) AND ((rental_id < 4000::bigint)) AND (((rental_id / 1000) = 3))"),
        "{remote_sql}"
    );

    // Step 5 after the capture: the captured ids reach the source as one array.
    let (_, remote_sql) =
        explain(&transaction, include_str!("../queries/pipeline/05_captured_rental.sql"), &[]).await;
    assert!(remote_sql.ends_with("WHERE ((rental_id = ANY ($1::integer[])))"), "{remote_sql}");

    // rollup verify: the whole weekly aggregate on the source.
    let through: Option<NaiveDate> = None;
    transaction
        .execute(include_str!("../queries/verify/01_week_bound.sql"), &[&"Europe/Berlin", &through])
        .await
        .unwrap();
    let (plan, remote_sql) =
        explain(&transaction, include_str!("../queries/verify/02_rental_week_pair.sql"), &[]).await;
    assert_aggregated_remotely(&plan);
    assert!(
        !plan.contains("HashAggregate") && !plan.contains("GroupAggregate"),
        "local aggregation:\n{plan}"
    );
    assert!(remote_sql.contains("width_bucket(rental_date, $1::timestamp with time zone[])"), "{remote_sql}");
    assert!(remote_sql.contains("count(*) FILTER (WHERE (return_date < rental_date))"), "{remote_sql}");
    assert!(remote_sql.ends_with("GROUP BY 1, 2"), "{remote_sql}");

    // rollup verify, per film: rental joined to inventory and aggregated, all on the source.
    let (plan, remote_sql) =
        explain(&transaction, include_str!("../queries/verify/06_film_rental_week_pair.sql"), &[]).await;
    assert!(
        plan.contains("Relations: Aggregate on ((source.rental r) INNER JOIN (source.inventory i))"),
        "{plan}"
    );
    assert!(remote_sql.ends_with("GROUP BY 1, 2, 3, 4"), "{remote_sql}");
}

/// An incremental run reads what its changes reach. Every step of a run after a change of each kind
/// (a new rental, a corrected return, a delete, a copy moved to the other store) is explained with
/// its parameters (ROLLUP_EXPLAIN_STEPS), and no plan reads the rental shadow, the stored per-film
/// flows or the findings whole: each is reached through an index, by the rows the change touches.
/// (The day flows and the weekly table hold a row per day or week, a few thousand rows over a
/// decade, and the bucket fingerprints one row per thousand rentals, whose totals step 3 sums: they
/// may be scanned.)
#[tokio::test]
async fn an_incremental_run_reads_no_large_table_whole() {
    let scenario = Scenario::new("no_full_scans", Source::PagilaV3).await;
    scenario.run(&[]);
    scenario
        .source()
        .await
        .batch_execute(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
                  VALUES ('2022-08-17 12:00+00', 10, 10, NULL, 1);
             UPDATE rental SET return_date = return_date + interval '3 days' WHERE rental_id = 2;
             DELETE FROM payment WHERE rental_id = 3; DELETE FROM rental WHERE rental_id = 3;
             UPDATE inventory SET store_id = 3 - store_id WHERE inventory_id = 20",
        )
        .await
        .unwrap();
    let plans = std::env::temp_dir().join(format!("pagila-rollup-plans-{}", std::process::id()));
    let _ = std::fs::remove_file(&plans);
    let output =
        scenario.rollup_command_with_env(&["run"], &[("ROLLUP_EXPLAIN_STEPS", plans.to_str().unwrap())]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let explained = std::fs::read_to_string(&plans).unwrap();
    std::fs::remove_file(&plans).unwrap();

    let mut steps = Vec::new();
    for line in explained.lines() {
        let (step, plan) = line.split_once('\t').expect("step<TAB>plan");
        let plan: serde_json::Value = serde_json::from_str(plan).unwrap();
        let mut scanned = Vec::new();
        sequential_scans(&plan, &mut scanned);
        for relation in ["rental_shadow", "film_week_flow", "data_issue"] {
            assert!(
                !scanned.iter().any(|name| name == relation),
                "step {step} reads rollup.{relation} whole:\n{plan:#}"
            );
        }
        steps.push(step.to_owned());
    }
    for step in [
        "06_rental_change",
        "13_day_flow_computed",
        "19_film_week_flow_computed",
        "24_data_issue_applied.incremental",
    ] {
        assert!(steps.iter().any(|explained| explained == step), "{step} was not explained: {steps:?}");
    }
    let run = scenario.last_run().await;
    assert_eq!((run.rentals_changed, run.rentals_deleted), (Some(2), Some(1)), "{run:?}");
}

/// The relations a plan (EXPLAIN FORMAT JSON) reads with a sequential scan.
fn sequential_scans(plan: &serde_json::Value, found: &mut Vec<String>) {
    match plan {
        serde_json::Value::Object(node) => {
            if node.get("Node Type").and_then(|t| t.as_str()) == Some("Seq Scan")
                && let Some(relation) = node.get("Relation Name").and_then(|r| r.as_str())
            {
                found.push(relation.to_owned());
            }
            node.values().for_each(|value| sequential_scans(value, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| sequential_scans(item, found)),
        _ => {}
    }
}
