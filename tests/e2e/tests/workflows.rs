//! The physician's and the receiving doctor's work in the real Inkan window:
//! WebKit via tauri-driver under Xvfb, the simulated HPKI card through a real
//! pcscd, CRLs from a loopback server. Every screen is saved as a screenshot.

use inkan_card_sim::{spawn, CardConfig, Fault, SimCard, SimHandle};
use inkan_e2e::pcscd::{Pcscd, VpcdReader};
use inkan_e2e::webdriver::{Session, TauriDriver};
use inkan_e2e::xvfb::Xvfb;
use inkan_e2e::{exclusive, fresh_dir, output_dir, workspace_bin};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;
use std::time::Duration;

struct Rig {
    s: Session,
    card: SimHandle,
    /// Cards in further readers (the reader-picker test).
    _more_cards: Vec<SimHandle>,
    dir: PathBuf,
    _driver: TauriDriver,
    _x: Xvfb,
    _crls: inkan_testpki::CrlServer,
    /// A TSA under the TEST root, for the settings test.
    tsa: inkan_testpki::TsaServer,
    _pcscd: Pcscd,
    _machine: MutexGuard<'static, ()>,
    /// The app's environment, for a restart.
    env: Vec<(String, String)>,
}

impl Rig {
    /// Quits the app and starts it again on the same profile.
    fn restart(self) -> Rig {
        let Rig {
            s,
            _driver,
            _x,
            env,
            ..
        } = self;
        drop(s);
        drop(_driver);
        let env_ref: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let driver = TauriDriver::start_with_env(&_x.display, &self.dir.join("profile"), &env_ref);
        let s = Session::new(&driver, &workspace_bin("inkan-app"));
        Rig {
            s,
            _driver: driver,
            _x,
            env,
            ..self
        }
    }
}

fn rig(name: &str) -> Rig {
    rig_readers(name, &["doctor"])
}

fn rig_readers(name: &str, identities: &[&str]) -> Rig {
    rig_with(name, identities, &[])
}

/// A TEST card per identity (two slots of one vpcd reader), and the app
/// with `env` added.
fn rig_with(name: &str, identities: &[&str], env: &[(&str, &str)]) -> Rig {
    rig_pin(name, identities, env, inkan_card_sim::TEST_PIN)
}

