//! IHE MHD ITI-65 "Provide Document Bundle": a FHIR R4 `transaction` with a
//! SubmissionSet `List`, one `DocumentReference` and a `Binary` per file
//! (https://profiles.ihe.net/ITI/MHD/ITI-65.html).
//!
//! Replays never duplicate:
//! - the `DocumentReference` and the `List` are conditional creates
//!   (`ifNoneExist` on their identifiers);
//! - each `Binary` is written with `PUT Binary/<id>`, an id derived from the
//!   document's identifier and the file's hash, so a replay rewrites the
//!   same content under the same id, and `attachment.url` is
//!   `Binary/<id>` as written: nothing depends on the server rewriting
//!   `Attachment.url` (helios-hfs does not; see docs/submission.md);
//! - the `Patient` the `subject` points at is a conditional create too, on
//!   the JP Core patient identifier, so that a plain FHIR server (no PIXm
//!   patient feed) resolves the reference; the same patient is also
//!   `context.sourcePatientInfo`, contained, as MHD asks.

use crate::error::DeliveryError;
use crate::model::{Artefact, IdempotencyKey, Item, Role};
use crate::xdm::{oid_from, parse_rfc3339, split_name, uuid_from, uuid_text};
use base64::Engine as _;
use serde_json::{json, Value};

/// LOINC's system URI.
pub const LOINC: &str = "http://loinc.org";

/// The FHIR id of the `Binary` holding `a` for `item`.
pub fn binary_id(item: &Item, a: &Artefact) -> String {
    let u = uuid_from(&format!(
        "binary|{}|{}|{}",
        item.key.system, item.key.value, a.sha256
    ));
    format!("inkan-{}", hex::encode(&u[..12]))
}

/// `urn:oid:` of the document's uniqueId (XDS `DocumentEntry.uniqueId`).
pub fn unique_id(item: &Item) -> String {
    format!(
        "urn:oid:{}",
        oid_from(&format!(
            "mhd|{}|{}|{}",
            item.key.system, item.key.value, item.doc_sha256
        ))
    )
}

fn instant(utc: &str) -> String {
    // The outbox writes `YYYY-MM-DDTHH:MM:SSZ`, a FHIR instant as is.
    utc.to_owned()
}

fn created_datetime(created: &str) -> Value {
    if parse_rfc3339(created).is_some() || created.len() == 10 {
        Value::String(created.to_owned())
    } else {
        Value::Null
    }
}

/// The patient resource (as a conditional create, and contained).
fn patient(item: &Item, id: Option<&str>) -> Value {
    let p = &item.meta.patient;
    let (family, given) = split_name(&p.name);
    let mut name = json!({ "use": "official", "text": p.name, "family": family });
    if !given.is_empty() {
        name["given"] = json!([given]);
    }
    let mut names = vec![name];
    if !p.kana.is_empty() {
        let (kf, kg) = split_name(&p.kana);
        let mut k = json!({
            "use": "official", "text": p.kana, "family": kf,
            "extension": [{ "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation", "valueCode": "SYL" }]
        });
        if !kg.is_empty() {
            k["given"] = json!([kg]);
        }
        names.push(k);
    }
    let mut v = json!({
        "resourceType": "Patient",
        "identifier": [{ "system": format!("urn:oid:{}", p.id_oid), "value": p.id }],
        "name": names,
        "gender": match p.sex.as_str() { "M" => "male", "F" => "female", "O" => "other", _ => "unknown" },
    });
    if !p.birth_date.is_empty() {
        v["birthDate"] = json!(p.birth_date);
    }
    if let Some(id) = id {
        v["id"] = json!(id);
    }
    v
}

