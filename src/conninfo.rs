//! Connection strings as libpq reads them: a URL (`postgres://user:password@host:port/db?key=value`)
//! or `key=value` words, and every libpq parameter in them sorted by who honours it.
//!
//! tokio-postgres parses the URL's user, password, hosts, ports and database and some parameters
//! itself, but refuses the rest (`sslrootcert`, `sslcert`, ...) and knows only three of libpq's six
//! `sslmode`s. So [`split`] takes out what tokio-postgres does not know, leaves it the rest to parse,
//! and keeps every parameter as given for postgres_fdw, which reads the same parameters with the
//! rollup server's libpq. A parameter libpq does not know is refused here, as libpq refuses it:
//! nothing in a URL is ever dropped silently.
use anyhow::{Result, bail};

/// Who honours a libpq parameter on this program's own connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// tokio-postgres parses it.
    Driver,
    /// tokio-postgres parses it under another name.
    DriverAs(&'static str),
    /// This program reads it (TLS, the password file, ...).
    Here,
    /// Only postgres_fdw can honour it; this program's own connections refuse it, saying why.
    FdwOnly(&'static str),
}

/// Every connection parameter libpq knows (PostgreSQL 18), and who honours it here.
const LIBPQ_PARAMETERS: &[(&str, Handling)] = {
    use Handling::*;
    const GSS: &str = "GSSAPI (Kerberos) is not supported by this program";
    const OAUTH: &str = "OAuth sign-in is not supported by this program";
    &[
        ("host", Driver),
        ("hostaddr", Driver),
        ("port", Driver),
        ("dbname", Driver),
        ("user", Driver),
        ("password", Driver),
        ("options", Driver),
        ("application_name", Driver),
        ("connect_timeout", Driver),
        ("tcp_user_timeout", Driver),
        ("keepalives", Driver),
        ("keepalives_idle", Driver),
        ("keepalives_interval", Driver),
        ("keepalives_count", DriverAs("keepalives_retries")),
        ("target_session_attrs", Driver),
        ("channel_binding", Driver),
        ("load_balance_hosts", Driver),
        ("sslnegotiation", Driver),
        ("sslmode", Here),
        ("sslrootcert", Here),
        ("sslcert", Here),
        ("sslkey", Here),
        ("sslpassword", Here),
        ("sslcrl", Here),
        ("sslcrldir", Here),
        ("sslsni", Here),
        ("sslcertmode", Here),
        ("sslcompression", Here),
        ("ssl_min_protocol_version", Here),
        ("ssl_max_protocol_version", Here),
        ("passfile", Here),
        ("fallback_application_name", Here),
        ("client_encoding", Here),
        ("gssencmode", Here),
        ("require_auth", FdwOnly("this program cannot restrict the authentication methods it accepts")),
        ("replication", FdwOnly("replication connections are not what this program opens")),
        ("krbsrvname", FdwOnly(GSS)),
        ("gsslib", FdwOnly(GSS)),
        ("gssdelegation", FdwOnly(GSS)),
        ("service", FdwOnly("this program reads no connection service file; give the settings in the URL")),
        ("requirepeer", FdwOnly("this program cannot check the peer of a Unix-domain socket")),
        ("min_protocol_version", FdwOnly("this program speaks protocol 3.0 only")),
        ("max_protocol_version", FdwOnly("this program speaks protocol 3.0 only")),
        ("sslkeylogfile", FdwOnly("this program writes no TLS key log")),
        ("scram_client_key", FdwOnly("this program signs in with the password")),
        ("scram_server_key", FdwOnly("this program signs in with the password")),
        ("oauth_issuer", FdwOnly(OAUTH)),
        ("oauth_client_id", FdwOnly(OAUTH)),
        ("oauth_client_secret", FdwOnly(OAUTH)),
        ("oauth_scope", FdwOnly(OAUTH)),
    ]
};

/// How this program honours libpq parameter `key`; None when libpq does not know it.
pub fn handling(key: &str) -> Option<Handling> {
    LIBPQ_PARAMETERS.iter().find(|(name, _)| *name == key).map(|(_, handling)| *handling)
}

/// A connection string taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conninfo {
    /// The string for `tokio_postgres::Config::from_str`: the input without the parameters
    /// tokio-postgres does not know.
    pub driver: String,
    /// Every parameter given as `key=value` (a URL's query parameters, or all of a keyword
    /// string's words), decoded, in the order given; for a key given twice the last counts.
    pub parameters: Vec<(String, String)>,
}

impl Conninfo {
    /// The value given last for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.parameters.iter().rev().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }
}

/// Takes `text` apart. Errors name a parameter, never quote a value (it may be a password).
pub fn split(text: &str) -> Result<Conninfo> {
    match ["postgres://", "postgresql://"].iter().find_map(|prefix| text.strip_prefix(prefix)) {
        Some(rest) => split_url(text, rest),
        None => split_words(text),
    }
}