/// [`rig_with`], the cards' PIN being `pin`.
fn rig_pin(name: &str, identities: &[&str], env: &[(&str, &str)], pin: &str) -> Rig {
    let machine = exclusive();
    let dir = fresh_dir(name);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let pki = inkan_testpki::generate(&inkan_testpki::PkiConfig::default().with_crl_port(port))
        .expect("test PKI");
    let pki_dir = dir.join("pki");
    pki.write_to(&pki_dir).expect("write PKI");
    let crls = inkan_testpki::CrlServer::start(listener, &pki).expect("CRL server");
    let tsa = inkan_testpki::TsaServer::start(inkan_testpki::TestTsa::new(&pki).expect("TSA"))
        .expect("TSA server");
    // One vpcd entry has two slots: `… 00 00` on port P, `… 00 01` on P+1.
    assert!(identities.len() <= 2, "one vpcd entry holds two cards");
    let reader = VpcdReader {
        name: "Inkan Window Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let mut cards: Vec<SimHandle> = identities
        .iter()
        .enumerate()
        .map(|(slot, who)| {
            let id = pki.identity(who).expect("identity");
            let mut cfg = CardConfig::new(
                id.key.clone(),
                id.cert_der.clone(),
                vec![
                    pki.ca(inkan_testpki::CaId::Root).cert_der.clone(),
                    pki.ca(inkan_testpki::CaId::SigningCa).cert_der.clone(),
                ],
            );
            cfg.pin = pin.as_bytes().to_vec();
            let card = spawn(
                SocketAddr::from(([127, 0, 0, 1], reader.port + slot as u16)),
                SimCard::new(cfg),
            );
            assert!(card.wait_connected(Duration::from_secs(10)));
            card
        })
        .collect();
    let card = cards.remove(0);
    let x = Xvfb::start();
    let pki_str = pki_dir.to_str().expect("utf-8 path").to_string();
    let env: Vec<(&str, &str)> = [&[("INKAN_TEST_PKI", pki_str.as_str())], env].concat();
    let driver = TauriDriver::start_with_env(&x.display, &dir.join("profile"), &env);
    let env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let s = Session::new(&driver, &workspace_bin("inkan-app"));
    std::fs::create_dir_all(dir.join("out")).expect("out dir");
    Rig {
        s,
        card,
        _more_cards: cards,
        dir,
        _driver: driver,
        _x: x,
        _crls: crls,
        tsa,
        _pcscd: pcscd,
        _machine: machine,
        env,
    }
}

/// The verdict an element carries in `data-indication`.
fn indication(s: &Session, css: &str) -> String {
    s.execute(
        "const e = document.querySelector(arguments[0]); return e ? (e.dataset.indication || '') : '';",
        serde_json::json!([css]),
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

fn shot(s: &Session, name: &str) {
    s.screenshot(&output_dir().join(format!("{name}.png")));
}

fn path(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}

/// Opens Compose, waits for the example letter's preview, sets the output folder.
fn compose(r: &Rig) {
    r.s.click_css("#tab-compose");
    r.s.wait_text("#letter-preview", 20, |t| t.contains("診療情報提供書"));
    r.s.wait_text("#problem-count", 10, |t| t.contains("問題はありません"));
    r.s.set_value("#out-dir", &path(&r.dir.join("out")));
}

fn open_pin_dialog(r: &Rig) -> String {
    r.s.click_css("#sign-button");
    r.s.wait_text("#pin-dialog-tries", 15, |t| {
        t.contains("残り試行回数") && !t.contains("確認中")
    })
}

fn enter_pin(r: &Rig, pin: &str) {
    r.s.set_value("#pin-input", pin);
    r.s.click_css("#pin-submit");
}

/// Opens the verify page on the letter signed into `folder`.
fn verify_signed_letter(r: &Rig, folder: &str) {
    let letter = std::fs::read_dir(r.dir.join(folder))
        .expect("output folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e != "p7s"))
        .expect("letter");
    r.s.click_css("#tab-verify");
    r.s.set_value("#verify-path", &path(&letter));
    r.s.click_css("#verify-button");
}

fn out_files(r: &Rig) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(r.dir.join("out"))
        .expect("out dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn compose_sign_verify_shows_valid_then_tampered_shows_invalid() {
    let r = rig("wf-sign-verify");
    r.s.wait_text("#holder-role", 20, |t| t.contains("医師"));
    r.s.wait_text("#test-badge", 10, |t| t.contains("TEST"));
    // The certificate's validity in Japan time with the era, not raw UTC.
    let validity = r.s.wait_text("#holder-validity", 10, |t| !t.is_empty());
    assert!(
        validity.contains("年") && validity.contains("（令和") && !validity.contains(":00Z"),
        "{validity}"
    );
    shot(&r.s, "01-card-panel");

    compose(&r);
    shot(&r.s, "02-compose");
    let tries = open_pin_dialog(&r);
    assert!(tries.contains("15"), "{tries}");
    shot(&r.s, "03-pin-dialog");
    enter_pin(&r, "1234");
    let done =
        r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    shot(&r.s, "04-signed");
    let files = out_files(&r);
    assert_eq!(files.len(), 2, "letter + signature: {files:?} ({done})");
    let letter = r.dir.join("out").join(
        files
            .iter()
            .find(|f| !f.ends_with(".p7s"))
            .expect("letter file"),
    );
    assert!(r
        .dir
        .join("out")
        .join(format!(
            "{}.p7s",
            letter.file_name().expect("name").to_string_lossy()
        ))
        .exists());

    r.s.click_css("#tab-verify");
    r.s.set_value("#verify-path", &path(&letter));
    r.s.click_css("#verify-button");
    let banner = r.s.wait_text("#verify-results .banner", 30, |t| {
        t.contains("有効") || t.contains("無効") || t.contains("判定不能")
    });
    // The verdict from the banner's data, not the word 有効 (which is also
    // inside 有効期限).
    assert_eq!(
        indication(&r.s, "#verify-results .banner"),
        "TOTAL_PASSED",
        "{banner}"
    );
    assert!(banner.contains("TEST"), "{banner}");
    let facts = r.s.wait_text(".verify-result .facts", 5, |t| !t.is_empty());
    assert!(facts.contains("医師"), "{facts}");
    shot(&r.s, "05-verify-valid");

    // One byte changed on disk.
    let mut bytes = std::fs::read(&letter).expect("letter");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&letter, bytes).expect("tamper");
    r.s.click_css("#verify-button");
    let banner =
        r.s.wait_text("#verify-results .banner", 30, |t| t.contains("無効"));
    assert_eq!(
        indication(&r.s, "#verify-results .banner"),
        "TOTAL_FAILED",
        "{banner}"
    );
    // Said in words; the ETSI code only in the details.
    assert!(
        !banner.contains("HASH_FAILURE") && !banner.contains("TOTAL_"),
        "{banner}"
    );
    let facts = r.s.wait_text(".verify-result .facts", 5, |t| !t.is_empty());
    assert!(facts.contains("HASH_FAILURE"), "{facts}");
    shot(&r.s, "06-verify-tampered");

    r.s.click_css("#tab-history");
    let hist = r.s.wait_text("#history-table", 10, |t| {
        t.contains("署名") && t.contains("無効")
    });
    assert!(hist.contains("有効"), "{hist}");
    // Japan time, not the stored UTC.
    assert!(
        hist.contains("年") && hist.contains("（令和") && !hist.contains(":00Z"),
        "{hist}"
    );
    // The signing log: every signature and verification, chained.
    let audit = r.s.wait_text("#audit-state", 10, |t| !t.is_empty());
    assert!(audit.contains("改ざんなし"), "{audit}");
    shot(&r.s, "07-history");
}

/// The time-stamp authority set in the window: the next signature gets a
/// time-stamp (level T), the result says so, and verification shows the
/// stamped signing time and the level. Before, signing says it has none.
#[test]
fn tsa_set_in_the_window_stamps_the_signature_and_verification_shows_it() {
    let r = rig("wf-tsa");
    r.s.wait_text("#holder-role", 20, |t| t.contains("医師"));

    // Without a TSA: level B, and the window says why.
    compose(&r);
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    let done =
        r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    assert!(
        done.contains("タイムスタンプ局が設定されていない"),
        "{done}"
    );
    shot(&r.s, "21-signed-without-tsa");

    r.s.click_css("#tab-diagnostics");
    r.s.wait_text("#tsa-heading", 10, |t| t.contains("タイムスタンプ局"));
    r.s.set_value("#tsa-url", &r.tsa.url());
    r.s.set_value("#tsa-trust", &path(&r.dir.join("pki").join("root.pem")));
    r.s.click_css("#tsa-form button[type=submit]");
    r.s.wait_text(".tsa-trust", 10, |t| t.contains("Root"));
    shot(&r.s, "22-tsa-settings");

    // The next signature is stamped (a second letter: a new number).
    r.s.click_css("#tab-compose");
    r.s.wait_text("#letter-preview", 20, |t| t.contains("診療情報提供書"));
    r.s.set_value("#out-dir", &path(&r.dir.join("out2")));
    std::fs::create_dir_all(r.dir.join("out2")).expect("out2");
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    // The stamped result replaces the first one.
    let done = r.s.wait_text(".sign-timestamp", 30, |t| t.contains("T"));
    let banner =
        r.s.wait_text("#sign-result", 5, |t| t.contains("署名しました"));
    assert!(!banner.contains("設定されていない"), "{banner}");
    assert!(
        done.contains("Inkan TEST Time-Stamping Authority") && done.contains("（日本時間）"),
        "{done}"
    );
    shot(&r.s, "23-signed-with-time-stamp");

    verify_signed_letter(&r, "out2");
    let banner = r.s.wait_text("#verify-results .banner", 30, |t| {
        t.contains("有効") || t.contains("判定不能")
    });
    assert_eq!(
        indication(&r.s, "#verify-results .banner"),
        "TOTAL_PASSED",
        "{banner}"
    );
    let facts = r.s.wait_text(".verify-result .facts", 5, |t| !t.is_empty());
    assert!(
        facts.contains("署名時刻（タイムスタンプ）")
            && facts.contains("B-T")
            && facts.contains("（日本時間）"),
        "{facts}"
    );
    shot(&r.s, "24-verify-with-time-stamp");
}

#[test]
fn wrong_pin_shows_the_tries_left_going_down_and_writes_nothing() {
    let r = rig("wf-wrong-pin");
    compose(&r);
    let tries = open_pin_dialog(&r);
    assert!(tries.contains("15"), "{tries}");
    enter_pin(&r, "9999");
    let err = r.s.wait_text("#pin-error", 20, |t| !t.is_empty());
    assert!(err.contains("残り 14 回"), "{err}");
    let tries = r.s.wait_text("#pin-dialog-tries", 10, |t| t.contains("14"));
    assert!(tries.contains("14"), "{tries}");
    shot(&r.s, "08-wrong-pin");
    enter_pin(&r, "8888");
    r.s.wait_text("#pin-dialog-tries", 20, |t| t.contains("13"));
    assert!(out_files(&r).is_empty(), "nothing written after wrong PINs");
    assert_eq!(r.card.tries_left(), 13);
}

#[test]
fn card_removed_during_signing_shows_the_error_and_writes_no_file() {
    let r = rig("wf-removed");
    compose(&r);
    open_pin_dialog(&r);
    // The card goes away when it receives PSO COMPUTE DIGITAL SIGNATURE.
    r.card.inject(Fault::VanishOnIns(0x2A));
    enter_pin(&r, "1234");
    let err = r.s.wait_text("#pin-error", 30, |t| !t.is_empty());
    assert!(err.contains("取り外され"), "{err}");
    shot(&r.s, "09-card-removed");
    assert!(
        out_files(&r).is_empty(),
        "no file after removal: {:?}",
        out_files(&r)
    );
}

/// `n` letters signed by the TEST doctor in `<rig>/received`, the one at
/// `tampered` changed after signing.
fn received_letters(r: &Rig, n: usize, tampered: Option<usize>) -> PathBuf {
    let pki = inkan_testpki::TestPki::load(&r.dir.join("pki")).expect("load PKI");
    let folder = r.dir.join("received");
    std::fs::create_dir_all(&folder).expect("folder");
    let doctor = pki.identity("doctor").expect("doctor");
    let mut signer = inkan_cades::SoftwareSigner::new(doctor.cert_der.clone(), doctor.key.clone());
    let opts = inkan_cades::SignOptions {
        attached: false,
        signing_time: std::time::SystemTime::now(),
        extra_certificates: vec![pki.ca(inkan_testpki::CaId::SigningCa).cert_der.clone()],
    };
    for i in 0..n {
        let name = format!("letter-{i:02}.xml");
        let content = format!("<letter n=\"{i}\">紹介状</letter>");
        let sig = inkan_cades::sign(content.as_bytes(), &mut signer, &opts).expect("sign");
        let on_disk = if Some(i) == tampered {
            content.replace("紹介状", "改ざん")
        } else {
            content
        };
        std::fs::write(folder.join(&name), on_disk).expect("write");
        std::fs::write(folder.join(format!("{name}.p7s")), sig).expect("write sig");
    }
    folder
}

#[test]
fn batch_verification_of_twenty_files_shows_progress_and_the_table() {
    let r = rig("wf-batch");
    // Letter 07 is changed after signing.
    let folder = received_letters(&r, 20, Some(7));
    r.s.click_css("#tab-verify");
    // Every value the progress shows, recorded as it changes (not only the end).
    r.s.execute(
        "window.__progress = [];\
         new MutationObserver(() => {\
           const e = document.querySelector('#batch-progress-text');\
           const v = e ? e.textContent.trim() : null;\
           if (v && window.__progress[window.__progress.length - 1] !== v) window.__progress.push(v);\
         }).observe(document.body, { subtree: true, childList: true, characterData: true });\
         return true;",
        serde_json::json!([]),
    );
    r.s.set_value("#verify-dir", &path(&folder));
    r.s.click_css("#verify-folder-button");
    let table =
        r.s.wait_text("#batch-table", 60, |t| t.contains("letter-19"));
    // Counted by each row's verdict, not by words in the text.
    let rows = r.s.execute(
        "return Array.from(document.querySelectorAll('#batch-table tbody tr')).map(r => r.dataset.indication);",
        serde_json::json!([]),
    );
    let rows: Vec<&str> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(rows.len(), 20, "{table}");
    // Reasons in Japanese words, never an ETSI code.
    assert!(
        !["HASH_FAILURE", "TOTAL_", "INDETERMINATE", "_"]
            .iter()
            .any(|c| table.contains(c)),
        "{table}"
    );
    assert_eq!(
        rows.iter().filter(|i| **i == "TOTAL_PASSED").count(),
        19,
        "{table}"
    );
    assert_eq!(
        rows.iter().filter(|i| **i == "TOTAL_FAILED").count(),
        1,
        "{table}"
    );
    let progress = r.s.wait_text("#batch-progress-text", 10, |t| !t.is_empty());
    assert_eq!(progress.trim(), "20 / 20");
    // The bar moved through the batch: counts only go up, by file, to 20.
    let seen =
        r.s.execute("return window.__progress;", serde_json::json!([]));
    let seen: Vec<u64> = seen
        .as_array()
        .expect("progress values")
        .iter()
        .filter_map(|v| v.as_str()?.split(" / ").next()?.parse().ok())
        .collect();
    assert!(seen.len() >= 3, "progress shown only as {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&20), "{seen:?}");
    assert!(seen.iter().all(|n| *n <= 20), "{seen:?}");
    shot(&r.s, "10-batch");
    let export = r.dir.join("reports.json");
    r.s.set_value("#export-path", &path(&export));
    r.s.execute(
        "document.querySelector('#export-path').form.requestSubmit(); return true;",
        serde_json::json!([]),
    );
    inkan_e2e::wait_for(10, "the exported reports", || export.exists().then_some(()));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&export).expect("export")).expect("JSON");
    assert_eq!(v.as_array().map(Vec::len), Some(20));
}

/// What you see is what you sign: an attachment added to the letter is
/// listed in the preview with its size and SHA-256, and the signed manifest
/// is shown. The PIN dialog warns when few tries are left.
#[test]
fn the_preview_lists_the_attachments_it_signs_and_few_tries_are_warned() {
    use sha2::Digest as _;
    let r = rig("wf-preview-attachments");
    compose(&r);
    let pdf = r.dir.join("scan.pdf");
    let bytes = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    std::fs::write(&pdf, bytes).expect("pdf");
    r.s.set_value("#attach-path", &path(&pdf));
    // The button may sit under the sticky sign bar: clicked as a user's
    // keyboard would (it is a plain button).
    r.s.execute(
        "document.querySelector('#attach-add').click(); return null;",
        serde_json::json!([]),
    );
    let table =
        r.s.wait_text("#preview-attachments", 20, |t| t.contains("scan.pdf"));
    let hash: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(table.contains(&hash), "{table}");
    assert!(
        r.s.find("#preview-manifest").is_some(),
        "the signed manifest is shown"
    );
    shot(&r.s, "preview-attachments");

    r.card.set_tries_left(3);
    let tries = open_pin_dialog(&r);
    assert!(tries.contains('3'), "{tries}");
    let warn = r.s.wait_text("#pin-few-tries", 5, |t| !t.is_empty());
    assert!(warn.contains("少なく"), "{warn}");
    shot(&r.s, "pin-few-tries");
}

/// Two readers hold cards: the card panel offers a choice, and the
/// signature is made by the card chosen (a 歯科医師's here), whatever the
/// other reader holds.
#[test]
fn with_two_cards_the_chosen_reader_signs() {
    let r = rig_readers("wf-two-readers", &["doctor", "dentist"]);
    let picker = r.s.wait_text("#reader-picker", 20, |t| {
        t.matches("Inkan Window Reader").count() == 2
    });
    assert!(picker.contains("Inkan Window Reader"), "{picker}");
    shot(&r.s, "reader-picker");
    // The panel shows the card of the reader it picked; choose the other
    // reader when that is not the 歯科医師's.
    let role = r.s.wait_text("#holder-role", 20, |t| !t.is_empty());
    if !role.contains("歯科医師") {
        r.s.execute(
            "const radio = Array.from(document.querySelectorAll('#reader-picker input'))\
               .find(i => !i.checked);\
             radio.click(); return null;",
            serde_json::json!([]),
        );
        r.s.wait_text("#holder-role", 20, |t| t.contains("歯科医師"));
    }
    compose(&r);
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    verify_signed_letter(&r, "out");
    r.s.wait_text("#verify-results .banner", 30, |t| {
        t.contains("有効") || t.contains("無効")
    });
    let facts = r.s.wait_text(".verify-result .facts", 5, |t| !t.is_empty());
    assert!(
        facts.contains("歯科医師"),
        "signed by the chosen card: {facts}"
    );
    assert_eq!(r.card.tries_left(), 15, "the other card was not used");
}

/// The window writes only where the user chose, in a native dialog: a typed
/// output folder is refused before the card is touched, and the app's data
/// folder (history, signing log, settings) is never a destination.
#[test]
fn typed_destinations_and_the_data_folder_are_refused() {
    let r = rig_with(
        "wf-destinations",
        &["doctor"],
        &[("INKAN_TEST_TYPED_DESTINATIONS", "0")],
    );
    compose(&r);
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    let err = r.s.wait_text("#pin-error", 20, |t| !t.is_empty());
    assert!(err.contains("参照"), "{err}");
    assert_eq!(r.card.tries_left(), 15, "refused before the card");
    assert!(out_files(&r).is_empty());
    shot(&r.s, "destination-refused");
}

#[test]
fn the_app_data_folder_is_never_a_destination() {
    let r = rig("wf-data-folder");
    compose(&r);
    let data = r.dir.join("profile/data/jp.inkan.desktop");
    assert!(data.is_dir(), "the app made its data folder");
    r.s.set_value("#out-dir", &path(&data));
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    let err = r.s.wait_text("#pin-error", 20, |t| !t.is_empty());
    assert!(err.contains("データ・設定フォルダ"), "{err}");
    assert_eq!(r.card.tries_left(), 15);
    assert!(!std::fs::read_dir(&data)
        .expect("data")
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("referral")));
}

/// The PIN travels from the dialog to Rust once and leaves no trace in the
/// window: not in any field, the page, the web storage or a global variable,
/// not in the app's output, and not in any file the app wrote (history,
/// signing log, settings, the signed files).
#[test]
fn the_pin_leaves_no_trace_in_the_window_or_its_files() {
    // 16 characters: longer than what a freed heap chunk's header overwrites.
    const SECRET: &str = "9081726354019283";
    let r = rig_pin("wf-pin-trace", &["doctor"], &[], SECRET);
    compose(&r);
    open_pin_dialog(&r);
    enter_pin(&r, SECRET);
    r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    let found = r.s.execute(
        "const pin = arguments[0], hits = [];\
         document.querySelectorAll('input, textarea').forEach(e => { if ((e.value || '').includes(pin)) hits.push('field ' + e.id); });\
         if (document.documentElement.outerHTML.includes(pin)) hits.push('page');\
         for (const st of [localStorage, sessionStorage]) for (let i = 0; i < st.length; i++) { const k = st.key(i); if ((k + st.getItem(k)).includes(pin)) hits.push('storage ' + k); }\
         for (const k of Object.getOwnPropertyNames(window)) { try { const v = window[k]; \
           if (typeof v === 'string' && v.includes(pin)) hits.push('window.' + k); \
           else if (v && typeof v === 'object' && !(v instanceof Node) && v !== window) { const j = JSON.stringify(v); if (j && j.includes(pin)) hits.push('window.' + k); } \
         } catch (e) {} }\
         return hits;",
        serde_json::json!([SECRET]),
    );
    assert_eq!(
        found,
        serde_json::json!([]),
        "the PIN is kept in the window"
    );
    // Nor in the UI's wasm memory: its copy was wiped, not only freed.
    let (tail, known) = (&SECRET[8..], "PIN を入力して署名");
    let in_wasm = r.s.execute_async(&format!(
        "const done = arguments[arguments.length - 1];\
         wasmBindings.default().then(w => {{\
           const m = new Uint8Array(w.memory.buffer), enc = new TextEncoder();\
           const count = s => {{ const p = enc.encode(s); let n = 0;\
             outer: for (let i = 0; i + p.length <= m.length; i++) {{\
               for (let j = 0; j < p.length; j++) if (m[i + j] !== p[j]) continue outer;\
               n++;\
             }} return n; }};\
           done({{ hits: count('{tail}'), known: count('{known}'), size: m.length }});\
         }}, e => done({{ error: String(e) }}));"
    ));
    // The scan finds what is there (a text of the UI's own)…
    assert!(in_wasm["known"].as_u64().unwrap_or(0) > 0, "{in_wasm}");
    // …and not the PIN's second half, which a freed, unwiped buffer keeps
    // (the allocator writes its links over the first bytes).
    assert_eq!(
        in_wasm["hits"], 0,
        "the PIN is in the wasm memory: {in_wasm}"
    );
    // The dialog's field was emptied, not only hidden.
    let pin_fields = r.s.execute(
        "return Array.from(document.querySelectorAll('input[type=password]')).map(e => e.value);",
        serde_json::json!([]),
    );
    assert!(
        pin_fields
            .as_array()
            .is_some_and(|v| v.iter().all(|x| x == "")),
        "{pin_fields}"
    );
    let log = r._driver.log();
    assert!(!log.contains(SECRET), "the PIN is in the app's output");
    let mut checked = 0;
    let mut todo = vec![r.dir.join("profile"), r.dir.join("out")];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                checked += 1;
                assert!(
                    !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                    "the PIN is in {}",
                    p.display()
                );
            }
        }
    }
    assert!(
        checked >= 4,
        "the signed files and the app's data were read"
    );
}

