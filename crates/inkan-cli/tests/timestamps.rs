//! Time-stamps as users script them: `inkan augment --level T` against the
//! test TSA and against a TSA we did not write (`openssl ts -reply` behind a
//! loopback HTTP wrapper), `inkan verify` with `--tsa-trust`, and
//! `openssl ts -verify` on the token Inkan embedded.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use inkan_testpki::{TestTsa, TsaServer};

mod common;

use common::{fixture, inkan, inkan_env, p};

/// A detached CAdES signature of a fresh letter by `id`, made by openssl.
fn letter_signed_by(id: &str, name: &str) -> PathBuf {
    let dir = fixture().dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("l.xml");
    std::fs::write(&f, format!("<letter>{name}</letter>")).unwrap();
    let out = Command::new("openssl")
        .args([
            "cms", "-sign", "-cades", "-md", "sha256", "-binary", "-outform", "DER",
        ])
        .arg("-in")
        .arg(&f)
        .args(["-signer", &p(&format!("pki/{id}.pem")), "-inkey"])
        .arg(p(&format!("pki/{id}.key.pem")))
        .args(["-certfile", &p("pki/signing-ca.pem"), "-out"])
        .arg(dir.join("l.xml.p7s"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    f
}

fn tsa_at(t: SystemTime) -> TsaServer {
    let mut tsa = TestTsa::new(&fixture().pki).unwrap();
    tsa.time = Some(t);
    TsaServer::start(tsa).unwrap()
}

fn verify_json(letter: &Path, tsa_trust: bool) -> (i32, serde_json::Value) {
    let trust = format!("test:{}", p("pki"));
    let root = p("pki/root.pem");
    let mut args = vec![
        "verify",
        letter.to_str().unwrap(),
        "--trust",
        &trust,
        "--json",
    ];
    if tsa_trust {
        args.extend(["--tsa-trust", &root]);
    }
    let (code, out, err) = inkan(&args);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, v[0]["report"].clone())
}

fn augment(letter: &Path, url: &str) -> (i32, String, String) {
    let sig = format!("{}.p7s", letter.display());
    let root = p("pki/root.pem");
    inkan(&[
        "--lang",
        "en",
        "augment",
        &sig,
        "--level",
        "T",
        "--content",
        letter.to_str().unwrap(),
        "--tsa",
        url,
        "--tsa-trust",
        &root,
    ])
}

#[test]
fn augmented_to_t_verifies_with_the_time_stamp_and_openssl_accepts_the_token() {
    let pki = &fixture().pki;
    let tsa = tsa_at(pki.now - Duration::from_secs(3600));
    let letter = letter_signed_by("doctor", "t-ok");
    let (code, out, err) = augment(&letter, &tsa.url());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Time-stamp:"), "{out}");

    let (code, r) = verify_json(&letter, true);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["indication"], "TOTAL_PASSED");
    assert_eq!(r["level"], "B-T");
    assert_eq!(r["timestamps"][0]["type"], "signature");
    assert_eq!(r["timestamps"][0]["indication"], "TOTAL_PASSED");
    assert_eq!(
        r["best_signature_time"],
        inkan_trust::crl::rfc3339(pki.now - Duration::from_secs(3600))
    );

    // openssl checks the embedded token: imprint = SHA-256 of the signature value.
    let sig = std::fs::read(format!("{}.p7s", letter.display())).unwrap();
    let parsed = inkan_cades::parse(&sig).unwrap();
    let si = &parsed.signers[0];
    let token = si.unsigned_attr_values(&inkan_cades::oids::ID_AA_SIGNATURE_TIME_STAMP)[0];
    let dir = letter.parent().unwrap();
    std::fs::write(dir.join("token.der"), token).unwrap();
    std::fs::write(dir.join("tsa.pem"), TestTsa::new(pki).unwrap().cert_pem()).unwrap();
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&si.signature));
    let out = Command::new("openssl")
        .args(["ts", "-verify", "-digest", &digest, "-token_in", "-in"])
        .arg(dir.join("token.der"))
        .args(["-CAfile", &p("pki/root.pem"), "-untrusted"])
        .arg(dir.join("tsa.pem"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("Verification: OK"),
        "{text}"
    );
}

