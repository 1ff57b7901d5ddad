//! Hooks for the integration tests, compiled only with the `test-hooks` feature (scripts/test.sh
//! turns it on): a failpoint that breaks or pauses a run after a chosen step, and a recorder of
//! every step's plan. Release builds get the empty versions at the bottom, so no environment
//! variable can pause or slow a production run.
#[cfg(feature = "test-hooks")]
use anyhow::Context;
use anyhow::Result;
use postgres_types::ToSql;
#[cfg(feature = "test-hooks")]
use std::time::Instant;
use tokio_postgres::GenericClient;

use super::Query;

/// A test hook: `ROLLUP_FAILPOINT=<step>` makes a run fail right after that step, and
/// `ROLLUP_FAILPOINT=<step>:pause` makes it wait there (for a test to kill it), so tests can
/// break a run at a chosen point deterministically. With `ROLLUP_FAILPOINT_RESUME=<file>` as
/// well, a paused run goes on once that file exists (for a test to break something under it
/// first, such as a server). Unset in normal use.
#[cfg(feature = "test-hooks")]
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

/// Without the `test-hooks` feature (release builds) there are no failpoints.
#[cfg(not(feature = "test-hooks"))]
pub async fn failpoint(_step: &str) -> Result<()> {
    Ok(())
}

/// A test hook: with `ROLLUP_EXPLAIN_STEPS=<file>`, every step run through [`Query::run_step`] or
/// [`Query::run_step_one`] is first explained (`EXPLAIN (FORMAT JSON)`, with its parameters, so the
/// plan is the one it then runs) and a line `<step>\t<plan>` appended to the file, for a test to
/// check which access paths a run takes. Unset in normal use.
#[cfg(feature = "test-hooks")]
pub(super) async fn explain_hook(
    query: &Query,
    client: &impl GenericClient,
    params: &[&(dyn ToSql + Sync)],
) -> Result<()> {
    let Some(file) = std::env::var_os("ROLLUP_EXPLAIN_STEPS") else {
        return Ok(());
    };
    // Only what EXPLAIN takes: not ANALYZE, a COPY or other utility statements.
    let statement = query.sql.lines().filter(|line| !line.trim_start().starts_with("--")).collect::<String>();
    let keyword = statement.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    if !["SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "CREATE"].contains(&keyword.as_str()) {
        return Ok(());
    }
    let plan: serde_json::Value = client
        .query_one(&format!("EXPLAIN (FORMAT JSON) {}", query.sql), params)
        .await
        .with_context(|| format!("could not explain {}", query.name))?
        .try_get(0)
        .with_context(|| format!("could not read the plan of {}", query.name))?;
    use std::io::Write;
    let mut out = std::fs::OpenOptions::new().create(true).append(true).open(file)?;
    writeln!(out, "{}\t{plan}", query.step_name())?;
    Ok(())
}

/// Without the `test-hooks` feature (release builds) no plan is recorded.
#[cfg(not(feature = "test-hooks"))]
pub(super) async fn explain_hook(
    _query: &Query,
    _client: &impl GenericClient,
    _params: &[&(dyn ToSql + Sync)],
) -> Result<()> {
    Ok(())
}
