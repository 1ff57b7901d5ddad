//! The run lock: runs on one rollup database are serialised by a session advisory lock. A second
//! run waits, as long as it takes, at most --lock-timeout, or (--no-wait) not at all; one that
//! does not get the lock fails with exit code 3 and leaves no trace in rollup.etl_run.
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio_postgres::{Client, Row};
use tracing::{info, warn};

use crate::connection::Target;
use crate::errors;
use crate::queries::{bookkeeping, column, safeguards};
use crate::reliability::RunControl;

/// Key of the advisory lock that serialises runs (any constant; "pagila-r" in ASCII).
pub(crate) const RUN_LOCK_KEY: i64 = 0x7061_6769_6c61_2d72;

/// Takes the run lock: at once when it is free; otherwise waits for the run holding it, as long as
/// it takes, at most --lock-timeout, or (--no-wait) not at all. A run that does not get the lock
/// fails with [`errors::RunLocked`] (exit code 3) and leaves no trace in rollup.etl_run.
pub(crate) async fn acquire_run_lock(
    client: &mut Client,
    rollup: &Target,
    control: &RunControl,
) -> Result<()> {
    let acquired: bool = bookkeeping::RUN_LOCK_TRY.value(client, &[&RUN_LOCK_KEY]).await?;
    if acquired {
        return Ok(());
    }
    let no_wait = "--no-wait / ROLLUP_NO_WAIT says not to wait";
    let timeout = match control.lock_timeout {
        _ if control.no_wait => return Err(run_locked(client, rollup, no_wait, "without --no-wait").await),
        Some(timeout) if timeout.is_zero() => {
            let why = "--lock-timeout / ROLLUP_LOCK_TIMEOUT 0 says not to wait";
            return Err(run_locked(client, rollup, why, "with a longer --lock-timeout").await);
        }
        None => {
            info!("another run is in progress on this rollup database; waiting for it to finish");
            bookkeeping::RUN_LOCK_WAIT.execute(client, &[&RUN_LOCK_KEY]).await?;
            return Ok(());
        }
        Some(timeout) => timeout,
    };
    info!(
        lock_timeout_s = timeout.as_secs_f64(),
        "another run is in progress on this rollup database; waiting for it to finish, at most --lock-timeout"
    );
    // The session lock outlives the transaction, which only scopes lock_timeout to this wait.
    let transaction = client.transaction().await.context("could not begin waiting for the run lock")?;
    safeguards::RUN_LOCK_TIMEOUT.query_one(&transaction, &[&timeout.as_millis().to_string()]).await?;
    match bookkeeping::RUN_LOCK_WAIT.execute(&transaction, &[&RUN_LOCK_KEY]).await {
        Ok(_) => {
            transaction.commit().await.context("could not take the run lock")?;
            Ok(())
        }
        Err(error) if errors::sqlstate(&error) == Some("55P03") => {
            drop(transaction);
            let why = format!(
                "it did not finish within --lock-timeout / ROLLUP_LOCK_TIMEOUT ({} s)",
                timeout.as_secs_f64()
            );
            Err(run_locked(client, rollup, &why, "with a longer --lock-timeout").await)
        }
        Err(error) => Err(error),
    }
}

/// The error of a run that did not get the run lock, naming the session that holds it: `why` it
/// did not wait (longer), and how to wait (`instead`).
pub(crate) async fn run_locked(client: &Client, rollup: &Target, why: &str, instead: &str) -> anyhow::Error {
    let (about, stuck) = match safeguards::RUN_LOCK_HOLDER.query_opt(client, &[&RUN_LOCK_KEY]).await {
        Ok(Some(row)) => describe_holder(&row).unwrap_or_default(),
        // It finished in the meantime, or its session is not visible to this role: the error
        // still says what happened, without naming the holder.
        Ok(None) | Err(_) => (String::new(), String::new()),
    };
    anyhow::Error::new(errors::RunLocked {
        message: format!(
            "another `rollup run` holds the run lock of the rollup database {}{about}, and {why}: nothing was done. \
             Run again once it has finished, or {instead} to wait for it{stuck}",
            rollup.describe()
        ),
    })
}

pub(crate) async fn release_run_lock(client: &Client) {
    if client.is_closed() {
        return; // the lock went with the connection
    }
    if let Err(error) = bookkeeping::RUN_LOCK_RELEASE.execute(client, &[&RUN_LOCK_KEY]).await {
        warn!("could not release the run lock (it goes with the connection): {}", errors::render(&error));
    }
}

/// The lock holder's session for the error message (` (server process ..., app from ..., connected
/// ...)`) and how to end it.
fn describe_holder(row: &Row) -> Result<(String, String)> {
    let pid: i32 = column(row, "pid")?;
    let mut about = format!(" (server process {pid}");
    if let Some(application) = column::<Option<String>>(row, "application_name")? {
        about.push_str(&format!(", {application}"));
    }
    if let Some(client_addr) = column::<Option<String>>(row, "client_addr")? {
        about.push_str(&format!(" from {client_addr}"));
    }
    if let Some(since) = column::<Option<DateTime<Utc>>>(row, "backend_start")? {
        about.push_str(&format!(", connected {}", since.format("%Y-%m-%d %H:%M:%S UTC")));
    }
    about.push(')');
    let stuck =
        format!("; if it is stuck, end it with SELECT pg_terminate_backend({pid}) on the rollup database");
    Ok((about, stuck))
}
