//! Hostile scenarios for archive time-stamps in their several forms (a
//! second attack review of the long-term code):
//! - an ATSv2 covers only the attributes its imprint input includes, whole
//!   attributes, all values judged: a forged archive time-stamp hidden
//!   behind a junk first value, or as a second value of an honest
//!   attribute, gets no proof of existence; equal genTimes give none;
//! - renewal is not blocked by junk ATSv2 or long-term-validation
//!   attributes, works for genuine ATSv2 archives (no change to SignedData,
//!   EN 319 122-1 §5.5.3) and for BER-encoded letters (renewed in DER);
//! - cost: many signers are refused beyond the verifier's limit, and the
//!   archive tokens of sixteen signers are checked in bounded time.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::time::{Duration, Instant, SystemTime};

use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Encode};
use inkan_cades::ats;
use inkan_testpki::{CaId, TestTsa};
use inkan_trust::RevocationConfig;
use inkan_validation::{validate, Indication};
use sha2::Digest;

mod common;
use common::*;

// ---------------------------------------------------------------- helpers

const ATS_V2: ObjectIdentifier = inkan_cades::augment::ID_AA_ATS_V2;

fn gen_of(token: &[u8]) -> Option<SystemTime> {
    let p = inkan_cades::parse(token).ok()?;
    Some(
        inkan_tsp::rfc3161::parse_tst_info(p.econtent.as_deref()?)
            .ok()?
            .gen_time,
    )
}

/// An ATSv3 token (index v3 over `sig` as it is now) by `tsa`.
fn archive_v3_token(sig: &[u8], tsa: &TestTsa) -> Vec<u8> {
    let index = ats::hash_index_v3(sig, 0).unwrap();
    let input = ats::imprint_input_v3(sig, 0, Some(LETTER), &SHA256, &index).unwrap();
    let token = tsa.token(&sha2::Sha256::digest(&input), None, 9).unwrap();
    inkan_cades::augment::add_unsigned_attribute(&token, 0, &ats::ID_AA_ATS_HASH_INDEX_V3, &index)
        .unwrap()
}

fn archive_v3(sig: &[u8], tsa: &TestTsa) -> Vec<u8> {
    let token = archive_v3_token(sig, tsa);
    inkan_cades::augment::add_unsigned_attribute(sig, 0, &ats::ID_AA_ATS_V3, &token).unwrap()
}

/// An ATSv2 token by `tsa` over `sig` as the verifier rebuilds it (TS 101
/// 733 V2.2.1, wrapped): every unsigned attribute but archive time-stamps
/// whose (first) genTime is not older than `tsa.time`.
fn archive_v2_token(sig: &[u8], tsa: &TestTsa) -> Vec<u8> {
    let mine = tsa.time.unwrap();
    let keep = |oid: &ObjectIdentifier, values: &[&[u8]]| {
        if *oid != ats::ID_AA_ATS_V3 && *oid != ATS_V2 {
            return true;
        }
        !values.is_empty() && values.iter().all(|v| gen_of(v).is_some_and(|g| g < mine))
    };
    let input = ats::imprint_input_v2(sig, 0, Some(LETTER), &keep, true).unwrap();
    tsa.token(&sha2::Sha256::digest(&input.data), None, 11)
        .unwrap()
}

fn archive_v2(sig: &[u8], tsa: &TestTsa) -> Vec<u8> {
    let token = archive_v2_token(sig, tsa);
    inkan_cades::augment::add_unsigned_attribute(sig, 0, &ATS_V2, &token).unwrap()
}

/// An Attribute `oid` with the values `values` (each a full TLV), in that order.
fn attribute(oid: &ObjectIdentifier, values: &[Vec<u8>]) -> Vec<u8> {
    big_tlv(
        0x30,
        &[tlv(0x06, oid.as_bytes()), big_tlv(0x31, &values.concat())].concat(),
    )
}

/// `sig` with its signer 0 repeated so that there are `count` SignerInfos.
fn with_signers(sig: &[u8], count: usize) -> Vec<u8> {
    let ci = Vec::<Any>::from_der(sig).unwrap();
    let sd = Vec::<Any>::from_der(ci[1].value()).unwrap();
    let mut sd_parts: Vec<Vec<u8>> = sd.iter().map(|a| a.to_der().unwrap()).collect();
    let last = sd_parts.len() - 1;
    let sis = Vec::<Any>::from_der(&{
        let mut v = sd_parts[last].clone();
        v[0] = 0x30;
        v
    })
    .unwrap();
    let one = sis[0].to_der().unwrap();
    sd_parts[last] = big_tlv(0x31, &one.repeat(count));
    let sd_new = big_tlv(0x30, &sd_parts.concat());
    big_tlv(
        0x30,
        &[ci[0].to_der().unwrap(), big_tlv(0xa0, &sd_new)].concat(),
    )
}