/// Refuses a patient the receiver could confuse with another: no local
/// patient ID, or no 10-digit institution number for its assigning authority
/// (`identifier=system|` would match any patient of the clinic).
pub fn check_patient(item: &Item) -> Result<(), DeliveryError> {
    let p = &item.meta.patient;
    let number = &item.meta.author.institution_number;
    let id_ok = !p.id.trim().is_empty() && p.id.chars().all(|c| !c.is_control());
    let number_ok = number.len() == 10 && number.chars().all(|c| c.is_ascii_digit());
    if id_ok && number_ok && !p.id_oid.is_empty() {
        Ok(())
    } else {
        Err(DeliveryError::Unsupported {
            why: "the letter has no patient ID (or no 10-digit institution number), so the receiver could file it under another patient; add the 患者ID and sign again".into(),
            ja: "紹介状に患者ID（または10桁の医療機関番号）がないため、受信側で別の患者に登録されるおそれがあります。患者IDを記入して署名し直してください".into(),
        })
    }
}

/// The ITI-65 transaction Bundle for `item` (artefacts with their bytes).
pub fn transaction(item: &Item, artefacts: &[Artefact]) -> Result<Value, DeliveryError> {
    check_patient(item)?;
    let m = &item.meta;
    let seed = format!("{}|{}|{}", item.key.system, item.key.value, item.doc_sha256);
    let urn = |what: &str| {
        format!(
            "urn:uuid:{}",
            uuid_text(&uuid_from(&format!("{what}|{seed}")))
        )
    };
    let (patient_urn, docref_urn, list_urn) = (urn("patient"), urn("docref"), urn("list"));
    let files: Vec<&Artefact> = artefacts
        .iter()
        .filter(|a| a.role != Role::Enveloped)
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut entries: Vec<Value> = Vec::new();
    entries.push(json!({
        "fullUrl": patient_urn,
        "resource": patient(item, None),
        "request": {
            "method": "POST", "url": "Patient",
            "ifNoneExist": IdempotencyKey { system: format!("urn:oid:{}", m.patient.id_oid), value: m.patient.id.clone() }.condition(),
        }
    }));
    let mut content = Vec::new();
    for a in &files {
        let id = binary_id(item, a);
        entries.push(json!({
            "fullUrl": format!("Binary/{id}"),
            "resource": { "resourceType": "Binary", "id": id, "contentType": a.media_type, "data": b64.encode(&a.bytes) },
            "request": { "method": "PUT", "url": format!("Binary/{id}") }
        }));
        let hash_b64 = sha1_b64(&a.bytes);
        let (fmt_system, fmt_code, fmt_display) = match (a.role, m.format.as_str()) {
            (Role::Signature, _) => (
                "urn:ietf:rfc:5652",
                "cades-detached",
                "CAdES detached signature (CMS SignedData)",
            ),
            (_, "HS008") => (
                "urn:inkan:format",
                "hs008",
                "HS008 診療情報提供書 (HL7 CDA R2)",
            ),
            (_, "HS038") => (
                "urn:inkan:format",
                "hs038",
                "HS038 診療情報提供書 (FHIR document)",
            ),
            _ => (
                "urn:inkan:format",
                "referral-package",
                "Inkan referral package",
            ),
        };
        let mut attachment = json!({
            "contentType": a.media_type,
            "language": "ja-JP",
            "url": format!("Binary/{id}"),
            "size": a.bytes.len(),
            "hash": hash_b64,
            "title": a.name,
        });
        if let Value::String(c) = created_datetime(&m.created) {
            attachment["creation"] = json!(c);
        }
        content.push(json!({
            "attachment": attachment,
            "format": { "system": fmt_system, "code": fmt_code, "display": fmt_display }
        }));
    }
    let (afam, agiven) = split_name(&m.author.name);
    let mut practitioner_name = json!({ "text": m.author.name, "family": afam });
    if !agiven.is_empty() {
        practitioner_name["given"] = json!([agiven]);
    }
    let organization = json!({
        "resourceType": "Organization", "id": "org",
        "identifier": [{ "system": "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no", "value": m.author.institution_number }],
        "name": m.author.institution_name,
    });
    let practitioner =
        json!({ "resourceType": "Practitioner", "id": "author", "name": [practitioner_name] });
    let mut docref = json!({
        "resourceType": "DocumentReference",
        "meta": { "profile": ["https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Comprehensive.DocumentReference"] },
        "contained": [practitioner, organization, patient(item, Some("src-patient"))],
        "masterIdentifier": { "system": "urn:ietf:rfc:3986", "value": unique_id(item) },
        "identifier": [
            { "use": "official", "system": item.key.system, "value": item.key.value },
            { "use": "usual", "system": "urn:ietf:rfc:3986", "value": urn("entry") }
        ],
        "status": "current",
        "type": { "coding": [{ "system": LOINC, "code": m.type_code, "display": m.type_display }], "text": m.title },
        "category": [{ "coding": [{ "system": LOINC, "code": m.type_code, "display": m.type_display }] }],
        "subject": { "reference": patient_urn },
        "date": instant(item.stable_time()),
        "author": [{ "reference": "#author" }, { "reference": "#org" }],
        "description": m.title,
        "securityLabel": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N", "display": "normal" }] }],
        "content": content,
        "context": {
            "facilityType": { "coding": [{ "system": "urn:inkan:facility-type", "code": "insurance-medical-institution", "display": "保険医療機関" }] },
            "practiceSetting": { "coding": [{ "system": "urn:inkan:department", "code": if m.author.department.is_empty() { "-" } else { m.author.department.as_str() } }] },
            "sourcePatientInfo": { "reference": "#src-patient" },
        }
    });
    if let Some(signer) = &item.signer {
        docref["authenticator"] = json!({ "display": signer });
    }
    entries.push(json!({
        "fullUrl": docref_urn,
        "resource": docref,
        "request": { "method": "POST", "url": "DocumentReference", "ifNoneExist": item.key.condition() }
    }));
    let ss_unique = format!("urn:oid:{}", oid_from(&format!("ss|{seed}")));
    let mut list = json!({
        "resourceType": "List",
        "meta": { "profile": ["https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Comprehensive.SubmissionSet"] },
        "extension": [{
            "url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId",
            "valueIdentifier": { "value": format!("urn:oid:{}", oid_from(&format!("source|{}", m.author.institution_number))) }
        }],
        "identifier": [
            { "use": "usual", "system": "urn:ietf:rfc:3986", "value": ss_unique },
            { "use": "official", "system": "urn:ietf:rfc:3986", "value": urn("ss-entry") }
        ],
        "status": "current",
        "mode": "working",
        "title": format!("{}の送付", m.title),
        "code": { "coding": [{ "system": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "code": "submissionset" }] },
        "subject": { "reference": patient_urn },
        "date": instant(item.stable_time()),
        "entry": [{ "item": { "reference": docref_urn } }],
    });
    if let Some(r) = &m.recipient {
        if let Some(e) = list["extension"].as_array_mut() {
            e.push(json!({
                "url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-intendedRecipient",
                "valueReference": { "display": r }
            }));
        }
    }
    entries.push(json!({
        "fullUrl": list_urn,
        "resource": list,
        "request": { "method": "POST", "url": "List", "ifNoneExist": IdempotencyKey { system: "urn:ietf:rfc:3986".into(), value: ss_unique.clone() }.condition() }
    }));
    Ok(json!({
        "resourceType": "Bundle",
        "meta": { "profile": ["https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Comprehensive.ProvideBundle"] },
        "type": "transaction",
        "entry": entries,
    }))
}

/// The index of the `DocumentReference` entry in [`transaction`]'s entries.
pub fn docref_index(artefacts: &[Artefact]) -> usize {
    1 + artefacts
        .iter()
        .filter(|a| a.role != Role::Enveloped)
        .count()
}

/// The SHA-1 (base64) the `DocumentReference` gives its first content.
pub fn first_hash(artefacts: &[Artefact]) -> Option<String> {
    let a = artefacts.iter().find(|a| a.role != Role::Enveloped)?;
    Some(sha1_b64(&a.bytes))
}

/// SHA-1, base64: FHIR `Attachment.hash`.
fn sha1_b64(bytes: &[u8]) -> String {
    use sha1::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(bytes))
}
