//! The EU DSS long-term CAdES files (tests/fixtures/dss-cades): each parses,
//! reports the time-stamps its README states, and the imprints match —
//! except in the file whose archive time-stamp index was altered.
//!
//! They are signed under EU test PKIs, so no trust anchor applies and the
//! verdicts are not the point: the time-stamps' own checks are.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{validate, DocumentPolicy, Options, ValidationReport};

fn fixture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../tests/fixtures/dss-cades");
    std::fs::read(dir.join(name)).unwrap()
}

fn report(name: &str, content: Option<&str>) -> ValidationReport {
    let sig = fixture(name);
    let content = content.map(fixture);
    validate(
        &sig,
        content.as_deref(),
        &Options {
            trust: TrustStore::default_store().unwrap(),
            at: None,
            revocation: RevocationConfig::offline(),
            policy: DocumentPolicy::AnyQualification,
            tsa_trust: Vec::new(),
        },
    )
}

/// (type, imprint_valid) of every time-stamp, sorted.
fn stamps(r: &ValidationReport) -> Vec<(String, bool)> {
    let s = r.signers.first().unwrap();
    let mut v: Vec<(String, bool)> = s
        .timestamps
        .iter()
        .map(|t| (t.kind.to_string(), t.imprint_valid))
        .collect();
    v.sort();
    v
}

fn owned(v: &[(&str, bool)]) -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = v.iter().map(|(k, b)| (k.to_string(), *b)).collect();
    v.sort();
    v
}

#[test]
fn double_lta_has_two_archive_time_stamps_whose_imprints_match() {
    let r = report("CAdESDoubleLTA.p7m", None);
    assert_eq!(
        stamps(&r),
        owned(&[
            ("signature", true),
            ("archive_v3", true),
            ("archive_v3", true)
        ]),
        "{:#?}",
        r.signers[0].timestamps
    );
    assert_eq!(r.signers[0].level, "B-LTA");
}

#[test]
fn plugtest_xl_with_es_x_type_1_and_an_archive_time_stamp() {
    let r = report("Signature-C-A-XL-1.p7m", None);
    assert_eq!(
        stamps(&r),
        owned(&[
            ("signature", true),
            ("es_x_type1", true),
            ("archive_v3", true)
        ]),
        "{:#?}",
        r.signers[0].timestamps
    );
}

#[test]
fn lta_with_atsv2_and_atsv3() {
    let r = report("Signature-C-B-LTA-10.p7m", None);
    assert_eq!(
        stamps(&r),
        owned(&[
            ("signature", true),
            ("archive_v2", true),
            ("archive_v3", true)
        ]),
        "{:#?}",
        r.signers[0].timestamps
    );
}

#[test]
fn ber_signature_with_atsv2_is_read() {
    // The ATSv2 covers the original BER bytes, which the reader normalises:
    // it is counted, and its imprint is not claimed to match.
    let r = report("sig_with_atsv2.p7s", None);
    let s = stamps(&r);
    assert_eq!(s.len(), 2, "{s:?}");
    assert!(s.contains(&("signature".to_string(), true)), "{s:?}");
    assert!(s.iter().any(|(k, _)| k == "archive_v2"), "{s:?}");
}

#[test]
fn detached_lta_with_hash_index_v3() {
    let r = report(
        "cades-ats-v3-rev-val-crl.p7s",
        Some("cades-ats-v3-rev-val-crl.content.png"),
    );
    assert_eq!(
        stamps(&r),
        owned(&[
            ("signature", true),
            ("archive_v2", true),
            ("archive_v3", true)
        ]),
        "{:#?}",
        r.signers[0].timestamps
    );
}

#[test]
fn an_altered_archive_time_stamp_index_is_reported_not_valid() {
    let r = report("CAdES-BpLTA_modified_ats_hash_element.p7m", None);
    let ts = &r.signers[0].timestamps;
    let ats = ts.iter().find(|t| t.kind == "archive_v3").unwrap();
    assert!(!ats.imprint_valid, "{ts:#?}");
    assert_eq!(ats.indication, "TOTAL_FAILED");
    assert!(ts.iter().any(|t| t.kind == "signature" && t.imprint_valid));
}
