//! TLS for every connection this program opens, from the connection URL's parameters read the way
//! libpq reads them (<https://www.postgresql.org/docs/current/libpq-ssl.html>), with rustls.
//!
//! - `sslmode`: `disable`; `allow` (plain text, TLS only if the server refuses that); `prefer`, the
//!   default (TLS when the server offers it, else plain text, and plain text again when the TLS
//!   connection fails); `require` (TLS, the certificate not checked); `verify-ca` (the certificate
//!   chain checked against `sslrootcert`); `verify-full` (and the host name checked too).
//! - `sslrootcert`: the CAs to check the server's certificate against (PEM), by default
//!   `~/.postgresql/root.crt`. As in libpq, when that file exists `require` (and `prefer`, `allow`)
//!   check the chain like `verify-ca`. `sslrootcert=system` takes the system's CAs and implies
//!   `verify-full`. `sslcrl` (default `~/.postgresql/root.crl`) and `sslcrldir`: revocation lists.
//! - `sslcert` and `sslkey`: a client certificate (PEM), by default `~/.postgresql/postgresql.crt`
//!   and `.key`, sent when the files exist (`sslcertmode=disable`: never). The key must not be
//!   readable by others, as libpq requires.
//! - `sslsni`, `ssl_min_protocol_version`, `ssl_max_protocol_version` (rustls speaks TLS 1.2 and 1.3).
//!
//! Differences from libpq (OpenSSL), each refused or reported rather than ignored: encrypted private
//! keys are refused (`sslpassword` is only for them); a host name is checked against the
//! certificate's subject alternative names only, never its common name; and a certificate marked
//! as a CA cannot also be the server's own (a self-signed certificate made with CA:TRUE) under
//! `verify-ca` or `verify-full`.
//!
//! The parameters are read and checked here, without touching a file: a URL for postgres_fdw names
//! files on the rollup server, which this program never opens. When this program connects,
//! [`certificates`] reads the files they name (CAs, revocation lists, the client certificate and
//! its key, libpq's defaults under `~/.postgresql`), and [`connector`] builds rustls' configuration
//! and the tokio-postgres connector from them, which also says what a TLS failure means;
//! [`verifiers`] holds the two checks of the server's certificate rustls does not make itself
//! (none at all, and the chain without the host name).
mod certificates;
mod connector;
mod verifiers;

use anyhow::{Result, bail};

pub use connector::{Connector, Handshake};

use crate::conninfo::Conninfo;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => bail!(
                "sslmode \"{other}\" is none of disable, allow, prefer, require, verify-ca, verify-full"
            ),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// One try at connecting: in plain text, or with TLS (tokio-postgres's `prefer` for libpq's
/// `prefer`: a server that answers "no TLS here" gets plain text at once; `require` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Plain,
    Tls(tokio_postgres::config::SslMode),
}

/// The TLS parameters of a connection URL, checked but not yet read from disk: a URL for
/// postgres_fdw names files on the rollup server, which this program never opens.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub mode: SslMode,
    root_cert: Option<String>,
    crl: Option<String>,
    crl_dir: Option<String>,
    cert: Option<String>,
    key: Option<String>,
    send_cert: bool,
    require_cert: bool,
    sni: bool,
    tls12: bool,
    tls13: bool,
}

impl TlsSettings {
    /// Reads and checks the TLS parameters of `conninfo` (the last of each counts, as in libpq).
    pub fn from_conninfo(conninfo: &Conninfo) -> Result<TlsSettings> {
        let given = |key: &str| conninfo.get(key).filter(|value| !value.is_empty()).map(str::to_owned);
        let root_cert = given("sslrootcert");
        let system = root_cert.as_deref() == Some("system");
        let mode = match given("sslmode") {
            Some(mode) => SslMode::parse(&mode)?,
            None if system => SslMode::VerifyFull,
            None => SslMode::Prefer,
        };
        if system && mode != SslMode::VerifyFull {
            bail!(
                "sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
                mode.as_str()
            );
        }
        let flag = |key: &str| match given(key).as_deref() {
            None | Some("1") => Ok(true),
            Some("0") => Ok(false),
            Some(other) => bail!("{key} \"{other}\" is neither 0 nor 1"),
        };
        let sni = flag("sslsni")?;
        flag("sslcompression")?; // libpq ignores it too: TLS compression is gone from TLS libraries
        let (send_cert, require_cert) = match given("sslcertmode").as_deref() {
            None | Some("allow") => (true, false),
            Some("disable") => (false, false),
            Some("require") => (true, true),
            Some(other) => bail!("sslcertmode \"{other}\" is none of disable, allow, require"),
        };
        let version = |key: &str| -> Result<Option<u8>> {
            Ok(match given(key).map(|value| value.to_ascii_lowercase()).as_deref() {
                None => None,
                Some("tlsv1") => Some(0),
                Some("tlsv1.1") => Some(1),
                Some("tlsv1.2") => Some(2),
                Some("tlsv1.3") => Some(3),
                Some(other) => bail!("{key} \"{other}\" is none of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"),
            })
        };
        // libpq's default minimum is TLSv1.2, the oldest rustls speaks anyway.
        let (min, max) =
            (version("ssl_min_protocol_version")?.unwrap_or(2), version("ssl_max_protocol_version")?);
        if max.is_some_and(|max| max < min) {
            bail!("ssl_max_protocol_version is older than ssl_min_protocol_version");
        }
        if max.is_some_and(|max| max < 2) {
            bail!(
                "ssl_max_protocol_version allows only TLS versions older than 1.2, which this program does not speak"
            );
        }
        Ok(TlsSettings {
            mode,
            root_cert,
            crl: given("sslcrl"),
            crl_dir: given("sslcrldir"),
            cert: given("sslcert"),
            key: given("sslkey"),
            send_cert,
            require_cert,
            sni,
            tls12: min <= 2,
            tls13: max.is_none_or(|max| max >= 3),
        })
    }

