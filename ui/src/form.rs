//! The 様式11 form: field descriptors over the letter's JSON (the serde form
//! of `inkan_referral::ReferralLetter`), and path-based get/set.

use serde_json::{Map, Value};

/// How a field is edited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    Area,
    Date,
    DateTime,
    Category,
    Sex,
    /// One string per line (`prescriptions`).
    Lines,
    /// `name / onset` per line (`diagnoses`).
    Diagnoses,
}

/// One form field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    pub path: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn f(
    path: &'static str,
    ja: &'static str,
    en: &'static str,
    kind: Kind,
    required: bool,
) -> Field {
    Field {
        path,
        ja,
        en,
        kind,
        required,
    }
}

/// A group of fields with a heading.
pub struct Section {
    pub ja: &'static str,
    pub en: &'static str,
    pub fields: &'static [Field],
}

use Kind::*;

/// Every field of 別紙様式11 plus the electronic identifiers.
pub const SECTIONS: &[Section] = &[
    Section {
        ja: "文書",
        en: "Document",
        fields: &[
            f("document_number", "文書番号", "Document number", Text, true),
            f("created", "作成日時", "Created", DateTime, true),
            f("category", "区分", "Category", Category, true),
        ],
    },
    Section {
        ja: "紹介先",
        en: "Referred to",
        fields: &[
            f(
                "to.institution.name",
                "医療機関名",
                "Institution",
                Text,
                true,
            ),
            f(
                "to.institution.number",
                "保険医療機関番号（10桁）",
                "Institution number (10 digits)",
                Text,
                true,
            ),
            f(
                "to.institution.department",
                "診療科",
                "Department",
                Text,
                true,
            ),
            f("to.doctor.name", "担当医", "Doctor", Text, false),
            f(
                "to.institution.postal_code",
                "郵便番号",
                "Postal code",
                Text,
                false,
            ),
            f("to.institution.address", "所在地", "Address", Text, false),
            f("to.institution.phone", "電話番号", "Phone", Text, false),
        ],
    },
    Section {
        ja: "紹介元",
        en: "Referred by",
        fields: &[
            f(
                "from.institution.name",
                "医療機関名",
                "Institution",
                Text,
                true,
            ),
            f(
                "from.institution.number",
                "保険医療機関番号（10桁）",
                "Institution number (10 digits)",
                Text,
                true,
            ),
            f(
                "from.institution.department",
                "診療科",
                "Department",
                Text,
                true,
            ),
            f("from.doctor.name", "医師氏名", "Physician", Text, true),
            f(
                "from.doctor.kana",
                "医師氏名（カナ）",
                "Physician (kana)",
                Text,
                false,
            ),
            f(
                "from.institution.postal_code",
                "郵便番号",
                "Postal code",
                Text,
                false,
            ),
            f("from.institution.address", "所在地", "Address", Text, false),
            f("from.institution.phone", "電話番号", "Phone", Text, false),
        ],
    },
    Section {
        ja: "患者",
        en: "Patient",
        fields: &[
            f("patient.name", "氏名", "Name", Text, true),
            f("patient.kana", "氏名（カナ）", "Name (kana)", Text, true),
            f("patient.id", "患者ID", "Patient ID", Text, true),
            f(
                "patient.insurance_id",
                "被保険者番号（保険者番号:記号:番号:枝番）",
                "Insurance member ID (insurer:symbol:number:branch)",
                Text,
                false,
            ),
            f(
                "patient.public_payer_id",
                "公費受給者番号（生活保護: 公費負担者番号::受給者番号:）",
                "Public assistance ID (payer::recipient:)",
                Text,
                false,
            ),
            f(
                "patient.recipient_id",
                "紹介先の患者ID",
                "Patient ID at the recipient",
                Text,
                false,
            ),
            f("patient.sex", "性別", "Sex", Sex, true),
            f(
                "patient.birth_date",
                "生年月日",
                "Date of birth",
                Date,
                true,
            ),
            f(
                "patient.postal_code",
                "郵便番号",
                "Postal code",
                Text,
                false,
            ),
            f("patient.address", "住所", "Address", Text, false),
            f("patient.phone", "電話番号", "Phone", Text, false),
            f("patient.occupation", "職業", "Occupation", Text, false),
        ],
    },
    Section {
        ja: "紹介内容",
        en: "Referral",
        fields: &[
            f(
                "diagnoses",
                "傷病名（1行に1つ、「病名 / 発症 / MEDIS病名管理番号」、発症と番号は省略可）",
                "Diagnoses (one per line, \"name / onset / MEDIS code\"; onset and code optional)",
                Diagnoses,
                true,
            ),
            f("purpose", "紹介目的", "Purpose", Area, true),
            f(
                "present_illness",
                "症状経過（現病歴）",
                "Present illness",
                Area,
                true,
            ),
            f("past_history", "既往歴", "Past history", Area, false),
            f("family_history", "家族歴", "Family history", Area, false),
            f("allergies", "アレルギー", "Allergies", Area, false),
            f(
                "physical_findings",
                "身体所見",
                "Physical findings",
                Area,
                false,
            ),
            f("infections", "感染症", "Infections", Area, false),
            f("social_history", "生活習慣", "Social history", Area, false),
            f("immunizations", "予防接種", "Immunizations", Area, false),
            f("surgeries", "手術", "Surgeries", Area, false),
            f("transfusions", "輸血", "Transfusions", Area, false),
            f("procedures", "処置", "Procedures", Area, false),
            f("test_results", "検査結果", "Test results", Area, false),
            f(
                "treatment_course",
                "治療経過",
                "Treatment course",
                Area,
                false,
            ),
            f(
                "prescriptions",
                "現在の処方（1行に1剤）",
                "Current prescriptions (one per line)",
                Lines,
                false,
            ),
            f("remarks", "備考", "Remarks", Area, false),
        ],
    },
];

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('.')
}

