//! The workflows end to end with a software signer from the TEST PKI: sign a
//! letter (detached and packaged), verify files, packages and folders, and the
//! guarantees that nothing is written when anything fails.

mod common;
use common::{fixture, temp_dir, Counting};
use inkan_cades::{ExternalSigner, SignerError, SoftwareSigner};
use inkan_l10n::Localized;
use inkan_referral::ReferralLetter;
use inkan_trust::TrustStore;
use inkan_validation::Indication;
use inkan_workflow::{
    export_reports, sign_letter_with, verify_folder, verify_path, History, LetterFormat, LetterJob,
    VerifyConfig, WorkflowError,
};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn config() -> VerifyConfig {
    let f = fixture();
    VerifyConfig {
        tsa_trust: Vec::new(),
        trust: TrustStore::test_from_dir(&f.trust_dir).expect("test trust"),
        crl_cache: Some(f.crl_cache.clone()),
        offline: true,
    }
}

fn doctor() -> (SoftwareSigner, Vec<Vec<u8>>) {
    let pki = &fixture().pki;
    let id = pki.identity("doctor").expect("doctor");
    (
        SoftwareSigner::new(id.cert_der.clone(), id.key.clone()),
        vec![pki.ca(id.issuer).cert_der.clone()],
    )
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

fn jpeg() -> Vec<u8> {
    vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
    ]
}

