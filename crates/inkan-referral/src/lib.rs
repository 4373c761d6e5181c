//! Referral letters (診療情報提供書): the form model, HS008 and HS038.
//!
//! One form model ([`ReferralLetter`], mirroring 別紙様式11 plus the electronic
//! identifiers) is written as
//! - **HS008** 「診療情報提供書（電子紹介状）」: HL7 CDA R2 XML with the Japanese
//!   header ([`hs008`]), and
//! - **HS038** 「診療情報提供書 HL7 FHIR 記述仕様」: a `JP_Bundle_eReferral`
//!   FHIR R4 document Bundle in JSON ([`hs038`]).
//!
//! Both read back into the model; [`render`] turns either into the one human
//! view (escaped HTML for the desktop UI, plain text for the terminal);
//! [`package`] bundles a letter with its attachments under a manifest that one
//! detached signature covers.
//!
//! Entry points for a caller that does not know the format: [`read`] (parse and
//! extract the model, with the structural problems found on the way) and
//! [`check`] (everything that is wrong, for `inkan letter check` and the UI).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod date;
pub mod detect;
pub mod error;
mod fsutil;
pub mod hs008;
pub mod hs038;
mod json;
pub mod model;
mod narrative;
pub mod package;
pub mod problem;
pub mod render;
mod uuid;
pub mod xhtml;
mod xml;

pub use detect::{detect, Format};
pub use error::{ReadError, WriteError};
pub use fsutil::{write_atomic, write_atomic_with};
pub use model::{
    AttachmentRef, AttachmentType, Category, Diagnosis, Doctor, Institution, Patient, Recipient,
    ReferralLetter, Referrer, Sex,
};
pub use problem::{Problem, Rule};

/// The largest letter (HS008 XML or HS038 JSON) Inkan reads: 10 MiB.
///
/// Checked before any parsing, so an oversized input costs nothing. Real
/// letters are a few tens of kilobytes; images travel as package attachments,
/// not inside the letter.
pub const MAX_LETTER_BYTES: usize = 10 * 1024 * 1024;

/// A letter read from bytes: the model and the structural problems the reader
/// found in the serialisation (not yet the model's own validation, see [`check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The format the bytes were in.
    pub format: Format,
    /// The letter, as far as it could be extracted.
    pub letter: ReferralLetter,
    /// Problems of the serialisation (paths into the XML or JSON).
    pub problems: Vec<Problem>,
}

/// The verdict of [`check`]: the format, the letter and every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The format the bytes were in.
    pub format: Format,
    /// The letter, as far as it could be extracted.
    pub letter: ReferralLetter,
    /// All problems: the serialisation's first, then the model's.
    pub problems: Vec<Problem>,
}

impl Checked {
    /// True when nothing is wrong: the only state in which a letter may be
    /// signed or accepted.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads an HS008 or HS038 letter, detecting the format from the bytes.
///
/// Fails only when no letter can be extracted at all (too large, not
/// well-formed, not a referral document, no Composition …); conformance
/// problems are returned in [`Document::problems`].
pub fn read(bytes: &[u8]) -> Result<Document, ReadError> {
    match detect(bytes)? {
        Format::Hs008 => hs008::read(bytes),
        Format::Hs038 => hs038::read(bytes),
        Format::Package => Err(ReadError::IsPackage),
    }
}

/// The letter's business identifier, `(system, value)`: HS038's
/// `Bundle.identifier`, HS008's `ClinicalDocument/id`, the letter's inside a
/// package. What a receiving system deduplicates on (the submission
/// outbox's idempotency key). `None` when there is none to read.
pub fn document_identifier(bytes: &[u8]) -> Option<(String, String)> {
    match detect(bytes).ok()? {
        Format::Hs008 => hs008::document_id(bytes),
        Format::Hs038 => {
            let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
            let id = v.get("identifier")?;
            let system = id.get("system")?.as_str()?.trim();
            let value = id.get("value")?.as_str()?.trim();
            (!system.is_empty() && !value.is_empty()).then(|| (system.to_owned(), value.to_owned()))
        }
        Format::Package => {
            let opened = package::Package::open(bytes).ok()?;
            document_identifier(&opened.letter().bytes)
        }
    }
}

/// Reads a letter and validates it as received: the serialisation's
/// structural and profile rules, and the form model's rules (required
/// items, institution numbers, dates, lengths) apart from those that are
/// only Inkan's policy when composing ([`model::COMPOSE_ONLY`]: department,
/// phone, kana, local patient ID). Composing applies them all
/// ([`ReferralLetter::validate`], checked again by every writer).
pub fn check(bytes: &[u8]) -> Result<Checked, ReadError> {
    check_with(bytes, ReferralLetter::validate_received)
}

/// Reads a letter that is about to be sent (packaged, signed): [`check`]
/// with every form rule, the composing policy included
/// ([`ReferralLetter::validate`]), as the writers apply them. A letter
/// Inkan would not compose is not sent on from a file either.
pub fn check_to_send(bytes: &[u8]) -> Result<Checked, ReadError> {
    check_with(bytes, ReferralLetter::validate)
}

fn check_with(
    bytes: &[u8],
    rules: fn(&ReferralLetter) -> Vec<Problem>,
) -> Result<Checked, ReadError> {
    let Document {
        format,
        letter,
        mut problems,
    } = read(bytes)?;
    for p in rules(&letter) {
        if !problems.contains(&p) {
            problems.push(p);
        }
    }
    Ok(Checked {
        format,
        letter,
        problems,
    })
}
