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
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config, NoTls, Socket};
use tracing::{debug, warn};

use crate::conninfo::{self, Handling};
use crate::errors;
use crate::tls::{Attempt, SslMode, TlsSettings};

/// PostgreSQL releases older than this are refused: the pipeline is tested on 15, and a planner
/// that pushes down less would silently turn an aggregate into a full table transfer.
pub const MINIMUM_SERVER_VERSION: i32 = 150000;

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

/// The password for `target` from libpq's password file (`passfile`, else `PGPASSFILE`, else
/// `~/.pgpass`): the first line `host:port:database:user:password` matching it, `*` matching
/// anything, `\:` and `\\` escaped. Like libpq, a file that others may read is ignored, with a warning.
fn password_file_entry(target: &Target, passfile: Option<&str>) -> Option<String> {
    let path = match passfile.map(std::ffi::OsString::from).or_else(|| std::env::var_os("PGPASSFILE")) {
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
    /// What tokio-postgres connects with (its `ssl_mode` is set per attempt from [`Target::tls`]).
    pub config: Config,
    /// The URL's TLS parameters, as libpq reads them.
    pub tls: TlsSettings,
    /// Every libpq parameter the URL gave (after `?`, or every word of a keyword string), decoded,
    /// the last of each key only: what postgres_fdw gets.
    parameters: Vec<(String, String)>,
    /// Parameters this program cannot honour on its own connections (only postgres_fdw can), with
    /// why: refused when this program connects.
    unsupported: Vec<String>,
}

/// The source as postgres_fdw is to reach it: the arguments of `rollup.link_source()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdwLink {
    /// The host, or the hosts libpq tries in turn, comma-separated.
    pub host: String,
    /// The port, or one per host, comma-separated.
    pub port: String,
    pub database: String,
    pub user: String,
    pub password: Option<String>,
    /// Every other libpq parameter of the URL as `name=value`, for the foreign server or the user
    /// mapping (the rollup server decides which, and refuses what postgres_fdw does not take).
    pub options: Vec<String>,
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
        let invalid = || format!("{variable} is not a valid PostgreSQL URL or connection string");
        let conninfo = conninfo::split(url).with_context(invalid)?;
        for secret in ["password", "sslpassword"] {
            if let Some(value) = conninfo.get(secret) {
                errors::register_secret(value);
            }
        }
        let mut config = Config::from_str(&conninfo.driver).with_context(invalid)?;
        if let Some(password) = config.get_password() {
            errors::register_secret(&String::from_utf8_lossy(password));
        }
        let tls = TlsSettings::from_conninfo(&conninfo).with_context(invalid)?;
        if config.get_hosts().is_empty() {
            bail!("{variable} names no host; give one, e.g. postgres://user@127.0.0.1:5432/{role}");
        }
        if config.get_dbname().is_none() {
            bail!("{variable} names no database; end the URL with /DATABASE");
        }
        let mut parameters: Vec<(String, String)> = Vec::new();
        for (key, value) in conninfo.parameters {
            parameters.retain(|(known, _)| *known != key);
            parameters.push((key, value));
        }
        let unsupported = unsupported_here(&parameters, &tls);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            let fallback = conninfo_value(&parameters, "fallback_application_name");
            config.application_name(fallback.unwrap_or("pagila-rollup"));
        }
        let mut target = Target { role, variable, config, tls, parameters, unsupported };
        if target.config.get_password().is_none()
            && let Some(password) =
                password_file_entry(&target, conninfo_value(&target.parameters, "passfile"))
        {
            errors::register_secret(&password);
            target.config.password(password);
        }
        Ok(target)
    }

    /// `user@host:port/database`, never the password.
    pub fn describe(&self) -> String {
        format!("{}@{}:{}/{}", self.user(), self.host(), self.port(), self.config.get_dbname().unwrap_or("?"))
    }

    pub fn host(&self) -> String {
        self.config.get_hosts().first().map(host_text).unwrap_or_else(|| String::from("?"))
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
        let mut target = self.clone();
        target.role = role;
        target.config.dbname(database);
        target
    }

    pub fn password(&self) -> Option<String> {
        self.config.get_password().map(|password| String::from_utf8_lossy(password).into_owned())
    }

    /// What `rollup.link_source()` needs to point postgres_fdw at this database: every libpq
    /// parameter of the URL, none left out. The password file (`passfile`) is read here, by this
    /// program, and its password passed like one in the URL.
    pub fn fdw_link(&self) -> FdwLink {
        let ports = self.config.get_ports();
        FdwLink {
            host: self.config.get_hosts().iter().map(host_text).collect::<Vec<_>>().join(","),
            port: if ports.is_empty() {
                String::from("5432")
            } else {
                ports.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
            },
            database: self.database().to_owned(),
            user: self.user(),
            password: self.password(),
            options: self
                .parameters
                .iter()
                .filter(|(key, _)| {
                    !matches!(key.as_str(), "host" | "port" | "dbname" | "user" | "password" | "passfile")
                })
                .map(|(key, value)| format!("{key}={value}"))
                .collect(),
        }
    }

    /// Opens a connection, with TLS as the URL's `sslmode` says (libpq's `prefer` when it says
    /// nothing), and checks the server's release. The connection's driver task runs on the current
    /// runtime until the client is dropped.
    pub async fn connect(&self) -> Result<Client> {
        if let Some(problem) = self.unsupported.first() {
            bail!("{} has a parameter this program cannot honour when it connects: {problem}", self.variable);
        }
        #[cfg(unix)]
        let unix_socket = self.config.get_hosts().iter().all(|host| matches!(host, Host::Unix(_)));
        #[cfg(not(unix))]
        let unix_socket = false;
        let attempts = self.tls.attempts(unix_socket);
        let connector = match attempts.iter().any(|attempt| matches!(attempt, Attempt::Tls(_))) {
            true => Some(self.tls.connector().with_context(|| {
                format!(
                    "could not set up TLS for the {} database {} (check {}'s TLS parameters)",
                    self.role,
                    self.describe(),
                    self.variable
                )
            })?),
            false => None,
        };
        let mut failures: Vec<(Attempt, anyhow::Error, bool)> = Vec::new();
        let mut connected = None;
        for (index, attempt) in attempts.iter().copied().enumerate() {
            let mut config = self.config.clone();
            let (outcome, handshake_started) = match (attempt, &connector) {
                (Attempt::Tls(mode), Some(connector)) => {
                    config.ssl_mode(mode);
                    let connector = connector.for_attempt();
                    let outcome = open(&config, connector.clone(), self.role).await;
                    let outcome = outcome.map_err(|error| match connector.explain(&error, &self.host()) {
                        Some(explained) => (error.context(explained), true),
                        None => self.explain_refusal(error, attempt),
                    });
                    (outcome, connector.handshake_started())
                }
                _ => {
                    config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                    let outcome = open(&config, NoTls, self.role).await;
                    (outcome.map_err(|error| self.explain_refusal(error, attempt)), false)
                }
            };
            match outcome {
                Ok(client) => {
                    connected = Some((client, handshake_started));
                    break;
                }
                Err((error, tls_failure)) => {
                    // libpq's fallbacks: `prefer` tries plain text when its TLS connection failed
                    // (not when the server was not there); `allow` tries TLS when the server
                    // refused plain text.
                    let retry = index + 1 < attempts.len()
                        && match attempt {
                            Attempt::Tls(_) => handshake_started,
                            Attempt::Plain => errors::sqlstate(&error).is_some(),
                        };
                    failures.push((attempt, error, tls_failure));
                    if !retry {
                        break;
                    }
                    debug!(
                        database = self.role,
                        "connecting {} failed; trying {}",
                        how(attempt),
                        how(attempts[index + 1])
                    );
                }
            }
        }
        let Some((client, tls)) = connected else {
            let (attempt, mut error, mut tls_failure) =
                failures.pop().ok_or_else(|| anyhow!("no connection attempt"))?;
            if let Some((first, first_error, first_tls)) = failures.pop() {
                // both of libpq's tries failed: say what each met, as libpq does
                error = error.context(format!(
                    "{}: {}; then {}",
                    how(first),
                    errors::render(&first_error),
                    how(attempt)
                ));
                tls_failure |= first_tls;
            }
            return Err(error.context(self.connect_failure(tls_failure)));
        };
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
        debug!(database = self.role, target = %self.describe(), version, tls, sslmode = self.tls.mode.as_str(), "connected");
        Ok(client)
    }

    /// The first line of a failed connection: which database, and which setting to check.
    fn connect_failure(&self, tls_problem: bool) -> String {
        let check = match tls_problem {
            true => "sslmode, sslrootcert, sslcert, sslkey, host",
            false => "host, port, user, password, database",
        };
        format!(
            "could not connect to the {} database {} (check {}: {check})",
            self.role,
            self.describe(),
            self.variable
        )
    }

    /// Says what a refusal means when the server's words alone would leave it open: a plain-text
    /// connection refused by a pg_hba.conf that allows this client only with TLS ("no pg_hba.conf
    /// entry ... no encryption"), or a server without TLS under a sslmode that requires it. Also
    /// whether it is a TLS matter, for the line that names the settings to check.
    fn explain_refusal(&self, error: anyhow::Error, attempt: Attempt) -> (anyhow::Error, bool) {
        let said = |words: &[&str]| {
            error.chain().any(|cause| {
                let text = cause.to_string();
                words.iter().all(|word| text.contains(word))
            })
        };
        if attempt == Attempt::Plain
            && errors::sqlstate(&error) == Some("28000")
            && (said(&["no pg_hba.conf entry", "no encryption"])
                || said(&["no pg_hba.conf entry", "SSL off"]))
        {
            let why = "the server refused a connection without TLS (its pg_hba.conf allows this client only over TLS, hostssl)";
            let why = match self.tls.mode {
                SslMode::Disable => {
                    format!("{why}; sslmode=disable forbids TLS: use sslmode=require or stronger")
                }
                _ => why.to_owned(),
            };
            return (error.context(why), true);
        }
        if matches!(attempt, Attempt::Tls(_)) && said(&["server does not support TLS"]) {
            let why = format!(
                "the server does not offer TLS (its ssl setting is off), which sslmode={} requires",
                self.tls.mode.as_str()
            );
            return (error.context(why), true);
        }
        let tls_failure = matches!(attempt, Attempt::Tls(_)) && said(&["TLS"]);
        (error, tls_failure)
    }
}

