//! HS038 output against the JP-CLINS profiles (jami-fhir-jp-wg/clinical-core:
//! `input/fsh/profiles/CLINS/`, `input/fsh/invariants/InvariantsRules.fsh`),
//! and the ported invariants in `hs038::validate`, each on a letter that
//! breaks it.
#![allow(clippy::unwrap_used)]

use inkan_referral::problem::Rule;
use inkan_referral::{check, hs038, ReferralLetter};
use serde_json::Value;

fn bundle(letter: &ReferralLetter) -> Value {
    serde_json::from_slice(&hs038::write(letter).unwrap()).unwrap()
}

fn resource<'a>(b: &'a Value, ty: &str) -> &'a Value {
    b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == ty)
        .unwrap_or_else(|| panic!("no {ty}"))
}

fn patient_mut(b: &mut Value) -> &mut Value {
    b["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == "Patient")
        .unwrap()
}

/// The ids of the invariants `validate` reports.
fn invariants(b: &Value) -> Vec<String> {
    hs038::validate(b)
        .into_iter()
        .filter_map(|p| match p.rule {
            Rule::Invariant { id, .. } => Some(id),
            _ => None,
        })
        .collect()
}

#[test]
fn bundle_composition_and_patient_carry_last_updated_and_a_versioned_profile() {
    let b = bundle(&ReferralLetter::example());
    for (r, profile) in [
        (&b, hs038::BUNDLE_PROFILE),
        (resource(&b, "Composition"), hs038::COMPOSITION_PROFILE),
        (resource(&b, "Patient"), hs038::PATIENT_PROFILE),
    ] {
        assert_eq!(
            r["meta"]["profile"][0],
            format!("{profile}|{}", hs038::PROFILE_VERSION)
        );
        let updated = r["meta"]["lastUpdated"].as_str().unwrap();
        assert_eq!(updated, b["timestamp"].as_str().unwrap());
    }
}

#[test]
fn the_patient_has_exactly_one_local_id_and_the_recipients_id_is_in_the_910_narrative_r1010() {
    let mut l = ReferralLetter::example();
    l.patient.recipient_id = Some("H-0099".into());
    let b = bundle(&l);
    let p = resource(&b, "Patient");
    let local: Vec<&Value> = p["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["system"]
                .as_str()
                .unwrap()
                .starts_with("urn:oid:1.2.392.100495.20.3.51.")
        })
        .collect();
    assert_eq!(local.len(), 1, "{p:#}");
    let comp = resource(&b, "Composition");
    let to = comp["section"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == "910")
        .unwrap();
    assert!(
        to["text"]["div"]
            .as_str()
            .unwrap()
            .contains("紹介先の患者ID H-0099"),
        "{to:#}"
    );
    assert!(invariants(&b).is_empty());
    // And it comes back.
    let read = check(&hs038::write(&l).unwrap()).unwrap();
    assert_eq!(read.letter.patient.recipient_id.as_deref(), Some("H-0099"));

    // A second local ID, or one under a malformed system, breaks R1010.
    let mut two = b.clone();
    patient_mut(&mut two)["identifier"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"system": "urn:oid:1.2.392.100495.20.3.51.11319876543", "value": "X1"}));
    assert_eq!(invariants(&two), ["R1010"]);
    let mut bad = b.clone();
    patient_mut(&mut bad)["identifier"][0]["system"] =
        "urn:oid:1.2.392.100495.20.3.51.21310123456".into();
    assert_eq!(invariants(&bad), ["R1010"]);
}

#[test]
fn names_never_hold_an_ideographic_space_r1113() {
    let mut l = ReferralLetter::example();
    l.patient.name = "山田\u{3000}花子".into();
    l.patient.kana = "ヤマダ\u{3000}ハナコ".into();
    let b = bundle(&l);
    let names = &resource(&b, "Patient")["name"];
    assert_eq!(names[0]["text"], "山田 花子");
    assert_eq!(names[0]["family"], "山田");
    assert_eq!(names[0]["given"][0], "花子");
    assert_eq!(names[1]["text"], "ヤマダ ハナコ");
    assert!(invariants(&b).is_empty());

    let mut bad = b.clone();
    patient_mut(&mut bad)["name"][0]["text"] = "山田\u{3000}花子".into();
    assert_eq!(invariants(&bad), ["R1113"]);
}

