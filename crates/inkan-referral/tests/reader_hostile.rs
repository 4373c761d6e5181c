//! Hostile review of the letter reader changed for issue 15 (eReferral v1,
//! 未表示の項目, entries-only sections, inline attachments, a CDA read from a
//! Binary of the same Bundle, Shift_JIS CDA, CDA timestamps at every
//! precision, the receive/compose split of `check`).
//!
//! Every byte of a received letter is the sender's. Tests named
//! `finding_…` failed on the code under review and name what was wrong
//! (each is fixed: they guard the fix); tests named `sound_…` record what
//! was attacked and held.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use inkan_referral::render::{render_html, render_text};
use inkan_referral::{check, hs008, hs038, ReferralLetter};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

mod common;
use common::*;

// ---------------------------------------------------------------------------
// Helpers

/// Every text the views can show, in bytes.
fn shown_bytes(l: &ReferralLetter) -> usize {
    render_text(l).len()
}

// ===========================================================================
// FINDINGS (fail on the code under review)

/// FINDING (high): `declared_shift_jis` takes the first substring
/// `encoding` of the XML declaration, so a pseudo-attribute such as
/// `xencoding="Shift_JIS"` placed before the real `encoding="UTF-8"` makes
/// Inkan decode the bytes as Shift_JIS, while `parse_decoded` then accepts
/// the real declaration (UTF-8 is always accepted). A document that
/// declares UTF-8 but is not UTF-8 passes `check` with no problem: every
/// other reader (the receiving EHR, a validator) decodes it as UTF-8 and
/// sees other text, or rejects it, than what Inkan showed and accepted.
#[test]
fn finding_a_fake_encoding_pseudo_attribute_does_not_switch_a_utf8_letter_to_shift_jis() {
    let cda = String::from_utf8(hs008::write(&ReferralLetter::example()).unwrap()).unwrap();
    let forged = cda.replacen(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<?xml version=\"1.0\" xencoding=\"Shift_JIS\" encoding=\"UTF-8\"?>",
        1,
    );
    // Characters Shift_JIS lacks become numeric character references.
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&forged);
    assert!(
        std::str::from_utf8(&sjis).is_err(),
        "the bytes must not be UTF-8"
    );
    match check(&sjis) {
        Err(_) => {}
        Ok(c) => panic!(
            "a letter declaring UTF-8 whose bytes are Shift_JIS was accepted with {} problem(s); purpose read as {:?}",
            c.problems.len(),
            c.letter.purpose
        ),
    }
}

/// FINDING (high): `validate_received` drops every problem whose path is in
/// `COMPOSE_ONLY`, not only the compose policy (a department must be
/// given, kana must be kana, the ID form): also `LineBreak`,
/// `ControlCharacter` and `TooLong` on those items. A received letter whose
/// kana name holds line breaks passes `check`, and `render_text` prints the
/// lines at column 0: the sender forges a heading and block of the view.
#[test]
fn finding_a_line_break_in_a_compose_only_item_is_still_a_problem_when_received() {
    let mut b = bundle(&ReferralLetter::example());
    let forged = "ヤマダ タロウ\n\n【アレルギー（追記）】\n  ペニシリン系で意識消失（紹介元追記）";
    let p = resource_mut(&mut b, "Patient");
    for n in p["name"].as_array_mut().unwrap() {
        if n.to_string().contains("SYL") {
            n["text"] = forged.into();
        }
    }
    let checked = check(&to_bytes(&b)).unwrap();
    let text = render_text(&checked.letter);
    assert!(
        text.lines().any(|l| l == "【アレルギー（追記）】"),
        "setup: the forged heading should reach the view\n{text}"
    );
    assert!(
        checked.problems.iter().any(|p| p.path == "patient.kana"),
        "a kana name with line breaks (a forged 【heading】 in the terminal view) passed check: {:?}",
        checked.problems
    );
}

