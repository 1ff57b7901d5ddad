//! A connection URL read into a [`Target`]: checked, its passwords registered to be scrubbed from
//! messages, described as `user@host:port/database`, and handed whole to postgres_fdw.
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio_postgres::Config;
use tokio_postgres::config::Host;

use super::passfile::password_file_entry;
use crate::conninfo::{self, Handling};
use crate::errors;
use crate::tls::TlsSettings;

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
    pub(super) unsupported: Vec<String>,
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
    pub(super) fn parse(
        role: &'static str,
        variable: &'static str,
        flag: &str,
        url: Option<&str>,
    ) -> Result<Target> {
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
            && let Some(password) = password_file_entry(
                &[target.host(), target.port().to_string(), target.database().to_owned(), target.user()],
                conninfo_value(&target.parameters, "passfile"),
            )
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
}

pub(super) fn host_text(host: &Host) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::SslMode;

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
