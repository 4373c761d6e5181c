//! Attacks on the time-stamp (proof of existence) path found by a hostile
//! review, kept as scenarios: a revoked signer rescued by an old CRL at the
//! best-signature-time (directly, or through a revoked CA), an overflowing
//! accuracy, thousands of copies of one token, a future genTime, and the
//! ones that held up (other signers' tokens, unfit TSA certificates,
//! untrusted TSAs, forged earlier stamps).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime};

use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Encode, Tagged};
use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{craft, CaId, TestTsa};
use inkan_trust::RevocationConfig;
use inkan_validation::{validate, Indication, ValidationReport};
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Digest;

mod common;
use common::*;

fn add_token(sig: &[u8], index: usize, token: &[u8]) -> Vec<u8> {
    inkan_cades::augment::add_signature_timestamp(sig, index, token).unwrap()
}

fn online() -> RevocationConfig {
    RevocationConfig {
        timeout: Duration::from_secs(5),
        ..RevocationConfig::default()
    }
}

fn check(sig: &[u8]) -> ValidationReport {
    validate(sig, Some(LETTER), &options(pki().now, online()))
}

// ---------------------------------------------------------------- DER bits

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let b = n.to_be_bytes();
        let skip = b.iter().take_while(|x| **x == 0).count();
        v.push(0x80 | (b.len() - skip) as u8);
        v.extend_from_slice(&b[skip..]);
    }
    v.extend_from_slice(content);
    v
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn set_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut p: Vec<&[u8]> = parts.to_vec();
    p.sort();
    tlv(0x31, &p.concat())
}

fn oid(s: &str) -> Vec<u8> {
    tlv(0x06, ObjectIdentifier::new_unwrap(s).as_bytes())
}

fn int(n: &[u8]) -> Vec<u8> {
    tlv(0x02, n)
}

fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

fn gen_time_text(t: SystemTime) -> Vec<u8> {
    let d = der::asn1::GeneralizedTime::from_system_time(t)
        .unwrap()
        .to_der()
        .unwrap();
    d[2..].to_vec()
}

/// A TSTInfo over `imprint` with `gen_time` (the bytes inside the
/// GeneralizedTime), `accuracy` (a full Accuracy TLV or empty) and `exts`
/// (a full `[1]` TLV or empty).
fn tst_info(imprint: &[u8], gen_time: &[u8], accuracy: &[u8], exts: &[u8]) -> Vec<u8> {
    seq(&[
        &int(&[1]),
        &oid(inkan_testpki::tsa::TEST_TSA_POLICY),
        &seq(&[&seq(&[&oid("2.16.840.1.101.3.4.2.1")]), &octets(imprint)]),
        &int(&[0x11]),
        &tlv(0x18, gen_time),
        accuracy,
        exts,
    ])
}

fn rsa_sign(key: &rsa::PrivateKey, msg: &[u8]) -> Vec<u8> {
    rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone())
        .sign(msg)
        .to_vec()
}

enum Ess {
    V2(Vec<u8>),
    V1(Vec<u8>),
}

