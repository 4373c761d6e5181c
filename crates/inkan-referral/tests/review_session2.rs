//! Hostile review, session 2, of the last five commits to the referral
//! reader and writers (issue 15: strict XML declaration, Quantity numbers
//! as written, insurance IDs, HS008 document id / LOINC section codes /
//! observationMedia, coded diagnoses).
//!
//! Every byte of a received letter is the sender's. Tests named
//! `finding_…` failed on the code under review and name what was wrong
//! (each is fixed: they guard the fix); tests named `sound_…` record what
//! was attacked and held.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use inkan_referral::{check, hs008, hs038, Diagnosis, ReferralLetter};
use serde_json::{json, Value};
use std::time::Duration;

mod common;
use common::*;

// ---------------------------------------------------------------------------
// Helpers

/// The peak resident memory of the test process so far (Linux), in bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn section_of<'a>(b: &'a mut Value, c: &str) -> &'a mut Value {
    structured_sections(b)
        .iter_mut()
        .find(|s| s["code"]["coding"][0]["code"] == c)
        .unwrap()
}

fn cda(l: &ReferralLetter) -> String {
    String::from_utf8(hs008::write(l).unwrap()).unwrap()
}

fn diag(name: &str, onset: Option<&str>, code: Option<&str>) -> Diagnosis {
    Diagnosis {
        name: name.into(),
        onset: onset.map(Into::into),
        code: code.map(Into::into),
    }
}

// ===========================================================================
// FINDINGS

