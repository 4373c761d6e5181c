//! Inkan's window: a Yew app talking to the Rust core through Tauri commands.
//! Japanese first, with an English toggle; every view is reachable by keyboard.
#![forbid(unsafe_code)]

mod card;
mod compose;
mod diag;
mod form;
mod history;
mod i18n;
mod settings;
mod submission;
mod tauri;
mod verify;

use i18n::t;
use inkan_l10n::{Lang, Message};
use serde_json::Value;
use tauri::AppInfo;
use yew::prelude::*;

const LANG_KEY: &str = "inkan.lang";

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
    let code = if lang == Lang::Ja { "ja" } else { "en" };
    if let Some(s) = storage() {
        // Losing the preference is harmless; the next start shows Japanese.
        let _ = s.set_item(LANG_KEY, code);
    }
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", code);
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tab {
    Card,
    Compose,
    Verify,
    Outbox,
    History,
    Diagnostics,
}

const TABS: [Tab; 6] = [
    Tab::Card,
    Tab::Compose,
    Tab::Verify,
    Tab::Outbox,
    Tab::History,
    Tab::Diagnostics,
];

impl Tab {
    fn id(self) -> &'static str {
        match self {
            Tab::Card => "tab-card",
            Tab::Compose => "tab-compose",
            Tab::Verify => "tab-verify",
            Tab::Outbox => "tab-outbox",
            Tab::History => "tab-history",
            Tab::Diagnostics => "tab-diagnostics",
        }
    }
    fn label(self, l: Lang) -> &'static str {
        match self {
            Tab::Card => t(l, "カード", "Card"),
            Tab::Compose => t(l, "作成・署名", "Compose & sign"),
            Tab::Verify => t(l, "検証", "Verify"),
            Tab::Outbox => t(l, "送信", "Send"),
            Tab::History => t(l, "履歴", "History"),
            Tab::Diagnostics => t(l, "設定・診断", "Settings & diagnostics"),
        }
    }
}

