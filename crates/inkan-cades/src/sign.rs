//! Building a CAdES-BES SignedData (RFC 5652 §5, RFC 5035, ETSI EN 319 122-1 B-B).
//!
//! The structure is assembled directly as DER from the certificate bytes as
//! given (never decoded and re-encoded), so the embedded certificates and the
//! `issuerAndSerialNumber` are byte-identical to the card's certificate.

use std::time::SystemTime;

use der::asn1::{GeneralizedTime, UtcTime};
use der::Encode;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use sha2::{Digest, Sha256};

use crate::error::{CadesError, SignerError};
use crate::oids;
use crate::tlv::{self, tag};

/// The signer: the HPKI card (via a PIN-holding adapter in the CLI/app) or a
/// software key in tests.
pub trait ExternalSigner {
    /// DER of the signing certificate.
    fn certificate(&self) -> &[u8];
    /// Signs a SHA-256 digest (of the DER signed attributes) with RSA PKCS#1
    /// v1.5 (the card builds the `DigestInfo`); returns the signature.
    fn sign_sha256(&mut self, digest: &[u8; 32]) -> Result<Vec<u8>, SignerError>;
}

/// A software RSA key with its certificate (tests, benches, tools).
pub struct SoftwareSigner {
    cert_der: Vec<u8>,
    key: rsa::PrivateKey,
}

impl SoftwareSigner {
    /// A signer from a DER certificate and its private key.
    pub fn new(cert_der: Vec<u8>, key: rsa::PrivateKey) -> Self {
        SoftwareSigner { cert_der, key }
    }
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl ExternalSigner for SoftwareSigner {
    fn certificate(&self) -> &[u8] {
        &self.cert_der
    }

    fn sign_sha256(&mut self, digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        let key = SigningKey::<Sha256>::new(self.key.clone());
        let sig: Signature = key.sign_prehash(digest).map_err(SignerError::new)?;
        Ok(Vec::from(Box::<[u8]>::from(sig)))
    }
}

/// How to sign.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// Encapsulate the content (`eContent` present). Default: detached.
    pub attached: bool,
    /// The signing-time attribute (informational; the trusted time is the time-stamp).
    pub signing_time: SystemTime,
    /// Certificates to add besides the signer's: the issuing CA (not the root).
    pub extra_certificates: Vec<Vec<u8>>,
}

impl Default for SignOptions {
    /// Detached, signing time now, no extra certificates.
    fn default() -> Self {
        SignOptions {
            attached: false,
            signing_time: SystemTime::now(),
            extra_certificates: Vec::new(),
        }
    }
}

/// Deliberate deviations, for tests of the verifier only.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tweaks {
    /// Put the hash of this certificate into ESSCertIDv2 instead of the signer's.
    pub ess_certificate: Option<Vec<u8>>,
    /// Use this content-type attribute value instead of eContentType.
    pub content_type_attr: Option<der::asn1::ObjectIdentifier>,
    /// Use this eContentType (and content-type attribute) instead of id-data.
    pub econtent_type: Option<der::asn1::ObjectIdentifier>,
    /// Further SignerInfos (DER) to put beside the signer's: a co-signature.
    pub extra_signer_infos: Vec<Vec<u8>>,
}

/// The raw `issuer` Name TLV and `serialNumber` INTEGER TLV of a DER certificate.
///
/// ```asn1
/// Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, ... }
/// TBSCertificate ::= SEQUENCE {
///     version [0] EXPLICIT Version DEFAULT v1,
///     serialNumber CertificateSerialNumber,
///     signature AlgorithmIdentifier,
///     issuer Name, ... }
/// ```
pub(crate) fn cert_issuer_serial(cert_der: &[u8]) -> Result<(&[u8], &[u8]), tlv::TlvError> {
    let cert = tlv::read_exact(cert_der)?;
    if cert.tag != tag::SEQUENCE {
        return tlv::err("certificate is not a SEQUENCE");
    }
    let mut r = tlv::Reader::new(cert.value);
    let tbs = r.expect(tag::SEQUENCE, "tbsCertificate")?;
    let mut r = tlv::Reader::new(tbs.value);
    r.optional(tag::CTX0_CONS)?;
    let serial = r.expect(tag::INTEGER, "serialNumber")?;
    r.expect(tag::SEQUENCE, "signature")?;
    let issuer = r.expect(tag::SEQUENCE, "issuer")?;
    Ok((issuer.raw, serial.raw))
}