/// The example letter without attachments (a plain letter + .p7s).
fn plain_letter() -> ReferralLetter {
    let mut l = ReferralLetter::example();
    l.attachments.clear();
    l
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Writes the example's two attachments into `dir`.
fn attachments_in(dir: &Path) -> Vec<PathBuf> {
    let a = dir.join("lab-results-2025-03-10.pdf");
    let b = dir.join("fundus-2024-12.jpg");
    std::fs::write(&a, pdf()).expect("pdf");
    std::fs::write(&b, jpeg()).expect("jpeg");
    vec![a, b]
}

fn passed(item: &inkan_workflow::VerifyItem) -> bool {
    item.report
        .as_ref()
        .is_some_and(|r| r.indication == Indication::TotalPassed)
}

#[test]
fn signed_letters_verify_in_both_formats_and_are_recorded() {
    let out = temp_dir("sign-detached");
    let history = Mutex::new(History::open(&out.join("h/history.sqlite3")).expect("history"));
    for format in [LetterFormat::Hs008, LetterFormat::Hs038] {
        let (mut signer, chain) = doctor();
        let mut letter = plain_letter();
        if format == LetterFormat::Hs038 {
            letter.document_number = "B-2".into();
        }
        let job = LetterJob {
            letter,
            format,
            attachments: vec![],
            out_dir: out.clone(),
        };
        let files = sign_letter_with(&job, &mut signer, &chain, Some(&history)).expect("signed");
        assert!(files.package_path.is_none());
        let sig = files.signature_path.clone().expect("p7s");
        assert_eq!(
            sig.display().to_string(),
            format!("{}.p7s", files.letter_path.display())
        );
        assert_eq!(
            files.letter_path.extension().and_then(|e| e.to_str()),
            Some(format.extension())
        );
        // The letter on disk is exactly the serialisation that was previewed.
        assert_eq!(
            std::fs::read(&files.letter_path).expect("letter").len(),
            inkan_workflow::preview(&job.letter, format, &[])
                .expect("preview")
                .bytes_len
        );
        // Verify by the document and by the signature.
        for input in [&files.letter_path, &sig] {
            let item = verify_path(input, &config());
            assert!(passed(&item), "{input:?}: {item:?}");
            assert_eq!(
                item.signature.as_deref(),
                Some(sig.display().to_string().as_str())
            );
        }
        // Signing the same letter again is refused, nothing changes.
        let before = std::fs::read(&sig).expect("sig");
        let (mut signer, chain) = doctor();
        let err = sign_letter_with(&job, &mut signer, &chain, None).expect_err("exists");
        assert_eq!(err.code(), "workflow.exists");
        assert_eq!(std::fs::read(&sig).expect("sig"), before);
    }
    let entries = history.lock().expect("lock").list(10).expect("list");
    assert_eq!(entries.len(), 2);
    assert!(entries
        .iter()
        .all(|e| e.action == inkan_workflow::Action::Signed && e.signer.is_some()));
    std::fs::remove_dir_all(&out).expect("cleanup");
}

#[test]
fn invalid_letter_writes_nothing_and_never_asks_the_signer() {
    struct Panicking(Vec<u8>);
    impl ExternalSigner for Panicking {
        fn certificate(&self) -> &[u8] {
            &self.0
        }
        fn sign_sha256(&mut self, _: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
            panic!("the signer must not be used for an invalid letter")
        }
    }
    let out = temp_dir("sign-invalid");
    let mut letter = plain_letter();
    letter.purpose.clear();
    letter.patient.birth_date = "2025-13-45".into();
    let job = LetterJob {
        letter,
        format: LetterFormat::Hs038,
        attachments: vec![],
        out_dir: out.clone(),
    };
    let err = sign_letter_with(&job, &mut Panicking(vec![]), &[], None).expect_err("invalid");
    assert_eq!(err.code(), "workflow.invalid_letter");
    assert!(err.problems().len() >= 2, "{:?}", err.problems());
    assert!(err.text().ja.contains("カードも使っていません"));
    assert!(files_in(&out).is_empty());
    std::fs::remove_dir_all(&out).expect("cleanup");
}

#[test]
fn signer_error_writes_nothing_and_keeps_the_card_error() {
    struct Removed(Vec<u8>);
    impl ExternalSigner for Removed {
        fn certificate(&self) -> &[u8] {
            &self.0
        }
        fn sign_sha256(&mut self, _: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
            Err(SignerError::new(inkan_card::CardError::WrongPin {
                tries_left: Some(14),
            }))
        }
    }
    let out = temp_dir("sign-fails");
    let cert = fixture()
        .pki
        .identity("doctor")
        .expect("doctor")
        .cert_der
        .clone();
    for attachments in [vec![], attachments_in(&out)] {
        let letter = if attachments.is_empty() {
            plain_letter()
        } else {
            ReferralLetter::example()
        };
        let before = files_in(&out);
        let job = LetterJob {
            letter,
            format: LetterFormat::Hs008,
            attachments,
            out_dir: out.clone(),
        };
        let err =
            sign_letter_with(&job, &mut Removed(cert.clone()), &[], None).expect_err("card error");
        assert!(matches!(err, WorkflowError::Card(_)), "{err:?}");
        assert_eq!(err.code(), "card.pin_wrong");
        assert_eq!(files_in(&out), before, "no output, no temporary file");
    }
    std::fs::remove_dir_all(&out).expect("cleanup");
}

#[test]
fn missing_output_folder_is_refused_before_signing() {
    let (signer, chain) = doctor();
    let mut signer = Counting(signer, 0);
    let out = temp_dir("sign-nofolder");
    let job = LetterJob {
        letter: plain_letter(),
        format: LetterFormat::Hs008,
        attachments: vec![],
        out_dir: out.join("missing"),
    };
    let err = sign_letter_with(&job, &mut signer, &chain, None).expect_err("no folder");
    assert_eq!(err.code(), "workflow.not_found");
    assert_eq!(signer.1, 0, "the card was asked to sign");
    // The same job with the folder present signs exactly once.
    std::fs::create_dir_all(out.join("missing")).expect("folder");
    sign_letter_with(&job, &mut signer, &chain, None).expect("sign");
    assert_eq!(signer.1, 1);
    std::fs::remove_dir_all(&out).expect("cleanup");
}

/// Copies a zip, replacing the bytes of one entry.
fn tamper(zip_bytes: &[u8], name: &str, f: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("zip");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut e = archive.by_index(i).expect("entry");
        let n = e.name().expect("name").into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).expect("read");
        if n == name {
            f(&mut data);
        }
        w.start_file(n, opts).expect("start");
        w.write_all(&data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

#[test]
fn packages_are_signed_over_the_manifest_and_every_file_is_checked() {
    let out = temp_dir("package");
    let src = temp_dir("package-src");
    let (mut signer, chain) = doctor();
    let job = LetterJob {
        letter: ReferralLetter::example(),
        format: LetterFormat::Hs038,
        attachments: attachments_in(&src),
        out_dir: out.clone(),
    };
    let files = sign_letter_with(&job, &mut signer, &chain, None).expect("signed");
    let zip_path = files.package_path.clone().expect("package");
    assert_eq!(files.letter_path, zip_path);
    assert!(files.signature_path.is_none());
    assert_eq!(
        files_in(&out),
        vec![zip_path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned()]
    );
    let item = verify_path(&zip_path, &config());
    assert!(passed(&item), "{item:?}");
    assert!(item
        .signature
        .as_deref()
        .is_some_and(|s| s.ends_with("#manifest.json.p7s")));

    // One byte of the PDF changed (same size): the signature over the
    // manifest is still valid, the package is not.
    let signed = std::fs::read(&zip_path).expect("zip");
    let bad = tamper(&signed, "lab-results-2025-03-10.pdf", |d| d[9] ^= 0x01);
    let bad_path = out.join("tampered.zip");
    std::fs::write(&bad_path, bad).expect("write");
    let item = verify_path(&bad_path, &config());
    let report = item.report.as_ref().expect("report despite the tampering");
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication.as_deref(), Some("HASH_FAILURE"));
    assert!(report.signer.is_some(), "who signed is still shown");
    let digest = report
        .checks
        .iter()
        .find(|c| c.id == "content_digest")
        .expect("check");
    assert_eq!(digest.code.as_deref(), Some("package.hash_mismatch"));
    assert!(
        digest.message.en.contains("lab-results"),
        "{}",
        digest.message.en
    );

    // The manifest itself changed: the signature fails.
    let bad = tamper(&signed, "manifest.json", |d| {
        let pos = d.iter().position(|b| *b == b'1').expect("a digit");
        d[pos] = b'2';
    });
    let bad_path = out.join("manifest-changed.zip");
    std::fs::write(&bad_path, bad).expect("write");
    let item = verify_path(&bad_path, &config());
    assert_eq!(
        item.report.as_ref().map(|r| r.indication),
        Some(Indication::TotalFailed),
        "{item:?}"
    );

    // Not signed at all.
    let unsigned = inkan_referral::package::Package::create(
        "letter.json",
        &LetterFormat::Hs038
            .write(&ReferralLetter::example())
            .expect("letter"),
        &[
            inkan_referral::package::Attachment {
                name: "lab-results-2025-03-10.pdf".into(),
                bytes: pdf(),
            },
            inkan_referral::package::Attachment {
                name: "fundus-2024-12.jpg".into(),
                bytes: jpeg(),
            },
        ],
    )
    .expect("package");
    let p = out.join("unsigned.zip");
    std::fs::write(&p, unsigned).expect("write");
    let item = verify_path(&p, &config());
    assert_eq!(
        item.error.as_ref().map(|m| m.code.as_str()),
        Some("workflow.unsigned_package")
    );
    std::fs::remove_dir_all(&out).expect("cleanup");
    std::fs::remove_dir_all(&src).expect("cleanup");
}

#[test]
fn a_letter_listing_attachments_needs_them() {
    let out = temp_dir("package-missing");
    let (mut signer, chain) = doctor();
    let job = LetterJob {
        letter: ReferralLetter::example(),
        format: LetterFormat::Hs008,
        attachments: vec![],
        out_dir: out.clone(),
    };
    let err = sign_letter_with(&job, &mut signer, &chain, None).expect_err("missing");
    assert!(err.code().starts_with("package."), "{}", err.code());
    assert!(files_in(&out).is_empty());
    std::fs::remove_dir_all(&out).expect("cleanup");
}

#[test]
fn unreadable_inputs_give_an_error_item_not_a_panic() {
    let dir = temp_dir("verify-bad");
    let cases: Vec<(PathBuf, &[u8])> = vec![
        (dir.join("garbage.p7s"), b"not a signature"),
        (dir.join("empty.p7m"), b""),
        (dir.join("broken.zip"), b"PK\x03\x04 but nothing else"),
        (dir.join("letter.xml"), b"<x/>"),
    ];
    for (p, bytes) in &cases {
        std::fs::write(p, bytes).expect("write");
        let item = verify_path(p, &config());
        let failed = item.error.is_some()
            || item
                .report
                .as_ref()
                .is_some_and(|r| r.indication == Indication::TotalFailed);
        assert!(failed, "{p:?}: {item:?}");
    }
    let item = verify_path(&dir.join("letter.xml"), &config());
    assert_eq!(
        item.error.map(|m| m.code),
        Some("workflow.no_signature".to_string())
    );
    let item = verify_path(&dir.join("nothing-here.xml"), &config());
    assert_eq!(
        item.error.map(|m| m.code),
        Some("workflow.not_found".to_string())
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn folders_are_verified_in_order_with_progress_and_exported() {
    let dir = temp_dir("folder");
    let src = temp_dir("folder-src");
    let sign = |letter: ReferralLetter, format, attachments: Vec<PathBuf>| {
        let (mut signer, chain) = doctor();
        sign_letter_with(
            &LetterJob {
                letter,
                format,
                attachments,
                out_dir: dir.clone(),
            },
            &mut signer,
            &chain,
            None,
        )
        .expect("sign")
    };
    let mut a = plain_letter();
    a.document_number = "A-1".into();
    let mut c = plain_letter();
    c.document_number = "C-3".into();
    sign(c, LetterFormat::Hs008, vec![]);
    sign(a, LetterFormat::Hs038, vec![]);
    let mut b = ReferralLetter::example();
    b.document_number = "B-2".into();
    sign(b, LetterFormat::Hs038, attachments_in(&src));
    // Noise that is not signature-bearing, and a lone signature.
    std::fs::write(dir.join("notes.txt"), b"hello").expect("write");
    std::fs::write(dir.join("lone.p7s"), b"junk").expect("write");
    std::fs::write(dir.join(".hidden.zip"), b"junk").expect("write");

    let history = Mutex::new(History::open_in_memory().expect("history"));
    let mut calls = Vec::new();
    let items = verify_folder(&dir, &config(), Some(&history), |done, total| {
        calls.push((done, total))
    })
    .expect("folder");
    let names: Vec<String> = items
        .iter()
        .map(|i| {
            Path::new(&i.file)
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        vec![
            "lone.p7s",
            "referral-A-1.json",
            "referral-B-2.zip",
            "referral-C-3.xml"
        ]
    );
    assert_eq!(calls, vec![(1, 4), (2, 4), (3, 4), (4, 4)]);
    assert!(!passed(&items[0]));
    assert!(items[1..].iter().all(passed), "{items:?}");
    let logged = history.lock().expect("lock").list(100).expect("list");
    assert_eq!(logged.len(), 4);
    assert_eq!(logged[0].verdict.as_deref(), Some("TOTAL_PASSED"));

    // Export: pretty JSON, readable back, with every item.
    let export = dir.join("reports.json");
    export_reports(&items, &export).expect("export");
    let text = std::fs::read_to_string(&export).expect("read");
    assert!(text.contains("\n  "), "pretty");
    let back: serde_json::Value = serde_json::from_str(&text).expect("json");
    let arr = back.as_array().expect("array");
    assert_eq!(arr.len(), 4);
    assert_eq!(arr[1]["report"]["indication"], "TOTAL_PASSED");
    assert!(arr[1].get("error").is_some_and(|e| e.is_null()));
    // Replacing an export works; a folder as target does not.
    export_reports(&arr[..1], &export).expect("re-export");
    assert!(export_reports(&items, &dir).is_err());

    let missing =
        verify_folder(&dir.join("nope"), &config(), None, |_, _| {}).expect_err("missing");
    assert_eq!(missing.code(), "workflow.not_found");
    std::fs::remove_dir_all(&dir).expect("cleanup");
    std::fs::remove_dir_all(&src).expect("cleanup");
}

/// What you see is what you sign: the preview lists the attachments with
/// their hashes and the signed manifest, and its token names the exact
/// bytes; a letter or an attachment changed after the preview is refused
/// before the card (and the PIN) is touched.
#[test]
fn a_preview_token_mismatch_refuses_to_sign_and_the_preview_shows_the_attachments() {
    use sha2::Digest as _;
    let src = temp_dir("token-src");
    let out = temp_dir("token-out");
    let attachments = attachments_in(&src);
    let letter = ReferralLetter::example();
    let p = inkan_workflow::preview(&letter, LetterFormat::Hs038, &attachments).expect("preview");
    let names: Vec<&str> = p.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["lab-results-2025-03-10.pdf", "fundus-2024-12.jpg"]);
    assert_eq!(
        p.attachments[0].sha256,
        hex::encode(sha2::Sha256::digest(pdf()))
    );
    assert_eq!(p.attachments[0].size, pdf().len() as u64);
    let manifest = p.manifest.clone().expect("the signed manifest is shown");
    let token = p.token.clone().expect("a token");
    assert_eq!(
        token,
        hex::encode(sha2::Sha256::digest(manifest.as_bytes()))
    );

    let request = |token: &str| inkan_workflow::SignRequest {
        job: LetterJob {
            letter: letter.clone(),
            format: LetterFormat::Hs038,
            attachments: attachments.clone(),
            out_dir: out.clone(),
        },
        pin: zeroize::Zeroizing::new("1234".into()),
        confirm_last_try: false,
        reader: Some("no such reader".into()),
        preview_token: Some(token.to_owned()),
    };
    // An attachment changed after the preview.
    std::fs::write(&attachments[0], b"%PDF-1.4 changed").expect("change");
    match inkan_workflow::sign_letter(request(&token), None) {
        Err(WorkflowError::PreviewMismatch { previewed, .. }) => assert_eq!(previewed, token),
        other => panic!("signed something not previewed: {other:?}"),
    }
    assert!(files_in(&out).is_empty(), "nothing written");
    // The form changed after the preview.
    std::fs::write(&attachments[0], pdf()).expect("restore");
    let mut changed = letter.clone();
    changed.purpose.push('。');
    let mut r = request(&token);
    r.job.letter = changed;
    assert!(matches!(
        inkan_workflow::sign_letter(r, None),
        Err(WorkflowError::PreviewMismatch { .. })
    ));
    // The previewed content passes the check and goes on to the card (none here).
    match inkan_workflow::sign_letter(request(&token), None) {
        Err(WorkflowError::PreviewMismatch { .. }) | Ok(_) => {
            panic!("the previewed content must reach the card step")
        }
        Err(_) => {}
    }
    assert!(files_in(&out).is_empty());
}