/// Saving the verification reports never replaces the app's own databases
/// (the history, the signing log), nor any file the save dialog did not
/// confirm; a new file in an ordinary folder is written.
#[test]
fn an_export_cannot_overwrite_the_history_database() {
    let r = rig("wf-export-guard");
    let folder = received_letters(&r, 2, None);
    r.s.click_css("#tab-verify");
    r.s.set_value("#verify-dir", &path(&folder));
    r.s.click_css("#verify-folder-button");
    r.s.wait_text("#batch-table", 60, |t| t.contains("letter-01"));
    let data = r.dir.join("profile/data/jp.inkan.desktop");
    let export_to = |target: &Path| {
        r.s.set_value("#export-path", &path(target));
        r.s.execute(
            "document.querySelector('#export-path').form.requestSubmit(); return true;",
            serde_json::json!([]),
        );
        r.s.wait_text("#export-result", 10, |t| !t.is_empty())
    };
    for db in ["history.sqlite3", "audit.sqlite3", "audit.key"] {
        let db = data.join(db);
        let before = std::fs::read(&db).expect("database");
        let said = export_to(&db);
        assert!(said.contains("データ・設定フォルダ"), "{said}");
        assert_eq!(
            std::fs::read(&db).expect("database"),
            before,
            "{}",
            db.display()
        );
    }
    // An existing file elsewhere is not replaced without the dialog's confirmation.
    let existing = r.dir.join("notes.json");
    std::fs::write(&existing, b"keep me").expect("write");
    let said = export_to(&existing);
    assert!(said.contains("既にあります"), "{said}");
    assert_eq!(std::fs::read(&existing).expect("read"), b"keep me");
    // A new file is written.
    let fresh = r.dir.join("reports.json");
    let said = export_to(&fresh);
    assert!(said.contains("保存しました"), "{said}");
    assert!(fresh.exists());
}

