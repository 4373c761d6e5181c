//! Hostile review of path reuse (`inkan_trust::reuse`, commit ed8085f):
//! differential sweeps that compare every report made with reuse on (in
//! several orders, so that each validation meets paths remembered at other
//! times and with other settings) against the same validation with reuse
//! off. The times are every instant the PKI's certificates and CRLs name,
//! and a second either side; the settings include CRLs given and carried,
//! `issued_after` (past validation at a time-stamp), extra CRLs whose
//! revocation dates lie on either side, and the pool in other orders.
//! These passed on the reviewed code: they are the evidence that the time
//! is only seen through `At` and that the inputs are compared in full.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use der::Decode;
use inkan_testpki::{craft, CaId};
use inkan_trust::{validate_path, PathInput, RevocationConfig, TrustStore, ValidationProfile};
use inkan_validation::validate;

mod common;
use common::*;

/// Reuse is switched per process: the tests of this file take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn validity(der: &[u8]) -> (SystemTime, SystemTime) {
    let c = x509_cert::Certificate::from_der(der).unwrap();
    let v = c.tbs_certificate().validity();
    (v.not_before.to_system_time(), v.not_after.to_system_time())
}

fn crl_times(der: &[u8]) -> Vec<SystemTime> {
    let c: x509_cert::crl::CertificateList =
        x509_cert::crl::CertificateList::from_der(der).unwrap();
    let tbs = &c.tbs_cert_list;
    let mut v = vec![tbs.this_update.to_system_time()];
    v.extend(tbs.next_update.map(|t| t.to_system_time()));
    for e in tbs.revoked_certificates.iter().flatten() {
        v.push(e.revocation_date.to_system_time());
    }
    v
}

fn serial(der: &[u8]) -> Vec<u8> {
    x509_cert::Certificate::from_der(der)
        .unwrap()
        .tbs_certificate()
        .serial_number()
        .as_bytes()
        .to_vec()
}

/// Every instant named by the certificates and CRLs, and a second around.
fn instants(certs: &[&[u8]], crls: &[Vec<u8>]) -> Vec<SystemTime> {
    let mut v: Vec<SystemTime> = Vec::new();
    for c in certs {
        let (a, b) = validity(c);
        v.extend([a, b]);
    }
    for c in crls {
        v.extend(crl_times(c));
    }
    v.push(pki().now);
    let s = Duration::from_secs(1);
    let mut out: Vec<SystemTime> = v.iter().flat_map(|t| [*t - s, *t, *t + s]).collect();
    out.push(pki().now + Duration::from_nanos(1));
    out.sort();
    out.dedup();
    out
}

