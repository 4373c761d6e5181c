//! Signing with a software signer and integrity verification, including every
//! "must reject" rule that does not need openssl.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use inkan_cades::{parse, verify_integrity, CadesError, ExternalSigner, Indication, SignerError};
use inkan_l10n::Localized;
use inkan_testpki::CaId;

fn sub(r: Result<inkan_cades::IntegrityOk, CadesError>) -> (&'static str, Indication) {
    let e = r.expect_err("verification must fail");
    // Every error must have a real bilingual text.
    let t = e.text();
    assert!(!t.ja.is_empty() && !t.en.is_empty() && e.code().starts_with("cades."));
    (e.sub_indication(), e.indication())
}

#[test]
fn detached_signature_verifies() {
    let sig = sign_as("doctor", false);
    let parsed = parse(&sig).unwrap();
    assert!(parsed.econtent.is_none());
    assert!(!parsed.input_was_ber);
    assert_eq!(parsed.der, sig);
    let pki = pki();
    assert_eq!(
        parsed.certificates.len(),
        2,
        "EE + issuing CA, not the root"
    );
    assert!(parsed
        .certificates
        .contains(&pki.identity("doctor").unwrap().cert_der));
    assert!(parsed
        .certificates
        .contains(&pki.ca(CaId::SigningCa).cert_der));
    assert!(!parsed.certificates.contains(&pki.ca(CaId::Root).cert_der));
    let ok = verify_integrity(&parsed, Some(DOC), &[]).unwrap();
    assert_eq!(ok.signer_cert, pki.identity("doctor").unwrap().cert_der);
    assert_eq!(ok.digest_algorithm, "SHA-256");
    assert_eq!(ok.key_bits, 2048);
    assert!(!ok.attached);
    assert!(ok.signer_cert_embedded);
    assert_eq!(
        ok.signing_time,
        Some(now() + std::time::Duration::from_secs(3600))
    );
}

#[test]
fn attached_signature_verifies() {
    let sig = sign_as("doctor", true);
    let parsed = parse(&sig).unwrap();
    assert_eq!(parsed.econtent.as_deref(), Some(DOC));
    let ok = verify_integrity(&parsed, None, &[]).unwrap();
    assert!(ok.attached);
    // The same content given again is fine; another one is not.
    verify_integrity(&parsed, Some(DOC), &[]).unwrap();
    assert_eq!(
        sub(verify_integrity(&parsed, Some(b"other"), &[])).0,
        "HASH_FAILURE"
    );
}

#[test]
fn signing_is_deterministic_and_der() {
    // Same inputs, same bytes (PKCS#1 v1.5 is deterministic): DER, no randomness.
    assert_eq!(sign_as("doctor", false), sign_as("doctor", false));
}

#[test]
fn pem_input_is_accepted() {
    let sig = sign_as("doctor", false);
    let b64 = {
        // Minimal base64 encoder for the test.
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in sig.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    s.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    };
    for label in ["PKCS7", "CMS"] {
        let mut pem = format!("-----BEGIN {label}-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap());
            pem.push('\n');
        }
        pem.push_str(&format!("-----END {label}-----\n"));
        let parsed = parse(pem.as_bytes()).unwrap();
        assert_eq!(parsed.der, sig);
        verify_integrity(&parsed, Some(DOC), &[]).unwrap();
    }
}

#[test]
fn tampered_content_is_hash_failure() {
    let sig = sign_as("doctor", false);
    let parsed = parse(&sig).unwrap();
    let mut doc = DOC.to_vec();
    doc[10] ^= 0x01;
    assert_eq!(
        sub(verify_integrity(&parsed, Some(&doc), &[])),
        ("HASH_FAILURE", Indication::TotalFailed)
    );
}

#[test]
fn tampered_attached_content_is_hash_failure() {
    let mut sig = sign_as("doctor", true);
    let pos = sig
        .windows(DOC.len())
        .position(|w| w == DOC)
        .expect("content inside");
    sig[pos + 3] ^= 0x20;
    let parsed = parse(&sig).unwrap();
    assert_eq!(sub(verify_integrity(&parsed, None, &[])).0, "HASH_FAILURE");
}

