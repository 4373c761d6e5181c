//! IHE XDM (Cross-Enterprise Document Media Interchange, ITI-32) as a zip:
//!
//! ```text
//! INDEX.HTM                      what the medium holds, for a person
//! README.TXT                     who made it, with what
//! IHE_XDM/SUBSET01/METADATA.XML  lcm:SubmitObjectsRequest (ebRIM 3.0)
//! IHE_XDM/SUBSET01/DOC0001.XML   the documents (DocumentEntry URI slot)
//! ```
//!
//! `METADATA.XML` carries the XDS metadata of ITI TF-3 §4.2.3 / Table
//! 4.3.1-3 at the *XDS* level (every attribute that ITI-41 requires; XDM
//! itself requires fewer but adds `hash`, `size` and `URI`): one
//! SubmissionSet (a RegistryPackage classified as such), one DocumentEntry
//! (an ExtrinsicObject) per file, and a HasMember association from the set
//! to each entry with `SubmissionSetStatus` = `Original`.
//!
//! Codes: `typeCode`, `classCode` and `contentTypeCode` are LOINC 57133-1
//! (Referral note); `confidentialityCode` N (HL7 v3 Confidentiality);
//! `formatCode`, `healthcareFacilityTypeCode` and `practiceSettingCode` have
//! no Japanese affinity-domain value set we could find, so they use Inkan's
//! own scheme `urn:inkan:…` (documented in docs/submission.md), which an
//! affinity domain maps. A detached CAdES signature is its own
//! DocumentEntry: `classCode` Digital Signature (IHE DSG,
//! `1.3.6.1.4.1.19376.1.2.1.1.1`), `typeCode` E1762 (ASTM), `formatCode`
//! `urn:ietf:rfc:5652` (CMS), since DSG itself defines only XAdES.
//!
//! Every identifier is derived from the item (its key, its queue time), so
//! the zip is the same bytes on every attempt: a retry after a crash finds
//! the earlier delivery identical ([`crate::folder`]).

use crate::error::DeliveryError;
use crate::model::{Artefact, Item, Role};
use crate::time::dtm_utc;
use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

/// ebRIM 3.0 `rim:` namespace.
pub const RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
/// ebRS 3.0 `lcm:` namespace.
pub const LCM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";

/// The classification and identification schemes of ITI TF-3 §4.2.5.
pub mod uuids {
    /// DocumentEntry objectType (stable).
    pub const DE_STABLE: &str = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
    /// DocumentEntry.author.
    pub const DE_AUTHOR: &str = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
    /// DocumentEntry.classCode.
    pub const DE_CLASS: &str = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
    /// DocumentEntry.confidentialityCode.
    pub const DE_CONFIDENTIALITY: &str = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
    /// DocumentEntry.formatCode.
    pub const DE_FORMAT: &str = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
    /// DocumentEntry.healthcareFacilityTypeCode.
    pub const DE_FACILITY: &str = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
    /// DocumentEntry.practiceSettingCode.
    pub const DE_PRACTICE: &str = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
    /// DocumentEntry.typeCode.
    pub const DE_TYPE: &str = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
    /// DocumentEntry.patientId (ExternalIdentifier).
    pub const DE_PATIENT_ID: &str = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
    /// DocumentEntry.uniqueId (ExternalIdentifier).
    pub const DE_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
    /// The SubmissionSet classification node.
    pub const SS_NODE: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
    /// SubmissionSet.author.
    pub const SS_AUTHOR: &str = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
    /// SubmissionSet.contentTypeCode.
    pub const SS_CONTENT_TYPE: &str = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
    /// SubmissionSet.patientId (ExternalIdentifier).
    pub const SS_PATIENT_ID: &str = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
    /// SubmissionSet.sourceId (ExternalIdentifier).
    pub const SS_SOURCE_ID: &str = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
    /// SubmissionSet.uniqueId (ExternalIdentifier).
    pub const SS_UNIQUE_ID: &str = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
}

