//! The settings page: where signed letters go, the language, the preferred
//! reader (the TSA has its own panel, `diag::TsaSettings`).

use crate::i18n::{browse_button, msg, t};
use crate::tauri;
use inkan_l10n::{Lang, Message};
use serde::Serialize;
use serde_json::Value;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Told when the language is chosen here.
    pub on_lang: Callback<Lang>,
    /// Told the output folder after it changed here.
    pub on_out_dir: Callback<String>,
}

#[derive(Serialize)]
struct PathArgs<'a> {
    path: &'a str,
}

#[derive(Serialize)]
struct ReaderArgs {
    reader: Option<String>,
}

#[function_component(Settings)]
pub fn settings(props: &Props) -> Html {
    let l = props.lang;
    let view = use_state(|| None::<Value>);
    let trust = use_state(|| None::<(Value, Value)>);
    let error = use_state(|| None::<Message>);
    let saved = use_state(|| false);
    let out_input = use_node_ref();
    {
        let (view, trust) = (view.clone(), trust.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                view.set(tauri::call::<Value>("window_settings").await.ok());
                let mode = tauri::call::<Value>("trust_mode").await.unwrap_or_default();
                let anchors = tauri::call::<Value>("trust_anchors")
                    .await
                    .unwrap_or_default();
                trust.set(Some((mode, anchors)));
            });
        });
    }
    // A folder chosen with Browse… becomes the output folder at once.
    let apply = {
        let (view, error, saved) = (view.clone(), error.clone(), saved.clone());
        let on_out_dir = props.on_out_dir.clone();
        move |command: &'static str, path: String| {
            let (view, error, saved) = (view.clone(), error.clone(), saved.clone());
            let on_out_dir = on_out_dir.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let r = match command {
                    "set_out_dir" => {
                        tauri::call_with::<_, Value>(command, &PathArgs { path: &path }).await
                    }
                    _ => {
                        tauri::call_with::<_, Value>(
                            command,
                            &ReaderArgs {
                                reader: (!path.is_empty()).then_some(path),
                            },
                        )
                        .await
                    }
                };
                match r {
                    Ok(v) => {
                        if let Some(d) = v["out_dir"].as_str() {
                            on_out_dir.emit(d.to_string());
                        }
                        view.set(Some(v));
                        error.set(None);
                        saved.set(true);
                    }
                    Err(m) => {
                        error.set(Some(m));
                        saved.set(false);
                    }
                }
            });
        }
    };
    let on_out = {
        let apply = apply.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                apply("set_out_dir", i.value());
            }
        })
    };
    let on_default = {
        let apply = apply.clone();
        Callback::from(move |_: MouseEvent| apply("set_out_dir", String::new()))
    };
    let on_forget_reader = {
        let apply = apply.clone();
        Callback::from(move |_: MouseEvent| apply("set_reader_preference", String::new()))
    };
    let on_lang = {
        let cb = props.on_lang.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                cb.emit(if s.value() == "en" {
                    Lang::En
                } else {
                    Lang::Ja
                });
            }
        })
    };
    let v = (*view).clone().unwrap_or_default();
    let out = v["out_dir"].as_str().unwrap_or_default().to_string();
    let default = v["default_out_dir"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let reader = v["reader"].as_str().map(str::to_string);
    html! {
        <section class="panel" aria-labelledby="settings-heading" id="settings">
            <h2 id="settings-heading">{ t(l, "設定", "Settings") }</h2>
            <div class="setting">
                <label for="settings-out-dir">{ t(l, "署名した文書の保存先", "Where signed documents are saved") }</label>
                <input id="settings-out-dir" ref={out_input.clone()} type="text" readonly=true value={out.clone()} onchange={on_out} />
                { browse_button(l, "settings_folder", out_input.clone(), "settings-out-dir") }
                if !default.is_empty() && out != default {
                    <button id="settings-out-default" type="button" class="secondary" onclick={on_default}>
                        { t(l, "既定（書類/Inkan）に戻す", "Back to the default (Documents/Inkan)") }
                    </button>
                }
                <p class="muted">{ t(l, "署名ごとに「作成・署名」画面で変えることもできます。", "It can also be changed for one signature on the compose page.") }</p>
            </div>
            <div class="setting">
                <label for="settings-lang">{ t(l, "表示言語", "Language") }</label>
                <select id="settings-lang" onchange={on_lang}>
                    <option value="ja" selected={l == Lang::Ja}>{ "日本語" }</option>
                    <option value="en" selected={l == Lang::En}>{ "English" }</option>
                </select>
            </div>
            <div class="setting">
                <span class="label">{ t(l, "署名に使うカードリーダー", "Card reader for signing") }</span>
                { match &reader {
                    Some(r) => html! { <>
                        <bdi id="settings-reader">{ r.clone() }</bdi>
                        <button id="settings-reader-forget" type="button" class="secondary" onclick={on_forget_reader}>
                            { t(l, "指定をやめる", "Forget") }
                        </button>
                    </> },
                    None => html! { <span id="settings-reader" class="muted">{ t(l, "カードの入っているリーダー（複数あるときは「カード」画面で選択）", "The reader holding a card (choose on the Card page when there are several)") }</span> },
                } }
            </div>
            <div class="setting" id="settings-trust">
                <span class="label">{ t(l, "信頼の基点", "Trust anchor") }</span>
                { match &*trust {
                    None => html! {},
                    Some((mode, _)) if mode["test"] == true => html! {
                        <span><span class="badge-test">{ "TEST" }</span>{ " " }<bdi>{ mode["label"].as_str().unwrap_or_default().to_string() }</bdi>
                        <span class="muted">{ t(l, "（テスト用のトラストストアです。開発用ビルドでのみ使えます。）", " (a TEST trust store: developer builds only)") }</span></span>
                    },
                    Some((_, anchors)) => {
                        let root = anchors.as_array().into_iter().flatten()
                            .find(|a| a["role"].as_str().is_some_and(|r| r.eq_ignore_ascii_case("anchor")))
                            .cloned().unwrap_or_default();
                        html! { <span>
                            <bdi>{ root["subject"].as_str().unwrap_or("MHLW HPKI Root CA").to_string() }</bdi>
                            <br/><small class="muted">{ format!("SHA-256 {}", root["sha256"].as_str().unwrap_or_default()) }</small>
                            <br/><small class="muted">{ t(l, "厚生労働省 HPKI ルート認証局に固定されています（変更できません）。", "Pinned to the MHLW HPKI root CA (cannot be changed).") }</small>
                        </span> }
                    }
                } }
            </div>
            if *saved { <p id="settings-saved" class="muted" role="status">{ t(l, "保存しました", "Saved") }</p> }
            if let Some(m) = &*error { <p id="settings-error" class="status-error" role="alert">{ msg(l, m) }</p> }
        </section>
    }
}
