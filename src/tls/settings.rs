//! The TLS parameters of a connection URL, read and checked as libpq reads them, without opening a
//! file, and the connection attempts their `sslmode` makes.
use anyhow::{Result, bail};

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
    pub(super) root_cert: Option<String>,
    pub(super) crl: Option<String>,
    pub(super) crl_dir: Option<String>,
    pub(super) cert: Option<String>,
    pub(super) key: Option<String>,
    pub(super) send_cert: bool,
    require_cert: bool,
    pub(super) sni: bool,
    pub(super) tls12: bool,
    pub(super) tls13: bool,
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