const LOINC: &str = "2.16.840.1.113883.6.1";
const HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";
const APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";

/// A UUID (RFC 9562 version 8, "custom") derived from `seed`.
pub(crate) fn uuid_from(seed: &str) -> [u8; 16] {
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    b
}

/// `xxxxxxxx-xxxx-…` of a UUID.
pub(crate) fn uuid_text(b: &[u8; 16]) -> String {
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `2.25.<the UUID as an integer>` (ITU-T X.667): an OID nobody else issues.
pub(crate) fn oid_from(seed: &str) -> String {
    format!("2.25.{}", u128::from_be_bytes(uuid_from(seed)))
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Not allowed in XML 1.0; the form never lets them in, but a
            // received letter might carry one.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// HL7 v2 component text: the delimiters `^ & ~ \ |` are escaped.
fn v2(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '^' => o.push_str("\\S\\"),
            '&' => o.push_str("\\T\\"),
            '~' => o.push_str("\\R\\"),
            '\\' => o.push_str("\\E\\"),
            '|' => o.push_str("\\F\\"),
            c => o.push(c),
        }
    }
    o
}

/// The patient as an HL7 v2 CX with an ISO assigning authority.
pub(crate) fn patient_cx(item: &Item) -> String {
    format!(
        "{}^^^&{}&ISO",
        v2(&item.meta.patient.id),
        item.meta.patient.id_oid
    )
}

/// `family^given` from 「山田 太郎」 (ASCII or ideographic space).
pub(crate) fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.split_once([' ', '\u{3000}']) {
        Some((f, g)) => (f.trim().to_owned(), g.trim().to_owned()),
        None => (name.to_owned(), String::new()),
    }
}

