//! HS038 「診療情報提供書 HL7 FHIR 記述仕様」: a FHIR R4 document Bundle
//! conforming to `JP_Bundle_eReferral` (JP-CLINS, 電子カルテ情報共有サービス).
//!
//! # Structure (what [`validate`] enforces)
//! - Bundle: `type` = `document`; `identifier` system
//!   `http://jpfhir.jp/fhir/clins/bundle-identifier`, value
//!   `<保険医療機関番号>^<YYYY>^<ID ≤ 36 [A-Za-z0-9-]>`; `timestamp` an instant;
//!   every `fullUrl` a unique `urn:uuid:`; **the Composition first** (bdl-11).
//! - Composition: `status` final; `type` doc-typecodes `57133-1`; `category`
//!   `OUTPATIENT`|`DISCHARGE`; `title` 診療情報提供書; `date`; `subject` →
//!   Patient; `author` → Practitioner and Organization; `custodian` →
//!   Organization; `event.code.text` 診療情報提供書発行 with `period.start`;
//!   the `versionNumber` extension.
//! - Sections (system `http://jpfhir.jp/fhir/clins/CodeSystem/document-section`):
//!   920 紹介元情報 1..1, 910 紹介先情報 1..1, **exactly one of** 200 CDA参照
//!   or 300 構造情報; in 300: 950 紹介目的, 340 傷病名・主訴, 360 現病歴 1..1
//!   and the optional 370, 510, 550, 610, 520, 640, 530, 730, 740, 720, 430,
//!   620, 330 (0..1 each); then 220 備考・連絡情報, 210 添付情報, 230 PDF
//!   (0..1). FHIR cmp-1 / cmp-2, `emptyReason` codes, narrative status.
//! - Every `reference` resolves inside the Bundle (`urn:uuid:` to a fullUrl,
//!   `#id` to a contained resource) and points at the declared `type`.
//! - Every narrative `div`, anywhere, is in the FHIR XHTML subset ([`crate::xhtml`]).
//! - Identifiers: patient `urn:oid:1.2.392.100495.20.3.51.1<10桁>`,
//!   organizations `http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no`.
//!
//! - The JP-CLINS invariants of `InvariantsRules.fsh` (jami-fhir-jp-wg/
//!   clinical-core) that apply to the Patient: R1010 (at most one local
//!   patient ID, well formed), R1013 (the form of an insurance member or
//!   public-payer ID), R1113 (no ideographic space in names).
//!
//! # Writing
//! Text-only sections carry `text.status = additional` XHTML, and an
//! `emptyReason` only for 「特になし」 (`nilknown`); diagnoses, which the form
//! does not code, are a text-only section 340 as in the JP-CLINS NoEntry
//! example; the occupation is an Observation (LOINC 11341-5), attachments
//! DocumentReferences. Bundle, Composition and Patient carry
//! `meta.lastUpdated` and `meta.profile` with its version (`…|1`); the
//! Patient exactly one local identifier (the recipient's patient ID is a
//! line of section 910).
//! `urn:uuid` values are derived from the letter (see `uuid`), so the output
//! is byte-stable.
//!
//! # Reading
//! Structured entries are mapped into the model so nothing a doctor needs is
//! lost: diagnoses from `Condition.code` (text, else coding display) and onset;
//! purpose, allergies etc. from the section narrative, else from the entries;
//! DocumentReferences (210, 330) become attachments. A Bundle with a 200 CDA
//! reference is read through the embedded HS008 document.

use crate::date::{parse_partial, DateTime, Stamp};
use crate::detect::Format;
use crate::error::{text_of, ReadError, WriteError};
use crate::json::{obj, s, to_bytes, RawNumbers, J};
use crate::model::{
    is_institution_number, AttachmentRef, AttachmentType, Category, Diagnosis, Doctor, Institution,
    Patient, Recipient, ReferralLetter, Referrer, Sex,
};
use crate::narrative::lines;
use crate::problem::{Problem, Rule};
use crate::uuid::{derive, is_uuid};
use crate::xhtml;
use crate::Document;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::collections::HashSet;

/// Profile of the Bundle.
pub const BUNDLE_PROFILE: &str =
    "http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eReferral";
/// Profile of the Patient.
pub const PATIENT_PROFILE: &str = "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Patient_eCS";
/// A coded diagnosis (傷病名情報).
pub const CONDITION_PROFILE: &str =
    "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Condition_eCS";
/// MEDIS 標準病名マスター 病名管理番号, as the JP-CLINS authors' example
/// codes a Condition.
pub const MEDIS_DISEASE_SYSTEM: &str = "http://medis.or.jp/CodeSystem/master-disease-keyNumber";
/// `identifier.system` of every JP-CLINS resource instance.
pub const RESOURCE_ID_SYSTEM: &str =
    "http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier";
/// The profile version written in `meta.profile` (`<profile>|1`), as the
/// JP-CLINS authors' examples do.
pub const PROFILE_VERSION: &str = "1";
/// 被保険者個人識別子 (JP-CLINS R1012, R1013).
pub const INSURANCE_ID_SYSTEM: &str = "http://jpfhir.jp/fhir/clins/Idsystem/JP_Insurance_memberID";
/// 公費受給者識別子 (JP-CLINS R1012).
pub const PUBLIC_PAYER_ID_SYSTEM: &str =
    "http://jpfhir.jp/fhir/clins/Idsystem/JP_PublicPayer_memberID";
/// Profile of the Composition.
pub const COMPOSITION_PROFILE: &str =
    "http://jpfhir.jp/fhir/eReferral/StructureDefinition/JP_Composition_eReferral";
/// Bundle.identifier.system.
pub const BUNDLE_ID_SYSTEM: &str = "http://jpfhir.jp/fhir/clins/bundle-identifier";
/// Composition.type system.
pub const DOC_TYPE_SYSTEM: &str = "http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes";
/// Composition.type code: 診療情報提供書.
pub const DOC_TYPE_CODE: &str = "57133-1";
/// Composition.category system.
pub const DOC_SUBTYPE_SYSTEM: &str = "http://jpfhir.jp/fhir/Common/CodeSystem/doc-subtypecodes";
/// Section code system.
pub const SECTION_SYSTEM: &str = "http://jpfhir.jp/fhir/clins/CodeSystem/document-section";
/// The section codes of the earlier eReferral IG v1.x (same codes, no 230).
pub const EREFERRAL_V1_SECTION_SYSTEM: &str =
    "http://jpfhir.jp/fhir/eReferral/CodeSystem/document-section";
/// `Bundle.identifier.system` of the eReferral IG v1.x (any value).
pub const EREFERRAL_V1_BUNDLE_ID_SYSTEM: &str =
    "http://jpfhir.jp/fhir/core/IdSystem/documentInstance-identifier";
/// The Bundle profile of the eReferral IG v1.x.
pub const EREFERRAL_V1_BUNDLE_PROFILE: &str =
    "http://jpfhir.jp/fhir/eReferral/StructureDefinition/JP_Bundle_eReferral";
/// The versionNumber extension.
pub const VERSION_EXTENSION: &str =
    "http://hl7.org/fhir/StructureDefinition/composition-clinicaldocument-versionNumber";
/// Patient identifier system prefix (+ the issuing institution's number).
pub const PATIENT_ID_PREFIX: &str = "urn:oid:1.2.392.100495.20.3.51.1";
/// Organization identifier system: 保険医療機関番号.
pub const INSTITUTION_SYSTEM: &str =
    "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no";
const EMPTY_REASON_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/list-empty-reason";
const NAME_REPRESENTATION: &str =
    "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation";
const DEPARTMENT_EXTENSION: &str =
    "http://jpfhir.jp/fhir/eCS/Extension/StructureDefinition/JP_eCS_Department";
const PREFECTURE_EXTENSION: &str =
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_PrefectureNo";
const FEE_TABLE_EXTENSION: &str =
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_InsuranceOrganizationCategory";
const INSTITUTION_CODE_EXTENSION: &str =
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_InsuranceOrganizationNo";
const LOINC: &str = "http://loinc.org";
const OCCUPATION_LOINC: &str = "11341-5";
const TITLE: &str = "診療情報提供書";
const EVENT_TEXT: &str = "診療情報提供書発行";
const NILKNOWN_TEXT: &str = "特になし";

/// The top-level sections: code, title, allowed occurrences.
const TOP_SECTIONS: [(&str, &str, u32, u32); 7] = [
    ("920", "紹介元情報", 1, 1),
    ("910", "紹介先情報", 1, 1),
    ("200", "CDA参照", 0, 1),
    ("300", "構造情報", 0, 1),
    ("220", "備考・連絡情報", 0, u32::MAX),
    ("210", "添付情報", 0, u32::MAX),
    ("230", "PDF", 0, u32::MAX),
];

/// The sections inside 300 構造情報: code, title, allowed occurrences.
const STRUCTURED_SECTIONS: [(&str, &str, u32, u32); 20] = [
    ("950", "紹介目的", 1, 1),
    ("340", "傷病名・主訴", 1, 1),
    ("360", "現病歴", 1, 1),
    ("370", "既往歴", 0, 1),
    ("510", "アレルギー・不耐性反応", 0, 1),
    ("550", "家族歴", 0, 1),
    ("610", "身体所見", 0, 1),
    ("520", "感染症情報", 0, 1),
    ("640", "社会歴・生活習慣", 0, 1),
    ("530", "予防接種歴", 0, 1),
    ("730", "手術", 0, 1),
    ("740", "輸血歴", 0, 1),
    ("720", "処置", 0, 1),
    ("430", "投薬指示", 0, 1),
    ("620", "検査結果", 0, 1),
    ("330", "臨床経過", 0, 1),
    // In JP_Composition_eReferral but not in Inkan's form: accepted from
    // other writers.
    ("420", "診療方針指示", 0, 1),
    ("810", "医療機器", 0, 1),
    ("410", "事前指示", 0, 1),
    ("830", "臨床研究参加", 0, 1),
];

const EMPTY_REASONS: [&str; 6] = [
    "nilknown",
    "notasked",
    "withheld",
    "unavailable",
    "notstarted",
    "closed",
];

// ---------------------------------------------------------------------------
// JSON access helpers: absent or mistyped members read as absent; the
// validator reports the type problems it cares about.

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| o.get(key))
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    get(v, key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn codings(cc: Option<&Value>) -> impl Iterator<Item = (&str, &str)> {
    cc.map(|c| arr(c, "coding")).unwrap_or(&[]).iter().map(|c| {
        (
            str_of(c, "system").unwrap_or(""),
            str_of(c, "code").unwrap_or(""),
        )
    })
}

fn section_code(section: &Value) -> Option<&str> {
    codings(get(section, "code"))
        .find(|(sys, _)| *sys == SECTION_SYSTEM || *sys == EREFERRAL_V1_SECTION_SYSTEM)
        .map(|(_, code)| code)
}

/// Whether the Bundle is written to the earlier eReferral IG v1.x (its
/// profile or its identifier system says so), not to JP-CLINS.
fn is_ereferral_v1(bundle: &Value) -> bool {
    arr(get(bundle, "meta").unwrap_or(&Value::Null), "profile")
        .iter()
        .filter_map(Value::as_str)
        .any(|p| p.split('|').next() == Some(EREFERRAL_V1_BUNDLE_PROFILE))
        || get(bundle, "identifier").and_then(|i| str_of(i, "system"))
            == Some(EREFERRAL_V1_BUNDLE_ID_SYSTEM)
}

/// CodeableConcept text, else the first coding display.
fn concept_text(cc: Option<&Value>) -> Option<String> {
    let cc = cc?;
    str_of(cc, "text")
        .or_else(|| arr(cc, "coding").iter().find_map(|c| str_of(c, "display")))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The Bundle's resources by fullUrl, and what reading them may still
/// cost.
///
/// A reference can name a resource any number of times, so what the views
/// take from referenced resources is bounded in bytes (`budget`), each
/// DocumentReference is listed once, and the Binary of a CDA is decoded at
/// most once and only a few times in all: the letter shown stays of the
/// order of the letter received, and reading it stays linear.
struct Index<'a> {
    by_url: BTreeMap<&'a str, (usize, &'a Value)>,
    budget: Cell<usize>,
    over_budget: Cell<bool>,
    listed: RefCell<HashSet<usize>>,
    cda_tries: Cell<usize>,
    raw_numbers: RawNumbers,
}