#[test]
fn insurance_and_public_payer_ids_follow_their_form_r1013() {
    let b = bundle(&ReferralLetter::example());
    let with = |system: &str, value: &str| {
        let mut x = b.clone();
        let ids = patient_mut(&mut x)["identifier"].as_array_mut().unwrap();
        // The example's own insurance ID is replaced (R1012: one only).
        ids.retain(|id| {
            id["system"] != hs038::INSURANCE_ID_SYSTEM
                && id["system"] != hs038::PUBLIC_PAYER_ID_SYSTEM
        });
        ids.push(serde_json::json!({"system": system, "value": value}));
        invariants(&x)
    };
    // The JP-CLINS authors' sample value, an empty branch, an empty symbol.
    for ok in [
        "00012345:あいう:１８７:05",
        "06050116:92045:10:",
        "39123456::1234567:",
    ] {
        assert!(with(hs038::INSURANCE_ID_SYSTEM, ok).is_empty(), "{ok}");
    }
    for bad in [
        "0001234:あいう:１８７:05",
        "00012345:あ い:１８７:05",
        "00012345:あいう:１８７:5",
        "00012345:あいう:１８７",
        "00012345:あ\u{3000}い:１８７:05",
    ] {
        assert_eq!(with(hs038::INSURANCE_ID_SYSTEM, bad), ["R1013"], "{bad}");
    }
    assert!(with(hs038::PUBLIC_PAYER_ID_SYSTEM, "12345678::1234567:").is_empty());
    assert_eq!(
        with(hs038::PUBLIC_PAYER_ID_SYSTEM, "12345678:x:1234567:"),
        ["R1013-publicPayer"]
    );
    assert_eq!(
        with(hs038::PUBLIC_PAYER_ID_SYSTEM, "12345678::123456:"),
        ["R1013-publicPayer"]
    );
}

#[test]
fn addresses_always_have_text() {
    let mut l = ReferralLetter::example();
    l.patient.address = None;
    l.patient.postal_code = Some("100-0001".into());
    l.to.institution.address = None;
    let b = bundle(&l);
    let a = &resource(&b, "Patient")["address"][0];
    assert_eq!(a["text"], "〒100-0001");
    assert_eq!(a["postalCode"], "100-0001");
    for e in b["entry"].as_array().unwrap() {
        for a in e["resource"]["address"].as_array().into_iter().flatten() {
            assert!(a["text"].is_string(), "{a:#}");
        }
    }
    // It reads back as the postal code alone.
    let read = check(&hs038::write(&l).unwrap()).unwrap();
    assert_eq!(read.problems, vec![]);
    assert_eq!(read.letter.patient.address, None);
    assert_eq!(read.letter.patient.postal_code.as_deref(), Some("100-0001"));
}

#[test]
fn uncoded_diagnoses_are_a_text_only_section_340_without_conditions() {
    let l = ReferralLetter::example();
    assert!(l.diagnoses.iter().any(|d| d.onset.is_some()));
    let b = bundle(&l);
    assert!(
        b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["resource"]["resourceType"] != "Condition"),
        "a Condition without a MEDIS code, verification status and identifier does not meet JP_Condition_eCS"
    );
    let read = check(&hs038::write(&l).unwrap()).unwrap();
    assert_eq!(
        read.letter.diagnoses, l.diagnoses,
        "names and onsets come back"
    );
}

#[test]
fn the_example_passes_every_ported_invariant() {
    let b = bundle(&ReferralLetter::example());
    assert_eq!(hs038::validate(&b), vec![]);
}

#[test]
fn a_received_letter_is_judged_by_the_profile_and_a_composed_one_by_the_form() {
    // Another system's letter without kana or a department: the profiles
    // do not require them, so `check` accepts it; composing it in Inkan
    // (writing) applies the form's stricter rules.
    let mut b = bundle(&ReferralLetter::example());
    let p = patient_mut(&mut b);
    p["name"].as_array_mut().unwrap().truncate(1);
    for e in b["entry"].as_array_mut().unwrap() {
        let r = &mut e["resource"];
        if r["resourceType"] == "Organization" {
            r["extension"]
                .as_array_mut()
                .unwrap()
                .retain(|x| !x["url"].as_str().unwrap().ends_with("JP_eCS_Department"));
        }
    }
    let bytes = serde_json::to_vec(&b).unwrap();
    let checked = check(&bytes).unwrap();
    assert_eq!(checked.problems, vec![], "received: the profile's rules");
    let e = hs038::write(&checked.letter).unwrap_err();
    let paths: Vec<String> = match e {
        inkan_referral::WriteError::Invalid { problems } => {
            problems.into_iter().map(|p| p.path).collect()
        }
        other => panic!("{other}"),
    };
    for form_only in [
        "patient.kana",
        "from.institution.department",
        "to.institution.department",
    ] {
        assert!(
            paths.iter().any(|p| p == form_only),
            "{form_only}: {paths:?}"
        );
    }
}

