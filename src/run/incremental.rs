//! An incremental run, in one transaction: pull what changed since the cutoff, find what was
//! deleted, work out the days and (film, store, week)s the changes reach, recompute exactly those,
//! and write only rows whose values changed. The order is the plan's (src/run/plan.rs).
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Client;
use tracing::info;

use crate::commands::run::Options;
use crate::connection::Target;
use crate::queries::{
    bookkeeping, build, column, failpoint, film_week_flow_applied_incremental_citus, steps,
};
use crate::run::link::{link_capture, link_source};
use crate::run::mode::{Mode, reconcile_decision};
use crate::run::record::{Outcome, finish};
use crate::run::{BUCKET_SIZE, recompute_weeks, record_history, transaction_settings};

/// What an incremental run does, decided before its transaction begins.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// An incremental run's cursor: rows with last_update at or after it are pulled.
    pub cutoff: Option<DateTime<Utc>>,
    /// Whether the source has a delete capture this run may read.
    pub capture: bool,
}

/// An incremental run's transaction: everything the rollup tables get from this run commits
/// together.
pub(crate) async fn refresh(
    client: &mut Client,
    options: &Options,
    fdw_source: &Target,
    run_id: i64,
    plan: Plan,
) -> Result<Outcome> {
    let Plan { cutoff, capture } = plan;
    let transaction = client.transaction().await.context("could not begin the run's transaction")?;
    let (reconcile, why) = reconcile_decision(&transaction, options).await?;
    info!(reconcile, "full fingerprint comparison: {why}");
    transaction_settings(&transaction, options).await?;
    bookkeeping::RUN_SETTING.execute(&transaction, &[&options.timezone]).await?;
    // a full build that died before it published left its staging tables
    build::STAGING_DROPPED.run_script(&transaction).await?;
    link_source(&transaction, fdw_source, false).await?;
    link_capture(&transaction, capture).await?;
    let mut outcome = Outcome::new(run_id, Mode::Incremental, reconcile);
    let on_workers: bool = bookkeeping::EVENTS_ON_WORKERS.value(&transaction, &[]).await?;
    let changed =
        gather_changes(&transaction, options, cutoff, capture, reconcile, on_workers, &mut outcome).await?;
    if changed {
        recompute(&transaction, options, run_id, on_workers, &mut outcome).await?;
    }
    steps::PULLED_FILM_INCREMENTAL.run_script(&transaction).await?;
    steps::FILM_APPLIED.run_step_one(&transaction, &[]).await?;
    if changed {
        steps::JUDGED_RENTAL_INCREMENTAL.run_script(&transaction).await?;
        steps::DATA_ISSUE_FOUND.run_script(&transaction).await?;
        steps::DATA_ISSUE_APPLIED_INCREMENTAL.run_step_one(&transaction, &[&run_id]).await?;
    }
    record_history(&transaction, run_id, false, changed).await?;
    finish(&transaction, options, &mut outcome, changed, None).await?;
    failpoint("commit").await?;
    transaction.commit().await.context("could not commit the run's transaction")?;
    Ok(outcome)
}

/// Steps 2-12 of an incremental run: what changed in the source, the days and (film, store,
/// week)s it reaches, and the shadows brought up to date. Returns false, having touched nothing,
/// when nothing changed (queries/run/nothing_changed.sql): the later steps would write nothing.
pub(crate) async fn gather_changes(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    cutoff: Option<DateTime<Utc>>,
    capture: bool,
    reconcile: bool,
    on_workers: bool,
    outcome: &mut Outcome,
) -> Result<bool> {
    let time_zone = &options.timezone;
    bookkeeping::INCREMENTAL_TABLES.run_script(transaction).await?;
    steps::PULLED_RENTAL.run_step(transaction, &[&cutoff]).await?;
    let (delete_check, capture_generation) =
        look_for_deletes(transaction, reconcile, capture, cutoff).await?;
    outcome.delete_check = Some(delete_check);
    outcome.capture_generation = capture_generation;
    bookkeeping::ANALYZE_PULLED.run_step(transaction, &[]).await?;
    steps::RENTAL_CHANGE.run_step(transaction, &[time_zone, &BUCKET_SIZE]).await?;
    steps::INVENTORY_CHANGE.run_step(transaction, &[]).await?;
    let counts = bookkeeping::PULL_COUNTS.query_one(transaction, &[]).await?;
    outcome.rows_pulled = column(&counts, "rows_pulled")?;
    outcome.buckets_compared = column(&counts, "buckets_compared")?;
    outcome.buckets_repulled = column(&counts, "buckets_repulled")?;
    let nothing_changed: bool =
        bookkeeping::NOTHING_CHANGED.value(transaction, &[&options.through, time_zone]).await?;
    if nothing_changed {
        info!("nothing changed since the last run: no day, week or finding to recompute");
        return Ok(false);
    }
    bookkeeping::ANALYZE_CHANGES.run_step(transaction, &[]).await?;
    steps::TOUCHED_DAY.run_step(transaction, &[time_zone]).await?;
    let copies = steps::INVENTORY_SHADOW_APPLIED.run_step_one(transaction, &[]).await?;
    outcome.copies_changed =
        column::<i32>(&copies, "copies_changed")? + column::<i32>(&copies, "copies_deleted")?;
    steps::TOUCHED_FILM_WEEK.run_step(transaction, &[time_zone]).await?;
    bookkeeping::ANALYZE_TOUCHED.run_step(transaction, &[]).await?;
    let rentals = steps::RENTAL_SHADOW_APPLIED.run_step_one(transaction, &[]).await?;
    outcome.rentals_changed = column(&rentals, "rentals_changed")?;
    outcome.rentals_deleted = column(&rentals, "rentals_deleted")?;
    if on_workers {
        steps::FILM_WEEK_EVENT_APPLIED_CITUS.run_script(transaction).await?;
    }
    steps::RENTAL_BUCKET_APPLIED_INCREMENTAL.run_step(transaction, &[&BUCKET_SIZE]).await?;
    steps::DAY_EVENT_INCREMENTAL.run_script(transaction).await?;
    let touched = bookkeeping::TOUCHED_COUNTS.query_one(transaction, &[]).await?;
    outcome.days_touched = column(&touched, "days_touched")?;
    outcome.weeks_touched = column(&touched, "weeks_touched")?;
    Ok(true)
}

