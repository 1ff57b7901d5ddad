//! `make bench`: what a run costs at scale, measured against the lower bounds and the peer in the
//! same session, so the ratios hold even on a noisy machine.
//!
//! On the `make run` servers it generates (once, then reuses) two synthetic sources with
//! `rollup generate`: BENCH_RENTALS rentals (default 10 million) and a dirty, skewed one of
//! BENCH_DIRTY_RENTALS (default 2 million; `--dirty`: copies rented while out, rentals open for
//! years), plus a 1-million-rental sample for the peer and a copy of Pagila. Then it repeats
//! BENCH_REPEAT times (default 3), interleaved so every measure sees the same machine state, on
//! each of the two sources:
//!   * a full build (`rollup run --full`) and the bare transfer of the slim rental rows through
//!     postgres_fdw it is compared with;
//!   * 0.5% churn (`rollup generate --churn 0.5`: new rentals, returns (on the dirty source also of
//!     rentals open for years), corrected returns, deletes; not timed), then an incremental run
//!     with default settings, then `rollup verify`, which must pass;
//!   * a no-op run, whose delete check (step 3) is compared with a bare `SELECT count(*)` on the
//!     source; a run after three changed rows (one insert, one corrected return, one delete);
//!   * the same no-op and three-row runs with the opt-in delete capture installed (then dropped);
//!   * the bare pull of the rows the incremental run pulled.
//!
//! On the sample: the peer (a correlated subquery per week, on the source) and a full build. On
//! Pagila: a full build, a no-op run, and a no-op with the capture.
//!
//! Runs use the default settings but one: a lookback of 0 (ROLLUP_LOOKBACK), so that a no-op
//! measured a minute after a churn does not pull the churn again; in production the lookback
//! re-pulls the last hour's changes, which a quiet hour does not have.
//!
//! Each `rollup` is a child process, timed from spawn to exit (what a user waits for), with its
//! peak RSS from wait4. Results are printed and written to bench/results.md.
//!
//! Not a timed test: it needs many minutes and a quiet machine, so it lives apart from `make test`.
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pagila_rollup::connection::{RollupDatabase, SourceDatabase, Target};
use tokio_postgres::Client;

const HISTORY_END: &str = "2026-11-23";
/// bench/results.md from this line on is kept across runs: the hand-written analysis.
const ANALYSIS_MARKER: &str = "<!-- analysis: kept by make bench -->";
const SAMPLE_RENTALS: i64 = 1_000_000;
const CHURN_PERCENT: &str = "0.5";
/// The step of an incremental run that looks for deletes by the source's totals.
const DELETE_CHECK_STEP: &str = "03_rental_totals_differ";

const WEEKLY_RENTED: &str = include_str!("../bench/queries/weekly_rented_pushed_down.sql");
const WEEKLY_RETURNED: &str = include_str!("../bench/queries/weekly_returned_pushed_down.sql");
const SLIM_ROWS: &str = include_str!("../bench/queries/slim_rows_transferred.sql");
const CHANGED_ROWS: &str = include_str!("../bench/queries/changed_rows_transferred.sql");
const INCREMENTAL_CURSOR: &str = include_str!("../bench/queries/incremental_cursor.sql");
const PEER: &str = include_str!("../bench/queries/peer_correlated_subqueries.sql");
const SERVER_SETTINGS: &str = include_str!("../bench/queries/server_settings.sql");
const THREE_CHANGES: &str = include_str!("../bench/queries/three_changes.sql");
const BARE_COUNT: &str = include_str!("../bench/queries/bare_count.sql");

fn main() -> std::process::ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(bench()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// One kind of measurement, several samples.
#[derive(Default)]
struct Samples {
    times: Vec<Duration>,
    max_rss_kb: i64,
}

impl Samples {
    fn push(&mut self, time: Duration) {
        self.times.push(time);
    }

    fn median(&self) -> Duration {
        let mut sorted = self.times.clone();
        sorted.sort();
        match sorted.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
        }
    }

    fn describe(&self) -> String {
        let min = self.times.iter().min().copied().unwrap_or_default();
        let max = self.times.iter().max().copied().unwrap_or_default();
        format!("{} ({} – {}, n={})", seconds(self.median()), seconds(min), seconds(max), self.times.len())
    }
}

fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 1.0 { format!("{:.0} ms", secs * 1000.0) } else { format!("{secs:.2} s") }
}

/// A database pair the pipeline runs on: a source database and a rollup database.
struct Setup {
    label: String,
    /// What the results call it, e.g. "10,000,000 rentals".
    description: String,
    source: Target,
    rollup: Target,
}

struct Bench {
    binary: PathBuf,
    logs: PathBuf,
    source_server: Target,
    rollup_server: Target,
}

/// Everything measured on one generated source, round by round.
#[derive(Default)]
struct ScaleSamples {
    full: Samples,
    transfer: Samples,
    aggregates: Samples,
    incremental: Samples,
    verify: Samples,
    verify_failures: usize,
    changed_pull: Samples,
    changed_rows: Vec<i64>,
    noop: Samples,
    delete_check: Samples,
    bare_count: Samples,
    three_rows: Samples,
    noop_capture: Samples,
    three_rows_capture: Samples,
    full_build_log: Option<PathBuf>,
    incremental_log: Option<PathBuf>,
}

impl ScaleSamples {
    fn all_runs(&self) -> [&Samples; 6] {
        [
            &self.full,
            &self.incremental,
            &self.noop,
            &self.three_rows,
            &self.noop_capture,
            &self.three_rows_capture,
        ]
    }
}