fn how(attempt: Attempt) -> &'static str {
    match attempt {
        Attempt::Plain => "without TLS",
        Attempt::Tls(_) => "over TLS",
    }
}

fn host_text(host: &Host) -> String {
    match host {
        Host::Tcp(host) => host.clone(),
        #[cfg(unix)]
        Host::Unix(path) => path.display().to_string(),
    }
}

fn conninfo_value<'a>(parameters: &'a [(String, String)], key: &str) -> Option<&'a str> {
    parameters.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
}

/// The parameters of a URL that this program cannot honour on its own connections, each with why.
fn unsupported_here(parameters: &[(String, String)], tls: &TlsSettings) -> Vec<String> {
    let mut unsupported = Vec::new();
    for (key, value) in parameters {
        match (conninfo::handling(key), key.as_str()) {
            (Some(Handling::FdwOnly(why)), _) => unsupported.push(format!("{key} ({why})")),
            (_, "client_encoding")
                if !matches!(value.to_ascii_uppercase().as_str(), "UTF8" | "UTF-8" | "UNICODE" | "AUTO") =>
            {
                unsupported.push(String::from("client_encoding (this program always talks UTF8)"))
            }
            (_, "gssencmode") if value == "require" => unsupported.push(String::from(
                "gssencmode=require (GSSAPI encryption is not supported by this program)",
            )),
            (_, "gssencmode") if !matches!(value.as_str(), "disable" | "prefer") => {
                unsupported.push(format!("gssencmode \"{value}\" (none of disable, prefer, require)"))
            }
            _ => {}
        }
    }
    unsupported.extend(tls.unsupported().map(str::to_owned));
    unsupported
}

