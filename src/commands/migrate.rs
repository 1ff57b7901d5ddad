//! `rollup migrate`: bring the rollup database's schema up to date, nothing else.
use anyhow::Result;

use crate::connection::RollupDatabase;
use crate::migrations;

/// Apply pending migrations to the rollup database.
///
/// Apply the migrations in migrations/ that the rollup database has not seen yet (refinery,
/// history in refinery_schema_history). `rollup run` does this too; this command is for deploying
/// the schema ahead of a run.
///
/// Example: ROLLUP_URL=postgres://rollup@db:5432/rollup rollup migrate
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    /// List the migrations that would be applied, oldest first, and apply none.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(options: Options) -> Result<()> {
    let mut client = options.rollup.target()?.connect().await?;
    if options.dry_run {
        let pending = migrations::pending(&mut client).await?;
        if pending.is_empty() {
            println!("no migrations to apply: the rollup database is up to date");
        }
        for name in pending {
            println!("would apply {name}");
        }
        return Ok(());
    }
    migrations::apply(&mut client).await
}
