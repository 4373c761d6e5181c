//! Attacks found by a hostile review of the verifier, kept as scenarios:
//! signature-budget starvation that dropped a delta CRL, a CRL signer judged
//! under a cycle assumption and then reused, pool stuffing that turned a
//! valid path into a give-up, characters that act on a display, and a
//! layered web of attacker certificates (bounded search).
#![allow(clippy::unwrap_used, dead_code)]

mod common;

use std::time::{Duration, Instant};

use common::{fixture, root_only_store, validate};
use der::asn1::{ObjectIdentifier, Uint};
use der::{Any, Decode, Encode};
use inkan_testpki::craft::{crl, extension as ext, resigned, with_extensions};
use inkan_trust::{PathFailure, PathStatus, RevocationConfig, ValidationProfile};
use x509_cert::Certificate;

const DAY: Duration = Duration::from_secs(86_400);
const HOUR: Duration = Duration::from_secs(3_600);

use inkan_testpki::craft::tlv;

/// Name DER: CN=<cn> (UTF8String).
fn name_der(cn: &str) -> Vec<u8> {
    let mut atv = tlv(0x06, &[0x55, 0x04, 0x03]);
    atv.extend(tlv(0x0C, cn.as_bytes()));
    tlv(0x30, &tlv(0x31, &tlv(0x30, &atv)))
}

fn any(der: &[u8]) -> Any {
    Any::from_der(der).unwrap()
}

fn serial_of(cert: &[u8]) -> Vec<u8> {
    Certificate::from_der(cert)
        .unwrap()
        .tbs_certificate()
        .serial_number()
        .as_bytes()
        .to_vec()
}

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

fn drop_key_ids(exts: &mut Vec<x509_cert::ext::Extension>) {
    exts.retain(|e| e.extn_id != oid("2.5.29.35") && e.extn_id != oid("2.5.29.14"));
}

/// The SPKI of `cert` (tbs field 6) with one modulus byte changed: a distinct,
/// parseable, useless RSA "key".
fn fake_spki(cert: &[u8], n: u8) -> Any {
    let c = Certificate::from_der(cert).unwrap();
    let mut spki = c
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    spki[120] ^= n.wrapping_add(1);
    spki[121] ^= 0x5a;
    any(&spki)
}

fn offline(crls: Vec<Vec<u8>>) -> RevocationConfig {
    RevocationConfig {
        crls,
        ..RevocationConfig::offline()
    }
}