/// Issue 16: a letter being written survives a tab switch and a restart of
/// the app (the autosaved draft), and is gone once it has been signed.
#[test]
fn a_draft_survives_a_tab_switch_and_an_app_restart() {
    let r = rig("wf-draft");
    compose(&r);
    let purpose = "下書き保存の確認：再起動後も残ること";
    r.s.set_value("#f-purpose", purpose);
    r.s.wait_text("#letter-preview", 10, |t| t.contains(purpose));
    r.s.click_css("#tab-verify");
    r.s.click_css("#tab-compose");
    let value = |r: &Rig| {
        r.s.execute(
            "const e = document.querySelector('#f-purpose'); return e ? e.value : '';",
            serde_json::json!([]),
        )
    };
    assert_eq!(value(&r), purpose, "lost on a tab switch");
    // The autosave runs shortly after the change.
    let draft = r.dir.join("profile/data/jp.inkan.desktop/draft.json");
    inkan_e2e::wait_for(10, "the draft on disk", || {
        std::fs::read_to_string(&draft)
            .ok()
            .filter(|d| d.contains(purpose))
            .map(drop)
    });
    let r = r.restart();
    r.s.click_css("#tab-compose");
    r.s.wait_text("#letter-preview", 20, |t| t.contains(purpose));
    assert_eq!(value(&r), purpose, "lost on a restart");
    // Signed: the draft is cleared.
    r.s.set_value("#out-dir", &path(&r.dir.join("out")));
    r.s.wait_text("#problem-count", 10, |t| t.contains("問題はありません"));
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    inkan_e2e::wait_for(10, "the draft removed", || (!draft.exists()).then_some(()));
}

