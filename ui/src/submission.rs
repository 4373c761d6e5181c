//! 送信 (submission): sending signed documents to the destinations set up
//! in 設定, the queue with each item's state, attempts, next try and
//! receipt, and the destinations' settings.

use crate::i18n::{msg, t, when};
use crate::tauri;
use inkan_l10n::{Lang, Message};
use serde::Serialize;
use serde_json::Value;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

fn state_words(l: Lang, s: &str) -> &'static str {
    match s {
        "queued" => t(l, "送信待ち", "Queued"),
        "sending" => t(l, "送信中", "Sending"),
        "sent" => t(l, "送信済み", "Sent"),
        "retry_wait" => t(l, "再試行待ち", "Waiting to retry"),
        "failed" => t(l, "送信できませんでした", "Failed"),
        _ => t(l, "不明", "Unknown"),
    }
}

fn state_class(s: &str) -> &'static str {
    match s {
        "sent" => "state-ok",
        "failed" => "state-fail",
        _ => "state-wait",
    }
}

fn verdict_words(l: Lang, v: &str) -> String {
    let base = match v.split_whitespace().next().unwrap_or_default() {
        "TOTAL_PASSED" => t(l, "有効", "Valid"),
        "INDETERMINATE" => t(
            l,
            "判定不能（承知のうえで送信）",
            "Indeterminate (sent by choice)",
        ),
        _ => t(l, "不明", "Unknown"),
    };
    if v.contains("(TEST)") {
        format!("{base} (TEST)")
    } else {
        base.to_string()
    }
}

#[derive(Serialize)]
struct SubmitArgs<'a> {
    paths: &'a [String],
    destination: &'a str,
    #[serde(rename = "allowIndeterminate")]
    allow_indeterminate: bool,
}

#[derive(Properties, PartialEq)]
pub struct SendProps {
    pub lang: Lang,
    /// The signed files (a letter, or a package).
    pub paths: Vec<String>,
    /// Told after the documents were queued.
    pub on_sent: Callback<()>,
}

/// "送信…": the destinations set up in 設定, and the 送信 button.
#[function_component(SendPanel)]
pub fn send_panel(props: &SendProps) -> Html {
    let l = props.lang;
    let dests = use_state(|| None::<Result<Vec<Value>, Message>>);
    let chosen = use_state(String::new);
    let allow_indet = use_state(|| false);
    let outcome = use_state(|| None::<Result<Vec<Value>, Message>>);
    let busy = use_state(|| false);
    {
        let (dests, chosen) = (dests.clone(), chosen.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let r = tauri::call::<Vec<Value>>("submission_destinations").await;
                if let Ok(list) = &r {
                    if let Some(first) = list.first().and_then(|d| d["name"].as_str()) {
                        chosen.set(first.to_string());
                    }
                }
                dests.set(Some(r));
            });
        });
    }
    let on_choose = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                chosen.set(s.value());
            }
        })
    };
    let on_indet = {
        let allow_indet = allow_indet.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                allow_indet.set(i.checked());
            }
        })
    };
    let on_send = {
        let (chosen, allow_indet, outcome, busy) = (
            chosen.clone(),
            allow_indet.clone(),
            outcome.clone(),
            busy.clone(),
        );
        let paths = props.paths.clone();
        let on_sent = props.on_sent.clone();
        Callback::from(move |_: MouseEvent| {
            let (chosen, outcome, busy, paths, on_sent) = (
                (*chosen).clone(),
                outcome.clone(),
                busy.clone(),
                paths.clone(),
                on_sent.clone(),
            );
            let allow = *allow_indet;
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let r = tauri::call_with::<_, Vec<Value>>(
                    "submit_files",
                    &SubmitArgs {
                        paths: &paths,
                        destination: &chosen,
                        allow_indeterminate: allow,
                    },
                )
                .await;
                if r.as_ref()
                    .is_ok_and(|q| q.iter().any(|x| !x["item"].is_null()))
                {
                    on_sent.emit(());
                }
                outcome.set(Some(r));
                busy.set(false);
            });
        })
    };
    let body = match &*dests {
        None => html! { <p class="muted">{ t(l, "読み込み中…", "Loading…") }</p> },
        Some(Err(m)) => html! { <p class="status-error" role="alert">{ msg(l, m) }</p> },
        Some(Ok(list)) if list.is_empty() => html! {
            <p id="send-no-destination" class="muted">{ t(l,
                "送信先が登録されていません。「設定・診断」の「送信先」で FHIR サーバまたは共有フォルダを登録してください。",
                "No destination is set up. Add a FHIR server or a shared folder under Destinations in Settings & diagnostics.") }</p>
        },
        Some(Ok(list)) => html! { <>
            <label for="send-destination">{ t(l, "送信先", "Destination") }</label>
            <select id="send-destination" onchange={on_choose}>
                { for list.iter().map(|d| {
                    let name = d["name"].as_str().unwrap_or_default().to_string();
                    let label = format!("{} — {}", name, d["place"].as_str().unwrap_or_default());
                    html! { <option value={name.clone()} selected={*chosen == name}>{ label }</option> }
                }) }
            </select>
            <label class="inline">
                <input id="send-allow-indeterminate" type="checkbox" checked={*allow_indet} onchange={on_indet} />
                { t(l, "判定不能の署名でも送信する（失効の疑いがあるものは送りません。判定不能で送ったことは送信キューに記録されます）", "Send even if the signature is indeterminate (never a possibly revoked one; the queue records it was sent as indeterminate)") }
            </label>
            <button id="send-submit" type="button" disabled={*busy || chosen.is_empty()} onclick={on_send}>
                { if *busy { t(l, "確認中…", "Checking…") } else { t(l, "送信する", "Send") } }
            </button>
        </> },
    };
    let result = match &*outcome {
        None => html! {},
        Some(Err(m)) => {
            html! { <p id="send-error" class="status-error" role="alert">{ msg(l, m) }</p> }
        }
        Some(Ok(queued)) => html! {
            <ul id="send-outcome" role="status">
                { for queued.iter().map(|q| {
                    let file = q["file"].as_str().unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default().to_string();
                    match serde_json::from_value::<Message>(q["error"].clone()) {
                        Ok(m) => html! { <li class="status-error">{ format!("{file}: {}", msg(l, &m)) }</li> },
                        Err(_) => html! { <li>{ format!("{file}: {}", t(l, "送信キューに入れました。「送信」画面で状況を確認できます。", "queued; follow it on the Send page.")) }</li> },
                    }
                }) }
            </ul>
        },
    };
    html! {
        <div id="send-panel" class="send-panel">
            <h3>{ t(l, "送信", "Send") }</h3>
            <p class="muted">{ t(l, "送る前に署名をもう一度検証します。有効な署名の文書だけが送信キューに入ります。",
                "The signature is verified again first; only documents with a valid signature are queued.") }</p>
            { body }
            { result }
        </div>
    }
}

