//! `rollup recommend`: the copies each title should have in each store (rollup.copies_recommendation).
use anyhow::{Result, bail};
use chrono::NaiveDate;
use serde_json::json;

use crate::connection::RollupDatabase;
use crate::queries::{column, recommend};
use crate::table;

/// Print the copies to hold per film and store.
///
/// Print rollup.copies_recommendation, which every `rollup run` keeps up to date: per film and
/// store holding a copy, the copies held now, the copies needed next week and over the next four
/// weeks at the run's --service-level, and what the copies held now cost in stock-out hours and
/// idle copies. See docs/recommendation.md for the method and its backtest.
///
/// Examples: rollup recommend --film 1
///           rollup recommend --store 2 --format json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    /// Only this film (film_id).
    #[arg(long, value_name = "ID")]
    pub film: Option<i32>,

    /// Only this store (store_id).
    #[arg(long, value_name = "ID")]
    pub store: Option<i32>,

    /// text: an aligned table; json: one JSON array of objects, one per film and store.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `--service-level`, of `rollup run` and `rollup backtest`: a share of weeks, 0 < level <= 1.
pub fn parse_service_level(text: &str) -> Result<f64, String> {
    let level: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number; give a share of weeks such as 0.95"))?;
    if !(level > 0.0 && level <= 1.0) {
        return Err(format!(
            "{level} is not a service level: give a share of weeks above 0 and at most 1, such as 0.95 for 95% of weeks without every copy out"
        ));
    }
    Ok(level)
}

pub async fn run(options: Options) -> Result<()> {
    let target = options.rollup.target()?;
    let client = target.connect().await?;
    let rows = recommend::RECOMMENDATIONS.query(&client, &[&options.film, &options.store]).await?;
    if rows.is_empty() {
        let which = match (options.film, options.store) {
            (None, None) => String::new(),
            (Some(film), None) => format!(" for film {film}"),
            (None, Some(store)) => format!(" for store {store}"),
            (Some(film), Some(store)) => format!(" for film {film} in store {store}"),
        };
        bail!(
            "no copies recommendation{which} in {}: no store holds a copy of it, or no `rollup run` has computed them yet",
            target.describe()
        );
    }
    let mut records = Vec::with_capacity(rows.len());
    for row in &rows {
        records.push(Recommendation {
            film_id: column(row, "film_id")?,
            title: column(row, "title")?,
            store_id: column(row, "store_id")?,
            copies_held: column(row, "copies_held")?,
            copies_next_week: column(row, "copies_next_week")?,
            copies_next_4_weeks: column(row, "copies_next_4_weeks")?,
            expected_hours_all_copies_out: column(row, "expected_hours_all_copies_out")?,
            stockout_week_share: column(row, "stockout_week_share")?,
            expected_idle_copies: column(row, "expected_idle_copies")?,
            peak_seen: column(row, "peak_seen")?,
            censored_weeks: column(row, "censored_weeks")?,
            weeks_seen: column(row, "weeks_seen")?,
            window_from: column(row, "window_from")?,
            window_through: column(row, "window_through")?,
            service_level: column(row, "service_level")?,
        });
    }
    match options.format {
        Format::Text => print!("{}", text(&records)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&json(&records))?),
    }
    Ok(())
}

/// One row of rollup.copies_recommendation, with its film's title.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub film_id: i32,
    pub title: Option<String>,
    pub store_id: i32,
    pub copies_held: i32,
    pub copies_next_week: i32,
    pub copies_next_4_weeks: i32,
    pub expected_hours_all_copies_out: f64,
    pub stockout_week_share: f64,
    pub expected_idle_copies: f64,
    pub peak_seen: i64,
    pub censored_weeks: i32,
    pub weeks_seen: i32,
    pub window_from: NaiveDate,
    pub window_through: NaiveDate,
    pub service_level: f64,
}

fn text(records: &[Recommendation]) -> String {
    let headers = [
        "film",
        "title",
        "store",
        "held",
        "next week",
        "next 4 weeks",
        "stock-out h/week",
        "stock-out weeks",
        "idle copies",
        "peak seen",
        "censored weeks",
        "weeks",
        "through",
        "level",
    ];
    let cells: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.film_id.to_string(),
                r.title.clone().unwrap_or_default(),
                r.store_id.to_string(),
                r.copies_held.to_string(),
                r.copies_next_week.to_string(),
                r.copies_next_4_weeks.to_string(),
                format!("{:.1}", r.expected_hours_all_copies_out),
                format!("{:.2}", r.stockout_week_share),
                format!("{:.2}", r.expected_idle_copies),
                r.peak_seen.to_string(),
                r.censored_weeks.to_string(),
                r.weeks_seen.to_string(),
                r.window_through.to_string(),
                r.service_level.to_string(),
            ]
        })
        .collect();
    table::render(&headers, &cells)
}

fn json(records: &[Recommendation]) -> serde_json::Value {
    records
        .iter()
        .map(|r| {
            json!({
                "film_id": r.film_id,
                "title": r.title,
                "store_id": r.store_id,
                "service_level": r.service_level,
                "copies_held": r.copies_held,
                "copies_next_week": r.copies_next_week,
                "copies_next_4_weeks": r.copies_next_4_weeks,
                "expected_hours_all_copies_out": r.expected_hours_all_copies_out,
                "stockout_week_share": r.stockout_week_share,
                "expected_idle_copies": r.expected_idle_copies,
                "peak_seen": r.peak_seen,
                "censored_weeks": r.censored_weeks,
                "weeks_seen": r.weeks_seen,
                "window_from": r.window_from.to_string(),
                "window_through": r.window_through.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_service_level;

    #[test]
    fn a_service_level_is_a_share_above_zero_and_at_most_one() {
        assert_eq!(parse_service_level("0.95"), Ok(0.95));
        assert_eq!(parse_service_level("1"), Ok(1.0));
        for bad in ["0", "-0.5", "1.01", "95", "NaN", "inf", "ninety"] {
            assert!(parse_service_level(bad).is_err(), "{bad} accepted");
        }
    }
}
