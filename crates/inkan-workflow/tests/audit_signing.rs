//! Every signature is accounted for (issue 14, part 4): a signing log that
//! cannot take the record stops the signing before the card is used. Its
//! own test binary, because the log is enabled process-wide.

mod common;
use common::Counting;
use inkan_cades::SoftwareSigner;
use inkan_l10n::Localized;
use inkan_referral::ReferralLetter;
use inkan_workflow::audit::{self, AuditLog, KeyPolicy, NewAudit};
use inkan_workflow::{sign_letter_with, LetterFormat, LetterJob};

#[test]
fn a_log_without_its_key_stops_the_signing_before_the_card() {
    let root = std::env::temp_dir().join(format!("inkan-audit-signing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (data, out) = (root.join("data"), root.join("out"));
    std::fs::create_dir_all(&out).expect("out");
    AuditLog::open_with(&data, KeyPolicy::File)
        .expect("log")
        .append(&NewAudit {
            action: audit::AuditAction::Verified,
            doc_sha256: "00".repeat(32),
            doc_name: "earlier.xml".into(),
            signer_fingerprint: None,
            signer_holder: None,
            verdict: Some("TOTAL_PASSED".into()),
        })
        .expect("a first record");
    audit::enable(&data);

    let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
    let id = pki.identity("doctor").expect("doctor");
    let chain = vec![pki.ca(id.issuer).cert_der.clone()];
    let mut signer = Counting(SoftwareSigner::new(id.cert_der.clone(), id.key.clone()), 0);
    let job = LetterJob {
        letter: ReferralLetter::example(),
        format: LetterFormat::Hs008,
        attachments: vec![],
        out_dir: out.clone(),
    };
    let mut job = job;
    job.letter.attachments.clear();

    // With its key, the signature is recorded.
    let signed = sign_letter_with(&job, &mut signer, &chain, None).expect("signs");
    assert_eq!(signer.1, 1);
    // (Its only warning is the missing TSA, not the log.)
    assert!(
        signed
            .warning
            .as_ref()
            .is_none_or(|w| !w.code.starts_with("audit.")),
        "{:?}",
        signed.warning
    );
    let log = AuditLog::open_with(&data, KeyPolicy::File).expect("log");
    assert_eq!(log.verify().expect("verify").records, 2);
    drop(log);
    for f in std::fs::read_dir(&out).expect("out").flatten() {
        std::fs::remove_file(f.path()).expect("clear");
    }

    // Without it: refused before the card, nothing written.
    std::fs::remove_file(data.join(audit::KEY_FILE)).expect("lose the key");
    let err = sign_letter_with(&job, &mut signer, &chain, None).expect_err("refused");
    assert_eq!(err.code(), "audit.key_missing", "{err}");
    assert_eq!(signer.1, 1, "the card was asked to sign");
    assert_eq!(std::fs::read_dir(&out).expect("out").count(), 0);
    assert!(
        !data.join(audit::KEY_FILE).exists(),
        "a new key hides the loss"
    );
    std::fs::remove_dir_all(&root).expect("cleanup");
}