#[test]
fn sections_the_form_has_no_item_for_are_accepted_and_shown_and_remarks_may_repeat() {
    let mut b = bundle(&ReferralLetter::example());
    let comp = b["entry"][0]["resource"].as_object_mut().unwrap();
    let sections = comp["section"].as_array_mut().unwrap();
    let structured = sections
        .iter_mut()
        .find(|s| s["code"]["coding"][0]["code"] == "300")
        .unwrap();
    for (code, title, text) in [
        ("420", "診療方針指示", "DNARの方針を確認済み"),
        ("810", "医療機器", "ペースメーカー植込み（2019）"),
    ] {
        structured["section"].as_array_mut().unwrap().push(serde_json::json!({
            "title": title,
            "code": {"coding": [{"system": hs038::SECTION_SYSTEM, "code": code}]},
            "text": {"status": "additional", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{text}</div>")}
        }));
    }
    for text in ["一つ目の連絡", "二つ目の連絡"] {
        sections.push(serde_json::json!({
            "title": "備考・連絡情報",
            "code": {"coding": [{"system": hs038::SECTION_SYSTEM, "code": "220"}]},
            "text": {"status": "additional", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{text}</div>")}
        }));
    }
    let checked = check(&serde_json::to_vec(&b).unwrap()).unwrap();
    assert_eq!(checked.problems, vec![]);
    let text = inkan_referral::render::render_text(&checked.letter);
    for needle in [
        "DNARの方針を確認済み",
        "ペースメーカー植込み（2019）",
        "一つ目の連絡",
        "二つ目の連絡",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
}

#[test]
fn sections_written_with_entries_only_show_their_content() {
    let mut b = bundle(&ReferralLetter::example());
    let uuid = |n: u32| format!("urn:uuid:00000000-0000-4000-8000-{n:012}");
    let resources = [
        (
            1,
            serde_json::json!({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
            "medicationCodeableConcept": {"text": "メトホルミン塩酸塩錠250mg"},
            "dosageInstruction": [{"text": "1日2回 朝夕食後"}]}),
        ),
        (
            2,
            serde_json::json!({"resourceType": "Immunization", "status": "completed",
            "vaccineCode": {"text": "インフルエンザHAワクチン"}, "occurrenceDateTime": "2024-11-01"}),
        ),
        (
            3,
            serde_json::json!({"resourceType": "FamilyMemberHistory", "status": "completed",
            "relationship": {"text": "母"}, "condition": [{"code": {"text": "胃がん"}}]}),
        ),
        (
            4,
            serde_json::json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "HbA1c"}, "valueQuantity": {"value": 8.2, "unit": "%"}}),
        ),
        (
            5,
            serde_json::json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "尿蛋白"}, "valueCodeableConcept": {"text": "陽性（1+）"}}),
        ),
    ];
    let sections = [
        ("430", "投薬指示", vec![1]),
        ("530", "予防接種歴", vec![2]),
        ("550", "家族歴", vec![3]),
        ("620", "検査結果", vec![4, 5]),
    ];
    {
        let entries = b["entry"].as_array_mut().unwrap();
        for (n, r) in &resources {
            entries.push(serde_json::json!({"fullUrl": uuid(*n), "resource": r}));
        }
    }
    let structured = b["entry"][0]["resource"]["section"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["code"]["coding"][0]["code"] == "300")
        .unwrap();
    let subs = structured["section"].as_array_mut().unwrap();
    for (code, title, refs) in sections {
        subs.retain(|s| s["code"]["coding"][0]["code"] != code);
        let entry: Vec<Value> = refs
            .iter()
            .map(|n| {
                let ty = resources.iter().find(|(k, _)| k == n).unwrap().1["resourceType"].clone();
                serde_json::json!({"reference": uuid(*n), "type": ty})
            })
            .collect();
        subs.push(serde_json::json!({
            "title": title,
            "code": {"coding": [{"system": hs038::SECTION_SYSTEM, "code": code}]},
            "entry": entry
        }));
    }
    let checked = check(&serde_json::to_vec(&b).unwrap()).unwrap();
    assert_eq!(checked.problems, vec![]);
    let text = inkan_referral::render::render_text(&checked.letter);
    for needle in [
        "メトホルミン塩酸塩錠250mg　1日2回 朝夕食後",
        "インフルエンザHAワクチン（2024-11-01）",
        "母：胃がん",
        "HbA1c 8.2 %",
        "尿蛋白 陽性（1+）",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
}

