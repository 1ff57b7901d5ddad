//! How errors reach a person: one line per failure with its whole cause chain, PostgreSQL's
//! DETAIL and HINT included (they usually say what to fix), and never a password.
//!
//! tokio-postgres's errors already print their cause after their own text ("db error: ERROR: ..."),
//! so a plain `{:#}` would say everything twice; [`render`] drops a cause that its parent's text
//! already ends with.
//!
//! It also decides what kind of failure an error is: [`exit_code`] maps the typed errors below to
//! the exit codes scripts can tell apart (main.rs only calls it), and [`is_transient`] tells a lost
//! connection, worth retrying, from bad data and bad settings, which a retry would only repeat.
use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a password so that [`render`] masks it wherever a message happens to quote it.
pub fn register_secret(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !secrets.iter().any(|known| known == secret) {
        secrets.push(secret.to_owned());
    }
}

/// Masks every registered password in `text`.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    secrets.iter().fold(text.to_owned(), |text, secret| text.replace(secret.as_str(), "********"))
}

/// The error and its causes as `outer: inner: innermost`, on one line (libpq's messages, which
/// postgres_fdw relays, span several), with passwords masked.
pub fn render(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = one_line(&describe(cause));
        if parts.last().is_some_and(|previous| previous.ends_with(&text)) {
            continue;
        }
        parts.push(text);
    }
    redact(&parts.join(": "))
}

/// Exit codes of `rollup`, listed in the README and in `rollup --help`.
pub mod exit {
    /// It worked.
    pub const SUCCESS: u8 = 0;
    /// It failed; the `error:` line says what and how to fix it (`rollup verify`: a difference;
    /// `rollup status --max-lag`: the rollup is staler than that, or its staleness is unknown).
    pub const FAILURE: u8 = 1;
    /// Bad command-line usage (clap's own code).
    pub const USAGE: u8 = 2;
    /// Another `rollup run` holds the run lock and this one was told not to wait (`--no-wait`) or
    /// not that long (`--lock-timeout`). Nothing was done; run again later.
    pub const BUSY: u8 = 3;
    /// A connection to a server was lost during the run and every retry failed too. The rollup is
    /// as it was before the run; run again once the servers are back.
    pub const INTERRUPTED: u8 = 4;
}

/// Another run holds the run lock on the rollup database, and this run did not wait (long enough).
#[derive(Debug)]
pub struct RunLocked {
    pub message: String,
}

impl std::fmt::Display for RunLocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunLocked {}

/// Context of a run's last error when every attempt ended on a lost connection.
#[derive(Debug)]
pub struct Interrupted {
    pub attempts: u32,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the run lost its connection to a server {} time(s) in a row and gave up; the rollup is as it was \
             before the run, so run it again once the servers answer (the last attempt's error follows)",
            self.attempts
        )
    }
}

/// The exit code for a failure: [`exit::BUSY`] and [`exit::INTERRUPTED`] for the typed errors
/// above anywhere in the chain, [`exit::FAILURE`] for everything else.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<RunLocked>().is_some() {
        exit::BUSY
    } else if error.downcast_ref::<Interrupted>().is_some() {
        exit::INTERRUPTED
    } else {
        exit::FAILURE
    }
}

/// The SQLSTATE of the first PostgreSQL error in the chain, if any.
pub fn sqlstate(error: &anyhow::Error) -> Option<&str> {
    error.chain().find_map(|cause| db_error(cause).map(|db| db.code().code()))
}

