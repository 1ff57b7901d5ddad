//! Shared test fixtures: a source and a rollup database copied from the Pagila templates that
//! scripts/test.sh loads into its throw-away cluster, the `rollup` binary run against them, and
//! the brute-force oracle in [`oracle`].
#![allow(dead_code)]

pub mod cluster;
pub mod oracle;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use tokio_postgres::{Client, Config, NoTls};

/// A rollup.weekly_rentals row (and the oracle's rows), in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub week_beginning: NaiveDate,
    pub rented_rentals: i64,
    pub returned_rentals: i64,
    pub outstanding_at_start: i64,
    pub outstanding_rentals: i64,
    pub out_during_week: i64,
    pub peak_outstanding: i64,
}

/// The cluster scripts/test.sh started; `cargo test` alone has none.
pub fn cluster_url() -> String {
    std::env::var("TEST_PG_URL").unwrap_or_else(|_| {
        panic!("TEST_PG_URL is not set: run the integration tests with `make test`, which starts a PostgreSQL cluster for them")
    })
}

pub fn password() -> String {
    let config = Config::from_str(&cluster_url()).expect("TEST_PG_URL parses");
    String::from_utf8(config.get_password().expect("TEST_PG_URL has a password").to_vec()).unwrap()
}

fn url_for(database: &str) -> String {
    let base = cluster_url();
    let (prefix, _) = base.rsplit_once('/').expect("TEST_PG_URL ends with /database");
    format!("{prefix}/{database}")
}

pub async fn connect(url: &str) -> Client {
    let (client, connection) = Config::from_str(url)
        .expect("test URL parses")
        .connect(NoTls)
        .await
        .unwrap_or_else(|error| panic!("connect to test database: {error}"));
    tokio::spawn(connection);
    client
}

/// A pair of databases for one test: `<name>_source`, copied from a Pagila template (or empty),
/// and an empty `<name>_rollup`.
pub struct Scenario {
    pub name: String,
    pub source_url: String,
    pub rollup_url: String,
}

pub enum Source {
    PagilaV3,
    PagilaV2,
    Empty,
}

impl Scenario {
    pub async fn new(name: &str, source: Source) -> Scenario {
        let admin = connect(&cluster_url()).await;
        let source_db = format!("{name}_source");
        let rollup_db = format!("{name}_rollup");
        for database in [&source_db, &rollup_db] {
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await.unwrap();
        }
        let template = match source {
            Source::PagilaV3 => " TEMPLATE pagila_v3",
            Source::PagilaV2 => " TEMPLATE pagila_v2",
            Source::Empty => "",
        };
        admin
            .batch_execute(&format!("CREATE DATABASE {source_db}{template}"))
            .await
            .unwrap_or_else(|error| panic!("create {source_db}: {error}"));
        admin.batch_execute(&format!("CREATE DATABASE {rollup_db}")).await.unwrap();
        Scenario { name: name.to_owned(), source_url: url_for(&source_db), rollup_url: url_for(&rollup_db) }
    }

    /// Creates another empty database `<name>_<suffix>` on the cluster and returns its URL, e.g. a
    /// second rollup database rebuilt with --full beside the incrementally maintained one.
    pub async fn extra_database(&self, suffix: &str) -> String {
        let database = format!("{}_{suffix}", self.name);
        let admin = connect(&cluster_url()).await;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await.unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {database}")).await.unwrap();
        url_for(&database)
    }

    pub async fn source(&self) -> Client {
        connect(&self.source_url).await
    }

    pub async fn rollup(&self) -> Client {
        connect(&self.rollup_url).await
    }

    /// Runs the `rollup` binary with this scenario's URLs in its environment (and nothing else
    /// from the test's environment that could change its behaviour).
    pub fn rollup_command(&self, args: &[&str]) -> Output {
        self.rollup_command_with_env(args, &[])
    }

