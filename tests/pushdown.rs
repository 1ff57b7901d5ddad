//! The source must do the aggregation: if postgres_fdw stopped shipping step 3's GROUP BY (a
//! changed expression, a function it deems unshippable, a new PostgreSQL release), every run
//! would quietly fetch the whole rental table instead. This test reads the plan's Remote SQL.
mod common;

use common::{Scenario, Source};

#[tokio::test]
async fn the_weekly_aggregate_is_computed_on_the_source() {
    let scenario = Scenario::new("pushdown", Source::PagilaV3).await;
    scenario.run(&[]); // migrates and links the foreign tables

    let mut rollup = scenario.rollup().await;
    let transaction = rollup.transaction().await.unwrap();
    let through: Option<chrono::NaiveDate> = None;
    transaction
        .execute(
            include_str!("../queries/pipeline/02_week_bound.sql"),
            &[&"Europe/Berlin", &through],
        )
        .await
        .unwrap();
    let plan: Vec<String> = transaction
        .query(
            &format!(
                "EXPLAIN (VERBOSE, COSTS OFF) {}",
                include_str!("../queries/pipeline/03_rental_week_pair.sql")
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let plan = plan.join("\n");
    let remote_sql = plan
        .lines()
        .find_map(|line| line.trim().strip_prefix("Remote SQL: "))
        .unwrap_or_else(|| panic!("no Remote SQL in the plan:\n{plan}"));

    assert!(
        plan.contains("Relations: Aggregate on (source.rental r)"),
        "aggregate not pushed down:\n{plan}"
    );
    assert!(
        remote_sql.contains("width_bucket(rental_date, $1::timestamp with time zone[])"),
        "{remote_sql}"
    );
    assert!(
        remote_sql.contains("count(*) FILTER (WHERE (return_date < rental_date))"),
        "{remote_sql}"
    );
    assert!(remote_sql.ends_with("GROUP BY 1, 2"), "{remote_sql}");
    assert!(
        !plan.contains("HashAggregate") && !plan.contains("GroupAggregate"),
        "local aggregation:\n{plan}"
    );
}
