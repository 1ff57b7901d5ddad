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

/// The newest rollup.etl_run row.
pub async fn last_run_in(rollup: &Client) -> LastRun {
    const WHAT: &str = "rollup.etl_run";
    let row = rollup
        .query_one(
            "SELECT mode, status, rows_pulled, rentals_counted, rentals_quarantined, weeks_recomputed, \
                    weeks_inserted, weeks_updated, weeks_deleted, error, rentals_changed, rentals_deleted, \
                    weeks_touched, buckets_compared, buckets_repulled, delete_check, reconciled, days_touched, \
                    film_stores_recomputed, film_weeks_recomputed, film_weeks_written, capture_generation \
               FROM rollup.etl_run ORDER BY run_id DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap_or_else(|error| panic!("read the newest row of {WHAT}: {error}"));
    let get = |name: &str| -> Option<i64> { column(&row, WHAT, name) };
    let get32 = |name: &str| -> Option<i32> { column(&row, WHAT, name) };
    LastRun {
        mode: column(&row, WHAT, "mode"),
        status: column(&row, WHAT, "status"),
        rows_pulled: get("rows_pulled"),
        rentals_counted: get("rentals_counted"),
        rentals_quarantined: get("rentals_quarantined"),
        weeks_recomputed: get32("weeks_recomputed"),
        weeks_inserted: get32("weeks_inserted"),
        weeks_updated: get32("weeks_updated"),
        weeks_deleted: get32("weeks_deleted"),
        error: column(&row, WHAT, "error"),
        rentals_changed: get("rentals_changed"),
        rentals_deleted: get("rentals_deleted"),
        weeks_touched: get32("weeks_touched"),
        buckets_compared: get32("buckets_compared"),
        buckets_repulled: get32("buckets_repulled"),
        delete_check: column(&row, WHAT, "delete_check"),
        reconciled: column(&row, WHAT, "reconciled"),
        days_touched: get32("days_touched"),
        film_stores_recomputed: get32("film_stores_recomputed"),
        film_weeks_recomputed: get32("film_weeks_recomputed"),
        film_weeks_written: get32("film_weeks_written"),
        capture_generation: get("capture_generation"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    pub mode: String,
    pub status: String,
    pub rows_pulled: Option<i64>,
    pub rentals_counted: Option<i64>,
    pub rentals_quarantined: Option<i64>,
    pub weeks_recomputed: Option<i32>,
    pub weeks_inserted: Option<i32>,
    pub weeks_updated: Option<i32>,
    pub weeks_deleted: Option<i32>,
    pub error: Option<String>,
    pub rentals_changed: Option<i64>,
    pub rentals_deleted: Option<i64>,
    pub weeks_touched: Option<i32>,
    pub buckets_compared: Option<i32>,
    pub buckets_repulled: Option<i32>,
    pub delete_check: Option<String>,
    pub reconciled: Option<bool>,
    pub days_touched: Option<i32>,
    pub film_stores_recomputed: Option<i32>,
    pub film_weeks_recomputed: Option<i32>,
    pub film_weeks_written: Option<i32>,
    pub capture_generation: Option<i64>,
}

impl LastRun {
    pub fn weeks_written(&self) -> i32 {
        self.weeks_inserted.unwrap_or(0) + self.weeks_updated.unwrap_or(0) + self.weeks_deleted.unwrap_or(0)
    }
}