/// CDA documents decoded and parsed per letter, at most.
const MAX_CDA_TRIES: usize = 4;

impl<'a> Index<'a> {
    fn new(bundle: &'a Value) -> Self {
        let mut by_url = BTreeMap::new();
        for (i, e) in arr(bundle, "entry").iter().enumerate() {
            if let (Some(url), Some(res)) = (str_of(e, "fullUrl"), get(e, "resource")) {
                by_url.entry(url).or_insert((i, res));
            }
        }
        Index {
            by_url,
            budget: Cell::new(usize::MAX),
            over_budget: Cell::new(false),
            listed: RefCell::new(HashSet::new()),
            cda_tries: Cell::new(MAX_CDA_TRIES),
            raw_numbers: RawNumbers::default(),
        }
    }

    fn resolve(&self, reference: Option<&Value>) -> Option<&'a Value> {
        let r = str_of(reference?, "reference")?;
        self.by_url.get(r).map(|(_, v)| *v)
    }

    fn resolve_entry(&self, reference: Option<&Value>) -> Option<(usize, &'a Value)> {
        let r = str_of(reference?, "reference")?;
        self.by_url.get(r).copied()
    }

    /// Takes `n` bytes from the budget; false (and remembered) when spent.
    fn spend(&self, n: usize) -> bool {
        match self.budget.get().checked_sub(n) {
            Some(left) => {
                self.budget.set(left);
                true
            }
            None => {
                self.over_budget.set(true);
                false
            }
        }
    }

    fn resolve_index(&self, reference: Option<&Value>) -> Option<usize> {
        let r = str_of(reference?, "reference")?;
        self.by_url.get(r).map(|(i, _)| *i)
    }
}

fn resource_type(v: &Value) -> &str {
    str_of(v, "resourceType").unwrap_or("")
}

// ---------------------------------------------------------------------------
// Validation

struct V<'a> {
    problems: Vec<Problem>,
    index: Index<'a>,
}

impl V<'_> {
    fn push(&mut self, path: impl Into<String>, rule: Rule) {
        self.problems.push(Problem::new(path, rule));
    }

    fn fixed(&mut self, path: String, found: Option<&str>, expected: &str) {
        match found {
            None => self.push(path, Rule::Required),
            Some(f) if f != expected => self.push(
                path,
                Rule::FixedValue {
                    expected: expected.into(),
                    found: f.into(),
                },
            ),
            Some(_) => {}
        }
    }

    /// A reference member that must resolve to one of `types`.
    fn reference_to(
        &mut self,
        path: String,
        reference: Option<&Value>,
        types: &[&str],
    ) -> Option<usize> {
        let Some(r) = reference else {
            self.push(path, Rule::Required);
            return None;
        };
        if str_of(r, "reference").is_none() {
            self.push(format!("{path}.reference"), Rule::Required);
            return None;
        }
        // Dangling references are reported by the walk over all references.
        let target = self.index.resolve(Some(r))?;
        let found = resource_type(target);
        if !types.contains(&found) {
            self.push(
                format!("{path}.reference"),
                Rule::ReferenceType {
                    expected: types.join(" / "),
                    found: found.into(),
                },
            );
        }
        self.index.resolve_index(Some(r))
    }

    /// Walks a resource: narrative XHTML and references, wherever they are.
    fn walk(&mut self, v: &Value, path: &str, contained_ids: &HashSet<&str>, parent_key: &str) {
        match v {
            Value::Object(o) => {
                if parent_key == "text" {
                    if let Some(div) = o.get("div") {
                        match div.as_str() {
                            Some(d) => {
                                for r in xhtml::check(d) {
                                    self.push(format!("{path}.div"), Rule::Xhtml(r));
                                }
                            }
                            None => self.push(
                                format!("{path}.div"),
                                Rule::JsonType {
                                    expected: "string".into(),
                                },
                            ),
                        }
                    }
                    if let Some(st) = o.get("status").and_then(Value::as_str) {
                        if !matches!(st, "generated" | "extensions" | "additional" | "empty") {
                            self.push(
                                format!("{path}.status"),
                                Rule::Code {
                                    value: st.into(),
                                    allowed: "generated, extensions, additional, empty".into(),
                                },
                            );
                        }
                    }
                }
                if let Some(r) = o.get("reference").and_then(Value::as_str) {
                    self.check_reference(
                        r,
                        o.get("type").and_then(Value::as_str),
                        path,
                        contained_ids,
                    );
                }
                for (k, child) in o {
                    if k == "div" && parent_key == "text" {
                        continue;
                    }
                    self.walk(child, &format!("{path}.{k}"), contained_ids, k);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, &format!("{path}[{i}]"), contained_ids, parent_key);
                }
            }
            _ => {}
        }
    }

    fn check_reference(
        &mut self,
        r: &str,
        declared: Option<&str>,
        path: &str,
        contained_ids: &HashSet<&str>,
    ) {
        let rpath = format!("{path}.reference");
        if let Some(local) = r.strip_prefix('#') {
            if !local.is_empty() && !contained_ids.contains(local) {
                self.push(
                    rpath,
                    Rule::DanglingReference {
                        reference: r.into(),
                    },
                );
            }
            return;
        }
        match self.index.by_url.get(r) {
            None => self.push(
                rpath,
                Rule::DanglingReference {
                    reference: r.into(),
                },
            ),
            Some((_, target)) => {
                let found = resource_type(target);
                if let Some(t) = declared {
                    if t != found {
                        self.push(
                            format!("{path}.type"),
                            Rule::ReferenceType {
                                expected: t.into(),
                                found: found.into(),
                            },
                        );
                    }
                }
            }
        }
    }

    fn section_common(&mut self, s: &Value, path: &str) {
        match str_of(s, "title") {
            Some(t) if !t.trim().is_empty() => {}
            _ => self.push(format!("{path}.title"), Rule::Required),
        }
        let has_text = get(s, "text").is_some();
        let entries = arr(s, "entry");
        let subs = arr(s, "section");
        if !has_text && entries.is_empty() && subs.is_empty() {
            self.push(path.to_owned(), Rule::EmptySection);
        }
        if let Some(er) = get(s, "emptyReason") {
            if !entries.is_empty() {
                self.push(format!("{path}.emptyReason"), Rule::EmptyReasonWithEntries);
            }
            let ok = codings(Some(er))
                .any(|(sys, code)| sys == EMPTY_REASON_SYSTEM && EMPTY_REASONS.contains(&code));
            if !ok {
                let found = codings(Some(er)).next().map(|(_, c)| c).unwrap_or("");
                self.push(
                    format!("{path}.emptyReason"),
                    Rule::Code {
                        value: found.into(),
                        allowed: EMPTY_REASONS.join(", "),
                    },
                );
            }
        }
        for (i, e) in entries.iter().enumerate() {
            if str_of(e, "reference").is_none() {
                self.push(format!("{path}.entry[{i}].reference"), Rule::Required);
            }
        }
    }

    /// Checks a list of sections against the allowed codes and cardinalities.
    fn sections(
        &mut self,
        list: &[Value],
        path: &str,
        allowed: &[(&str, &str, u32, u32)],
    ) -> BTreeMap<String, usize> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (i, s) in list.iter().enumerate() {
            let spath = format!("{path}[{i}]");
            self.section_common(s, &spath);
            match section_code(s) {
                None => self.push(format!("{spath}.code"), Rule::Required),
                Some(code) => {
                    if allowed.iter().any(|(c, ..)| *c == code) {
                        *counts.entry(code.to_owned()).or_default() += 1;
                    } else {
                        self.push(
                            format!("{spath}.code"),
                            Rule::UnknownSection { code: code.into() },
                        );
                    }
                }
            }
        }
        for (code, title, min, max) in allowed {
            let n = counts.get(*code).copied().unwrap_or(0);
            // 200/300 are judged together below.
            if (*code == "200" || *code == "300") && n <= 1 {
                continue;
            }
            let max = (*max != u32::MAX).then_some(*max);
            if n < *min as usize || max.is_some_and(|m| n > m as usize) {
                self.push(
                    format!("{path}.where(code='{code}' {title})"),
                    Rule::Cardinality {
                        min: *min,
                        max,
                        found: n,
                    },
                );
            }
        }
        counts
    }
}

fn is_instant(s: &str) -> bool {
    DateTime::parse(s).is_some()
}

fn bundle_identifier_ok(value: &str) -> bool {
    let parts: Vec<&str> = value.split('^').collect();
    matches!(parts.as_slice(), [inst, year, id]
        if is_institution_number(inst)
            && year.len() == 4
            && year.bytes().all(|b| b.is_ascii_digit())
            && crate::model::is_document_number(id))
}