/// Whether a run that failed with `error` may succeed when simply started again: a connection
/// that was lost (closed, reset, the server shutting down or restarting, SQLSTATE class 08 other
/// than "could not connect", 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect
/// now), or a serialization failure or deadlock. Never bad data, bad settings or a timeout: those
/// fail the same way again.
///
/// A server that cannot be reached at all (connection refused, timed out, 08001/08004 from
/// postgres_fdw) is a wrong setting as often as a server that is down, so it counts as transient
/// only `after_a_loss`: when an earlier attempt of the same run lost its connection, and the
/// server is most likely restarting.
pub fn is_transient(error: &anyhow::Error, after_a_loss: bool) -> bool {
    error.chain().any(|cause| {
        if let Some(db) = db_error(cause) {
            let code = db.code().code();
            let lost = (code.starts_with("08") && !matches!(code, "08001" | "08004" | "08P01"))
                || matches!(code, "57P01" | "57P02" | "57P03" | "40001" | "40P01");
            return lost || (after_a_loss && matches!(code, "08001" | "08004"));
        }
        if let Some(error) = cause.downcast_ref::<tokio_postgres::Error>() {
            return error.is_closed();
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof)
                || (after_a_loss && matches!(io.kind(), ConnectionRefused | TimedOut | NotConnected));
        }
        false
    })
}

fn db_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a tokio_postgres::error::DbError> {
    error.downcast_ref::<tokio_postgres::error::DbError>().or_else(|| {
        error.downcast_ref::<tokio_postgres::Error>().and_then(tokio_postgres::Error::as_db_error)
    })
}

fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    match db_error(error) {
        Some(db) => describe_db_error(db),
        None => error.to_string(),
    }
}

fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" ")
}

fn describe_db_error(db: &tokio_postgres::error::DbError) -> String {
    let mut text = db.message().to_owned();
    if let Some(detail) = db.detail() {
        text.push_str(&format!(" (DETAIL: {})", detail.trim_end()));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!(" (HINT: {})", hint.trim_end()));
    }
    // A Citus coordinator passes a worker's error on with the worker named only in its context;
    // without it the operator cannot tell which machine to look at.
    if let Some(worker) =
        db.where_().and_then(|context| context.lines().find(|line| line.contains(CITUS_WORKER)))
    {
        text.push_str(&format!(" ({})", worker.trim()));
    }
    text
}

/// How Citus names the worker in the context of an error that came from it (ReportResultError).
const CITUS_WORKER: &str = "while executing command on ";

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn renders_the_whole_chain_once() {
        let error = Err::<(), _>(std::io::Error::other("connection refused"))
            .context("could not connect to the rollup database")
            .unwrap_err();
        assert_eq!(render(&error), "could not connect to the rollup database: connection refused");
    }

    #[test]
    fn a_message_of_several_lines_becomes_one() {
        let error = anyhow::anyhow!("server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n")
            .context("could not pull");
        assert_eq!(
            render(&error),
            "could not pull: server closed the connection unexpectedly This probably means the server terminated abnormally"
        );
    }

    #[test]
    fn typed_errors_choose_the_exit_code() {
        let busy = anyhow::Error::new(RunLocked { message: "another run holds the lock".into() })
            .context("could not start the run");
        assert_eq!(exit_code(&busy), exit::BUSY);
        let lost = Err::<(), _>(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
            .context(Interrupted { attempts: 3 })
            .unwrap_err();
        assert_eq!(exit_code(&lost), exit::INTERRUPTED);
        assert!(
            render(&lost).starts_with("the run lost its connection to a server 3 time(s)"),
            "{}",
            render(&lost)
        );
        assert_eq!(exit_code(&anyhow::anyhow!("anything else")), exit::FAILURE);
    }

    #[test]
    fn a_refused_connection_is_transient_only_after_a_loss() {
        let reset =
            anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)).context("pulling");
        assert!(is_transient(&reset, false));
        let refused = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!is_transient(&refused, false));
        assert!(is_transient(&refused, true));
        assert!(!is_transient(&anyhow::anyhow!("failpoint reached"), true));
    }

    #[test]
    fn masks_registered_passwords() {
        register_secret("pa55-word");
        let error = anyhow::anyhow!("password pa55-word was rejected");
        assert_eq!(render(&error), "password ******** was rejected");
    }
}
