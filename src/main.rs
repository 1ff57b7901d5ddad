//! The `rollup` binary: parse the command line, run the subcommand, turn an error into one
//! `error: ...` message with its whole cause chain (a JSON log record with `--log-format json`)
//! and the exit code the library chose for it (`errors::exit_code`). Everything else lives in the
//! library so the tests can reach it.
use std::process::ExitCode;

use clap::Parser;
use pagila_rollup::cli::Cli;
use pagila_rollup::logging::LogFormat;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    let log_format = cli.log_format;
    pagila_rollup::logging::init(log_format);
    match cli.command.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = pagila_rollup::errors::render(&error);
            // A log collector reading JSON lines gets the failure as one more JSON record.
            match log_format {
                LogFormat::Text => eprintln!("error: {message}"),
                LogFormat::Json => tracing::error!("{message}"),
            }
            ExitCode::from(pagila_rollup::errors::exit_code(&error))
        }
    }
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`rollup status | head`) is an error, and
/// `println!` panics on it. Like any Unix tool, end quietly instead: restore the default action.
fn restore_default_sigpipe() {
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
