//! The HPKI card through a real pcscd: vpcd readers, the simulated card, and
//! Inkan's card crate and CLI.

use inkan_card::{CardError, LastTry, PcscCard, Pin, PinStatus};
use inkan_card_sim::{spawn, CardConfig, Fault, SimCard, SimHandle, SimProfile};
use inkan_e2e::pcscd::{Pcscd, VpcdReader};
use inkan_e2e::{exclusive, workspace_bin};
use sha2::Digest;
use std::net::SocketAddr;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;
use zeroize::Zeroizing;

fn pki() -> Arc<inkan_testpki::TestPki> {
    inkan_testpki::cached(&inkan_testpki::PkiConfig::default())
}

fn config(identity: &str, profile: SimProfile) -> CardConfig {
    let pki = pki();
    let id = pki.identity(identity).expect("identity in the test PKI");
    let cas = vec![
        pki.ca(inkan_testpki::CaId::Root).cert_der.clone(),
        pki.ca(inkan_testpki::CaId::SigningCa).cert_der.clone(),
    ];
    let mut cfg = CardConfig::new(id.key.clone(), id.cert_der.clone(), cas);
    cfg.profile = profile;
    cfg
}

/// pcscd with one vpcd reader and a simulated card inserted in it.
struct Rig {
    card: SimHandle,
    reader: String,
    _pcscd: Pcscd,
    _machine: MutexGuard<'static, ()>,
}

fn rig(cfg: CardConfig) -> Rig {
    let machine = exclusive();
    let reader = VpcdReader {
        name: "Inkan Card Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let card = spawn(
        SocketAddr::from(([127, 0, 0, 1], reader.port)),
        SimCard::new(cfg),
    );
    assert!(
        card.wait_connected(Duration::from_secs(10)),
        "card never reached vpcd"
    );
    let name = format!("{} 00 00", reader.name);
    wait_present(&name);
    Rig {
        card,
        reader: name,
        _pcscd: pcscd,
        _machine: machine,
    }
}

fn wait_present(reader: &str) {
    inkan_e2e::wait_for(10, "pcscd to see the card", || {
        inkan_card::list_readers()
            .ok()?
            .iter()
            .any(|r| r.name == reader && r.card_present)
            .then_some(())
    });
}

fn pin(s: &str) -> Pin {
    Pin::new(Zeroizing::new(s.to_string())).expect("well-formed PIN")
}

fn digest() -> [u8; 32] {
    sha2::Sha256::digest(b"referral letter").into()
}

#[test]
fn jahis_card_certificates_are_read_without_pin() {
    let r = rig(config("doctor", SimProfile::Jahis));
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    let opened = card.open().expect("open").clone();
    assert_eq!(
        opened.certificate,
        pki().identity("doctor").expect("doctor").cert_der
    );
    assert_eq!(
        opened.ca_certificates.len(),
        2,
        "root and issuing CA on the card"
    );
    assert_eq!(
        opened.holder.role.as_ref().map(|r| r.display_ja()),
        Some("医師")
    );
    assert!(opened.holder.is_test);
    assert!(!opened.atr.is_empty());
    assert!(
        matches!(
            opened.layout.source,
            inkan_card::hpki::LayoutSource::Directory
        ),
        "{:?}",
        opened.layout.source
    );
    assert_eq!(opened.layout.pin_p2, 0x96);
    // Nothing in the log is a VERIFY with data.
    assert!(r.card.log().iter().all(|l| l.command.get(1) != Some(&0x20)));
}

