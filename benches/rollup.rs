//! `make bench`: what a run costs at scale, measured against the lower bounds and the peer in the
//! same session, so the ratios hold even on a noisy machine.
//!
//! On the `make run` servers it generates (once, then reuses) a synthetic source of
//! BENCH_RENTALS rentals (default 10 million) and a 1-million-rental sample with
//! `rollup generate`, then repeats BENCH_REPEAT times (default 3), interleaved so every measure
//! sees the same machine state:
//!   * a full build of every rollup table (`rollup run --full`);
//!   * 0.5% churn (`rollup generate --churn 0.5`, not timed), then an incremental run that
//!     reconciles (so the churn's deletes are caught), then a no-op run (reconciliation not due,
//!     the default right after a reconciled run) and a no-op run that reconciles;
//!   * the lower bounds: both weekly aggregates pushed down through postgres_fdw, the bare
//!     transfer of the slim rental rows into a local table, and the bare pull of the rows the
//!     incremental run pulled;
//!   * on the sample: the peer (a correlated subquery per week, on the source), a full build, and
//!     an incremental run after 0.5% churn;
//!   * on Pagila itself: a full build and a no-op run.
//!
//! Each `rollup` is a child process, timed from spawn to exit (what a user waits for), with its
//! peak RSS from wait4. Results are printed and written to bench/results.md.
//!
//! Not a timed test: it needs minutes and a quiet machine, so it lives apart from `make test`.
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pagila_rollup::connection::{RollupDatabase, SourceDatabase, Target};
use tokio_postgres::Client;

const HISTORY_END: &str = "2026-11-23";
const SAMPLE_RENTALS: i64 = 1_000_000;
const CHURN_PERCENT: &str = "0.5";

const WEEKLY_RENTED: &str = include_str!("../bench/queries/weekly_rented_pushed_down.sql");
const WEEKLY_RETURNED: &str = include_str!("../bench/queries/weekly_returned_pushed_down.sql");
const SLIM_ROWS: &str = include_str!("../bench/queries/slim_rows_transferred.sql");
const CHANGED_ROWS: &str = include_str!("../bench/queries/changed_rows_transferred.sql");
const INCREMENTAL_CURSOR: &str = include_str!("../bench/queries/incremental_cursor.sql");
const PEER: &str = include_str!("../bench/queries/peer_correlated_subqueries.sql");
const SERVER_SETTINGS: &str = include_str!("../bench/queries/server_settings.sql");

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
    source: Target,
    rollup: Target,
}

struct Bench {
    binary: PathBuf,
    logs: PathBuf,
    source_server: Target,
    rollup_server: Target,
}