/// A time-stamp token around `tst` signed with `key`, sid naming `cert`,
/// ESS naming `ess`, carrying `certs`, with `extra_signers` more SignerInfos.
fn token_raw(
    tst: &[u8],
    cert: &[u8],
    key: &rsa::PrivateKey,
    ess: Ess,
    certs: &[&[u8]],
    extra_signers: usize,
) -> Vec<u8> {
    let ess_attr = match ess {
        Ess::V2(c) => seq(&[
            &oid("1.2.840.113549.1.9.16.2.47"),
            &set_of(&[&seq(&[&seq(&[&seq(&[&octets(&sha2::Sha256::digest(
                &c,
            ))])])])]),
        ]),
        Ess::V1(hash) => seq(&[
            &oid("1.2.840.113549.1.9.16.2.12"),
            &set_of(&[&seq(&[&seq(&[&seq(&[&octets(&hash)])])])]),
        ]),
    };
    let attrs = [
        seq(&[
            &oid("1.2.840.113549.1.9.3"),
            &set_of(&[&oid("1.2.840.113549.1.9.16.1.4")]),
        ]),
        seq(&[
            &oid("1.2.840.113549.1.9.4"),
            &set_of(&[&octets(&sha2::Sha256::digest(tst))]),
        ]),
        ess_attr,
    ];
    let refs: Vec<&[u8]> = attrs.iter().map(Vec::as_slice).collect();
    let signed_attrs = set_of(&refs);
    let signature = rsa_sign(key, &signed_attrs);
    let mut implicit = signed_attrs.clone();
    implicit[0] = 0xa0;
    let c = x509_cert_like(cert);
    let sha256 = seq(&[&oid("2.16.840.1.101.3.4.2.1")]);
    let si = seq(&[
        &int(&[1]),
        &seq(&[&c.0, &c.1]),
        &sha256,
        &implicit,
        &seq(&[&oid("1.2.840.113549.1.1.11"), &[0x05, 0x00]]),
        &octets(&signature),
    ]);
    let mut sis: Vec<Vec<u8>> = vec![si.clone()];
    for _ in 0..extra_signers {
        sis.push(si.clone());
    }
    let si_refs: Vec<&[u8]> = sis.iter().map(Vec::as_slice).collect();
    let signed_data = seq(&[
        &int(&[3]),
        &set_of(&[&sha256]),
        &seq(&[&oid("1.2.840.113549.1.9.16.1.4"), &tlv(0xa0, &octets(tst))]),
        &tlv(0xa0, &certs.concat()),
        &tlv(0x31, &si_refs.concat()),
    ]);
    seq(&[&oid("1.2.840.113549.1.7.2"), &tlv(0xa0, &signed_data)])
}

/// (issuer DER, serial DER) of a certificate, by walking its TBS.
fn x509_cert_like(cert: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let c = Vec::<Any>::from_der(cert).unwrap();
    let tbs = Vec::<Any>::from_der(&c[0].to_der().unwrap()).unwrap();
    // [0] version, serial, signature, issuer
    (tbs[3].to_der().unwrap(), tbs[1].to_der().unwrap())
}

fn token_for(tsa: &TestTsa, tst: &[u8]) -> Vec<u8> {
    token_raw(
        tst,
        &tsa.cert_der,
        &tsa.key,
        Ess::V2(tsa.cert_der.clone()),
        &[&tsa.cert_der, &tsa.root_der],
        0,
    )
}

/// `sig` with `crls` in SignedData.crls (unsigned: anyone can add them).
fn with_signature_crls(sig: &[u8], crls: &[&[u8]]) -> Vec<u8> {
    let ci = Vec::<Any>::from_der(sig).unwrap();
    let sd_der = ci[1].value().to_vec();
    let mut sd = Vec::<Any>::from_der(&sd_der).unwrap();
    let at = sd.len() - 1;
    let field = Any::from_der(&tlv(0xa1, &crls.concat())).unwrap();
    sd.insert(at, field);
    let sd_new = sd.to_der().unwrap();
    seq(&[&ci[0].to_der().unwrap(), &tlv(0xa0, &sd_new)])
}

/// The validity SEQUENCE with `not_after` replaced.
fn validity_until(fields: &[Any], not_after: SystemTime) -> Any {
    let v = Vec::<Any>::from_der(&fields[4].to_der().unwrap()).unwrap();
    let na = der::asn1::UtcTime::from_system_time(not_after)
        .unwrap()
        .to_der()
        .unwrap();
    Any::from_der(&seq(&[&v[0].to_der().unwrap(), &na])).unwrap()
}

fn serial_of(cert: &[u8]) -> Vec<u8> {
    let (_, s) = x509_cert_like(cert);
    // INTEGER content bytes
    s[2..].to_vec()
}

// ================================================================ baseline

#[test]
fn baseline_revoked_after_stamp_passes_and_before_fails() {
    // "revoked" is revoked 2 days before now.
    let sig = sign_as("revoked");
    let r = check(&stamp(&sig, 0, &tsa_at(ago(3 * DAY))));
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    let r = check(&stamp(&sig, 0, &tsa_at(ago(DAY))));
    assert_eq!(r.indication, Indication::TotalFailed, "{}", explain(&r));
    assert_eq!(r.sub_indication.as_deref(), Some("REVOKED"));
}

