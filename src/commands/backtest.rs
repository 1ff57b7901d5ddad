//! `rollup backtest`: the copies recommendation walked forward through history and scored against
//! what then happened, beside other methods and rules of thumb (queries/recommend/backtest.sql).
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;

use crate::commands::export::{create_partial, persist};
use crate::commands::recommend::parse_service_level;
use crate::connection::RollupDatabase;
use crate::queries::{column, recommend};

/// Score the copies recommendation against history.
///
/// Walks forward through the weeks: at the end of each week W it recommends copies for W+1 (and
/// for W+1 .. W+4) from what was known then, exactly as `rollup run` does, and scores that against
/// what then happened, beside a Poisson method, the quantile of raw peaks and three rules of thumb
/// (copies as held, last week's peak, the max of the last 4 weeks). Prints the table as Markdown;
/// with -o, writes it into that file as a section titled --title (replacing a section of that
/// title, keeping the others).
///
/// Example: rollup backtest --title Pagila -o bench/backtest.md
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    /// Decide at the end of the last N weeks that have a next week to score (default: every one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub weeks: Option<i32>,

    /// The service level the methods aim at: a share of weeks above 0 and at most 1.
    #[arg(long, default_value = "0.95", value_name = "LEVEL", value_parser = parse_service_level)]
    pub service_level: f64,

    /// Write the result into this Markdown file as a section (e.g. bench/backtest.md).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The section's title, e.g. the source's name. [default: the rollup database's name]
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
}

/// One line of the backtest: a method or rule of thumb at one horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub method: String,
    pub kind: String,
    pub horizon: i32,
    pub decision_weeks: i32,
    pub first_decision: NaiveDate,
    pub last_decision: NaiveDate,
    pub decisions: i64,
    pub film_store_weeks: i64,
    pub peak_within_share: f64,
    pub demand_within_share: f64,
    pub idle_copy_weeks: i64,
    pub copy_weeks_held: i64,
}

pub async fn run(options: Options) -> Result<()> {
    let target = options.rollup.target()?;
    let client = target.connect().await?;
    recommend::SESSION_SETTINGS.query_one(&client, &[]).await?;
    let started = Instant::now();
    let scores = scores(&client, options.service_level, options.weeks).await?;
    let elapsed = started.elapsed().as_secs_f64();
    if scores.is_empty() {
        bail!(
            "nothing to backtest in {}: it needs a built rollup with at least two weeks (run `rollup run` first)",
            target.describe()
        );
    }
    let title = options.title.clone().unwrap_or_else(|| target.database().to_owned());
    let section = section(&title, options.service_level, &scores, elapsed);
    print!("{section}");
    if let Some(path) = &options.output {
        write_section(path, &title, &section)?;
        tracing::info!(file = %path.display(), "backtest written");
    }
    Ok(())
}

/// The backtest's rows (queries/recommend/backtest.sql).
pub async fn scores(client: &tokio_postgres::Client, level: f64, weeks: Option<i32>) -> Result<Vec<Score>> {
    let rows = recommend::BACKTEST.query(client, &[&level, &weeks]).await?;
    rows.iter()
        .map(|row| {
            Ok(Score {
                method: column(row, "method")?,
                kind: column(row, "kind")?,
                horizon: column(row, "horizon")?,
                decision_weeks: column(row, "decision_weeks")?,
                first_decision: column(row, "first_decision")?,
                last_decision: column(row, "last_decision")?,
                decisions: column(row, "decisions")?,
                film_store_weeks: column(row, "film_store_weeks")?,
                peak_within_share: column(row, "peak_within_share")?,
                demand_within_share: column(row, "demand_within_share")?,
                idle_copy_weeks: column(row, "idle_copy_weeks")?,
                copy_weeks_held: column(row, "copy_weeks_held")?,
            })
        })
        .collect()
}