/// FINDING (medium): the same filter lets control characters and any
/// length through in the department, the phone numbers and the local
/// patient ID of a received letter: `check` calls it valid.
#[test]
fn finding_control_characters_and_length_in_compose_only_items_are_still_problems_when_received() {
    let mut b = bundle(&ReferralLetter::example());
    for org in organizations(&mut b) {
        for x in org["extension"].as_array_mut().unwrap() {
            if x["url"].as_str().unwrap().ends_with("JP_eCS_Department") {
                x["valueCodeableConcept"]["text"] = "内科\u{1b}]0;pwned\u{7}\u{1b}[2J".into();
                x["valueCodeableConcept"]
                    .as_object_mut()
                    .unwrap()
                    .remove("coding");
            }
        }
    }
    let p = resource_mut(&mut b, "Patient");
    for id in p["identifier"].as_array_mut().unwrap() {
        if id["system"]
            .as_str()
            .unwrap()
            .starts_with("urn:oid:1.2.392.100495.20.3.51.1")
        {
            id["value"] = format!("0001\u{0}{}", "9".repeat(100_000)).into();
        }
    }
    let checked = check(&to_bytes(&b)).unwrap();
    assert!(
        checked.letter.to.institution.department.contains('\u{1b}'),
        "setup: {:?}",
        checked.letter.to.institution.department
    );
    let paths: Vec<&str> = checked.problems.iter().map(|p| p.path.as_str()).collect();
    for path in ["to.institution.department", "patient.id"] {
        assert!(
            paths.contains(&path),
            "{path}: control characters / 100 kB accepted by check: {paths:?}"
        );
    }
}

/// FINDING (medium): 未表示の項目 texts are never validated, and a section
/// title, an attachment's contentType or an outside CDA URL keeps its line
/// breaks: a received letter that `check` calls valid forges headings in
/// the terminal view (`render_text` passes `\n` through).
#[test]
fn finding_not_shown_items_cannot_forge_headings_in_the_text_view() {
    let mut b = bundle(&ReferralLetter::example());
    let docref = push_resource(
        &mut b,
        0xd1,
        json!({"resourceType": "DocumentReference", "status": "current",
            "content": [{"attachment": {
                "contentType": "image/png\n\n【紹介目的（訂正）】\n  手術目的に変更", "title": "x"}}]}),
    );
    structured_sections(&mut b).push(json!({
        "title": "診療方針指示\n\n【傷病名（訂正）】\n  ・悪性リンパ腫",
        "code": code("420"),
        "text": {"status": "additional", "div": div("DNAR")}
    }));
    top_sections(&mut b).push(json!({
        "title": "添付情報", "code": code("210"),
        "entry": [{"reference": docref}]
    }));
    let checked = check(&to_bytes(&b)).unwrap();
    let text = render_text(&checked.letter);
    let forged: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("【") && l.contains("訂正"))
        .collect();
    assert!(
        forged.is_empty(),
        "the text view shows forged headings {forged:?}\n{text}"
    );
    // Kept on one line each, not dropped.
    assert!(
        text.contains("【紹介目的（訂正）】 手術目的に変更"),
        "{text}"
    );
    assert!(text.contains("【傷病名（訂正）】 ・悪性リンパ腫"), "{text}");
}

/// FINDING (high, DoS): `embedded_cda` decodes and parses the Binary again
/// for every (entry × content) that names it, and a failed parse moves on
/// to the next. Section 200 with 300 entries to one DocumentReference with
/// 300 contents naming one 100 kB Binary (≈200 kB of letter) makes 90,000
/// base64 decodes and XML parses: `check` runs for minutes (a 10 MiB
/// letter: effectively forever). A reader should resolve a Binary once.
#[test]
fn finding_a_binary_named_many_times_is_not_decoded_and_parsed_each_time() {
    let mut b = bundle(&ReferralLetter::example());
    // Well-formed XML, not a ClinicalDocument: parsed to the end, then refused.
    let not_cda = format!("<Other>{}</Other>", "<a>x</a>".repeat(12_000));
    let binary = push_resource(
        &mut b,
        0xb1,
        json!({"resourceType": "Binary", "contentType": "application/hl7-cda+xml",
            "data": b64(not_cda.as_bytes())}),
    );
    let contents: Vec<Value> = (0..300)
        .map(|_| json!({"attachment": {"contentType": "application/hl7-cda+xml", "url": binary}}))
        .collect();
    let docref = push_resource(
        &mut b,
        0xd1,
        json!({"resourceType": "DocumentReference", "status": "current", "content": contents}),
    );
    let entries: Vec<Value> = (0..300).map(|_| json!({"reference": docref})).collect();
    let sections = top_sections(&mut b);
    sections.retain(|s| s["code"]["coding"][0]["code"] != "300");
    sections.push(json!({"title": "CDA参照", "code": code("200"), "entry": entries}));
    let bytes = to_bytes(&b);
    assert!(bytes.len() < 400_000, "{}", bytes.len());
    let started = Instant::now();
    within(Duration::from_secs(10), move || check(&bytes).map(|_| ())).unwrap();
    eprintln!("check took {:?}", started.elapsed());
}

