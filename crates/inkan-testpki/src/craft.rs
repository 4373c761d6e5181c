//! Hand-crafted variants of the PKI's certificates and CRLs, for verifier
//! tests: a certificate with edited fields signed again, a CRL with chosen
//! entries and extensions. Everything is still made by code, never by
//! editing a blob.
//!
//! These panic on bad input: they are for tests, whose inputs are fixed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::SystemTime;

use der::asn1::{BitString, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Tagged};
use rsa::signature::{SignatureEncoding, Signer};
use x509_cert::certificate::Rfc5280;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::PrivateKey;

/// An extension `id` with `value` (its DER).
pub fn extension(id: &str, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: ObjectIdentifier::new_unwrap(id),
        critical,
        extn_value: OctetString::new(value).expect("extension value"),
    }
}

fn sign(key: &PrivateKey, tbs: &[u8]) -> BitString {
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
    BitString::from_bytes(&signer.sign(tbs).to_vec()).expect("signature")
}

/// `cert` with its TBS fields edited (`fields[1]` serial, `[3]` issuer,
/// `[4]` validity, `[5]` subject, `[6]` key, `[7]` extensions) and signed
/// again by `key` with SHA-256.
pub fn resigned(cert: &[u8], key: &PrivateKey, edit: impl FnOnce(&mut Vec<Any>)) -> Vec<u8> {
    let c = Certificate::from_der(cert).expect("certificate");
    let mut fields =
        Vec::<Any>::from_der(&c.tbs_certificate().to_der().expect("tbs")).expect("tbs fields");
    edit(&mut fields);
    let tbs_der = fields.to_der().expect("tbs");
    vec![
        Any::from_der(&tbs_der).expect("tbs"),
        Any::encode_from(c.signature_algorithm()).expect("algorithm"),
        Any::encode_from(&sign(key, &tbs_der)).expect("signature"),
    ]
    .to_der()
    .expect("certificate")
}

/// Edits the extensions of TBS `fields` (`[3] EXPLICIT Extensions`, the last).
pub fn with_extensions(fields: &mut [Any], edit: impl FnOnce(&mut Vec<Extension>)) {
    let last = fields.last_mut().expect("fields");
    assert_eq!(
        last.tag(),
        der::Tag::ContextSpecific {
            constructed: true,
            number: der::TagNumber(3)
        }
    );
    let mut exts = Vec::<Extension>::from_der(last.value()).expect("extensions");
    edit(&mut exts);
    let inner = exts.to_der().expect("extensions");
    let mut outer = vec![0xA3];
    outer.extend(
        der::Length::try_from(inner.len())
            .expect("length")
            .to_der()
            .expect("length"),
    );
    outer.extend(inner);
    *last = Any::from_der(&outer).expect("extensions");
}

/// A CRL in the name of `issuer` (a CA certificate), signed by `key`,
/// listing `revoked` (serial, date), with `extensions` and cRLNumber `number`.
pub fn crl(
    issuer: &[u8],
    key: &PrivateKey,
    this_update: SystemTime,
    next_update: SystemTime,
    revoked: &[(&[u8], SystemTime)],
    extensions: Vec<Extension>,
    number: u8,
) -> Vec<u8> {
    let entries: Vec<(&[u8], SystemTime, Vec<Extension>)> =
        revoked.iter().map(|(s, t)| (*s, *t, Vec::new())).collect();
    crl_with_entries(
        issuer,
        key,
        this_update,
        next_update,
        &entries,
        extensions,
        number,
    )
}

/// Like [`crl`], with extensions on each entry (reasonCode,
/// invalidityDate, certificateIssuer).
pub fn crl_with_entries(
    issuer: &[u8],
    key: &PrivateKey,
    this_update: SystemTime,
    next_update: SystemTime,
    revoked: &[(&[u8], SystemTime, Vec<Extension>)],
    mut extensions: Vec<Extension>,
    number: u8,
) -> Vec<u8> {
    let issuer = Certificate::from_der(issuer).expect("issuer");
    let alg = issuer.signature_algorithm().clone();
    extensions.push(extension("2.5.29.20", false, vec![0x02, 0x01, number]));
    let tbs = TbsCertList {
        version: x509_cert::Version::V2,
        signature: alg.clone(),
        issuer: issuer.tbs_certificate().subject().clone(),
        this_update: Time::try_from(this_update).expect("time"),
        next_update: Some(Time::try_from(next_update).expect("time")),
        revoked_certificates: (!revoked.is_empty()).then(|| {
            revoked
                .iter()
                .map(|(serial, at, exts)| RevokedCert {
                    serial_number: SerialNumber::<Rfc5280>::new(serial).expect("serial"),
                    revocation_date: Time::try_from(*at).expect("time"),
                    crl_entry_extensions: (!exts.is_empty()).then(|| exts.clone()),
                })
                .collect()
        }),
        crl_extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().expect("tbs");
    CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: alg,
        signature: sign(key, &tbs_der),
    }
    .to_der()
    .expect("CRL")
}

/// The DER of a GeneralizedTime (for invalidityDate, ExpiredCertsOnCRL).
pub fn generalized_time(t: SystemTime) -> Vec<u8> {
    der::asn1::GeneralizedTime::from_system_time(t)
        .expect("time")
        .to_der()
        .expect("time")
}

/// Copies of the CA certificate `ca` that look like it (its name as subject
/// and issuer, its key, no key identifiers) with serials 0x70nn, each signed
/// by `key` (the CA's own key): self-issued look-alikes that chain to each
/// other in every order.
pub fn look_alikes(ca: &[u8], key: &PrivateKey, count: u8) -> Vec<Vec<u8>> {
    let c = Certificate::from_der(ca).expect("CA");
    let name = Any::encode_from(c.tbs_certificate().subject()).expect("name");
    (1..=count)
        .map(|n| {
            resigned(ca, key, |fields| {
                fields[1] = Any::encode_from(&der::asn1::Uint::new(&[0x70, n]).expect("serial"))
                    .expect("serial");
                fields[3] = name.clone();
                fields.truncate(7);
            })
        })
        .collect()
}

/// A DER TLV with `tag` around `content` (definite, minimal length).
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let b = n.to_be_bytes();
        let skip = b.iter().take_while(|x| **x == 0).count();
        v.push(0x80 | (b.len() - skip) as u8);
        v.extend(&b[skip..]);
    }
    v.extend(content);
    v
}
