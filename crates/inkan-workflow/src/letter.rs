//! The letter as the form edits it: serialisation, preview and import.

use crate::error::WorkflowError;
use inkan_l10n::Localized;
use inkan_referral::package::Package;
use inkan_referral::{Format, Problem, ReferralLetter};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The two letter formats Inkan writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LetterFormat {
    /// HS008: HL7 CDA R2 XML (`.xml`).
    Hs008,
    /// HS038: HL7 FHIR JSON (`.json`).
    Hs038,
}

impl LetterFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            LetterFormat::Hs008 => "xml",
            LetterFormat::Hs038 => "json",
        }
    }

    /// Serialises a letter. An invalid letter is never serialised.
    pub fn write(self, letter: &ReferralLetter) -> Result<Vec<u8>, WorkflowError> {
        let written = match self {
            LetterFormat::Hs008 => inkan_referral::hs008::write(letter),
            LetterFormat::Hs038 => inkan_referral::hs038::write(letter),
        };
        written.map_err(|e| WorkflowError::InvalidLetter {
            problems: e.problems().to_vec(),
        })
    }

    fn from_format(f: Format) -> Option<LetterFormat> {
        match f {
            Format::Hs008 => Some(LetterFormat::Hs008),
            Format::Hs038 => Some(LetterFormat::Hs038),
            _ => None,
        }
    }
}

/// One problem as the UI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemView {
    /// Where (model field or document path).
    pub path: String,
    /// The rule's machine code (`letter.required` …).
    pub rule: String,
    /// Japanese text.
    pub ja: String,
    /// English text.
    pub en: String,
}

impl From<&Problem> for ProblemView {
    fn from(p: &Problem) -> Self {
        let t = p.text();
        ProblemView {
            path: p.path.clone(),
            rule: p.code().to_string(),
            ja: t.ja,
            en: t.en,
        }
    }
}

/// [`ProblemView`]s of `problems`.
pub(crate) fn views(problems: &[Problem]) -> Vec<ProblemView> {
    problems.iter().map(ProblemView::from).collect()
}

/// What the preview pane shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// The letter as HTML (escaped), rendered from the bytes that would be signed.
    pub html: String,
    /// Size of the letter's bytes (0 when the letter is invalid and nothing
    /// would be signed).
    pub bytes_len: usize,
    /// Everything wrong; empty when the letter can be signed.
    pub problems: Vec<ProblemView>,
    /// SHA-256 (hex) of exactly what the signature would cover: the
    /// letter's bytes, or the package manifest. Signing is refused unless
    /// it prepares the same bytes (`SignRequest::preview_token`). `None`
    /// when nothing would be signed.
    pub token: Option<String>,
    /// The attachments the package would carry, as the manifest lists them
    /// (name, media type, size, SHA-256).
    pub attachments: Vec<inkan_referral::package::ManifestFile>,
    /// The package manifest (the signed bytes) when there are attachments.
    pub manifest: Option<String>,
}

