//! Integrity checks of a CAdES-BES signature: everything that needs no trust
//! anchor (RFC 5652 §5.4, §5.6, §11; RFC 5035 §5.4; our signature format's
//! "must reject" rules).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use der::Decode;
use sha2::Digest;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::Certificate;

use crate::content::Content;
use crate::error::CadesError;
use crate::ess::SigningCertificateV2;
use crate::oids;
use crate::parse::{ParsedSignedData, SignerId, SignerInfoView};
use crate::sign::cert_issuer_serial;
use crate::tlv::{self, tag};

/// Minimum RSA modulus size accepted for signers.
pub const MIN_RSA_BITS: usize = 2048;

/// What [`verify_integrity`] established about a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IntegrityOk {
    /// Index of the signer in [`ParsedSignedData::signers`].
    pub signer_index: usize,
    /// The signer's certificate (DER).
    pub signer_cert: Vec<u8>,
    /// The signer's certificate came from the signature (not from `extra_certs`).
    pub signer_cert_embedded: bool,
    /// The signing-time attribute (informational only: not a trusted time).
    pub signing_time: Option<SystemTime>,
    /// `SHA-256`, `SHA-384` or `SHA-512`.
    pub digest_algorithm: &'static str,
    /// The digest of the content (equal to the message-digest attribute).
    pub content_digest: Vec<u8>,
    /// `eContentType`.
    pub econtent_type: ObjectIdentifier,
    /// The content was encapsulated (not detached).
    pub attached: bool,
    /// The SignatureValue (what a signature time-stamp covers).
    pub signature_value: Vec<u8>,
    /// The signer's RSA modulus size in bits.
    pub key_bits: usize,
}

#[derive(Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            oids::SHA256 => Some(Hash::Sha256),
            oids::SHA384 => Some(Hash::Sha384),
            oids::SHA512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    fn rsa_oid(self) -> ObjectIdentifier {
        match self {
            Hash::Sha256 => oids::SHA256_WITH_RSA,
            Hash::Sha384 => oids::SHA384_WITH_RSA,
            Hash::Sha512 => oids::SHA512_WITH_RSA,
        }
    }

    fn pkcs1(self) -> inkan_pkcs1::Digest {
        match self {
            Hash::Sha256 => inkan_pkcs1::Digest::Sha256,
            Hash::Sha384 => inkan_pkcs1::Digest::Sha384,
            Hash::Sha512 => inkan_pkcs1::Digest::Sha512,
        }
    }
}

/// Checks everything that can be checked without trust, for a SignedData with
/// exactly one signer (see [`verify_signer_integrity`] for several).
pub fn verify_integrity(
    parsed: &ParsedSignedData,
    detached_content: Option<&[u8]>,
    extra_certs: &[Vec<u8>],
) -> Result<IntegrityOk, CadesError> {
    match parsed.signers.len() {
        0 => Err(CadesError::NoSigner),
        1 => verify_signer_integrity(parsed, 0, detached_content, extra_certs),
        count => Err(CadesError::MultipleSigners { count }),
    }
}

/// The single value of the signed attribute `oid`, or `None` when absent.
///
/// RFC 5652 §11.1–11.3: content-type, message-digest and signing-time must
/// appear at most once and with exactly one value.
fn single<'a>(
    si: &'a SignerInfoView,
    oid: &ObjectIdentifier,
    name: &'static str,
) -> Result<Option<&'a [u8]>, CadesError> {
    let instances: Vec<_> = si.signed_attrs.iter().filter(|a| &a.oid == oid).collect();
    match instances.as_slice() {
        [] => Ok(None),
        [a] if a.values.len() == 1 => Ok(Some(&a.values[0])),
        [a] => Err(CadesError::BadSignedAttribute {
            attribute: name,
            reason: format!("{} values instead of one", a.values.len()),
        }),
        _ => Err(CadesError::BadSignedAttribute {
            attribute: name,
            reason: "present more than once".into(),
        }),
    }
}

