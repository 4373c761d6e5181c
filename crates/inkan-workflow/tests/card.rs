//! Signing with a card over PC/SC: the simulated TEST card behind pcscd.
//!
//! Ignored by default. To run it, start pcscd with a vpcd reader and the card
//! simulator (as `scripts/run-app.sh` does), then
//! `INKAN_TEST_PKI=<pki dir> INKAN_TEST_PIN=1234 cargo test -p inkan-workflow --test card -- --ignored`.

use inkan_l10n::Localized;
use inkan_referral::ReferralLetter;
use inkan_trust::TrustStore;
use inkan_validation::Indication;
use inkan_workflow::{
    card_view, sign_letter, verify_path, LetterFormat, LetterJob, SignRequest, VerifyConfig,
};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

fn out_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("inkan-workflow-card-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn request(out: &Path, pin: &str) -> SignRequest {
    let mut letter = ReferralLetter::example();
    letter.attachments.clear();
    SignRequest {
        job: LetterJob {
            letter,
            format: LetterFormat::Hs008,
            attachments: vec![],
            out_dir: out.to_path_buf(),
        },
        pin: Zeroizing::new(pin.to_string()),
        confirm_last_try: false,
        reader: None,
    }
}

#[test]
#[ignore = "needs pcscd with the simulated TEST card"]
fn sign_with_the_simulated_card() {
    let pki = PathBuf::from(std::env::var("INKAN_TEST_PKI").expect("INKAN_TEST_PKI"));
    let pin = std::env::var("INKAN_TEST_PIN").unwrap_or_else(|_| "1234".into());

    let view = card_view(None).expect("card");
    assert!(view.test, "{view:?}");
    assert!(view.expires_in_days > 0);
    let json = serde_json::to_value(&view).expect("json");
    assert!(json["pin"]["state"].is_string(), "{json}");
    assert!(json["holder"]["name"].is_string(), "{json}");

    let out = out_dir();
    // A wrong PIN: the card's own message, nothing written.
    let wrong = if pin == "9999" { "8888" } else { "9999" };
    let err = sign_letter(request(&out, wrong), None).expect_err("wrong PIN");
    assert_eq!(err.code(), "card.pin_wrong", "{err}");
    assert_eq!(std::fs::read_dir(&out).expect("ls").count(), 0);

    let files = sign_letter(request(&out, &pin), None).expect("signed");
    assert!(files.apdus > 0);
    let item = verify_path(
        &files.letter_path,
        &VerifyConfig {
            trust: TrustStore::test_from_dir(&pki).expect("trust"),
            crl_cache: None,
            offline: true,
        },
    );
    let report = item.report.expect("report");
    assert_ne!(
        report.indication,
        Indication::TotalFailed,
        "{:?}",
        report.summary
    );
    assert!(report.signer.is_some());
    std::fs::remove_dir_all(&out).expect("cleanup");
}