#[function_component(App)]
fn app() -> Html {
    let lang = use_state(load_lang);
    let tab = use_state(|| Tab::Card);
    let info = use_state(|| None::<Result<AppInfo, Message>>);
    let trust = use_state(|| None::<Value>);
    let test_card = use_state(|| false);
    let generation = use_state(|| 0u32);

    {
        let lang = *lang;
        use_effect_with(lang, move |_| store_lang(lang));
    }
    {
        let info = info.clone();
        let trust = trust.clone();
        use_effect_with((), move |_| {
            report_first_paint();
            wasm_bindgen_futures::spawn_local(async move {
                info.set(Some(tauri::call::<AppInfo>("app_info").await));
                trust.set(tauri::call::<Value>("trust_mode").await.ok());
            });
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
    let bump = {
        let generation = generation.clone();
        Callback::from(move |_: ()| generation.set(*generation + 1))
    };
    let on_test_card = {
        let test_card = test_card.clone();
        Callback::from(move |v: bool| test_card.set(v))
    };
    // The reader that signs: chosen in the card panel when several readers
    // hold a card, and used by every card call of the compose page.
    // The preference in the settings is where it starts.
    let reader = use_state(|| None::<String>);
    let on_reader = {
        let reader = reader.clone();
        Callback::from(move |r: Option<String>| reader.set(r))
    };
    let on_pick = Callback::from(move |r: String| {
        wasm_bindgen_futures::spawn_local(async move {
            #[derive(serde::Serialize)]
            struct Args {
                reader: Option<String>,
            }
            let _ =
                tauri::call_with::<_, Value>("set_reader_preference", &Args { reader: Some(r) })
                    .await;
        });
    });
    let on_lang = {
        let lang = lang.clone();
        Callback::from(move |l: Lang| lang.set(l))
    };
    // The output folder of the settings, for the compose page.
    let out_dir = use_state(String::new);
    let on_out_dir = {
        let out_dir = out_dir.clone();
        Callback::from(move |d: String| out_dir.set(d))
    };
    // A settings file that did not read was reset at start-up: say so once.
    let notice = use_state(|| None::<Message>);
    {
        let (notice, reader, out_dir) = (notice.clone(), reader.clone(), out_dir.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(v) = tauri::call::<Value>("window_settings").await {
                    if let Some(r) = v["reader"].as_str() {
                        reader.set(Some(r.to_string()));
                    }
                    if let Some(d) = v["out_dir"].as_str() {
                        out_dir.set(d.to_string());
                    }
                    notice.set(serde_json::from_value::<Message>(v["notice"].clone()).ok());
                }
            });
        });
    }
    let dismiss = {
        let notice = notice.clone();
        Callback::from(move |_: MouseEvent| notice.set(None))
    };
    // While the card signs, the window stays on the signing (the tabs are
    // disabled; closing is refused by the app until it ends).
    let busy = use_state(|| false);
    let on_busy = {
        let busy = busy.clone();
        Callback::from(move |b: bool| busy.set(b))
    };
    // "Verify this signature" from the sign result: the file, and a counter
    // so that the same file asked twice is verified twice.
    let to_verify = use_state(|| None::<(String, u32)>);
    let on_verify = {
        let (to_verify, tab) = (to_verify.clone(), tab.clone());
        Callback::from(move |path: String| {
            let n = to_verify.as_ref().map_or(0, |(_, n)| n + 1);
            to_verify.set(Some((path, n)));
            tab.set(Tab::Verify);
        })
    };
    // Arrow keys move between tabs (WAI-ARIA tabs pattern).
    let on_tab_key = {
        let tab = tab.clone();
        let busy = busy.clone();
        Callback::from(move |e: KeyboardEvent| {
            if *busy {
                return;
            }
            let i = TABS.iter().position(|x| *x == *tab).unwrap_or(0);
            let next = match e.key().as_str() {
                "ArrowRight" => TABS[(i + 1) % TABS.len()],
                "ArrowLeft" => TABS[(i + TABS.len() - 1) % TABS.len()],
                _ => return,
            };
            e.prevent_default();
            tab.set(next);
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(next.id()))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = el.focus();
            }
        })
    };

    let test_trust = trust.as_ref().is_some_and(|v| v["test"] == true);
    let debug_build = matches!(&*info, Some(Ok(i)) if i.debug);
    let version = match &*info {
        Some(Ok(i)) => format!(
            "{} {} (Tauri {}, {})",
            t(l, "バージョン", "Version"),
            i.version,
            i.tauri,
            i.os
        ),
        Some(Err(m)) => i18n::msg(l, m),
        None => String::new(),
    };

    let panel = match *tab {
        Tab::Card => html! {
            <card::CardPanel lang={l} on_test_card={on_test_card.clone()}
                reader={(*reader).clone()} on_reader={on_reader.clone()} on_pick={on_pick.clone()} />
        },
        // Compose and Verify stay mounted (below), so that a tab switch loses
        // neither the letter being written nor the results on screen.
        Tab::Compose | Tab::Verify => html! {},
        Tab::History => html! { <history::History lang={l} generation={*generation} /> },
        Tab::Outbox => html! { <submission::OutboxView lang={l} generation={*generation} /> },
        Tab::Diagnostics => {
            html! { <>
                <settings::Settings lang={l} on_lang={on_lang.clone()} on_out_dir={on_out_dir.clone()} />
                <submission::DestinationSettings lang={l} />
                <diag::TsaSettings lang={l} />
                <diag::Diagnostics lang={l} />
            </> }
        }
    };

    html! {
        <>
        <header class="app-header" inert={*busy}>
            <img class="seal" src="128x128.png" alt="" />
            <div class="titles">
                <h1>{ "Inkan" }<span class="kanji" lang="ja">{ "印鑑" }</span></h1>
                <p class="subtitle">{ t(l, "HPKIカードによる医療文書の電子署名と検証", "HPKI card signatures for healthcare documents") }</p>
            </div>
            if test_trust || *test_card {
                <span id="test-badge" class="badge-test" role="status"
                    title={ t(l, "テスト用のカードまたはトラストストアを使用中です。実運用の署名・検証ではありません。",
                              "A TEST card or trust store is in use: not for real documents.") }>
                    { t(l, "TEST（テスト用）", "TEST") }
                </span>
            }
            if debug_build {
                <span id="debug-badge" class="badge-debug" role="status"
                    title={ t(l, "開発用のデバッグビルドです。診療には使わないでください。",
                              "A development debug build: not for clinical use.") }>
                    { t(l, "デバッグ版", "DEBUG BUILD") }
                </span>
            }
            // The visible word is the button's name (what a speech user says);
            // the longer description is the tooltip.
            <button id="lang-toggle" class="lang-toggle" type="button"
                lang={ t(l, "en", "ja") }
                title={ t(l, "表示言語を英語に切り替える", "Switch the display language to Japanese") } onclick={toggle}>
                { t(l, "English", "日本語") }
            </button>
        </header>
        <nav class="tabs" inert={*busy} role="tablist" aria-label={ t(l, "画面", "Views") } onkeydown={on_tab_key}>
            { for TABS.iter().map(|x| {
                let selected = *x == *tab;
                let tab = tab.clone();
                let x = *x;
                html! {
                    <button id={x.id()} type="button" role="tab" aria-selected={selected.to_string()}
                        tabindex={ if selected { "0" } else { "-1" } }
                        disabled={*busy && !selected}
                        title={ if *busy && !selected { t(l, "署名が終わるまで切り替えできません", "Wait until the signature is done") } else { "" } }
                        class={classes!("tab", selected.then_some("active"))}
                        onclick={Callback::from(move |_: MouseEvent| tab.set(x))}>
                        { x.label(l) }
                    </button>
                }
            }) }
        </nav>
        <main role="tabpanel" aria-labelledby={tab.id()}>
            if let Some(m) = &*notice {
                <div id="settings-notice" class="banner banner-indet" role="alert">
                    <p>{ i18n::msg(l, m) }</p>
                    <button type="button" class="secondary" onclick={dismiss}>{ t(l, "閉じる", "Dismiss") }</button>
                </div>
            }
            { panel }
            <div hidden={*tab != Tab::Compose}>
                <compose::Compose lang={l} on_signed={bump.clone()} reader={(*reader).clone()}
                    on_busy={on_busy.clone()} on_verify={on_verify.clone()} out_dir={(*out_dir).clone()}
                    active={*tab == Tab::Compose} />
            </div>
            <div hidden={*tab != Tab::Verify}>
                <verify::Verify lang={l} on_verified={bump.clone()} open={(*to_verify).clone()}
                    active={*tab == Tab::Verify} />
            </div>
        </main>
        <footer class="app-footer" inert={*busy}>
            <span id="app-version">{ version }</span>
            <span>{ t(l, "文書の検証はこの端末内だけで行います。", "Documents are verified on this computer only.") }</span>
        </footer>
        </>
    }
}

/// Tells the app once that the first frame is on screen: two animation frames
/// after the first render, because WebKit paints late. The app shows the
/// start-up time in the diagnostics, and the start-up benchmark waits for it.
fn report_first_paint() {
    use wasm_bindgen::{closure::Closure, JsCast};
    let Some(window) = web_sys::window() else {
        return;
    };
    let second = Closure::once_into_js(|| {
        wasm_bindgen_futures::spawn_local(async {
            // Nothing to show when it fails: it only feeds diagnostics.
            let _ = tauri::call::<()>("ui_painted").await;
        });
    });
    let first = Closure::once_into_js(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(second.unchecked_ref());
        }
    });
    let _ = window.request_animation_frame(first.unchecked_ref());
}

fn main() {
    yew::Renderer::<App>::new().render();
}