#[derive(Serialize)]
struct IdArgs {
    id: i64,
}

#[derive(Properties, PartialEq)]
pub struct OutboxProps {
    pub lang: Lang,
    /// Bumped when something was queued elsewhere (the compose page).
    pub generation: u32,
}

/// The 送信 page: the queue.
#[function_component(OutboxView)]
pub fn outbox_view(props: &OutboxProps) -> Html {
    let l = props.lang;
    let items = use_state(|| None::<Result<Vec<Value>, Message>>);
    let error = use_state(|| None::<Message>);
    let receipt = use_state(|| None::<Value>);
    let picked = use_state(|| None::<String>);
    let reload = {
        let items = items.clone();
        Callback::from(move |_: ()| {
            let items = items.clone();
            wasm_bindgen_futures::spawn_local(async move {
                items.set(Some(tauri::call::<Vec<Value>>("outbox_list").await));
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(props.generation, move |_| reload.emit(()));
    }
    // The app says when deliveries change something; every 5 s the page
    // also asks for the queue and, when a retry fell due (or an item was
    // left queued), for delivery: only items the user already chose to send.
    {
        let reload = reload.clone();
        let setter = items.setter();
        use_effect_with((), move |_| {
            let sub = tauri::on_event("outbox-changed", move |_| reload.emit(()));
            let interval = gloo_timers::callback::Interval::new(5_000, move || {
                let setter = setter.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let list = tauri::call::<Vec<Value>>("outbox_list").await;
                    let due = list.as_ref().is_ok_and(|l| {
                        l.iter().any(|i| {
                            i["state"] == "queued"
                                || (i["state"] == "retry_wait"
                                    && i["next_at"]
                                        .as_f64()
                                        .is_some_and(|n| n * 1000.0 <= js_sys::Date::now()))
                        })
                    });
                    setter.set(Some(list));
                    if due {
                        let _ = tauri::call::<Value>("outbox_run").await;
                    }
                });
            });
            move || {
                drop(sub);
                drop(interval);
            }
        });
    }
    let run_now = {
        let (error, reload) = (error.clone(), reload.clone());
        Callback::from(move |_: MouseEvent| {
            let (error, reload) = (error.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                error.set(tauri::call::<Value>("outbox_run").await.err());
                reload.emit(());
            });
        })
    };
    let pick = {
        let picked = picked.clone();
        Callback::from(move |_: MouseEvent| {
            let picked = picked.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(p) = tauri::pick("submit_file").await {
                    picked.set(Some(p));
                }
            });
        })
    };
    let on_key = {
        let receipt = receipt.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                receipt.set(None);
            } else if e.key() == "Tab" || e.code() == "Tab" {
                // One control: the focus stays on it.
                e.prevent_default();
            }
        })
    };
    // The dialog's button takes the focus when it opens; the row's button
    // gets it back when it closes.
    let opener = use_state(|| None::<String>);
    {
        let open = receipt.is_some();
        let opener = opener.clone();
        use_effect_with(open, move |open| {
            let id = if *open {
                Some("receipt-close".to_string())
            } else {
                (*opener).clone()
            };
            if let Some(el) = id
                .and_then(|id| web_sys::window()?.document()?.get_element_by_id(&id))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = el.focus();
            }
        });
    }
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let table = match &*items {
        None => html! { <p class="muted">{ t(l, "読み込み中…", "Loading…") }</p> },
        Some(Err(m)) => html! { <p class="status-error" role="alert">{ msg(l, m) }</p> },
        Some(Ok(list)) if list.is_empty() => {
            html! { <p id="outbox-empty" class="muted">{ t(l, "送信キューは空です", "The outbox is empty") }</p> }
        }
        Some(Ok(list)) => html! {
            <table id="outbox-table" class="results">
                <thead><tr>
                    <th scope="col">{ t(l, "番号", "No.") }</th>
                    <th scope="col">{ t(l, "文書", "Document") }</th>
                    <th scope="col">{ t(l, "送信先", "Destination") }</th>
                    <th scope="col">{ t(l, "状態", "State") }</th>
                    <th scope="col">{ t(l, "試行", "Attempts") }</th>
                    <th scope="col">{ t(l, "次の試行・理由", "Next try / reason") }</th>
                    <th scope="col">{ t(l, "操作", "Actions") }</th>
                </tr></thead>
                <tbody>{ for list.iter().map(|it| {
                    let id = it["id"].as_i64().unwrap_or_default();
                    let state = s(&it["state"]);
                    let dest = it["dest_name"].as_str().map(str::to_string).unwrap_or_else(|| s(&it["destination"]));
                    let reason = serde_json::from_value::<Message>(it["last_error"].clone()).ok();
                    let retry = {
                        let (error, reload) = (error.clone(), reload.clone());
                        Callback::from(move |_: MouseEvent| {
                            let (error, reload) = (error.clone(), reload.clone());
                            wasm_bindgen_futures::spawn_local(async move {
                                error.set(tauri::call_with::<_, Value>("outbox_retry", &IdArgs { id }).await.err());
                                reload.emit(());
                            });
                        })
                    };
                    let show = {
                        let (receipt, opener, it) = (receipt.clone(), opener.clone(), it.clone());
                        Callback::from(move |_: MouseEvent| {
                            opener.set(Some(format!("receipt-{id}")));
                            receipt.set(Some(it.clone()));
                        })
                    };
                    html! {
                        <tr id={format!("outbox-row-{id}")} data-state={state.clone()}>
                            <td>{ id }</td>
                            <td><code>{ s(&it["doc_name"]) }</code><br/><small class="muted">{ verdict_words(l, &s(&it["verdict"])) }</small></td>
                            <td><bdi>{ dest }</bdi></td>
                            <td class={state_class(&state)}>{ state_words(l, &state) }</td>
                            <td>{ it["attempts"].as_i64().unwrap_or_default() }</td>
                            <td>
                                if state == "retry_wait" {
                                    if let Some(n) = it["next_utc"].as_str() { { when(l, n, true) }<br/> }
                                }
                                if state != "sent" {
                                    if let Some(m) = &reason { <small title={m.code.clone()}>{ msg(l, m) }</small> }
                                }
                            </td>
                            <td>
                                if state == "sent" {
                                    <button id={format!("receipt-{id}")} type="button" class="secondary" onclick={show}>{ t(l, "受領証", "Receipt") }</button>
                                } else if state == "failed" || state == "retry_wait" {
                                    <button id={format!("retry-{id}")} type="button" class="secondary" onclick={retry}>{ t(l, "再試行", "Retry") }</button>
                                }
                            </td>
                        </tr>
                    }
                }) }</tbody>
            </table>
        },
    };
    let dialog = match &*receipt {
        None => html! {},
        Some(it) => {
            let r = &it["receipt"];
            let close = {
                let receipt = receipt.clone();
                Callback::from(move |_: MouseEvent| receipt.set(None))
            };
            let row = |k: &'static str, ja: &'static str, en: &'static str| -> Html {
                match r[k].as_str() {
                    Some(v) if !v.is_empty() => {
                        html! { <><dt>{ t(l, ja, en) }</dt><dd><code>{ v.to_string() }</code></dd></> }
                    }
                    _ => html! {},
                }
            };
            html! {
                <div class="modal-backdrop">
                    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="receipt-title" onkeydown={on_key.clone()}>
                        <h3 id="receipt-title">{ format!("{} #{}", t(l, "受領証", "Receipt"), it["id"].as_i64().unwrap_or_default()) }</h3>
                        <dl id="receipt-details">
                            <dt>{ t(l, "文書", "Document") }</dt><dd><code>{ s(&it["doc_name"]) }</code></dd>
                            <dt>{ t(l, "識別子", "Identifier") }</dt><dd><code>{ format!("{}|{}", s(&it["key"]["system"]), s(&it["key"]["value"])) }</code></dd>
                            <dt>{ t(l, "送信日時", "Delivered") }</dt><dd>{ when(l, &s(&r["delivered_utc"]), true) }</dd>
                            <dt>{ t(l, "結果", "Outcome") }</dt><dd>{ if r["outcome"] == "created" { t(l, "新規に登録されました", "created") } else { t(l, "すでに届いていました（重複なし）", "already there (no duplicate)") } }</dd>
                            { row("location", "受信側の場所", "Location") }
                            { row("resource", "リソース", "Resource") }
                            { row("version", "版", "Version") }
                            { row("server_time", "サーバの時刻", "Server time") }
                            { row("path", "置いた場所", "Placed at") }
                            { row("result_file", "受信側の結果ファイル", "Receiver's result file") }
                            { row("response_sha256", "応答の SHA-256", "Response SHA-256") }
                            <dt>{ t(l, "文書の SHA-256", "Document SHA-256") }</dt><dd><code>{ s(&it["doc_sha256"]) }</code></dd>
                        </dl>
                        <div class="actions">
                            <button id="receipt-close" type="button" onclick={close}>{ t(l, "閉じる", "Close") }</button>
                        </div>
                    </div>
                </div>
            }
        }
    };
    let on_sent = reload.reform(|_: ()| ());
    html! { <>
        <section class="panel" aria-labelledby="outbox-heading" id="outbox" inert={receipt.is_some()}>
            <h2 id="outbox-heading">{ t(l, "送信", "Send") }</h2>
            <p class="muted">{ t(l,
                "署名済みの文書を、設定した送信先（FHIR サーバ・共有フォルダ）へ一度だけ確実に届けます。通信が途切れても自動で再試行し、重複して届くことはありません。",
                "Signed documents are delivered once to the destinations set up in Settings (a FHIR server, a shared folder). Interrupted deliveries are retried automatically and never arrive twice.") }</p>
            <div class="result-actions">
                <button id="outbox-run" type="button" class="secondary" onclick={run_now}>{ t(l, "今すぐ送信・再試行", "Deliver now") }</button>
                <button id="outbox-pick" type="button" class="secondary" onclick={pick}>{ t(l, "文書を選んで送信…", "Choose documents to send…") }</button>
            </div>
            if let Some(p) = &*picked {
                <p><code>{ p.clone() }</code></p>
                <SendPanel lang={l} paths={vec![p.clone()]} on_sent={on_sent} />
            }
            if let Some(m) = &*error { <p id="outbox-error" class="status-error" role="alert">{ msg(l, m) }</p> }
            { table }
        </section>
        { dialog }
    </> }
}

