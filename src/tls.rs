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
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres_rustls::MakeRustlsConnect;
use tracing::warn;

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

    /// Which check of the server's certificate libpq makes with these settings, and its CAs.
    fn certificate_check(&self, home: &HomeFiles) -> Result<Check> {
        if self.root_cert.as_deref() == Some("system") {
            let found = rustls_native_certs::load_native_certs();
            let mut store = RootCertStore::empty();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                bail!(
                    "sslrootcert=system: no CA certificate found in the system's store{}",
                    found.errors.first().map(|error| format!(" ({error})")).unwrap_or_default()
                );
            }
            let roots = Roots { store, source: String::from("a CA the system trusts (sslrootcert=system)") };
            return Ok(Check::Full(roots));
        }
        let (path, given) = match &self.root_cert {
            Some(path) => (Some(PathBuf::from(path)), true),
            None => (home.file("root.crt"), false),
        };
        let verify = matches!(self.mode, SslMode::VerifyCa | SslMode::VerifyFull);
        let exists = path.as_deref().is_some_and(Path::exists);
        if !exists {
            if verify {
                match path {
                    Some(path) => bail!(
                        "root certificate file \"{}\" does not exist: sslmode={} needs one; give its path in \
                         sslrootcert, use sslrootcert=system for the system's CAs, or a weaker sslmode",
                        path.display(),
                        self.mode.as_str()
                    ),
                    None => bail!(
                        "sslmode={} needs the CA certificate: give its path in sslrootcert (there is no home \
                         folder to look for ~/.postgresql/root.crt in)",
                        self.mode.as_str()
                    ),
                }
            }
            if given && let Some(path) = &path {
                warn!(file = %path.display(), "sslrootcert does not exist: the server's certificate is not checked");
            }
            return Ok(Check::None);
        }
        let path = path.expect("exists");
        let certificates = CertificateDer::pem_file_iter(&path)
            .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
            .with_context(|| format!("could not read sslrootcert \"{}\" (PEM)", path.display()))?;
        let mut store = RootCertStore::empty();
        let (added, _) = store.add_parsable_certificates(certificates);
        if added == 0 {
            bail!("sslrootcert \"{}\" holds no certificate", path.display());
        }
        let roots = Roots { store, source: format!("the CA in sslrootcert \"{}\"", path.display()) };
        Ok(match self.mode {
            SslMode::VerifyFull => Check::Full(roots),
            // libpq: with a root certificate file, every mode that uses TLS checks the chain
            _ => Check::Chain(roots),
        })
    }

    fn revocation_lists(&self, home: &HomeFiles) -> Result<Vec<CertificateRevocationListDer<'static>>> {
        let mut files = Vec::new();
        match &self.crl {
            Some(path) if Path::new(path).exists() => files.push(PathBuf::from(path)),
            Some(path) => warn!(file = %path, "sslcrl does not exist: no revocation list is checked from it"),
            None => files.extend(home.file("root.crl").filter(|path| path.exists())),
        }
        if let Some(dir) = &self.crl_dir {
            match std::fs::read_dir(dir) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                        .filter(|p| p.is_file())
                        .collect();
                    found.sort();
                    files.extend(found);
                }
                Err(error) => {
                    warn!(folder = %dir, %error, "sslcrldir cannot be read: no revocation list is checked from it")
                }
            }
        }
        let mut crls = Vec::new();
        for file in files {
            let read = CertificateRevocationListDer::pem_file_iter(&file)
                .and_then(|lists| lists.collect::<Result<Vec<_>, _>>())
                .with_context(|| {
                    format!(
                        "could not read the revocation list \"{}\" (sslcrl, sslcrldir; PEM)",
                        file.display()
                    )
                })?;
            crls.extend(read);
        }
        Ok(crls)
    }

    /// The client certificate chain and key, when libpq would send one.
    fn client_certificate(
        &self,
        home: &HomeFiles,
    ) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>> {
        if !self.send_cert {
            return Ok(None);
        }
        let (cert, given) = match &self.cert {
            Some(path) => (Some(PathBuf::from(path)), true),
            None => (home.file("postgresql.crt"), false),
        };
        let Some(cert) = cert.filter(|path| path.exists()) else {
            if given {
                warn!(
                    file = self.cert.as_deref().unwrap_or_default(),
                    "sslcert does not exist: no client certificate is sent"
                );
            }
            return Ok(None);
        };
        let key = match &self.key {
            Some(path) => Some(PathBuf::from(path)),
            None => home.file("postgresql.key"),
        };
        let Some(key) = key.filter(|path| path.exists()) else {
            bail!(
                "sslcert \"{}\" is there but its private key is not (sslkey, default ~/.postgresql/postgresql.key)",
                cert.display()
            );
        };
        check_key_permissions(&key)?;
        let chain = CertificateDer::pem_file_iter(&cert)
            .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
            .with_context(|| format!("could not read sslcert \"{}\" (PEM)", cert.display()))?;
        if chain.is_empty() {
            bail!("sslcert \"{}\" holds no certificate", cert.display());
        }
        let text =
            std::fs::read(&key).with_context(|| format!("could not read sslkey \"{}\"", key.display()))?;
        if text.windows(9).any(|window| window == b"ENCRYPTED") {
            bail!(
                "sslkey \"{}\" is encrypted, which this program cannot read (sslpassword): store it decrypted, \
                 readable by its owner only (openssl pkey -in KEY -out KEY.plain; chmod 0600 KEY.plain)",
                key.display()
            );
        }
        let private = PrivateKeyDer::from_pem_slice(&text)
            .with_context(|| format!("could not read sslkey \"{}\" (a PEM private key)", key.display()))?;
        Ok(Some((chain, private)))
    }
}

