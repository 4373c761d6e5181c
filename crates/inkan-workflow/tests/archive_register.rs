//! The archive register decides which files need their next archive
//! time-stamp. Its facts must be the verifier's: a token a sender added
//! (untrusted, future-dated) must not make a file look renewed, and a
//! co-signed file is as strong as its weakest signer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use der::{Decode, Encode};
use inkan_cades::{ats, SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, PkiConfig, TestPki, TestTsa};
use inkan_trust::RevocationConfig;
use inkan_workflow::archive::{due, Archive, StampCheck};
use sha2::Digest;

const DAY: u64 = 86_400;
const LETTER: &[u8] = b"<letter>archive register</letter>";

fn archive_timestamp(sig: &[u8], signer: usize, tsa: &TestTsa) -> Vec<u8> {
    let index = ats::hash_index_v3(sig, signer).unwrap();
    let input = ats::imprint_input_v3(
        sig,
        signer,
        Some(LETTER),
        &inkan_cades::oids::SHA256,
        &index,
    )
    .unwrap();
    let token = tsa.token(&sha2::Sha256::digest(&input), None, 9).unwrap();
    let token = inkan_cades::augment::add_unsigned_attribute(
        &token,
        0,
        &ats::ID_AA_ATS_HASH_INDEX_V3,
        &index,
    )
    .unwrap();
    inkan_cades::augment::add_unsigned_attribute(sig, signer, &ats::ID_AA_ATS_V3, &token).unwrap()
}

fn signature_timestamp(sig: &[u8], signer: usize, tsa: &TestTsa) -> Vec<u8> {
    let value = inkan_cades::parse(sig).unwrap().signers[signer]
        .signature
        .clone();
    let token = tsa.token(&sha2::Sha256::digest(value), None, 7).unwrap();
    inkan_cades::augment::add_signature_timestamp(sig, signer, &token).unwrap()
}

fn software(pki: &TestPki, id: &str) -> SoftwareSigner {
    let ident = pki.identity(id).unwrap();
    SoftwareSigner::new(ident.cert_der.clone(), ident.key.clone())
}

fn options(pki: &TestPki, now: SystemTime) -> SignOptions {
    SignOptions {
        attached: false,
        signing_time: now,
        extra_certificates: vec![pki.ca(CaId::SigningCa).cert_der.clone()],
    }
}