fn anchors() -> Vec<Vec<u8>> {
    vec![pki().root.cert_der.clone()]
}

/// Renewal as `inkan archive renew` runs it; `Err` says why it stopped.
fn renew(sig: &[u8]) -> Result<Vec<u8>, String> {
    let with_data = inkan_validation::timestamps::add_timestamp_validation_data(
        sig,
        Some(LETTER.into()),
        &anchors(),
        &online_with(vec![]),
    )
    .map_err(|e| format!("add_timestamp_validation_data: {e}"))?
    .0;
    let new = archive_v3(&with_data, &tsa_at(ago(60)));
    inkan_validation::timestamps::check_renewal(
        sig,
        &new,
        Some(LETTER.into()),
        &anchors(),
        &online_with(vec![]),
    )
    .map_err(|e| format!("check_renewal: {e}"))?;
    Ok(new)
}

fn run_with_deadline<T: Send + 'static>(
    secs: u64,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<(T, Duration), Duration> {
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let r = f();
        let _ = tx.send(r);
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => Ok((v, start.elapsed())),
        Err(_) => Err(start.elapsed()),
    }
}

// ------------------------------------------ 1. ATSv2 coverage (POE theft)

/// Setting: signer "revoked" (revoked 2 days ago); a signature-time-stamp
/// forged with TSA Y's key (revoked 36 h ago) dated 3 days ago; an honest
/// ATSv2 over all that, 1 day ago (after Y's revocation: on its own it
/// cannot rescue Y's stamp). Then, after TSA X's key leaked (X revoked 12 h
/// ago), the attacker adds a NEW attribute of type ATSv2 whose first value
/// is junk (NULL) and whose second value is an ATSv2 forged with X's key
/// dated 2 days ago. The honest ATSv2's imprint leaves the whole attribute
/// out (`keep` looks at the first value only, and junk has no genTime),
/// so the honest ATSv2 still verifies, yet `Cover::AllBefore` hands its
/// POE (1 day ago, before X's revocation) to the forged one, which then
/// hands its own genTime (2 days ago, before Y's revocation) to Y's stamp.
#[test]
fn forged_ats_v2_behind_a_junk_first_value_gets_no_poe() {
    let sig = sign_as("revoked");
    let sig = stamp(&sig, 0, &tsa_y(ago(3 * DAY)));
    let sig = archive_v2(&sig, &tsa_at(ago(DAY)));
    let forged = archive_v2_token(&sig, &tsa_x(ago(2 * DAY)));
    let sig = splice_attr(&sig, &attribute(&ATS_V2, &[vec![0x05, 0x00], forged]));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    let forged_passed = r.signers[0].timestamps.iter().any(|t| {
        t.kind == "archive_v2"
            && t.indication == "TOTAL_PASSED"
            && t.gen_time.as_deref() == Some(inkan_trust::crl::rfc3339(ago(2 * DAY)).as_str())
    });
    assert!(
        !forged_passed && r.indication != Indication::TotalPassed,
        "forged ATSv2 (not in the honest ATSv2's imprint) got POE: {}",
        explain(&r)
    );
}

/// Same, with the forged token as the SECOND value of the honest ATSv2's
/// own attribute (its first value is the honest token, which `keep`
/// excludes together with every other value of the attribute).
#[test]
fn forged_ats_v2_as_second_value_of_the_honest_attribute_gets_no_poe() {
    let sig = sign_as("revoked");
    let sig = stamp(&sig, 0, &tsa_y(ago(3 * DAY)));
    let honest = archive_v2_token(&sig, &tsa_at(ago(DAY)));
    let forged = archive_v2_token(&sig, &tsa_x(ago(2 * DAY)));
    let sig = splice_attr(&sig, &attribute(&ATS_V2, &[honest, forged]));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_ne!(
        r.indication,
        Indication::TotalPassed,
        "forged ATSv2 riding in the honest ATSv2's SET got POE: {}",
        explain(&r)
    );
}