#[test]
fn tampered_signed_attributes_are_sig_crypto_failure() {
    let sig = sign_as("doctor", false);
    let parsed = parse(&sig).unwrap();
    // Flip a byte of the signing time (inside the signed attributes, not the digest).
    let si = &parsed.signers[0];
    let sa = si.signed_attrs_der.as_ref().unwrap();
    let t = si
        .signed_attr_values(&inkan_cades::oids::ID_SIGNING_TIME)
        .first()
        .unwrap()
        .to_vec();
    let sa_pos = sig.windows(sa.len()).position(|w| w == &sa[..]).unwrap();
    let t_pos = sa.windows(t.len()).position(|w| w == &t[..]).unwrap();
    let mut bad = sig.clone();
    // The year's units digit of the UTCTime: still a valid time, another value.
    let at = sa_pos + t_pos + 3;
    bad[at] = if bad[at] == b'9' { b'8' } else { bad[at] + 1 };
    let parsed = parse(&bad).unwrap();
    assert_eq!(
        sub(verify_integrity(&parsed, Some(DOC), &[])),
        ("SIG_CRYPTO_FAILURE", Indication::TotalFailed)
    );
}

#[test]
fn swapped_certificate_is_no_signing_certificate_found() {
    let pki = pki();
    let doctor = &pki.identity("doctor").unwrap().cert_der;
    let dentist = &pki.identity("dentist").unwrap().cert_der;
    let sig = sign_as("doctor", false);
    // Replace the EE certificate with the dentist's, keeping the SignerIdentifier.
    // Both are DER certificates of the same CA; fix up the lengths by re-encoding
    // through a splice when the sizes are equal, else through the parser view.
    let pos = sig
        .windows(doctor.len())
        .position(|w| w == &doctor[..])
        .unwrap();
    let swapped = splice_with_lengths(&sig, pos, doctor.len(), dentist);
    let parsed = parse(&swapped).unwrap();
    assert!(parsed.certificates.contains(dentist));
    assert_eq!(
        sub(verify_integrity(&parsed, Some(DOC), &[])),
        ("NO_SIGNING_CERTIFICATE_FOUND", Indication::Indeterminate)
    );
    // With the real certificate supplied from outside, the signature is intact.
    let ok = verify_integrity(&parsed, Some(DOC), std::slice::from_ref(doctor)).unwrap();
    assert!(!ok.signer_cert_embedded);
}

/// Replaces `len` bytes at `pos` with `new` and fixes the lengths of every
/// enclosing DER element (those whose contents cover `pos`).
fn splice_with_lengths(der: &[u8], pos: usize, len: usize, new: &[u8]) -> Vec<u8> {
    fn rebuild(input: &[u8], base: usize, pos: usize, len: usize, new: &[u8]) -> Vec<u8> {
        // Walk the TLVs in `input` (which starts at absolute offset `base`).
        let mut out = Vec::new();
        let mut i = 0;
        while i < input.len() {
            let start = base + i;
            if start == pos {
                out.extend_from_slice(new);
                i += len;
                continue;
            }
            let tag = input[i];
            let (clen, hlen) = if input[i + 1] < 0x80 {
                (input[i + 1] as usize, 2)
            } else {
                let n = (input[i + 1] & 0x7f) as usize;
                let l = input[i + 2..i + 2 + n]
                    .iter()
                    .fold(0usize, |a, b| (a << 8) | *b as usize);
                (l, 2 + n)
            };
            let end = i + hlen + clen;
            if tag & 0x20 != 0 && start < pos && pos < base + end {
                let inner = rebuild(&input[i + hlen..end], base + i + hlen, pos, len, new);
                out.push(tag);
                if inner.len() < 0x80 {
                    out.push(inner.len() as u8);
                } else {
                    let b = inner.len().to_be_bytes();
                    let skip = b.iter().take_while(|x| **x == 0).count();
                    out.push(0x80 | (b.len() - skip) as u8);
                    out.extend_from_slice(&b[skip..]);
                }
                out.extend_from_slice(&inner);
            } else {
                out.extend_from_slice(&input[i..end]);
            }
            i = end;
        }
        out
    }
    rebuild(der, 0, pos, len, new)
}