/// YYYYMMDD[HHMMSS] in UTC from the letter's `YYYY-MM-DD` or RFC 3339 instant.
fn creation_time(created: &str) -> String {
    let digits: String = created
        .chars()
        .take(10)
        .filter(char::is_ascii_digit)
        .collect();
    if created.len() >= 19 {
        if let Some(t) = parse_rfc3339(created) {
            return dtm_utc(t);
        }
    }
    digits
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)`.
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 19 || b[10] != b'T' {
        return None;
    }
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" => 0,
        r if r.len() == 6 && (r.starts_with('+') || r.starts_with('-')) => {
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (r.get(1..3)?.parse::<i64>().ok()? * 3600
                + r.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    // Days from civil (Hinnant).
    let (y2, m2) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

struct Entry<'a> {
    artefact: &'a Artefact,
    id: String,
    uri: String,
    unique_id: String,
}

/// The file name of artefact `n` (from 1) in the subset.
fn uri(n: usize, a: &Artefact) -> String {
    let ext = a
        .name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_uppercase())
        .filter(|e| !e.is_empty() && e.len() <= 4 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "BIN".into());
    format!("DOC{n:04}.{ext}")
}

/// `METADATA.XML` of `item`.
pub fn metadata_xml(item: &Item, artefacts: &[Artefact]) -> String {
    let seed = format!("{}|{}|{}", item.key.system, item.key.value, item.doc_sha256);
    let ss_id = format!("urn:uuid:{}", uuid_text(&uuid_from(&format!("ss|{seed}"))));
    let entries: Vec<Entry<'_>> = artefacts
        .iter()
        .enumerate()
        .map(|(i, a)| Entry {
            artefact: a,
            id: format!(
                "urn:uuid:{}",
                uuid_text(&uuid_from(&format!("de{i}|{seed}")))
            ),
            uri: uri(i + 1, a),
            unique_id: oid_from(&format!(
                "doc{i}|{}|{}|{}",
                item.key.system, item.key.value, a.sha256
            )),
        })
        .collect();
    let mut ids = Ids {
        n: 0,
        seed: seed.clone(),
    };
    let m = &item.meta;
    let (family, given) = split_name(&m.author.name);
    let author_person = format!("^{}^{}^^^^^^", v2(&family), v2(&given));
    // XON with the 保険医療機関番号 as its identifier (JAHIS OID arc of the
    // institution code).
    let author_institution = format!(
        "{}^^^^^&1.2.392.100495.20.3.23&ISO^^^^{}",
        v2(&m.author.institution_name),
        v2(&m.author.institution_number)
    );
    let cx = patient_cx(item);
    let (pfam, pgiven) = split_name(&m.patient.name);
    let birth: String = m
        .patient
        .birth_date
        .chars()
        .filter(char::is_ascii_digit)
        .collect();

    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<lcm:SubmitObjectsRequest xmlns:lcm=\"{LCM}\" xmlns:rim=\"{RIM}\">"
    );
    x.push_str(" <rim:RegistryObjectList>\n");
    let slot = |x: &mut String, name: &str, values: &[String]| {
        let _ = write!(x, "   <rim:Slot name=\"{}\"><rim:ValueList>", esc(name));
        for v in values {
            let _ = write!(x, "<rim:Value>{}</rim:Value>", esc(v));
        }
        x.push_str("</rim:ValueList></rim:Slot>\n");
    };
    let name = |x: &mut String, v: &str| {
        let _ = writeln!(
            x,
            "   <rim:Name><rim:LocalizedString xml:lang=\"ja-JP\" charset=\"UTF-8\" value=\"{}\"/></rim:Name>",
            esc(v)
        );
    };
    for e in &entries {
        let a = e.artefact;
        let _ = writeln!(
            x,
            "  <rim:ExtrinsicObject id=\"{}\" mimeType=\"{}\" objectType=\"{}\" status=\"{APPROVED}\">",
            e.id,
            esc(&a.media_type),
            uuids::DE_STABLE
        );
        slot(&mut x, "creationTime", &[creation_time(&m.created)]);
        slot(&mut x, "hash", &[sha1_hex(&a.bytes)]);
        slot(&mut x, "size", &[a.bytes.len().to_string()]);
        slot(&mut x, "languageCode", &["ja-JP".into()]);
        slot(&mut x, "sourcePatientId", std::slice::from_ref(&cx));
        slot(
            &mut x,
            "sourcePatientInfo",
            &[
                format!("PID-3|{cx}"),
                format!("PID-5|{}^{}^^^", v2(&pfam), v2(&pgiven)),
                format!("PID-7|{birth}"),
                format!("PID-8|{}", m.patient.sex),
            ],
        );
        slot(&mut x, "URI", std::slice::from_ref(&e.uri));
        let is_signature = a.role == Role::Signature;
        name(
            &mut x,
            &if is_signature {
                format!("{} の電子署名（CAdES）", m.title)
            } else {
                m.title.clone()
            },
        );
        // author
        let _ = writeln!(
            x,
            "   <rim:Classification classificationScheme=\"{}\" classifiedObject=\"{}\" nodeRepresentation=\"\" id=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification\">",
            uuids::DE_AUTHOR,
            e.id,
            ids.next("au")
        );
        slot(&mut x, "authorPerson", std::slice::from_ref(&author_person));
        slot(
            &mut x,
            "authorInstitution",
            std::slice::from_ref(&author_institution),
        );
        if !m.author.department.is_empty() {
            slot(
                &mut x,
                "authorSpecialty",
                std::slice::from_ref(&m.author.department),
            );
        }
        x.push_str("   </rim:Classification>\n");
        let (class, class_scheme, class_display, type_code, type_scheme, type_display, format) =
            if is_signature {
                (
                    "1.3.6.1.4.1.19376.1.2.1.1.1",
                    "URN",
                    "Digital Signature",
                    "E1762",
                    "ASTM",
                    "Full Document",
                    "urn:ietf:rfc:5652",
                )
            } else {
                (
                    m.type_code.as_str(),
                    LOINC,
                    m.type_display.as_str(),
                    m.type_code.as_str(),
                    LOINC,
                    m.type_display.as_str(),
                    match m.format.as_str() {
                        "HS008" => "urn:inkan:format:hs008",
                        "HS038" => "urn:inkan:format:hs038",
                        _ => "urn:inkan:format:referral-package",
                    },
                )
            };
        classification(
            &mut x,
            &mut ids,
            uuids::DE_CLASS,
            &e.id,
            class,
            class_scheme,
            class_display,
        );
        classification(
            &mut x,
            &mut ids,
            uuids::DE_CONFIDENTIALITY,
            &e.id,
            "N",
            "2.16.840.1.113883.5.25",
            "normal",
        );
        classification(
            &mut x,
            &mut ids,
            uuids::DE_FORMAT,
            &e.id,
            format,
            "urn:inkan:format",
            format,
        );
        classification(
            &mut x,
            &mut ids,
            uuids::DE_FACILITY,
            &e.id,
            "insurance-medical-institution",
            "urn:inkan:facility-type",
            "保険医療機関",
        );
        let dept = if m.author.department.is_empty() {
            "-"
        } else {
            m.author.department.as_str()
        };
        classification(
            &mut x,
            &mut ids,
            uuids::DE_PRACTICE,
            &e.id,
            dept,
            "urn:inkan:department",
            dept,
        );
        classification(
            &mut x,
            &mut ids,
            uuids::DE_TYPE,
            &e.id,
            type_code,
            type_scheme,
            type_display,
        );
        ext_id(
            &mut x,
            uuids::DE_PATIENT_ID,
            &e.id,
            &cx,
            "XDSDocumentEntry.patientId",
            &ids.next("ei"),
        );
        ext_id(
            &mut x,
            uuids::DE_UNIQUE_ID,
            &e.id,
            &e.unique_id,
            "XDSDocumentEntry.uniqueId",
            &ids.next("ei"),
        );
        x.push_str("  </rim:ExtrinsicObject>\n");
    }
    // The submission set.
    let _ = writeln!(
        x,
        "  <rim:RegistryPackage id=\"{ss_id}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage\">"
    );
    slot(
        &mut x,
        "submissionTime",
        &[creation_or_queue(item.stable_time())],
    );
    if let Some(r) = &m.recipient {
        slot(&mut x, "intendedRecipient", &[v2(r)]);
    }
    name(&mut x, &format!("{}の送付", m.title));
    let _ = writeln!(
        x,
        "   <rim:Classification classificationScheme=\"{}\" classifiedObject=\"{ss_id}\" nodeRepresentation=\"\" id=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification\">",
        uuids::SS_AUTHOR,
        ids.next("au")
    );
    slot(&mut x, "authorPerson", std::slice::from_ref(&author_person));
    slot(
        &mut x,
        "authorInstitution",
        std::slice::from_ref(&author_institution),
    );
    x.push_str("   </rim:Classification>\n");
    classification(
        &mut x,
        &mut ids,
        uuids::SS_CONTENT_TYPE,
        &ss_id,
        &m.type_code,
        LOINC,
        &m.type_display,
    );
    ext_id(
        &mut x,
        uuids::SS_UNIQUE_ID,
        &ss_id,
        &oid_from(&format!("ss|{seed}")),
        "XDSSubmissionSet.uniqueId",
        &ids.next("ei"),
    );
    ext_id(
        &mut x,
        uuids::SS_SOURCE_ID,
        &ss_id,
        &oid_from(&format!("source|{}", m.author.institution_number)),
        "XDSSubmissionSet.sourceId",
        &ids.next("ei"),
    );
    ext_id(
        &mut x,
        uuids::SS_PATIENT_ID,
        &ss_id,
        &cx,
        "XDSSubmissionSet.patientId",
        &ids.next("ei"),
    );
    x.push_str("  </rim:RegistryPackage>\n");
    let _ = writeln!(
        x,
        "  <rim:Classification classifiedObject=\"{ss_id}\" classificationNode=\"{}\" id=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification\"/>",
        uuids::SS_NODE,
        ids.next("cl")
    );
    for e in &entries {
        let _ = writeln!(
            x,
            "  <rim:Association associationType=\"{HAS_MEMBER}\" sourceObject=\"{ss_id}\" targetObject=\"{}\" id=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association\">",
            e.id,
            ids.next("as")
        );
        x.push_str("   <rim:Slot name=\"SubmissionSetStatus\"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>\n");
        x.push_str("  </rim:Association>\n");
    }
    x.push_str(" </rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n");
    x
}

/// Entry ids derived from the item: the same on every attempt.
struct Ids {
    n: usize,
    seed: String,
}

impl Ids {
    fn next(&mut self, what: &str) -> String {
        self.n += 1;
        format!(
            "urn:uuid:{}",
            uuid_text(&uuid_from(&format!("{what}{}|{}", self.n, self.seed)))
        )
    }
}

fn classification(
    x: &mut String,
    ids: &mut Ids,
    scheme: &str,
    object: &str,
    code: &str,
    coding: &str,
    display: &str,
) {
    let _ = writeln!(
        x,
        "   <rim:Classification classificationScheme=\"{scheme}\" classifiedObject=\"{object}\" nodeRepresentation=\"{}\" id=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification\">",
        esc(code),
        ids.next("cl")
    );
    let _ = writeln!(
        x,
        "    <rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>{}</rim:Value></rim:ValueList></rim:Slot>",
        esc(coding)
    );
    let _ = writeln!(
        x,
        "    <rim:Name><rim:LocalizedString xml:lang=\"ja-JP\" charset=\"UTF-8\" value=\"{}\"/></rim:Name>",
        esc(display)
    );
    x.push_str("   </rim:Classification>\n");
}

fn creation_or_queue(created_utc: &str) -> String {
    parse_rfc3339(created_utc).map(dtm_utc).unwrap_or_default()
}

fn ext_id(x: &mut String, scheme: &str, object: &str, value: &str, label: &str, id: &str) {
    let _ = writeln!(
        x,
        "   <rim:ExternalIdentifier identificationScheme=\"{scheme}\" registryObject=\"{object}\" value=\"{}\" id=\"{id}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier\">",
        esc(value)
    );
    let _ = writeln!(
        x,
        "    <rim:Name><rim:LocalizedString xml:lang=\"en\" charset=\"UTF-8\" value=\"{label}\"/></rim:Name>"
    );
    x.push_str("   </rim:ExternalIdentifier>\n");
}

/// SHA-1, hex: the hash XDS metadata and FHIR `Attachment.hash` use.
pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest as _;
    hex::encode(sha1::Sha1::digest(bytes))
}

/// The XDM zip of `item`: deterministic (fixed times, given order).
pub fn zip(item: &Item, artefacts: &[Artefact]) -> Result<Vec<u8>, DeliveryError> {
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime, ZipWriter};
    let err = |e: String| DeliveryError::Unsupported {
        why: format!("the XDM zip could not be written: {e}"),
        ja: format!("XDM の zip を作成できません: {e}"),
    };
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("INDEX.HTM".into(), index_htm(item, artefacts).into_bytes()),
        (
            "README.TXT".into(),
            readme_txt(item, artefacts).into_bytes(),
        ),
        (
            "IHE_XDM/SUBSET01/METADATA.XML".into(),
            metadata_xml(item, artefacts).into_bytes(),
        ),
    ];
    for (i, a) in artefacts.iter().enumerate() {
        files.push((
            format!("IHE_XDM/SUBSET01/{}", uri(i + 1, a)),
            a.bytes.clone(),
        ));
    }
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in &files {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        w.start_file(name.as_str(), options)
            .map_err(|e| err(e.to_string()))?;
        w.write_all(bytes).map_err(|e| err(e.to_string()))?;
    }
    Ok(w.finish().map_err(|e| err(e.to_string()))?.into_inner())
}

fn index_htm(item: &Item, artefacts: &[Artefact]) -> String {
    let m = &item.meta;
    let mut rows = String::new();
    for (i, a) in artefacts.iter().enumerate() {
        let _ = writeln!(
            rows,
            "<li><a href=\"IHE_XDM/SUBSET01/{0}\">{0}</a>: {1} ({2}, {3} bytes)</li>",
            uri(i + 1, a),
            esc(&a.name),
            esc(&a.media_type),
            a.bytes.len()
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"UTF-8\"><title>{t}</title></head><body>\n\
<h1>{t}</h1>\n<p>紹介元: {from}（{dr}）</p>\n<p>この媒体は IHE XDM 形式です。<a href=\"README.TXT\">README.TXT</a> をご覧ください。</p>\n<ul>\n{rows}</ul>\n</body></html>\n",
        t = esc(&m.title),
        from = esc(&m.author.institution_name),
        dr = esc(&m.author.name),
    )
}

fn readme_txt(item: &Item, artefacts: &[Artefact]) -> String {
    let m = &item.meta;
    let mut s = String::new();
    let _ = write!(
        s,
        "IHE XDM (ITI-32) interchange written by Inkan {ver}\r\n\
Sender / 紹介元: {inst} (保険医療機関番号 {num}), {dr}\r\n\
Document / 文書: {title}, identifier {sys}|{val}\r\n\
Signed by / 署名者: {signer} (verified when queued: {verdict})\r\n\
Signed / 署名: {queued}\r\n\r\nFiles:\r\n",
        ver = env!("CARGO_PKG_VERSION"),
        inst = m.author.institution_name,
        num = m.author.institution_number,
        dr = m.author.name,
        title = m.title,
        sys = item.key.system,
        val = item.key.value,
        signer = item.signer.as_deref().unwrap_or("-"),
        verdict = item.verdict,
        queued = item.stable_time(),
    );
    for (i, a) in artefacts.iter().enumerate() {
        let _ = write!(
            s,
            "  IHE_XDM/SUBSET01/{}  {}  {}  SHA-256 {}\r\n",
            uri(i + 1, a),
            a.name,
            a.media_type,
            a.sha256
        );
    }
    s.push_str(
        "\r\nThe signature file (.P7S) is a detached CAdES signature (RFC 5652) of the document before it.\r\n\
Verify with Inkan (inkan verify) or: openssl cms -verify -binary -inform DER -in DOC0002.P7S -content DOC0001.XML\r\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_stable_and_well_formed() {
        let u = uuid_from("x");
        assert_eq!(u, uuid_from("x"));
        assert_ne!(u, uuid_from("y"));
        let t = uuid_text(&u);
        assert_eq!(t.len(), 36);
        assert_eq!(&t[14..15], "8", "version 8: {t}");
        assert!(matches!(&t[19..20], "8" | "9" | "a" | "b"), "variant: {t}");
        let oid = oid_from("x");
        assert!(oid.starts_with("2.25.") && oid[5..].chars().all(|c| c.is_ascii_digit()));
        assert_eq!(v2("a^b&c"), "a\\S\\b\\T\\c");
        assert_eq!(esc("<&\"\u{1}>"), "&lt;&amp;&quot;\u{fffd}&gt;");
        assert_eq!(
            split_name("山田\u{3000}太郎"),
            ("山田".into(), "太郎".into())
        );
        assert_eq!(
            parse_rfc3339("2026-11-25T09:00:00+09:00"),
            Some(1_795_564_800)
        );
        assert_eq!(creation_time("2026-11-25"), "20261125");
        assert_eq!(creation_time("2026-11-25T09:00:00+09:00"), "20261125000000");
    }
}