/// The ATSv3 variant of the junk-first trick against an honest ATSv2: the
/// forged token sits in an ATSv3 attribute after a junk value.
#[test]
fn forged_ats_v3_behind_a_junk_first_value_gets_no_poe_from_an_ats_v2() {
    let sig = sign_as("revoked");
    let sig = stamp(&sig, 0, &tsa_y(ago(3 * DAY)));
    let sig = archive_v2(&sig, &tsa_at(ago(DAY)));
    let forged = archive_v3_token(&sig, &tsa_x(ago(2 * DAY)));
    let sig = splice_attr(
        &sig,
        &attribute(&ats::ID_AA_ATS_V3, &[vec![0x05, 0x00], forged]),
    );
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_ne!(
        r.indication,
        Indication::TotalPassed,
        "forged ATSv3 excluded from the honest ATSv2's imprint got POE: {}",
        explain(&r)
    );
}

/// Control: the honest ATSv2 alone does not rescue Y's stamp.
#[test]
fn control_honest_ats_v2_alone_does_not_rescue() {
    let sig = sign_as("revoked");
    let sig = stamp(&sig, 0, &tsa_y(ago(3 * DAY)));
    let sig = archive_v2(&sig, &tsa_at(ago(DAY)));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    let honest = r.signers[0]
        .timestamps
        .iter()
        .find(|t| t.kind == "archive_v2")
        .unwrap();
    assert_eq!(honest.indication, "TOTAL_PASSED", "{}", explain(&r));
}

/// Control: a forged ATSv2 in its own single-valued attribute breaks the
/// honest one's imprint and gets nothing.
#[test]
fn control_forged_ats_v2_in_its_own_attribute_gets_no_poe() {
    let sig = sign_as("revoked");
    let sig = stamp(&sig, 0, &tsa_y(ago(3 * DAY)));
    let sig = archive_v2(&sig, &tsa_at(ago(DAY)));
    let forged = archive_v2_token(&sig, &tsa_x(ago(2 * DAY)));
    let sig = inkan_cades::augment::add_unsigned_attribute(&sig, 0, &ATS_V2, &forged).unwrap();
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

/// Equal genTimes: a forged ATSv2 (X) stamped at exactly the honest ATSv2's
/// genTime (the honest imprint leaves it out: not older) gets no POE from it.
#[test]
fn forged_ats_v2_with_the_same_gen_time_gets_no_poe() {
    let sig = sign_as("revoked");
    let sig = stamp(&sig, 0, &tsa_x(ago(3 * DAY)));
    let sig = archive_v2(&sig, &tsa_at(ago(DAY)));
    let forged = archive_v2_token(&sig, &tsa_x(ago(DAY)));
    let sig = inkan_cades::augment::add_unsigned_attribute(&sig, 0, &ATS_V2, &forged).unwrap();
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    let forged_passed = r.signers[0]
        .timestamps
        .iter()
        .filter(|t| t.kind == "archive_v2" && t.indication == "TOTAL_PASSED")
        .count();
    assert!(forged_passed <= 1, "{}", explain(&r));
}

/// Two ATSv3 with the same genTime: the forged one (X, added after) is not
/// in the honest one's index.
#[test]
fn forged_ats_v3_with_the_same_gen_time_gets_no_poe() {
    let sig = sign_as("revoked");
    let sig = archive_v3(&sig, &tsa_at(ago(DAY)));
    let sig = archive_v3(&sig, &tsa_x(ago(DAY)));
    let sig = stamp(&sig, 0, &tsa_x(ago(3 * DAY)));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

/// Cover::Values is attribute-type blind: a forged stamp's bytes placed in
/// an arbitrary attribute BEFORE the honest ATSv3 (so covered there) and
/// copied later into the signature-time-stamp attribute. The bytes did exist
/// at the ATS's time, so the POE is factually right; this asserts that the
/// copy is at least not worth MORE than the original placement would have
/// been (the verdict equals the one with the stamp in place from the start).
#[test]
fn token_covered_under_another_attribute_type_is_no_better_than_in_place() {
    let x_token = {
        let sig = sign_as("revoked");
        let imprint = sha2::Sha256::digest(sig_value(&sig, 0)).to_vec();
        (sig, tsa_x(ago(3 * DAY)).token(&imprint, None, 7).unwrap())
    };
    let (sig, token) = x_token;
    let other = ObjectIdentifier::new_unwrap("1.2.3.4.5");
    let moved = inkan_cades::augment::add_unsigned_attribute(&sig, 0, &other, &token).unwrap();
    let moved = archive_v3(&moved, &tsa_at(ago(DAY)));
    let moved = inkan_cades::augment::add_signature_timestamp(&moved, 0, &token).unwrap();
    let in_place = inkan_cades::augment::add_signature_timestamp(&sig, 0, &token).unwrap();
    let in_place = archive_v3(&in_place, &tsa_at(ago(DAY)));
    let opts = options(pki().now, online_with(vec![compromised_arl()]));
    let a = validate(&moved, Some(LETTER), &opts);
    let b = validate(&in_place, Some(LETTER), &opts);
    assert_eq!(
        a.indication,
        b.indication,
        "{} vs {}",
        explain(&a),
        explain(&b)
    );
}

// ------------------------------------------ 2. renewal blocked by a sender

/// A healthy LTA letter (sig-TS, ATSv3, both trusted). The sender appended
/// one unsigned attribute of type ATSv2 holding NULL: the verifier ignores
/// it (the letter still verifies), but `augment::add_validation_data`
/// refuses any signature carrying an ATSv2 attribute, so every renewal of
/// this letter fails until its last TSA certificate expires.
#[test]
fn junk_ats_v2_attribute_does_not_block_renewal() {
    let sig = sign_as("doctor");
    let sig = stamp(&sig, 0, &tsa_at(ago(2 * DAY)));
    let sig = archive_v3(&sig, &tsa_at(ago(DAY)));
    let sig =
        inkan_cades::augment::add_unsigned_attribute(&sig, 0, &ATS_V2, &[0x05, 0x00]).unwrap();
    let r = validate(&sig, Some(LETTER), &options(pki().now, online_with(vec![])));
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "sanity: {}",
        explain(&r)
    );
    let renewed = renew(&sig);
    assert!(
        renewed.is_ok(),
        "renewal blocked by a junk ATSv2 attribute: {renewed:?}"
    );
}

/// Same with a junk long-term-validation attribute (0.4.0.1733.2.2).
#[test]
fn junk_long_term_validation_attribute_does_not_block_renewal() {
    let sig = sign_as("doctor");
    let sig = stamp(&sig, 0, &tsa_at(ago(2 * DAY)));
    let sig = archive_v3(&sig, &tsa_at(ago(DAY)));
    let ltv = ObjectIdentifier::new_unwrap("0.4.0.1733.2.2");
    let sig = inkan_cades::augment::add_unsigned_attribute(&sig, 0, &ltv, &[0x05, 0x00]).unwrap();
    let r = validate(&sig, Some(LETTER), &options(pki().now, online_with(vec![])));
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "sanity: {}",
        explain(&r)
    );
    let renewed = renew(&sig);
    assert!(
        renewed.is_ok(),
        "renewal blocked by a junk long-term-validation attribute: {renewed:?}"
    );
}

