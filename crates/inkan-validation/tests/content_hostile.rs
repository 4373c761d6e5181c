//! Documents hashed from their files, attacked: a document that changes
//! between reads (a named pipe) cannot pass for two different contents (it
//! is read once per validation), an endless one (/dev/zero) or a directory
//! is refused at once, junk ATSv2 attributes do not multiply reads, and an
//! rsaEncryption key without NULL parameters is refused (RFC 4055 §1.2).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use der::{Any, Decode, Encode};
use inkan_cades::{Content, SignOptions, SoftwareSigner};
use inkan_testpki::{craft, CaId};
use inkan_trust::RevocationConfig;
use inkan_validation::{validate, validate_content, Indication, Options};

fn opts() -> Options {
    options(
        pki().now + Duration::from_secs(HOUR),
        RevocationConfig {
            timeout: Duration::from_secs(5),
            ..RevocationConfig::default()
        },
    )
}

fn sign_bytes(id: &str, content: &[u8], extra: Vec<Vec<u8>>) -> Vec<u8> {
    let ident = pki().identity(id).unwrap();
    let mut s = SoftwareSigner::new(ident.cert_der.clone(), ident.key.clone());
    let mut extra_certificates = vec![pki().ca(CaId::SigningCa).cert_der.clone()];
    extra_certificates.extend(extra);
    inkan_cades::sign(
        content,
        &mut s,
        &SignOptions {
            attached: false,
            signing_time: pki().now,
            extra_certificates,
        },
    )
    .unwrap()
}