#[test]
fn attachments_given_as_data_are_listed() {
    let mut b = bundle(&ReferralLetter::example());
    for e in b["entry"].as_array_mut().unwrap() {
        let r = &mut e["resource"];
        if r["resourceType"] == "DocumentReference" {
            let a = &mut r["content"][0]["attachment"];
            let a = a.as_object_mut().unwrap();
            a.remove("url");
            a.insert("data".into(), "JVBERi0xLjQK".into());
        }
    }
    let checked = check(&serde_json::to_vec(&b).unwrap()).unwrap();
    assert_eq!(checked.problems, vec![]);
    let l = &checked.letter;
    assert_eq!(l.attachments.len(), 2, "{:?}", l.attachments);
    assert!(l.attachments.iter().all(|a| !a.file_name.is_empty()));
}

#[test]
fn a_cda_referenced_by_url_in_section_200_is_read_from_the_bundle_and_never_fetched() {
    use base64::Engine as _;
    let letter = ReferralLetter::example();
    let cda = inkan_referral::hs008::write(&letter).unwrap();
    let with_200 = |url: &str, binary: bool| {
        let mut b = bundle(&letter);
        let binary_url = "urn:uuid:00000000-0000-4000-8000-0000000000b1";
        let docref_url = "urn:uuid:00000000-0000-4000-8000-0000000000d1";
        let entries = b["entry"].as_array_mut().unwrap();
        entries.push(serde_json::json!({"fullUrl": docref_url, "resource": {
            "resourceType": "DocumentReference", "status": "current",
            "content": [{"attachment": {"contentType": "application/hl7-cda+xml", "url": url}}]}}));
        if binary {
            entries.push(serde_json::json!({"fullUrl": binary_url, "resource": {
                "resourceType": "Binary", "contentType": "application/hl7-cda+xml",
                "data": base64::engine::general_purpose::STANDARD.encode(&cda)}}));
        }
        let sections = b["entry"][0]["resource"]["section"].as_array_mut().unwrap();
        sections.retain(|s| s["code"]["coding"][0]["code"] != "300");
        sections.push(serde_json::json!({
            "title": "CDA参照",
            "code": {"coding": [{"system": hs038::SECTION_SYSTEM, "code": "200"}]},
            "entry": [{"reference": docref_url, "type": "DocumentReference"}]
        }));
        check(&serde_json::to_vec(&b).unwrap()).unwrap()
    };
    let inside = with_200("urn:uuid:00000000-0000-4000-8000-0000000000b1", true);
    assert_eq!(inside.letter.purpose, letter.purpose);
    assert_eq!(inside.letter.diagnoses, letter.diagnoses);

    let outside = with_200("https://example.invalid/letters/1.xml", false);
    assert!(outside.letter.purpose.is_empty());
    let text = inkan_referral::render::render_text(&outside.letter);
    assert!(
        text.contains(
            "CDA文書（https://example.invalid/letters/1.xml、この文書の外にあり取得しません）"
        ),
        "{text}"
    );
}

