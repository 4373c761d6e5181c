//! Problems: one broken rule at one place, in both languages.
//!
//! Validation never stops at the first problem: `inkan letter check` and the
//! desktop UI list them all, each naming the place (a model field such as
//! `patient.kana`, or a path into the document such as
//! `Bundle.entry[0].resource.resourceType` or `/ClinicalDocument/typeId`) and
//! the rule.

use crate::xhtml::XhtmlRule;
use inkan_l10n::{Localized, Text};
use serde::Serialize;

/// One broken rule at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: a model field path (`from.institution.number`) or a path into the
    /// serialisation (`Bundle.entry[2].resource.identifier`, `/ClinicalDocument/title`).
    pub path: String,
    /// Which rule is broken, with the offending value where there is one.
    pub rule: Rule,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, rule: Rule) -> Self {
        Problem {
            path: path.into(),
            rule,
        }
    }
}

/// The rules a letter can break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// A required item is missing or blank.
    Required,
    /// Longer than allowed (characters).
    TooLong {
        /// The limit.
        max: usize,
        /// The actual length.
        len: usize,
    },
    /// More repetitions than allowed.
    TooMany {
        /// The limit.
        max: usize,
        /// The actual count.
        found: usize,
    },
    /// A control character (other than line feed and tab) in text.
    ControlCharacter,
    /// A line break in a one-line item.
    LineBreak,
    /// Not a 保険医療機関番号 (`[0-4][0-9][1-3][0-9]{7}`).
    InstitutionNumber {
        /// The value found.
        value: String,
    },
    /// Not a document number (1–36 of `A-Z a-z 0-9 -`).
    DocumentNumber {
        /// The value found.
        value: String,
    },
    /// Not a patient ID (1–20 of `A-Z a-z 0-9 -`).
    PatientId {
        /// The value found.
        value: String,
    },
    /// Not full-width katakana.
    Kana {
        /// The value found.
        value: String,
    },
    /// Not a calendar date `YYYY-MM-DD`.
    Date {
        /// The value found.
        value: String,
    },
    /// Not a (partial) date `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    PartialDate {
        /// The value found.
        value: String,
    },
    /// Not a date or a date-time with offset (`YYYY-MM-DDThh:mm:ss+09:00`).
    DateTime {
        /// The value found.
        value: String,
    },
    /// A date in the future.
    InFuture {
        /// The value found.
        value: String,
    },
    /// A date implausibly far in the past.
    TooOld {
        /// The value found.
        value: String,
    },
    /// The letter is dated before the patient's birth.
    BeforeBirth {
        /// The value found.
        value: String,
    },
    /// Not a telephone number.
    Phone {
        /// The value found.
        value: String,
    },
    /// Not a postal code (`123-4567`).
    PostalCode {
        /// The value found.
        value: String,
    },
    /// A version number outside 1–999.
    Version {
        /// The value found.
        value: u32,
    },
    /// Not a safe attachment file name.
    FileName {
        /// The value found.
        value: String,
    },
    /// The file name's extension does not match the attachment type.
    FileExtension {
        /// The value found.
        value: String,
        /// The declared media type.
        media_type: String,
    },
    /// The same value appears twice where it must be unique.
    Duplicate {
        /// The value found.
        value: String,
    },
    /// A fixed value of the standard has another value.
    FixedValue {
        /// What the standard fixes.
        expected: String,
        /// The value found.
        found: String,
    },
    /// An element occurs a number of times the standard does not allow.
    Cardinality {
        /// Minimum occurrences.
        min: u32,
        /// Maximum occurrences (`None`: unbounded).
        max: Option<u32>,
        /// Occurrences found.
        found: usize,
    },
    /// The first entry of a document Bundle is not the Composition.
    FirstNotComposition {
        /// The resource type found first.
        found: String,
    },
    /// The Bundle has no Composition at all.
    NoComposition,
    /// A reference does not resolve inside the Bundle.
    DanglingReference {
        /// The reference.
        reference: String,
    },
    /// A reference resolves to a resource of the wrong type.
    ReferenceType {
        /// The expected resource type(s).
        expected: String,
        /// The resource type found.
        found: String,
    },
    /// A `fullUrl` is not a `urn:uuid:` URI.
    FullUrl {
        /// The value found.
        value: String,
    },
    /// Section 200 (CDA参照) and 300 (構造情報) are mutually exclusive and one is required.
    CdaXorStructured {
        /// Number of 200 sections.
        cda: usize,
        /// Number of 300 sections.
        structured: usize,
    },
    /// A section code the profile does not define here.
    UnknownSection {
        /// The code found.
        code: String,
    },
    /// A section without text, entries or sub-sections (FHIR cmp-1).
    EmptySection,
    /// A section with both entries and an emptyReason (FHIR cmp-2).
    EmptyReasonWithEntries,
    /// A JSON value of the wrong type.
    JsonType {
        /// The expected JSON type.
        expected: String,
    },
    /// Not a FHIR instant (`YYYY-MM-DDThh:mm:ss[.sss]+zz:zz`).
    Instant {
        /// The value found.
        value: String,
    },
    /// Not `<保険医療機関番号>^<YYYY>^<ID>` as the bundle identifier requires.
    BundleIdentifier {
        /// The value found.
        value: String,
    },
    /// A JP-CLINS profile invariant (`InvariantsRules.fsh` of
    /// jami-fhir-jp-wg/clinical-core) does not hold.
    Invariant {
        /// The invariant's id, e.g. `R1010`.
        id: String,
        /// The value concerned, when there is one.
        value: Option<String>,
    },
    /// A code outside its value set.
    Code {
        /// The value found.
        value: String,
        /// The allowed codes.
        allowed: String,
    },
    /// An attachment that is neither PDF, JPEG nor PNG.
    AttachmentType {
        /// The media type found.
        value: String,
    },
    /// The narrative XHTML breaks the FHIR narrative rules.
    Xhtml(XhtmlRule),
    /// Sections name the same resources so often that showing them all
    /// would make the letter many times its size: the rest is left out.
    RepeatedReferences {
        /// The most text the views take from referenced resources, in bytes.
        limit: usize,
    },
    /// Not a MEDIS 病名管理番号 (8 digits).
    DiagnosisCode {
        /// The value found.
        value: String,
    },
    /// Not the form of its insurance identifier (JP-CLINS R1013).
    InsuranceId {
        /// The value found.
        value: String,
    },
    /// HS038 needs what the form may leave out (JP-CLINS / eReferral).
    Hs038Needs {
        /// What is missing.
        what: Hs038Need,
    },
    /// The CDA document carried in section 200 is about another patient
    /// than the Bundle's Patient.
    EmbeddedPatient {
        /// What differs (患者ID, 氏名, 生年月日).
        field: String,
        /// The Bundle's value.
        bundle: String,
        /// The CDA document's value.
        document: String,
    },
}

