//! Interoperability with `openssl cms` (OpenSSL 3.0): openssl verifies Inkan's
//! signatures, Inkan verifies openssl's, and openssl's defective variants
//! (no signed attributes, SHA-1) are rejected.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use inkan_cades::{parse, verify_integrity, CadesError};

/// The exact verification command that accepts Inkan signatures (OpenSSL 3.0.22):
/// `openssl cms -verify -cades -binary -inform DER -in sig.p7s -CAfile root.pem
///  -attime <t> [-content doc.xml] -out doc.out`.
///
/// * `-binary` is required for detached signatures: without it openssl
///   canonicalises the content to CRLF text before hashing (HASH failure).
/// * `-purpose any` is NOT needed with OpenSSL 3.0: the default S/MIME signing
///   purpose accepts the HPKI keyUsage nonRepudiation-only certificate (checked
///   in `openssl_accepts_hpki_key_usage_without_purpose_any`); adding it is harmless.
/// * `-cades` makes openssl check signing-certificate-v2 (without it, it is ignored).
/// * `-attime` only pins the validation time to the test PKI's clock.
fn openssl_verify(dir: &std::path::Path, sig: &[u8], detached: bool) -> (bool, String) {
    std::fs::write(dir.join("sig.p7s"), sig).unwrap();
    let at = attime();
    let mut args = vec![
        "cms",
        "-verify",
        "-cades",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "sig.p7s",
        "-CAfile",
        "root.pem",
        "-attime",
        &at,
        "-out",
        "verified.out",
    ];
    if detached {
        args.extend_from_slice(&["-content", "doc.xml"]);
    }
    openssl(dir, &args)
}

#[test]
fn openssl_verifies_inkan_detached_signature() {
    let dir = tmp_dir("ossl-detached");
    let (ok, out) = openssl_verify(&dir, &sign_as("doctor", false), true);
    assert!(ok, "openssl rejected Inkan's detached signature: {out}");
    assert!(out.contains("Verification successful"), "{out}");
    assert_eq!(std::fs::read(dir.join("verified.out")).unwrap(), DOC);
}

#[test]
fn openssl_verifies_inkan_attached_signature() {
    let dir = tmp_dir("ossl-attached");
    let (ok, out) = openssl_verify(&dir, &sign_as("doctor", true), false);
    assert!(ok, "openssl rejected Inkan's attached signature: {out}");
    assert_eq!(std::fs::read(dir.join("verified.out")).unwrap(), DOC);
}

#[test]
fn openssl_accepts_hpki_key_usage_without_purpose_any() {
    // Same as openssl_verify, plus the variants with -purpose any / without -binary.
    let dir = tmp_dir("ossl-purpose");
    std::fs::write(dir.join("sig.p7s"), sign_as("doctor", false)).unwrap();
    let at = attime();
    let base = [
        "cms", "-verify", "-cades", "-inform", "DER", "-in", "sig.p7s", "-CAfile", "root.pem",
        "-attime", &at, "-content", "doc.xml", "-out", "out.txt",
    ];
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        openssl(&dir, &a)
    };
    assert!(with(&["-binary"]).0);
    assert!(with(&["-binary", "-purpose", "any"]).0);
    // Without -binary the document is hashed as CRLF text: openssl fails.
    assert!(!with(&[]).0);
}

#[test]
fn openssl_rejects_inkan_signature_over_other_content() {
    let dir = tmp_dir("ossl-tampered");
    let sig = sign_as("doctor", false);
    std::fs::write(dir.join("doc.xml"), b"tampered").unwrap();
    let (ok, _) = openssl_verify(&dir, &sig, true);
    assert!(!ok, "openssl must reject a signature over other content");
}

#[test]
fn openssl_rejects_inkan_signature_with_wrong_signing_certificate_v2() {
    // Confirms that the ESSCertIDv2 we write is the one openssl -cades checks.
    let dir = tmp_dir("ossl-ess");
    let pki = pki();
    let sig = inkan_cades::testing::sign_with_ess_certificate(
        DOC,
        &mut signer("doctor"),
        &opts(false),
        &pki.identity("dentist").unwrap().cert_der,
    )
    .unwrap();
    let (ok, out) = openssl_verify(&dir, &sig, true);
    assert!(!ok, "openssl -cades must reject a wrong ESSCertIDv2: {out}");
    assert!(out.contains("ESS"), "rejected for another reason: {out}");
}

#[test]
fn openssl_detached_signature_passes_verify_integrity() {
    let dir = tmp_dir("ossl-sign-detached");
    let sig = openssl_sign(&dir, "doctor", &["-cades", "-md", "sha256"]);
    let parsed = parse(&sig).unwrap();
    assert!(parsed.econtent.is_none());
    let ok = verify_integrity(&parsed, Some(DOC), &[]).unwrap();
    assert_eq!(ok.digest_algorithm, "SHA-256");
    assert_eq!(ok.signer_cert, pki().identity("doctor").unwrap().cert_der);
}

