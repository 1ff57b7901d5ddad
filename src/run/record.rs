//! What a run did, and how it is recorded in rollup.etl_run: the counters of [`Outcome`], written
//! at the end of the run's transaction, or the failure after it rolled back.
use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio_postgres::{Client, GenericClient, Row};
use tracing::warn;

use crate::commands::run::Options;
use crate::connection::Target;
use crate::errors;
use crate::queries::{bookkeeping, column};
use crate::run::mode::{DEFINITIONS, Mode, WEEK_START};

/// What the run did, as recorded in rollup.etl_run. Serialized, its field names are the
/// columns queries/run/finish_run.sql writes them to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    #[serde(skip)]
    pub run_id: i64,
    #[serde(skip)]
    pub mode: Mode,
    pub reconciled: bool,
    pub delete_check: Option<&'static str>,
    pub capture_generation: Option<i64>,
    pub rows_pulled: i64,
    pub buckets_compared: i32,
    pub buckets_repulled: i32,
    pub rentals_changed: i64,
    pub rentals_deleted: i64,
    pub rentals_counted: i64,
    pub rentals_quarantined: i64,
    pub days_touched: i32,
    pub weeks_touched: i32,
    pub weeks_recomputed: i32,
    pub weeks_inserted: i32,
    pub weeks_updated: i32,
    pub weeks_deleted: i32,
    pub copies_changed: i32,
    pub film_stores_recomputed: i32,
    pub film_weeks_recomputed: i32,
    pub film_weeks_written: i32,
    pub service_level: f64,
    pub pairs_recommended: i32,
    pub recommendations_written: i32,
}

impl Outcome {
    pub(crate) fn new(run_id: i64, mode: Mode, reconciled: bool) -> Outcome {
        Outcome {
            run_id,
            mode,
            reconciled,
            delete_check: None,
            capture_generation: None,
            rows_pulled: 0,
            buckets_compared: 0,
            buckets_repulled: 0,
            rentals_changed: 0,
            rentals_deleted: 0,
            rentals_counted: 0,
            rentals_quarantined: 0,
            days_touched: 0,
            weeks_touched: 0,
            weeks_recomputed: 0,
            weeks_inserted: 0,
            weeks_updated: 0,
            weeks_deleted: 0,
            copies_changed: 0,
            film_stores_recomputed: 0,
            film_weeks_recomputed: 0,
            film_weeks_written: 0,
            service_level: 0.0,
            pairs_recommended: 0,
            recommendations_written: 0,
        }
    }
}

/// The end of a run's transaction: after a full build the settings the tables now mean, the copies
/// recommendation (step 26, which reads the tables as they now are), what the rollup counts now,
/// and the run's record with its counts and watermark (`watermark`, or the transaction's start).
/// `changed` is false for an incremental run that found nothing changed.
pub(crate) async fn finish(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    outcome: &mut Outcome,
    changed: bool,
    watermark: Option<DateTime<Utc>>,
) -> Result<()> {
    // The settings first: the per-film view the recommendation reads takes its time zone from them.
    if outcome.mode == Mode::Full {
        bookkeeping::RECORD_BUILD_SETTINGS
            .execute(transaction, &[&options.timezone, &WEEK_START, &outcome.run_id, &DEFINITIONS])
            .await?;
    }
    crate::run::recommend_copies(transaction, options, changed, outcome).await?;
    let counts = bookkeeping::RENTAL_COUNTS.query_one(transaction, &[]).await?;
    outcome.rentals_counted = column(&counts, "rentals_counted")?;
    outcome.rentals_quarantined = column(&counts, "rentals_quarantined")?;
    if outcome.rentals_quarantined > 0 {
        warn!(
            rentals = outcome.rentals_quarantined,
            "rentals left out of every count: returned before rented, or dated outside the plausible range"
        );
    }
    let counters = serde_json::to_value(&*outcome).context("could not write the run's counters as JSON")?;
    bookkeeping::FINISH_RUN
        .execute(transaction, &[&outcome.run_id, &options.lookback, &watermark, &counters])
        .await?;
    Ok(())
}