/// `sig_a` (ContentInfo(SignedData), DER) with the first SignerInfo of
/// `sig_b` appended to its signerInfos.
fn splice_signer(sig_a: &[u8], sig_b: &[u8]) -> Vec<u8> {
    let b = inkan_cades::parse(sig_b).unwrap();
    let ci = Vec::<Any>::from_der(sig_a).unwrap();
    let sd_der = ci[1].value();
    let mut fields = Vec::<Any>::from_der(sd_der).unwrap();
    let last = fields.last().unwrap();
    let mut set = last.value().to_vec();
    set.extend_from_slice(&b.signers[0].der);
    let n = fields.len();
    fields[n - 1] = Any::from_der(&big_tlv(0x31, &set)).unwrap();
    let sd = fields.to_der().unwrap();
    big_tlv(
        0x30,
        &[ci[0].to_der().unwrap(), big_tlv(0xA0, &sd)].concat(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("inkan-attack-perf-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// A named pipe at `path` served by a thread: the n-th open (0-based) gets
/// `serve(n)`. Returns the open counter.
fn fifo(path: &Path, serve: impl Fn(usize) -> Vec<u8> + Send + 'static) -> Arc<AtomicUsize> {
    let _ = std::fs::remove_file(path);
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
    let opens = Arc::new(AtomicUsize::new(0));
    let o = opens.clone();
    let p = path.to_path_buf();
    std::thread::spawn(move || loop {
        use std::io::Write;
        let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&p) else {
            return;
        };
        let n = o.fetch_add(1, Ordering::SeqCst);
        let _ = f.write_all(&serve(n));
        drop(f);
        // Let the reader reach EOF and close before the next writer opens
        // (a writer opening while the old reader is still open would
        // append to its stream).
        std::thread::sleep(Duration::from_millis(30));
    });
    opens
}

fn verdicts(r: &inkan_validation::ValidationReport) -> String {
    r.signers
        .iter()
        .map(|s| {
            format!(
                "#{} {} {:?}",
                s.index,
                s.indication.as_str(),
                s.sub_indication
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// TOCTOU: each signer (and each archive time-stamp) re-reads the document
/// file. A document that reads as A the first time and B afterwards lets a
/// two-signer signature pass although no single document was signed by both.
#[test]
fn a_document_that_changes_between_reads_cannot_pass_for_two_different_contents() {
    let a = b"<letter>A: the letter the doctor signed</letter>".to_vec();
    let b = b"<letter>B: the letter the dentist signed</letter>".to_vec();
    let dentist = pki().identity("dentist").unwrap().cert_der.clone();
    let sig_a = sign_bytes("doctor", &a, vec![dentist]);
    let sig_b = sign_bytes("dentist", &b, vec![]);
    let two = splice_signer(&sig_a, &sig_b);

    // Sanity: against either fixed content, one signer fails.
    let ra = validate(&two, Some(&a), &opts());
    assert_ne!(ra.indication, Indication::TotalPassed, "{}", verdicts(&ra));
    assert_eq!(ra.signers.len(), 2, "{}", explain(&ra));
    assert_eq!(
        ra.signers[0].indication,
        Indication::TotalPassed,
        "{}",
        verdicts(&ra)
    );

    // The same file read twice gives A then B.
    let path = scratch("letter-toctou.xml");
    let (a2, b2) = (a.clone(), b.clone());
    let opens = fifo(&path, move |n| if n == 0 { a2.clone() } else { b2.clone() });
    let r = validate_content(&two, Some(Content::File(&path)), &opts());
    let n = opens.load(Ordering::SeqCst);
    assert_ne!(
        r.indication,
        Indication::TotalPassed,
        "TOTAL_PASSED for two signers who signed different documents ({} reads of the file): {}",
        n,
        verdicts(&r)
    );
}

/// The document is hashed once per validation, not once per signer and
/// twice per ATSv2 (unsigned, attacker-supplied attributes).
#[test]
fn junk_archive_v2_attributes_do_not_multiply_reads_of_the_document() {
    let doc = b"<letter>read counter</letter>".to_vec();
    let mut sig = sign_bytes("doctor", &doc, vec![]);
    for i in 0..8u8 {
        sig = inkan_cades::augment::add_unsigned_attribute(
            &sig,
            0,
            &inkan_cades::augment::ID_AA_ATS_V2,
            &tlv(0x30, &tlv(0x02, &[i + 1])),
        )
        .unwrap();
    }
    let path = scratch("letter-count.xml");
    let d = doc.clone();
    let opens = fifo(&path, move |_| d.clone());
    let r = validate_content(&sig, Some(Content::File(&path)), &opts());
    let n = opens.load(Ordering::SeqCst);
    eprintln!("verdict {} / reads of the document: {n}", explain(&r));
    assert!(
        n <= 2,
        "the document file was opened and read whole {n} times for one signer with 8 junk ATSv2 attributes"
    );
}

/// A document path that never ends (/dev/zero, a symlink to it, a FIFO fed
/// forever) must not make verification run forever: the window used to cap
/// the document at MAX_PACKAGE_BYTES.
#[test]
fn an_endless_document_does_not_hang_verification() {
    let doc = b"<letter>zero</letter>".to_vec();
    let sig = sign_bytes("doctor", &doc, vec![]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = validate_content(&sig, Some(Content::File(Path::new("/dev/zero"))), &opts());
        let _ = tx.send(r.indication);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(ind) => assert_ne!(ind, Indication::TotalPassed),
        Err(_) => panic!("validate_content(/dev/zero) still running after 20 s (unbounded read)"),
    }
}

/// A directory given as the document: a clear failure, no panic.
#[test]
fn a_directory_as_document_fails_cleanly() {
    let doc = b"<letter>dir</letter>".to_vec();
    let sig = sign_bytes("doctor", &doc, vec![]);
    let dir = scratch("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let r = validate_content(&sig, Some(Content::File(&dir)), &opts());
    assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

/// Attached signature plus a detached file: the file must equal eContent.
#[test]
fn attached_signature_with_a_different_detached_file_fails() {
    let ident = pki().identity("doctor").unwrap();
    let mut s = SoftwareSigner::new(ident.cert_der.clone(), ident.key.clone());
    let doc = b"<letter>attached</letter>".to_vec();
    let sig = inkan_cades::sign(
        &doc,
        &mut s,
        &SignOptions {
            attached: true,
            signing_time: pki().now,
            extra_certificates: vec![pki().ca(CaId::SigningCa).cert_der.clone()],
        },
    )
    .unwrap();
    let path = scratch("attached-other.xml");
    for other in [
        b"<letter>other</letter>".to_vec(),
        doc[..doc.len() - 1].to_vec(),
        [doc.clone(), b"x".to_vec()].concat(),
        Vec::new(),
    ] {
        std::fs::write(&path, &other).unwrap();
        let r = validate_content(&sig, Some(Content::File(&path)), &opts());
        assert_ne!(r.indication, Indication::TotalPassed, "{}", explain(&r));
    }
    std::fs::write(&path, &doc).unwrap();
    let r = validate_content(&sig, Some(Content::File(&path)), &opts());
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(&r));
}

/// The SPKI of a certificate under the signing CA with `alg` (DER of the
/// AlgorithmIdentifier) in place of { rsaEncryption, NULL }.
fn doctor_with_spki_algorithm(alg: Vec<u8>, serial: u8) -> Vec<u8> {
    let ident = pki().identity("doctor").unwrap();
    craft::resigned(&ident.cert_der, &pki().ca(CaId::SigningCa).key, |f| {
        let spki = Vec::<Any>::from_der(&f[6].to_der().unwrap()).unwrap();
        let new = tlv(0x30, &[alg, spki[1].to_der().unwrap()].concat());
        f[6] = Any::from_der(&new).unwrap();
        let _ = serial;
    })
}

const RSA_OID: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// Before 5aca67d, `rsa::PublicKey::from_public_key_der` refused an
/// rsaEncryption key whose parameters are not NULL (RFC 3279 §2.3.1,
/// RFC 4055 §1.2: "MUST be present and MUST be NULL"); now only the BIT
/// STRING is read.
#[test]
fn rsa_encryption_key_without_null_parameters_is_refused_as_before() {
    let ident = pki().identity("doctor").unwrap();
    let mut wrong = Vec::new();
    for (what, alg) in [
        ("absent", tlv(0x30, &RSA_OID)),
        (
            "OCTET STRING",
            tlv(0x30, &[RSA_OID.to_vec(), tlv(0x04, b"junk")].concat()),
        ),
        (
            "SEQUENCE",
            tlv(0x30, &[RSA_OID.to_vec(), tlv(0x30, &[])].concat()),
        ),
    ] {
        let cert = doctor_with_spki_algorithm(alg, 1);
        // The signing side (rsa crate) refuses such a key: sign with the
        // genuine certificate, naming the crafted one in ESS, then put the
        // crafted one in its place among the certificates.
        let mut s = SoftwareSigner::new(ident.cert_der.clone(), ident.key.clone());
        let genuine = inkan_cades::testing::sign_with_ess_certificate(
            LETTER,
            &mut s,
            &SignOptions {
                attached: false,
                signing_time: pki().now,
                extra_certificates: vec![pki().ca(CaId::SigningCa).cert_der.clone()],
            },
            &cert,
        )
        .unwrap();
        let sig = replace_cert(&genuine, &ident.cert_der, &cert);
        let r = validate(&sig, Some(LETTER), &opts());
        // What the pre-5aca67d code answered for the same key:
        let c = x509_cert_spki_der(&cert);
        use rsa::pkcs8::DecodePublicKey;
        let old = rsa::PublicKey::from_public_key_der(&c).is_ok();
        if r.indication == Indication::TotalPassed && !old {
            wrong.push(format!(
                "parameters {what}: the pre-5aca67d key decoding refused the key, now {}",
                explain(&r)
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

fn x509_cert_spki_der(cert: &[u8]) -> Vec<u8> {
    let tbs =
        Vec::<Any>::from_der(&Vec::<Any>::from_der(cert).unwrap()[0].to_der().unwrap()).unwrap();
    tbs[6].to_der().unwrap()
}

/// `sig` with certificate `old` replaced by `new` in SignedData.certificates.
fn replace_cert(sig: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let ci = Vec::<Any>::from_der(sig).unwrap();
    let mut fields = Vec::<Any>::from_der(ci[1].value()).unwrap();
    let certs = fields[3].value().to_vec();
    let at = certs
        .windows(old.len())
        .position(|w| w == old)
        .expect("certificate in the signature");
    let mut v = certs[..at].to_vec();
    v.extend_from_slice(new);
    v.extend_from_slice(&certs[at + old.len()..]);
    fields[3] = Any::from_der(&big_tlv(0xA0, &v)).unwrap();
    let sd = fields.to_der().unwrap();
    big_tlv(
        0x30,
        &[ci[0].to_der().unwrap(), big_tlv(0xA0, &sd)].concat(),
    )
}
