//! Verdicts that used to be wrong in the dangerous direction: CRL scope and
//! choice (RFC 5280 §6.3.3), the CRL signer's cRLSign, the HPKI CA roles and
//! extKeyUsage, and certificate text that could act on a display. Each test
//! builds its certificates and CRLs from the test PKI.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{fixture, root_only_store, temp_dir, test_store, validate, validate_with_pool};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode};
use inkan_testpki::craft::{
    crl, crl_with_entries, extension as ext, generalized_time, resigned, with_extensions,
};
use inkan_testpki::TestPki;
use inkan_trust::crl::cache_path;
use inkan_trust::{PathFailure, PathStatus, RevocationConfig, RevocationStatus, ValidationProfile};
use x509_cert::Certificate;

const DAY: Duration = Duration::from_secs(86_400);

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

/// Validates `cert` at the PKI's time with the test store, HPKI profile.
fn now(pki: &TestPki, cert: &[u8], rev: &RevocationConfig) -> inkan_trust::PathReport {
    validate(
        cert,
        &test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        rev,
        &[],
    )
}

fn serial_of(cert: &[u8]) -> Vec<u8> {
    Certificate::from_der(cert)
        .unwrap()
        .tbs_certificate()
        .serial_number()
        .as_bytes()
        .to_vec()
}

fn arl(pki: &TestPki) -> Vec<u8> {
    pki.crl("arl.crl").unwrap().der.clone()
}

fn offline_with(signature_crls: Vec<Vec<u8>>, crls: Vec<Vec<u8>>) -> RevocationConfig {
    RevocationConfig {
        signature_crls,
        crls,
        ..RevocationConfig::offline()
    }
}

/// issuingDistributionPoint with only onlySomeReasons {keyCompromise}.
fn idp_only_key_compromise() -> Vec<u8> {
    // SEQUENCE { [3] IMPLICIT BIT STRING (keyCompromise = bit 1) }
    vec![0x30, 0x04, 0x83, 0x02, 0x06, 0x40]
}

/// issuingDistributionPoint with onlyContainsCACerts TRUE.
fn idp_only_ca_certs() -> Vec<u8> {
    vec![0x30, 0x03, 0x82, 0x01, 0xFF]
}

#[test]
fn partial_reasons_crl_in_the_signature_does_not_clear_a_revoked_signer() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("revoked").unwrap();
    let ca = &pki.signing_ca;
    // Newer than the CA's real CRL, fresh, does not list the signer, but
    // covers keyCompromise only.
    let partial = crl(
        &ca.cert_der,
        &ca.key,
        pki.now - DAY / 2,
        pki.now + 7 * DAY,
        &[],
        vec![ext("2.5.29.28", true, idp_only_key_compromise())],
        90,
    );
    let r = now(
        pki,
        &id.cert_der,
        &offline_with(vec![partial.clone(), arl(pki)], vec![]),
    );
    assert!(
        matches!(r.status.failure(), Some(PathFailure::RevocationUnknown { why, .. }) if why.contains("only some revocation reasons")),
        "{:?}",
        r.status
    );
    // With the complete CRL as well, the revocation is found.
    let r = now(
        pki,
        &id.cert_der,
        &offline_with(
            vec![partial],
            vec![pki.crl("sign-ca.crl").unwrap().der.clone(), arl(pki)],
        ),
    );
    assert!(
        matches!(
            r.status.failure(),
            Some(PathFailure::Revoked { ca: false, .. })
        ),
        "{:?}",
        r.status
    );
}

#[test]
fn ca_only_crl_in_the_signature_does_not_clear_a_revoked_signer() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("revoked").unwrap();
    let ca = &pki.signing_ca;
    let ca_only = crl(
        &ca.cert_der,
        &ca.key,
        pki.now - DAY / 2,
        pki.now + 7 * DAY,
        &[],
        vec![ext("2.5.29.28", true, idp_only_ca_certs())],
        91,
    );
    let r = now(
        pki,
        &id.cert_der,
        &offline_with(vec![ca_only, arl(pki)], vec![]),
    );
    assert!(
        matches!(r.status.failure(), Some(PathFailure::RevocationUnknown { why, .. }) if why.contains("onlyContainsCACerts")),
        "{:?}",
        r.status
    );
}

