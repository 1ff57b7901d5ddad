//! The shape of what `rollup status` reports: the [`Status`], which is also its JSON object
//! (documented in docs/operations.md), so the text and the JSON cannot say different things.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};

use crate::run::record::RunRecord;

use super::freshness::Freshness;

/// Everything `rollup status` reports. Its JSON form is documented in docs/operations.md.
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
    /// How fresh the source is and how far the rollup is behind it.
    pub freshness: Freshness,
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

impl From<RunRecord> for Run {
    fn from(run: RunRecord) -> Run {
        let wide = |count: Option<i32>| count.map(i64::from);
        Run {
            weeks_written: run.weeks_written(),
            run_id: run.run_id,
            started_at: run.started_at,
            finished_at: run.finished_at,
            mode: run.mode,
            status: run.status,
            time_zone: run.time_zone,
            through: run.through,
            duration_seconds: run.duration_seconds,
            rows_pulled: run.rows_pulled,
            rentals_counted: run.rentals_counted,
            rentals_quarantined: run.rentals_quarantined,
            rentals_changed: run.rentals_changed,
            rentals_deleted: run.rentals_deleted,
            copies_changed: wide(run.copies_changed),
            weeks_touched: wide(run.weeks_touched),
            weeks_recomputed: wide(run.weeks_recomputed),
            film_weeks_recomputed: wide(run.film_weeks_recomputed),
            film_weeks_written: wide(run.film_weeks_written),
            data_issues: run.data_issues,
            error: run.error,
        }
    }
}

/// The rows per table as a JSON object (`"weekly_rentals": 29`), kept as a list here so the text
/// lists them in the query's order.
fn as_map<S: Serializer>(rows: &[(String, i64)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(rows.iter().map(|(name, count)| (name, count)))
}
