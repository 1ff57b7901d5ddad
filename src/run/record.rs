//! What a run did, and how it is recorded in rollup.etl_run: the counters of [`Outcome`], written
//! at the end of the run's transaction, or the failure after it rolled back.
use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio_postgres::Client;
use tracing::warn;

use crate::commands::run::Options;
use crate::connection::Target;
use crate::errors;
use crate::queries::bookkeeping;
use crate::run::mode::{DEFINITIONS, Mode, WEEK_START};

/// What the run did, as recorded in rollup.etl_run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub run_id: i64,
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
        }
    }
}

/// The end of a run's transaction: what the rollup counts now, the run's record with its counts
/// and watermark (`watermark`, or the transaction's start), and after a full build the settings
/// the tables now mean.
pub(crate) async fn finish(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    outcome: &mut Outcome,
    watermark: Option<DateTime<Utc>>,
) -> Result<()> {
    let counts = bookkeeping::RENTAL_COUNTS.query_one(transaction, &[]).await?;
    outcome.rentals_counted = counts.get("rentals_counted");
    outcome.rentals_quarantined = counts.get("rentals_quarantined");
    if outcome.rentals_quarantined > 0 {
        warn!(
            rentals = outcome.rentals_quarantined,
            "rentals left out of every count: returned before rented, or dated outside the plausible range"
        );
    }
    bookkeeping::FINISH_RUN
        .execute(
            transaction,
            &[
                &outcome.run_id,
                &options.lookback,
                &outcome.reconciled,
                &outcome.rows_pulled,
                &outcome.buckets_compared,
                &outcome.buckets_repulled,
                &outcome.rentals_changed,
                &outcome.rentals_deleted,
                &outcome.rentals_counted,
                &outcome.rentals_quarantined,
                &outcome.weeks_touched,
                &outcome.weeks_recomputed,
                &outcome.weeks_inserted,
                &outcome.weeks_updated,
                &outcome.weeks_deleted,
                &outcome.copies_changed,
                &outcome.film_stores_recomputed,
                &outcome.film_weeks_recomputed,
                &outcome.film_weeks_written,
                &outcome.delete_check,
                &outcome.capture_generation,
                &outcome.days_touched,
                &watermark,
            ],
        )
        .await?;
    if outcome.mode == Mode::Full {
        bookkeeping::RECORD_BUILD_SETTINGS
            .execute(transaction, &[&options.timezone, &WEEK_START, &outcome.run_id, &DEFINITIONS])
            .await?;
    }
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
