//! The local history of signed and verified documents (SQLite, app data dir).

use crate::i18n::{msg, t};
use crate::tauri;
use inkan_l10n::{Lang, Message};
use serde::Serialize;
use serde_json::Value;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Bumped whenever something was signed or verified.
    pub generation: u32,
}

#[derive(Serialize)]
struct Args {
    limit: u32,
}

#[derive(Serialize)]
struct NoArgs {}

#[function_component(History)]
pub fn history(props: &Props) -> Html {
    let l = props.lang;
    let rows = use_state(|| None::<Result<Vec<Value>, Message>>);
    let chain = use_state(|| None::<Result<Value, Message>>);
    {
        let rows = rows.clone();
        let chain = chain.clone();
        use_effect_with(props.generation, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                rows.set(Some(
                    tauri::call_with::<_, Vec<Value>>("history_list", &Args { limit: 200 }).await,
                ));
                chain.set(Some(
                    tauri::call_with::<_, Value>("audit_state", &NoArgs {}).await,
                ));
            });
        });
    }
    // The signing log's chain: intact, or the first record where it breaks.
    let chain_html = match &*chain {
        None => html! {},
        Some(Err(m)) => {
            html! { <p id="audit-state" class="status-error" role="alert" data-code={m.code.clone()}>{ msg(l, m) }</p> }
        }
        Some(Ok(c)) => {
            let n = c["records"].as_i64().unwrap_or(0);
            match c["first_broken"]["id"].as_i64() {
                None => html! {
                    <p id="audit-state" class="status-ok" data-intact="true" data-key-store={c["key_store"].as_str().unwrap_or_default().to_string()}>
                        { match (l, c["key_store"].as_str() == Some("keyring")) {
                            (Lang::Ja, true) => format!("署名ログ: 改ざんなし（{n} 件の記録、鍵は OS のキーリングに保管）"),
                            (Lang::Ja, false) => format!("署名ログ: 改ざんなし（{n} 件の記録、鍵は鍵ファイルに保管）"),
                            (Lang::En, true) => format!("Audit log: intact ({n} records, key in the OS keyring)"),
                            (Lang::En, false) => format!("Audit log: intact ({n} records, key in a key file)"),
                        } }
                    </p>
                },
                Some(id) => html! {
                    <p id="audit-state" class="status-error" role="alert" data-intact="false">
                        { match l {
                            Lang::Ja => format!("署名ログが改ざんされています: 記録 {id} で連鎖が切れています"),
                            Lang::En => format!("The audit log has been tampered with: the chain breaks at record {id}"),
                        } }
                    </p>
                },
            }
        }
    };
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    html! {
        <section class="panel" aria-labelledby="history-heading">
            <h2 id="history-heading">{ t(l, "履歴", "History") }</h2>
            { chain_html }
            { match &*rows {
                None => html!{ <p class="muted">{ t(l, "読み込み中…", "Loading…") }</p> },
                Some(Err(m)) => html!{ <p class="status-error" role="alert">{ msg(l, m) }</p> },
                Some(Ok(list)) if list.is_empty() => html!{ <p class="muted">{ t(l, "まだ履歴はありません", "No history yet") }</p> },
                Some(Ok(list)) => html!{
                    <table id="history-table" class="results">
                        <thead><tr>
                            <th scope="col">{ t(l, "日時", "When") }</th>
                            <th scope="col">{ t(l, "操作", "Action") }</th>
                            <th scope="col">{ t(l, "ファイル", "File") }</th>
                            <th scope="col">{ t(l, "判定", "Verdict") }</th>
                            <th scope="col">{ t(l, "署名者", "Signer") }</th>
                        </tr></thead>
                        <tbody>{ for list.iter().map(|r| {
                            let action = match r["action"].as_str() { Some("signed") => t(l, "署名", "Signed"), _ => t(l, "検証", "Verified") };
                            let verdict = match r["verdict"].as_str() {
                                Some("TOTAL_PASSED") => t(l, "有効", "Valid").to_string(),
                                Some("TOTAL_FAILED") => t(l, "無効", "Invalid").to_string(),
                                Some("INDETERMINATE") => t(l, "判定不能", "Indeterminate").to_string(),
                                // Another code: said plainly, the code on hover.
                                Some(_) => t(l, "判定できませんでした", "Could not be decided").to_string(),
                                None => String::new(),
                            };
                            html!{ <tr><td>{ crate::i18n::when(l, &s(&r["at"]), false) }</td><td>{ action }</td><td><code>{ s(&r["file"]) }</code></td><td>{ verdict }</td><td>{ s(&r["signer"]) }</td></tr> }
                        }) }</tbody>
                    </table>
                },
            } }
        </section>
    }
}