#[test]
fn wrong_signing_certificate_v2_is_no_signing_certificate_found() {
    let pki = pki();
    let dentist = &pki.identity("dentist").unwrap().cert_der;
    let sig = inkan_cades::testing::sign_with_ess_certificate(
        DOC,
        &mut signer("doctor"),
        &opts(false),
        dentist,
    )
    .unwrap();
    let parsed = parse(&sig).unwrap();
    let e = verify_integrity(&parsed, Some(DOC), &[]).unwrap_err();
    assert!(
        matches!(e, CadesError::SigningCertificateV2Mismatch { .. }),
        "{e}"
    );
    assert_eq!(e.sub_indication(), "NO_SIGNING_CERTIFICATE_FOUND");
    assert_eq!(e.indication(), Indication::Indeterminate);
}

#[test]
fn content_type_attribute_disagreeing_with_econtent_type_is_format_failure() {
    let tst_info = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
    for attached in [false, true] {
        let sig = inkan_cades::testing::sign_with_content_type_attr(
            DOC,
            &mut signer("doctor"),
            &opts(attached),
            tst_info,
        )
        .unwrap();
        let parsed = parse(&sig).unwrap();
        let e = verify_integrity(&parsed, Some(DOC), &[]).unwrap_err();
        assert!(matches!(e, CadesError::ContentTypeMismatch { .. }), "{e}");
        assert_eq!(e.sub_indication(), "FORMAT_FAILURE");
        assert_eq!(e.indication(), Indication::TotalFailed);
    }
}

#[test]
fn weak_key_is_crypto_constraints_indeterminate() {
    let sig = sign_as("weak-key", false);
    let parsed = parse(&sig).unwrap();
    let e = verify_integrity(&parsed, Some(DOC), &[]).unwrap_err();
    assert!(matches!(e, CadesError::WeakKey { .. }), "{e}");
    assert!(e.to_string().contains("RSA-1024"), "{e}");
    assert_eq!(e.sub_indication(), "CRYPTO_CONSTRAINTS_FAILURE_NO_POE");
    assert_eq!(e.indication(), inkan_cades::Indication::Indeterminate);
}

#[test]
fn trailing_bytes_are_format_failure() {
    for extra in [&[0u8][..], &[0, 0], b"garbage", &[0x05, 0x00]] {
        let mut sig = sign_as("doctor", false);
        sig.extend_from_slice(extra);
        let e = parse(&sig).unwrap_err();
        assert!(matches!(e, CadesError::TrailingData { .. }), "{e}");
        assert_eq!(e.sub_indication(), "FORMAT_FAILURE");
    }
}

#[test]
fn detached_without_content_is_signed_data_not_found() {
    let parsed = parse(&sign_as("doctor", false)).unwrap();
    assert_eq!(
        sub(verify_integrity(&parsed, None, &[])),
        ("SIGNED_DATA_NOT_FOUND", Indication::Indeterminate)
    );
}

#[derive(Debug)]
struct WrongPin {
    tries_left: u8,
}

impl std::fmt::Display for WrongPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "wrong PIN, {} tries left", self.tries_left)
    }
}

impl std::error::Error for WrongPin {}

struct FailingCard(Vec<u8>);

impl ExternalSigner for FailingCard {
    fn certificate(&self) -> &[u8] {
        &self.0
    }
    fn sign_sha256(&mut self, _digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        Err(SignerError::new(WrongPin { tries_left: 2 }))
    }
}

#[test]
fn signer_error_is_carried_through_unchanged() {
    let mut card = FailingCard(pki().identity("doctor").unwrap().cert_der.clone());
    let e = inkan_cades::sign(DOC, &mut card, &opts(false)).unwrap_err();
    let CadesError::Signer(inner) = &e else {
        panic!("expected CadesError::Signer, got {e}");
    };
    assert_eq!(inner.downcast_ref::<WrongPin>().unwrap().tries_left, 2);
    assert!(e.text().ja.contains("wrong PIN, 2 tries left"));
}

