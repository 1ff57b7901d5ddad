//! `rollup export`: a table or view of the rollup as CSV, streamed by the server with COPY.
//!
//! Rows are never held in this process: COPY ... TO STDOUT sends the CSV in chunks that go
//! straight to the output. A file is written under a temporary name and renamed when complete,
//! so an interrupted export never leaves a half-written file behind the name asked for.
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;

use crate::connection::RollupDatabase;
use crate::pipeline::inspect;

/// Export a rollup table or view as CSV.
///
/// Write a table or view of schema rollup as CSV with a header line, to standard output or a
/// file. For a data scientist's panel: rollup export film_weekly_features -o features.csv
///
/// Example: rollup export weekly_report
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    /// Table or view of schema rollup, e.g. film_weekly_features, film_weekly, weekly_rentals.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub async fn run(options: Options) -> Result<()> {
    let target = options.rollup.target()?;
    let client = target.connect().await?;
    let Some(relation) = inspect::EXPORT_RELATION.query_opt(&client, &[&options.name]).await? else {
        bail!(
            "no table or view rollup.{} in {}; the exportable ones are listed by `\\dt rollup.*` and `\\dv rollup.*` in psql",
            options.name,
            target.describe()
        );
    };
    let quoted: String = relation.get(0);
    let copy = format!("COPY (SELECT * FROM {quoted}) TO STDOUT WITH (FORMAT csv, HEADER)");
    let stream =
        client.copy_out(copy.as_str()).await.with_context(|| format!("could not export {quoted}"))?;
    let mut stream = std::pin::pin!(stream);

    match &options.output {
        None => {
            let mut stdout = std::io::stdout().lock();
            while let Some(chunk) = stream.next().await {
                stdout.write_all(&chunk.with_context(|| format!("export of {quoted} broke off"))?)?;
            }
            stdout.flush()?;
        }
        Some(path) => {
            let partial = partial_path(path);
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&partial)
                    .with_context(|| format!("could not create {}", partial.display()))?,
            );
            let written: Result<()> = async {
                while let Some(chunk) = stream.next().await {
                    file.write_all(&chunk.with_context(|| format!("export of {quoted} broke off"))?)?;
                }
                file.flush()?;
                Ok(())
            }
            .await;
            if let Err(error) = written {
                let _ = std::fs::remove_file(&partial);
                return Err(error);
            }
            std::fs::rename(&partial, path).with_context(|| format!("could not write {}", path.display()))?;
            tracing::info!(relation = %quoted, file = %path.display(), "exported");
        }
    }
    Ok(())
}

/// `FILE.partial` beside `FILE`: where a file is written before it is renamed into place.
pub(crate) fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}
