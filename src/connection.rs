//! Connection settings, defined once and flattened into every subcommand that needs them, and the
//! one way this program opens a connection.
//!
//! URLs carry passwords, so nothing here ever prints a URL: a connection is described as
//! `user@host:port/database`, every password seen is registered with [`crate::errors`] so that
//! an error message quoting it is scrubbed, and clap is told to hide the environment's values in
//! `--help`. A URL without a password takes it from the password file, as libpq does
//! (`PGPASSFILE`, else `~/.pgpass`), so it need not be in the environment at all.
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};
use tracing::{debug, warn};

use crate::errors;

/// PostgreSQL releases older than this are refused: the pipeline is tested on 15, and a planner
/// that pushes down less would silently turn an aggregate into a full table transfer.
pub const MINIMUM_SERVER_VERSION: i32 = 150000;

/// The rollup database: where migrations, the foreign tables and the rollup tables live.
#[derive(Debug, Clone, clap::Args)]
pub struct RollupDatabase {
    /// PostgreSQL URL of the rollup database, e.g. postgres://user:password@host:5432/rollup
    #[arg(long, env = "ROLLUP_URL", hide_env_values = true, value_name = "URL")]
    pub rollup_url: Option<String>,
}

/// The source database (Pagila), as this program reaches it.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceDatabase {
    /// PostgreSQL URL of the source (Pagila) database, e.g. postgres://user:password@host:5432/pagila
    #[arg(long, env = "SOURCE_URL", hide_env_values = true, value_name = "URL")]
    pub source_url: Option<String>,
}

/// The source database as the rollup server reaches it, for the commands that link the two.
#[derive(Debug, Clone, clap::Args)]
pub struct FdwSource {
    /// How the rollup *server* reaches the source, for postgres_fdw [default: the source URL].
    /// Differs when the two servers see each other under other names than this program sees them,
    /// e.g. postgres://user:password@source:5432/pagila under Docker Compose.
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

/// The password for `target` from libpq's password file (`PGPASSFILE`, else `~/.pgpass`): the first
/// line `host:port:database:user:password` matching it, `*` matching anything, `\:` and `\\`
/// escaped. Like libpq, a file that others may read is ignored, with a warning.
fn password_file_entry(target: &Target) -> Option<String> {
    let path = match std::env::var_os("PGPASSFILE") {
        Some(path) => std::path::PathBuf::from(path),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let metadata = std::fs::metadata(&path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o077 != 0 {
            warn!(file = %path.display(), "password file ignored: others may read it (chmod 0600 it)");
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let wanted = [target.host(), target.port().to_string(), target.database().to_owned(), target.user()];
    password_file_lookup(&text, &wanted)
}

/// The password of the first line of a password file matching `wanted` (host, port, database, user).
fn password_file_lookup(text: &str, wanted: &[String; 4]) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields: Vec<String> = vec![String::new()];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => fields.last_mut()?.extend(chars.next()),
                ':' if fields.len() < 5 => fields.push(String::new()),
                _ => fields.last_mut()?.push(c),
            }
        }
        // a line without its five fields is skipped, as libpq does
        let Ok([host, port, database, user, password]) = <[String; 5]>::try_from(fields) else {
            continue;
        };
        let matches = |field: &str, value: &str| field == "*" || field == value;
        if matches(&host, &wanted[0])
            && matches(&port, &wanted[1])
            && matches(&database, &wanted[2])
            && matches(&user, &wanted[3])
        {
            return Some(password);
        }
    }
    None
}

/// A parsed connection URL and where it came from, for messages that say which setting to fix.
#[derive(Clone)]
pub struct Target {
    pub role: &'static str,
    pub variable: &'static str,
    pub config: Config,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Target {
    fn parse(role: &'static str, variable: &'static str, flag: &str, url: Option<&str>) -> Result<Target> {
        let Some(url) = url.filter(|url| !url.trim().is_empty()) else {
            bail!("no {role} database given: set {variable} or pass {flag}");
        };
        let config = Config::from_str(url)
            .with_context(|| format!("{variable} is not a valid PostgreSQL URL or connection string"))?;
        if let Some(password) = config.get_password() {
            errors::register_secret(&String::from_utf8_lossy(password));
        }
        if config.get_hosts().is_empty() {
            bail!("{variable} names no host; give one, e.g. postgres://user@127.0.0.1:5432/{role}");
        }
        if config.get_dbname().is_none() {
            bail!("{variable} names no database; end the URL with /DATABASE");
        }
        let mut target = Target { role, variable, config };
        if target.config.get_password().is_none()
            && let Some(password) = password_file_entry(&target)
        {
            errors::register_secret(&password);
            target.config.password(password);
        }
        let mut config = target.config;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("pagila-rollup");
        }
        Ok(Target { role, variable, config })
    }

