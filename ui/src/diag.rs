//! Diagnostics for support requests: readers, ATRs, pcscd, versions, trust anchors.

use crate::i18n::{msg, t};
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
                    <pre id="diagnostics-text" class="diag">{ text.clone() }</pre>
                    </>
                },
            } }
        </section>
    }
}
