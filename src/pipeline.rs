//! The SQL this program runs, one statement per file under `queries/`, embedded at compile time.
//! `queries/pipeline/` holds the steps of a run, numbered in the order they run; `queries/run/`
//! the run's bookkeeping; `queries/status/` and `queries/report/` what the read-only commands show.
use std::time::{Duration, Instant};

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
        Query { name: $path, sql: include_str!(concat!("../queries/", $path)) }
    };
}

/// The tables imported from the source; [`REQUIRED_SOURCE_TABLES`] must be among them.
pub const SOURCE_TABLES: &[&str] = &["rental", "inventory", "store", "film", "film_category", "category"];
pub const REQUIRED_SOURCE_TABLES: &[&str] = &["rental", "inventory", "film_category", "category"];

pub mod steps {
    use super::Query;
    pub const LINK_SOURCE: Query = query!("pipeline/01_link_source.sql");
    pub const FULL_RENTAL_SHADOW_OUT: Query = query!("pipeline/02_full_rental_shadow.out.sql");
    pub const FULL_RENTAL_SHADOW_IN: Query = query!("pipeline/02_full_rental_shadow.in.sql");
    pub const PULLED_RENTAL: Query = query!("pipeline/02_pulled_rental.sql");
    pub const BUCKET_FINGERPRINT: Query = query!("pipeline/03_bucket_fingerprint.sql");
    pub const REPULLED_RENTAL: Query = query!("pipeline/04_repulled_rental.sql");
    pub const RENTAL_CHANGE: Query = query!("pipeline/05_rental_change.sql");
    pub const INVENTORY_CHANGE: Query = query!("pipeline/06_inventory_change.sql");
    pub const TOUCHED_FILM_STORE: Query = query!("pipeline/07_touched_film_store.sql");
    pub const RENTAL_SHADOW_APPLIED: Query = query!("pipeline/08_rental_shadow_applied.sql");
    pub const INVENTORY_SHADOW_APPLIED: Query = query!("pipeline/09_inventory_shadow_applied.sql");
    pub const TOUCHED_WEEK: Query = query!("pipeline/10_touched_week.sql");
    pub const WEEK_SPINE: Query = query!("pipeline/11_week_spine.sql");
    pub const WEEKLY_RENTALS_COMPUTED: Query = query!("pipeline/12_weekly_rentals_computed.sql");
    pub const WEEKLY_RENTALS_APPLIED: Query = query!("pipeline/13_weekly_rentals_applied.sql");
    pub const RECOMPUTED_FILM_STORE: Query = query!("pipeline/14_recomputed_film_store.sql");
    pub const FILM_WEEKLY_COMPUTED: Query = query!("pipeline/15_film_weekly_computed.sql");
    pub const FILM_WEEKLY_APPLIED: Query = query!("pipeline/16_film_weekly_applied.sql");
    pub const FILM_APPLIED: Query = query!("pipeline/17_film_applied.sql");
    pub const DATA_ISSUE_APPLIED: Query = query!("pipeline/18_data_issue_applied.sql");
}

/// `rollup verify`: the weekly table recomputed a second, independent way.
pub mod verify {
    use super::Query;
    pub const WEEK_BOUND: Query = query!("verify/01_week_bound.sql");
    pub const RENTAL_WEEK_PAIR: Query = query!("verify/02_rental_week_pair.sql");
    pub const COUNTED_RENTAL_WEEK_PAIR: Query = query!("verify/03_counted_rental_week_pair.sql");
    pub const WEEKLY_RENTALS_EXPECTED: Query = query!("verify/04_weekly_rentals_expected.sql");
    pub const WEEKLY_RENTALS_DIFFERENCE: Query = query!("verify/05_weekly_rentals_difference.sql");
    pub const FILM_RENTAL_WEEK_PAIR: Query = query!("verify/06_film_rental_week_pair.sql");
    pub const FILM_WEEKLY_EXPECTED: Query = query!("verify/07_film_weekly_expected.sql");
    pub const FILM_WEEKLY_DIFFERENCE: Query = query!("verify/08_film_weekly_difference.sql");
}