/// One connection attempt: connects and starts the connection's driver task.
async fn open<T>(config: &Config, tls: T, role: &'static str) -> Result<Client>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            warn!(database = role, "connection closed: {}", errors::render(&error.into()));
        }
    });
    Ok(client)
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
    fn every_other_parameter_goes_to_the_fdw_link_and_none_is_dropped() {
        let link = target(
            "postgres://alice:s3cret@a.example:5432,b.example:5433/pagila?sslmode=require&application_name=x\
             &sslrootcert=%2Fsrv%2Fca.pem&sslmode=verify-full&passfile=%2Fnowhere&keepalives_count=4",
        )
        .unwrap();
        assert_eq!(
            link.fdw_link(),
            FdwLink {
                host: "a.example,b.example".into(),
                port: "5432,5433".into(),
                database: "pagila".into(),
                user: "alice".into(),
                password: Some("s3cret".into()),
                options: vec![
                    "application_name=x".into(),
                    "sslrootcert=/srv/ca.pem".into(),
                    "sslmode=verify-full".into(),
                    "keepalives_count=4".into()
                ],
            }
        );
        assert_eq!(link.tls.mode, SslMode::VerifyFull);
        let words = target("host=h port=6543 dbname=d user=u password='p w' sslmode=disable").unwrap();
        assert_eq!(words.describe(), "u@h:6543/d");
        assert_eq!(words.password().as_deref(), Some("p w"));
        assert_eq!(words.fdw_link().options, ["sslmode=disable"]);
    }

    #[tokio::test]
    async fn a_parameter_only_postgres_fdw_can_honour_is_refused_when_connecting() {
        let target = target("postgres://u@127.0.0.1:1/d?require_auth=scram-sha-256").unwrap();
        assert_eq!(target.fdw_link().options, ["require_auth=scram-sha-256"]);
        let error = target.connect().await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "ROLLUP_URL has a parameter this program cannot honour when it connects: require_auth (this program \
             cannot restrict the authentication methods it accepts)"
        );
        let error = target_with("postgres://u@h/d?sslmode=verify-all").unwrap_err();
        assert!(errors::render(&error).contains("sslmode \"verify-all\" is none of"), "{error:#}");
    }

    fn target_with(url: &str) -> Result<Target> {
        Target::parse("source", "SOURCE_URL", "--source-url", Some(url))
    }

    #[test]
    fn a_url_without_database_is_refused() {
        let error = target("postgres://bob@host:5432").unwrap_err();
        assert!(error.to_string().contains("names no database"), "{error}");
    }
}
