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
    let (_, remote_sql) = explain(&transaction, pulled, &[&cutoff, &true]).await;
    assert!(
        remote_sql.ends_with("FROM public.rental WHERE ((last_update >= $1::timestamp with time zone))"),
        "{remote_sql}"
    );
    transaction.execute(pulled, &[&cutoff, &true]).await.unwrap();

    // Step 3, reconciliation: one aggregated row per bucket.
    let fingerprint = include_str!("../queries/pipeline/03_bucket_fingerprint.sql");
    let (plan, remote_sql) = explain(&transaction, fingerprint, &[&1000i32, &true]).await;
    assert_aggregated_remotely(&plan);
    assert!(
        remote_sql.starts_with("SELECT (rental_id / 1000), count(*), count(return_date), sum(hashint8("),
        "{remote_sql}"
    );
    assert!(remote_sql.ends_with("GROUP BY 1"), "{remote_sql}");
    transaction.execute(fingerprint, &[&1000i32, &true]).await.unwrap();

    // Step 4, one bucket pulled whole: a range the source's primary key can serve.
    let repulled = include_str!("../queries/pipeline/04_repulled_rental.sql");
    let (_, remote_sql) = explain(&transaction, repulled, &[&1000i32, &3i32]).await;
    assert!(
        remote_sql
            .contains("WHERE ((rental_id > 2000::bigint)) AND ((rental_id < 4000::bigint)) AND (((rental_id / 1000) = 3))"),
        "{remote_sql}"
    );

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

#[tokio::test]
async fn a_full_build_opens_neither_the_cursor_nor_the_fingerprint_scan() {
    let scenario = Scenario::new("pushdown_skip", Source::PagilaV3).await;
    scenario.run(&[]);
    let mut rollup = scenario.rollup().await;
    let transaction = rollup.transaction().await.unwrap();
    let cutoff: Option<DateTime<Utc>> = Some(Utc::now());
    let pulled = include_str!("../queries/pipeline/02_pulled_rental.sql");
    let pull_plan = plan(&transaction, pulled, &[&cutoff, &false]).await;
    assert!(pull_plan.contains("One-Time Filter: false"), "{pull_plan}");
    transaction.execute(pulled, &[&cutoff, &false]).await.unwrap();
    let plan = plan(
        &transaction,
        include_str!("../queries/pipeline/03_bucket_fingerprint.sql"),
        &[&1000i32, &false],
    )
    .await;
    assert!(plan.contains("One-Time Filter: false"), "{plan}");
    assert!(!plan.contains("Foreign Scan"), "{plan}");
}