/// What an HS038 letter needs that the form may leave out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Hs038Need {
    /// 作成日時 with seconds and a time zone (Composition.date).
    TimeOfDay,
    /// 姓 and 名 separated by a space (HumanName.family / given).
    FamilyAndGiven,
    /// Exactly one of 被保険者番号 and 公費受給者番号 (R1012).
    OneInsuranceId,
}

/// Shows a value from the input safely: bounded length, control characters
/// escaped (so a hostile value cannot drive the terminal).
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl Rule {
    /// Stable machine code of the rule.
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Required => "referral.required",
            Rule::TooLong { .. } => "referral.too_long",
            Rule::TooMany { .. } => "referral.too_many",
            Rule::ControlCharacter => "referral.control_character",
            Rule::LineBreak => "referral.line_break",
            Rule::InstitutionNumber { .. } => "referral.institution_number",
            Rule::DocumentNumber { .. } => "referral.document_number",
            Rule::PatientId { .. } => "referral.patient_id",
            Rule::Kana { .. } => "referral.kana",
            Rule::Date { .. } => "referral.date",
            Rule::PartialDate { .. } => "referral.partial_date",
            Rule::DateTime { .. } => "referral.date_time",
            Rule::InFuture { .. } => "referral.in_future",
            Rule::TooOld { .. } => "referral.too_old",
            Rule::BeforeBirth { .. } => "referral.before_birth",
            Rule::Phone { .. } => "referral.phone",
            Rule::PostalCode { .. } => "referral.postal_code",
            Rule::Version { .. } => "referral.version",
            Rule::FileName { .. } => "referral.file_name",
            Rule::FileExtension { .. } => "referral.file_extension",
            Rule::Duplicate { .. } => "referral.duplicate",
            Rule::FixedValue { .. } => "referral.fixed_value",
            Rule::Cardinality { .. } => "referral.cardinality",
            Rule::FirstNotComposition { .. } => "referral.first_not_composition",
            Rule::NoComposition => "referral.no_composition",
            Rule::DanglingReference { .. } => "referral.dangling_reference",
            Rule::ReferenceType { .. } => "referral.reference_type",
            Rule::FullUrl { .. } => "referral.full_url",
            Rule::CdaXorStructured { .. } => "referral.cda_xor_structured",
            Rule::UnknownSection { .. } => "referral.unknown_section",
            Rule::EmptySection => "referral.empty_section",
            Rule::EmptyReasonWithEntries => "referral.empty_reason_with_entries",
            Rule::JsonType { .. } => "referral.json_type",
            Rule::Instant { .. } => "referral.instant",
            Rule::BundleIdentifier { .. } => "referral.bundle_identifier",
            Rule::Invariant { .. } => "referral.invariant",
            Rule::Code { .. } => "referral.code",
            Rule::AttachmentType { .. } => "referral.attachment_type",
            Rule::Xhtml(r) => r.code(),
            Rule::RepeatedReferences { .. } => "referral.repeated_references",
            Rule::InsuranceId { .. } => "referral.insurance_id",
            Rule::DiagnosisCode { .. } => "referral.diagnosis_code",
            Rule::Hs038Needs { .. } => "referral.hs038_needs",
            Rule::EmbeddedPatient { .. } => "referral.embedded_patient",
        }
    }

    /// The rule in both languages.
    pub fn text(&self) -> Text {
        match self {
            Rule::Required => Text::new("必須項目が未記入です", "required item is missing or blank"),
            Rule::TooLong { max, len } => Text::new(
                format!("{len}文字あります（上限{max}文字）"),
                format!("{len} characters long (at most {max})"),
            ),
            Rule::TooMany { max, found } => Text::new(
                format!("{found}件あります（上限{max}件）"),
                format!("{found} items (at most {max})"),
            ),
            Rule::ControlCharacter => Text::new(
                "制御文字は使えません（改行とタブのみ可）",
                "control characters are not allowed (only line feed and tab)",
            ),
            Rule::LineBreak => Text::new(
                "1行で記入してください（改行不可）",
                "must be a single line (no line breaks)",
            ),
            Rule::InstitutionNumber { value } => Text::new(
                format!(
                    "保険医療機関番号「{}」: 10桁の数字（都道府県番号2桁＋点数表番号1桁（1〜3）＋医療機関コード7桁）ではありません",
                    shown(value)
                ),
                format!(
                    "insurance medical institution number \"{}\" is not 10 digits (prefecture 2 + fee table 1 (1-3) + institution code 7)",
                    shown(value)
                ),
            ),
            Rule::DocumentNumber { value } => Text::new(
                format!("文書番号「{}」: 英数字とハイフン1〜36文字で記入してください", shown(value)),
                format!("document number \"{}\": use 1-36 letters, digits or hyphens", shown(value)),
            ),
            Rule::PatientId { value } => Text::new(
                format!("患者ID「{}」: 英数字とハイフン1〜20文字で記入してください", shown(value)),
                format!("patient ID \"{}\": use 1-20 letters, digits or hyphens", shown(value)),
            ),
            Rule::Kana { value } => Text::new(
                format!("「{}」: 全角カタカナ（長音記号・中点・空白可）で記入してください", shown(value)),
                format!("\"{}\": use full-width katakana (long vowel mark, middle dot and spaces allowed)", shown(value)),
            ),
            Rule::Date { value } => Text::new(
                format!("「{}」: 実在する日付（YYYY-MM-DD）ではありません", shown(value)),
                format!("\"{}\" is not a calendar date (YYYY-MM-DD)", shown(value)),
            ),
            Rule::PartialDate { value } => Text::new(
                format!("「{}」: 日付（YYYY、YYYY-MM、YYYY-MM-DD）ではありません", shown(value)),
                format!("\"{}\" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", shown(value)),
            ),
            Rule::DateTime { value } => Text::new(
                format!(
                    "「{}」: 日付（YYYY-MM-DD）または時差付き日時（YYYY-MM-DDThh:mm:ss+09:00）ではありません",
                    shown(value)
                ),
                format!(
                    "\"{}\" is not a date (YYYY-MM-DD) or a date-time with offset (YYYY-MM-DDThh:mm:ss+09:00)",
                    shown(value)
                ),
            ),
            Rule::InFuture { value } => Text::new(
                format!("「{}」: 未来の日付です", shown(value)),
                format!("\"{}\" is in the future", shown(value)),
            ),
            Rule::TooOld { value } => Text::new(
                format!("「{}」: 日付が古すぎます", shown(value)),
                format!("\"{}\" is implausibly far in the past", shown(value)),
            ),
            Rule::BeforeBirth { value } => Text::new(
                format!("「{}」: 患者の生年月日より前の日付です", shown(value)),
                format!("\"{}\" is before the patient's date of birth", shown(value)),
            ),
            Rule::Phone { value } => Text::new(
                format!("電話番号「{}」: 数字・ハイフン・括弧で記入してください", shown(value)),
                format!("telephone number \"{}\": use digits, hyphens and parentheses", shown(value)),
            ),
            Rule::PostalCode { value } => Text::new(
                format!("郵便番号「{}」: 123-4567 の形で記入してください", shown(value)),
                format!("postal code \"{}\": write it as 123-4567", shown(value)),
            ),
            Rule::Version { value } => Text::new(
                format!("版番号 {value}: 1〜999 で指定してください"),
                format!("version {value}: must be 1-999"),
            ),
            Rule::FileName { value } => Text::new(
                format!(
                    "ファイル名「{}」: 英数字・ピリオド・ハイフン・下線の1〜100文字（先頭はピリオド不可、フォルダ指定不可）にしてください",
                    shown(value)
                ),
                format!(
                    "file name \"{}\": use 1-100 letters, digits, '.', '-' or '_' (no leading dot, no folders)",
                    shown(value)
                ),
            ),
            Rule::FileExtension { value, media_type } => Text::new(
                format!("ファイル名「{}」の拡張子が種類 {media_type} と一致しません", shown(value)),
                format!("the extension of \"{}\" does not match its type {media_type}", shown(value)),
            ),
            Rule::Duplicate { value } => Text::new(
                format!("「{}」が重複しています", shown(value)),
                format!("\"{}\" appears more than once", shown(value)),
            ),
            Rule::FixedValue { expected, found } => Text::new(
                format!("規格で「{}」と定められていますが「{}」です", shown(expected), shown(found)),
                format!("the standard fixes \"{}\", found \"{}\"", shown(expected), shown(found)),
            ),
            Rule::Cardinality { min, max, found } => {
                let (ja, en) = match max {
                    Some(max) if max == min => (format!("ちょうど{min}個"), format!("exactly {min}")),
                    Some(max) => (format!("{min}〜{max}個"), format!("{min} to {max}")),
                    None => (format!("{min}個以上"), format!("at least {min}")),
                };
                Text::new(
                    format!("{ja}必要ですが{found}個あります"),
                    format!("must occur {en} time(s), found {found}"),
                )
            }
            Rule::FirstNotComposition { found } => Text::new(
                format!("文書Bundleの最初のentryはCompositionでなければなりません（「{}」です）", shown(found)),
                format!("the first entry of a document Bundle must be a Composition (found \"{}\")", shown(found)),
            ),
            Rule::NoComposition => Text::new(
                "Compositionがありません（文書Bundleの最初のentryに必須）",
                "no Composition (required as the first entry of a document Bundle)",
            ),
            Rule::DanglingReference { reference } => Text::new(
                format!("参照「{}」がBundle内で解決できません", shown(reference)),
                format!("reference \"{}\" does not resolve inside the Bundle", shown(reference)),
            ),
            Rule::ReferenceType { expected, found } => Text::new(
                format!("参照先は{expected}でなければなりませんが{}です", shown(found)),
                format!("must refer to {expected}, refers to {}", shown(found)),
            ),
            Rule::FullUrl { value } => Text::new(
                format!("fullUrl「{}」: urn:uuid: 形式（小文字のUUID）ではありません", shown(value)),
                format!("fullUrl \"{}\" is not a urn:uuid: URI (lower-case UUID)", shown(value)),
            ),
            Rule::CdaXorStructured { cda, structured } => Text::new(
                format!(
                    "CDA参照セクション（200）と構造情報セクション（300）はどちらか一方だけが必要です（200: {cda}個、300: {structured}個）"
                ),
                format!(
                    "exactly one of section 200 (CDA reference) or 300 (structured information) is required (200: {cda}, 300: {structured})"
                ),
            ),
            Rule::UnknownSection { code } => Text::new(
                format!("セクションコード「{}」はこの位置で定義されていません", shown(code)),
                format!("section code \"{}\" is not defined at this position", shown(code)),
            ),
            Rule::EmptySection => Text::new(
                "セクションにはtext、entry、下位セクションのいずれかが必要です（FHIR cmp-1）",
                "a section needs text, entries or sub-sections (FHIR cmp-1)",
            ),
            Rule::EmptyReasonWithEntries => Text::new(
                "entryのあるセクションにemptyReasonは付けられません（FHIR cmp-2）",
                "a section with entries cannot have an emptyReason (FHIR cmp-2)",
            ),
            Rule::JsonType { expected } => Text::new(
                format!("JSONの型が違います（{expected}が必要）"),
                format!("wrong JSON type ({expected} expected)"),
            ),
            Rule::Instant { value } => Text::new(
                format!("「{}」: 秒と時差を含む日時（YYYY-MM-DDThh:mm:ss.sss+09:00）ではありません", shown(value)),
                format!("\"{}\" is not an instant with seconds and offset (YYYY-MM-DDThh:mm:ss.sss+09:00)", shown(value)),
            ),
            Rule::BundleIdentifier { value } => Text::new(
                format!("「{}」: 〈保険医療機関番号10桁〉^〈西暦4桁〉^〈英数字とハイフン36文字以内〉ではありません", shown(value)),
                format!("\"{}\" is not <institution number (10 digits)>^<year (4 digits)>^<ID (up to 36 of A-Za-z0-9-)>", shown(value)),
            ),
            Rule::Invariant { id, value } => {
                let (ja, en) = invariant_text(id);
                let v = value
                    .as_deref()
                    .map(|v| format!("「{}」: ", shown(v)))
                    .unwrap_or_default();
                let ve = value
                    .as_deref()
                    .map(|v| format!("\"{}\": ", shown(v)))
                    .unwrap_or_default();
                Text::new(
                    format!("{v}{ja}（JP-CLINS {id}）"),
                    format!("{ve}{en} (JP-CLINS {id})"),
                )
            }
            Rule::Code { value, allowed } => Text::new(
                format!("コード「{}」は使えません（可: {allowed}）", shown(value)),
                format!("code \"{}\" is not allowed (allowed: {allowed})", shown(value)),
            ),
            Rule::AttachmentType { value } => Text::new(
                format!("添付の種類「{}」: PDF（application/pdf）、JPEG（image/jpeg）、PNG（image/png）のみ可能です", shown(value)),
                format!("attachment type \"{}\": only PDF (application/pdf), JPEG (image/jpeg) or PNG (image/png)", shown(value)),
            ),
            Rule::Xhtml(r) => r.text(),
            Rule::DiagnosisCode { value } => Text::new(
                format!("「{}」はMEDIS標準病名マスターの病名管理番号（半角数字8桁）ではありません", shown(value)),
                format!("\"{}\" is not a MEDIS disease code (8 digits)", shown(value)),
            ),
            Rule::InsuranceId { value } => Text::new(
                format!("「{}」は「保険者番号8桁:記号:番号:枝番（2桁または空）」の形式ではありません（公費は「公費負担者番号8桁::受給者番号7桁:」、空白なし）", shown(value)),
                format!("\"{}\" is not \"<insurer, 8 digits>:<symbol>:<number>:<branch, 2 digits or empty>\" (public assistance: \"<payer, 8 digits>::<recipient, 7>:\"; no spaces)", shown(value)),
            ),
            Rule::Hs038Needs { what } => match what {
                Hs038Need::TimeOfDay => Text::new(
                    "HS038では作成日時を秒とタイムゾーンまで書きます（例 2025-03-14T10:30:00+09:00）",
                    "HS038 needs the time with seconds and zone (e.g. 2025-03-14T10:30:00+09:00)",
                ),
                Hs038Need::FamilyAndGiven => Text::new(
                    "HS038では姓と名を半角空白で区切ります（例 山田 太郎）",
                    "HS038 needs family and given name separated by a space (e.g. 山田 太郎)",
                ),
                Hs038Need::OneInsuranceId => Text::new(
                    "HS038では被保険者番号か公費受給者番号のどちらか一つが必要です（JP-CLINS R1012）",
                    "HS038 needs exactly one of the insurance member ID and the public assistance ID (JP-CLINS R1012)",
                ),
            },
            Rule::RepeatedReferences { limit } => Text::new(
                format!("同じ資源が何度も参照されており、表示が{limit}バイトを超えるため残りを省略しました"),
                format!("the same resources are referenced so often that the view would exceed {limit} bytes: the rest is left out"),
            ),
            Rule::EmbeddedPatient { field, bundle, document } => Text::new(
                format!(
                    "セクション200のCDA文書は別の患者についての文書です（{field}: 文書「{}」、Bundle「{}」）",
                    shown(document),
                    shown(bundle)
                ),
                format!(
                    "the CDA document in section 200 is about another patient ({}: document \"{}\", Bundle \"{}\")",
                    match field.as_str() {
                        "患者ID" => "patient ID",
                        "氏名" => "name",
                        "生年月日" => "birth date",
                        other => other,
                    },
                    shown(document),
                    shown(bundle)
                ),
            ),
        }
    }
}

