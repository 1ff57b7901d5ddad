//! Reading the files the TLS parameters name, as libpq reads them: the CAs to check the server's
//! certificate against and which check that makes, the revocation lists, and the client
//! certificate with its key (refused when others may read it, as libpq refuses it).
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use tracing::warn;

use super::settings::{SslMode, TlsSettings};

impl TlsSettings {
    /// Which check of the server's certificate libpq makes with these settings, and its CAs.
    pub(super) fn certificate_check(&self, home: &HomeFiles) -> Result<Check> {
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

    pub(super) fn revocation_lists(
        &self,
        home: &HomeFiles,
    ) -> Result<Vec<CertificateRevocationListDer<'static>>> {
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
    pub(super) fn client_certificate(
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
pub(super) struct HomeFiles(Option<PathBuf>);

pub(super) fn home_file_finder() -> HomeFiles {
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
pub(super) struct Roots {
    pub(super) store: RootCertStore,
    pub(super) source: String,
}

/// The check of the server's certificate: none, the chain only, or the chain and the host name.
#[derive(Debug)]
pub(super) enum Check {
    None,
    Chain(Roots),
    Full(Roots),
}