#[test]
fn openssl_attached_signature_passes_verify_integrity() {
    let dir = tmp_dir("ossl-sign-attached");
    let sig = openssl_sign(&dir, "doctor", &["-cades", "-md", "sha256", "-nodetach"]);
    let parsed = parse(&sig).unwrap();
    assert_eq!(parsed.econtent.as_deref(), Some(DOC));
    verify_integrity(&parsed, None, &[]).unwrap();
}

#[test]
fn openssl_sha384_and_sha512_signatures_pass_verify_integrity() {
    for (md, name) in [("sha384", "SHA-384"), ("sha512", "SHA-512")] {
        let dir = tmp_dir(md);
        let sig = openssl_sign(&dir, "doctor", &["-cades", "-md", md]);
        let ok = verify_integrity(&parse(&sig).unwrap(), Some(DOC), &[]).unwrap();
        assert_eq!(ok.digest_algorithm, name);
    }
}

#[test]
fn openssl_noattr_signature_is_format_failure() {
    let dir = tmp_dir("ossl-noattr");
    let sig = openssl_sign(&dir, "doctor", &["-md", "sha256", "-noattr"]);
    let e = verify_integrity(&parse(&sig).unwrap(), Some(DOC), &[]).unwrap_err();
    assert!(matches!(e, CadesError::NoSignedAttributes), "{e}");
    assert_eq!(e.sub_indication(), "FORMAT_FAILURE");
}

#[test]
fn openssl_signature_without_signing_certificate_v2_is_rejected() {
    // Without -cades openssl adds no ESS signing-certificate attribute.
    let dir = tmp_dir("ossl-noess");
    let sig = openssl_sign(&dir, "doctor", &["-md", "sha256"]);
    let e = verify_integrity(&parse(&sig).unwrap(), Some(DOC), &[]).unwrap_err();
    assert!(matches!(e, CadesError::SigningCertificateV2Missing), "{e}");
    assert_eq!(e.sub_indication(), "NO_SIGNING_CERTIFICATE_FOUND");
}

#[test]
fn openssl_sha1_signature_is_crypto_constraints_indeterminate() {
    let dir = tmp_dir("ossl-sha1");
    let sig = openssl_sign(&dir, "doctor", &["-cades", "-md", "sha1"]);
    let e = verify_integrity(&parse(&sig).unwrap(), Some(DOC), &[]).unwrap_err();
    assert!(matches!(e, CadesError::UnsupportedDigest { .. }), "{e}");
    assert!(e.to_string().contains("SHA-1"), "{e}");
    assert_eq!(e.sub_indication(), "CRYPTO_CONSTRAINTS_FAILURE_NO_POE");
    assert_eq!(e.indication(), inkan_cades::Indication::Indeterminate);
}

#[test]
fn openssl_weak_key_signature_is_crypto_constraints_indeterminate() {
    let dir = tmp_dir("ossl-weak");
    let sig = openssl_sign(&dir, "weak-key", &["-cades", "-md", "sha256"]);
    let e = verify_integrity(&parse(&sig).unwrap(), Some(DOC), &[]).unwrap_err();
    assert!(matches!(e, CadesError::WeakKey { .. }), "{e}");
    assert_eq!(e.sub_indication(), "CRYPTO_CONSTRAINTS_FAILURE_NO_POE");
    assert_eq!(e.indication(), inkan_cades::Indication::Indeterminate);
}

#[test]
fn ber_streamed_openssl_signatures_parse_and_verify() {
    // -stream with DER output makes openssl write indefinite-length BER.
    for attached in [false, true] {
        let dir = tmp_dir("ossl-ber");
        let mut flags = vec!["-cades", "-md", "sha256", "-stream"];
        if attached {
            flags.push("-nodetach");
        }
        let sig = openssl_sign(&dir, "doctor", &flags);
        let parsed = parse(&sig).unwrap();
        assert!(
            parsed.input_was_ber,
            "expected BER from -stream (attached={attached})"
        );
        assert_ne!(parsed.der, sig);
        let content = if attached { None } else { Some(DOC) };
        verify_integrity(&parsed, content, &[]).unwrap();
        if attached {
            assert_eq!(parsed.econtent.as_deref(), Some(DOC));
        }
    }
}

#[test]
fn inkan_signature_converted_to_ber_parses_and_verifies() {
    // `openssl cms -cmsout -stream` cannot re-stream an existing SignedData
    // ("Error writing CMS output"), so the test re-frames it as streaming BER
    // itself; openssl must accept that BER too, as a cross-check.
    for attached in [false, true] {
        let dir = tmp_dir("ink-ber");
        let sig = sign_as("doctor", attached);
        let ber = to_streaming_ber(&sig);
        assert_ne!(ber, sig);
        let (ok, out) = openssl_verify(&dir, &ber, !attached);
        assert!(ok, "openssl rejected the BER form: {out}");
        let parsed = parse(&ber).unwrap();
        assert!(parsed.input_was_ber);
        assert_eq!(parsed.der, sig, "BER framing normalises back to the DER");
        let content = if attached { None } else { Some(DOC) };
        verify_integrity(&parsed, content, &[]).unwrap();
        // Trailing data after BER is rejected too.
        let mut trailing = ber.clone();
        trailing.push(0);
        assert!(matches!(
            parse(&trailing).unwrap_err(),
            CadesError::TrailingData { extra: 1 }
        ));
    }
}

