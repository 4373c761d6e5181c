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

/// The parsers of what receivers send back, for the fuzz target
/// (`fuzz/fuzz_targets/outbox.rs`). Not an API.
#[doc(hidden)]
pub mod fuzzing {
    /// A FHIR answer as the client reads it: a search, an OperationOutcome,
    /// a transaction-response's DocumentReference entry.
    pub fn fhir_answer(body: &[u8]) {
        let _ = crate::fhir::search_answer(body);
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            let _ = crate::fhir::outcome_text(&v);
            let _ = v.pointer("/entry/1/response/status");
        }
    }

    /// A receiver's result file.
    pub fn result_file(bytes: &[u8]) {
        let _ = crate::folder::parse_result(bytes);
    }

    /// A destination as typed, and `destinations.json`: what parses prints
    /// back to itself.
    pub fn destination(text: &str) {
        if let Ok(d) = crate::Destination::parse(text) {
            let again = crate::Destination::parse(&d.spec());
            assert_eq!(
                again.ok().as_ref(),
                Some(&d),
                "{text:?} does not print back"
            );
        }
        let _ = crate::config::Destinations::from_text(text);
    }
}

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