/// The problems of writing `l` as HS038, as (path, code).
fn write_problems(l: &ReferralLetter) -> Vec<(String, &'static str)> {
    match hs038::write(l) {
        Ok(_) => Vec::new(),
        Err(inkan_referral::WriteError::Invalid { problems }) => problems
            .into_iter()
            .map(|p| (p.path.clone(), p.rule.code()))
            .collect(),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn the_insurance_member_id_is_written_on_the_patient_and_read_back() {
    let l = ReferralLetter::example();
    let b = bundle(&l);
    let ids = resource(&b, "Patient")["identifier"].as_array().unwrap();
    let insurance: Vec<&Value> = ids
        .iter()
        .filter(|id| id["system"] == hs038::INSURANCE_ID_SYSTEM)
        .collect();
    assert_eq!(insurance.len(), 1);
    assert_eq!(
        insurance[0]["value"].as_str(),
        l.patient.insurance_id.as_deref()
    );
    assert!(invariants(&b).is_empty(), "{:?}", invariants(&b));
    let back = check(&hs038::write(&l).unwrap()).unwrap();
    assert_eq!(back.letter.patient.insurance_id, l.patient.insurance_id);

    // A public-assistance patient instead.
    let mut p = l.clone();
    p.patient.insurance_id = None;
    p.patient.public_payer_id = Some("12131415::1234567:".into());
    let b = bundle(&p);
    assert!(resource(&b, "Patient")["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .any(|id| id["system"] == hs038::PUBLIC_PAYER_ID_SYSTEM));
    assert!(invariants(&b).is_empty());
}

#[test]
fn the_insurance_member_id_has_its_form_in_the_model() {
    let mut l = ReferralLetter::example();
    for bad in [
        "0613987:１２３:４５６７:",
        "06139876:１ ２:４５６７:",
        "06139876:1:2:3",
    ] {
        l.patient.insurance_id = Some(bad.into());
        let codes: Vec<_> = l
            .validate()
            .into_iter()
            .filter(|p| p.path == "patient.insurance_id")
            .map(|p| p.rule.code())
            .collect();
        assert_eq!(codes, ["referral.insurance_id"], "{bad}");
    }
    l.patient.insurance_id = None;
    l.patient.public_payer_id = Some("12131415:x:1234567:".into());
    assert!(l
        .validate()
        .iter()
        .any(|p| p.path == "patient.public_payer_id"));
}

#[test]
fn one_insurance_or_public_payer_id_is_required_r1012() {
    // Writing: neither, or both, is refused with the rule named.
    let mut l = ReferralLetter::example();
    l.patient.insurance_id = None;
    assert_eq!(
        write_problems(&l),
        [("patient.insurance_id".to_owned(), "referral.hs038_needs")]
    );
    l.patient.insurance_id = ReferralLetter::example().patient.insurance_id;
    l.patient.public_payer_id = Some("12131415::1234567:".into());
    assert_eq!(
        write_problems(&l),
        [("patient.insurance_id".to_owned(), "referral.hs038_needs")]
    );
    // Receiving: a JP-CLINS Patient without one, or with both, breaks R1012.
    let b = bundle(&ReferralLetter::example());
    let mut none = b.clone();
    patient_mut(&mut none)["identifier"]
        .as_array_mut()
        .unwrap()
        .retain(|id| id["system"] != hs038::INSURANCE_ID_SYSTEM);
    assert_eq!(invariants(&none), ["R1012"]);
    let mut both = b.clone();
    patient_mut(&mut both)["identifier"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"system": hs038::PUBLIC_PAYER_ID_SYSTEM, "value": "12131415::1234567:"}));
    assert_eq!(invariants(&both), ["R1012"]);
}

#[test]
fn hs008_carries_the_insurance_numbers_with_the_tokutei_kenshin_oids() {
    use inkan_referral::hs008;
    let mut l = ReferralLetter::example();
    // The branch number too (特定健診 CDA: 1.2.392.200119.6.211).
    l.patient.insurance_id = Some("06139876:１２３:４５６７:01".into());
    let cda = String::from_utf8(hs008::write(&l).unwrap()).unwrap();
    for (root, value) in [
        (hs008::INSURER_OID, "06139876"),
        (hs008::INSURED_NUMBER_OID, "４５６７"),
        (hs008::INSURED_BRANCH_OID, "01"),
    ] {
        assert!(
            cda.contains(&format!("root=\"{root}\" extension=\"{value}\"")),
            "{root}"
        );
    }
    let back = check(cda.as_bytes()).unwrap();
    assert_eq!(back.problems, vec![]);
    assert_eq!(back.letter.patient.insurance_id, l.patient.insurance_id);
    assert_eq!(
        back.letter.patient.id, l.patient.id,
        "not taken for the local ID"
    );

    // JP Core's OIDs (no branch) from another writer are read too.
    let jp_core = cda
        .replace(hs008::INSURER_OID, "1.2.392.100495.20.3.61")
        .replace(hs008::INSURED_SYMBOL_OID, "1.2.392.100495.20.3.62")
        .replace(hs008::INSURED_NUMBER_OID, "1.2.392.100495.20.3.63");
    let back = check(jp_core.as_bytes()).unwrap();
    assert_eq!(
        back.letter.patient.insurance_id.as_deref(),
        Some("06139876:１２３:４５６７:01")
    );

    let mut public = l.clone();
    public.patient.insurance_id = None;
    public.patient.public_payer_id = Some("12131415::1234567:".into());
    let back = check(&hs008::write(&public).unwrap()).unwrap();
    assert_eq!(
        back.letter.patient.public_payer_id,
        public.patient.public_payer_id
    );
    assert_eq!(back.letter.patient.insurance_id, None);
}

#[test]
fn names_are_written_with_family_and_given() {
    let b = bundle(&ReferralLetter::example());
    for ty in ["Patient", "Practitioner"] {
        for n in resource(&b, ty)["name"].as_array().unwrap() {
            assert!(n["family"].is_string() && n["given"][0].is_string(), "{n}");
        }
    }
    let mut l = ReferralLetter::example();
    l.patient.name = "山田太郎".into();
    l.from.doctor.kana = Some("サクライケンイチ".into());
    assert_eq!(
        write_problems(&l),
        [
            ("patient.name".to_owned(), "referral.hs038_needs"),
            ("from.doctor.kana".to_owned(), "referral.hs038_needs")
        ]
    );
    // HS008 does not need the split.
    assert!(inkan_referral::hs008::write(&l).is_ok());
}

#[test]
fn composition_date_has_seconds_and_a_time_zone() {
    let b = bundle(&ReferralLetter::example());
    let date = resource(&b, "Composition")["date"].as_str().unwrap();
    assert_eq!(date, "2025-03-14T10:30:00+09:00");
    let mut l = ReferralLetter::example();
    l.created = "2025-03-14".into();
    assert_eq!(
        write_problems(&l),
        [("created".to_owned(), "referral.hs038_needs")]
    );
    assert!(inkan_referral::hs008::write(&l).is_ok());
}

/// The diagnoses of the example, the second coded (上腹部痛 20065011, the
/// code of the JP-CLINS authors' example).
fn coded_letter() -> ReferralLetter {
    let mut l = ReferralLetter::example();
    l.diagnoses[1].name = "上腹部痛".into();
    l.diagnoses[1].code = Some("20065011".into());
    l
}

#[test]
fn coded_diagnoses_are_jp_condition_ecs_and_the_narrative_keeps_all() {
    let l = coded_letter();
    let b = bundle(&l);
    let c = resource(&b, "Condition");
    assert_eq!(
        c["meta"]["profile"][0],
        format!("{}|{}", hs038::CONDITION_PROFILE, hs038::PROFILE_VERSION)
    );
    assert!(c["meta"]["lastUpdated"].is_string());
    assert_eq!(c["identifier"][0]["system"], hs038::RESOURCE_ID_SYSTEM);
    assert!(c["identifier"][0]["value"].is_string());
    assert_eq!(
        c["code"]["coding"][0]["system"],
        hs038::MEDIS_DISEASE_SYSTEM
    );
    assert_eq!(c["code"]["coding"][0]["code"], "20065011");
    assert_eq!(c["code"]["text"], "上腹部痛");
    assert_eq!(c["clinicalStatus"]["coding"][0]["code"], "active");
    assert_eq!(c["verificationStatus"]["coding"][0]["code"], "confirmed");
    assert!(c["category"][0]["coding"][0]["code"].is_string());
    assert_eq!(c["onsetDateTime"], "2015-06");
    let patient_url = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .unwrap()["fullUrl"]
        .clone();
    assert_eq!(c["subject"]["reference"], patient_url);
    // Only the coded diagnosis is a Condition; the narrative lists all three.
    let conditions = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Condition")
        .count();
    assert_eq!(conditions, 1);
    assert!(invariants(&b).is_empty());
    let back = check(&hs038::write(&l).unwrap()).unwrap();
    assert_eq!(back.problems, vec![]);
    assert_eq!(
        back.letter.diagnoses, l.diagnoses,
        "order, names, onsets, codes"
    );
}

#[test]
fn coded_diagnoses_round_trip_through_hs008_and_codes_have_their_form() {
    let l = coded_letter();
    let back = check(&inkan_referral::hs008::write(&l).unwrap()).unwrap();
    assert_eq!(back.problems, vec![]);
    assert_eq!(back.letter.diagnoses, l.diagnoses);

    let mut bad = coded_letter();
    bad.diagnoses[1].code = Some("2006501".into());
    let codes: Vec<_> = bad
        .validate()
        .into_iter()
        .map(|p| (p.path.clone(), p.rule.code()))
        .collect();
    assert_eq!(
        codes,
        [("diagnoses[1].code".to_owned(), "referral.diagnosis_code")]
    );
}
