//! A path validated for one letter is reused for the next letter with the
//! same signer certificate (`inkan_trust::reuse`), and that never changes a
//! verdict: not across the signer's revocation date or its expiry, not when
//! the cached CRL file is replaced, not when the cached CRL falls due.
//! Every scenario is run with reuse on (warm) and compared with a run with
//! reuse off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{craft, CaId, PkiConfig, TestPki};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{validate, DocumentPolicy, Indication, Options, ValidationReport};

/// Reuse is switched per process: the tests of this file take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// (content, detached signature).
type Letter = (Vec<u8>, Vec<u8>);

fn letter(pki: &TestPki, id: &str, text: &str) -> Letter {
    let ident = pki.identity(id).unwrap();
    let mut s = SoftwareSigner::new(ident.cert_der.clone(), ident.key.clone());
    let content = text.as_bytes().to_vec();
    let sig = inkan_cades::sign(
        &content,
        &mut s,
        &SignOptions {
            attached: false,
            signing_time: pki.now - Duration::from_secs(4 * 86_400),
            extra_certificates: vec![pki.ca(CaId::SigningCa).cert_der.clone()],
        },
    )
    .unwrap();
    (content, sig)
}

/// Offline, CRLs from `cache` only: nothing volatile, so reuse applies.
fn opts(pki: &TestPki, cache: &Path, at: SystemTime) -> Options {
    Options {
        trust: TrustStore::Test {
            anchors: vec![pki.root.cert_der.clone()],
            pool: Vec::new(),
            label: "test".into(),
        },
        at: Some(at),
        revocation: RevocationConfig {
            cache_dir: Some(cache.to_path_buf()),
            fetch: false,
            ..RevocationConfig::default()
        },
        policy: DocumentPolicy::ReferralLetter,
        tsa_trust: Vec::new(),
    }
}

fn fill_cache(pki: &TestPki, cache: &Path) {
    std::fs::create_dir_all(cache).unwrap();
    for crl in &pki.crls {
        let url = pki.crl_url(&crl.name);
        std::fs::write(inkan_trust::crl::cache_path(cache, &url), &crl.der).unwrap();
    }
}

fn json(r: &ValidationReport) -> serde_json::Value {
    serde_json::to_value(r).unwrap()
}

fn not_after(der: &[u8]) -> SystemTime {
    use der::Decode;
    x509_cert::Certificate::from_der(der)
        .unwrap()
        .tbs_certificate()
        .validity()
        .not_after
        .to_system_time()
}

/// A fresh directory for one test, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("inkan-reuse-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Validates twice, expecting TOTAL_PASSED both times; how many paths the
/// second validation took from the memo.
fn twice_passes(c: &[u8], s: &[u8], o: &Options) -> u64 {
    assert_eq!(validate(s, Some(c), o).indication, Indication::TotalPassed);
    let hits = inkan_trust::reuse::hits();
    assert_eq!(validate(s, Some(c), o).indication, Indication::TotalPassed);
    inkan_trust::reuse::hits() - hits
}

fn pki() -> std::sync::Arc<TestPki> {
    inkan_testpki::cached(&PkiConfig::default())
}

#[test]
fn reuse_follows_the_time_across_revocation_and_expiry_and_matches_a_run_without_it() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pki = pki();
    let dir = Scratch::new("times");
    let cache = dir.path().join("crl-cache");
    fill_cache(&pki, &cache);
    let revoked_at = match &pki.identity("revoked").unwrap().expect {
        inkan_testpki::Expectation::Revoked { at, .. } => *at,
        other => panic!("{other:?}"),
    };
    let doctor_end = not_after(&pki.identity("doctor").unwrap().cert_der);
    let hour = Duration::from_secs(3600);
    // (letter, validation time): the same signer at times on both sides of
    // its revocation date, of its certificate's end, and of the CRL's
    // nextUpdate; twice each, so the second meets a remembered path.
    let r1 = letter(&pki, "revoked", "<letter>r1</letter>");
    let r2 = letter(&pki, "revoked", "<letter>r2</letter>");
    let d1 = letter(&pki, "doctor", "<letter>d1</letter>");
    let d2 = letter(&pki, "doctor", "<letter>d2</letter>");
    let cases: Vec<(&Letter, SystemTime)> = vec![
        (&r1, revoked_at - hour),
        (&r2, revoked_at - hour / 2),
        (&r1, revoked_at + hour),
        (&r2, revoked_at - hour),
        (&r2, revoked_at),
        (&d1, pki.now),
        (&d2, pki.now + hour),
        (&d1, doctor_end - Duration::from_secs(1)),
        (&d2, doctor_end + Duration::from_secs(1)),
        (&d1, pki.now + Duration::from_secs(400 * 86_400)),
        (&d2, pki.now),
    ];
    let run = || -> Vec<serde_json::Value> {
        cases
            .iter()
            .map(|((c, s), at)| json(&validate(s, Some(c), &opts(&pki, &cache, *at))))
            .collect()
    };

    inkan_trust::reuse::set_enabled(false);
    let without = run();
    inkan_trust::reuse::set_enabled(true);
    let hits = inkan_trust::reuse::hits();
    let with = run();
    let warm = run();
    assert!(
        inkan_trust::reuse::hits() - hits >= cases.len() as u64,
        "paths were reused"
    );
    for (i, ((a, b), c)) in without.iter().zip(&with).zip(&warm).enumerate() {
        assert_eq!(a, b, "case {i}: reuse changed the report");
        assert_eq!(a, c, "case {i}: a warm memo changed the report");
    }
    let ind = |i: usize| without[i]["indication"].as_str().unwrap().to_owned();
    assert_eq!(ind(0), "TOTAL_PASSED", "{:#}", without[0]);
    assert_eq!(ind(1), "TOTAL_PASSED");
    assert_ne!(ind(2), "TOTAL_PASSED", "revoked an hour before");
    assert_eq!(ind(3), "TOTAL_PASSED");
    assert_ne!(ind(4), "TOTAL_PASSED", "revoked at that very second");
    assert_eq!(ind(5), "TOTAL_PASSED");
    assert_ne!(ind(8), "TOTAL_PASSED", "expired a second before");
    assert_ne!(ind(9), "TOTAL_PASSED");
    assert_eq!(ind(10), "TOTAL_PASSED");
}

