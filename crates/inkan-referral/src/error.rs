//! Errors of reading and writing letters.

use crate::problem::{shown, Problem};
use crate::xml::XmlError;
use inkan_l10n::{Localized, Text};

/// Why no letter could be read from the bytes at all.
///
/// Problems that still leave a letter to show are not errors: they are
/// [`Problem`]s in [`crate::Document::problems`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// Neither XML (HS008), JSON (HS038) nor a zip package.
    #[error("not an HS008 (XML) or HS038 (JSON) letter, nor a referral package")]
    UnknownFormat,
    /// A package was given where a letter was expected.
    #[error("this is a referral package, not a letter")]
    IsPackage,
    /// Larger than [`crate::MAX_LETTER_BYTES`]; refused before parsing.
    #[error("the letter is {size} bytes; at most {limit} are accepted")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8.
    #[error("not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// Declared Shift_JIS, but the bytes are not Shift_JIS (Windows-31J).
    #[error("declared Shift_JIS, but the bytes are not Shift_JIS")]
    NotShiftJis,
    /// UTF-16 (by its byte-order mark or its first characters): Inkan
    /// reads UTF-8 and Shift_JIS only.
    #[error("the letter is UTF-16: only UTF-8 and Shift_JIS are read")]
    Utf16,
    /// Not well-formed XML.
    #[error("line {line}: not well-formed XML ({reason})")]
    NotWellFormed {
        /// 1-based line.
        line: usize,
        /// The parser's description.
        reason: String,
    },
    /// A DOCTYPE declaration (refused: XXE, entity expansion).
    #[error("line {line}: DOCTYPE declarations are refused")]
    Doctype {
        /// 1-based line.
        line: usize,
    },
    /// An entity reference other than the XML predefined ones.
    #[error("line {line}: undefined entity &{name};")]
    UndefinedEntity {
        /// 1-based line.
        line: usize,
        /// The entity name.
        name: String,
    },
    /// An XML encoding other than UTF-8.
    #[error("the XML encoding must be UTF-8 (declared {declared})")]
    Encoding {
        /// The declared encoding.
        declared: String,
    },
    /// Nesting or node count beyond the limits.
    #[error("the document is nested too deeply or has too many nodes")]
    TooComplex,
    /// The root is `ClinicalDocument` but not in the HL7 v3 namespace.
    #[error("the root ClinicalDocument is in namespace {found:?}, not urn:hl7-org:v3")]
    WrongNamespace {
        /// The namespace found (`None`: no namespace).
        found: Option<String>,
    },
    /// The XML root is not an HL7 CDA `ClinicalDocument`.
    #[error("the XML root is <{found}>, not an HL7 CDA <ClinicalDocument>")]
    NotClinicalDocument {
        /// The root element's local name.
        found: String,
    },
    /// Not syntactically valid JSON (or a key repeated in an object).
    #[error("line {line}, column {column}: not valid JSON ({reason})")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's description.
        reason: String,
    },
    /// JSON, but not a FHIR Bundle.
    #[error("the JSON is a {found:?}, not a FHIR Bundle")]
    NotABundle {
        /// The resourceType found (or a description).
        found: String,
    },
    /// So broken that no letter can be extracted; every problem found.
    #[error("no letter can be read: {} problem(s)", problems.len())]
    Invalid {
        /// The problems.
        problems: Vec<Problem>,
    },
}

impl From<XmlError> for ReadError {
    fn from(e: XmlError) -> Self {
        match e {
            XmlError::Syntax { line, reason } => ReadError::NotWellFormed { line, reason },
            XmlError::Doctype { line } => ReadError::Doctype { line },
            XmlError::Entity { line, name } => ReadError::UndefinedEntity { line, name },
            XmlError::Encoding { declared } => ReadError::Encoding { declared },
            XmlError::TooComplex => ReadError::TooComplex,
            XmlError::Empty => ReadError::NotWellFormed {
                line: 1,
                reason: "no root element".into(),
            },
        }
    }
}

impl ReadError {
    /// The problems behind [`ReadError::Invalid`] (empty otherwise).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ReadError::Invalid { problems } => problems,
            _ => &[],
        }
    }
}

/// Checks the size limit and UTF-8, before any parsing.
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, ReadError> {
    if bytes.len() > crate::MAX_LETTER_BYTES {
        return Err(ReadError::TooLarge {
            size: bytes.len(),
            limit: crate::MAX_LETTER_BYTES,
        });
    }
    std::str::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        offset: e.valid_up_to(),
    })
}