/// Issue 16: with no folder typed or chosen, the letter goes to
/// ~/Documents/Inkan (made on first use); the result panel names the files
/// and verifies the signature in one click.
#[test]
fn signing_with_the_default_folder_needs_no_typing_and_the_result_names_the_files() {
    // As a release build: no typed destination is accepted, so the default
    // folder is used because the app chose it, not because the test typed it.
    let r = rig_with(
        "wf-default-folder",
        &["doctor"],
        &[("INKAN_TEST_TYPED_DESTINATIONS", "0")],
    );
    r.s.click_css("#tab-compose");
    r.s.wait_text("#letter-preview", 20, |t| t.contains("診療情報提供書"));
    r.s.wait_text("#problem-count", 10, |t| t.contains("問題はありません"));
    let default = r.dir.join("profile/home/Documents/Inkan");
    assert!(!default.exists(), "made before it was needed");
    let shown = r.s.execute(
        "return document.querySelector('#out-dir').value;",
        serde_json::json!([]),
    );
    assert_eq!(shown.as_str(), Some(path(&default).as_str()));
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    let done =
        r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    let files: Vec<PathBuf> = std::fs::read_dir(&default)
        .expect("the default folder was made")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 2, "letter and signature: {files:?}");
    let listed = r.s.wait_text("#signed-files", 5, |t| !t.is_empty());
    for f in &files {
        assert!(listed.contains(&path(f)), "{listed} lacks {}", f.display());
    }
    assert!(
        done.contains("フォルダを開く") && done.contains("この署名を検証"),
        "{done}"
    );
    shot(&r.s, "25-sign-result");
    r.s.click_css("#verify-signed");
    r.s.wait_text("#verify-results .banner", 30, |t| !t.is_empty());
    assert_eq!(indication(&r.s, "#verify-results .banner"), "TOTAL_PASSED");
    // Dates in the Japanese UI: YYYY年M月D日 in Japan time.
    let facts = r.s.wait_text(".verify-result .facts", 5, |t| !t.is_empty());
    let jst = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        // Today's date in Japan: UTC nine hours on.
        let day = inkan_card::holder::fmt_utc(now + 9 * 3600);
        let n = |r: std::ops::Range<usize>| day[r].parse::<u32>().expect("date");
        format!("{}年{}月{}日", n(0..4), n(5..7), n(8..10))
    };
    assert!(facts.contains(&jst), "no {jst} in {facts}");
    assert!(
        facts.contains("（令和"),
        "documents are dated with the era: {facts}"
    );
    assert!(!facts.contains("T0") && !facts.contains("Z\n"), "{facts}");
}