async fn bench() -> Result<()> {
    let rentals: i64 = env_number("BENCH_RENTALS", 10_000_000)?;
    let dirty_rentals: i64 = env_number("BENCH_DIRTY_RENTALS", 2_000_000)?;
    let repeat: usize = env_number("BENCH_REPEAT", 3)?;
    let source_server = SourceDatabase { source_url: std::env::var("SOURCE_URL").ok() }.target()?;
    let rollup_server = RollupDatabase { rollup_url: std::env::var("ROLLUP_URL").ok() }.target()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let logs = root.join("target/bench-logs");
    std::fs::create_dir_all(&logs)?;
    let bench =
        Bench { binary: PathBuf::from(env!("CARGO_BIN_EXE_rollup")), logs, source_server, rollup_server };

    let sample_rentals = rentals.min(SAMPLE_RENTALS);
    let large = bench.setup(rentals, false).await?;
    let dirty = bench.setup(dirty_rentals, true).await?;
    let sample =
        if sample_rentals == rentals { None } else { Some(bench.setup(sample_rentals, false).await?) };
    let pagila = bench.pagila_copy().await?;

    let mut scales = [ScaleSamples::default(), ScaleSamples::default()];
    let mut peer = Samples::default();
    let mut sample_full = Samples::default();
    let mut pagila_full = Samples::default();
    let mut pagila_noop = Samples::default();
    let mut pagila_noop_capture = Samples::default();

    for round in 1..=repeat {
        for (setup, samples) in [&large, &dirty].into_iter().zip(scales.iter_mut()) {
            eprintln!("bench: round {round} of {repeat} on {}", setup.label);
            bench.measure_scale(setup, samples, round).await?;
        }
        if let Some(sample) = &sample {
            bench.rollup(sample, &["run", "--full"], &mut sample_full, &format!("sample-full-{round}"))?;
        }
        // The peer takes minutes on the sample; once per round would triple the bench.
        if round == 1 {
            let source = sample.as_ref().unwrap_or(&large).source.connect().await?;
            let started = Instant::now();
            source.query(PEER, &[]).await.context("the peer query")?;
            peer.push(started.elapsed());
        }
        bench.rollup(&pagila, &["run", "--full"], &mut pagila_full, &format!("pagila-full-{round}"))?;
        bench.rollup(&pagila, &["run"], &mut pagila_noop, &format!("pagila-noop-{round}"))?;
        bench.capture(&pagila, "install")?;
        bench.rollup(
            &pagila,
            &["run"],
            &mut Samples::default(),
            &format!("pagila-capture-trusted-{round}"),
        )?;
        bench.rollup(&pagila, &["run"], &mut pagila_noop_capture, &format!("pagila-noop-capture-{round}"))?;
        bench.capture(&pagila, "drop")?;
    }
    if sample.is_none() {
        sample_full = Samples { times: scales[0].full.times.clone(), max_rss_kb: scales[0].full.max_rss_kb };
    }

    let peak_rss_kb = scales
        .iter()
        .flat_map(|scale| scale.all_runs())
        .chain([&sample_full, &pagila_full, &pagila_noop, &pagila_noop_capture])
        .map(|samples| samples.max_rss_kb)
        .max()
        .unwrap_or(0);
    let ratio = |a: &Samples, b: &Samples| a.median().as_secs_f64() / b.median().as_secs_f64();
    let mut measures = Vec::new();
    let mut targets = Vec::new();
    for (setup, scale) in [&large, &dirty].into_iter().zip(&scales) {
        let name = &setup.description;
        measures.extend([
            (format!("{name}: full build"), scale.full.describe()),
            (format!("{name}: lower bound, slim rows through postgres_fdw"), scale.transfer.describe()),
            (format!("{name}: lower bound, both weekly aggregates pushed down"), scale.aggregates.describe()),
            (format!("{name}: incremental run after {CHURN_PERCENT}% churn"), scale.incremental.describe()),
            (
                format!(
                    "{name}: `rollup verify` right after it ({} of {} passed)",
                    scale.verify.times.len() - scale.verify_failures,
                    scale.verify.times.len()
                ),
                scale.verify.describe(),
            ),
            (
                format!(
                    "{name}: lower bound, the changed rows pulled ({} rows, median)",
                    median_of(&scale.changed_rows)
                ),
                scale.changed_pull.describe(),
            ),
            (format!("{name}: no-op run"), scale.noop.describe()),
            (format!("{name}: its delete check ({DELETE_CHECK_STEP})"), scale.delete_check.describe()),
            (
                format!("{name}: bare `SELECT count(*) FROM rental` on the source"),
                scale.bare_count.describe(),
            ),
            (format!("{name}: run after three changed rows"), scale.three_rows.describe()),
            (format!("{name}: no-op run, delete capture installed"), scale.noop_capture.describe()),
            (
                format!("{name}: run after three changed rows, capture installed"),
                scale.three_rows_capture.describe(),
            ),
        ]);
        targets.extend([
            target(
                format!("{name}: incremental / full build"),
                ratio(&scale.incremental, &scale.full),
                "≤ 0.05",
                |x| x <= 0.05,
                3,
            ),
            target(
                format!("{name}: verify passes after the incremental run"),
                scale.verify_failures as f64,
                "0 failures",
                |x| x == 0.0,
                0,
            ),
            target(
                format!("{name}: three changed rows / no-op"),
                ratio(&scale.three_rows, &scale.noop),
                "≤ 2",
                |x| x <= 2.0,
                2,
            ),
            target(
                format!("{name}: delete check / bare count(*)"),
                ratio(&scale.delete_check, &scale.bare_count),
                "≤ 1.5",
                |x| x <= 1.5,
                2,
            ),
            target(
                format!("{name}: no-op with the capture (s)"),
                scale.noop_capture.median().as_secs_f64(),
                "≤ 0.100",
                |x| x <= 0.1,
                3,
            ),
            target(
                format!("{name}: full build / slim transfer"),
                ratio(&scale.full, &scale.transfer),
                "≤ 1.2",
                |x| x <= 1.2,
                2,
            ),
        ]);
    }
    measures.extend([
        (format!("peer: correlated subqueries, {sample_rentals} rentals"), peer.describe()),
        (format!("full build, {sample_rentals} rentals"), sample_full.describe()),
        (String::from("Pagila: full build"), pagila_full.describe()),
        (String::from("Pagila: no-op run"), pagila_noop.describe()),
        (String::from("Pagila: no-op run, delete capture installed"), pagila_noop_capture.describe()),
        (String::from("rollup peak RSS, any run"), format!("{:.1} MB", peak_rss_kb as f64 / 1024.0)),
    ]);
    targets.extend([
        target(
            String::from("Pagila no-op run (s)"),
            pagila_noop.median().as_secs_f64(),
            "≤ 0.100",
            |x| x <= 0.1,
            3,
        ),
        target(
            String::from("Pagila full build (s)"),
            pagila_full.median().as_secs_f64(),
            "≤ 0.300",
            |x| x <= 0.3,
            3,
        ),
        target(
            String::from("peer / full build (sample)"),
            ratio(&peer, &sample_full),
            "≥ 100",
            |x| x >= 100.0,
            0,
        ),
        target(String::from("peak RSS (MB)"), peak_rss_kb as f64 / 1024.0, "≤ 30", |x| x <= 30.0, 1),
    ]);

    let machine = bench.describe_machine(&large).await?;
    let mut step_tables = Vec::new();
    for (setup, scale) in [&large, &dirty].into_iter().zip(&scales) {
        for (what, log) in
            [("first full build", &scale.full_build_log), ("first incremental run", &scale.incremental_log)]
        {
            if let Some(log) = log {
                step_tables
                    .push((format!("Steps of the {what} on {}", setup.description), step_timings(log)));
            }
        }
    }
    let report = render(&machine, &measures, &targets, &step_tables, repeat);
    println!("{report}");
    let results = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/results.md");
    // The profile of what bounds each missed target is written by hand below a marker; keep it.
    let analysis = std::fs::read_to_string(&results)
        .ok()
        .and_then(|text| text.find(ANALYSIS_MARKER).map(|at| text[at..].to_owned()))
        .unwrap_or_default();
    std::fs::write(&results, format!("{report}\n{analysis}"))
        .with_context(|| format!("could not write {}", results.display()))?;
    eprintln!("bench: written to {}", results.display());
    Ok(())
}

