//! A small W3C WebDriver client for the Tauri window, over
//! `tauri-driver` -> `WebKitWebDriver` -> the app.

use crate::process::Proc;
use base64::Engine;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running `tauri-driver` on a free port, stopped with SIGTERM on drop.
#[derive(Debug)]
pub struct TauriDriver {
    proc: Proc,
    /// The WebDriver endpoint, `http://127.0.0.1:<port>`.
    pub url: String,
}

impl TauriDriver {
    /// Starts tauri-driver on `display` and waits until it accepts connections.
    /// The app it launches keeps its state (WebKit storage, settings) under
    /// `data_home`, so each test starts from a clean profile unless it reuses one.
    pub fn start(display: &str, data_home: &Path) -> TauriDriver {
        Self::start_with_env(display, data_home, &[])
    }

    /// Like [`TauriDriver::start`], with extra environment for the app
    /// (e.g. `INKAN_TEST_PKI`).
    pub fn start_with_env(display: &str, data_home: &Path, env: &[(&str, &str)]) -> TauriDriver {
        let port = crate::free_port();
        let native = crate::free_port();
        let mut cmd = Command::new("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("DISPLAY", display)
        .env("XDG_DATA_HOME", data_home.join("data"))
        .env("XDG_CONFIG_HOME", data_home.join("config"))
        .env("XDG_CACHE_HOME", data_home.join("cache"))
        // The default output folder (~/Documents/Inkan) stays in the test's folder.
        .env("HOME", data_home.join("home"))
        // The native dialogs cannot be driven: a debug build accepts typed
        // destinations when this is 1 (a test may set it to 0).
        .env("INKAN_TEST_TYPED_DESTINATIONS", "1")
        // Only the keyring's own test uses a keyring.
        .env("INKAN_AUDIT_KEY_STORE", "file");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut proc = Proc::spawn("tauri-driver", cmd);
        // Both tauri-driver and the WebKitWebDriver it starts must listen
        // before a session can be created; the second one comes up later.
        crate::wait_for(20, "tauri-driver and WebKitWebDriver to listen", || {
            assert!(proc.running(), "tauri-driver exited:\n{}", proc.log());
            let up = |p: u16| std::net::TcpStream::connect(("127.0.0.1", p)).is_ok();
            (up(port) && up(native)).then_some(())
        });
        TauriDriver {
            proc,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// tauri-driver's log (it includes WebKitWebDriver's and the app's output).
    pub fn log(&self) -> String {
        self.proc.log()
    }
}

/// One WebDriver session = one app window. Deleted (the app closed) on drop.
#[derive(Debug)]
pub struct Session {
    agent: ureq::Agent,
    base: String,
}

/// A WebDriver element reference.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// Starts the app at `application` through the driver.
    pub fn new(driver: &TauriDriver, application: &Path) -> Session {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(90)))
            .build()
            .into();
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "wry",
                "tauri:options": { "application": application }
            }}
        });
        // Session creation starts the app; a driver that is still settling
        // refuses the first connection now and then, so try a few times.
        let mut attempt = 0;
        let v = loop {
            attempt += 1;
            match post(&agent, &format!("{}/session", driver.url), &caps) {
                Ok(v) => break v,
                Err(e) if attempt < 4 => {
                    eprintln!("new session attempt {attempt} failed: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("new session failed: {e}\n{}", driver.log()),
            }
        };
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {v}"))
            .to_string();
        Session {
            agent,
            base: format!("{}/session/{id}", driver.url),
        }
    }

    fn get(&self, path: &str) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let mut resp = self.agent.get(&url).call().map_err(|e| e.to_string())?;
        unwrap_value(resp.body_mut().read_json().map_err(|e| e.to_string())?)
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        post(&self.agent, &format!("{}{path}", self.base), body)
    }

    /// The document title.
    pub fn title(&self) -> String {
        self.get("/title")
            .expect("title")
            .as_str()
            .unwrap_or_default()
            .into()
    }

    /// The first element matching a CSS selector, if any.
    pub fn find(&self, css: &str) -> Option<Element> {
        let v = self
            .post("/element", &json!({"using": "css selector", "value": css}))
            .ok()?;
        v[ELEMENT_KEY].as_str().map(|s| Element(s.into()))
    }

    /// The rendered text of an element.
    pub fn text(&self, e: &Element) -> Option<String> {
        self.get(&format!("/element/{}/text", e.0))
            .ok()?
            .as_str()
            .map(String::from)
    }

    /// Waits until the element matching `css` has text satisfying `pred`; returns it.
    pub fn wait_text(&self, css: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        let what = format!("text of `{css}`");
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::wait_for(secs, &what, || {
                let t = self.find(css).and_then(|e| self.text(&e))?;
                last.clone_from(&t);
                pred(&t).then_some(t)
            })
        }));
        match found {
            Ok(t) => t,
            Err(_) => panic!("timed out after {secs} s waiting for `{css}`; last text: {last:?}"),
        }
    }

    /// Clicks an element.
    pub fn click(&self, e: &Element) {
        self.post(&format!("/element/{}/click", e.0), &json!({}))
            .expect("click");
    }

    /// Runs a script and returns its value.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", &json!({"script": script, "args": args}))
            .expect("execute script")
    }

    /// Sets an input's or textarea's value and fires `input` and `change`, as
    /// typing and leaving the field would.
    pub fn set_value(&self, css: &str, value: &str) {
        let ok = self.execute(
            "const el = document.querySelector(arguments[0]);\
             if (!el) { return false; }\
             el.value = arguments[1];\
             el.dispatchEvent(new Event('input', { bubbles: true }));\
             el.dispatchEvent(new Event('change', { bubbles: true }));\
             return true;",
            json!([css, value]),
        );
        assert_eq!(ok, Value::Bool(true), "no element for `{css}`");
    }

    /// Clicks the first element matching `css`, waiting up to 10 s for it.
    pub fn click_css(&self, css: &str) {
        let e = crate::wait_for(10, &format!("`{css}` to exist"), || self.find(css));
        self.click(&e);
    }

    /// Runs an async script; its last argument is the completion callback.
    pub fn execute_async(&self, script: &str) -> Value {
        self.post("/execute/async", &json!({"script": script, "args": []}))
            .expect("execute async script")
    }

    /// Types `keys` on the keyboard (WebDriver actions: real key events to
    /// whatever has the focus). Special keys: [`TAB`], [`ENTER`], [`ESCAPE`],
    /// [`SHIFT`] (held for the next key only).
    pub fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        let mut shift = false;
        for c in keys.chars() {
            if c.to_string() == SHIFT {
                shift = true;
                actions.push(json!({"type": "keyDown", "value": SHIFT}));
                continue;
            }
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
            if shift {
                actions.push(json!({"type": "keyUp", "value": SHIFT}));
                shift = false;
            }
        }
        self.post(
            "/actions",
            &json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .expect("keyboard actions");
    }

    /// The `id` of the element that has the focus (`""` for none).
    pub fn focused(&self) -> String {
        self.execute(
            "const e = document.activeElement; return e ? (e.id || '') : '';",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Presses Tab until the element `id` has the focus (at most `max`
    /// times); panics with the path the focus took otherwise.
    pub fn tab_to(&self, id: &str, max: usize) {
        let mut path = Vec::new();
        for _ in 0..max {
            if self.focused() == id {
                return;
            }
            self.keys(TAB);
            path.push(self.focused());
        }
        assert_eq!(self.focused(), id, "Tab never reached #{id}: {path:?}");
    }

    /// Runs axe-core (injected from `INKAN_AXE_JS`, else the tools cache)
    /// on the page as it is, and returns its serious and critical
    /// violations (rule id, impact, the elements).
    pub fn axe_serious(&self) -> Vec<Value> {
        let script = std::fs::read_to_string(crate::axe_js()).expect("axe-core");
        self.execute(
            &format!("{script}\n;window.__axe = axe; return true;"),
            json!([]),
        );
        let out = self.execute_async(
            "const done = arguments[arguments.length - 1];\
             window.__axe.run(document).then(r => done({ passes: r.passes.length, violations:\
               r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                 .map(v => ({ id: v.id, impact: v.impact, help: v.help,\
                   nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary) }))\
             }), e => done({ passes: 0, violations: [{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }] }));",
        );
        // The checker ran its rules on this page (not an empty run).
        assert!(
            out["passes"].as_u64().unwrap_or(0) >= 10,
            "axe-core checked almost nothing: {out}"
        );
        out["violations"].as_array().cloned().unwrap_or_default()
    }

    /// Saves a PNG screenshot of the window to `path`, after letting WebKit paint
    /// (two animation frames: WebKit paints late).
    pub fn screenshot(&self, path: &Path) {
        self.execute_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        );
        let b64 = self.get("/screenshot").expect("screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("screenshot is base64");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
    }
}

fn post(agent: &ureq::Agent, url: &str, body: &Value) -> Result<Value, String> {
    let mut resp = agent.post(url).send_json(body).map_err(|e| e.to_string())?;
    unwrap_value(resp.body_mut().read_json().map_err(|e| e.to_string())?)
}

/// WebDriver wraps results in `{"value": …}`; errors carry `value.error`.
fn unwrap_value(v: Value) -> Result<Value, String> {
    let value = v.get("value").cloned().unwrap_or(Value::Null);
    if let Some(err) = value.get("error").and_then(|e| e.as_str()) {
        return Err(format!(
            "{err}: {}",
            value.get("message").and_then(|m| m.as_str()).unwrap_or("")
        ));
    }
    Ok(value)
}

/// The Tab key, for [`Session::keys`].
pub const TAB: &str = "\u{E004}";
/// The Enter key.
pub const ENTER: &str = "\u{E007}";
/// The Escape key.
pub const ESCAPE: &str = "\u{E00C}";
/// The Shift key (held for the next key).
pub const SHIFT: &str = "\u{E008}";
/// The right arrow key.
pub const ARROW_RIGHT: &str = "\u{E014}";
