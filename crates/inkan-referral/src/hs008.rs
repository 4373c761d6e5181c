//! HS008 「診療情報提供書（電子紹介状）」: HL7 CDA R2 with the Japanese header
//! (日本HL7協会 HL7J-CDA-005 「診療情報提供書規格」, MHLW standard HS008).
//!
//! # Header
//! `ClinicalDocument` in `urn:hl7-org:v3`, `typeId` `POCD_HD000040JP00`,
//! `templateId` `2.16.840.1.113883.2.2.3.6.100`, `code` `MD0020730` (JMIX,
//! "Referral Note"), `title` 診療情報提供書, `effectiveTime`,
//! `confidentialityCode` N, `languageCode` ja-JP, `setId` + `versionNumber`,
//! `recordTarget/patientRole` with one `id` per assigning authority (紹介元,
//! 紹介先), `author` (記載者 and 紹介元), `custodian`, `informationRecipient`
//! (紹介先) and `legalAuthenticator` (認証者 = the signing physician).
//!
//! # Identifiers (conventions of this implementation)
//! - institutions: the 10-digit 保険医療機関番号 split over the JAHIS OIDs
//!   `1.2.392.100495.20.3.21` (都道府県番号), `.22` (点数表番号) and `.23`
//!   (医療機関コード 7 digits);
//! - patient: root `1.2.392.100495.20.3.51.1` + the issuing institution's
//!   number, extension = the local patient ID (the same OID scheme HS038 uses);
//! - document: root `2.16.840.1.113883.2.2.3.6.100.1` (the tutorial's
//!   document-id arc under the HS008 template); `setId` extension =
//!   `<referrer's number>^<document number>`, `id` extension adds `^<version>`.
//! - department: `representedOrganization`/`receivedOrganization` is the
//!   department (診療科), part of (`asOrganizationPartOf/wholeOrganization`)
//!   the institution.
//!
//! # Body
//! The normative section codes are not public, so sections are identified by
//! their HS008 item titles (CDA R2 allows a section without a code) and carry
//! narrative (`paragraph` + `br`, `list` for prescriptions, `table` for
//! diagnoses and attachments; attachments are `observationMedia` entries
//! too). The reader matches a section by its LOINC code first
//! ([`SECTION_CODES`]), then by title and a documented table of variants
//! ([`SECTION_TITLE_VARIANTS`]); it tolerates any section order, nested
//! sections and extra elements; sections with unknown titles are kept in the
//! remarks under their title so that nothing the author wrote is lost.

use crate::date::Stamp;
use crate::detect::Format;
use crate::error::{text_of, ReadError, WriteError};
use crate::model::{
    AttachmentRef, AttachmentType, Category, Diagnosis, Doctor, Institution, Patient, Recipient,
    ReferralLetter, Referrer, Sex,
};
use crate::narrative::{inline, lines, to_text};
use crate::problem::{Problem, Rule};
use crate::xml::{escape_attr, escape_text, Element, Writer};
use crate::Document;

/// The HL7 v3 namespace.
pub const NS: &str = "urn:hl7-org:v3";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// `typeId/@root` of the Japanese CDA header.
pub const TYPE_ID_ROOT: &str = "2.16.840.1.113883.2.2.3.2";
/// `typeId/@extension`: the Japanese CDA R2 header.
pub const TYPE_ID_EXTENSION: &str = "POCD_HD000040JP00";
/// `templateId/@root` of HS008.
pub const TEMPLATE_ID: &str = "2.16.840.1.113883.2.2.3.6.100";
/// `code/@code`: JMIX 診療情報提供書.
pub const DOCUMENT_CODE: &str = "MD0020730";
/// `code/@codeSystem`: JMIX.
pub const JMIX: &str = "1.2.392.200119.5.3.1";
/// `title`.
pub const TITLE: &str = "診療情報提供書";
const OID_PREFECTURE: &str = "1.2.392.100495.20.3.21";
const OID_FEE_TABLE: &str = "1.2.392.100495.20.3.22";
const OID_INSTITUTION: &str = "1.2.392.100495.20.3.23";
/// Patient IDs: this prefix + the issuing institution's 10-digit number.
pub const PATIENT_OID_PREFIX: &str = "1.2.392.100495.20.3.51.1";

/// The insurance numbers in `recordTarget/patientRole/id`, with the OIDs
/// of the MHLW 特定健診 CDA (保険者番号 `…6.101`, 被保険者証等記号 `…6.204`,
/// 番号 `…6.205`, 枝番 `…6.211`): HL7J-CDA-005 gives no public place for
/// them, and 特定健診 is the MHLW CDA that carries all four parts,
/// the branch number included (JP Core's `1.2.392.100495.20.3.61`–`63`
/// have no branch; they are read too).
pub const INSURER_OID: &str = "1.2.392.200119.6.101";
/// 被保険者証等記号.
pub const INSURED_SYMBOL_OID: &str = "1.2.392.200119.6.204";
/// 被保険者証等番号.
pub const INSURED_NUMBER_OID: &str = "1.2.392.200119.6.205";
/// 被保険者証等枝番.
pub const INSURED_BRANCH_OID: &str = "1.2.392.200119.6.211";
/// 公費負担者番号 (JP Core's identifier table).
pub const PUBLIC_PAYER_OID: &str = "1.2.392.100495.20.3.71";
/// 公費受給者番号 (JP Core's identifier table).
pub const PUBLIC_RECIPIENT_OID: &str = "1.2.392.100495.20.3.72";
/// JP Core's 保険者番号, 被保険者証記号, 被保険者証番号, read as the above.
const JP_CORE_INSURANCE_OIDS: [&str; 3] = [
    "1.2.392.100495.20.3.61",
    "1.2.392.100495.20.3.62",
    "1.2.392.100495.20.3.63",
];

/// `保険者番号:記号:番号:枝番` in its parts.
fn insurance_parts(v: &str) -> Option<(&str, &str, &str, &str)> {
    let mut it = v.split(':');
    let parts = (it.next()?, it.next()?, it.next()?, it.next()?);
    it.next().is_none().then_some(parts)
}
/// `id`/`setId` root: the document-id arc of the HS008 template, as the
/// HL7 Japan tutorial writes it. The arc is shared, so the extension names
/// the institution: `<保険医療機関番号>^<文書番号>` (`^<版>` for `id`),
/// the shape of HS038's `Bundle.identifier`. (Inkan before this used
/// `1.2.392.100495.20.3.11.1<番号>`, the prescription-ID arc; such letters
/// still read.)
pub const DOCUMENT_ID_ROOT: &str = "2.16.840.1.113883.2.2.3.6.100.1";
const LOINC: &str = "2.16.840.1.113883.6.1";
const OCCUPATION_LOINC: &str = "11341-5";
pub(crate) const OCCUPATION_ID: &str = "inkan-occupation";
/// The heading of the diagnoses table's code column.
const DIAGNOSIS_CODE_HEADING: &str = "病名管理番号（MEDIS）";
/// `observationMedia/@ID` of the n-th attachment: this + n.
const ATTACHMENT_ID: &str = "inkan-attachment-";

