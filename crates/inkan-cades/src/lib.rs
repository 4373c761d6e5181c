//! CAdES-BES signatures for Inkan: CMS `SignedData` (RFC 5652) with the
//! signed attributes content-type, message-digest, signing-time and
//! signing-certificate-v2 (RFC 5035), made by an external signer (the HPKI
//! card) and checked for integrity.
//!
//! * [`sign`]: detached (default) or attached DER `ContentInfo(SignedData)`,
//!   SHA-256 + RSA PKCS#1 v1.5, `issuerAndSerialNumber`, certificates =
//!   signer + issuing CA.
//! * [`parse`]: any SignedData, DER, BER or PEM.
//! * [`verify_integrity`]: everything that needs no trust anchor; path
//!   validation against the HPKI root is done by the trust layer on
//!   [`IntegrityOk::signer_cert`].
//!
//! Errors ([`CadesError`]) carry their ETSI EN 319 102-1 indication and
//! sub-indication and a Japanese/English text ([`inkan_l10n::Localized`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ats;
pub mod augment;
mod ber;
pub mod content;
mod error;
pub mod ess;
pub mod oids;
mod parse;
mod sign;
mod tlv;
mod verify;

pub use content::Content;
pub use error::{CadesError, Indication, SignerError};
pub use parse::{parse, AttributeView, ParsedSignedData, SignerId, SignerInfoView};
pub use sign::{
    sign, sign_content, ExternalSigner, SignOptions, SoftwareSigner, MAX_ATTACHED_BYTES,
};
pub use verify::{
    signer_certificate, verify_integrity, verify_signer_content, verify_signer_integrity,
    verify_timestamp_token, IntegrityOk, MIN_RSA_BITS,
};

/// Deliberately defective signatures, to test verifiers. Not for production use.
#[doc(hidden)]
pub mod testing {
    use crate::sign::{sign_with, Tweaks};
    use crate::{CadesError, ExternalSigner, SignOptions};

    /// Like [`crate::sign`], but the ESSCertIDv2 identifies `ess_cert_der` instead of the signer's certificate.
    pub fn sign_with_ess_certificate(
        content: &[u8],
        signer: &mut dyn ExternalSigner,
        opts: &SignOptions,
        ess_cert_der: &[u8],
    ) -> Result<Vec<u8>, CadesError> {
        let tweaks = Tweaks {
            ess_certificate: Some(ess_cert_der.to_vec()),
            ..Tweaks::default()
        };
        sign_with(content, signer, opts, &tweaks)
    }

    /// Like [`crate::sign`], but the content-type attribute is `oid` (eContentType stays id-data).
    pub fn sign_with_content_type_attr(
        content: &[u8],
        signer: &mut dyn ExternalSigner,
        opts: &SignOptions,
        oid: der::asn1::ObjectIdentifier,
    ) -> Result<Vec<u8>, CadesError> {
        let tweaks = Tweaks {
            content_type_attr: Some(oid),
            ..Tweaks::default()
        };
        sign_with(content, signer, opts, &tweaks)
    }

    /// Like [`crate::sign`], but eContentType (and the content-type
    /// attribute, consistently) is `oid` instead of id-data.
    pub fn sign_with_econtent_type(
        content: &[u8],
        signer: &mut dyn ExternalSigner,
        opts: &SignOptions,
        oid: der::asn1::ObjectIdentifier,
    ) -> Result<Vec<u8>, CadesError> {
        let tweaks = Tweaks {
            econtent_type: Some(oid),
            ..Tweaks::default()
        };
        sign_with(content, signer, opts, &tweaks)
    }

    /// A co-signature: `first` signs `content`, then `second`'s SignerInfo
    /// (made over the same content) and certificates are put beside it in
    /// one SignedData (RFC 5652 §5.1 allows any number of signers).
    pub fn co_sign(
        content: &[u8],
        first: &mut dyn ExternalSigner,
        second: &mut dyn ExternalSigner,
        opts: &SignOptions,
    ) -> Result<Vec<u8>, CadesError> {
        let other = crate::parse(&crate::sign(content, second, opts)?)?;
        let mut opts = opts.clone();
        for c in &other.certificates {
            if !opts.extra_certificates.contains(c) {
                opts.extra_certificates.push(c.clone());
            }
        }
        let tweaks = Tweaks {
            extra_signer_infos: other.signers.iter().map(|s| s.der.clone()).collect(),
            ..Tweaks::default()
        };
        sign_with(content, first, &opts, &tweaks)
    }
}
