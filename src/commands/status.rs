//! `rollup status`: what the rollup holds and what the last runs did, as text for a person or as
//! one JSON object (`--json`) for scripts and monitoring.
//!
//! Both outputs are printed from the same [`Status`], so they always say the same thing.
use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};
use tokio_postgres::Row;

use crate::connection::RollupDatabase;
use crate::migrations;
use crate::pipeline::{bookkeeping, inspect};
use crate::table;

/// Show what the rollup holds and what the last runs did, as text or JSON.
///
/// The settings the rollup was built with, its week range and row counts, data-quality
/// findings by kind, and the last runs from rollup.etl_run (when, mode, status, rows pulled,
/// weeks recomputed, duration, error). `--json` prints the same as one JSON object.
///
/// Example: rollup status --runs 10
/// Example: rollup status --json | jq '.runs[0].status'
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    /// How many of the most recent runs to list.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(i64).range(0..))]
    pub runs: i64,

    /// Print one JSON object on standard output instead of text (same content; timestamps in
    /// RFC 3339, UTC; null where the rollup has nothing yet).
    #[arg(long)]
    pub json: bool,
}

/// Everything `rollup status` reports. Its JSON form is documented in the README.
#[derive(Debug, Serialize)]
pub struct Status {
    /// `user@host:port/database`, never the password.
    pub database: String,
    /// Whether schema rollup exists; when false every other part is empty.
    pub migrated: bool,
    /// The newest migration this build of `rollup` carries.
    pub migrations_in_build: i64,
    /// The settings of the last full build; null if the rollup was never built.
    pub built_with: Option<BuildSettings>,
    /// The weeks rollup.weekly_rentals holds; null if none.
    pub weeks: Option<WeekRange>,
    /// Rows per table of schema rollup, published tables first.
    #[serde(serialize_with = "as_map")]
    pub rows: Vec<(String, i64)>,
    /// rollup.data_issue by kind.
    pub data_issues: Vec<DataIssues>,
    /// The most recent runs, newest first.
    pub runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
pub struct BuildSettings {
    pub time_zone: String,
    pub week_start: String,
    pub built_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct WeekRange {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub count: i64,
}

#[derive(Debug, Serialize)]
pub struct DataIssues {
    pub kind: String,
    pub rentals: i64,
    pub example_rental: i32,
}

/// One rollup.etl_run row; counts are null where the run did not get that far.
#[derive(Debug, Serialize)]
pub struct Run {
    pub run_id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub mode: String,
    pub status: String,
    pub time_zone: String,
    pub through: Option<NaiveDate>,
    /// Seconds from start to finish; for a run still running, so far.
    pub duration_seconds: Option<f64>,
    pub rows_pulled: Option<i64>,
    pub rentals_counted: Option<i64>,
    pub rentals_quarantined: Option<i64>,
    pub rentals_changed: Option<i64>,
    pub rentals_deleted: Option<i64>,
    pub copies_changed: Option<i64>,
    pub weeks_touched: Option<i64>,
    pub weeks_recomputed: Option<i64>,
    pub weeks_written: Option<i64>,
    pub film_weeks_recomputed: Option<i64>,
    pub film_weeks_written: Option<i64>,
    pub data_issues: Option<i64>,
    pub error: Option<String>,
}

pub async fn run(options: Options) -> Result<()> {
    let status = collect(&options).await?;
    if options.json {
        let text = serde_json::to_string_pretty(&status).context("could not encode the status as JSON")?;
        println!("{text}");
    } else {
        print!("{}", render_text(&status));
    }
    Ok(())
}

/// Reads everything the report shows from the rollup database.
pub async fn collect(options: &Options) -> Result<Status> {
    let target = options.rollup.target()?;
    let client = target.connect().await?;
    let migrated: bool = bookkeeping::SCHEMA_PRESENT.query_one(&client, &[]).await?.get("migrated");
    let mut status = Status {
        database: target.describe(),
        migrated,
        migrations_in_build: migrations::latest_version(),
        built_with: None,
        weeks: None,
        rows: Vec::new(),
        data_issues: Vec::new(),
        runs: Vec::new(),
    };
    if !migrated {
        return Ok(status);
    }

    let summary = inspect::STATUS_SUMMARY.query_one(&client, &[]).await?;
    status.built_with = summary.get::<_, Option<String>>("time_zone").map(|time_zone| BuildSettings {
        time_zone,
        week_start: summary.get("week_start"),
        built_at: summary.get("built_at"),
    });
    let first: Option<NaiveDate> = summary.get("first_week");
    let last: Option<NaiveDate> = summary.get("last_week");
    status.weeks =
        first.zip(last).map(|(first, last)| WeekRange { first, last, count: summary.get("weeks") });

    status.rows = inspect::STATUS_ROW_COUNTS
        .query(&client, &[])
        .await?
        .iter()
        .map(|row| (row.get("name"), row.get("rows")))
        .collect();
    status.data_issues = inspect::DATA_ISSUES
        .query(&client, &[])
        .await?
        .iter()
        .map(|row| DataIssues {
            kind: row.get("kind"),
            rentals: row.get("rentals"),
            example_rental: row.get("example_rental"),
        })
        .collect();
    status.runs =
        inspect::LAST_RUNS.query(&client, &[&options.runs]).await?.iter().map(run_from_row).collect();
    Ok(status)
}

fn run_from_row(row: &Row) -> Run {
    Run {
        run_id: row.get("run_id"),
        started_at: row.get("started_at"),
        finished_at: row.get("finished_at"),
        mode: row.get("mode"),
        status: row.get("status"),
        time_zone: row.get("time_zone"),
        through: row.get("through"),
        duration_seconds: row.get("duration_s"),
        rows_pulled: row.get("rows_pulled"),
        rentals_counted: row.get("rentals_counted"),
        rentals_quarantined: row.get("rentals_quarantined"),
        rentals_changed: row.get("rentals_changed"),
        rentals_deleted: row.get("rentals_deleted"),
        copies_changed: row.get("copies_changed"),
        weeks_touched: row.get("weeks_touched"),
        weeks_recomputed: row.get("weeks_recomputed"),
        weeks_written: row.get("weeks_written"),
        film_weeks_recomputed: row.get("film_weeks_recomputed"),
        film_weeks_written: row.get("film_weeks_written"),
        data_issues: row.get("data_issues"),
        error: row.get("error"),
    }
}

/// The rows per table as a JSON object (`"weekly_rentals": 29`), kept as a list here so the text
/// lists them in the query's order.
fn as_map<S: Serializer>(rows: &[(String, i64)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(rows.iter().map(|(name, count)| (name, count)))
}

/// The text report, as `rollup status` prints it.
pub fn render_text(status: &Status) -> String {
    let mut out = format!("rollup database: {}\n", status.database);
    if !status.migrated {
        out.push_str("not migrated yet: run `rollup migrate` or `rollup run`\n");
        return out;
    }
    out.push_str(&format!("migrations in this build: up to V{}\n", status.migrations_in_build));
    match &status.built_with {
        Some(settings) => out.push_str(&format!(
            "built with: time zone {}, weeks from {} (last full build {})\n",
            settings.time_zone,
            settings.week_start,
            settings.built_at.format("%Y-%m-%d %H:%M:%S UTC")
        )),
        None => out.push_str("built with: never built\n"),
    }
    match &status.weeks {
        Some(weeks) => {
            out.push_str(&format!("weeks: {} .. {} ({} weeks)\n", weeks.first, weeks.last, weeks.count))
        }
        None => out.push_str("weeks: none\n"),
    }
    let rows: Vec<String> =
        status.rows.iter().map(|(table, count)| format!("rollup.{table} {count}")).collect();
    out.push_str(&format!("rows: {}\n", rows.join(", ")));

    if status.data_issues.is_empty() {
        out.push_str("data issues: none\n");
    } else {
        out.push_str("data issues (rollup.data_issue):\n");
        for issue in &status.data_issues {
            out.push_str(&format!(
                "  {}: {} rental(s), e.g. rental {}\n",
                issue.kind, issue.rentals, issue.example_rental
            ));
        }
    }

    let number = |value: Option<i64>| value.map(|value| value.to_string()).unwrap_or_default();
    let cells: Vec<Vec<String>> = status
        .runs
        .iter()
        .map(|run| {
            vec![
                run.run_id.to_string(),
                run.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                run.finished_at.map(|at| at.format("%H:%M:%S").to_string()).unwrap_or_default(),
                run.mode.clone(),
                run.status.clone(),
                number(run.rows_pulled),
                number(run.rentals_changed),
                number(run.rentals_deleted),
                number(run.weeks_touched),
                number(run.weeks_recomputed),
                number(run.weeks_written),
                run.duration_seconds.map(|seconds| format!("{seconds:.2}")).unwrap_or_default(),
                run.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str("\nlast runs (UTC; seconds so far for a run still running):\n");
    out.push_str(&table::render(
        &[
            "run",
            "started",
            "finished",
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
        &cells,
    ));
    out
}
