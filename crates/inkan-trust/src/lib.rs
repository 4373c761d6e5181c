//! Inkan's trust configuration and certificate path validation.
//!
//! The shipped configuration trusts exactly one certificate, the MHLW HPKI Root
//! CA V2, pinned by its SHA-256 fingerprint. The HPKI issuing CAs are shipped as
//! path-building material: they are accepted only because the root signed them.
//!
//! [`path::validate_path`] runs RFC 5280 §6 path validation, the HPKI
//! signing-certificate checks and CRL revocation ([`crl`]), and reports with
//! ETSI EN 319 102-1 indications.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod anchors;
pub mod crl;
pub mod holder;
pub mod iso17090;
pub mod path;
pub mod reuse;
pub mod rfc5280_name_constraints;
pub mod rfc5280_names;
pub mod rfc5280_policy;
pub mod rfc5280_sig;
pub mod store;

pub use anchors::{shipped, AnchorError, CaRole, ShippedCert, MHLW_HPKI_ROOT_CA_V2_SHA256};
pub use crl::{RevocationConfig, RevocationInfo, RevocationSource, RevocationStatus};
pub use path::{
    document_policy_referral, validate_path, CertInfo, CertValidity, PathFailure, PathInput,
    PathReport, PathStatus, ValidationProfile,
};
pub use store::{TrustError, TrustStore};