/// The field's value as the text the input shows.
pub fn get(letter: &Value, field: &Field) -> String {
    let mut v = letter;
    for s in segments(field.path) {
        match v.get(s) {
            Some(x) => v = x,
            None => return String::new(),
        }
    }
    match field.kind {
        Lines => v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        Diagnoses => v
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|d| {
                        let name = d.get("name").and_then(|x| x.as_str()).unwrap_or_default();
                        let onset = d.get("onset").and_then(|x| x.as_str()).unwrap_or_default();
                        match d.get("code").and_then(|x| x.as_str()) {
                            Some(c) if !c.is_empty() => format!("{name} / {onset} / {c}"),
                            _ if !onset.is_empty() => format!("{name} / {onset}"),
                            _ => name.to_string(),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        _ => v.as_str().map(str::to_string).unwrap_or_default(),
    }
}

/// Writes the input's text into the letter. Empty optional fields become
/// `null`, so the model sees "not given" rather than an empty string.
pub fn set(letter: &mut Value, field: &Field, text: &str) {
    let value = match field.kind {
        Lines => Value::Array(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| Value::String(l.to_string()))
                .collect(),
        ),
        Diagnoses => Value::Array(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| {
                    // 「病名 / 発症 / 病名管理番号」: onset and code optional.
                    let mut parts = l.splitn(3, '/').map(str::trim);
                    let name = parts.next().unwrap_or_default();
                    let mut m = Map::new();
                    m.insert("name".into(), Value::String(name.to_string()));
                    for key in ["onset", "code"] {
                        if let Some(v) = parts.next().filter(|v| !v.is_empty()) {
                            m.insert(key.into(), Value::String(v.to_string()));
                        }
                    }
                    Value::Object(m)
                })
                .collect(),
        ),
        _ if text.trim().is_empty() && !field.required => Value::Null,
        _ => Value::String(text.to_string()),
    };
    let parts: Vec<&str> = segments(field.path).collect();
    let mut v = letter;
    for (i, s) in parts.iter().enumerate() {
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        let Some(obj) = v.as_object_mut() else { return };
        if i + 1 == parts.len() {
            obj.insert((*s).to_string(), value);
            return;
        }
        v = obj
            .entry((*s).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Element id of a field's input.
pub fn input_id(field: &Field) -> String {
    format!("f-{}", field.path.replace('.', "-"))
}
