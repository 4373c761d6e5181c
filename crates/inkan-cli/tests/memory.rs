//! Peak memory does not depend on the document's size: a 200 MB detached
//! document is signed and verified in about one read chunk of memory. The
//! verification runs in a child `inkan verify`, whose peak RSS is read with
//! getrusage(RUSAGE_CHILDREN) once it has exited; this binary runs no other
//! child, so the figure is that process's.
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
