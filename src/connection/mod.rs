//! Connection settings, defined once and flattened into every subcommand that needs them, and the
//! one way this program opens a connection.
//!
//! URLs carry passwords, so nothing here ever prints a URL: a connection is described as
//! `user@host:port/database`, every password seen is registered with [`crate::errors`] so that
//! an error message quoting it is scrubbed, and clap is told to hide the environment's values in
//! `--help`. A URL without a password takes it from the password file, as libpq does
//! (`passfile`, else `PGPASSFILE`, else `~/.pgpass`), so it need not be in the environment at all.
//!
//! URLs are read as libpq reads them ([`crate::conninfo`]), TLS included ([`crate::tls`]): every
//! libpq parameter is honoured, or refused with a line that names it; none is dropped.
//!
//! This file holds the settings as the subcommands take them. [`target`] reads a URL into a
//! [`Target`], which describes itself without the password and gives postgres_fdw every parameter;
//! [`passfile`] looks a password up in libpq's password file; [`connect`] opens a connection, with
//! libpq's TLS attempts and fallbacks, and says what a failure means and which setting to check.
mod connect;
mod passfile;
mod target;

use anyhow::Result;

pub use connect::MINIMUM_SERVER_VERSION;
pub use target::{FdwLink, Target};

/// The rollup database: where migrations, the foreign tables and the rollup tables live.
#[derive(Debug, Clone, clap::Args)]
pub struct RollupDatabase {
    /// PostgreSQL URL of the rollup database, e.g. postgres://user:password@host:5432/rollup
    /// (libpq's parameters after `?`, TLS too: sslmode=verify-full&sslrootcert=/path/ca.pem)
    #[arg(long, env = "ROLLUP_URL", hide_env_values = true, value_name = "URL")]
    pub rollup_url: Option<String>,
}

/// The source database (Pagila), as this program reaches it.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceDatabase {
    /// PostgreSQL URL of the source (Pagila) database, e.g. postgres://user:password@host:5432/pagila
    /// (libpq's parameters after `?`, TLS too: sslmode=require, sslrootcert, sslcert, sslkey)
    #[arg(long, env = "SOURCE_URL", hide_env_values = true, value_name = "URL")]
    pub source_url: Option<String>,
}

/// The source database as the rollup server reaches it, for the commands that link the two.
#[derive(Debug, Clone, clap::Args)]
pub struct FdwSource {
    /// How the rollup *server* reaches the source, for postgres_fdw [default: the source URL].
    /// Differs when the two servers see each other under other names than this program sees them,
    /// e.g. postgres://user:password@source:5432/pagila under Docker Compose. Its libpq parameters
    /// (sslmode, sslrootcert, ...) go to the foreign server and user mapping: file paths in them are
    /// read by the rollup server, not by this program.
    #[arg(long, env = "FDW_SOURCE_URL", hide_env_values = true, value_name = "URL")]
    pub fdw_source_url: Option<String>,
}

impl RollupDatabase {
    pub fn target(&self) -> Result<Target> {
        Target::parse("rollup", "ROLLUP_URL", "--rollup-url", self.rollup_url.as_deref())
    }
}

impl SourceDatabase {
    pub fn target(&self) -> Result<Target> {
        Target::parse("source", "SOURCE_URL", "--source-url", self.source_url.as_deref())
    }
}

impl FdwSource {
    /// The source as postgres_fdw on the rollup server will connect to it.
    pub fn target(&self, source: &SourceDatabase) -> Result<Target> {
        match self.fdw_source_url.as_deref() {
            Some(url) => {
                Target::parse("source (for postgres_fdw)", "FDW_SOURCE_URL", "--fdw-source-url", Some(url))
            }
            None => source.target(),
        }
    }
}
