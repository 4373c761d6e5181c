//! `inkan letter …` end to end, through the built binary.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Read at run time (not `env!`), so that a binary built from another
/// checkout sharing the target directory reads this checkout's files.
fn samples() -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../tests/fixtures/hs038")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let p = std::env::temp_dir().join(format!(
            "inkan-cli-letter-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn inkan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inkan"))
        .args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("INKAN_LANG")
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn examples_are_created_in_both_formats_and_pass_check() {
    let dir = TempDir::new();
    for (format, file, name) in [
        ("hs008", "letter.xml", "HS008"),
        ("hs038", "letter.json", "HS038"),
    ] {
        let out = dir.path(file);
        let o = inkan(&[
            "letter",
            "new",
            "--example",
            "--format",
            format,
            "--out",
            s(&out),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = inkan(&["letter", "check", s(&out)]);
        assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains(name), "{}", stdout(&o));
        assert!(stdout(&o).contains("問題はありません"), "{}", stdout(&o));
    }
}

#[test]
fn public_samples_pass_check() {
    for sample in [
        "Bundle-Bundle-CLINS-Referral-Example-01.json",
        "Bundle-Bundle-CLINS-Referral-NoEntry-Example-01.json",
    ] {
        let o = inkan(&[
            "--lang",
            "en",
            "letter",
            "check",
            &format!("{}/{sample}", samples().display()),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{sample}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(stdout(&o).contains("format: HS038"), "{}", stdout(&o));
    }
}

#[test]
fn bundle_without_composition_fails_check_naming_the_element() {
    let dir = TempDir::new();
    let bytes = std::fs::read(format!(
        "{}/Bundle-Bundle-CLINS-Referral-NoEntry-Example-01.json",
        samples().display()
    ))
    .unwrap();
    let mut bundle: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    bundle["entry"].as_array_mut().unwrap().remove(0);
    let path = dir.path("no-composition.json");
    std::fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();

    let o = inkan(&["--lang", "en", "letter", "check", s(&path)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("Bundle.entry[0].resource.resourceType: the first entry of a document Bundle must be a Composition"),
        "{out}"
    );
    assert!(out.contains("[referral.no_composition]"), "{out}");

    let o = inkan(&["--lang", "ja", "letter", "check", "--json", s(&path)]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["format"], "hs038");
}

#[test]
fn every_problem_is_listed_with_its_item() {
    let dir = TempDir::new();
    let json = dir.path("letter.json");
    assert!(inkan(&[
        "letter",
        "new",
        "--example",
        "--format",
        "hs038",
        "--out",
        s(&json)
    ])
    .status
    .success());
    let text = std::fs::read_to_string(&json)
        .unwrap()
        .replace("ヤマダ タロウ", "やまだ たろう")
        .replace("\"1311987654\"", "\"12345\"");
    std::fs::write(&json, text).unwrap();
    let o = inkan(&["--lang", "ja", "letter", "check", s(&json)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("保険医療機関番号「12345」"), "{out}");
    // Kana in hiragana breaks Inkan's form rule, not the profile: a received
    // letter is not judged by it (composing one is).
    assert!(!out.contains("patient.kana"), "{out}");
    assert!(stderr(&o).contains("件の問題があります"), "{}", stderr(&o));
}

#[test]
fn a_form_round_trips_through_the_cli_byte_for_byte() {
    let dir = TempDir::new();
    let form = dir.path("form.json");
    let from_form = dir.path("from-form.xml");
    let from_example = dir.path("example.xml");
    assert!(inkan(&[
        "letter",
        "new",
        "--example",
        "--format",
        "form",
        "--out",
        s(&form)
    ])
    .status
    .success());
    let o = inkan(&[
        "letter",
        "new",
        "--from",
        s(&form),
        "--format",
        "hs008",
        "--out",
        s(&from_form),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(inkan(&[
        "letter",
        "new",
        "--example",
        "--format",
        "hs008",
        "--out",
        s(&from_example)
    ])
    .status
    .success());
    assert_eq!(
        std::fs::read(&from_form).unwrap(),
        std::fs::read(&from_example).unwrap()
    );
}

#[test]
fn an_invalid_form_is_refused_and_nothing_is_written() {
    let dir = TempDir::new();
    let form = dir.path("form.json");
    assert!(inkan(&[
        "letter",
        "new",
        "--example",
        "--format",
        "form",
        "--out",
        s(&form)
    ])
    .status
    .success());
    let text = std::fs::read_to_string(&form)
        .unwrap()
        .replace("1958-04-12", "1958-02-30");
    std::fs::write(&form, text).unwrap();
    let out = dir.path("letter.json");
    let o = inkan(&[
        "--lang",
        "en",
        "letter",
        "new",
        "--from",
        s(&form),
        "--format",
        "hs038",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("date of birth (patient.birth_date)"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        1,
        "no temporary files left"
    );

    std::fs::write(&form, "{\"document_number\": 1}").unwrap();
    let o = inkan(&[
        "--lang",
        "en",
        "letter",
        "new",
        "--from",
        s(&form),
        "--format",
        "hs038",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not a valid letter form"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn existing_files_are_replaced_only_with_force() {
    let dir = TempDir::new();
    let out = dir.path("letter.xml");
    std::fs::write(&out, "keep me").unwrap();
    let o = inkan(&[
        "letter",
        "new",
        "--example",
        "--format",
        "hs008",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    let o = inkan(&[
        "letter",
        "new",
        "--example",
        "--format",
        "hs008",
        "--out",
        s(&out),
        "--force",
    ]);
    assert!(o.status.success());
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("<?xml"));
}

#[test]
fn show_prints_the_letter_with_japanese_headings() {
    let o = inkan(&[
        "letter",
        "show",
        &format!(
            "{}/Bundle-Bundle-CLINS-Referral-Example-01.json",
            samples().display()
        ),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "診療情報提供書",
        "【紹介先】",
        "東京第一テスト病院",
        "【紹介元】",
        "【傷病名】",
        "・上腹部痛（発症 2022-06-09）",
        "【紹介目的】",
        "【添付】",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
    let o = inkan(&[
        "letter",
        "show",
        "--html",
        &format!(
            "{}/Bundle-Bundle-CLINS-Referral-Example-01.json",
            samples().display()
        ),
    ]);
    assert!(stdout(&o).starts_with("<article class=\"inkan-letter\""));
}

#[test]
fn garbage_input_is_a_clear_error() {
    let dir = TempDir::new();
    let path = dir.path("broken.xml");
    std::fs::write(&path, "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>").unwrap();
    let o = inkan(&["--lang", "en", "letter", "check", s(&path)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not well-formed XML"), "{}", stderr(&o));
    let o = inkan(&["letter", "check", s(&dir.path("missing.json"))]);
    assert_eq!(o.status.code(), Some(1));
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

fn jpeg() -> Vec<u8> {
    vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
    ]
}

#[test]
fn a_package_is_created_checked_and_shown() {
    let dir = TempDir::new();
    let letter = dir.path("letter.xml");
    assert!(inkan(&[
        "letter",
        "new",
        "--example",
        "--format",
        "hs008",
        "--out",
        s(&letter)
    ])
    .status
    .success());
    let lab = dir.path("lab-results-2025-03-10.pdf");
    let fundus = dir.path("fundus-2024-12.jpg");
    std::fs::write(&lab, pdf()).unwrap();
    std::fs::write(&fundus, jpeg()).unwrap();
    let pkg = dir.path("referral.zip");
    let o = inkan(&[
        "letter",
        "package",
        "create",
        "--letter",
        s(&letter),
        "--attach",
        s(&lab),
        "--attach",
        s(&fundus),
        "--out",
        s(&pkg),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = inkan(&["letter", "package", "check", s(&pkg)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("lab-results-2025-03-10.pdf  application/pdf"),
        "{}",
        stdout(&o)
    );
    let o = inkan(&["letter", "check", s(&pkg)]);
    assert_eq!(o.status.code(), Some(0));
    let o = inkan(&["letter", "show", s(&pkg)]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("【添付】"));

    // A missing attachment is refused at creation.
    let o = inkan(&[
        "--lang",
        "en",
        "letter",
        "package",
        "create",
        "--letter",
        s(&letter),
        "--attach",
        s(&lab),
        "--out",
        s(&dir.path("x.zip")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("fundus-2024-12.jpg"), "{}", stderr(&o));
    assert!(!dir.path("x.zip").exists());

    // A package whose bytes were altered fails the check.
    let mut bytes = std::fs::read(&pkg).unwrap();
    let at = bytes.windows(5).position(|w| w == b"%PDF-").unwrap();
    bytes[at + 6] ^= 0x20;
    let tampered = dir.path("tampered.zip");
    std::fs::write(&tampered, bytes).unwrap();
    let o = inkan(&["--lang", "en", "letter", "package", "check", s(&tampered)]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

/// Issue 12, part 1: the letter as a PDF whose text a reader gets back
/// (poppler's pdftotext), in both formats and from a package, PDF/A-2b.
#[test]
fn letter_pdf_text_is_searchable_japanese_in_pdf_a() {
    let d = TempDir::new();
    for format in ["hs008", "hs038"] {
        let letter = d.path(&format!("l-{format}"));
        let o = inkan(&[
            "letter",
            "new",
            "--example",
            "--format",
            format,
            "--out",
            s(&letter),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let pdf = d.path(&format!("l-{format}.pdf"));
        let o = inkan(&["letter", "pdf", s(&letter), "--out", s(&pdf)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let text = Command::new("pdftotext")
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        assert!(text.status.success());
        let text = String::from_utf8_lossy(&text.stdout);
        for want in [
            "診療情報提供書",
            "山田 太郎",
            "2型糖尿病",
            "紹介目的",
            "さくら内科クリニック",
        ] {
            assert!(text.contains(want), "{format}: no {want} in\n{text}");
        }
        // PDF/A-2b: the identification in the XMP metadata.
        let info = String::from_utf8_lossy(&bytes);
        assert!(
            info.contains("pdfaid:part") && info.contains("pdfaid:conformance"),
            "no PDF/A identification"
        );
        let fonts = Command::new("pdffonts").arg(&pdf).output().unwrap();
        let fonts = String::from_utf8_lossy(&fonts.stdout);
        assert!(
            fonts.contains('+') && fonts.contains("yes yes yes"),
            "an embedded subset with ToUnicode:\n{fonts}"
        );
        // Never replaced without --force.
        let o = inkan(&["letter", "pdf", s(&letter), "--out", s(&pdf)]);
        assert!(!o.status.success());
    }
    // A file that is no letter: a clear error and no PDF.
    let junk = d.path("junk.xml");
    std::fs::write(&junk, b"<x/>").unwrap();
    let out = d.path("junk.pdf");
    let o = inkan(&["letter", "pdf", s(&junk), "--out", s(&out), "--lang", "en"]);
    assert!(!o.status.success());
    assert!(!out.exists());
}
