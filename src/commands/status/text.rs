//! The text report, as `rollup status` prints it for a person, and how it writes times and spans.
use chrono::{DateTime, Utc};

use super::freshness::Freshness;
use super::report::Status;
use crate::table;

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

    out.push_str(&render_freshness(&status.freshness));

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

/// The freshness lines of the text report.
fn render_freshness(freshness: &Freshness) -> String {
    let mut out = String::from("freshness (UTC):\n");
    match (&freshness.source_last_update, &freshness.source_error) {
        (Some(source), _) => {
            let at = |instant: Option<DateTime<Utc>>| {
                instant
                    .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_else(|| "empty".to_owned())
            };
            out.push_str(&format!(
                "  source's newest last_update: rental {}, inventory {}, film_category {}, category {}\n",
                at(source.rental),
                at(source.inventory),
                at(source.film_category),
                at(source.category)
            ));
        }
        (None, Some(error)) => out.push_str(&format!("  source: could not be read: {error}\n")),
        (None, None) => {}
    }
    match (freshness.last_success_run_id, freshness.last_success_finished_at) {
        (Some(run_id), Some(finished_at)) => {
            let ago =
                freshness.seconds_since_last_success.map(human_duration).unwrap_or_else(|| "?".to_owned());
            let cursor = freshness.cursor.map(utc_text).unwrap_or_else(|| "none recorded".to_owned());
            out.push_str(&format!(
                "  last successful run: run {run_id}, finished {} ({ago} ago); its cursor: {cursor}\n",
                finished_at.format("%Y-%m-%d %H:%M:%S")
            ));
        }
        _ => out.push_str("  last successful run: none\n"),
    }
    match (freshness.lag_seconds, &freshness.lag_unknown) {
        (Some(lag), _) if lag > 0.0 => out.push_str(&format!(
            "  behind the source: {} (the source's newest last_update is that much newer than the cursor)\n",
            human_duration(lag)
        )),
        (Some(_), _) => {
            out.push_str("  behind the source: 0s (no source last_update is newer than the cursor)\n")
        }
        (None, reason) => out.push_str(&format!(
            "  behind the source: unknown ({})\n",
            reason.as_deref().unwrap_or("no reason recorded")
        )),
    }
    out
}

pub(super) fn utc_text(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A span of seconds as a person reads it, in --max-lag's units (`3h 5min`, `40s`, `250ms`),
/// rounded down so that a lag is never overstated.
pub fn human_duration(seconds: f64) -> String {
    if seconds <= 0.0 {
        return "0s".to_owned();
    }
    if seconds < 1.0 {
        return format!("{}ms", (seconds * 1000.0).floor() as u64);
    }
    let mut rest = seconds.floor() as u64;
    let mut parts = Vec::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)] {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    parts.join(" ")
}
