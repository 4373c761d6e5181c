//! ESS signing-certificate-v2 (RFC 5035 §3), which the `cms` and `x509-cert`
//! crates do not model.
//!
//! ```asn1
//! SigningCertificateV2 ::= SEQUENCE {
//!     certs        SEQUENCE OF ESSCertIDv2,
//!     policies     SEQUENCE OF PolicyInformation OPTIONAL }
//!
//! ESSCertIDv2 ::= SEQUENCE {
//!     hashAlgorithm  AlgorithmIdentifier DEFAULT {algorithm id-sha256},
//!     certHash       Hash,               -- OCTET STRING
//!     issuerSerial   IssuerSerial OPTIONAL }
//!
//! IssuerSerial ::= SEQUENCE {
//!     issuer         GeneralNames,
//!     serialNumber   CertificateSerialNumber }
//! ```

use der::asn1::{Any, Int, OctetString};
use der::Sequence;
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralNames;

use crate::oids;

/// `SigningCertificateV2` (RFC 5035 §3): the first `certs` entry identifies the signer's certificate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    /// `certs SEQUENCE OF ESSCertIDv2`.
    pub certs: Vec<EssCertIdV2>,
    /// `policies SEQUENCE OF PolicyInformation OPTIONAL` (kept undecoded).
    #[asn1(optional = "true")]
    pub policies: Option<Vec<Any>>,
}

/// `ESSCertIDv2` (RFC 5035 §4).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    /// `hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256}`;
    /// `None` (absent) means SHA-256, and DER requires omitting it then.
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// `certHash`: the hash of the whole DER certificate.
    pub cert_hash: OctetString,
    /// `issuerSerial IssuerSerial OPTIONAL`.
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// `IssuerSerial` (RFC 5035 §4 / RFC 5755).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    /// `issuer GeneralNames` (a directoryName with the certificate's issuer).
    pub issuer: GeneralNames,
    /// `serialNumber CertificateSerialNumber`, kept as an unconstrained INTEGER.
    pub serial_number: Int,
}

/// `{algorithm id-sha256}` with absent parameters (RFC 5754 §2).
pub fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: oids::SHA256,
        parameters: None,
    }
}

/// `SigningCertificate` (RFC 2634 §5.4, ESS v1), which many time-stamp
/// authorities still put in their tokens (RFC 5816 allows either).
///
/// ```asn1
/// SigningCertificate ::= SEQUENCE {
///     certs        SEQUENCE OF ESSCertID,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL }
/// ESSCertID ::= SEQUENCE {
///     certHash     Hash,                -- SHA-1 of the certificate
///     issuerSerial IssuerSerial OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificate {
    /// `certs SEQUENCE OF ESSCertID`.
    pub certs: Vec<EssCertId>,
    /// `policies` (kept undecoded).
    #[asn1(optional = "true")]
    pub policies: Option<Vec<Any>>,
}

/// `ESSCertID` (RFC 2634 §5.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertId {
    /// SHA-1 of the whole DER certificate.
    pub cert_hash: OctetString,
    /// `issuerSerial IssuerSerial OPTIONAL`.
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}
