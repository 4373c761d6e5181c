//! Issue 11's acceptance, end to end: a letter signed with the simulated
//! HPKI card through a real pcscd at level T (a time-stamp from the test TSA
//! on loopback), then raised to LTA, verifies 有効 ten years after the
//! signer's certificate expired; the same letter signed at level B does not.

use inkan_e2e::pcscd::{Pcscd, VpcdReader};
use inkan_e2e::{exclusive, fresh_dir};
use std::path::Path;
use std::time::{Duration, SystemTime};

#[test]
fn card_signed_letter_at_t_raised_to_lta_verifies_ten_years_after_expiry_and_b_does_not() {
    let _machine = exclusive();
    let dir = fresh_dir("long-term");
    let pki_dir = dir.join("pki");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind CRL port");
    let port = listener.local_addr().expect("addr").port();
    let pki = inkan_testpki::generate(&inkan_testpki::PkiConfig::default().with_crl_port(port))
        .expect("test PKI");
    pki.write_to(&pki_dir).expect("write PKI");
    let _crls = inkan_testpki::CrlServer::start(listener, &pki).expect("CRL server");
    // Stamped before the CAs' current CRLs were issued (an hour ago), so that
    // those CRLs can be kept as LT data.
    let mut tsa = inkan_testpki::TestTsa::new(&pki).expect("TSA");
    tsa.time = Some(pki.now - Duration::from_secs(2 * 3600));
    let tsa = inkan_testpki::TsaServer::start(tsa).expect("TSA server");

    let reader = VpcdReader {
        name: "Inkan Long-Term Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let _pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let _sim = inkan_e2e::start_sim_binary(&pki_dir, "doctor", &reader);

    let s = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let env_dir = dir.join("no-settings");
    let cache = dir.join("crl-cache");
    let env = [
        ("INKAN_CONFIG_DIR", env_dir.as_path()),
        ("INKAN_CRL_CACHE", cache.as_path()),
    ];
    let root = s(&pki_dir.join("root.pem"));
    let trust = format!("test:{}", s(&pki_dir));
    let mut letters = Vec::new();
    for (name, level) in [("t.xml", "T"), ("b.xml", "B")] {
        let letter = dir.join(name);
        inkan_e2e::example_letter(&letter, &env);
        let (code, out, err) = inkan_e2e::run_inkan(
            &[
                "sign",
                &s(&letter),
                "--pin-stdin",
                "--lang",
                "en",
                "--level",
                level,
                "--tsa",
                &tsa.url(),
                "--tsa-trust",
                &root,
            ],
            "1234\n",
            &env,
        );
        assert_eq!(code, 0, "sign {level}: {out}{err}");
        letters.push(letter);
    }
    let (t_letter, b_letter) = (&letters[0], &letters[1]);
    assert_eq!(tsa.requests(), 1, "level B asks no TSA");

    let (code, out, err) = inkan_e2e::run_inkan(
        &[
            "--lang",
            "en",
            "augment",
            &format!("{}.p7s", s(t_letter)),
            "--level",
            "LTA",
            "--trust",
            &trust,
            "--content",
            &s(t_letter),
            "--tsa",
            &tsa.url(),
            "--tsa-trust",
            &root,
        ],
        "",
        &env,
    );
    assert_eq!(code, 0, "augment: {out}{err}");

    let doctor = pki.identity("doctor").expect("doctor");
    let not_after = x509_not_after(&doctor.cert_der);
    let at = not_after + Duration::from_secs(10 * 365 * 86_400);
    let arl = pki
        .issue_crl(
            "arl.crl",
            at - Duration::from_secs(86_400),
            at + Duration::from_secs(7 * 86_400),
        )
        .expect("ARL of that day");
    let arl_path = dir.join("arl-then.crl");
    std::fs::write(&arl_path, arl).expect("write ARL");
    let at_text = inkan_testpki::format_rfc3339(at);
    let verify = |letter: &Path| {
        let (code, out, err) = inkan_e2e::run_inkan(
            &[
                "verify",
                &s(letter),
                "--trust",
                &trust,
                "--tsa-trust",
                &root,
                "--crl",
                &s(&arl_path),
                "--at",
                &at_text,
                "--offline",
                "--json",
            ],
            "",
            &env,
        );
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        (code, v[0]["report"].clone())
    };
    let (code, r) = verify(t_letter);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["indication"], "TOTAL_PASSED");
    assert_eq!(r["level"], "B-LTA");
    assert_eq!(r["signer"]["qualification_ja"], "医師");
    let (code, r) = verify(b_letter);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["sub_indication"], "OUT_OF_BOUNDS_NO_POE");
}

fn x509_not_after(der_bytes: &[u8]) -> SystemTime {
    use der::Decode;
    x509_cert::Certificate::from_der(der_bytes)
        .expect("certificate")
        .tbs_certificate()
        .validity()
        .not_after
        .to_system_time()
}
