//! The checks a run makes of its settings before it changes anything: one clear line for a time
//! zone, lookback or --through that makes no sense, a warning for a source role that could hang a
//! run, and what a cancelled statement most likely means. `--dry-run` makes the same checks.
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use tokio_postgres::Client;
use tracing::warn;

use crate::commands::run::Options;
use crate::connection::Target;
use crate::errors;
use crate::queries::{bookkeeping, column, safeguards};

/// Every check of the run's settings, the same for a run and its `--dry-run`. `migrated`: the
/// rollup database has its schema (a dry run may come before the first migration), which lets the
/// time zone the tables were built with pass without the slower look-up.
pub(crate) async fn check(
    source_client: &Client,
    client: &Client,
    source: &Target,
    options: &Options,
    migrated: bool,
) -> Result<()> {
    if migrated {
        check_time_zone(client, &options.timezone).await?;
    } else {
        check_time_zone_known(client, &options.timezone).await?;
    }
    check_lookback(client, &options.lookback).await?;
    check_through(source_client, client, source, options).await
}

/// Refuses a --through before the source's first rental: the week spine starts at the first
/// rental, so such a date extends nothing, and it is most likely a typo in the year. Asked of the
/// source directly; a source without Pagila's tables is left for the link step to explain.
async fn check_through(
    source_client: &Client,
    client: &Client,
    source: &Target,
    options: &Options,
) -> Result<()> {
    let Some(through) = options.through else {
        return Ok(());
    };
    let counted_from: Option<DateTime<Utc>> =
        safeguards::COUNTED_FROM.query_one(client, &[&options.timezone]).await?.try_get("counted_from")?;
    // Not migrated yet (a dry run before the first run): no rule, nothing left out. Year 1 is as
    // early as both chrono and PostgreSQL's timestamptz take.
    let counted_from = counted_from.unwrap_or_else(|| {
        NaiveDate::MIN.with_year(1).unwrap_or_default().and_time(NaiveTime::MIN).and_utc()
    });
    let first: Option<DateTime<Utc>> =
        match safeguards::FIRST_RENTAL.query_one(source_client, &[&counted_from]).await {
            Ok(row) => column(&row, "first_rental")?,
            Err(error) if errors::sqlstate(&error) == Some("42P01") => return Ok(()),
            Err(error) => {
                return Err(error.context(format!(
                    "could not read the first rental of the source {}",
                    source.describe()
                )));
            }
        };
    let Some(first) = first else {
        return Ok(());
    };
    let first_day: NaiveDate = safeguards::LOCAL_DATE.value(client, &[&first, &options.timezone]).await?;
    if through < first_day {
        bail!(
            "--through {through} is before the first rental in the source ({first_day}, {}): the weeks start with \
             the first rental, so there is nothing to extend to it. Give a later date, such as today, or leave \
             --through out",
            options.timezone
        );
    }
    Ok(())
}

/// A source statement that never ends would hold the run, and with it the run lock, for ever:
/// the role the rollup reads the source as should have a statement_timeout (README, "Least
/// privilege"). Says so when it has none; never fails the run for it.
pub(crate) async fn warn_without_statement_timeout(source_client: &Client, source: &Target) {
    if let Ok(timeout) = safeguards::SOURCE_STATEMENT_TIMEOUT.value::<String>(source_client, &[]).await
        && timeout == "0"
    {
        warn!(
            source = %source.describe(),
            "the source role has no statement_timeout: a source query that hangs would hold this run and the \
             run lock until it ends; set one (ALTER ROLE ... SET statement_timeout = '30min', see the README)"
        );
    }
}

async fn check_lookback(client: &Client, lookback: &str) -> Result<()> {
    let valid: bool = bookkeeping::LOOKBACK_VALID.value(client, &[&lookback]).await.with_context(|| {
        format!("--lookback / ROLLUP_LOOKBACK '{lookback}' is not a PostgreSQL interval such as '1 hour' or '30 minutes'")
    })?;
    if !valid {
        bail!("--lookback / ROLLUP_LOOKBACK '{lookback}' is negative; give a duration such as '1 hour'");
    }
    Ok(())
}

async fn check_time_zone(client: &Client, time_zone: &str) -> Result<()> {
    // pg_timezone_names reads the whole time zone database (55 ms); the zone the tables were
    // built with was checked then.
    if let Some(built) = bookkeeping::BUILD_SETTINGS.query_opt(client, &[]).await?
        && column::<String>(&built, "time_zone")? == time_zone
    {
        return Ok(());
    }
    check_time_zone_known(client, time_zone).await
}

/// Refuses a time zone name the rollup server does not know as an IANA name.
async fn check_time_zone_known(client: &Client, time_zone: &str) -> Result<()> {
    let known: bool =
        bookkeeping::TIME_ZONE_KNOWN.query_one(client, &[&time_zone]).await?.try_get("known")?;
    if !known {
        bail!(
            "unknown time zone '{time_zone}' (--timezone / ROLLUP_TIMEZONE): use an IANA name the rollup server knows, \
             such as UTC or Europe/Berlin (SELECT name FROM pg_timezone_names)"
        );
    }
    Ok(())
}

/// The rollup connection sets no statement timeout, so a cancelled statement (57014) is the
/// source's statement_timeout, relayed by postgres_fdw, or an administrator's pg_cancel_backend.
pub(crate) fn explain_cancellation(error: anyhow::Error) -> anyhow::Error {
    if errors::sqlstate(&error) != Some("57014") {
        return error;
    }
    error.context(
        "a statement of the run was cancelled, most likely by the statement_timeout of the role the rollup reads \
         the source as (README, \"Least privilege\"): the source was too slow, or something on it held a lock the \
         run needed. Nothing changed; run again when the source is less busy, or raise that timeout",
    )
}
