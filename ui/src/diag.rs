//! Diagnostics for support requests: readers, ATRs, pcscd, versions, trust anchors.

use crate::i18n::{browse_button, msg, t};
use crate::tauri;
use inkan_l10n::{Lang, Message};
use serde_json::Value;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
}

#[function_component(Diagnostics)]
pub fn diagnostics(props: &Props) -> Html {
    let l = props.lang;
    let data = use_state(|| None::<Result<Value, Message>>);
    let copied = use_state(|| false);
    {
        let data = data.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                data.set(Some(tauri::call::<Value>("diagnostics").await));
            });
        });
    }
    let text = match &*data {
        Some(Ok(v)) => serde_json::to_string_pretty(v).unwrap_or_default(),
        _ => String::new(),
    };
    let on_copy = {
        let text = text.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&text);
                copied.set(true);
            }
        })
    };
    html! {
        <section class="panel" aria-labelledby="diag-heading">
            <h2 id="diag-heading">{ t(l, "診断情報", "Diagnostics") }</h2>
            <p class="muted">{ t(l, "サポートへのお問い合わせの際に、この内容をお伝えください（PIN や文書の内容は含まれません）。",
                                  "Send this to support when asking for help (it contains no PIN and no document content).") }</p>
            { match &*data {
                None => html!{ <p class="muted">{ t(l, "読み込み中…", "Loading…") }</p> },
                Some(Err(m)) => html!{ <p class="status-error" role="alert">{ msg(l, m) }</p> },
                Some(Ok(_)) => html!{
                    <>
                    <button id="copy-diagnostics" type="button" class="secondary" onclick={on_copy}>
                        { if *copied { t(l, "コピーしました", "Copied") } else { t(l, "クリップボードにコピー", "Copy to clipboard") } }
                    </button>
                    <pre id="diagnostics-text" class="diag" tabindex="0" aria-label={ t(l, "診断情報の内容", "Diagnostics content") }>{ text.clone() }</pre>
                    </>
                },
            } }
        </section>
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SaveTsa {
    url: String,
    add_trust: Option<String>,
}

/// The time-stamp authority: its URL and the certificates its tokens must
/// chain to (docs/timestamps.md). Signing takes level T when it is set.
#[function_component(TsaSettings)]
pub fn tsa_settings(props: &Props) -> Html {
    let l = props.lang;
    let view = use_state(|| None::<Result<Value, Message>>);
    let saved = use_state(|| false);
    let url_input = use_node_ref();
    let trust_input = use_node_ref();
    {
        let view = view.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                view.set(Some(tauri::call::<Value>("tsa_settings").await));
            });
        });
    }
    let on_save = {
        let view = view.clone();
        let saved = saved.clone();
        let url_input = url_input.clone();
        let trust_input = trust_input.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let get = |r: &NodeRef| {
                r.cast::<web_sys::HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let args = SaveTsa {
                url: get(&url_input),
                add_trust: Some(get(&trust_input)).filter(|s| !s.trim().is_empty()),
            };
            let view = view.clone();
            let saved = saved.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let r = tauri::call_with::<_, Value>("save_tsa_settings", &args).await;
                saved.set(r.is_ok());
                view.set(Some(r));
            });
        })
    };
    let (url, trust, folder) = match &*view {
        Some(Ok(v)) => (
            v["url"].as_str().unwrap_or_default().to_string(),
            v["trust"].as_array().cloned().unwrap_or_default(),
            v["folder"].as_str().unwrap_or_default().to_string(),
        ),
        _ => (String::new(), Vec::new(), String::new()),
    };
    html! {
        <section class="panel" aria-labelledby="tsa-heading">
            <h2 id="tsa-heading">{ t(l, "タイムスタンプ局", "Time-stamp authority") }</h2>
            <p class="muted">{ t(l, "設定すると、署名にタイムスタンプ（レベル T）を付けます。認定タイムスタンプ局の URL と、その検証用の証明書を指定してください。",
                                  "When set, signatures get a time-stamp (level T). Give your accredited TSA's URL and the certificate its tokens chain to.") }</p>
            <form id="tsa-form" onsubmit={on_save}>
                <div class="inline">
                    <label for="tsa-url">{ t(l, "URL", "URL") }</label>
                    <input id="tsa-url" ref={url_input} type="url" value={url} placeholder="https://tsa.example.jp/tsa" />
                </div>
                <div class="inline">
                    <label for="tsa-trust">{ t(l, "信頼する証明書を追加（パス）", "Add a trusted certificate (path)") }</label>
                    <input id="tsa-trust" ref={trust_input.clone()} type="text" placeholder="/path/tsa-root.pem" />
                    { browse_button(l, "certificate", trust_input, "tsa-trust") }
                    <button type="submit">{ t(l, "保存", "Save") }</button>
                </div>
            </form>
            if *saved { <p class="status-ok" role="status">{ t(l, "保存しました", "Saved") }</p> }
            if let Some(Err(m)) = &*view { <p class="status-error" role="alert">{ msg(l, m) }</p> }
            <ul class="tsa-trust">
                { for trust.iter().map(|e| html!{ <li><bdi>{ e[1].as_str().unwrap_or_default().to_string() }</bdi>{ format!(" ({})", e[0].as_str().unwrap_or_default()) }</li> }) }
            </ul>
            <p class="muted"><small>{ format!("{}: {folder}", t(l, "設定フォルダ", "Settings folder")) }</small></p>
        </section>
    }
}
