//! The per-process memos (parsed certificates in `path.rs`, name texts and
//! holder summaries in `holder.rs`, validated paths in `reuse.rs`) are
//! bounded by bytes, counting the texts they keep (a C0 control character,
//! one byte of UTF-8, is `\01` in RFC 4514 text and `\u{0001}` after
//! `escape_display`), so hostile certificates do not stay in a long-running
//! window; and they never show one name's text for another.
//! This binary counts live heap bytes with its own global allocator (hence
//! `unsafe_code` here, in a test binary of its own).
#![allow(clippy::unwrap_used, clippy::expect_used, unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Mutex;

use common::*;
use der::{Any, Decode, Encode};
use inkan_testpki::craft;
use inkan_trust::holder::display_name;

/// Live heap bytes of this test process.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The tests of this binary measure the heap and switch reuse: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// The parsed-certificate memo is bounded by entry count (4096), not by
/// bytes: certificates a hostile signature carries (up to 256 per path,
/// each as large as the signature allows) stay in the process after the
/// verification is over. A batch of such signatures in the long-running
/// window (or `inkan verify *.p7s`) keeps hundreds of MiB to GiB.
#[test]
fn certificates_from_finished_verifications_are_not_retained_without_a_byte_bound() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pki = &fixture().pki;
    const JUNK: usize = 128 * 1024;
    const COUNT: usize = 512;
    let doctor = pki.identity("doctor").unwrap();
    let big = craft::resigned(&doctor.cert_der, &pki.signing_ca.key, |f| {
        craft::with_extensions(f, |exts| {
            exts.push(craft::extension(
                "1.3.6.1.4.1.99999.1",
                false,
                craft::tlv(0x04, &vec![0x41; JUNK])
                    .into_iter()
                    .collect::<Vec<u8>>(),
            ));
        });
    });
    let at = big
        .windows(64)
        .position(|w| w.iter().all(|b| *b == 0x41))
        .unwrap();
    let store = root_only_store(pki);
    let revocation = inkan_trust::RevocationConfig::offline();

    let before = LIVE.load(Ordering::Relaxed);
    for chunk in 0..COUNT / 256 {
        let pool: Vec<Vec<u8>> = (0..256)
            .map(|i| {
                let mut c = big.clone();
                c[at..at + 8].copy_from_slice(&((chunk * 256 + i) as u64).to_be_bytes());
                c
            })
            .collect();
        let r = validate(
            &doctor.cert_der,
            &store,
            pki.now,
            inkan_trust::ValidationProfile::Hpki,
            &revocation,
            &pool,
        );
        drop(r);
        drop(pool);
    }
    let retained = LIVE.load(Ordering::Relaxed) - before;
    let input = (COUNT * JUNK) as isize;
    eprintln!(
        "input {} MiB of pool certificates, retained after the verifications: {} MiB",
        input >> 20,
        retained >> 20
    );
    assert!(
        retained < 16 << 20,
        "{} MiB retained after verifying {} MiB of pool certificates",
        retained >> 20,
        input >> 20
    );
}

