//! The card panel: readers, the card and its holder, PIN tries left — live.

use crate::i18n::{msg, t};
use crate::tauri::{self, ReaderInfo};
use gloo_timers::callback::Interval;
use inkan_l10n::{Lang, Message};
use serde::Serialize;
use serde_json::Value;
use yew::prelude::*;

/// Reader polling period: insertion and removal show within half a second.
const POLL_MS: u32 = 300;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Told whether the inserted card is a TEST card.
    pub on_test_card: Callback<bool>,
    /// The reader chosen to sign with (`None`: the first with a card).
    pub reader: Option<String>,
    /// Told when the reader that signs changes (the user's pick, or the
    /// first with a card when the chosen one has none).
    pub on_reader: Callback<Option<String>>,
    /// Told when the user picks a reader (remembered in the settings).
    pub on_pick: Callback<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Readers {
    Loading,
    Ready(Vec<ReaderInfo>),
    Failed(Message),
}

#[derive(Serialize)]
struct ReaderArgs {
    reader: Option<String>,
}

/// Remaining PIN tries as a sentence.
pub fn pin_line(l: Lang, pin: &Value) -> String {
    match pin.get("state").and_then(|s| s.as_str()) {
        Some("tries") => {
            let n = pin.get("tries_left").and_then(|n| n.as_u64()).unwrap_or(0);
            match l {
                Lang::Ja => format!("PIN 残り試行回数: {n} 回"),
                Lang::En => format!("PIN tries left: {n}"),
            }
        }
        Some("verified") => t(l, "PIN 照合済み", "PIN verified").into(),
        Some("blocked") => t(
            l,
            "PIN はロックされています（署名できません）",
            "PIN locked (cannot sign)",
        )
        .into(),
        _ => t(l, "PIN 残り試行回数: 不明", "PIN tries left: unknown").into(),
    }
}

#[function_component(CardPanel)]
pub fn card_panel(props: &Props) -> Html {
    let l = props.lang;
    let readers = use_state(|| Readers::Loading);
    let card = use_state(|| None::<Result<Value, Message>>);
    // The last reader state the card view was read for (name + ATR per
    // reader, and the chosen reader).
    let seen = use_mut_ref(String::new);
    // The chosen reader as the poll (set up once) sees it.
    let chosen = use_mut_ref(|| None::<String>);
    *chosen.borrow_mut() = props.reader.clone();

    {
        let readers = readers.clone();
        let card = card.clone();
        let on_test = props.on_test_card.clone();
        let on_reader = props.on_reader.clone();
        let chosen = chosen.clone();
        use_effect_with((), move |_| {
            let poll = move || {
                let readers = readers.clone();
                let card = card.clone();
                let seen = seen.clone();
                let on_test = on_test.clone();
                let on_reader = on_reader.clone();
                let chosen = chosen.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let next = match tauri::call::<Vec<ReaderInfo>>("list_readers").await {
                        Ok(list) => Readers::Ready(list),
                        Err(m) => Readers::Failed(m),
                    };
                    // The reader that signs is always a named one: the user's
                    // choice while its card is in, else the first with a card.
                    // The panel, the PIN dialog and the signature use it alike.
                    let present: Vec<String> = match &next {
                        Readers::Ready(list) => list
                            .iter()
                            .filter(|r| r.card_present)
                            .map(|r| r.name.clone())
                            .collect(),
                        _ => Vec::new(),
                    };
                    let current = chosen.borrow().clone();
                    let reader = current
                        .clone()
                        .filter(|r| present.contains(r))
                        .or_else(|| present.first().cloned());
                    if reader != current {
                        *chosen.borrow_mut() = reader.clone();
                        on_reader.emit(reader.clone());
                    }
                    let key = match &next {
                        Readers::Ready(list) => list
                            .iter()
                            .map(|r| format!("{}={}", r.name, r.atr.clone().unwrap_or_default()))
                            .collect::<Vec<_>>()
                            .join(";"),
                        other => format!("{other:?}"),
                    } + "|"
                        + reader.as_deref().unwrap_or("");
                    if *readers != next {
                        readers.set(next.clone());
                    }
                    if *seen.borrow() != key {
                        *seen.borrow_mut() = key;
                        let any_card =
                            matches!(&next, Readers::Ready(l) if l.iter().any(|r| r.card_present));
                        if any_card {
                            let v =
                                tauri::call_with::<_, Value>("card_status", &ReaderArgs { reader })
                                    .await;
                            on_test.emit(matches!(&v, Ok(c) if c["test"] == true));
                            card.set(Some(v));
                        } else {
                            on_test.emit(false);
                            card.set(None);
                        }
                    }
                });
            };
            poll();
            let timer = Interval::new(POLL_MS, poll);
            move || drop(timer)
        });
    }

    let reader_list = match &*readers {
        Readers::Loading => html! { <p class="muted">{ t(l, "確認中…", "Checking…") }</p> },
        Readers::Failed(m) => html! {
            <p class="status-error" role="alert" data-code={m.code.clone()}>{ msg(l, m) }</p>
        },
        Readers::Ready(list) if list.is_empty() => html! {
            <p class="status-warn" data-code="pcsc.no_readers">
                { t(l, "カードリーダーが見つかりません", "No card reader found") }
            </p>
        },
        Readers::Ready(list) => html! {
            <ul class="readers">
                { for list.iter().map(|r| {
                    let (class, state) = match (r.card_present, r.exclusive) {
                        (true, true) => ("dot busy", t(l, "他のアプリが使用中", "In use by another application")),
                        (true, false) => ("dot on", t(l, "カードあり", "Card inserted")),
                        (false, _) => ("dot off", t(l, "カードなし", "No card")),
                    };
                    html! {
                        <li class="reader">
                            <span class={class} aria-hidden="true"></span>
                            <span class="reader-name">{ r.name.clone() }</span>
                            <span class="reader-state">{ state }</span>
                            if let Some(atr) = &r.atr { <code class="atr" title="ATR">{ atr.clone() }</code> }
                        </li>
                    }
                }) }
            </ul>
        },
    };

    // Several readers with a card: the user picks the one to sign with;
    // signing uses exactly that reader.
    let with_card: Vec<String> = match &*readers {
        Readers::Ready(list) => list
            .iter()
            .filter(|r| r.card_present)
            .map(|r| r.name.clone())
            .collect(),
        _ => Vec::new(),
    };
    let picked = props
        .reader
        .clone()
        .filter(|r| with_card.contains(r))
        .or_else(|| with_card.first().cloned());
    let picker = if with_card.len() > 1 {
        html! {
            <fieldset id="reader-picker" class="reader-picker">
                <legend>{ t(l, "署名に使うカードリーダー", "Reader to sign with") }</legend>
                { for with_card.iter().map(|name| {
                    let on_reader = props.on_reader.clone();
                    let on_pick = props.on_pick.clone();
                    let value = name.clone();
                    let checked = picked.as_deref() == Some(name.as_str());
                    html! {
                        <label class="check">
                            <input type="radio" name="reader" value={name.clone()} checked={checked}
                                onchange={Callback::from(move |_: Event| { on_pick.emit(value.clone()); on_reader.emit(Some(value.clone())) })} />
                            { name.clone() }
                        </label>
                    }
                }) }
            </fieldset>
        }
    } else {
        html! {}
    };

    let card_view = match &*card {
        None => html! {},
        Some(Err(m)) => {
            html! { <p class="status-error" role="alert" data-code={m.code.clone()}>{ msg(l, m) }</p> }
        }
        Some(Ok(c)) => card_details(l, c),
    };

    html! {
        <section class="panel" aria-labelledby="card-heading">
            <h2 id="card-heading">{ t(l, "カードとリーダー", "Card and reader") }</h2>
            <div id="reader-status" aria-live="polite">{ reader_list }</div>
            { picker }
            <div id="card-status" aria-live="polite">{ card_view }</div>
        </section>
    }
}