/// Verifies signer `index` of `parsed`:
///
/// 1. signed attributes are present (CAdES; else `FORMAT_FAILURE`);
/// 2. the digest algorithm is SHA-256/384/512 (and listed in
///    `digestAlgorithms`) and the signature algorithm is
///    RSA PKCS#1 v1.5 (`rsaEncryption` or the matching `shaNNNWithRSAEncryption`);
/// 3. `eContentType` is id-data, and content-type is present and equals it
///    (RFC 5652 §11.1);
/// 4. message-digest is present (§11.2); signing-time, if present, is a valid `Time` (§11.3);
/// 5. the content is available: `eContent`, else `detached_content`
///    (else `SIGNED_DATA_NOT_FOUND`);
/// 6. the signer certificate is found by `sid` among the embedded certificates,
///    then `extra_certs` (else `NO_SIGNING_CERTIFICATE_FOUND`);
/// 7. its key is RSA with at least [`MIN_RSA_BITS`] bits;
/// 8. signing-certificate-v2 is present and its first `ESSCertIDv2` matches
///    the signer certificate (hash, and issuerSerial when present; RFC 5035 §5.4);
/// 9. the content digest equals message-digest (`HASH_FAILURE`);
/// 10. the signature verifies over the signed attributes *as received*, with the
///     `[0] IMPLICIT` tag replaced by the `SET OF` tag 0x31 (RFC 5652 §5.4;
///     `SIG_CRYPTO_FAILURE`).
///
/// Trailing data after the DER is rejected by [`crate::parse`] already.
pub fn verify_signer_integrity(
    parsed: &ParsedSignedData,
    index: usize,
    detached_content: Option<&[u8]>,
    extra_certs: &[Vec<u8>],
) -> Result<IntegrityOk, CadesError> {
    verify_with(
        parsed,
        index,
        detached_content.map(Content::Bytes),
        extra_certs,
        Kind::Document,
    )
}

/// [`verify_signer_integrity`] with the detached content in memory or as a
/// file hashed in chunks ([`Content`]).
pub fn verify_signer_content(
    parsed: &ParsedSignedData,
    index: usize,
    detached_content: Option<Content<'_>>,
    extra_certs: &[Vec<u8>],
) -> Result<IntegrityOk, CadesError> {
    verify_with(parsed, index, detached_content, extra_certs, Kind::Document)
}

/// Checks a time-stamp token's own signature (RFC 3161 §2.4.2, RFC 5816):
/// a SignedData over id-ct-TSTInfo with the content encapsulated, exactly
/// one SignerInfo ("MUST NOT contain any signatures other than the
/// signature of the TSA"), content-type and message-digest, and ESS
/// signing-certificate v1 or v2 naming the TSA's certificate, which must be
/// in the token or in `extra_certs`. Trust in the TSA is the caller's.
pub fn verify_timestamp_token(
    parsed: &ParsedSignedData,
    extra_certs: &[Vec<u8>],
) -> Result<IntegrityOk, CadesError> {
    match parsed.signers.len() {
        1 => verify_with(parsed, 0, None, extra_certs, Kind::TimeStampToken),
        n => Err(CadesError::malformed(
            "TimeStampToken",
            format!("{n} signers; a time-stamp token has exactly the TSA's"),
        )),
    }
}

/// What a SignedData is checked as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A signed document: id-data, signing-certificate-v2.
    Document,
    /// An RFC 3161 token: id-ct-TSTInfo, attached, ESS v1 or v2.
    TimeStampToken,
}