#[test]
fn path_reports_with_reuse_match_reports_without_it_across_times_and_settings() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pki = pki();
    let day = Duration::from_secs(DAY);
    let sca = pki.ca(CaId::SigningCa);
    let doctor = pki.identity("doctor").unwrap();
    // The doctor revoked tomorrow (a date after most validation times),
    // and by a CRL issued in the future (fresh by "issued after at").
    let future_revocation = craft::crl(
        &sca.cert_der,
        &sca.key,
        pki.now - day,
        pki.now + 7 * day,
        &[(&serial(&doctor.cert_der), pki.now + day)],
        Vec::new(),
        20,
    );
    let later_crl = craft::crl(
        &sca.cert_der,
        &sca.key,
        pki.now + 2 * day,
        pki.now + 9 * day,
        &[(&serial(&doctor.cert_der), pki.now + day)],
        Vec::new(),
        21,
    );
    let given: Vec<Vec<u8>> = pki.crls.iter().map(|c| c.der.clone()).collect();
    let mut extra = given.clone();
    extra.push(future_revocation.clone());
    extra.push(later_crl.clone());

    let mut certs: Vec<&[u8]> = vec![
        &pki.root.cert_der,
        &pki.signing_ca.cert_der,
        &pki.auth_ca.cert_der,
    ];
    for id in pki.identities.values() {
        certs.push(&id.cert_der);
    }
    let times = instants(&certs, &extra);

    let offline =
        |crls: Vec<Vec<u8>>, sig: Vec<Vec<u8>>, after: Option<SystemTime>| RevocationConfig {
            crls,
            signature_crls: sig,
            issued_after: after,
            ..RevocationConfig::offline()
        };
    let configs = [
        offline(given.clone(), Vec::new(), None),
        offline(Vec::new(), given.clone(), None),
        offline(extra.clone(), Vec::new(), None),
        offline(given.clone(), Vec::new(), Some(pki.now - 3 * day)),
        offline(extra.clone(), Vec::new(), Some(pki.now + 2 * day)),
    ];
    let pools = [
        vec![pki.signing_ca.cert_der.clone()],
        vec![
            pki.auth_ca.cert_der.clone(),
            pki.signing_ca.cert_der.clone(),
        ],
        vec![
            pki.signing_ca.cert_der.clone(),
            pki.auth_ca.cert_der.clone(),
            pki.rogue_ca.cert_der.clone(),
        ],
    ];
    let trust = TrustStore::Test {
        anchors: vec![pki.root.cert_der.clone()],
        pool: Vec::new(),
        label: "test".into(),
    };
    let mut cases: Vec<(&[u8], usize, usize, SystemTime)> = Vec::new();
    for id in pki.identities.values() {
        for (ci, _) in configs.iter().enumerate() {
            for (pi, _) in pools.iter().enumerate() {
                for t in &times {
                    cases.push((&id.cert_der, ci, pi, *t));
                }
            }
        }
    }
    let one = |(ee, ci, pi, t): &(&[u8], usize, usize, SystemTime)| {
        format!(
            "{:?}",
            validate_path(&PathInput {
                end_entity: ee,
                pool: &pools[*pi],
                trust: &trust,
                at: *t,
                profile: ValidationProfile::Hpki,
                revocation: &configs[*ci],
                policy: None,
            })
        )
    };
    inkan_trust::reuse::set_enabled(false);
    let without: Vec<String> = cases.iter().map(one).collect();
    inkan_trust::reuse::set_enabled(true);
    let hits = inkan_trust::reuse::hits();
    // Forward, backward, then interleaved (odd ones first).
    let mut orders: Vec<Vec<usize>> = vec![(0..cases.len()).collect()];
    orders.push((0..cases.len()).rev().collect());
    orders.push(
        (0..cases.len())
            .filter(|i| i % 2 == 1)
            .chain((0..cases.len()).filter(|i| i % 2 == 0))
            .collect(),
    );
    let mut passes = 0;
    for order in &orders {
        for &i in order {
            let with = one(&cases[i]);
            assert_eq!(
                with, without[i],
                "case {i} ({:?}, config {}, pool {}): reuse changed the report",
                cases[i].3, cases[i].1, cases[i].2
            );
            passes += usize::from(with.contains("status: Passed"));
        }
    }
    let reused = inkan_trust::reuse::hits() - hits;
    eprintln!(
        "{} validations x {} orders, {} passes, {reused} answered from memory",
        cases.len(),
        orders.len(),
        passes
    );
    assert!(reused > cases.len() as u64, "paths were reused");
    assert!(passes > 0);
}

