//! The two public HS038 samples written by the standard's authors
//! (jami-fhir-jp-wg/clinical-core, ExampleJson/), copied into tests/fixtures/hs038/.
#![allow(clippy::unwrap_used)]

use inkan_referral::render::{render_html, render_text};
use inkan_referral::{check, detect, read, Format};

const WITH_ENTRIES: &str = "Bundle-Bundle-CLINS-Referral-Example-01.json";
const TEXT_ONLY: &str = "Bundle-Bundle-CLINS-Referral-NoEntry-Example-01.json";

/// A sample, found at run time (not with `env!`) so that a binary built
/// from another checkout sharing the target directory reads this one's.
fn load(name: &str) -> Vec<u8> {
    load_from("hs038", name)
}

fn load_from(folder: &str, name: &str) -> Vec<u8> {
    let path = std::path::Path::new(
        &std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../tests/fixtures")
    .join(folder)
    .join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (tests/fixtures is part of the repository)",
            path.display()
        )
    })
}

#[test]
fn public_sample_with_entries_parses_validates_and_renders() {
    let bytes = load(WITH_ENTRIES);
    assert_eq!(detect(&bytes).unwrap(), Format::Hs038);
    let checked = check(&bytes).unwrap();
    assert_eq!(
        checked.problems,
        vec![],
        "the authors' sample must be valid"
    );
    let l = &checked.letter;
    assert_eq!(l.document_number, "0123-Referral-203949583949");
    assert_eq!(l.created, "2020-08-21T12:12:20+09:00");
    assert_eq!(l.from.institution.number, "1319876543");
    assert_eq!(l.from.institution.name, "港診療所");
    assert_eq!(l.from.institution.department, "眼科");
    assert_eq!(l.from.doctor.name, "大河内 勘三郎");
    assert_eq!(
        l.from.doctor.kana.as_deref(),
        Some("オオコウチ カンザブロウ")
    );
    assert_eq!(l.to.institution.number, "1311234567");
    assert_eq!(l.to.institution.department, "循環器内科");
    assert_eq!(l.to.doctor.as_ref().unwrap().name, "野口 英世丸");
    assert_eq!(l.patient.id, "000999739");
    assert_eq!(l.patient.kana, "マキノ ランマン");
    assert_eq!(l.patient.birth_date, "1930-06-28");
    assert_eq!(l.purpose, "腹痛精査お願いします。");

    // Structured entries are kept: diagnoses from the Conditions, with onset.
    let diagnoses: Vec<(&str, Option<&str>)> = l
        .diagnoses
        .iter()
        .map(|d| (d.name.as_str(), d.onset.as_deref()))
        .collect();
    assert_eq!(
        diagnoses,
        vec![("上腹部痛", Some("2022-06-09")), ("腰痛", Some("2022-05"))]
    );
    // The clinical-course DocumentReference becomes an attachment.
    assert_eq!(l.attachments.len(), 1);
    assert_eq!(l.attachments[0].file_name, "clinicalCourseExampleData.pdf");
    assert_eq!(l.attachments[0].description, "臨床経過");
    assert_eq!(l.treatment_course.as_deref(), Some("添付参照"));
    assert_eq!(l.allergies.as_deref(), Some("サバ　キーウイ　ヨード禁"));

    let text = render_text(l);
    for needle in [
        "港診療所",
        "東京第一テスト病院",
        "牧野 爛漫",
        "上腹部痛（発症 2022-06-09）",
        "腹痛精査",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    let html = render_html(l);
    assert!(html.contains("<h2>紹介目的</h2>"));
}

#[test]
fn public_text_only_sample_parses_validates_and_renders() {
    let bytes = load(TEXT_ONLY);
    let checked = check(&bytes).unwrap();
    assert_eq!(
        checked.problems,
        vec![],
        "the authors' sample must be valid"
    );
    let l = &checked.letter;
    assert_eq!(l.diagnoses.len(), 1);
    assert_eq!(l.diagnoses[0].name, "2022-06-09 上腹部痛、2022-05 腰痛");
    assert_eq!(
        l.prescriptions,
        vec![
            "タケキャブ錠10mg1錠　１日2回　朝食後、就寝時".to_owned(),
            "レバミピド錠100mg1錠　　１日3回毎食後".to_owned()
        ]
    );
    assert_eq!(l.infections.as_deref(), Some("特になし"));
    assert_eq!(l.remarks.as_deref(), Some("よろしくお願いします。"));
    // <br/> in the narrative is a line break in the model.
    assert_eq!(
        l.treatment_course.as_deref().map(|t| t.lines().count()),
        Some(5)
    );
    let text = render_text(l);
    assert!(
        text.contains("【現在の処方】\n  ・タケキャブ錠10mg1錠"),
        "{text}"
    );
    assert!(
        text.contains("【備考】\n  よろしくお願いします。"),
        "{text}"
    );
}

#[test]
fn public_samples_convert_to_hs008_and_back() {
    // What a receiving clinic does when its system only speaks HS008: the
    // letter read from the authors' Bundle survives HS008 and HS038 writing.
    for path in [WITH_ENTRIES, TEXT_ONLY] {
        let letter = read(&load(path)).unwrap().letter;
        let xml = inkan_referral::hs008::write(&letter).unwrap();
        let back = inkan_referral::hs008::read(&xml).unwrap();
        assert_eq!(back.problems, vec![]);
        assert_eq!(back.letter, letter, "{path}");
        let json = inkan_referral::hs038::write(&letter).unwrap();
        assert_eq!(
            inkan_referral::hs038::read(&json).unwrap().letter,
            letter,
            "{path}"
        );
    }
}

/// The example Bundle of the earlier eReferral IG v1.x (its own section
/// system, `Bundle.identifier` system and category): a letter from a system
/// built to that guide reads without problems, and every section shows.
#[test]
fn ereferral_ig_v1_example_reads_without_problems_and_renders_every_section() {
    let bytes = load_from("ereferral-v1", "Bundle-BundleReferralExample01.json");
    assert_eq!(detect(&bytes).unwrap(), Format::Hs038);
    let checked = check(&bytes).unwrap();
    assert_eq!(
        checked.problems,
        vec![],
        "a standard letter must be accepted"
    );
    let l = &checked.letter;
    assert!(!l.document_number.is_empty());
    assert_eq!(l.from.institution.name, "港診療所");
    assert!(l.to.institution.name.contains("東京第一テスト病院"));
    let text = render_text(l);
    for needle in [
        "腹痛精査お願いします。",
        "上腹部痛",
        "上腹部痛があり",
        "狭心症",
        "サバ",
        "胃がん",
        "上腹部圧痛",
        "特になし",
        "添付参照",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    // Its clinical-course attachment is text/plain: not shown, but named.
    assert!(
        text.contains("【未表示の項目】\n  ・添付（text/plain;charset=UTF-8）"),
        "{text}"
    );
}
