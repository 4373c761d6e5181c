//! The per-process memos (parsed certificates in `path.rs`, name texts in
//! `holder.rs`) are bounded by bytes, so hostile certificates do not stay in
//! a long-running window, and they never show one name's text for another.
//! This binary counts live heap bytes with its own global allocator (hence
//! `unsafe_code` here, in a test binary of its own).
#![allow(clippy::unwrap_used, clippy::expect_used, unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use common::*;
use der::{Decode, Encode};
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

/// The parsed-certificate memo is bounded by entry count (4096), not by
/// bytes: certificates a hostile signature carries (up to 256 per path,
/// each as large as the signature allows) stay in the process after the
/// verification is over. A batch of such signatures in the long-running
/// window (or `inkan verify *.p7s`) keeps hundreds of MiB to GiB.
#[test]
fn certificates_from_finished_verifications_are_not_retained_without_a_byte_bound() {
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
