//! The form model: what the physician fills in on 別紙様式11
//! (診療情報提供書, 療担規則及び薬担規則並びに療担基準に基づき厚生労働大臣が定める掲示事項等),
//! plus the identifiers an electronic letter needs (both institutions'
//! 10-digit 保険医療機関番号, departments, patient kana and local ID,
//! a document number).
//!
//! The model is deliberately made of plain strings: a form with mistakes still
//! deserialises, and [`ReferralLetter::validate`] lists *every* mistake with
//! the item it concerns, instead of serde stopping at the first.
//!
//! Its serde form (JSON) is the `--from FORM.json` input of `inkan letter new`;
//! `docs/letter-form.md` documents it field by field.

use crate::date::{parse_partial, Date, Stamp};
use crate::problem::{Problem, Rule};
use serde::{Deserialize, Serialize};

/// A referral letter (診療情報提供書).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralLetter {
    /// 文書番号: the referrer's number for this letter (1–36 of `A-Z a-z 0-9 -`;
    /// becomes the third part of the HS038 bundle identifier and the HS008 setId).
    pub document_number: String,
    /// 版番号 (1 for a first issue; a corrected letter gets a higher version).
    #[serde(default = "first_version")]
    pub version: u32,
    /// 作成年月日: `YYYY-MM-DD`, or with the time `YYYY-MM-DDThh:mm:ss+09:00`.
    pub created: String,
    /// 外来 or 退院時 (HS038 Composition.category).
    #[serde(default)]
    pub category: Category,
    /// 紹介元: the referring institution and physician.
    pub from: Referrer,
    /// 紹介先: the institution (and physician, if known) the patient is referred to.
    pub to: Recipient,

    /// 患者.
    pub patient: Patient,
    /// 紹介目的.
    pub purpose: String,
    /// 傷病名・主訴 (one or more).
    pub diagnoses: Vec<Diagnosis>,
    /// 現病歴・症状経過.
    pub present_illness: String,
    /// 既往歴.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past_history: Option<String>,
    /// 家族歴.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_history: Option<String>,
    /// アレルギー・不耐性反応.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allergies: Option<String>,
    /// 身体所見.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_findings: Option<String>,
    /// 感染症.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infections: Option<String>,
    /// 生活習慣・社会歴.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social_history: Option<String>,
    /// 予防接種.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immunizations: Option<String>,
    /// 手術.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surgeries: Option<String>,
    /// 輸血.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfusions: Option<String>,
    /// 処置.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedures: Option<String>,
    /// 検査結果.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_results: Option<String>,
    /// 治療経過（臨床経過）.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment_course: Option<String>,
    /// 現在の処方: one line per drug (name, dose, usage, days).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prescriptions: Vec<String>,
    /// 備考・連絡事項.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// 添付（画像・検査記録・続紙）: the files sent with the letter in its package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRef>,
    /// What a received letter holds that Inkan does not show (an attachment
    /// of a type it cannot list, …), one description each: the views list
    /// them as 未表示の項目, so nothing is dropped silently. Never written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_shown: Vec<String>,
}

fn first_version() -> u32 {
    1
}

/// The letter's setting (HS038 `Composition.category`, `doc-subtypecodes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// 外来 (`OUTPATIENT`).
    #[default]
    Outpatient,
    /// 退院時 (`DISCHARGE`).
    Discharge,
}

/// An institution: 医療機関.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Institution {
    /// 保険医療機関番号: 10 digits, 都道府県番号 2 + 点数表番号 1 + 医療機関コード 7.
    pub number: String,
    /// 医療機関名.
    pub name: String,
    /// 診療科.
    pub department: String,
    /// 郵便番号 (`123-4567`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// 所在地 (required for the referrer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 電話番号 (required for the referrer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A physician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Doctor {
    /// 氏名 (漢字).
    pub name: String,
    /// 氏名カナ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kana: Option<String>,
}

/// 紹介元.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Referrer {
    /// The referring institution.
    pub institution: Institution,
    /// The physician who writes and signs the letter.
    pub doctor: Doctor,
}

/// 紹介先.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The institution the patient is referred to.
    pub institution: Institution,
    /// 担当医, when known (otherwise the letter goes to 「ご担当医」).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor: Option<Doctor>,
}

/// Administrative sex (FHIR `AdministrativeGender`; CDA `AdministrativeGender`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
    /// その他.
    Other,
    /// 不明.
    Unknown,
}

impl Sex {
    /// The Japanese word on the form.
    pub fn japanese(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
            Sex::Other => "その他",
            Sex::Unknown => "不明",
        }
    }
}

/// Items whose rules are Inkan's policy when a letter is composed (a
/// department, phone numbers in a checked form, kana, the local patient
/// ID), stricter than HS008/HS038 require: `letter check` on a received
/// letter does not apply them ([`ReferralLetter::validate_received`]).
pub const COMPOSE_ONLY: [&str; 9] = [
    "from.institution.department",
    "to.institution.department",
    "from.institution.phone",
    "to.institution.phone",
    "patient.phone",
    "patient.kana",
    "patient.id",
    "from.doctor.kana",
    "to.doctor.kana",
];

impl Patient {
    /// A patient with every item blank (sex unknown).
    pub fn blank() -> Self {
        Patient {
            id: String::new(),
            recipient_id: None,
            insurance_id: None,
            public_payer_id: None,
            name: String::new(),
            kana: String::new(),
            sex: Sex::Unknown,
            birth_date: String::new(),
            postal_code: None,
            address: None,
            phone: None,
            occupation: None,
        }
    }
}

