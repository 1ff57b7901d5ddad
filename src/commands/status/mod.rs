//! `rollup status`: what the rollup holds, how far it is behind the source and what the last runs
//! did, as text for a person or as one JSON object (`--json`) for scripts and monitoring.
//!
//! Both outputs are printed from the same [`Status`], so they always say the same thing.
//!
//! How far behind the source the rollup is, and what that measure can and cannot see, is defined
//! in [`freshness`]. The rest is one file per step: [`collect`] reads the [`Status`] from the
//! rollup database (its shape, which is also the JSON's, is in [`report`]), and [`text`] prints
//! it for a person. This file holds the command: its options, its printing and the `--max-lag`
//! verdict.
mod collect;
mod freshness;
mod report;
mod text;

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};

pub use collect::collect;
pub use freshness::{Freshness, SourceLastUpdate};
pub use report::{BuildSettings, DataIssues, Run, Status, WeekRange};
pub use text::{human_duration, render_text};

use crate::connection::RollupDatabase;
use crate::reliability::parse_duration;
use text::utc_text;

/// Show what the rollup holds, how fresh it is and what the last runs did, as text or JSON.
///
/// The settings the rollup was built with, its week range and row counts, data-quality
/// findings by kind, freshness, and the last runs from rollup.etl_run (when, mode, status, rows
/// pulled, weeks recomputed, duration, error). `--json` prints the same as one JSON object.
///
/// Freshness: the source's newest last_update (rental, inventory, film_category, category,
/// read through postgres_fdw), the cursor of the last successful run (when it began reading
/// the source: it applied every change stamped before) and how long ago it finished. The
/// rollup is behind by how much newer than the cursor the source's newest last_update is; 0
/// when none is newer, however long ago the last run was. Unknown when the rollup was never
/// built or the source cannot be read.
///
/// Example: rollup status --runs 10
/// Example: rollup status --json | jq '.runs[0].status'
/// Example: rollup status --max-lag 2h || alert "rollup is stale"
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

    /// After printing the status, exit with code 1 and one `error:` line saying by how much when
    /// the rollup is further behind the source than this (e.g. 30min, 2h, 1d), or when how far
    /// cannot be told (never built, source unreachable): an unknown freshness fails, it never
    /// passes.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_lag: Option<Duration>,
}

pub async fn run(options: Options) -> Result<()> {
    let status = collect(&options).await?;
    if options.json {
        let text = serde_json::to_string_pretty(&status).context("could not encode the status as JSON")?;
        println!("{text}");
    } else {
        print!("{}", render_text(&status));
    }
    // Judged after printing, so a failing check still shows everything; the verdict goes to
    // stderr as the one `error:` line (exit code 1, like `rollup verify`'s difference), which
    // keeps `--json` output parseable.
    match options.max_lag {
        Some(max_lag) => check_lag(&status.freshness, max_lag),
        None => Ok(()),
    }
}

/// Fails when the rollup is behind the source by more than `max_lag`, or when how far is unknown.
pub fn check_lag(freshness: &Freshness, max_lag: Duration) -> Result<()> {
    let allowed = max_lag.as_secs_f64();
    let Some(lag) = freshness.lag_seconds else {
        let mut why = freshness.lag_unknown.clone().unwrap_or_else(|| "no reason recorded".to_owned());
        if let Some(error) = &freshness.source_error {
            why.push_str(&format!(" ({error})"));
        }
        return Err(anyhow!(
            "how far the rollup is behind the source is unknown, so --max-lag {} cannot be confirmed: {why}",
            human_duration(allowed)
        ));
    };
    if lag <= allowed {
        return Ok(());
    }
    let at = |instant: Option<DateTime<Utc>>| instant.map(utc_text).unwrap_or_else(|| "?".to_owned());
    Err(anyhow!(
        "the rollup is {} behind the source, {} more than --max-lag {} allows (the source's newest \
         last_update is {}, the cursor of the last successful run, run {}, is {}); `rollup run` catches up",
        human_duration(lag),
        human_duration(lag - allowed),
        human_duration(allowed),
        at(freshness.source_newest),
        freshness.last_success_run_id.map(|run_id| run_id.to_string()).unwrap_or_else(|| "?".to_owned()),
        at(freshness.cursor),
    ))
}
