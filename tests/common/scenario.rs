//! The databases of one test: a source copied from a Pagila template that scripts/test.sh loads
//! into its throw-away cluster (or empty), an empty rollup database, and any extra database the
//! test asks for; all named after the test plus a unique suffix, and dropped when the scenario is.
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Duration;

use chrono::NaiveDate;
use tokio_postgres::Client;

use super::process::{self, Running};
use super::rows::{self, LastRun, Week};
use super::{cluster_url, connect, oracle, unique_suffix, url_for};

/// A pair of databases for one test: `<name>_source`, copied from a Pagila template (or empty),
/// and an empty `<name>_rollup`, where `name` is the test's prefix plus a suffix unique to this
/// scenario (process id, a counter, random bits), so that concurrent test runs on one cluster
/// never share a database. Dropping the scenario drops its databases (best effort).
pub struct Scenario {
    /// The prefix plus the unique suffix: every database of the scenario begins with it.
    pub name: String,
    pub source_database: String,
    pub rollup_database: String,
    pub source_url: String,
    pub rollup_url: String,
    databases: Mutex<Vec<String>>,
}

pub enum Source {
    PagilaV3,
    PagilaV2,
    Empty,
}

/// PostgreSQL truncates identifiers at 63 bytes; a name longer than that would silently collide.
const MAX_IDENTIFIER: usize = 63;
const LONGEST_SUFFIX: usize = "_source".len();

impl Scenario {
    pub async fn new(prefix: &str, source: Source) -> Scenario {
        let name = format!("{prefix}_{}", unique_suffix());
        assert!(
            name.len() + LONGEST_SUFFIX <= MAX_IDENTIFIER,
            "scenario name {name:?} too long for PostgreSQL's {MAX_IDENTIFIER}-byte identifiers"
        );
        let admin = connect(&cluster_url()).await;
        let source_database = format!("{name}_source");
        let rollup_database = format!("{name}_rollup");
        let template = match source {
            Source::PagilaV3 => " TEMPLATE pagila_v3",
            Source::PagilaV2 => " TEMPLATE pagila_v2",
            Source::Empty => "",
        };
        let scenario = Scenario {
            source_url: url_for(&source_database),
            rollup_url: url_for(&rollup_database),
            databases: Mutex::new(vec![source_database.clone(), rollup_database.clone()]),
            name,
            source_database,
            rollup_database,
        };
        admin
            .batch_execute(&format!("CREATE DATABASE {}{template}", scenario.source_database))
            .await
            .unwrap_or_else(|error| panic!("create {}: {error}", scenario.source_database));
        admin
            .batch_execute(&format!("CREATE DATABASE {}", scenario.rollup_database))
            .await
            .unwrap_or_else(|error| panic!("create {}: {error}", scenario.rollup_database));
        scenario
    }

    /// Creates another empty database `<name>_<suffix>` on the cluster and returns its URL, e.g. a
    /// second rollup database rebuilt with --full beside the incrementally maintained one.
    pub async fn extra_database(&self, suffix: &str) -> String {
        let database = self.database_name(suffix);
        assert!(database.len() <= MAX_IDENTIFIER, "database name {database:?} too long");
        self.databases.lock().unwrap().push(database.clone());
        connect(&cluster_url())
            .await
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .await
            .unwrap_or_else(|error| panic!("create {database}: {error}"));
        url_for(&database)
    }

    /// The name [`Scenario::extra_database`] gives the database with `suffix`.
    pub fn database_name(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.name)
    }

    pub async fn source(&self) -> Client {
        connect(&self.source_url).await
    }

    pub async fn rollup(&self) -> Client {
        connect(&self.rollup_url).await
    }

    /// Runs the `rollup` binary with this scenario's URLs in its environment (and nothing else
    /// from the test's environment that could change its behaviour), killed and failing the test
    /// if it has not ended within [`process::COMMAND_TIMEOUT`].
    pub fn rollup_command(&self, args: &[&str]) -> Output {
        self.rollup_command_with_env(args, &[])
    }

    pub fn rollup_command_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        process::output_within(self.command(args, env), process::COMMAND_TIMEOUT)
    }

    /// `rollup ARGS` with this scenario's URLs and `env`, not started.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = process::rollup(args);
        command.env("SOURCE_URL", &self.source_url).env("ROLLUP_URL", &self.rollup_url);
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    /// Starts `rollup ARGS` in the background, its standard error collected as it comes, so the
    /// test can wait for a line (a failpoint pausing) and act on the servers meanwhile.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        process::spawn(self.command(args, env))
    }

    /// Everything the rollup tables and the run's memory hold, as one comparable string: equal
    /// before and after a failed run when it changed nothing.
    pub async fn snapshot(&self) -> String {
        rows::query_value(
            &self.rollup().await,
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
                 (SELECT max(source_watermark)::text FROM rollup.etl_run)) AS snapshot",
            &[],
        )
        .await
    }

    /// Rows of rollup.etl_run.
    pub async fn run_count(&self) -> i64 {
        rows::query_value(&self.rollup().await, "SELECT count(*) AS runs FROM rollup.etl_run", &[]).await
    }

    /// Runs `rollup run ARGS` and fails the test, showing its output, unless it succeeds.
    pub fn run(&self, args: &[&str]) -> Output {
        self.succeeding("run", args)
    }

    /// Runs `rollup capture ARGS` on the source (the test cluster's superuser owns it) and fails
    /// the test, showing its output, unless it succeeds.
    pub fn capture(&self, args: &[&str]) -> Output {
        self.succeeding("capture", args)
    }

    fn succeeding(&self, command: &str, args: &[&str]) -> Output {
        let mut all = vec![command];
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
        rows::weeks_in(&self.rollup().await).await
    }

    /// The newest rollup.etl_run row.
    pub async fn last_run(&self) -> LastRun {
        rows::last_run_in(&self.rollup().await).await
    }

    pub async fn film_weeks(&self) -> Vec<oracle::FilmWeek> {
        rows::film_weeks_in(&self.rollup().await).await
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

impl Drop for Scenario {
    /// Drops the scenario's databases on the shared cluster, best effort and bounded: on a thread
    /// with a runtime of its own (the test's runtime may be the one dropping us), given up after a
    /// minute, never panicking (a failing test's own message matters more).
    fn drop(&mut self) {
        let databases =
            std::mem::take(&mut *self.databases.lock().unwrap_or_else(|error| error.into_inner()));
        let Ok(url) = std::env::var("TEST_PG_URL") else { return };
        let (done, waiting) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                let Ok(config) = url.parse::<tokio_postgres::Config>() else { return };
                let Ok((admin, connection)) = config.connect(tokio_postgres::NoTls).await else { return };
                tokio::spawn(connection);
                for database in databases {
                    if let Err(error) =
                        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await
                    {
                        eprintln!("could not drop test database {database}: {error}");
                    }
                }
            });
            let _ = done.send(());
        });
        let _ = waiting.recv_timeout(Duration::from_secs(60));
    }
}