/// A scratch folder with the letter, a register and a place for a signature.
struct Scratch {
    dir: PathBuf,
    letter: PathBuf,
    signature: PathBuf,
    register: Archive,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "inkan-archive-register-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let letter = dir.join("letter.xml");
        std::fs::write(&letter, LETTER).unwrap();
        let register = Archive::open(&dir.join("archive.sqlite3")).unwrap();
        Scratch {
            signature: dir.join("letter.xml.p7s"),
            dir,
            letter,
            register,
        }
    }

    fn add(&self, sig: &[u8], check: &StampCheck) -> inkan_workflow::archive::ArchiveEntry {
        std::fs::write(&self.signature, sig).unwrap();
        self.register
            .add(&self.signature, Some(&self.letter), check)
            .unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The test root as TSA trust anchor, the test PKI's CRLs, no network.
fn check_with(pki: &TestPki) -> StampCheck {
    StampCheck {
        tsa_trust: vec![pki.root.cert_der.clone()],
        revocation: offline(pki),
    }
}

fn offline(pki: &TestPki) -> RevocationConfig {
    RevocationConfig {
        crls: pki.crls.iter().map(|c| c.der.clone()).collect(),
        fetch: false,
        ..RevocationConfig::default()
    }
}

/// The honest archive time-stamp's TSA certificate ends in about 30 days,
/// so the letter is due within a year. A sender then adds an ATSv3 token
/// signed by a look-alike root and dated ten years ahead, whose own
/// certificate lives decades: the register must still call it due.
#[test]
fn untrusted_future_dated_token_does_not_silence_renewal() {
    let now = SystemTime::now();
    let pki = inkan_testpki::generate(&PkiConfig::default()).unwrap();
    // The test TSA's certificate again, ending in 30 days.
    let mut tsa = TestTsa::new(&pki).unwrap();
    let not_after = der::asn1::UtcTime::from_system_time(now + Duration::from_secs(30 * DAY))
        .unwrap()
        .to_der()
        .unwrap();
    tsa.cert_der = inkan_testpki::craft::resigned(&tsa.cert_der, &pki.root.key, |f| {
        let validity = Vec::<der::Any>::from_der(&f[4].to_der().unwrap()).unwrap();
        let body = [validity[0].to_der().unwrap(), not_after].concat();
        f[4] = der::Any::from_der(&inkan_testpki::craft::tlv(0x30, &body)).unwrap();
    });
    tsa.time = Some(now - Duration::from_secs(DAY));

    let sig =
        inkan_cades::sign(LETTER, &mut software(&pki, "doctor"), &options(&pki, now)).unwrap();
    let sig = archive_timestamp(&sig, 0, &tsa);
    let scratch = Scratch::new("future");
    let check = check_with(&pki);
    let window = Duration::from_secs(365 * DAY);

    let honest = scratch.add(&sig, &check);
    assert_eq!(honest.level, "B-LTA", "{honest:?}");
    assert!(due(&honest, now, window), "{honest:?}");

    let rogue = pki.ca(CaId::RogueRoot);
    let bogus = TestTsa {
        cert_der: rogue.cert_der.clone(),
        key: rogue.key.clone(),
        root_der: rogue.cert_der.clone(),
        time: Some(now + Duration::from_secs(3650 * DAY)),
    };
    let token = bogus.token(&[0u8; 32], None, 1).unwrap();
    let sig2 =
        inkan_cades::augment::add_unsigned_attribute(&sig, 0, &ats::ID_AA_ATS_V3, &token).unwrap();
    let e = scratch.add(&sig2, &check);
    assert!(due(&e, now, window), "silenced by a bogus token: {e:?}");
    assert_eq!(e.newest_timestamp, honest.newest_timestamp, "{e:?}");
    assert_eq!(e.tsa_not_after, honest.tsa_not_after, "{e:?}");
}

/// Without a TSA trust anchor no time-stamp counts: the file is due (the
/// safe side), never taken as renewed on the strength of an unchecked token.
#[test]
fn without_tsa_trust_every_file_is_due() {
    let now = SystemTime::now();
    let pki = inkan_testpki::generate(&PkiConfig::default()).unwrap();
    let mut tsa = TestTsa::new(&pki).unwrap();
    tsa.time = Some(now - Duration::from_secs(DAY));
    let sig =
        inkan_cades::sign(LETTER, &mut software(&pki, "doctor"), &options(&pki, now)).unwrap();
    let sig = signature_timestamp(&sig, 0, &tsa);
    let sig = archive_timestamp(&sig, 0, &tsa);
    let scratch = Scratch::new("notrust");
    let window = Duration::from_secs(365 * DAY);

    let trusted = scratch.add(&sig, &check_with(&pki));
    assert_eq!(trusted.level, "B-LTA", "{trusted:?}");
    assert!(!due(&trusted, now, window), "{trusted:?}");

    let unchecked = scratch.add(
        &sig,
        &StampCheck {
            tsa_trust: Vec::new(),
            revocation: offline(&pki),
        },
    );
    assert_eq!(unchecked.level, "B-B", "{unchecked:?}");
    assert!(due(&unchecked, now, window), "{unchecked:?}");
}

/// A co-signed letter where only the first signer has an archive
/// time-stamp: the second signer's signature is not protected by it, so
/// the file is not B-LTA and is due.
#[test]
fn co_signed_file_is_as_strong_as_its_weakest_signer() {
    let now = SystemTime::now();
    let pki = inkan_testpki::generate(&PkiConfig::default()).unwrap();
    let mut tsa = TestTsa::new(&pki).unwrap();
    tsa.time = Some(now - Duration::from_secs(DAY));
    let sig = inkan_cades::testing::co_sign(
        LETTER,
        &mut software(&pki, "doctor"),
        &mut software(&pki, "dentist"),
        &options(&pki, now),
    )
    .unwrap();
    let sig = signature_timestamp(&sig, 0, &tsa);
    let sig = signature_timestamp(&sig, 1, &tsa);
    let scratch = Scratch::new("cosigned");
    let check = check_with(&pki);
    let window = Duration::from_secs(365 * DAY);

    let one = archive_timestamp(&sig, 0, &tsa);
    let e = scratch.add(&one, &check);
    assert_eq!(e.level, "B-T", "{e:?}");
    assert!(due(&e, now, window), "{e:?}");

    let both = archive_timestamp(&one, 1, &tsa);
    let e = scratch.add(&both, &check);
    assert_eq!(e.level, "B-LTA", "{e:?}");
    assert!(!due(&e, now, window), "{e:?}");
}

/// The test TSA signs with RSA-2048, which NIST SP 800-57 accepts through
/// 2030: an archive whose TSA certificate lives decades is still due once
/// the window reaches 2031, since its algorithms stop protecting first.
#[test]
fn algorithms_that_weaken_make_an_archive_due_before_its_tsa_expires() {
    let now = SystemTime::now();
    let pki = inkan_testpki::generate(&PkiConfig::default()).unwrap();
    let mut tsa = TestTsa::new(&pki).unwrap();
    tsa.time = Some(now - Duration::from_secs(DAY));
    let sig =
        inkan_cades::sign(LETTER, &mut software(&pki, "doctor"), &options(&pki, now)).unwrap();
    let sig = signature_timestamp(&sig, 0, &tsa);
    let sig = archive_timestamp(&sig, 0, &tsa);
    let scratch = Scratch::new("algorithms");
    let e = scratch.add(&sig, &check_with(&pki));
    assert_eq!(e.level, "B-LTA", "{e:?}");
    assert_eq!(
        e.algorithms_until.as_deref(),
        Some("2030-12-31T23:59:59Z"),
        "{e:?}"
    );
    let until_2031 = inkan_trust::crl::parse_rfc3339("2031-01-01T00:00:00Z")
        .unwrap()
        .duration_since(now)
        .unwrap();
    assert!(due(&e, now, until_2031), "{e:?}");
    assert!(!due(&e, now, Duration::from_secs(365 * DAY)), "{e:?}");
}

/// A register written before algorithm expiry was tracked opens, gains the
/// column, and keeps its entries (the column fills at the next add or
/// renewal).
#[test]
fn register_from_an_older_version_opens_and_keeps_its_entries() {
    let scratch_dir =
        std::env::temp_dir().join(format!("inkan-archive-old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch_dir);
    std::fs::create_dir_all(&scratch_dir).unwrap();
    let db = scratch_dir.join("archive.sqlite3");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE signatures (path TEXT PRIMARY KEY, content TEXT, added TEXT NOT NULL,
                level TEXT NOT NULL, newest_timestamp TEXT, tsa_not_after TEXT, renewed TEXT,
                sha256 TEXT NOT NULL);
             INSERT INTO signatures VALUES ('/x.p7s', NULL, '2026-01-01T00:00:00Z', 'B-LTA',
                '2026-01-01T00:00:00Z', '2060-01-01T00:00:00Z', NULL, '00');",
        )
        .unwrap();
    }
    let reg = Archive::open(&db).unwrap();
    let entries = reg.entries().unwrap();
    let _ = std::fs::remove_dir_all(&scratch_dir);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].algorithms_until, None);
    assert_eq!(
        entries[0].tsa_not_after.as_deref(),
        Some("2060-01-01T00:00:00Z")
    );
}

