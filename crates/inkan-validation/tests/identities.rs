//! Every test-PKI identity, signed with a software key and validated against
//! the TEST trust store with CRLs from a loopback server, gets the indication a
//! receiving doctor must see. Scenario names follow the identity.

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, CrlServer, PkiConfig, TestPki};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{validate, DocumentPolicy, Indication, Options, ValidationReport};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

struct Fixture {
    pki: TestPki,
    _server: CrlServer,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let pki =
            inkan_testpki::generate(&PkiConfig::default().with_crl_port(port)).expect("test PKI");
        let server = CrlServer::start(listener, &pki).expect("CRL server");
        Fixture {
            pki,
            _server: server,
        }
    })
}

fn test_trust(pki: &TestPki) -> TrustStore {
    TrustStore::Test {
        anchors: vec![pki.ca(CaId::Root).cert_der.clone()],
        pool: Vec::new(),
        label: "test PKI".into(),
    }
}

fn sign_as(id: &str, content: &[u8]) -> Vec<u8> {
    let pki = &fixture().pki;
    let ident = pki.identity(id).expect("identity");
    let mut signer = SoftwareSigner::new(ident.cert_der.clone(), ident.key.clone());
    let issuer = pki.ca(ident.issuer).cert_der.clone();
    inkan_cades::sign(
        content,
        &mut signer,
        &SignOptions {
            attached: false,
            signing_time: SystemTime::now(),
            extra_certificates: vec![issuer],
        },
    )
    .expect("sign")
}

fn verify_as(id: &str, policy: DocumentPolicy, at: Option<SystemTime>) -> ValidationReport {
    let content = "診療情報提供書".as_bytes();
    let sig = sign_as(id, content);
    let pki = &fixture().pki;
    validate(
        &sig,
        Some(content),
        &Options {
            trust: test_trust(pki),
            at,
            revocation: RevocationConfig {
                timeout: Duration::from_secs(5),
                ..RevocationConfig::default()
            },
            policy,
            tsa_trust: Vec::new(),
        },
    )
}

fn expect(id: &str, ind: Indication, sub: Option<&str>) {
    let r = verify_as(id, DocumentPolicy::AnyQualification, None);
    assert_eq!(
        (r.indication, r.sub_indication.as_deref()),
        (ind, sub),
        "{id}: {}",
        r.summary.en
    );
}

#[test]
fn doctor_is_total_passed_with_qualification_ishi() {
    let r = verify_as("doctor", DocumentPolicy::ReferralLetter, None);
    assert_eq!(r.indication, Indication::TotalPassed, "{}", r.summary.en);
    let s = r.signer.expect("signer");
    assert_eq!(s.qualification_ja.as_deref(), Some("医師"));
    assert!(r.trust.test);
    let path = r.path.expect("path report");
    assert!(path
        .revocation
        .iter()
        .all(|x| !matches!(x.status, inkan_trust::RevocationStatus::Unknown { .. })));
}

#[test]
fn dentist_may_sign_a_referral_letter() {
    let r = verify_as("dentist", DocumentPolicy::ReferralLetter, None);
    assert_eq!(r.indication, Indication::TotalPassed, "{}", r.summary.en);
}

#[test]
fn pharmacist_signing_a_referral_letter_fails_the_document_policy() {
    let r = verify_as("pharmacist", DocumentPolicy::ReferralLetter, None);
    assert_ne!(r.indication, Indication::TotalPassed);
    assert_eq!(r.sub_indication.as_deref(), Some("SIG_CONSTRAINTS_FAILURE"));
    assert!(r.summary.ja.contains("薬剤師"), "{}", r.summary.ja);
    // Any qualification: a valid HPKI signature.
    expect("pharmacist", Indication::TotalPassed, None);
}

#[test]
fn nurse_and_director_are_valid_hpki_signers() {
    expect("nurse", Indication::TotalPassed, None);
    expect("director", Indication::TotalPassed, None);
}

#[test]
fn expired_certificate_is_out_of_bounds() {
    expect(
        "expired",
        Indication::Indeterminate,
        Some("OUT_OF_BOUNDS_NO_POE"),
    );
}

#[test]
fn not_yet_valid_certificate_is_not_yet_valid() {
    expect(
        "not-yet-valid",
        Indication::Indeterminate,
        Some("NOT_YET_VALID"),
    );
}

