//! Shared fixtures: one test PKI per test binary, with its CRL server on loopback.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use inkan_testpki::{CrlServer, PkiConfig, TestPki};
use inkan_trust::{
    validate_path, PathInput, PathReport, RevocationConfig, TrustStore, ValidationProfile,
};

/// The PKI and the server that answers its CDPs.
pub struct Fixture {
    pub pki: Arc<TestPki>,
    pub server: CrlServer,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// Binds a loopback port, generates the PKI for it, starts the CRL server.
pub fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let pki = inkan_testpki::cached(&PkiConfig::default().with_crl_port(port));
        let server = CrlServer::start(listener, &pki).expect("start CRL server");
        Fixture { pki, server }
    })
}

/// The test trust store: the test root as anchor, the test CAs as pool.
pub fn test_store(pki: &TestPki) -> TrustStore {
    TrustStore::Test {
        anchors: vec![pki.root.cert_der.clone()],
        pool: vec![
            pki.signing_ca.cert_der.clone(),
            pki.auth_ca.cert_der.clone(),
        ],
        label: "TEST (inkan-testpki)".into(),
    }
}

/// Only the test root, nothing in the store's pool: the CAs must come from
/// the pool a test passes.
pub fn root_only_store(pki: &TestPki) -> TrustStore {
    TrustStore::Test {
        anchors: vec![pki.root.cert_der.clone()],
        pool: Vec::new(),
        label: "TEST".into(),
    }
}

/// Online, no cache, short timeout.
pub fn online() -> RevocationConfig {
    RevocationConfig {
        timeout: Duration::from_secs(5),
        ..RevocationConfig::default()
    }
}

/// Offline with the PKI's fresh CRLs given.
pub fn given_crls(pki: &TestPki) -> RevocationConfig {
    RevocationConfig {
        crls: pki.crls.iter().map(|c| c.der.clone()).collect(),
        ..RevocationConfig::offline()
    }
}

/// A fresh, empty directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inkan-trust-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Validates `ee` now (the PKI's time), HPKI profile, with the PKI's CRLs
/// given and `pool` as the certificates the signature carried.
pub fn validate_with_pool(
    ee: &[u8],
    trust: &TrustStore,
    pki: &TestPki,
    pool: &[Vec<u8>],
) -> PathReport {
    validate(
        ee,
        trust,
        pki.now,
        ValidationProfile::Hpki,
        &given_crls(pki),
        pool,
    )
}

/// Validates `ee` with the given settings.
pub fn validate(
    ee: &[u8],
    trust: &TrustStore,
    at: SystemTime,
    profile: ValidationProfile,
    revocation: &RevocationConfig,
    pool: &[Vec<u8>],
) -> PathReport {
    validate_path(&PathInput {
        end_entity: ee,
        pool,
        trust,
        at,
        profile,
        revocation,
        policy: None,
    })
}
