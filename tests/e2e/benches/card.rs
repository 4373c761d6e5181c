//! Card benchmark through a real pcscd + vpcd + the simulated card:
//! APDUs per signature, time per signature, time to open the card (select,
//! directory files, certificates). The in-process RSA-2048 signature with the
//! same key, and `openssl speed rsa2048`, are measured in the same run so the
//! figures read as ratios (what PC/SC + vpcd add over the card's own RSA).
//!
//! Run: `cargo bench -p inkan-e2e --bench card` (no other pcscd may run).

use inkan_card::{LastTry, PcscCard, Pin};
use inkan_card_sim::{spawn, CardConfig, SimCard};
use inkan_e2e::pcscd::{Pcscd, VpcdReader};
use rsa::signature::hazmat::PrehashSigner;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
    let id = pki.identity("doctor").expect("doctor");
    let cas = vec![
        pki.ca(inkan_testpki::CaId::Root).cert_der.clone(),
        pki.ca(inkan_testpki::CaId::SigningCa).cert_der.clone(),
    ];
    let reader = VpcdReader {
        name: "Inkan Bench Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let _pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let card = spawn(
        SocketAddr::from(([127, 0, 0, 1], reader.port)),
        SimCard::new(CardConfig::new(id.key.clone(), id.cert_der.clone(), cas)),
    );
    assert!(card.wait_connected(Duration::from_secs(10)));
    let name = format!("{} 00 00", reader.name);
    inkan_e2e::wait_for(10, "card present", || {
        inkan_card::list_readers()
            .ok()?
            .iter()
            .any(|r| r.name == name && r.card_present)
            .then_some(())
    });

    // Opening: a fresh connection each time (select, EF.OD/AOD/PrKD/CD, 3 certificates).
    let mut open_times = Vec::new();
    let mut open_apdus = 0;
    for _ in 0..30 {
        let t = Instant::now();
        let mut c = PcscCard::new(Some(&name)).expect("reader");
        open_apdus = c.open().expect("open").apdus;
        open_times.push(t.elapsed());
    }

    let mut c = PcscCard::new(Some(&name)).expect("reader");
    c.open().expect("open");
    let pin = Pin::new(Zeroizing::new(inkan_card_sim::TEST_PIN.to_string())).expect("pin");
    let digest = [0x5A; 32];
    let mut sign_times = Vec::new();
    let mut apdus = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let s = c
            .sign_sha256(&pin, LastTry::NotConfirmed, &digest)
            .expect("sign");
        sign_times.push(t.elapsed());
        apdus.push(s.apdus);
    }

    // Peer 1: the same RSA-2048 signature in-process (what the card's chip does).
    let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(id.key.clone());
    let mut rsa_times = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let _: rsa::pkcs1v15::Signature = key.sign_prehash(&digest).expect("rsa sign");
        rsa_times.push(t.elapsed());
    }
    // Peer 2: openssl's RSA-2048 signing speed on this machine.
    let openssl = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "2", "-mr", "rsa2048"])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find(|l| l.starts_with("+F2:"))
                // `+F2:<n>:2048:<sign/s>:<verify/s>` (OpenSSL 3 machine-readable form).
                .and_then(|l| {
                    l.split(':')
                        .nth(3)
                        .and_then(|s| s.trim().parse::<f64>().ok())
                })
                .filter(|per_sec| *per_sec > 0.0)
                .map(|per_sec| 1.0 / per_sec)
        });

    let sign = median(sign_times);
    let rsa_in_process = median(rsa_times);
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| APDUs per signature after open | {} (min {}, max {}) |",
        apdus[0],
        apdus.iter().min().unwrap_or(&0),
        apdus.iter().max().unwrap_or(&0)
    );
    println!("| APDUs to open the card | {open_apdus} |");
    println!(
        "| time per signature through pcscd (median of 100) | {} |",
        ms(sign)
    );
    println!(
        "| in-process RSA-2048 sign, same key (median of 100) | {} |",
        ms(rsa_in_process)
    );
    println!(
        "| ratio signature-through-pcscd / in-process RSA | {:.2} |",
        sign.as_secs_f64() / rsa_in_process.as_secs_f64()
    );
    if let Some(secs) = openssl {
        println!(
            "| openssl rsa2048 sign (same run) | {:.2} ms |",
            secs * 1000.0
        );
        println!(
            "| ratio signature-through-pcscd / openssl rsa2048 sign | {:.2} |",
            sign.as_secs_f64() / secs
        );
    }
    println!(
        "| time to open the card: select + directory + 3 certificates (median of 30) | {} |",
        ms(median(open_times))
    );
}
