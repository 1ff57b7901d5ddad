//! What a chart shows, apart from how it is drawn: the [`Figure`] with its panels and series, read
//! from the rollup database (one row per week, so a few hundred rows at most).
use anyhow::{Result, bail};
use chrono::NaiveDate;
use plotters::prelude::*;
use tokio_postgres::Client;

use super::sizes::Sizes;
use crate::connection::Target;
use crate::queries::{bookkeeping, column, inspect};

/// One line of a panel. Lines often coincide (a week's rentals all returned the next week, or
/// several measures at zero for weeks), so each measure also has its own marker shape and its own
/// stroke width: the lines are drawn widest first, so where they coincide each still shows as a
/// band of its colour around the narrower ones above it.
pub(super) struct Series {
    pub(super) label: String,
    pub(super) color: RGBColor,
    /// Stroke width at the default size, in pixels.
    pub(super) width: f64,
    pub(super) dashed: bool,
    pub(super) marker: Marker,
    pub(super) points: Vec<(NaiveDate, i64)>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Marker {
    Circle,
    Triangle,
    Cross,
    None,
}

impl Series {
    pub(super) fn style(&self, sizes: &Sizes) -> ShapeStyle {
        ShapeStyle { color: self.color.to_rgba(), filled: false, stroke_width: sizes.px(self.width) }
    }
}

/// One plot area with its own legend: the whole shop, or one store with --film.
pub(super) struct Panel {
    pub(super) caption: Option<String>,
    pub(super) series: Vec<Series>,
}

pub(super) struct Figure {
    pub(super) title: String,
    pub(super) x_description: String,
    pub(super) first: NaiveDate,
    pub(super) last: NaiveDate,
    pub(super) panels: Vec<Panel>,
}

pub(super) const OUTSTANDING: RGBColor = RGBColor(31, 119, 180);
pub(super) const RENTED: RGBColor = RGBColor(255, 127, 14);
pub(super) const RETURNED: RGBColor = RGBColor(44, 160, 44);
pub(super) const COPIES: RGBColor = RGBColor(110, 110, 110);

/// The figure `rollup chart` draws, read from the rollup database: the whole shop, or with `film`
/// that film per store.
pub(super) async fn load(client: &Client, target: &Target, film: Option<i32>) -> Result<Figure> {
    let migrated: bool = column(&bookkeeping::SCHEMA_PRESENT.query_one(client, &[]).await?, "migrated")?;
    if !migrated {
        bail!("the rollup database {} is not migrated yet: run `rollup run` first", target.describe());
    }
    let summary = inspect::STATUS_SUMMARY.query_one(client, &[]).await?;
    let (Some(first), Some(last)) = (
        column::<Option<NaiveDate>>(&summary, "first_week")?,
        column::<Option<NaiveDate>>(&summary, "last_week")?,
    ) else {
        bail!("the rollup database {} holds no weeks yet: run `rollup run` first", target.describe());
    };
    let time_zone: String = column::<Option<String>>(&summary, "time_zone")?.unwrap_or_else(|| "UTC".into());
    let x_description = format!("week beginning (Monday 00:00, {time_zone})");

    let figure = match film {
        None => {
            let rows = inspect::CHART_WEEKLY.query(client, &[]).await?;
            Figure {
                title: format!("Rentals per week, all stores, {first} .. {last}"),
                x_description,
                first,
                last,
                panels: vec![Panel {
                    caption: None,
                    series: measures(
                        points(&rows, "outstanding_rentals")?,
                        points(&rows, "rented_rentals")?,
                        points(&rows, "returned_rentals")?,
                    ),
                }],
            }
        }
        Some(film) => {
            let Some(film_row) = inspect::CHART_FILM.query_opt(client, &[&film]).await? else {
                bail!(
                    "no film {film} in rollup.film of {}; `SELECT film_id, title FROM rollup.film` lists them",
                    target.describe()
                );
            };
            let title: String = column(&film_row, "title")?;
            let rows = inspect::CHART_FILM_WEEKLY.query(client, &[&film]).await?;
            if rows.is_empty() {
                bail!("film {film} ({title}) has no copy in any store: nothing to chart");
            }
            Figure {
                title: format!("Film {film}, {title}: rentals per week by store, {first} .. {last}"),
                x_description,
                first,
                last,
                panels: film_panels(&rows)?,
            }
        }
    };
    Ok(figure)
}

/// The three measures of one panel, in legend order. The most watched one, outstanding, is the
/// narrowest and drawn last, on top of the others.
pub(super) fn measures(
    outstanding: Vec<(NaiveDate, i64)>,
    rented: Vec<(NaiveDate, i64)>,
    returned: Vec<(NaiveDate, i64)>,
) -> Vec<Series> {
    vec![
        Series {
            label: "outstanding at week end".into(),
            color: OUTSTANDING,
            width: 2.0,
            dashed: false,
            marker: Marker::Circle,
            points: outstanding,
        },
        Series {
            label: "rented in the week".into(),
            color: RENTED,
            width: 4.0,
            dashed: false,
            marker: Marker::Triangle,
            points: rented,
        },
        Series {
            label: "returned in the week".into(),
            color: RETURNED,
            width: 6.0,
            dashed: false,
            marker: Marker::Cross,
            points: returned,
        },
    ]
}

/// One measure of rows ordered by week: (week_beginning, the measure) per row.
fn points(rows: &[tokio_postgres::Row], measure: &str) -> Result<Vec<(NaiveDate, i64)>> {
    rows.iter().map(|row| Ok((column(row, "week_beginning")?, column(row, measure)?))).collect()
}

/// One panel per store, from rows ordered by store and week.
fn film_panels(rows: &[tokio_postgres::Row]) -> Result<Vec<Panel>> {
    let stores = rows.iter().map(|row| column::<i32>(row, "store_id")).collect::<Result<Vec<_>>>()?;
    let mut panels = Vec::new();
    let mut start = 0;
    for same_store in stores.chunk_by(|a, b| a == b) {
        let store_rows = &rows[start..start + same_store.len()];
        start += same_store.len();
        let store = same_store[0];
        let copies: i64 = column(&store_rows[0], "copies")?;
        let mut series = measures(
            points(store_rows, "outstanding_rentals")?,
            points(store_rows, "rented_rentals")?,
            points(store_rows, "returned_rentals")?,
        );
        series.push(Series {
            label: format!("copies held now ({copies})"),
            color: COPIES,
            width: 2.0,
            dashed: true,
            marker: Marker::None,
            points: points(store_rows, "copies")?,
        });
        panels.push(Panel { caption: Some(format!("store {store}")), series });
    }
    Ok(panels)
}
