//! The rollup database's schema, as refinery migrations embedded from `migrations/` at compile
//! time (build.rs makes cargo notice a new file). Rules for writing them: migrations/README.md.
use anyhow::{Context, Result};
use tokio_postgres::Client;
use tracing::info;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Applies every migration not yet applied, each in its own transaction. refinery refuses to run
/// when an applied migration's file has changed since (divergent checksum) or is missing: that is
/// kept on, because it means the database no longer matches the code.
pub async fn apply(client: &mut Client) -> Result<()> {
    let report = embedded::migrations::runner()
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run_async(client)
        .await
        .context("could not migrate the rollup database (migrations/README.md explains the rules)")?;
    let applied = report.applied_migrations();
    if applied.is_empty() {
        info!(step = "migrate", "rollup database schema is up to date");
    }
    for migration in applied {
        info!(step = "migrate", version = migration.version(), name = migration.name(), "applied migration");
    }
    Ok(())
}

/// How many migrations this build carries (the newest version), for `rollup status`.
pub fn latest_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|migration| i64::from(migration.version()))
        .max()
        .unwrap_or(0)
}
