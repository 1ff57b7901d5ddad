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
//! [`settings`] reads and checks the parameters without opening a file: a URL for postgres_fdw
//! names files on the rollup server, which this program never opens. When this program connects,
//! [`certificates`] reads the files they name (CAs, revocation lists, the client certificate and
//! its key, libpq's defaults under `~/.postgresql`), and [`connector`] builds rustls' configuration
//! and the tokio-postgres connector from them, which also says what a TLS failure means;
//! [`verifiers`] holds the two checks of the server's certificate rustls does not make itself
//! (none at all, and the chain without the host name).
mod certificates;
mod connector;
mod settings;
mod verifiers;

pub use connector::{Connector, Handshake};
pub use settings::{Attempt, SslMode, TlsSettings};

#[cfg(test)]
mod tests {
    use anyhow::Result;

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
