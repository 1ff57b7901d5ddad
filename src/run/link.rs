//! The rollup's view of the source: postgres_fdw's foreign server and tables (migrations V2, V11),
//! and the source's opt-in delete capture (V10, `rollup capture`).
use anyhow::{Context, Result, bail};
use tokio_postgres::Client;
use tracing::{info, instrument, warn};

use crate::connection::Target;
use crate::queries::{REQUIRED_SOURCE_TABLES, SOURCE_TABLES, bookkeeping, capture, column, steps};

/// Points postgres_fdw at the source and checks that the tables the pipeline reads are there.
#[instrument(skip_all)]
pub(crate) async fn link_source(
    transaction: &tokio_postgres::Transaction<'_>,
    fdw_source: &Target,
    full: bool,
) -> Result<()> {
    let tables: Vec<&str> = SOURCE_TABLES.to_vec();
    // every libpq parameter of the URL goes to the link (sslmode, sslrootcert, ...), none dropped
    let link = fdw_source.fdw_link();
    let (host, port, database, user) = (&link.host, &link.port, &link.database, &link.user);
    let (password, options) = (&link.password, &link.options);
    let could_not = || {
        format!(
            "the rollup server could not read the source {} through postgres_fdw (check {})",
            fdw_source.describe(),
            fdw_source.variable
        )
    };
    if !full {
        let current: bool = bookkeeping::LINK_CURRENT
            .value(transaction, &[host, port, database, user, password, &tables, options])
            .await
            .with_context(could_not)?;
        if current {
            info!(step = "01_link_source", "source link unchanged: kept");
            return Ok(());
        }
    }
    let imported: Vec<String> = steps::LINK_SOURCE
        .value(transaction, &[host, port, database, user, password, &"public", &tables, options])
        .await
        .with_context(could_not)?;
    let missing: Vec<&str> = REQUIRED_SOURCE_TABLES
        .iter()
        .copied()
        .filter(|table| !imported.iter().any(|name| name == table))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the source database {} has no table public.{}; is Pagila loaded there? (check {})",
            fdw_source.describe(),
            missing.join(", public."),
            fdw_source.variable
        );
    }
    info!(step = "01_link_source", tables = imported.len(), "step done");
    Ok(())
}

/// Whether the source has the delete capture (`rollup capture install`) this role may read, asked
/// directly: a capture the role cannot read is reported, not used.
pub(crate) async fn capture_on_source(source_client: &Client, source: &Target) -> Result<bool> {
    match capture::PRESENT.query_opt(source_client, &[]).await? {
        None => Ok(false),
        Some(row) if column::<bool>(&row, "readable")? => Ok(true),
        Some(_) => {
            warn!(
                source = %source.describe(),
                "the source has the delete capture (schema rollup_capture), but this role may not read it: checking \
                 the totals instead; grant it with `rollup capture install --reader ROLE` or GRANT SELECT"
            );
            Ok(false)
        }
    }
}

/// Links the source's delete capture when it is there and not linked yet, unlinks it when it is
/// gone (migrations/V10).
pub(crate) async fn link_capture(transaction: &tokio_postgres::Transaction<'_>, capture: bool) -> Result<()> {
    let linked: bool = column(&bookkeeping::CAPTURE_LINKED.query_one(transaction, &[]).await?, "linked")?;
    if linked != capture {
        bookkeeping::LINK_CAPTURE.run_step(transaction, &[&capture]).await?;
    }
    Ok(())
}