/// Issue 16: the tabs keep the window on a signature in progress.
#[test]
fn the_tabs_wait_while_the_card_signs() {
    let r = rig("wf-busy");
    compose(&r);
    open_pin_dialog(&r);
    r.card.inject(Fault::Delay(Duration::from_millis(400)));
    enter_pin(&r, "1234");
    r.s.wait_text("#signing-progress", 10, |t| !t.is_empty());
    let disabled = r.s.execute(
        "return document.querySelector('#tab-verify').disabled;",
        serde_json::json!([]),
    );
    assert_eq!(disabled, serde_json::json!(true));
    r.s.wait_text("#sign-result", 60, |t| t.contains("署名しました"));
    let disabled = r.s.execute(
        "return document.querySelector('#tab-verify').disabled;",
        serde_json::json!([]),
    );
    assert_eq!(disabled, serde_json::json!(false));
}

/// Issue 16: a settings file that does not read never stops the app: it
/// starts, says so, and keeps the file aside.
#[test]
fn a_corrupted_settings_file_is_said_kept_and_reset() {
    let r = rig("wf-settings-broken");
    r.s.wait_text("#app-version", 20, |t| !t.is_empty());
    let config = r.dir.join("profile/config/jp.inkan.desktop");
    std::fs::create_dir_all(&config).expect("config");
    std::fs::write(config.join("settings.json"), b"{\"out_dir\": 12, ").expect("write");
    let r = r.restart();
    let notice = r.s.wait_text("#settings-notice", 20, |t| !t.is_empty());
    assert!(notice.contains("初期設定"), "{notice}");
    let kept: Vec<_> = std::fs::read_dir(&config)
        .expect("config")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("settings.json.broken-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the broken file is kept");
    assert_eq!(
        std::fs::read(kept[0].path()).expect("backup"),
        b"{\"out_dir\": 12, "
    );
    shot(&r.s, "26-settings-reset");
    r.s.click_css("#tab-diagnostics");
    r.s.wait_text("#settings", 10, |t| t.contains("保存先"));
    let out = r.s.execute(
        "return document.querySelector('#settings-out-dir').value;",
        serde_json::json!([]),
    );
    assert!(
        out.as_str().is_some_and(|o| o.ends_with("Documents/Inkan")),
        "the default folder after the reset: {out}"
    );
    // Another folder set here is the one the compose page uses.
    let chosen = r.dir.join("out");
    r.s.set_value("#settings-out-dir", &path(&chosen));
    r.s.wait_text("#settings-saved", 10, |t| !t.is_empty());
    r.s.click_css("#tab-compose");
    let shown = r.s.execute(
        "return document.querySelector('#out-dir').value;",
        serde_json::json!([]),
    );
    assert_eq!(shown.as_str(), Some(path(&chosen).as_str()));
    let saved = std::fs::read_to_string(config.join("settings.json")).expect("saved");
    assert!(saved.contains("\"out_dir\""), "{saved}");
    shot(&r.s, "27-settings");
}