fn card_details(l: Lang, c: &Value) -> Html {
    let h = &c["holder"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let name = match h.get("name_kanji").and_then(|k| k.as_str()) {
        Some(k) => format!("{k}（{}）", s(&h["name"])),
        None => s(&h["name"]),
    };
    let role = match l {
        Lang::Ja => h["role"]["ja"].as_str().or(h["role"]["text"].as_str()),
        Lang::En => h["role"]["text"].as_str(),
    }
    .unwrap_or("-")
    .to_string();
    let days = c["expires_in_days"].as_i64().unwrap_or(i64::MAX);
    let expiry = if days < 0 {
        html! { <p class="status-error" role="alert">{ t(l, "証明書の有効期限が切れています", "The certificate has expired") }</p> }
    } else if days <= 60 {
        let text = match l {
            Lang::Ja => {
                format!("証明書の有効期限まで残り {days} 日です。更新手続きをしてください。")
            }
            Lang::En => format!("The certificate expires in {days} days. Please renew it."),
        };
        html! { <p class="status-warn">{ text }</p> }
    } else {
        html! {}
    };
    html! {
        <div class="card-holder">
            if c["test"] == true {
                <span class="badge-test" title={t(l, "テスト用カード", "TEST card")}>{ "TEST" }</span>
            }
            <dl class="facts">
                <dt>{ t(l, "名義", "Holder") }</dt><dd id="holder-name">{ name }</dd>
                <dt>{ t(l, "資格", "Qualification") }</dt><dd id="holder-role">{ role }</dd>
                <dt>{ t(l, "発行認証局", "Issuing CA") }</dt><dd>{ s(&h["issuer_short"]) }</dd>
                <dt>{ t(l, "有効期間", "Valid") }</dt><dd id="holder-validity">{ crate::i18n::when(l, &s(&h["not_before"]), false) }{ " – " }{ crate::i18n::when(l, &s(&h["not_after"]), false) }</dd>
                <dt>{ "PIN" }</dt><dd id="pin-tries">{ pin_line(l, &c["pin"]) }</dd>
            </dl>
            if c["test"] == true {
                <p class="muted">{ t(l, "これはデモ用の TEST カードです（PIN は 1234）。実際の文書には使えません。",
                                     "This is the demo TEST card (PIN 1234); it cannot sign real documents.") }</p>
            }
            { expiry }
        </div>
    }
}