/// 患者.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    /// 患者ID at the referrer (紹介元の患者番号).
    pub id: String,
    /// 患者ID at the recipient, when the patient is already known there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_id: Option<String>,
    /// 被保険者個人識別子 (JP-CLINS `JP_Insurance_memberID`):
    /// `保険者番号8桁:記号:番号:枝番`, the branch two digits or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance_id: Option<String>,
    /// 公費受給者識別子 of 生活保護 (JP-CLINS `JP_PublicPayer_memberID`):
    /// `公費負担者番号8桁::受給者番号7桁:`, for a patient without insurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_payer_id: Option<String>,
    /// 氏名 (漢字).
    pub name: String,
    /// 氏名カナ (full-width katakana).
    pub kana: String,
    /// 性別.
    pub sex: Sex,
    /// 生年月日 `YYYY-MM-DD`.
    pub birth_date: String,
    /// 郵便番号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// 住所.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 電話番号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 職業.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
}

/// One 傷病名 or 主訴.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diagnosis {
    /// The name of the disease or complaint.
    pub name: String,
    /// 発症日: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<String>,
    /// 病名管理番号 of the MEDIS 標準病名マスター (8 digits), when the
    /// diagnosis is coded: HS038 then writes it as a JP_Condition_eCS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// The kinds of file a referral package may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttachmentType {
    /// PDF (検査記録, 続紙 …).
    #[serde(rename = "application/pdf")]
    Pdf,
    /// JPEG (画像).
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// PNG (画像, スキャン、図).
    #[serde(rename = "image/png")]
    Png,
}

impl AttachmentType {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "application/pdf",
            AttachmentType::Jpeg => "image/jpeg",
            AttachmentType::Png => "image/png",
        }
    }

    /// Parses a media type.
    pub fn from_media_type(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "application/pdf" => Some(AttachmentType::Pdf),
            "image/jpeg" | "image/jpg" => Some(AttachmentType::Jpeg),
            "image/png" => Some(AttachmentType::Png),
            _ => None,
        }
    }

    /// Recognises the file by its magic bytes (never trust the name alone).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(AttachmentType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(AttachmentType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(AttachmentType::Png)
        } else {
            None
        }
    }

    fn extension_ok(self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        match self {
            AttachmentType::Pdf => lower.ends_with(".pdf"),
            AttachmentType::Jpeg => lower.ends_with(".jpg") || lower.ends_with(".jpeg"),
            AttachmentType::Png => lower.ends_with(".png"),
        }
    }
}

/// A file the letter refers to (添付), carried next to it in the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRef {
    /// The file name inside the package (no folders).
    pub file_name: String,
    /// PDF, JPEG or PNG.
    pub media_type: AttachmentType,
    /// What it is (e.g. 「胸部X線画像 2025-03-10」).
    pub description: String,
}

// ---------------------------------------------------------------------------
// Limits. Generous for real letters; they exist so that a hostile or broken
// input cannot make the UI or the terminal unusable.

/// One-line items (names, departments, addresses).
const SHORT: usize = 200;
/// Narrative items (purpose, history, course …).
const NARRATIVE: usize = 20_000;
/// Repetitions.
const MAX_DIAGNOSES: usize = 50;
const MAX_PRESCRIPTIONS: usize = 100;
/// The most attachments a letter (and a package) may list.
pub const MAX_ATTACHMENTS: usize = 50;

/// At most this many 未表示の項目 are listed; a reader folds the rest into
/// one last item that counts them.
pub const MAX_NOT_SHOWN: usize = 100;

/// The longest 未表示の項目 text, in characters; a reader shortens longer
/// ones with 「…」.
pub const NOT_SHOWN_CHARS: usize = 500;

/// Attachments a reader lists, at most: one more than a letter may have,
/// so that the count is still a problem; the rest are counted in one
/// 未表示の項目.
pub(crate) fn cap_attachments(letter: &mut ReferralLetter) {
    let keep = MAX_ATTACHMENTS + 1;
    if letter.attachments.len() > keep {
        let rest = letter.attachments.len() - keep;
        letter.attachments.truncate(keep);
        letter
            .not_shown
            .push(format!("ほか {rest} 件の添付（一覧を省略）"));
    }
}

/// A MEDIS 標準病名マスター 病名管理番号: 8 ASCII digits.
pub fn is_medis_disease_code(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// 未表示の項目 as a reader lists them: each on one line (line breaks and
/// other control characters become spaces, so no text forges a heading of
/// the views), at most [`NOT_SHOWN_CHARS`] characters, at most
/// [`MAX_NOT_SHOWN`] items, the last counting what it folds.
pub(crate) fn tidy_not_shown(items: Vec<String>) -> Vec<String> {
    let total = items.len();
    let mut out: Vec<String> = Vec::with_capacity(total.min(MAX_NOT_SHOWN));
    let keep = if total > MAX_NOT_SHOWN {
        MAX_NOT_SHOWN - 1
    } else {
        total
    };
    for item in items.into_iter().take(keep) {
        let one_line = item
            .chars()
            .map(|c| {
                if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' {
                    ' '
                } else {
                    c
                }
            })
            .collect::<String>();
        let one_line = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
        let shortened = if one_line.chars().count() > NOT_SHOWN_CHARS {
            let mut cut: String = one_line.chars().take(NOT_SHOWN_CHARS - 1).collect();
            cut.push('…');
            cut
        } else {
            one_line
        };
        if !shortened.is_empty() {
            out.push(shortened);
        }
    }
    if total > keep {
        out.push(format!("ほか {} 件の項目（一覧を省略）", total - keep));
    }
    out
}