/// A card whose key does not belong to its certificate.
#[test]
fn signer_with_mismatched_key_is_caught_at_signing() {
    let pki = pki();
    let mut s = inkan_cades::SoftwareSigner::new(
        pki.identity("doctor").unwrap().cert_der.clone(),
        pki.identity("dentist").unwrap().key.clone(),
    );
    let e = inkan_cades::sign(DOC, &mut s, &opts(false)).unwrap_err();
    assert!(matches!(e, CadesError::SignerCertificate { .. }), "{e}");
}

#[test]
fn truncations_and_byte_flips_never_panic() {
    for attached in [false, true] {
        let sig = sign_as("doctor", attached);
        for cut in 0..sig.len() {
            if let Ok(p) = parse(&sig[..cut]) {
                let _ = verify_integrity(&p, Some(DOC), &[]);
            }
        }
        // The issuing CA certificate is not covered by anything the integrity
        // check looks at (the trust layer validates it); every other byte is.
        let pki = pki();
        let ca = &pki.ca(CaId::SigningCa).cert_der;
        let ca_pos = sig.windows(ca.len()).position(|w| w == &ca[..]).unwrap();
        let ca_range = ca_pos..ca_pos + ca.len();
        // Every byte position, three different flips each.
        let mut wrongly_accepted = Vec::new();
        for i in 0..sig.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut bad = sig.clone();
                bad[i] ^= mask;
                if let Ok(p) = parse(&bad) {
                    if verify_integrity(&p, Some(DOC), &[]).is_ok() && !ca_range.contains(&i) {
                        wrongly_accepted.push((i, mask));
                    }
                }
            }
        }
        assert!(
            wrongly_accepted.is_empty(),
            "flips accepted (byte, mask) in a {}-byte signature: {wrongly_accepted:?}",
            sig.len()
        );
    }
}

#[test]
fn signing_certificate_v2_omits_sha256_and_carries_issuer_serial() {
    use der::Decode;
    let pki = pki();
    let doctor = pki.identity("doctor").unwrap().certificate().unwrap();
    let parsed = parse(&sign_as("doctor", false)).unwrap();
    let si = &parsed.signers[0];
    assert!(matches!(
        si.sid,
        inkan_cades::SignerId::IssuerAndSerialNumber { .. }
    ));
    assert_eq!(si.version, 1);
    assert_eq!(parsed.version, 1);
    let v = si.signed_attr_values(&inkan_cades::oids::ID_AA_SIGNING_CERTIFICATE_V2);
    assert_eq!(v.len(), 1);
    let scv2 = inkan_cades::ess::SigningCertificateV2::from_der(v[0]).unwrap();
    assert_eq!(scv2.certs.len(), 1);
    let id = &scv2.certs[0];
    assert!(
        id.hash_algorithm.is_none(),
        "SHA-256 is the DEFAULT: omitted in DER"
    );
    use sha2::Digest;
    assert_eq!(
        id.cert_hash.as_bytes(),
        sha2::Sha256::digest(&pki.identity("doctor").unwrap().cert_der).as_slice()
    );
    let is = id.issuer_serial.as_ref().unwrap();
    assert_eq!(
        is.serial_number.as_bytes(),
        doctor.tbs_certificate().serial_number().as_bytes()
    );
    assert!(matches!(
        &is.issuer[..],
        [x509_cert::ext::pkix::name::GeneralName::DirectoryName(n)] if n == doctor.tbs_certificate().issuer()
    ));
    // The four CAdES-BES attributes, each once.
    for oid in [
        inkan_cades::oids::ID_CONTENT_TYPE,
        inkan_cades::oids::ID_MESSAGE_DIGEST,
        inkan_cades::oids::ID_SIGNING_TIME,
        inkan_cades::oids::ID_AA_SIGNING_CERTIFICATE_V2,
    ] {
        assert_eq!(si.signed_attr_values(&oid).len(), 1, "{oid}");
    }
    assert_eq!(si.signed_attrs.len(), 4);
    assert!(si.unsigned_attrs.is_empty());
}