fn median_of(values: &[i64]) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

struct TargetCheck {
    name: String,
    value: String,
    goal: &'static str,
    met: bool,
}

fn target(name: String, value: f64, goal: &'static str, ok: fn(f64) -> bool, decimals: usize) -> TargetCheck {
    TargetCheck { name, value: format!("{value:.decimals$}"), goal, met: value.is_finite() && ok(value) }
}

impl Bench {
    /// A generated source of `rentals` rentals, dirty or not (made on first use, reused after), and
    /// a fresh rollup database for it, migrated.
    async fn setup(&self, rentals: i64, dirty: bool) -> Result<Setup> {
        let name =
            if dirty { format!("bench_source_dirty_{rentals}") } else { format!("bench_source_{rentals}") };
        let server = self.source_server.connect().await?;
        let exists: bool = server
            .query_one("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", &[&name])
            .await?
            .get(0);
        if !exists {
            eprintln!("bench: generating {rentals} rentals into {name} (once; later benches reuse it)");
            let started = Instant::now();
            let count = rentals.to_string();
            let mut args = vec!["generate", "--rentals", &count, "--into", &name, "--end", HISTORY_END];
            if dirty {
                args.push("--dirty");
            }
            let log = self.logs.join(format!("generate-{name}.log"));
            let status = Command::new(&self.binary)
                .args(&args)
                .stdout(Stdio::null())
                .stderr(File::create(&log)?)
                .status()?;
            if !status.success() {
                bail!("rollup generate failed; see {}", log.display());
            }
            eprintln!("bench: generated in {}", seconds(started.elapsed()));
        }
        let rollup = self.fresh_rollup_database(&name.replace("source", "rollup")).await?;
        let description = format!("{} rentals{}", thousands(rentals), if dirty { ", dirty" } else { "" });
        Ok(Setup {
            label: name.clone(),
            description,
            source: self.source_server.with_database("source", &name),
            rollup,
        })
    }

