//! The per-process caches (verified signatures in `inkan-pkcs1`, parsed
//! certificates and name texts in `inkan-trust`) make a batch faster and
//! never change a verdict: the same mixed batch (valid, tampered, revoked,
//! expired, weak key, wrong role, forged signature, a genuine signature
//! value over altered signed attributes) gives the same reports
//! with the signature cache on and off, and twice in a row with it on.
//! (Reused paths, `inkan_trust::reuse`, have their own scenarios in
//! `path_reuse.rs`; here every CRL is fetched, so no path is reused.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, CrlServer, PkiConfig, TestPki};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{validate, DocumentPolicy, Options};

fn batch(pki: &TestPki) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, id) in [
        "doctor",
        "dentist",
        "revoked",
        "expired",
        "weak-key",
        "bad-hcrole",
        "pharmacist",
        "doctor",
    ]
    .iter()
    .enumerate()
    {
        let ident = pki.identity(id).unwrap();
        let mut s = SoftwareSigner::new(ident.cert_der.clone(), ident.key.clone());
        let content = format!("<letter>{i} {id}</letter>").into_bytes();
        let sig = inkan_cades::sign(
            &content,
            &mut s,
            &SignOptions {
                attached: false,
                signing_time: pki.now,
                extra_certificates: vec![pki.ca(CaId::SigningCa).cert_der.clone()],
            },
        )
        .unwrap();
        out.push((content, sig));
    }
    // Tampered content, and a signature value with one bit flipped.
    let (c, s) = out[0].clone();
    out.push((b"<letter>changed</letter>".to_vec(), s.clone()));
    let mut forged = s.clone();
    let n = forged.len();
    forged[n - 10] ^= 1;
    out.push((c.clone(), forged));
    // The same signature value over altered signed attributes (one digit of
    // the signing time): a cache that forgot the message would pass it, as
    // the genuine letter was verified just before.
    let mut altered = s;
    // id-signingTime (1.2.840.113549.1.9.5), SET, UTCTime "YYMMDDHHMMSSZ".
    const SIGNING_TIME: [u8; 11] = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05,
    ];
    let at = altered
        .windows(SIGNING_TIME.len())
        .position(|w| w == SIGNING_TIME)
        .expect("signing-time attribute");
    assert_eq!(altered[at + 11..at + 15], [0x31, 0x0f, 0x17, 0x0d]);
    altered[at + 15 + 11] ^= 0x01;
    out.push((c, altered));
    out
}

fn reports(pki: &TestPki, letters: &[(Vec<u8>, Vec<u8>)]) -> Vec<serde_json::Value> {
    let opts = Options {
        trust: TrustStore::Test {
            anchors: vec![pki.root.cert_der.clone()],
            pool: Vec::new(),
            label: "test".into(),
        },
        at: Some(pki.now + Duration::from_secs(3600)),
        revocation: RevocationConfig {
            timeout: Duration::from_secs(5),
            ..RevocationConfig::default()
        },
        policy: DocumentPolicy::ReferralLetter,
        tsa_trust: Vec::new(),
    };
    letters
        .iter()
        .map(|(c, s)| serde_json::to_value(validate(s, Some(c), &opts)).unwrap())
        .collect()
}

#[test]
fn a_batch_gives_the_same_reports_with_and_without_the_cache() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let pki = inkan_testpki::generate(&PkiConfig::default().with_crl_port(port)).unwrap();
    let _server = CrlServer::start(listener, &pki).unwrap();
    let letters = batch(&pki);

    inkan_pkcs1::set_cache_enabled(false);
    inkan_trust::reuse::set_enabled(false);
    let (v0, h0) = inkan_pkcs1::counters();
    let uncached = reports(&pki, &letters);
    let (v1, h1) = inkan_pkcs1::counters();
    assert_eq!(h1, h0, "no answer from a disabled cache");

    inkan_pkcs1::set_cache_enabled(true);
    inkan_trust::reuse::set_enabled(true);
    let first = reports(&pki, &letters);
    let second = reports(&pki, &letters);
    let (v2, h2) = inkan_pkcs1::counters();
    assert!(h2 > h1, "the cache answered");
    assert!(
        v2 - v1 < v1 - v0,
        "fewer RSA operations with the cache: {} vs {}",
        v2 - v1,
        v1 - v0
    );

    let verdicts: Vec<String> = uncached
        .iter()
        .map(|r| r["indication"].as_str().unwrap_or("?").to_owned())
        .collect();
    // The batch really is mixed.
    assert!(verdicts.iter().any(|v| v == "TOTAL_PASSED"), "{verdicts:?}");
    assert!(verdicts.iter().any(|v| v == "TOTAL_FAILED"), "{verdicts:?}");
    assert!(
        verdicts.iter().any(|v| v == "INDETERMINATE"),
        "{verdicts:?}"
    );
    let last = uncached.last().unwrap();
    assert_eq!(last["sub_indication"], "SIG_CRYPTO_FAILURE", "{last:#}");
    for (i, ((a, b), c)) in uncached.iter().zip(&first).zip(&second).enumerate() {
        assert_eq!(a, b, "letter {i}: cache on changed the report");
        assert_eq!(a, c, "letter {i}: a warm cache changed the report");
    }
}