/// Steps 3-5 of an incremental run: finds what the source deleted, so step 6 can tell. With the
/// source's capture installed and trusted (the last run checked it under the same installation),
/// the ids it logged since the cutoff. Otherwise the source's totals (count and sum of rental_ids)
/// against the rollup's stored ones, and only when they differ the per-bucket fingerprints, the
/// buckets that differ pulled whole. The full fingerprints, when due (`reconcile`), in either case.
/// Returns how the run looked (rollup.etl_run.delete_check) and the capture installation it read
/// or checked the totals under (the next run trusts the capture only under the same one).
pub(crate) async fn look_for_deletes(
    transaction: &tokio_postgres::Transaction<'_>,
    reconcile: bool,
    capture: bool,
    cutoff: Option<DateTime<Utc>>,
) -> Result<(&'static str, Option<i64>)> {
    let installation =
        if capture { bookkeeping::CAPTURE_TRUSTED.query_opt(transaction, &[&cutoff]).await? } else { None };
    let generation: Option<i64> = installation.as_ref().map(|row| column(row, "generation")).transpose()?;
    let trusted = match &installation {
        Some(row) => column::<bool>(row, "trusted")?,
        None => false,
    };
    let check = if trusted {
        steps::CAPTURED_DELETION.run_step(transaction, &[&cutoff]).await?;
        steps::CAPTURED_RENTAL.run_step(transaction, &[]).await?;
        "capture"
    } else {
        if capture {
            info!(
                "the source's delete capture is new to this rollup (or was pruned past the cutoff): checking the totals once"
            );
        }
        let totals = steps::RENTAL_TOTALS_DIFFER.run_step_one(transaction, &[]).await?;
        let differ: bool = column(&totals, "differs")?;
        if differ && !reconcile {
            steps::BUCKET_FINGERPRINT_IDS.run_step(transaction, &[&BUCKET_SIZE]).await?;
        }
        if differ { "buckets" } else { "totals" }
    };
    if reconcile {
        steps::BUCKET_FINGERPRINT_HASHES.run_step(transaction, &[&BUCKET_SIZE]).await?;
    }
    repull_differing_buckets(transaction).await?;
    Ok((if reconcile && check == "totals" { "buckets" } else { check }, generation))
}

/// Step 4, once per bucket whose fingerprints differ: pull it whole.
pub(crate) async fn repull_differing_buckets(transaction: &tokio_postgres::Transaction<'_>) -> Result<()> {
    let mismatched = bookkeeping::MISMATCHED_BUCKETS.query(transaction, &[]).await?;
    if mismatched.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let mut rows = 0;
    for bucket in &mismatched {
        let bucket: i32 = column(bucket, "bucket")?;
        rows += steps::REPULLED_RENTAL.execute(transaction, &[&BUCKET_SIZE, &bucket]).await?;
    }
    info!(
        step = steps::REPULLED_RENTAL.step_name(),
        buckets = mismatched.len(),
        rows,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "step done"
    );
    failpoint(steps::REPULLED_RENTAL.step_name()).await
}

/// Steps 13-20 of an incremental run: the touched days' flows, the weekly table from the earliest
/// changed day on, and the touched (film, store, week)s' flows, swept from the events the Citus
/// workers keep and written there through work tables by film when `on_workers` (docs/citus.md),
/// else from the rental shadow.
pub(crate) async fn recompute(
    transaction: &tokio_postgres::Transaction<'_>,
    options: &Options,
    run_id: i64,
    on_workers: bool,
    outcome: &mut Outcome,
) -> Result<()> {
    steps::DAY_FLOW_COMPUTED.run_step(transaction, &[]).await?;
    let days = steps::DAY_FLOW_APPLIED_INCREMENTAL.run_step_one(transaction, &[&run_id]).await?;
    let first_changed_day: Option<NaiveDate> = column(&days, "first_changed_day")?;
    recompute_weeks(transaction, options, run_id, first_changed_day, outcome).await?;
    if on_workers {
        steps::FILM_WEEK_EVENT_INCREMENTAL_CITUS.run_script(transaction).await?;
    } else {
        steps::FILM_WEEK_EVENT_INCREMENTAL.run_script(transaction).await?;
    }
    steps::FILM_WEEK_FLOW_COMPUTED.run_step(transaction, &[&options.timezone]).await?;
    bookkeeping::ANALYZE_RECOMPUTED.run_step(transaction, &[]).await?;
    let film_weeks = if on_workers {
        steps::FILM_WEEK_FLOW_RECOMPUTED_CITUS.run_script(transaction).await?;
        film_week_flow_applied_incremental_citus().run_step_one(transaction, &[&run_id]).await?
    } else {
        steps::FILM_WEEK_FLOW_APPLIED_INCREMENTAL.run_step_one(transaction, &[&run_id]).await?
    };
    outcome.film_weeks_recomputed = column(&film_weeks, "film_weeks_recomputed")?;
    outcome.film_stores_recomputed = column(&film_weeks, "film_stores_recomputed")?;
    outcome.film_weeks_written = column(&film_weeks, "film_weeks_written")?;
    Ok(())
}