/// The HS008 body sections, by their item titles, in document order.
pub const SECTION_TITLES: [&str; 18] = [
    "紹介目的",
    "傷病名・主訴",
    "現病歴",
    "既往歴",
    "家族歴",
    "アレルギー",
    "身体所見",
    "感染症",
    "生活習慣",
    "予防接種",
    "手術",
    "輸血",
    "処置",
    "現在の処方",
    "検査結果",
    "治療経過",
    "添付書類",
    "備考・連絡事項",
];

/// Section codes other writers put on HS008 sections, and the item each
/// means: the LOINC document-section codes of HL7 C-CDA (`codeSystem`
/// `2.16.840.1.113883.6.1`). HL7J-CDA-005's own section codes are not
/// public (docs/letter-form.md, "What could not be confirmed"), so Inkan
/// writes none and matches these first, then titles.
pub const SECTION_CODES: [(&str, &str); 14] = [
    ("42349-1", "紹介目的"),
    ("29299-5", "紹介目的"),
    ("11450-4", "傷病名・主訴"),
    ("29548-5", "傷病名・主訴"),
    ("10164-2", "現病歴"),
    ("11348-0", "既往歴"),
    ("10157-6", "家族歴"),
    ("48765-2", "アレルギー"),
    ("29545-1", "身体所見"),
    ("29762-2", "生活習慣"),
    ("11369-6", "予防接種"),
    ("10160-0", "現在の処方"),
    ("30954-2", "検査結果"),
    ("8648-8", "治療経過"),
];

/// Section titles other writers use for the HS008 items (the HS038 section
/// names, 様式11's wording, abbreviations), and the item each means. A
/// section is matched by its code first ([`SECTION_CODES`]), then by its
/// exact title, then by this table; anything else is kept under its own
/// title in 備考.
pub const SECTION_TITLE_VARIANTS: [(&str, &str); 17] = [
    ("傷病名", "傷病名・主訴"),
    ("傷病名及び主訴", "傷病名・主訴"),
    ("症状経過", "現病歴"),
    ("症状経過及び検査結果", "現病歴"),
    ("既往歴及び家族歴", "既往歴"),
    ("アレルギー・不耐性反応", "アレルギー"),
    ("感染症情報", "感染症"),
    ("社会歴", "生活習慣"),
    ("社会歴・生活習慣", "生活習慣"),
    ("投薬指示", "現在の処方"),
    ("処方", "現在の処方"),
    ("現在の処方（投薬）", "現在の処方"),
    ("臨床経過", "治療経過"),
    ("添付", "添付書類"),
    ("添付情報", "添付書類"),
    ("備考・連絡情報", "備考・連絡事項"),
    ("備考", "備考・連絡事項"),
];

/// The item a section means: by its LOINC code, by its title, by a known
/// variant of the title; else its own title.
fn canonical_section<'a>(s: &Element, title: &'a str) -> &'a str {
    let by_code = s
        .child(NS, "code")
        .filter(|c| c.attr("codeSystem") == Some(LOINC))
        .and_then(|c| c.attr("code"))
        .and_then(|code| SECTION_CODES.iter().find(|(c, _)| *c == code.trim()))
        .map(|(_, item)| *item);
    by_code
        .or_else(|| SECTION_TITLES.iter().find(|t| **t == title).copied())
        .or_else(|| {
            SECTION_TITLE_VARIANTS
                .iter()
                .find(|(v, _)| *v == title)
                .map(|(_, item)| *item)
        })
        .unwrap_or(title)
}

// ---------------------------------------------------------------------------
// Writer

/// Writes the letter as HS008 CDA XML (UTF-8). The output is byte-stable:
/// the same letter always gives the same bytes.
///
/// The letter is normalised and validated first; an invalid letter is not
/// written.
pub fn write(letter: &ReferralLetter) -> Result<Vec<u8>, WriteError> {
    let l = letter.normalized();
    let problems = l.validate();
    if !problems.is_empty() {
        return Err(WriteError::Invalid { problems });
    }
    Ok(write_unchecked(&l).into_bytes())
}

fn addr(w: &mut Writer, postal: &Option<String>, address: &Option<String>) {
    if postal.is_none() && address.is_none() {
        return;
    }
    let mut inner = String::new();
    if let Some(p) = postal {
        inner.push_str(&format!("<postalCode>{}</postalCode>", escape_text(p)));
    }
    if let Some(a) = address {
        inner.push_str(&format!(
            "<streetAddressLine>{}</streetAddressLine>",
            escape_text(a)
        ));
    }
    w.raw("addr", &[], &inner);
}

fn telecom(w: &mut Writer, phone: &Option<String>) {
    if let Some(p) = phone {
        w.empty("telecom", &[("value", &format!("tel:{p}"))]);
    }
}

fn names(w: &mut Writer, name: &str, kana: &Option<String>) {
    w.text("name", &[("use", "IDE")], name);
    if let Some(k) = kana {
        w.text("name", &[("use", "SYL")], k);
    }
}

fn institution_ids(w: &mut Writer, number: &str) {
    let (pref, table, code) = (
        number.get(0..2).unwrap_or_default(),
        number.get(2..3).unwrap_or_default(),
        number.get(3..).unwrap_or_default(),
    );
    w.empty("id", &[("root", OID_PREFECTURE), ("extension", pref)]);
    w.empty("id", &[("root", OID_FEE_TABLE), ("extension", table)]);
    w.empty("id", &[("root", OID_INSTITUTION), ("extension", code)]);
}

/// `<tag>` = the department, part of the institution.
fn department_org(w: &mut Writer, tag: &str, inst: &Institution) {
    w.open(tag, &[("classCode", "ORG"), ("determinerCode", "INSTANCE")]);
    w.text("name", &[], &inst.department);
    w.open("asOrganizationPartOf", &[]);
    w.open("wholeOrganization", &[]);
    institution_ids(w, &inst.number);
    w.text("name", &[], &inst.name);
    telecom(w, &inst.phone);
    addr(w, &inst.postal_code, &inst.address);
    w.close("wholeOrganization");
    w.close("asOrganizationPartOf");
    w.close(tag);
}

fn paragraph(text: &str) -> String {
    format!("<paragraph>{}</paragraph>", inline(text))
}

fn section(w: &mut Writer, title: &str, text_inner: &str, entries: &[String]) {
    w.open("component", &[]);
    w.open("section", &[]);
    w.text("title", &[], title);
    w.raw("text", &[], text_inner);
    for e in entries {
        w.raw("entry", &[], e);
    }
    w.close("section");
    w.close("component");
}