#[test]
fn old_embedded_crl_does_not_hide_a_revocation_listed_in_a_newer_cached_crl() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("revoked").unwrap();
    let ca = &pki.signing_ca;
    // Issued before the revocation, still within its nextUpdate: on its own
    // it says "good".
    let old = crl(
        &ca.cert_der,
        &ca.key,
        pki.now - 10 * DAY,
        pki.now + 20 * DAY,
        &[],
        vec![],
        1,
    );
    let alone = now(
        pki,
        &id.cert_der,
        &offline_with(vec![old.clone(), arl(pki)], vec![]),
    );
    assert_eq!(alone.status, PathStatus::Passed, "{:?}", alone.status);
    // The cache holds the CA's current CRL, which lists the signer.
    let dir = temp_dir("old-embedded");
    let url = pki.crl_url("sign-ca.crl");
    std::fs::write(cache_path(&dir, &url), &pki.crl("sign-ca.crl").unwrap().der).unwrap();
    let r = now(
        pki,
        &id.cert_der,
        &RevocationConfig {
            cache_dir: Some(dir.clone()),
            ..offline_with(vec![old, arl(pki)], vec![])
        },
    );
    assert!(
        matches!(
            r.status.failure(),
            Some(PathFailure::Revoked { ca: false, .. })
        ),
        "{:?}",
        r.status
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_revocation_in_an_older_crl_is_not_undone_by_a_newer_one() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let ca = &pki.signing_ca;
    let serial = serial_of(&id.cert_der);
    let listing = crl(
        &ca.cert_der,
        &ca.key,
        pki.now - 3 * DAY,
        pki.now + 20 * DAY,
        &[(&serial, pki.now - 4 * DAY)],
        vec![],
        5,
    );
    let newer_without = crl(
        &ca.cert_der,
        &ca.key,
        pki.now - DAY,
        pki.now + 20 * DAY,
        &[],
        vec![],
        6,
    );
    let r = now(
        pki,
        &id.cert_der,
        &offline_with(vec![newer_without, arl(pki)], vec![listing]),
    );
    assert!(
        matches!(r.status.failure(), Some(PathFailure::Revoked { .. })),
        "{:?}",
        r.status
    );
}

#[test]
fn crl_signed_by_a_key_without_crl_sign_is_not_evidence() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    // The signing CA's certificate again, with keyUsage keyCertSign only.
    let ca = resigned(&pki.signing_ca.cert_der, &pki.root.key, |fields| {
        with_extensions(fields, |exts| {
            for e in exts.iter_mut() {
                if e.extn_id == oid("2.5.29.15") {
                    // BIT STRING, 2 unused bits, keyCertSign (bit 5).
                    e.extn_value = OctetString::new(vec![0x03, 0x02, 0x02, 0x04]).unwrap();
                }
            }
        })
    });
    let r = validate_with_pool(&id.cert_der, &root_only_store(pki), pki, &[ca]);
    assert!(
        matches!(r.status.failure(), Some(PathFailure::RevocationUnknown { why, .. }) if why.contains("cRLSign")),
        "{:?}",
        r.status
    );
}