    /// A copy of the `make run` servers' Pagila (made on first use), so installing the capture never
    /// touches the real one, and a fresh rollup database for it.
    async fn pagila_copy(&self) -> Result<Setup> {
        let name = "bench_source_pagila";
        let server = self.source_server.connect().await?;
        let exists: bool = server
            .query_one("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", &[&name])
            .await?
            .get(0);
        if !exists {
            let sql: String = server
                .query_one(
                    "SELECT format('CREATE DATABASE %I TEMPLATE %I', $1::text, $2::text)",
                    &[&name, &self.source_server.database()],
                )
                .await?
                .get(0);
            server.batch_execute(&sql).await.with_context(|| sql.clone())?;
        }
        Ok(Setup {
            label: String::from("pagila"),
            description: String::from("Pagila"),
            source: self.source_server.with_database("source", name),
            rollup: self.fresh_rollup_database("bench_rollup_pagila").await?,
        })
    }

    /// One round on one generated source (see the module's documentation).
    async fn measure_scale(&self, setup: &Setup, samples: &mut ScaleSamples, round: usize) -> Result<()> {
        let log = self.rollup(setup, &["run", "--full"], &mut samples.full, &format!("full-{round}"))?;
        samples.full_build_log.get_or_insert(log);
        let rollup = setup.rollup.connect().await?;
        let started = Instant::now();
        rollup.query(WEEKLY_RENTED, &[]).await.context("pushed-down weekly rentals")?;
        rollup.query(WEEKLY_RETURNED, &[]).await.context("pushed-down weekly returns")?;
        samples.aggregates.push(started.elapsed());
        samples.transfer.push(timed_rolled_back(&rollup, SLIM_ROWS, &[]).await?);

        self.churn(setup)?;
        let log = self.rollup(setup, &["run"], &mut samples.incremental, &format!("incremental-{round}"))?;
        samples.incremental_log.get_or_insert(log);
        let verified =
            self.rollup_status(setup, &["verify"], &mut samples.verify, &format!("verify-{round}"))?;
        if !verified {
            samples.verify_failures += 1;
        }
        let cursor = rollup.query_one(INCREMENTAL_CURSOR, &[]).await.context("incremental cursor")?;
        let cutoff: chrono::DateTime<chrono::Utc> = cursor.get("cutoff");
        samples.changed_rows.push(cursor.get::<_, i64>("rows_pulled"));
        samples.changed_pull.push(timed_rolled_back(&rollup, CHANGED_ROWS, &[&cutoff]).await?);

        let log = self.rollup(setup, &["run"], &mut samples.noop, &format!("noop-{round}"))?;
        if let Some(ms) =
            step_timings(&log).iter().find(|(step, _)| step == DELETE_CHECK_STEP).map(|(_, ms)| *ms)
        {
            samples.delete_check.push(Duration::from_millis(ms));
        }
        let source = setup.source.connect().await?;
        let started = Instant::now();
        source.query(BARE_COUNT, &[]).await.context("bare count")?;
        samples.bare_count.push(started.elapsed());
        source.batch_execute(THREE_CHANGES).await.context("three changes")?;
        self.rollup(setup, &["run"], &mut samples.three_rows, &format!("three-rows-{round}"))?;

        self.capture(setup, "install")?;
        // The first run under a new capture checks the totals once; the runs after it trust the log.
        self.rollup(setup, &["run"], &mut Samples::default(), &format!("capture-trusted-{round}"))?;
        self.rollup(setup, &["run"], &mut samples.noop_capture, &format!("noop-capture-{round}"))?;
        source.batch_execute(THREE_CHANGES).await.context("three changes")?;
        self.rollup(
            setup,
            &["run"],
            &mut samples.three_rows_capture,
            &format!("three-rows-capture-{round}"),
        )?;
        self.capture(setup, "drop")?;
        Ok(())
    }

    async fn fresh_rollup_database(&self, name: &str) -> Result<Target> {
        let server = self.rollup_server.connect().await?;
        for statement in ["DROP DATABASE IF EXISTS %I", "CREATE DATABASE %I"] {
            let sql: String =
                server.query_one("SELECT format($1, $2::text)", &[&statement, &name]).await?.get(0);
            server.batch_execute(&sql).await.with_context(|| sql.clone())?;
        }
        Ok(self.rollup_server.with_database("rollup", name))
    }

