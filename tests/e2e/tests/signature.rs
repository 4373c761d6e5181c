//! Issue 4's acceptance, end to end: a referral letter signed with the
//! simulated HPKI card through a real pcscd verifies TOTAL_PASSED with the
//! qualification 医師 in Inkan and in `openssl cms -verify -cades`; the same
//! letter with one byte changed is TOTAL_FAILED / HASH_FAILURE. CRLs come
//! from a loopback HTTP server named in the certificates' CDPs.

use inkan_e2e::pcscd::{Pcscd, VpcdReader};
use inkan_e2e::{exclusive, fresh_dir};
use std::path::Path;
use std::process::Command;

#[test]
fn letter_signed_with_the_card_verifies_in_inkan_and_openssl_and_tampering_is_hash_failure() {
    let _machine = exclusive();
    let dir = fresh_dir("sign-verify");
    let pki_dir = dir.join("pki");
    let cache = dir.join("crl-cache");

    // The CRL server's port goes into the certificates' CDPs: bind it first.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind CRL port");
    let port = listener.local_addr().expect("addr").port();
    let pki = inkan_testpki::generate(&inkan_testpki::PkiConfig::default().with_crl_port(port))
        .expect("test PKI");
    pki.write_to(&pki_dir).expect("write PKI");
    let crl_server = inkan_testpki::CrlServer::start(listener, &pki).expect("CRL server");

    let reader = VpcdReader {
        name: "Inkan Sign Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let _pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let _sim = inkan_e2e::start_sim_binary(&pki_dir, "doctor", &reader);

    let letter = dir.join("letter.xml");
    let s = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    inkan_e2e::example_letter(&letter, &[]);

    let (code, out, err) = inkan_e2e::run_inkan(
        &["sign", &s(&letter), "--pin-stdin", "--lang", "en"],
        "1234\n",
        &[],
    );
    assert_eq!(code, 0, "sign: {out}{err}");
    assert!(out.contains("5 APDUs"), "{out}");
    let sig = dir.join("letter.xml.p7s");
    assert!(sig.exists());

    let trust = format!("test:{}", s(&pki_dir));
    let env = [("INKAN_CRL_CACHE", cache.as_path())];
    let (code, json, err) = inkan_e2e::run_inkan(
        &["verify", &s(&letter), "--trust", &trust, "--json"],
        "",
        &env,
    );
    assert_eq!(code, 0, "verify: {json}{err}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    let report = &v[0]["report"];
    assert_eq!(report["indication"], "TOTAL_PASSED", "{json}");
    assert_eq!(report["signer"]["qualification_ja"], "医師");
    assert_eq!(report["trust"]["test"], true);
    assert!(
        crl_server.hits("sign-ca.crl") >= 1,
        "the EE CRL was fetched from its CDP"
    );

    let (code, text, _) = inkan_e2e::run_inkan(
        &["verify", &s(&letter), "--trust", &trust, "--lang", "ja"],
        "",
        &env,
    );
    assert_eq!(code, 0);
    assert!(
        text.contains("有効") && text.contains("医師") && text.contains("TEST"),
        "{text}"
    );

    // openssl checks the CRLs too: the root and both CRLs go into the CAfile.
    let mut ca_and_crls = std::fs::read_to_string(pki_dir.join("root.pem")).expect("root");
    for crl in ["sign-ca.crl", "arl.crl"] {
        let pem = Command::new("openssl")
            .args(["crl", "-inform", "DER", "-in"])
            .arg(pki_dir.join("crl").join(crl))
            .output()
            .expect("openssl crl");
        ca_and_crls.push_str(&String::from_utf8_lossy(&pem.stdout));
    }
    let ca_file = dir.join("ca-and-crls.pem");
    std::fs::write(&ca_file, ca_and_crls).expect("CA file");
    let openssl = Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-cades",
            "-binary",
            "-inform",
            "DER",
            "-crl_check",
        ])
        .arg("-in")
        .arg(&sig)
        .arg("-content")
        .arg(&letter)
        .arg("-CAfile")
        .arg(&ca_file)
        .args(["-out", "/dev/null"])
        .output()
        .expect("openssl");
    assert!(
        openssl.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&openssl.stderr)
    );

    // One byte changed.
    let mut bytes = std::fs::read(&letter).expect("letter");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    let tampered = dir.join("tampered.xml");
    std::fs::write(&tampered, &bytes).expect("write tampered");
    let (code, json, _) = inkan_e2e::run_inkan(
        &[
            "verify",
            &s(&tampered),
            "--signature",
            &s(&sig),
            "--trust",
            &trust,
            "--json",
        ],
        "",
        &env,
    );
    assert_eq!(code, 3, "TOTAL_FAILED exit code: {json}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    assert_eq!(v[0]["report"]["indication"], "TOTAL_FAILED");
    assert_eq!(v[0]["report"]["sub_indication"], "HASH_FAILURE");

    // The shipped trust store does not trust the TEST root.
    let (code, json, _) =
        inkan_e2e::run_inkan(&["verify", &s(&letter), "--json", "--offline"], "", &env);
    assert_eq!(code, 1, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    assert_eq!(
        v[0]["report"]["sub_indication"],
        "NO_CERTIFICATE_CHAIN_FOUND"
    );
    assert_eq!(v[0]["report"]["trust"]["test"], false);
}

#[test]
fn wrong_pin_in_sign_writes_no_signature() {
    let _machine = exclusive();
    let dir = fresh_dir("sign-wrong-pin");
    let pki_dir = dir.join("pki");
    inkan_testpki::cached(&inkan_testpki::PkiConfig::default())
        .write_to(&pki_dir)
        .expect("write PKI");
    let reader = VpcdReader {
        name: "Inkan PIN Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let _pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let _sim = inkan_e2e::start_sim_binary(&pki_dir, "doctor", &reader);
    let letter = dir.join("letter.txt");
    std::fs::write(&letter, "紹介状").expect("letter");
    let l = letter.to_str().expect("utf-8");
    let (code, _, err) =
        inkan_e2e::run_inkan(&["sign", l, "--pin-stdin", "--lang", "ja"], "9999\n", &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("残り 14 回"), "{err}");
    assert!(
        !dir.join("letter.txt.p7s").exists(),
        "no signature file after a wrong PIN"
    );
}
