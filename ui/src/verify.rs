//! Verify: one letter (or package) with its signature, or a whole folder;
//! a verdict banner first, the detailed report on demand.

use crate::i18n::{browse_button, msg, t, text, when};
use crate::tauri;
use inkan_l10n::{Lang, Message};
use serde::Serialize;
use serde_json::Value;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub on_verified: Callback<()>,
    /// The view is on screen (it stays mounted behind other tabs, keeping
    /// its results; dropped files count only when it is shown).
    pub active: bool,
    /// A file to verify now ("verify this signature" after signing), with a
    /// counter so that asking twice verifies twice.
    pub open: Option<(String, u32)>,
}

#[derive(Serialize)]
struct PathsArgs<'a> {
    paths: &'a [String],
}

#[derive(Serialize)]
struct DirArgs<'a> {
    dir: &'a str,
}

#[derive(Serialize)]
struct ExportArgs<'a> {
    items: &'a [Value],
    path: &'a str,
}

fn verdict(l: Lang, ind: &str) -> (&'static str, &'static str) {
    match ind {
        "TOTAL_PASSED" => ("ok", t(l, "有効", "Valid")),
        "TOTAL_FAILED" => ("fail", t(l, "無効", "Invalid")),
        _ => ("indet", t(l, "判定不能", "Indeterminate")),
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn signer_name(l: Lang, r: &Value) -> String {
    let sg = &r["signer"];
    match (l, sg["name_kanji"].as_str()) {
        (Lang::Ja, Some(k)) => format!("{k}（{}）", s(&sg["name"])),
        _ => s(&sg["name"]),
    }
}

fn qualification(l: Lang, r: &Value) -> String {
    let sg = &r["signer"];
    match l {
        Lang::Ja => sg["qualification_ja"]
            .as_str()
            .or(sg["qualification"].as_str()),
        Lang::En => sg["qualification"].as_str(),
    }
    .unwrap_or("-")
    .to_string()
}

/// The verdict banner and the expandable report of one item.
pub fn report_view(l: Lang, item: &Value) -> Html {
    let file = s(&item["file"]);
    if let Some(err) = item.get("error").filter(|e| !e.is_null()) {
        return html! {
            <div class="banner banner-indet" role="alert">
                <strong>{ file }</strong><p>{ text(l, err) }</p>
            </div>
        };
    }
    let r = &item["report"];
    let ind = r["indication"].as_str().unwrap_or("INDETERMINATE");
    let (class, word) = verdict(l, ind);
    let sub = r["sub_indication"]
        .as_str()
        .map(|x| format!(" / {x}"))
        .unwrap_or_default();
    let test = r["trust"]["test"] == true;
    html! {
        <article class="verify-result">
            <div class={classes!("banner", format!("banner-{class}"))} role="status" data-indication={ind.to_string()}>
                <span class="verdict">{ word }</span>
                if test { <span class="badge-test">{ "TEST" }</span> }
                <span class="verdict-reason">{ text(l, &r["summary"]) }</span>
            </div>
            <dl class="facts">
                <dt>{ t(l, "ファイル", "File") }</dt><dd>{ file }</dd>
                if !r["signer"].is_null() {
                    <dt>{ t(l, "署名者", "Signer") }</dt><dd class="signer"><bdi>{ signer_name(l, r) }</bdi></dd>
                    <dt>{ t(l, "資格", "Qualification") }</dt><dd class="qualification">{ qualification(l, r) }</dd>
                    <dt>{ t(l, "発行認証局", "Issuing CA") }</dt><dd><bdi>{ s(&r["signer"]["issuer"]) }</bdi></dd>
                }
                if r["best_signature_time"].is_string() {
                    <dt>{ t(l, "署名時刻（タイムスタンプ）", "Signing time (time-stamp)") }</dt><dd class="timestamp-time">{ when(l, &s(&r["best_signature_time"]), true) }</dd>
                }
                <dt>{ t(l, "署名時刻（申告）", "Signing time (claimed)") }</dt><dd>{ when(l, &s(&r["claimed_signing_time"]), true) }</dd>
                if r["level"].is_string() {
                    <dt>{ t(l, "署名レベル", "Signature level") }</dt><dd class="level">{ s(&r["level"]) }</dd>
                }
                <dt>{ t(l, "検証時刻", "Validation time") }</dt><dd>{ when(l, &s(&r["validation_time"]), true) }</dd>
                // The ETSI EN 319 102-1 codes, for whoever compares with another tool.
                <dt>{ t(l, "判定コード（ETSI）", "Result code (ETSI)") }</dt><dd><code class="indication">{ format!("{ind}{sub}") }</code></dd>
            </dl>
            if r["signers"].as_array().is_some_and(|v| v.len() > 1) {
                <h4>{ t(l, "署名者ごとの判定", "Each signer") }</h4>
                <ol class="signers">
                    { for r["signers"].as_array().into_iter().flatten().map(|sr| {
                        let ind = sr["indication"].as_str().unwrap_or("INDETERMINATE");
                        let (class, word) = verdict(l, ind);
                        let who = if sr["signer"].is_null() { String::new() } else { format!("{}（{}）", signer_name(l, sr), qualification(l, sr)) };
                        html! { <li class={format!("signer-verdict verdict-{class}")} data-indication={ind.to_string()}><strong>{ word }</strong>{ " " }<bdi>{ who }</bdi><br/><small>{ text(l, &sr["summary"]) }</small></li> }
                    }) }
                </ol>
            }
            <details class="report-details">
                <summary>{ t(l, "詳細な検証結果", "Detailed report") }</summary>
                <ul class="checks">
                    { for r["checks"].as_array().into_iter().flatten().map(|c| {
                        let st = c["status"].as_str().unwrap_or_default();
                        let mark = match st { "passed" => "✓", "failed" => "✗", "indeterminate" => "?", _ => "–" };
                        html! { <li class={format!("check check-{st}")}><span aria-hidden="true">{ mark }</span>{ " " }{ text(l, &c["message"]) }</li> }
                    }) }
                </ul>
                if let Some(chain) = r["path"]["chain"].as_array() {
                    <h4>{ t(l, "証明書パス", "Certificate path") }</h4>
                    <ol class="chain">
                        { for chain.iter().map(|c| html!{ <li><bdi>{ s(&c["subject"]) }</bdi><br/><small>{ when(l, &s(&c["not_before"]), false) }{ " – " }{ when(l, &s(&c["not_after"]), false) }</small></li> }) }
                    </ol>
                }
                if let Some(stamps) = r["timestamps"].as_array().filter(|v| !v.is_empty()) {
                    <h4>{ t(l, "タイムスタンプ", "Time-stamps") }</h4>
                    <ul class="timestamps">
                        { for stamps.iter().map(|ts| {
                            let ind = ts["indication"].as_str().unwrap_or("INDETERMINATE");
                            html!{ <li data-indication={ind.to_string()}>{ when(l, &s(&ts["gen_time"]), true) }{ " — " }<bdi>{ s(&ts["tsa"]) }</bdi>{ format!(" [{}] {ind}", s(&ts["type"])) }
                                if !ts["detail"].is_null() { <br/><small>{ text(l, &ts["detail"]) }</small> }
                            </li> }
                        }) }
                    </ul>
                }
                if let Some(rev) = r["path"]["revocation"].as_array().filter(|v| !v.is_empty()) {
                    <h4>{ t(l, "失効確認（CRL）", "Revocation (CRLs)") }</h4>
                    <ul class="revocation">
                        { for rev.iter().map(|i| {
                            let st = s(&i["status"]["status"]);
                            let crls = i["crls"].as_array().cloned().unwrap_or_default();
                            html!{ <li class={format!("revocation-{st}")}>{ format!("{} — {st}", s(&i["subject"])) }<br/><small>{ s(&i["source"]["source"]) }
                                { for crls.iter().map(|c| html!{ <>{ format!(" {} [{}] ", s(&c["issuer"]), s(&c["scope"])) }{ when(l, &s(&c["this_update"]), false) }</> }) }
                            </small></li> }
                        }) }
                    </ul>
                }
            </details>
        </article>
    }
}

#[function_component(Verify)]
pub fn verify(props: &Props) -> Html {
    let l = props.lang;
    let items = use_state(Vec::<Value>::new);
    let busy = use_state(|| false);
    let progress = use_state(|| None::<(u64, u64)>);
    let error = use_state(|| None::<Message>);
    let exported = use_state(|| None::<Result<String, Message>>);
    let path_input = use_node_ref();
    let dir_input = use_node_ref();
    let export_input = use_node_ref();

    {
        let progress = progress.clone();
        use_effect_with((), move |_| {
            let sub = tauri::on_event("verify-progress", move |p| {
                let done = p["done"].as_u64().unwrap_or(0);
                let total = p["total"].as_u64().unwrap_or(0);
                progress.set(Some((done, total)));
            });
            move || drop(sub)
        });
    }

    let run = {
        let (items, busy, error, progress, on_verified) = (
            items.clone(),
            busy.clone(),
            error.clone(),
            progress.clone(),
            props.on_verified.clone(),
        );
        move |folder: Option<String>, paths: Vec<String>| {
            let (items, busy, error, progress, on_verified) = (
                items.clone(),
                busy.clone(),
                error.clone(),
                progress.clone(),
                on_verified.clone(),
            );
            busy.set(true);
            progress.set(None);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let res = match &folder {
                    Some(d) => {
                        tauri::call_with::<_, Vec<Value>>("verify_folder", &DirArgs { dir: d })
                            .await
                    }
                    None => {
                        tauri::call_with::<_, Vec<Value>>("verify", &PathsArgs { paths: &paths })
                            .await
                    }
                };
                match res {
                    Ok(v) => items.set(v),
                    Err(m) => error.set(Some(m)),
                }
                busy.set(false);
                on_verified.emit(());
            });
        }
    };

    // A file handed over by another view is verified at once.
    {
        let run = run.clone();
        let path_input = path_input.clone();
        use_effect_with(props.open.clone(), move |open| {
            if let Some((path, _)) = open {
                if let Some(i) = path_input.cast::<HtmlInputElement>() {
                    i.set_value(path);
                }
                run(None, vec![path.clone()]);
            }
        });
    }

    // Files dropped on the window are verified at once (when this view is
    // the one on screen).
    let active = use_mut_ref(|| false);
    *active.borrow_mut() = props.active;
    {
        let run = run.clone();
        let active = active.clone();
        use_effect_with((), move |_| {
            let sub = tauri::on_event("tauri://drag-drop", move |p| {
                if !*active.borrow() {
                    return;
                }
                let paths: Vec<String> = p["paths"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect();
                if !paths.is_empty() {
                    run(None, paths);
                }
            });
            move || drop(sub)
        });
    }

    let on_verify = {
        let run = run.clone();
        let path_input = path_input.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(i) = path_input.cast::<HtmlInputElement>() {
                let paths: Vec<String> = i
                    .value()
                    .split('\n')
                    .flat_map(|l| l.split(';'))
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect();
                if !paths.is_empty() {
                    run(None, paths);
                }
            }
        })
    };
    let on_folder = {
        let run = run.clone();
        let dir_input = dir_input.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(i) = dir_input.cast::<HtmlInputElement>() {
                let d = i.value().trim().to_string();
                if !d.is_empty() {
                    run(Some(d), Vec::new());
                }
            }
        })
    };
    let on_export = {
        let items = items.clone();
        let exported = exported.clone();
        let export_input = export_input.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(i) = export_input.cast::<HtmlInputElement>() else {
                return;
            };
            let path = i.value().trim().to_string();
            if path.is_empty() {
                return;
            }
            let (items, exported) = ((*items).clone(), exported.clone());
            // The previous save's result goes at once: a second refusal must not
            // look like the first one still on screen.
            exported.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let r = tauri::call_with::<_, Value>(
                    "export_reports",
                    &ExportArgs {
                        items: &items,
                        path: &path,
                    },
                )
                .await;
                exported.set(Some(r.map(|_| path)));
            });
        })
    };

    let batch = items.len() > 1;
    let body = if batch {
        html! {
            <>
            <table id="batch-table" class="results">
                <caption>{ match l { Lang::Ja => format!("{} 件の検証結果", items.len()), Lang::En => format!("{} results", items.len()) } }</caption>
                <thead><tr>
                    <th scope="col">{ t(l, "ファイル", "File") }</th>
                    <th scope="col">{ t(l, "判定", "Verdict") }</th>
                    <th scope="col">{ t(l, "署名者", "Signer") }</th>
                    <th scope="col">{ t(l, "資格", "Qualification") }</th>
                    <th scope="col">{ t(l, "理由", "Reason") }</th>
                </tr></thead>
                <tbody>
                    { for items.iter().map(|it| {
                        let r = &it["report"];
                        let (class, word) = verdict(l, r["indication"].as_str().unwrap_or(""));
                        // The reason in words; the ETSI code only on hover.
                        let code = r["sub_indication"].as_str().or(r["indication"].as_str()).unwrap_or("").to_string();
                        let reason = if it["error"].is_null() { text(l, &r["summary"]) } else { text(l, &it["error"]) };
                        html! { <tr class={format!("row-{class}")} data-indication={r["indication"].as_str().unwrap_or("").to_string()}>
                            <td><code title={s(&it["file"])}>{ s(&it["file"]).rsplit(['/', '\\']).next().unwrap_or_default().to_string() }</code></td>
                            <td class="verdict-cell">{ word }</td>
                            <td><bdi>{ if r["signer"].is_null() { String::new() } else { signer_name(l, r) } }</bdi></td>
                            <td>{ if r["signer"].is_null() { String::new() } else { qualification(l, r) } }</td>
                            <td class="reason" title={code}>{ reason }</td>
                        </tr> }
                    }) }
                </tbody>
            </table>
            <details class="report-details"><summary>{ t(l, "各ファイルの詳細", "Each file in detail") }</summary>
                { for items.iter().map(|it| report_view(l, it)) }
            </details>
            </>
        }
    } else {
        html! { <>{ for items.iter().map(|it| report_view(l, it)) }</> }
    };

    html! {
        <section class="panel" aria-labelledby="verify-heading">
            <h2 id="verify-heading">{ t(l, "署名の検証", "Verify signatures") }</h2>
            <form class="inline" onsubmit={on_verify}>
                <label for="verify-path">{ t(l, "文書・署名・パッケージのパス（ファイルをウィンドウにドロップしても検証できます）", "Document, signature or package path (or drop files on the window)") }</label>
                <input id="verify-path" ref={path_input.clone()} type="text" placeholder="/path/letter.xml" />
                { browse_button(l, "signed", path_input.clone(), "verify-path") }
                <button id="verify-button" type="submit" disabled={*busy}>{ t(l, "検証", "Verify") }</button>
            </form>
            <form class="inline" onsubmit={on_folder}>
                <label for="verify-dir">{ t(l, "フォルダを一括検証", "Verify a whole folder") }</label>
                <input id="verify-dir" ref={dir_input.clone()} type="text" placeholder="/path/received" />
                { browse_button(l, "folder", dir_input.clone(), "verify-dir") }
                <button id="verify-folder-button" type="submit" disabled={*busy}>{ t(l, "一括検証", "Verify folder") }</button>
            </form>
            if let Some((done, total)) = *progress {
                <div class="progress-row">
                    <progress id="batch-progress" max={total.to_string()} value={done.to_string()}
                        aria-label={t(l, "検証の進み具合", "Verification progress")}></progress>
                    <span id="batch-progress-text">{ format!("{done} / {total}") }</span>
                </div>
            }
            if *busy && progress.is_none() { <p class="muted" role="status">{ t(l, "検証しています…", "Verifying…") }</p> }
            if let Some(m) = &*error { <p class="status-error" role="alert">{ msg(l, m) }</p> }
            <div id="verify-results" aria-live="polite">{ body }</div>
            if !items.is_empty() {
                <form class="inline" onsubmit={on_export}>
                    <label for="export-path">{ t(l, "検証結果を JSON で保存", "Save the reports as JSON") }</label>
                    <input id="export-path" ref={export_input.clone()} type="text" readonly=true placeholder={t(l, "「参照…」で選んでください", "Choose with “Browse…”")} />
                    { browse_button(l, "save_reports", export_input.clone(), "export-path") }
                    <button type="submit" class="secondary">{ t(l, "保存", "Save") }</button>
                </form>
                if let Some(r) = &*exported {
                    { match r {
                        Ok(p) => html!{ <p id="export-result" class="muted" role="status">{ format!("{} {p}", t(l, "保存しました:", "Saved:")) }</p> },
                        Err(m) => html!{ <p id="export-result" class="status-error" role="alert" data-code={m.code.clone()}>{ msg(l, m) }</p> },
                    } }
                }
            }
        </section>
    }
}