#[test]
fn a_revocation_after_the_time_stamp_leaves_the_signature_valid() {
    let pki = &fixture().pki;
    // "revoked" was revoked two days before now; stamped three days before.
    let tsa = tsa_at(pki.now - Duration::from_secs(3 * 86_400));
    let letter = letter_signed_by("revoked", "t-poe");
    let (code, out, err) = augment(&letter, &tsa.url());
    assert_eq!(code, 0, "{out}{err}");
    let (code, r) = verify_json(&letter, true);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["indication"], "TOTAL_PASSED");
    assert_eq!(r["signers"][0]["validated_at_signature_time"], true);
    // Without TSA trust the time-stamp proves nothing: no longer a pass.
    let (code, r) = verify_json(&letter, false);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["sub_indication"], "REVOKED_NO_POE");
    assert_eq!(r["timestamps"][0]["indication"], "INDETERMINATE");
}

#[test]
fn a_time_stamp_after_the_revocation_proves_the_signature_invalid() {
    let pki = &fixture().pki;
    let tsa = tsa_at(pki.now - Duration::from_secs(86_400));
    let letter = letter_signed_by("revoked", "t-late");
    let (code, out, err) = augment(&letter, &tsa.url());
    assert_eq!(code, 0, "{out}{err}");
    let (code, r) = verify_json(&letter, true);
    assert_eq!(code, 3, "{r:#}");
    assert_eq!(r["indication"], "TOTAL_FAILED");
    assert_eq!(r["sub_indication"], "REVOKED");
}

#[test]
fn augmenting_a_changed_document_writes_nothing() {
    let tsa = tsa_at(fixture().pki.now);
    let letter = letter_signed_by("doctor", "t-tampered");
    let sig_path = PathBuf::from(format!("{}.p7s", letter.display()));
    let before = std::fs::read(&sig_path).unwrap();
    std::fs::write(&letter, "<letter>changed</letter>").unwrap();
    let (code, out, err) = augment(&letter, &tsa.url());
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("not intact"), "{err}");
    assert_eq!(std::fs::read(&sig_path).unwrap(), before);
    assert_eq!(tsa.requests(), 0);
}

/// A TSA we did not write: `openssl ts -reply` answers each request, behind
/// a small loopback HTTP wrapper.
struct OpensslTsa {
    url: String,
}

fn openssl_tsa() -> OpensslTsa {
    let f = fixture();
    let dir = f.dir.join("openssl-tsa");
    std::fs::create_dir_all(&dir).unwrap();
    let tsa = TestTsa::new(&f.pki).unwrap();
    std::fs::write(dir.join("tsa.pem"), tsa.cert_pem()).unwrap();
    std::fs::write(dir.join("tsa.key"), tsa.key_pem().unwrap()).unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    std::fs::write(
        dir.join("tsa.cnf"),
        format!(
            "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\ndir = {d}\nserial = {d}/serial\nsigner_cert = {d}/tsa.pem\nsigner_key = {d}/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.3161.2\ndigests = sha256, sha512\naccuracy = secs:1\ness_cert_id_alg = sha256\ness_cert_id_chain = no\ncerts = {root}\n",
            d = dir.display(),
            root = p("pki/root.pem")
        ),
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/tsa", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            let _ = reader.read_exact(&mut body);
            let q = dir.join(format!("q{n}.tsq"));
            let r = dir.join(format!("r{n}.tsr"));
            std::fs::write(&q, &body).unwrap();
            let ok = Command::new("openssl")
                .args(["ts", "-reply", "-config"])
                .arg(dir.join("tsa.cnf"))
                .arg("-queryfile")
                .arg(&q)
                .arg("-out")
                .arg(&r)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            let resp = if ok {
                std::fs::read(&r).unwrap_or_default()
            } else {
                Vec::new()
            };
            let mut out = &stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                resp.len()
            );
            let _ = out.write_all(&resp);
        }
    });
    OpensslTsa { url }
}

