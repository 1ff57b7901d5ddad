//! Shared test fixtures: a source and a rollup database copied from the Pagila templates that
//! scripts/test.sh loads into its throw-away cluster, the `rollup` binary run against them, and
//! the brute-force oracle in [`oracle`].
#![allow(dead_code)]

pub mod oracle;

use std::process::{Command, Output};
use std::str::FromStr;

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
        let mut command = Command::new(env!("CARGO_BIN_EXE_rollup"));
        command
            .args(args)
            .env_remove("FDW_SOURCE_URL")
            .env_remove("ROLLUP_TIMEZONE")
            .env_remove("RUST_LOG")
            // Every test run reconciles, so each change is caught by the run after it; the
            // default interval has a test of its own.
            .env("ROLLUP_RECONCILE_EVERY", "0")
            .env("SOURCE_URL", &self.source_url)
            .env("ROLLUP_URL", &self.rollup_url);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("the rollup binary runs")
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
                    weeks_touched, buckets_compared, buckets_repulled \
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
