//! Submission (送信): a durable outbox that delivers signed documents
//! **exactly once** to a FHIR server or a shared folder, with receipts.
//!
//! No national channel is open to a clinic application (CLINS and the
//! 電子処方箋管理サービス run on the closed オンライン資格確認 network), so
//! Inkan delivers through the open standards that receiving systems take:
//!
//! - [`fhir`]: FHIR R4 REST, either the signed HS038 document Bundle
//!   (`POST [base]/Bundle` with `If-None-Exist`) or an IHE MHD ITI-65
//!   "Provide Document Bundle" transaction ([`mhd`]);
//! - [`folder`]: a shared-folder drop, as plain files with a JSON manifest,
//!   an IHE XDM zip ([`xdm`], ITI TF-3 §4.3 metadata in ebRIM 3.0), or the
//!   SS-MIX2 拡張ストレージ layout ([`ssmix2`]).
//!
//! # Exactly once
//! The hard part is not the HTTP call; it is that a document arrives once
//! across crashes, lost responses and retries:
//! - an item is immutable once queued ([`store`]: triggers refuse any change
//!   to what was queued), with the document's business identifier as its
//!   idempotency key;
//! - its state moves `queued → sending → sent | retry_wait | failed`, each
//!   step its own SQLite transaction (WAL, `synchronous=FULL`);
//! - every delivery is idempotent on the receiving side: FHIR creates are
//!   conditional (`If-None-Exist` / `ifNoneExist` on the identifier), and a
//!   folder drop is written under a name derived from the key, to a
//!   temporary name, fsynced, then linked into place — a name that exists
//!   with the same bytes is the earlier delivery, with other bytes a conflict;
//! - so an item found `sending` after a crash is simply delivered again.
//!   Only one runner delivers at a time ([`run`], an OS file lock that a
//!   killed process releases).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backoff;
pub mod config;
mod error;
pub mod fhir;
pub mod folder;
pub mod mhd;
mod model;
pub mod run;
pub mod ssmix2;
pub mod store;
mod time;
pub mod xdm;

pub use error::{DeliveryError, OutboxError};
pub use model::{
    Artefact, AuthorMeta, Destination, DocumentMeta, FhirMode, IdempotencyKey, Item, Layout,
    NewItem, PatientMeta, Receipt, Role, State,
};
pub use run::{run_due, Outcome, RunOptions, RunSummary};
pub use store::Outbox;
pub use time::{unix_now, utc_string};

#[cfg(test)]
pub(crate) mod testutil {
    use std::path::PathBuf;

    /// A fresh, empty temporary folder.
    pub(crate) fn temp_dir(tag: &str) -> PathBuf {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let d = std::env::temp_dir().join(format!(
            "inkan-outbox-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }
}