/// Path building and CRL checks once shared one signature budget, and a spent
/// budget read as "the delta CRL is not signed by the base key": pool
/// certificates tuned to spend the budget made a delta CRL that revokes the
/// CA disappear, and the CA passed. CRL checks now have their own budget, and
/// a check that cannot be made leaves the status unknown.
#[test]
fn budget_exhaustion_must_not_drop_a_delta_crl_that_revokes_the_ca() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let root = &pki.root;
    let ca = &pki.signing_ca;
    let ca_serial = serial_of(&ca.cert_der);
    let sign_ca_crl = pki.crl("sign-ca.crl").unwrap().der.clone();
    // A complete ARL #5 that does not list the CA, and a delta #6 (base 5)
    // that revokes it (both genuine: signed by the root).
    let arl5 = crl(
        &root.cert_der,
        &root.key,
        pki.now - HOUR,
        pki.now + 3 * DAY,
        &[],
        vec![],
        5,
    );
    let delta6 = crl(
        &root.cert_der,
        &root.key,
        pki.now - HOUR / 2,
        pki.now + 3 * DAY,
        &[(&ca_serial, pki.now - DAY)],
        vec![ext("2.5.29.27", true, vec![0x02, 0x01, 0x05])],
        6,
    );
    let rev = offline(vec![sign_ca_crl, arl5, delta6]);
    let store = root_only_store(pki);

    let baseline = validate(
        &id.cert_der,
        &store,
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        std::slice::from_ref(&ca.cert_der),
    );
    println!("baseline (no stuffing): {:?}", baseline.status);
    assert!(
        matches!(
            baseline.status.failure(),
            Some(PathFailure::Revoked { ca: true, .. })
        ),
        "baseline must be REVOKED_CA: {:?}",
        baseline.status
    );

    // Attacker material: `a` copies of the CA's certificate with the CA's
    // key (so the end entity "verifies" under them for free, memoised by
    // key) but issuer "Attacker X"; `b` certificates named "Attacker X" with
    // distinct useless keys. Building tries every (copy, X) pair: a*b checks.
    let rogue_key = &pki.rogue_ca.key;
    let x = any(&name_der("Attacker X"));
    let a = 10u8;
    let copies: Vec<Vec<u8>> = (1..=a)
        .map(|n| {
            resigned(&ca.cert_der, rogue_key, |fields| {
                fields[1] = Any::encode_from(&Uint::new(&[0x60, n]).unwrap()).unwrap();
                fields[3] = x.clone();
                with_extensions(fields, |e| {
                    e.retain(|e| e.extn_id != oid("2.5.29.35"));
                });
            })
        })
        .collect();
    let mut passed = Vec::new();
    for b in 0u8..=24 {
        let xs: Vec<Vec<u8>> = (1..=b)
            .map(|n| {
                resigned(&ca.cert_der, rogue_key, |fields| {
                    fields[1] = Any::encode_from(&Uint::new(&[0x61, n]).unwrap()).unwrap();
                    fields[5] = x.clone();
                    fields[6] = fake_spki(&ca.cert_der, n);
                    with_extensions(fields, drop_key_ids);
                })
            })
            .collect();
        let mut pool = vec![ca.cert_der.clone()];
        pool.extend(copies.iter().cloned());
        pool.extend(xs);
        let r = validate(
            &id.cert_der,
            &store,
            pki.now,
            ValidationProfile::Hpki,
            &rev,
            &pool,
        );
        println!(
            "a={a} b={b}: {} {:?}",
            r.status.indication(),
            r.status.sub_indication()
        );
        if r.status == PathStatus::Passed {
            passed.push(b);
            println!("  PASSED, revocation report: {:#?}", r.revocation);
        }
    }
    assert!(
        passed.is_empty(),
        "a CA revoked by a delta CRL PASSED with pool stuffing b={passed:?}"
    );
}

/// Characters that act on a display or hide text are neutralised. Letters
/// of right-to-left scripts stay (they are names; the window isolates
/// certificate text with `<bdi>`), and a literal backslash stays: an
/// escaped form in a name shows as text and acts on nothing.
#[test]
fn escape_display_gaps() {
    let cases: &[(char, &str)] = &[
        ('\u{2028}', "LINE SEPARATOR"),
        ('\u{2029}', "PARAGRAPH SEPARATOR"),
        ('\u{00AD}', "SOFT HYPHEN (invisible)"),
        ('\u{034F}', "COMBINING GRAPHEME JOINER"),
        ('\u{115F}', "HANGUL CHOSEONG FILLER"),
        ('\u{1160}', "HANGUL JUNGSEONG FILLER"),
        ('\u{3164}', "HANGUL FILLER"),
        ('\u{FFA0}', "HALFWIDTH HANGUL FILLER"),
        ('\u{180E}', "MONGOLIAN VOWEL SEPARATOR"),
        ('\u{206A}', "INHIBIT SYMMETRIC SWAPPING"),
        ('\u{206F}', "NOMINAL DIGIT SHAPES"),
        ('\u{FFF9}', "INTERLINEAR ANNOTATION ANCHOR"),
        ('\u{FFFB}', "INTERLINEAR ANNOTATION TERMINATOR"),
        ('\u{E0001}', "LANGUAGE TAG"),
        ('\u{E0041}', "TAG LATIN CAPITAL A"),
        ('\u{FE0F}', "VARIATION SELECTOR-16"),
        ('\u{1D173}', "MUSICAL SYMBOL BEGIN BEAM (format)"),
        ('\u{FFFC}', "OBJECT REPLACEMENT"),
    ];
    let mut missed = Vec::new();
    for (c, what) in cases {
        let s = format!("Taro{c}Yamada");
        let e = inkan_trust::holder::escape_display(&s);
        if e.contains(*c) {
            missed.push(format!("U+{:04X} {what}", u32::from(*c)));
        }
    }
    for m in &missed {
        println!("NOT ESCAPED: {m}");
    }
    assert!(missed.is_empty(), "{} gaps", missed.len());
}

