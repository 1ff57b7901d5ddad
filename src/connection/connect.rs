//! Opening a connection to a [`Target`]: libpq's TLS attempts and fallbacks for its `sslmode`, the
//! server's release checked, and a failure said with the setting to check.
use anyhow::{Context, Result, anyhow, bail};
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config, NoTls, Socket};
use tracing::{debug, warn};

use super::target::Target;
use crate::errors;
use crate::tls::{Attempt, SslMode};

/// PostgreSQL releases older than this are refused: the pipeline is tested on 15, and a planner
/// that pushes down less would silently turn an aggregate into a full table transfer.
pub const MINIMUM_SERVER_VERSION: i32 = 150000;

impl Target {
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
            .try_get(0)
            .with_context(|| format!("could not read the {} database's version", self.role))?;
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
