//! Hostile scenarios for long-term signatures (CAdES-LT / LTA), from an
//! attack review of the archive code. What each one guards:
//! - an archive time-stamp gives proof of existence (POE) only to what it
//!   covers (its ats-hash-index, its imprint): a token added after it, or
//!   left out of its index, does not borrow its time (EN 319 102-1
//!   §5.6.2.3; EN 319 122-1 §5.5.2), and a token's POE is never before its
//!   own genTime;
//! - renewal keeps working once an older TSA certificate has expired (its
//!   data is validated at its POE), and a token the verifier ignores does
//!   not block it; LT augmentation is not blocked by a junk stamp either;
//! - a hostile ats-hash-index (one hash repeated thousands of times
//!   against hundreds of thousands of values) costs linear time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use der::asn1::ObjectIdentifier;
use inkan_cades::ats;
use inkan_testpki::{CaId, TestTsa};
use inkan_trust::RevocationConfig;
use inkan_validation::{validate, Indication};
use sha2::Digest;

mod common;
use common::*;

/// `sig` with an ATSv3 (index v3 over the signature as it is now) by `tsa`.
fn archive(sig: &[u8], tsa: &TestTsa) -> Vec<u8> {
    let index = ats::hash_index_v3(sig, 0).unwrap();
    let input = ats::imprint_input_v3(sig, 0, Some(LETTER), &SHA256, &index).unwrap();
    let token = tsa.token(&sha2::Sha256::digest(&input), None, 9).unwrap();
    let token = inkan_cades::augment::add_unsigned_attribute(
        &token,
        0,
        &ats::ID_AA_ATS_HASH_INDEX_V3,
        &index,
    )
    .unwrap();
    inkan_cades::augment::add_unsigned_attribute(sig, 0, &ats::ID_AA_ATS_V3, &token).unwrap()
}

// An archive time-stamp's proof of existence, only for what it covers.

/// The signer "revoked" was revoked 2 days ago and signs afterwards. An
/// honest archive time-stamp (1 day ago) covers that signature only. Then,
/// after TSA X's key leaked (X revoked 12 h ago), a back-dated
/// signature-time-stamp (3 days ago) forged with X's key is appended: it is
/// not in the ATS's index, yet the ATS's genTime is used as its POE.
#[test]
fn archive_timestamp_gives_no_poe_to_a_stamp_added_after_it() {
    let sig = sign_as("revoked");
    let sig = archive(&sig, &tsa_at(ago(DAY)));
    let sig = stamp(&sig, 0, &tsa_x(ago(3 * DAY)));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_ne!(
        r.indication,
        Indication::TotalPassed,
        "revoked signer + forged back-dated sig-TS not covered by the ATS: {}",
        explain(&r)
    );
}

