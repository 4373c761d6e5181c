//! model → HS008/HS038 → model is lossless, byte-stable, and both formats
//! render as the same human view.
#![allow(clippy::unwrap_used)]

use inkan_referral::render::{render_html, render_text};
use inkan_referral::{
    check, hs008, hs038, AttachmentRef, AttachmentType, Diagnosis, ReferralLetter,
};

/// A letter that exercises escaping, line breaks and every optional item.
fn demanding_letter() -> ReferralLetter {
    let mut l = ReferralLetter::example();
    l.purpose = "精査依頼 <至急> & \"再診\"\n\n二段落目\tタブ入り".into();
    l.surgeries = Some("2001年 虫垂切除術".into());
    l.transfusions = Some("なし".into());
    l.procedures = Some("2024-12 胃内視鏡検査（生検なし）".into());
    l.patient.recipient_id = Some("H-123".into());
    l.diagnoses.push(Diagnosis {
        name: "糖尿病性腎症（疑い）".into(),
        onset: Some("2025-03-10".into()),
        code: None,
    });
    l.attachments.push(AttachmentRef {
        file_name: "referral-continuation.pdf".into(),
        media_type: AttachmentType::Pdf,
        description: "続紙 & 経過表".into(),
    });
    l.attachments.push(AttachmentRef {
        file_name: "ecg-2025-03-10.png".into(),
        media_type: AttachmentType::Png,
        description: "心電図（PNG）".into(),
    });
    l
}

#[test]
fn example_round_trips_through_hs008() {
    for letter in [ReferralLetter::example(), demanding_letter()] {
        let bytes = hs008::write(&letter).unwrap();
        let checked = check(&bytes).unwrap();
        assert_eq!(checked.problems, vec![]);
        assert_eq!(checked.letter, letter);
        assert_eq!(hs008::write(&checked.letter).unwrap(), bytes, "byte-stable");
    }
}

#[test]
fn example_round_trips_through_hs038() {
    for letter in [ReferralLetter::example(), demanding_letter()] {
        let bytes = hs038::write(&letter).unwrap();
        let checked = check(&bytes).unwrap();
        assert_eq!(checked.problems, vec![]);
        assert_eq!(checked.letter, letter);
        assert_eq!(hs038::write(&checked.letter).unwrap(), bytes, "byte-stable");
    }
}

#[test]
fn hs008_and_hs038_of_one_letter_render_the_same_view() {
    let letter = demanding_letter();
    let a = check(&hs008::write(&letter).unwrap()).unwrap().letter;
    let b = check(&hs038::write(&letter).unwrap()).unwrap().letter;
    assert_eq!(render_text(&a), render_text(&b));
    assert_eq!(render_html(&a), render_html(&b));
    assert!(
        render_html(&a).contains("精査依頼 &lt;至急&gt; &amp; &quot;再診&quot;<br><br>二段落目")
    );
}

#[test]
fn conversion_between_formats_is_lossless() {
    let letter = demanding_letter();
    let from_xml = check(&hs008::write(&letter).unwrap()).unwrap().letter;
    let json = hs038::write(&from_xml).unwrap();
    let from_json = check(&json).unwrap().letter;
    assert_eq!(from_json, letter);
    assert_eq!(
        check(&hs008::write(&from_json).unwrap()).unwrap().letter,
        letter
    );
}

#[test]
fn the_form_json_is_the_model() {
    let json = serde_json::to_string_pretty(&ReferralLetter::example()).unwrap();
    let back: ReferralLetter = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ReferralLetter::example());
    assert!(json.contains("\"media_type\": \"application/pdf\""));
}

#[test]
fn different_letters_get_different_entry_identifiers() {
    let a = String::from_utf8(hs038::write(&ReferralLetter::example()).unwrap()).unwrap();
    let mut other = ReferralLetter::example();
    other.document_number = "REF-2025-000124".into();
    let b = String::from_utf8(hs038::write(&other).unwrap()).unwrap();
    let urls = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("\"fullUrl\""))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(urls(&a).len(), urls(&b).len());
    assert!(urls(&a).iter().all(|u| !urls(&b).contains(u)));
}

#[test]
fn the_documented_form_example_is_the_built_in_example() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(
            &std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../../docs/letter-form.md"),
    )
    .unwrap();
    let start = doc.rfind("```json\n").unwrap() + "```json\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let form: ReferralLetter = serde_json::from_str(&doc[start..end]).unwrap();
    assert_eq!(form, ReferralLetter::example());
}

/// Other writers give the CDA `effectiveTime` at other precisions, with or
/// without a zone (HL7 V3 TS): all read, a missing zone as Japan time.
#[test]
fn hs008_effective_time_at_any_precision_reads() {
    let bytes = hs008::write(&ReferralLetter::example()).unwrap();
    let xml = String::from_utf8(bytes).unwrap();
    let original = "<effectiveTime value=\"20250314103000+0900\"/>";
    assert!(xml.contains(original));
    for (value, created) in [
        ("202503141030", "2025-03-14T10:30:00+09:00"),
        ("2025031410+0900", "2025-03-14T10:00:00+09:00"),
        ("20250314013000.250+0000", "2025-03-14T01:30:00+00:00"),
        ("20250314", "2025-03-14"),
    ] {
        let changed = xml.replace(original, &format!("<effectiveTime value=\"{value}\"/>"));
        let checked = check(changed.as_bytes()).unwrap();
        assert_eq!(checked.problems, vec![], "{value}");
        assert_eq!(checked.letter.created, created, "{value}");
    }
}

/// Older Japanese systems write CDA in Shift_JIS: such a letter reads as
/// its UTF-8 original does; bytes that are not Shift_JIS are an error,
/// never replacement characters.
#[test]
fn a_shift_jis_hs008_reads_like_its_utf8_original() {
    // The example's "kg/m²" has no Shift_JIS code: a Shift_JIS writer
    // would not have written it.
    let json = serde_json::to_string(&ReferralLetter::example())
        .unwrap()
        .replace('²', "2");
    let letter: ReferralLetter = serde_json::from_str(&json).unwrap();
    let utf8 = String::from_utf8(hs008::write(&letter).unwrap()).unwrap();
    let declared = utf8.replacen("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"", 1);
    assert_ne!(declared, utf8, "the writer declares its encoding");
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&declared);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&sjis).is_err(), "really not UTF-8");
    let checked = check(&sjis).unwrap();
    assert_eq!(checked.problems, vec![]);
    assert_eq!(checked.letter, letter);

    // A lone lead byte (0x81 then a space) is not Shift_JIS.
    let mut broken = sjis.into_owned();
    let at = broken.iter().position(|b| *b >= 0x81).unwrap();
    broken[at + 1] = b' ';
    assert!(matches!(
        check(&broken),
        Err(inkan_referral::ReadError::NotShiftJis)
    ));
}