// ============================================================ wrong passes

/// The signer's certificate was revoked (2 days ago) *before* the signature
/// was time-stamped (1.5 days ago) and has since expired (1 day ago). The CA
/// dropped the expired certificate from its current CRL (RFC 5280 §3.3
/// allows it after one CRL past expiry). The signer embeds an older CRL whose
/// window covers the time-stamp but which predates the revocation. Past
/// validation at the best-signature-time accepts that CRL as "fresh" and
/// passes a signature made with a revoked key.
#[test]
fn expired_signer_revoked_before_the_stamp_is_not_passed_by_an_old_crl() {
    let p = pki();
    let ca = p.ca(CaId::SigningCa);
    let revoked = p.identity("revoked").unwrap();
    let not_after = ago(DAY);
    let cert = craft::resigned(&revoked.cert_der, &ca.key, |f| {
        f[4] = validity_until(f, not_after);
    });
    let serial = serial_of(&cert);
    // The CRL that listed it (revocation 2 days ago) is not available; the
    // CA's current CRL no longer lists the expired certificate.
    let current = craft::crl(
        &ca.cert_der,
        &ca.key,
        ago(3600),
        p.now + Duration::from_secs(DAY),
        &[],
        Vec::new(),
        50,
    );
    // An old CRL from before the revocation, still "fresh" at genTime.
    let old = craft::crl(
        &ca.cert_der,
        &ca.key,
        ago(5 * DAY / 2),
        ago(DAY / 2),
        &[],
        Vec::new(),
        40,
    );
    let sig = sign_with(cert, revoked.key.clone());
    let sig = with_signature_crls(&sig, &[&old]);
    let sig = stamp(&sig, 0, &tsa_at(ago(3 * DAY / 2)));
    let rev = RevocationConfig {
        crls: vec![current, p.crl("arl.crl").unwrap().der.clone()],
        fetch: false,
        ..RevocationConfig::default()
    };
    let r = validate(&sig, Some(LETTER), &options(p.now, rev));
    let _ = serial;
    assert_ne!(
        r.indication,
        Indication::TotalPassed,
        "revoked 2 days ago, stamped 1.5 days ago: {}",
        explain(&r)
    );
}

/// Same root cause without expiry: the signing CA is revoked (1 day ago,
/// after the stamp) and its CRL distribution point is gone, so the only CRL
/// for the signer is an old one the signer embedded. At the validation time
/// the signer's status is unknown, but "a revoked CA outranks an unknown
/// status" turns it into REVOKED_CA_NO_POE, which opens the past validation;
/// there the old CRL (issued before the signer's revocation 2 days ago) is
/// "fresh" at the stamp (1.5 days ago) and the signer passes.
#[test]
fn revoked_ca_opens_past_validation_with_an_old_crl_for_a_signer_revoked_before_the_stamp() {
    let p = pki();
    let ca = p.ca(CaId::SigningCa);
    let revoked = p.identity("revoked").unwrap();
    let ca_serial = serial_of(&ca.cert_der);
    let arl = craft::crl(
        &p.root.cert_der,
        &p.root.key,
        ago(3600),
        p.now + Duration::from_secs(DAY),
        &[(&ca_serial[..], ago(DAY))],
        Vec::new(),
        60,
    );
    let old = craft::crl(
        &ca.cert_der,
        &ca.key,
        ago(5 * DAY / 2),
        ago(DAY / 2),
        &[],
        Vec::new(),
        41,
    );
    let sig = sign_as("revoked");
    let _ = revoked;
    let sig = with_signature_crls(&sig, &[&old]);
    let sig = stamp(&sig, 0, &tsa_at(ago(3 * DAY / 2)));
    let rev = RevocationConfig {
        crls: vec![arl],
        fetch: false,
        ..RevocationConfig::default()
    };
    let r = validate(&sig, Some(LETTER), &options(p.now, rev));
    assert_ne!(
        r.indication,
        Indication::TotalPassed,
        "signer revoked 2 days ago, stamped 1.5 days ago, CA revoked 1 day ago: {}",
        explain(&r)
    );
}

