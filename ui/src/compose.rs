//! Compose and sign: the 様式11 form, inline validation, the preview of the
//! exact bytes that will be signed, and the PIN dialog.

use crate::card::pin_line;
use crate::form::{self, Field, Kind, SECTIONS};
use crate::i18n::{browse_button, msg, t, text};
use crate::tauri;
use gloo_timers::callback::Timeout;
use inkan_l10n::{Lang, Message};
use serde::Serialize;
use serde_json::Value;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Told after each signature, so other views can refresh.
    pub on_signed: Callback<()>,
    /// The reader chosen in the card panel; `None`: the one with a card.
    pub reader: Option<String>,
    /// Told `true` while the card signs and `false` after: the window keeps
    /// to the signing meanwhile.
    pub on_busy: Callback<bool>,
    /// "Verify this signature": the signed file to verify.
    pub on_verify: Callback<String>,
    /// The settings' output folder (`~/Documents/Inkan` by default): where
    /// the letter goes unless another folder is chosen for it.
    pub out_dir: String,
    /// The view is on screen (it stays mounted behind other tabs; dropped
    /// files are attachments only when it is shown and no dialog is open).
    pub active: bool,
}

#[derive(Serialize)]
struct DraftArgs<'a> {
    draft: &'a Value,
}

#[derive(Serialize)]
struct FolderArgs<'a> {
    path: &'a str,
}

#[derive(Serialize)]
struct ReaderArgs {
    reader: Option<String>,
}

#[derive(Serialize)]
struct PreviewArgs<'a> {
    letter: &'a Value,
    format: &'a str,
    attachments: &'a [String],
}

#[derive(Serialize)]
struct ImportArgs<'a> {
    path: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignArgs<'a> {
    letter: &'a Value,
    format: &'a str,
    attachments: &'a [String],
    out_dir: &'a str,
    pin: &'a str,
    confirm_last_try: bool,
    reader: Option<String>,
    preview_token: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
enum Dialog {
    Closed,
    /// Asking for the PIN; the card's PIN state as last read.
    Pin {
        pin_state: Option<Result<Value, Message>>,
        error: Option<Message>,
    },
    Signing,
}

fn media_type(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".pdf") {
        "application/pdf"
    } else if lower.ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// The letter as it is signed: its 添付 list is the attachments chosen.
fn with_attachments(letter: &Value, attachments: &[String]) -> Value {
    let mut lt = letter.clone();
    if lt.is_object() {
        lt["attachments"] = Value::Array(
            attachments
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "file_name": file_name(p),
                        "media_type": media_type(p),
                        "description": file_name(p),
                    })
                })
                .collect(),
        );
    }
    lt
}

/// Keeps Tab inside the modal dialog the event happened in.
fn trap_focus(e: &KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(modal) = doc.query_selector(".modal").ok().flatten() else {
        return;
    };
    let Ok(list) = modal.query_selector_all(
        "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])",
    ) else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        e.prevent_default();
        return;
    };
    let active = doc.active_element();
    let at = |el: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a.is_same_node(Some(el)));
    let inside = active.as_ref().is_some_and(|a| modal.contains(Some(a)));
    if e.shift_key() && (at(first) || !inside) {
        e.prevent_default();
        let _ = last.focus();
    } else if !e.shift_key() && (at(last) || !inside) {
        e.prevent_default();
        let _ = first.focus();
    }
}

fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

