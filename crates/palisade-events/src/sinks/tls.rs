//! Client TLS shared by the sinks that speak it (syslog over TLS, logstash `tcp` with TLS,
//! logstash `http` to an `https://` URL): one place decides which roots are trusted.
//!
//! # Security
//!
//! Certificates are always verified, with the server name checked (SNI = the configured
//! host). Without `ca_file` the system's roots are trusted; with it, only the CAs in that PEM
//! file are — a private CA does not widen trust to the public ones, and the public ones cannot
//! impersonate a receiver pinned to the private CA.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// A rustls client configuration trusting the system roots, or only the CAs in `ca_file`.
pub(crate) fn client_config(ca_file: Option<&Path>) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("ca_file {}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "ca_file {}: no PEM certificate in it",
                    path.display()
                ));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default();
                return Err(format!(
                    "no system CA certificates found{why}; install ca-certificates or set ca_file"
                ));
            }
        }
    }
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
}

/// What a stream sink needs to wrap a TCP connection in TLS.
#[derive(Clone)]
pub(crate) struct TlsClient {
    pub connector: tokio_rustls::TlsConnector,
    /// Sent as SNI and checked against the certificate.
    pub server_name: ServerName<'static>,
}

impl TlsClient {
    /// A client for `host` (a DNS name or an IP address).
    pub fn new(host: &str, ca_file: Option<&Path>) -> Result<Self, String> {
        let server_name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("`{host}` is not a valid TLS server name: {e}"))?;
        let config = client_config(ca_file)?;
        Ok(TlsClient {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
            server_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = client_config(Some(&path)).unwrap_err();
        assert!(err.contains("no PEM certificate"), "{err}");
        let err = client_config(Some(&dir.path().join("missing.pem"))).unwrap_err();
        assert!(err.contains("cannot read ca_file"), "{err}");
    }

    #[test]
    fn server_names_may_be_ip_addresses() {
        assert!(ServerName::try_from("127.0.0.1".to_owned()).is_ok());
        assert!(ServerName::try_from("logs1.papertrailapp.com".to_owned()).is_ok());
    }
}
