//! `rollup report`: print the weekly report the assignment asks for.
use anyhow::Result;
use chrono::NaiveDate;

use crate::connection::RollupDatabase;
use crate::queries::{column, inspect};
use crate::table;

/// Print the weekly report as a table.
///
/// Print rollup.weekly_report (WeekBeginning, OutstandingRentals, ReturnedRentals), one line per
/// week, as psql would.
///
/// Example: rollup report
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,
}

pub async fn run(options: Options) -> Result<()> {
    let client = options.rollup.target()?.connect().await?;
    let rows = inspect::WEEKLY_REPORT.query(&client, &[]).await?;
    let cells = rows
        .iter()
        .map(|row| {
            Ok(vec![
                column::<NaiveDate>(row, "WeekBeginning")?.to_string(),
                column::<i64>(row, "OutstandingRentals")?.to_string(),
                column::<i64>(row, "ReturnedRentals")?.to_string(),
            ])
        })
        .collect::<Result<Vec<_>>>()?;
    print!("{}", table::render(&["WeekBeginning", "OutstandingRentals", "ReturnedRentals"], &cells));
    Ok(())
}