/// A genuine ES-A in the older form (sig-TS, then an ATSv2 by a trusted
/// TSA): it verifies, the register counts it as archived, and it must be
/// renewable (else its protection simply ends with the TSA's certificate).
#[test]
fn genuine_ats_v2_archive_can_be_renewed() {
    let sig = sign_as("doctor");
    let sig = stamp(&sig, 0, &tsa_at(ago(2 * DAY)));
    let sig = archive_v2(&sig, &tsa_at(ago(DAY)));
    let r = validate(&sig, Some(LETTER), &options(pki().now, online_with(vec![])));
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "sanity: {}",
        explain(&r)
    );
    assert!(
        r.signers[0]
            .timestamps
            .iter()
            .all(|t| t.indication == "TOTAL_PASSED"),
        "sanity: {}",
        explain(&r)
    );
    let renewed = renew(&sig);
    assert!(
        renewed.is_ok(),
        "an ATSv2 archive cannot be renewed: {renewed:?}"
    );
}

/// Control: the same letter without the junk attribute renews.
#[test]
fn control_lta_letter_renews() {
    let sig = sign_as("doctor");
    let sig = stamp(&sig, 0, &tsa_at(ago(2 * DAY)));
    let sig = archive_v3(&sig, &tsa_at(ago(DAY)));
    let renewed = renew(&sig);
    assert!(renewed.is_ok(), "{renewed:?}");
    let r = validate(
        &renewed.unwrap(),
        Some(LETTER),
        &options(pki().now, online_with(vec![])),
    );
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

// ------------------------------------------ 3. cost

/// `signer_timestamps` (used by `archive add`, the register's facts,
/// renewal and its check) has no MAX_SIGNERS limit, and per signer it
/// re-parses the whole signature (`long_term_values`) and clones the whole
/// certificate pool: quadratic in the file size. One genuine SignerInfo
/// repeated `ATTACK_SIGNERS` times (default 3000, about 2 MB).
#[test]
fn many_signers_cost_linear_time_in_signer_timestamps() {
    let n: usize = std::env::var("ATTACK_SIGNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let one = sign_as("doctor");
    let time = |count: usize| {
        let sig = with_signers(&one, count);
        let size = sig.len();
        let got = run_with_deadline(60, move || {
            inkan_validation::timestamps::signer_timestamps(
                &sig,
                Some(LETTER.into()),
                &anchors(),
                &RevocationConfig {
                    fetch: false,
                    ..RevocationConfig::default()
                },
                SystemTime::now(),
            )
            .map(|v| v.len())
        });
        match got {
            Ok((r, t)) => {
                eprintln!("{count} signers, {size} bytes: {r:?} in {t:?}");
                t
            }
            Err(t) => panic!("{count} signers ({size} bytes): still running after {t:?}"),
        }
    };
    let a = time(n);
    let b = time(2 * n);
    let c = time(4 * n);
    assert!(
        c.as_secs_f64() < 6.0 * a.as_secs_f64() + 0.5,
        "4x the signers cost {:.1}x the time (quadratic): {a:?} {b:?} {c:?}",
        c.as_secs_f64() / a.as_secs_f64()
    );
}

/// validate(): 16 signers (MAX_SIGNERS), each with 8 junk-but-parseable
/// tokens of each archive kind, over an attached-size payload. Every token
/// rebuilds (copies, hashes) an input the size of the whole file: 16 × 32
/// passes over it. `ATTACK_PAYLOAD` bytes (default 4 MB) of CRL-field junk.
#[test]
fn archive_tokens_of_sixteen_signers_cost_is_bounded() {
    let payload: usize = std::env::var("ATTACK_PAYLOAD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4 << 20);
    let sig = sign_as("doctor");
    // A big CRLs field: one huge "CRL" (a SEQUENCE of junk octets).
    let junk_crl = big_tlv(0x30, &big_tlv(0x04, &vec![0x41u8; payload]));
    let sig = inkan_cades::augment::add_validation_data(&sig, &[], &[junk_crl]).unwrap();
    // A token that parses, has a genTime and an ats-hash-index, but whose
    // imprint is wrong: everything up to the imprint check is done.
    let tok = tsa_at(ago(HOUR)).token(&[0u8; 32], None, 5).unwrap();
    let index = ats::hash_index_v3(&sig, 0).unwrap();
    let tok3 = inkan_cades::augment::add_unsigned_attribute(
        &tok,
        0,
        &ats::ID_AA_ATS_HASH_INDEX_V3,
        &index,
    )
    .unwrap();
    let mut s = sig.clone();
    for (oid, t) in [
        (ats::ID_AA_ATS_V3, &tok3),
        (ATS_V2, &tok),
        (
            ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.25"),
            &tok,
        ),
        (
            ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.26"),
            &tok,
        ),
    ] {
        let values: Vec<Vec<u8>> = (0..8).map(|_| t.clone()).collect();
        s = splice_attr(&s, &attribute(&oid, &values));
    }
    let s = with_signers(&s, 16);
    eprintln!("signature size: {} bytes", s.len());
    let got = run_with_deadline(30, move || {
        validate(
            &s,
            Some(LETTER),
            &options(
                pki().now,
                RevocationConfig {
                    fetch: false,
                    ..RevocationConfig::default()
                },
            ),
        )
        .indication
    });
    match got {
        Ok((r, t)) => eprintln!("validate: {r:?} in {t:?}"),
        Err(t) => panic!("validate still running after {t:?}"),
    }
}

#[allow(dead_code)]
fn unused() -> CaId {
    CaId::RogueRoot
}

/// A healthy LTA letter sent BER-encoded (the outer ContentInfo with an
/// indefinite length: valid CMS, verifies). The register accepts it, but
/// every renewal refuses it ("BER-encoded"), so it is never renewed.
#[test]
fn ber_encoded_lta_letter_can_be_renewed() {
    let sig = sign_as("doctor");
    let sig = stamp(&sig, 0, &tsa_at(ago(2 * DAY)));
    let sig = archive_v3(&sig, &tsa_at(ago(DAY)));
    let ci = Vec::<Any>::from_der(&sig).unwrap();
    let mut ber = vec![0x30, 0x80];
    ber.extend(ci[0].to_der().unwrap());
    ber.extend(ci[1].to_der().unwrap());
    ber.extend([0, 0]);
    let r = validate(&ber, Some(LETTER), &options(pki().now, online_with(vec![])));
    if r.indication != Indication::TotalPassed {
        eprintln!("BER not accepted by the verifier: {}", explain(&r));
        return;
    }
    let renewed = renew(&ber);
    assert!(
        renewed.is_ok(),
        "a BER-encoded letter that verifies cannot be renewed: {renewed:?}"
    );
}