#[test]
fn revoked_before_validation_is_not_passed() {
    let r = verify_as("revoked", DocumentPolicy::AnyQualification, None);
    assert_ne!(r.indication, Indication::TotalPassed);
    assert_eq!(r.sub_indication.as_deref(), Some("REVOKED_NO_POE"));
}

#[test]
fn revoked_certificate_validated_before_its_revocation_passes() {
    // Three days ago the certificate was not yet revoked: the current CRL dates
    // the revocation two days ago, after the validation time.
    let at = SystemTime::now() - Duration::from_secs(3 * 86_400);
    let r = verify_as("revoked", DocumentPolicy::AnyQualification, Some(at));
    assert_eq!(r.indication, Indication::TotalPassed, "{}", r.summary.en);
    assert_eq!(r.time_source, inkan_validation::TimeSource::Explicit);
}

#[test]
fn authentication_certificate_is_not_for_signing() {
    expect(
        "auth",
        Indication::Indeterminate,
        Some("CHAIN_CONSTRAINTS_FAILURE"),
    );
}

#[test]
fn digital_signature_only_key_usage_is_rejected() {
    expect(
        "digsig-only",
        Indication::Indeterminate,
        Some("CHAIN_CONSTRAINTS_FAILURE"),
    );
}

#[test]
fn missing_signing_policy_is_rejected() {
    expect(
        "no-policy",
        Indication::Indeterminate,
        Some("CHAIN_CONSTRAINTS_FAILURE"),
    );
}

#[test]
fn malformed_hcrole_is_rejected() {
    expect(
        "bad-hcrole",
        Indication::Indeterminate,
        Some("SIG_CONSTRAINTS_FAILURE"),
    );
}

#[test]
fn weak_1024_bit_key_is_indeterminate_crypto_constraints() {
    let r = verify_as("weak-key", DocumentPolicy::AnyQualification, None);
    assert_eq!(r.indication, Indication::Indeterminate, "{}", r.summary.en);
    assert_eq!(
        r.sub_indication.as_deref(),
        Some("CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
    );
}

#[test]
fn sha1_signed_certificate_fails_crypto_constraints() {
    expect(
        "sha1",
        Indication::Indeterminate,
        Some("CRYPTO_CONSTRAINTS_FAILURE_NO_POE"),
    );
}

#[test]
fn look_alike_chain_under_an_untrusted_root_has_no_chain() {
    expect(
        "rogue",
        Indication::Indeterminate,
        Some("NO_CERTIFICATE_CHAIN_FOUND"),
    );
}

#[test]
fn every_identity_in_the_test_pki_is_covered() {
    let covered = [
        "doctor",
        "dentist",
        "pharmacist",
        "nurse",
        "director",
        "expired",
        "not-yet-valid",
        "revoked",
        "auth",
        "digsig-only",
        "no-policy",
        "bad-hcrole",
        "weak-key",
        "sha1",
        "rogue",
    ];
    for id in fixture().pki.identities.keys() {
        assert!(
            covered.contains(&id.as_str()),
            "identity {id} has no scenario test"
        );
    }
}

#[test]
fn the_shipped_trust_store_does_not_trust_the_test_root() {
    let content = b"letter";
    let sig = sign_as("doctor", content);
    let r = validate(
        &sig,
        Some(content),
        &Options {
            trust: TrustStore::default_store().expect("shipped store"),
            at: None,
            revocation: RevocationConfig::offline(),
            policy: DocumentPolicy::ReferralLetter,
            tsa_trust: Vec::new(),
        },
    );
    assert_eq!(
        r.sub_indication.as_deref(),
        Some("NO_CERTIFICATE_CHAIN_FOUND")
    );
    assert!(!r.trust.test);
}

#[test]
fn report_json_has_the_documented_shape() {
    let r = verify_as("doctor", DocumentPolicy::ReferralLetter, None);
    let v = serde_json::to_value(&r).expect("JSON");
    assert_eq!(v["schema"], inkan_validation::REPORT_SCHEMA);
    for key in [
        "indication",
        "sub_indication",
        "summary",
        "trust",
        "validation_time",
        "time_source",
        "claimed_signing_time",
        "signer",
        "checks",
        "path",
        "policy",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        ids,
        [
            "format",
            "signer_identification",
            "content_digest",
            "signature_value",
            "chain",
            "revocation",
            "hpki_profile",
            "qualification",
            "document_policy"
        ]
    );
}
