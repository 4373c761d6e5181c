//! RFC 5280 path validation, HPKI checks and CRL revocation against the test PKI.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{
    fixture, given_crls, online, root_only_store, temp_dir, test_store, validate,
    validate_with_pool,
};
use inkan_testpki::{Defect, Expectation, IdentitySpec, PkiConfig};
use inkan_trust::crl::cache_path;
use inkan_trust::{
    document_policy_referral, PathFailure, PathStatus, RevocationConfig, RevocationSource,
    RevocationStatus, TrustStore, ValidationProfile,
};

const DAY: Duration = Duration::from_secs(86_400);

fn expected_sub_indication(e: &Expectation) -> Option<&'static str> {
    Some(match e {
        Expectation::Valid => return None,
        Expectation::Expired { .. } => "OUT_OF_BOUNDS_NO_POE",
        Expectation::NotYetValid { .. } => "NOT_YET_VALID",
        Expectation::Revoked { .. } => "REVOKED_NO_POE",
        Expectation::NotForSigning
        | Expectation::KeyUsageNotNonRepudiation
        | Expectation::MissingSigningPolicy => "CHAIN_CONSTRAINTS_FAILURE",
        Expectation::MalformedHcRole => "SIG_CONSTRAINTS_FAILURE",
        Expectation::WeakKey { .. } | Expectation::WeakSignatureAlgorithm { .. } => {
            "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
        }
        Expectation::UntrustedRoot => "NO_CERTIFICATE_CHAIN_FOUND",
        other => panic!("unmapped expectation {other:?}"),
    })
}

#[test]
fn default_store_rejects_every_test_identity() {
    let f = fixture();
    let store = TrustStore::default_store().expect("shipped store");
    assert!(!store.is_test());
    for (name, id) in &f.pki.identities {
        let r = validate(
            &id.cert_der,
            &store,
            f.pki.now,
            ValidationProfile::Hpki,
            &RevocationConfig::offline(),
            &[
                f.pki.signing_ca.cert_der.clone(),
                f.pki.root.cert_der.clone(),
            ],
        );
        assert_eq!(
            r.status.sub_indication(),
            Some("NO_CERTIFICATE_CHAIN_FOUND"),
            "{name}: {:?}",
            r.status
        );
        assert!(!r.test_trust);
    }
}

#[test]
fn every_test_identity_gets_its_expected_outcome() {
    let f = fixture();
    let store = test_store(&f.pki);
    let rev = online();
    for (name, id) in &f.pki.identities {
        let r = validate(
            &id.cert_der,
            &store,
            f.pki.now,
            ValidationProfile::Hpki,
            &rev,
            &[],
        );
        assert!(r.test_trust, "{name}: a test store must mark the report");
        match expected_sub_indication(&id.expect) {
            None => {
                assert_eq!(r.status, PathStatus::Passed, "{name}: {:?}", r.status);
                assert_eq!(r.chain.len(), 3, "{name}");
                assert!(r.chain[2].anchor);
                assert_eq!(r.revocation.len(), 2, "{name}: EE and CA checked");
                for info in &r.revocation {
                    assert_eq!(info.status, RevocationStatus::Good, "{name}");
                    assert!(matches!(info.source, RevocationSource::Fetched(_)));
                    assert!(info.next_update.is_some());
                }
                assert_eq!(
                    r.role.as_ref().map(|x| x.text.clone()),
                    id.role.clone(),
                    "{name}"
                );
                assert_eq!(r.policy_ok, Some(true));
                assert_eq!(r.key_usage_ok, Some(true));
            }
            Some(sub) => {
                assert_eq!(r.status.indication(), "INDETERMINATE", "{name}");
                assert_eq!(
                    r.status.sub_indication(),
                    Some(sub),
                    "{name}: {:?}",
                    r.status
                );
            }
        }
        // Context in the failure: the specific variant for each expectation.
        let failure = r.status.failure().cloned();
        match (&id.expect, failure) {
            (Expectation::Expired { .. }, Some(PathFailure::Expired { subject, .. }))
            | (Expectation::NotYetValid { .. }, Some(PathFailure::NotYetValid { subject, .. })) => {
                assert!(subject.contains("TEST"), "{name}: {subject}");
            }
            (Expectation::Revoked { .. }, Some(PathFailure::Revoked { ca, .. })) => assert!(!ca),
            (Expectation::NotForSigning, Some(PathFailure::AuthenticationCertificate { .. })) => {}
            (Expectation::KeyUsageNotNonRepudiation, Some(PathFailure::KeyUsage { .. })) => {}
            (Expectation::MissingSigningPolicy, Some(PathFailure::NotSigningPolicy { .. })) => {}
            (Expectation::MalformedHcRole, Some(PathFailure::MalformedHcRole { .. })) => {}
            (Expectation::WeakKey { bits }, Some(PathFailure::WeakAlgorithm { detail, .. })) => {
                assert!(detail.contains(&bits.to_string()), "{detail}");
            }
            (
                Expectation::WeakSignatureAlgorithm { .. },
                Some(PathFailure::WeakAlgorithm { detail, .. }),
            ) => assert!(detail.contains("sha1"), "{detail}"),
            (Expectation::UntrustedRoot, Some(PathFailure::NoChain { .. }))
            | (Expectation::UntrustedRoot, Some(PathFailure::UntrustedRoot { .. }))
            | (Expectation::Valid, None) => {}
            (e, f) => panic!("{name}: expected {e:?}, got {f:?}"),
        }
    }
}