#[test]
fn openssl_subject_key_identifier_signer_passes_verify_integrity() {
    // -keyid: SignerIdentifier = subjectKeyIdentifier, SignerInfo version 3.
    // The test PKI's end entities carry no SKI extension, so issue one with
    // openssl (same key as the doctor, signed by the test signing CA).
    let dir = tmp_dir("ossl-keyid");
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectKeyIdentifier=hash\nkeyUsage=critical,nonRepudiation\n",
    )
    .unwrap();
    std::fs::copy(dir.join("doctor.key.pem"), dir.join("ski.key.pem")).unwrap();
    for args in [
        &[
            "req",
            "-new",
            "-key",
            "ski.key.pem",
            "-subj",
            "/CN=SKI TEST",
            "-out",
            "ski.csr",
        ][..],
        &[
            "x509",
            "-req",
            "-in",
            "ski.csr",
            "-CA",
            "signing-ca.pem",
            "-CAkey",
            "signing-ca.key.pem",
            "-set_serial",
            "4242",
            "-days",
            "2",
            "-sha256",
            "-extfile",
            "ext.cnf",
            "-out",
            "ski.pem",
        ],
    ] {
        let (ok, out) = openssl(&dir, args);
        assert!(ok, "{out}");
    }
    let sig = openssl_sign(&dir, "ski", &["-cades", "-md", "sha256", "-keyid"]);
    let parsed = parse(&sig).unwrap();
    assert!(matches!(
        parsed.signers[0].sid,
        inkan_cades::SignerId::SubjectKeyIdentifier(_)
    ));
    assert_eq!(parsed.signers[0].version, 3);
    verify_integrity(&parsed, Some(DOC), &[]).unwrap();
}

#[test]
fn openssl_two_signers_are_verified_one_by_one() {
    let dir = tmp_dir("ossl-two");
    let (ok, out) = openssl(
        &dir,
        &[
            "cms",
            "-sign",
            "-cades",
            "-md",
            "sha256",
            "-binary",
            "-in",
            "doc.xml",
            "-outform",
            "DER",
            "-out",
            "two.p7s",
            "-signer",
            "doctor.pem",
            "-inkey",
            "doctor.key.pem",
            "-signer",
            "dentist.pem",
            "-inkey",
            "dentist.key.pem",
            "-certfile",
            "signing-ca.pem",
        ],
    );
    assert!(ok, "{out}");
    let parsed = parse(&std::fs::read(dir.join("two.p7s")).unwrap()).unwrap();
    assert_eq!(parsed.signers.len(), 2);
    let e = verify_integrity(&parsed, Some(DOC), &[]).unwrap_err();
    assert!(matches!(e, CadesError::MultipleSigners { count: 2 }), "{e}");
    let pki = pki();
    let mut signers: Vec<Vec<u8>> = (0..2)
        .map(|i| {
            inkan_cades::verify_signer_integrity(&parsed, i, Some(DOC), &[])
                .unwrap()
                .signer_cert
        })
        .collect();
    signers.sort();
    let mut expected = vec![
        pki.identity("doctor").unwrap().cert_der.clone(),
        pki.identity("dentist").unwrap().cert_der.clone(),
    ];
    expected.sort();
    assert_eq!(signers, expected);
}

/// A detached signature made attached (`augment::encapsulate_content`, for
/// FHIR `Bundle.signature`): openssl verifies it with the content taken from
/// inside, Inkan too, and a signature that already carries content is refused.
#[test]
fn a_detached_signature_encapsulated_verifies_in_openssl_and_inkan() {
    let dir = tmp_dir("ossl-encapsulated");
    let detached = sign_as("doctor", false);
    let attached = inkan_cades::augment::encapsulate_content(&detached, DOC).unwrap();
    let (ok, out) = openssl_verify(&dir, &attached, false);
    assert!(ok, "openssl rejected the encapsulated signature: {out}");
    assert_eq!(std::fs::read(dir.join("verified.out")).unwrap(), DOC);
    let parsed = parse(&attached).unwrap();
    verify_integrity(&parsed, None, &[]).unwrap();
    // Other content inside: the message digest no longer matches.
    let wrong = inkan_cades::augment::encapsulate_content(&detached, b"other").unwrap();
    assert!(verify_integrity(&parse(&wrong).unwrap(), None, &[]).is_err());
    assert!(matches!(
        inkan_cades::augment::encapsulate_content(&attached, DOC),
        Err(CadesError::Malformed { .. })
    ));
}