#[test]
fn signer_issued_by_an_authentication_ca_fails_whatever_it_asserts() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let auth = Certificate::from_der(&pki.auth_ca.cert_der).unwrap();
    let auth_name = Any::encode_from(auth.tbs_certificate().subject()).unwrap();
    let auth_ski = auth
        .tbs_certificate()
        .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
        .unwrap()
        .unwrap()
        .1;
    // The doctor's signing certificate (signing policy, nonRepudiation,
    // hcRole), but issued and signed by the authentication CA.
    let cert = resigned(&id.cert_der, &pki.auth_ca.key, |fields| {
        fields[3] = auth_name;
        with_extensions(fields, |exts| {
            for e in exts.iter_mut() {
                if e.extn_id == oid("2.5.29.35") {
                    let aki = x509_cert::ext::pkix::AuthorityKeyIdentifier {
                        key_identifier: Some(auth_ski.0.clone()),
                        authority_cert_issuer: None,
                        authority_cert_serial_number: None,
                    };
                    e.extn_value = OctetString::new(aki.to_der().unwrap()).unwrap();
                }
            }
        })
    });
    let r = validate_with_pool(&cert, &test_store(pki), pki, &[]);
    assert!(
        matches!(
            r.status.failure(),
            Some(PathFailure::AuthenticationCertificate { .. })
        ),
        "{:?}",
        r.status
    );
    assert_eq!(r.status.sub_indication(), Some("CHAIN_CONSTRAINTS_FAILURE"));
}

#[test]
fn critical_client_auth_only_extended_key_usage_fails() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let cert = resigned(&id.cert_der, &pki.signing_ca.key, |fields| {
        with_extensions(fields, |exts| {
            // SEQUENCE { id-kp-clientAuth }
            let eku = vec![
                0x30, 0x0A, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
            ];
            exts.push(ext("2.5.29.37", true, eku));
        })
    });
    let r = validate_with_pool(&cert, &test_store(pki), pki, &[]);
    assert!(
        matches!(r.status.failure(), Some(PathFailure::ExtendedKeyUsage { found, .. }) if found.contains("1.3.6.1.5.5.7.3.2")),
        "{:?}",
        r.status
    );
    // The same extension, not critical, is advice, and a critical one that
    // allows document signing passes.
    let cert = resigned(&id.cert_der, &pki.signing_ca.key, |fields| {
        with_extensions(fields, |exts| {
            // SEQUENCE { id-kp-documentSigning (RFC 9336) }
            let eku = vec![
                0x30, 0x0A, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24,
            ];
            exts.push(ext("2.5.29.37", true, eku));
        })
    });
    let r = validate_with_pool(&cert, &test_store(pki), pki, &[]);
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
}

#[test]
fn duplicated_or_malformed_ca_key_usage_fails_closed() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let twice = resigned(&pki.signing_ca.cert_der, &pki.root.key, |fields| {
        with_extensions(fields, |exts| {
            let ku = exts
                .iter()
                .find(|e| e.extn_id == oid("2.5.29.15"))
                .unwrap()
                .clone();
            exts.push(ku);
        })
    });
    let malformed = resigned(&pki.signing_ca.cert_der, &pki.root.key, |fields| {
        with_extensions(fields, |exts| {
            for e in exts.iter_mut() {
                if e.extn_id == oid("2.5.29.15") {
                    e.extn_value = OctetString::new(vec![0x04, 0x01, 0x00]).unwrap();
                }
            }
        })
    });
    for (what, ca) in [("duplicated", twice), ("malformed", malformed)] {
        let r = validate_with_pool(&id.cert_der, &root_only_store(pki), pki, &[ca]);
        assert!(
            matches!(r.status.failure(), Some(PathFailure::Rfc5280 { .. })),
            "{what}: {:?}",
            r.status
        );
    }
}

#[test]
fn control_characters_in_certificate_names_are_shown_escaped() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    // CN = "Evil\x1b[2J\u{202E}Name" as UTF8String.
    let cn = "Evil\u{1b}[2J\u{202E}Name";
    let name = {
        let mut atv = vec![0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, cn.len() as u8];
        atv.extend(cn.as_bytes());
        let mut seq = vec![0x30, atv.len() as u8];
        seq.extend(atv);
        let mut set = vec![0x31, seq.len() as u8];
        set.extend(seq);
        let mut name = vec![0x30, set.len() as u8];
        name.extend(set);
        Any::from_der(&name).unwrap()
    };
    let cert = resigned(&id.cert_der, &pki.signing_ca.key, |fields| fields[5] = name);
    let r = validate_with_pool(&cert, &test_store(pki), pki, &[]);
    let json = serde_json::to_string(&r).unwrap();
    for text in [json.as_str(), r.chain[0].subject.as_str()] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202E}'),
            "{text}"
        );
        assert!(!text.contains("\\u001b"), "{text}");
    }
    // RFC 4514 writes the ESC as a hex pair; the override is escaped too.
    assert!(
        r.chain[0].subject.contains("\\1b[2J\\u{202E}Name"),
        "{}",
        r.chain[0].subject
    );
    let h = inkan_trust::holder::summarize(&cert).unwrap();
    assert_eq!(h.name, "Evil\\u{001B}[2J\\u{202E}Name");
    // The revocation report names it the same way.
    assert!(r.revocation.iter().all(|i| !i.subject.contains('\u{1b}')));
    assert!(matches!(r.revocation[0].status, RevocationStatus::Good));
}