    pub fn rollup_command_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().expect("the rollup binary runs")
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rollup"));
        command.args(args);
        // Default settings, whatever the developer's shell exports: no ROLLUP_* setting and no
        // libpq variable (PGPASSFILE, PGHOST, ...) reaches the runner unless a test gives it.
        for (variable, _) in std::env::vars_os() {
            let name = variable.to_string_lossy();
            if name.starts_with("ROLLUP_")
                || name.starts_with("PG")
                || name == "RUST_LOG"
                || name == "FDW_SOURCE_URL"
            {
                command.env_remove(&variable);
            }
        }
        command.env("SOURCE_URL", &self.source_url).env("ROLLUP_URL", &self.rollup_url);
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    /// Starts `rollup ARGS` in the background, its standard error collected as it comes, so the
    /// test can wait for a line (a failpoint pausing) and act on the servers meanwhile.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut child = self
            .command(args, env)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the rollup binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(String::new()));
        let collected = Arc::clone(&log);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = collected.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Running { child, log, reader: Some(reader) }
    }

    /// Everything the rollup tables and the run's memory hold, as one comparable string: equal
    /// before and after a failed run when it changed nothing.
    pub async fn snapshot(&self) -> String {
        self.rollup()
            .await
            .query_one(
                "SELECT concat_ws(' | ',
                     (SELECT string_agg(w::text, ';' ORDER BY week_beginning) FROM rollup.weekly_rentals AS w),
                     (SELECT count(*) || ':' || sum(hashtext(f::text)) FROM rollup.film_weekly AS f),
                     (SELECT count(*) || ':' || sum(hashtext(f::text)) FROM rollup.film_week_flow AS f),
                     (SELECT count(*) || ':' || sum(hashtext(d::text)) FROM rollup.day_flow AS d),
                     (SELECT count(*) || ':' || sum(hashtext(b::text)) FROM rollup.rental_bucket AS b),
                     (SELECT count(*) || ':' || sum(hashtext(s::text)) FROM rollup.rental_shadow AS s),
                     (SELECT count(*) || ':' || sum(hashtext(i::text)) FROM rollup.inventory_shadow AS i),
                     (SELECT count(*) || ':' || sum(hashtext(d::text)) FROM rollup.data_issue AS d),
                     (SELECT count(*) || ':' || sum(hashtext(f::text)) FROM rollup.film AS f),
                     (SELECT b::text FROM rollup.build_settings AS b),
                     (SELECT max(source_watermark)::text FROM rollup.etl_run))",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Rows of rollup.etl_run.
    pub async fn run_count(&self) -> i64 {
        self.rollup().await.query_one("SELECT count(*) FROM rollup.etl_run", &[]).await.unwrap().get(0)
    }

    /// Runs `rollup run ARGS` and fails the test, showing its output, unless it succeeds.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        let output = self.rollup_command(&all);
        assert!(
            output.status.success(),
            "rollup {all:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs `rollup capture ARGS` on the source (the test cluster's superuser owns it) and fails
    /// the test, showing its output, unless it succeeds.
    pub fn capture(&self, args: &[&str]) -> Output {
        let mut all = vec!["capture"];
        all.extend_from_slice(args);
        let output = self.rollup_command(&all);
        assert!(
            output.status.success(),
            "rollup {all:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs `rollup verify` and fails the test, showing its output, unless it finds no difference.
    pub fn verify_passes(&self) {
        let output = self.rollup_command(&["verify"]);
        assert!(
            output.status.success(),
            "rollup verify found differences:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub async fn weeks(&self) -> Vec<Week> {
        weeks_in(&self.rollup().await).await
    }

    /// The newest rollup.etl_run row.
    pub async fn last_run(&self) -> LastRun {
        last_run_in(&self.rollup().await).await
    }

    pub async fn film_weeks(&self) -> Vec<oracle::FilmWeek> {
        film_weeks_in(&self.rollup().await).await
    }

    /// The oracle's film weeks for the source as it is now.
    pub async fn expected_film_weeks(
        &self,
        time_zone: chrono_tz::Tz,
        through: Option<NaiveDate>,
    ) -> Vec<oracle::FilmWeek> {
        let inventory = oracle::load_inventory(&self.source().await).await;
        oracle::film_weekly(&inventory, time_zone, through)
    }

    /// The oracle's weeks for the source as it is now.
    pub async fn expected_weeks(&self, time_zone: chrono_tz::Tz, through: Option<NaiveDate>) -> Vec<Week> {
        let rentals = oracle::load_rentals(&self.source().await).await;
        oracle::weekly_rentals(&rentals, time_zone, through)
    }
}

/// A `rollup` started by [`Scenario::spawn`].
pub struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Waits until standard error has a line containing `needle`; fails the test after `timeout`
    /// or when the process ends first, showing what it wrote.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log().contains(needle) {
                return;
            }
            let ended = self.child.try_wait().unwrap().is_some();
            if ended || Instant::now() > deadline {
                std::thread::sleep(Duration::from_millis(100)); // the last lines
                assert!(
                    self.log().contains(needle),
                    "{needle:?} never came ({}):\n{}",
                    if ended { "the process ended" } else { "timed out" },
                    self.log()
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What it wrote to standard error so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits for the end (killing it after `timeout`); its exit code (None: killed) and stderr.
    pub fn finish(mut self, timeout: Duration) -> (Option<i32>, String) {
        let deadline = Instant::now() + timeout;
        while self.is_running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.is_running() {
            let _ = self.child.kill();
        }
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status.code(), self.log())
    }

    /// SIGKILL, like a machine going down under the run.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A file whose existence resumes a run paused at a failpoint (ROLLUP_FAILPOINT_RESUME).
pub struct ResumeFile(pub std::path::PathBuf);

impl ResumeFile {
    pub fn new(name: &str) -> ResumeFile {
        let path = std::env::temp_dir().join(format!("pagila-rollup-resume-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        ResumeFile(path)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("temporary paths are UTF-8")
    }

    pub fn resume(&self) {
        std::fs::write(&self.0, b"").unwrap();
    }
}

impl Drop for ResumeFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Asserts a failure that exited with `expected_code` and wrote one `error:` line containing
/// `expected`, with no panic and neither the cluster's password nor any of `secrets` anywhere.
pub fn assert_failed(code: Option<i32>, stderr: &str, expected_code: i32, expected: &str, secrets: &[&str]) {
    assert_eq!(code, Some(expected_code), "exit code; stderr:\n{stderr}");
    let error_lines: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error: ")).collect();
    assert_eq!(error_lines.len(), 1, "one error line:\n{stderr}");
    assert!(error_lines[0].contains(expected), "expected {expected:?} in:\n{}", error_lines[0]);
    let cluster_password = password();
    for secret in secrets.iter().copied().chain([cluster_password.as_str()]) {
        assert!(!stderr.contains(secret), "password leaked:\n{stderr}");
    }
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "panic:\n{stderr}");
}

/// rollup.film_weekly in key order.
pub async fn film_weeks_in(rollup: &Client) -> Vec<oracle::FilmWeek> {
    rollup
        .query(
            "SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, outstanding_at_start, \
                    outstanding_rentals, peak_outstanding, copies, hours_all_copies_out::float8 \
               FROM rollup.film_weekly ORDER BY film_id, store_id, week_beginning",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| oracle::FilmWeek {
            film_id: row.get(0),
            store_id: row.get(1),
            week_beginning: row.get(2),
            rented_rentals: row.get(3),
            returned_rentals: row.get(4),
            outstanding_at_start: row.get(5),
            outstanding_rentals: row.get(6),
            peak_outstanding: row.get(7),
            copies: row.get(8),
            hours_all_copies_out: row.get(9),
        })
        .collect()
}

/// Asserts two lists of film weeks are equal (hours to the stored millihour), showing the first
/// difference.
pub fn assert_same_film_weeks(actual: &[oracle::FilmWeek], expected: &[oracle::FilmWeek], context: &str) {
    for (a, e) in actual.iter().zip(expected) {
        let same = (a.film_id, a.store_id, a.week_beginning, a.rented_rentals, a.returned_rentals)
            == (e.film_id, e.store_id, e.week_beginning, e.rented_rentals, e.returned_rentals)
            && (a.outstanding_at_start, a.outstanding_rentals, a.peak_outstanding, a.copies)
                == (e.outstanding_at_start, e.outstanding_rentals, e.peak_outstanding, e.copies)
            && (a.hours_all_copies_out - e.hours_all_copies_out).abs() < 0.0015;
        assert!(same, "{context}: first differing film week:\n  rollup:   {a:?}\n  expected: {e:?}");
    }
    assert_eq!(actual.len(), expected.len(), "{context}: number of film weeks");
}

pub async fn weeks_in(rollup: &Client) -> Vec<Week> {
    rollup
        .query(
            "SELECT week_beginning, rented_rentals, returned_rentals, outstanding_at_start, \
                        outstanding_rentals, out_during_week, peak_outstanding \
                   FROM rollup.weekly_rentals ORDER BY week_beginning",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| Week {
            week_beginning: row.get(0),
            rented_rentals: row.get(1),
            returned_rentals: row.get(2),
            outstanding_at_start: row.get(3),
            outstanding_rentals: row.get(4),
            out_during_week: row.get(5),
            peak_outstanding: row.get(6),
        })
        .collect()
}

pub async fn last_run_in(rollup: &Client) -> LastRun {
    let row = rollup
        .query_one(
            "SELECT mode, status, rows_pulled, rentals_counted, rentals_quarantined, weeks_recomputed, \
                    weeks_inserted, weeks_updated, weeks_deleted, error, rentals_changed, rentals_deleted, \
                    weeks_touched, buckets_compared, buckets_repulled, delete_check, reconciled, days_touched, \
                    film_stores_recomputed, film_weeks_recomputed, film_weeks_written, capture_generation \
               FROM rollup.etl_run ORDER BY run_id DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    LastRun {
        mode: row.get(0),
        status: row.get(1),
        rows_pulled: row.get(2),
        rentals_counted: row.get(3),
        rentals_quarantined: row.get(4),
        weeks_recomputed: row.get(5),
        weeks_inserted: row.get(6),
        weeks_updated: row.get(7),
        weeks_deleted: row.get(8),
        error: row.get(9),
        rentals_changed: row.get(10),
        rentals_deleted: row.get(11),
        weeks_touched: row.get(12),
        buckets_compared: row.get(13),
        buckets_repulled: row.get(14),
        delete_check: row.get(15),
        reconciled: row.get(16),
        days_touched: row.get(17),
        film_stores_recomputed: row.get(18),
        film_weeks_recomputed: row.get(19),
        film_weeks_written: row.get(20),
        capture_generation: row.get(21),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    pub mode: String,
    pub status: String,
    pub rows_pulled: Option<i64>,
    pub rentals_counted: Option<i64>,
    pub rentals_quarantined: Option<i64>,
    pub weeks_recomputed: Option<i32>,
    pub weeks_inserted: Option<i32>,
    pub weeks_updated: Option<i32>,
    pub weeks_deleted: Option<i32>,
    pub error: Option<String>,
    pub rentals_changed: Option<i64>,
    pub rentals_deleted: Option<i64>,
    pub weeks_touched: Option<i32>,
    pub buckets_compared: Option<i32>,
    pub buckets_repulled: Option<i32>,
    pub delete_check: Option<String>,
    pub reconciled: Option<bool>,
    pub days_touched: Option<i32>,
    pub film_stores_recomputed: Option<i32>,
    pub film_weeks_recomputed: Option<i32>,
    pub film_weeks_written: Option<i32>,
    pub capture_generation: Option<i64>,
}

impl LastRun {
    pub fn weeks_written(&self) -> i32 {
        self.weeks_inserted.unwrap_or(0) + self.weeks_updated.unwrap_or(0) + self.weeks_deleted.unwrap_or(0)
    }
}

/// Asserts two week lists are equal, printing the first differing week rather than two long lists.
pub fn assert_same_weeks(actual: &[Week], expected: &[Week], context: &str) {
    for (actual_week, expected_week) in actual.iter().zip(expected) {
        assert_eq!(actual_week, expected_week, "{context}: first differing week");
    }
    assert_eq!(
        actual.len(),
        expected.len(),
        "{context}: number of weeks (rollup {:?}..{:?}, expected {:?}..{:?})",
        actual.first().map(|w| w.week_beginning),
        actual.last().map(|w| w.week_beginning),
        expected.first().map(|w| w.week_beginning),
        expected.last().map(|w| w.week_beginning),
    );
}

/// Asserts a failed command with one clear, password-free `error:` line containing `expected`,
/// exit code 1 and no panic.
pub fn assert_clear_failure(output: &Output, expected: &str) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(1), "exit code; stderr:\n{text}");
    let error_line = text
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{text}"));
    assert!(error_line.contains(expected), "expected {expected:?} in:\n{error_line}");
    assert!(!text.contains(&password()), "password leaked:\n{text}");
    assert!(!text.contains("panicked") && !text.contains("RUST_BACKTRACE"), "panic:\n{text}");
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}
