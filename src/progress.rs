//! What a long step has done so far, for a person watching a terminal and for a log collector.
//!
//! A 10-million-rental full build has steps of minutes. The rows a `COPY` has moved are counted
//! here as they stream through (one COPY message per row), against the source's own estimate of
//! its table (`pg_class.reltuples`); an index build's phase and blocks are read from the rollup
//! server's `pg_stat_progress_create_index` on a connection of their own. Everything else (the
//! set-based SQL steps) reports elapsed time only: PostgreSQL keeps no progress for a query.
//!
//! Two outputs, from the same samples:
//! - every [`every`] (ROLLUP_PROGRESS_EVERY, default 10 s) a `step progress` log record with
//!   `rows_done` and `rows_total` (or, while an index build scans its table, `blocks_done` and
//!   `blocks_total`) and `phase` where known, in text and JSON logs alike;
//! - when standard error is a terminal and the log format is text, a bar per running step
//!   (indicatif), redrawn a few times a second; log lines print above the bars
//!   ([`LogWriter`]). When standard error is not a terminal nothing else is written.
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tokio_postgres::Client;
use tracing::info;

use crate::queries::build;

/// The bars of this process, when standard error is a terminal and logs are text.
static BARS: OnceLock<MultiProgress> = OnceLock::new();

/// How often a bar is redrawn from its counters.
const REDRAW_EVERY: Duration = Duration::from_millis(200);

/// Turns the bars on; called once by `logging::init` when a person watches.
pub fn enable_bars() {
    let _ = BARS.set(MultiProgress::new());
}

/// How often a running step logs its progress: ROLLUP_PROGRESS_EVERY in seconds (fractions
/// allowed, for tests), 10 by default; a value that is not a positive number keeps the default.
pub fn every() -> Duration {
    std::env::var("ROLLUP_PROGRESS_EVERY")
        .ok()
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .map_or(Duration::from_secs(10), Duration::from_secs_f64)
}

/// Rows a step has done, counted by whoever moves them, and how many it expects.
#[derive(Debug, Default)]
pub struct Rows {
    done: AtomicU64,
    total: Option<u64>,
}

impl Rows {
    pub fn expecting(total: Option<u64>) -> Self {
        Rows { done: AtomicU64::new(0), total }
    }

    pub fn add(&self, rows: u64) {
        self.done.fetch_add(rows, Ordering::Relaxed);
    }

    fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
}

