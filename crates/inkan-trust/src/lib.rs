//! Inkan's trust configuration.
//!
//! The shipped configuration trusts exactly one certificate, the MHLW HPKI Root
//! CA V2, pinned by its SHA-256 fingerprint. The HPKI issuing CAs are shipped as
//! path-building material: they are accepted only because the root signed them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod anchors;
pub mod iso17090;
pub mod rfc5280_sig;

pub use anchors::{shipped, AnchorError, CaRole, ShippedCert, MHLW_HPKI_ROOT_CA_V2_SHA256};