async fn bench() -> Result<()> {
    let rentals: i64 = env_number("BENCH_RENTALS", 10_000_000)?;
    let repeat: usize = env_number("BENCH_REPEAT", 3)?;
    let source_server = SourceDatabase { source_url: std::env::var("SOURCE_URL").ok() }.target()?;
    let rollup_server = RollupDatabase { rollup_url: std::env::var("ROLLUP_URL").ok() }.target()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let logs = root.join("target/bench-logs");
    std::fs::create_dir_all(&logs)?;
    let bench =
        Bench { binary: PathBuf::from(env!("CARGO_BIN_EXE_rollup")), logs, source_server, rollup_server };

    let sample_rentals = rentals.min(SAMPLE_RENTALS);
    let large = bench.setup(rentals).await?;
    let sample = if sample_rentals == rentals { None } else { Some(bench.setup(sample_rentals).await?) };
    let pagila = Setup {
        label: String::from("pagila"),
        source: bench.source_server.clone(),
        rollup: bench.fresh_rollup_database("bench_rollup_pagila").await?,
    };

    let mut full = Samples::default();
    let mut incremental = Samples::default();
    let mut noop = Samples::default();
    let mut noop_reconciled = Samples::default();
    let mut aggregates = Samples::default();
    let mut transfer = Samples::default();
    let mut changed_pull = Samples::default();
    let mut changed_rows = Vec::new();
    let mut peer = Samples::default();
    let mut sample_full = Samples::default();
    let mut sample_incremental = Samples::default();
    let mut pagila_full = Samples::default();
    let mut pagila_noop = Samples::default();
    let mut full_build_log = None;

    for round in 1..=repeat {
        eprintln!("bench: round {round} of {repeat} at {rentals} rentals");
        let log = bench.rollup(&large, &["run", "--full"], &mut full, &format!("full-{round}"))?;
        full_build_log.get_or_insert(log);
        bench.churn(&large)?;
        bench.rollup(
            &large,
            &["run", "--reconcile-every", "0"],
            &mut incremental,
            &format!("incremental-{round}"),
        )?;
        let rollup = large.rollup.connect().await?;
        let cursor = rollup.query_one(INCREMENTAL_CURSOR, &[]).await.context("incremental cursor")?;
        let cutoff: chrono::DateTime<chrono::Utc> = cursor.get("cutoff");
        changed_rows.push(cursor.get::<_, i64>("rows_pulled"));
        changed_pull.push(timed_rolled_back(&rollup, CHANGED_ROWS, &[&cutoff]).await?);
        bench.rollup(&large, &["run"], &mut noop, &format!("noop-{round}"))?;
        bench.rollup(
            &large,
            &["run", "--reconcile-every", "0"],
            &mut noop_reconciled,
            &format!("noop-reconciled-{round}"),
        )?;
        let started = Instant::now();
        rollup.query(WEEKLY_RENTED, &[]).await.context("pushed-down weekly rentals")?;
        rollup.query(WEEKLY_RETURNED, &[]).await.context("pushed-down weekly returns")?;
        aggregates.push(started.elapsed());
        transfer.push(timed_rolled_back(&rollup, SLIM_ROWS, &[]).await?);

        if let Some(sample) = &sample {
            bench.rollup(sample, &["run", "--full"], &mut sample_full, &format!("sample-full-{round}"))?;
            bench.churn(sample)?;
            bench.rollup(
                sample,
                &["run", "--reconcile-every", "0"],
                &mut sample_incremental,
                &format!("sample-incremental-{round}"),
            )?;
        }
        // The peer takes about a minute on the sample; once per round would triple the bench.
        if round == 1 {
            let source = sample.as_ref().unwrap_or(&large).source.connect().await?;
            let started = Instant::now();
            source.query(PEER, &[]).await.context("the peer query")?;
            peer.push(started.elapsed());
        }

        bench.rollup(&pagila, &["run", "--full"], &mut pagila_full, &format!("pagila-full-{round}"))?;
        bench.rollup(&pagila, &["run"], &mut pagila_noop, &format!("pagila-noop-{round}"))?;
    }
    if sample.is_none() {
        sample_full = Samples { times: full.times.clone(), max_rss_kb: full.max_rss_kb };
        sample_incremental = Samples { times: incremental.times.clone(), max_rss_kb: incremental.max_rss_kb };
    }

    let peak_rss_kb = [
        &full,
        &incremental,
        &noop,
        &noop_reconciled,
        &sample_full,
        &sample_incremental,
        &pagila_full,
        &pagila_noop,
    ]
    .iter()
    .map(|samples| samples.max_rss_kb)
    .max()
    .unwrap_or(0);
    let ratio = |a: &Samples, b: &Samples| a.median().as_secs_f64() / b.median().as_secs_f64();
    let measures = vec![
        (format!("full build, {rentals} rentals"), full.describe()),
        (format!("incremental run after {CHURN_PERCENT}% churn"), incremental.describe()),
        (
            String::from("no-op run (reconciliation not due, the default after a reconciled run)"),
            noop.describe(),
        ),
        (String::from("no-op run, reconciling (--reconcile-every 0)"), noop_reconciled.describe()),
        (String::from("lower bound: both weekly aggregates pushed down"), aggregates.describe()),
        (String::from("lower bound: slim rows through postgres_fdw"), transfer.describe()),
        (
            format!("lower bound: the changed rows pulled ({} rows, median)", median_of(&changed_rows)),
            changed_pull.describe(),
        ),
        (format!("peer: correlated subqueries, {sample_rentals} rentals"), peer.describe()),
        (format!("full build, {sample_rentals} rentals"), sample_full.describe()),
        (format!("incremental run, {sample_rentals} rentals"), sample_incremental.describe()),
        (String::from("Pagila: full build"), pagila_full.describe()),
        (String::from("Pagila: no-op run"), pagila_noop.describe()),
        (String::from("rollup peak RSS, any run"), format!("{:.1} MB", peak_rss_kb as f64 / 1024.0)),
    ];
    let targets = vec![
        target("full build / slim transfer", ratio(&full, &transfer), "≤ 1.2", |x| x <= 1.2, "{:.2}"),
        target(
            "incremental / changed-row pull",
            ratio(&incremental, &changed_pull),
            "≤ 3",
            |x| x <= 3.0,
            "{:.1}",
        ),
        target("incremental / full build", ratio(&incremental, &full), "≤ 0.05", |x| x <= 0.05, "{:.3}"),
        target("no-op run (s)", noop.median().as_secs_f64(), "≤ 0.100", |x| x <= 0.1, "{:.3}"),
        target("peer / full build (sample)", ratio(&peer, &sample_full), "≥ 100", |x| x >= 100.0, "{:.0}"),
        target(
            "peer / incremental run (sample)",
            ratio(&peer, &sample_incremental),
            "≥ 1000",
            |x| x >= 1000.0,
            "{:.0}",
        ),
        target("peak RSS (MB)", peak_rss_kb as f64 / 1024.0, "≤ 30", |x| x <= 30.0, "{:.1}"),
        target("Pagila full build (s)", pagila_full.median().as_secs_f64(), "≤ 0.300", |x| x <= 0.3, "{:.3}"),
        target("Pagila no-op run (s)", pagila_noop.median().as_secs_f64(), "≤ 0.050", |x| x <= 0.05, "{:.3}"),
    ];

    let machine = bench.describe_machine(&large).await?;
    let steps = full_build_log.map(|log| step_timings(&log)).unwrap_or_default();
    let report = render(&machine, &measures, &targets, &steps, rentals, repeat);
    println!("{report}");
    let results = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/results.md");
    std::fs::write(&results, &report).with_context(|| format!("could not write {}", results.display()))?;
    eprintln!("bench: written to {}", results.display());
    Ok(())
}