    /// `user@host:port/database`, never the password.
    pub fn describe(&self) -> String {
        format!("{}@{}:{}/{}", self.user(), self.host(), self.port(), self.config.get_dbname().unwrap_or("?"))
    }

    pub fn host(&self) -> String {
        match self.config.get_hosts().first() {
            Some(Host::Tcp(host)) => host.clone(),
            #[cfg(unix)]
            Some(Host::Unix(path)) => path.display().to_string(),
            None => String::from("?"),
        }
    }

    pub fn port(&self) -> u16 {
        self.config.get_ports().first().copied().unwrap_or(5432)
    }

    pub fn user(&self) -> String {
        self.config
            .get_user()
            .map(str::to_owned)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| String::from("postgres"))
    }

    pub fn database(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    /// The same server and credentials, another database on it.
    pub fn with_database(&self, role: &'static str, database: &str) -> Target {
        let mut config = self.config.clone();
        config.dbname(database);
        Target { role, variable: self.variable, config }
    }

    pub fn password(&self) -> Option<String> {
        self.config.get_password().map(|password| String::from_utf8_lossy(password).into_owned())
    }

    /// Opens a connection and checks the server's release. The connection's driver task runs on
    /// the current runtime until the client is dropped.
    pub async fn connect(&self) -> Result<Client> {
        let (client, connection) = self.config.connect(NoTls).await.with_context(|| {
            format!(
                "could not connect to the {} database {} (check {}: host, port, user, password, database)",
                self.role,
                self.describe(),
                self.variable
            )
        })?;
        let role = self.role;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                warn!(database = role, "connection closed: {}", errors::render(&error.into()));
            }
        });
        let version: i32 = client
            .query_one("SELECT current_setting('server_version_num')::integer", &[])
            .await
            .with_context(|| format!("could not ask the {} database for its version", self.role))?
            .get(0);
        if version < MINIMUM_SERVER_VERSION {
            bail!(
                "the {} database {} runs PostgreSQL {}; pagila-rollup needs {} or later",
                self.role,
                self.describe(),
                version / 10000,
                MINIMUM_SERVER_VERSION / 10000
            );
        }
        debug!(database = self.role, target = %self.describe(), version, "connected");
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target> {
        Target::parse("rollup", "ROLLUP_URL", "--rollup-url", Some(url))
    }

    #[test]
    fn describes_a_url_without_its_password() {
        let target = target("postgres://alice:s3cret@db.example:6543/rollup").unwrap();
        assert_eq!(target.describe(), "alice@db.example:6543/rollup");
        assert_eq!(target.password().as_deref(), Some("s3cret"));
        assert!(!format!("{target:?}").contains("s3cret"));
    }

    #[test]
    fn a_missing_url_names_the_variable_and_the_flag() {
        let error = Target::parse("rollup", "ROLLUP_URL", "--rollup-url", None).unwrap_err();
        assert_eq!(error.to_string(), "no rollup database given: set ROLLUP_URL or pass --rollup-url");
    }

    #[test]
    fn a_malformed_url_is_refused_without_echoing_it() {
        let error = target("postgres://bob:hunter2@host:notaport/db").unwrap_err();
        let message = errors::render(&error);
        assert!(message.starts_with("ROLLUP_URL is not a valid PostgreSQL URL"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn a_password_file_line_matching_the_connection_gives_its_password() {
        let file = "# comment\n\
                    db.example:5432:other:alice:wrong\n\
                    db.example:*:rollup:alice:pa\\:ss\\\\word\n\
                    *:*:*:*:fallback\n";
        let wanted = |database: &str, user: &str| {
            ["db.example".to_owned(), "5432".to_owned(), database.to_owned(), user.to_owned()]
        };
        assert_eq!(password_file_lookup(file, &wanted("rollup", "alice")).as_deref(), Some("pa:ss\\word"));
        assert_eq!(password_file_lookup(file, &wanted("rollup", "bob")).as_deref(), Some("fallback"));
        assert_eq!(password_file_lookup("db.example:5432:rollup:alice\n", &wanted("rollup", "alice")), None);
    }

    #[test]
    fn a_url_without_database_is_refused() {
        let error = target("postgres://bob@host:5432").unwrap_err();
        assert!(error.to_string().contains("names no database"), "{error}");
    }
}
