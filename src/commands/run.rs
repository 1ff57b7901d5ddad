//! `rollup run`: its options and its entry point. What a run does, step by step, is in
//! [`crate::run`] (src/run/mod.rs lists the plan).
use anyhow::Result;
use chrono::NaiveDate;
use tracing::info;

use crate::commands::recommend::parse_service_level;
use crate::connection::{FdwSource, RollupDatabase, SourceDatabase};
use crate::reliability::{self, RunControl};
pub use crate::run::{Mode, Outcome};
use crate::run::{execute, settings};

/// Build or refresh the rollup tables (the weekly job).
///
/// Migrate the rollup database, link it to the source through postgres_fdw, and build or refresh
/// rollup.weekly_rentals, rollup.film_weekly (per film and store) and rollup.data_issue. The
/// first run, and every run whose time zone differs from the one the rollup was built with, builds
/// from scratch; later runs pull only the rentals changed since the last run, find what was
/// deleted (the source's count and sum of rental_ids, or its delete capture), recompute only the
/// days and weeks those changes reach, and write only rows whose values changed.
///
/// Example: rollup run --through 2026-11-24
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    #[command(flatten)]
    pub source: SourceDatabase,

    #[command(flatten)]
    pub fdw_source: FdwSource,

    /// IANA time zone in which weeks begin at Monday 00:00. Changing it rebuilds everything.
    #[arg(long, env = "ROLLUP_TIMEZONE", default_value = "UTC", value_name = "ZONE")]
    pub timezone: String,

    /// Rebuild every rollup table from scratch instead of writing only what changed.
    #[arg(long)]
    pub full: bool,

    /// Extend the week spine to the week containing DATE (YYYY-MM-DD), so rentals never returned
    /// stay visible as outstanding up to then, e.g. today.
    #[arg(long, value_name = "DATE")]
    pub through: Option<NaiveDate>,

    /// How far before the previous run's start the change cursor reaches back (PostgreSQL interval
    /// syntax). It must exceed the longest transaction writing rentals on the source plus the clock
    /// difference between the servers; reconciliation catches what it misses anyway.
    #[arg(
        long,
        env = "ROLLUP_LOOKBACK",
        default_value = "1 hour",
        value_name = "INTERVAL",
        allow_hyphen_values = true
    )]
    pub lookback: String,

    /// Memory each sort or hash of the run may use on the rollup server before spilling to disk
    /// (PostgreSQL's work_mem, for the run's transaction only). A full build of millions of
    /// rentals sorts them several times; the server default (4MB) makes those sorts spill.
    #[arg(long, env = "ROLLUP_WORK_MEM", default_value = "256MB", value_name = "SIZE")]
    pub work_mem: String,

    /// Never compare full fingerprints with the source. Deletes, inserts and updates made through
    /// the source's normal write path are still found by every run; what this gives up is rows
    /// changed without a new last_update (the trigger bypassed, session_replication_role =
    /// replica) and updates committed later than the lookback reaches: they stay missed until a
    /// --full run. An opt-in for a source too large to read whole even once a day.
    #[arg(long)]
    pub no_reconcile: bool,

    /// Compare full fingerprints with the source (which also sees rows changed without a new
    /// last_update, and updates committed later than the lookback) only when no run has done so
    /// within this interval. It reads every source rental (seconds at millions of rentals);
    /// deletes are found by every run whatever this says. 0 compares every run.
    #[arg(
        long,
        env = "ROLLUP_RECONCILE_EVERY",
        default_value = "1 day",
        value_name = "INTERVAL",
        allow_hyphen_values = true
    )]
    pub reconcile_every: String,

    /// Connections a full build computes on, side by side (the per-film flows in ranges of films,
    /// the day flows, the findings, the indexes). Each may use --work-mem for each of its sorts.
    /// [default: the cores of the rollup server, when this role may read them, else its
    /// max_parallel_workers_per_gather + 1; at most 8]
    #[arg(long, env = "ROLLUP_JOBS", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,

    /// The service level rollup.copies_recommendation is computed at: the share of weeks in which
    /// a title's copies in a store should cover demand (not every copy out), above 0 and at most
    /// 1. 1 recommends at least the highest weekly peak of the weeks the method reads.
    #[arg(
        long,
        env = "ROLLUP_SERVICE_LEVEL",
        default_value = "0.95",
        value_name = "LEVEL",
        value_parser = parse_service_level
    )]
    pub service_level: f64,

    /// Print what this run would do and change nothing: the mode and why (e.g. "time zone
    /// changed from UTC to Europe/London"), the cutoff, how deletes are found, whether full
    /// fingerprints are compared, the settings in force and the migrations it would apply.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub control: RunControl,
}

pub async fn run(options: Options) -> Result<()> {
    if options.dry_run {
        return crate::dry_run::print(&options).await;
    }
    let outcome = reliability::with_retries(&options.control, |attempt| {
        if attempt > 1 {
            info!(attempt, "starting the run again");
        }
        execute(&options)
    })
    .await
    .map_err(settings::explain_cancellation)?;
    info!(
        run_id = outcome.run_id,
        mode = outcome.mode.as_str(),
        rows_pulled = outcome.rows_pulled,
        buckets_repulled = outcome.buckets_repulled,
        rentals_changed = outcome.rentals_changed,
        rentals_deleted = outcome.rentals_deleted,
        rentals_quarantined = outcome.rentals_quarantined,
        weeks_touched = outcome.weeks_touched,
        weeks_recomputed = outcome.weeks_recomputed,
        weeks_written = outcome.weeks_inserted + outcome.weeks_updated + outcome.weeks_deleted,
        film_weeks_written = outcome.film_weeks_written,
        "run succeeded"
    );
    Ok(())
}
