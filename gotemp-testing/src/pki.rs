//! Certificates made for a test: a CA, a server certificate and a client certificate from it,
//! and a rogue CA with certificates of its own, as PEM files in a fresh directory. Tests of TLS
//! need real certificates, and a checked-in key would be a key anyone may use.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::path::{Path, PathBuf};

/// The names every server certificate carries besides the test's own: loopback, as tests
/// connect.
pub const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// PEM files in a directory of their own (removed on drop): `ca.pem`, `server.pem`,
/// `server.key`, `client.pem`, `client.key`, `backend.pem`, `backend.key` (from the same CA, for
/// server use only, as a deployment's backends get), and `rogue-ca.pem`, `rogue.pem`,
/// `rogue.key` (a server certificate for the same names from another CA), `rogue-client.pem`,
/// `rogue-client.key`.
pub struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// Makes the CA and certificates; the server certificates name `names` and [`LOOPBACK`].
    pub fn new(names: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!("gotemp-pki-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a directory for the test certificates");
        let pki = Self { dir };
        let mut all: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        all.extend(LOOPBACK.iter().map(|n| (*n).to_owned()));
        for (prefix, ca_file) in [("", "ca.pem"), ("rogue-", "rogue-ca.pem")] {
            let (ca_params, ca_key) = authority(&format!("gotemp {prefix}test CA"));
            let ca_cert = ca_params.self_signed(&ca_key).expect("a CA certificate");
            pki.write(ca_file, &ca_cert.pem());
            let issuer = Issuer::new(ca_params, ca_key);
            let server = if prefix.is_empty() { "server" } else { "rogue" };
            pki.leaf(&issuer, server, all.clone());
            pki.leaf(
                &issuer,
                &format!("{prefix}client"),
                vec!["client".to_owned()],
            );
            if prefix.is_empty() {
                let usage = vec![ExtendedKeyUsagePurpose::ServerAuth];
                pki.leaf_for(&issuer, "backend", vec!["backend".to_owned()], usage);
            }
        }
        pki
    }

    /// The path of one of the files.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// The directory holding them.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn leaf(&self, issuer: &Issuer<'_, KeyPair>, name: &str, sans: Vec<String>) {
        self.leaf_for(issuer, name, sans, Vec::new());
    }

    /// A leaf certificate limited to `usages` (none: any use).
    fn leaf_for(
        &self,
        issuer: &Issuer<'_, KeyPair>,
        name: &str,
        sans: Vec<String>,
        usages: Vec<ExtendedKeyUsagePurpose>,
    ) {
        let key = KeyPair::generate().expect("a key pair");
        let mut params = CertificateParams::new(sans).expect("valid names");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = usages;
        let cert = params
            .signed_by(&key, issuer)
            .expect("a signed certificate");
        self.write(&format!("{name}.pem"), &cert.pem());
        self.write(&format!("{name}.key"), &key.serialize_pem());
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.dir.join(file), text).expect("a test certificate file is written");
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn authority(name: &str) -> (CertificateParams, KeyPair) {
    let key = KeyPair::generate().expect("a key pair");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name.push(DnType::CommonName, name);
    (params, key)
}