/// The field labels used in problem messages (別紙様式11 wording).
pub(crate) fn field_label(path: &str) -> Option<(&'static str, &'static str)> {
    // `diagnoses[3].name` → `diagnoses[].name`
    let mut key = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                key.push('[');
            }
            ']' => {
                in_index = false;
                key.push(']');
            }
            _ if in_index => {}
            _ => key.push(c),
        }
    }
    Some(match key.as_str() {
        "document_number" => ("文書番号", "document number"),
        "version" => ("版番号", "version"),
        "created" => ("作成年月日", "date of the letter"),
        "from.institution.number" => ("紹介元 保険医療機関番号", "referrer institution number"),
        "from.institution.name" => ("紹介元 医療機関名", "referrer institution name"),
        "from.institution.department" => ("紹介元 診療科", "referrer department"),
        "from.institution.postal_code" => ("紹介元 郵便番号", "referrer postal code"),
        "from.institution.address" => ("紹介元 所在地", "referrer address"),
        "from.institution.phone" => ("紹介元 電話番号", "referrer telephone"),
        "from.doctor.name" => ("紹介元 医師氏名", "referring physician"),
        "from.doctor.kana" => ("紹介元 医師氏名カナ", "referring physician (kana)"),
        "to.institution.number" => ("紹介先 保険医療機関番号", "recipient institution number"),
        "to.institution.name" => ("紹介先 医療機関名", "recipient institution name"),
        "to.institution.department" => ("紹介先 診療科", "recipient department"),
        "to.institution.postal_code" => ("紹介先 郵便番号", "recipient postal code"),
        "to.institution.address" => ("紹介先 所在地", "recipient address"),
        "to.institution.phone" => ("紹介先 電話番号", "recipient telephone"),
        "to.doctor.name" => ("紹介先 担当医", "recipient physician"),
        "to.doctor.kana" => ("紹介先 担当医カナ", "recipient physician (kana)"),
        "patient.id" => ("患者ID", "patient ID"),
        "patient.recipient_id" => ("紹介先の患者ID", "patient ID at the recipient"),
        "patient.insurance_id" => ("被保険者番号", "health insurance member ID"),
        "patient.public_payer_id" => (
            "公費受給者番号（生活保護）",
            "public assistance recipient ID",
        ),
        "patient.name" => ("患者氏名", "patient name"),
        "patient.kana" => ("患者氏名カナ", "patient name (kana)"),
        "patient.sex" => ("性別", "sex"),
        "patient.birth_date" => ("生年月日", "date of birth"),
        "patient.postal_code" => ("患者 郵便番号", "patient postal code"),
        "patient.address" => ("患者 住所", "patient address"),
        "patient.phone" => ("患者 電話番号", "patient telephone"),
        "patient.occupation" => ("職業", "occupation"),
        "purpose" => ("紹介目的", "purpose of referral"),
        "diagnoses" => ("傷病名", "diagnoses"),
        "diagnoses[].name" => ("傷病名", "diagnosis"),
        "diagnoses[].onset" => ("発症日", "onset"),
        "diagnoses[].code" => ("病名管理番号（MEDIS）", "MEDIS disease code"),
        "present_illness" => ("現病歴・症状経過", "present illness"),
        "past_history" => ("既往歴", "past history"),
        "family_history" => ("家族歴", "family history"),
        "allergies" => ("アレルギー", "allergies"),
        "physical_findings" => ("身体所見", "physical findings"),
        "infections" => ("感染症", "infections"),
        "social_history" => ("生活習慣", "social history"),
        "immunizations" => ("予防接種", "immunizations"),
        "surgeries" => ("手術", "surgery"),
        "transfusions" => ("輸血", "transfusions"),
        "procedures" => ("処置", "procedures"),
        "test_results" => ("検査結果", "test results"),
        "treatment_course" => ("治療経過", "treatment course"),
        "prescriptions" => ("現在の処方", "current prescriptions"),
        "prescriptions[]" => ("現在の処方", "current prescription"),
        "remarks" => ("備考", "remarks"),
        "attachments" => ("添付", "attachments"),
        "attachments[].file_name" => ("添付 ファイル名", "attachment file name"),
        "attachments[].media_type" => ("添付 種類", "attachment type"),
        "attachments[].description" => ("添付 説明", "attachment description"),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Character classes.

/// Full-width katakana, the long vowel mark, the middle dot, iteration marks
/// and spaces (ASCII or ideographic) — how 氏名カナ is written on Japanese forms.
pub(crate) fn is_kana(s: &str) -> bool {
    s.chars().any(|c| ('\u{30A1}'..='\u{30FA}').contains(&c))
        && s.chars()
            .all(|c| ('\u{30A1}'..='\u{30FE}').contains(&c) || c == ' ' || c == '\u{3000}')
}

pub(crate) fn is_institution_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().all(u8::is_ascii_digit)
        && (b'0'..=b'4').contains(&b[0])
        && (b'1'..=b'3').contains(&b[2])
}

fn is_id(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub(crate) fn is_document_number(s: &str) -> bool {
    is_id(s, 36)
}

fn is_phone(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    (6..=15).contains(&digits)
        && s.len() <= 24
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'(' | b')' | b'+' | b' '))
}

fn is_postal_code(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        7 => b.iter().all(u8::is_ascii_digit),
        8 => b[3] == b'-' && b[..3].iter().chain(&b[4..]).all(u8::is_ascii_digit),
        _ => false,
    }
}

/// A file name that is safe on every receiving system and inside a zip.
pub(crate) fn is_safe_file_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