/// The test TSA again, its certificate ending in `days` days, stamping at `t`.
fn short_tsa(pki: &TestPki, days: u64, t: SystemTime) -> TestTsa {
    let now = SystemTime::now();
    let mut tsa = TestTsa::new(pki).unwrap();
    let not_after = der::asn1::UtcTime::from_system_time(now + Duration::from_secs(days * DAY))
        .unwrap()
        .to_der()
        .unwrap();
    tsa.cert_der = inkan_testpki::craft::resigned(&tsa.cert_der, &pki.root.key, |f| {
        let validity = Vec::<der::Any>::from_der(&f[4].to_der().unwrap()).unwrap();
        let body = [validity[0].to_der().unwrap(), not_after].concat();
        f[4] = der::Any::from_der(&inkan_testpki::craft::tlv(0x30, &body)).unwrap();
    });
    tsa.time = Some(t);
    tsa
}

fn long_tsa(pki: &TestPki, t: SystemTime) -> TestTsa {
    let mut tsa = TestTsa::new(pki).unwrap();
    tsa.time = Some(t);
    tsa
}

/// An LTA letter whose only archive time-stamp's TSA certificate ends in 30
/// days: due within a year. The sender (or anyone before registration)
/// appends a fresh signature-time-stamp by a long-lived TSA. A signature-
/// time-stamp protects neither the validation data nor the archive
/// time-stamp: the letter stays due.
#[test]
fn fresh_signature_timestamp_does_not_postpone_renewal() {
    let now = SystemTime::now();
    let pki = inkan_testpki::generate(&PkiConfig::default()).unwrap();
    let sig =
        inkan_cades::sign(LETTER, &mut software(&pki, "doctor"), &options(&pki, now)).unwrap();
    let sig = signature_timestamp(&sig, 0, &long_tsa(&pki, now - Duration::from_secs(2 * DAY)));
    let sig = archive_timestamp(
        &sig,
        0,
        &short_tsa(&pki, 30, now - Duration::from_secs(DAY)),
    );
    let scratch = Scratch::new("fresh-sigts");
    let check = check_with(&pki);
    let window = Duration::from_secs(365 * DAY);

    let honest = scratch.add(&sig, &check);
    assert_eq!(honest.level, "B-LTA", "{honest:?}");
    assert!(due(&honest, now, window), "sanity: {honest:?}");

    let sig2 = signature_timestamp(&sig, 0, &long_tsa(&pki, now - Duration::from_secs(3600)));
    let e = scratch.add(&sig2, &check);
    assert!(
        due(&e, now, window),
        "a fresh signature-time-stamp silenced the renewal of an archive whose ATS's TSA ends in 30 days: {e:?}"
    );
}

