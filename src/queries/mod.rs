//! The SQL this program runs, one statement per file under `queries/`, embedded at compile time.
//! `queries/pipeline/` holds the steps of a run, numbered in the order they run; `queries/run/`
//! the run's bookkeeping; `queries/status/` and `queries/report/` what the read-only commands show.
use std::sync::LazyLock;
use std::time::Instant;

use anyhow::{Context, Result};
use postgres_types::{FromSql, ToSql};
use tokio_postgres::{GenericClient, Row};
use tracing::{debug, info};

mod hooks;
use hooks::explain_hook;
pub use hooks::failpoint;

/// One SQL statement from `queries/`, with `$n` parameters.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! query {
    ($path:literal) => {
        Query { name: $path, sql: include_str!(concat!("../../queries/", $path)) }
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
    pub const FULL_INVENTORY_SHADOW_OUT: Query = query!("pipeline/02_full_inventory_shadow.out.sql");
    pub const FULL_INVENTORY_SHADOW_IN: Query = query!("pipeline/02_full_inventory_shadow.in.sql");
    pub const FULL_FILM_OUT: Query = query!("pipeline/02_full_film.out.sql");
    pub const FULL_FILM_IN: Query = query!("pipeline/02_full_film.in.sql");
    pub const PULLED_RENTAL: Query = query!("pipeline/02_pulled_rental.sql");
    pub const RENTAL_TOTALS_DIFFER: Query = query!("pipeline/03_rental_totals_differ.sql");
    pub const BUCKET_FINGERPRINT_IDS: Query = query!("pipeline/04_bucket_fingerprint.ids.sql");
    pub const BUCKET_FINGERPRINT_HASHES: Query = query!("pipeline/04_bucket_fingerprint.hashes.sql");
    pub const CAPTURED_DELETION: Query = query!("pipeline/03_captured_deletion.sql");
    pub const REPULLED_RENTAL: Query = query!("pipeline/05_repulled_rental.sql");
    pub const CAPTURED_RENTAL: Query = query!("pipeline/05_captured_rental.sql");
    pub const RENTAL_CHANGE: Query = query!("pipeline/06_rental_change.sql");
    pub const INVENTORY_CHANGE: Query = query!("pipeline/07_inventory_change.sql");
    pub const TOUCHED_DAY: Query = query!("pipeline/08_touched_day.sql");
    pub const TOUCHED_FILM_WEEK: Query = query!("pipeline/10_touched_film_week.sql");
    pub const RENTAL_SHADOW_APPLIED: Query = query!("pipeline/11_rental_shadow_applied.sql");
    pub const RENTAL_BUCKET_APPLIED_FULL: Query = query!("pipeline/11_rental_bucket_applied.full.sql");
    pub const RENTAL_BUCKET_APPLIED_INCREMENTAL: Query =
        query!("pipeline/11_rental_bucket_applied.incremental.sql");
    pub const INVENTORY_SHADOW_APPLIED: Query = query!("pipeline/09_inventory_shadow_applied.sql");
    pub const DAY_EVENT_FULL: Query = query!("pipeline/12_day_event.full.sql");
    pub const DAY_EVENT_INCREMENTAL: Query = query!("pipeline/12_day_event.incremental.sql");
    pub const DAY_FLOW_COMPUTED: Query = query!("pipeline/13_day_flow_computed.sql");
    pub const DAY_FLOW_APPLIED_FULL: Query = query!("pipeline/14_day_flow_applied.full.sql");
    pub const DAY_FLOW_APPLIED_INCREMENTAL: Query = query!("pipeline/14_day_flow_applied.incremental.sql");
    pub const WEEK_SPINE: Query = query!("pipeline/15_week_spine.sql");
    pub const WEEKLY_RENTALS_COMPUTED: Query = query!("pipeline/16_weekly_rentals_computed.sql");
    pub const WEEKLY_RENTALS_APPLIED: Query = query!("pipeline/17_weekly_rentals_applied.sql");
    pub const FILM_WEEK_EVENT_FULL: Query = query!("pipeline/18_film_week_event.full.sql");
    pub const FILM_WEEK_EVENT_INCREMENTAL: Query = query!("pipeline/18_film_week_event.incremental.sql");
    pub const FILM_WEEK_FLOW_COMPUTED: Query = query!("pipeline/19_film_week_flow_computed.sql");
    pub const FILM_WEEK_FLOW_APPLIED_FULL: Query = query!("pipeline/20_film_week_flow_applied.full.sql");
    pub const FILM_WEEK_FLOW_APPLIED_INCREMENTAL: Query =
        query!("pipeline/20_film_week_flow_applied.incremental.sql");
    /// Full build on Citus: step 18's events copied to the workers.
    pub const FILM_WEEK_EVENT_CITUS: Query = query!("pipeline/18_film_week_event.citus.sql");
    /// Incremental run on Citus: the changed rentals' events replaced where the workers keep them.
    pub const FILM_WEEK_EVENT_APPLIED_CITUS: Query = query!("pipeline/11_film_week_event_applied.citus.sql");
    /// Incremental run on Citus: step 18's view over the touched weeks' events on the workers.
    pub const FILM_WEEK_EVENT_INCREMENTAL_CITUS: Query =
        query!("pipeline/18_film_week_event.incremental.citus.sql");
    /// Full build on Citus: steps 19 and 20 as one statement run on the workers, step 19's query
    /// put in its place ([`super::film_week_flow_applied_citus`]).
    pub(super) const FILM_WEEK_FLOW_APPLIED_CITUS_OUTER: Query =
        query!("pipeline/20_film_week_flow_applied.citus.sql");
    /// Incremental run on Citus: step 19's flows sent to their films' shards (a work table).
    pub const FILM_WEEK_FLOW_RECOMPUTED_CITUS: Query =
        query!("pipeline/20_film_week_flow_recomputed.citus.sql");
    /// Incremental run on Citus: step 20 over the co-located work tables, its statement put in
    /// place ([`super::film_week_flow_applied_incremental_citus`]).
    pub(super) const FILM_WEEK_FLOW_APPLIED_INCREMENTAL_CITUS_OUTER: Query =
        query!("pipeline/20_film_week_flow_applied.incremental.citus.sql");
    pub const PULLED_FILM_FULL: Query = query!("pipeline/21_pulled_film.full.sql");
    pub const PULLED_FILM_INCREMENTAL: Query = query!("pipeline/21_pulled_film.incremental.sql");
    pub const FILM_APPLIED: Query = query!("pipeline/21_film_applied.sql");
    pub const JUDGED_RENTAL_FULL: Query = query!("pipeline/22_judged_rental.full.sql");
    pub const JUDGED_RENTAL_INCREMENTAL: Query = query!("pipeline/22_judged_rental.incremental.sql");
    pub const DATA_ISSUE_FOUND: Query = query!("pipeline/23_data_issue_found.sql");
    pub const DATA_ISSUE_APPLIED_FULL: Query = query!("pipeline/24_data_issue_applied.full.sql");
    pub const DATA_ISSUE_APPLIED_INCREMENTAL: Query =
        query!("pipeline/24_data_issue_applied.incremental.sql");
    pub const FILM_WEEK_FLOW_HISTORY_FULL: Query = query!("pipeline/25_film_week_flow_history.full.sql");
    pub const FILM_WEEK_FLOW_HISTORY_INCREMENTAL: Query =
        query!("pipeline/25_film_week_flow_history.incremental.sql");
    pub const COPIES_HISTORY_FULL: Query = query!("pipeline/25_copies_history.full.sql");
    pub const COPIES_HISTORY_INCREMENTAL: Query = query!("pipeline/25_copies_history.incremental.sql");
    pub const FILM_HISTORY: Query = query!("pipeline/25_film_history.sql");
    pub const WEEKLY_RENTALS_HISTORY: Query = query!("pipeline/25_weekly_rentals_history.sql");
    pub const COPIES_RECOMMENDATION_APPLIED_FULL: Query =
        query!("pipeline/26_copies_recommendation_applied.full.sql");
    pub const COPIES_RECOMMENDATION_APPLIED_INCREMENTAL: Query =
        query!("pipeline/26_copies_recommendation_applied.incremental.sql");
    /// Incremental run on Citus: step 26's `fresh`, put in the single-server statement's
    /// ([`super::copies_recommendation_applied_incremental_citus`]).
    pub(super) const COPIES_RECOMMENDATION_APPLIED_INCREMENTAL_CITUS_FRESH: Query =
        query!("pipeline/26_copies_recommendation_applied.incremental.citus.sql");
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
    pub const RUN_SETTING: Query = query!("run/run_setting.sql");
    pub const INCREMENTAL_TABLES: Query = query!("run/incremental_tables.sql");
    pub const ANALYZE_PULLED: Query = query!("run/analyze_pulled.sql");
    pub const ANALYZE_CHANGES: Query = query!("run/analyze_changes.sql");
    pub const ANALYZE_TOUCHED: Query = query!("run/analyze_touched.sql");
    pub const ANALYZE_RECOMPUTED: Query = query!("run/analyze_recomputed.sql");
    pub const MISMATCHED_BUCKETS: Query = query!("run/mismatched_buckets.sql");
    pub const RENTAL_COUNTS: Query = query!("run/rental_counts.sql");
    pub const PULL_COUNTS: Query = query!("run/pull_counts.sql");
    pub const TOUCHED_COUNTS: Query = query!("run/touched_counts.sql");
    pub const NOTHING_CHANGED: Query = query!("run/nothing_changed.sql");
    pub const RECOMMENDATION_BASIS: Query = query!("run/recommendation_basis.sql");
    pub const EVENTS_ON_WORKERS: Query = query!("run/events_on_workers.sql");
    pub const RECORD_BUILD_SETTINGS: Query = query!("run/record_build_settings.sql");
    pub const RECONCILE_DUE: Query = query!("run/reconcile_due.sql");
    pub const FINISH_RUN: Query = query!("run/finish_run.sql");
    pub const RUN_RECORDS: Query = query!("run/run_records.sql");
    pub const FAIL_RUN: Query = query!("run/fail_run.sql");
    pub const LAST_THROUGH: Query = query!("run/last_through.sql");
    pub const CAPTURE_LINKED: Query = query!("run/capture_linked.sql");
    pub const LINK_CAPTURE: Query = query!("run/link_capture.sql");
    pub const CAPTURE_TRUSTED: Query = query!("run/capture_trusted.sql");
}