fn verify_with(
    parsed: &ParsedSignedData,
    index: usize,
    detached_content: Option<Content<'_>>,
    extra_certs: &[Vec<u8>],
    kind: Kind,
) -> Result<IntegrityOk, CadesError> {
    let si = parsed
        .signers
        .get(index)
        .ok_or(CadesError::NoSuchSigner { index })?;

    // 1. Signed attributes.
    let Some(signed_attrs_der) = si.signed_attrs_der.as_deref() else {
        return Err(CadesError::NoSignedAttributes);
    };
    if si.signed_attrs.is_empty() {
        return Err(CadesError::NoSignedAttributes);
    }

    // 2. Algorithms.
    let hash =
        Hash::from_oid(&si.digest_algorithm).ok_or_else(|| CadesError::UnsupportedDigest {
            oid: describe_oid(&si.digest_algorithm),
        })?;
    // RFC 5652 §5.1: digestAlgorithms lists the signers' digest algorithms.
    if !parsed.digest_algorithms.contains(&si.digest_algorithm) {
        return Err(CadesError::malformed(
            "SignedData.digestAlgorithms",
            format!("does not list the signer's {}", hash.name()),
        ));
    }
    let sig_alg = si.signature_algorithm;
    if sig_alg != oids::RSA_ENCRYPTION && sig_alg != hash.rsa_oid() {
        return Err(CadesError::UnsupportedSignatureAlgorithm {
            oid: sig_alg.to_string(),
        });
    }
    match si.signature_algorithm_params.as_deref() {
        None | Some([0x05, 0x00]) => {}
        Some(_) => {
            return Err(CadesError::UnsupportedSignatureAlgorithm {
                oid: format!("{sig_alg} (unexpected parameters)"),
            })
        }
    }

    // 3. content-type. A document signature signs id-data: any other
    // eContentType (a time-stamp token's TSTInfo, a nested structure) is not
    // a signed document, whatever its bytes say.
    match kind {
        Kind::Document if parsed.econtent_type != oids::ID_DATA => {
            return Err(CadesError::NotDocumentContent {
                econtent_type: parsed.econtent_type.to_string(),
            });
        }
        Kind::TimeStampToken
            if parsed.econtent_type != oids::ID_CT_TST_INFO || parsed.econtent.is_none() =>
        {
            return Err(CadesError::malformed(
                "TimeStampToken",
                format!(
                    "the content is {}, not an encapsulated TSTInfo",
                    parsed.econtent_type
                ),
            ));
        }
        _ => {}
    }
    let ct = single(si, &oids::ID_CONTENT_TYPE, "content-type")?.ok_or(
        CadesError::BadSignedAttribute {
            attribute: "content-type",
            reason: "missing".into(),
        },
    )?;
    let ct_oid = tlv::read_exact(ct)
        .ok()
        .filter(|t| t.tag == tag::OID)
        .and_then(|t| ObjectIdentifier::from_bytes(t.value).ok())
        .ok_or(CadesError::BadSignedAttribute {
            attribute: "content-type",
            reason: "not an OBJECT IDENTIFIER".into(),
        })?;
    if ct_oid != parsed.econtent_type {
        return Err(CadesError::ContentTypeMismatch {
            attribute: ct_oid.to_string(),
            econtent_type: parsed.econtent_type.to_string(),
        });
    }

    // 4. message-digest, signing-time.
    let md = single(si, &oids::ID_MESSAGE_DIGEST, "message-digest")?.ok_or(
        CadesError::BadSignedAttribute {
            attribute: "message-digest",
            reason: "missing".into(),
        },
    )?;
    let md = tlv::read_exact(md)
        .ok()
        .filter(|t| t.tag == tag::OCTET_STRING)
        .ok_or(CadesError::BadSignedAttribute {
            attribute: "message-digest",
            reason: "not an OCTET STRING".into(),
        })?
        .value;
    let signing_time = single(si, &oids::ID_SIGNING_TIME, "signing-time")?
        .map(|v| {
            x509_cert::time::Time::from_der(v)
                .map(|t| t.to_system_time())
                .map_err(|e| CadesError::BadSignedAttribute {
                    attribute: "signing-time",
                    reason: e.to_string(),
                })
        })
        .transpose()?;

    // 5. Content.
    let content = match (parsed.econtent.as_deref(), detached_content) {
        (Some(e), Some(d)) => {
            if !d.equals(e)? {
                return Err(CadesError::ContentMismatch);
            }
            Content::Bytes(e)
        }
        (Some(e), None) => Content::Bytes(e),
        (None, Some(d)) => d,
        (None, None) => return Err(CadesError::DetachedContentMissing),
    };

    // 6. Signer certificate.
    let (signer_cert, embedded) = find_signer_cert(&si.sid, &parsed.certificates)
        .map(|c| (c, true))
        .or_else(|| find_signer_cert(&si.sid, extra_certs).map(|c| (c, false)))
        .ok_or_else(|| CadesError::SignerCertificateNotFound {
            // The identifier names an issuer: attacker-controlled text.
            signer_id: inkan_l10n::escape_display(&si.sid.to_string()),
        })?;
    let cert = parsed_signer_certificate(signer_cert)
        .map_err(|e| CadesError::malformed("signer certificate", e))?;

    // 7. Key.
    let (key, key_bits) = rsa_key(&cert)?;
    if key_bits < MIN_RSA_BITS {
        return Err(CadesError::WeakKey {
            reason: format!("RSA-{key_bits}"),
        });
    }

    // 8. signing-certificate-v2 (or, for a TSA, the v1 attribute).
    let v1 = single(si, &oids::ID_AA_SIGNING_CERTIFICATE, "signing-certificate")?;
    let v2 = single(
        si,
        &oids::ID_AA_SIGNING_CERTIFICATE_V2,
        "signing-certificate-v2",
    )?;
    match (kind, v1, v2) {
        (Kind::TimeStampToken, Some(v1), None) => check_signing_certificate_v1(v1, signer_cert)?,
        _ => check_signing_certificate_v2_once(si, signer_cert, &cert)?,
    }

    // 9. Content digest.
    let content_digest = content.digest(&si.digest_algorithm)?;
    if content_digest != md {
        return Err(CadesError::ContentDigestMismatch {
            digest_algorithm: hash.name(),
        });
    }

    // 10. Signature over the signed attributes as received, re-tagged as SET OF.
    let mut to_verify = signed_attrs_der.to_vec();
    to_verify[0] = tag::SET;
    inkan_pkcs1::verify(hash.pkcs1(), &key, &to_verify, &si.signature)
        .map_err(|_| CadesError::BadSignature)?;

    Ok(IntegrityOk {
        signer_index: index,
        signer_cert: signer_cert.to_vec(),
        signer_cert_embedded: embedded,
        signing_time,
        digest_algorithm: hash.name(),
        content_digest,
        econtent_type: parsed.econtent_type,
        attached: parsed.econtent.is_some(),
        signature_value: si.signature.clone(),
        key_bits,
    })
}