// ---------------------------------------------------------------------------
// Validation.

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, path: &str, rule: Rule) {
        self.problems.push(Problem::new(path, rule));
    }

    /// Checks characters and length; returns false when the text is blank.
    fn text(&mut self, path: &str, value: &str, max: usize, multiline: bool) -> bool {
        if value.trim().is_empty() {
            return false;
        }
        let len = value.chars().count();
        if len > max {
            self.push(path, Rule::TooLong { max, len });
        }
        if !multiline && value.contains('\n') {
            self.push(path, Rule::LineBreak);
        }
        if value.chars().any(|c| {
            (c.is_control() && c != '\n' && c != '\t') || c == '\u{FFFE}' || c == '\u{FFFF}'
        }) {
            self.push(path, Rule::ControlCharacter);
        }
        true
    }

    fn required(&mut self, path: &str, value: &str, max: usize, multiline: bool) -> bool {
        let present = self.text(path, value, max, multiline);
        if !present {
            self.push(path, Rule::Required);
        }
        present
    }

    fn optional(&mut self, path: &str, value: &Option<String>, max: usize, multiline: bool) {
        if let Some(v) = value {
            self.text(path, v, max, multiline);
        }
    }

    fn institution(&mut self, prefix: &str, inst: &Institution, referrer: bool) {
        let p = |f: &str| format!("{prefix}.{f}");
        if self.required(&p("number"), &inst.number, 10, false)
            && !is_institution_number(&inst.number)
        {
            self.push(
                &p("number"),
                Rule::InstitutionNumber {
                    value: inst.number.clone(),
                },
            );
        }
        self.required(&p("name"), &inst.name, SHORT, false);
        self.required(&p("department"), &inst.department, 60, false);
        if let Some(pc) = &inst.postal_code {
            if !is_postal_code(pc) {
                self.push(&p("postal_code"), Rule::PostalCode { value: pc.clone() });
            }
        }
        let address_present = inst
            .address
            .as_deref()
            .is_some_and(|a| self.text(&p("address"), a, SHORT, false));
        if referrer && !address_present {
            self.push(&p("address"), Rule::Required);
        }
        match &inst.phone {
            Some(t) if !is_phone(t) => self.push(&p("phone"), Rule::Phone { value: t.clone() }),
            Some(_) => {}
            None if referrer => self.push(&p("phone"), Rule::Required),
            None => {}
        }
    }

    fn doctor(&mut self, prefix: &str, doctor: &Doctor) {
        self.required(&format!("{prefix}.name"), &doctor.name, 100, false);
        if let Some(k) = &doctor.kana {
            let path = format!("{prefix}.kana");
            if self.text(&path, k, 100, false) && !is_kana(k) {
                self.push(&path, Rule::Kana { value: k.clone() });
            }
        }
    }
}

impl ReferralLetter {
    /// A letter with its header (document, both institutions, patient) and an
    /// empty body, which the format readers then fill section by section.
    /// An empty letter to fill in: every item blank (the form then lists
    /// what is required), version 1, 外来, sex unknown.
    pub fn blank() -> Self {
        let institution = || Institution {
            number: String::new(),
            name: String::new(),
            department: String::new(),
            postal_code: None,
            address: None,
            phone: None,
        };
        ReferralLetter::with_header(
            String::new(),
            1,
            String::new(),
            Category::Outpatient,
            Referrer {
                institution: institution(),
                doctor: Doctor {
                    name: String::new(),
                    kana: None,
                },
            },
            Recipient {
                institution: institution(),
                doctor: None,
            },
            Patient::blank(),
        )
    }

    /// A letter with its header and no content yet (readers fill it in).
    pub fn with_header(
        document_number: String,
        version: u32,
        created: String,
        category: Category,
        from: Referrer,
        to: Recipient,
        patient: Patient,
    ) -> Self {
        ReferralLetter {
            document_number,
            version,
            created,
            category,
            from,
            to,
            patient,
            purpose: String::new(),
            diagnoses: Vec::new(),
            present_illness: String::new(),
            past_history: None,
            family_history: None,
            allergies: None,
            physical_findings: None,
            infections: None,
            social_history: None,
            immunizations: None,
            surgeries: None,
            transfusions: None,
            procedures: None,
            test_results: None,
            treatment_course: None,
            prescriptions: Vec::new(),
            remarks: None,
            attachments: Vec::new(),
            not_shown: Vec::new(),
        }
    }

    /// Every problem of the letter as a form: required items, the institution
    /// number pattern, dates (real, not in the future, not before birth), kana,
    /// identifiers, lengths, attachment names. Empty when the letter is valid.
    pub fn validate(&self) -> Vec<Problem> {
        self.validate_on(Date::today_jst())
    }

    /// The problems of a letter received from another system: the form's
    /// rules without those that are Inkan's own policy for composing
    /// ([`COMPOSE_ONLY`]), which the profiles do not require.
    ///
    /// Only the policy is dropped (an item required, kana, the ID and phone
    /// forms): a line break, a control character or an oversized value is
    /// still a problem on every item, because it changes what the views
    /// show (a forged 【heading】 in the terminal view, an escape sequence).
    pub fn validate_received(&self) -> Vec<Problem> {
        self.validate()
            .into_iter()
            .filter(|p| {
                !COMPOSE_ONLY.contains(&p.path.as_str())
                    || matches!(
                        p.rule,
                        Rule::LineBreak | Rule::ControlCharacter | Rule::TooLong { .. }
                    )
            })
            .collect()
    }