impl Localized for Problem {
    fn code(&self) -> &'static str {
        self.rule.code()
    }

    fn text(&self) -> Text {
        let rule = self.rule.text();
        match crate::model::field_label(&self.path) {
            Some((ja, en)) => Text::new(
                format!("{ja}（{}）: {}", self.path, rule.ja),
                format!("{en} ({}): {}", self.path, rule.en),
            ),
            None => Text::new(
                format!("{}: {}", self.path, rule.ja),
                format!("{}: {}", self.path, rule.en),
            ),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.text().en)
    }
}

/// What each ported JP-CLINS invariant says, in both languages.
fn invariant_text(id: &str) -> (&'static str, &'static str) {
    match id {
        "R1010" => (
            "施設患者IDは1つだけで、systemは urn:oid:1.2.392.100495.20.3.51.1〈保険医療機関番号10桁〉でなければなりません",
            "at most one local patient ID, with system urn:oid:1.2.392.100495.20.3.51.1<10-digit institution number>",
        ),
        "R1012" => (
            "被保険者個人識別子（JP_Insurance_memberID）または公費受給者識別子（JP_PublicPayer_memberID）のどちらか1つが必要です",
            "exactly one insurance member ID (JP_Insurance_memberID) or public-payer ID (JP_PublicPayer_memberID) is required",
        ),
        "R1013" => (
            "被保険者個人識別子は「保険者番号8桁:記号:番号:枝番2桁」の形式で、空白を含みません",
            "the insurance member ID must be \"<insurer number, 8 digits>:<symbol>:<number>:<branch, 2 digits or empty>\" without spaces",
        ),
        "R1013-publicPayer" => (
            "公費受給者識別子は「公費負担者番号8桁::受給者番号7桁:」の形式です",
            "the public-payer ID must be \"<payer number, 8 digits>::<recipient number, 7 characters>:\"",
        ),
        "R1113" => (
            "患者氏名（漢字・カナ）に全角空白は使えません（姓と名は半角空白で区切ります）",
            "a patient name (kanji or kana) must not contain an ideographic space (separate family and given name with a half-width space)",
        ),
        "R02151" => (
            "Bundle.identifier.system は http://jpfhir.jp/fhir/clins/bundle-identifier でなければなりません",
            "Bundle.identifier.system must be http://jpfhir.jp/fhir/clins/bundle-identifier",
        ),
        _ => ("プロファイルの制約を満たしていません", "a profile constraint does not hold"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_values_are_bounded_and_escape_controls() {
        assert_eq!(shown("a\u{1b}[31m"), "a\\u{1b}[31m");
        let long = "あ".repeat(100);
        assert_eq!(shown(&long).chars().count(), 61);
    }

    #[test]
    fn model_problems_name_the_item_in_both_languages() {
        let p = Problem::new(
            "from.institution.number",
            Rule::InstitutionNumber {
                value: "12345".into(),
            },
        );
        let t = p.text();
        assert!(t.ja.contains("紹介元 保険医療機関番号"), "{}", t.ja);
        assert!(t.ja.contains("「12345」"), "{}", t.ja);
        assert!(t.en.contains("from.institution.number"), "{}", t.en);
        assert_eq!(p.code(), "referral.institution_number");
    }
}
