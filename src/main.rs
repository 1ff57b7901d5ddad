//! The `rollup` binary: parse the command line, run the subcommand, turn an error into one
//! `error: ...` message with its whole cause chain and exit code 1. Everything else lives in the
//! library so the tests can reach it.
use std::process::ExitCode;

use clap::Parser;
use pagila_rollup::cli::Cli;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    pagila_rollup::logging::init();
    match cli.command.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", pagila_rollup::errors::render(&error));
            ExitCode::FAILURE
        }
    }
}
