//! A self-signed certificate for `localhost`, written to files a guard's `[guard.tls]` reads.

use std::path::PathBuf;

/// The certificate and key files (in a directory removed on drop) and the certificate's PEM.
pub struct SelfSigned {
    /// The certificate file.
    pub cert: PathBuf,
    /// The private key file.
    pub key: PathBuf,
    /// The certificate, PEM (a client's trust root).
    pub pem: String,
    _dir: tempfile::TempDir,
}

impl SelfSigned {
    /// A fresh certificate for `localhost`.
    pub fn localhost() -> SelfSigned {
        let dir = tempfile::tempdir().expect("tempdir");
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("self-signed certificate");
        let cert_path = dir.path().join("cert.pem");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
        std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write key");
        SelfSigned {
            cert: cert_path,
            key: key_path,
            pem: cert.cert.pem(),
            _dir: dir,
        }
    }

    /// The `[guard.tls]` table pointing at the files.
    pub fn guard_tls(&self) -> String {
        format!(
            "[guard.tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            self.cert.display(),
            self.key.display()
        )
    }
}
