//! Hostile and broken input: each gets a clear error naming the element and
//! the rule, and never a panic.
#![allow(clippy::unwrap_used)]

use inkan_l10n::Localized;
use inkan_referral::{
    check, hs008, hs038, read, ReadError, ReferralLetter, Rule, MAX_LETTER_BYTES,
};
use serde_json::{json, Value};

fn example_xml() -> String {
    String::from_utf8(hs008::write(&ReferralLetter::example()).unwrap()).unwrap()
}

fn example_bundle() -> Value {
    serde_json::from_slice(&hs038::write(&ReferralLetter::example()).unwrap()).unwrap()
}

fn problems_of(bundle: &Value) -> Vec<inkan_referral::Problem> {
    match check(&serde_json::to_vec(bundle).unwrap()) {
        Ok(c) => c.problems,
        Err(e) => e.problems().to_vec(),
    }
}

fn has(problems: &[inkan_referral::Problem], path: &str, code: &str) -> bool {
    problems.iter().any(|p| p.path == path && p.code() == code)
}

#[test]
fn not_well_formed_xml_is_rejected_with_its_line() {
    let xml = example_xml().replacen("</title>", "</titel>", 1);
    match read(xml.as_bytes()) {
        Err(e @ ReadError::NotWellFormed { .. }) => {
            let t = e.text();
            assert!(t.en.starts_with("line 8: not well-formed XML"), "{}", t.en);
            assert!(t.ja.contains("8行目"), "{}", t.ja);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_namespace_is_rejected() {
    let xml = example_xml().replace("xmlns=\"urn:hl7-org:v3\"", "xmlns=\"urn:hl7-org:v2\"");
    assert_eq!(
        read(xml.as_bytes()).unwrap_err(),
        ReadError::WrongNamespace {
            found: Some("urn:hl7-org:v2".into())
        }
    );
    let xml = example_xml().replace(" xmlns=\"urn:hl7-org:v3\"", "");
    assert!(matches!(
        read(xml.as_bytes()),
        Err(ReadError::WrongNamespace { found: None }) | Err(ReadError::NotWellFormed { .. })
    ));
}

#[test]
fn doctype_and_external_entities_are_refused() {
    let xml = example_xml().replacen(
        "<ClinicalDocument",
        "<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<ClinicalDocument",
        1,
    );
    assert!(matches!(
        read(xml.as_bytes()),
        Err(ReadError::Doctype { line: 2 })
    ));
}

#[test]
fn missing_required_section_is_reported_in_hs008() {
    let xml = example_xml();
    let start = xml.find("<title>現病歴</title>").unwrap();
    let start = xml[..start].rfind("<component>").unwrap();
    let end = start + xml[start..].find("</component>").unwrap() + "</component>".len();
    let broken = format!("{}{}", &xml[..start], &xml[end..]);
    let problems = check(broken.as_bytes()).unwrap().problems;
    assert!(has(
        &problems,
        "/ClinicalDocument/component/structuredBody/component/section[title=現病歴]",
        "referral.cardinality"
    ));
    assert!(
        has(&problems, "present_illness", "referral.required"),
        "{problems:#?}"
    );
}

#[test]
fn hs008_header_fixed_values_are_checked() {
    let xml = example_xml()
        .replace("POCD_HD000040JP00", "POCD_HD000040")
        .replace("MD0020730", "MD0000000");
    let problems = check(xml.as_bytes()).unwrap().problems;
    assert!(has(
        &problems,
        "/ClinicalDocument/typeId/@extension",
        "referral.fixed_value"
    ));
    assert!(has(
        &problems,
        "/ClinicalDocument/code/@code",
        "referral.fixed_value"
    ));
    let en = problems[0].text().en;
    assert!(en.contains("POCD_HD000040JP00"), "{en}");
}

#[test]
fn missing_required_section_is_reported_in_hs038() {
    let mut b = example_bundle();
    let subs = b["entry"][0]["resource"]["section"][2]["section"]
        .as_array_mut()
        .unwrap();
    subs.retain(|s| s["code"]["coding"][0]["code"] != "950");
    let problems = problems_of(&b);
    assert!(
        has(
            &problems,
            "Bundle.entry[0].resource.section[2].section.where(code='950' 紹介目的)",
            "referral.cardinality"
        ),
        "{problems:#?}"
    );
}

#[test]
fn bundle_without_composition_is_rejected() {
    let mut b = example_bundle();
    b["entry"].as_array_mut().unwrap().remove(0);
    let err = read(&serde_json::to_vec(&b).unwrap()).unwrap_err();
    let problems = err.problems();
    assert!(has(
        problems,
        "Bundle.entry[0].resource.resourceType",
        "referral.first_not_composition"
    ));
    assert!(has(problems, "Bundle.entry", "referral.no_composition"));
    // And the references to the removed Composition's … nothing dangles the other way.
    assert!(err.text().ja.contains("読み取れません"));
}

#[test]
fn composition_not_first_is_reported() {
    let mut b = example_bundle();
    b["entry"].as_array_mut().unwrap().swap(0, 1);
    let problems = problems_of(&b);
    let p = problems
        .iter()
        .find(|p| p.path == "Bundle.entry[0].resource.resourceType")
        .unwrap();
    assert_eq!(
        p.rule,
        Rule::FirstNotComposition {
            found: "Patient".into()
        }
    );
    assert!(p.text().en.contains("Bundle.entry[0].resource.resourceType: the first entry of a document Bundle must be a Composition"));
}

#[test]
fn dangling_reference_is_reported() {
    let mut b = example_bundle();
    b["entry"][0]["resource"]["subject"]["reference"] =
        json!("urn:uuid:00000000-0000-4000-8000-000000000000");
    b["entry"][7]["resource"]["encounter"] = json!({"reference": "#nowhere"});
    let problems = problems_of(&b);
    assert!(
        has(
            &problems,
            "Bundle.entry[0].resource.subject.reference",
            "referral.dangling_reference"
        ),
        "{problems:#?}"
    );
    assert!(
        has(
            &problems,
            "Bundle.entry[7].resource.encounter.reference",
            "referral.dangling_reference"
        ),
        "{problems:#?}"
    );
}

#[test]
fn reference_to_the_wrong_type_is_reported() {
    let mut b = example_bundle();
    let practitioner = b["entry"][2]["fullUrl"].clone();
    b["entry"][0]["resource"]["custodian"]["reference"] = practitioner;
    let problems = problems_of(&b);
    assert!(has(
        &problems,
        "Bundle.entry[0].resource.custodian.reference",
        "referral.reference_type"
    ));
    assert!(has(
        &problems,
        "Bundle.entry[0].resource.custodian.type",
        "referral.reference_type"
    ));
}

#[test]
fn xhtml_with_script_is_rejected() {
    let mut b = example_bundle();
    b["entry"][0]["resource"]["section"][0]["text"]["div"] = json!(
        "<div xmlns=\"http://www.w3.org/1999/xhtml\">港診療所<script>alert(1)</script></div>"
    );
    let problems = problems_of(&b);
    let p = problems
        .iter()
        .find(|p| p.path == "Bundle.entry[0].resource.section[0].text.div")
        .unwrap();
    assert_eq!(p.code(), "referral.xhtml.element");
    assert!(p
        .text()
        .en
        .contains("<script> is not allowed in FHIR narrative"));
}

#[test]
fn xhtml_with_event_handlers_or_javascript_urls_is_rejected() {
    let mut b = example_bundle();
    b["entry"][0]["resource"]["section"][1]["text"]["div"] = json!(
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onmouseover=\"steal()\">x</p><a href=\"javascript:steal()\">y</a></div>"
    );
    let problems = problems_of(&b);
    let path = "Bundle.entry[0].resource.section[1].text.div";
    assert!(has(&problems, path, "referral.xhtml.event_handler"));
    assert!(has(&problems, path, "referral.xhtml.unsafe_url"));
}

#[test]
fn both_cda_reference_and_structured_sections_are_rejected() {
    let mut b = example_bundle();
    let mut cda = b["entry"][0]["resource"]["section"][0].clone();
    cda["code"]["coding"][0]["code"] = json!("200");
    cda["title"] = json!("CDA参照");
    b["entry"][0]["resource"]["section"]
        .as_array_mut()
        .unwrap()
        .push(cda);
    let problems = problems_of(&b);
    assert!(problems.iter().any(|p| p.rule
        == Rule::CdaXorStructured {
            cda: 1,
            structured: 1
        }));
}

#[test]
fn fixed_values_and_identifiers_are_checked() {
    let mut b = example_bundle();
    b["type"] = json!("collection");
    b["identifier"]["value"] = json!("12345^2025^x");
    b["entry"][1]["fullUrl"] = json!("urn:uuid:NOT-A-UUID");
    b["entry"][3]["resource"]["identifier"][0]["value"] = json!("1391234567");
    let problems = problems_of(&b);
    assert!(has(&problems, "Bundle.type", "referral.fixed_value"));
    assert!(has(
        &problems,
        "Bundle.identifier.value",
        "referral.bundle_identifier"
    ));
    assert!(has(
        &problems,
        "Bundle.entry[1].fullUrl",
        "referral.full_url"
    ));
    assert!(has(
        &problems,
        "Bundle.entry[3].resource.identifier.value",
        "referral.institution_number"
    ));
}

#[test]
fn duplicate_json_keys_are_refused() {
    let json = String::from_utf8(hs038::write(&ReferralLetter::example()).unwrap()).unwrap();
    let dup = json.replacen(
        "\"type\": \"document\",",
        "\"type\": \"document\",\n  \"type\": \"collection\",",
        1,
    );
    assert!(matches!(read(dup.as_bytes()), Err(ReadError::Json { .. })));
}

#[test]
fn oversized_input_is_rejected_before_parsing() {
    let mut big = b"{\"resourceType\":\"Bundle\",\"x\":\"".to_vec();
    big.resize(MAX_LETTER_BYTES + 1, b'a');
    assert_eq!(
        read(&big).unwrap_err(),
        ReadError::TooLarge {
            size: MAX_LETTER_BYTES + 1,
            limit: MAX_LETTER_BYTES
        }
    );
    let mut xml = b"<ClinicalDocument>".to_vec();
    xml.resize(MAX_LETTER_BYTES + 1, b' ');
    assert!(matches!(read(&xml), Err(ReadError::TooLarge { .. })));
}

#[test]
fn not_utf8_and_unknown_formats_are_rejected() {
    assert!(matches!(
        read(b"<a>\xff</a>"),
        Err(ReadError::NotUtf8 { offset: 3 })
    ));
    assert_eq!(read(b"%PDF-1.7").unwrap_err(), ReadError::UnknownFormat);
    assert_eq!(read(b"").unwrap_err(), ReadError::Empty);
    assert!(matches!(read(b"[1,2]"), Err(ReadError::UnknownFormat)));
    assert!(matches!(
        read(b"{\"resourceType\":\"Patient\"}"),
        Err(ReadError::NotABundle { .. })
    ));
}

/// Property-style: every truncation and many byte flips of valid documents
/// give an error or a result, never a panic.
#[test]
fn truncated_and_mutated_documents_never_panic() {
    let samples = [
        hs008::write(&ReferralLetter::example()).unwrap(),
        hs038::write(&ReferralLetter::example()).unwrap(),
        std::fs::read(
            std::path::Path::new(
                &std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
            )
            .join("../../tests/fixtures/hs038/Bundle-Bundle-CLINS-Referral-Example-01.json"),
        )
        .unwrap(),
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0;
    for doc in &samples {
        // Truncations at a spread of lengths (every byte would be slow in debug builds).
        let step = (doc.len() / 300).max(1);
        for len in (0..doc.len()).step_by(step) {
            let _ = check(&doc[..len]);
            runs += 1;
        }
        // Byte flips, inserts of structural characters, deletions.
        for _ in 0..400 {
            let mut m = doc.clone();
            let at = (next() as usize) % m.len();
            match next() % 4 {
                0 => m[at] ^= 1 << (next() % 8),
                1 => m.insert(at, b"<>&\"'{}[]:,#\\"[(next() % 13) as usize]),
                2 => {
                    m.remove(at);
                }
                _ => m[at] = (next() % 256) as u8,
            }
            let _ = check(&m);
            runs += 1;
        }
    }
    assert!(runs > 1500);
}