/// The name-text memo is keyed by the Name's DER re-encoding: two names
/// that differ only in string type, attribute order in a multi-valued RDN
/// or escaping must each show their own text, whichever is seen first.
#[test]
fn name_texts_do_not_leak_between_names() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use x509_cert::name::Name;
    let cn = |tag: u8, s: &str| {
        craft::tlv(
            0x30,
            &[
                craft::tlv(0x06, &[0x55, 0x04, 0x03]),
                craft::tlv(tag, s.as_bytes()),
            ]
            .concat(),
        )
    };
    let o = |s: &str| {
        craft::tlv(
            0x30,
            &[
                craft::tlv(0x06, &[0x55, 0x04, 0x0a]),
                craft::tlv(0x0c, s.as_bytes()),
            ]
            .concat(),
        )
    };
    let name = |rdns: Vec<Vec<u8>>| {
        craft::tlv(
            0x30,
            &rdns
                .into_iter()
                .map(|atvs| craft::tlv(0x31, &atvs))
                .collect::<Vec<_>>()
                .concat(),
        )
    };
    let variants: Vec<Vec<u8>> = vec![
        name(vec![cn(0x13, "Dr A")]),
        name(vec![cn(0x0c, "Dr A")]),
        name(vec![cn(0x1e, "\0D\0r\0 \0A")]),
        name(vec![cn(0x0c, "Dr A\u{202e}")]),
        name(vec![[cn(0x0c, "Dr A"), o("Clinic")].concat()]),
        name(vec![[o("Clinic"), cn(0x0c, "Dr A")].concat()]),
        name(vec![cn(0x0c, "Dr A"), o("Clinic")]),
        name(vec![o("Clinic"), cn(0x0c, "Dr A")]),
        name(vec![cn(0x0c, "Dr A,O=Clinic")]),
        name(vec![cn(0x04, "Dr A")]),
    ];
    let parsed: Vec<Option<Name>> = variants.iter().map(|d| Name::from_der(d).ok()).collect();
    let fresh: Vec<Option<String>> = parsed
        .iter()
        .map(|n| {
            n.as_ref()
                .map(|n| inkan_l10n::escape_display(&n.to_string()))
        })
        .collect();
    for order in [false, true] {
        let idx: Vec<usize> = if order {
            (0..parsed.len()).rev().collect()
        } else {
            (0..parsed.len()).collect()
        };
        for i in idx {
            if let Some(n) = &parsed[i] {
                assert_eq!(
                    Some(display_name(n)),
                    fresh[i].clone(),
                    "variant {i} ({:02x?}) re-encodes as {:02x?}",
                    variants[i],
                    n.to_der().ok()
                );
            }
        }
    }
}

const MIB: isize = 1 << 20;

/// A Name of one CN: `len` C0 control characters (UTF8String), each of
/// which `escape_display` shows as eight characters (`holder`), or the
/// RFC 4514 text of the name as three (`display_name`).
fn control_cn(len: usize, seed: usize) -> Vec<u8> {
    // A printable letter first: RFC 5280 §7.1 comparison drops control
    // characters, and subject and issuer must not compare equal.
    let mut value = vec![b'A' + seed as u8];
    value.extend((1..len).map(|i| 1 + (i % 30) as u8));
    let atv = craft::tlv(
        0x30,
        &[
            craft::tlv(0x06, &[0x55, 0x04, 0x03]),
            craft::tlv(0x0c, &value),
        ]
        .concat(),
    );
    craft::tlv(0x30, &craft::tlv(0x31, &atv))
}

/// The doctor's certificate with subject and issuer replaced by
/// control-character CNs of `len` bytes each (and, with `san`, a
/// subjectAltName directoryName of the same kind), signed by some key.
fn hostile_template(len: usize, san: bool) -> Vec<u8> {
    let pki = &fixture().pki;
    let doctor = pki.identity("doctor").unwrap();
    craft::resigned(&doctor.cert_der, &pki.signing_ca.key, |f| {
        f[3] = Any::from_der(&control_cn(len, 0)).unwrap();
        f[5] = Any::from_der(&control_cn(len, 1)).unwrap();
        if san {
            craft::with_extensions(f, |exts| {
                exts.retain(|e| e.extn_id.to_string() != "2.5.29.17");
                let gn = craft::tlv(0xa4, &control_cn(len, 2));
                exts.push(craft::extension("2.5.29.17", false, craft::tlv(0x30, &gn)));
            });
        }
    })
}

/// Distinct copies of `template` (a few control characters of the subject
/// changed: still the same size, still valid UTF-8, a different
/// certificate). Signatures no longer verify, which nothing here looks at.
fn variant(template: &[u8], at: usize, i: usize) -> Vec<u8> {
    let mut c = template.to_vec();
    for (k, b) in c[at..at + 8].iter_mut().enumerate() {
        *b = 1 + ((i >> (4 * k)) & 0xf) as u8;
    }
    c
}

/// Where a long run of control characters starts in `cert`.
fn control_run(cert: &[u8]) -> usize {
    cert.windows(64)
        .position(|w| w.iter().all(|b| (1..=30).contains(b)))
        .unwrap()
}

/// `reuse::MAX_BYTES`: "Remembered validations at most, and bytes of their
/// inputs and reports."
const REUSE_MAX_BYTES: isize = 32 << 20;