/// FINDING (high, memory): a section's entries may name the same resource
/// any number of times, and each one is summarised again; a section 420
/// (未表示の項目, never validated) with 2,000 entries to one Observation
/// with a 30 kB valueString turns a ≈150 kB letter into a 60 MB letter
/// that `check` calls valid (a 10 MiB letter: hundreds of gigabytes).
/// The same holds for 220 (備考) and for 210 attachments listed N×M times.
#[test]
fn finding_entries_naming_the_same_resource_do_not_multiply_the_letter() {
    let mut b = bundle(&ReferralLetter::example());
    let obs = push_resource(
        &mut b,
        0x0b,
        json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "所見"}, "valueString": "あ".repeat(10_000)}),
    );
    let entries: Vec<Value> = (0..2_000).map(|_| json!({"reference": obs})).collect();
    structured_sections(&mut b)
        .push(json!({"title": "診療方針指示", "code": code("420"), "entry": entries}));
    let bytes = to_bytes(&b);
    let checked = check(&bytes).unwrap();
    let out = shown_bytes(&checked.letter);
    assert!(
        out <= 8 * bytes.len(),
        "a {} byte letter became {} bytes of view (×{}), problems: {:?}",
        bytes.len(),
        out,
        out / bytes.len(),
        checked.problems
    );
}

/// FINDING (medium): 未表示の項目 has no limit on its count (the 添付 list
/// has MAX_ATTACHMENTS = 50): one DocumentReference with 300 PNG contents
/// named by 300 entries of section 210 gives 90,000 items from a ≈30 kB
/// letter, and `check` calls it valid.
#[test]
fn finding_not_shown_items_are_bounded() {
    let mut b = bundle(&ReferralLetter::example());
    let contents: Vec<Value> = (0..300)
        .map(|_| json!({"attachment": {"contentType": "image/png"}}))
        .collect();
    let docref = push_resource(
        &mut b,
        0xd1,
        json!({"resourceType": "DocumentReference", "status": "current",
            "description": "画像", "content": contents}),
    );
    let entries: Vec<Value> = (0..300).map(|_| json!({"reference": docref})).collect();
    top_sections(&mut b).push(json!({"title": "添付情報", "code": code("210"), "entry": entries}));
    let checked = check(&to_bytes(&b)).unwrap();
    let n = checked.letter.not_shown.len();
    assert!(
        n <= 1_000 || !checked.problems.is_empty(),
        "{n} 未表示の項目 and no problem"
    );
}

/// FINDING (medium, patient safety): a line of the 910 narrative starting
/// 「紹介先の患者ID 」 is taken as the patient's ID at the recipient, and the
/// first such line wins; the recipient's address (when it has no postal
/// code) is written as a line of its own before the ID line. A letter
/// composed and signed in Inkan with recipient ID H-0099 reads back — in
/// Inkan's preview and at the recipient — with recipient ID H-0001.
#[test]
fn finding_the_recipient_patient_id_round_trips_whatever_the_recipient_address_says() {
    let mut l = ReferralLetter::example();
    l.to.institution.postal_code = None;
    l.to.institution.address = Some("紹介先の患者ID H-0001".into());
    l.patient.recipient_id = Some("H-0099".into());
    assert_eq!(l.validate(), vec![], "a valid letter to compose");
    let bytes = hs038::write(&l).unwrap();
    let back = check(&bytes).unwrap();
    assert_eq!(back.problems, vec![]);
    assert_eq!(
        back.letter.patient.recipient_id.as_deref(),
        Some("H-0099"),
        "the recipient's patient ID changed between writing and reading"
    );
}

