//! Whole-signature scenarios: several signers, a content type that is not a
//! document, and a signature file stuffed with look-alike CA certificates.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, CrlServer, PkiConfig, TestPki};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{validate, DocumentPolicy, Indication, Options, ValidationReport};

const LETTER: &[u8] = "診療情報提供書 (co-signed)".as_bytes();

struct Fixture {
    pki: TestPki,
    _server: CrlServer,
}

fn fixture() -> &'static Fixture {
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

fn signer(id: &str) -> SoftwareSigner {
    let ident = fixture().pki.identity(id).unwrap();
    SoftwareSigner::new(ident.cert_der.clone(), ident.key.clone())
}

fn opts() -> SignOptions {
    let pki = &fixture().pki;
    SignOptions {
        attached: false,
        signing_time: pki.now,
        extra_certificates: vec![pki.ca(CaId::SigningCa).cert_der.clone()],
    }
}

fn check(sig: &[u8]) -> ValidationReport {
    let pki = &fixture().pki;
    validate(
        sig,
        Some(LETTER),
        &Options {
            trust: TrustStore::Test {
                anchors: vec![pki.ca(CaId::Root).cert_der.clone()],
                pool: Vec::new(),
                label: "test PKI".into(),
            },
            at: Some(pki.now),
            revocation: RevocationConfig {
                timeout: Duration::from_secs(5),
                ..RevocationConfig::default()
            },
            policy: DocumentPolicy::ReferralLetter,
            tsa_trust: Vec::new(),
        },
    )
}

#[test]
fn co_signed_letter_lists_two_signers_and_is_valid_when_both_are() {
    let sig = inkan_cades::testing::co_sign(
        LETTER,
        &mut signer("doctor"),
        &mut signer("dentist"),
        &opts(),
    )
    .unwrap();
    let r = check(&sig);
    assert_eq!(r.signers.len(), 2, "{}", r.summary.en);
    assert!(r
        .signers
        .iter()
        .all(|s| s.indication == Indication::TotalPassed));
    assert_eq!(r.indication, Indication::TotalPassed, "{}", r.summary.en);
    let names: Vec<&str> = r
        .signers
        .iter()
        .map(|s| s.signer.as_ref().unwrap().name.as_str())
        .collect();
    assert!(
        names.contains(&"Taro TEST") && names.contains(&"Hanako TEST"),
        "{names:?}"
    );
    assert!(
        r.summary.ja.contains("2 名の署名がすべて有効"),
        "{}",
        r.summary.ja
    );
    let text = inkan_validation::render_text(&r, inkan_l10n::Lang::Ja);
    assert!(text.contains("署名者ごとの判定"), "{text}");
}

#[test]
fn co_signed_letter_takes_the_worst_signer_verdict() {
    // A revoked co-signer: the document is not 有効, and the report says
    // which signer decided.
    let sig = inkan_cades::testing::co_sign(
        LETTER,
        &mut signer("doctor"),
        &mut signer("revoked"),
        &opts(),
    )
    .unwrap();
    let r = check(&sig);
    assert_eq!(r.signers.len(), 2);
    assert_eq!(r.indication, Indication::Indeterminate, "{}", r.summary.en);
    assert_eq!(r.sub_indication.as_deref(), Some("REVOKED_NO_POE"));
    let revoked = r
        .signers
        .iter()
        .find(|s| s.indication != Indication::TotalPassed)
        .unwrap();
    assert_eq!(
        r.signer.as_ref().unwrap().name,
        revoked.signer.as_ref().unwrap().name
    );
    assert!(r.summary.en.starts_with("signer "), "{}", r.summary.en);
}

#[test]
fn a_signature_over_something_other_than_a_document_fails() {
    // id-ct-TSTInfo: a time-stamp token's content, not a letter.
    let oid = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
    let sig =
        inkan_cades::testing::sign_with_econtent_type(LETTER, &mut signer("doctor"), &opts(), oid)
            .unwrap();
    let r = check(&sig);
    assert_eq!(r.indication, Indication::TotalFailed, "{}", r.summary.en);
    assert_eq!(r.sub_indication.as_deref(), Some("FORMAT_FAILURE"));
    assert_eq!(
        r.checks[0].code.as_deref(),
        Some("cades.not_document_content")
    );
}

#[test]
fn a_signature_stuffed_with_look_alike_cas_gets_its_verdict_in_under_a_second() {
    let pki = &fixture().pki;
    let ca = pki.ca(CaId::SigningCa);
    let mut o = opts();
    let mut extra = inkan_testpki::craft::look_alikes(&ca.cert_der, &ca.key, 60);
    extra.push(ca.cert_der.clone());
    o.extra_certificates = extra;
    let sig = inkan_cades::sign(LETTER, &mut signer("doctor"), &o).unwrap();
    let started = Instant::now();
    let r = check(&sig);
    let took = started.elapsed();
    assert_eq!(r.indication, Indication::TotalPassed, "{}", r.summary.en);
    assert!(took < Duration::from_secs(1), "took {took:?}");
    // Without the real CA, a verdict (no chain), as quickly.
    let mut o = opts();
    o.extra_certificates = inkan_testpki::craft::look_alikes(&ca.cert_der, &ca.key, 60);
    let sig = inkan_cades::sign(LETTER, &mut signer("doctor"), &o).unwrap();
    let started = Instant::now();
    let r = check(&sig);
    let took = started.elapsed();
    assert_eq!(r.indication, Indication::Indeterminate, "{}", r.summary.en);
    assert_eq!(
        r.sub_indication.as_deref(),
        Some("NO_CERTIFICATE_CHAIN_FOUND")
    );
    assert!(took < Duration::from_secs(1), "took {took:?}");
}