fn describe_oid(oid: &ObjectIdentifier) -> String {
    match *oid {
        oids::SHA1 => format!("{oid} (SHA-1)"),
        _ => oid.to_string(),
    }
}

/// The certificate of signer `index` (by its identifier, RFC 5652 §5.3)
/// among the signature's certificates, when it is there.
pub fn signer_certificate(parsed: &ParsedSignedData, index: usize) -> Option<Vec<u8>> {
    let si = parsed.signers.get(index)?;
    find_signer_cert(&si.sid, &parsed.certificates).map(<[u8]>::to_vec)
}

/// The certificate among `certs` that `sid` identifies (RFC 5652 §5.3).
fn find_signer_cert<'a>(sid: &SignerId, certs: &'a [Vec<u8>]) -> Option<&'a [u8]> {
    certs.iter().map(Vec::as_slice).find(|c| match sid {
        SignerId::IssuerAndSerialNumber { issuer, serial } => cert_issuer_serial(c)
            .map(|(i, s)| i == issuer.as_slice() && s == serial.as_slice())
            .unwrap_or(false),
        SignerId::SubjectKeyIdentifier(ski) => Certificate::from_der(c)
            .ok()
            .and_then(|cert| {
                cert.tbs_certificate()
                    .get_extension::<SubjectKeyIdentifier>()
                    .ok()
                    .flatten()
            })
            .map(|(_, k)| k.0.as_bytes() == ski.as_slice())
            .unwrap_or(false),
    })
}

