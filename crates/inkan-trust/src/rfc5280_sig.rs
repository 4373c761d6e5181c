//! RFC 5280 §4.1.1.3: checking that an issuer's key signed a certificate.
//!
//! The signature covers the DER of `tbsCertificate` exactly as received, so the
//! bytes are taken from the input rather than re-encoded.

use der::{Decode, Reader, SliceReader};
use x509_cert::Certificate;

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";

/// Why a certificate signature did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigError {
    /// The certificate DER could not be split into tbsCertificate and signature.
    #[error("malformed certificate: {0}")]
    Malformed(String),
    /// The issuer key is not an RSA key Inkan accepts.
    #[error("issuer public key is not a usable RSA key: {0}")]
    IssuerKey(String),
    /// The signature algorithm is not one Inkan accepts for certificates.
    #[error("unsupported certificate signature algorithm {oid}")]
    UnsupportedAlgorithm {
        /// The algorithm OID.
        oid: String,
    },
    /// The signature does not verify with the issuer's key.
    #[error("the signature does not verify with the issuer's public key")]
    BadSignature,
}

/// The DER bytes of `tbsCertificate` inside `cert_der`, exactly as received.
pub fn tbs_bytes(cert_der: &[u8]) -> Result<&[u8], SigError> {
    let malformed = |e: der::Error| SigError::Malformed(e.to_string());
    let mut reader = SliceReader::new(cert_der).map_err(malformed)?;
    let _outer = der::Header::decode(&mut reader).map_err(malformed)?;
    reader.tlv_bytes().map_err(malformed)
}

/// OID of sha1WithRSAEncryption, rejected as too weak (CRYPTO_CONSTRAINTS).
pub const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";

/// Verifies that `issuer`'s subject public key signed `cert` (whose DER is `cert_der`).
pub fn verify_issued_by(
    cert_der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<(), SigError> {
    verify_signed_by(
        cert_der,
        &cert.signature_algorithm().oid.to_string(),
        cert.signature(),
        issuer,
    )
}

/// Verifies any X.509 `SIGNED{}` structure (a certificate, or a CRL per RFC 5280
/// §5.1.1.3): the signature `sig` with algorithm `alg_oid` over the first element
/// of `signed_der`, exactly as received, with `issuer`'s subject public key.
pub fn verify_signed_by(
    signed_der: &[u8],
    alg_oid: &str,
    sig: &der::asn1::BitString,
    issuer: &Certificate,
) -> Result<(), SigError> {
    // An algorithm Inkan does not verify is reported as such, before the
    // key (a DSA or EC key is not an RSA key, which says less).
    if ![SHA256_WITH_RSA, SHA384_WITH_RSA, SHA512_WITH_RSA].contains(&alg_oid) {
        return Err(SigError::UnsupportedAlgorithm {
            oid: alg_oid.to_string(),
        });
    }
    let tbs = tbs_bytes(signed_der)?;
    let spki = issuer.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
        return Err(SigError::IssuerKey(format!(
            "not an RSA key (algorithm {})",
            spki.algorithm.oid
        )));
    }
    inkan_pkcs1::check_rsa_encryption_parameters(spki.algorithm.parameters.as_ref())
        .map_err(|e| SigError::IssuerKey(e.to_string()))?;
    let public_key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| SigError::IssuerKey("public key BIT STRING has unused bits".into()))?;
    let sig_bytes = sig
        .as_bytes()
        .ok_or_else(|| SigError::Malformed("signature BIT STRING has unused bits".into()))?;
    let digest = match alg_oid {
        SHA256_WITH_RSA => inkan_pkcs1::Digest::Sha256,
        SHA384_WITH_RSA => inkan_pkcs1::Digest::Sha384,
        SHA512_WITH_RSA => inkan_pkcs1::Digest::Sha512,
        _ => {
            return Err(SigError::UnsupportedAlgorithm {
                oid: alg_oid.to_string(),
            })
        }
    };
    inkan_pkcs1::verify(digest, public_key, tbs, sig_bytes).map_err(|e| match e {
        inkan_pkcs1::VerifyError::Key(k) => SigError::IssuerKey(k),
        _ => SigError::BadSignature,
    })
}
