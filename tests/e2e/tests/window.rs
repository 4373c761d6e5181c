//! The desktop window in a real WebKit, driven through tauri-driver, against a
//! real pcscd.

use inkan_e2e::pcscd::{Pcscd, VpcdReader};
use inkan_e2e::webdriver::{Session, TauriDriver};
use inkan_e2e::xvfb::Xvfb;
use inkan_e2e::{exclusive, fresh_dir, output_dir, workspace_bin};

fn open_window() -> (Xvfb, TauriDriver, Session) {
    let x = Xvfb::start();
    let driver = TauriDriver::start(&x.display, &fresh_dir("profile"));
    let session = Session::new(&driver, &workspace_bin("inkan-app"));
    (x, driver, session)
}

#[test]
fn window_shows_japanese_ui_with_the_reader_list() {
    let _machine = exclusive();
    let reader = VpcdReader {
        name: "Inkan Test Reader".into(),
        port: inkan_e2e::vpcd_ports(1)[0],
    };
    let _pcscd = Pcscd::start(std::slice::from_ref(&reader));
    let (_x, _driver, s) = open_window();

    assert_eq!(s.title(), "Inkan");
    let status = s.wait_text("#reader-status", 20, |t| t.contains("Inkan Test Reader"));
    assert!(status.contains("カードなし"), "reader status: {status}");
    let header = s.wait_text("header", 5, |t| !t.is_empty());
    assert!(header.contains("印鑑"), "header: {header}");
    assert!(
        header.contains("English"),
        "the toggle offers English: {header}"
    );
    let version = s.wait_text("#app-version", 10, |t| !t.is_empty());
    assert!(
        version.contains(env!("CARGO_PKG_VERSION")),
        "version from the app_info command: {version}"
    );
    s.screenshot(&output_dir().join("window-ja-reader-list.png"));

    let toggle = s.find("#lang-toggle").expect("language toggle");
    s.click(&toggle);
    let status = s.wait_text("#reader-status", 10, |t| t.contains("No card"));
    assert!(status.contains("Inkan Test Reader"), "{status}");
    s.wait_text("#lang-toggle", 5, |t| t.contains("日本語"));
    s.screenshot(&output_dir().join("window-en-reader-list.png"));
}

#[test]
fn window_says_no_reader_when_pcscd_has_none() {
    let _machine = exclusive();
    let _pcscd = Pcscd::start(&[]);
    let (_x, _driver, s) = open_window();
    let status = s.wait_text("#reader-status", 20, |t| {
        t.contains("カードリーダーが見つかりません")
    });
    assert!(!status.contains("pcscd"), "{status}");
    s.screenshot(&output_dir().join("window-ja-no-reader.png"));
}

#[test]
fn window_says_pcscd_is_not_running() {
    let _machine = exclusive();
    assert!(
        inkan_card::list_readers().is_err(),
        "a pcscd is running outside the harness"
    );
    let (_x, _driver, s) = open_window();
    let status = s.wait_text("#reader-status", 20, |t| t.contains("pcscd"));
    assert!(status.contains("動作していません"), "{status}");
    s.screenshot(&output_dir().join("window-ja-no-pcscd.png"));
}

#[test]
fn chosen_language_is_remembered_across_restarts() {
    let _machine = exclusive();
    let x = Xvfb::start();
    let profile = fresh_dir("profile-restart");
    {
        let driver = TauriDriver::start(&x.display, &profile);
        let s = Session::new(&driver, &workspace_bin("inkan-app"));
        s.wait_text("#lang-toggle", 10, |t| t.contains("English"));
        let toggle = s.find("#lang-toggle").expect("language toggle");
        s.click(&toggle);
        s.wait_text("#lang-toggle", 10, |t| t.contains("日本語"));
    }
    let driver = TauriDriver::start(&x.display, &profile);
    let s = Session::new(&driver, &workspace_bin("inkan-app"));
    let header = s.wait_text("header", 10, |t| t.contains("HPKI card signatures"));
    assert!(header.contains("日本語"), "{header}");
}

/// The window never leaves the app: a script (or a link in a letter's
/// view) that navigates to a remote page is refused, and so is a new
/// window. A debug build says so in the header.
#[test]
fn the_window_refuses_to_navigate_away_or_open_windows() {
    let _machine = exclusive();
    let _pcscd = Pcscd::start(&[]);
    let (_x, _driver, s) = open_window();
    s.wait_text("#app-version", 20, |t| !t.is_empty());
    let origin = s.execute("return window.location.href;", serde_json::json!([]));
    let origin = origin.as_str().unwrap_or_default().to_owned();
    assert!(origin.starts_with("tauri://localhost"), "{origin}");

    // A remote page (a loopback URL: nothing leaves the machine).
    s.execute(
        "window.location.href = 'http://127.0.0.1:9/phish.html'; return null;",
        serde_json::json!([]),
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let now = s.execute("return window.location.href;", serde_json::json!([]));
    assert_eq!(now.as_str(), Some(origin.as_str()), "navigated away");
    // The app still answers: its IPC was not handed to another page.
    s.wait_text("#app-version", 5, |t| !t.is_empty());

    // A look-alike of the app's own name on another port, served by another
    // program (`*.localhost` resolves to loopback): refused before any
    // request reaches it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    for url in [
        format!("http://tauri.localhost:{port}/"),
        format!("http://localhost:{port}/"),
    ] {
        s.execute(
            "window.location.href = arguments[0]; return null;",
            serde_json::json!([url]),
        );
        std::thread::sleep(std::time::Duration::from_millis(1000));
        let now = s.execute("return window.location.href;", serde_json::json!([]));
        assert_eq!(now.as_str(), Some(origin.as_str()), "navigated to {url}");
    }
    assert!(
        listener.accept().is_err(),
        "the look-alike origin was contacted"
    );

    let opened = s.execute(
        "const w = window.open('https://example.invalid/'); return w === null ? 'blocked' : 'opened';",
        serde_json::json!([]),
    );
    assert_eq!(opened.as_str(), Some("blocked"));

    let badge = s.wait_text("#debug-badge", 5, |t| !t.is_empty());
    assert!(badge.contains("デバッグ"), "{badge}");
}