    /// Runs `rollup` on a setup, adds its wall time and peak RSS to `samples`; returns its log.
    fn rollup(&self, setup: &Setup, args: &[&str], samples: &mut Samples, label: &str) -> Result<PathBuf> {
        let log = self.logs.join(format!("{}-{label}.log", setup.label));
        let started = Instant::now();
        let child = Command::new(&self.binary)
            .args(args)
            .env("SOURCE_URL", url(&setup.source))
            .env("FDW_SOURCE_URL", url(&setup.source))
            .env("ROLLUP_URL", url(&setup.rollup))
            // A no-op measured seconds after a churn would otherwise pull the churn again.
            .env("ROLLUP_LOOKBACK", "0")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(File::create(&log)?)
            .spawn()
            .with_context(|| format!("could not start {}", self.binary.display()))?;
        let (status, max_rss_kb) = wait_with_rusage(child.id())?;
        let elapsed = started.elapsed();
        if status != 0 {
            bail!(
                "rollup {} on {} failed (exit {status}); see {}",
                args.join(" "),
                setup.label,
                log.display()
            );
        }
        samples.push(elapsed);
        samples.max_rss_kb = samples.max_rss_kb.max(max_rss_kb);
        Ok(log)
    }

    /// Like [`Bench::rollup`] for a command whose failure is a finding, not an error (`verify`):
    /// whether it exited 0.
    fn rollup_status(
        &self,
        setup: &Setup,
        args: &[&str],
        samples: &mut Samples,
        label: &str,
    ) -> Result<bool> {
        let log = self.logs.join(format!("{}-{label}.log", setup.label));
        let started = Instant::now();
        let status = Command::new(&self.binary)
            .args(args)
            .env("SOURCE_URL", url(&setup.source))
            .env("FDW_SOURCE_URL", url(&setup.source))
            .env("ROLLUP_URL", url(&setup.rollup))
            .stdout(File::create(log.with_extension("out"))?)
            .stderr(File::create(&log)?)
            .status()?;
        samples.push(started.elapsed());
        if !status.success() {
            eprintln!("bench: rollup {} on {} failed; see {}", args.join(" "), setup.label, log.display());
        }
        Ok(status.success())
    }

    /// `rollup capture ACTION` on a setup's source, as its owner; the rollup reads it as the same.
    fn capture(&self, setup: &Setup, action: &str) -> Result<()> {
        let log = self.logs.join(format!("{}-capture-{action}.log", setup.label));
        let reader = setup.source.user();
        let mut args = vec!["capture", action];
        if action == "install" {
            args.extend(["--reader", reader.as_str()]);
        }
        let status = Command::new(&self.binary)
            .args(&args)
            .env("SOURCE_URL", url(&setup.source))
            .stdout(Stdio::null())
            .stderr(File::create(&log)?)
            .status()?;
        if !status.success() {
            bail!("rollup capture {action} failed; see {}", log.display());
        }
        Ok(())
    }

    fn churn(&self, setup: &Setup) -> Result<()> {
        let log = self.logs.join(format!("{}-churn.log", setup.label));
        let status = Command::new(&self.binary)
            .args(["generate", "--churn", CHURN_PERCENT, "--into", setup.source.database()])
            .env("SOURCE_URL", url(&self.source_server))
            .stdout(Stdio::null())
            .stderr(File::create(&log)?)
            .status()?;
        if !status.success() {
            bail!("rollup generate --churn failed; see {}", log.display());
        }
        Ok(())
    }

