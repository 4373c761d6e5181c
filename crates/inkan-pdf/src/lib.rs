//! PDF for Inkan (issue 12). So far: the referral letter (診療情報提供書)
//! as an A4 PDF/A-2b document in Japanese, with the same content as the
//! window's and the terminal's views (`inkan_referral::render::blocks`).
//!
//! The text is drawn with an embedded *subset* of a Japanese font, with a
//! ToUnicode map, so it is selectable and searchable (`pdftotext` gives the
//! Japanese back). The writer is `krilla` (see docs/pdf-design.md for the
//! measured choice); it validates PDF/A-2b as it exports.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod letter;

pub use letter::{find_font, letter_pdf, PdfError, FONT_ENV};