    /// What this program cannot do of what the parameters ask, for its own connections.
    pub fn unsupported(&self) -> Option<&'static str> {
        self.require_cert.then_some(
            "sslcertmode=require: this program cannot tell whether the server asked for the client certificate",
        )
    }

    /// The connection attempts `sslmode` makes, in order. Over a Unix-domain socket libpq ignores
    /// sslmode (the server has no TLS there).
    pub fn attempts(&self, unix_socket: bool) -> &'static [Attempt] {
        use tokio_postgres::config::SslMode as Driver;
        if unix_socket {
            return &[Attempt::Plain];
        }
        match self.mode {
            SslMode::Disable => &[Attempt::Plain],
            SslMode::Allow => &[Attempt::Plain, Attempt::Tls(Driver::Require)],
            SslMode::Prefer => &[Attempt::Tls(Driver::Prefer), Attempt::Plain],
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => &[Attempt::Tls(Driver::Require)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::certificates::Check;
    use super::*;
    use crate::conninfo;

    fn settings(query: &str) -> Result<TlsSettings> {
        TlsSettings::from_conninfo(&conninfo::split(&format!("postgres://u@h/db?{query}")).unwrap())
    }

    #[test]
    fn prefer_is_the_default_and_each_mode_makes_libpqs_attempts() {
        use tokio_postgres::config::SslMode as Driver;
        assert_eq!(settings("").unwrap().mode, SslMode::Prefer);
        assert_eq!(settings("").unwrap().attempts(false), [Attempt::Tls(Driver::Prefer), Attempt::Plain]);
        assert_eq!(settings("sslmode=disable").unwrap().attempts(false), [Attempt::Plain]);
        assert_eq!(
            settings("sslmode=allow").unwrap().attempts(false),
            [Attempt::Plain, Attempt::Tls(Driver::Require)]
        );
        assert_eq!(settings("sslmode=verify-ca").unwrap().attempts(false), [Attempt::Tls(Driver::Require)]);
        assert_eq!(settings("sslmode=verify-full").unwrap().attempts(true), [Attempt::Plain]);
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        let error = settings("sslmode=on").unwrap_err().to_string();
        assert!(error.starts_with("sslmode \"on\" is none of"), "{error}");
        assert!(settings("sslsni=yes").unwrap_err().to_string().contains("sslsni"));
        assert!(settings("ssl_max_protocol_version=TLSv1.1").is_err());
        assert!(settings("ssl_min_protocol_version=TLSv1.3&ssl_max_protocol_version=TLSv1.2").is_err());
        let system = settings("sslrootcert=system&sslmode=require").unwrap_err().to_string();
        assert!(system.contains("may not be used with sslrootcert=system"), "{system}");
        assert_eq!(settings("sslrootcert=system").unwrap().mode, SslMode::VerifyFull);
    }

    #[test]
    fn verify_modes_need_the_root_certificate_file() {
        let error =
            settings("sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem").unwrap().connector().err().unwrap();
        assert!(
            error.to_string().contains("root certificate file \"/nonexistent/ca.pem\" does not exist"),
            "{error}"
        );
        // require without a root certificate checks nothing, as in libpq
        let connector =
            settings("sslmode=require&sslrootcert=/nonexistent/ca.pem").unwrap().connector().unwrap();
        assert!(matches!(*connector.check, Check::None));
    }
}