#[test]
fn a_replaced_cache_crl_revokes_a_signer_whose_path_was_remembered() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    inkan_trust::reuse::set_enabled(true);
    let pki = pki();
    let dir = Scratch::new("replaced");
    let cache = dir.path().join("crl-cache");
    fill_cache(&pki, &cache);
    let (c, s) = letter(&pki, "doctor", "<letter>replaced</letter>");
    let o = opts(&pki, &cache, pki.now);
    assert!(
        twice_passes(&c, &s, &o) > 0,
        "the second letter reused the path"
    );

    // The signing CA publishes a CRL that lists the doctor, and it lands in
    // the cache under the same name (same size is irrelevant: the file's
    // identity changes).
    let ca = pki.ca(CaId::SigningCa);
    let doctor = pki.identity("doctor").unwrap().certificate().unwrap();
    let serial = doctor.tbs_certificate().serial_number().as_bytes().to_vec();
    let day = Duration::from_secs(86_400);
    let crl = craft::crl(
        &ca.cert_der,
        &ca.key,
        pki.now - day,
        pki.now + 7 * day,
        &[(&serial, pki.now - 3 * day)],
        Vec::new(),
        9,
    );
    let path = inkan_trust::crl::cache_path(&cache, &pki.crl_url("sign-ca.crl"));
    std::fs::write(&path, &crl).unwrap();
    let r = validate(&s, Some(&c), &o);
    // Without a time-stamp the claimed signing time proves nothing, so a
    // revocation is REVOKED_NO_POE (ETSI EN 319 102-1 §5.2.6).
    assert_eq!(r.indication, Indication::Indeterminate, "{}", r.summary.en);
    assert_eq!(
        r.sub_indication.as_deref(),
        Some("REVOKED_NO_POE"),
        "{}",
        r.summary.en
    );
}

#[test]
fn a_cached_crl_that_falls_due_is_not_answered_from_memory() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    inkan_trust::reuse::set_enabled(true);
    let pki = pki();
    let dir = Scratch::new("due");
    let cache = dir.path().join("crl-cache");
    fill_cache(&pki, &cache);
    // The signing CA's CRL in the cache is due in two seconds (real time),
    // though the validation time is fixed in the past.
    let now = SystemTime::now();
    let crl = pki
        .issue_crl(
            "sign-ca.crl",
            pki.now - Duration::from_secs(86_400),
            now + Duration::from_secs(2),
        )
        .unwrap();
    let path = inkan_trust::crl::cache_path(&cache, &pki.crl_url("sign-ca.crl"));
    std::fs::write(&path, &crl).unwrap();
    let (c, s) = letter(&pki, "doctor", "<letter>due</letter>");
    let o = opts(&pki, &cache, pki.now);
    let first = json(&validate(&s, Some(&c), &o));
    let hits = inkan_trust::reuse::hits();
    assert_eq!(json(&validate(&s, Some(&c), &o)), first);
    assert!(
        inkan_trust::reuse::hits() > hits,
        "reused while the CRL is current"
    );
    std::thread::sleep(Duration::from_millis(2500));
    let hits = inkan_trust::reuse::hits();
    // Now a fetch would be due: the validation runs again (offline here, so
    // it says so rather than fetching).
    let _ = validate(&s, Some(&c), &o);
    assert_eq!(
        inkan_trust::reuse::hits(),
        hits,
        "a path validated with a current cached CRL is not reused once it is due"
    );
}

#[test]
fn a_validation_that_fetched_is_not_remembered() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    inkan_trust::reuse::set_enabled(true);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let pki = inkan_testpki::cached(&PkiConfig::default().with_crl_port(port));
    let _server = inkan_testpki::CrlServer::start(listener, &pki).unwrap();
    let (c, s) = letter(&pki, "doctor", "<letter>fetched</letter>");
    let mut o = opts(&pki, Path::new("/nonexistent"), pki.now);
    o.revocation.cache_dir = None;
    o.revocation.fetch = true;
    assert_eq!(
        twice_passes(&c, &s, &o),
        0,
        "fetched CRLs are fetched again"
    );
}