fn attribute(oid: &der::asn1::ObjectIdentifier, value: Vec<u8>) -> Result<Vec<u8>, CadesError> {
    let oid = oid
        .to_der()
        .map_err(|e| CadesError::Encode(e.to_string()))?;
    Ok(tlv::encode_parts(
        tag::SEQUENCE,
        &[&oid, &tlv::encode_set_of(vec![value])],
    ))
}

fn oid_der(oid: &der::asn1::ObjectIdentifier) -> Result<Vec<u8>, CadesError> {
    oid.to_der().map_err(|e| CadesError::Encode(e.to_string()))
}

/// `Time` per RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise.
fn signing_time_der(t: SystemTime) -> Result<Vec<u8>, CadesError> {
    let enc = |e: der::Error| CadesError::Encode(format!("signing time: {e}"));
    match UtcTime::from_system_time(t) {
        Ok(u) => u.to_der().map_err(enc),
        Err(_) => GeneralizedTime::from_system_time(t)
            .map_err(enc)?
            .to_der()
            .map_err(enc),
    }
}

/// The `ESSCertIDv2` for `cert_der` inside a `SigningCertificateV2` (RFC 5035 §3, §4):
/// hashAlgorithm omitted (DEFAULT id-sha256), certHash, issuerSerial with the
/// certificate's issuer as a directoryName `[4]` and its serial number.
fn signing_certificate_v2(cert_der: &[u8]) -> Result<Vec<u8>, CadesError> {
    let (issuer, serial) =
        cert_issuer_serial(cert_der).map_err(|e| CadesError::SignerCertificate {
            reason: e.to_string(),
        })?;
    let hash = Sha256::digest(cert_der);
    let general_names = tlv::encode(tag::SEQUENCE, &tlv::encode(0xA4, issuer));
    let issuer_serial = tlv::encode_parts(tag::SEQUENCE, &[&general_names, serial]);
    let ess_cert_id = tlv::encode_parts(
        tag::SEQUENCE,
        &[&tlv::encode(tag::OCTET_STRING, &hash), &issuer_serial],
    );
    let certs = tlv::encode(tag::SEQUENCE, &ess_cert_id);
    Ok(tlv::encode(tag::SEQUENCE, &certs))
}

/// Signs `content` as CAdES-BES and returns the DER `ContentInfo` (RFC 5652 §3)
/// wrapping a `SignedData` (§5.1):
///
/// ```asn1
/// SignedData ::= SEQUENCE {
///     version CMSVersion,                              -- 1
///     digestAlgorithms DigestAlgorithmIdentifiers,     -- { id-sha256 }
///     encapContentInfo EncapsulatedContentInfo,        -- id-data, eContent only if attached
///     certificates [0] IMPLICIT CertificateSet OPTIONAL, -- signer + opts.extra_certificates
///     signerInfos SignerInfos }                        -- one SignerInfo
///
/// SignerInfo ::= SEQUENCE {
///     version CMSVersion,                              -- 1 (issuerAndSerialNumber)
///     sid SignerIdentifier,
///     digestAlgorithm DigestAlgorithmIdentifier,       -- id-sha256
///     signedAttrs [0] IMPLICIT SignedAttributes,       -- content-type, signing-time,
///                                                      -- message-digest, signing-certificate-v2
///     signatureAlgorithm SignatureAlgorithmIdentifier, -- sha256WithRSAEncryption
///     signature SignatureValue }
/// ```
///
/// The signer receives SHA-256 over the DER of the signed attributes with the
/// `SET OF` tag (RFC 5652 §5.4). After signing, the signature is checked
/// against the certificate's public key, so a card whose key does not belong
/// to its certificate is caught here rather than by the recipient.
pub fn sign(
    content: &[u8],
    signer: &mut dyn ExternalSigner,
    opts: &SignOptions,
) -> Result<Vec<u8>, CadesError> {
    sign_with(content, signer, opts, &Tweaks::default())
}