impl Localized for ReadError {
    fn code(&self) -> &'static str {
        match self {
            ReadError::Empty => "letter.empty",
            ReadError::UnknownFormat => "letter.unknown_format",
            ReadError::IsPackage => "letter.is_package",
            ReadError::TooLarge { .. } => "letter.too_large",
            ReadError::NotUtf8 { .. } => "letter.not_utf8",
            ReadError::NotShiftJis => "letter.not_shift_jis",
            ReadError::Utf16 => "letter.utf16",
            ReadError::NotWellFormed { .. } => "letter.xml.not_well_formed",
            ReadError::Doctype { .. } => "letter.xml.doctype",
            ReadError::UndefinedEntity { .. } => "letter.xml.entity",
            ReadError::Encoding { .. } => "letter.xml.encoding",
            ReadError::TooComplex => "letter.too_complex",
            ReadError::WrongNamespace { .. } => "letter.hs008.namespace",
            ReadError::NotClinicalDocument { .. } => "letter.hs008.root",
            ReadError::Json { .. } => "letter.json",
            ReadError::NotABundle { .. } => "letter.hs038.not_bundle",
            ReadError::Invalid { .. } => "letter.invalid",
        }
    }

    fn text(&self) -> Text {
        match self {
            ReadError::Empty => Text::new("ファイルが空です", "the file is empty"),
            ReadError::UnknownFormat => Text::new(
                "HS008（XML）・HS038（JSON）の診療情報提供書でも紹介状パッケージでもありません",
                "not an HS008 (XML) or HS038 (JSON) referral letter, nor a referral package",
            ),
            ReadError::IsPackage => Text::new(
                "紹介状パッケージです（診療情報提供書そのものではありません）",
                "this is a referral package, not a letter",
            ),
            ReadError::TooLarge { size, limit } => Text::new(
                format!("ファイルが大きすぎます（{size}バイト、上限{limit}バイト）"),
                format!("the file is too large ({size} bytes, at most {limit})"),
            ),
            ReadError::Utf16 => Text::new(
                "UTF-16の文書は読めません。UTF-8かShift_JISで保存し直してください".to_owned(),
                "the letter is UTF-16: save it as UTF-8 or Shift_JIS".to_owned(),
            ),
            ReadError::NotShiftJis => Text::new(
                "Shift_JISと宣言されていますが、Shift_JISとして読めないバイト列があります".to_owned(),
                "declared Shift_JIS, but some bytes are not Shift_JIS".to_owned(),
            ),
            ReadError::NotUtf8 { offset } => Text::new(
                format!("文字コードがUTF-8ではありません（{offset}バイト目）"),
                format!("not UTF-8 (invalid byte at offset {offset})"),
            ),
            ReadError::NotWellFormed { line, reason } => Text::new(
                format!("{line}行目: XMLとして正しくありません（{}）", shown(reason)),
                format!("line {line}: not well-formed XML ({})", shown(reason)),
            ),
            ReadError::Doctype { line } => Text::new(
                format!("{line}行目: DOCTYPE宣言は受け付けません（外部実体参照・実体展開攻撃の防止）"),
                format!("line {line}: DOCTYPE declarations are refused (external entities, entity expansion)"),
            ),
            ReadError::UndefinedEntity { line, name } => Text::new(
                format!("{line}行目: 定義されていない実体参照 &{name}; です"),
                format!("line {line}: undefined entity reference &{name};"),
            ),
            ReadError::Encoding { declared } => Text::new(
                format!("XMLの文字コードはUTF-8でなければなりません（宣言: {declared}）"),
                format!("the XML encoding must be UTF-8 (declared: {declared})"),
            ),
            ReadError::TooComplex => Text::new(
                "入れ子が深すぎるか要素が多すぎます",
                "the document is nested too deeply or has too many nodes",
            ),
            ReadError::WrongNamespace { found } => Text::new(
                format!(
                    "/ClinicalDocument: 名前空間が urn:hl7-org:v3 ではありません（{}）",
                    found.as_deref().map(shown).unwrap_or_else(|| "名前空間なし".into())
                ),
                format!(
                    "/ClinicalDocument: the namespace is not urn:hl7-org:v3 ({})",
                    found.as_deref().map(shown).unwrap_or_else(|| "no namespace".into())
                ),
            ),
            ReadError::NotClinicalDocument { found } => Text::new(
                format!("XMLのルート要素が <{}> です（HL7 CDAの <ClinicalDocument> が必要）", shown(found)),
                format!("the XML root is <{}>, not an HL7 CDA <ClinicalDocument>", shown(found)),
            ),
            ReadError::Json { line, column, reason } => Text::new(
                format!("{line}行{column}列: JSONとして正しくありません（{}）", shown(reason)),
                format!("line {line}, column {column}: not valid JSON ({})", shown(reason)),
            ),
            ReadError::NotABundle { found } => Text::new(
                format!("Bundle.resourceType: FHIR Bundleではありません（{}）", shown(found)),
                format!("Bundle.resourceType: not a FHIR Bundle ({})", shown(found)),
            ),
            ReadError::Invalid { problems } => {
                let first = problems.first().map(|p| p.text());
                Text::new(
                    format!(
                        "診療情報提供書として読み取れません（問題{}件）{}",
                        problems.len(),
                        first.as_ref().map(|t| format!(": {}", t.ja)).unwrap_or_default()
                    ),
                    format!(
                        "no letter can be read ({} problem(s)){}",
                        problems.len(),
                        first.as_ref().map(|t| format!(": {}", t.en)).unwrap_or_default()
                    ),
                )
            }
        }
    }
}

/// Why a letter was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The model breaks its rules: an invalid letter is never serialised
    /// (it would be signed next).
    #[error("the letter has {} problem(s)", problems.len())]
    Invalid {
        /// Every problem.
        problems: Vec<Problem>,
    },
}

impl WriteError {
    /// The problems behind the error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            WriteError::Invalid { problems } => problems,
        }
    }
}

impl Localized for WriteError {
    fn code(&self) -> &'static str {
        match self {
            WriteError::Invalid { .. } => "letter.write.invalid",
        }
    }

    fn text(&self) -> Text {
        match self {
            WriteError::Invalid { problems } => {
                let first = problems.first().map(|p| p.text());
                Text::new(
                    format!(
                        "記入内容に{}件の問題があるため作成できません{}",
                        problems.len(),
                        first
                            .as_ref()
                            .map(|t| format!(": {}", t.ja))
                            .unwrap_or_default()
                    ),
                    format!(
                        "the letter has {} problem(s) and was not written{}",
                        problems.len(),
                        first
                            .as_ref()
                            .map(|t| format!(": {}", t.en))
                            .unwrap_or_default()
                    ),
                )
            }
        }
    }
}