/// The signer's RSA public key and its modulus size in bits.
/// The signer's RSA key (PKCS#1 RSAPublicKey DER) and its size in bits.
fn rsa_key(cert: &Certificate) -> Result<(Vec<u8>, usize), CadesError> {
    let spki = cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != oids::RSA_ENCRYPTION {
        return Err(CadesError::WeakKey {
            reason: format!("not an RSA key (algorithm {})", spki.algorithm.oid),
        });
    }
    inkan_pkcs1::check_rsa_encryption_parameters(spki.algorithm.parameters.as_ref())
        .map_err(|e| CadesError::malformed("signer public key", e))?;
    let pk_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| CadesError::malformed("signer public key", "unused bits"))?;
    let pkcs1 = rsa::pkcs1::RsaPublicKeyRef::from_der(pk_bytes)
        .map_err(|e| CadesError::malformed("signer public key", e))?;
    let modulus = pkcs1.modulus.as_bytes();
    let bits = match modulus.iter().position(|b| *b != 0) {
        Some(i) => (modulus.len() - i) * 8 - modulus[i].leading_zeros() as usize,
        None => 0,
    };
    if bits < MIN_RSA_BITS {
        return Err(CadesError::WeakKey {
            reason: format!("RSA-{bits}"),
        });
    }
    Ok((pk_bytes.to_vec(), bits))
}

/// ESS v1 (RFC 2634 §5.4): the first `ESSCertID` carries the SHA-1 of the
/// signer's certificate. SHA-1 here only names a certificate the verifier
/// already holds; it protects nothing that a collision could forge.
fn check_signing_certificate_v1(value: &[u8], cert_der: &[u8]) -> Result<(), CadesError> {
    use sha1::Digest as _;
    let mismatch = |reason: String| CadesError::SigningCertificateV2Mismatch { reason };
    let sc = crate::ess::SigningCertificate::from_der(value)
        .map_err(|e| mismatch(format!("cannot decode signing-certificate: {e}")))?;
    let first = sc
        .certs
        .first()
        .ok_or_else(|| mismatch("no ESSCertID".into()))?;
    if sha1::Sha1::digest(cert_der).as_slice() != first.cert_hash.as_bytes() {
        return Err(mismatch(
            "the SHA-1 certificate hash is not the TSA certificate's".into(),
        ));
    }
    Ok(())
}

/// RFC 5035 §5.4: the first `ESSCertIDv2` must identify the signer certificate.
/// Certificates kept by [`parsed_signer_certificate`]: real ones are 1–2 KB.
const MEMO_MAX_CERT: usize = 16 << 10;
/// Bytes each memo below keeps at most (a parsed certificate counted as
/// three times its DER).
const MEMO_MAX_BYTES: usize = 8 << 20;

/// The signer certificate parsed once per process (by its exact bytes,
/// bounded): every letter of a batch from one physician carries the same.
fn parsed_signer_certificate(der_bytes: &[u8]) -> Result<Arc<Certificate>, der::Error> {
    type Table = (HashMap<Vec<u8>, Arc<Certificate>>, usize);
    static SEEN: OnceLock<Mutex<Table>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(Default::default()));
    if let Some(c) = seen.lock().ok().and_then(|m| m.0.get(der_bytes).cloned()) {
        return Ok(c);
    }
    let c = Arc::new(Certificate::from_der(der_bytes)?);
    if der_bytes.len() <= MEMO_MAX_CERT {
        if let Ok(mut m) = seen.lock() {
            let cost = 4 * der_bytes.len();
            if m.1 + cost > MEMO_MAX_BYTES {
                m.0.clear();
                m.1 = 0;
            }
            m.1 += cost;
            m.0.insert(der_bytes.to_vec(), c.clone());
        }
    }
    Ok(c)
}