/// Where a step's progress comes from.
pub enum Source<'a> {
    /// Elapsed time only.
    Clock,
    /// Rows counted by the runner.
    Rows(&'a Rows),
    /// An index build on the rollup server: the backend `pid`, read through `monitor`.
    IndexBuild { monitor: &'a Client, pid: i32 },
}

/// One reading of a step's progress.
#[derive(Debug, Default, Clone, PartialEq)]
struct Sample {
    done: Option<u64>,
    total: Option<u64>,
    /// What `done` and `total` count.
    unit: Unit,
    phase: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum Unit {
    /// Rows (a COPY's) or index tuples.
    #[default]
    Rows,
    /// Table blocks, while an index build scans its table.
    Blocks,
}

impl Source<'_> {
    async fn sample(&self) -> Sample {
        match self {
            Source::Clock => Sample::default(),
            Source::Rows(rows) => Sample { done: Some(rows.done()), total: rows.total, ..Sample::default() },
            Source::IndexBuild { monitor, pid } => {
                // A failed or empty reading is no reason to fail the build: show elapsed time.
                let row = build::INDEX_BUILD_PROGRESS.query_opt(*monitor, &[pid]).await.ok().flatten();
                let Some(row) = row else { return Sample::default() };
                let count =
                    |column: &str| row.try_get::<_, i64>(column).ok().and_then(|n| u64::try_from(n).ok());
                let phase: Option<String> = row.try_get("phase").ok();
                // Scanning the table counts blocks; loading the sorted tuples counts tuples.
                let (done, total, unit) = match (count("tuples_total"), count("blocks_total")) {
                    (Some(total), _) if total > 0 => (count("tuples_done"), Some(total), Unit::Rows),
                    (_, Some(total)) if total > 0 => (count("blocks_done"), Some(total), Unit::Blocks),
                    _ => (None, None, Unit::Rows),
                };
                Sample { done, total, unit, phase }
            }
        }
    }
}

/// Runs `work` as the step `step`, reporting its progress from `source` until it ends.
pub async fn watch<T>(step: &str, source: Source<'_>, work: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let bar = BARS.get().map(|bars| bars.add(new_bar(step)));
    let mut work = std::pin::pin!(work);
    let every = every();
    let mut log_ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut redraws = tokio::time::interval(REDRAW_EVERY);
    let done = loop {
        tokio::select! {
            done = &mut work => break done,
            _ = log_ticks.tick() => {
                let sample = source.sample().await;
                let (rows, blocks) = match sample.unit {
                    Unit::Rows => ((sample.done, sample.total), (None, None)),
                    Unit::Blocks => ((None, None), (sample.done, sample.total)),
                };
                info!(
                    step,
                    elapsed_s = started.elapsed().as_secs(),
                    rows_done = rows.0,
                    rows_total = rows.1,
                    blocks_done = blocks.0,
                    blocks_total = blocks.1,
                    phase = sample.phase.as_deref(),
                    "step progress"
                );
            }
            _ = redraws.tick(), if bar.is_some() => {
                if let Some(bar) = &bar {
                    draw(bar, &source.sample().await);
                }
            }
        }
    };
    if let (Some(bar), Some(bars)) = (bar, BARS.get()) {
        bar.finish_and_clear();
        bars.remove(&bar);
    }
    done
}

fn new_bar(step: &str) -> ProgressBar {
    let bar = ProgressBar::no_length().with_prefix(step.to_owned());
    bar.set_style(spinner_style());
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix} {elapsed} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn counted_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix} [{bar:30}] {human_pos}/{human_len} {msg} ({elapsed}, about {eta} left)",
    )
    .map(|style| style.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn draw(bar: &ProgressBar, sample: &Sample) {
    let unit = match sample.unit {
        Unit::Rows => "",
        Unit::Blocks => " blocks",
    };
    if let Some(phase) = &sample.phase {
        bar.set_message(format!("{phase}{unit}"));
    }
    match (sample.done, sample.total) {
        (Some(done), Some(total)) => {
            if bar.length().is_none() {
                bar.set_style(counted_style());
            }
            // An estimate can be below the truth: the bar then grows with the rows.
            bar.set_length(total.max(done));
            bar.set_position(done);
        }
        (Some(done), None) => {
            bar.set_message(format!("{done} rows"));
        }
        _ => {}
    }
}

/// The log's writer: standard error, printed above the bars when they are shown so a log line
/// never tears one.
pub struct LogWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine(Vec::new())
    }
}

/// One log record, written out whole when dropped.
pub struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let line = std::mem::take(&mut self.0);
        let write = || {
            let _ = std::io::stderr().lock().write_all(&line);
        };
        match BARS.get() {
            Some(bars) => bars.suspend(write),
            None => write(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_interval_comes_from_the_environment_or_stays_at_ten_seconds() {
        // One test touches the variable, so parallel tests do not race on it.
        unsafe { std::env::set_var("ROLLUP_PROGRESS_EVERY", "0.25") };
        assert_eq!(every(), Duration::from_millis(250));
        for bad in ["0", "-1", "soon", "NaN"] {
            unsafe { std::env::set_var("ROLLUP_PROGRESS_EVERY", bad) };
            assert_eq!(every(), Duration::from_secs(10), "{bad}");
        }
        unsafe { std::env::remove_var("ROLLUP_PROGRESS_EVERY") };
        assert_eq!(every(), Duration::from_secs(10));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn rows_counted_while_a_step_runs_are_what_it_reports() {
        let rows = Rows::expecting(Some(100));
        rows.add(40);
        rows.add(2);
        let sample = Source::Rows(&rows).sample().await;
        assert_eq!(sample, Sample { done: Some(42), total: Some(100), unit: Unit::Rows, phase: None });
        let result = watch("test_step", Source::Rows(&rows), async { 7 }).await;
        assert_eq!(result, 7);
    }
}