fn write_unchecked(l: &ReferralLetter) -> String {
    let created = Stamp::parse(&l.created)
        .map(|s| s.cda())
        .unwrap_or_default();
    let from = &l.from.institution;
    let to = &l.to.institution;
    let set_extension = format!("{}^{}", from.number, l.document_number);
    let version = l.version.to_string();

    let mut w = Writer::new();
    w.open("ClinicalDocument", &[("xmlns", NS), ("xmlns:xsi", XSI)]);
    w.empty("realmCode", &[("code", "JP")]);
    w.empty(
        "typeId",
        &[("root", TYPE_ID_ROOT), ("extension", TYPE_ID_EXTENSION)],
    );
    w.empty("templateId", &[("root", TEMPLATE_ID)]);
    w.empty(
        "id",
        &[
            ("root", DOCUMENT_ID_ROOT),
            ("extension", &format!("{set_extension}^{version}")),
        ],
    );
    w.empty(
        "code",
        &[
            ("code", DOCUMENT_CODE),
            ("codeSystem", JMIX),
            ("codeSystemName", "JMIX"),
            ("displayName", "Referral Note"),
        ],
    );
    w.text("title", &[], TITLE);
    w.empty("effectiveTime", &[("value", &created)]);
    w.empty(
        "confidentialityCode",
        &[("code", "N"), ("codeSystem", "2.16.840.1.113883.5.25")],
    );
    w.empty("languageCode", &[("code", "ja-JP")]);
    w.empty(
        "setId",
        &[("root", DOCUMENT_ID_ROOT), ("extension", &set_extension)],
    );
    w.empty("versionNumber", &[("value", &version)]);

    // recordTarget
    let p = &l.patient;
    w.open("recordTarget", &[]);
    w.open("patientRole", &[("classCode", "PAT")]);
    w.empty(
        "id",
        &[
            ("root", &format!("{PATIENT_OID_PREFIX}{}", from.number)),
            ("extension", &p.id),
            ("assigningAuthorityName", "紹介元"),
        ],
    );
    let mut ids: Vec<(&str, &str, &str)> = Vec::new();
    if let Some((insurer, symbol, number, branch)) =
        p.insurance_id.as_deref().and_then(insurance_parts)
    {
        ids.push((INSURER_OID, insurer, "保険者番号"));
        ids.push((INSURED_SYMBOL_OID, symbol, "被保険者証等記号"));
        ids.push((INSURED_NUMBER_OID, number, "被保険者証等番号"));
        ids.push((INSURED_BRANCH_OID, branch, "被保険者証等枝番"));
    }
    if let Some((payer, _, recipient, _)) = p.public_payer_id.as_deref().and_then(insurance_parts) {
        ids.push((PUBLIC_PAYER_OID, payer, "公費負担者番号"));
        ids.push((PUBLIC_RECIPIENT_OID, recipient, "公費受給者番号"));
    }
    for (root, extension, authority) in ids.into_iter().filter(|(_, e, _)| !e.is_empty()) {
        w.empty(
            "id",
            &[
                ("root", root),
                ("extension", extension),
                ("assigningAuthorityName", authority),
            ],
        );
    }
    if let Some(rid) = &p.recipient_id {
        w.empty(
            "id",
            &[
                ("root", &format!("{PATIENT_OID_PREFIX}{}", to.number)),
                ("extension", rid),
                ("assigningAuthorityName", "紹介先"),
            ],
        );
    }
    addr(&mut w, &p.postal_code, &p.address);
    telecom(&mut w, &p.phone);
    w.open("patient", &[]);
    names(&mut w, &p.name, &Some(p.kana.clone()));
    let gender: &[(&str, &str)] = match p.sex {
        Sex::Male => &[("code", "M"), ("codeSystem", "2.16.840.1.113883.5.1")],
        Sex::Female => &[("code", "F"), ("codeSystem", "2.16.840.1.113883.5.1")],
        Sex::Other => &[("code", "UN"), ("codeSystem", "2.16.840.1.113883.5.1")],
        Sex::Unknown => &[("nullFlavor", "UNK")],
    };
    w.empty("administrativeGenderCode", gender);
    let birth = crate::date::Date::parse(&p.birth_date)
        .map(|d| d.compact())
        .unwrap_or_default();
    w.empty("birthTime", &[("value", &birth)]);
    w.close("patient");
    w.close("patientRole");
    w.close("recordTarget");

    // author: the physician at the referring department.
    w.open("author", &[]);
    w.empty("time", &[("value", &created)]);
    w.open("assignedAuthor", &[]);
    w.empty("id", &[("nullFlavor", "UNK")]);
    w.open("assignedPerson", &[]);
    names(&mut w, &l.from.doctor.name, &l.from.doctor.kana);
    w.close("assignedPerson");
    department_org(&mut w, "representedOrganization", from);
    w.close("assignedAuthor");
    w.close("author");

    // custodian: the referring institution keeps the original.
    w.open("custodian", &[]);
    w.open("assignedCustodian", &[]);
    w.open("representedCustodianOrganization", &[]);
    institution_ids(&mut w, &from.number);
    w.text("name", &[], &from.name);
    telecom(&mut w, &from.phone);
    addr(&mut w, &from.postal_code, &from.address);
    w.close("representedCustodianOrganization");
    w.close("assignedCustodian");
    w.close("custodian");

    // informationRecipient: 紹介先.
    w.open("informationRecipient", &[("typeCode", "PRCP")]);
    w.open("intendedRecipient", &[]);
    if let Some(d) = &l.to.doctor {
        w.open("informationRecipient", &[]);
        names(&mut w, &d.name, &d.kana);
        w.close("informationRecipient");
    }
    department_org(&mut w, "receivedOrganization", to);
    w.close("intendedRecipient");
    w.close("informationRecipient");

    // legalAuthenticator: the physician who signs.
    w.open("legalAuthenticator", &[]);
    w.empty("time", &[("value", &created)]);
    w.empty("signatureCode", &[("code", "S")]);
    w.open("assignedEntity", &[]);
    w.empty("id", &[("nullFlavor", "UNK")]);
    w.open("assignedPerson", &[]);
    names(&mut w, &l.from.doctor.name, &l.from.doctor.kana);
    w.close("assignedPerson");
    w.close("assignedEntity");
    w.close("legalAuthenticator");

    // componentOf: the setting (外来 AMB / 入院→退院時 IMP).
    let encounter = match l.category {
        Category::Outpatient => "AMB",
        Category::Discharge => "IMP",
    };
    w.open("componentOf", &[]);
    w.open("encompassingEncounter", &[]);
    w.empty(
        "code",
        &[("code", encounter), ("codeSystem", "2.16.840.1.113883.5.4")],
    );
    w.empty("effectiveTime", &[("nullFlavor", "UNK")]);
    w.close("encompassingEncounter");
    w.close("componentOf");

    // Body.
    w.open("component", &[]);
    w.open("structuredBody", &[]);
    let opt = |v: &Option<String>| v.as_deref().map(paragraph);
    // A third column holds the MEDIS 病名管理番号 when any diagnosis is
    // coded (an uncoded letter keeps the two columns, byte for byte).
    let coded = l.diagnoses.iter().any(|d| d.code.is_some());
    let diagnoses = {
        let mut t =
            String::from("<table border=\"1\"><thead><tr><th>傷病名・主訴</th><th>発症</th>");
        if coded {
            t.push_str(&format!("<th>{DIAGNOSIS_CODE_HEADING}</th>"));
        }
        t.push_str("</tr></thead><tbody>");
        for d in &l.diagnoses {
            t.push_str(&format!(
                "<tr><td>{}</td><td>{}</td>",
                escape_text(&d.name),
                escape_text(d.onset.as_deref().unwrap_or(""))
            ));
            if coded {
                t.push_str(&format!(
                    "<td>{}</td>",
                    escape_text(d.code.as_deref().unwrap_or(""))
                ));
            }
            t.push_str("</tr>");
        }
        t.push_str("</tbody></table>");
        t
    };
    let prescriptions = (!l.prescriptions.is_empty()).then(|| {
        let items: String = l
            .prescriptions
            .iter()
            .map(|p| format!("<item>{}</item>", escape_text(p)))
            .collect();
        format!("<list>{items}</list>")
    });
    let attachments = (!l.attachments.is_empty()).then(|| {
        let mut t = String::from(
            "<table border=\"1\"><thead><tr><th>ファイル名</th><th>種類</th><th>説明</th></tr></thead><tbody>",
        );
        for a in &l.attachments {
            t.push_str(&format!(
                "<tr><td><linkHtml href=\"{}\">{}</linkHtml></td><td>{}</td><td>{}</td></tr>",
                escape_attr(&a.file_name),
                escape_text(&a.file_name),
                a.media_type.media_type(),
                escape_text(&a.description)
            ));
        }
        t.push_str("</tbody></table>");
        t
    });
    let (social, occupation_entry) = match &l.patient.occupation {
        None => (opt(&l.social_history), None),
        Some(occ) => {
            let mut t = l
                .social_history
                .as_deref()
                .map(paragraph)
                .unwrap_or_default();
            t.push_str(&format!(
                "<paragraph ID=\"{OCCUPATION_ID}\">職業：{}</paragraph>",
                escape_text(occ)
            ));
            let entry = format!(
                "<observation classCode=\"OBS\" moodCode=\"EVN\"><code code=\"{OCCUPATION_LOINC}\" codeSystem=\"{LOINC}\" codeSystemName=\"LOINC\" displayName=\"History of Occupation\"/><value xsi:type=\"ST\">{}</value></observation>",
                escape_text(occ)
            );
            (Some(t), Some(entry))
        }
    };
    let bodies: [(&str, Option<String>); 18] = [
        ("紹介目的", Some(paragraph(&l.purpose))),
        ("傷病名・主訴", Some(diagnoses)),
        ("現病歴", Some(paragraph(&l.present_illness))),
        ("既往歴", opt(&l.past_history)),
        ("家族歴", opt(&l.family_history)),
        ("アレルギー", opt(&l.allergies)),
        ("身体所見", opt(&l.physical_findings)),
        ("感染症", opt(&l.infections)),
        ("生活習慣", social),
        ("予防接種", opt(&l.immunizations)),
        ("手術", opt(&l.surgeries)),
        ("輸血", opt(&l.transfusions)),
        ("処置", opt(&l.procedures)),
        ("現在の処方", prescriptions),
        ("検査結果", opt(&l.test_results)),
        ("治療経過", opt(&l.treatment_course)),
        ("添付書類", attachments),
        ("備考・連絡事項", opt(&l.remarks)),
    ];
    // Each attachment is also an `observationMedia` entry whose value
    // refers to the file beside the letter in its package (CDA R2
    // ObservationMedia, ED with a `reference`): a CDA processor finds the
    // files without reading the table.
    let attachment_entries: Vec<String> = l
        .attachments
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "<observationMedia classCode=\"OBS\" moodCode=\"EVN\" ID=\"{ATTACHMENT_ID}{}\"><value mediaType=\"{}\"><reference value=\"{}\"/></value></observationMedia>",
                i + 1,
                a.media_type.media_type(),
                escape_attr(&a.file_name)
            )
        })
        .collect();
    for (title, body) in bodies {
        if let Some(inner) = body {
            let entries: Vec<String> = match title {
                "生活習慣" => occupation_entry.iter().cloned().collect(),
                "添付書類" => attachment_entries.clone(),
                _ => Vec::new(),
            };
            section(&mut w, title, &inner, &entries);
        }
    }
    w.close("structuredBody");
    w.close("component");
    w.close("ClinicalDocument");
    w.finish()
}

