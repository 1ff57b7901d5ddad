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
}

pub async fn run(options: Options) -> Result<()> {
    let mut client = options.rollup.target()?.connect().await?;
    migrations::apply(&mut client).await
}