pub mod bookkeeping {
    use super::Query;
    pub const TRANSACTION_SETTINGS: Query = query!("run/transaction_settings.sql");
    pub const LINK_CURRENT: Query = query!("run/link_current.sql");
    pub const SCHEMA_PRESENT: Query = query!("run/schema_present.sql");
    pub const RUN_LOCK_TRY: Query = query!("run/run_lock_try.sql");
    pub const RUN_LOCK_WAIT: Query = query!("run/run_lock_wait.sql");
    pub const RUN_LOCK_RELEASE: Query = query!("run/run_lock_release.sql");
    pub const TIME_ZONE_KNOWN: Query = query!("run/time_zone_known.sql");
    pub const LOOKBACK_VALID: Query = query!("run/lookback_valid.sql");
    pub const ABANDON_STALE_RUNS: Query = query!("run/abandon_stale_runs.sql");
    pub const BUILD_SETTINGS: Query = query!("run/build_settings.sql");
    pub const CURSOR: Query = query!("run/cursor.sql");
    pub const START_RUN: Query = query!("run/start_run.sql");
    pub const CLEAR_WEEKLY_RENTALS: Query = query!("run/clear_weekly_rentals.sql");
    pub const CLEAR_FOR_FULL_BUILD: Query = query!("run/clear_for_full_build.sql");
    pub const CLEAR_FILM_WEEKLY: Query = query!("run/clear_film_weekly.sql");
    pub const INDEXES_DROPPED: Query = query!("run/indexes_dropped.sql");
    pub const INDEXES_TO_RESTORE: Query = query!("run/indexes_to_restore.sql");
    pub const ANALYZE_RENTAL_SHADOW: Query = query!("run/analyze_rental_shadow.sql");
    pub const ANALYZE_INVENTORY_SHADOW: Query = query!("run/analyze_inventory_shadow.sql");
    pub const ANALYZE_CHANGES: Query = query!("run/analyze_changes.sql");
    pub const ANALYZE_RANGES: Query = query!("run/analyze_ranges.sql");
    pub const ANALYZE_RECOMPUTED: Query = query!("run/analyze_recomputed.sql");
    pub const MISMATCHED_BUCKETS: Query = query!("run/mismatched_buckets.sql");
    pub const RENTAL_COUNTS: Query = query!("run/rental_counts.sql");
    pub const RECORD_BUILD_SETTINGS: Query = query!("run/record_build_settings.sql");
    pub const RECONCILE_DUE: Query = query!("run/reconcile_due.sql");
    pub const FINISH_RUN: Query = query!("run/finish_run.sql");
    pub const FAIL_RUN: Query = query!("run/fail_run.sql");
    pub const LAST_THROUGH: Query = query!("run/last_through.sql");
}

/// What keeps runs apart and refuses settings that make no sense (src/commands/run.rs).
pub mod safeguards {
    use super::Query;
    pub const RUN_LOCK_HOLDER: Query = query!("run/run_lock_holder.sql");
    pub const RUN_LOCK_TIMEOUT: Query = query!("run/run_lock_timeout.sql");
    pub const FIRST_RENTAL: Query = query!("run/first_rental.sql");
    pub const LOCAL_DATE: Query = query!("run/local_date.sql");
    pub const SOURCE_STATEMENT_TIMEOUT: Query = query!("run/source_statement_timeout.sql");
}

pub mod inspect {
    use super::Query;
    pub const STATUS_SUMMARY: Query = query!("status/summary.sql");
    pub const LAST_RUNS: Query = query!("status/last_runs.sql");
    pub const DATA_ISSUES: Query = query!("status/data_issues.sql");
    pub const STATUS_ROW_COUNTS: Query = query!("status/row_counts.sql");
    pub const CHART_WEEKLY: Query = query!("chart/weekly.sql");
    pub const CHART_FILM: Query = query!("chart/film.sql");
    pub const CHART_FILM_WEEKLY: Query = query!("chart/film_weekly.sql");
    pub const WEEKLY_REPORT: Query = query!("report/weekly_report.sql");
    pub const EXPORT_RELATION: Query = query!("report/export_relation.sql");
}

/// `rollup generate`: a synthetic source, built by SQL on the source server.
pub mod generate {
    use super::Query;
    pub const DATABASE_EXISTS: Query = query!("generate/database/exists.sql");
    pub const CREATE_DATABASE: Query = query!("generate/database/create_statement.sql");
    pub const DROP_DATABASE: Query = query!("generate/database/drop_statement.sql");
    pub const GENERATED: Query = query!("generate/database/generated.sql");
    pub const SCHEMA: Query = query!("generate/01_schema.sql");
    pub const SETTINGS: Query = query!("generate/02_settings.sql");
    /// Step 3: (COPY out of Pagila, COPY into the generated database), table by table.
    pub const FROM_PAGILA: [(Query, Query); 4] = [
        (
            query!("generate/03_from_pagila/category.out.sql"),
            query!("generate/03_from_pagila/category.in.sql"),
        ),
        (query!("generate/03_from_pagila/film.out.sql"), query!("generate/03_from_pagila/film.in.sql")),
        (
            query!("generate/03_from_pagila/film_category.out.sql"),
            query!("generate/03_from_pagila/film_category.in.sql"),
        ),
        (
            query!("generate/03_from_pagila/customer.out.sql"),
            query!("generate/03_from_pagila/customer.in.sql"),
        ),
    ];
    pub const STORE_CUSTOMER: Query = query!("generate/04_store_customer.sql");
    pub const DEMAND: Query = query!("generate/05_demand.sql");
    pub const INVENTORY: Query = query!("generate/06_inventory.sql");
    pub const RENTAL: Query = query!("generate/07_rental.sql");
    pub const INDEXES: Query = query!("generate/08_indexes.sql");
    pub const SUMMARY: Query = query!("generate/09_summary.sql");
    pub const CHURN_STARTED: Query = query!("generate/churn/01_started.sql");
    pub const CHURN_APPLIED: Query = query!("generate/churn/02_applied.sql");
    pub const CHURN_SUMMARY: Query = query!("generate/churn/03_summary.sql");
}