    pub(crate) fn validate_on(&self, today: Date) -> Vec<Problem> {
        let mut c = Checker {
            problems: Vec::new(),
        };

        if c.required("document_number", &self.document_number, 36, false)
            && !is_document_number(&self.document_number)
        {
            c.push(
                "document_number",
                Rule::DocumentNumber {
                    value: self.document_number.clone(),
                },
            );
        }
        if !(1..=999).contains(&self.version) {
            c.push(
                "version",
                Rule::Version {
                    value: self.version,
                },
            );
        }

        // Dates: a letter may be written up to one day "ahead" of this
        // machine's clock (time zones, clock skew); a birth date never.
        let birth = if c.required("patient.birth_date", &self.patient.birth_date, 10, false) {
            match Date::parse(&self.patient.birth_date) {
                None => {
                    c.push(
                        "patient.birth_date",
                        Rule::Date {
                            value: self.patient.birth_date.clone(),
                        },
                    );
                    None
                }
                Some(d) if d > today => {
                    c.push(
                        "patient.birth_date",
                        Rule::InFuture {
                            value: self.patient.birth_date.clone(),
                        },
                    );
                    None
                }
                Some(d) if d.year < 1880 => {
                    c.push(
                        "patient.birth_date",
                        Rule::TooOld {
                            value: self.patient.birth_date.clone(),
                        },
                    );
                    None
                }
                Some(d) => Some(d),
            }
        } else {
            None
        };
        if c.required("created", &self.created, 25, false) {
            match Stamp::parse(&self.created) {
                None => c.push(
                    "created",
                    Rule::DateTime {
                        value: self.created.clone(),
                    },
                ),
                Some(s) if s.date() > today.add_days(1) => c.push(
                    "created",
                    Rule::InFuture {
                        value: self.created.clone(),
                    },
                ),
                Some(s) if s.date().year < 2000 => c.push(
                    "created",
                    Rule::TooOld {
                        value: self.created.clone(),
                    },
                ),
                Some(s) if birth.is_some_and(|b| s.date() < b) => c.push(
                    "created",
                    Rule::BeforeBirth {
                        value: self.created.clone(),
                    },
                ),
                Some(_) => {}
            }
        }

        c.institution("from.institution", &self.from.institution, true);
        c.doctor("from.doctor", &self.from.doctor);
        c.institution("to.institution", &self.to.institution, false);
        if let Some(d) = &self.to.doctor {
            c.doctor("to.doctor", d);
        }

        let p = &self.patient;
        if c.required("patient.id", &p.id, 20, false) && !is_id(&p.id, 20) {
            c.push(
                "patient.id",
                Rule::PatientId {
                    value: p.id.clone(),
                },
            );
        }
        for (path, value, ok) in [
            (
                "patient.insurance_id",
                &p.insurance_id,
                crate::hs038::is_insurance_member_id as fn(&str) -> bool,
            ),
            (
                "patient.public_payer_id",
                &p.public_payer_id,
                crate::hs038::is_public_payer_id,
            ),
        ] {
            if let Some(v) = value {
                c.optional(path, value, 40, false);
                if !ok(v) {
                    c.push(path, Rule::InsuranceId { value: v.clone() });
                }
            }
        }
        if let Some(id) = &p.recipient_id {
            if !is_id(id, 20) {
                c.push(
                    "patient.recipient_id",
                    Rule::PatientId { value: id.clone() },
                );
            }
        }
        c.required("patient.name", &p.name, 100, false);
        if c.required("patient.kana", &p.kana, 100, false) && !is_kana(&p.kana) {
            c.push(
                "patient.kana",
                Rule::Kana {
                    value: p.kana.clone(),
                },
            );
        }
        if let Some(pc) = &p.postal_code {
            if !is_postal_code(pc) {
                c.push(
                    "patient.postal_code",
                    Rule::PostalCode { value: pc.clone() },
                );
            }
        }
        c.optional("patient.address", &p.address, SHORT, false);
        if let Some(t) = &p.phone {
            if !is_phone(t) {
                c.push("patient.phone", Rule::Phone { value: t.clone() });
            }
        }
        c.optional("patient.occupation", &p.occupation, 100, false);

        c.required("purpose", &self.purpose, NARRATIVE, true);
        if self.diagnoses.is_empty() {
            c.push("diagnoses", Rule::Required);
        }
        if self.diagnoses.len() > MAX_DIAGNOSES {
            c.push(
                "diagnoses",
                Rule::TooMany {
                    max: MAX_DIAGNOSES,
                    found: self.diagnoses.len(),
                },
            );
        }
        for (i, d) in self.diagnoses.iter().enumerate() {
            c.required(&format!("diagnoses[{i}].name"), &d.name, SHORT, false);
            if let Some(code) = &d.code {
                if !is_medis_disease_code(code) {
                    c.push(
                        &format!("diagnoses[{i}].code"),
                        Rule::DiagnosisCode {
                            value: code.clone(),
                        },
                    );
                }
            }
            if let Some(onset) = &d.onset {
                let path = format!("diagnoses[{i}].onset");
                match parse_partial(onset) {
                    None => c.push(
                        &path,
                        Rule::PartialDate {
                            value: onset.clone(),
                        },
                    ),
                    Some(d) if d > today => c.push(
                        &path,
                        Rule::InFuture {
                            value: onset.clone(),
                        },
                    ),
                    Some(_) => {}
                }
            }
        }
        c.required("present_illness", &self.present_illness, NARRATIVE, true);
        for (path, value) in self.optional_narratives() {
            c.optional(path, value, NARRATIVE, true);
        }
        if self.prescriptions.len() > MAX_PRESCRIPTIONS {
            c.push(
                "prescriptions",
                Rule::TooMany {
                    max: MAX_PRESCRIPTIONS,
                    found: self.prescriptions.len(),
                },
            );
        }
        for (i, line) in self.prescriptions.iter().enumerate() {
            c.required(&format!("prescriptions[{i}]"), line, 500, false);
        }

        if self.attachments.len() > MAX_ATTACHMENTS {
            c.push(
                "attachments",
                Rule::TooMany {
                    max: MAX_ATTACHMENTS,
                    found: self.attachments.len(),
                },
            );
        }
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (i, a) in self.attachments.iter().enumerate() {
            let path = format!("attachments[{i}].file_name");
            if !is_safe_file_name(&a.file_name) {
                c.push(
                    &path,
                    Rule::FileName {
                        value: a.file_name.clone(),
                    },
                );
            } else if !a.media_type.extension_ok(&a.file_name) {
                c.push(
                    &path,
                    Rule::FileExtension {
                        value: a.file_name.clone(),
                        media_type: a.media_type.media_type().into(),
                    },
                );
            }
            let folded = a.file_name.to_ascii_lowercase();
            if seen.contains(&folded) {
                c.push(
                    &path,
                    Rule::Duplicate {
                        value: a.file_name.clone(),
                    },
                );
            }
            seen.insert(folded);
            c.required(
                &format!("attachments[{i}].description"),
                &a.description,
                SHORT,
                false,
            );
        }
        if self.not_shown.len() > MAX_NOT_SHOWN {
            c.push(
                "not_shown",
                Rule::TooMany {
                    max: MAX_NOT_SHOWN,
                    found: self.not_shown.len(),
                },
            );
        }
        for (i, item) in self.not_shown.iter().enumerate() {
            c.required(&format!("not_shown[{i}]"), item, NOT_SHOWN_CHARS, false);
        }
        c.problems
    }