/// Every structural problem of a JP_Bundle_eReferral Bundle (already parsed
/// JSON). Empty when the Bundle conforms to the rules listed in the module
/// documentation.
pub fn validate(bundle: &Value) -> Vec<Problem> {
    let mut v = V {
        problems: Vec::new(),
        index: Index::new(bundle),
    };
    if resource_type(bundle) != "Bundle" {
        v.push(
            "Bundle.resourceType",
            Rule::FixedValue {
                expected: "Bundle".into(),
                found: resource_type(bundle).into(),
            },
        );
        return v.problems;
    }
    v.fixed("Bundle.type".into(), str_of(bundle, "type"), "document");
    let v1 = is_ereferral_v1(bundle);
    match get(bundle, "identifier") {
        None => v.push("Bundle.identifier", Rule::Required),
        // eReferral IG v1.x: its own system, any non-empty value.
        Some(id) if v1 => {
            v.fixed(
                "Bundle.identifier.system".into(),
                str_of(id, "system"),
                EREFERRAL_V1_BUNDLE_ID_SYSTEM,
            );
            if str_of(id, "value").is_none_or(|s| s.trim().is_empty()) {
                v.push("Bundle.identifier.value", Rule::Required);
            }
        }
        Some(id) => {
            v.fixed(
                "Bundle.identifier.system".into(),
                str_of(id, "system"),
                BUNDLE_ID_SYSTEM,
            );
            match str_of(id, "value") {
                None => v.push("Bundle.identifier.value", Rule::Required),
                Some(val) if !bundle_identifier_ok(val) => v.push(
                    "Bundle.identifier.value",
                    Rule::BundleIdentifier { value: val.into() },
                ),
                Some(_) => {}
            }
        }
    }
    match str_of(bundle, "timestamp") {
        None => v.push("Bundle.timestamp", Rule::Required),
        Some(t) if !is_instant(t) => v.push("Bundle.timestamp", Rule::Instant { value: t.into() }),
        Some(_) => {}
    }

    let entries = match get(bundle, "entry") {
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            v.push(
                "Bundle.entry",
                Rule::JsonType {
                    expected: "array".into(),
                },
            );
            &[]
        }
        None => &[],
    };
    if entries.is_empty() {
        v.push(
            "Bundle.entry",
            Rule::Cardinality {
                min: 1,
                max: None,
                found: 0,
            },
        );
    }
    let mut seen_urls: HashSet<&str> = HashSet::new();
    let mut compositions = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let path = format!("Bundle.entry[{i}]");
        match str_of(e, "fullUrl") {
            None => v.push(format!("{path}.fullUrl"), Rule::Required),
            Some(url) => {
                let ok = url.strip_prefix("urn:uuid:").is_some_and(is_uuid);
                if !ok {
                    v.push(
                        format!("{path}.fullUrl"),
                        Rule::FullUrl { value: url.into() },
                    );
                }
                if !seen_urls.insert(url) {
                    v.push(
                        format!("{path}.fullUrl"),
                        Rule::Duplicate { value: url.into() },
                    );
                }
            }
        }
        let Some(res) = get(e, "resource").filter(|r| r.is_object()) else {
            v.push(format!("{path}.resource"), Rule::Required);
            continue;
        };
        if str_of(res, "resourceType").is_none() {
            v.push(format!("{path}.resource.resourceType"), Rule::Required);
        }
        if resource_type(res) == "Composition" {
            compositions.push(i);
        }
        let contained: HashSet<&str> = arr(res, "contained")
            .iter()
            .filter_map(|c| str_of(c, "id"))
            .collect();
        v.walk(res, &format!("{path}.resource"), &contained, "resource");
    }

    match entries.first().and_then(|e| get(e, "resource")) {
        Some(first) if resource_type(first) != "Composition" => v.push(
            "Bundle.entry[0].resource.resourceType",
            Rule::FirstNotComposition {
                found: resource_type(first).into(),
            },
        ),
        _ => {}
    }
    if compositions.is_empty() {
        if !entries.is_empty() {
            v.push("Bundle.entry", Rule::NoComposition);
        }
        return v.problems;
    }
    if compositions.len() > 1 {
        v.push(
            "Bundle.entry.resource.ofType(Composition)",
            Rule::Cardinality {
                min: 1,
                max: Some(1),
                found: compositions.len(),
            },
        );
    }
    let ci = compositions[0];
    let Some(comp) = entries.get(ci).and_then(|e| get(e, "resource")) else {
        return v.problems;
    };
    let cp = format!("Bundle.entry[{ci}].resource");
    v.fixed(format!("{cp}.status"), str_of(comp, "status"), "final");
    if !codings(get(comp, "type")).any(|(s, c)| s == DOC_TYPE_SYSTEM && c == DOC_TYPE_CODE) {
        let found = codings(get(comp, "type"))
            .next()
            .map(|(s, c)| format!("{s}#{c}"))
            .unwrap_or_default();
        v.push(
            format!("{cp}.type"),
            Rule::FixedValue {
                expected: format!("{DOC_TYPE_SYSTEM}#{DOC_TYPE_CODE}"),
                found,
            },
        );
    }
    let cats: Vec<(&str, &str)> = arr(comp, "category")
        .iter()
        .flat_map(|c| codings(Some(c)))
        .filter(|(s, _)| *s == DOC_SUBTYPE_SYSTEM)
        .collect();
    // eReferral IG v1.x fixes the category to the document type itself.
    let v1_category = v1
        && arr(comp, "category")
            .iter()
            .flat_map(|c| codings(Some(c)))
            .any(|(s, c)| s == DOC_TYPE_SYSTEM && c == DOC_TYPE_CODE);
    match cats.first() {
        None if v1_category => {}
        None => v.push(format!("{cp}.category"), Rule::Required),
        Some((_, code)) if !matches!(*code, "OUTPATIENT" | "DISCHARGE") => v.push(
            format!("{cp}.category"),
            Rule::Code {
                value: (*code).into(),
                allowed: "OUTPATIENT, DISCHARGE".into(),
            },
        ),
        Some(_) => {}
    }
    v.fixed(format!("{cp}.title"), str_of(comp, "title"), TITLE);
    match str_of(comp, "date") {
        None => v.push(format!("{cp}.date"), Rule::Required),
        Some(d) if Stamp::from_fhir(d).is_none() => {
            v.push(format!("{cp}.date"), Rule::DateTime { value: d.into() })
        }
        Some(_) => {}
    }
    let patient_idx = v.reference_to(format!("{cp}.subject"), get(comp, "subject"), &["Patient"]);
    let authors = arr(comp, "author");
    let author_types: Vec<&str> = authors
        .iter()
        .filter_map(|a| v.index.resolve(Some(a)))
        .map(resource_type)
        .collect();
    for needed in ["Practitioner", "Organization"] {
        if !author_types.contains(&needed) {
            v.push(
                format!("{cp}.author"),
                Rule::ReferenceType {
                    expected: needed.into(),
                    found: if author_types.is_empty() {
                        "-".into()
                    } else {
                        author_types.join(", ")
                    },
                },
            );
        }
    }
    v.reference_to(
        format!("{cp}.custodian"),
        get(comp, "custodian"),
        &["Organization"],
    );
    match arr(comp, "event").first() {
        None => v.push(format!("{cp}.event"), Rule::Required),
        Some(ev) => {
            let text = arr(ev, "code").iter().find_map(|c| str_of(c, "text"));
            v.fixed(format!("{cp}.event[0].code[0].text"), text, EVENT_TEXT);
            match get(ev, "period").and_then(|p| str_of(p, "start")) {
                None => v.push(format!("{cp}.event[0].period.start"), Rule::Required),
                Some(s) if Stamp::from_fhir(s).is_none() => v.push(
                    format!("{cp}.event[0].period.start"),
                    Rule::DateTime { value: s.into() },
                ),
                Some(_) => {}
            }
        }
    }
    if !arr(comp, "extension")
        .iter()
        .any(|e| str_of(e, "url") == Some(VERSION_EXTENSION) && str_of(e, "valueString").is_some())
    {
        v.push(
            format!("{cp}.extension.where(url='{VERSION_EXTENSION}')"),
            Rule::Required,
        );
    }

    // Sections.
    let sections = arr(comp, "section");
    let counts = v.sections(sections, &format!("{cp}.section"), &TOP_SECTIONS);
    let (cda, structured) = (
        counts.get("200").copied().unwrap_or(0),
        counts.get("300").copied().unwrap_or(0),
    );
    if cda + structured != 1 {
        v.push(
            format!("{cp}.section"),
            Rule::CdaXorStructured { cda, structured },
        );
    }
    for (i, s) in sections.iter().enumerate() {
        let spath = format!("{cp}.section[{i}]");
        let entries = arr(s, "entry");
        let kinds: Vec<&str> = entries
            .iter()
            .filter_map(|e| v.index.resolve(Some(e)))
            .map(resource_type)
            .collect();
        let need = |v: &mut V<'_>, ty: &str| {
            if !kinds.contains(&ty) {
                v.push(
                    format!("{spath}.entry"),
                    Rule::ReferenceType {
                        expected: ty.into(),
                        found: if kinds.is_empty() {
                            "-".into()
                        } else {
                            kinds.join(", ")
                        },
                    },
                );
            }
        };
        match section_code(s) {
            Some("920") => {
                need(&mut v, "Organization");
                need(&mut v, "Practitioner");
                for e in entries {
                    if let Some(i) = v.index.resolve_index(Some(e)) {
                        check_organization(&mut v, entries_at(bundle, i), i);
                    }
                }
            }
            Some("910") => {
                need(&mut v, "Organization");
                for e in entries {
                    if let Some(i) = v.index.resolve_index(Some(e)) {
                        check_organization(&mut v, entries_at(bundle, i), i);
                    }
                }
            }
            Some("200") => need(&mut v, "DocumentReference"),
            Some("300") => {
                v.sections(
                    arr(s, "section"),
                    &format!("{spath}.section"),
                    &STRUCTURED_SECTIONS,
                );
            }
            _ => {}
        }
    }

    if let Some(pi) = patient_idx {
        if let Some(p) = entries_at(bundle, pi) {
            // The eReferral IG v1 Patient is JP Core's, without R1012.
            let clins = !is_ereferral_v1(bundle);
            patient_invariants(&mut v, p, &format!("Bundle.entry[{pi}].resource"), clins);
        }
    }
    v.problems
}

/// `[^:^\s^　]` of the JP-CLINS patterns: no colon, caret, white space or
/// ideographic space.
fn id_part_char(c: char) -> bool {
    !matches!(c, ':' | '^' | '\u{3000}') && !c.is_whitespace()
}

/// R1013: `^[0-9]{8}:[^:^\s^　]*:[^:^\s^　]*:(.{0}|[0-9][0-9])$`.
pub fn is_insurance_member_id(value: &str) -> bool {
    let parts: Vec<&str> = value.split(':').collect();
    matches!(parts.as_slice(), [insurer, symbol, number, branch]
        if insurer.len() == 8
            && insurer.bytes().all(|b| b.is_ascii_digit())
            && symbol.chars().all(id_part_char)
            && number.chars().all(id_part_char)
            && (branch.is_empty() || (branch.len() == 2 && branch.bytes().all(|b| b.is_ascii_digit()))))
}

/// R1013 (public payer): `^[0-9]{8}::[^:^\s^　]{7}:$`.
pub fn is_public_payer_id(value: &str) -> bool {
    let parts: Vec<&str> = value.split(':').collect();
    matches!(parts.as_slice(), [payer, "", recipient, ""]
        if payer.len() == 8
            && payer.bytes().all(|b| b.is_ascii_digit())
            && recipient.chars().count() == 7
            && recipient.chars().all(id_part_char))
}

/// The JP_Patient_eCS invariants of `InvariantsRules.fsh`
/// (jami-fhir-jp-wg/clinical-core) that a received letter must meet.
fn patient_invariants(v: &mut V<'_>, p: &Value, path: &str, clins: bool) {
    const LOCAL_PREFIX: &str = "urn:oid:1.2.392.100495.20.3.51.";
    let ids = arr(p, "identifier");
    // R1010: at most one local patient ID, and its system is
    // LOCAL_PREFIX + "1" + a 10-digit institution number.
    let local: Vec<&str> = ids
        .iter()
        .filter_map(|id| str_of(id, "system"))
        .filter(|s| s.starts_with(LOCAL_PREFIX))
        .collect();
    let well_formed = |s: &str| {
        s.strip_prefix(LOCAL_PREFIX)
            .and_then(|r| r.strip_prefix('1'))
            .is_some_and(is_institution_number)
    };
    if local.len() > 1 || local.iter().any(|s| !well_formed(s)) {
        v.push(
            format!("{path}.identifier"),
            Rule::Invariant {
                id: "R1010".into(),
                value: Some(local.join(", ")),
            },
        );
    }
    // R1012: exactly one insurance member ID or public-payer ID, not both.
    let insurance_ids = ids
        .iter()
        .filter(|id| {
            matches!(
                str_of(id, "system"),
                Some(INSURANCE_ID_SYSTEM | PUBLIC_PAYER_ID_SYSTEM)
            )
        })
        .count();
    if clins && insurance_ids != 1 {
        v.push(
            format!("{path}.identifier"),
            Rule::Invariant {
                id: "R1012".into(),
                value: None,
            },
        );
    }
    // R1013: the form of an insurance member ID or public-payer ID, when given.
    for (system, id, ok) in [
        (
            INSURANCE_ID_SYSTEM,
            "R1013",
            is_insurance_member_id as fn(&str) -> bool,
        ),
        (
            PUBLIC_PAYER_ID_SYSTEM,
            "R1013-publicPayer",
            is_public_payer_id,
        ),
    ] {
        for (i, ident) in ids.iter().enumerate() {
            if str_of(ident, "system") != Some(system) {
                continue;
            }
            let value = str_of(ident, "value").unwrap_or_default();
            if !ok(value) {
                v.push(
                    format!("{path}.identifier[{i}].value"),
                    Rule::Invariant {
                        id: id.into(),
                        value: Some(value.into()),
                    },
                );
            }
        }
    }
    // R1113: no ideographic space in a kanji or kana name.
    for (i, n) in arr(p, "name").iter().enumerate() {
        let has_representation = arr(n, "extension")
            .iter()
            .any(|e| str_of(e, "url") == Some(NAME_REPRESENTATION));
        if let Some(text) =
            str_of(n, "text").filter(|t| has_representation && t.contains('\u{3000}'))
        {
            v.push(
                format!("{path}.name[{i}].text"),
                Rule::Invariant {
                    id: "R1113".into(),
                    value: Some(text.into()),
                },
            );
        }
    }
}