/// The parameter of a query or of a word, checked: known to libpq, and whether tokio-postgres
/// gets it (under which name).
fn driver_name(key: &str) -> Result<Option<&str>> {
    match handling(key) {
        Some(Handling::Driver) => Ok(Some(key)),
        Some(Handling::DriverAs(name)) => Ok(Some(name)),
        Some(Handling::Here | Handling::FdwOnly(_)) => Ok(None),
        None if key.is_empty() => bail!("a parameter has no name"),
        None => bail!("unknown connection parameter \"{key}\" (libpq has none of that name)"),
    }
}

fn split_url(text: &str, rest: &str) -> Result<Conninfo> {
    // As tokio-postgres reads a URL: user and password up to the first '@', then the hosts, then
    // the path; the query starts at the first '?' after the '@'.
    let after_credentials = rest.find('@').map_or(0, |at| at + 1);
    let Some(question) = rest[after_credentials..].find('?') else {
        return Ok(Conninfo { driver: text.to_owned(), parameters: Vec::new() });
    };
    let base_len = text.len() - rest.len() + after_credentials + question;
    let (base, query) = (&text[..base_len], &text[base_len + 1..]);
    let mut parameters = Vec::new();
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let Some((raw_key, raw_value)) = pair.split_once('=') else {
            bail!("a URL parameter has no value (write key=value)");
        };
        let key = decode(raw_key)?;
        let value = decode(raw_value)?;
        if let Some(name) = driver_name(&key)? {
            kept.push(format!("{name}={raw_value}"));
        }
        parameters.push((key, value));
    }
    let driver = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok(Conninfo { driver, parameters })
}

fn decode(text: &str) -> Result<String> {
    match percent_encoding::percent_decode_str(text).decode_utf8() {
        Ok(decoded) => Ok(decoded.into_owned()),
        Err(_) => bail!("a URL parameter is not UTF-8 once decoded"),
    }
}

/// `key = value` words as libpq reads them: values may be quoted with single quotes, and a
/// backslash takes the next character as it is.
fn split_words(text: &str) -> Result<Conninfo> {
    let mut parameters = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            bail!("missing \"=\" after \"{key}\" in the connection string");
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                    None => bail!("the value of \"{key}\" has no closing quote"),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                match c {
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
        }
        parameters.push((key, value));
    }
    let mut driver = Vec::new();
    for (key, value) in &parameters {
        if let Some(name) = driver_name(key)? {
            driver.push(format!("{name}='{}'", value.replace('\\', "\\\\").replace('\'', "\\'")));
        }
    }
    Ok(Conninfo { driver: driver.join(" "), parameters })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(conninfo: &Conninfo) -> Vec<(&str, &str)> {
        conninfo.parameters.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect()
    }

    #[test]
    fn a_url_keeps_what_tokio_postgres_reads_and_lists_every_parameter() {
        let conninfo = split(
            "postgres://u:p%3Fw@db.example:5432/pagila?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x&keepalives_count=3",
        )
        .unwrap();
        assert_eq!(
            conninfo.driver,
            "postgres://u:p%3Fw@db.example:5432/pagila?application_name=x&keepalives_retries=3"
        );
        assert_eq!(
            pairs(&conninfo),
            [
                ("sslmode", "verify-full"),
                ("sslrootcert", "/etc/ca.pem"),
                ("application_name", "x"),
                ("keepalives_count", "3")
            ]
        );
        assert_eq!(conninfo.get("sslrootcert"), Some("/etc/ca.pem"));
    }

    #[test]
    fn a_question_mark_in_the_password_does_not_start_the_query() {
        let conninfo = split("postgresql://u:a?b@h/db?sslmode=require").unwrap();
        assert_eq!(conninfo.driver, "postgresql://u:a?b@h/db");
        assert_eq!(pairs(&conninfo), [("sslmode", "require")]);
        let plain = split("postgres://u@h:1/db").unwrap();
        assert_eq!(plain.driver, "postgres://u@h:1/db");
        assert!(plain.parameters.is_empty());
    }

    #[test]
    fn keyword_strings_are_read_with_quotes_and_escapes() {
        let conninfo = split(
            r"host=h  port = 5433 password='it''s' dbname=d sslrootcert='/a b/c\'d.pem' sslmode=require",
        )
        .unwrap_err();
        // libpq has no doubled quotes: 'it' ends the value and "'s'" is no parameter
        assert!(conninfo.to_string().contains("missing \"=\""), "{conninfo}");
        let conninfo = split(
            r"host=h  port = 5433 password='it\'s' dbname=d sslrootcert='/a b/c\\d.pem' sslmode=require",
        )
        .unwrap();
        assert_eq!(conninfo.driver, r"host='h' port='5433' password='it\'s' dbname='d'");
        assert_eq!(conninfo.get("sslrootcert"), Some(r"/a b/c\d.pem"));
        assert_eq!(conninfo.get("password"), Some("it's"));
    }

    #[test]
    fn parameters_libpq_does_not_know_are_refused_by_name() {
        let error = split("postgres://u:secret@h/db?sslmode=require&fetch_size=100").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown connection parameter \"fetch_size\" (libpq has none of that name)"
        );
        let error = split("host=h keepalives_retries=3").unwrap_err();
        assert!(error.to_string().contains("\"keepalives_retries\""), "{error}");
        assert!(split("postgres://h/db?sslmode").is_err());
    }
}