/// Both JMA 医師資格証 sequences the document records (miyako/hpki: MSE of
/// four zero bytes and the host-padded PSO; HPKIReader: `80 2A`, the card
/// pads), through pcscd: the PIN EF `0002` is selected before VERIFY and
/// the key EF `000C` before signing.
#[test]
fn jma_card_is_read_through_its_profile() {
    for (profile, signing) in [
        (SimProfile::Jma, [0x00, 0x2A, 0x9E, 0x9A]),
        (SimProfile::JmaCardPads, [0x80, 0x2A, 0x00, 0x80]),
    ] {
        let r = rig(config("dentist", profile));
        let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
        let opened = card.open().expect("open").clone();
        assert_eq!(
            opened.layout.source,
            inkan_card::hpki::LayoutSource::Profile("jma")
        );
        assert_eq!(
            opened.holder.role.as_ref().map(|r| r.display_ja()),
            Some("歯科医師")
        );
        r.card.clear_log();
        let sig = card
            .sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
            .unwrap_or_else(|e| panic!("{profile:?}: {e:?}"));
        assert!(sig.apdus <= 9, "{} APDUs", sig.apdus);
        let log = r.card.log();
        let at = |pred: &dyn Fn(&[u8]) -> bool| log.iter().position(|l| pred(&l.command));
        let select_pin = at(&|c| c.starts_with(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02]));
        let verify = at(&|c| c.get(1) == Some(&0x20) && c.len() > 5);
        let select_key = at(&|c| c.starts_with(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0C]));
        let sign = at(&|c| c.starts_with(&signing));
        assert!(
            select_pin < verify && verify < select_key && select_key < sign && sign.is_some(),
            "{profile:?}: {:?}",
            log.iter().map(|l| l.command.clone()).collect::<Vec<_>>()
        );
        inkan_card::card::verify_with_certificate(
            &pki().identity("dentist").expect("dentist").cert_der,
            &digest(),
            &sig.signature,
        )
        .expect("valid");
    }
}

#[test]
fn card_without_ef_od_falls_back_to_the_jahis_profile() {
    let mut cfg = config("doctor", SimProfile::Jahis);
    cfg.omit_directory = true;
    let r = rig(cfg);
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    let opened = card.open().expect("open").clone();
    assert_eq!(
        opened.layout.source,
        inkan_card::hpki::LayoutSource::Profile("jahis")
    );
    card.sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("signs with the profile's layout");
}

#[test]
fn sign_takes_five_apdus_beginning_with_select_and_verifies() {
    let r = rig(config("doctor", SimProfile::Jahis));
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    card.open().expect("open");
    assert_eq!(
        card.pin_status().expect("status"),
        PinStatus::Tries { tries_left: 15 }
    );
    r.card.clear_log();
    let sig = card
        .sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("sign");
    assert_eq!(
        sig.apdus, 5,
        "SELECT (checked), empty VERIFY, VERIFY, MSE SET, PSO CDS"
    );
    assert_eq!(r.card.log().len(), 5);
    assert_eq!(
        r.card.log()[0].command[1],
        0xA4,
        "the transaction begins with SELECT"
    );
    assert_eq!(sig.signature.len(), 256);
    // The PIN never appears in the card's log.
    assert!(r
        .card
        .log()
        .iter()
        .all(|l| !l.command.windows(4).any(|w| w == b"1234")));
    inkan_card::card::verify_with_certificate(
        &pki().identity("doctor").expect("doctor").cert_der,
        &digest(),
        &sig.signature,
    )
    .expect("signature verifies with the certificate");
}

/// Reading the card (the window polls its status) leaves it as it is, so
/// other programs keep their sessions; only a signing transaction ends with
/// a reset, so that no verified PIN outlives it. The simulator counts the
/// resets pcscd passes on (vpcd `02`).
#[test]
fn reading_the_card_never_resets_it_and_signing_ends_with_one_reset() {
    let r = rig(config("doctor", SimProfile::Jahis));
    for _ in 0..3 {
        let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
        card.open().expect("open");
        card.pin_status().expect("status");
        // Dropped here: disconnected with SCARD_LEAVE_CARD.
    }
    assert_eq!(r.card.resets(), 0, "a status read reset the card");
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    card.sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("sign");
    inkan_e2e::wait_for(5, "the reset after signing", || {
        (r.card.resets() == 1).then_some(())
    });
    // The next status read re-selects and works on the reset card.
    assert_eq!(
        card.pin_status().expect("status after the reset"),
        PinStatus::Tries { tries_left: 15 }
    );
    drop(card);
    assert_eq!(
        r.card.resets(),
        1,
        "only the signing transaction reset the card"
    );
}

/// Another program resets the card (as a signing tool of its own does)
/// between Inkan's operations: a status read reads through it, a signature
/// is refused as a reset (not a removal) with no PIN sent, and the next
/// signature works.
#[test]
fn a_reset_by_another_program_is_read_through_and_reported_apart_from_a_removal() {
    let r = rig(config("doctor", SimProfile::Jahis));
    let other_resets = || {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("context");
        let name = std::ffi::CString::new(r.reader.clone()).expect("name");
        let card = ctx
            .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .expect("connect");
        card.disconnect(pcsc::Disposition::ResetCard)
            .map_err(|(_, e)| e)
            .expect("reset");
    };
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    card.open().expect("open");
    card.pin_status().expect("status");
    other_resets();
    assert_eq!(
        card.pin_status().expect("read through the reset"),
        PinStatus::Tries { tries_left: 15 }
    );
    other_resets();
    r.card.clear_log();
    match card.sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest()) {
        Err(CardError::CardReset) => {
            assert!(
                r.card.log().iter().all(|l| l.command[1] != 0x20),
                "no VERIFY after a reset"
            );
        }
        // pcsc-lite may deliver the reset to a handle only once; then the
        // signature simply works on the re-selected application.
        Ok(_) => {}
        Err(e) => panic!("a reset reported as {e:?}"),
    }
    assert_eq!(r.card.tries_left(), 15);
    card.sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("the next signature works");
}