/// FINDING (medium): `package::plan` (the gate of `Package::create`,
/// `prepare_from_files`, i.e. `inkan letter package create`, whose
/// manifest is then signed) calls `check`, which now applies the rules for
/// *received* letters; opening the very package judges it by the full
/// form (`OpenedPackage::problems` uses `validate`). Inkan packages a
/// letter for sending that it then calls invalid (no departments, a kana
/// name that is not kana).
#[test]
fn finding_a_package_is_created_only_from_a_letter_that_passes_the_compose_rules() {
    use inkan_referral::package::Package;
    let mut l = ReferralLetter::example();
    l.attachments.clear();
    let mut b = bundle(&l);
    for org in organizations(&mut b) {
        org["extension"]
            .as_array_mut()
            .unwrap()
            .retain(|x| !x["url"].as_str().unwrap().ends_with("JP_eCS_Department"));
    }
    let p = resource_mut(&mut b, "Patient");
    for n in p["name"].as_array_mut().unwrap() {
        if n.to_string().contains("SYL") {
            n["text"] = "yamada taro".into();
        }
    }
    let bytes = to_bytes(&b);
    match Package::create("letter.json", &bytes, &[]) {
        Err(_) => {}
        Ok(zip) => {
            let problems = Package::open(&zip).unwrap().problems();
            panic!(
                "package created from a letter its own check then rejects: {:?}",
                problems
                    .iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
            );
        }
    }
}

/// FINDING (medium, patient safety): section 200's CDA is adopted as the
/// letter's clinical content without comparing it with the Bundle: a CDA
/// about another patient (another ID, name, birth date) is shown under
/// this patient's header, and `check` reports nothing. (`hs008::read`'s
/// own problems for the embedded CDA are dropped too.)
#[test]
fn finding_an_embedded_cda_about_another_patient_is_a_problem() {
    let letter = ReferralLetter::example();
    let mut other = ReferralLetter::example();
    other.patient.id = "00099999".into();
    other.patient.name = "佐藤 花子".into();
    other.patient.kana = "サトウ ハナコ".into();
    other.patient.birth_date = "1990-01-01".into();
    other.purpose = "別の患者の紹介目的".into();
    // Its 添付 are the Bundle's own (section 210): not listed twice.
    other.attachments.clear();
    let cda = hs008::write(&other).unwrap();
    let mut b = bundle(&letter);
    let binary = push_resource(
        &mut b,
        0xb1,
        json!({"resourceType": "Binary", "contentType": "application/hl7-cda+xml", "data": b64(&cda)}),
    );
    let docref = push_resource(
        &mut b,
        0xd1,
        json!({"resourceType": "DocumentReference", "status": "current",
            "content": [{"attachment": {"contentType": "application/hl7-cda+xml", "url": binary}}]}),
    );
    let sections = top_sections(&mut b);
    sections.retain(|s| s["code"]["coding"][0]["code"] != "300");
    sections.push(json!({"title": "CDA参照", "code": code("200"),
        "entry": [{"reference": docref, "type": "DocumentReference"}]}));
    let checked = check(&to_bytes(&b)).unwrap();
    assert_eq!(checked.letter.purpose, "別の患者の紹介目的", "setup");
    assert_eq!(checked.letter.patient.name, "山田 太郎", "setup");
    assert!(
        !checked.problems.is_empty(),
        "another patient's CDA was shown under 山田 太郎 with no problem"
    );
}

/// FINDING (low): a diagnosis whose name ends in 「（発症 …）」 and that has
/// no onset is written to the 340 narrative as it is and read back split
/// into a name and an onset: the letter read back (and shown in the
/// preview of the signed bytes) is not the letter composed.
#[test]
fn finding_a_diagnosis_name_round_trips_through_the_340_narrative() {
    let mut l = ReferralLetter::example();
    l.diagnoses[2].name = "脂質異常症（発症 2020）".into();
    l.diagnoses[2].onset = None;
    let back = check(&hs038::write(&l).unwrap()).unwrap();
    assert_eq!(back.letter.diagnoses, l.normalized().diagnoses);
}

