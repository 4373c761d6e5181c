//! 送信 (submission) in the window: thin commands over
//! `inkan_workflow::submit` and `inkan_outbox`, shared with the CLI (the
//! same outbox in the data folder, the same `destinations.json` in the
//! settings folder).
//!
//! Nothing is sent without the user's action: a document is queued only
//! when the user presses 送信 for a destination set up in 設定, and only a
//! document signed in this session or chosen in the native dialog
//! (`destinations::Destinations::submit_file`). Items already queued are
//! retried while the window is open (the 送信 page asks when they fall due).

use crate::commands::AppState;
use inkan_l10n::{Localized, Message};
use inkan_outbox::config::{Destinations as Named, Named as NamedDestination};
use inkan_outbox::{Destination, FhirMode, Item, Layout, RunOptions, RunSummary};
use serde::Serialize;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, State};

fn msg<E: Localized>(e: E) -> Message {
    Message::from(&e)
}

fn config_dir() -> Result<PathBuf, Message> {
    inkan_workflow::settings::config_dir().ok_or_else(|| Message {
        code: "app.no_config".into(),
        ja: "設定フォルダがありません（HOME が設定されていません）".into(),
        en: "no settings folder (HOME is not set)".into(),
    })
}

async fn blocking<T, F>(f: F) -> Result<T, Message>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, Message> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f).await.map_err(|e| {
        eprintln!("inkan-app: a submission task failed: {e}");
        Message {
            code: "app.task".into(),
            ja: "処理が途中で止まりました。もう一度お試しください".into(),
            en: "the task stopped unexpectedly; please try again".into(),
        }
    })?
}

/// A destination as the window shows it (never its token).
#[derive(Debug, Clone, Serialize)]
pub struct DestinationView {
    /// Its name.
    pub name: String,
    /// `fhir` or `folder`.
    pub kind: &'static str,
    /// The URL or the folder.
    pub place: String,
    /// `bundle`/`mhd`, or `plain`/`xdm`/`ssmix2`.
    pub detail: String,
    /// Whether a bearer token is set.
    pub has_token: bool,
    /// Whether a receiver's result file is awaited.
    pub await_result: bool,
}

fn views(d: &Named) -> Vec<DestinationView> {
    d.destinations
        .iter()
        .filter_map(|n| {
            let parsed = Destination::parse(&n.to).ok()?;
            Some(match parsed {
                Destination::Fhir { base, mode } => DestinationView {
                    name: n.name.clone(),
                    kind: "fhir",
                    place: base,
                    detail: match mode {
                        FhirMode::Bundle => "bundle",
                        FhirMode::Mhd => "mhd",
                    }
                    .into(),
                    has_token: n.bearer_token.is_some(),
                    await_result: false,
                },
                Destination::Folder {
                    dir,
                    layout,
                    await_result,
                } => DestinationView {
                    name: n.name.clone(),
                    kind: "folder",
                    place: dir.display().to_string(),
                    detail: match layout {
                        Layout::Plain => "plain",
                        Layout::Xdm => "xdm",
                        Layout::Ssmix2 => "ssmix2",
                    }
                    .into(),
                    has_token: false,
                    await_result,
                },
            })
        })
        .collect()
}

/// The destinations set up in 設定.
#[tauri::command]
pub fn submission_destinations() -> Result<Vec<DestinationView>, Message> {
    Ok(views(&Named::load_in(&config_dir()?).map_err(msg)?))
}

/// Adds (or replaces, by name) a destination. A folder must be the one the
/// dialog returned; a FHIR server is a typed URL. An empty `token` keeps
/// the one already set; `clear_token` removes it.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn save_submission_destination(
    name: String,
    kind: String,
    url: Option<String>,
    mode: Option<String>,
    folder: Option<String>,
    layout: Option<String>,
    await_result: Option<bool>,
    token: Option<String>,
    clear_token: Option<bool>,
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Vec<DestinationView>, Message> {
    let to = match kind.as_str() {
        "fhir" => format!(
            "fhir:{}?mode={}",
            url.unwrap_or_default().trim(),
            if mode.as_deref() == Some("mhd") {
                "mhd"
            } else {
                "bundle"
            }
        ),
        "folder" => {
            let dir = state
                .destinations
                .submit_folder(&folder.unwrap_or_default())?;
            let layout = match layout.as_deref() {
                Some("xdm") => "xdm",
                Some("ssmix2") => "ssmix2",
                _ => "plain",
            };
            format!(
                "folder:{}?layout={layout}{}",
                dir.display(),
                if await_result == Some(true) {
                    "&result=1"
                } else {
                    ""
                }
            )
        }
        _ => {
            return Err(Message {
                code: "app.destination_kind".into(),
                ja: "送信先の種類は FHIR サーバか共有フォルダです".into(),
                en: "a destination is a FHIR server or a shared folder".into(),
            })
        }
    };
    let new_dest = Destination::parse(&to).map_err(msg)?;
    let dir = config_dir()?;
    let typed = state.destinations.typed();
    blocking(move || {
        let path = dir.join(inkan_outbox::config::FILE);
        let mut d = Named::load(&path).map_err(msg)?;
        let name = name.trim().to_owned();
        let old = d.destinations.iter().find(|n| n.name == name).cloned();
        let same_place = |n: &NamedDestination| match (Destination::parse(&n.to), &new_dest) {
            (Ok(Destination::Fhir { base: a, .. }), Destination::Fhir { base: b, .. }) => a == *b,
            (Ok(a), b) => a == *b,
            _ => false,
        };
        // Patients' letters leave the computer for this server: the user
        // confirms each new one in a native dialog, which a script in the
        // window cannot answer. (The end-to-end tests type instead.)
        if let Destination::Fhir { base, .. } = &new_dest {
            if !typed && !old.as_ref().is_some_and(same_place) {
                use tauri_plugin_dialog::{DialogExt, MessageDialogButtons};
                let ok = app
                    .dialog()
                    .message(format!(
                        "署名した文書を次の FHIR サーバへ送れるようにします。よろしいですか？\n\n{base}\n\nDocuments you sign will be sent to this FHIR server. Continue?"
                    ))
                    .title("送信先の確認 / Confirm the destination")
                    .buttons(MessageDialogButtons::OkCancel)
                    .blocking_show();
                if !ok {
                    return Err(Message {
                        code: "app.destination_cancelled".into(),
                        ja: "送信先の登録をやめました".into(),
                        en: "the destination was not saved".into(),
                    });
                }
            }
        }
        // A token belongs to its server: re-pointing a name drops it.
        let old_token = old
            .as_ref()
            .filter(|n| same_place(n))
            .and_then(|n| n.bearer_token.clone());
        let bearer_token = match (
            token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
            clear_token,
        ) {
            (_, Some(true)) => None,
            (Some(t), _) => Some(t),
            (None, _) => old_token,
        };
        let entry = NamedDestination {
            name: name.clone(),
            to,
            bearer_token: bearer_token.filter(|_| kind == "fhir"),
        };
        match d.destinations.iter_mut().find(|n| n.name == name) {
            Some(n) => *n = entry,
            None => d.destinations.push(entry),
        }
        d.save(&path).map_err(msg)?;
        Ok(views(&d))
    })
    .await
}