/// Co-signed, both signers archived: signer 0's newest ATS (2 days ago) by
/// a long-lived TSA, signer 1's (1 day ago) by a TSA whose certificate ends
/// in 30 days: the file is due, whatever the genTimes' order.
#[test]
fn co_signer_whose_archive_ends_first_makes_the_file_due() {
    let now = SystemTime::now();
    let pki = inkan_testpki::generate(&PkiConfig::default()).unwrap();
    let sig = inkan_cades::testing::co_sign(
        LETTER,
        &mut software(&pki, "doctor"),
        &mut software(&pki, "dentist"),
        &options(&pki, now),
    )
    .unwrap();
    let t = now - Duration::from_secs(3 * DAY);
    let sig = signature_timestamp(&sig, 0, &long_tsa(&pki, t));
    let sig = signature_timestamp(&sig, 1, &long_tsa(&pki, t));
    let sig = archive_timestamp(&sig, 0, &long_tsa(&pki, now - Duration::from_secs(2 * DAY)));
    let sig = archive_timestamp(
        &sig,
        1,
        &short_tsa(&pki, 30, now - Duration::from_secs(DAY)),
    );
    let scratch = Scratch::new("cosigner-end");
    let e = scratch.add(&sig, &check_with(&pki));
    assert_eq!(e.level, "B-LTA", "{e:?}");
    assert!(
        due(&e, now, Duration::from_secs(365 * DAY)),
        "signer 1's archive ends in 30 days but the file is not due: {e:?}"
    );
}