#[test]
fn revoked_before_validation_time_is_revoked() {
    let f = fixture();
    let id = f.pki.identity("revoked").unwrap();
    let Expectation::Revoked { at, .. } = id.expect.clone() else {
        panic!("revoked identity")
    };
    let r = validate(
        &id.cert_der,
        &test_store(&f.pki),
        at + Duration::from_secs(1),
        ValidationProfile::Hpki,
        &given_crls(&f.pki),
        &[],
    );
    assert_eq!(
        r.status.sub_indication(),
        Some("REVOKED_NO_POE"),
        "{:?}",
        r.status
    );
    let Some(PathFailure::Revoked { at: when, .. }) = r.status.failure() else {
        panic!("{:?}", r.status)
    };
    assert_eq!(*when, inkan_trust::crl::rfc3339(at));
    assert_eq!(r.revocation[0].source, RevocationSource::Given);
}

#[test]
fn revoked_after_validation_time_passes() {
    let f = fixture();
    let id = f.pki.identity("revoked").unwrap();
    let Expectation::Revoked { at, .. } = id.expect.clone() else {
        panic!("revoked identity")
    };
    let before = at - DAY;
    let r = validate(
        &id.cert_der,
        &test_store(&f.pki),
        before,
        ValidationProfile::Hpki,
        &given_crls(&f.pki),
        &[],
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    assert_eq!(r.time_used, before);
    assert_eq!(r.revocation[0].status, RevocationStatus::Good);
}

#[test]
fn stale_crl_is_revocation_unknown_not_a_pass() {
    let f = fixture();
    let pki = &f.pki;
    let stale = pki
        .issue_crl("sign-ca.crl", pki.now - 10 * DAY, pki.now - 6 * DAY)
        .unwrap();
    let arl = pki.crl("arl.crl").unwrap().der.clone();
    // Given directly …
    let rev = RevocationConfig {
        crls: vec![stale.clone(), arl.clone()],
        ..RevocationConfig::offline()
    };
    let id = pki.identity("doctor").unwrap();
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        &[],
    );
    assert_eq!(r.status.indication(), "INDETERMINATE");
    assert_eq!(
        r.status.sub_indication(),
        Some("TRY_LATER"),
        "{:?}",
        r.status
    );
    let RevocationStatus::Unknown { why } = &r.revocation[0].status else {
        panic!("{:?}", r.revocation)
    };
    assert!(why.contains("stale"), "{why}");
    // … and from the cache directory: a stale cached CRL is not used either.
    let dir = temp_dir("stale-cache");
    std::fs::write(cache_path(&dir, &pki.crl_url("sign-ca.crl")), &stale).unwrap();
    std::fs::write(cache_path(&dir, &pki.crl_url("arl.crl")), &arl).unwrap();
    let rev = RevocationConfig {
        cache_dir: Some(dir.clone()),
        ..RevocationConfig::offline()
    };
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        &[],
    );
    assert_eq!(
        r.status.sub_indication(),
        Some("TRY_LATER"),
        "{:?}",
        r.status
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn offline_without_crl_is_try_later() {
    let f = fixture();
    let id = f.pki.identity("doctor").unwrap();
    let r = validate(
        &id.cert_der,
        &test_store(&f.pki),
        f.pki.now,
        ValidationProfile::Hpki,
        &RevocationConfig::offline(),
        &[],
    );
    assert_eq!(
        r.status.sub_indication(),
        Some("TRY_LATER"),
        "{:?}",
        r.status
    );
    assert!(matches!(
        r.status.failure(),
        Some(PathFailure::RevocationUnknown { why, .. }) if why.contains("offline")
    ));
    assert_eq!(r.revocation[0].source, RevocationSource::None);
}

#[test]
fn crl_from_cache_dir_is_used_offline() {
    let f = fixture();
    let pki = &f.pki;
    let dir = temp_dir("cache-offline");
    for name in ["sign-ca.crl", "arl.crl"] {
        std::fs::write(
            cache_path(&dir, &pki.crl_url(name)),
            &pki.crl(name).unwrap().der,
        )
        .unwrap();
    }
    let rev = RevocationConfig {
        cache_dir: Some(dir.clone()),
        ..RevocationConfig::offline()
    };
    let id = pki.identity("doctor").unwrap();
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        &[],
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    assert_eq!(
        r.revocation[0].source,
        RevocationSource::Cache(cache_path(&dir, &pki.crl_url("sign-ca.crl")))
    );
    // The revoked identity is revoked from the same cache.
    let id = pki.identity("revoked").unwrap();
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        &[],
    );
    assert_eq!(r.status.sub_indication(), Some("REVOKED_NO_POE"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn pool_with_unrelated_certificates_still_builds_the_path() {
    let f = fixture();
    let pki = &f.pki;
    // Only the root is configured; the CA comes from a messy pool.
    let store = root_only_store(pki);
    let mut pool = vec![
        pki.rogue_ca.cert_der.clone(),
        pki.rogue_root.cert_der.clone(),
        pki.auth_ca.cert_der.clone(),
        b"not a certificate".to_vec(),
    ];
    pool.extend(pki.identities.values().map(|i| i.cert_der.clone()));
    pool.push(pki.signing_ca.cert_der.clone());
    let id = pki.identity("doctor").unwrap();
    let r = validate(
        &id.cert_der,
        &store,
        pki.now,
        ValidationProfile::Hpki,
        &given_crls(pki),
        &pool,
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    assert_eq!(r.chain.len(), 3);
    assert!(
        r.chain[1].subject.contains("SignCA"),
        "{}",
        r.chain[1].subject
    );
    // Without the signing CA, no path.
    pool.pop();
    let r = validate(
        &id.cert_der,
        &store,
        pki.now,
        ValidationProfile::Hpki,
        &given_crls(pki),
        &pool,
    );
    assert_eq!(
        r.status.sub_indication(),
        Some("NO_CERTIFICATE_CHAIN_FOUND"),
        "{:?}",
        r.status
    );
    // The rogue end entity with its whole look-alike chain: untrusted root.
    let rogue = pki.identity("rogue").unwrap();
    let r = validate(
        &rogue.cert_der,
        &store,
        pki.now,
        ValidationProfile::Hpki,
        &given_crls(pki),
        &pool,
    );
    assert!(
        matches!(r.status.failure(), Some(PathFailure::UntrustedRoot { .. })),
        "{:?}",
        r.status
    );
}

#[test]
fn rfc5280_profile_accepts_digsig_only_and_no_policy() {
    let f = fixture();
    for name in [
        "digsig-only",
        "no-policy",
        "auth",
        "doctor",
        "bad-hcrole",
        "weak-key",
    ] {
        let id = f.pki.identity(name).unwrap();
        let r = validate(
            &id.cert_der,
            &test_store(&f.pki),
            f.pki.now,
            ValidationProfile::Rfc5280,
            &given_crls(&f.pki),
            &[],
        );
        assert_eq!(r.status, PathStatus::Passed, "{name}: {:?}", r.status);
    }
    // The HPKI facts are still reported.
    let id = f.pki.identity("digsig-only").unwrap();
    let r = validate(
        &id.cert_der,
        &test_store(&f.pki),
        f.pki.now,
        ValidationProfile::Rfc5280,
        &given_crls(&f.pki),
        &[],
    );
    assert_eq!(r.key_usage_ok, Some(false));
    // Validity and revocation still apply.
    for (name, sub) in [
        ("expired", "OUT_OF_BOUNDS_NO_POE"),
        ("revoked", "REVOKED_NO_POE"),
    ] {
        let id = f.pki.identity(name).unwrap();
        let r = validate(
            &id.cert_der,
            &test_store(&f.pki),
            f.pki.now,
            ValidationProfile::Rfc5280,
            &given_crls(&f.pki),
            &[],
        );
        assert_eq!(r.status.sub_indication(), Some(sub), "{name}");
    }
}

#[test]
fn unknown_role_kept_verbatim() {
    let cfg = PkiConfig {
        identities: vec![IdentitySpec::new(
            "surgeon",
            Some("Space Surgeon"),
            Defect::None,
        )],
        ..PkiConfig::default()
    };
    let pki = inkan_testpki::cached(&cfg);
    let id = pki.identity("surgeon").unwrap();
    let r = validate(
        &id.cert_der,
        &test_store(&pki),
        pki.now,
        ValidationProfile::Hpki,
        &given_crls(&pki),
        &[],
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    let role = r.role.clone().unwrap();
    assert_eq!(role.text, "Space Surgeon");
    assert_eq!(role.ja, None);
    assert_eq!(role.display_ja(), "Space Surgeon");
    let err = document_policy_referral(r.role.as_ref()).unwrap_err();
    assert!(matches!(&err, PathFailure::RoleNotAllowed { role } if role == "Space Surgeon"));
}

#[test]
fn referral_policy_rejects_pharmacist() {
    use inkan_l10n::Localized;
    let f = fixture();
    let role_of = |name: &str| {
        let id = f.pki.identity(name).unwrap();
        let r = validate(
            &id.cert_der,
            &test_store(&f.pki),
            f.pki.now,
            ValidationProfile::Hpki,
            &given_crls(&f.pki),
            &[],
        );
        assert_eq!(r.status, PathStatus::Passed, "{name}");
        r.role
    };
    let doctor = role_of("doctor");
    assert_eq!(doctor.as_ref().and_then(|r| r.ja), Some("医師"));
    document_policy_referral(doctor.as_ref()).unwrap();
    document_policy_referral(role_of("dentist").as_ref()).unwrap();
    let err = document_policy_referral(role_of("pharmacist").as_ref()).unwrap_err();
    assert_eq!(err.sub_indication(), "SIG_CONSTRAINTS_FAILURE");
    assert_eq!(err.indication(), "INDETERMINATE");
    assert!(err.text().ja.contains("薬剤師"), "{}", err.text().ja);
    assert!(err.text().ja.contains("医師または歯科医師"));
    assert_eq!(err.code(), "path.role_not_allowed");
    // Not only "an error": the same verdict and code as the pharmacist.
    for (who, role) in [
        ("nurse", role_of("nurse")),
        ("director", role_of("director")),
        ("no hcRole", None),
    ] {
        let err = document_policy_referral(role.as_ref()).unwrap_err();
        assert_eq!(err.indication(), "INDETERMINATE", "{who}");
        assert_eq!(err.sub_indication(), "SIG_CONSTRAINTS_FAILURE", "{who}");
        assert!(
            err.code().starts_with("path.role") || err.code() == "path.no_role",
            "{who}: {}",
            err.code()
        );
    }
}

#[test]
fn every_failure_has_bilingual_text_and_a_code() {
    use inkan_l10n::Localized;
    let f = fixture();
    for (name, id) in &f.pki.identities {
        let r = validate(
            &id.cert_der,
            &test_store(&f.pki),
            f.pki.now,
            ValidationProfile::Hpki,
            &RevocationConfig::offline(),
            &[],
        );
        let fail = r
            .status
            .failure()
            .unwrap_or_else(|| panic!("{name}: offline cannot pass"));
        let t = fail.text();
        assert!(fail.code().starts_with("path."));
        assert!(
            !t.ja.is_empty() && !t.en.is_empty() && t.ja != t.en,
            "{name}"
        );
        // JSON output works.
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"test_trust\":true"), "{json}");
    }
}

#[test]
fn truncated_or_flipped_end_entity_never_panics() {
    let f = fixture();
    let store = test_store(&f.pki);
    let rev = given_crls(&f.pki);
    let der = f.pki.identity("doctor").unwrap().cert_der.clone();
    let step = (der.len() / 97).max(1);
    for n in (0..der.len()).step_by(step) {
        let r = validate(
            &der[..n],
            &store,
            f.pki.now,
            ValidationProfile::Hpki,
            &rev,
            &[],
        );
        assert!(!r.status.is_passed(), "truncated to {n} passed");
    }
    let mut flipped = der.clone();
    for i in (0..der.len()).step_by(3) {
        flipped[i] ^= 0x55;
        let r = validate(
            &flipped,
            &store,
            f.pki.now,
            ValidationProfile::Hpki,
            &rev,
            &[],
        );
        assert!(!r.status.is_passed(), "flipping byte {i} still passed");
        flipped[i] ^= 0x55;
    }
}

#[test]
fn time_per_validation_is_small() {
    let f = fixture();
    let store = test_store(&f.pki);
    let rev = given_crls(&f.pki);
    let der = &f.pki.identity("doctor").unwrap().cert_der;
    let n = 50u32;
    let start = Instant::now();
    for _ in 0..n {
        let r = validate(der, &store, f.pki.now, ValidationProfile::Hpki, &rev, &[]);
        assert!(r.status.is_passed());
    }
    let per = start.elapsed() / n;
    println!("validate_path (doctor, 3 certs, 2 CRLs given): {per:?} per validation");
    assert!(per < Duration::from_millis(200), "{per:?}");
}

#[test]
fn validation_time_now_is_reported() {
    let f = fixture();
    let t0 = SystemTime::now();
    let r = validate(
        &f.pki.identity("doctor").unwrap().cert_der,
        &test_store(&f.pki),
        t0,
        ValidationProfile::Hpki,
        &given_crls(&f.pki),
        &[],
    );
    assert_eq!(r.time_used, t0);
}

/// `openssl verify` with the standard RFC 5280 defaults must agree with the
/// rfc5280 profile.
#[test]
fn openssl_agrees_with_the_rfc5280_profile() {
    // The test command installs openssl: without it this cross-check must
    // fail, not pass having checked nothing.
    std::process::Command::new("openssl")
        .arg("version")
        .output()
        .expect("openssl is required for the cross-check");
    let f = fixture();
    let pki = &f.pki;
    let dir = temp_dir("openssl");
    let write = |name: &str, pem: String| {
        let p = dir.join(name);
        std::fs::write(&p, pem).unwrap();
        p
    };
    let root = write("root.pem", pki.root_pem());
    let ca = write("signing-ca.pem", pki.signing_ca.cert_pem());
    let crls: String = ["sign-ca.crl", "arl.crl"]
        .iter()
        .map(|n| {
            let der = &pki.crl(n).unwrap().der;
            let out = std::process::Command::new("openssl")
                .args(["crl", "-inform", "DER", "-outform", "PEM"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(der)?;
                    c.wait_with_output()
                })
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();
    let crl = write("crls.pem", crls);
    let at_unix = pki
        .now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for name in ["doctor", "expired", "revoked", "rogue"] {
        let id = pki.identity(name).unwrap();
        let ee = write(&format!("{name}.pem"), id.cert_pem());
        let out = std::process::Command::new("openssl")
            .arg("verify")
            .arg("-CAfile")
            .arg(&root)
            .arg("-untrusted")
            .arg(&ca)
            .arg("-crl_check_all")
            .arg("-CRLfile")
            .arg(&crl)
            .args(["-attime", &at_unix.to_string()])
            .arg(&ee)
            .output()
            .unwrap();
        let openssl_ok = out.status.success();
        let r = validate(
            &id.cert_der,
            &test_store(pki),
            pki.now,
            ValidationProfile::Rfc5280,
            &given_crls(pki),
            &[],
        );
        assert_eq!(
            r.status.is_passed(),
            openssl_ok,
            "{name}: inkan {:?}, openssl {}{}",
            r.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        match name {
            "expired" => assert!(err.contains("expired"), "{err}"),
            "revoked" => assert!(err.contains("revoked"), "{err}"),
            "rogue" => assert!(err.contains("signature") || err.contains("issuer"), "{err}"),
            _ => {}
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The real MHLW signing CAs chain to the pinned root (revocation of the CAs
/// needs the MHLW ARL, which is not available offline: TRY_LATER, and nothing else).
#[test]
fn shipped_mhlw_signing_cas_validate_under_the_pinned_root() {
    let store = TrustStore::default_store().unwrap();
    // 2026-06-01T00:00:00Z
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_272_000);
    for c in inkan_trust::shipped()
        .iter()
        .filter(|c| c.role != inkan_trust::CaRole::Anchor)
    {
        let r = validate(
            c.der,
            &store,
            at,
            ValidationProfile::Rfc5280,
            &RevocationConfig::offline(),
            &[],
        );
        assert_eq!(
            r.status.sub_indication(),
            Some("TRY_LATER"),
            "{}: {:?}",
            c.file,
            r.status
        );
        assert_eq!(r.chain.len(), 2, "{}", c.file);
        assert!(r.chain[1].anchor);
        assert_eq!(
            r.chain[1].sha256,
            hex::encode_upper(inkan_trust::MHLW_HPKI_ROOT_CA_V2_SHA256)
        );
        assert!(r
            .chain
            .iter()
            .all(|i| i.validity == inkan_trust::CertValidity::Valid));
        // And as an intermediate: an unrelated end entity does not chain through it.
        let ee = fixture().pki.identity("doctor").unwrap();
        let r = validate(
            &ee.cert_der,
            &store,
            at,
            ValidationProfile::Hpki,
            &RevocationConfig::offline(),
            &[c.der.to_vec()],
        );
        assert_eq!(
            r.status.sub_indication(),
            Some("NO_CERTIFICATE_CHAIN_FOUND")
        );
    }
}

#[test]
fn test_store_from_a_generated_directory_says_test() {
    let f = fixture();
    let dir = temp_dir("store-dir");
    f.pki.write_to(&dir).unwrap();
    let store = TrustStore::test_from_dir(&dir).unwrap();
    assert!(store.is_test());
    assert!(store.label().contains("TEST"));
    assert_eq!(store.anchors().unwrap().len(), 1);
    let id = f.pki.identity("doctor").unwrap();
    let r = validate(
        &id.cert_der,
        &store,
        f.pki.now,
        ValidationProfile::Hpki,
        &given_crls(&f.pki),
        &[],
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    assert!(r.test_trust);
    // The look-alike CA lands in the pool too, and still gives no path.
    let rogue = f.pki.identity("rogue").unwrap();
    let r = validate(
        &rogue.cert_der,
        &store,
        f.pki.now,
        ValidationProfile::Hpki,
        &given_crls(&f.pki),
        &[],
    );
    assert_eq!(
        r.status.sub_indication(),
        Some("NO_CERTIFICATE_CHAIN_FOUND"),
        "{:?}",
        r.status
    );
    use inkan_l10n::Localized as _;
    let missing = TrustStore::test_from_dir(&dir.join("missing")).unwrap_err();
    assert!(
        missing.text().en.contains("missing"),
        "the error names the folder: {}",
        missing.text().en
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn truncated_or_flipped_crls_never_pass_or_panic() {
    let f = fixture();
    let store = test_store(&f.pki);
    let der = f.pki.crl("sign-ca.crl").unwrap().der.clone();
    let arl = f.pki.crl("arl.crl").unwrap().der.clone();
    let id = f.pki.identity("doctor").unwrap();
    let run = |crl: Vec<u8>| {
        let rev = RevocationConfig {
            crls: vec![crl, arl.clone()],
            ..RevocationConfig::offline()
        };
        validate(
            &id.cert_der,
            &store,
            f.pki.now,
            ValidationProfile::Hpki,
            &rev,
            &[],
        )
    };
    for n in (0..der.len()).step_by(7) {
        assert_eq!(
            run(der[..n].to_vec()).status.sub_indication(),
            Some("TRY_LATER")
        );
    }
    for i in (0..der.len()).step_by(5) {
        let mut d = der.clone();
        d[i] ^= 0x41;
        assert!(!run(d).status.is_passed(), "flipped CRL byte {i} accepted");
    }
}

/// `ca` re-issued by `issuer_key` with its subject name upper-cased (same
/// key, same extensions) and validity `[not_before, not_after]`: what a CA
/// that re-encoded its name on renewal leaves behind.
fn reissued_with_other_spelling(
    ca: &[u8],
    issuer_key: &inkan_testpki::PrivateKey,
    not_before: SystemTime,
    not_after: SystemTime,
) -> Vec<u8> {
    use der::{asn1::UtcTime, Any, Decode, Encode};
    use std::str::FromStr;
    let subject = x509_cert::Certificate::from_der(ca)
        .unwrap()
        .tbs_certificate()
        .subject()
        .clone();
    let upper = x509_cert::name::Name::from_str(&subject.to_string().to_uppercase()).unwrap();
    assert_ne!(upper.to_der().unwrap(), subject.to_der().unwrap());
    inkan_testpki::craft::resigned(ca, issuer_key, |fields| {
        let time =
            |t: SystemTime| Any::encode_from(&UtcTime::from_system_time(t).unwrap()).unwrap();
        fields[4] = Any::encode_from(&vec![time(not_before), time(not_after)]).unwrap();
        fields[5] = Any::encode_from(&upper).unwrap();
    })
}

/// RFC 5280 §7.1 lets a loosely spelled name chain, but the first chain whose
/// signatures verify is the one judged: a CA's expired certificate whose
/// subject only matches loosely must not be preferred to its current one,
/// spelled exactly as the end entity's issuer name.
#[test]
fn renewed_ca_with_reencoded_name_uses_the_exactly_spelled_certificate() {
    let f = fixture();
    let pki = &f.pki;
    let store = root_only_store(pki);
    let year = Duration::from_secs(365 * 86_400);
    let old = reissued_with_other_spelling(
        &pki.signing_ca.cert_der,
        &pki.root.key,
        pki.now - 6 * year,
        pki.now - year,
    );
    let id = pki.identity("doctor").unwrap();
    let run = |pool: &[Vec<u8>]| validate_with_pool(&id.cert_der, &store, pki, pool);
    // The old certificate alone does chain (its name matches under §7.1) and
    // fails as expired: so it is a real candidate, not ignored.
    let r = run(std::slice::from_ref(&old));
    assert_ne!(r.status, PathStatus::Passed, "{:?}", r.status);
    // Listed first, it must still lose to the exact spelling.
    let r = run(&[old.clone(), pki.signing_ca.cert_der.clone()]);
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    assert_eq!(r.chain.len(), 3);
    assert_eq!(
        r.chain[1].subject,
        pki.signing_ca
            .certificate()
            .map(|c| c.tbs_certificate().subject().to_string())
            .unwrap()
    );
}

/// A signature file may carry any number of certificates. Twelve self-issued
/// look-alikes of the signing CA (its name and key, no key identifiers, each
/// signature valid) chain to each other in every order: without a bound the
/// depth-first search would try about 12^8 paths. The verdict (no chain,
/// since the real CA is missing) must come in well under a second, never
/// hang and never pass.
#[test]
fn a_pool_of_look_alike_issuers_gives_up_instead_of_hanging() {
    use der::Decode;
    let f = fixture();
    let pki = &f.pki;
    let pool = inkan_testpki::craft::look_alikes(&pki.signing_ca.cert_der, &pki.signing_ca.key, 12);
    assert!(pool
        .iter()
        .all(|c| x509_cert::Certificate::from_der(c).is_ok()));
    let id = pki.identity("doctor").unwrap();
    let started = Instant::now();
    let r = validate_with_pool(&id.cert_der, &root_only_store(pki), pki, &pool);
    assert!(!r.status.is_passed(), "{:?}", r.status);
    assert_eq!(
        r.status.sub_indication(),
        Some("NO_CERTIFICATE_CHAIN_FOUND")
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

/// 100,000 certificate-sized blobs of the same length, differing only in
/// their last byte, in the pool a signature file supplies: only the first
/// `MAX_POOL_CERTIFICATES` are looked at (no quadratic de-duplication), and
/// the path still comes from the trust store's own pool.
#[test]
fn a_huge_pool_is_cut_not_compared_pairwise() {
    let f = fixture();
    let pki = &f.pki;
    let pool: Vec<Vec<u8>> = (0u32..100_000)
        .map(|n| {
            let mut c = vec![0x30, 0x6c];
            c.extend_from_slice(&[0u8; 104]);
            c.extend_from_slice(&n.to_be_bytes());
            c
        })
        .collect();
    let id = pki.identity("doctor").unwrap();
    let started = Instant::now();
    let r = validate_with_pool(&id.cert_der, &test_store(pki), pki, &pool);
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

/// Anyone who handles a signature file can add certificates to it. Sixty
/// copies of the signing CA with another serial number (so a broken
/// signature, no key needed), placed before the real one, must not turn a
/// valid path into a give-up: each copy costs two signature checks, and the
/// budget grows with the pool.
#[test]
fn keyless_copies_of_the_ca_before_the_real_one_still_pass() {
    use der::{asn1::Uint, Any, Decode, Encode};
    let f = fixture();
    let pki = &f.pki;
    let copy = |n: u8| {
        let parts = Vec::<Any>::from_der(&pki.signing_ca.cert_der).unwrap();
        let mut tbs = Vec::<Any>::from_der(&parts[0].to_der().unwrap()).unwrap();
        tbs[1] = Any::encode_from(&Uint::new(&[0x71, n]).unwrap()).unwrap();
        let tbs = Any::from_der(&tbs.to_der().unwrap()).unwrap();
        vec![tbs, parts[1].clone(), parts[2].clone()]
            .to_der()
            .unwrap()
    };
    let mut pool: Vec<Vec<u8>> = (1u8..=60).map(copy).collect();
    pool.push(pki.signing_ca.cert_der.clone());
    let id = pki.identity("doctor").unwrap();
    let r = validate_with_pool(&id.cert_der, &root_only_store(pki), pki, &pool);
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
}
