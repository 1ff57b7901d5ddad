//! Reading the [`Status`] from the rollup database: one query per part, in the order the report
//! shows them.
use anyhow::Result;
use chrono::NaiveDate;

use super::Options;
use super::freshness::{Freshness, freshness};
use super::report::{BuildSettings, DataIssues, Run, Status, WeekRange};
use crate::migrations;
use crate::queries::{bookkeeping, inspect};
use crate::run::record::RunRecord;

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
    status.runs = RunRecord::latest(&client, options.runs).await?.into_iter().map(Run::from).collect();
    status.freshness = freshness(&client, linked).await?;
    Ok(status)
}