/// What keeps runs apart and refuses settings that make no sense (src/run/settings.rs).
pub mod safeguards {
    use super::Query;
    pub const RUN_LOCK_HOLDER: Query = query!("run/run_lock_holder.sql");
    pub const RUN_LOCK_TIMEOUT: Query = query!("run/run_lock_timeout.sql");
    pub const FIRST_RENTAL: Query = query!("run/first_rental.sql");
    pub const COUNTED_FROM: Query = query!("run/counted_from.sql");
    pub const LOCAL_DATE: Query = query!("run/local_date.sql");
    pub const SOURCE_STATEMENT_TIMEOUT: Query = query!("run/source_statement_timeout.sql");
}

pub mod inspect {
    use super::Query;
    pub const STATUS_SUMMARY: Query = query!("status/summary.sql");
    pub const DATA_ISSUES: Query = query!("status/data_issues.sql");
    pub const STATUS_ROW_COUNTS: Query = query!("status/row_counts.sql");
    pub const LAST_SUCCESS: Query = query!("status/last_success.sql");
    pub const SOURCE_NEWEST: Query = query!("status/source_newest.sql");
    pub const CHART_WEEKLY: Query = query!("chart/weekly.sql");
    pub const CHART_FILM: Query = query!("chart/film.sql");
    pub const CHART_FILM_WEEKLY: Query = query!("chart/film_weekly.sql");
    pub const WEEKLY_REPORT: Query = query!("report/weekly_report.sql");
    pub const EXPORT_RELATION: Query = query!("report/export_relation.sql");
    pub const AS_OF_RUN: Query = query!("report/as_of_run.sql");
}