/// libpq's rule for a private key file: not readable by group or others, or, owned by root, at
/// most readable by the group.
fn check_key_permissions(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(path)
            .with_context(|| format!("could not read sslkey \"{}\"", path.display()))?;
        if !metadata.is_file() {
            bail!("sslkey \"{}\" is not a file", path.display());
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        let mode = metadata.mode();
        if (metadata.uid() == me && mode & 0o077 != 0) || (metadata.uid() == 0 && mode & 0o037 != 0) {
            bail!(
                "sslkey \"{}\" has group or world access; it must have permissions u=rw (0600) or less if owned \
                 by the current user, or u=rw,g=r (0640) or less if owned by root",
                path.display()
            );
        }
    }
    Ok(())
}

/// Files in `~/.postgresql`, libpq's defaults.
struct HomeFiles(Option<PathBuf>);

fn home_file_finder() -> HomeFiles {
    HomeFiles(
        std::env::var_os("HOME")
            .filter(|home| !home.is_empty())
            .map(|home| PathBuf::from(home).join(".postgresql")),
    )
}

impl HomeFiles {
    fn file(&self, name: &str) -> Option<PathBuf> {
        self.0.as_ref().map(|folder| folder.join(name))
    }
}

/// CAs to check a certificate against, and how to name them in a message.
#[derive(Debug)]
struct Roots {
    store: RootCertStore,
    source: String,
}

/// The check of the server's certificate: none, the chain only, or the chain and the host name.
#[derive(Debug)]
enum Check {
    None,
    Chain(Roots),
    Full(Roots),
}

/// A tokio-postgres TLS connector (tokio-postgres-rustls) that remembers whether a TLS handshake
/// began, which is when libpq's `prefer` falls back to plain text after a failure.
#[derive(Clone)]
pub struct Connector {
    inner: MakeRustlsConnect,
    started: Arc<AtomicBool>,
    check: Arc<Check>,
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

/// `sslmode=require` (and `prefer`, `allow`) without a root certificate: the certificate is not
/// checked, as libpq does not check it; the handshake's signatures still are.
#[derive(Debug)]
struct NoCertificateCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCertificateCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: webpki's checks (chain, validity, revocation) but not the host name, which
/// it checks last, so a certificate failing only that is accepted.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
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
