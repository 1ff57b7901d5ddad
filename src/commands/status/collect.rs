//! Reading the [`Status`] from the rollup database: one query per part, in the order the report
//! shows them.
use anyhow::Result;
use chrono::NaiveDate;
use tokio_postgres::Row;

use super::Options;
use super::freshness::{Freshness, freshness};
use super::report::{BuildSettings, DataIssues, Run, Status, WeekRange};
use crate::migrations;
use crate::queries::{bookkeeping, inspect};

/// Reads everything the report shows from the rollup database.
pub async fn collect(options: &Options) -> Result<Status> {
    let target = options.rollup.target()?;
    let client = target.connect().await?;
    let present = bookkeeping::SCHEMA_PRESENT.query_one(&client, &[]).await?;
    let migrated: bool = present.try_get("migrated")?;
    let linked: bool = present.try_get("linked")?;
    let mut status = Status {
        database: target.describe(),
        migrated,
        migrations_in_build: migrations::latest_version(),
        built_with: None,
        weeks: None,
        rows: Vec::new(),
        data_issues: Vec::new(),
        freshness: Freshness {
            lag_unknown: Some("the rollup database is not migrated yet".to_owned()),
            ..Freshness::default()
        },
        runs: Vec::new(),
    };
    if !migrated {
        return Ok(status);
    }

    let summary = inspect::STATUS_SUMMARY.query_one(&client, &[]).await?;
    status.built_with = match summary.try_get::<_, Option<String>>("time_zone")? {
        Some(time_zone) => Some(BuildSettings {
            time_zone,
            week_start: summary.try_get("week_start")?,
            built_at: summary.try_get("built_at")?,
        }),
        None => None,
    };
    let first: Option<NaiveDate> = summary.try_get("first_week")?;
    let last: Option<NaiveDate> = summary.try_get("last_week")?;
    status.weeks = match first.zip(last) {
        Some((first, last)) => Some(WeekRange { first, last, count: summary.try_get("weeks")? }),
        None => None,
    };

    status.rows = inspect::STATUS_ROW_COUNTS
        .query(&client, &[])
        .await?
        .iter()
        .map(|row| Ok((row.try_get("name")?, row.try_get("rows")?)))
        .collect::<Result<_>>()?;
    status.data_issues = inspect::DATA_ISSUES
        .query(&client, &[])
        .await?
        .iter()
        .map(|row| {
            Ok(DataIssues {
                kind: row.try_get("kind")?,
                rentals: row.try_get("rentals")?,
                example_rental: row.try_get("example_rental")?,
            })
        })
        .collect::<Result<_>>()?;
    status.runs = inspect::LAST_RUNS
        .query(&client, &[&options.runs])
        .await?
        .iter()
        .map(run_from_row)
        .collect::<Result<_>>()?;
    status.freshness = freshness(&client, linked).await?;
    Ok(status)
}

fn run_from_row(row: &Row) -> Result<Run> {
    Ok(Run {
        run_id: row.try_get("run_id")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        mode: row.try_get("mode")?,
        status: row.try_get("status")?,
        time_zone: row.try_get("time_zone")?,
        through: row.try_get("through")?,
        duration_seconds: row.try_get("duration_s")?,
        rows_pulled: row.try_get("rows_pulled")?,
        rentals_counted: row.try_get("rentals_counted")?,
        rentals_quarantined: row.try_get("rentals_quarantined")?,
        rentals_changed: row.try_get("rentals_changed")?,
        rentals_deleted: row.try_get("rentals_deleted")?,
        copies_changed: row.try_get("copies_changed")?,
        weeks_touched: row.try_get("weeks_touched")?,
        weeks_recomputed: row.try_get("weeks_recomputed")?,
        weeks_written: row.try_get("weeks_written")?,
        film_weeks_recomputed: row.try_get("film_weeks_recomputed")?,
        film_weeks_written: row.try_get("film_weeks_written")?,
        data_issues: row.try_get("data_issues")?,
        error: row.try_get("error")?,
    })
}