/// `rollup recommend` and `rollup backtest`: the copies to hold, and how the method would have done.
pub mod recommend {
    use super::Query;
    pub const RECOMMENDATIONS: Query = query!("recommend/recommendations.sql");
    pub const BACKTEST: Query = query!("recommend/backtest.sql");
    pub const SESSION_SETTINGS: Query = query!("recommend/session_settings.sql");
}

/// A full build's staging, parallel phase and publishing (src/run/full_build.rs).
pub mod build {
    use super::Query;
    pub const STAGING_DROPPED: Query = query!("build/staging_dropped.sql");
    pub const SNAPSHOT_STARTED: Query = query!("build/snapshot_started.sql");
    pub const STAGING_TABLES: Query = query!("build/staging_tables.sql");
    pub const STAGING_INDEX_STATEMENTS: Query = query!("build/staging_index_statements.sql");
    pub const STAGING_ANALYZED: Query = query!("build/staging_analyzed.sql");
    pub const SESSION_SETTINGS: Query = query!("build/session_settings.sql");
    pub const FILM_RANGES: Query = query!("build/film_ranges.sql");
    pub const FILM_RANGE: Query = query!("build/film_range.sql");
    pub const PARTITIONS_SWAPPED: Query = query!("build/partitions_swapped.sql");
    pub const TABLES_REPLACED: Query = query!("build/tables_replaced.sql");
    pub const HISTORY_DELTA: Query = query!("build/history_delta.sql");
    pub const SOURCE_ROWS_ESTIMATED: Query = query!("build/source_rows_estimated.sql");
    pub const BACKEND_PID: Query = query!("build/backend_pid.sql");
    pub const INDEX_BUILD_PROGRESS: Query = query!("build/index_build_progress.sql");
    pub const SERVER_CORES: Query = query!("build/server_cores.sql");
    pub const PARALLEL_WORKERS: Query = query!("build/parallel_workers.sql");
    pub const SWEPT_ON_WORKERS: Query = query!("build/swept_on_workers.sql");
    pub const FILM_WEEKS_COUNTED: Query = query!("build/film_weeks_counted.sql");
}