fn entries_at(bundle: &Value, i: usize) -> Option<&Value> {
    arr(bundle, "entry").get(i).and_then(|e| get(e, "resource"))
}

fn check_organization(v: &mut V<'_>, org: Option<&Value>, i: usize) {
    let Some(org) = org.filter(|o| resource_type(o) == "Organization") else {
        return;
    };
    let path = format!("Bundle.entry[{i}].resource.identifier");
    match arr(org, "identifier")
        .iter()
        .find(|id| str_of(id, "system") == Some(INSTITUTION_SYSTEM))
        .and_then(|id| str_of(id, "value"))
    {
        None => v.push(
            format!("{path}.where(system='{INSTITUTION_SYSTEM}')"),
            Rule::Required,
        ),
        Some(n) if !is_institution_number(n) => v.push(
            format!("{path}.value"),
            Rule::InstitutionNumber { value: n.into() },
        ),
        Some(_) => {}
    }
}

// ---------------------------------------------------------------------------
// Reading

/// Reads an HS038 Bundle into the model, with every structural problem.
/// Fails when the bytes are not JSON, not a Bundle, or have no Composition.
pub fn read(bytes: &[u8]) -> Result<Document, ReadError> {
    let text = text_of(bytes)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let (bundle, bind_numbers) =
        crate::json::parse_keeping_numbers(text).map_err(|e| ReadError::Json {
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        })?;
    if !bundle.is_object() {
        return Err(ReadError::NotABundle {
            found: "non-object JSON".into(),
        });
    }
    if resource_type(&bundle) != "Bundle" {
        return Err(ReadError::NotABundle {
            found: resource_type(&bundle).into(),
        });
    }
    let problems = validate(&bundle);
    let mut index = Index::new(&bundle);
    index.raw_numbers = bind_numbers(&bundle);
    // What the views take from referenced resources: of the order of the
    // letter itself (a resource named twice is shown twice, not a
    // thousand times).
    index
        .budget
        .set(bytes.len().saturating_mul(2).saturating_add(64 * 1024));
    let Some(comp) = arr(&bundle, "entry")
        .iter()
        .filter_map(|e| get(e, "resource"))
        .find(|r| resource_type(r) == "Composition")
    else {
        return Err(ReadError::Invalid { problems });
    };
    let mut problems = problems;
    let letter = extract(&bundle, comp, &index, &mut problems);
    if index.over_budget.get() {
        problems.push(Problem::new(
            "Bundle.entry",
            Rule::RepeatedReferences {
                limit: bytes.len().saturating_mul(2).saturating_add(64 * 1024),
            },
        ));
    }
    Ok(Document {
        format: Format::Hs038,
        letter: letter.normalized(),
        problems,
    })
}

fn name_parts(res: &Value) -> (Option<String>, Option<String>) {
    let (mut ide, mut plain, mut kana) = (None, None, None);
    for n in arr(res, "name") {
        let rep = arr(n, "extension")
            .iter()
            .find(|e| str_of(e, "url") == Some(NAME_REPRESENTATION))
            .and_then(|e| str_of(e, "valueCode"));
        let text = str_of(n, "text").map(str::to_owned).or_else(|| {
            let family = str_of(n, "family").unwrap_or("");
            let given: Vec<&str> = arr(n, "given").iter().filter_map(Value::as_str).collect();
            let joined = [family.to_owned(), given.join(" ")]
                .iter()
                .filter(|p| !p.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            (!joined.is_empty()).then_some(joined)
        });
        let Some(text) = text else { continue };
        let slot = match rep {
            Some("SYL") => &mut kana,
            Some("IDE") => &mut ide,
            _ => &mut plain,
        };
        slot.get_or_insert(text);
    }
    (ide.or(plain), kana)
}

fn phone_of(res: &Value) -> Option<String> {
    arr(res, "telecom")
        .iter()
        .find(|t| str_of(t, "system") == Some("phone"))
        .and_then(|t| str_of(t, "value"))
        .map(str::to_owned)
}

fn address_of(res: &Value) -> (Option<String>, Option<String>) {
    let Some(a) = arr(res, "address").first() else {
        return (None, None);
    };
    let postal = str_of(a, "postalCode").map(str::to_owned);
    // 「〒〈郵便番号〉」 alone stands for an address given by its postal code.
    if let (Some(p), Some(t)) = (postal.as_deref(), str_of(a, "text")) {
        if t == format!("〒{p}") {
            return (postal, None);
        }
    }
    let text = str_of(a, "text").map(str::to_owned).or_else(|| {
        let mut parts: Vec<&str> = Vec::new();
        parts.extend(str_of(a, "state"));
        parts.extend(str_of(a, "city"));
        parts.extend(arr(a, "line").iter().filter_map(Value::as_str));
        (!parts.is_empty()).then(|| parts.concat())
    });
    (postal, text)
}

fn extension<'a>(res: &'a Value, url: &str) -> Option<&'a Value> {
    arr(res, "extension")
        .iter()
        .find(|e| str_of(e, "url") == Some(url))
}

fn institution_of(org: Option<&Value>) -> Institution {
    let Some(org) = org else {
        return Institution {
            number: String::new(),
            name: String::new(),
            department: String::new(),
            postal_code: None,
            address: None,
            phone: None,
        };
    };
    let number = arr(org, "identifier")
        .iter()
        .find(|id| str_of(id, "system") == Some(INSTITUTION_SYSTEM))
        .and_then(|id| str_of(id, "value"))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            // Assemble from the JP-Core extensions when the identifier is absent.
            let pref = extension(org, PREFECTURE_EXTENSION)
                .and_then(|e| get(e, "valueCoding"))
                .and_then(|c| str_of(c, "code"));
            let table = extension(org, FEE_TABLE_EXTENSION)
                .and_then(|e| get(e, "valueCoding"))
                .and_then(|c| str_of(c, "code"));
            let code = extension(org, INSTITUTION_CODE_EXTENSION)
                .and_then(|e| get(e, "valueIdentifier"))
                .and_then(|c| str_of(c, "value"));
            match (pref, table, code) {
                (Some(p), Some(t), Some(c)) => format!("{p}{t}{c}"),
                _ => String::new(),
            }
        });
    let department = extension(org, DEPARTMENT_EXTENSION)
        .and_then(|e| concept_text(get(e, "valueCodeableConcept")))
        .unwrap_or_default();
    let (postal_code, address) = address_of(org);
    Institution {
        number,
        name: str_of(org, "name").unwrap_or_default().to_owned(),
        department,
        postal_code,
        address,
        phone: phone_of(org),
    }
}

fn doctor_of(p: &Value) -> Doctor {
    let (name, kana) = name_parts(p);
    Doctor {
        name: name.unwrap_or_default(),
        kana,
    }
}

/// The resources a section's entries point at, each once.
fn section_resources<'a>(s: &'a Value, index: &Index<'a>) -> Vec<&'a Value> {
    section_entries(s, index)
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

/// [`section_resources`] with their places in the Bundle.
fn section_entries<'a>(s: &'a Value, index: &Index<'a>) -> Vec<(usize, &'a Value)> {
    let mut seen = HashSet::new();
    arr(s, "entry")
        .iter()
        .filter_map(|e| index.resolve_entry(Some(e)))
        .filter(|(i, _)| seen.insert(*i))
        .collect()
}

fn narrative(s: &Value, skip: Option<&str>) -> String {
    let Some(div) = get(s, "text").and_then(|t| str_of(t, "div")) else {
        return String::new();
    };
    let text = match skip {
        Some(id) => xhtml::to_text_skipping(div, id),
        None => xhtml::to_text(div),
    };
    text.unwrap_or_default()
}

/// A one-line summary of a structured entry, for sections without narrative.
/// A Quantity as text: `8.2 %`, `120 mmHg`, with its comparator.
fn quantity_text(q: &Value, index: &Index<'_>) -> Option<String> {
    let value = match get(q, "value") {
        // As the sender wrote it: the precision of a decimal is significant.
        Some(v @ Value::Number(n)) => index
            .raw_numbers
            .text_of(v)
            .map_or_else(|| n.to_string(), str::to_owned),
        Some(Value::String(v)) => v.clone(),
        _ => return None,
    };
    let comparator = str_of(q, "comparator").unwrap_or("");
    let unit = str_of(q, "unit")
        .or_else(|| str_of(q, "code"))
        .unwrap_or("");
    Some(format!("{comparator}{value} {unit}").trim_end().to_owned())
}