#[function_component(Compose)]
pub fn compose(props: &Props) -> Html {
    let l = props.lang;
    let letter = use_state(|| Value::Null);
    let format = use_state(|| "hs008".to_string());
    let problems = use_state(Vec::<Value>::new);
    let preview = use_state(String::new);
    let bytes_len = use_state(|| 0u64);
    let out_dir = use_state(String::new);
    let attachments = use_state(Vec::<String>::new);
    let attach_input = use_node_ref();
    let import_input = use_node_ref();
    let out_dir_input = use_node_ref();
    let pin_input = use_node_ref();
    let last_try_ok = use_state(|| false);
    let dialog = use_state(|| Dialog::Closed);
    let result = use_state(|| None::<Result<Value, Message>>);
    let open_error = use_state(|| None::<Message>);
    let timer = use_mut_ref(|| None::<Timeout>);

    // The preview follows the letter, the format and the attachments,
    // shortly after the last change. Each request is numbered: a reply to
    // an older one is discarded, so the preview (and its token) is always
    // that of the form as it is now, and signing waits until it arrives.
    let token = use_state(|| None::<String>);
    let preview_files = use_state(Vec::<Value>::new);
    let manifest = use_state(|| None::<String>);
    let seq = use_mut_ref(|| 0u64);
    {
        let (problems, preview, bytes_len) = (problems.clone(), preview.clone(), bytes_len.clone());
        let (token, preview_files, manifest) =
            (token.clone(), preview_files.clone(), manifest.clone());
        let (timer, seq) = (timer.clone(), seq.clone());
        let deps = ((*letter).clone(), (*format).clone(), (*attachments).clone());
        use_effect_with(deps, move |(letter, format, attachments)| {
            *seq.borrow_mut() += 1;
            let mine = *seq.borrow();
            token.set(None);
            if !letter.is_null() {
                let lt = with_attachments(letter, attachments);
                let (format, atts) = (format.clone(), attachments.clone());
                let t = Timeout::new(250, move || {
                    wasm_bindgen_futures::spawn_local(async move {
                        let args = PreviewArgs {
                            letter: &lt,
                            format: &format,
                            attachments: &atts,
                        };
                        let reply = tauri::call_with::<_, Value>("letter_preview", &args).await;
                        if *seq.borrow() != mine {
                            return;
                        }
                        match reply {
                            Ok(v) => {
                                preview.set(v["html"].as_str().unwrap_or_default().to_string());
                                bytes_len.set(v["bytes_len"].as_u64().unwrap_or(0));
                                problems.set(v["problems"].as_array().cloned().unwrap_or_default());
                                token.set(v["token"].as_str().map(str::to_string));
                                preview_files
                                    .set(v["attachments"].as_array().cloned().unwrap_or_default());
                                manifest.set(v["manifest"].as_str().map(str::to_string));
                            }
                            Err(m) => {
                                preview.set(String::new());
                                preview_files.set(Vec::new());
                                manifest.set(None);
                                problems.set(vec![
                                    serde_json::json!({"path": "", "ja": m.ja, "en": m.en}),
                                ]);
                            }
                        }
                    });
                });
                *timer.borrow_mut() = Some(t);
            }
        });
    }

    // The draft left by the last session (or a tab switch that remounted
    // the view) comes back as it was. Without one: a real card gets an
    // empty form (the physician's own letter); otherwise (no card, the TEST
    // card) the complete example, so that a newcomer sees a finished
    // letter. The example is always a button away. The output folder is
    // the settings' (by default ~/Documents/Inkan).
    let restored = use_state(|| false);
    {
        let letter = letter.clone();
        let reader = props.reader.clone();
        let (format, attachments, restored) =
            (format.clone(), attachments.clone(), restored.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(d) = tauri::call::<Value>("draft_load").await {
                    if d["letter"].is_object() {
                        letter.set(d["letter"].clone());
                        if let Some(f) = d["format"]
                            .as_str()
                            .filter(|f| ["hs008", "hs038"].contains(f))
                        {
                            format.set(f.to_string());
                        }
                        attachments.set(
                            d["attachments"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|a| a.as_str().map(str::to_string))
                                .collect(),
                        );
                        restored.set(true);
                        return;
                    }
                }
                restored.set(true);
                let real_card = matches!(
                    tauri::call_with::<_, Value>("card_status", &ReaderArgs { reader }).await,
                    Ok(c) if c["test"] == false
                );
                let command = if real_card {
                    "letter_blank"
                } else {
                    "letter_example"
                };
                if let Ok(mut v) = tauri::call::<Value>(command).await {
                    // The example names attachment files that do not exist here.
                    v["attachments"] = Value::Array(Vec::new());
                    letter.set(v);
                }
            });
        });
    }

    // The folder follows the settings (changed there, or read at start);
    // a folder chosen for one letter lasts until then. It is not part of
    // the draft: a choice for one letter is not a lasting grant.
    {
        let out_dir = out_dir.clone();
        use_effect_with(props.out_dir.clone(), move |d| {
            if !d.is_empty() {
                out_dir.set(d.clone());
            }
        });
    }

    // Autosave: the form as it is, shortly after each change (not before
    // the last session's draft came back, which it would overwrite).
    {
        let save_timer = use_mut_ref(|| None::<Timeout>);
        let deps = (
            (*letter).clone(),
            (*format).clone(),
            (*attachments).clone(),
            *restored,
        );
        use_effect_with(deps, move |(letter, format, attachments, restored)| {
            if *restored && letter.is_object() {
                let draft = serde_json::json!({
                    "letter": letter,
                    "format": format,
                    "attachments": attachments,
                });
                *save_timer.borrow_mut() = Some(Timeout::new(400, move || {
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = tauri::call_with::<_, Value>(
                            "draft_save",
                            &DraftArgs { draft: &draft },
                        )
                        .await;
                    });
                }));
            }
        });
    }

    // Closing the window while the card signs is refused by the app: say why.
    let close_blocked = use_state(|| false);
    {
        let close_blocked = close_blocked.clone();
        use_effect_with((), move |_| {
            let sub = tauri::on_event("close-blocked", move |_| close_blocked.set(true));
            move || drop(sub)
        });
    }
    if *close_blocked && !matches!(*dialog, Dialog::Signing) {
        close_blocked.set(false);
    }

    // The window keeps to the signing while the card works.
    {
        let on_busy = props.on_busy.clone();
        // A dialog open (the PIN, the signing) holds the window.
        let open = !matches!(*dialog, Dialog::Closed);
        use_effect_with(open, move |s| on_busy.emit(*s));
    }

    // A new, empty letter: the draft is thrown away.
    let on_new = {
        let (letter, attachments, result) = (letter.clone(), attachments.clone(), result.clone());
        Callback::from(move |_: MouseEvent| {
            let (letter, attachments, result) =
                (letter.clone(), attachments.clone(), result.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = tauri::call::<Value>("draft_clear").await;
                if let Ok(v) = tauri::call::<Value>("letter_blank").await {
                    attachments.set(Vec::new());
                    result.set(None);
                    letter.set(v);
                }
            });
        })
    };

    let on_example = {
        let letter = letter.clone();
        Callback::from(move |_: MouseEvent| {
            let letter = letter.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(mut v) = tauri::call::<Value>("letter_example").await {
                    v["attachments"] = Value::Array(Vec::new());
                    letter.set(v);
                }
            });
        })
    };

    let on_field = {
        let letter = letter.clone();
        move |field: Field| {
            let letter = letter.clone();
            Callback::from(move |e: Event| {
                let value = if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                    i.value()
                } else if let Some(a) = e.target_dyn_into::<HtmlTextAreaElement>() {
                    a.value()
                } else if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                    s.value()
                } else {
                    return;
                };
                let mut next = (*letter).clone();
                form::set(&mut next, &field, &value);
                letter.set(next);
            })
        }
    };

    let problems_for = |field: &Field| -> Vec<String> {
        problems
            .iter()
            .filter(|p| {
                let path = p["path"].as_str().unwrap_or_default();
                path == field.path
                    || path.starts_with(&format!("{}.", field.path))
                    || path.starts_with(&format!("{}[", field.path))
            })
            .map(|p| text(l, p))
            .collect()
    };

    let field_html = |field: &Field| -> Html {
        let id = form::input_id(field);
        let value = form::get(&letter, field);
        let errs = problems_for(field);
        let invalid = if errs.is_empty() { "false" } else { "true" };
        let err_id = format!("{id}-err");
        let onchange = on_field(*field);
        let label = t(l, field.ja, field.en);
        let input = match field.kind {
            Kind::Area | Kind::Lines | Kind::Diagnoses => html! {
                <textarea id={id.clone()} rows="3" value={value} onchange={onchange}
                    aria-invalid={invalid} aria-describedby={err_id.clone()} />
            },
            Kind::Category => html! {
                <select id={id.clone()} onchange={onchange}>
                    <option value="outpatient" selected={value == "outpatient"}>{ t(l, "外来", "Outpatient") }</option>
                    <option value="discharge" selected={value == "discharge"}>{ t(l, "退院時", "Discharge") }</option>
                </select>
            },
            Kind::Sex => html! {
                <select id={id.clone()} onchange={onchange}>
                    <option value="male" selected={value == "male"}>{ t(l, "男", "Male") }</option>
                    <option value="female" selected={value == "female"}>{ t(l, "女", "Female") }</option>
                    <option value="other" selected={value == "other"}>{ t(l, "その他", "Other") }</option>
                    <option value="unknown" selected={value == "unknown"}>{ t(l, "不明", "Unknown") }</option>
                </select>
            },
            Kind::Date => html! {
                <input id={id.clone()} type="date" value={value} onchange={onchange}
                    aria-invalid={invalid} aria-describedby={err_id.clone()} />
            },
            Kind::Text | Kind::DateTime => html! {
                <input id={id.clone()} type="text" value={value} onchange={onchange}
                    aria-invalid={invalid} aria-describedby={err_id.clone()} />
            },
        };
        html! {
            <div class={classes!("field", (!errs.is_empty()).then_some("has-error"))}>
                <label for={id}>{ label }{ if field.required { html!{<span class="req" aria-hidden="true">{" *"}</span>} } else { html!{} } }</label>
                { input }
                <div id={err_id} class="field-error" role={ if errs.is_empty() { None } else { Some("alert") } }>
                    { for errs.iter().map(|e| html!{ <p>{ e.clone() }</p> }) }
                </div>
            </div>
        }
    };

    let on_format = {
        let format = format.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                format.set(i.value());
            }
        })
    };

    let on_import = {
        let letter = letter.clone();
        let format = format.clone();
        let import_input = import_input.clone();
        let result = result.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(input) = import_input.cast::<HtmlInputElement>() else {
                return;
            };
            let path = input.value();
            let (letter, format, result) = (letter.clone(), format.clone(), result.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match tauri::call_with::<_, Value>("letter_import", &ImportArgs { path: &path })
                    .await
                {
                    Ok(v) => {
                        let f = v["format"].as_str().unwrap_or("hs008").to_string();
                        let mut lt = v["letter"].clone();
                        lt["attachments"] = Value::Array(Vec::new());
                        format.set(f);
                        letter.set(lt);
                        result.set(None);
                    }
                    Err(m) => result.set(Some(Err(m))),
                }
            });
        })
    };

    let on_attach = {
        let attachments = attachments.clone();
        let attach_input = attach_input.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(input) = attach_input.cast::<HtmlInputElement>() else {
                return;
            };
            let p = input.value().trim().to_string();
            if !p.is_empty() {
                let mut next = (*attachments).clone();
                next.push(p);
                attachments.set(next);
                input.set_value("");
            }
        })
    };

    // PDF/JPEG/PNG files dropped on the window become attachments.
    let accepts_drops = use_mut_ref(|| false);
    *accepts_drops.borrow_mut() = props.active && matches!(*dialog, Dialog::Closed);
    {
        let attachments = attachments.clone();
        let accepts_drops = accepts_drops.clone();
        use_effect_with((), move |_| {
            let sub = tauri::on_event("tauri://drag-drop", move |p| {
                // What is being signed does not change under the dialog.
                if !*accepts_drops.borrow() {
                    return;
                }
                let mut next = (*attachments).clone();
                for x in p["paths"].as_array().into_iter().flatten() {
                    if let Some(path) = x.as_str() {
                        let lower = path.to_ascii_lowercase();
                        if [".pdf", ".jpg", ".jpeg", ".png"]
                            .iter()
                            .any(|e| lower.ends_with(e))
                        {
                            next.push(path.to_string());
                        }
                    }
                }
                attachments.set(next);
            });
            move || drop(sub)
        });
    }

    let on_out_dir = {
        let out_dir = out_dir.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                out_dir.set(i.value());
            }
        })
    };

    let open_dialog = {
        let dialog = dialog.clone();
        let last_try_ok = last_try_ok.clone();
        let pin_input = pin_input.clone();
        let reader = props.reader.clone();
        Callback::from(move |_: MouseEvent| {
            let reader = reader.clone();
            last_try_ok.set(false);
            dialog.set(Dialog::Pin {
                pin_state: None,
                error: None,
            });
            let dialog = dialog.clone();
            let pin_input = pin_input.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let st = tauri::call_with::<_, Value>("card_status", &ReaderArgs { reader }).await;
                dialog.set(Dialog::Pin {
                    pin_state: Some(st),
                    error: None,
                });
                if let Some(i) = pin_input.cast::<web_sys::HtmlElement>() {
                    let _ = i.focus();
                }
            });
        })
    };

    let close_dialog = {
        let dialog = dialog.clone();
        let pin_input = pin_input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = pin_input.cast::<HtmlInputElement>() {
                i.set_value("");
            }
            dialog.set(Dialog::Closed);
        })
    };

    let do_sign = {
        let dialog = dialog.clone();
        let pin_input = pin_input.clone();
        let letter = letter.clone();
        let format = format.clone();
        let attachments = attachments.clone();
        let out_dir = out_dir.clone();
        let last_try_ok = last_try_ok.clone();
        let result = result.clone();
        let on_signed = props.on_signed.clone();
        let token = token.clone();
        let reader = props.reader.clone();
        Callback::from(move |e: SubmitEvent| {
            let reader = reader.clone();
            e.prevent_default();
            let Some(input) = pin_input.cast::<HtmlInputElement>() else {
                return;
            };
            // The PIN leaves the UI at once: the field is cleared before the
            // call, and the wasm copy is wiped when the call returns.
            let pin = zeroize::Zeroizing::new(input.value());
            input.set_value("");
            let lt = with_attachments(&letter, &attachments);
            // Only what was previewed is signed: the app prepares the bytes
            // again and refuses them if they differ from this token.
            let Some(previewed) = (*token).clone() else {
                return;
            };
            let (format, atts, out_dir, confirm) = (
                (*format).clone(),
                (*attachments).clone(),
                (*out_dir).clone(),
                *last_try_ok,
            );
            let (dialog, result, on_signed) = (dialog.clone(), result.clone(), on_signed.clone());
            let prev_state = match &*dialog {
                Dialog::Pin { pin_state, .. } => pin_state.clone(),
                _ => None,
            };
            dialog.set(Dialog::Signing);
            wasm_bindgen_futures::spawn_local(async move {
                let args = SignArgs {
                    letter: &lt,
                    format: &format,
                    attachments: &atts,
                    out_dir: &out_dir,
                    pin: &pin,
                    confirm_last_try: confirm,
                    reader: reader.clone(),
                    preview_token: &previewed,
                };
                let signed = tauri::call_with::<_, Value>("sign_letter", &args).await;
                drop(args);
                drop(pin);
                match signed {
                    Ok(v) => {
                        dialog.set(Dialog::Closed);
                        result.set(Some(Ok(v)));
                        on_signed.emit(());
                    }
                    Err(m) => {
                        // Show the card's answer and the new count of tries.
                        let st =
                            tauri::call_with::<_, Value>("card_status", &ReaderArgs { reader })
                                .await
                                .ok();
                        let pin_state = st.map(Ok).or(prev_state);
                        dialog.set(Dialog::Pin {
                            pin_state,
                            error: Some(m),
                        });
                    }
                }
            });
        })
    };

    let on_last_try = {
        let last_try_ok = last_try_ok.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                last_try_ok.set(i.checked());
            }
        })
    };

    let on_dialog_key = {
        let dialog = dialog.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && matches!(*dialog, Dialog::Pin { .. }) {
                dialog.set(Dialog::Closed);
            } else if e.key() == "Tab" || e.code() == "Tab" {
                // (WebKitGTK names Shift+Tab's key "Unidentified"; its code is Tab.)
                // The focus stays in the dialog (aria-modal): Tab from its
                // last control goes to its first, Shift+Tab the other way.
                trap_focus(&e);
            }
        })
    };
    // A new result (files saved, or why not) is brought into view: it is
    // what the user waits for.
    {
        let shown = result.is_some();
        use_effect_with(
            (shown, result.as_ref().map(|r| r.is_ok())),
            move |(shown, _)| {
                if *shown {
                    if let Some(e) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.query_selector("#sign-result, #sign-error").ok().flatten())
                    {
                        e.scroll_into_view();
                    }
                }
            },
        );
    }
    // When the dialog closes, the focus goes back to the button that opened it.
    {
        let open = !matches!(*dialog, Dialog::Closed);
        let was_open = use_mut_ref(|| false);
        use_effect_with(open, move |open| {
            if *was_open.borrow() && !*open {
                if let Some(b) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("sign-button"))
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                {
                    let _ = b.focus();
                }
            }
            *was_open.borrow_mut() = *open;
        });
    }

    let dialog_html = match &*dialog {
        Dialog::Closed => html! {},
        Dialog::Signing => html! {
            <div class="modal-backdrop">
                <div class="modal" role="dialog" aria-modal="true" aria-labelledby="signing-title">
                    <h2 id="signing-title">{ t(l, "署名中", "Signing") }</h2>
                    <p id="signing-progress" class="progress-text" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        { t(l, "カードで署名しています。カードを抜かないでください…", "The card is signing. Do not remove the card…") }
                    </p>
                    if *close_blocked {
                        <p id="close-blocked" class="status-warn" role="alert">
                            { t(l, "署名中です。終わるまでウィンドウは閉じられません。", "Signing: the window cannot be closed until it is done.") }
                        </p>
                    }
                </div>
            </div>
        },
        Dialog::Pin { pin_state, error } => {
            let pin = pin_state
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|c| c["pin"].clone());
            let tries = pin.as_ref().and_then(|p| p["tries_left"].as_u64());
            let blocked = pin.as_ref().is_some_and(|p| p["state"] == "blocked") || tries == Some(0);
            // The last try, or a card that does not say how many are left:
            // sent only after an explicit confirmation, never a dead end.
            let unknown = pin.as_ref().is_some_and(|p| p["state"] == "unknown");
            let last = tries == Some(1) || unknown;
            let few = matches!(tries, Some(2..=3));
            let card_err = pin_state.as_ref().and_then(|r| r.as_ref().err()).cloned();
            html! {
                <div class="modal-backdrop" onkeydown={on_dialog_key}>
                    <form class="modal" role="dialog" aria-modal="true" aria-labelledby="pin-title" onsubmit={do_sign}>
                        <h2 id="pin-title">{ t(l, "PIN を入力して署名", "Enter the PIN to sign") }</h2>
                        <p id="pin-dialog-tries" class={classes!(if last || blocked {"status-error"} else {"muted"})}>
                            { match &pin { Some(p) => pin_line(l, p), None => t(l, "PIN の残り回数を確認中…", "Reading the PIN tries left…").to_string() } }
                        </p>
                        if let Some(m) = card_err { <p class="status-error" role="alert">{ msg(l, &m) }</p> }
                        if pin_state.as_ref().and_then(|r| r.as_ref().ok()).is_some_and(|c| c["test"] == true) {
                            <p class="muted">{ t(l, "TEST カード（デモ用）の PIN は 1234 です。", "The PIN of the TEST (demo) card is 1234.") }</p>
                        }
                        if let Some(m) = error { <p id="pin-error" class="status-error" role="alert" data-code={m.code.clone()}>{ msg(l, m) }</p> }
                        if !blocked {
                            <label for="pin-input">{ t(l, "PIN（4〜16文字）", "PIN (4–16 characters)") }</label>
                            <input id="pin-input" ref={pin_input.clone()} type="password" autocomplete="off"
                                minlength="4" maxlength="16" required=true />
                            if few {
                                <p id="pin-few-tries" class="status-warn" role="alert">
                                    { t(l, "PIN の残り回数が少なくなっています。0 回になるとカードがロックされ、再発行（有料）が必要になります。PIN が分からない場合は入力せず、発行元に確認してください。",
                                        "Few PIN tries are left. At zero the card locks and needs a (paid) reissue. If you are not sure of the PIN, do not guess: ask the issuer.") }
                                </p>
                            }
                            if last {
                                <p class="status-error" role="alert">
                                    if unknown {
                                        { t(l, "カードが PIN の残り回数を返しません。残り 1 回の可能性があり、間違えるとカードがロックされ、再発行（有料）が必要になります。",
                                            "The card does not say how many PIN tries are left. It may be the last one: a wrong PIN could lock the card, which then needs a (paid) reissue.") }
                                    } else {
                                        { t(l, "残り 1 回です。間違えるとカードがロックされ、再発行（有料）が必要になります。",
                                            "One try left. A wrong PIN locks the card, which then needs a (paid) reissue.") }
                                    }
                                </p>
                                <label class="check">
                                    <input id="last-try-confirm" type="checkbox" onchange={on_last_try} checked={*last_try_ok} />
                                    if unknown {
                                        { t(l, "残り回数が分からないことを理解したうえで署名します", "I understand the number of tries left is unknown") }
                                    } else {
                                        { t(l, "最後の 1 回であることを理解したうえで署名します", "I understand this is the last try") }
                                    }
                                </label>
                            }
                        }
                        <div class="actions">
                            <button type="button" class="secondary" onclick={close_dialog}>{ t(l, "キャンセル", "Cancel") }</button>
                            if !blocked {
                                <button id="pin-submit" type="submit" disabled={last && !*last_try_ok}>{ t(l, "署名する", "Sign") }</button>
                            }
                        </div>
                    </form>
                </div>
            }
        }
    };

    // "送信…" under a sign result: closed for each new result.
    let sending = use_state(|| false);
    {
        let sending = sending.clone();
        use_effect_with(result.as_ref().map(|r| r.is_ok()), move |_| {
            sending.set(false)
        });
    }
    let result_html = match &*result {
        None => html! {},
        Some(Ok(v)) => {
            let paths: Vec<String> = ["letter_path", "signature_path", "package_path"]
                .iter()
                .filter_map(|k| v[*k].as_str().map(str::to_string))
                .collect();
            let level = v["level"].as_str().unwrap_or("B").to_string();
            let stamp = v["timestamp"].as_str().map(str::to_string);
            let tsa = v["tsa"].as_str().unwrap_or_default().to_string();
            let warning = v.get("warning").filter(|w| !w.is_null()).cloned();
            // The folder of the outputs, and the file a receiving doctor
            // would verify (the letter, or the package).
            let first = v["package_path"]
                .as_str()
                .or(v["letter_path"].as_str())
                .unwrap_or_default()
                .to_string();
            let folder = first
                .rfind(['/', '\\'])
                .map(|i| first[..i].to_string())
                .unwrap_or_default();
            let open_folder = {
                let (folder, open_error) = (folder.clone(), open_error.clone());
                Callback::from(move |_: MouseEvent| {
                    let (folder, open_error) = (folder.clone(), open_error.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        let r = tauri::call_with::<_, Value>(
                            "open_folder",
                            &FolderArgs { path: &folder },
                        )
                        .await;
                        open_error.set(r.err());
                    });
                })
            };
            let verify_it = {
                let (first, on_verify) = (first.clone(), props.on_verify.clone());
                Callback::from(move |_: MouseEvent| on_verify.emit(first.clone()))
            };
            let toggle_send = {
                let sending = sending.clone();
                Callback::from(move |_: MouseEvent| sending.set(!*sending))
            };
            html! {
                <div id="sign-result" class="banner banner-ok" role="status" data-level={level.clone()}>
                    <strong>{ t(l, "署名しました", "Signed") }</strong>
                    <p>{ t(l, "保存したファイル:", "Files saved:") }</p>
                    <ul id="signed-files">{ for paths.iter().map(|p| html!{ <li><code>{ p.clone() }</code></li> }) }</ul>
                    <div class="result-actions">
                        <button id="open-folder" type="button" class="secondary" onclick={open_folder}>{ t(l, "フォルダを開く", "Open the folder") }</button>
                        <button id="verify-signed" type="button" class="secondary" onclick={verify_it}>{ t(l, "この署名を検証", "Verify this signature") }</button>
                        <button id="send-signed" type="button" class="secondary" aria-expanded={sending.to_string()} onclick={toggle_send}>{ t(l, "送信…", "Send…") }</button>
                    </div>
                    if *sending {
                        <crate::submission::SendPanel lang={l} paths={vec![first.clone()]} on_sent={props.on_signed.clone()} />
                    }
                    if let Some(m) = &*open_error {
                        <p class="status-error" role="alert">{ msg(l, m) }</p>
                    }
                    if let Some(st) = stamp {
                        <p class="sign-timestamp">{ format!("{}: ", t(l, "タイムスタンプ", "Time-stamp")) }{ crate::i18n::when(l, &st, true) }{ " — " }<bdi>{ tsa }</bdi>{ format!(" / {} {level}", t(l, "署名レベル", "level")) }</p>
                    }
                    if let Some(w) = warning {
                        <p class="sign-warning" role="alert">{ text(l, &w) }</p>
                    }
                </div>
            }
        }
        Some(Err(m)) => {
            html! { <div id="sign-error" class="banner banner-fail" role="alert">{ msg(l, m) }</div> }
        }
    };

    let fmt = (*format).clone();
    html! {
        <section class="panel compose" aria-labelledby="compose-heading">
            // Under an open dialog the form cannot be reached (aria-modal
            // is a promise, inert keeps it).
            <div class="compose-body" inert={!matches!(*dialog, Dialog::Closed)}>
            <h2 id="compose-heading">{ t(l, "診療情報提供書の作成と署名", "Compose and sign a referral letter") }</h2>
            <div class="toolbar">
                <button id="new-letter" type="button" class="secondary" onclick={on_new}>
                    { t(l, "新しい紹介状（下書きを破棄）", "New letter (discard the draft)") }
                </button>
                <button id="load-example" type="button" class="secondary" onclick={on_example}>
                    { t(l, "記入例を読み込む", "Load the example") }
                </button>
                <fieldset class="format">
                    <legend>{ t(l, "形式", "Format") }</legend>
                    <label><input type="radio" name="format" value="hs008" checked={fmt == "hs008"} onchange={on_format.clone()} />{ "HS008（CDA）" }</label>
                    <label><input type="radio" name="format" value="hs038" checked={fmt == "hs038"} onchange={on_format} />{ "HS038（FHIR）" }</label>
                </fieldset>
                <div class="inline">
                    <label for="import-path">{ t(l, "既存の文書を読み込む（パス）", "Import a letter (path)") }</label>
                    <input id="import-path" ref={import_input.clone()} type="text" placeholder="/path/letter.xml" />
                    { browse_button(l, "letter", import_input.clone(), "import-path") }
                    <button type="button" class="secondary" onclick={on_import}>{ t(l, "読み込む", "Import") }</button>
                </div>
            </div>
            <div class="compose-grid">
                <div class="form-col">
                    { for SECTIONS.iter().map(|s| html! {
                        <fieldset class="form-section">
                            <legend>{ t(l, s.ja, s.en) }</legend>
                            { for s.fields.iter().map(field_html) }
                        </fieldset>
                    }) }
                    <fieldset class="form-section">
                        <legend>{ t(l, "添付（PDF・JPEG・PNG、ウィンドウにドロップでも追加）", "Attachments (PDF, JPEG, PNG; or drop them on the window)") }</legend>
                        <ul id="attachment-list">{ for attachments.iter().map(|a| html!{ <li><code>{ a.clone() }</code></li> }) }</ul>
                        <div class="inline">
                            <label for="attach-path">{ t(l, "ファイルのパス", "File path") }</label>
                            <input id="attach-path" ref={attach_input.clone()} type="text" placeholder="/path/result.pdf" />
                            { browse_button(l, "attachment", attach_input.clone(), "attach-path") }
                            <button id="attach-add" type="button" class="secondary" onclick={on_attach}>{ t(l, "追加", "Add") }</button>
                        </div>
                    </fieldset>
                </div>
                // Scrolls on its own: reachable and scrollable by keyboard.
                <div class="preview-col" tabindex="0" role="region"
                    aria-label={ t(l, "署名される内容のプレビュー", "Preview of what is signed") }>
                    <h3>{ t(l, "プレビュー（署名される内容）", "Preview (exactly what is signed)") }</h3>
                    <p class="muted">{ match l { Lang::Ja => format!("{} バイト", *bytes_len), Lang::En => format!("{} bytes", *bytes_len) } }</p>
                    <div id="letter-preview" class="letter-preview">{ Html::from_html_unchecked(AttrValue::from((*preview).clone())) }</div>
                    if !preview_files.is_empty() {
                        <h4>{ t(l, "添付ファイル（署名に含まれます）", "Attachments (covered by the signature)") }</h4>
                        <table id="preview-attachments" class="results">
                            <thead><tr>
                                <th scope="col">{ t(l, "ファイル名", "File") }</th>
                                <th scope="col">{ t(l, "種類", "Type") }</th>
                                <th scope="col">{ t(l, "サイズ", "Size") }</th>
                                <th scope="col">{ "SHA-256" }</th>
                            </tr></thead>
                            <tbody>
                                { for preview_files.iter().map(|f| html! {
                                    <tr>
                                        <td><bdi>{ f["name"].as_str().unwrap_or_default().to_string() }</bdi></td>
                                        <td>{ f["media_type"].as_str().unwrap_or_default().to_string() }</td>
                                        <td>{ match l { Lang::Ja => format!("{} バイト", f["size"].as_u64().unwrap_or(0)), Lang::En => format!("{} bytes", f["size"].as_u64().unwrap_or(0)) } }</td>
                                        <td><code class="hash">{ f["sha256"].as_str().unwrap_or_default().to_string() }</code></td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    }
                    if let Some(m) = &*manifest {
                        <details id="preview-manifest">
                            <summary>{ t(l, "署名される目録（manifest.json）", "The signed manifest (manifest.json)") }</summary>
                            <pre>{ m.clone() }</pre>
                        </details>
                    }
                </div>
            </div>
            <div class="sign-bar">
                <label for="out-dir">{ t(l, "保存先フォルダ", "Save to folder") }</label>
                <input id="out-dir" ref={out_dir_input.clone()} type="text" readonly=true value={(*out_dir).clone()} onchange={on_out_dir} placeholder={t(l, "「参照…」で選んでください", "Choose with “Browse…”")} />
                { browse_button(l, "save_folder", out_dir_input.clone(), "out-dir") }
                <span id="problem-count" class={ if problems.is_empty() { "muted" } else { "status-error" } }>
                    { match (l, problems.len()) {
                        (Lang::Ja, 0) => "入力内容に問題はありません".to_string(),
                        (Lang::En, 0) => "No problems".to_string(),
                        (Lang::Ja, n) => format!("要修正 {n} 件"),
                        (Lang::En, n) => format!("{n} problem(s) to fix"),
                    } }
                </span>
                <button id="sign-button" type="button" onclick={open_dialog}
                    disabled={!problems.is_empty() || out_dir.trim().is_empty() || token.is_none()}>
                    { t(l, "カードで署名…", "Sign with the card…") }
                </button>
            </div>
            { result_html }
            </div>
            { dialog_html }
        </section>
    }
}
