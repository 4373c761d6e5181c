//! Calls into the Rust side. Only the commands granted in
//! `src-tauri/capabilities/main.json` exist.

use inkan_l10n::Message;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], catch)]
    async fn listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>)
        -> Result<JsValue, JsValue>;
}

/// Mirrors `inkan_app::commands::AppInfo`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AppInfo {
    pub version: String,
    /// A debug build: marked in the header.
    #[serde(default)]
    pub debug: bool,
    pub tauri: String,
    pub os: String,
}

/// Mirrors `inkan_card::ReaderInfo`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReaderInfo {
    pub name: String,
    pub card_present: bool,
    pub atr: Option<String>,
    pub exclusive: bool,
}

#[derive(Serialize)]
struct NoArgs {}

/// Invokes `cmd` without arguments.
pub async fn call<T: DeserializeOwned>(cmd: &str) -> Result<T, Message> {
    call_with(cmd, &NoArgs {}).await
}

/// Invokes `cmd` with `args` (camelCase keys). A rejected call carries a
/// [`Message`]; anything else (the bridge missing, a shape mismatch) becomes
/// one too, so the UI always has something specific to show.
pub async fn call_with<A: Serialize, T: DeserializeOwned>(
    cmd: &str,
    args: &A,
) -> Result<T, Message> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args
        .serialize(&ser)
        .map_err(|e| bridge_error(cmd, &e.to_string()))?;
    match invoke(cmd, args).await {
        Ok(v) => serde_wasm_bindgen::from_value(v).map_err(|e| bridge_error(cmd, &e.to_string())),
        Err(e) => Err(serde_wasm_bindgen::from_value::<Message>(e.clone())
            .unwrap_or_else(|_| bridge_error(cmd, &format!("{e:?}")))),
    }
}

/// A Tauri event subscription; dropping it unsubscribes.
pub struct Subscription {
    unlisten: std::rc::Rc<std::cell::RefCell<Option<js_sys::Function>>>,
    _closure: std::rc::Rc<Closure<dyn FnMut(JsValue)>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(f) = self.unlisten.borrow_mut().take() {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}

/// Subscribes to a Tauri event until the returned [`Subscription`] is dropped
/// (a component's cleanup), so remounted views never stack listeners.
pub fn on_event(event: &str, mut f: impl FnMut(serde_json::Value) + 'static) -> Subscription {
    let closure: Closure<dyn FnMut(JsValue)> = Closure::new(move |v: JsValue| {
        if let Ok(ev) = serde_wasm_bindgen::from_value::<serde_json::Value>(v) {
            f(ev.get("payload").cloned().unwrap_or_default());
        }
    });
    let closure = std::rc::Rc::new(closure);
    let unlisten = std::rc::Rc::new(std::cell::RefCell::new(None::<js_sys::Function>));
    let (c, u, name) = (closure.clone(), unlisten.clone(), event.to_string());
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(stop) = listen(&name, &c).await {
            if let Ok(stop) = stop.dyn_into::<js_sys::Function>() {
                // Subscribed after the view went away: unsubscribe at once.
                if std::rc::Rc::strong_count(&u) == 1 {
                    let _ = stop.call0(&JsValue::NULL);
                } else {
                    *u.borrow_mut() = Some(stop);
                }
            }
        }
    });
    Subscription {
        unlisten,
        _closure: closure,
    }
}

/// The detail (a serde or bridge message) goes to the console, where a
/// developer looks; the user gets what happened and what to do.
fn bridge_error(cmd: &str, detail: &str) -> Message {
    web_sys::console::error_1(&format!("inkan-ui: {cmd}: {detail}").into());
    Message {
        code: "ui.bridge".into(),
        ja: format!("アプリ内部の処理（{cmd}）が失敗しました。アプリを再起動してください。続く場合は「診断」の情報を添えてお問い合わせください。"),
        en: format!("An internal step of the app ({cmd}) failed. Restart the app; if it happens again, report it with the details from Diagnostics."),
    }
}

#[derive(Serialize)]
struct PickArgs<'a> {
    kind: &'a str,
}

/// Opens the native file dialog (`letter`, `attachment`, `signed`, `folder`,
/// `save_reports`); `None` when cancelled or when the dialog failed.
pub async fn pick(kind: &str) -> Option<String> {
    call_with::<_, Option<String>>("pick_path", &PickArgs { kind })
        .await
        .ok()
        .flatten()
}
