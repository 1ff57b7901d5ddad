//! The rollup database's schema, as refinery migrations embedded from `migrations/` at compile
//! time (build.rs makes cargo notice a new file). Rules for writing them: migrations/README.md.
use anyhow::Result;
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
        .map_err(explain)?;
    let applied = report.applied_migrations();
    if applied.is_empty() {
        info!(step = "migrate", "rollup database schema is up to date");
    }
    for migration in applied {
        info!(step = "migrate", version = migration.version(), name = migration.name(), "applied migration");
    }
    Ok(())
}

/// A refinery error with what it means for the person running `rollup` and what to do.
fn explain(error: refinery::Error) -> anyhow::Error {
    let advice = match error.kind() {
        refinery::error::Kind::DivergentVersion(applied, _) => divergent(applied),
        refinery::error::Kind::MissingVersion(applied) => missing(applied),
        _ => String::from("could not migrate the rollup database (migrations/README.md explains the rules)"),
    };
    anyhow::Error::new(error).context(advice)
}

fn divergent(applied: &refinery::Migration) -> String {
    format!(
        "the rollup database applied migration {applied} with a different checksum from this build's \
         migrations/{applied}.sql: the file was edited after it was applied, or the database was \
         migrated by another version of rollup. Applied migrations must never change (migrations/README.md): \
         run the version that migrated it, or rebuild the rollup into an empty database"
    )
}

fn missing(applied: &refinery::Migration) -> String {
    format!(
        "the rollup database applied migration {applied}, which this build does not have: it was \
         migrated by a newer version of rollup; run that version, or rebuild the rollup into an empty database"
    )
}

/// The migrations [`apply`] would apply, as `V9__change_proportional_storage`, oldest first;
/// reads only. Like `apply`, it refuses a database whose applied migrations differ from this
/// build's.
pub async fn pending(client: &mut Client) -> Result<Vec<String>> {
    let runner = embedded::migrations::runner();
    let history: bool = client
        .query_one("SELECT to_regclass('refinery_schema_history') IS NOT NULL AS present", &[])
        .await?
        .try_get("present")?;
    let applied = if history {
        runner.get_applied_migrations_async(client).await.map_err(explain)?
    } else {
        Vec::new()
    };
    for migration in &applied {
        match runner.get_migrations().iter().find(|ours| ours.version() == migration.version()) {
            None => anyhow::bail!(missing(migration)),
            Some(ours) if ours.checksum() != migration.checksum() => anyhow::bail!(divergent(migration)),
            Some(_) => {}
        }
    }
    let mut pending: Vec<_> = runner
        .get_migrations()
        .iter()
        .filter(|ours| applied.iter().all(|done| done.version() != ours.version()))
        .map(|migration| (migration.version(), format!("V{}__{}", migration.version(), migration.name())))
        .collect();
    pending.sort();
    Ok(pending.into_iter().map(|(_, name)| name).collect())
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
