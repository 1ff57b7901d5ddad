//! `rollup export`: a table or view of the rollup as CSV, streamed by the server with COPY.
//!
//! Rows are never held in this process: COPY ... TO STDOUT sends the CSV in chunks that go
//! straight to the output. A file is written under a temporary name of its own, unique to this
//! export, in the target's folder and renamed over the target when complete: a failed export
//! leaves neither a half-written file behind the name asked for nor its temporary file, and two
//! exports to one name at once never write into each other's file (the last rename wins, whole).
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;

use crate::connection::RollupDatabase;
use crate::queries::{column, inspect};

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

    /// film_weekly or film_weekly_features as a past run published it: a run id (rollup.etl_run),
    /// or a timestamp such as '2026-12-01 18:00+00' for the last run that had finished then.
    #[arg(long, value_name = "RUN_ID|TIMESTAMP")]
    pub as_of: Option<String>,
}

/// The panels that have a history, and the function giving each as a run published it.
const AS_OF_FUNCTIONS: &[(&str, &str)] =
    &[("film_weekly", "rollup.film_weekly_at"), ("film_weekly_features", "rollup.film_weekly_features_at")];

/// The run whose panel `--as-of VALUE` asks for, or one clear error saying why there is none.
async fn as_of_run(client: &tokio_postgres::Client, value: &str) -> Result<i64> {
    let trimmed = value.trim();
    let is_run_id = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit());
    let (run_id, known_at): (Option<i64>, Option<String>) = if is_run_id {
        let run: i64 = trimmed.parse().with_context(|| format!("--as-of {value:?}: run id out of range"))?;
        (Some(run), None)
    } else {
        (None, Some(trimmed.to_owned()))
    };
    let row = match client.query_one(inspect::AS_OF_RUN.sql, &[&run_id, &known_at]).await {
        Ok(row) => row,
        // the server reads the timestamp: any form PostgreSQL accepts, in the session's zone if none
        Err(error) if error.code().is_some_and(|code| code.code().starts_with("22")) => {
            bail!(
                "--as-of {value:?} is neither a run id (rollup.etl_run.run_id) nor a timestamp such as '2026-12-01 18:00+00'"
            )
        }
        Err(error) => return Err(error).with_context(|| inspect::AS_OF_RUN.failed()),
    };
    let resolved: Option<i64> = column(&row, "run_id")?;
    let status: Option<String> = column(&row, "status")?;
    let first: Option<i64> = column(&row, "first_recorded_run")?;
    let first_finished: Option<String> = column(&row, "first_recorded_finished_at")?;
    let Some(first) = first else {
        bail!("--as-of {value:?}: no run has recorded a published panel yet (run `rollup run` first)");
    };
    let first_finished = first_finished.unwrap_or_default();
    match (resolved, status.as_deref()) {
        (None, _) => bail!(
            "--as-of {value:?}: nothing was published by then; the recorded history begins with run {first}, which finished at {first_finished}"
        ),
        (Some(run), None) => bail!("--as-of {value:?}: there is no run {run} in rollup.etl_run"),
        (Some(run), Some(status)) if status != "succeeded" => {
            bail!("--as-of {value:?}: run {run} {status}, so it published nothing; pick a run that succeeded")
        }
        (Some(run), _) if run < first => bail!(
            "--as-of {value:?}: run {run} predates the recorded history, which begins with run {first} (finished at {first_finished})"
        ),
        (Some(run), _) => Ok(run),
    }
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
    let source = match &options.as_of {
        None => quoted.clone(),
        Some(value) => {
            let Some((_, function)) = AS_OF_FUNCTIONS.iter().find(|(name, _)| *name == options.name) else {
                bail!(
                    "--as-of applies to {} only, not to rollup.{}",
                    AS_OF_FUNCTIONS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(" and "),
                    options.name
                );
            };
            // an integer formatted by this process: COPY takes no parameters
            format!("{function}({})", as_of_run(&client, value).await?)
        }
    };
    let copy = format!("COPY (SELECT * FROM {source}) TO STDOUT WITH (FORMAT csv, HEADER)");
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
            let mut partial = create_partial(path)?;
            let written: Result<()> = async {
                let mut file = std::io::BufWriter::new(partial.as_file_mut());
                while let Some(chunk) = stream.next().await {
                    file.write_all(&chunk.with_context(|| format!("export of {quoted} broke off"))?)?;
                }
                file.flush()?;
                Ok(())
            }
            .await;
            // on an error, dropping `partial` deletes it
            written.with_context(|| format!("could not write {}", path.display()))?;
            persist(partial, path)?;
            tracing::info!(relation = %quoted, file = %path.display(), "exported");
        }
    }
    Ok(())
}

/// A new, empty file beside `path`, named `.NAME.XXXXXX.partial` (random, created exclusively,
/// so no other export or chart shares it), deleted when dropped unless [`persist`]ed. Its
/// permissions are a new file's (0666 less the umask), what `path` would get if written directly.
pub(crate) fn create_partial(path: &Path) -> Result<NamedTempFile> {
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".partial")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(folder)
        .with_context(|| format!("could not write {}", path.display()))
}

/// Flushes `partial` to disk and renames it to `path`, replacing what was there in one step.
pub(crate) fn persist(partial: NamedTempFile, path: &Path) -> Result<()> {
    partial.as_file().sync_all().with_context(|| format!("could not write {}", path.display()))?;
    partial
        .persist(path)
        .map_err(|error| error.error)
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}
