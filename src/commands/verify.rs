//! `rollup verify`: recompute the weekly table and the per-film counts from the source a second
//! way and compare.
//!
//! The incremental pipeline derives the table from the shadow; verify derives it from one
//! aggregate computed on the source (queries/verify/), sharing only the definitions. Both agreeing
//! after a run is the evidence that the incremental bookkeeping lost nothing.
use anyhow::{Result, bail};
use chrono::NaiveDate;

use crate::connection::RollupDatabase;
use crate::queries::{bookkeeping, column, verify};
use crate::table;

/// Check the rollup tables against the source, computed another way.
///
/// Recompute rollup.weekly_rentals and the counts of rollup.film_weekly from the current source
/// into temporary tables (aggregates computed on the source, no shadow), compare them with what is
/// stored, and print the rows that differ. Exits 1 when any row differs, so it can gate a
/// pipeline. Run it right after `rollup run`: source changes made since the last run also show as
/// differences.
///
/// Example: rollup verify
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,
}

/// Verification aggregates on the source and joins a few hundred thousand rows here at most.
const VERIFY_WORK_MEM: &str = "64MB";

pub async fn run(options: Options) -> Result<()> {
    let target = options.rollup.target()?;
    let mut client = target.connect().await?;
    let present = bookkeeping::SCHEMA_PRESENT.query_one(&client, &[]).await?;
    let built = match column::<bool>(&present, "migrated")? && column::<bool>(&present, "linked")? {
        true => bookkeeping::BUILD_SETTINGS.query_opt(&client, &[]).await?,
        false => None,
    };
    let Some(built) = built else {
        bail!("nothing to verify: {} has never been built; run `rollup run` first", target.describe());
    };
    let time_zone: String = column(&built, "time_zone")?;
    let through: Option<NaiveDate> = bookkeeping::LAST_THROUGH.value_opt(&client, &[]).await?.flatten();

    let transaction = client.transaction().await?;
    bookkeeping::TRANSACTION_SETTINGS.query_one(&transaction, &[&VERIFY_WORK_MEM]).await?;
    verify::WEEK_BOUND.run_step(&transaction, &[&time_zone, &through]).await?;
    verify::RENTAL_WEEK_PAIR.run_step(&transaction, &[]).await?;
    verify::COUNTED_RENTAL_WEEK_PAIR.run_step(&transaction, &[]).await?;
    let weeks = verify::WEEKLY_RENTALS_EXPECTED.run_step(&transaction, &[&through]).await?;
    let differences = verify::WEEKLY_RENTALS_DIFFERENCE.query(&transaction, &[]).await?;
    verify::FILM_RENTAL_WEEK_PAIR.run_step(&transaction, &[]).await?;
    let film_weeks = verify::FILM_WEEKLY_EXPECTED.run_step(&transaction, &[]).await?;
    let film_differences = verify::FILM_WEEKLY_DIFFERENCE.query(&transaction, &[]).await?;
    transaction.rollback().await?;

    if differences.is_empty() && film_differences.is_empty() {
        println!(
            "verified: rollup.weekly_rentals ({weeks} weeks) and the counts of rollup.film_weekly ({film_weeks} rows) \
             match the source (time zone {time_zone})"
        );
        return Ok(());
    }
    if differences.is_empty() {
        return film_weekly_differs(&film_differences);
    }
    print!("{}", side_by_side(&differences)?);
    if !film_differences.is_empty() {
        println!();
        let _ = film_weekly_differs(&film_differences);
    }
    bail!(
        "{} week(s) of rollup.weekly_rentals differ from the source (listed above); \
         {CATCH_UP}",
        differences.len()
    )
}

/// What brings differing rows up to date. A plain run already sees every change made through the
/// source's write path; a difference that survived one is most likely a write that bypassed the
/// last_update trigger, which only the full fingerprint comparison sees.
const CATCH_UP: &str = "`rollup run --reconcile-every 0` brings them up to date (it compares every bucket's full \
                        fingerprint with the source, which also finds writes that bypassed the source's last_update \
                        trigger); `rollup run --full` rebuilds them";

/// Prints the first differing rows of rollup.film_weekly and fails with how many differ.
fn film_weekly_differs(rows: &[tokio_postgres::Row]) -> Result<()> {
    print!("{}", side_by_side(rows)?);
    let total: i64 = column(&rows[0], "differing")?;
    bail!(
        "{total} row(s) of rollup.film_weekly differ from the source (the first {} listed above); \
         {CATCH_UP}",
        rows.len()
    )
}

/// The difference rows as a table: key columns as they are, `stored_x` and `expected_x` as
/// "x (stored)" and "x (source)", a missing side as "-". The `differing` total is left out.
fn side_by_side(rows: &[tokio_postgres::Row]) -> Result<String> {
    use tokio_postgres::types::Type;
    let columns: Vec<(usize, String)> = rows[0]
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, column)| column.name() != "differing")
        .map(|(index, column)| {
            let name = column.name();
            let header = match (name.strip_prefix("stored_"), name.strip_prefix("expected_")) {
                (Some(what), _) => format!("{what} (stored)"),
                (_, Some(what)) => format!("{what} (source)"),
                _ => name.to_owned(),
            };
            (index, header)
        })
        .collect();
    let cell = |row: &tokio_postgres::Row, index: usize| -> Result<String> {
        let name = row.columns()[index].name();
        let text = match *row.columns()[index].type_() {
            Type::DATE => column::<Option<NaiveDate>>(row, name)?.map(|value| value.to_string()),
            Type::INT4 => column::<Option<i32>>(row, name)?.map(|value| value.to_string()),
            Type::INT8 => column::<Option<i64>>(row, name)?.map(|value| value.to_string()),
            ref other => {
                bail!("verify cannot print column {name} of type {other}; cast it to bigint in the query")
            }
        };
        Ok(text.unwrap_or_else(|| String::from("-")))
    };
    let cells = rows
        .iter()
        .map(|row| columns.iter().map(|(index, _)| cell(row, *index)).collect::<Result<Vec<_>>>())
        .collect::<Result<Vec<_>>>()?;
    let headers: Vec<&str> = columns.iter().map(|(_, header)| header.as_str()).collect();
    Ok(table::render(&headers, &cells))
}
