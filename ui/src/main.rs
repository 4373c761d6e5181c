//! Inkan's window: a Yew app talking to the Rust core through Tauri commands.
#![forbid(unsafe_code)]

mod i18n;
mod tauri;

use gloo_timers::callback::Interval;
use i18n::{tr, Key};
use inkan_l10n::{Lang, Message};
use tauri::{AppInfo, ReaderInfo};
use yew::prelude::*;

const LANG_KEY: &str = "inkan.lang";
/// How often the reader list is refreshed. Live insertion events arrive with the
/// card panel; until then a short poll keeps the status honest.
const READER_POLL_MS: u32 = 1500;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load_lang() -> Lang {
    storage()
        .and_then(|s| s.get_item(LANG_KEY).ok().flatten())
        .and_then(|v| Lang::parse(&v))
        .unwrap_or_default()
}

fn store_lang(lang: Lang) {
    if let Some(s) = storage() {
        // Losing the preference is harmless; the next start shows Japanese.
        let _ = s.set_item(LANG_KEY, if lang == Lang::Ja { "ja" } else { "en" });
    }
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", if lang == Lang::Ja { "ja" } else { "en" });
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Readers {
    Loading,
    Ready(Vec<ReaderInfo>),
    Failed(Message),
}

fn message_text(lang: Lang, m: &Message) -> String {
    match lang {
        Lang::Ja => m.ja.clone(),
        Lang::En => m.en.clone(),
    }
}

#[function_component(App)]
fn app() -> Html {
    let lang = use_state(load_lang);
    let info = use_state(|| None::<Result<AppInfo, Message>>);
    let readers = use_state(|| Readers::Loading);

    {
        let lang = *lang;
        use_effect_with(lang, move |_| store_lang(lang));
    }

    {
        let info = info.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                info.set(Some(tauri::call::<AppInfo>("app_info").await));
            });
        });
    }

    let refresh = {
        let readers = readers.clone();
        Callback::from(move |_: ()| {
            let readers = readers.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let next = match tauri::call::<Vec<ReaderInfo>>("list_readers").await {
                    Ok(list) => Readers::Ready(list),
                    Err(m) => Readers::Failed(m),
                };
                // Avoid re-rendering (and losing focus) when nothing changed.
                if *readers != next {
                    readers.set(next);
                }
            });
        })
    };

    {
        let refresh = refresh.clone();
        use_effect_with((), move |_| {
            refresh.emit(());
            let timer = Interval::new(READER_POLL_MS, move || refresh.emit(()));
            move || drop(timer)
        });
    }

    let toggle = {
        let lang = lang.clone();
        Callback::from(move |_: MouseEvent| {
            lang.set(if *lang == Lang::Ja {
                Lang::En
            } else {
                Lang::Ja
            })
        })
    };
    let l = *lang;

    let reader_body = match &*readers {
        Readers::Loading => html! { <p class="muted">{ tr(l, Key::Loading) }</p> },
        Readers::Failed(m) => html! {
            <p class="status-error" role="alert" data-code={m.code.clone()}>{ message_text(l, m) }</p>
        },
        Readers::Ready(list) if list.is_empty() => html! {
            <p class="status-warn" data-code="pcsc.no_readers">{ tr(l, Key::NoReaders) }</p>
        },
        Readers::Ready(list) => html! {
            <ul class="readers">
                { for list.iter().map(|r| reader_row(l, r)) }
            </ul>
        },
    };

    let version = match &*info {
        Some(Ok(i)) => format!(
            "{} {} (Tauri {}, {})",
            tr(l, Key::Version),
            i.version,
            i.tauri,
            i.os
        ),
        Some(Err(m)) => message_text(l, m),
        None => String::new(),
    };

    html! {
        <>
        <header class="app-header">
            <img class="seal" src="128x128.png" alt="" />
            <div class="titles">
                <h1>{ "Inkan" }<span class="kanji" lang="ja">{ "印鑑" }</span></h1>
                <p class="subtitle">{ tr(l, Key::Subtitle) }</p>
            </div>
            <button id="lang-toggle" class="lang-toggle" type="button"
                aria-label={ tr(l, Key::ToggleLabel) } onclick={toggle}>
                { tr(l, Key::Toggle) }
            </button>
        </header>
        <main>
            <section class="panel" aria-labelledby="readers-heading">
                <div class="panel-head">
                    <h2 id="readers-heading">{ tr(l, Key::ReadersHeading) }</h2>
                    <button type="button" class="secondary" onclick={refresh.reform(|_: MouseEvent| ())}>
                        { tr(l, Key::Refresh) }
                    </button>
                </div>
                <div id="reader-status" aria-live="polite">{ reader_body }</div>
            </section>
        </main>
        <footer class="app-footer">
            <span id="app-version">{ version }</span>
            <span>{ tr(l, Key::Footer) }</span>
        </footer>
        </>
    }
}

fn reader_row(l: Lang, r: &ReaderInfo) -> Html {
    let (class, state) = match (r.card_present, r.exclusive) {
        (true, true) => ("dot busy", tr(l, Key::InUse)),
        (true, false) => ("dot on", tr(l, Key::CardPresent)),
        (false, _) => ("dot off", tr(l, Key::NoCard)),
    };
    html! {
        <li class="reader">
            <span class={class} aria-hidden="true"></span>
            <span class="reader-name">{ r.name.clone() }</span>
            <span class="reader-state">{ state }</span>
            if let Some(atr) = &r.atr {
                <code class="atr" title="ATR">{ atr.clone() }</code>
            }
        </li>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