/// The head of step 19 (pipeline/19_film_week_flow_computed.sql) before its query.
const STEP_19_HEAD: &str = "CREATE TEMP TABLE film_week_flow_computed ON COMMIT DROP AS\n";
/// The line of pipeline/20_film_week_flow_applied.citus.sql that step 19's query replaces.
const STEP_19_PLACE: &str = "\n-- step 19\n";

/// Steps 19 and 20 of a full build on Citus as one statement the workers run
/// (pipeline/20_film_week_flow_applied.citus.sql): that file with step 19's query in its place, so
/// the sweep is written once, in step 19's file. Step 19's only parameter, `$1` (the time zone), is
/// the statement's `$1` too.
pub fn film_week_flow_applied_citus() -> Query {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        distributed_sweep(steps::FILM_WEEK_FLOW_APPLIED_CITUS_OUTER.sql, steps::FILM_WEEK_FLOW_COMPUTED.sql)
    });
    Query { name: steps::FILM_WEEK_FLOW_APPLIED_CITUS_OUTER.name, sql: SQL.as_str() }
}

/// `outer` with its line `-- step 19` replaced by step 19's query (`step_19` without its head).
/// Panics when either file no longer has the shape this relies on (a unit test runs it on the
/// embedded files).
fn distributed_sweep(outer: &str, step_19: &str) -> String {
    let (_, query) = step_19
        .split_once(STEP_19_HEAD)
        .unwrap_or_else(|| panic!("step 19 no longer starts its query with {STEP_19_HEAD:?}"));
    let query = query.trim_end().strip_suffix(';').unwrap_or(query).trim_end();
    assert!(
        !query.contains(';') && !query.contains("$2") && !query.contains("run_setting"),
        "step 19's query is not one statement whose only parameter is $1, the time zone"
    );
    put_in_place(outer, STEP_19_PLACE, query)
}

/// `outer` with its one line `place` replaced by `sql`: how a Citus form takes in the statement
/// written once in the single-server file. Panics when `outer` has no single such line.
fn put_in_place(outer: &str, place: &str, sql: &str) -> String {
    assert_eq!(outer.matches(place).count(), 1, "no single line {place:?} in:\n{outer}");
    outer.replacen(place, &format!("\n{sql}\n"), 1)
}

/// The line of pipeline/20_film_week_flow_applied.incremental.citus.sql that step 20's statement
/// replaces.
const STEP_20_PLACE: &str = "\n-- step 20\n";
/// The run's temporary tables the single-server step 20 reads, and the work tables distributed by
/// film (migrations V18, V19) its Citus form reads in their place.
const STEP_20_WORK_TABLES: [(&str, &str); 2] = [
    ("touched_film_week", "rollup.film_week_touched"),
    ("film_week_flow_computed", "rollup.film_week_flow_recomputed"),
];

/// Step 20 of an incremental run on Citus (pipeline/20_film_week_flow_applied.incremental.citus.sql):
/// the single-server statement, written once in pipeline/20_film_week_flow_applied.incremental.sql,
/// reading the co-located work tables instead of the run's temporary tables, so the delete, the
/// update and the insert run in each shard against its own rows. Its parameter `$1` (the run) is
/// the same.
pub fn film_week_flow_applied_incremental_citus() -> Query {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        flows_applied_on_workers(
            steps::FILM_WEEK_FLOW_APPLIED_INCREMENTAL_CITUS_OUTER.sql,
            steps::FILM_WEEK_FLOW_APPLIED_INCREMENTAL.sql,
        )
    });
    Query { name: steps::FILM_WEEK_FLOW_APPLIED_INCREMENTAL_CITUS_OUTER.name, sql: SQL.as_str() }
}

