//! Shared by the time-stamp scenario files: one test PKI with its CRLs on
//! loopback, signing, stamping and explaining reports.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, CrlServer, PkiConfig, TestPki, TestTsa};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{DocumentPolicy, Options, ValidationReport};
use sha2::Digest;

pub const LETTER: &[u8] = "診療情報提供書 (time-stamp scenarios)".as_bytes();
pub const DAY: u64 = 86_400;
pub const HOUR: u64 = 3_600;

pub struct Fixture {
    pub pki: TestPki,
    _server: CrlServer,
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let pki = inkan_testpki::generate(&PkiConfig::default().with_crl_port(port)).unwrap();
        let server = CrlServer::start(listener, &pki).unwrap();
        Fixture {
            pki,
            _server: server,
        }
    })
}

pub fn pki() -> &'static TestPki {
    &fixture().pki
}

pub fn ago(secs: u64) -> SystemTime {
    pki().now - Duration::from_secs(secs)
}

pub fn sign_with(cert: Vec<u8>, key: rsa::PrivateKey) -> Vec<u8> {
    let mut s = SoftwareSigner::new(cert, key);
    inkan_cades::sign(
        LETTER,
        &mut s,
        &SignOptions {
            attached: false,
            signing_time: pki().now,
            extra_certificates: vec![pki().ca(CaId::SigningCa).cert_der.clone()],
        },
    )
    .unwrap()
}

pub fn sign_as(id: &str) -> Vec<u8> {
    let ident = pki().identity(id).unwrap();
    sign_with(ident.cert_der.clone(), ident.key.clone())
}

/// The test TSA (its certificate under the test root), stamping at `t`.
pub fn tsa_at(t: SystemTime) -> TestTsa {
    let mut tsa = TestTsa::new(pki()).unwrap();
    tsa.time = Some(t);
    tsa
}

pub fn sig_value(sig: &[u8], index: usize) -> Vec<u8> {
    inkan_cades::parse(sig).unwrap().signers[index]
        .signature
        .clone()
}

/// `sig` with a signature-time-stamp by `tsa` (its genTime) on signer `index`.
pub fn stamp(sig: &[u8], index: usize, tsa: &TestTsa) -> Vec<u8> {
    let imprint = sha2::Sha256::digest(sig_value(sig, index)).to_vec();
    let token = tsa.token(&imprint, None, 7).unwrap();
    inkan_cades::augment::add_signature_timestamp(sig, index, &token).unwrap()
}

/// The test root as the only signer and TSA anchor, at `at`.
pub fn options(at: SystemTime, revocation: RevocationConfig) -> Options {
    Options {
        trust: TrustStore::Test {
            anchors: vec![pki().root.cert_der.clone()],
            pool: Vec::new(),
            label: "test PKI".into(),
        },
        at: Some(at),
        revocation,
        policy: DocumentPolicy::ReferralLetter,
        tsa_trust: vec![pki().root.cert_der.clone()],
    }
}

/// The verdict and every time-stamp's, for assertion messages.
pub fn explain(r: &ValidationReport) -> String {
    let ts: Vec<String> = r
        .signers
        .iter()
        .flat_map(|s| s.timestamps.iter())
        .map(|t| {
            format!(
                "[{} {} gen={:?} detail={:?}]",
                t.kind,
                t.indication,
                t.gen_time,
                t.detail.as_ref().map(|d| d.en.clone())
            )
        })
        .collect();
    format!(
        "{} {:?} {} bst={:?} ts={}",
        r.indication.as_str(),
        r.sub_indication,
        r.summary.en,
        r.best_signature_time,
        ts.join(" ")
    )
}