/// Time: a layered web of attacker certificates (one real-CA-key entry
/// layer, then layers with the same name and key per layer, each signed by
/// the next layer's key), so every edge verifies and is memoised: the search
/// is bounded only by MAX_BUILD_STEPS. How long does one validation take?
#[test]
fn layered_web_build_time() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let ca = &pki.signing_ca;
    // Keys for layers 1..=L (their certs carry the identity's SPKI).
    let layer_ids = ["dentist", "pharmacist", "nurse", "director", "auth"];
    let layers: Vec<&inkan_testpki::Identity> =
        layer_ids.iter().filter_map(|n| pki.identity(n)).collect();
    let l = layers.len();
    println!("{l} layers");
    let m: u8 = 250 / (l as u8 + 1);
    let mut pool = vec![ca.cert_der.clone()];
    // Layer 0: CA name, CA key, issuer L1, signed by layer 1's key.
    for n in 0..m {
        pool.push(resigned(&ca.cert_der, &layers[0].key, |fields| {
            fields[1] = Any::encode_from(&Uint::new(&[0x50, n]).unwrap()).unwrap();
            fields[3] = any(&name_der("L1"));
            with_extensions(fields, |e| e.retain(|e| e.extn_id != oid("2.5.29.35")));
        }));
    }
    for k in 0..l {
        let next_key = &layers[(k + 1) % l].key;
        let spki = Certificate::from_der(&layers[k].cert_der)
            .unwrap()
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .unwrap();
        for n in 0..m {
            pool.push(resigned(&ca.cert_der, next_key, |fields| {
                fields[1] = Any::encode_from(&Uint::new(&[0x51 + k as u8, n]).unwrap()).unwrap();
                fields[3] = any(&name_der(&format!("L{}", (k + 1) % l + 1)));
                fields[5] = any(&name_der(&format!("L{}", k + 1)));
                fields[6] = any(&spki);
                with_extensions(fields, drop_key_ids);
            }));
        }
    }
    println!("pool {}", pool.len());
    let rev = common::given_crls(pki);
    let store = root_only_store(pki);
    let t = Instant::now();
    let r = validate(
        &id.cert_der,
        &store,
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        &pool,
    );
    let took = t.elapsed();
    println!("status {:?}; took {took:?} (debug build)", r.status);
    // Without the real CA.
    let t = Instant::now();
    let r2 = validate(
        &id.cert_der,
        &store,
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        &pool[1..],
    );
    println!(
        "without CA: {:?}; took {:?} (debug build)",
        r2.status.sub_indication(),
        t.elapsed()
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

fn spki_of(cert: &[u8]) -> Any {
    any(&Certificate::from_der(cert)
        .unwrap()
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap())
}

/// cRLDistributionPoints with one DistributionPoint per name, each holding
/// only cRLIssuer [2] { directoryName [4] name }.
fn cdp_crl_issuers(names: &[&[u8]]) -> Vec<u8> {
    let dps: Vec<u8> = names
        .iter()
        .flat_map(|n| tlv(0x30, &tlv(0xA2, &tlv(0xA4, n))))
        .collect();
    tlv(0x30, &dps)
}

fn set_ext(exts: &mut Vec<x509_cert::ext::Extension>, id: &str, critical: bool, value: Vec<u8>) {
    exts.retain(|e| e.extn_id != oid(id));
    exts.push(ext(id, critical, value));
}

/// A CRL signer whose own judgement is in progress is accepted (a CRL issuer
/// on its own CRL, PKITS 4.14.30), but a signer validated under that
/// assumption must not be remembered as valid: the assumption may fail.
///
/// S (issued by CA2, which the ARL revokes) and T (issued by the good CA)
/// are indirect CRL issuers for each other. The end entity names S first,
/// then T, as cRLIssuer. Validating S validates T while S is in progress
/// (T's status rests on S's CRL only); S then fails (CA2 revoked), but T is
/// memoised Ok and then decides the end entity's status.
#[test]
fn a_crl_signer_validated_under_an_in_progress_signer_that_fails_is_not_reused() {
    let f = fixture();
    let pki = &f.pki;
    let root = &pki.root;
    let ca = &pki.signing_ca;
    let doctor = pki.identity("doctor").unwrap();
    let s_key = &pki.identity("dentist").unwrap();
    let t_key = &pki.identity("pharmacist").unwrap();
    let ca2_name = name_der("Attack CA2");
    let s_name = name_der("CRL issuer S");
    let t_name = name_der("CRL issuer T");
    // CA2: the signing CA's key and extensions, another name, root-signed.
    let ca2 = resigned(&ca.cert_der, &root.key, |fields| {
        fields[1] = Any::encode_from(&Uint::new(&[0x33]).unwrap()).unwrap();
        fields[5] = any(&ca2_name);
    });
    let s = resigned(&doctor.cert_der, &ca.key, |fields| {
        fields[1] = Any::encode_from(&Uint::new(&[0x44]).unwrap()).unwrap();
        fields[3] = any(&ca2_name);
        fields[5] = any(&s_name);
        fields[6] = spki_of(&s_key.cert_der);
        with_extensions(fields, |e| {
            e.retain(|e| e.extn_id != oid("2.5.29.15") && e.extn_id != oid("2.5.29.14"));
            set_ext(e, "2.5.29.31", false, cdp_crl_issuers(&[&t_name]));
        });
    });
    let t = resigned(&doctor.cert_der, &ca.key, |fields| {
        fields[1] = Any::encode_from(&Uint::new(&[0x45]).unwrap()).unwrap();
        fields[5] = any(&t_name);
        fields[6] = spki_of(&t_key.cert_der);
        with_extensions(fields, |e| {
            e.retain(|e| e.extn_id != oid("2.5.29.15") && e.extn_id != oid("2.5.29.14"));
            set_ext(e, "2.5.29.31", false, cdp_crl_issuers(&[&s_name]));
        });
    });
    let ee = |issuers: &[&[u8]]| {
        resigned(&doctor.cert_der, &ca.key, |fields| {
            with_extensions(fields, |e| {
                set_ext(e, "2.5.29.31", false, cdp_crl_issuers(issuers));
            });
        })
    };
    // issuingDistributionPoint { indirectCRL TRUE }
    let idp_indirect = || ext("2.5.29.28", true, vec![0x30, 0x03, 0x84, 0x01, 0xFF]);
    let crl_s = crl(
        &s,
        &s_key.key,
        pki.now - HOUR,
        pki.now + 3 * DAY,
        &[],
        vec![idp_indirect()],
        1,
    );
    let crl_t = crl(
        &t,
        &t_key.key,
        pki.now - HOUR,
        pki.now + 3 * DAY,
        &[],
        vec![idp_indirect()],
        1,
    );
    // The ARL revokes CA2 (not the signing CA).
    let arl = crl(
        &root.cert_der,
        &root.key,
        pki.now - HOUR,
        pki.now + 3 * DAY,
        &[(&[0x33u8][..], pki.now - DAY)],
        vec![],
        7,
    );
    let rev = offline(vec![crl_s, crl_t, arl]);
    let store = root_only_store(pki);
    let pool = vec![ca.cert_der.clone(), ca2, s.clone(), t.clone()];
    let run = |cert: &[u8]| validate(cert, &store, pki.now, ValidationProfile::Hpki, &rev, &pool);
    // Control: only T is named. T's status rests on S's CRL; S's CA is
    // revoked, so T cannot be validated, nor the end entity.
    let only_t = run(&ee(&[&t_name]));
    println!("EE naming only T: {:?}", only_t.status);
    // S first, then T.
    let s_then_t = run(&ee(&[&s_name, &t_name]));
    println!("EE naming S then T: {:?}", s_then_t.status);
    if s_then_t.status.is_passed() {
        println!("revocation: {:#?}", s_then_t.revocation[0]);
    }
    assert!(
        !only_t.status.is_passed(),
        "control passed: {:?}",
        only_t.status
    );
    assert!(
        !s_then_t.status.is_passed(),
        "passed because T was memoised valid while S (revoked CA) was in progress"
    );
}

/// A CRL in the CA's name signed by a look-alike CA certificate that
/// the signature carries (the CA's name, the attacker's key; self-issued, or
/// "issued" by the root name with a bad signature; with and without
/// keyUsage) must not be evidence.
#[test]
fn crl_signed_by_a_look_alike_ca_is_not_evidence() {
    let f = fixture();
    let pki = &f.pki;
    let ca = &pki.signing_ca;
    let rogue = &pki.rogue_ca;
    let id = pki.identity("doctor").unwrap();
    let revoked = pki.identity("revoked").unwrap();
    let root_name = Certificate::from_der(&pki.root.cert_der)
        .unwrap()
        .tbs_certificate()
        .subject()
        .to_der()
        .unwrap();
    let ca_name = Certificate::from_der(&ca.cert_der)
        .unwrap()
        .tbs_certificate()
        .subject()
        .to_der()
        .unwrap();
    let la_self = resigned(&rogue.cert_der, &rogue.key, |f| {
        f[3] = any(&ca_name);
        f[5] = any(&ca_name);
        with_extensions(f, |e| e.retain(|e| e.extn_id != oid("2.5.29.15")));
    });
    let la_root = resigned(&rogue.cert_der, &rogue.key, |f| {
        f[3] = any(&root_name);
        f[5] = any(&ca_name);
        with_extensions(f, drop_key_ids);
    });
    // Newest, fresh, empty CRL in the CA's name signed by the rogue key.
    let fake = crl(
        &la_self,
        &rogue.key,
        pki.now - HOUR / 4,
        pki.now + 3 * DAY,
        &[],
        vec![],
        200,
    );
    let arl = pki.crl("arl.crl").unwrap().der.clone();
    let store = root_only_store(pki);
    let pool = vec![ca.cert_der.clone(), la_self, la_root];
    // Good EE, only the fake CRL for its CA: must not pass.
    let r = validate(
        &id.cert_der,
        &store,
        pki.now,
        ValidationProfile::Hpki,
        &RevocationConfig {
            signature_crls: vec![fake.clone(), arl.clone()],
            ..RevocationConfig::offline()
        },
        &pool,
    );
    println!("good EE + fake CRL only: {:?}", r.status.sub_indication());
    assert!(!r.status.is_passed());
    // Revoked EE with the genuine CRL as well: still revoked.
    let r = validate(
        &revoked.cert_der,
        &store,
        pki.now,
        ValidationProfile::Hpki,
        &RevocationConfig {
            signature_crls: vec![fake, arl],
            crls: vec![pki.crl("sign-ca.crl").unwrap().der.clone()],
            ..RevocationConfig::offline()
        },
        &pool,
    );
    println!(
        "revoked EE + fake CRL + real CRL: {:?}",
        r.status.sub_indication()
    );
    assert!(matches!(
        r.status.failure(),
        Some(PathFailure::Revoked { .. })
    ));
}

/// Pool stuffing with (copy of the CA, fake-key issuer) pairs once spent the
/// budget quadratically and turned a valid path into INDETERMINATE: issuers
/// whose names lead to an anchor are now tried first, and CRL checks have
/// their own budget.
#[test]
fn quadratic_pool_stuffing_does_not_turn_a_valid_path_into_indeterminate() {
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let ca = &pki.signing_ca;
    let rogue_key = &pki.rogue_ca.key;
    let x = any(&name_der("Attacker X"));
    let mut pool = vec![ca.cert_der.clone()];
    for n in 0..20u8 {
        pool.push(resigned(&ca.cert_der, rogue_key, |fields| {
            fields[1] = Any::encode_from(&Uint::new(&[0x60, n]).unwrap()).unwrap();
            fields[3] = x.clone();
            with_extensions(fields, |e| e.retain(|e| e.extn_id != oid("2.5.29.35")));
        }));
        pool.push(resigned(&ca.cert_der, rogue_key, |fields| {
            fields[1] = Any::encode_from(&Uint::new(&[0x61, n]).unwrap()).unwrap();
            fields[5] = x.clone();
            fields[6] = fake_spki(&ca.cert_der, n);
            with_extensions(fields, drop_key_ids);
        }));
    }
    let r = common::validate_with_pool(&id.cert_der, &root_only_store(pki), pki, &pool);
    println!("41 pool certs: {:?}", r.status);
    assert_eq!(r.status, PathStatus::Passed);
}

/// A delta CRL that says removeFromCRL for a keyCompromise revocation
/// of its base must not release it; an invalidityDate before `at` with a
/// revocationDate after `at` still revokes.
#[test]
fn delta_remove_from_crl_does_not_undo_a_key_compromise() {
    use inkan_testpki::craft::{crl_with_entries, generalized_time};
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("doctor").unwrap();
    let ca = &pki.signing_ca;
    let serial = serial_of(&id.cert_der);
    let reason = |r: u8| ext("2.5.29.21", false, vec![0x0A, 0x01, r]);
    let base = crl_with_entries(
        &ca.cert_der,
        &ca.key,
        pki.now - HOUR,
        pki.now + 3 * DAY,
        &[(&serial, pki.now - DAY, vec![reason(1)])],
        vec![],
        5,
    );
    let delta = crl_with_entries(
        &ca.cert_der,
        &ca.key,
        pki.now - HOUR / 2,
        pki.now + 3 * DAY,
        &[(&serial, pki.now - HOUR, vec![reason(8)])],
        vec![ext("2.5.29.27", true, vec![0x02, 0x01, 0x05])],
        6,
    );
    let arl = pki.crl("arl.crl").unwrap().der.clone();
    let r = validate(
        &id.cert_der,
        &common::test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        &offline(vec![base, delta, arl.clone()]),
        &[],
    );
    println!(
        "keyCompromise + delta removeFromCRL: {:?}",
        r.status.sub_indication()
    );
    assert!(matches!(
        r.status.failure(),
        Some(PathFailure::Revoked { .. })
    ));
    // invalidityDate before at, revocationDate after at.
    let later = crl_with_entries(
        &ca.cert_der,
        &ca.key,
        pki.now - HOUR,
        pki.now + 3 * DAY,
        &[(
            &serial,
            pki.now + DAY,
            vec![
                reason(1),
                ext("2.5.29.24", false, generalized_time(pki.now - DAY)),
            ],
        )],
        vec![],
        7,
    );
    let r = validate(
        &id.cert_der,
        &common::test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        &offline(vec![later, arl]),
        &[],
    );
    println!(
        "invalidityDate < at < revocationDate: {:?}",
        r.status.sub_indication()
    );
    assert!(matches!(
        r.status.failure(),
        Some(PathFailure::Revoked { .. })
    ));
}