/// An Observation's value[x] as text.
fn observation_value(r: &Value, index: &Index<'_>) -> Option<String> {
    get(r, "valueQuantity")
        .and_then(|q| quantity_text(q, index))
        .or_else(|| concept_text(get(r, "valueCodeableConcept")))
        .or_else(|| str_of(r, "valueString").map(str::to_owned))
        .or_else(|| match get(r, "valueBoolean") {
            Some(Value::Bool(b)) => Some(if *b { "あり" } else { "なし" }.to_owned()),
            _ => None,
        })
        .or_else(|| match get(r, "valueInteger") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .or_else(|| str_of(r, "valueDateTime").map(str::to_owned))
}

/// One line for a structured entry of a section that has no narrative:
/// what a doctor reads, by resource type, so that a letter written with
/// entries only does not lose its content.
fn entry_summary(r: &Value, index: &Index<'_>) -> Option<String> {
    let join = |head: Option<String>, tail: Option<String>, sep: &str| match (head, tail) {
        (Some(h), Some(t)) => Some(format!("{h}{sep}{t}")),
        (h, t) => h.or(t),
    };
    let head = match resource_type(r) {
        "MedicationRequest" | "MedicationStatement" => {
            let medication = concept_text(get(r, "medicationCodeableConcept")).or_else(|| {
                get(r, "medicationReference")
                    .and_then(|m| str_of(m, "display"))
                    .map(str::to_owned)
            });
            let dosage = arr(r, "dosageInstruction")
                .iter()
                .chain(arr(r, "dosage"))
                .find_map(|d| str_of(d, "text"))
                .map(str::to_owned);
            join(medication, dosage, "　")
        }
        "Immunization" => join(
            concept_text(get(r, "vaccineCode")),
            str_of(r, "occurrenceDateTime")
                .or_else(|| str_of(r, "occurrenceString"))
                .map(|d| format!("（{d}）")),
            "",
        ),
        "FamilyMemberHistory" => {
            let conditions: Vec<String> = arr(r, "condition")
                .iter()
                .filter_map(|c| concept_text(get(c, "code")))
                .collect();
            join(
                concept_text(get(r, "relationship"))
                    .or_else(|| str_of(r, "name").map(str::to_owned)),
                (!conditions.is_empty()).then(|| conditions.join("、")),
                "：",
            )
        }
        "Observation" => join(
            concept_text(get(r, "code")),
            observation_value(r, index),
            " ",
        ),
        "Condition" => join(
            concept_text(get(r, "code")),
            str_of(r, "onsetDateTime")
                .or_else(|| str_of(r, "onsetString"))
                .map(|o| format!("{ONSET_OPEN}{o}）")),
            "",
        ),
        "Procedure" => join(
            concept_text(get(r, "code")),
            str_of(r, "performedDateTime").map(|d| format!("（{d}）")),
            "",
        ),
        _ => None,
    };
    head.or_else(|| concept_text(get(r, "code")))
        .or_else(|| {
            arr(r, "reasonCode")
                .iter()
                .find_map(|c| concept_text(Some(c)))
        })
        .or_else(|| str_of(r, "description").map(str::to_owned))
        .or_else(|| str_of(r, "valueString").map(str::to_owned))
        .map(
            |head| match arr(r, "note").iter().find_map(|n| str_of(n, "text")) {
                Some(note) if note != head => format!("{head}（{note}）"),
                _ => head,
            },
        )
}

fn text_or_entries(s: &Value, index: &Index<'_>, skip: Option<&str>) -> Option<String> {
    let text = narrative(s, skip);
    if !text.is_empty() {
        return Some(text);
    }
    let mut from_entries: Vec<String> = Vec::new();
    for r in section_resources(s, index)
        .into_iter()
        .filter(|r| resource_type(r) != "DocumentReference")
    {
        if let Some(line) = entry_summary(r, index) {
            if !index.spend(line.len()) {
                break;
            }
            from_entries.push(line);
        }
    }
    (!from_entries.is_empty()).then(|| from_entries.join("\n"))
}

fn attachments_of(
    s: &Value,
    index: &Index<'_>,
    path: &str,
    letter: &mut ReferralLetter,
    problems: &mut Vec<Problem>,
) {
    let (out, not_shown) = (&mut letter.attachments, &mut letter.not_shown);
    for (i, e) in arr(s, "entry").iter().enumerate() {
        let Some((at, r)) = index.resolve_entry(Some(e)) else {
            continue;
        };
        if resource_type(r) != "DocumentReference" || !index.listed.borrow_mut().insert(at) {
            continue;
        }
        for c in arr(r, "content") {
            let Some(a) = get(c, "attachment") else {
                continue;
            };
            let ct = str_of(a, "contentType").unwrap_or("");
            let description = str_of(r, "description")
                .or_else(|| str_of(a, "title"))
                .map(str::to_owned)
                .or_else(|| concept_text(get(r, "type")))
                .unwrap_or_default();
            let Some(media_type) = AttachmentType::from_media_type(ct) else {
                // Any media type is a valid attachment (FHIR R4 Attachment);
                // Inkan lists PDF and JPEG only, and names the others.
                if ct.is_empty() {
                    problems.push(Problem::new(
                        format!("{path}.entry[{i}]"),
                        Rule::AttachmentType { value: ct.into() },
                    ));
                } else {
                    not_shown.push(format!("添付（{ct}）：{description}"));
                }
                continue;
            };
            // By URL, or for an attachment given inline (`data`) by its title
            // when that is a file name, else by its place: the letter lists
            // every attachment under a name a receiver can refer to.
            let url = str_of(a, "url").unwrap_or("");
            let from_url = url.rsplit('/').next().unwrap_or(url);
            let file_name = if !from_url.is_empty() {
                from_url.to_owned()
            } else {
                str_of(a, "title")
                    .filter(|t| crate::model::is_safe_file_name(t))
                    .map(str::to_owned)
                    .unwrap_or_else(|| {
                        let ext = match media_type {
                            AttachmentType::Pdf => "pdf",
                            AttachmentType::Jpeg => "jpg",
                            AttachmentType::Png => "png",
                        };
                        format!("attachment-{}.{ext}", out.len() + 1)
                    })
            };
            out.push(AttachmentRef {
                file_name,
                media_type,
                description,
            });
        }
    }
}

fn extract(
    bundle: &Value,
    comp: &Value,
    index: &Index<'_>,
    problems: &mut Vec<Problem>,
) -> ReferralLetter {
    let sections = arr(comp, "section");
    let by_code = |list: &'_ [Value], code: &str| -> Option<usize> {
        list.iter().position(|s| section_code(s) == Some(code))
    };
    fn of_type<'a>(s: Option<&'a Value>, index: &Index<'a>, ty: &str) -> Option<&'a Value> {
        s.and_then(|s| {
            section_resources(s, index)
                .into_iter()
                .find(|r| resource_type(r) == ty)
        })
    }
    let authors: Vec<&Value> = arr(comp, "author")
        .iter()
        .filter_map(|a| index.resolve(Some(a)))
        .collect();
    let from_section = by_code(sections, "920").and_then(|i| sections.get(i));
    let to_section = by_code(sections, "910").and_then(|i| sections.get(i));
    let from_org = of_type(from_section, index, "Organization")
        .or_else(|| {
            authors
                .iter()
                .copied()
                .find(|r| resource_type(r) == "Organization")
        })
        .or_else(|| index.resolve(get(comp, "custodian")));
    let from_doc = of_type(from_section, index, "Practitioner").or_else(|| {
        authors
            .iter()
            .copied()
            .find(|r| resource_type(r) == "Practitioner")
    });
    let to_org = of_type(to_section, index, "Organization");
    let to_doc = of_type(to_section, index, "Practitioner");
    let from = institution_of(from_org);
    let to = institution_of(to_org);

    let identifier_value = get(bundle, "identifier")
        .and_then(|i| str_of(i, "value"))
        .and_then(|v| v.splitn(3, '^').nth(2))
        .map(str::to_owned);
    let document_number = identifier_value
        .or_else(|| {
            get(comp, "identifier")
                .and_then(|i| str_of(i, "value"))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let version = extension(comp, VERSION_EXTENSION)
        .and_then(|e| str_of(e, "valueString"))
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(1);
    let created_raw = str_of(comp, "date").unwrap_or_default();
    let created = Stamp::from_fhir(created_raw)
        .map(|s| s.iso())
        .unwrap_or_else(|| created_raw.to_owned());
    let category = if arr(comp, "category")
        .iter()
        .flat_map(|c| codings(Some(c)))
        .any(|(_, code)| code == "DISCHARGE")
    {
        Category::Discharge
    } else {
        Category::Outpatient
    };

    // Patient.
    let pat = index.resolve(get(comp, "subject"));
    let mut patient = Patient::blank();
    if let Some(p) = pat {
        let (mut from_id, mut to_id, mut other_id) = (None, None, None);
        for id in arr(p, "identifier") {
            let Some(inst) = str_of(id, "system").and_then(|s| s.strip_prefix(PATIENT_ID_PREFIX))
            else {
                continue;
            };
            let value = str_of(id, "value").unwrap_or_default().to_owned();
            let slot = if inst == from.number {
                &mut from_id
            } else if inst == to.number {
                &mut to_id
            } else {
                &mut other_id
            };
            slot.get_or_insert(value);
        }
        patient.id = from_id.or(other_id).unwrap_or_default();
        let identifier = |system: &str| {
            arr(p, "identifier")
                .iter()
                .find(|id| str_of(id, "system") == Some(system))
                .and_then(|id| str_of(id, "value"))
                .map(str::to_owned)
        };
        patient.insurance_id = identifier(INSURANCE_ID_SYSTEM);
        patient.public_payer_id = identifier(PUBLIC_PAYER_ID_SYSTEM);
        // Older writers (and Inkan before JP-CLINS R1010) put the
        // recipient's ID among the identifiers; now the 910 narrative names it.
        // Inkan writes that line last, after the institution number that
        // is always there: an address or a name that happens to begin with
        // the label is never taken for it.
        patient.recipient_id = to_id.or_else(|| {
            to_section.and_then(|s| {
                lines(&narrative(s, None))
                    .last()
                    .and_then(|l| l.strip_prefix(RECIPIENT_ID_LABEL))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            })
        });
        let (name, kana) = name_parts(p);
        patient.name = name.unwrap_or_default();
        patient.kana = kana.unwrap_or_default();
        patient.sex = match str_of(p, "gender") {
            Some("male") => Sex::Male,
            Some("female") => Sex::Female,
            Some("other") => Sex::Other,
            _ => Sex::Unknown,
        };
        patient.birth_date = str_of(p, "birthDate").unwrap_or_default().to_owned();
        let (postal, address) = address_of(p);
        patient.postal_code = postal;
        patient.address = address;
        patient.phone = phone_of(p);
    }

    let mut letter = ReferralLetter::with_header(
        document_number,
        version,
        created,
        category,
        Referrer {
            institution: from,
            doctor: from_doc.map(doctor_of).unwrap_or(Doctor {
                name: String::new(),
                kana: None,
            }),
        },
        Recipient {
            institution: to,
            doctor: to_doc.map(doctor_of).filter(|d| !d.name.is_empty()),
        },
        patient,
    );

    let cp = "Bundle.entry[0].resource";
    let mut adopted = false;
    for (si, s) in sections.iter().enumerate() {
        if section_code(s) != Some("300") {
            subsections_not_shown(&mut letter, s, index, 0);
        }
        match section_code(s) {
            Some("300") => {
                for (ji, sub) in arr(s, "section").iter().enumerate() {
                    let path = format!("{cp}.section[{si}].section[{ji}]");
                    structured_section(&mut letter, sub, index, &path, problems);
                }
            }
            Some("200") => match embedded_cda(s, index) {
                Ok(Some(inner)) if !adopted => {
                    adopted = true;
                    let path = format!("{cp}.section[{si}]");
                    for p in inner.problems {
                        problems.push(Problem::new(format!("{path} (CDA) {}", p.path), p.rule));
                    }
                    problems.extend(same_patient(&letter.patient, &inner.letter.patient, &path));
                    adopt_body(&mut letter, inner.letter);
                }
                Ok(Some(_)) => letter
                    .not_shown
                    .push("2通目以降のCDA文書（1通目だけを表示します）".into()),
                Ok(None) => {}
                Err(url) => letter
                    .not_shown
                    .push(format!("CDA文書（{url}、この文書の外にあり取得しません）")),
            },
            // 220 may repeat: every one is kept, and what it attaches.
            Some("220") => {
                if let Some(t) = text_or_entries(s, index, None) {
                    letter.remarks = Some(match letter.remarks.take() {
                        Some(before) => format!("{before}\n{t}"),
                        None => t,
                    });
                }
                let path = format!("{cp}.section[{si}]");
                attachments_of(s, index, &path, &mut letter, problems);
            }
            Some("210") | Some("230") => {
                let path = format!("{cp}.section[{si}]");
                attachments_of(s, index, &path, &mut letter, problems);
            }
            _ => {}
        }
    }
    crate::model::cap_attachments(&mut letter);
    letter.not_shown = crate::model::tidy_not_shown(std::mem::take(&mut letter.not_shown));
    letter
}

/// Nested sections are read only under 300: any other section's
/// sub-sections are listed as 未表示の項目 with their content, so nothing
/// a sender put there is dropped silently. Depth is bounded by the JSON
/// parser's nesting limit; `depth` only keeps the titles readable.
fn subsections_not_shown(letter: &mut ReferralLetter, s: &Value, index: &Index<'_>, depth: usize) {
    for sub in arr(s, "section") {
        let title = str_of(sub, "title")
            .map(str::to_owned)
            .or_else(|| section_code(sub).map(|c| format!("セクション {c}")))
            .unwrap_or_else(|| "（無題のセクション）".into());
        let parent = str_of(s, "title").unwrap_or("");
        let text = text_or_entries(sub, index, None).unwrap_or_default();
        letter.not_shown.push(format!(
            "{parent}＞{title}：{}",
            if text.is_empty() {
                "（内容なし）".into()
            } else {
                text.replace('\n', " ")
            }
        ));
        // The JSON parser bounds nesting (128), so this recursion is
        // bounded too; every level is listed.
        if depth < 128 {
            subsections_not_shown(letter, sub, index, depth + 1);
        }
    }
}

/// The problems when the CDA of section 200 names another patient than the
/// Bundle: its content must not be shown under this patient's header
/// without a word.
fn same_patient(bundle: &Patient, document: &Patient, path: &str) -> Vec<Problem> {
    let fold = |v: &str| -> String { v.chars().filter(|c| !c.is_whitespace()).collect() };
    [
        ("患者ID", &bundle.id, &document.id),
        ("氏名", &bundle.name, &document.name),
        ("生年月日", &bundle.birth_date, &document.birth_date),
    ]
    .into_iter()
    .filter(|(_, b, d)| !b.is_empty() && !d.is_empty() && fold(b) != fold(d))
    .map(|(field, b, d)| {
        Problem::new(
            format!("{path} (CDA)"),
            Rule::EmbeddedPatient {
                field: field.into(),
                bundle: b.to_string(),
                document: d.to_string(),
            },
        )
    })
    .collect()
}

fn structured_section(
    letter: &mut ReferralLetter,
    s: &Value,
    index: &Index<'_>,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    let set = |target: &mut Option<String>| *target = text_or_entries(s, index, None);
    match section_code(s) {
        Some("950") => letter.purpose = text_or_entries(s, index, None).unwrap_or_default(),
        Some("340") => {
            let conditions: Vec<&Value> = section_resources(s, index)
                .into_iter()
                .filter(|r| resource_type(r) == "Condition")
                .collect();
            let from_narrative: Vec<Diagnosis> = lines(&narrative(s, None))
                .into_iter()
                .map(|line| match split_onset(&line) {
                    Some((name, onset)) => Diagnosis {
                        name: name.to_owned(),
                        onset: onset.map(str::to_owned),
                        code: None,
                    },
                    None => Diagnosis {
                        name: line,
                        onset: None,
                        code: None,
                    },
                })
                .collect();
            let as_diagnosis = |c: &Value| Diagnosis {
                code: codings(get(c, "code"))
                    .find(|(sys, _)| *sys == MEDIS_DISEASE_SYSTEM)
                    .map(|(_, code)| code.to_owned()),
                name: concept_text(get(c, "code")).unwrap_or_default(),
                onset: str_of(c, "onsetDateTime")
                    .map(|o| {
                        o.get(..10)
                            .filter(|d| parse_partial(d).is_some())
                            .unwrap_or(o)
                    })
                    .map(str::to_owned)
                    .or_else(|| str_of(c, "onsetString").map(str::to_owned)),
            };
            let coded: Vec<Diagnosis> = conditions.iter().map(|c| as_diagnosis(c)).collect();
            // Inkan's form: one narrative line per diagnosis, in order, and
            // a Condition for each coded one with the line's name and onset.
            // Each Condition gives its code to its own line; one that
            // matches no line is a diagnosis of its own (never dropped).
            let mut diagnoses = from_narrative;
            let mut taken = vec![false; diagnoses.len()];
            let mut unmatched = Vec::new();
            for d in &coded {
                let line = diagnoses
                    .iter()
                    .zip(&taken)
                    .position(|(x, t)| !t && x.name == d.name && x.onset == d.onset);
                match line {
                    Some(i) => {
                        taken[i] = true;
                        diagnoses[i].code = d.code.clone();
                    }
                    None => unmatched.push(d.clone()),
                }
            }
            letter.diagnoses = if coded.is_empty() || taken.iter().any(|t| *t) {
                diagnoses.extend(unmatched);
                diagnoses
            } else {
                // Another writer's narrative summarises its Conditions
                // (「上腹部痛、腰痛」): the Conditions are the list, and a
                // line that names none of them is kept as a diagnosis too.
                let covered = |line: &str| {
                    coded.iter().any(|d| {
                        !d.name.is_empty() && (line.contains(&d.name) || d.name.contains(line))
                    })
                };
                let mut all = coded.clone();
                all.extend(diagnoses.into_iter().filter(|d| !covered(&d.name)));
                all
            };
        }
        Some("360") => letter.present_illness = text_or_entries(s, index, None).unwrap_or_default(),
        Some("370") => set(&mut letter.past_history),
        Some("510") => set(&mut letter.allergies),
        Some("550") => set(&mut letter.family_history),
        Some("610") => set(&mut letter.physical_findings),
        Some("520") => set(&mut letter.infections),
        Some("640") => {
            let occupation = section_resources(s, index)
                .into_iter()
                .find(|r| {
                    resource_type(r) == "Observation"
                        && codings(get(r, "code"))
                            .any(|(sys, c)| sys == LOINC && c == OCCUPATION_LOINC)
                })
                .and_then(|r| str_of(r, "valueString"))
                .map(str::to_owned);
            let text = narrative(s, occupation.as_ref().map(|_| OCCUPATION_ID));
            letter.social_history = (!text.is_empty()).then_some(text);
            if occupation.is_some() {
                letter.patient.occupation = occupation;
            }
        }
        Some("530") => set(&mut letter.immunizations),
        Some("730") => set(&mut letter.surgeries),
        Some("740") => set(&mut letter.transfusions),
        Some("720") => set(&mut letter.procedures),
        Some("430") => {
            letter.prescriptions = text_or_entries(s, index, None)
                .map(|t| lines(&t))
                .unwrap_or_default()
        }
        Some("620") => set(&mut letter.test_results),
        // Its attachments are listed below, as every section's are.
        Some("330") => set(&mut letter.treatment_course),
        // Sections Inkan's form has no item for (420 診療方針指示, 810
        // 医療機器, 410 事前指示, 830 臨床研究参加, or another writer's):
        // their content is kept and named, not dropped.
        _ => {
            if let Some(text) = text_or_entries(s, index, None) {
                let title = str_of(s, "title")
                    .map(str::to_owned)
                    .or_else(|| section_code(s).map(|c| format!("セクション {c}")))
                    .unwrap_or_else(|| "（無題のセクション）".into());
                letter
                    .not_shown
                    .push(format!("{title}：{}", text.replace('\n', " ")));
            }
        }
    }
    // A DocumentReference in any section is an attachment (330's are the
    // form's; each is listed once), and a section's sub-sections are
    // named: nothing is dropped silently.
    attachments_of(s, index, path, letter, problems);
    subsections_not_shown(letter, s, index, 0);
}

/// The HS008 document a 200 section carries: inline (`data`), or by a URL
/// that names a Binary in the same Bundle (`urn:uuid:…`, `Binary/…`).
/// A URL outside the Bundle is never fetched (a letter does not make the
/// reader's computer reach out); `Err` names it. Each Binary is decoded
/// once, and at most [`MAX_CDA_TRIES`] documents per letter.
fn embedded_cda(s: &Value, index: &Index<'_>) -> Result<Option<crate::Document>, String> {
    let mut outside = None;
    let mut tried: HashSet<usize> = HashSet::new();
    for r in section_resources(s, index)
        .into_iter()
        .filter(|r| resource_type(r) == "DocumentReference")
    {
        for a in arr(r, "content")
            .iter()
            .filter_map(|c| get(c, "attachment"))
        {
            let data = match str_of(a, "data") {
                // Inline data is where it is: one try per content of a
                // DocumentReference that the section names once.
                Some(d) => Some(d),
                None => {
                    let Some(url) = str_of(a, "url") else {
                        continue;
                    };
                    let reference = serde_json::json!({ "reference": url });
                    match index.resolve_entry(Some(&reference)) {
                        Some((bi, binary)) if resource_type(binary) == "Binary" => {
                            if !tried.insert(bi) {
                                continue;
                            }
                            str_of(binary, "data")
                        }
                        _ => {
                            outside.get_or_insert_with(|| url.to_owned());
                            None
                        }
                    }
                }
            };
            let Some(data) = data else {
                continue;
            };
            if index.cda_tries.get() == 0 {
                return Ok(None);
            }
            index.cda_tries.set(index.cda_tries.get() - 1);
            if let Some(doc) = base64_decode(data).and_then(|bytes| crate::hs008::read(&bytes).ok())
            {
                return Ok(Some(doc));
            }
        }
    }
    match outside {
        Some(url) => Err(url),
        None => Ok(None),
    }
}

/// Takes the clinical content of an embedded HS008 letter.
fn adopt_body(letter: &mut ReferralLetter, inner: ReferralLetter) {
    letter.purpose = inner.purpose;
    letter.diagnoses = inner.diagnoses;
    letter.present_illness = inner.present_illness;
    letter.past_history = inner.past_history;
    letter.family_history = inner.family_history;
    letter.allergies = inner.allergies;
    letter.physical_findings = inner.physical_findings;
    letter.infections = inner.infections;
    letter.social_history = inner.social_history;
    letter.immunizations = inner.immunizations;
    letter.surgeries = inner.surgeries;
    letter.transfusions = inner.transfusions;
    letter.procedures = inner.procedures;
    letter.test_results = inner.test_results;
    letter.treatment_course = inner.treatment_course;
    letter.prescriptions = inner.prescriptions;
    if letter.remarks.is_none() {
        letter.remarks = inner.remarks;
    }
    // The CDA's 添付 are often the Bundle's own (section 210): once each.
    for a in inner.attachments {
        if !letter
            .attachments
            .iter()
            .any(|b| b.file_name.eq_ignore_ascii_case(&a.file_name))
        {
            letter.attachments.push(a);
        }
    }
    if letter.patient.occupation.is_none() {
        letter.patient.occupation = inner.patient.occupation;
    }
}

/// Standard base64 (FHIR `base64Binary`), whitespace tolerated; padding
/// and trailing bits are checked (the `base64` crate's standard engine).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    if s.len() > crate::MAX_LETTER_BYTES * 2 {
        return None;
    }
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(clean).ok()
}

