//! `rollup verify`: recompute the weekly table from the source a second way and compare.
//!
//! The incremental pipeline derives the table from the shadow; verify derives it from one
//! aggregate computed on the source (queries/verify/), sharing only the definitions. Both agreeing
//! after a run is the evidence that the incremental bookkeeping lost nothing.
use anyhow::{Result, bail};
use chrono::NaiveDate;

use crate::connection::RollupDatabase;
use crate::pipeline::{bookkeeping, verify};
use crate::table;

/// Recompute rollup.weekly_rentals from the current source into temporary tables (one aggregate
/// computed on the source, no shadow), compare it with what is stored, and print every week that
/// differs. Exits 1 when any week differs, so it can gate a pipeline. Run it right after
/// `rollup run`: source changes made since the last run also show as differences.
///
/// Example: rollup verify
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,
}

pub async fn run(options: Options) -> Result<()> {
    let target = options.rollup.target()?;
    let mut client = target.connect().await?;
    let linked: bool = client
        .query_one("SELECT to_regclass('rollup.build_settings') IS NOT NULL AND to_regclass('source.rental') IS NOT NULL", &[])
        .await?
        .get(0);
    let built = match linked {
        true => bookkeeping::BUILD_SETTINGS.query_opt(&client, &[]).await?,
        false => None,
    };
    let Some(built) = built else {
        bail!("nothing to verify: {} has never been built; run `rollup run` first", target.describe());
    };
    let time_zone: String = built.get("time_zone");
    let through: Option<NaiveDate> =
        bookkeeping::LAST_THROUGH.query_opt(&client, &[]).await?.and_then(|row| row.get(0));

    let transaction = client.transaction().await?;
    bookkeeping::TRANSACTION_SETTINGS.execute(&transaction, &[]).await?;
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
    let cell = |value: Option<i64>| value.map(|value| value.to_string()).unwrap_or_else(|| String::from("-"));
    let rows: Vec<Vec<String>> = differences
        .iter()
        .map(|row| {
            let mut cells = vec![row.get::<_, NaiveDate>("week_beginning").to_string()];
            cells.extend((1..row.len()).map(|index| cell(row.get(index))));
            cells
        })
        .collect();
    print!(
        "{}",
        table::render(
            &[
                "week",
                "rented (stored)",
                "rented (source)",
                "returned (stored)",
                "returned (source)",
                "outstanding (stored)",
                "outstanding (source)",
                "at start (stored)",
                "at start (source)",
                "during (stored)",
                "during (source)",
            ],
            &rows,
        )
    );
    if !film_differences.is_empty() {
        println!();
        let _ = film_weekly_differs(&film_differences);
    }
    bail!(
        "{} week(s) of rollup.weekly_rentals differ from the source (listed above); \
         `rollup run` brings them up to date, `rollup run --full` rebuilds them",
        differences.len()
    )
}

/// Prints the first differing rows of rollup.film_weekly and fails with how many differ.
fn film_weekly_differs(rows: &[tokio_postgres::Row]) -> Result<()> {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut cells = vec![
                row.get::<_, i32>("film_id").to_string(),
                row.get::<_, i32>("store_id").to_string(),
                row.get::<_, NaiveDate>("week_beginning").to_string(),
            ];
            cells.extend((3..11).map(|index| {
                row.get::<_, Option<i64>>(index)
                    .map(|value| value.to_string())
                    .unwrap_or_else(|| String::from("-"))
            }));
            cells
        })
        .collect();
    print!(
        "{}",
        table::render(
            &[
                "film",
                "store",
                "week",
                "rented (stored)",
                "rented (source)",
                "returned (stored)",
                "returned (source)",
                "outstanding (stored)",
                "outstanding (source)",
                "copies (stored)",
                "copies (source)",
            ],
            &cells,
        )
    );
    let total: i64 = rows[0].get("differing");
    bail!(
        "{total} row(s) of rollup.film_weekly differ from the source (the first {} listed above); \
         `rollup run` brings them up to date, `rollup run --full` rebuilds them",
        rows.len()
    )
}