/// The whole verification of time-stamped letters (a revoked signer whose
/// signature-time-stamp predates the revocation, a good one, a stamp by a
/// TSA revoked since), at times around the revocation and the stamps:
/// past validation at the best-signature-time (`issued_after`) and the
/// TSA's own path go through the memo too.
#[test]
fn timestamped_letters_verify_alike_with_and_without_reuse() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pki = pki();
    let day = Duration::from_secs(DAY);
    let letters = [
        stamp(&sign_as("revoked"), 0, &tsa_at(ago(3 * DAY))),
        stamp(&sign_as("revoked"), 0, &tsa_at(ago(DAY))),
        stamp(&sign_as("doctor"), 0, &tsa_at(ago(DAY))),
        stamp(&sign_as("doctor"), 0, &tsa_x(ago(DAY))),
        sign_as("revoked"),
    ];
    let mut crls: Vec<Vec<u8>> = pki.crls.iter().map(|c| c.der.clone()).collect();
    crls.push(compromised_arl());
    let rev = RevocationConfig {
        crls: crls.clone(),
        ..RevocationConfig::offline()
    };
    let mut times = vec![
        pki.now,
        pki.now + day,
        pki.now - 12 * 3600 * Duration::from_secs(1),
    ];
    for h in [1u64, 12, 13, 36, 47, 48, 49, 71, 72, 73] {
        times.push(ago(h * HOUR));
    }
    let mut cases = Vec::new();
    for (li, _) in letters.iter().enumerate() {
        for t in &times {
            cases.push((li, *t));
        }
    }
    let one = |(li, t): &(usize, SystemTime)| {
        serde_json::to_string(&validate(
            &letters[*li],
            Some(LETTER),
            &options(*t, rev.clone()),
        ))
        .unwrap()
    };
    inkan_trust::reuse::set_enabled(false);
    let without: Vec<String> = cases.iter().map(one).collect();
    let mut seen: Vec<String> = without
        .iter()
        .map(|j| {
            let v: serde_json::Value = serde_json::from_str(j).unwrap();
            format!(
                "{} {} past={}",
                v["indication"],
                v["sub_indication"],
                v["signers"][0]["validated_at_signature_time"]
            )
        })
        .collect();
    seen.sort();
    seen.dedup();
    eprintln!("verdicts met: {seen:?}");
    inkan_trust::reuse::set_enabled(true);
    let hits = inkan_trust::reuse::hits();
    for _ in 0..2 {
        for (i, c) in cases.iter().enumerate().rev() {
            assert_eq!(one(c), without[i], "case {i}: reuse changed the report");
        }
    }
    assert!(inkan_trust::reuse::hits() > hits, "paths were reused");
}

/// The ESS memo (attribute value → certificate that passed) is consulted
/// by exact bytes of both: a letter whose SignedData carries a twin of the
/// signer certificate (same issuer, serial and key, validly issued, one
/// letter of the subject changed) is refused for its signing-certificate-v2
/// after the genuine letter passed, as it is with a cold memo.
#[test]
fn a_twin_signer_certificate_is_not_answered_from_the_ess_memo() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pki = pki();
    let doctor = pki.identity("doctor").unwrap();
    let sca = pki.ca(CaId::SigningCa);
    let at = doctor
        .cert_der
        .windows(6)
        .position(|w| w == b"Clinic")
        .unwrap();
    let mut edited = doctor.cert_der.clone();
    edited[at + 5] = b'k';
    let twin = craft::resigned(&edited, &sca.key, |_| {});
    assert_eq!(twin.len(), doctor.cert_der.len());
    assert_ne!(twin, doctor.cert_der);
    let genuine = sign_as("doctor");
    let pos = genuine
        .windows(doctor.cert_der.len())
        .position(|w| w == doctor.cert_der.as_slice())
        .unwrap();
    let mut forged = genuine.clone();
    forged[pos..pos + twin.len()].copy_from_slice(&twin);
    let rev = RevocationConfig {
        crls: pki.crls.iter().map(|c| c.der.clone()).collect(),
        ..RevocationConfig::offline()
    };
    let o = options(pki.now, rev);
    let cold = validate(&forged, Some(LETTER), &o);
    assert_eq!(
        validate(&genuine, Some(LETTER), &o).indication,
        inkan_validation::Indication::TotalPassed
    );
    let warm = validate(&forged, Some(LETTER), &o);
    assert_ne!(warm.indication, inkan_validation::Indication::TotalPassed);
    assert_eq!(
        serde_json::to_value(&warm).unwrap(),
        serde_json::to_value(&cold).unwrap()
    );
    assert_eq!(
        warm.sub_indication.as_deref(),
        Some("NO_SIGNING_CERTIFICATE_FOUND"),
        "{}",
        warm.summary.en
    );
}