#[test]
fn wrong_pin_decrements_the_counter_and_is_not_retried() {
    let r = rig(config("doctor", SimProfile::Jahis));
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    r.card.clear_log();
    let e = card
        .sign_sha256(&pin("0000"), LastTry::NotConfirmed, &digest())
        .expect_err("wrong PIN");
    assert!(
        matches!(
            e,
            CardError::WrongPin {
                tries_left: Some(14)
            }
        ),
        "{e:?}"
    );
    let verifies = r
        .card
        .log()
        .iter()
        .filter(|l| l.command.get(1) == Some(&0x20) && l.command.len() > 4)
        .count();
    assert_eq!(verifies, 1, "the PIN was sent exactly once");
    assert_eq!(
        card.pin_status().expect("status"),
        PinStatus::Tries { tries_left: 14 }
    );
    // A correct PIN resets the counter.
    card.sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("sign");
    assert_eq!(
        card.pin_status().expect("status"),
        PinStatus::Tries { tries_left: 15 }
    );
}

#[test]
fn last_try_is_refused_without_confirmation_and_the_card_locks_at_fifteen() {
    let r = rig(config("doctor", SimProfile::Jahis));
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    for left in (1..15).rev() {
        let e = card
            .sign_sha256(&pin("0000"), LastTry::NotConfirmed, &digest())
            .expect_err("wrong PIN");
        assert!(
            matches!(e, CardError::WrongPin { tries_left: Some(n) } if n == left),
            "{e:?}"
        );
    }
    assert_eq!(r.card.tries_left(), 1);
    let sent_before = r.card.log().len();
    let e = card
        .sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect_err("refused");
    assert!(matches!(e, CardError::LastTryNotConfirmed), "{e:?}");
    assert!(
        r.card.log()[sent_before..]
            .iter()
            .all(|l| !(l.command.get(1) == Some(&0x20) && l.command.len() > 4)),
        "no PIN was sent"
    );
    assert_eq!(r.card.tries_left(), 1);
    let e = card
        .sign_sha256(&pin("0000"), LastTry::Confirmed, &digest())
        .expect_err("last try wrong");
    assert!(
        matches!(
            e,
            CardError::PinBlocked
                | CardError::WrongPin {
                    tries_left: Some(0)
                }
        ),
        "{e:?}"
    );
    assert_eq!(card.pin_status().expect("status"), PinStatus::Blocked);
    let e = card
        .sign_sha256(&pin("1234"), LastTry::Confirmed, &digest())
        .expect_err("locked");
    assert!(matches!(e, CardError::PinBlocked), "{e:?}");
}

#[test]
fn card_vanishing_mid_sign_is_card_removed_and_no_signature() {
    let r = rig(config("doctor", SimProfile::Jahis));
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    card.open().expect("open");
    // Vanish on the PSO CDS (4th APDU): the PIN was accepted, no signature comes back.
    r.card.inject(Fault::VanishOnApdu(4));
    let e = card
        .sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect_err("card vanished");
    assert!(matches!(e, CardError::CardRemoved), "{e:?}");
    assert_eq!(
        r.card.log().last().and_then(|l| l.sw),
        None,
        "the PSO got no answer"
    );
    // The next operation does not reuse a half-open session: it reports the card gone.
    let e = card.pin_status().expect_err("card is out");
    assert!(e.is_removal(), "{e:?}");
}

#[test]
fn chaining_is_used_when_extended_length_is_refused() {
    let mut cfg = config("doctor", SimProfile::Jahis);
    cfg.extended_length = false;
    let r = rig(cfg);
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    card.open().expect("certificate read in 256-byte chunks");
    r.card.clear_log();
    card.sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("sign with command chaining");
    assert!(
        r.card
            .log()
            .iter()
            .any(|l| l.command.first() == Some(&0x10)),
        "a chained PSO CDS was sent"
    );
}