/// Removes the destination `name` (items already queued keep it).
#[tauri::command]
pub async fn remove_submission_destination(name: String) -> Result<Vec<DestinationView>, Message> {
    let dir = config_dir()?;
    blocking(move || {
        let path = dir.join(inkan_outbox::config::FILE);
        let mut d = Named::load(&path).map_err(msg)?;
        d.destinations.retain(|n| n.name != name);
        d.save(&path).map_err(msg)?;
        Ok(views(&d))
    })
    .await
}

fn deliver(app: &AppHandle, data: PathBuf) -> Result<RunSummary, Message> {
    let cfg = inkan_workflow::settings::config_dir();
    let r = inkan_workflow::submit::deliver_due(&data, cfg.as_deref(), &RunOptions::default())
        .map_err(msg);
    if let Err(e) = app.emit("outbox-changed", ()) {
        eprintln!("inkan-app: outbox-changed: {e}");
    }
    r
}

/// Verifies and queues `paths` for the destination `destination` (a name
/// from 設定), then delivers what is due. A 判定不能 signature is queued
/// only with `allow_indeterminate`, the user's explicit choice.
#[tauri::command]
pub async fn submit_files(
    paths: Vec<String>,
    destination: String,
    allow_indeterminate: bool,
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Vec<inkan_workflow::submit::Queued>, Message> {
    let paths = paths
        .iter()
        .map(|p| state.destinations.submit_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    let named = Named::load_in(&config_dir()?).map_err(msg)?;
    if !named.destinations.iter().any(|n| n.name == destination) {
        return Err(Message {
            code: "app.destination_unknown".into(),
            ja: format!(
                "送信先「{destination}」は設定にありません。設定で送信先を登録してください"
            ),
            en: format!("the destination \"{destination}\" is not set up; add it in Settings"),
        });
    }
    let cfg = inkan_workflow::VerifyConfig::from_env(Some(state.crl_cache.clone())).map_err(msg)?;
    let data = state.data_dir.clone();
    let config = inkan_workflow::settings::config_dir();
    let queued = blocking({
        let data = data.clone();
        move || {
            inkan_workflow::submit::queue_files(
                &paths,
                &destination,
                allow_indeterminate,
                &cfg,
                &data,
                config.as_deref(),
            )
            .map_err(msg)
        }
    })
    .await?;
    if queued.iter().any(|q| q.item.is_some()) {
        // Delivered in the background: the 送信 page follows the states.
        let app2 = app.clone();
        tauri::async_runtime::spawn_blocking(move || {
            if let Err(e) = deliver(&app2, data) {
                if e.code != "outbox.busy" {
                    eprintln!("inkan-app: delivery: {} [{}]", e.en, e.code);
                }
            }
        });
    }
    Ok(queued)
}

/// Every queued item, newest first.
#[tauri::command]
pub async fn outbox_list(state: State<'_, AppState>) -> Result<Vec<Item>, Message> {
    let data = state.data_dir.clone();
    blocking(move || {
        if !data.join(inkan_outbox::store::DB_FILE).exists() {
            return Ok(Vec::new());
        }
        inkan_outbox::Outbox::open_in(&data)
            .map_err(msg)?
            .list()
            .map_err(msg)
    })
    .await
}

/// Delivers what is due now (送信キューを処理).
#[tauri::command]
pub async fn outbox_run(app: AppHandle, state: State<'_, AppState>) -> Result<RunSummary, Message> {
    let data = state.data_dir.clone();
    blocking(move || deliver(&app, data)).await
}

/// Makes a failed or waiting item due again, then delivers.
#[tauri::command]
pub async fn outbox_retry(
    id: i64,
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<RunSummary, Message> {
    let data = state.data_dir.clone();
    blocking(move || {
        inkan_outbox::Outbox::open_in(&data)
            .map_err(msg)?
            .retry(id)
            .map_err(msg)?;
        deliver(&app, data)
    })
    .await
}
