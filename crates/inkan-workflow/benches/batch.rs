//! The window's batch mode ("フォルダを一括検証"): `verify_folder` over a
//! folder of detached letters, with the history recording each result, as
//! the app runs it. Reports the time, the letters per second, the largest
//! gap between progress updates (the window shows them; goal ≤ 200 ms), the
//! peak memory of the process before and after, and the same batch with
//! the signature cache off, whose reports must be identical.
//!
//! Run: `cargo bench -p inkan-workflow --bench batch` (`INKAN_BENCH_N`
//! letters, default 1000).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, CrlServer, PkiConfig};
use inkan_trust::TrustStore;
use inkan_workflow::{History, VerifyConfig};

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

fn main() {
    let n: usize = std::env::var("INKAN_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let pki = inkan_testpki::generate(&PkiConfig::default().with_crl_port(port)).expect("pki");
    let _server = CrlServer::start(listener, &pki).expect("CRL server");
    let dir = std::env::temp_dir().join(format!("inkan-batch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let letters = dir.join("received");
    std::fs::create_dir_all(&letters).expect("dir");

    let doctor = pki.identity("doctor").expect("doctor");
    let mut signer = SoftwareSigner::new(doctor.cert_der.clone(), doctor.key.clone());
    let opts = SignOptions {
        attached: false,
        signing_time: SystemTime::now(),
        extra_certificates: vec![pki.ca(CaId::SigningCa).cert_der.clone()],
    };
    for i in 0..n {
        let content = format!(
            "<ClinicalDocument>letter {i} {}</ClinicalDocument>\n",
            "x".repeat(10_000)
        );
        let sig = inkan_cades::sign(content.as_bytes(), &mut signer, &opts).expect("sign");
        let path = letters.join(format!("letter-{i:05}.xml"));
        std::fs::write(&path, &content).expect("write");
        std::fs::write(letters.join(format!("letter-{i:05}.xml.p7s")), &sig).expect("write");
    }
    let cfg = VerifyConfig {
        trust: TrustStore::Test {
            anchors: vec![pki.root.cert_der.clone()],
            pool: Vec::new(),
            label: "bench".into(),
        },
        crl_cache: Some(dir.join("crl-cache")),
        offline: false,
        tsa_trust: Vec::new(),
    };
    let history = Mutex::new(History::open(&dir.join("history.sqlite3")).expect("history"));

    let run = |label: &str| {
        let hwm_before = vm_hwm_kb();
        let start = Instant::now();
        let mut last = start;
        let mut max_gap = Duration::ZERO;
        let mut updates = 0usize;
        let items = inkan_workflow::verify_folder(&letters, &cfg, Some(&history), |_, _| {
            let now = Instant::now();
            max_gap = max_gap.max(now - last);
            last = now;
            updates += 1;
        })
        .expect("verify_folder");
        let total = start.elapsed();
        let hwm_after = vm_hwm_kb();
        assert_eq!(items.len(), n);
        let passed = items
            .iter()
            .filter(|i| {
                i.report
                    .as_ref()
                    .is_some_and(|r| r.indication == inkan_validation::Indication::TotalPassed)
            })
            .count();
        assert_eq!(passed, n, "every letter is valid");
        println!(
            "| batch of {n} letters, {label} | {:.2} s ({:.0} letters/s), {updates} progress updates, largest gap {:.1} ms, peak RSS {} → {} MB |",
            total.as_secs_f64(),
            n as f64 / total.as_secs_f64(),
            max_gap.as_secs_f64() * 1000.0,
            hwm_before.unwrap_or(0) / 1024,
            hwm_after.unwrap_or(0) / 1024
        );
        items
            .iter()
            .map(|i| serde_json::to_value(&i.report).expect("json"))
            .collect::<Vec<_>>()
    };
    println!("| measure | value |");
    println!("|---|---|");
    // The first run fetches the two CRLs into the cache, as a clinic's
    // first batch of the day does.
    let first = run("first (CRLs fetched once)");
    let warm = run("again (warm caches)");
    inkan_pkcs1::set_cache_enabled(false);
    inkan_trust::reuse::set_enabled(false);
    let uncached = run("signature cache and path reuse off");
    inkan_pkcs1::set_cache_enabled(true);
    inkan_trust::reuse::set_enabled(true);
    // The clock's readings differ from run to run; everything else must
    // match. (The first run names the CRLs' fetch, the others the cache.)
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("validation_time");
                m.remove("time_used");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let (mut warm, mut uncached) = (warm, uncached);
    warm.iter_mut().for_each(strip);
    uncached.iter_mut().for_each(strip);
    drop(first);
    assert!(warm == uncached, "the signature cache changed a report");
    println!("| reports with the cache on and off | identical ({n} letters) |");
    let _ = std::fs::remove_dir_all(&dir);
}
