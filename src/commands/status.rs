//! `rollup status`: what the rollup holds and what the last runs did.
use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};

use crate::connection::RollupDatabase;
use crate::migrations;
use crate::pipeline::{bookkeeping, inspect};
use crate::table;

/// Show the settings the rollup was built with, its week range and row counts, data-quality
/// findings by kind, and the last runs from rollup.etl_run.
///
/// Example: rollup status --runs 10
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    /// How many of the most recent runs to list.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub runs: i64,
}

pub async fn run(options: Options) -> Result<()> {
    let target = options.rollup.target()?;
    let client = target.connect().await?;
    let migrated: bool = bookkeeping::SCHEMA_PRESENT.query_one(&client, &[]).await?.get("migrated");
    println!("rollup database: {}", target.describe());
    if !migrated {
        println!("not migrated yet: run `rollup migrate` or `rollup run`");
        return Ok(());
    }
    println!("migrations in this build: up to V{}", migrations::latest_version());

    let summary = inspect::STATUS_SUMMARY.query_one(&client, &[]).await?;
    match summary.get::<_, Option<String>>("time_zone") {
        Some(time_zone) => println!(
            "built with: time zone {time_zone}, weeks from {} (last full build {})",
            summary.get::<_, String>("week_start"),
            summary.get::<_, DateTime<Utc>>("built_at").format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => println!("built with: never built"),
    }
    let first: Option<NaiveDate> = summary.get("first_week");
    let last: Option<NaiveDate> = summary.get("last_week");
    let weeks: i64 = summary.get("weekly_rentals_rows");
    match (first, last) {
        (Some(first), Some(last)) => println!("weeks: {first} .. {last} ({weeks} weeks)"),
        _ => println!("weeks: none"),
    }
    println!(
        "rows: rollup.weekly_rentals {weeks}, rollup.film_weekly {}, rollup.film {}, rollup.etl_run {}",
        summary.get::<_, i64>("film_weekly_rows"),
        summary.get::<_, i64>("film_rows"),
        summary.get::<_, i64>("etl_run_rows")
    );

    let issues = inspect::DATA_ISSUES.query(&client, &[]).await?;
    if issues.is_empty() {
        println!("data issues: none");
    } else {
        println!("data issues (rollup.data_issue):");
        for issue in &issues {
            println!(
                "  {}: {} rental(s), e.g. rental {}",
                issue.get::<_, String>("kind"),
                issue.get::<_, i64>("rentals"),
                issue.get::<_, i32>("example_rental")
            );
        }
    }

    let runs = inspect::LAST_RUNS.query(&client, &[&options.runs]).await?;
    let number = |row: &tokio_postgres::Row, column: &str| {
        row.get::<_, Option<i64>>(column).map(|value| value.to_string()).unwrap_or_default()
    };
    let cells: Vec<Vec<String>> = runs
        .iter()
        .map(|row| {
            vec![
                row.get::<_, i64>("run_id").to_string(),
                row.get::<_, DateTime<Utc>>("started_at").format("%Y-%m-%d %H:%M:%S").to_string(),
                row.get::<_, String>("mode"),
                row.get::<_, String>("status"),
                number(row, "rows_pulled"),
                number(row, "rentals_changed"),
                number(row, "rentals_deleted"),
                number(row, "weeks_touched"),
                number(row, "weeks_recomputed"),
                number(row, "weeks_written"),
                row.get::<_, Option<f64>>("duration_s").map(|s| format!("{s:.2}")).unwrap_or_default(),
                row.get::<_, Option<String>>("error").unwrap_or_default(),
            ]
        })
        .collect();
    println!("\nlast runs (UTC):");
    print!(
        "{}",
        table::render(
            &[
                "run",
                "started",
                "mode",
                "status",
                "rows pulled",
                "changed",
                "deleted",
                "weeks touched",
                "weeks recomputed",
                "weeks written",
                "seconds",
                "error",
            ],
            &cells
        )
    );
    Ok(())
}