fn median_of(values: &[i64]) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

struct TargetCheck {
    name: &'static str,
    value: String,
    goal: &'static str,
    met: bool,
}

fn target(
    name: &'static str,
    value: f64,
    goal: &'static str,
    ok: fn(f64) -> bool,
    format: &str,
) -> TargetCheck {
    let value_text = match format {
        "{:.0}" => format!("{value:.0}"),
        "{:.1}" => format!("{value:.1}"),
        "{:.2}" => format!("{value:.2}"),
        _ => format!("{value:.3}"),
    };
    TargetCheck { name, value: value_text, goal, met: value.is_finite() && ok(value) }
}

impl Bench {
    /// A generated source of `rentals` rentals (made on first use, reused after) and a fresh rollup
    /// database for it, migrated.
    async fn setup(&self, rentals: i64) -> Result<Setup> {
        let name = format!("bench_source_{rentals}");
        let server = self.source_server.connect().await?;
        let exists: bool = server
            .query_one("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", &[&name])
            .await?
            .get(0);
        if !exists {
            eprintln!("bench: generating {rentals} rentals into {name} (once; later benches reuse it)");
            let started = Instant::now();
            let status = Command::new(&self.binary)
                .args(["generate", "--rentals", &rentals.to_string(), "--into", &name, "--end", HISTORY_END])
                .stdout(Stdio::null())
                .stderr(File::create(self.logs.join(format!("generate-{rentals}.log")))?)
                .status()?;
            if !status.success() {
                bail!(
                    "rollup generate failed; see {}",
                    self.logs.join(format!("generate-{rentals}.log")).display()
                );
            }
            eprintln!("bench: generated in {}", seconds(started.elapsed()));
        }
        let rollup = self.fresh_rollup_database(&format!("bench_rollup_{rentals}")).await?;
        Ok(Setup { label: name.clone(), source: self.source_server.with_database("source", &name), rollup })
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
    steps: &[(String, u64)],
    rentals: i64,
    repeat: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark results\n");
    let _ = writeln!(
        out,
        "Written by `make bench` (benches/rollup.rs), BENCH_RENTALS={rentals}, BENCH_REPEAT={repeat}. \
         Times are wall clock of the whole `rollup` process (or of the query), median (min – max). \
         Every measure was taken in the same session, interleaved round by round.\n"
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
    if !steps.is_empty() {
        let _ = writeln!(out, "\nSteps of the first full build at {rentals} rentals (from its log):\n");
        let _ = writeln!(out, "| step | ms |\n| --- | --- |");
        for (step, elapsed) in steps {
            let _ = writeln!(out, "| {step} | {elapsed} |");
        }
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