/// The largest document an attached (enveloping) signature holds: the whole
/// document is in the signature, so in memory. Larger ones are signed
/// detached ([`CadesError::AttachedTooLarge`] says so).
pub const MAX_ATTACHED_BYTES: u64 = 64 << 20;

/// [`sign`] with the content in memory or as a file hashed in chunks
/// ([`crate::Content`]): a detached signature over a document of any size
/// costs about one chunk of memory. An attached one reads the document,
/// up to [`MAX_ATTACHED_BYTES`].
pub fn sign_content(
    content: crate::Content<'_>,
    signer: &mut dyn ExternalSigner,
    opts: &SignOptions,
) -> Result<Vec<u8>, CadesError> {
    match content {
        crate::Content::Bytes(b) => sign(b, signer, opts),
        crate::Content::File(path) if opts.attached => {
            let size = std::fs::metadata(path)
                .map_err(|e| CadesError::ContentRead {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?
                .len();
            if size > MAX_ATTACHED_BYTES {
                return Err(CadesError::AttachedTooLarge {
                    size,
                    limit: MAX_ATTACHED_BYTES,
                });
            }
            sign(&content.to_vec()?, signer, opts)
        }
        crate::Content::File(_) | crate::Content::Digested(_) if opts.attached => {
            Err(CadesError::ContentRead {
                path: "(document)".into(),
                reason: "an attached signature needs the document itself".into(),
            })
        }
        crate::Content::File(_) | crate::Content::Digested(_) => {
            let digest = content.digest(&oids::SHA256)?;
            sign_prepared(&[], &digest, signer, opts, &Tweaks::default())
        }
    }
}

pub(crate) fn sign_with(
    content: &[u8],
    signer: &mut dyn ExternalSigner,
    opts: &SignOptions,
    tweaks: &Tweaks,
) -> Result<Vec<u8>, CadesError> {
    let digest = Sha256::digest(content).to_vec();
    sign_prepared(content, &digest, signer, opts, tweaks)
}

/// Signs with the content's SHA-256 `digest` given; `content` is only
/// embedded (attached), so it may be empty for a detached signature.
fn sign_prepared(
    content: &[u8],
    content_digest: &[u8],
    signer: &mut dyn ExternalSigner,
    opts: &SignOptions,
    tweaks: &Tweaks,
) -> Result<Vec<u8>, CadesError> {
    let cert_der = signer.certificate().to_vec();
    let bad_cert = |reason: String| CadesError::SignerCertificate { reason };
    let (issuer, serial) = cert_issuer_serial(&cert_der).map_err(|e| bad_cert(e.to_string()))?;
    let mut certificates = vec![cert_der.clone()];
    for (i, extra) in opts.extra_certificates.iter().enumerate() {
        let t =
            tlv::read_exact(extra).map_err(|e| bad_cert(format!("extra certificate #{i}: {e}")))?;
        if t.tag != tag::SEQUENCE {
            return Err(bad_cert(format!(
                "extra certificate #{i} is not a certificate"
            )));
        }
        if !certificates.contains(extra) {
            certificates.push(extra.clone());
        }
    }

    let econtent_type = tweaks.econtent_type.unwrap_or(oids::ID_DATA);
    let content_type_attr = tweaks.content_type_attr.unwrap_or(econtent_type);
    let ess_cert = tweaks.ess_certificate.as_deref().unwrap_or(&cert_der);
    let attrs = vec![
        attribute(&oids::ID_CONTENT_TYPE, oid_der(&content_type_attr)?)?,
        attribute(&oids::ID_SIGNING_TIME, signing_time_der(opts.signing_time)?)?,
        attribute(
            &oids::ID_MESSAGE_DIGEST,
            tlv::encode(tag::OCTET_STRING, content_digest),
        )?,
        attribute(
            &oids::ID_AA_SIGNING_CERTIFICATE_V2,
            signing_certificate_v2(ess_cert)?,
        )?,
    ];
    let signed_attrs = tlv::encode_set_of(attrs);
    let digest: [u8; 32] = Sha256::digest(&signed_attrs).into();
    let signature = signer.sign_sha256(&digest).map_err(CadesError::Signer)?;
    check_signature(&cert_der, &digest, &signature)?;

    let sha256_alg = tlv::encode(tag::SEQUENCE, &oid_der(&oids::SHA256)?);
    let sig_alg = tlv::encode_parts(
        tag::SEQUENCE,
        &[&oid_der(&oids::SHA256_WITH_RSA)?, &[0x05, 0x00]],
    );
    let mut signed_attrs_implicit = signed_attrs;
    signed_attrs_implicit[0] = tag::CTX0_CONS;
    let signer_info = tlv::encode_parts(
        tag::SEQUENCE,
        &[
            &[0x02, 0x01, 0x01],
            &tlv::encode_parts(tag::SEQUENCE, &[issuer, serial]),
            &sha256_alg,
            &signed_attrs_implicit,
            &sig_alg,
            &tlv::encode(tag::OCTET_STRING, &signature),
        ],
    );
    let econtent_type_der = oid_der(&econtent_type)?;
    let encap = if opts.attached {
        let econtent = tlv::encode(tag::CTX0_CONS, &tlv::encode(tag::OCTET_STRING, content));
        tlv::encode_parts(tag::SEQUENCE, &[&econtent_type_der, &econtent])
    } else {
        tlv::encode(tag::SEQUENCE, &econtent_type_der)
    };
    let mut certs = tlv::encode_set_of(certificates);
    certs[0] = tag::CTX0_CONS;
    let signed_data = tlv::encode_parts(
        tag::SEQUENCE,
        &[
            &[0x02, 0x01, 0x01],
            &tlv::encode(tag::SET, &sha256_alg),
            &encap,
            &certs,
            &tlv::encode_set_of(
                std::iter::once(signer_info)
                    .chain(tweaks.extra_signer_infos.iter().cloned())
                    .collect(),
            ),
        ],
    );
    Ok(tlv::encode_parts(
        tag::SEQUENCE,
        &[
            &oid_der(&oids::ID_SIGNED_DATA)?,
            &tlv::encode(tag::CTX0_CONS, &signed_data),
        ],
    ))
}

/// Checks the signer's answer against the certificate's key.
fn check_signature(cert_der: &[u8], digest: &[u8; 32], signature: &[u8]) -> Result<(), CadesError> {
    let bad = |reason: String| CadesError::SignerCertificate { reason };
    let cert: x509_cert::Certificate =
        der::Decode::from_der(cert_der).map_err(|e: der::Error| bad(e.to_string()))?;
    let spki_der = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| bad(e.to_string()))?;
    let key = rsa::PublicKey::from_public_key_der(&spki_der)
        .map_err(|e| bad(format!("not a usable RSA key: {e}")))?;
    let sig = Signature::try_from(signature)
        .map_err(|_| bad("the signer returned a malformed signature".into()))?;
    VerifyingKey::<Sha256>::new(key)
        .verify_prehash(digest, &sig)
        .map_err(|_| {
            bad("the signature made by the signer does not verify with the certificate's public key (key and certificate do not match)".into())
        })
}