#[test]
fn a_token_from_openssls_tsa_is_accepted_and_verifies() {
    let tsa = openssl_tsa();
    let letter = letter_signed_by("doctor", "t-openssl");
    let (code, out, err) = augment(&letter, &tsa.url);
    assert_eq!(code, 0, "{out}{err}");
    let (code, r) = verify_json(&letter, true);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["level"], "B-T");
    assert_eq!(r["timestamps"][0]["indication"], "TOTAL_PASSED");
    assert_eq!(r["timestamps"][0]["policy"], "1.3.6.1.4.1.99999.3161.2");
}

/// The long-term promise: a letter time-stamped and raised to LTA while its
/// signer's certificate is valid stays 有効 ten years after that certificate
/// expired; the same letter at level B does not.
#[test]
fn lta_verifies_ten_years_after_the_signer_certificate_expired_and_b_does_not() {
    let f = fixture();
    let pki = &f.pki;
    // Stamped two hours ago: the CAs' CRLs (issued an hour ago) are issued
    // after the stamp, as LT validation data must be.
    let tsa = tsa_at(pki.now - Duration::from_secs(2 * 3600));
    let letter = letter_signed_by("doctor", "t-lta");
    let dir = letter.parent().unwrap().to_path_buf();
    let sig = format!("{}.p7s", letter.display());
    // Keep a copy at level B.
    let b_dir = dir.join("b");
    std::fs::create_dir_all(&b_dir).unwrap();
    std::fs::copy(&letter, b_dir.join("l.xml")).unwrap();
    std::fs::copy(&sig, b_dir.join("l.xml.p7s")).unwrap();

    let trust = format!("test:{}", p("pki"));
    let root = p("pki/root.pem");
    let (code, out, err) = inkan(&[
        "--lang",
        "en",
        "augment",
        &sig,
        "--level",
        "LTA",
        "--trust",
        &trust,
        "--content",
        letter.to_str().unwrap(),
        "--tsa",
        &tsa.url(),
        "--tsa-trust",
        &root,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // B-LT: the whole path and its CRLs are now in SignedData.
    let lt = inkan_cades::parse(&std::fs::read(&sig).unwrap()).unwrap();
    assert!(lt.certificates.contains(&pki.root.cert_der));
    assert!(lt.crls.contains(&pki.crl("sign-ca.crl").unwrap().der));

    // Ten years after the signer's certificate expired, with the root's ARL
    // of that day (the archive time-stamp's TSA is checked then).
    let not_after = inkan_trust::holder::summarize(&pki.identity("doctor").unwrap().cert_der)
        .unwrap()
        .not_after_unix;
    let at = SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(not_after).unwrap() + 10 * 365 * 86_400);
    let arl = pki
        .issue_crl(
            "arl.crl",
            at - Duration::from_secs(86_400),
            at + Duration::from_secs(7 * 86_400),
        )
        .unwrap();
    let arl_path = dir.join("arl-then.crl");
    std::fs::write(&arl_path, arl).unwrap();
    let at_text = inkan_trust::crl::rfc3339(at);
    let verify_at = |file: &Path| {
        let (code, out, err) = inkan(&[
            "verify",
            file.to_str().unwrap(),
            "--trust",
            &trust,
            "--tsa-trust",
            &root,
            "--crl",
            arl_path.to_str().unwrap(),
            "--at",
            &at_text,
            "--offline",
            "--json",
        ]);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        (code, v[0]["report"].clone())
    };
    let (code, r) = verify_at(&letter);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["indication"], "TOTAL_PASSED");
    assert_eq!(r["level"], "B-LTA");
    assert!(r["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["type"] == "archive_v3" && t["indication"] == "TOTAL_PASSED"));
    assert_eq!(r["signers"][0]["validated_at_signature_time"], true);

    let (code, r) = verify_at(&b_dir.join("l.xml"));
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["indication"], "INDETERMINATE");
    assert_eq!(r["sub_indication"], "OUT_OF_BOUNDS_NO_POE");
}

/// The archive register: an LTA letter is added, is not due while its TSA
/// certificate lives, is renewed with a second archive time-stamp when the
/// window reaches the TSA's expiry (the previous file kept), and a letter
/// changed since is not renewed and not touched.
#[test]
fn archive_renew_adds_an_archive_time_stamp_and_never_breaks_a_file() {
    let pki = &fixture().pki;
    let tsa = tsa_at(pki.now - Duration::from_secs(2 * 3600));
    let trust = format!("test:{}", p("pki"));
    let root = p("pki/root.pem");
    let data = fixture().dir.join("archive-data");
    let env = [("INKAN_DATA_DIR", data.as_path())];
    let mut sigs = Vec::new();
    let lta = |sig: &str, letter: &Path| {
        let (code, out, err) = inkan(&[
            "--lang",
            "en",
            "augment",
            sig,
            "--level",
            "LTA",
            "--trust",
            &trust,
            "--content",
            letter.to_str().unwrap(),
            "--tsa",
            &tsa.url(),
            "--tsa-trust",
            &root,
        ]);
        assert_eq!(code, 0, "{out}{err}");
    };
    for name in ["t-archive-a", "t-archive-b", "t-archive-c"] {
        let letter = letter_signed_by("doctor", name);
        let sig = format!("{}.p7s", letter.display());
        lta(&sig, &letter);
        let (code, out, err) = inkan_env(
            &[
                "--lang",
                "en",
                "archive",
                "add",
                &sig,
                "--content",
                letter.to_str().unwrap(),
                "--tsa-trust",
                &root,
            ],
            &env,
        );
        assert_eq!(code, 0, "{out}{err}");
        sigs.push((letter, sig));
    }
    let status = |before: &str| {
        let (code, out, err) =
            inkan_env(&["archive", "status", "--before", before, "--json"], &env);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let s = status("365");
    assert_eq!(s.as_array().unwrap().len(), 3, "{s:#}");
    assert!(
        s.as_array()
            .unwrap()
            .iter()
            .all(|e| e["level"] == "B-LTA" && e["due"] == false),
        "{s:#}"
    );
    let s = status("20000");
    assert!(
        s.as_array().unwrap().iter().all(|e| e["due"] == true),
        "{s:#}"
    );

    // The second letter is changed after it was put under care; the third
    // signature file is replaced (by a valid file: augmented again) behind
    // the register's back. Neither is renewed.
    std::fs::write(&sigs[1].0, "<letter>changed</letter>").unwrap();
    lta(&sigs[2].1, &sigs[2].0);
    let before_c = std::fs::read(&sigs[2].1).unwrap();
    let before_b = std::fs::read(&sigs[1].1).unwrap();
    let before_a = std::fs::read(&sigs[0].1).unwrap();
    let (code, out, err) = inkan_env(
        &[
            "--lang",
            "en",
            "archive",
            "renew",
            "--before",
            "20000",
            "--tsa",
            &tsa.url(),
            "--tsa-trust",
            &root,
        ],
        &env,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("1 renewed, 2 failed"), "{out}{err}");
    assert!(err.contains("Not renewed"), "{err}");
    assert!(err.contains("changed since it was registered"), "{err}");
    // A 20 000-day window reaches past the test TSA's certificate: the
    // renewal says it did not buy that much time.
    assert!(err.contains("still due after renewal"), "{err}");
    assert_eq!(std::fs::read(&sigs[2].1).unwrap(), before_c);
    assert_eq!(
        std::fs::read(&sigs[1].1).unwrap(),
        before_b,
        "a failed renewal leaves the file"
    );
    assert_eq!(
        std::fs::read(format!("{}.prev", sigs[0].1)).unwrap(),
        before_a
    );

    let trust_arg = trust.clone();
    let (code, out, err) = inkan(&[
        "verify",
        sigs[0].0.to_str().unwrap(),
        "--trust",
        &trust_arg,
        "--tsa-trust",
        &root,
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &v[0]["report"];
    let archives: Vec<&serde_json::Value> = r["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "archive_v3")
        .collect();
    assert_eq!(archives.len(), 2, "{r:#}");
    assert!(
        archives.iter().all(|t| t["indication"] == "TOTAL_PASSED"),
        "{r:#}"
    );
}

/// The JIS X 5092 / ISO 14533-1 forms: the validation data goes into
/// complete references and values attributes (ES-X-Long), SignedData's own
/// certificates and CRLs stay as they were, and the letter raised to ES-A
/// verifies ten years after the signer's certificate expired.
#[test]
fn jp_form_es_a_keeps_signed_data_and_verifies_ten_years_on() {
    let f = fixture();
    let pki = &f.pki;
    let tsa = tsa_at(pki.now - Duration::from_secs(2 * 3600));
    let letter = letter_signed_by("doctor", "t-jp");
    let dir = letter.parent().unwrap().to_path_buf();
    let sig = format!("{}.p7s", letter.display());
    let before = inkan_cades::parse(&std::fs::read(&sig).unwrap()).unwrap();
    let trust = format!("test:{}", p("pki"));
    let root = p("pki/root.pem");
    let (code, out, err) = inkan(&[
        "--lang",
        "en",
        "augment",
        &sig,
        "--level",
        "LTA",
        "--form",
        "jp",
        "--trust",
        &trust,
        "--content",
        letter.to_str().unwrap(),
        "--tsa",
        &tsa.url(),
        "--tsa-trust",
        &root,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let bytes = std::fs::read(&sig).unwrap();
    let after = inkan_cades::parse(&bytes).unwrap();
    assert_eq!(after.certificates, before.certificates);
    assert_eq!(after.crls, before.crls);
    for oid in [
        inkan_cades::ats::ID_AA_CERT_REFS,
        inkan_cades::ats::ID_AA_REVOCATION_REFS,
        inkan_cades::ats::ID_AA_CERT_VALUES,
        inkan_cades::ats::ID_AA_REVOCATION_VALUES,
        inkan_cades::ats::ID_AA_ATS_V3,
    ] {
        assert_eq!(
            after.signers[0].unsigned_attr_values(&oid).len(),
            1,
            "{oid}"
        );
    }
    let (certs, crls) = inkan_cades::ats::long_term_values(&bytes, 0).unwrap();
    assert!(
        !certs.is_empty() && !crls.is_empty(),
        "{} certs, {} crls",
        certs.len(),
        crls.len()
    );

    let not_after = inkan_trust::holder::summarize(&pki.identity("doctor").unwrap().cert_der)
        .unwrap()
        .not_after_unix;
    let at = SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(not_after).unwrap() + 10 * 365 * 86_400);
    let arl = pki
        .issue_crl(
            "arl.crl",
            at - Duration::from_secs(86_400),
            at + Duration::from_secs(7 * 86_400),
        )
        .unwrap();
    let arl_path = dir.join("arl-then.crl");
    std::fs::write(&arl_path, arl).unwrap();
    let (code, out, err) = inkan(&[
        "verify",
        letter.to_str().unwrap(),
        "--trust",
        &trust,
        "--tsa-trust",
        &root,
        "--crl",
        arl_path.to_str().unwrap(),
        "--at",
        &inkan_trust::crl::rfc3339(at),
        "--offline",
        "--json",
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let r = &v[0]["report"];
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["indication"], "TOTAL_PASSED");
    assert_eq!(r["level"], "ES-A");
}