// ---------------------------------------------------------------------------
// Writing

struct Ids {
    composition: String,
    patient: String,
    from_practitioner: String,
    from_organization: String,
    to_organization: String,
    to_practitioner: String,
}

fn urn(uuid: &str) -> String {
    format!("urn:uuid:{uuid}")
}

fn coding(system: &str, code: &str, display: Option<&str>) -> J {
    obj(vec![
        ("system", Some(s(system))),
        ("code", Some(s(code))),
        ("display", display.map(s)),
    ])
}

fn concept(system: &str, code: &str, display: Option<&str>) -> J {
    obj(vec![(
        "coding",
        Some(J::A(vec![coding(system, code, display)])),
    )])
}

fn reference(url: &str, ty: &str) -> J {
    obj(vec![("reference", Some(s(url))), ("type", Some(s(ty)))])
}

fn section_code_concept(code: &str, title: &str) -> J {
    concept(SECTION_SYSTEM, code, Some(&format!("{title}セクション")))
}

/// A section. `div` is the full XHTML div; `entries` are references.
fn section(
    code: &str,
    title: &str,
    div: Option<String>,
    entries: Vec<J>,
    subsections: Vec<J>,
) -> J {
    // 「特になし」 states that nothing is known (nilknown). Any other
    // text-only section carries its content in the narrative and no
    // emptyReason, as the JP-CLINS authors' NoEntry example does: a reason
    // for emptiness beside a narrative that is not empty misleads a reader.
    let nil = div.as_deref() == Some(xhtml::from_text(NILKNOWN_TEXT).as_str());
    let empty_reason = (entries.is_empty() && subsections.is_empty() && nil)
        .then(|| concept(EMPTY_REASON_SYSTEM, "nilknown", Some("Nil Known")));
    obj(vec![
        ("title", Some(s(title))),
        ("code", Some(section_code_concept(code, title))),
        (
            "text",
            div.map(|d| obj(vec![("status", Some(s("additional"))), ("div", Some(s(d)))])),
        ),
        ("entry", (!entries.is_empty()).then_some(J::A(entries))),
        ("emptyReason", empty_reason),
        (
            "section",
            (!subsections.is_empty()).then_some(J::A(subsections)),
        ),
    ])
}

fn name_entry(text: &str, representation: &str) -> J {
    let split = name_split(text);
    obj(vec![
        (
            "extension",
            Some(J::A(vec![obj(vec![
                ("url", Some(s(NAME_REPRESENTATION))),
                ("valueCode", Some(s(representation))),
            ])])),
        ),
        ("use", Some(s("official"))),
        ("text", Some(s(text))),
        ("family", split.map(|(f, _)| s(f))),
        ("given", split.map(|(_, g)| J::A(vec![s(g)]))),
    ])
}

fn names(name: &str, kana: Option<&str>) -> J {
    let mut v = vec![name_entry(name, "IDE")];
    if let Some(k) = kana {
        v.push(name_entry(k, "SYL"));
    }
    J::A(v)
}

fn practitioner(d: &Doctor) -> J {
    obj(vec![
        ("resourceType", Some(s("Practitioner"))),
        ("name", Some(names(&d.name, d.kana.as_deref()))),
    ])
}

