//! The signature commands as users script them: `inkan cert`,
//! `inkan path-validate`, `inkan verify` (many files, exit codes, openssl-made
//! signatures). Signing with the card is tested end to end in tests/e2e.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::{fixture, inkan, p};

fn openssl_sign(id: &str, content: &Path, extra: &[&str]) -> PathBuf {
    let sig = content.with_extension(format!("{id}.p7s"));
    // openssl refuses -cades together with -noattr (CAdES needs signed attributes).
    let cades: &[&str] = if extra.contains(&"-noattr") {
        &[]
    } else {
        &["-cades"]
    };
    let st = Command::new("openssl")
        .args(["cms", "-sign"])
        .args(cades)
        .args(["-md", "sha256", "-binary", "-outform", "DER"])
        .args(extra)
        .arg("-in")
        .arg(content)
        .args([
            "-signer",
            &p(&format!("pki/{id}.pem")),
            "-inkey",
            &p(&format!("pki/{id}.key.pem")),
        ])
        .args(["-certfile", &p("pki/signing-ca.pem"), "-out"])
        .arg(&sig)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    sig
}

#[test]
fn cert_shows_holder_and_qualification() {
    let (code, out, err) = inkan(&["cert", &p("pki/doctor.pem"), "--lang", "ja"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("医師") && out.contains("TEST") && out.contains("テスト"),
        "{out}"
    );
    let (code, json, _) = inkan(&["cert", &p("pki/pharmacist.pem"), "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["role"]["ja"], "薬剤師");
    let (code, _, err) = inkan(&["cert", &p("pki/manifest.json")]);
    assert_eq!(code, 1, "not a certificate: {err}");
}

#[test]
fn path_validate_builds_the_path_from_a_pool_with_unrelated_certificates() {
    let (code, out, err) = inkan(&[
        "path-validate",
        &p("pki/doctor.pem"),
        "--anchor",
        &p("pki/root.pem"),
        "--intermediate",
        &p("pki/rogue-ca.pem"),
        "--intermediate",
        &p("pki/auth-ca.pem"),
        "--intermediate",
        &p("pki/signing-ca.pem"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASSED"), "{out}");
}

#[test]
fn path_validate_profiles_differ_on_hpki_rules() {
    let args = |profile: &str| {
        inkan(&[
            "path-validate",
            &p("pki/digsig-only.pem"),
            "--anchor",
            &p("pki/root.pem"),
            "--intermediate",
            &p("pki/signing-ca.pem"),
            "--profile",
            profile,
            "--json",
        ])
    };
    let (code, json, _) = args("rfc5280");
    assert_eq!(code, 0, "plain RFC 5280 accepts digitalSignature: {json}");
    let (code, json, _) = args("hpki");
    assert_eq!(code, 1, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["sub_indication"], "CHAIN_CONSTRAINTS_FAILURE", "{json}");
}

#[test]
fn path_validate_with_given_crl_reports_revoked() {
    let (code, out, _) = inkan(&[
        "path-validate",
        &p("pki/revoked.pem"),
        "--anchor",
        &p("pki/root.pem"),
        "--intermediate",
        &p("pki/signing-ca.pem"),
        "--crl",
        &p("pki/crl/sign-ca.crl"),
        "--crl",
        &p("pki/crl/arl.crl"),
        "--offline",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("REVOKED"), "{out}");
}

#[test]
fn verify_accepts_openssl_cades_signatures_and_reports_the_worst_verdict() {
    let dir = fixture().dir.join("letters");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.xml");
    std::fs::write(&good, "<letter>紹介</letter>").unwrap();
    let sig = openssl_sign("doctor", &good, &[]);
    std::fs::rename(&sig, dir.join("good.xml.p7s")).unwrap();
    let trust = format!("test:{}", p("pki"));

    let (code, out, err) = inkan(&[
        "verify",
        good.to_str().unwrap(),
        "--trust",
        &trust,
        "--lang",
        "en",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("TOTAL_PASSED"), "{out}");

    // Attached (-nodetach) signature given as the .p7m file.
    let attached = dir.join("attached.xml");
    std::fs::write(&attached, "<letter>同封</letter>").unwrap();
    let p7m = openssl_sign("dentist", &attached, &["-nodetach"]);
    let p7m_named = dir.join("attached.p7m");
    std::fs::rename(&p7m, &p7m_named).unwrap();
    let (code, out, _) = inkan(&[
        "verify",
        p7m_named.to_str().unwrap(),
        "--trust",
        &trust,
        "--lang",
        "en",
    ]);
    assert_eq!(code, 0, "{out}");

    // -noattr: no signed attributes → TOTAL_FAILED, and the worst verdict wins.
    let bad = dir.join("noattr.xml");
    std::fs::write(&bad, "<letter>x</letter>").unwrap();
    let sig = openssl_sign("doctor", &bad, &["-noattr"]);
    std::fs::rename(&sig, dir.join("noattr.xml.p7s")).unwrap();
    let (code, json, _) = inkan(&[
        "verify",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--trust",
        &trust,
        "--json",
    ]);
    assert_eq!(code, 3, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["report"]["indication"], "TOTAL_PASSED");
    assert_eq!(v[1]["report"]["indication"], "TOTAL_FAILED");
    assert_eq!(v[1]["report"]["sub_indication"], "FORMAT_FAILURE");

    // A missing signature file is an input error (4), reported, not a panic.
    let lonely = dir.join("lonely.xml");
    std::fs::write(&lonely, "x").unwrap();
    let (code, _, err) = inkan(&["verify", lonely.to_str().unwrap(), "--trust", &trust]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("lonely.xml.p7s"), "{err}");

    // Garbage signature: a clear format error.
    std::fs::write(dir.join("garbage.xml"), "x").unwrap();
    std::fs::write(dir.join("garbage.xml.p7s"), b"\x30\x03\x02\x01").unwrap();
    let (code, out, _) = inkan(&[
        "verify",
        dir.join("garbage.xml").to_str().unwrap(),
        "--trust",
        &trust,
        "--lang",
        "en",
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("FORMAT_FAILURE"), "{out}");
}

#[test]
fn verify_at_a_time_before_the_certificate_is_out_of_bounds() {
    let dir = fixture().dir.join("at");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("l.xml");
    std::fs::write(&f, "<l/>").unwrap();
    let sig = openssl_sign("doctor", &f, &[]);
    std::fs::rename(&sig, dir.join("l.xml.p7s")).unwrap();
    let trust = format!("test:{}", p("pki"));
    let (code, json, _) = inkan(&[
        "verify",
        f.to_str().unwrap(),
        "--trust",
        &trust,
        "--at",
        "2001-01-01T00:00:00Z",
        "--json",
    ]);
    assert_eq!(code, 1, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["report"]["time_source"], "explicit");
    assert_eq!(v[0]["report"]["indication"], "INDETERMINATE");
    // Not any INDETERMINATE: the certificate was not yet valid then.
    assert_eq!(v[0]["report"]["sub_indication"], "NOT_YET_VALID", "{json}");
}

/// A certificate is attacker-controlled text. A common name carrying an ESC
/// sequence (clear screen) and a right-to-left override must never reach the
/// terminal as such, in `inkan verify` (text and JSON) or `inkan cert`.
#[test]
fn an_escape_sequence_in_a_common_name_never_reaches_the_terminal() {
    let dir = fixture().dir.join("esc");
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let key = dir.join("evil.key.pem");
    let csr = dir.join("evil.csr");
    let cert = dir.join("evil.pem");
    run(&["genrsa", "-out", key.to_str().unwrap(), "2048"]);
    run(&[
        "req",
        "-new",
        "-utf8",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        "/C=JP/O=Inkan TEST Clinic/CN=Evil\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202E}Name",
        "-out",
        csr.to_str().unwrap(),
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        csr.to_str().unwrap(),
        "-CA",
        &p("pki/signing-ca.pem"),
        "-CAkey",
        &p("pki/signing-ca.key.pem"),
        "-days",
        "30",
        "-out",
        cert.to_str().unwrap(),
    ]);
    let f = dir.join("l.xml");
    std::fs::write(&f, "<l/>").unwrap();
    run(&[
        "cms",
        "-sign",
        "-cades",
        "-md",
        "sha256",
        "-binary",
        "-outform",
        "DER",
        "-in",
        f.to_str().unwrap(),
        "-signer",
        cert.to_str().unwrap(),
        "-inkey",
        key.to_str().unwrap(),
        "-certfile",
        &p("pki/signing-ca.pem"),
        "-out",
        dir.join("l.xml.p7s").to_str().unwrap(),
    ]);
    let trust = format!("test:{}", p("pki"));
    let f = f.to_str().unwrap();
    let c = cert.to_str().unwrap();
    for args in [
        vec!["--lang", "en", "verify", f, "--trust", &trust],
        vec!["--lang", "ja", "verify", f, "--trust", &trust],
        vec!["verify", f, "--trust", &trust, "--json"],
        vec!["--lang", "en", "cert", c],
        vec!["cert", c, "--json"],
    ] {
        let (_, out, err) = inkan(&args);
        for text in [&out, &err] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202E}'),
                "{args:?}: {text:?}"
            );
            // Nor may JSON carry it for a consumer to decode.
            assert!(!text.to_lowercase().contains("\\u001b"), "{args:?}: {text}");
        }
        assert!(out.contains("Evil"), "{args:?}: {out}");
    }
}

/// A signature file far larger than any signature (an attached one holding
/// a huge document) is refused before it is read, with the way out.
#[test]
fn an_oversized_signature_file_is_refused_before_it_is_read() {
    let path = fixture().dir.join("huge.p7m");
    let f = std::fs::File::create(&path).unwrap();
    // Sparse: no disk and no time, but 512 MB to anyone who reads it.
    f.set_len(512 << 20).unwrap();
    drop(f);
    let (code, out, err) = inkan(&["--lang", "en", "verify", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("ask for a detached signature"), "{err}");
}