/// Live heap bytes kept after `count` validations of distinct hostile
/// certificates whose names are `name` control characters (each three in
/// RFC 4514 text), without and with reuse.
fn retained(name: usize, count: usize) -> (isize, isize) {
    let pki = &fixture().pki;
    let template = hostile_template(name, false);
    let at = control_run(&template);
    let store = root_only_store(pki);
    let revocation = inkan_trust::RevocationConfig::offline();
    let run = |from: usize| -> isize {
        let before = LIVE.load(Ordering::Relaxed);
        for i in from..from + count {
            let ee = variant(&template, at, i);
            let r = validate(
                &ee,
                &store,
                pki.now,
                inkan_trust::ValidationProfile::Hpki,
                &revocation,
                &[],
            );
            assert!(
                matches!(
                    r.status.failure(),
                    Some(inkan_trust::PathFailure::NoChain { .. })
                ),
                "{:?}",
                r.status
                    .failure()
                    .map(|f| f.to_string().chars().take(300).collect::<String>())
            );
        }
        LIVE.load(Ordering::Relaxed) - before
    };
    inkan_trust::reuse::set_enabled(false);
    let without = run(0);
    inkan_trust::reuse::set_enabled(true);
    let with = run(count);
    // Forget what this test left (for the other tests of the binary).
    inkan_trust::reuse::set_enabled(false);
    inkan_trust::reuse::set_enabled(true);
    eprintln!(
        "{count} hostile signers, {} KiB each: retained {} MiB without reuse, {} MiB with \
         (bound {} MiB)",
        template.len() >> 10,
        without / MIB,
        with / MIB,
        REUSE_MAX_BYTES / MIB
    );
    // Without reuse, only the parsed-certificate and name memos keep
    // anything (16 and 4 MiB at most).
    assert!(
        without < 24 * MIB,
        "{} MiB retained without reuse",
        without / MIB
    );
    (without, with)
}

/// A hostile sender's letters (any self-made certificate passes the
/// integrity check, then fails with NoChain, and failures are remembered
/// like passes) cannot keep more than the memo's bound: its count includes
/// the report's texts, which display escaping makes three times the names.
/// Certificates of 256 KiB are not remembered at all; certificates just
/// under the 16 KiB limit are, up to the bound. (Before the review the
/// texts were not counted: 60 letters counted as 30 MiB kept 120 MiB.)
#[test]
fn the_path_memo_keeps_no_more_than_its_byte_bound() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (name, count) in [(128 * 1024, 60), (4 * 1024, 1500)] {
        let (_, with) = retained(name, count);
        assert!(
            with < REUSE_MAX_BYTES + 8 * MIB,
            "the path memo retained {} MiB after {count} hostile letters with {name}-byte \
             names; it is bounded at {} MiB",
            with / MIB,
            REUSE_MAX_BYTES / MIB
        );
    }
}

/// The holder memo (`holder::summarize`) is bounded by what it keeps, not
/// only by entries and key size: a 14 KiB certificate whose subject CN,
/// subjectAltName CN and issuer CN are control characters gives a `Holder`
/// of about 130 KiB (name, name_kanji, issuer, issuer_short, each escaped
/// eightfold). 1000 hostile signers kept about 140 MiB for good before the
/// review, where the keys themselves are 14 MiB.
#[test]
fn the_holder_memo_keeps_no_more_than_about_its_certificates() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    const NAME: usize = 4000;
    const COUNT: usize = 1000;
    let template = hostile_template(NAME, true);
    assert!(template.len() <= 16 << 10, "{}", template.len());
    let at = control_run(&template);
    let one = inkan_trust::holder::summarize(&template).unwrap();
    assert!(one.name.len() >= 7 * NAME, "{}", one.name.len());
    assert!(one.name_kanji.as_ref().is_some_and(|n| n.len() >= 7 * NAME));
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..COUNT {
        let c = variant(&template, at, 1_000_000 + i);
        let h = inkan_trust::holder::summarize(&c).unwrap();
        drop(h);
    }
    let retained = LIVE.load(Ordering::Relaxed) - before;
    let keys = (COUNT * template.len()) as isize;
    eprintln!(
        "{COUNT} certificates of {} bytes ({} MiB): {} MiB retained",
        template.len(),
        keys / MIB,
        retained / MIB
    );
    // The keys, the parsed-certificate memo (16 MiB at most) and some slack.
    assert!(
        retained < keys + 16 * MIB + 8 * MIB,
        "{} MiB retained after summarising {} MiB of certificates",
        retained / MIB,
        keys / MIB
    );
}
