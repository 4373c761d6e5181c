//! What the workflow test binaries share.

use inkan_cades::{ExternalSigner, SignerError, SoftwareSigner};

/// A signer that counts the signatures it computes (each one a
/// PIN-guarded card operation in real life).
#[allow(dead_code)]
pub struct Counting(pub SoftwareSigner, pub usize);

impl ExternalSigner for Counting {
    fn certificate(&self) -> &[u8] {
        self.0.certificate()
    }
    fn sign_sha256(&mut self, digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        self.1 += 1;
        self.0.sign_sha256(digest)
    }
}

/// The TEST PKI written out, with its CRLs in a cache as if fetched
/// earlier (verification runs offline).
#[allow(dead_code)]
pub struct Fixture {
    pub pki: std::sync::Arc<inkan_testpki::TestPki>,
    pub trust_dir: std::path::PathBuf,
    pub crl_cache: std::path::PathBuf,
}

/// A fresh, empty temporary folder.
#[allow(dead_code)]
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "inkan-workflow-it-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

/// The one [`Fixture`] of this test binary.
#[allow(dead_code)]
pub fn fixture() -> &'static Fixture {
    static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
        let trust_dir = temp_dir("pki");
        pki.write_to(&trust_dir).expect("write the test PKI");
        let crl_cache = temp_dir("crl");
        for crl in &pki.crls {
            let url = format!("{}{}", pki.crl_base_url, crl.name);
            std::fs::write(inkan_trust::crl::cache_path(&crl_cache, &url), &crl.der)
                .expect("cache CRL");
        }
        Fixture {
            pki,
            trust_dir,
            crl_cache,
        }
    })
}