    async fn describe_machine(&self, large: &Setup) -> Result<Vec<(String, String)>> {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|line| line.starts_with("model name"))
                    .map(|line| line.split(':').nth(1).unwrap_or("").trim().to_owned())
            })
            .unwrap_or_else(|| String::from("unknown"));
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|info| {
                info.lines().next().map(|line| line.split_whitespace().nth(1).unwrap_or("0").to_owned())
            })
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0))
            .unwrap_or_else(|| String::from("unknown"));
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
        let commit = Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .unwrap_or_default();
        let mut lines = vec![
            (String::from("date"), chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()),
            (String::from("commit"), commit),
            (String::from("machine"), format!("{cores} cores ({cpu}), {memory} RAM")),
        ];
        for (role, target) in [("source server", &large.source), ("rollup server", &large.rollup)] {
            let client = target.connect().await?;
            let row = client.query_one(SERVER_SETTINGS, &[]).await?;
            lines.push((
                String::from(role),
                format!(
                    "PostgreSQL {}, shared_buffers {}, work_mem {}, max_parallel_workers_per_gather {}, synchronous_commit {}; same host",
                    row.get::<_, String>(0),
                    row.get::<_, String>(1),
                    row.get::<_, String>(2),
                    row.get::<_, String>(3),
                    row.get::<_, String>(4)
                ),
            ));
        }
        Ok(lines)
    }
}

fn url(target: &Target) -> String {
    let config = &target.config;
    let password = target.password().unwrap_or_default();
    format!(
        "postgres://{}:{}@{}:{}/{}",
        target.user(),
        password.replace('%', "%25").replace('@', "%40").replace(':', "%3A").replace('/', "%2F"),
        target.host(),
        target.port(),
        config.get_dbname().unwrap_or_default()
    )
}

/// Waits for a child and returns its exit code and peak resident set size (kB, from wait4).
fn wait_with_rusage(pid: u32) -> Result<(i32, i64)> {
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we spawned and have not waited on.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if waited < 0 {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    Ok((code, usage.ru_maxrss))
}

async fn timed_rolled_back(
    client: &Client,
    sql: &str,
    params: &[&(dyn postgres_types::ToSql + Sync)],
) -> Result<Duration> {
    client.batch_execute("BEGIN").await?;
    let started = Instant::now();
    let result = client.execute(sql, params).await;
    let elapsed = started.elapsed();
    client.batch_execute("ROLLBACK").await?;
    result.with_context(|| format!("bench query failed: {}", sql.lines().next().unwrap_or("")))?;
    Ok(elapsed)
}

/// The `step done` lines of a run's log: (step, elapsed ms).
fn step_timings(log: &Path) -> Vec<(String, u64)> {
    let Ok(text) = std::fs::read_to_string(log) else { return Vec::new() };
    text.lines()
        .filter(|line| line.contains("step done"))
        .filter_map(|line| {
            let step = line.split("step=\"").nth(1)?.split('"').next()?.to_owned();
            let elapsed = line.split("elapsed_ms=").nth(1)?.split_whitespace().next()?.parse().ok()?;
            Some((step, elapsed))
        })
        .collect()
}

fn render(
    machine: &[(String, String)],
    measures: &[(String, String)],
    targets: &[TargetCheck],
    step_tables: &[(String, Vec<(String, u64)>)],
    repeat: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark results\n");
    let _ = writeln!(
        out,
        "Written by `make bench` (benches/rollup.rs), BENCH_REPEAT={repeat}. Times are wall clock of the \
         whole `rollup` process (or of the query), median (min – max). Every measure was taken in the \
         same session, interleaved round by round. Runs use default settings but a lookback of 0.\n"
    );
    for (name, value) in machine {
        let _ = writeln!(out, "- {name}: {value}");
    }
    let _ = writeln!(out, "\n| measure | time |\n| --- | --- |");
    for (name, value) in measures {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    let _ = writeln!(out, "\n| target | measured | goal | |\n| --- | --- | --- | --- |");
    for check in targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            check.name,
            check.value,
            check.goal,
            if check.met { "met" } else { "missed" }
        );
    }
    for (title, steps) in step_tables {
        let _ = writeln!(out, "\n{title} (from its log):\n");
        let _ = writeln!(out, "| step | ms |\n| --- | --- |");
        for (step, elapsed) in steps {
            let _ = writeln!(out, "| {step} | {elapsed} |");
        }
    }
    out
}

/// 10000000 as "10,000,000".
fn thousands(number: i64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => {
            text.trim().parse().map_err(|_| anyhow::anyhow!("{name} must be a whole number, got '{text}'"))
        }
        _ => Ok(default),
    }
}