/// FINDING (low): `quantity_text` prints a JSON number through f64:
/// FHIR decimals lose their precision (100.10 → 100.1, FHIR: "the
/// precision of the decimal value has significance"), small values switch
/// to exponent form (0.0000001 → 1e-7) and long integers lose digits.
#[test]
fn finding_observation_quantities_are_shown_as_the_sender_wrote_them() {
    let mut b = bundle(&ReferralLetter::example());
    let raw = ["100.10", "0.0000001", "12345678901234567890123"];
    let mut entries = Vec::new();
    for i in 0..raw.len() {
        let url = push_resource(
            &mut b,
            0x100 + i as u64,
            json!({"resourceType": "Observation", "status": "final",
                "code": {"text": format!("項目{i}")}, "valueQuantity": {"value": 0, "unit": "mg/dL"}}),
        );
        entries.push(json!({"reference": url}));
    }
    let subs = structured_sections(&mut b);
    subs.retain(|s| s["code"]["coding"][0]["code"] != "620");
    subs.push(json!({"title": "検査結果", "code": code("620"), "entry": entries}));
    // Put the numbers in as the sender's JSON text.
    let mut text = String::from_utf8(to_bytes(&b)).unwrap();
    for v in raw {
        text = text.replacen("\"value\":0}", &format!("\"value\":{v}}}"), 1);
    }
    let checked = check(text.as_bytes()).unwrap();
    let shown = checked.letter.test_results.unwrap_or_default();
    for (i, v) in raw.iter().enumerate() {
        assert!(
            shown.contains(&format!("項目{i} {v} mg/dL")),
            "{v} not shown as written:\n{shown}"
        );
    }
}

/// FINDING (high, DoS; older than today's commits, in the same reader):
/// `hs038::validate` keeps the fullUrls seen in a `Vec` and calls
/// `contains` for each entry: quadratic in the number of entries. 100,000
/// minimal entries (9.6 MB, under MAX_LETTER_BYTES) take 41 s in a release
/// build; 50,000 (4.8 MB) take ≈8 s release and far longer in this debug
/// build. A `BTreeSet`/`HashSet` makes it linear.
#[test]
fn finding_many_bundle_entries_are_validated_in_linear_time() {
    let mut b = bundle(&ReferralLetter::example());
    for i in 0..50_000 {
        push_resource(&mut b, 0x10000 + i, json!({"resourceType": "Basic"}));
    }
    let bytes = to_bytes(&b);
    assert!(bytes.len() < inkan_referral::MAX_LETTER_BYTES);
    within(Duration::from_secs(6), move || check(&bytes).map(|_| ())).unwrap();
}

/// FINDING (medium): 「未表示の項目」 promises that nothing is dropped
/// silently, yet `check` accepts, and neither view mentions, (1) a
/// DocumentReference in a 220 section (`text_or_entries` filters them out,
/// only 210/230/330 list attachments) and (2) the sub-sections of a section
/// the form has no item for (`text_or_entries` reads narrative and entries,
/// never `section`; `validate` does not look below 300's children).
#[test]
fn finding_content_the_views_do_not_show_is_never_dropped_silently() {
    let mut b = bundle(&ReferralLetter::example());
    let docref = push_resource(
        &mut b,
        0xd1,
        json!({"resourceType": "DocumentReference", "status": "current",
            "description": "造影CT所見（重要）",
            "content": [{"attachment": {"contentType": "application/pdf", "url": "ct-report.pdf"}}]}),
    );
    top_sections(&mut b).push(json!({"title": "備考・連絡情報", "code": code("220"),
        "text": {"status": "additional", "div": div("よろしくお願いします")},
        "entry": [{"reference": docref}]}));
    structured_sections(&mut b).push(json!({"title": "事前指示", "code": code("410"),
        "section": [{"title": "蘇生", "code": code("410"),
            "text": {"status": "additional", "div": div("心肺蘇生を希望しない（本人署名あり）")}}]}));
    let checked = check(&to_bytes(&b)).unwrap();
    let text = render_text(&checked.letter);
    let mut lost = Vec::new();
    for needle in ["造影CT所見（重要）", "心肺蘇生を希望しない"] {
        if !text.contains(needle) {
            lost.push(needle);
        }
    }
    assert!(lost.is_empty(), "dropped without a word: {lost:?}\n{text}");
}