#[test]
fn two_readers_two_cards_at_once() {
    let _machine = exclusive();
    // One vpcd entry exposes two PC/SC readers: slot 00 00 on port P, 00 01 on P+1.
    let reader = VpcdReader {
        name: "Inkan Dual Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let _pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let a = spawn(
        SocketAddr::from(([127, 0, 0, 1], reader.port)),
        SimCard::new(config("doctor", SimProfile::Jahis)),
    );
    let b = spawn(
        SocketAddr::from(([127, 0, 0, 1], reader.port + 1)),
        SimCard::new(config("pharmacist", SimProfile::Jahis)),
    );
    assert!(a.wait_connected(Duration::from_secs(10)) && b.wait_connected(Duration::from_secs(10)));
    wait_present("Inkan Dual Reader 00 00");
    wait_present("Inkan Dual Reader 00 01");
    let mut one = PcscCard::new(Some("Inkan Dual Reader 00 00")).expect("reader one");
    let mut two = PcscCard::new(Some("Inkan Dual Reader 00 01")).expect("reader two");
    assert_eq!(
        one.open()
            .expect("open")
            .holder
            .role
            .as_ref()
            .map(|r| r.text.clone()),
        Some("Medical Doctor".into())
    );
    assert_eq!(
        two.open()
            .expect("open")
            .holder
            .role
            .as_ref()
            .map(|r| r.text.clone()),
        Some("Pharmacist".into())
    );
    one.sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("sign one");
    two.sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("sign two");
}