/// `outer` with its line `-- step 20` replaced by `step_20` reading the work tables. Panics when
/// either file no longer has the shape this relies on (a unit test runs it on the embedded files).
fn flows_applied_on_workers(outer: &str, step_20: &str) -> String {
    let mut statement = step_20.trim_end().to_owned();
    for (temporary, work) in STEP_20_WORK_TABLES {
        assert!(statement.contains(temporary), "step 20 no longer reads {temporary}");
        assert!(
            !statement.contains(&format!("{temporary}_")) && !statement.contains(&format!("_{temporary}")),
            "{temporary} is part of a longer name in step 20"
        );
        statement = statement.replace(temporary, work);
    }
    put_in_place(outer, STEP_20_PLACE, &statement)
}

/// Where step 26's `fresh` begins, in the single-server statement and in its Citus form.
const STEP_26_FRESH: &str = "\nfresh AS MATERIALIZED (\n";
/// What follows `fresh` in the single-server statement.
const STEP_26_AFTER_FRESH: &str = "\n),\ndeleted AS (\n";

/// Step 26 of an incremental run on Citus: the single-server statement, written once in
/// pipeline/26_copies_recommendation_applied.incremental.sql, with its `fresh` (the touched pairs'
/// copies to hold) taken from pipeline/26_copies_recommendation_applied.incremental.citus.sql,
/// which hands the touched films to the method (migration V21) instead of filtering each pair.
/// Its parameters, `$1` (the run) and `$2` (the service level), are the same.
pub fn copies_recommendation_applied_incremental_citus() -> Query {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        fresh_replaced(
            steps::COPIES_RECOMMENDATION_APPLIED_INCREMENTAL.sql,
            steps::COPIES_RECOMMENDATION_APPLIED_INCREMENTAL_CITUS_FRESH.sql,
        )
    });
    Query { name: steps::COPIES_RECOMMENDATION_APPLIED_INCREMENTAL_CITUS_FRESH.name, sql: SQL.as_str() }
}

/// `single` with its `fresh` replaced by the one of `citus` (from its line `fresh AS MATERIALIZED (`
/// to its end). Panics when either file no longer has the shape this relies on (a unit test runs it
/// on the embedded files).
fn fresh_replaced(single: &str, citus: &str) -> String {
    let find_once = |text: &str, what: &str| {
        assert_eq!(text.matches(what).count(), 1, "no single {what:?} in:\n{text}");
        text.find(what).unwrap()
    };
    let from = find_once(single, STEP_26_FRESH);
    let to = find_once(single, STEP_26_AFTER_FRESH);
    assert!(from < to, "step 26's fresh is not followed by deleted");
    let fresh = citus[find_once(citus, STEP_26_FRESH)..].trim_end();
    let fresh = fresh.strip_suffix("),").expect("step 26's Citus fresh does not end with `),`").trim_end();
    format!("{}{fresh}{}", &single[..from], &single[to..])
}

/// `rollup capture`: the opt-in log of deleted rentals on the source (queries/capture/).
pub mod capture {
    use super::Query;
    pub const INSTALL: Query = query!("capture/install.sql");
    pub const GRANT_STATEMENT: Query = query!("capture/grant_statement.sql");
    pub const DROP: Query = query!("capture/drop.sql");
    pub const PRUNE: Query = query!("capture/prune.sql");
    pub const STATUS: Query = query!("capture/status.sql");
    pub const PRESENT: Query = query!("capture/present.sql");
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
        explain_hook(self, client, params).await?;
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
        explain_hook(self, client, params).await?;
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