/// Control: without the archive time-stamp the forged stamp is rejected
/// (its TSA is revoked), so the ATS is what makes the difference.
#[test]
fn stamp_of_a_since_revoked_tsa_without_poe_does_not_count() {
    let sig = sign_as("revoked");
    let sig = stamp(&sig, 0, &tsa_x(ago(3 * DAY)));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

/// Control: a stamp the ATS does cover keeps its POE (must stay passing
/// after a fix).
#[test]
fn archive_timestamp_keeps_the_poe_of_the_stamp_it_covers() {
    let sig = sign_as("doctor");
    let sig = stamp(&sig, 0, &tsa_x(ago(3 * DAY)));
    let sig = archive(&sig, &tsa_at(ago(DAY)));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    let sig_ts = &r.signers[0].timestamps[0];
    assert_eq!(sig_ts.indication, "TOTAL_PASSED", "{}", explain(&r));
}

/// The chain variant: an older archive time-stamp forged with X's key
/// (genTime 2 days ago) and appended after the honest one (1 day ago) gets
/// the honest one's POE, then hands its own (older) genTime as POE to a
/// stamp forged with Y's key (revoked 36 h ago), which the honest ATS
/// alone could not rescue.
#[test]
fn older_archive_timestamp_added_later_does_not_extend_the_poe_chain() {
    let sig = sign_as("revoked");
    let sig = archive(&sig, &tsa_at(ago(DAY)));
    let sig = archive(&sig, &tsa_x(ago(2 * DAY)));
    let sig = stamp(&sig, 0, &tsa_y(ago(3 * DAY)));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    let forged = inkan_trust::crl::rfc3339(ago(2 * DAY));
    let forged_ats_passed = r.signers[0].timestamps.iter().any(|t| {
        t.kind == "archive_v3"
            && t.indication == "TOTAL_PASSED"
            && t.gen_time.as_deref() == Some(forged.as_str())
    });
    assert!(
        !forged_ats_passed && r.indication != Indication::TotalPassed,
        "forged ATS not covered by the newer ATS: {}",
        explain(&r)
    );
}

/// The honest archive time-stamp and a stamp forged with a key revoked
/// before it: no pass.
#[test]
fn honest_archive_timestamp_does_not_rescue_a_later_forgery() {
    let sig = sign_as("revoked");
    let sig = archive(&sig, &tsa_at(ago(DAY)));
    let sig = stamp(&sig, 0, &tsa_y(ago(3 * DAY)));
    let r = validate(
        &sig,
        Some(LETTER),
        &options(pki().now, online_with(vec![compromised_arl()])),
    );
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

// Renewal.

/// A healthy LTA archive: signature-time-stamp by TSA "old" (30 days ago;
/// its certificate expired yesterday), its validation data (an ARL issued
/// 2 days ago, before that expiry) and an ATSv3 by a long-lived TSA (10
/// days ago). It verifies. Renewing it (validation data for the TSAs, then
/// the next ATS) must be possible: this is exactly the situation renewal
/// exists for; once the newest TSA expires the proof is lost otherwise.
#[test]
fn renewal_works_after_an_older_tsa_certificate_expired() {
    let old = other_tsa(
        &[0x4f, 0x4c],
        "dentist",
        ago(700 * DAY),
        ago(DAY),
        ago(30 * DAY),
    );
    let sig = sign_as("doctor");
    let sig = stamp(&sig, 0, &old);
    let lt_arl = arl(ago(2 * DAY), &[], 91);
    let sig = inkan_cades::augment::add_validation_data(
        &sig,
        std::slice::from_ref(&old.cert_der),
        &[lt_arl],
    )
    .unwrap();
    let sig = archive(&sig, &tsa_at(ago(10 * DAY)));
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
    renew_and_check(&sig);
}

/// Renews `sig` as `inkan archive renew` does (the TSAs' validation data,
/// then a new archive time-stamp), and checks the result: the renewal check
/// passes, the file verifies, and every time-stamp that held still holds.
fn renew_and_check(sig: &[u8]) {
    let anchors = [pki().root.cert_der.clone()];
    let renewed = inkan_validation::timestamps::add_timestamp_validation_data(
        sig,
        Some(LETTER.into()),
        &anchors,
        &online_with(vec![]),
    );
    let with_data = match renewed {
        Ok((s, _)) => s,
        Err(e) => panic!("renewal refused: {e}"),
    };
    let new = archive(&with_data, &tsa_at(ago(60)));
    let check = inkan_validation::timestamps::check_renewal(
        sig,
        &new,
        Some(LETTER.into()),
        &anchors,
        &online_with(vec![]),
    );
    assert!(check.is_ok(), "renewal check: {check:?}");
    let r = validate(&new, Some(LETTER), &options(pki().now, online_with(vec![])));
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    let archives = r.signers[0]
        .timestamps
        .iter()
        .filter(|t| t.kind == "archive_v3" && t.indication == "TOTAL_PASSED")
        .count();
    assert!(archives >= 2, "{}", explain(&r));
}

// Cost.

/// `sig` with an unsigned attribute `attr` whose SET holds `values` (DER, concatenated).
fn with_attr(sig: &[u8], attr: &str, values: &[u8]) -> Vec<u8> {
    let oid_der = tlv(0x06, ObjectIdentifier::new_unwrap(attr).as_bytes());
    let big_attr = big_tlv(0x30, &[oid_der, big_tlv(0x31, values)].concat());
    splice_attr(sig, &big_attr)
}

/// About 1.7 MB: 400 000 NULL values in one attribute, one marker value,
/// and one ATSv3 token whose index lists 25 000 times the marker's hash.
/// Every entry is looked up linearly among all values: 10^10 comparisons.
#[test]
fn huge_hash_index_against_many_values_is_checked_in_linear_time() {
    let sig = sign_as("doctor");
    let nulls: Vec<u8> = [0x05u8, 0x00].repeat(400_000);
    let sig = with_attr(&sig, "1.2.3.4.1", &nulls);
    let marker_oid = "1.2.3.4.2";
    let marker_val = tlv(0x04, b"marker");
    let sig = splice_attr(
        &sig,
        &tlv(
            0x30,
            &[
                tlv(0x06, ObjectIdentifier::new_unwrap(marker_oid).as_bytes()),
                tlv(0x31, &marker_val),
            ]
            .concat(),
        ),
    );
    let h = sha2::Sha256::digest(
        [
            tlv(0x06, ObjectIdentifier::new_unwrap(marker_oid).as_bytes()),
            marker_val.clone(),
        ]
        .concat(),
    )
    .to_vec();
    let entry = tlv(0x04, &h);
    let n: usize = std::env::var("ATTACK_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25_000);
    let entries = entry.repeat(n);
    let alg = tlv(0x30, &tlv(0x06, SHA256.as_bytes()));
    let index = big_tlv(
        0x30,
        &[alg, tlv(0x30, &[]), tlv(0x30, &[]), big_tlv(0x30, &entries)].concat(),
    );
    let token = tsa_at(ago(HOUR)).token(&[0u8; 32], None, 5).unwrap();
    let token = inkan_cades::augment::add_unsigned_attribute(
        &token,
        0,
        &ats::ID_AA_ATS_HASH_INDEX_V3,
        &index,
    )
    .unwrap();
    let attr = big_tlv(
        0x30,
        &[
            tlv(0x06, ats::ID_AA_ATS_V3.as_bytes()),
            big_tlv(0x31, &token),
        ]
        .concat(),
    );
    let sig = splice_attr(&sig, &attr);
    eprintln!("signature size: {} bytes", sig.len());
    assert!(inkan_cades::parse(&sig).is_ok());
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let r = validate(
            &sig,
            Some(LETTER),
            &options(
                pki().now,
                RevocationConfig {
                    fetch: false,
                    ..RevocationConfig::default()
                },
            ),
        );
        let _ = tx.send(r.indication);
    });
    let wait = std::env::var("ATTACK_WAIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let got = rx.recv_timeout(Duration::from_secs(wait));
    assert!(
        got.is_ok(),
        "validate() of a 1.7 MB signature still running after {:?}",
        start.elapsed()
    );
    eprintln!("validate took {:?}", start.elapsed());
}

/// F2b: one extra ATSv3 attribute whose token chains to no trusted TSA (the
/// look-alike root signed it) is ignored by the verifier, but blocks every
/// renewal: a sender can make a letter impossible to keep alive.
#[test]
fn an_untrusted_archive_token_does_not_block_renewal() {
    let sig = sign_as("doctor");
    let sig = stamp(&sig, 0, &tsa_at(ago(DAY)));
    let sig = archive(&sig, &tsa_at(ago(DAY / 2)));
    let rogue = pki().ca(CaId::RogueRoot);
    let bogus = TestTsa {
        cert_der: rogue.cert_der.clone(),
        key: rogue.key.clone(),
        root_der: rogue.cert_der.clone(),
        time: Some(ago(HOUR)),
    };
    let token = bogus.token(&[0u8; 32], None, 1).unwrap();
    let sig =
        inkan_cades::augment::add_unsigned_attribute(&sig, 0, &ats::ID_AA_ATS_V3, &token).unwrap();
    let r = validate(&sig, Some(LETTER), &options(pki().now, online_with(vec![])));
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "sanity: {}",
        explain(&r)
    );
    renew_and_check(&sig);
}

/// A junk signature-time-stamp (right imprint, look-alike TSA) beside a good
/// one does not stop LT augmentation: the junk is left out, the good one's
/// validation data goes in.
#[test]
fn junk_signature_timestamp_does_not_block_lt_augmentation() {
    let sig = sign_as("doctor");
    let rogue = pki().ca(CaId::RogueRoot);
    let bogus = TestTsa {
        cert_der: rogue.cert_der.clone(),
        key: rogue.key.clone(),
        root_der: rogue.cert_der.clone(),
        time: Some(ago(2 * HOUR)),
    };
    let sig = stamp(&sig, 0, &bogus);
    let sig = stamp(&sig, 0, &tsa_at(ago(HOUR)));
    let opts = options(pki().now, online_with(vec![]));
    let lt = inkan_validation::timestamps::add_validation_data(
        &sig,
        Some(LETTER.into()),
        &opts.trust,
        &opts.tsa_trust,
        &opts.revocation,
    );
    let lt = match lt {
        Ok(lt) => lt,
        Err(e) => panic!("LT refused: {e}"),
    };
    let r = validate(&lt, Some(LETTER), &opts);
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    assert_eq!(r.signers[0].level, "B-LT", "{}", explain(&r));
}

/// A signature whose only signature-time-stamp proves nothing (look-alike
/// TSA) cannot be raised to LT: validation data without a trusted time
/// would prove nothing later.
#[test]
fn lt_augmentation_refuses_when_no_signature_timestamp_holds() {
    let sig = sign_as("doctor");
    let rogue = pki().ca(CaId::RogueRoot);
    let bogus = TestTsa {
        cert_der: rogue.cert_der.clone(),
        key: rogue.key.clone(),
        root_der: rogue.cert_der.clone(),
        time: Some(ago(2 * HOUR)),
    };
    let sig = stamp(&sig, 0, &bogus);
    let opts = options(pki().now, online_with(vec![]));
    let lt = inkan_validation::timestamps::add_validation_data(
        &sig,
        Some(LETTER.into()),
        &opts.trust,
        &opts.tsa_trust,
        &opts.revocation,
    );
    assert!(lt.is_err());
}

/// An ES-X type 2 time-stamp (over the complete references, as a JIS
/// ES-X-Long signature may carry) is checked against those references: a
/// token over them holds, a token over anything else is reported false.
#[test]
fn es_x_type2_is_checked_against_the_references() {
    let esx2 = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.26");
    let sig = stamp(&sign_as("doctor"), 0, &tsa_at(ago(2 * HOUR)));
    let opts = options(pki().now, online_with(vec![]));
    let xl = inkan_validation::timestamps::add_validation_data_as(
        &sig,
        Some(LETTER.into()),
        &opts.trust,
        &opts.tsa_trust,
        &opts.revocation,
        inkan_validation::timestamps::LongTermForm::EsXLong,
    )
    .unwrap();
    let input = ats::imprint_input_esx2(&xl, 0).unwrap();
    assert!(!input.is_empty());
    let with = |imprint: &[u8]| {
        let token = tsa_at(ago(HOUR)).token(imprint, None, 11).unwrap();
        let signed = inkan_cades::augment::add_unsigned_attribute(&xl, 0, &esx2, &token).unwrap();
        let r = validate(&signed, Some(LETTER), &opts);
        let t = r.signers[0]
            .timestamps
            .iter()
            .find(|t| t.kind == "es_x_type2")
            .cloned()
            .unwrap_or_else(|| panic!("no es_x_type2: {}", explain(&r)));
        (r, t)
    };
    let (r, t) = with(&sha2::Sha256::digest(&input));
    assert_eq!(t.indication, "TOTAL_PASSED", "{}", explain(&r));
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    let (r, t) = with(&sha2::Sha256::digest(b"something else"));
    assert_eq!(t.indication, "TOTAL_FAILED", "{}", explain(&r));
    assert!(!t.imprint_valid, "{}", explain(&r));
}