/// For a validation time in the past: a CRL issued after the certificate
/// expired may have dropped it, so not being listed there proves nothing,
/// unless the CRL says it keeps expired certificates (ExpiredCertsOnCRL).
#[test]
fn crl_issued_after_the_signer_expired_proves_nothing_by_omission() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("expired").unwrap();
    let ca = &pki.signing_ca;
    let not_after = Certificate::from_der(&id.cert_der)
        .unwrap()
        .tbs_certificate()
        .validity()
        .not_after
        .to_system_time();
    let at = not_after - 2 * DAY;
    let late = crl(
        &ca.cert_der,
        &ca.key,
        pki.now - DAY,
        pki.now + 7 * DAY,
        &[],
        vec![],
        20,
    );
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        at,
        ValidationProfile::Hpki,
        &offline_with(vec![late, arl(pki)], vec![]),
        &[],
    );
    assert!(
        matches!(r.status.failure(), Some(PathFailure::RevocationUnknown { why, .. }) if why.contains("after the certificate expired")),
        "{:?}",
        r.status
    );
    let keeps = crl(
        &ca.cert_der,
        &ca.key,
        pki.now - DAY,
        pki.now + 7 * DAY,
        &[],
        vec![ext(
            "2.5.29.60",
            false,
            generalized_time(not_after - 365 * DAY),
        )],
        21,
    );
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        at,
        ValidationProfile::Hpki,
        &offline_with(vec![keeps, arl(pki)], vec![]),
        &[],
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
}

/// A key compromise found late: the CA revokes today but says the key was
/// compromised ten days ago (invalidityDate). A signature checked at a time
/// in between is not from a valid certificate.
#[test]
fn invalidity_date_before_the_validation_time_revokes() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let ca = &pki.signing_ca;
    let serial = serial_of(&id.cert_der);
    let entry_exts = vec![
        ext("2.5.29.21", false, vec![0x0A, 0x01, 0x01]),
        ext("2.5.29.24", false, generalized_time(pki.now - 10 * DAY)),
    ];
    let listing = crl_with_entries(
        &ca.cert_der,
        &ca.key,
        pki.now - DAY / 2,
        pki.now + 7 * DAY,
        &[(&serial, pki.now - DAY, entry_exts)],
        vec![],
        30,
    );
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        pki.now - 5 * DAY,
        ValidationProfile::Hpki,
        &offline_with(vec![listing, arl(pki)], vec![]),
        &[],
    );
    assert!(
        matches!(r.status.failure(), Some(PathFailure::Revoked { reason: Some(r), .. }) if r == "KeyCompromise"),
        "{:?}",
        r.status
    );
}

/// The path's certificates come with the report, for long-term validation data.
#[test]
fn the_report_carries_the_path_certificates() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let r = now(
        pki,
        &id.cert_der,
        &offline_with(vec![], pki.crls.iter().map(|c| c.der.clone()).collect()),
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    assert_eq!(
        r.chain_der,
        vec![
            id.cert_der.clone(),
            pki.signing_ca.cert_der.clone(),
            pki.root.cert_der.clone()
        ]
    );
    assert!(r
        .revocation
        .iter()
        .all(|i| i.crls.iter().all(|c| !c.der.is_empty())));
}