#[test]
fn cli_card_commands_with_the_simulator_binary() {
    let _machine = exclusive();
    let dir = inkan_e2e::fresh_dir("cli-pki");
    let inkan = workspace_bin("inkan");
    let out = std::process::Command::new(&inkan)
        .args(["testpki", "generate", "--out"])
        .arg(&dir)
        .output()
        .expect("run inkan testpki");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reader = VpcdReader {
        name: "Inkan CLI Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let _pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let _sim = inkan_e2e::start_sim_binary(&dir, "doctor", &reader);
    let run = |args: &[&str], stdin: &str| inkan_e2e::run_inkan(args, stdin, &[]);
    let (code, out, err) = run(&["card", "status", "--lang", "ja"], "");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("医師") && out.contains("テスト") && out.contains("TEST"),
        "{out}"
    );
    let (code, out, _) = run(&["card", "pin-status", "--lang", "en"], "");
    assert_eq!(code, 0);
    assert!(out.contains("15"), "{out}");
    let (code, out, err) = run(
        &["card", "sign-digest", "--pin-stdin", "--lang", "en"],
        "1234\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("verifies") && out.contains("5 APDUs"), "{out}");
    let (code, _, err) = run(
        &["card", "sign-digest", "--pin-stdin", "--lang", "en"],
        "4321\n",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("card.pin_wrong") && err.contains("14"),
        "{err}"
    );
    let certs = inkan_e2e::fresh_dir("cli-certs");
    let (code, _, err) = run(
        &[
            "card",
            "certs",
            "--out",
            certs.to_str().expect("utf-8 path"),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(certs.join("signing.pem").exists() && certs.join("ca-2.pem").exists());
}

#[test]
fn removed_card_is_seen_again_after_reinsertion() {
    let r = rig(config("doctor", SimProfile::Jahis));
    let mut card = PcscCard::new(Some(&r.reader)).expect("reader");
    card.open().expect("open");
    r.card.remove();
    inkan_e2e::wait_for(10, "pcscd to see the removal", || {
        inkan_card::list_readers()
            .ok()?
            .iter()
            .any(|x| x.name == r.reader && !x.card_present)
            .then_some(())
    });
    let e = card.pin_status().expect_err("no card");
    assert!(e.is_removal(), "{e:?}");
    r.card.insert();
    wait_present(&r.reader);
    let sig = card
        .sign_sha256(&pin("1234"), LastTry::NotConfirmed, &digest())
        .expect("reconnects, re-selects and signs");
    assert_eq!(sig.signature.len(), 256);
}

#[test]
fn watcher_reports_removal_and_insertion() {
    let r = rig(config("doctor", SimProfile::Jahis));
    let mut w = inkan_card::watch::Watcher::new().expect("watcher");
    assert!(w
        .readers()
        .iter()
        .any(|x| x.name == r.reader && x.card_present));
    let mut seen = Vec::new();
    let mut wait = |w: &mut inkan_card::watch::Watcher,
                    want: &dyn Fn(&inkan_card::watch::ReaderEvent) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Some(events) = w.next(Duration::from_millis(500)).expect("status change") {
                if events.iter().any(want) {
                    return;
                }
                seen.extend(events);
            }
        }
        panic!("event not seen; got {seen:?}");
    };
    r.card.remove();
    wait(
        &mut w,
        &|e| matches!(e, inkan_card::watch::ReaderEvent::Removed(x) if x.name == r.reader),
    );
    r.card.insert();
    wait(
        &mut w,
        &|e| matches!(e, inkan_card::watch::ReaderEvent::Inserted(x) if x.name == r.reader && x.atr.is_some()),
    );
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The PIN goes to the card once, as the data of the signing application's
/// VERIFY, and nowhere else: not in another command on the wire, not in
/// anything the CLI prints, not in any file it writes (the signature, the
/// history, the signing log). Checked on the raw transport and on the
/// client's side, because the card's own log is redacted by the simulator.
#[test]
fn the_pin_travels_once_in_verify_and_nowhere_else() {
    const SECRET: &str = "90817263";
    let mut cfg = config("doctor", SimProfile::Jahis);
    cfg.pin = SECRET.as_bytes().to_vec();
    let r = rig(cfg);
    let dir = inkan_e2e::fresh_dir("pin-travels");
    let letter = dir.join("letter.xml");
    let s = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_string();
    let (data, config, cache) = (dir.join("data"), dir.join("config"), dir.join("cache"));
    let env = [
        ("XDG_DATA_HOME", data.as_path()),
        ("XDG_CONFIG_HOME", config.as_path()),
        ("XDG_CACHE_HOME", cache.as_path()),
        ("RUST_BACKTRACE", std::path::Path::new("full")),
    ];
    inkan_e2e::example_letter(&letter, &env);
    r.card.tap_wire();
    let mut printed = String::new();
    // A wrong PIN first (its try is spent and reported), then the right one.
    let (code, out, err) = inkan_e2e::run_inkan(
        &["sign", &s(&letter), "--pin-stdin", "--reader", &r.reader],
        "90817260\n",
        &env,
    );
    assert_ne!(code, 0, "a wrong PIN signs nothing");
    printed.push_str(&(out + &err));
    let (code, out, err) = inkan_e2e::run_inkan(
        &[
            "sign",
            &s(&letter),
            "--pin-stdin",
            "--reader",
            &r.reader,
            "--lang",
            "en",
        ],
        &format!("{SECRET}\n"),
        &env,
    );
    assert_eq!(code, 0, "sign: {out}{err}");
    printed.push_str(&(out + &err));

    let wire = r.card.wire();
    let carrying: Vec<&Vec<u8>> = wire
        .iter()
        .filter(|c| holds(c, SECRET.as_bytes()))
        .collect();
    assert_eq!(
        carrying.len(),
        1,
        "the PIN on the wire {} times",
        carrying.len()
    );
    let verify = carrying[0];
    assert_eq!(
        verify[..5],
        [0x00, 0x20, 0x00, 0x96, 8],
        "VERIFY of the signing PIN"
    );
    assert_eq!(
        &verify[5..13],
        SECRET.as_bytes(),
        "the PIN is the whole data"
    );
    assert_eq!(verify.len(), 13);
    // The wrong PIN travelled once too, and only in VERIFY.
    let wrong: Vec<&Vec<u8>> = wire.iter().filter(|c| holds(c, b"90817260")).collect();
    assert_eq!(wrong.len(), 1);
    assert_eq!(wrong[0][1], 0x20);
    assert!(r
        .card
        .log()
        .iter()
        .all(|l| !holds(&l.command, SECRET.as_bytes())));

    assert!(!printed.contains(SECRET), "printed: {printed}");
    let written = files_under(&dir);
    assert!(
        written
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "p7s")),
        "the signature is among the files checked: {written:?}"
    );
    assert!(
        written
            .iter()
            .any(|p| p.to_string_lossy().contains("inkan") && p.starts_with(&data)),
        "the app's data (history, signing log) is among the files checked: {written:?}"
    );
    for p in &written {
        let bytes = std::fs::read(p).expect("read");
        assert!(
            !holds(&bytes, SECRET.as_bytes()),
            "the PIN is in {}",
            p.display()
        );
    }
}