/// An address always has its `text` (JP_Patient_eCS and
/// JP_Organization_eCS require it): a postal code alone is written as
/// 「〒〈郵便番号〉」, which reading turns back into the postal code alone.
fn address(postal: Option<&str>, text: Option<&str>) -> Option<J> {
    let text = text
        .map(str::to_owned)
        .or_else(|| postal.map(|p| format!("〒{p}")))?;
    Some(J::A(vec![obj(vec![
        ("text", Some(s(text))),
        ("postalCode", postal.map(s)),
        ("country", Some(s("JP"))),
    ])]))
}

fn meta(profile: &str, last_updated: &str) -> J {
    obj(vec![
        ("lastUpdated", Some(s(last_updated))),
        (
            "profile",
            Some(J::A(vec![s(format!("{profile}|{PROFILE_VERSION}"))])),
        ),
    ])
}

fn organization(i: &Institution) -> J {
    let ext = |url: &str, key: &'static str, value: J| {
        obj(vec![("url", Some(s(url))), (key, Some(value))])
    };
    let n = &i.number;
    obj(vec![
        ("resourceType", Some(s("Organization"))),
        (
            "extension",
            Some(J::A(vec![
                ext(
                    PREFECTURE_EXTENSION,
                    "valueCoding",
                    coding(
                        "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/PrefectureNo-2digits",
                        n.get(0..2).unwrap_or_default(),
                        None,
                    ),
                ),
                ext(
                    FEE_TABLE_EXTENSION,
                    "valueCoding",
                    coding(
                        "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationFeeScoreType",
                        n.get(2..3).unwrap_or_default(),
                        None,
                    ),
                ),
                ext(
                    INSTITUTION_CODE_EXTENSION,
                    "valueIdentifier",
                    obj(vec![
                        (
                            "system",
                            Some(s(
                                "http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicalOrganizationID",
                            )),
                        ),
                        ("value", Some(s(n.get(3..).unwrap_or_default()))),
                    ]),
                ),
                ext(
                    DEPARTMENT_EXTENSION,
                    "valueCodeableConcept",
                    obj(vec![("text", Some(s(&i.department)))]),
                ),
            ])),
        ),
        (
            "identifier",
            Some(J::A(vec![obj(vec![
                ("system", Some(s(INSTITUTION_SYSTEM))),
                ("value", Some(s(n))),
            ])])),
        ),
        (
            "type",
            Some(J::A(vec![concept(
                "http://terminology.hl7.org/CodeSystem/organization-type",
                "prov",
                None,
            )])),
        ),
        ("name", Some(s(&i.name))),
        (
            "telecom",
            i.phone.as_deref().map(|p| {
                J::A(vec![obj(vec![
                    ("system", Some(s("phone"))),
                    ("value", Some(s(p))),
                ])])
            }),
        ),
        (
            "address",
            address(i.postal_code.as_deref(), i.address.as_deref()),
        ),
    ])
}

/// The line of the 910 narrative that names the patient's ID at the
/// recipient: JP-CLINS allows one local patient identifier only (R1010),
/// the referrer's.
const RECIPIENT_ID_LABEL: &str = "紹介先の患者ID ";

