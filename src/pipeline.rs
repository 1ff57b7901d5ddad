//! The SQL this program runs, one statement per file under `queries/`, embedded at compile time.
//! `queries/pipeline/` holds the steps of a run, numbered in the order they run; `queries/run/`
//! the run's bookkeeping; `queries/status/` and `queries/report/` what the read-only commands show.
use std::time::Instant;

use anyhow::{Context, Result};
use postgres_types::ToSql;
use tokio_postgres::{GenericClient, Row};
use tracing::{debug, info};

/// One SQL statement from `queries/`, with `$n` parameters.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! query {
    ($path:literal) => {
        Query {
            name: $path,
            sql: include_str!(concat!("../queries/", $path)),
        }
    };
}

/// The tables imported from the source; [`REQUIRED_SOURCE_TABLES`] must be among them.
pub const SOURCE_TABLES: &[&str] = &["rental", "inventory", "store"];
pub const REQUIRED_SOURCE_TABLES: &[&str] = &["rental"];

pub mod steps {
    use super::Query;
    pub const LINK_SOURCE: Query = query!("pipeline/01_link_source.sql");
    pub const WEEK_BOUND: Query = query!("pipeline/02_week_bound.sql");
    pub const RENTAL_WEEK_PAIR: Query = query!("pipeline/03_rental_week_pair.sql");
    pub const COUNTED_RENTAL_WEEK_PAIR: Query = query!("pipeline/04_counted_rental_week_pair.sql");
    pub const WEEKLY_RENTALS_COMPUTED: Query = query!("pipeline/05_weekly_rentals_computed.sql");
    pub const WEEKLY_RENTALS_APPLIED: Query = query!("pipeline/06_weekly_rentals_applied.sql");
}

pub mod bookkeeping {
    use super::Query;
    pub const TIME_ZONE_KNOWN: Query = query!("run/time_zone_known.sql");
    pub const ABANDON_STALE_RUNS: Query = query!("run/abandon_stale_runs.sql");
    pub const BUILD_SETTINGS: Query = query!("run/build_settings.sql");
    pub const START_RUN: Query = query!("run/start_run.sql");
    pub const CLEAR_FOR_FULL_BUILD: Query = query!("run/clear_for_full_build.sql");
    pub const RENTAL_COUNTS: Query = query!("run/rental_counts.sql");
    pub const RECORD_BUILD_SETTINGS: Query = query!("run/record_build_settings.sql");
    pub const FINISH_RUN: Query = query!("run/finish_run.sql");
    pub const FAIL_RUN: Query = query!("run/fail_run.sql");
}

pub mod inspect {
    use super::Query;
    pub const STATUS_SUMMARY: Query = query!("status/summary.sql");
    pub const LAST_RUNS: Query = query!("status/last_runs.sql");
    pub const WEEKLY_REPORT: Query = query!("report/weekly_report.sql");
}

impl Query {
    /// Runs a pipeline step and logs one line with its row count and duration.
    pub async fn run_step(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64> {
        let started = Instant::now();
        let rows = self.execute(client, params).await?;
        info!(
            step = self.step_name(),
            rows,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "step done"
        );
        Ok(rows)
    }

    pub async fn execute(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64> {
        debug!(query = self.name, "execute");
        client
            .execute(self.sql, params)
            .await
            .with_context(|| self.failed())
    }

    pub async fn query(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        debug!(query = self.name, "query");
        client
            .query(self.sql, params)
            .await
            .with_context(|| self.failed())
    }

    pub async fn query_one(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row> {
        debug!(query = self.name, "query");
        client
            .query_one(self.sql, params)
            .await
            .with_context(|| self.failed())
    }

    pub async fn query_opt(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        debug!(query = self.name, "query");
        client
            .query_opt(self.sql, params)
            .await
            .with_context(|| self.failed())
    }

    /// `03_rental_week_pair` for `pipeline/03_rental_week_pair.sql`.
    fn step_name(&self) -> &'static str {
        let file = self.name.rsplit('/').next().unwrap_or(self.name);
        file.strip_suffix(".sql").unwrap_or(file)
    }

    fn failed(&self) -> String {
        format!("query queries/{} failed", self.name)
    }
}
