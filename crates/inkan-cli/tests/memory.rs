//! Peak memory does not depend on the document's size: a 200 MB detached
//! document is signed and verified in about one read chunk of memory. The
//! verification runs in a child `inkan verify`, whose peak RSS is read with
//! getrusage(RUSAGE_CHILDREN) once it has exited: the largest peak of the
//! children this binary has waited for, so each bound holds for all of
//! them (packaging a scan below runs its children too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::{fixture, inkan, p};
use inkan_cades::{CadesError, Content, SignOptions, SoftwareSigner};
use inkan_testpki::CaId;

const SIZE_MB: usize = 200;
const LIMIT_KB: i64 = 64 * 1024;

/// A 200 MB file of varied bytes, written a megabyte at a time.
fn big_document() -> PathBuf {
    let path = fixture().dir.join("scan-200mb.bin");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut chunk = vec![0u8; 1 << 20];
    for mb in 0..SIZE_MB {
        for (i, b) in chunk.iter_mut().enumerate() {
            *b = (i.wrapping_mul(31) ^ mb) as u8;
        }
        f.write_all(&chunk).unwrap();
    }
    f.flush().unwrap();
    path
}

fn options(attached: bool) -> SignOptions {
    SignOptions {
        attached,
        signing_time: fixture().pki.now,
        extra_certificates: vec![fixture().pki.ca(CaId::SigningCa).cert_der.clone()],
    }
}

#[test]
fn a_200_mb_detached_document_verifies_in_under_64_mb() {
    let doc = big_document();
    let doctor = fixture().pki.identity("doctor").unwrap();
    let mut signer = SoftwareSigner::new(doctor.cert_der.clone(), doctor.key.clone());

    // An attached signature would hold the document whole: refused, with
    // the way out, before anything is signed.
    let e =
        inkan_cades::sign_content(Content::File(&doc), &mut signer, &options(true)).unwrap_err();
    assert!(matches!(e, CadesError::AttachedTooLarge { .. }), "{e}");
    assert!(e.to_string().contains("sign it detached"), "{e}");

    let sig = inkan_cades::sign_content(Content::File(&doc), &mut signer, &options(false)).unwrap();
    let sig_path = fixture().dir.join("scan-200mb.bin.p7s");
    std::fs::write(&sig_path, &sig).unwrap();

    let (code, out, err) = inkan(&[
        "--lang",
        "en",
        "verify",
        doc.to_str().unwrap(),
        "--any-qualification",
        "--trust",
        &format!("test:{}", p("pki")),
        "--json",
    ]);
    let peak_kb = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .unwrap()
        .max_rss();
    std::fs::remove_file(&doc).unwrap();
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["report"]["indication"], "TOTAL_PASSED", "{out}");
    // The measure is real: a process that ran at all used some memory.
    assert!(peak_kb > 1024, "peak RSS {peak_kb} kB");
    assert!(
        peak_kb < LIMIT_KB,
        "verifying a {SIZE_MB} MB document peaked at {} MB (limit 64 MB)",
        peak_kb / 1024
    );
    eprintln!("inkan verify of {SIZE_MB} MB: peak RSS {} kB", peak_kb);
}

/// `inkan letter package create` copies a large scan into the zip from its
/// file, and `letter package check` hashes it as it inflates it: the
/// children's peak RSS stays far below the attachment's size (reading
/// whole, as both did before, held the scan and the zip).
#[test]
fn a_package_with_a_45_mb_scan_is_created_and_checked_in_under_64_mb() {
    let dir = fixture().dir.join("package-memory");
    std::fs::create_dir_all(&dir).unwrap();
    let letter = dir.join("letter.xml");
    let (code, _, err) = inkan(&[
        "letter",
        "new",
        "--example",
        "--format",
        "hs008",
        "--out",
        letter.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // The two attachments the example letter lists.
    let lab = dir.join("lab-results-2025-03-10.pdf");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&lab).unwrap());
    f.write_all(b"%PDF-1.4\n").unwrap();
    let mut chunk = vec![0u8; 1 << 20];
    for mb in 0..45 {
        for (i, b) in chunk.iter_mut().enumerate() {
            *b = (i.wrapping_mul(7) ^ mb) as u8;
        }
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\n%%EOF\n").unwrap();
    f.flush().unwrap();
    drop(f);
    let fundus = dir.join("fundus-2024-12.jpg");
    std::fs::write(
        &fundus,
        [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
        ],
    )
    .unwrap();
    let pkg = dir.join("referral.zip");
    let (code, out, err) = inkan(&[
        "--lang",
        "en",
        "letter",
        "package",
        "create",
        "--letter",
        letter.to_str().unwrap(),
        "--attach",
        lab.to_str().unwrap(),
        "--attach",
        fundus.to_str().unwrap(),
        "--out",
        pkg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let size = std::fs::metadata(&pkg).unwrap().len();
    assert!(size > 45 << 20, "the scan is in the package ({size} bytes)");
    // Checking the package reads it in one pass too.
    let (code, out, err) = inkan(&["letter", "package", "check", pkg.to_str().unwrap()]);
    let peak_kb = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .unwrap()
        .max_rss();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("lab-results-2025-03-10.pdf"), "{out}");
    assert!(
        peak_kb < LIMIT_KB,
        "packaging and checking a 45 MB scan peaked at {} MB (limit 64 MB)",
        peak_kb / 1024
    );
}