#[derive(Serialize)]
struct SaveArgs {
    name: String,
    kind: String,
    url: Option<String>,
    mode: Option<String>,
    folder: Option<String>,
    layout: Option<String>,
    #[serde(rename = "awaitResult")]
    await_result: Option<bool>,
    token: Option<String>,
    #[serde(rename = "clearToken")]
    clear_token: Option<bool>,
}

#[derive(Serialize)]
struct NameArgs {
    name: String,
}

#[derive(Properties, PartialEq)]
pub struct DestProps {
    pub lang: Lang,
}

/// 設定 › 送信先: FHIR servers and shared folders.
#[function_component(DestinationSettings)]
pub fn destination_settings(props: &DestProps) -> Html {
    let l = props.lang;
    let list = use_state(Vec::<Value>::new);
    let error = use_state(|| None::<Message>);
    let kind = use_state(|| "fhir".to_string());
    let saved = use_state(|| false);
    let (name_ref, url_ref, mode_ref, folder_ref, layout_ref, result_ref, token_ref) = (
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
    );
    {
        let (list, error) = (list.clone(), error.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match tauri::call::<Vec<Value>>("submission_destinations").await {
                    Ok(v) => list.set(v),
                    Err(m) => error.set(Some(m)),
                }
            });
        });
    }
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                kind.set(s.value());
            }
        })
    };
    let value = |r: &NodeRef| {
        r.cast::<HtmlInputElement>()
            .map(|i| i.value())
            .unwrap_or_default()
    };
    let select = |r: &NodeRef| {
        r.cast::<HtmlSelectElement>()
            .map(|i| i.value())
            .unwrap_or_default()
    };
    let on_add = {
        let (list, error, saved, kind) = (list.clone(), error.clone(), saved.clone(), kind.clone());
        let refs = (
            name_ref.clone(),
            url_ref.clone(),
            mode_ref.clone(),
            folder_ref.clone(),
            layout_ref.clone(),
            result_ref.clone(),
            token_ref.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let fhir = *kind == "fhir";
            let token = value(&refs.6);
            let args = SaveArgs {
                name: value(&refs.0),
                kind: (*kind).clone(),
                url: fhir.then(|| value(&refs.1)),
                mode: fhir.then(|| select(&refs.2)),
                folder: (!fhir).then(|| value(&refs.3)),
                layout: (!fhir).then(|| select(&refs.4)),
                await_result: (!fhir).then(|| {
                    refs.5
                        .cast::<HtmlInputElement>()
                        .is_some_and(|i| i.checked())
                }),
                token: (fhir && !token.is_empty()).then_some(token),
                clear_token: None,
            };
            // The token field is emptied at once: it is not kept in the page.
            if let Some(i) = refs.6.cast::<HtmlInputElement>() {
                i.set_value("");
            }
            let (list, error, saved) = (list.clone(), error.clone(), saved.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match tauri::call_with::<_, Vec<Value>>("save_submission_destination", &args).await
                {
                    Ok(v) => {
                        list.set(v);
                        error.set(None);
                        saved.set(true);
                    }
                    Err(m) => {
                        error.set(Some(m));
                        saved.set(false);
                    }
                }
            });
        })
    };
    let fhir = *kind == "fhir";
    html! {
        <section class="panel" aria-labelledby="destinations-heading" id="destinations">
            <h2 id="destinations-heading">{ t(l, "送信先", "Destinations") }</h2>
            if list.is_empty() {
                <p class="muted" id="destinations-empty">{ t(l, "送信先はまだありません。", "No destination yet.") }</p>
            } else {
                <table id="destinations-table" class="results">
                    <thead><tr>
                        <th scope="col">{ t(l, "名前", "Name") }</th>
                        <th scope="col">{ t(l, "種類", "Kind") }</th>
                        <th scope="col">{ t(l, "場所", "Place") }</th>
                        <th scope="col">{ t(l, "形式", "Format") }</th>
                        <th scope="col">{ t(l, "操作", "Actions") }</th>
                    </tr></thead>
                    <tbody>{ for list.iter().map(|d| {
                        let name = d["name"].as_str().unwrap_or_default().to_string();
                        let remove = {
                            let (list, error, name) = (list.clone(), error.clone(), name.clone());
                            Callback::from(move |_: MouseEvent| {
                                let (list, error, name) = (list.clone(), error.clone(), name.clone());
                                wasm_bindgen_futures::spawn_local(async move {
                                    match tauri::call_with::<_, Vec<Value>>("remove_submission_destination", &NameArgs { name }).await {
                                        Ok(v) => list.set(v),
                                        Err(m) => error.set(Some(m)),
                                    }
                                });
                            })
                        };
                        let kind_words = if d["kind"] == "fhir" { t(l, "FHIR サーバ", "FHIR server") } else { t(l, "共有フォルダ", "Shared folder") };
                        let detail = match d["detail"].as_str().unwrap_or_default() {
                            "bundle" => t(l, "文書 Bundle", "document Bundle"),
                            "mhd" => "IHE MHD",
                            "xdm" => "IHE XDM",
                            "ssmix2" => t(l, "SS-MIX2 拡張ストレージ", "SS-MIX2 extended storage"),
                            _ => t(l, "ファイル＋目録", "files + manifest"),
                        };
                        html! { <tr>
                            <td><bdi>{ name.clone() }</bdi></td>
                            <td>{ kind_words }{ if d["has_token"] == true { t(l, "（トークンあり）", " (token set)") } else { "" } }</td>
                            <td><code>{ d["place"].as_str().unwrap_or_default().to_string() }</code></td>
                            <td>{ detail }{ if d["await_result"] == true { t(l, "・結果ファイルを待つ", ", awaits a result file") } else { "" } }</td>
                            <td><button type="button" class="secondary" aria-label={format!("{} {name}", t(l, "削除", "Remove"))} onclick={remove}>{ t(l, "削除", "Remove") }</button></td>
                        </tr> }
                    }) }</tbody>
                </table>
            }
            <fieldset id="destination-form">
                <legend>{ t(l, "送信先を追加・更新", "Add or update a destination") }</legend>
                <div class="setting">
                    <label for="dest-name">{ t(l, "名前", "Name") }</label>
                    <input id="dest-name" ref={name_ref} type="text" placeholder={ t(l, "例: 地域連携サーバ", "e.g. Regional network") } />
                </div>
                <div class="setting">
                    <label for="dest-kind">{ t(l, "種類", "Kind") }</label>
                    <select id="dest-kind" onchange={on_kind}>
                        <option value="fhir" selected={fhir}>{ t(l, "FHIR サーバ", "FHIR server") }</option>
                        <option value="folder" selected={!fhir}>{ t(l, "共有フォルダ", "Shared folder") }</option>
                    </select>
                </div>
                if fhir {
                    <div class="setting">
                        <label for="dest-url">{ t(l, "ベース URL", "Base URL") }</label>
                        <input id="dest-url" ref={url_ref} type="url" placeholder="https://fhir.example.jp/r4" />
                    </div>
                    <div class="setting">
                        <label for="dest-mode">{ t(l, "送り方", "Mode") }</label>
                        <select id="dest-mode" ref={mode_ref}>
                            <option value="bundle">{ t(l, "文書 Bundle（HS038）", "Document Bundle (HS038)") }</option>
                            <option value="mhd">{ t(l, "IHE MHD（HS008・パッケージも可）", "IHE MHD (also HS008 and packages)") }</option>
                        </select>
                    </div>
                    <div class="setting">
                        <label for="dest-token">{ t(l, "アクセストークン（任意）", "Bearer token (optional)") }</label>
                        <input id="dest-token" ref={token_ref} type="password" autocomplete="off" />
                        <p class="muted">{ t(l, "https:// の送信先にだけ送ります。空欄なら今のトークンを保ちます。", "Sent to https:// destinations only; left empty, the current token is kept.") }</p>
                    </div>
                } else {
                    <div class="setting">
                        <label for="dest-folder">{ t(l, "フォルダ", "Folder") }</label>
                        <input id="dest-folder" ref={folder_ref.clone()} type="text" readonly=true />
                        { crate::i18n::browse_button(l, "submit_folder", folder_ref, "dest-folder") }
                    </div>
                    <div class="setting">
                        <label for="dest-layout">{ t(l, "形式", "Layout") }</label>
                        <select id="dest-layout" ref={layout_ref}>
                            <option value="plain">{ t(l, "ファイル＋目録（JSON）", "Files + JSON manifest") }</option>
                            <option value="xdm">{ "IHE XDM (zip)" }</option>
                            <option value="ssmix2">{ t(l, "SS-MIX2 拡張ストレージ", "SS-MIX2 extended storage") }</option>
                        </select>
                    </div>
                    <label class="inline">
                        <input id="dest-result" ref={result_ref} type="checkbox" />
                        { t(l, "受信側の結果ファイル（*.result）を受領とする", "Wait for the receiver's result file (*.result) as the receipt") }
                    </label>
                }
                <button id="dest-save" type="button" onclick={on_add}>{ t(l, "保存", "Save") }</button>
            </fieldset>
            if *saved { <p id="destinations-saved" class="muted" role="status">{ t(l, "保存しました", "Saved") }</p> }
            if let Some(m) = &*error { <p id="destinations-error" class="status-error" role="alert">{ msg(l, m) }</p> }
        </section>
    }
}
