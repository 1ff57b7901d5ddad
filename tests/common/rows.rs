//! Row mappers: rollup tables read into the structs the tests compare, every column taken by name
//! with `try_get`, so a renamed or retyped column fails naming the column and the table instead
//! of panicking at a position.
use chrono::NaiveDate;
use tokio_postgres::types::FromSql;
use tokio_postgres::{Client, Row};

use super::oracle::FilmWeek;

/// A rollup.weekly_rentals row (and the oracle's rows), in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub week_beginning: NaiveDate,
    pub rented_rentals: i64,
    pub returned_rentals: i64,
    pub outstanding_at_start: i64,
    pub outstanding_rentals: i64,
    pub out_during_week: i64,
    pub peak_outstanding: i64,
}

/// Column `name` of `row` (read from `what`), or a panic that names both and says why.
pub fn column<'a, T: FromSql<'a>>(row: &'a Row, what: &str, name: &str) -> T {
    row.try_get(name).unwrap_or_else(|error| panic!("{what}: column {name}: {error}"))
}

/// The one value `sql` returns (in a column the query names), or a panic naming the query.
pub async fn query_value<T>(
    client: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> T
where
    T: for<'a> FromSql<'a>,
{
    let row = client.query_one(sql, params).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
    row.try_get(0).unwrap_or_else(|error| panic!("{sql}: its value: {error}"))
}

pub async fn weeks_in(rollup: &Client) -> Vec<Week> {
    const WHAT: &str = "rollup.weekly_rentals";
    rollup
        .query(
            "SELECT week_beginning, rented_rentals, returned_rentals, outstanding_at_start, \
                    outstanding_rentals, out_during_week, peak_outstanding \
               FROM rollup.weekly_rentals ORDER BY week_beginning",
            &[],
        )
        .await
        .unwrap_or_else(|error| panic!("read {WHAT}: {error}"))
        .iter()
        .map(|row| Week {
            week_beginning: column(row, WHAT, "week_beginning"),
            rented_rentals: column(row, WHAT, "rented_rentals"),
            returned_rentals: column(row, WHAT, "returned_rentals"),
            outstanding_at_start: column(row, WHAT, "outstanding_at_start"),
            outstanding_rentals: column(row, WHAT, "outstanding_rentals"),
            out_during_week: column(row, WHAT, "out_during_week"),
            peak_outstanding: column(row, WHAT, "peak_outstanding"),
        })
        .collect()
}

/// rollup.film_weekly in key order.
pub async fn film_weeks_in(rollup: &Client) -> Vec<FilmWeek> {
    const WHAT: &str = "rollup.film_weekly";
    rollup
        .query(
            "SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, outstanding_at_start, \
                    outstanding_rentals, peak_outstanding, copies, \
                    hours_all_copies_out::float8 AS hours_all_copies_out \
               FROM rollup.film_weekly ORDER BY film_id, store_id, week_beginning",
            &[],
        )
        .await
        .unwrap_or_else(|error| panic!("read {WHAT}: {error}"))
        .iter()
        .map(|row| FilmWeek {
            film_id: column(row, WHAT, "film_id"),
            store_id: column(row, WHAT, "store_id"),
            week_beginning: column(row, WHAT, "week_beginning"),
            rented_rentals: column(row, WHAT, "rented_rentals"),
            returned_rentals: column(row, WHAT, "returned_rentals"),
            outstanding_at_start: column(row, WHAT, "outstanding_at_start"),
            outstanding_rentals: column(row, WHAT, "outstanding_rentals"),
            peak_outstanding: column(row, WHAT, "peak_outstanding"),
            copies: column(row, WHAT, "copies"),
            hours_all_copies_out: column(row, WHAT, "hours_all_copies_out"),
        })
        .collect()
}

/// The newest row of rollup.etl_run, read by the program's own mapping (src/run/record.rs), so
/// a column the program and the tests disagree on fails here by name.
pub async fn last_run_in(rollup: &Client) -> LastRun {
    LastRun::latest(rollup, 1)
        .await
        .unwrap_or_else(|error| panic!("read the newest row of rollup.etl_run: {error:#}"))
        .into_iter()
        .next()
        .expect("rollup.etl_run has a run")
}

/// The rows of rollup.etl_run as the program reads them.
pub use pagila_rollup::run::record::RunRecord as LastRun;