/// The Markdown section: a heading, what was walked, and a table per horizon.
pub fn section(title: &str, level: f64, scores: &[Score], elapsed_seconds: f64) -> String {
    let mut out = format!("## {title}\n\n");
    if let Some(first) = scores.first() {
        out.push_str(&format!(
            "Service level {level}; decisions at the end of {} weeks, {} .. {}; computed in {elapsed_seconds:.1} s.\n",
            first.decision_weeks, first.first_decision, first.last_decision
        ));
    }
    for (horizon, heading) in [(1, "Next week"), (4, "Next four weeks (each decision covers W+1 .. W+4)")] {
        let lines: Vec<&Score> = scores.iter().filter(|score| score.horizon == horizon).collect();
        if lines.is_empty() {
            continue;
        }
        out.push_str(&format!("\n### {heading}\n\n"));
        out.push_str(
            "| method | kind | decisions | peak within | demand within | idle copy-weeks | copy-weeks held |\n",
        );
        out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for score in lines {
            out.push_str(&format!(
                "| {} | {} | {} | {:.1}% | {:.1}% | {} | {} |\n",
                score.method,
                score.kind,
                score.decisions,
                score.peak_within_share * 100.0,
                score.demand_within_share * 100.0,
                score.idle_copy_weeks,
                score.copy_weeks_held
            ));
        }
    }
    out
}

/// Writes `section` into the Markdown file at `path`: in place of the section with the same `## `
/// title, or appended; a new file starts with a heading. Written whole, then renamed.
fn write_section(path: &Path, title: &str, section: &str) -> Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error).with_context(|| format!("could not read {}", path.display())),
    };
    let text = replace_section(existing.as_deref(), title, section);
    let mut partial = create_partial(path)?;
    partial.write_all(text.as_bytes()).with_context(|| format!("could not write {}", path.display()))?;
    persist(partial, path)
}

const FILE_HEADING: &str = "# Backtest of the copies recommendation\n\n\
Written by `rollup backtest` (one section per source); the method and how to read these tables are in \
[the recommendation's documentation](../docs/recommendation.md#evidence-the-backtest).\n";

fn replace_section(existing: Option<&str>, title: &str, section: &str) -> String {
    let Some(existing) = existing else {
        return format!("{FILE_HEADING}\n{section}");
    };
    let heading = format!("## {title}");
    let lines: Vec<&str> = existing.lines().collect();
    let Some(start) = lines.iter().position(|line| line.trim_end() == heading) else {
        let mut text = existing.trim_end().to_owned();
        text.push_str("\n\n");
        text.push_str(section);
        return text;
    };
    let end = lines[start + 1..]
        .iter()
        .position(|line| line.starts_with("## "))
        .map_or(lines.len(), |offset| start + 1 + offset);
    let mut text = lines[..start].join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(section);
    if end < lines.len() {
        text.push('\n');
        text.push_str(&lines[end..].join("\n"));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{FILE_HEADING, replace_section};

    #[test]
    fn a_section_replaces_the_one_of_its_title_and_keeps_the_others() {
        let first = replace_section(None, "Pagila", "## Pagila\n\nold\n");
        assert_eq!(first, format!("{FILE_HEADING}\n## Pagila\n\nold\n"));
        let both = replace_section(Some(&first), "1M", "## 1M\n\nbig\n");
        assert_eq!(both, format!("{FILE_HEADING}\n## Pagila\n\nold\n\n## 1M\n\nbig\n"));
        let again = replace_section(Some(&both), "Pagila", "## Pagila\n\nnew\n");
        assert_eq!(again, format!("{FILE_HEADING}\n## Pagila\n\nnew\n\n## 1M\n\nbig\n"));
        let last = replace_section(Some(&again), "1M", "## 1M\n\nbigger\n");
        assert_eq!(last, format!("{FILE_HEADING}\n## Pagila\n\nnew\n\n## 1M\n\nbigger\n"));
    }
}