/// A PNG given by another writer in section 210 is an attachment, listed
/// with the others, not an item left unshown.
#[test]
fn a_png_document_reference_is_an_attachment() {
    let mut b = bundle(&ReferralLetter::example());
    let docref = push_resource(
        &mut b,
        0xd1,
        json!({"resourceType": "DocumentReference", "status": "current",
            "description": "心電図",
            "content": [{"attachment": {"contentType": "image/png", "url": "ecg.png"}}]}),
    );
    top_sections(&mut b).push(json!({"title": "添付情報", "code": code("210"),
        "entry": [{"reference": docref}]}));
    let checked = check(&to_bytes(&b)).unwrap();
    assert_eq!(checked.problems, vec![]);
    let png = checked
        .letter
        .attachments
        .iter()
        .find(|a| a.file_name == "ecg.png")
        .expect("listed");
    assert_eq!(png.media_type, inkan_referral::AttachmentType::Png);
    assert!(
        checked.letter.not_shown.is_empty(),
        "{:?}",
        checked.letter.not_shown
    );
}

// ===========================================================================
// SOUND (pass: attacked and held)

/// SOUND: CDA timestamps with multi-byte, truncated or odd input never
/// panic (`parse_cda` refuses non-ASCII before slicing) and are reported.
#[test]
fn sound_hostile_cda_timestamps_do_not_panic() {
    let cda = String::from_utf8(hs008::write(&ReferralLetter::example()).unwrap()).unwrap();
    let good = "<effectiveTime value=\"20250314103000+0900\"/>";
    assert!(cda.contains(good));
    for ts in [
        "２０２５０３１４１０",
        "2025031410３",
        "20250314あ",
        "202503141030+09あ",
        "20250314103000.+0900",
        "20250314103000.5",
        "2025031410+09",
        "2025031410-",
        "+0900",
        "-",
        "20250314103000+0960",
        "20250314103000-1500",
        "2025031424",
        "20250314103060",
        "99991231235959-1400",
        "",
    ] {
        let bytes = cda.replacen(good, &format!("<effectiveTime value=\"{ts}\"/>"), 1);
        let c = check(bytes.as_bytes()).unwrap();
        let ok = c.problems.is_empty();
        // The valid ones: a fraction at second precision, a date far in
        // the future is refused by the model.
        assert!(!ok || ts == "20250314103000.5", "{ts:?} accepted");
    }
    // A fraction of any length is a TS; it is dropped.
    let ts = "20250314103000.1234567890123456789012345678901234567890+0900";
    let bytes = cda.replacen(good, &format!("<effectiveTime value=\"{ts}\"/>"), 1);
    let c = check(bytes.as_bytes()).unwrap();
    assert_eq!(c.problems, vec![]);
    assert_eq!(c.letter.created, "2025-03-14T10:30:00+09:00");
}

