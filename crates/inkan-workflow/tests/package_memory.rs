//! A package is signed and verified without holding its attachments:
//! signing hashes the scan from its file and copies it into the zip from
//! the file; verifying hashes each entry as it is inflated. The 45 MB scan
//! is made in a child process, so this process's peak RSS (VmHWM) measures
//! the signing and the verification alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use inkan_cades::SoftwareSigner;
use inkan_referral::ReferralLetter;
use inkan_testpki::PkiConfig;
use inkan_trust::TrustStore;
use inkan_validation::Indication;
use inkan_workflow::{sign_letter_with, verify_path, LetterFormat, LetterJob, VerifyConfig};

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

const CHILD_ENV: &str = "INKAN_PACKAGE_MEMORY_DIR";

/// Not a test on its own: when [`CHILD_ENV`] names a folder, writes the
/// attachments there. The test below runs it in a child process, so that
/// the 45 MB made here never counts in the verifying process.
#[test]
fn make_the_scan_in_a_child_process() {
    let Some(dir) = std::env::var_os(CHILD_ENV).map(PathBuf::from) else {
        return;
    };
    let src = dir.join("src");
    // A "scan": a PDF header and 45 MB of varied bytes (they do not deflate
    // away to nothing).
    let scan = src.join("lab-results-2025-03-10.pdf");
    {
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend((0..45usize << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        std::fs::write(&scan, &bytes).unwrap();
    }
    let jpeg = src.join("fundus-2024-12.jpg");
    std::fs::write(
        &jpeg,
        [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
        ],
    )
    .unwrap();
    let _ = (scan, jpeg);
}

#[test]
fn a_package_with_a_45_mb_scan_is_signed_and_verified_without_holding_it() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("inkan-package-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (src, out, trust_dir, crl_cache) = (
        dir.join("src"),
        dir.join("out"),
        dir.join("pki"),
        dir.join("crl"),
    );
    for d in [&src, &out, &trust_dir, &crl_cache] {
        std::fs::create_dir_all(d).unwrap();
    }
    let pki = inkan_testpki::cached(&PkiConfig::default());
    pki.write_to(&trust_dir).unwrap();
    for crl in &pki.crls {
        let url = format!("{}{}", pki.crl_base_url, crl.name);
        std::fs::write(inkan_trust::crl::cache_path(&crl_cache, &url), &crl.der).unwrap();
    }
    let made = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "make_the_scan_in_a_child_process", "--quiet"])
        .env(CHILD_ENV, &dir)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // Signing: the package is written from the attachment files.
    let id = pki.identity("doctor").unwrap();
    let mut signer = SoftwareSigner::new(id.cert_der.clone(), id.key.clone());
    let chain = vec![pki.ca(id.issuer).cert_der.clone()];
    let job = LetterJob {
        letter: ReferralLetter::example(),
        format: LetterFormat::Hs038,
        attachments: vec![
            src.join("lab-results-2025-03-10.pdf"),
            src.join("fundus-2024-12.jpg"),
        ],
        out_dir: out.clone(),
    };
    let before_signing = status_kb("VmHWM:");
    let files = sign_letter_with(&job, &mut signer, &chain, None).unwrap();
    let after_signing = status_kb("VmHWM:");
    let package: PathBuf = files.package_path.unwrap();
    let size_mb = std::fs::metadata(&package).unwrap().len() >> 20;
    assert!(size_mb >= 40, "the package is {size_mb} MB");
    let signing_mb = after_signing.saturating_sub(before_signing) / 1024;
    eprintln!(
        "signing a {size_mb} MB package: peak RSS {} MB -> {} MB",
        before_signing / 1024,
        after_signing / 1024
    );
    assert!(
        signing_mb < 16,
        "signing a {size_mb} MB package raised the peak by {signing_mb} MB"
    );
    let cfg = VerifyConfig {
        tsa_trust: Vec::new(),
        trust: TrustStore::test_from_dir(&trust_dir).unwrap(),
        crl_cache: Some(crl_cache),
        offline: true,
    };

    let base = status_kb("VmHWM:");
    let item = verify_path(&package, &cfg);
    let peak = status_kb("VmHWM:");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        item.report.as_ref().map(|r| r.indication),
        Some(Indication::TotalPassed),
        "{item:?}"
    );
    let grew_mb = peak.saturating_sub(base) / 1024;
    eprintln!(
        "verifying a {size_mb} MB package: peak RSS {} MB -> {} MB",
        base / 1024,
        peak / 1024
    );
    // Holding the package and the inflated scan would add about 90 MB.
    assert!(
        grew_mb < 16,
        "verifying a {size_mb} MB package raised the peak by {grew_mb} MB"
    );
}
