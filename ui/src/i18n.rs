//! The UI's own strings: each call site carries both languages, so a missing
//! translation cannot go unnoticed. Errors from the core arrive already
//! translated ([`inkan_l10n::Message`]).

use inkan_l10n::{Lang, Message};

/// Picks the Japanese or English text.
pub fn t(l: Lang, ja: &'static str, en: &'static str) -> &'static str {
    match l {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// A core message in the chosen language.
pub fn msg(l: Lang, m: &Message) -> String {
    match l {
        Lang::Ja => m.ja.clone(),
        Lang::En => m.en.clone(),
    }
}

/// A `{ja, en}` JSON text in the chosen language.
pub fn text(l: Lang, v: &serde_json::Value) -> String {
    let key = if l == Lang::Ja { "ja" } else { "en" };
    v.get(key)
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string()
}

/// A "参照… / Browse…" button that fills the input `target` from the native
/// file dialog of `kind`, as if the user had typed the path.
pub fn browse_button(
    l: Lang,
    kind: &'static str,
    target: yew::NodeRef,
    label_for: &'static str,
) -> yew::Html {
    use yew::prelude::*;
    let onclick = Callback::from(move |_: MouseEvent| {
        let target = target.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(path) = crate::tauri::pick(kind).await {
                if let Some(input) = target.cast::<web_sys::HtmlInputElement>() {
                    input.set_value(&path);
                    let init = web_sys::EventInit::new();
                    init.set_bubbles(true);
                    if let Ok(ev) = web_sys::Event::new_with_event_init_dict("change", &init) {
                        let _ = input.dispatch_event(&ev);
                    }
                }
            }
        });
    });
    let aria = format!("{} ({label_for})", t(l, "参照", "Browse"));
    html! { <button type="button" class="secondary" aria-label={aria} onclick={onclick}>{ t(l, "参照…", "Browse…") }</button> }
}

/// A UTC instant from a report (RFC 3339) shown in Japan time, the exact
/// UTC value on hover and in `datetime`. Anything unreadable is shown as
/// it came.
pub fn when(l: Lang, rfc3339: &str, seconds: bool) -> yew::Html {
    match inkan_l10n::japan_time(rfc3339) {
        // Documents are dated with the era year in Japanese.
        Some(j) => yew::html! {
            <time datetime={rfc3339.to_string()} title={format!("{rfc3339} (UTC)")}>{
                match l { Lang::Ja => j.ja_with_era(seconds), Lang::En => j.en(seconds) }
            }</time>
        },
        None => yew::html! { <span>{ rfc3339.to_string() }</span> },
    }
}