    /// The optional narrative items with their model paths, in form order.
    pub(crate) fn optional_narratives(&self) -> [(&'static str, &Option<String>); 13] {
        [
            ("past_history", &self.past_history),
            ("family_history", &self.family_history),
            ("allergies", &self.allergies),
            ("physical_findings", &self.physical_findings),
            ("infections", &self.infections),
            ("social_history", &self.social_history),
            ("immunizations", &self.immunizations),
            ("surgeries", &self.surgeries),
            ("transfusions", &self.transfusions),
            ("procedures", &self.procedures),
            ("test_results", &self.test_results),
            ("treatment_course", &self.treatment_course),
            ("remarks", &self.remarks),
        ]
    }

    /// The letter in canonical form: text trimmed, line breaks as `\n`, blank
    /// optional items removed. Writers and readers both produce this form, so
    /// `normalized → HS008/HS038 → read` gives back the same value.
    pub fn normalized(&self) -> ReferralLetter {
        fn t(s: &str) -> String {
            s.replace("\r\n", "\n")
                .replace('\r', "\n")
                .trim()
                .to_owned()
        }
        fn o(s: &Option<String>) -> Option<String> {
            s.as_deref().map(t).filter(|s| !s.is_empty())
        }
        fn inst(i: &Institution) -> Institution {
            Institution {
                number: t(&i.number),
                name: t(&i.name),
                department: t(&i.department),
                postal_code: o(&i.postal_code),
                address: o(&i.address),
                phone: o(&i.phone),
            }
        }
        // Names: one half-width space between parts, as every reader and
        // HS038 (R1113: never an ideographic space) have them.
        // Line breaks stay, so that validation still reports them.
        fn name(s: &str) -> String {
            let mut out = String::new();
            for c in t(s).chars() {
                let blank = matches!(c, ' ' | '\u{3000}' | '\t');
                if !(blank && out.ends_with(' ')) {
                    out.push(if blank { ' ' } else { c });
                }
            }
            out
        }
        fn doc(d: &Doctor) -> Doctor {
            Doctor {
                name: name(&d.name),
                kana: o(&d.kana).map(|k| name(&k)),
            }
        }
        let p = &self.patient;
        ReferralLetter {
            document_number: t(&self.document_number),
            version: self.version,
            created: t(&self.created),
            category: self.category,
            from: Referrer {
                institution: inst(&self.from.institution),
                doctor: doc(&self.from.doctor),
            },
            to: Recipient {
                institution: inst(&self.to.institution),
                doctor: self
                    .to
                    .doctor
                    .as_ref()
                    .map(doc)
                    .filter(|d| !d.name.is_empty() || d.kana.is_some()),
            },
            patient: Patient {
                id: t(&p.id),
                recipient_id: o(&p.recipient_id),
                insurance_id: o(&p.insurance_id),
                public_payer_id: o(&p.public_payer_id),
                // JP-CLINS R1113: family and given name are separated by a
                // half-width space, never an ideographic one.
                name: name(&p.name),
                kana: name(&p.kana),
                sex: p.sex,
                birth_date: t(&p.birth_date),
                postal_code: o(&p.postal_code),
                address: o(&p.address),
                phone: o(&p.phone),
                occupation: o(&p.occupation),
            },
            purpose: t(&self.purpose),
            diagnoses: self
                .diagnoses
                .iter()
                .map(|d| Diagnosis {
                    name: t(&d.name),
                    onset: o(&d.onset),
                    code: o(&d.code),
                })
                .filter(|d| !d.name.is_empty() || d.onset.is_some() || d.code.is_some())
                .collect(),
            present_illness: t(&self.present_illness),
            past_history: o(&self.past_history),
            family_history: o(&self.family_history),
            allergies: o(&self.allergies),
            physical_findings: o(&self.physical_findings),
            infections: o(&self.infections),
            social_history: o(&self.social_history),
            immunizations: o(&self.immunizations),
            surgeries: o(&self.surgeries),
            transfusions: o(&self.transfusions),
            procedures: o(&self.procedures),
            test_results: o(&self.test_results),
            treatment_course: o(&self.treatment_course),
            prescriptions: self
                .prescriptions
                .iter()
                .map(|l| t(l))
                .filter(|l| !l.is_empty())
                .collect(),
            remarks: o(&self.remarks),
            attachments: self
                .attachments
                .iter()
                .map(|a| AttachmentRef {
                    file_name: t(&a.file_name),
                    media_type: a.media_type,
                    description: t(&a.description),
                })
                .collect(),
            not_shown: self.not_shown.clone(),
        }
    }

    /// A complete, realistic example letter (fictional people and
    /// institutions): a clinic's 内科 refers a patient with poorly controlled
    /// type 2 diabetes to a hospital's 糖尿病・内分泌内科.
    pub fn example() -> ReferralLetter {
        let s = |v: &str| v.to_owned();
        ReferralLetter {
            document_number: s("REF-2025-000123"),
            version: 1,
            created: s("2025-03-14T10:30:00+09:00"),
            category: Category::Outpatient,
            from: Referrer {
                institution: Institution {
                    number: s("1310123456"),
                    name: s("さくら内科クリニック"),
                    department: s("内科"),
                    postal_code: Some(s("150-0001")),
                    address: Some(s("東京都渋谷区神宮前一丁目2番3号 さくらビル2階")),
                    phone: Some(s("03-1234-5678")),
                },
                doctor: Doctor {
                    name: s("桜井 健一"),
                    kana: Some(s("サクライ ケンイチ")),
                },
            },
            to: Recipient {
                institution: Institution {
                    number: s("1311987654"),
                    name: s("みなと総合病院"),
                    department: s("糖尿病・内分泌内科"),
                    postal_code: Some(s("105-0011")),
                    address: Some(s("東京都港区芝公園四丁目5番6号")),
                    phone: Some(s("03-9876-5432")),
                },
                doctor: Some(Doctor {
                    name: s("青木 美咲"),
                    kana: Some(s("アオキ ミサキ")),
                }),
            },
            patient: Patient {
                id: s("00012345"),
                recipient_id: None,
                insurance_id: Some(s("06139876:１２３:４５６７:")),
                public_payer_id: None,
                name: s("山田 太郎"),
                kana: s("ヤマダ タロウ"),
                sex: Sex::Male,
                birth_date: s("1958-04-12"),
                postal_code: Some(s("151-0053")),
                address: Some(s("東京都渋谷区代々木三丁目4番5号")),
                phone: Some(s("090-1234-5678")),
                occupation: Some(s("会社員（事務職）")),
            },
            purpose: s("血糖コントロール不良のため、インスリン導入を含めた治療方針のご検討と教育入院の適否についてご高診をお願いいたします。"),
            diagnoses: vec![
                Diagnosis { name: s("2型糖尿病"), onset: Some(s("2012")), code: None },
                Diagnosis { name: s("高血圧症"), onset: Some(s("2015-06")), code: None },
                Diagnosis { name: s("脂質異常症"), onset: None, code: None },
            ],
            present_illness: s("2012年の健康診断で高血糖を指摘され当院受診、2型糖尿病と診断しました。食事・運動療法と経口血糖降下薬で HbA1c 7％前後で推移していましたが、2024年秋頃から間食の増加と服薬の自己中断があり、直近3か月で HbA1c 7.4％→8.6％→9.2％と悪化しています。\n口渇・多尿の自覚あり。体重は半年で3kg減少しています。"),
            past_history: Some(s("2019年 右尿管結石（保存的治療で排石）\n手術歴なし")),
            family_history: Some(s("父：2型糖尿病、脳梗塞（70歳で死亡）\n母：高血圧症")),
            allergies: Some(s("特になし")),
            physical_findings: Some(s("身長 170cm、体重 78kg（BMI 27.0）、血圧 142/88 mmHg、脈拍 76/分 整。\n両足背動脈触知良好、両下肢の振動覚軽度低下。")),
            infections: Some(s("HBs抗原 陰性、HCV抗体 陰性（2024-10-02）")),
            social_history: Some(s("喫煙：20本/日×30年（2020年に禁煙）\n飲酒：ビール 350mL/日")),
            immunizations: Some(s("インフルエンザ（2024-10）、新型コロナウイルス（2023-11）")),
            surgeries: None,
            transfusions: None,
            procedures: None,
            test_results: Some(s("2025-03-10：HbA1c 9.2％、空腹時血糖 186 mg/dL、eGFR 68 mL/min/1.73m²、尿アルブミン/Cr比 45 mg/gCr、LDL-C 128 mg/dL\n眼底検査（2024-12、眼科）：単純網膜症なし")),
            treatment_course: Some(s("メトホルミン 1000mg/日、DPP-4阻害薬で加療中。服薬指導と栄養指導を再実施しましたが改善が乏しい状況です。")),
            prescriptions: vec![
                s("メトホルミン塩酸塩錠500mg 1回1錠 1日2回 朝夕食後 28日分"),
                s("シタグリプチン錠50mg 1回1錠 1日1回 朝食後 28日分"),
                s("アムロジピン錠5mg 1回1錠 1日1回 朝食後 28日分"),
                s("ロスバスタチン錠2.5mg 1回1錠 1日1回 夕食後 28日分"),
            ],
            remarks: Some(s("ご多忙のところ恐縮ですが、よろしくお願い申し上げます。ご高診後は当院での継続加療も可能です。")),
            attachments: vec![
                AttachmentRef {
                    file_name: s("lab-results-2025-03-10.pdf"),
                    media_type: AttachmentType::Pdf,
                    description: s("血液検査結果（2025-03-10）"),
                },
                AttachmentRef {
                    file_name: s("fundus-2024-12.jpg"),
                    media_type: AttachmentType::Jpeg,
                    description: s("眼底写真（2024-12、眼科より）"),
                },
            ],
            not_shown: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2025, 6, 1).expect("date")
    }

    fn rules_at<'a>(problems: &'a [Problem], path: &str) -> Vec<&'a Rule> {
        problems
            .iter()
            .filter(|p| p.path == path)
            .map(|p| &p.rule)
            .collect()
    }

    #[test]
    fn the_example_is_valid_and_normalized() {
        let e = ReferralLetter::example();
        assert_eq!(e.validate_on(today()), vec![]);
        assert_eq!(e.normalized(), e);
    }

    #[test]
    fn institution_number_pattern() {
        assert!(is_institution_number("1319876543"));
        assert!(is_institution_number("0111234567"));
        assert!(!is_institution_number("5311234567")); // prefecture > 47
        assert!(!is_institution_number("1341234567")); // fee table 4
        assert!(!is_institution_number("1301234567")); // fee table 0
        assert!(!is_institution_number("131123456"));
        assert!(!is_institution_number("１３１１２３４５６７"));
        let mut e = ReferralLetter::example();
        e.from.institution.number = "12345".into();
        let problems = e.validate_on(today());
        assert_eq!(
            rules_at(&problems, "from.institution.number"),
            vec![&Rule::InstitutionNumber {
                value: "12345".into()
            }]
        );
    }

    #[test]
    fn kana_accepts_katakana_with_marks_and_spaces_only() {
        assert!(is_kana("ヤマダ タロウ"));
        assert!(is_kana("ヴァン・ゴッホ　テオ"));
        assert!(is_kana("サトウ ユーコ"));
        assert!(!is_kana("やまだ たろう"));
        assert!(!is_kana("ﾔﾏﾀﾞ ﾀﾛｳ"));
        assert!(!is_kana("YAMADA"));
        assert!(!is_kana("ー ー"));
    }

    #[test]
    fn every_problem_is_listed_not_only_the_first() {
        let mut e = ReferralLetter::example();
        e.patient.kana = "やまだ".into();
        e.patient.birth_date = "2030-01-01".into();
        e.purpose = "  ".into();
        e.diagnoses.clear();
        e.from.institution.phone = None;
        e.to.institution.number = "1341234567".into();
        e.attachments[0].file_name = "../etc/passwd".into();
        e.attachments[1].file_name = "photo.pdf".into();
        let problems = e.validate_on(today());
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        for expected in [
            "patient.kana",
            "patient.birth_date",
            "purpose",
            "diagnoses",
            "from.institution.phone",
            "to.institution.number",
            "attachments[0].file_name",
            "attachments[1].file_name",
        ] {
            assert!(
                paths.contains(&expected),
                "{expected} missing from {paths:?}"
            );
        }
    }

    #[test]
    fn dates_are_checked() {
        let mut e = ReferralLetter::example();
        e.created = "2025-02-30".into();
        e.patient.birth_date = "1958/04/12".into();
        e.diagnoses[0].onset = Some("2026".into());
        let problems = e.validate_on(today());
        assert_eq!(
            rules_at(&problems, "created"),
            vec![&Rule::DateTime {
                value: "2025-02-30".into()
            }]
        );
        assert_eq!(
            rules_at(&problems, "patient.birth_date"),
            vec![&Rule::Date {
                value: "1958/04/12".into()
            }]
        );
        assert_eq!(
            rules_at(&problems, "diagnoses[0].onset"),
            vec![&Rule::InFuture {
                value: "2026".into()
            }]
        );

        let mut e = ReferralLetter::example();
        e.created = "1999-12-31".into();
        e.patient.birth_date = "2000-01-01".into();
        let problems = e.validate_on(today());
        assert_eq!(rules_at(&problems, "created").len(), 1);
        e.created = "2025-03-14T10:30:00Z".into();
        assert!(!rules_at(&e.validate_on(today()), "created").is_empty());
        e.created = "2025-06-02".into(); // tomorrow is tolerated (clock skew)
        assert!(rules_at(&e.validate_on(today()), "created").is_empty());
        e.created = "2025-06-03".into();
        assert_eq!(
            rules_at(&e.validate_on(today()), "created"),
            vec![&Rule::InFuture {
                value: "2025-06-03".into()
            }]
        );
    }

    #[test]
    fn lengths_and_control_characters_are_bounded() {
        let mut e = ReferralLetter::example();
        e.patient.name = "山".repeat(101);
        e.remarks = Some("ok\u{7}".into());
        e.from.doctor.name = "桜井\n健一".into();
        let problems = e.validate_on(today());
        assert_eq!(
            rules_at(&problems, "patient.name"),
            vec![&Rule::TooLong { max: 100, len: 101 }]
        );
        assert_eq!(
            rules_at(&problems, "remarks"),
            vec![&Rule::ControlCharacter]
        );
        assert_eq!(
            rules_at(&problems, "from.doctor.name"),
            vec![&Rule::LineBreak]
        );
    }

    #[test]
    fn normalization_trims_and_drops_blank_items() {
        let mut e = ReferralLetter::example();
        e.purpose = "  目的\r\n二行目 \n".into();
        e.remarks = Some("   ".into());
        e.prescriptions.push("  ".into());
        let n = e.normalized();
        assert_eq!(n.purpose, "目的\n二行目");
        assert_eq!(n.remarks, None);
        assert_eq!(n.prescriptions.len(), 4);
    }

    #[test]
    fn form_json_rejects_unknown_fields() {
        let mut v = serde_json::to_value(ReferralLetter::example()).expect("json");
        v["patient"]["nmae"] = serde_json::json!("typo");
        assert!(serde_json::from_value::<ReferralLetter>(v).is_err());
    }
}
