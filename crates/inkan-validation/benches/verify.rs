//! Verification throughput: 1,000 detached referral letters (CAdES-BES, chain
//! to the TEST root, CRLs from a warm cache), next to OpenSSL measured in the
//! same run: `openssl speed rsa2048` verify operations and a per-file
//! `openssl cms -verify` loop. Also the signing overhead with a software key
//! (CMS assembly around one RSA signature).
//!
//! Run: `cargo bench -p inkan-validation --bench verify` (N=1000; set
//! `INKAN_BENCH_N` for another count).

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, CrlServer, PkiConfig};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{validate, DocumentPolicy, Indication, Options};
use rsa::signature::hazmat::PrehashSigner;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

fn per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / n as f64
}

fn main() {
    let n: usize = std::env::var("INKAN_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let pki = inkan_testpki::generate(&PkiConfig::default().with_crl_port(port)).expect("pki");
    let server = CrlServer::start(listener, &pki).expect("CRL server");
    let dir = std::env::temp_dir().join(format!("inkan-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("letters")).expect("dir");
    pki.write_to(&dir.join("pki")).expect("write pki");

    let doctor = pki.identity("doctor").expect("doctor");
    let issuer = pki.ca(CaId::SigningCa).cert_der.clone();
    let template = std::fs::read_to_string(
        std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
            .join("../../docs/letter-form.md"),
    )
    .unwrap_or_else(|_| "診療情報提供書".repeat(200));

    // Signing with a software key: CMS assembly + one RSA signature per letter.
    let mut signer = SoftwareSigner::new(doctor.cert_der.clone(), doctor.key.clone());
    let opts = SignOptions {
        attached: false,
        signing_time: SystemTime::now(),
        extra_certificates: vec![issuer],
    };
    let mut letters = Vec::with_capacity(n);
    let t = Instant::now();
    for i in 0..n {
        let content = format!("{template}\n<!-- letter {i} -->\n").into_bytes();
        let sig = inkan_cades::sign(&content, &mut signer, &opts).expect("sign");
        letters.push((content, sig));
    }
    let sign_total = t.elapsed();
    let raw = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(doctor.key.clone());
    let t = Instant::now();
    for _ in 0..n.min(200) {
        let _: rsa::pkcs1v15::Signature = raw.sign_prehash(&[7u8; 32]).expect("rsa");
    }
    let rsa_sign = t.elapsed();
    for (i, (content, sig)) in letters.iter().enumerate().take(50) {
        std::fs::write(dir.join(format!("letters/{i}.xml")), content).expect("write");
        std::fs::write(dir.join(format!("letters/{i}.xml.p7s")), sig).expect("write");
    }

    let vopts = Options {
        trust: TrustStore::Test {
            anchors: vec![pki.ca(CaId::Root).cert_der.clone()],
            pool: Vec::new(),
            label: "bench".into(),
        },
        at: None,
        revocation: RevocationConfig {
            cache_dir: Some(dir.join("crl-cache")),
            ..RevocationConfig::default()
        },
        policy: DocumentPolicy::ReferralLetter,
        tsa_trust: Vec::new(),
    };
    // Warm the CRL cache (one fetch per CRL), then measure.
    let first = validate(&letters[0].1, Some(&letters[0].0), &vopts);
    assert_eq!(
        first.indication,
        Indication::TotalPassed,
        "{}",
        first.summary.en
    );
    let fetched = server.requests();
    // INKAN_BENCH_ROUNDS repeats the verification (for a profiler).
    let rounds: usize = std::env::var("INKAN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let t = Instant::now();
    for _ in 0..rounds {
        for (content, sig) in &letters {
            let r = validate(sig, Some(content), &vopts);
            assert_eq!(r.indication, Indication::TotalPassed);
        }
    }
    let verify_total = t.elapsed() / rounds as u32;
    assert_eq!(server.requests(), fetched, "the cache served every CRL");

    // OpenSSL in the same run.
    let speed = Command::new("openssl")
        .args(["speed", "-seconds", "3", "-mr", "rsa2048"])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find(|l| l.starts_with("+F2:"))
                .and_then(|l| {
                    l.split(':')
                        .nth(4)
                        .and_then(|s| s.trim().parse::<f64>().ok())
                })
        });
    let crl_pem = dir.join("crls.pem");
    let mut pem = String::new();
    for f in ["sign-ca.crl", "arl.crl"] {
        let out = Command::new("openssl")
            .args(["crl", "-inform", "DER", "-in"])
            .arg(dir.join("pki/crl").join(f))
            .output()
            .expect("openssl crl");
        pem.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    pem.push_str(&std::fs::read_to_string(dir.join("pki/root.pem")).expect("root"));
    std::fs::write(&crl_pem, pem).expect("ca+crl file");
    let loop_n = 50.min(n);
    let t = Instant::now();
    for i in 0..loop_n {
        let st = Command::new("openssl")
            .args([
                "cms",
                "-verify",
                "-cades",
                "-binary",
                "-inform",
                "DER",
                "-crl_check",
                "-in",
            ])
            .arg(dir.join(format!("letters/{i}.xml.p7s")))
            .arg("-content")
            .arg(dir.join(format!("letters/{i}.xml")))
            .arg("-CAfile")
            .arg(&crl_pem)
            .args(["-out", "/dev/null"])
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl cms");
        assert!(st.success(), "openssl cms -verify failed on letter {i}");
    }
    let openssl_loop = t.elapsed();

    let inkan_ms = per(verify_total, n);
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| letters | {n} detached, {} bytes each |",
        letters[0].0.len()
    );
    println!(
        "| Inkan: verify one letter (parse, digest, RSA, ESS, chain of 2, 2 cached CRLs, hcRole, policy) | {inkan_ms:.3} ms ({:.0} letters/s) |",
        1000.0 / inkan_ms
    );
    // What no verifier can skip for a letter: hashing its content and one
    // RSA verification of its signed attributes (ring, uncached), the same
    // letters and key.
    let floor_ms = {
        use rsa::pkcs1::EncodeRsaPublicKey;
        use rsa::signature::{SignatureEncoding, Signer};
        use sha2::Digest;
        let public = doctor
            .key
            .to_public_key()
            .to_pkcs1_der()
            .expect("key")
            .as_bytes()
            .to_vec();
        let attrs = vec![0x31u8; 220];
        let sig = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(doctor.key.clone())
            .sign(&attrs)
            .to_vec();
        let t = Instant::now();
        let mut sink = 0u8;
        for (content, _) in &letters {
            sink ^= sha2::Sha256::digest(content)[0];
            inkan_pkcs1::verify_uncached(inkan_pkcs1::Digest::Sha256, &public, &attrs, &sig)
                .expect("verify");
        }
        std::hint::black_box(sink);
        per(t.elapsed(), n)
    };
    println!(
        "| the floor: SHA-256 of the letter + one RSA verify (ring), per letter | {floor_ms:.4} ms |"
    );
    if let Some(v) = speed {
        let rsa_ms = 1000.0 / v;
        println!("| openssl speed rsa2048: one RSA-2048 verify | {rsa_ms:.4} ms ({v:.0}/s) |");
        println!(
            "| P1: Inkan letters/s / openssl RSA verifies/s (goal >= 0.5) | {:.3} (the floor's: {:.3}) |",
            rsa_ms / inkan_ms,
            rsa_ms / floor_ms
        );
    }
    let ossl_ms = per(openssl_loop, loop_n);
    println!("| `openssl cms -verify -cades -crl_check` per file (process per file, {loop_n} files) | {ossl_ms:.2} ms |");
    println!(
        "| ratio: Inkan per letter / openssl cms per file | {:.3} |",
        inkan_ms / ossl_ms
    );
    // pyHanko (PyPI), in the tools' virtual environment when it is there
    // (scripts/lib.sh ensure_pyhanko), on the same letters.
    let python = std::env::var("INKAN_PYHANKO_PYTHON").unwrap_or_else(|_| {
        std::env::var("HOME").unwrap_or_default() + "/.cache/inkan/tools/pyvenv/bin/python"
    });
    if std::path::Path::new(&python).exists() {
        std::fs::write(dir.join("root.der"), &pki.root.cert_der).expect("root.der");
        let script = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
            .join("benches/pyhanko_verify.py");
        let out = Command::new(&python)
            .arg(&script)
            .arg(dir.join("letters"))
            .arg(dir.join("root.der"))
            .arg(dir.join("pki/crl/sign-ca.crl"))
            .arg(dir.join("pki/crl/arl.crl"))
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout);
                let mut it = text.split_whitespace();
                if let (Some(Ok(k)), Some(Ok(secs))) = (
                    it.next().map(str::parse::<usize>),
                    it.next().map(str::parse::<f64>),
                ) {
                    let py_ms = secs * 1000.0 / k.max(1) as f64;
                    println!("| pyHanko async_validate_detached_cms, same letters ({k}), CRLs given, in one process | {py_ms:.3} ms |");
                    println!(
                        "| ratio: pyHanko per letter / Inkan per letter | {:.1} |",
                        py_ms / inkan_ms
                    );
                }
            }
            Ok(o) => println!(
                "| pyHanko | failed: {} |",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ),
            Err(e) => println!("| pyHanko | not run: {e} |"),
        }
    }

    // P3: SHA-256 over a large file, and the peak memory of verifying a
    // detached document of that size (INKAN_BENCH_BIG_MB, default 1024; 0
    // skips).
    let big_mb: usize = std::env::var("INKAN_BENCH_BIG_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    if big_mb > 0 {
        use std::io::Write;
        let big = dir.join("big.bin");
        {
            let mut f = std::io::BufWriter::new(std::fs::File::create(&big).expect("big"));
            let chunk: Vec<u8> = (0..1usize << 20).map(|i| (i * 31 % 251) as u8).collect();
            for _ in 0..big_mb {
                f.write_all(&chunk).expect("write big");
            }
        }
        let content = inkan_cades::Content::File(&big);
        // Warm the page cache for both, then measure each.
        let _ = content.digest(&inkan_cades::oids::SHA256);
        let t = Instant::now();
        let ours = content.digest(&inkan_cades::oids::SHA256).expect("digest");
        let ours_t = t.elapsed();
        let t = Instant::now();
        let theirs = Command::new("openssl")
            .args(["dgst", "-sha256", "-r"])
            .arg(&big)
            .output()
            .expect("openssl dgst");
        let theirs_t = t.elapsed();
        let theirs_hex = String::from_utf8_lossy(&theirs.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        let ours_hex: String = ours.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(ours_hex, theirs_hex, "the same SHA-256 as openssl");
        println!(
            "| SHA-256 of a {big_mb} MB file, 1 MiB chunks | {:.3} s |",
            ours_t.as_secs_f64()
        );
        println!(
            "| `openssl dgst -sha256`, same file | {:.3} s |",
            theirs_t.as_secs_f64()
        );
        println!(
            "| ratio: openssl time / Inkan time (goal >= 0.9) | {:.2} |",
            theirs_t.as_secs_f64() / ours_t.as_secs_f64()
        );
        let big_sig = {
            let mut s = SoftwareSigner::new(doctor.cert_der.clone(), doctor.key.clone());
            inkan_cades::sign_content(content, &mut s, &opts).expect("sign big")
        };
        let hwm_before = vm_hwm_kb();
        let r = inkan_validation::validate_content(&big_sig, Some(content), &vopts);
        assert_eq!(r.indication, Indication::TotalPassed, "{}", r.summary.en);
        let hwm_after = vm_hwm_kb();
        if let (Some(b), Some(a)) = (hwm_before, hwm_after) {
            println!(
                "| peak RSS of this process before / after verifying the {big_mb} MB document | {} MB / {} MB |",
                b / 1024,
                a / 1024
            );
        }
        let _ = std::fs::remove_file(&big);
    }

    let sign_ms = per(sign_total, n);
    let rsa_ms = per(rsa_sign, n.min(200));
    println!("| Inkan: sign one letter with a software key | {sign_ms:.3} ms |");
    println!("| raw RSA-2048 PKCS#1 v1.5 signature, same key | {rsa_ms:.3} ms |");
    println!(
        "| signing overhead (CMS + attributes + self-check) / raw RSA | {:.2} |",
        sign_ms / rsa_ms
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// VmHWM (peak resident set) of this process, in kB.
fn vm_hwm_kb() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