impl Query {
    /// Runs a pipeline step and logs one line with its row count and duration.
    pub async fn run_step(&self, client: &impl GenericClient, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let started = Instant::now();
        let rows = with_progress(self.step_name(), self.execute(client, params)).await?;
        info!(step = self.step_name(), rows, elapsed_ms = started.elapsed().as_millis() as u64, "step done");
        failpoint(self.step_name()).await?;
        Ok(rows)
    }

    /// Like [`Query::run_step`] for a step whose result is one row of counts.
    pub async fn run_step_one(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row> {
        let started = Instant::now();
        let row = with_progress(self.step_name(), self.query_one(client, params)).await?;
        info!(step = self.step_name(), elapsed_ms = started.elapsed().as_millis() as u64, "step done");
        failpoint(self.step_name()).await?;
        Ok(row)
    }

    /// Runs a file of several statements without parameters (DDL, or steps that read their
    /// settings from a table), logging its duration like a pipeline step.
    pub async fn run_script(&self, client: &impl GenericClient) -> Result<()> {
        let started = Instant::now();
        with_progress(self.step_name(), async {
            client.batch_execute(self.sql).await.with_context(|| self.failed())
        })
        .await?;
        info!(step = self.step_name(), elapsed_ms = started.elapsed().as_millis() as u64, "step done");
        Ok(())
    }

    pub async fn execute(&self, client: &impl GenericClient, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        debug!(query = self.name, "execute");
        client.execute(self.sql, params).await.with_context(|| self.failed())
    }

    pub async fn query(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        debug!(query = self.name, "query");
        client.query(self.sql, params).await.with_context(|| self.failed())
    }

    pub async fn query_one(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row> {
        debug!(query = self.name, "query");
        client.query_one(self.sql, params).await.with_context(|| self.failed())
    }

    pub async fn query_opt(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        debug!(query = self.name, "query");
        client.query_opt(self.sql, params).await.with_context(|| self.failed())
    }

    /// `02_pulled_rental` for `pipeline/02_pulled_rental.sql`.
    pub fn step_name(&self) -> &'static str {
        let file = self.name.rsplit('/').next().unwrap_or(self.name);
        file.strip_suffix(".sql").unwrap_or(file)
    }

    pub(crate) fn failed(&self) -> String {
        format!("query queries/{} failed", self.name)
    }
}

/// How often a step still running says so: a full build of millions of rentals has steps of
/// minutes, and a silent log cannot be told from a hung one.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Runs `work`, logging `step still running` with the time so far every [`PROGRESS_EVERY`].
pub async fn with_progress<T>(step: &str, work: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let mut work = std::pin::pin!(work);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = ticks.tick() => info!(step, elapsed_s = started.elapsed().as_secs(), "step still running"),
        }
    }
}

/// A test hook: `ROLLUP_FAILPOINT=<step>` makes a run fail right after that step, and
/// `ROLLUP_FAILPOINT=<step>:pause` makes it wait there (for a test to kill it), so tests can
/// break a run at a chosen point deterministically. With `ROLLUP_FAILPOINT_RESUME=<file>` as
/// well, a paused run goes on once that file exists (for a test to break something under it
/// first, such as a server). Unset in normal use.
pub async fn failpoint(step: &str) -> Result<()> {
    let Ok(setting) = std::env::var("ROLLUP_FAILPOINT") else {
        return Ok(());
    };
    let (name, action) = setting.split_once(':').unwrap_or((setting.as_str(), "fail"));
    if name != step {
        return Ok(());
    }
    if action == "pause" {
        let resume = std::env::var_os("ROLLUP_FAILPOINT_RESUME").map(std::path::PathBuf::from);
        tracing::warn!(step, "failpoint: pausing until killed or resumed");
        let paused = Instant::now();
        while paused.elapsed() < std::time::Duration::from_secs(3600) {
            if resume.as_ref().is_some_and(|file| file.exists()) {
                tracing::warn!(step, "failpoint: resumed");
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    anyhow::bail!("failpoint {step} reached (ROLLUP_FAILPOINT)")
}