/// FINDING (high, DoS): `json::State::number` clones the whole path
/// (`Vec<Step>` with every key `String`) for each Quantity `value` whose
/// text differs from serde_json's print, and keeps all of them until
/// `bind`: memory is (numbers × path bytes). A 400 kB key above 1,500
/// `{"value":1.00}` (0.4 MB of JSON) costs ~500 MiB; a 10 MiB letter can
/// ask for terabytes (abort), and even short keys at depth 127 cost ~4 kB
/// per 15-byte number.
#[test]
fn finding_json_raw_number_paths_cost_memory_linear_in_the_letter() {
    // A long key above many Quantity-like values whose text differs from
    // serde_json's print (1.00 → 1.0): every one clones the whole path.
    let key = "k".repeat(400_000);
    let values = vec![r#"{"value":1.00}"#; 1_500].join(",");
    let text = format!(r#"{{"resourceType":"Bundle","type":"document","{key}":[{values}]}}"#);
    let before = peak_rss();
    let _ = hs038::read(text.as_bytes());
    let grew = peak_rss().saturating_sub(before);
    assert!(
        grew < 100 << 20,
        "reading {} bytes raised the peak memory by {} MiB",
        text.len(),
        grew >> 20
    );
}

/// FINDING (medium, DoS): `hs008::media_entries` checks each
/// observationMedia reference against every attachment listed so far
/// (`letter.attachments.iter().any(..)`), and every new file is pushed:
/// quadratic in the entries (MAX_NODES lets ~70,000 through), and then
/// `validate` is quadratic over them again.
#[test]
fn finding_hs008_observation_media_entries_are_read_in_linear_time() {
    let doc = cda(&ReferralLetter::example());
    let anchor = "</observationMedia></entry>";
    let at = doc.find(anchor).expect("an observationMedia entry") + anchor.len();
    let mut extra = String::new();
    for i in 0..20_000 {
        extra.push_str(&format!(
            "<entry><observationMedia classCode=\"OBS\" moodCode=\"EVN\"><value mediaType=\"application/pdf\"><reference value=\"f{i}.pdf\"/></value></observationMedia></entry>"
        ));
    }
    let forged = format!("{}{extra}{}", &doc[..at], &doc[at..]);
    let checked = within(Duration::from_secs(2), move || {
        check(forged.as_bytes()).unwrap()
    });
    assert!(!checked.is_valid());
}

/// FINDING (medium, DoS): one DocumentReference with 40,000 `content`
/// items lists 40,000 attachments (nothing bounds them, unlike the
/// budgeted entry summaries), and `ReferralLetter::validate` keeps the
/// folded file names in a `Vec` and calls `contains` per attachment:
/// 5 s in debug for 2.7 MB, ~100 s for a 10 MiB letter.
#[test]
fn finding_hs038_many_attachments_are_read_and_validated_in_linear_time() {
    let mut b = bundle(&ReferralLetter::example());
    let content: Vec<Value> = (0..40_000)
        .map(|i| json!({"attachment": {"contentType": "application/pdf", "url": format!("f{i}.pdf")}}))
        .collect();
    let dr = push_resource(
        &mut b,
        0x900,
        json!({"resourceType": "DocumentReference", "status": "current", "description": "x", "content": content}),
    );
    top_sections(&mut b)
        .push(json!({"title": "添付情報", "code": code("210"), "entry": [{"reference": dr}]}));
    let bytes = to_bytes(&b);
    let checked = within(Duration::from_secs(2), move || check(&bytes).unwrap());
    assert!(!checked.is_valid());
}

/// FINDING (medium): the HS008 reader takes the third cell of every
/// diagnoses row as the MEDIS 病名管理番号, whatever the column's heading:
/// another writer's 診断日 / ICD-10 / 転帰 column becomes a "code" (an
/// 8-digit date passes `is_medis_disease_code` and would be forwarded as a
/// JP_Condition_eCS MEDIS coding; anything else makes a valid letter
/// invalid).
#[test]
fn finding_hs008_a_third_diagnosis_column_is_a_medis_code_only_under_its_heading() {
    // Another writer's table: 傷病名 | 発症 | 開始日 (YYYYMMDD).
    let mut l = ReferralLetter::example();
    l.diagnoses = vec![diag("2型糖尿病", Some("2012"), Some("20120401"))];
    let doc = cda(&l).replace("病名管理番号（MEDIS）", "診断日");
    let checked = check(doc.as_bytes()).unwrap();
    assert_eq!(
        checked.letter.diagnoses[0].code, None,
        "a 診断日 column was read as a MEDIS 病名管理番号"
    );
}

/// FINDING (low): `SECTION_TITLE_VARIANTS` maps 「主訴」 to 傷病名・主訴, so
/// a letter with its own 主訴 section gets the complaint's text as a
/// diagnosis line and a Cardinality problem (two 傷病名・主訴 sections),
/// where before the section was kept in 備考.
#[test]
fn finding_hs008_a_chief_complaint_section_does_not_become_diagnoses() {
    // 様式11 has 傷病名 and a writer may give 主訴 its own section.
    let doc = cda(&ReferralLetter::example());
    let sec = "<component><section><title>主訴</title><text><paragraph>3日前からの胸痛</paragraph></text></section></component>";
    let at = doc.find("</structuredBody>").unwrap();
    let forged = format!("{}{sec}{}", &doc[..at], &doc[at..]);
    let checked = check(forged.as_bytes()).unwrap();
    assert!(
        !checked
            .letter
            .diagnoses
            .iter()
            .any(|d| d.name.contains("胸痛")),
        "{:?}",
        checked.letter.diagnoses
    );
    assert!(checked.is_valid(), "{:?}", checked.problems);
}

/// FINDING (medium): the 340 reader gives a Condition's code to the first
/// uncoded narrative line of the same name, ignoring the onset: with
/// 「2型糖尿病（発症 2012）」 uncoded and 「2型糖尿病（発症 2024）」 coded, the
/// code moves to the 2012 line. `check(write(l)).letter != l.normalized()`.
#[test]
fn finding_hs038_same_named_diagnoses_keep_their_own_codes() {
    let mut l = ReferralLetter::example();
    l.diagnoses = vec![
        diag("2型糖尿病", Some("2012"), None),
        diag("2型糖尿病", Some("2024"), Some("12345678")),
    ];
    assert_eq!(l.validate(), vec![]);
    let back = check(&hs038::write(&l).unwrap()).unwrap();
    assert_eq!(back.letter.diagnoses, l.normalized().diagnoses);
}

/// FINDING (medium): when the narrative lines "cover" the Conditions by
/// name, a second Condition of the same name (its own code, its own onset)
/// finds no uncoded line and is dropped: not shown, not named in 未表示の
/// 項目, no problem.
#[test]
fn finding_hs038_a_second_condition_of_the_same_name_is_not_dropped_silently() {
    // Narrative: one line 「肺炎」; Conditions: 肺炎 (code A), 肺炎 (code B,
    // onset 2024). The second Condition is a diagnosis too.
    let mut l = ReferralLetter::example();
    l.diagnoses = vec![diag("肺炎", None, Some("11111111"))];
    let mut b = bundle(&l);
    let cond = push_resource(
        &mut b,
        0x700,
        json!({"resourceType": "Condition",
            "code": {"coding": [{"system": hs038::MEDIS_DISEASE_SYSTEM, "code": "22222222"}], "text": "肺炎"},
            "onsetDateTime": "2024"}),
    );
    let s = section_of(&mut b, "340");
    s["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"reference": cond}));
    let checked = check(&to_bytes(&b)).unwrap();
    let seen = format!(
        "{:?}{:?}",
        checked.letter.diagnoses, checked.letter.not_shown
    );
    assert!(
        seen.contains("22222222") || !checked.is_valid(),
        "the second Condition vanished: {seen}"
    );
}

/// FINDING (medium): when one Condition's name is not exactly a narrative
/// line's, the reader shows the Conditions only, and every uncoded
/// diagnosis of the 340 narrative vanishes without a trace.
#[test]
fn finding_hs038_uncoded_narrative_diagnoses_do_not_vanish_beside_an_unmatched_condition() {
    // Another writer: the narrative lists both diagnoses, its one Condition
    // names the coded one a little differently.
    let mut l = ReferralLetter::example();
    l.diagnoses = vec![
        diag("2型糖尿病", None, Some("11111111")),
        diag("高血圧症", None, None),
    ];
    let mut b = bundle(&l);
    let text = String::from_utf8(to_bytes(&b)).unwrap();
    assert!(text.contains("\"text\":\"2型糖尿病\""));
    b = serde_json::from_str(
        &text.replace("\"text\":\"2型糖尿病\"", "\"text\":\"2型糖尿病（E11）\""),
    )
    .unwrap();
    let checked = check(&to_bytes(&b)).unwrap();
    let seen = format!(
        "{:?}{:?}",
        checked.letter.diagnoses, checked.letter.not_shown
    );
    assert!(
        seen.contains("高血圧症") || !checked.is_valid(),
        "a diagnosis of the narrative vanished without a problem: {seen}"
    );
}

/// FINDING (low): `subsections_not_shown` stops at depth 8, so a sender's
/// content nested deeper is dropped silently, against its own promise
/// ("nothing a sender put there is dropped silently").
#[test]
fn finding_hs038_deeply_nested_subsections_are_not_dropped_silently() {
    const NEST: usize = 11;
    let mut b = bundle(&ReferralLetter::example());
    let mut inner = json!({"title": "最深部", "text": {"status": "generated",
        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">ここにも大事なこと</div>"}});
    for d in 0..NEST {
        inner = json!({"title": format!("階層{d}"), "section": [inner]});
    }
    top_sections(&mut b).push(json!({"title": "その他", "code": code("220"),
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">備考</div>"},
        "section": [inner]}));
    let checked = check(&to_bytes(&b)).unwrap();
    let seen = format!("{:?}", checked.letter.not_shown);
    assert!(
        seen.contains("ここにも大事なこと") || !checked.is_valid(),
        "{seen}"
    );
}

/// FINDING (low): the "strict" declaration check does not check values
/// (`version="9"`, `standalone="maybe"`), treats `<?xml?>` as no
/// declaration, and only looks at byte 0, so a declaration after white
/// space or a second declaration is accepted: documents that libxml2 and
/// other XML processors reject pass `check`.
#[test]
fn finding_xml_declarations_that_are_not_well_formed_are_refused() {
    let doc = cda(&ReferralLetter::example());
    let body = doc.split_once("?>").unwrap().1.to_owned();
    for head in [
        // VersionNum ::= '1.' [0-9]+
        r#"<?xml version="9" encoding="UTF-8"?>"#,
        r#"<?xml version="" encoding="UTF-8"?>"#,
        // SDDecl: 'yes' | 'no'
        r#"<?xml version="1.0" encoding="UTF-8" standalone="maybe"?>"#,
        // XMLDecl requires VersionInfo
        "<?xml?>",
        // The declaration only at the very start, and once.
        r#" <?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<?xml version="1.0" encoding="UTF-8"?><?xml version="1.0" encoding="UTF-8"?>"#,
    ] {
        let text = format!("{head}{body}");
        let verdict = check(text.as_bytes());
        assert!(
            verdict.as_ref().map_or(true, |c| !c.is_valid()),
            "accepted a declaration that is not well-formed: {head}"
        );
    }
}

/// FINDING (low): a UTF-16 HS008 letter (XML 1.0 §4.3.3: every processor
/// must read UTF-16) is reported as an unknown format (`detect` sees the
/// BOM's 0xFF), not as an encoding Inkan does not read.
#[test]
fn finding_a_utf16_letter_is_refused_for_its_encoding_not_as_an_unknown_format() {
    let doc = cda(&ReferralLetter::example()).replacen("UTF-8", "UTF-16", 1);
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(doc.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let err = check(&bytes).unwrap_err();
    assert!(
        !matches!(err, inkan_referral::ReadError::UnknownFormat),
        "a UTF-16 HS008 letter is reported as {err:?}"
    );
}

/// FINDING (low, older code): HS008's `read_names` joins
/// `split_whitespace()`, so a doctor's 「佐藤　花子」 (ideographic space,
/// kept by `normalized`) or a patient's 「山田  太郎」 reads back changed:
/// the letter shown is not the letter signed.
#[test]
fn finding_hs008_names_with_an_ideographic_or_double_space_round_trip() {
    let mut l = ReferralLetter::example();
    l.from.doctor.name = "佐藤　花子".into();
    assert_eq!(l.validate(), vec![]);
    let back = check(&hs008::write(&l).unwrap()).unwrap();
    assert_eq!(back.letter.from.doctor, l.normalized().from.doctor);

    let mut l = ReferralLetter::example();
    l.patient.name = "山田  太郎".into();
    assert_eq!(l.validate(), vec![]);
    let back = check(&hs008::write(&l).unwrap()).unwrap();
    assert_eq!(back.letter.patient.name, l.normalized().patient.name);
}

// ===========================================================================
// SOUND

/// SOUND: strings with escaped quotes, backslashes, `\u0022` and digits,
/// number-like keys, integers and exponents before each Quantity do not
/// desynchronise the raw-number scanner; `-0`, `1E2`, `1.50e+3`, 30-digit
/// integers are shown as written.
#[test]
fn sound_quantity_numbers_stay_paired_with_their_text() {
    // Strings with escapes, escaped quotes and digits, keys that look like
    // numbers, integers and exponents before and between the Quantities.
    let mut b = bundle(&ReferralLetter::example());
    let raw = [
        "-0",
        "1E2",
        "1.50e+3",
        "0.10",
        "123456789012345678901234567890",
        "-1.0e-7",
        "7",
    ];
    let mut entries = Vec::new();
    for (i, _) in raw.iter().enumerate() {
        let url = push_resource(
            &mut b,
            0x100 + i as u64,
            json!({"resourceType": "Observation", "status": "final",
                "code": {"text": format!("項目{i} \"9.9\" \\ 8e8 \u{0022}-5")},
                "valueQuantity": {"unit": "mg", "value": "@"}}),
        );
        entries.push(json!({"reference": url}));
    }
    let s = section_of(&mut b, "620");
    s.as_object_mut().unwrap().remove("text");
    s["entry"] = Value::Array(entries);
    let mut text = String::from_utf8(to_bytes(&b)).unwrap();
    for v in raw {
        text = text.replacen(
            "\"value\":\"@\"",
            &format!("\"1.5\":-2.50,\"n\\\"3\":[1e1,-0],\"value\":{v}"),
            1,
        );
    }
    let checked = check(text.as_bytes()).unwrap();
    let shown = checked.letter.test_results.unwrap_or_default();
    for (i, v) in raw.iter().enumerate() {
        assert!(
            shown.contains(&format!("-5 {v} mg")),
            "item {i}: {v} not shown as written:\n{shown}"
        );
    }
}

/// SOUND: 200,000 numbers, 200,000 escapes, a million-digit decimal: no
/// panic, linear.
#[test]
fn sound_hostile_json_numbers_do_not_panic_or_go_quadratic() {
    let many = format!(
        r#"{{"resourceType":"Bundle","a":[{}]}}"#,
        vec!["-0.0e-0"; 200_000].join(",")
    );
    let escapes = format!(
        r#"{{"resourceType":"Bundle","s":"{}","value":1.0}}"#,
        "\\\"1\\\\".repeat(200_000)
    );
    let long = format!(
        r#"{{"resourceType":"Bundle","value":1.{}}}"#,
        "0".repeat(1_000_000)
    );
    within(Duration::from_secs(5), move || {
        for t in [many, escapes, long] {
            let _ = hs038::read(t.as_bytes());
        }
    });
}

/// SOUND: declarations with single quotes, white space around `=`,
/// tabs/CRLF, standalone, no encoding, with and without a BOM are read.
#[test]
fn sound_legit_xml_declarations_are_accepted() {
    let doc = cda(&ReferralLetter::example());
    let body = doc.split_once("?>").unwrap().1.to_owned();
    for head in [
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "<?xml version = '1.0' encoding = 'utf-8' standalone = 'yes' ?>",
        "<?xml\tversion=\"1.0\"\r\n encoding=\"UTF-8\"\n?>",
        r#"<?xml version="1.0"?>"#,
        r#"<?xml version="1.0" standalone="no"?>"#,
    ] {
        let text = format!("{head}{body}");
        assert!(check(text.as_bytes()).unwrap().is_valid(), "{head}");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert!(check(&bom).unwrap().is_valid(), "BOM + {head}");
    }
}

/// SOUND: xencoding, repeated or out-of-order pseudo-attributes, missing
/// white space, full-width and multi-byte values, unterminated values,
/// non-UTF-8 bytes in the declaration and a BOM before a Shift_JIS
/// declaration are refused, without a panic.
#[test]
fn sound_forged_xml_declarations_are_refused_without_panic() {
    let doc = cda(&ReferralLetter::example());
    let body = doc.split_once("?>").unwrap().1.to_owned();
    for head in [
        r#"<?xml version="1.0" xencoding="Shift_JIS" encoding="UTF-8"?>"#,
        r#"<?xml version="1.0" encoding="UTF-8" encoding="Shift_JIS"?>"#,
        r#"<?xml version="1.0" standalone="yes" encoding="Shift_JIS"?>"#,
        r#"<?xml encoding="UTF-8" version="1.0"?>"#,
        r#"<?xml version="1.0"encoding="UTF-8"?>"#,
        r#"<?xml version="1.0" encoding="ＵＴＦ-8"?>"#,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" \u{3000}?>",
        "<?xml version=\"1.0\u{e9}\" encoding='\u{3042}'?>",
        r#"<?xml version="1.0" encoding="UTF-16"?>"#,
        "<?xml version=\"1.0\" encoding=\"UTF-8",
        "<?xml ?>",
    ] {
        let text = format!("{head}{body}");
        let verdict = check(text.as_bytes());
        assert!(verdict.map_or(true, |c| !c.is_valid()), "{head}");
    }
    // Not UTF-8 at all in the declaration, and a UTF-8 BOM before a
    // Shift_JIS declaration: errors, no panic.
    let mut bad = b"<?xml version=\"1.0\" encoding=\"\xFF\xFE\"?>".to_vec();
    bad.extend_from_slice(body.as_bytes());
    assert!(check(&bad).is_err());
    let mut sj = b"\xEF\xBB\xBF".to_vec();
    sj.extend_from_slice(doc.replacen("UTF-8", "Shift_JIS", 1).as_bytes());
    assert!(check(&sj).is_err());
}

/// SOUND: insurance IDs (empty parts, branch, markup, full-width), the
/// public-payer ID, PNG, coded diagnoses incl. names ending in 「（発症 …）」
/// and same-named coded ones, recipient ID with and without a recipient
/// doctor: `check(write(l)).letter == l.normalized()` in both formats.
#[test]
fn sound_round_trips_of_the_new_items() {
    use inkan_referral::{AttachmentRef, AttachmentType, Doctor};
    let base = ReferralLetter::example();
    let mut variants: Vec<ReferralLetter> = Vec::new();
    let mut add = |f: &dyn Fn(&mut ReferralLetter)| {
        let mut l = base.clone();
        f(&mut l);
        variants.push(l);
    };
    add(&|l| l.patient.insurance_id = Some("06139876:::".into()));
    add(&|l| l.patient.insurance_id = Some("06139876:記号:番号:05".into()));
    add(&|l| l.patient.insurance_id = Some("06139876::123:".into()));
    add(&|l| l.patient.insurance_id = Some("06139876:<&>\"':１２３:".into()));
    add(&|l| l.patient.insurance_id = Some("06139876:記号：1:123:".into()));
    add(&|l| l.patient.insurance_id = Some("06139876:ＡＢＣ::".into()));
    add(&|l| {
        l.patient.insurance_id = None;
        l.patient.public_payer_id = Some("12131415::１２３４５６７:".into());
    });
    add(&|l| {
        l.attachments.push(AttachmentRef {
            file_name: "scan.PNG".into(),
            media_type: AttachmentType::Png,
            description: "スキャン".into(),
        })
    });
    add(&|l| {
        l.diagnoses[0].code = Some("20051234".into());
        l.diagnoses[2].code = Some("00000001".into());
    });
    add(&|l| {
        l.diagnoses[2].name = "脂質異常症（発症 2020）".into();
        l.diagnoses[2].code = Some("20051234".into());
    });
    add(&|l| {
        l.diagnoses[1] = diag("高血圧症（発症 不明）", None, Some("20051234"));
    });
    add(&|l| l.diagnoses[0] = diag("X（発症 2020）", Some("2021"), Some("12345678")));
    add(&|l| {
        l.diagnoses = vec![
            diag("A", None, Some("11111111")),
            diag("A", Some("2020"), Some("22222222")),
        ];
    });
    add(&|l| l.diagnoses[0] = diag("A&B <c>  d", None, Some("20051234")));
    add(&|l| l.patient.recipient_id = Some("R-001".into()));
    add(&|l| {
        l.patient.recipient_id = Some("R-001".into());
        l.to.doctor = Some(Doctor {
            name: "鈴木 一郎".into(),
            kana: Some("スズキ イチロウ".into()),
        });
    });
    for l in &variants {
        assert_eq!(l.validate(), vec![], "{l:?}");
        for bytes in [hs008::write(l).unwrap(), hs038::write(l).unwrap()] {
            let c = check(&bytes).unwrap();
            assert_eq!(c.problems, vec![]);
            assert_eq!(c.letter, l.normalized());
        }
    }
}

/// SOUND: `needs` names a date-only creation time, an unsplit name and
/// two (or no) insurance IDs; HS038 refuses, HS008 writes.
#[test]
fn sound_hs038_needs_refuses_what_the_profiles_require() {
    let mut l = ReferralLetter::example();
    l.created = "2025-03-14".into();
    l.patient.kana = "ヤマダタロウ".into();
    l.patient.public_payer_id = Some("12131415::1234567:".into());
    assert!(hs008::write(&l).is_ok());
    let paths: Vec<String> = hs038::needs(&l.normalized())
        .into_iter()
        .map(|p| p.path)
        .collect();
    assert_eq!(paths, ["created", "patient.kana", "patient.insurance_id"]);
    assert!(hs038::write(&l).is_err());
    l.patient.insurance_id = None;
    l.patient.public_payer_id = None;
    assert!(hs038::write(&l).is_err());
}

/// SOUND: a received Patient with both an insurance member ID and a
/// public-payer ID breaks R1012.
#[test]
fn sound_r1012_is_checked_on_received_bundles() {
    let mut b = bundle(&ReferralLetter::example());
    let patient = b["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == "Patient")
        .unwrap();
    // Both an insurance member ID and a public-payer ID: R1012 wants one.
    patient["identifier"]
        .as_array_mut()
        .unwrap()
        .push(json!({"system": hs038::PUBLIC_PAYER_ID_SYSTEM, "value": "12131415::1234567:"}));
    let checked = check(&to_bytes(&b)).unwrap();
    assert!(
        checked
            .problems
            .iter()
            .any(|p| format!("{:?}", p.rule).contains("R1012")),
        "{:?}",
        checked.problems
    );
}
