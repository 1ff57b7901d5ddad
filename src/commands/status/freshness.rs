//! How far the rollup is behind the source: the measure, and reading it from both databases.
//!
//! Freshness, like dbt's `source freshness`: the source's newest `last_update` per table, read
//! through postgres_fdw, against the rollup's cursor, the `source_watermark` of the last successful
//! run (the rollup server's clock when that run began, before it read the source). The run applied
//! every change stamped before the cursor, so the rollup is behind by how much newer than the cursor
//! the source's newest stamp is, and by nothing when no stamp is newer. This measures unapplied
//! source activity, not the age of the last run: a rollup whose source has not changed since is not
//! behind however long ago it ran (the time since the last successful run is shown beside it).
//! Blind spots, shared with the cursor itself: a write that bypassed Pagila's last_update trigger
//! does not move the stamp; a transaction that began before the run but committed after carries an
//! older stamp (the next run's lookback pulls it); and clock skew between the two servers adds to or
//! hides lag, since the stamps come from the source's clock and the cursor from the rollup's.
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::errors;
use crate::queries::inspect;

/// How far the rollup is behind the source (see the module's documentation for the definition).
/// Every part is null when it cannot be known; the shape stays the same.
#[derive(Debug, Default, Serialize)]
pub struct Freshness {
    /// The source's newest last_update per table; null when the source could not be read.
    pub source_last_update: Option<SourceLastUpdate>,
    /// The newest of them.
    pub source_newest: Option<DateTime<Utc>>,
    /// Why the source could not be read; null when it was.
    pub source_error: Option<String>,
    /// The rollup's cursor: the source_watermark of the last successful run.
    pub cursor: Option<DateTime<Utc>>,
    pub last_success_run_id: Option<i64>,
    pub last_success_finished_at: Option<DateTime<Utc>>,
    /// Seconds since the last successful run finished, on the rollup server's clock.
    pub seconds_since_last_success: Option<f64>,
    /// How much newer than the cursor the source's newest last_update is, in seconds; 0 when it
    /// is not newer.
    pub lag_seconds: Option<f64>,
    /// Why lag_seconds is null; null when it is known.
    pub lag_unknown: Option<String>,
}

/// The newest last_update of each source table the rollup reads that has one (null: empty).
#[derive(Debug, Serialize)]
pub struct SourceLastUpdate {
    pub rental: Option<DateTime<Utc>>,
    pub inventory: Option<DateTime<Utc>>,
    pub film_category: Option<DateTime<Utc>>,
    pub category: Option<DateTime<Utc>>,
}

impl SourceLastUpdate {
    fn newest(&self) -> Option<DateTime<Utc>> {
        [self.rental, self.inventory, self.film_category, self.category].into_iter().flatten().max()
    }
}

/// The source's newest last_update against the last successful run's cursor. A source that
/// cannot be read is reported in the result, not as an error, so the rest of the status still
/// prints; only a failure of the rollup database itself is an error.
pub(super) async fn freshness(client: &tokio_postgres::Client, linked: bool) -> Result<Freshness> {
    let mut freshness = Freshness::default();
    let mut unknown = Vec::new();

    match inspect::LAST_SUCCESS.query_opt(client, &[]).await? {
        Some(row) => {
            freshness.last_success_run_id = Some(row.try_get("run_id")?);
            freshness.last_success_finished_at = row.try_get("finished_at")?;
            freshness.seconds_since_last_success = row.try_get("seconds_ago")?;
            freshness.cursor = row.try_get("source_watermark")?;
            if freshness.cursor.is_none() {
                unknown.push("the last successful run recorded no cursor (source_watermark)".to_owned());
            }
        }
        None => unknown.push("the rollup was never built (no successful run yet)".to_owned()),
    }

    let read = if linked {
        match inspect::SOURCE_NEWEST.query_one(client, &[]).await {
            Ok(row) => Ok(SourceLastUpdate {
                rental: row.try_get("rental")?,
                inventory: row.try_get("inventory")?,
                film_category: row.try_get("film_category")?,
                category: row.try_get("category")?,
            }),
            // The rollup connection itself gone is not the source's fault: a plain failure.
            Err(error) if client.is_closed() => return Err(error),
            Err(error) => Err(errors::render(&error)),
        }
    } else {
        Err("the rollup database has no foreign tables for the source yet (`rollup run` makes them)"
            .to_owned())
    };
    match read {
        Ok(source) => {
            freshness.source_newest = source.newest();
            freshness.source_last_update = Some(source);
        }
        Err(error) => {
            unknown.push("the source could not be read".to_owned());
            freshness.source_error = Some(error);
        }
    }

    if unknown.is_empty() {
        freshness.lag_seconds = Some(match (freshness.source_newest, freshness.cursor) {
            (Some(newest), Some(cursor)) if newest > cursor => seconds(newest - cursor),
            // An empty source, or nothing stamped after the cursor: the rollup has it all.
            _ => 0.0,
        });
    } else {
        freshness.lag_unknown = Some(unknown.join("; "));
    }
    Ok(freshness)
}

/// A time span in seconds, to the microsecond PostgreSQL keeps.
fn seconds(span: chrono::TimeDelta) -> f64 {
    span.num_microseconds().map(|micros| micros as f64 / 1e6).unwrap_or(span.num_seconds() as f64)
}