    /// The value of a query that returns one row of one column, with an error that names the
    /// query when the row is missing or the value does not fit `T`.
    pub async fn value<T: for<'r> FromSql<'r>>(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<T> {
        let row = self.query_one(client, params).await?;
        row.try_get(0).with_context(|| format!("could not read the result of {}", self.name))
    }

    /// Like [`Query::value`] for a query that may return no row.
    pub async fn value_opt<T: for<'r> FromSql<'r>>(
        &self,
        client: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<T>> {
        match self.query_opt(client, params).await? {
            Some(row) => Ok(Some(
                row.try_get(0).with_context(|| format!("could not read the result of {}", self.name))?,
            )),
            None => Ok(None),
        }
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

/// Runs `work` as the step `step`, logging its progress while it runs (src/progress.rs): a full
/// build of millions of rentals has steps of minutes, and a silent log cannot be told from a hung
/// one.
pub async fn with_progress<T>(step: &str, work: impl Future<Output = T>) -> T {
    crate::progress::watch(step, crate::progress::Source::Clock, work).await
}

/// A column of a row, by name, with an error that names the column (tokio-postgres names only
/// its position when the type does not fit).
pub fn column<'a, T: FromSql<'a>>(row: &'a Row, name: &str) -> Result<T> {
    row.try_get(name).with_context(|| format!("could not read column {name}"))
}

#[cfg(test)]
mod tests {
    use super::{
        copies_recommendation_applied_incremental_citus, film_week_flow_applied_citus,
        film_week_flow_applied_incremental_citus, steps,
    };

    /// The Citus sweep is step 19's query, whole, inside the INSERT of its file: the same windows
    /// and grouping, the time zone as $1, nothing of step 19's temporary table or of the line it
    /// replaces.
    #[test]
    fn the_citus_sweep_is_step_19s_query_inside_one_insert() {
        let sql = film_week_flow_applied_citus().sql;
        let step_19 = steps::FILM_WEEK_FLOW_COMPUTED.sql;
        let query = &step_19[step_19.find("WITH swept AS").unwrap()..];
        let query = query.trim_end().trim_end_matches(';');
        assert!(sql.contains(query), "{sql}");
        assert!(sql.contains("INSERT INTO rollup_build.film_week_flow"), "{sql}");
        assert!(sql.contains("FROM rollup_build.film_week_event"), "{sql}");
        for gone in ["FROM run_setting", "CREATE TEMP TABLE", "\n-- step 19\n"] {
            assert!(!sql.contains(gone), "{gone:?} in:\n{sql}");
        }
        assert_eq!(sql.matches("PARTITION BY e.film_id").count(), 1, "{sql}");
        assert_eq!(sql.matches("$1::text").count(), 2, "{sql}");
        assert_eq!(sql.matches("$2::bigint").count(), 1, "{sql}");
    }

    /// The Citus step 20 is the single-server statement, whole, with every read of the run's
    /// temporary tables turned to the work tables distributed by film.
    #[test]
    fn the_citus_step_20_is_the_single_server_statement_over_the_work_tables() {
        let sql = film_week_flow_applied_incremental_citus().sql;
        let single = steps::FILM_WEEK_FLOW_APPLIED_INCREMENTAL.sql;
        let statement = &single[single.find("WITH deleted AS").unwrap()..];
        let expected = statement
            .replace("touched_film_week", "rollup.film_week_touched")
            .replace("film_week_flow_computed", "rollup.film_week_flow_recomputed");
        assert!(sql.contains(expected.trim_end()), "{sql}");
        for gone in ["FROM touched_film_week", "FROM film_week_flow_computed", "\n-- step 20\n"] {
            assert!(!sql.contains(gone), "{gone:?} in:\n{sql}");
        }
        assert_eq!(sql.matches("FROM rollup.film_week_touched").count(), 3, "{sql}");
        assert_eq!(sql.matches("FROM rollup.film_week_flow_recomputed").count(), 3, "{sql}");
        assert_eq!(sql.matches("$1::bigint").count(), 2, "{sql}");
    }

    /// The Citus step 26 is the single-server statement but for `fresh`: the same pairs, deletes and
    /// writes, the method called once with the touched films instead of once per pair.
    #[test]
    fn the_citus_step_26_is_the_single_server_statement_with_the_films_handed_to_the_method() {
        let sql = copies_recommendation_applied_incremental_citus().sql;
        let single = steps::COPIES_RECOMMENDATION_APPLIED_INCREMENTAL.sql;
        let before = &single[single.find("WITH known AS").unwrap()..single.find("fresh AS").unwrap()];
        let after = &single[single.find("\n),\ndeleted AS").unwrap()..];
        assert!(sql.contains(before), "{sql}");
        assert!(sql.ends_with(after), "{sql}");
        assert_eq!(sql.matches("rollup.copies_recommendation_for(").count(), 1, "{sql}");
        assert!(sql.contains("ARRAY(SELECT DISTINCT p.film_id FROM pair AS p)"), "{sql}");
        for gone in ["OFFSET 0", "f.film_id = p.film_id", "Step 26, incremental, on a Citus"] {
            assert!(!sql.contains(gone), "{gone:?} in:\n{sql}");
        }
        assert_eq!(sql.matches("$2::float8").count(), 2, "{sql}");
        assert_eq!(sql.matches("$1::bigint").count(), 1, "{sql}");
    }
}
