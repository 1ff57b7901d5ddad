//! `rollup status`: what the rollup holds, how far it is behind the source and what the last runs
//! did, as text for a person or as one JSON object (`--json`) for scripts and monitoring.
//!
//! Both outputs are printed from the same [`Status`], so they always say the same thing.
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
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};
use tokio_postgres::Row;

use crate::connection::RollupDatabase;
use crate::errors;
use crate::migrations;
use crate::queries::{bookkeeping, inspect};
use crate::reliability::parse_duration;
use crate::table;

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

/// The source's newest last_update against the last successful run's cursor. A source that
/// cannot be read is reported in the result, not as an error, so the rest of the status still
/// prints; only a failure of the rollup database itself is an error.
async fn freshness(client: &tokio_postgres::Client, linked: bool) -> Result<Freshness> {
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

fn utc_text(instant: DateTime<Utc>) -> String {
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

/// The rows per table as a JSON object (`"weekly_rentals": 29`), kept as a list here so the text
/// lists them in the query's order.
fn as_map<S: Serializer>(rows: &[(String, i64)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(rows.iter().map(|(name, count)| (name, count)))
}

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