/// SOUND: the Shift_JIS sniffing never panics on multi-byte or truncated
/// declarations; bytes that are not Shift_JIS are an error; a letter
/// decoded as Shift_JIS may declare only the encoding it was decoded from.
#[test]
fn sound_shift_jis_detection_is_strict_and_does_not_panic() {
    let cda = String::from_utf8(hs008::write(&ReferralLetter::example()).unwrap()).unwrap();
    let body = cda.split_once("?>").unwrap().1;
    let sjis = |decl: &str| {
        let text = format!("{decl}{body}");
        let (b, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        b.into_owned()
    };
    let ok = check(&sjis("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>")).unwrap();
    assert_eq!(ok.problems, vec![]);
    assert_eq!(ok.letter.purpose, ReferralLetter::example().purpose);
    // Not Shift_JIS: an incomplete double-byte sequence.
    let mut bad = sjis("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>");
    let at = bad.len() - 3;
    bad.insert(at, 0x81);
    bad.insert(at + 1, 0x20);
    assert!(check(&bad).is_err());
    // Multi-byte and truncated declarations.
    for head in [
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\" あ?>".to_owned(),
        format!("<?xml version=\"1.0\" encoding='{}'?>", "あ".repeat(80)),
        format!(
            "<?xml version=\"1.0\" {}encoding=\"Shift_JIS\"?>",
            "é".repeat(90)
        ),
        "<?xml encoding=\"".to_owned(),
        "<?xml encoding=?>".to_owned(),
        "<?xml encoding=\"Shift_JIS".to_owned(),
    ] {
        let mut bytes = head.clone().into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        let _ = check(&bytes);
        let _ = check(head.as_bytes());
    }
    // Decoded from Shift_JIS, declaring another encoding as well: refused.
    let two = sjis("<?xml version=\"1.0\" xencoding=\"Shift_JIS\" encoding=\"EUC-JP\"?>");
    assert!(check(&two).is_err());
}

/// SOUND: markup and terminal escapes in 未表示の項目 and in entry summaries
/// are escaped in the HTML view and neutralised in the terminal view.
#[test]
fn sound_not_shown_and_summaries_are_escaped_in_both_views() {
    let mut b = bundle(&ReferralLetter::example());
    let evil = "<img src=x onerror=alert(1)>\u{1b}]0;pwned\u{7}\u{9b}31m";
    let obs = push_resource(
        &mut b,
        1,
        json!({"resourceType": "Observation", "status": "final",
            "code": {"text": evil}, "valueQuantity": {"value": evil, "comparator": evil, "unit": evil}}),
    );
    let docref = push_resource(
        &mut b,
        2,
        json!({"resourceType": "DocumentReference", "status": "current", "description": evil,
            "content": [{"attachment": {"contentType": format!("image/{evil}")}}]}),
    );
    structured_sections(&mut b).push(json!({"title": evil, "code": code("810"),
        "entry": [{"reference": obs}]}));
    top_sections(&mut b).push(json!({"title": "添付情報", "code": code("210"),
        "entry": [{"reference": docref}]}));
    let checked = check(&to_bytes(&b)).unwrap();
    assert!(
        checked.letter.not_shown.len() >= 2,
        "{:?}",
        checked.letter.not_shown
    );
    let html = render_html(&checked.letter);
    assert!(!html.contains("<img"), "{html}");
    let text = render_text(&checked.letter);
    assert!(!text.contains(['\u{1b}', '\u{7}', '\u{9b}']), "{text:?}");
}

/// SOUND: hostile numbers in a Quantity (huge exponents, NaN-like strings,
/// negative zero) do not panic and are shown as text; 1e400 is a JSON error.
#[test]
fn sound_hostile_quantities_do_not_panic() {
    for v in [
        "1e308",
        "-0.0",
        "\"NaN\"",
        "\"Infinity\"",
        "\"1e99999\"",
        "18446744073709551615",
        "-9223372036854775808",
    ] {
        let mut b = bundle(&ReferralLetter::example());
        let url = push_resource(
            &mut b,
            1,
            json!({"resourceType": "Observation", "status": "final", "code": {"text": "X"},
                "valueQuantity": {"value": 0, "unit": "U"}, "valueInteger": 0}),
        );
        structured_sections(&mut b).push(json!({"title": "医療機器", "code": code("810"),
            "entry": [{"reference": url}]}));
        let text = String::from_utf8(to_bytes(&b)).unwrap().replacen(
            "\"value\":0}",
            &format!("\"value\":{v}}}"),
            1,
        );
        let c = check(text.as_bytes()).unwrap();
        assert!(
            c.letter.not_shown.iter().any(|n| n.contains("X ")),
            "{v}: {:?}",
            c.letter.not_shown
        );
    }
    let b = bundle(&ReferralLetter::example());
    let text = String::from_utf8(to_bytes(&b))
        .unwrap()
        .replacen("{", "{\"n\":1e400,", 1);
    assert!(check(text.as_bytes()).is_err());
}

/// SOUND: sections nested past serde_json's recursion limit are a JSON
/// error, not a stack overflow.
#[test]
fn sound_deeply_nested_sections_are_an_error_not_a_crash() {
    let mut b = bundle(&ReferralLetter::example());
    let mut s = json!({"title": "x", "code": code("420"), "text": {"status": "additional", "div": div("x")}});
    for _ in 0..200 {
        s = json!({"title": "x", "code": code("420"), "section": [s]});
    }
    structured_sections(&mut b).push(s);
    // serde_json's own serializer has no depth limit; the reader has.
    let bytes = to_bytes(&b);
    assert!(matches!(
        check(&bytes),
        Err(inkan_referral::ReadError::Json { .. })
    ));
}

/// SOUND: many sections and many not_shown items from *distinct* content
/// (no shared references) stay linear: 20,000 unmapped sections read
/// quickly.
#[test]
fn sound_many_distinct_sections_read_in_linear_time() {
    let mut b = bundle(&ReferralLetter::example());
    let subs = structured_sections(&mut b);
    for i in 0..20_000 {
        subs.push(json!({"title": format!("s{i}"), "code": code("830"),
            "text": {"status": "additional", "div": div("x")}}));
    }
    let bytes = to_bytes(&b);
    let c = within(Duration::from_secs(10), move || check(&bytes).unwrap());
    // Listed up to the bound, the rest counted in the last item.
    let max = inkan_referral::model::MAX_NOT_SHOWN;
    assert_eq!(c.letter.not_shown.len(), max);
    assert_eq!(c.letter.not_shown[0], "s0：x");
    let rest = 20_000 - (max - 1);
    assert!(
        c.letter.not_shown[max - 1].contains(&format!("ほか {rest} 件")),
        "{:?}",
        c.letter.not_shown.last()
    );
}

/// SOUND: an inline `data` that is not base64, or is base64 of garbage,
/// or is a CDA that is itself huge, is bounded (decoded at most once per
/// occurrence, `MAX_LETTER_BYTES` on the decoded CDA) and ignored.
#[test]
fn sound_inline_cda_data_is_bounded() {
    for data in [
        "@@@@".repeat(1000),
        b64(&vec![b'<'; 3_000_000]),
        "A".repeat(4_000_001),
    ] {
        let mut b = bundle(&ReferralLetter::example());
        let docref = push_resource(
            &mut b,
            0xd1,
            json!({"resourceType": "DocumentReference", "status": "current",
                "content": [{"attachment": {"contentType": "application/hl7-cda+xml", "data": data}}]}),
        );
        let sections = top_sections(&mut b);
        sections.retain(|s| s["code"]["coding"][0]["code"] != "300");
        sections.push(
            json!({"title": "CDA参照", "code": code("200"), "entry": [{"reference": docref}]}),
        );
        let bytes = to_bytes(&b);
        let c = within(Duration::from_secs(10), move || check(&bytes).unwrap());
        assert!(c.letter.purpose.is_empty());
        assert!(!c.problems.is_empty());
    }
}

/// SOUND: the writers still apply every form rule, including the
/// compose-only ones, so a received letter that `check` accepts cannot be
/// signed through `hs038::write` / `hs008::write` (the workflow's sign path).
#[test]
fn sound_writers_refuse_what_only_receiving_accepts() {
    let mut b = bundle(&ReferralLetter::example());
    for org in organizations(&mut b) {
        org["extension"]
            .as_array_mut()
            .unwrap()
            .retain(|x| !x["url"].as_str().unwrap().ends_with("JP_eCS_Department"));
    }
    let c = check(&to_bytes(&b)).unwrap();
    assert_eq!(c.problems, vec![]);
    assert!(hs038::write(&c.letter).is_err());
    assert!(hs008::write(&c.letter).is_err());
    // not_shown is never written: a letter read with 未表示の項目 and written
    // again loses them, and reads back without them (what is signed is
    // what the preview shows).
    let mut l = ReferralLetter::example();
    l.not_shown.push("x".into());
    let back = check(&hs038::write(&l).unwrap()).unwrap();
    assert!(back.letter.not_shown.is_empty());
}

/// SOUND: JP-CLINS identifier checks on multi-byte input do not panic and
/// refuse what they should.
#[test]
fn sound_insurance_member_id_on_hostile_input() {
    for v in [
        "",
        ":::",
        "１２３４５６７８:a:b:",
        "12345678:あ:い:01",
        "12345678:a b:c:",
        "12345678:a:b:0１",
        "12345678:a:b:c:d",
        "1234567８:a:b:",
    ] {
        let ok = hs038::is_insurance_member_id(v);
        assert_eq!(ok, v == "12345678:あ:い:01", "{v:?}");
    }
}
