//! The tokio-postgres TLS connector built from [`TlsSettings`]: rustls' client configuration with
//! the certificate check and client certificate libpq would use, a record of whether a handshake
//! began (libpq's `prefer` falls back to plain text only then), and what a TLS failure means.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use rustls::CertificateError;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::certificates::{Check, home_file_finder};
use super::settings::TlsSettings;
use super::verifiers::{ChainOnly, NoCertificateCheck};

impl TlsSettings {
    /// Reads the certificate files and builds the TLS connector. Errors name the parameter.
    pub fn connector(&self) -> Result<Connector> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let home = home_file_finder();
        let check = self.certificate_check(&home)?;
        let verifier: Arc<dyn ServerCertVerifier> = match &check {
            Check::None => Arc::new(NoCertificateCheck(Arc::clone(&provider))),
            Check::Chain(roots) | Check::Full(roots) => {
                let mut builder = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots.store.clone()),
                    Arc::clone(&provider),
                );
                let crls = self.revocation_lists(&home)?;
                if !crls.is_empty() {
                    // As libpq (OpenSSL's CRL_CHECK_ALL): every certificate of the chain must be
                    // covered by a list, and an expired list fails the check.
                    builder = builder.with_crls(crls).enforce_revocation_expiration();
                }
                let verifier = builder.build().context("could not use sslrootcert or sslcrl")?;
                match check {
                    Check::Full(_) => verifier,
                    _ => Arc::new(ChainOnly(verifier)),
                }
            }
        };
        let versions: Vec<&'static rustls::SupportedProtocolVersion> =
            [self.tls12.then_some(&rustls::version::TLS12), self.tls13.then_some(&rustls::version::TLS13)]
                .into_iter()
                .flatten()
                .collect();
        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
            .context("ssl_min_protocol_version / ssl_max_protocol_version")?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match self.client_certificate(&home)? {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .context("sslcert and sslkey do not make a client certificate rustls can use")?,
            None => builder.with_no_client_auth(),
        };
        config.enable_sni = self.sni;
        // As libpq 17 does: a server that takes TLS directly (sslnegotiation=direct) requires it.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Connector {
            inner: MakeRustlsConnect::new(config),
            started: Arc::default(),
            check: Arc::new(check),
        })
    }
}

/// A tokio-postgres TLS connector (tokio-postgres-rustls) that remembers whether a TLS handshake
/// began, which is when libpq's `prefer` falls back to plain text after a failure.
#[derive(Clone)]
pub struct Connector {
    inner: MakeRustlsConnect,
    started: Arc<AtomicBool>,
    pub(super) check: Arc<Check>,
}

impl Connector {
    /// The same connector with its own record of a handshake, for one connection attempt.
    pub fn for_attempt(&self) -> Connector {
        Connector { inner: self.inner.clone(), started: Arc::default(), check: Arc::clone(&self.check) }
    }

    /// Whether the server accepted TLS and a handshake began.
    pub fn handshake_started(&self) -> bool {
        self.started.load(Ordering::SeqCst)
    }

    /// A sentence saying what a TLS failure in `error`'s chain means, naming the parameter to
    /// check; None when the error is no TLS failure.
    pub fn explain(&self, error: &anyhow::Error, host: &str) -> Option<String> {
        let tls = error.chain().find_map(rustls_error)?;
        let roots = match &*self.check {
            Check::Chain(roots) | Check::Full(roots) => roots.source.as_str(),
            Check::None => "a CA given in sslrootcert",
        };
        use CertificateError as E;
        let certificate = match tls {
            rustls::Error::InvalidCertificate(certificate) => certificate,
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
                return Some(String::from(
                    "the server requires a client certificate (give sslcert and sslkey)",
                ));
            }
            rustls::Error::AlertReceived(alert) => {
                return Some(format!(
                    "the server ended the TLS handshake ({alert:?}); if it checks client certificates, check \
                     sslcert and sslkey"
                ));
            }
            _ => return Some(String::from("the TLS handshake failed")),
        };
        Some(match certificate {
            E::UnknownIssuer | E::BadSignature => {
                format!("the server's certificate is not signed by {roots}")
            }
            E::NotValidForName | E::NotValidForNameContext { .. } => format!(
                "the server's certificate is not issued for the host name \"{host}\" (sslmode=verify-full checks it)"
            ),
            E::Expired | E::ExpiredContext { .. } => String::from("the server's certificate has expired"),
            E::NotValidYet | E::NotValidYetContext { .. } => {
                String::from("the server's certificate is not valid yet (check the clocks)")
            }
            E::Revoked => String::from("the server's certificate is revoked (sslcrl, sslcrldir)"),
            E::UnknownRevocationStatus
            | E::ExpiredRevocationList
            | E::ExpiredRevocationListContext { .. } => String::from(
                "the revocation lists (sslcrl, sslcrldir) do not cover the server's certificate chain, or have expired",
            ),
            E::Other(other) if format!("{other}").contains("CaUsedAsEndEntity") => format!(
                "the server's certificate is a CA certificate (self-signed with CA:TRUE?), which this program does \
                 not accept as a server's own under sslmode={}: give the server a certificate signed by a CA",
                match &*self.check {
                    Check::Full(_) => "verify-full",
                    _ => "verify-ca",
                }
            ),
            _ => String::from("the server's certificate was not accepted"),
        })
    }
}

/// The rustls error of a TLS failure (tokio-rustls wraps it in an `io::Error`, whose `source` skips it).
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    error.downcast_ref::<rustls::Error>().or_else(|| {
        error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    })
}

impl<S> MakeTlsConnect<S> for Connector
where
    MakeRustlsConnect: MakeTlsConnect<S>,
{
    type Stream = <MakeRustlsConnect as MakeTlsConnect<S>>::Stream;
    type TlsConnect = Handshake<<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        let inner = MakeTlsConnect::<S>::make_tls_connect(&mut self.inner, domain)?;
        Ok(Handshake { inner, started: Arc::clone(&self.started) })
    }
}

/// One TLS handshake, recorded as begun when tokio-postgres starts it.
pub struct Handshake<T> {
    inner: T,
    started: Arc<AtomicBool>,
}

impl<S, T: TlsConnect<S>> TlsConnect<S> for Handshake<T> {
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = T::Future;

    fn connect(self, stream: S) -> Self::Future {
        self.started.store(true, Ordering::SeqCst);
        self.inner.connect(stream)
    }
}
