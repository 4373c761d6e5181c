//! Referral letters (診療情報提供書): the form model, HS008 and HS038.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