// ---------------------------------------------------------------------------
// Reader

struct Ctx {
    problems: Vec<Problem>,
}

impl Ctx {
    fn push(&mut self, path: &str, rule: Rule) {
        self.problems.push(Problem::new(path, rule));
    }

    /// A required header element; reports its absence.
    fn required<'a>(&mut self, root: &'a Element, name: &str) -> Option<&'a Element> {
        let found = root.elements().find(|e| e.is(NS, name));
        if found.is_none() {
            self.push(&format!("/ClinicalDocument/{name}"), Rule::Required);
        }
        found
    }

    fn fixed_attr(&mut self, el: Option<&Element>, path: &str, attr: &str, expected: &str) {
        if let Some(e) = el {
            let found = e.attr(attr).unwrap_or_default();
            if found != expected {
                self.push(
                    &format!("{path}/@{attr}"),
                    Rule::FixedValue {
                        expected: expected.into(),
                        found: found.into(),
                    },
                );
            }
        }
    }
}

fn text_of_child(e: &Element, name: &str) -> Option<String> {
    e.child(NS, name)
        .map(|c| c.text().trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// (kanji name, kana name) from `<name use="IDE|SYL|…">`: `IDE` wins over
/// an unqualified name, `SYL` is the kana.
fn read_names(e: Option<&Element>) -> (String, Option<String>) {
    let Some(e) = e else {
        return (String::new(), None);
    };
    let (mut ide, mut plain, mut kana) = (None, None, None);
    for n in e.all(NS, "name") {
        let text = n.text().split_whitespace().collect::<Vec<_>>().join(" ");
        let uses: Vec<&str> = n.attr("use").unwrap_or("").split_whitespace().collect();
        let slot = if uses.contains(&"SYL") {
            &mut kana
        } else if uses.contains(&"IDE") {
            &mut ide
        } else {
            &mut plain
        };
        slot.get_or_insert(text);
    }
    (
        ide.or(plain).unwrap_or_default(),
        kana.filter(|k: &String| !k.is_empty()),
    )
}

fn read_addr(e: &Element) -> (Option<String>, Option<String>) {
    let Some(a) = e.child(NS, "addr") else {
        return (None, None);
    };
    let postal = text_of_child(a, "postalCode");
    let mut parts = String::new();
    for n in &a.children {
        match n {
            crate::xml::Node::Text(t) => parts.push_str(t),
            crate::xml::Node::Element(c) if c.name != "postalCode" => parts.push_str(&c.text()),
            crate::xml::Node::Element(_) => {}
        }
    }
    let address = parts.trim().to_owned();
    (postal, (!address.is_empty()).then_some(address))
}

fn read_phone(e: &Element) -> Option<String> {
    e.all(NS, "telecom")
        .filter_map(|t| t.attr("value"))
        .find_map(|v| v.strip_prefix("tel:"))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn read_institution_number(org: &Element) -> String {
    let mut pref = None;
    let mut table = None;
    let mut code = None;
    for id in org.all(NS, "id") {
        let ext = id.attr("extension").unwrap_or("").trim().to_owned();
        match id.attr("root") {
            Some(OID_PREFECTURE) => pref = Some(ext),
            Some(OID_FEE_TABLE) => table = Some(ext),
            // Some writers put all ten digits under the 医療機関コード OID.
            Some(OID_INSTITUTION) if ext.len() == 10 => return ext,
            Some(OID_INSTITUTION) => code = Some(ext),
            _ => {}
        }
    }
    match (pref, table, code) {
        (Some(p), Some(t), Some(c)) => format!("{p}{t}{c}"),
        (_, _, Some(c)) => c,
        _ => String::new(),
    }
}

/// An institution from a department organization that is part of the
/// institution, or from the institution organization itself.
fn read_org(org: Option<&Element>) -> Institution {
    let empty = Institution {
        number: String::new(),
        name: String::new(),
        department: String::new(),
        postal_code: None,
        address: None,
        phone: None,
    };
    let Some(org) = org else { return empty };
    let (inst, department) = match org.path(NS, &["asOrganizationPartOf", "wholeOrganization"]) {
        Some(whole) => (whole, text_of_child(org, "name").unwrap_or_default()),
        None => (org, String::new()),
    };
    let (postal_code, address) = read_addr(inst);
    Institution {
        number: read_institution_number(inst),
        name: text_of_child(inst, "name").unwrap_or_default(),
        department,
        postal_code,
        address,
        phone: read_phone(inst),
    }
}

fn doctor(names: (String, Option<String>)) -> Doctor {
    Doctor {
        name: names.0,
        kana: names.1,
    }
}

/// All sections, nested ones included, in document order.
fn sections<'a>(body: &'a Element, out: &mut Vec<&'a Element>) {
    for comp in body.all(NS, "component") {
        for s in comp.all(NS, "section") {
            out.push(s);
            sections(s, out);
        }
    }
}

/// The `observationMedia` entries of the 添付書類 section that its table
/// does not list: a file referred to is an attachment (named by the last
/// part of the reference); data carried inline, or of a type Inkan does not
/// list, is named as 未表示の項目.
fn media_entries(s: &Element, letter: &mut ReferralLetter) {
    let mut listed: std::collections::HashSet<String> = letter
        .attachments
        .iter()
        .map(|a| a.file_name.to_lowercase())
        .collect();
    for media in s
        .all(NS, "entry")
        .filter_map(|e| e.child(NS, "observationMedia"))
    {
        let Some(value) = media.child(NS, "value") else {
            continue;
        };
        let media_type = value.attr("mediaType").unwrap_or("").trim();
        let reference = value
            .child(NS, "reference")
            .and_then(|r| r.attr("value"))
            .map(|v| v.rsplit('/').next().unwrap_or(v).trim())
            .filter(|v| !v.is_empty());
        if reference.is_some_and(|r| !listed.insert(r.to_lowercase())) {
            continue;
        }
        match (reference, AttachmentType::from_media_type(media_type)) {
            (Some(file), Some(t)) => letter.attachments.push(AttachmentRef {
                file_name: file.to_owned(),
                media_type: t,
                description: file.to_owned(),
            }),
            (Some(file), None) => letter
                .not_shown
                .push(format!("添付（{media_type}）：{file}")),
            (None, _) => letter
                .not_shown
                .push(format!("添付（{media_type}、文書に埋め込み）")),
        }
    }
}

fn find_table(e: &Element) -> Option<&Element> {
    e.elements().find_map(|c| {
        if c.name == "table" {
            Some(c)
        } else {
            find_table(c)
        }
    })
}

fn table_trs(table: &Element) -> Vec<&Element> {
    fn collect<'a>(e: &'a Element, rows: &mut Vec<&'a Element>) {
        for c in e.elements() {
            match c.name.as_str() {
                "tr" => rows.push(c),
                "thead" | "tbody" | "tfoot" => collect(c, rows),
                _ => {}
            }
        }
    }
    let mut trs = Vec::new();
    collect(table, &mut trs);
    trs
}

/// The column headings (`th`) of the first table in `text`.
fn table_heading(text: &Element) -> Vec<String> {
    find_table(text)
        .map(table_trs)
        .unwrap_or_default()
        .into_iter()
        .find(|tr| tr.elements().any(|c| c.name == "th"))
        .map(|tr| {
            tr.elements()
                .filter(|c| c.name == "th")
                .map(|c| to_text(c, None).trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn table_rows(text: &Element) -> Option<Vec<Vec<String>>> {
    let table = find_table(text)?;
    let mut rows = Vec::new();
    for tr in table_trs(table) {
        if tr.elements().any(|c| c.name == "th") {
            continue;
        }
        rows.push(
            tr.elements()
                .filter(|c| c.name == "td")
                .map(|c| to_text(c, None))
                .collect(),
        );
    }
    Some(rows)
}

fn append(target: &mut Option<String>, text: String) {
    if text.is_empty() {
        return;
    }
    match target {
        Some(t) => {
            t.push('\n');
            t.push_str(&text);
        }
        None => *target = Some(text),
    }
}

/// The Shift_JIS label the XML declaration at the start of `bytes` names
/// (`Shift_JIS`, `Windows-31J`, `CP932`, `SJIS`, `x-sjis`, any case), if it
/// names one. The declaration is ASCII in every encoding that can carry XML.
fn declared_shift_jis(bytes: &[u8]) -> Option<&'static str> {
    // A malformed declaration is not Shift_JIS: the UTF-8 parse then
    // reports it.
    let name = crate::xml::declaration(bytes).ok()??.encoding?;
    ["Shift_JIS", "Windows-31J", "CP932", "SJIS", "x-sjis"]
        .into_iter()
        .find(|l| l.eq_ignore_ascii_case(name))
}

/// The document's identifier, `ClinicalDocument/id`: `(urn:oid:<root>,
/// <extension>)`, or `(urn:ietf:rfc:3986, urn:oid:<root>)` without an
/// extension. `None` when the bytes are not a CDA document or have no id.
pub fn document_id(bytes: &[u8]) -> Option<(String, String)> {
    let decoded;
    let root = match declared_shift_jis(bytes) {
        Some(label) => {
            decoded = encoding_rs::SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(bytes)?;
            crate::xml::parse_decoded(&decoded, Some(label)).ok()?
        }
        None => crate::xml::parse(text_of(bytes).ok()?).ok()?,
    };
    if root.name != "ClinicalDocument" || root.ns.as_deref() != Some(NS) {
        return None;
    }
    let id = root.child(NS, "id")?;
    let oid = id.attr("root")?.trim();
    if oid.is_empty() {
        return None;
    }
    match id
        .attr("extension")
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(ext) => Some((format!("urn:oid:{oid}"), ext.to_owned())),
        None => Some(("urn:ietf:rfc:3986".into(), format!("urn:oid:{oid}"))),
    }
}

/// Reads an HS008 CDA document into the model, with the header and body
/// problems found. Fails when the bytes are not a CDA `ClinicalDocument`.
pub fn read(bytes: &[u8]) -> Result<Document, ReadError> {
    let decoded;
    let root = match declared_shift_jis(bytes) {
        Some(label) => {
            // Older Japanese systems write CDA in Shift_JIS (Windows-31J):
            // decoded strictly, a byte sequence that is not Shift_JIS is an
            // error, never a replacement character.
            if bytes.len() > crate::MAX_LETTER_BYTES {
                return Err(ReadError::TooLarge {
                    size: bytes.len(),
                    limit: crate::MAX_LETTER_BYTES,
                });
            }
            decoded = encoding_rs::SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or(ReadError::NotShiftJis)?;
            crate::xml::parse_decoded(&decoded, Some(label))?
        }
        None => crate::xml::parse(text_of(bytes)?)?,
    };
    if root.name != "ClinicalDocument" {
        return Err(ReadError::NotClinicalDocument {
            found: root.name.clone(),
        });
    }
    if root.ns.as_deref() != Some(NS) {
        return Err(ReadError::WrongNamespace {
            found: root.ns.clone(),
        });
    }
    let mut cx = Ctx {
        problems: Vec::new(),
    };

    // Header: fixed values of the Japanese CDA header.
    let type_id = cx.required(&root, "typeId");
    cx.fixed_attr(type_id, "/ClinicalDocument/typeId", "root", TYPE_ID_ROOT);
    cx.fixed_attr(
        type_id,
        "/ClinicalDocument/typeId",
        "extension",
        TYPE_ID_EXTENSION,
    );
    if !root
        .all(NS, "templateId")
        .any(|t| t.attr("root") == Some(TEMPLATE_ID))
    {
        cx.push(
            "/ClinicalDocument/templateId/@root",
            Rule::FixedValue {
                expected: TEMPLATE_ID.into(),
                found: root
                    .child(NS, "templateId")
                    .and_then(|t| t.attr("root"))
                    .unwrap_or_default()
                    .into(),
            },
        );
    }
    let id = cx.required(&root, "id");
    let code = cx.required(&root, "code");
    cx.fixed_attr(code, "/ClinicalDocument/code", "code", DOCUMENT_CODE);
    cx.fixed_attr(code, "/ClinicalDocument/code", "codeSystem", JMIX);
    if let Some(t) = cx.required(&root, "title") {
        let found = t.text().trim().to_owned();
        if found != TITLE {
            cx.push(
                "/ClinicalDocument/title",
                Rule::FixedValue {
                    expected: TITLE.into(),
                    found,
                },
            );
        }
    }
    let effective = cx.required(&root, "effectiveTime");
    let conf = cx.required(&root, "confidentialityCode");
    if let Some(c) = conf {
        let v = c.attr("code").unwrap_or_default();
        if !matches!(v, "N" | "R" | "V") {
            cx.push(
                "/ClinicalDocument/confidentialityCode/@code",
                Rule::Code {
                    value: v.into(),
                    allowed: "N, R, V".into(),
                },
            );
        }
    }
    let lang = cx.required(&root, "languageCode");
    cx.fixed_attr(lang, "/ClinicalDocument/languageCode", "code", "ja-JP");
    let set_id = cx.required(&root, "setId");
    let version_el = cx.required(&root, "versionNumber");
    let patient_role = root.path(NS, &["recordTarget", "patientRole"]);
    if patient_role.is_none() {
        cx.push("/ClinicalDocument/recordTarget/patientRole", Rule::Required);
    }
    let author = root
        .all(NS, "author")
        .find_map(|a| a.child(NS, "assignedAuthor"));
    if author.is_none() {
        cx.push("/ClinicalDocument/author/assignedAuthor", Rule::Required);
    }
    let custodian = root.path(
        NS,
        &[
            "custodian",
            "assignedCustodian",
            "representedCustodianOrganization",
        ],
    );
    if custodian.is_none() {
        cx.push(
            "/ClinicalDocument/custodian/assignedCustodian/representedCustodianOrganization",
            Rule::Required,
        );
    }
    let recipient = root
        .all(NS, "informationRecipient")
        .find_map(|r| r.child(NS, "intendedRecipient"));
    if recipient.is_none() {
        cx.push(
            "/ClinicalDocument/informationRecipient/intendedRecipient",
            Rule::Required,
        );
    }
    let legal = cx.required(&root, "legalAuthenticator");
    let legal_names = legal
        .and_then(|l| l.path(NS, &["assignedEntity", "assignedPerson"]))
        .map(|p| read_names(Some(p)));

    // Model: header items.
    let document_number = set_id
        .and_then(|s| s.attr("extension"))
        .or_else(|| id.and_then(|i| i.attr("extension")))
        .unwrap_or_default()
        .trim();
    // Under the shared arc the extension begins with the institution.
    let document_number = match set_id.and_then(|s| s.attr("root")) {
        Some(DOCUMENT_ID_ROOT) => document_number
            .split_once('^')
            .filter(|(inst, _)| crate::model::is_institution_number(inst))
            .map_or(document_number, |(_, n)| n),
        _ => document_number,
    }
    .to_owned();
    let version = match version_el.and_then(|v| v.attr("value")) {
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                cx.push(
                    "/ClinicalDocument/versionNumber/@value",
                    Rule::JsonType {
                        expected: "integer".into(),
                    },
                );
                1
            }
        },
        None => 1,
    };
    let created_raw = effective
        .and_then(|e| e.attr("value"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let created = match Stamp::from_cda(&created_raw) {
        Some(s) => s.iso(),
        None => {
            if effective.is_some() {
                cx.push(
                    "/ClinicalDocument/effectiveTime/@value",
                    Rule::DateTime {
                        value: created_raw.clone(),
                    },
                );
            }
            created_raw
        }
    };
    let category = match root
        .path(NS, &["componentOf", "encompassingEncounter", "code"])
        .and_then(|c| c.attr("code"))
    {
        Some("IMP") => Category::Discharge,
        _ => Category::Outpatient,
    };

    // Parties.
    let from_inst = {
        let mut inst = read_org(author.and_then(|a| a.child(NS, "representedOrganization")));
        // The custodian names the same institution; fill what the author lacks.
        let cust = read_org(custodian);
        if inst.number.is_empty() {
            inst.number = cust.number;
        }
        if inst.name.is_empty() {
            inst.name = cust.name;
        }
        inst.phone = inst.phone.or(cust.phone);
        inst.address = inst.address.or(cust.address);
        inst.postal_code = inst.postal_code.or(cust.postal_code);
        inst
    };
    let mut from_doctor = doctor(read_names(
        author.and_then(|a| a.child(NS, "assignedPerson")),
    ));
    if from_doctor.name.is_empty() {
        if let Some(n) = legal_names {
            from_doctor = doctor(n);
        }
    }
    let to_inst = read_org(recipient.and_then(|r| r.child(NS, "receivedOrganization")));
    let to_doctor = recipient
        .and_then(|r| r.child(NS, "informationRecipient"))
        .map(|p| doctor(read_names(Some(p))))
        .filter(|d| !d.name.is_empty());

    // Patient.
    let mut patient = Patient::blank();
    if let Some(role) = patient_role {
        let from_root = format!("{PATIENT_OID_PREFIX}{}", from_inst.number);
        let to_root = format!("{PATIENT_OID_PREFIX}{}", to_inst.number);
        let (mut from_id, mut to_id, mut other_id) = (None, None, None);
        let mut insurance: [Option<String>; 6] = Default::default();
        let insurance_roots = [
            INSURER_OID,
            INSURED_SYMBOL_OID,
            INSURED_NUMBER_OID,
            INSURED_BRANCH_OID,
            PUBLIC_PAYER_OID,
            PUBLIC_RECIPIENT_OID,
        ];
        for id in role.all(NS, "id") {
            let ext = id.attr("extension").unwrap_or_default().trim().to_owned();
            let root_attr = id.attr("root").unwrap_or_default();
            let slot = insurance_roots
                .iter()
                .position(|r| *r == root_attr)
                .or_else(|| JP_CORE_INSURANCE_OIDS.iter().position(|r| *r == root_attr));
            if let Some(i) = slot {
                insurance[i].get_or_insert(ext);
                continue;
            }
            // The assigning authority's name is explicit; the OID is the fallback
            // (and cannot tell the two apart when both institutions are one).
            let slot = match id.attr("assigningAuthorityName").unwrap_or_default() {
                "紹介元" => &mut from_id,
                "紹介先" => &mut to_id,
                _ if root_attr == from_root => &mut from_id,
                _ if root_attr == to_root => &mut to_id,
                _ => &mut other_id,
            };
            slot.get_or_insert(ext);
        }
        patient.id = from_id.or(other_id).unwrap_or_default();
        patient.recipient_id = to_id.filter(|i| !i.is_empty());
        let [insurer, symbol, number, branch, payer, recipient] = insurance;
        let part = |v: &Option<String>| v.clone().unwrap_or_default();
        if insurer.is_some() || symbol.is_some() || number.is_some() {
            patient.insurance_id = Some(format!(
                "{}:{}:{}:{}",
                part(&insurer),
                part(&symbol),
                part(&number),
                part(&branch)
            ));
        }
        if payer.is_some() || recipient.is_some() {
            patient.public_payer_id = Some(format!("{}::{}:", part(&payer), part(&recipient)));
        }
        let (postal, address) = read_addr(role);
        patient.postal_code = postal;
        patient.address = address;
        patient.phone = read_phone(role);
        match role.child(NS, "patient") {
            Some(p) => {
                let (name, kana) = read_names(Some(p));
                patient.name = name;
                patient.kana = kana.unwrap_or_default();
                if let Some(g) = p.child(NS, "administrativeGenderCode") {
                    patient.sex = match g.attr("code") {
                        Some("M") => Sex::Male,
                        Some("F") => Sex::Female,
                        Some("UN") => Sex::Other,
                        _ => Sex::Unknown,
                    };
                }
                let birth = p
                    .child(NS, "birthTime")
                    .and_then(|b| b.attr("value"))
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                patient.birth_date = match birth.get(..8).and_then(crate::date::Date::parse_compact)
                {
                    Some(d) if birth.len() == 8 => d.iso(),
                    _ => birth,
                };
            }
            None => cx.push(
                "/ClinicalDocument/recordTarget/patientRole/patient",
                Rule::Required,
            ),
        }
    }

    let mut letter = ReferralLetter::with_header(
        document_number,
        version,
        created,
        category,
        Referrer {
            institution: from_inst,
            doctor: from_doctor,
        },
        Recipient {
            institution: to_inst,
            doctor: to_doctor,
        },
        patient,
    );

    // Body.
    let body_path = "/ClinicalDocument/component/structuredBody";
    let Some(body) = root.path(NS, &["component", "structuredBody"]) else {
        cx.push(body_path, Rule::Required);
        return Ok(Document {
            format: Format::Hs008,
            letter: letter.normalized(),
            problems: cx.problems,
        });
    };
    let mut all = Vec::new();
    sections(body, &mut all);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut purpose = None;
    let mut present = None;
    let mut extra_remarks: Option<String> = None;
    for s in all {
        let title = s
            .child(NS, "title")
            .map(|t| t.text().trim().to_owned())
            .unwrap_or_default();
        let Some(text_el) = s.child(NS, "text") else {
            continue;
        };
        let skip = (canonical_section(s, &title) == "生活習慣").then_some(OCCUPATION_ID);
        let text = to_text(text_el, skip);
        let canonical = canonical_section(s, &title);
        if let Some(c) = SECTION_TITLES.iter().find(|t| **t == canonical) {
            *counts.entry(c).or_default() += 1;
        }
        match canonical {
            "紹介目的" => append(&mut purpose, text),
            "傷病名・主訴" => match table_rows(text_el) {
                Some(rows) => {
                    // The code is the column headed as Inkan heads it, never
                    // another writer's third column (a 診断日 or an ICD-10).
                    let code_column = table_heading(text_el)
                        .iter()
                        .position(|h| h == DIAGNOSIS_CODE_HEADING);
                    for row in rows {
                        let cell = |i: usize| row.get(i).cloned().filter(|c| !c.is_empty());
                        letter.diagnoses.push(Diagnosis {
                            name: cell(0).unwrap_or_default(),
                            onset: cell(1),
                            code: code_column.and_then(cell),
                        });
                    }
                }
                None => letter
                    .diagnoses
                    .extend(lines(&text).into_iter().map(|name| Diagnosis {
                        name,
                        onset: None,
                        code: None,
                    })),
            },
            "現病歴" => append(&mut present, text),
            "既往歴" => append(&mut letter.past_history, text),
            "家族歴" => append(&mut letter.family_history, text),
            "アレルギー" => append(&mut letter.allergies, text),
            "身体所見" => append(&mut letter.physical_findings, text),
            "感染症" => append(&mut letter.infections, text),
            "生活習慣" => {
                append(&mut letter.social_history, text);
                let occupation = s
                    .all(NS, "entry")
                    .filter_map(|e| e.child(NS, "observation"))
                    .find(|o| {
                        o.child(NS, "code").and_then(|c| c.attr("code")) == Some(OCCUPATION_LOINC)
                    })
                    .and_then(|o| o.child(NS, "value"))
                    .map(|v| v.text().trim().to_owned())
                    .or_else(|| {
                        fn find(e: &Element) -> Option<&Element> {
                            e.elements().find_map(|c| {
                                if c.attr("ID") == Some(OCCUPATION_ID) {
                                    Some(c)
                                } else {
                                    find(c)
                                }
                            })
                        }
                        find(text_el).map(|p| {
                            let t = to_text(p, None);
                            t.strip_prefix("職業：").unwrap_or(&t).trim().to_owned()
                        })
                    });
                if let Some(o) = occupation.filter(|o| !o.is_empty()) {
                    letter.patient.occupation = Some(o);
                }
            }
            "予防接種" => append(&mut letter.immunizations, text),
            "手術" => append(&mut letter.surgeries, text),
            "輸血" => append(&mut letter.transfusions, text),
            "処置" => append(&mut letter.procedures, text),
            "現在の処方" => letter.prescriptions.extend(lines(&text)),
            "検査結果" => append(&mut letter.test_results, text),
            "治療経過" => append(&mut letter.treatment_course, text),
            "添付書類" => {
                let path = format!("{body_path}/component/section[title={title}]/text");
                for row in table_rows(text_el).unwrap_or_default() {
                    let cells: Vec<String> = row;
                    let get = |i: usize| cells.get(i).cloned().unwrap_or_default();
                    match AttachmentType::from_media_type(&get(1)) {
                        Some(media_type) => letter.attachments.push(AttachmentRef {
                            file_name: get(0),
                            media_type,
                            description: get(2),
                        }),
                        None => cx.push(&path, Rule::AttachmentType { value: get(1) }),
                    }
                }
                media_entries(s, &mut letter);
            }
            "備考・連絡事項" => append(&mut letter.remarks, text),
            // Unknown sections: keep what the author wrote, under its title.
            _ => {
                if !text.is_empty() {
                    let label = if title.is_empty() {
                        "（無題）"
                    } else {
                        &title
                    };
                    append(&mut extra_remarks, format!("【{label}】\n{text}"));
                }
            }
        }
    }
    if let Some(extra) = extra_remarks {
        append(&mut letter.remarks, extra);
    }
    crate::model::cap_attachments(&mut letter);
    letter.not_shown = crate::model::tidy_not_shown(std::mem::take(&mut letter.not_shown));
    letter.purpose = purpose.unwrap_or_default();
    letter.present_illness = present.unwrap_or_default();
    for required in ["紹介目的", "傷病名・主訴", "現病歴"] {
        let n = counts.get(required).copied().unwrap_or(0);
        if n != 1 {
            cx.push(
                &format!("{body_path}/component/section[title={required}]"),
                Rule::Cardinality {
                    min: 1,
                    max: Some(1),
                    found: n,
                },
            );
        }
    }
    Ok(Document {
        format: Format::Hs008,
        letter: letter.normalized(),
        problems: cx.problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_round_trips_losslessly_and_byte_stably() {
        let letter = ReferralLetter::example();
        let xml = write(&letter).expect("write");
        assert_eq!(xml, write(&letter).expect("write again"));
        let doc = read(&xml).expect("read");
        assert_eq!(doc.problems, vec![]);
        assert_eq!(doc.letter, letter);
        assert_eq!(doc.format, Format::Hs008);
    }

    #[test]
    fn the_header_carries_the_japanese_cda_identifiers() {
        let xml =
            String::from_utf8(write(&ReferralLetter::example()).expect("write")).expect("utf8");
        for needle in [
            "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"",
            "<typeId root=\"2.16.840.1.113883.2.2.3.2\" extension=\"POCD_HD000040JP00\"/>",
            "<templateId root=\"2.16.840.1.113883.2.2.3.6.100\"/>",
            "code=\"MD0020730\" codeSystem=\"1.2.392.200119.5.3.1\" codeSystemName=\"JMIX\"",
            "<title>診療情報提供書</title>",
            "<effectiveTime value=\"20250314103000+0900\"/>",
            "<languageCode code=\"ja-JP\"/>",
            "root=\"1.2.392.100495.20.3.51.11310123456\" extension=\"00012345\" assigningAuthorityName=\"紹介元\"",
            "<legalAuthenticator>",
            "<title>備考・連絡事項</title>",
        ] {
            assert!(xml.contains(needle), "missing {needle}");
        }
    }

    #[test]
    fn section_order_and_extra_elements_are_tolerated() {
        let xml =
            String::from_utf8(write(&ReferralLetter::example()).expect("write")).expect("utf8");
        // Move the purpose section to the end and add foreign markup.
        let title = xml.find("<title>紹介目的").expect("purpose");
        let start = xml[..title].rfind("<component>").expect("component");
        let start = xml[..start].rfind('\n').map_or(0, |n| n + 1);
        let end =
            title + xml[title..].find("</component>\n").expect("end") + "</component>\n".len();
        let purpose = xml[start..end].to_owned();
        let mut moved = format!("{}{}", &xml[..start], &xml[end..]);
        let body_end = moved.find("  </structuredBody>").expect("body end");
        moved.insert_str(body_end, &purpose);
        moved = moved.replace(
            "<realmCode code=\"JP\"/>",
            "<realmCode code=\"JP\"/><x:extra xmlns:x=\"urn:example\">ignored</x:extra>",
        );
        let doc = read(moved.as_bytes()).expect("read");
        assert_eq!(doc.problems, vec![]);
        assert_eq!(doc.letter, ReferralLetter::example());
    }

    #[test]
    fn minimal_letter_round_trips() {
        let mut l = ReferralLetter::example();
        l.to.doctor = None;
        l.patient.occupation = None;
        l.patient.recipient_id = Some("A-77".into());
        l.patient.sex = Sex::Other;
        l.social_history = None;
        l.prescriptions.clear();
        l.attachments.clear();
        l.category = Category::Discharge;
        l.created = "2025-03-14".into();
        let doc = read(&write(&l).expect("write")).expect("read");
        assert_eq!(doc.problems, vec![]);
        assert_eq!(doc.letter, l);
    }

    #[test]
    fn invalid_letters_are_not_written() {
        let mut l = ReferralLetter::example();
        l.patient.kana = "やまだ".into();
        let err = write(&l).expect_err("invalid");
        assert_eq!(err.problems()[0].path, "patient.kana");
    }
}