fn party_narrative(i: &Institution, doctor: Option<&Doctor>, patient_id: Option<&str>) -> String {
    let mut lines = vec![format!("{}　{}", i.name, i.department)];
    let addr = [
        i.postal_code.as_deref().map(|p| format!("〒{p}")),
        i.address.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    if !addr.is_empty() {
        lines.push(addr);
    }
    if let Some(p) = &i.phone {
        lines.push(format!("電話 {p}"));
    }
    lines.push(format!("保険医療機関番号 {}", i.number));
    if let Some(d) = doctor {
        lines.push(format!("医師 {}", d.name));
    }
    if let Some(id) = patient_id {
        lines.push(format!("{RECIPIENT_ID_LABEL}{id}"));
    }
    xhtml::from_text(&lines.join("\n"))
}

/// What HS038 needs beyond the form's rules, as problems: the profiles
/// require a `Composition.date` with seconds and zone, `family` and
/// `given` in every name, and one insurance or public-payer identifier
/// (R1012). HS008 needs none of them.
pub fn needs(l: &ReferralLetter) -> Vec<Problem> {
    use crate::problem::Hs038Need;
    let mut out = Vec::new();
    let need = |path: &str, what| Problem::new(path, Rule::Hs038Needs { what });
    if matches!(Stamp::parse(&l.created), Some(Stamp::Date(_))) {
        out.push(need("created", Hs038Need::TimeOfDay));
    }
    let mut names = vec![
        ("patient.name", Some(&l.patient.name)),
        ("patient.kana", Some(&l.patient.kana)),
        ("from.doctor.name", Some(&l.from.doctor.name)),
        ("from.doctor.kana", l.from.doctor.kana.as_ref()),
    ];
    if let Some(d) = &l.to.doctor {
        names.push(("to.doctor.name", Some(&d.name)));
        names.push(("to.doctor.kana", d.kana.as_ref()));
    }
    for (path, name) in names {
        if name.is_some_and(|n| !n.trim().is_empty() && name_split(n).is_none()) {
            out.push(need(path, Hs038Need::FamilyAndGiven));
        }
    }
    if l.patient.insurance_id.is_some() == l.patient.public_payer_id.is_some() {
        out.push(need("patient.insurance_id", Hs038Need::OneInsuranceId));
    }
    out
}

/// 姓 and 名 of a name written 「姓 名」.
fn name_split(text: &str) -> Option<(&str, &str)> {
    text.split_once(' ')
        .or_else(|| text.split_once('\u{3000}'))
        .map(|(f, g)| (f.trim(), g.trim()))
        .filter(|(f, g)| !f.is_empty() && !g.is_empty())
}

/// Writes the letter as an HS038 JP_Bundle_eReferral JSON document. Byte-stable.
///
/// The letter is normalised and validated first; an invalid letter is not
/// written.
pub fn write(letter: &ReferralLetter) -> Result<Vec<u8>, WriteError> {
    let l = letter.normalized();
    let mut problems = l.validate();
    problems.extend(needs(&l));
    if !problems.is_empty() {
        return Err(WriteError::Invalid { problems });
    }
    Ok(to_bytes(&bundle_of(&l)))
}

fn bundle_of(l: &ReferralLetter) -> J {
    let from = &l.from.institution;
    let to = &l.to.institution;
    let id = |role: &str| derive(&from.number, &l.document_number, l.version, role);
    let ids = Ids {
        composition: urn(&id("composition")),
        patient: urn(&id("patient")),
        from_practitioner: urn(&id("from-practitioner")),
        from_organization: urn(&id("from-organization")),
        to_organization: urn(&id("to-organization")),
        to_practitioner: urn(&id("to-practitioner")),
    };
    let stamp = Stamp::parse(&l.created);
    let year = stamp.map(|s| s.date().year).unwrap_or_default();
    let date = stamp.map(|s| s.date().iso()).unwrap_or_default();
    let timestamp = stamp.map(|s| s.instant_ms()).unwrap_or_default();
    let last_updated = timestamp.clone();

    let mut extra_entries: Vec<(String, J)> = Vec::new();
    let p = &l.patient;
    let patient_ref = reference(&ids.patient, "Patient");

    // 340: the form's diagnoses are free text, not coded: a text-only
    // section, as the JP-CLINS authors' NoEntry example writes it. A
    // Condition must carry a MEDIS code, a verification status and an
    // identifier (JP_Condition_eCS), which an uncoded diagnosis has not.
    let diagnoses_div = xhtml::wrap(&format!(
        "<ul>{}</ul>",
        l.diagnoses
            .iter()
            .map(|d| {
                // A name that itself ends in 「（発症 …）」 gets 「（発症 不明）」,
                // so that reading splits it where it was joined.
                let onset = match d.onset.as_deref() {
                    Some(o) => format!("{ONSET_OPEN}{}）", crate::xml::escape_text(o)),
                    None if split_onset(&d.name).is_some() => {
                        format!("{ONSET_OPEN}{ONSET_UNKNOWN}）")
                    }
                    None => String::new(),
                };
                format!("<li>{}{onset}</li>", crate::xml::escape_text(&d.name))
            })
            .collect::<String>()
    ));

    // 340, coded: each diagnosis with a MEDIS code is also a Condition that
    // meets JP_Condition_eCS (identifier, MEDIS coding, clinical and
    // verification status, category, subject, meta). The narrative keeps
    // every diagnosis, coded or not, in form order.
    let mut diagnosis_entries = Vec::new();
    for (i, d) in l.diagnoses.iter().enumerate() {
        let Some(code) = &d.code else {
            continue;
        };
        let instance = id(&format!("diagnosis-{i}"));
        let url = urn(&instance);
        diagnosis_entries.push(reference(&url, "Condition"));
        extra_entries.push((
            url,
            obj(vec![
                ("resourceType", Some(s("Condition"))),
                ("meta", Some(meta(CONDITION_PROFILE, &last_updated))),
                (
                    "identifier",
                    Some(J::A(vec![obj(vec![
                        ("system", Some(s(RESOURCE_ID_SYSTEM))),
                        ("value", Some(s(&instance))),
                    ])])),
                ),
                (
                    "clinicalStatus",
                    Some(concept(
                        "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "active",
                        None,
                    )),
                ),
                (
                    "verificationStatus",
                    Some(concept(
                        "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                        "confirmed",
                        None,
                    )),
                ),
                (
                    "category",
                    Some(J::A(vec![concept(
                        "http://terminology.hl7.org/CodeSystem/condition-category",
                        "encounter-diagnosis",
                        None,
                    )])),
                ),
                (
                    "code",
                    Some(obj(vec![
                        (
                            "coding",
                            Some(J::A(vec![coding(
                                MEDIS_DISEASE_SYSTEM,
                                code,
                                Some(&d.name),
                            )])),
                        ),
                        ("text", Some(s(&d.name))),
                    ])),
                ),
                ("subject", Some(patient_ref.clone())),
                ("onsetDateTime", d.onset.as_deref().map(s)),
            ]),
        ));
    }

    // 640: the occupation as an Observation, shown in the narrative too.
    let mut social_entries = Vec::new();
    let social_div = match &p.occupation {
        None => l.social_history.as_deref().map(xhtml::from_text),
        Some(occ) => {
            let url = urn(&id("occupation"));
            social_entries.push(reference(&url, "Observation"));
            extra_entries.push((
                url,
                obj(vec![
                    ("resourceType", Some(s("Observation"))),
                    ("status", Some(s("final"))),
                    (
                        "category",
                        Some(J::A(vec![concept(
                            "http://terminology.hl7.org/CodeSystem/observation-category",
                            "social-history",
                            Some("Social History"),
                        )])),
                    ),
                    (
                        "code",
                        Some(obj(vec![
                            (
                                "coding",
                                Some(J::A(vec![coding(
                                    LOINC,
                                    OCCUPATION_LOINC,
                                    Some("History of Occupation"),
                                )])),
                            ),
                            ("text", Some(s("職業"))),
                        ])),
                    ),
                    ("subject", Some(patient_ref.clone())),
                    ("valueString", Some(s(occ))),
                ]),
            ));
            let mut inner = String::new();
            if let Some(sh) = &l.social_history {
                inner.push_str(&format!("<p>{}</p>", crate::narrative::inline(sh)));
            }
            inner.push_str(&format!(
                "<p id=\"{OCCUPATION_ID}\">職業：{}</p>",
                crate::xml::escape_text(occ)
            ));
            Some(xhtml::wrap(&inner))
        }
    };

    // 210: attachments as DocumentReferences.
    let mut attachment_refs = Vec::new();
    for (i, a) in l.attachments.iter().enumerate() {
        let url = urn(&id(&format!("attachment-{i}")));
        attachment_refs.push(reference(&url, "DocumentReference"));
        extra_entries.push((
            url,
            obj(vec![
                ("resourceType", Some(s("DocumentReference"))),
                ("status", Some(s("current"))),
                ("subject", Some(patient_ref.clone())),
                ("description", Some(s(&a.description))),
                (
                    "content",
                    Some(J::A(vec![obj(vec![(
                        "attachment",
                        Some(obj(vec![
                            ("contentType", Some(s(a.media_type.media_type()))),
                            ("url", Some(s(&a.file_name))),
                            ("title", Some(s(&a.description))),
                        ])),
                    )])])),
                ),
            ]),
        ));
    }

    let text = |v: &Option<String>| v.as_deref().map(xhtml::from_text);
    let title_of = |code: &str| {
        STRUCTURED_SECTIONS
            .iter()
            .find(|(c, ..)| *c == code)
            .map(|(_, t, ..)| *t)
            .unwrap_or_default()
    };
    let mut structured = vec![
        section(
            "950",
            title_of("950"),
            Some(xhtml::from_text(&l.purpose)),
            vec![],
            vec![],
        ),
        section(
            "340",
            title_of("340"),
            Some(diagnoses_div),
            diagnosis_entries,
            vec![],
        ),
        section(
            "360",
            title_of("360"),
            Some(xhtml::from_text(&l.present_illness)),
            vec![],
            vec![],
        ),
    ];
    let prescriptions = (!l.prescriptions.is_empty()).then(|| {
        xhtml::wrap(&format!(
            "<ul>{}</ul>",
            l.prescriptions
                .iter()
                .map(|p| format!("<li>{}</li>", crate::xml::escape_text(p)))
                .collect::<String>()
        ))
    });
    let optional: [(&str, Option<String>, Vec<J>); 13] = [
        ("370", text(&l.past_history), vec![]),
        ("510", text(&l.allergies), vec![]),
        ("550", text(&l.family_history), vec![]),
        ("610", text(&l.physical_findings), vec![]),
        ("520", text(&l.infections), vec![]),
        ("640", social_div, social_entries),
        ("530", text(&l.immunizations), vec![]),
        ("730", text(&l.surgeries), vec![]),
        ("740", text(&l.transfusions), vec![]),
        ("720", text(&l.procedures), vec![]),
        ("430", prescriptions, vec![]),
        ("620", text(&l.test_results), vec![]),
        ("330", text(&l.treatment_course), vec![]),
    ];
    for (code, div, entries) in optional {
        if div.is_some() {
            structured.push(section(code, title_of(code), div, entries, vec![]));
        }
    }

    let mut from_entries = vec![reference(&ids.from_organization, "Organization")];
    from_entries.push(reference(&ids.from_practitioner, "Practitioner"));
    let mut to_entries = vec![reference(&ids.to_organization, "Organization")];
    if l.to.doctor.is_some() {
        to_entries.push(reference(&ids.to_practitioner, "Practitioner"));
    }
    let mut top = vec![
        section(
            "920",
            "紹介元情報",
            Some(party_narrative(from, Some(&l.from.doctor), None)),
            from_entries,
            vec![],
        ),
        section(
            "910",
            "紹介先情報",
            Some(party_narrative(
                to,
                l.to.doctor.as_ref(),
                l.patient.recipient_id.as_deref(),
            )),
            to_entries,
            vec![],
        ),
        section("300", "構造情報", None, vec![], structured),
    ];
    if let Some(r) = &l.remarks {
        top.push(section(
            "220",
            "備考・連絡情報",
            Some(xhtml::from_text(r)),
            vec![],
            vec![],
        ));
    }
    if !l.attachments.is_empty() {
        let list = l
            .attachments
            .iter()
            .map(|a| {
                format!(
                    "<li>{}（{}、{}）</li>",
                    crate::xml::escape_text(&a.description),
                    crate::xml::escape_text(&a.file_name),
                    a.media_type.media_type()
                )
            })
            .collect::<String>();
        top.push(section(
            "210",
            "添付情報",
            Some(xhtml::wrap(&format!("<ul>{list}</ul>"))),
            attachment_refs,
            vec![],
        ));
    }

    let (cat_code, cat_display) = match l.category {
        Category::Outpatient => ("OUTPATIENT", "外来文書"),
        Category::Discharge => ("DISCHARGE", "退院時文書"),
    };
    let composition = obj(vec![
        ("resourceType", Some(s("Composition"))),
        ("meta", Some(meta(COMPOSITION_PROFILE, &last_updated))),
        ("language", Some(s("ja"))),
        (
            "extension",
            Some(J::A(vec![obj(vec![
                ("url", Some(s(VERSION_EXTENSION))),
                ("valueString", Some(s(l.version.to_string()))),
            ])])),
        ),
        (
            "identifier",
            Some(obj(vec![
                ("system", Some(s(RESOURCE_ID_SYSTEM))),
                (
                    "value",
                    Some(s(format!(
                        "{}-{year:04}-{}",
                        from.number, l.document_number
                    ))),
                ),
            ])),
        ),
        ("status", Some(s("final"))),
        (
            "type",
            Some(concept(DOC_TYPE_SYSTEM, DOC_TYPE_CODE, Some(TITLE))),
        ),
        (
            "category",
            Some(J::A(vec![concept(
                DOC_SUBTYPE_SYSTEM,
                cat_code,
                Some(cat_display),
            )])),
        ),
        ("subject", Some(patient_ref.clone())),
        ("date", Some(s(&l.created))),
        (
            "author",
            Some(J::A(vec![
                reference(&ids.from_practitioner, "Practitioner"),
                reference(&ids.from_organization, "Organization"),
            ])),
        ),
        ("title", Some(s(TITLE))),
        (
            "custodian",
            Some(reference(&ids.from_organization, "Organization")),
        ),
        (
            "event",
            Some(J::A(vec![obj(vec![
                (
                    "code",
                    Some(J::A(vec![obj(vec![("text", Some(s(EVENT_TEXT)))])])),
                ),
                ("period", Some(obj(vec![("start", Some(s(date)))]))),
            ])])),
        ),
        ("section", Some(J::A(top))),
    ]);

    // Exactly one local patient identifier, the referrer's (R1010); the
    // recipient's ID is named in the 910 narrative. Then the one insurance
    // or public-payer identifier (R1012).
    let mut identifiers = vec![obj(vec![
        (
            "system",
            Some(s(format!("{PATIENT_ID_PREFIX}{}", from.number))),
        ),
        ("value", Some(s(&p.id))),
    ])];
    for (system, value) in [
        (INSURANCE_ID_SYSTEM, &p.insurance_id),
        (PUBLIC_PAYER_ID_SYSTEM, &p.public_payer_id),
    ] {
        if let Some(v) = value {
            identifiers.push(obj(vec![
                ("system", Some(s(system))),
                ("value", Some(s(v))),
            ]));
        }
    }
    let gender = match p.sex {
        Sex::Male => "male",
        Sex::Female => "female",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    };
    let patient = obj(vec![
        ("resourceType", Some(s("Patient"))),
        ("meta", Some(meta(PATIENT_PROFILE, &last_updated))),
        ("identifier", Some(J::A(identifiers))),
        ("name", Some(names(&p.name, Some(&p.kana)))),
        (
            "telecom",
            p.phone.as_deref().map(|t| {
                J::A(vec![obj(vec![
                    ("system", Some(s("phone"))),
                    ("value", Some(s(t))),
                    ("use", Some(s("home"))),
                ])])
            }),
        ),
        ("gender", Some(s(gender))),
        ("birthDate", Some(s(&p.birth_date))),
        (
            "address",
            address(p.postal_code.as_deref(), p.address.as_deref()),
        ),
    ]);

    let entry = |url: &str, resource: J| {
        obj(vec![
            ("fullUrl", Some(s(url))),
            ("resource", Some(resource)),
        ])
    };
    let mut entries = vec![
        entry(&ids.composition, composition),
        entry(&ids.patient, patient),
        entry(&ids.from_practitioner, practitioner(&l.from.doctor)),
        entry(&ids.from_organization, organization(from)),
        entry(&ids.to_organization, organization(to)),
    ];
    if let Some(d) = &l.to.doctor {
        entries.push(entry(&ids.to_practitioner, practitioner(d)));
    }
    for (url, res) in extra_entries {
        entries.push(entry(&url, res));
    }

    obj(vec![
        ("resourceType", Some(s("Bundle"))),
        ("meta", Some(meta(BUNDLE_PROFILE, &last_updated))),
        ("language", Some(s("ja"))),
        (
            "identifier",
            Some(obj(vec![
                ("system", Some(s(BUNDLE_ID_SYSTEM))),
                (
                    "value",
                    Some(s(format!(
                        "{}^{year:04}^{}",
                        from.number, l.document_number
                    ))),
                ),
            ])),
        ),
        ("type", Some(s("document"))),
        ("timestamp", Some(s(timestamp))),
        ("entry", Some(J::A(entries))),
    ])
}

const OCCUPATION_ID: &str = crate::hs008::OCCUPATION_ID;
/// How the 340 narrative gives a diagnosis's onset: 「病名（発症 2025-03）」.
const ONSET_OPEN: &str = "（発症 ";

/// The onset Inkan writes when a name would otherwise read as name and
/// onset; never a valid onset itself (onsets are partial dates).
const ONSET_UNKNOWN: &str = "不明";

/// A 340 narrative line as name and onset, when it ends in 「（発症 X）」
/// with X a partial date or 「不明」 (no onset). Another writer's
/// 「（発症 小児期）」 stays part of the name: not a date to check.
fn split_onset(line: &str) -> Option<(&str, Option<&str>)> {
    let (name, onset) = line.strip_suffix('）')?.rsplit_once(ONSET_OPEN)?;
    let (name, onset) = (name.trim(), onset.trim());
    if name.is_empty() {
        return None;
    }
    if onset == ONSET_UNKNOWN {
        Some((name, None))
    } else {
        parse_partial(onset)
            .is_some()
            .then_some((name, Some(onset)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_round_trips_losslessly_and_byte_stably() {
        let letter = ReferralLetter::example();
        let json = write(&letter).expect("write");
        assert_eq!(json, write(&letter).expect("write again"));
        let doc = read(&json).expect("read");
        assert_eq!(doc.problems, vec![]);
        assert_eq!(doc.letter, letter);
    }

    #[test]
    fn minimal_letter_round_trips() {
        let mut l = ReferralLetter::example();
        l.to.doctor = None;
        l.patient.occupation = Some("農業".into());
        l.social_history = None;
        l.patient.recipient_id = Some("H-0099".into());
        l.patient.sex = Sex::Unknown;
        l.prescriptions.clear();
        l.attachments.clear();
        l.remarks = None;
        l.category = Category::Discharge;
        l.created = "2025-03-14T09:05:07+09:00".into();
        l.version = 3;
        l.patient.insurance_id = None;
        l.patient.public_payer_id = Some("12131415::1234567:".into());
        let doc = read(&write(&l).expect("write")).expect("read");
        assert_eq!(doc.problems, vec![]);
        assert_eq!(doc.letter, l);
    }

    #[test]
    fn nothing_known_sections_say_nilknown_and_narrative_sections_no_empty_reason() {
        let json =
            String::from_utf8(write(&ReferralLetter::example()).expect("write")).expect("utf8");
        // allergies are 「特になし」 in the example
        assert!(json.contains("\"code\": \"nilknown\""));
        // Every other text-only section carries its narrative alone.
        assert!(!json.contains("unavailable"), "{json}");
        assert_eq!(json.matches("\"emptyReason\"").count(), 1, "{json}");
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("aGVs\nbG8h").as_deref(), Some(&b"hello!"[..]));
        assert_eq!(base64_decode("a$=="), None);
        // Unpadded and non-canonical trailing bits are not base64Binary.
        assert_eq!(base64_decode("aGVsbG8"), None);
        assert_eq!(base64_decode("aGVsbG9="), None);
    }

    #[test]
    fn bundle_identifiers_follow_the_pattern() {
        assert!(bundle_identifier_ok(
            "1318814790^2024^0123-Referral-203949583949"
        ));
        assert!(!bundle_identifier_ok("1318814790^24^x"));
        assert!(!bundle_identifier_ok("1318814790^2024^has space"));
        assert!(!bundle_identifier_ok("1318814790^2024"));
    }
}