/// Issue 16: axe-core, injected into the real window, finds no serious or
/// critical violation on any screen, in Japanese and in English.
#[test]
fn axe_finds_no_serious_violation_on_any_screen() {
    let r = rig("wf-axe");
    let mut found: Vec<(String, serde_json::Value)> = Vec::new();
    let mut check = |r: &Rig, screen: &str| {
        for v in r.s.axe_serious() {
            found.push((screen.to_string(), v));
        }
    };
    r.s.wait_text("#holder-role", 20, |t| t.contains("医師"));
    check(&r, "card");
    compose(&r);
    check(&r, "compose");
    open_pin_dialog(&r);
    check(&r, "pin dialog");
    enter_pin(&r, "1234");
    r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    check(&r, "sign result");
    r.s.click_css("#verify-signed");
    r.s.wait_text("#verify-results .banner", 30, |t| !t.is_empty());
    check(&r, "verify");
    let folder = received_letters(&r, 3, Some(1));
    r.s.set_value("#verify-dir", &path(&folder));
    r.s.click_css("#verify-folder-button");
    r.s.wait_text("#batch-table", 60, |t| t.contains("letter-02"));
    check(&r, "batch");
    r.s.click_css("#tab-history");
    r.s.wait_text("#history-table", 10, |t| !t.is_empty());
    check(&r, "history");
    r.s.click_css("#tab-diagnostics");
    r.s.wait_text("#settings", 10, |t| !t.is_empty());
    check(&r, "settings");
    r.s.click_css("#lang-toggle");
    r.s.wait_text("#settings", 10, |t| t.contains("Settings"));
    check(&r, "settings (English)");
    r.s.click_css("#tab-card");
    r.s.wait_text("#holder-role", 20, |t| !t.is_empty());
    check(&r, "card (English)");
    shot(&r.s, "28-english");
    r.s.click_css("#tab-compose");
    check(&r, "compose (English)");
    assert!(
        found.is_empty(),
        "axe-core: {}",
        serde_json::to_string_pretty(&found).unwrap_or_default()
    );
}

/// Issue 16: compose → sign → verify with the keyboard alone; the PIN
/// dialog keeps the focus while open and gives it back when it closes.
#[test]
fn the_keyboard_alone_composes_signs_and_verifies() {
    use inkan_e2e::webdriver::{ARROW_RIGHT, ENTER, ESCAPE, SHIFT, TAB};
    let r = rig("wf-keyboard");
    r.s.wait_text("#holder-role", 20, |t| t.contains("医師"));
    r.s.tab_to("tab-card", 40);
    r.s.keys(ARROW_RIGHT);
    assert_eq!(r.s.focused(), "tab-compose");
    r.s.wait_text("#letter-preview", 20, |t| t.contains("診療情報提供書"));
    r.s.wait_text("#problem-count", 10, |t| t.contains("問題はありません"));
    r.s.tab_to("sign-button", 600);
    r.s.keys(ENTER);
    r.s.wait_text("#pin-dialog-tries", 15, |t| t.contains("残り試行回数"));
    inkan_e2e::wait_for(5, "the focus in the PIN field", || {
        (r.s.focused() == "pin-input").then_some(())
    });
    // The focus stays in the dialog, both ways round.
    let in_dialog = || {
        r.s.execute(
            "const m = document.querySelector('.modal'); return !!m && m.contains(document.activeElement);",
            serde_json::json!([]),
        ) == serde_json::json!(true)
    };
    for _ in 0..8 {
        r.s.keys(TAB);
        assert!(in_dialog(), "Tab left the dialog: #{}", r.s.focused());
    }
    for _ in 0..8 {
        r.s.keys(&format!("{SHIFT}{TAB}"));
        assert!(in_dialog(), "Shift+Tab left the dialog: #{}", r.s.focused());
    }
    r.s.keys(ESCAPE);
    inkan_e2e::wait_for(5, "the focus back on the sign button", || {
        (r.s.focused() == "sign-button").then_some(())
    });
    assert_eq!(r.card.tries_left(), 15, "closing spent nothing");
    r.s.keys(ENTER);
    inkan_e2e::wait_for(15, "the PIN field", || {
        (r.s.focused() == "pin-input").then_some(())
    });
    r.s.keys("1234");
    r.s.keys(ENTER);
    r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    inkan_e2e::wait_for(5, "the focus back on the sign button", || {
        (r.s.focused() == "sign-button").then_some(())
    });
    r.s.tab_to("verify-signed", 10);
    r.s.keys(ENTER);
    r.s.wait_text("#verify-results .banner", 30, |t| !t.is_empty());
    assert_eq!(indication(&r.s, "#verify-results .banner"), "TOTAL_PASSED");
}

