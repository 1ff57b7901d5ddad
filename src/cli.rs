//! The command line: one subcommand per file in `commands/`, each with its own options.
use clap::{Parser, Subcommand};

use crate::commands::{
    backtest, capture, chart, export, generate, migrate, recommend, report, run, status, verify,
};
use crate::logging::LogFormat;

/// Keeps a weekly roll-up of Pagila's rentals in its own PostgreSQL database.
///
/// The rollup database reads the source through postgres_fdw; `rollup run` migrates the rollup
/// database, links it to the source and refreshes rollup.weekly_rentals, rollup.film_weekly and
/// rollup.data_issue, recomputing only what the source's changes reach.
///
/// Settings come from flags or the environment. Every variable `rollup` reads:
///   SOURCE_URL, ROLLUP_URL     the source and rollup databases (libpq URLs; TLS options too)
///   FDW_SOURCE_URL             the source as the rollup server reaches it, if not SOURCE_URL
///   PGPASSFILE, HOME, USER     as libpq reads them: the password file, the default user
///   ROLLUP_TIMEZONE, ROLLUP_LOOKBACK, ROLLUP_WORK_MEM, ROLLUP_RECONCILE_EVERY, ROLLUP_JOBS,
///   ROLLUP_LOCK_TIMEOUT, ROLLUP_NO_WAIT, ROLLUP_RETRIES, ROLLUP_RETRY_DELAY, ROLLUP_SERVICE_LEVEL
///                              the `rollup run` flags of the same names (rollup run --help)
///   ROLLUP_LOG_FORMAT          --log-format
///   RUST_LOG                   which log lines are written (default info)
///   ROLLUP_PROGRESS_EVERY      seconds between progress records of a long step (default 10)
///   ROLLUP_FAILPOINT, ROLLUP_FAILPOINT_RESUME, ROLLUP_EXPLAIN_STEPS
///                              test hooks (src/queries/hooks.rs), read only by builds with the
///                              test-hooks feature (scripts/test.sh); leave unset
///
/// Exit codes:
///   0  success
///   1  failure: the `error:` line says what failed and what to fix (rollup verify: a difference;
///      rollup status --max-lag: the rollup is further behind the source than that, or how far
///      cannot be told)
///   2  bad command-line usage
///   3  rollup run: another run holds the run lock and --no-wait / --lock-timeout said not to
///      wait (longer); nothing was done
///   4  rollup run: a connection to a server was lost and every retry failed too; the rollup is
///      as before the run, run again once the servers answer
#[derive(Debug, Parser)]
#[command(name = "rollup", version, max_term_width = 100, verbatim_doc_comment)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// How log lines on standard error look: text for a person, json for one JSON object per line
    /// (a failure is then logged as a JSON record at level ERROR instead of an `error:` line).
    #[arg(
        long,
        global = true,
        env = "ROLLUP_LOG_FORMAT",
        hide_env_values = true,
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Migrate(migrate::Options),
    Run(run::Options),
    Status(status::Options),
    Report(report::Options),
    Verify(verify::Options),
    Export(export::Options),
    Chart(chart::Options),
    Recommend(recommend::Options),
    Backtest(backtest::Options),
    Generate(generate::Options),
    Capture(capture::Options),
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Migrate(options) => migrate::run(options).await,
            Command::Run(options) => run::run(options).await,
            Command::Status(options) => status::run(options).await,
            Command::Report(options) => report::run(options).await,
            Command::Verify(options) => verify::run(options).await,
            Command::Export(options) => export::run(options).await,
            Command::Chart(options) => chart::run(options).await,
            Command::Recommend(options) => recommend::run(options).await,
            Command::Backtest(options) => backtest::run(options).await,
            Command::Generate(options) => generate::run(options).await,
            Command::Capture(options) => capture::run(options).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every environment variable the code reads (`env = "..."` on a flag, `var("...")` or
    /// `var_os("...")`) is named in `rollup --help`, so the list cannot fall behind the code.
    #[test]
    fn help_names_every_environment_variable_the_code_reads() {
        let help = Cli::command().render_long_help().to_string();
        let mut files = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        let mut read = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for marker in ["env = \"", "var(\"", "var_os(\""] {
                for (at, _) in text.match_indices(marker) {
                    let name: String = text[at + marker.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    if name.len() > 1 && !text[at + marker.len() + name.len()..].starts_with('_') {
                        read.push((name, path.display().to_string()));
                    }
                }
            }
        }
        assert!(read.iter().any(|(name, _)| name == "ROLLUP_URL"), "the scan found nothing: {read:?}");
        for (name, file) in read {
            assert!(help.contains(&name), "{file} reads {name}, which rollup --help does not name");
        }
    }
}