/// The preview of `letter` in `format`.
///
/// When the letter is valid, the HTML is rendered from the letter **read back
/// from the exact bytes that would be signed** (write → read → render), so
/// what the physician sees is what the signature covers. When it is invalid,
/// nothing would be signed: the draft itself is rendered and the problems listed.
///
/// With `attachments`, the files are hashed as the signature will hash
/// them: the preview lists each (name, size, SHA-256) and shows the package
/// manifest, which is what is signed. [`Preview::token`] names those exact
/// bytes.
pub fn preview(
    letter: &ReferralLetter,
    format: LetterFormat,
    attachments: &[std::path::PathBuf],
) -> Result<Preview, WorkflowError> {
    match format.write(letter) {
        Ok(bytes) => {
            let checked = inkan_referral::check(&bytes).map_err(|e| WorkflowError::Internal {
                detail: format!("the written letter does not read back: {e}"),
            })?;
            let html = inkan_referral::render::render_html(&checked.letter);
            let mut problems = views(&checked.problems);
            // The files the letter lists, as they are now: a missing or
            // refused attachment is a problem of the preview (nothing would
            // be signed), not a failure of it.
            let (content, manifest) = match crate::sign::signed_content(letter, format, attachments)
            {
                Ok(c) => c,
                Err(e @ (WorkflowError::Package(_) | WorkflowError::NotFound { .. })) => {
                    let t = e.text();
                    problems.push(ProblemView {
                        path: "attachments".into(),
                        rule: e.code().to_string(),
                        ja: t.ja,
                        en: t.en,
                    });
                    return Ok(Preview {
                        html,
                        bytes_len: bytes.len(),
                        problems,
                        token: None,
                        attachments: Vec::new(),
                        manifest: None,
                    });
                }
                Err(e) => return Err(e),
            };
            use sha2::Digest as _;
            Ok(Preview {
                html,
                bytes_len: bytes.len(),
                problems,
                token: Some(hex::encode(sha2::Sha256::digest(&content))),
                attachments: manifest
                    .as_ref()
                    .map(|m| {
                        m.files
                            .iter()
                            .filter(|f| f.name != m.letter)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default(),
                manifest: manifest
                    .is_some()
                    .then(|| String::from_utf8_lossy(&content).into_owned()),
            })
        }
        Err(WorkflowError::InvalidLetter { problems }) => Ok(Preview {
            html: inkan_referral::render::render_html(letter),
            bytes_len: 0,
            problems: views(&problems),
            token: None,
            attachments: Vec::new(),
            manifest: None,
        }),
        Err(e) => Err(e),
    }
}

/// A letter read from a file for editing.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedLetter {
    /// The letter, as far as it could be extracted.
    pub letter: ReferralLetter,
    /// Its format.
    pub format: LetterFormat,
    /// Every problem found (structural and form rules).
    pub problems: Vec<ProblemView>,
}

pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, WorkflowError> {
    let meta = std::fs::metadata(path).map_err(|e| WorkflowError::read(path, e))?;
    if meta.is_dir() {
        return Err(WorkflowError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "a folder"),
        });
    }
    // A pipe or a device: opening it may block, reading it may never end.
    if !meta.is_file() {
        return Err(WorkflowError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        });
    }
    if meta.len() > limit {
        return Err(WorkflowError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    std::fs::read(path).map_err(|e| WorkflowError::read(path, e))
}

/// Reads an HS008/HS038 letter (or the letter of a referral package) for editing.
pub fn import_letter(path: &Path) -> Result<ImportedLetter, WorkflowError> {
    let bytes = read_limited(path, inkan_referral::package::MAX_PACKAGE_BYTES as u64)?;
    let (letter, format, problems) = match inkan_referral::detect(&bytes)? {
        Format::Package => {
            let opened = Package::open(&bytes).map_err(WorkflowError::Package)?;
            let doc = opened.document();
            let mut problems = doc.problems.clone();
            for p in doc.letter.validate() {
                if !problems.contains(&p) {
                    problems.push(p);
                }
            }
            (doc.letter.clone(), doc.format, problems)
        }
        _ => {
            if bytes.len() > inkan_referral::MAX_LETTER_BYTES {
                return Err(WorkflowError::TooLarge {
                    path: path.to_path_buf(),
                    size: bytes.len() as u64,
                    limit: inkan_referral::MAX_LETTER_BYTES as u64,
                });
            }
            let c = inkan_referral::check(&bytes)?;
            (c.letter, c.format, c.problems)
        }
    };
    let format = LetterFormat::from_format(format).ok_or_else(|| WorkflowError::Internal {
        detail: "a package's letter is itself a package".into(),
    })?;
    Ok(ImportedLetter {
        letter,
        format,
        problems: views(&problems),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_is_the_render_of_the_bytes_read_back() {
        let mut letter = ReferralLetter::example();
        letter.attachments.clear();
        for format in [LetterFormat::Hs008, LetterFormat::Hs038] {
            let p = preview(&letter, format, &[]).expect("preview");
            let bytes = format.write(&letter).expect("write");
            let back = inkan_referral::read(&bytes).expect("read back");
            assert_eq!(p.html, inkan_referral::render::render_html(&back.letter));
            assert_eq!(p.bytes_len, bytes.len());
            assert!(p.problems.is_empty(), "{:?}", p.problems);
            assert!(p.html.contains("inkan-letter"));
        }
    }

    #[test]
    fn a_listed_attachment_that_is_not_given_is_a_problem_and_no_token() {
        let p = preview(&ReferralLetter::example(), LetterFormat::Hs038, &[]).expect("preview");
        assert!(p.token.is_none());
        assert!(
            p.problems.iter().any(|q| q.path == "attachments"),
            "{:?}",
            p.problems
        );
    }

    #[test]
    fn preview_of_an_invalid_letter_lists_problems_and_signs_nothing() {
        let mut letter = ReferralLetter::example();
        letter.purpose = String::new();
        letter.patient.kana = "not kana".into();
        let p = preview(&letter, LetterFormat::Hs038, &[]).expect("preview");
        assert_eq!(p.bytes_len, 0);
        assert!(p.problems.len() >= 2, "{:?}", p.problems);
        assert!(p.problems.iter().any(|q| q.path == "purpose"));
        assert!(p
            .problems
            .iter()
            .all(|q| !q.ja.is_empty() && !q.en.is_empty()));
        let json = serde_json::to_value(&p.problems[0]).expect("json");
        for key in ["path", "rule", "ja", "en"] {
            assert!(json.get(key).is_some_and(|v| v.is_string()), "{json}");
        }
    }

    #[test]
    fn import_reads_both_formats_back() {
        let dir = crate::testutil::temp_dir("import");
        let letter = ReferralLetter::example();
        for format in [LetterFormat::Hs008, LetterFormat::Hs038] {
            let path = dir.join(format!("l.{}", format.extension()));
            std::fs::write(&path, format.write(&letter).expect("write")).expect("save");
            let imported = import_letter(&path).expect("import");
            assert_eq!(imported.format, format);
            assert!(imported.problems.is_empty(), "{:?}", imported.problems);
            assert_eq!(imported.letter.document_number, letter.document_number);
        }
        let missing = import_letter(&dir.join("nope.xml")).expect_err("missing");
        assert_eq!(missing.code(), "workflow.not_found");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