/// Issue 13 in the window: a destination set up in 設定, "送信…" after
/// signing, the 送信 page following the item to 送信済み and its receipt;
/// a real FHIR server (helios-hfs) holds the document once, however often
/// it is sent.
#[test]
fn sending_from_the_window_delivers_once_and_shows_the_receipt() {
    use inkan_e2e::fhir::FhirServer;
    let r = rig("wf-send");
    let server = FhirServer::start(&r.dir.join("fhir"));
    // 設定 › 送信先.
    r.s.click_css("#tab-diagnostics");
    r.s.wait_text("#destinations", 10, |t| t.contains("送信先"));
    r.s.set_value("#dest-name", "地域連携サーバ");
    r.s.set_value("#dest-url", &format!("{}/", server.base()));
    r.s.set_value("#dest-mode", "mhd");
    r.s.set_value("#dest-token", "secret-token");
    r.s.click_css("#dest-save");
    let table =
        r.s.wait_text("#destinations-table", 10, |t| t.contains("地域連携サーバ"));
    assert!(
        table.contains("IHE MHD") && table.contains("トークンあり"),
        "{table}"
    );
    let token_left = r.s.execute(
        "return document.querySelector('#dest-token').value;",
        serde_json::json!([]),
    );
    assert_eq!(
        token_left.as_str(),
        Some(""),
        "the token is not kept in the page"
    );
    // Sign, then 送信….
    compose(&r);
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    r.s.click_css("#send-signed");
    r.s.wait_text("#send-panel", 10, |t| t.contains("地域連携サーバ"));
    r.s.click_css("#send-submit");
    r.s.wait_text("#send-outcome", 60, |t| {
        t.contains("送信キューに入れました")
    });
    // The 送信 page: 送信済み, with a receipt.
    r.s.click_css("#tab-outbox");
    let row =
        r.s.wait_text("#outbox-row-1", 60, |t| t.contains("送信済み"));
    assert!(
        row.contains("有効") && row.contains("地域連携サーバ"),
        "{row}"
    );
    shot(&r.s, "29-outbox");
    let violations = r.s.axe_serious();
    assert!(
        violations.is_empty(),
        "axe on the 送信 page: {violations:?}"
    );
    r.s.click_css("#receipt-1");
    let receipt =
        r.s.wait_text("#receipt-details", 10, |t| t.contains("DocumentReference/"));
    assert!(receipt.contains("新規に登録されました"), "{receipt}");
    shot(&r.s, "30-receipt");
    let violations = r.s.axe_serious();
    assert!(violations.is_empty(), "axe on the receipt: {violations:?}");
    assert_eq!(r.s.focused(), "receipt-close");
    r.s.keys("\u{E00C}"); // Escape
    inkan_e2e::wait_for(5, "the receipt to close", || {
        r.s.find("#receipt-details").is_none().then_some(())
    });
    assert_eq!(
        r.s.focused(),
        "receipt-1",
        "the focus returns to the row's button"
    );
    let refs = server.all("DocumentReference");
    assert_eq!(refs.len(), 1, "{refs:?}");
    // Sent again from the compose page: a second item, the same resource.
    r.s.click_css("#tab-compose");
    r.s.click_css("#send-submit");
    r.s.wait_text("#send-outcome", 60, |t| {
        t.contains("送信キューに入れました")
    });
    r.s.click_css("#tab-outbox");
    r.s.wait_text("#outbox-row-2", 60, |t| t.contains("送信済み"));
    assert_eq!(server.all("DocumentReference").len(), 1, "no duplicate");
    assert_eq!(server.all("List").len(), 1);
}

/// A submission that could not be delivered (the server was down) is
/// delivered by the open window once its retry falls due, with no click.
#[test]
fn a_retry_that_falls_due_while_the_window_is_open_is_delivered() {
    use inkan_e2e::fhir::FhirServer;
    let r = rig_with(
        "wf-send-retry",
        &["doctor"],
        &[("INKAN_OUTBOX_RETRY_BASE_MS", "500")],
    );
    let mut server = FhirServer::start(&r.dir.join("fhir"));
    r.s.click_css("#tab-diagnostics");
    r.s.wait_text("#destinations", 10, |t| t.contains("送信先"));
    r.s.set_value("#dest-name", "病院");
    r.s.set_value("#dest-url", &server.base());
    r.s.set_value("#dest-mode", "mhd");
    r.s.click_css("#dest-save");
    r.s.wait_text("#destinations-table", 10, |t| t.contains("病院"));
    server.stop();
    compose(&r);
    open_pin_dialog(&r);
    enter_pin(&r, "1234");
    r.s.wait_text("#sign-result", 30, |t| t.contains("署名しました"));
    r.s.click_css("#send-signed");
    r.s.click_css("#send-submit");
    r.s.wait_text("#send-outcome", 60, |t| {
        t.contains("送信キューに入れました")
    });
    r.s.click_css("#tab-outbox");
    let row =
        r.s.wait_text("#outbox-row-1", 30, |t| t.contains("再試行待ち"));
    assert!(row.contains("接続できません"), "{row}");
    server.restart();
    r.s.wait_text("#outbox-row-1", 60, |t| t.contains("送信済み"));
    assert_eq!(server.all("DocumentReference").len(), 1);
}