/// Marks the run failed after its transaction rolled back. The run's own connection may be the
/// thing that broke, so a fresh one is tried when it is gone.
pub(crate) async fn record_failure(client: &Client, rollup: &Target, run_id: i64, error: &anyhow::Error) {
    let message = errors::render(error);
    let recorded = if client.is_closed() {
        match rollup.connect().await {
            Ok(fresh) => bookkeeping::FAIL_RUN.execute(&fresh, &[&run_id, &message]).await,
            Err(connect_error) => Err(connect_error),
        }
    } else {
        bookkeeping::FAIL_RUN.execute(client, &[&run_id, &message]).await
    };
    if let Err(record_error) = recorded {
        warn!(
            run_id,
            "could not record the failed run (the next run marks it abandoned): {}",
            errors::render(&record_error)
        );
    }
}

/// One row of rollup.etl_run, read one way for everyone who reads it (`rollup status`, the
/// tests): every counter is null where the run did not get that far.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub run_id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: String,
    pub mode: String,
    pub time_zone: String,
    pub through: Option<NaiveDate>,
    pub source_watermark: Option<DateTime<Utc>>,
    /// Seconds from start to finish; for a run still running, so far.
    pub duration_seconds: Option<f64>,
    pub reconciled: Option<bool>,
    pub delete_check: Option<String>,
    pub capture_generation: Option<i64>,
    pub rows_pulled: Option<i64>,
    pub buckets_compared: Option<i32>,
    pub buckets_repulled: Option<i32>,
    pub rentals_changed: Option<i64>,
    pub rentals_deleted: Option<i64>,
    pub rentals_counted: Option<i64>,
    pub rentals_quarantined: Option<i64>,
    pub copies_changed: Option<i32>,
    pub days_touched: Option<i32>,
    pub weeks_touched: Option<i32>,
    pub weeks_recomputed: Option<i32>,
    pub weeks_inserted: Option<i32>,
    pub weeks_updated: Option<i32>,
    pub weeks_deleted: Option<i32>,
    pub film_stores_recomputed: Option<i32>,
    pub film_weeks_recomputed: Option<i32>,
    pub film_weeks_written: Option<i32>,
    pub data_issues: Option<i64>,
    pub error: Option<String>,
}

impl RunRecord {
    /// The `count` most recent runs, newest first (queries/run/run_records.sql).
    pub async fn latest(client: &impl GenericClient, count: i64) -> Result<Vec<RunRecord>> {
        bookkeeping::RUN_RECORDS.query(client, &[&count]).await?.iter().map(RunRecord::from_row).collect()
    }

    /// A row of queries/run/run_records.sql; an error names the column that did not fit.
    pub fn from_row(row: &Row) -> Result<RunRecord> {
        Ok(RunRecord {
            run_id: column(row, "run_id")?,
            started_at: column(row, "started_at")?,
            finished_at: column(row, "finished_at")?,
            status: column(row, "status")?,
            mode: column(row, "mode")?,
            time_zone: column(row, "time_zone")?,
            through: column(row, "through")?,
            source_watermark: column(row, "source_watermark")?,
            duration_seconds: column(row, "duration_s")?,
            reconciled: column(row, "reconciled")?,
            delete_check: column(row, "delete_check")?,
            capture_generation: column(row, "capture_generation")?,
            rows_pulled: column(row, "rows_pulled")?,
            buckets_compared: column(row, "buckets_compared")?,
            buckets_repulled: column(row, "buckets_repulled")?,
            rentals_changed: column(row, "rentals_changed")?,
            rentals_deleted: column(row, "rentals_deleted")?,
            rentals_counted: column(row, "rentals_counted")?,
            rentals_quarantined: column(row, "rentals_quarantined")?,
            copies_changed: column(row, "copies_changed")?,
            days_touched: column(row, "days_touched")?,
            weeks_touched: column(row, "weeks_touched")?,
            weeks_recomputed: column(row, "weeks_recomputed")?,
            weeks_inserted: column(row, "weeks_inserted")?,
            weeks_updated: column(row, "weeks_updated")?,
            weeks_deleted: column(row, "weeks_deleted")?,
            film_stores_recomputed: column(row, "film_stores_recomputed")?,
            film_weeks_recomputed: column(row, "film_weeks_recomputed")?,
            film_weeks_written: column(row, "film_weeks_written")?,
            data_issues: column(row, "data_issues")?,
            error: column(row, "error")?,
        })
    }

    /// Rows of rollup.weekly_rentals the run inserted, updated or deleted; null before it wrote.
    pub fn weeks_written(&self) -> Option<i64> {
        match (self.weeks_inserted, self.weeks_updated, self.weeks_deleted) {
            (Some(inserted), Some(updated), Some(deleted)) => {
                Some(i64::from(inserted) + i64::from(updated) + i64::from(deleted))
            }
            _ => None,
        }
    }
}
