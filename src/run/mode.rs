//! Whether a run builds from scratch or continues from a cutoff, and whether it compares full
//! fingerprints: decided before anything changes, with the reason in words (the log, `--dry-run`).
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio_postgres::{Client, GenericClient};

use crate::commands::run::Options;
use crate::queries::bookkeeping;

/// The weekday weeks begin on, as rollup.build_settings.week_start records it. Not a setting:
/// it is the weekday of rollup.week_origin(), the week grid's one anchor (migrations/V12;
/// rollup.week_start() returns it), and V3's CHECK (week_start = 'monday') allows no other
/// value. Moving the anchor takes a migration and a new DEFINITIONS, not a change here.
pub(crate) const WEEK_START: &str = "monday";

/// Version of the definitions this runner computes. Tables built with older definitions lack
/// numbers this version keeps (2: per-film rows and the peak; 3: the flows of migration V9), so
/// they are rebuilt from scratch.
pub(crate) const DEFINITIONS: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Incremental,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
        }
    }
}

/// Whether a run builds from scratch or continues from a cutoff, and why, in words for the log
/// and for `--dry-run`.
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub mode: Mode,
    /// An incremental run's cursor: rows with last_update at or after it are pulled.
    pub cutoff: Option<DateTime<Utc>>,
    pub reason: String,
}

/// Full when asked, on the first run, when there is no watermark to continue from, and whenever
/// the settings differ from the last full build's; otherwise incremental from the cutoff.
/// Reads only: `--dry-run` asks it too.
pub(crate) async fn choose_mode(client: &Client, options: &Options) -> Result<Decision> {
    let full = |reason: String| Ok(Decision { mode: Mode::Full, cutoff: None, reason });
    if options.full {
        return full(String::from("full rebuild requested (--full)"));
    }
    let Some(built) = bookkeeping::BUILD_SETTINGS.query_opt(client, &[]).await? else {
        return full(String::from("no previous build: building from scratch"));
    };
    let time_zone: String = built.try_get("time_zone")?;
    let week_start: String = built.try_get("week_start")?;
    let definitions: i32 = built.try_get("definitions")?;
    if definitions < DEFINITIONS {
        return full(format!(
            "the tables were built with definitions version {definitions}, this version computes {DEFINITIONS}: \
             rebuilding from scratch"
        ));
    }
    if time_zone != options.timezone {
        return full(format!(
            "time zone changed from {time_zone} to {}: rebuilding from scratch",
            options.timezone
        ));
    }
    if week_start != WEEK_START {
        return full(format!("weeks started on {week_start}, now on {WEEK_START}: rebuilding from scratch"));
    }
    let cutoff: Option<DateTime<Utc>> = bookkeeping::CURSOR.value_opt(client, &[&options.lookback]).await?;
    match cutoff {
        Some(cutoff) => Ok(Decision {
            mode: Mode::Incremental,
            cutoff: Some(cutoff),
            reason: format!(
                "continuing from the last successful run: pulling rentals changed since {cutoff} (its watermark \
                 minus the lookback, {})",
                options.lookback
            ),
        }),
        None => full(String::from("no earlier run to continue from: building from scratch")),
    }
}

/// Whether this incremental run compares full fingerprints with the source (--reconcile-every,
/// --no-reconcile), and why.
pub(crate) async fn reconcile_decision(
    client: &impl GenericClient,
    options: &Options,
) -> Result<(bool, String)> {
    if options.no_reconcile {
        return Ok((false, String::from("never (--no-reconcile)")));
    }
    let due: bool = bookkeeping::RECONCILE_DUE
        .query_one(client, &[&options.reconcile_every])
        .await
        .with_context(|| {
            format!(
                "--reconcile-every / ROLLUP_RECONCILE_EVERY '{}' is not a PostgreSQL interval such as '1 day'",
                options.reconcile_every
            )
        })?
        .try_get("due")?;
    Ok(if due {
        (true, format!("yes: none within --reconcile-every {}", options.reconcile_every))
    } else {
        (false, format!("no: compared within --reconcile-every {}", options.reconcile_every))
    })
}