/// [`check_signing_certificate_v2`], remembering each (attribute value,
/// certificate) pair that passed: the attribute names the certificate, so
/// a batch from one signer repeats the same pair in every letter. Only
/// exact byte matches are answered from memory, and only passes are kept.
fn check_signing_certificate_v2_once(
    si: &SignerInfoView,
    cert_der: &[u8],
    cert: &Certificate,
) -> Result<(), CadesError> {
    type Table = (HashMap<Vec<u8>, Vec<u8>>, usize);
    static PASSED: OnceLock<Mutex<Table>> = OnceLock::new();
    let passed = PASSED.get_or_init(|| Mutex::new(Default::default()));
    let value = single(
        si,
        &oids::ID_AA_SIGNING_CERTIFICATE_V2,
        "signing-certificate-v2",
    )?;
    if let Some(v) = value {
        let hit = passed
            .lock()
            .ok()
            .is_some_and(|m| m.0.get(v).is_some_and(|c| c.as_slice() == cert_der));
        if hit {
            return Ok(());
        }
    }
    check_signing_certificate_v2(si, cert_der, cert)?;
    if let Some(v) = value {
        if v.len() <= MEMO_MAX_CERT && cert_der.len() <= MEMO_MAX_CERT {
            if let Ok(mut m) = passed.lock() {
                let cost = v.len() + cert_der.len();
                if m.1 + cost > MEMO_MAX_BYTES {
                    m.0.clear();
                    m.1 = 0;
                }
                m.1 += cost;
                m.0.insert(v.to_vec(), cert_der.to_vec());
            }
        }
    }
    Ok(())
}

fn check_signing_certificate_v2(
    si: &SignerInfoView,
    cert_der: &[u8],
    cert: &Certificate,
) -> Result<(), CadesError> {
    let value = single(
        si,
        &oids::ID_AA_SIGNING_CERTIFICATE_V2,
        "signing-certificate-v2",
    )?
    .ok_or(CadesError::SigningCertificateV2Missing)?;
    let mismatch = |reason: String| CadesError::SigningCertificateV2Mismatch { reason };
    let scv2 = SigningCertificateV2::from_der(value)
        .map_err(|e| mismatch(format!("cannot decode the attribute: {e}")))?;
    let first = scv2
        .certs
        .first()
        .ok_or_else(|| mismatch("no ESSCertIDv2".into()))?;
    let hash_oid = first
        .hash_algorithm
        .as_ref()
        .map_or(oids::SHA256, |a| a.oid);
    let hash = Hash::from_oid(&hash_oid)
        .ok_or_else(|| mismatch(format!("hash algorithm {hash_oid} not accepted")))?;
    if hash.digest(cert_der) != first.cert_hash.as_bytes() {
        return Err(mismatch(format!(
            "the {} certificate hash is not the signer certificate's",
            hash.name()
        )));
    }
    if let Some(is) = &first.issuer_serial {
        let (_, serial_tlv) = cert_issuer_serial(cert_der)
            .map_err(|e| CadesError::malformed("signer certificate", e))?;
        let serial = tlv::read_exact(serial_tlv)
            .map_err(|e| CadesError::malformed("signer certificate", e))?
            .value;
        if is.serial_number.as_bytes() != serial {
            return Err(mismatch("issuerSerial.serialNumber differs".into()));
        }
        let issuer = cert.tbs_certificate().issuer();
        let issuer_ok = is
            .issuer
            .iter()
            .any(|gn| matches!(gn, GeneralName::DirectoryName(n) if n == issuer));
        if !issuer_ok {
            return Err(mismatch("issuerSerial.issuer differs".into()));
        }
    }
    Ok(())
}
