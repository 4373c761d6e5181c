//! The desktop app's workflows over the Inkan core crates, without Tauri.
//!
//! Each Tauri command in `src-tauri` is a few lines over one function here, so
//! everything the app does is testable without a window (and most of it
//! without a card):
//! - [`sign_letter`]: a 診療情報提供書 from the form model, validated, written
//!   as HS008/HS038 (or packaged with its attachments), signed by the HPKI card
//!   and written atomically only after the signature succeeded;
//! - [`verify_path`] / [`verify_folder`]: documents with a `.p7s`, `.p7s`/`.p7m`
//!   files and signed packages;
//! - [`history`]: the local SQLite log of what was signed and verified;
//! - [`preview`]: the letter rendered from the exact bytes that would be signed;
//! - [`card_view`]: what the live card panel shows;
//! - [`submit`]: queueing verified documents for submission (送信) and
//!   delivering them through [`inkan_outbox`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod archive;
pub mod audit;
mod card;
mod error;
mod fsout;
pub mod history;
mod letter;
pub mod settings;
mod sign;
pub mod submit;
mod verify;

pub use card::{card_view, CardAdapter, CardView};
pub use error::WorkflowError;
pub use history::{Action, History, HistoryEntry, HistoryError, NewEntry};
pub use letter::{import_letter, preview, ImportedLetter, LetterFormat, Preview, ProblemView};
pub use sign::{
    sign_content_with_card, sign_letter, sign_letter_with, sign_with_card, LetterJob, SignRequest,
    SignedFiles,
};
pub use verify::{
    export_reports, folder_inputs, test_trust_dir, trust_mode, verify_folder, verify_path,
    verify_paths, TrustMode, VerifyConfig, VerifyItem, TEST_PKI_ENV,
};

#[cfg(test)]
pub(crate) mod testutil {
    use std::path::PathBuf;

    /// A fresh, empty temporary folder.
    pub(crate) fn temp_dir(tag: &str) -> PathBuf {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let d = std::env::temp_dir().join(format!(
            "inkan-workflow-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }
}