/// Control for the test above: if any CRL still lists the revocation, the
/// verdict is REVOKED (the attack needs the CA to have dropped the entry).
#[test]
fn expired_signer_revoked_before_the_stamp_fails_when_a_crl_lists_it() {
    let p = pki();
    let ca = p.ca(CaId::SigningCa);
    let revoked = p.identity("revoked").unwrap();
    let cert = craft::resigned(&revoked.cert_der, &ca.key, |f| {
        f[4] = validity_until(f, ago(DAY));
    });
    let sig = sign_with(cert, revoked.key.clone());
    let sig = stamp(&sig, 0, &tsa_at(ago(3 * DAY / 2)));
    let r = check(&sig); // the served CRL lists the serial
    assert_eq!(r.indication, Indication::TotalFailed, "{}", explain(&r));
}

// ================================================================ crashes

/// Accuracy { seconds = 2^64-1, millis = 1000 }: `Duration + Duration`
/// overflows in parse_tst_info. The token need not even verify: the error
/// path parses the TSTInfo for display.
#[test]
fn huge_accuracy_does_not_panic_even_in_an_unsigned_token() {
    let sig = sign_as("doctor");
    let imprint = sha2::Sha256::digest(sig_value(&sig, 0)).to_vec();
    let acc = seq(&[
        &int(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        &tlv(0x80, &[0x03, 0xe8]),
    ]);
    let tst = tst_info(&imprint, &gen_time_text(ago(DAY)), &acc, &[]);
    // A key that is not the TSA's: the signature does not verify.
    let other = pki().identity("nurse").unwrap();
    let tsa = tsa_at(ago(DAY));
    let forged = token_raw(
        &tst,
        &tsa.cert_der,
        &other.key,
        Ess::V2(tsa.cert_der.clone()),
        &[&tsa.cert_der],
        0,
    );
    let s = add_token(&sig, 0, &forged);
    let outcome = std::panic::catch_unwind(|| check(&s));
    assert!(
        outcome.is_ok(),
        "validate() panicked on a forged token's accuracy field"
    );
    // And with a token the TSA really signed.
    let s = add_token(&sig, 0, &token_for(&tsa, &tst));
    let outcome = std::panic::catch_unwind(|| check(&s));
    assert!(outcome.is_ok(), "validate() panicked on a token's accuracy");
}

// ============================================================= wrong time

/// genTime after the validation time: proves nothing about the past, must
/// not be reported as the signing time.
#[test]
fn gen_time_after_the_validation_time_is_not_the_best_signature_time() {
    let sig = stamp(
        &sign_as("doctor"),
        0,
        &tsa_at(pki().now + Duration::from_secs(30 * DAY)),
    );
    let r = check(&sig);
    assert!(
        r.best_signature_time.is_none(),
        "best_signature_time {:?} is after the validation time {}: {}",
        r.best_signature_time,
        r.validation_time,
        explain(&r)
    );
}

/// A future stamp must not rescue a revoked signer either.
#[test]
fn future_stamp_does_not_rescue_a_revoked_signer() {
    let sig = stamp(
        &sign_as("revoked"),
        0,
        &tsa_at(pki().now + Duration::from_secs(DAY)),
    );
    let r = check(&sig);
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

// =============================================== attacks expected to hold

#[test]
fn token_of_the_co_signer_does_not_count() {
    let sig = inkan_cades::testing::co_sign(
        LETTER,
        &mut SoftwareSigner::new(
            pki().identity("doctor").unwrap().cert_der.clone(),
            pki().identity("doctor").unwrap().key.clone(),
        ),
        &mut SoftwareSigner::new(
            pki().identity("revoked").unwrap().cert_der.clone(),
            pki().identity("revoked").unwrap().key.clone(),
        ),
        &SignOptions {
            attached: false,
            signing_time: pki().now,
            extra_certificates: vec![pki().ca(CaId::SigningCa).cert_der.clone()],
        },
    )
    .unwrap();
    let parsed = inkan_cades::parse(&sig).unwrap();
    let rev_idx = parsed
        .signers
        .iter()
        .position(|s| {
            matches!(&s.sid, inkan_cades::SignerId::IssuerAndSerialNumber { serial, .. }
                if serial[2..] == serial_of(&pki().identity("revoked").unwrap().cert_der)[..])
        })
        .unwrap();
    let other = 1 - rev_idx;
    // An early stamp over the *other* signer's signature value, put on the revoked one.
    let imprint = sha2::Sha256::digest(&parsed.signers[other].signature).to_vec();
    let token = tsa_at(ago(3 * DAY)).token(&imprint, None, 1).unwrap();
    let s = add_token(&sig, rev_idx, &token);
    let r = check(&s);
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    assert_eq!(r.sub_indication.as_deref(), Some("REVOKED_NO_POE"));
}

#[test]
fn invalid_earlier_stamp_is_not_the_best_signature_time() {
    // A valid stamp after the revocation plus a forged one before it.
    let sig = sign_as("revoked");
    let s = stamp(&sig, 0, &tsa_at(ago(DAY)));
    let imprint = sha2::Sha256::digest(sig_value(&sig, 0)).to_vec();
    let tst = tst_info(&imprint, &gen_time_text(ago(10 * DAY)), &[], &[]);
    let tsa = tsa_at(ago(10 * DAY));
    let nurse = pki().identity("nurse").unwrap();
    let forged = token_raw(
        &tst,
        &tsa.cert_der,
        &nurse.key,
        Ess::V2(tsa.cert_der.clone()),
        &[&tsa.cert_der],
        0,
    );
    let s = add_token(&s, 0, &forged);
    let r = check(&s);
    assert_eq!(r.indication, Indication::TotalFailed, "{}", explain(&r));
}

const EKU: &str = "2.5.29.37";
const TS: &str = "1.3.6.1.5.5.7.3.8";

fn eku_value(oids: &[&str]) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = oids.iter().map(|o| oid(o)).collect();
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    seq(&refs)
}

/// The test TSA with its certificate's extKeyUsage replaced (`None`: removed).
fn tsa_with_eku(eku: Option<(bool, &[&str])>, time: SystemTime) -> TestTsa {
    let mut tsa = tsa_at(time);
    tsa.cert_der = craft::resigned(&tsa.cert_der, &pki().root.key, |f| {
        craft::with_extensions(f, |exts| {
            exts.retain(|e| e.extn_id.to_string() != EKU);
            if let Some((critical, oids)) = eku {
                exts.push(craft::extension(EKU, critical, eku_value(oids)));
            }
        })
    });
    tsa
}

fn revoked_stamped_early_by(tsa: &TestTsa) -> ValidationReport {
    check(&stamp(&sign_as("revoked"), 0, tsa))
}

#[test]
fn tsa_without_eku_does_not_count() {
    let r = revoked_stamped_early_by(&tsa_with_eku(None, ago(3 * DAY)));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn tsa_with_non_critical_eku_does_not_count() {
    let r = revoked_stamped_early_by(&tsa_with_eku(Some((false, &[TS])), ago(3 * DAY)));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn tsa_with_extra_purposes_does_not_count() {
    let r = revoked_stamped_early_by(&tsa_with_eku(
        Some((true, &[TS, "1.3.6.1.5.5.7.3.4"])),
        ago(3 * DAY),
    ));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn control_resigned_tsa_with_the_right_eku_counts() {
    let r = revoked_stamped_early_by(&tsa_with_eku(Some((true, &[TS])), ago(3 * DAY)));
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn stamp_without_tsa_trust_does_not_count() {
    let sig = stamp(&sign_as("revoked"), 0, &tsa_at(ago(3 * DAY)));
    let mut o = options(pki().now, online());
    o.tsa_trust.clear();
    let r = validate(&sig, Some(LETTER), &o);
    assert_eq!(
        r.sub_indication.as_deref(),
        Some("REVOKED_NO_POE"),
        "{}",
        explain(&r)
    );
    // A TSA anchor that is not the TSA's root: the rogue root.
    o.tsa_trust = vec![pki().ca(CaId::RogueRoot).cert_der.clone()];
    let r = validate(&sig, Some(LETTER), &o);
    assert_eq!(
        r.sub_indication.as_deref(),
        Some("REVOKED_NO_POE"),
        "{}",
        explain(&r)
    );
}

#[test]
fn gen_time_outside_the_tsa_certificate_does_not_count() {
    // The TSA certificate is valid from 2 years before now.
    let sig = stamp(&sign_as("revoked"), 0, &tsa_at(ago(3 * 365 * DAY)));
    let r = check(&sig);
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn gen_time_before_the_signer_certificate_does_not_pass() {
    let sig = stamp(&sign_as("revoked"), 0, &tsa_at(ago(600 * DAY)));
    let r = check(&sig);
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn ess_v1_with_another_hash_does_not_count() {
    let sig = sign_as("revoked");
    let tsa = tsa_at(ago(3 * DAY));
    let imprint = sha2::Sha256::digest(sig_value(&sig, 0)).to_vec();
    let tst = tst_info(&imprint, &gen_time_text(ago(3 * DAY)), &[], &[]);
    let tok = token_raw(
        &tst,
        &tsa.cert_der,
        &tsa.key,
        Ess::V1(vec![0x11; 20]),
        &[&tsa.cert_der],
        0,
    );
    let r = check(&add_token(&sig, 0, &tok));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn token_with_two_signer_infos_does_not_count() {
    let sig = sign_as("revoked");
    let tsa = tsa_at(ago(3 * DAY));
    let imprint = sha2::Sha256::digest(sig_value(&sig, 0)).to_vec();
    let tst = tst_info(&imprint, &gen_time_text(ago(3 * DAY)), &[], &[]);
    let tok = token_raw(
        &tst,
        &tsa.cert_der,
        &tsa.key,
        Ess::V2(tsa.cert_der.clone()),
        &[&tsa.cert_der],
        1,
    );
    let r = check(&add_token(&sig, 0, &tok));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn tst_info_with_a_critical_extension_does_not_count() {
    let sig = sign_as("revoked");
    let tsa = tsa_at(ago(3 * DAY));
    let imprint = sha2::Sha256::digest(sig_value(&sig, 0)).to_vec();
    let ext = seq(&[
        &oid("1.3.6.1.4.1.99999.1"),
        &[0x01, 0x01, 0xff],
        &octets(&[0x05, 0x00]),
    ]);
    let tst = tst_info(
        &imprint,
        &gen_time_text(ago(3 * DAY)),
        &[],
        &tlv(0xa1, &ext),
    );
    let r = check(&add_token(&sig, 0, &token_for(&tsa, &tst)));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

#[test]
fn fractional_gen_time_is_read_exactly() {
    let sig = sign_as("doctor");
    let tsa = tsa_at(ago(3 * DAY));
    let imprint = sha2::Sha256::digest(sig_value(&sig, 0)).to_vec();
    let mut g = gen_time_text(ago(3 * DAY));
    g.pop();
    g.extend_from_slice(b".999999999999Z");
    let tst = tst_info(&imprint, &g, &[], &[]);
    let r = check(&add_token(&sig, 0, &token_for(&tsa, &tst)));
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    let bst = r.best_signature_time.clone().unwrap();
    assert_eq!(
        bst,
        inkan_trust::crl::rfc3339(ago(3 * DAY)),
        "{}",
        explain(&r)
    );
}

/// Many copies of one valid token: each is a full TSA path validation (CRL
/// parsing and signature checks, possibly a fetch). The number of tokens is
/// not bounded (unlike signers, MAX_SIGNERS = 16).
#[test]
fn many_copies_of_a_token_are_bounded() {
    let p = pki();
    let sig = sign_as("doctor");
    let imprint = sha2::Sha256::digest(sig_value(&sig, 0)).to_vec();
    let tsa = tsa_at(ago(DAY));
    // Without certificates (they are in the signature), ~1 KB each.
    let tst = tst_info(&imprint, &gen_time_text(ago(DAY)), &[], &[]);
    let tok = token_raw(
        &tst,
        &tsa.cert_der,
        &tsa.key,
        Ess::V2(tsa.cert_der.clone()),
        &[],
        0,
    );
    // 16 signature CRLs of a few thousand entries (each re-parsed for every token).
    let ca = p.ca(CaId::SigningCa);
    let serials: Vec<[u8; 4]> = (0..4000u32)
        .map(|i| (i + 0x1000_0000).to_be_bytes())
        .collect();
    let entries: Vec<(&[u8], SystemTime)> =
        serials.iter().map(|s| (&s[..], ago(10 * DAY))).collect();
    let crls: Vec<Vec<u8>> = (0..16u8)
        .map(|n| {
            craft::crl(
                &ca.cert_der,
                &ca.key,
                ago(DAY),
                p.now + Duration::from_secs(DAY),
                &entries,
                Vec::new(),
                100 + n,
            )
        })
        .collect();
    let crl_refs: Vec<&[u8]> = crls.iter().map(Vec::as_slice).collect();
    let mut s = with_signature_crls(&sig, &crl_refs);
    // The TSA certificate once, in the signature's certificate set, is enough.
    s = add_cert(&s, &tsa.cert_der);
    let n = 1000;
    let mut body = Vec::new();
    for _ in 0..n {
        body.extend_from_slice(&tok);
    }
    s = add_attr_values(&s, 0, "1.2.840.113549.1.9.16.2.14", &body);
    eprintln!(
        "signature file: {} bytes, {} token values",
        s.len(),
        inkan_cades::parse(&s).unwrap().signers[0]
            .unsigned_attr_values(&ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14"))
            .len()
    );
    let rev = RevocationConfig {
        crls: vec![
            p.crl("arl.crl").unwrap().der.clone(),
            p.crl("sign-ca.crl").unwrap().der.clone(),
        ],
        fetch: false,
        ..RevocationConfig::default()
    };
    let started = Instant::now();
    let r = validate(&s, Some(LETTER), &options(p.now, rev));
    let took = started.elapsed();
    eprintln!(
        "{n} tokens: {took:?}, {} reports; {}",
        r.timestamps.len(),
        explain_short(&r)
    );
    assert!(
        took < Duration::from_secs(5),
        "{n} copies of a token took {took:?}"
    );
}

fn explain_short(r: &ValidationReport) -> String {
    format!("{} {:?}", r.indication.as_str(), r.sub_indication)
}

/// `sig` with `cert` added to SignedData.certificates.
fn add_cert(sig: &[u8], cert: &[u8]) -> Vec<u8> {
    let ci = Vec::<Any>::from_der(sig).unwrap();
    let mut sd = Vec::<Any>::from_der(ci[1].value()).unwrap();
    let i = sd
        .iter()
        .position(|a| {
            a.tag()
                == der::Tag::ContextSpecific {
                    constructed: true,
                    number: der::TagNumber(0),
                }
        })
        .unwrap();
    let mut v = sd[i].value().to_vec();
    v.extend_from_slice(cert);
    sd[i] = Any::from_der(&tlv(0xa0, &v)).unwrap();
    seq(&[&ci[0].to_der().unwrap(), &tlv(0xa0, &sd.to_der().unwrap())])
}

/// One unsigned attribute `attr` with the concatenated `values` on signer `index`.
fn add_attr_values(sig: &[u8], index: usize, attr: &str, values: &[u8]) -> Vec<u8> {
    // add_unsigned_attribute wraps value_der in a SET: pass the concatenation.
    inkan_cades::augment::add_unsigned_attribute(
        sig,
        index,
        &ObjectIdentifier::new_unwrap(attr),
        values,
    )
    .unwrap()
}

/// The TSA certificate is revoked (4 days ago) before the token's genTime
/// (3 days ago): the token proves nothing.
#[test]
fn tsa_revoked_before_gen_time_does_not_count() {
    let p = pki();
    let tsa = tsa_at(ago(3 * DAY));
    let arl = craft::crl(
        &p.root.cert_der,
        &p.root.key,
        ago(3600),
        p.now + Duration::from_secs(DAY),
        &[(&serial_of(&tsa.cert_der)[..], ago(4 * DAY))],
        Vec::new(),
        61,
    );
    let sig = stamp(&sign_as("revoked"), 0, &tsa);
    let rev = RevocationConfig {
        crls: vec![arl, p.crl("sign-ca.crl").unwrap().der.clone()],
        fetch: false,
        ..RevocationConfig::default()
    };
    let r = validate(&sig, Some(LETTER), &options(p.now, rev));
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}
