//! Signing in the app's workflow takes the default level: T with a time-stamp
//! when a TSA is configured in the settings, else B with a warning. Own test
//! binary: it sets INKAN_CONFIG_DIR for the process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use inkan_cades::SoftwareSigner;
use inkan_referral::ReferralLetter;
use inkan_testpki::{PkiConfig, TestTsa, TsaServer};
use inkan_workflow::{sign_letter_with, LetterFormat, LetterJob};

#[test]
fn signing_takes_level_t_when_a_tsa_is_configured_and_says_so_when_not() {
    // The TSA's revocation is checked: its CRL is served on loopback.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let pki = inkan_testpki::cached(&PkiConfig::default().with_crl_port(port));
    let _crls = inkan_testpki::CrlServer::start(listener, &pki).unwrap();
    let base = std::env::temp_dir().join(format!("inkan-wf-ts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let config = base.join("config");
    std::fs::create_dir_all(&config).unwrap();
    // SAFETY of the process environment: this binary has this one test.
    std::env::set_var("INKAN_CONFIG_DIR", &config);

    let id = pki.identity("doctor").unwrap();
    let chain = vec![pki.ca(id.issuer).cert_der.clone()];
    let sign = |name: &str| {
        let out = base.join(name);
        std::fs::create_dir_all(&out).unwrap();
        let mut letter = ReferralLetter::example();
        letter.attachments.clear();
        let job = LetterJob {
            letter,
            format: LetterFormat::Hs008,
            attachments: vec![],
            out_dir: out,
        };
        let mut signer = SoftwareSigner::new(id.cert_der.clone(), id.key.clone());
        sign_letter_with(&job, &mut signer, &chain, None).unwrap()
    };

    // No TSA: level B, and the reason.
    let files = sign("b");
    assert_eq!(files.level, "B");
    assert_eq!(files.warning.as_ref().unwrap().code, "sign.no_tsa");
    assert!(files.timestamp.is_none());

    // A TSA and its trust in the settings: level T, with its time.
    let tsa = TestTsa::new(&pki).unwrap();
    let server = TsaServer::start(tsa.clone()).unwrap();
    // Saved as the window saves them.
    let root_file = base.join("root.pem");
    std::fs::write(&root_file, pki.root_pem()).unwrap();
    let view =
        inkan_workflow::settings::save_tsa_settings(&server.url(), Some(&root_file)).unwrap();
    assert_eq!(view.url.as_deref(), Some(server.url().as_str()));
    assert_eq!(view.trust.len(), 1);
    assert!(view.trust[0].1.contains("Root"), "{:?}", view.trust);
    assert!(inkan_workflow::settings::save_tsa_settings("ftp://x", None).is_err());
    let files = sign("t");
    assert_eq!(files.level, "T", "{:?}", files.warning);
    assert!(files.warning.is_none());
    assert_eq!(
        files.timestamp.as_deref(),
        Some(inkan_trust::crl::rfc3339(tsa.time.unwrap()).as_str())
    );
    let sig = std::fs::read(files.signature_path.unwrap()).unwrap();
    let parsed = inkan_cades::parse(&sig).unwrap();
    assert_eq!(
        parsed.signers[0]
            .unsigned_attr_values(&inkan_cades::oids::ID_AA_SIGNATURE_TIME_STAMP)
            .len(),
        1
    );

    // The TSA fails: the signature is still written, at level B, with why.
    server.set_fault(inkan_testpki::TsaFault::Refuse);
    let files = sign("refused");
    assert_eq!(files.level, "B");
    assert_eq!(files.warning.as_ref().unwrap().code, "tsp.refused");
    assert!(files.signature_path.unwrap().exists());
    let _ = std::fs::remove_dir_all(&base);
}
