//! Inkan desktop application: a Tauri 2 window over the Inkan core crates.
//!
//! Every command here is a thin adapter: it calls a core crate (mostly
//! `inkan-workflow`) and maps typed errors to [`inkan_l10n::Message`]
//! (code + Japanese + English) for the UI.
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod daily;
mod destinations;
mod submission;
mod window_state;

use inkan_workflow::History;
use std::sync::{Arc, Mutex};
use tauri::Manager;

/// Opens the history in `<app_data_dir>`; a damaged file is moved aside and a
/// fresh history started; an unusable folder gives an in-memory history, so
/// the app always starts.
fn open_history(data_dir: &std::path::Path) -> Result<History, Box<dyn std::error::Error>> {
    let path = data_dir.join("history.sqlite3");
    match History::open_or_recover(&path) {
        Ok((h, damage)) => {
            if let Some(d) = damage {
                eprintln!("inkan-app: {d}");
            }
            Ok(h)
        }
        Err(e) => {
            eprintln!("inkan-app: history unavailable, kept in memory only: {e}");
            Ok(History::open_in_memory()?)
        }
    }
}

fn setup(
    app: &mut tauri::App,
    started: std::time::Instant,
) -> Result<(), Box<dyn std::error::Error>> {
    // INKAN_DATA_DIR moves the CLI's data folder: the window follows, so
    // that both keep one history and one signing log.
    let data_dir = match std::env::var_os("INKAN_DATA_DIR").map(std::path::PathBuf::from) {
        Some(d) if d.is_absolute() => d,
        _ => app.path().app_data_dir()?,
    };
    if let Err(e) = std::fs::create_dir_all(&data_dir) {
        eprintln!("inkan-app: cannot create {}: {e}", data_dir.display());
    }
    let crl_cache = app.path().app_cache_dir()?.join("crl");
    if let Err(e) = std::fs::create_dir_all(&crl_cache) {
        eprintln!("inkan-app: cannot create {}: {e}", crl_cache.display());
    }
    // The window is built here rather than from the configuration alone, so
    // that it can refuse to leave the app: a link or a script in a letter's
    // view must never load a remote page (which would get the app's IPC)
    // or open a second window.
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
        .ok_or("no main window in tauri.conf.json")?;
    tauri::WebviewWindowBuilder::from_config(app, &config)?
        .on_navigation(|url| {
            let ok = commands::is_app_url(url);
            if !ok {
                eprintln!("inkan-app: navigation to {url} refused");
            }
            ok
        })
        .on_new_window(|url, _| {
            eprintln!("inkan-app: new window for {url} refused");
            tauri::webview::NewWindowResponse::Deny
        })
        .build()?;
    // The app's own folders, never a destination: its data (history, signing
    // log and key, WebKit storage), configuration, cache, and the settings
    // folder shared with the CLI.
    let paths = app.path();
    let protected: Vec<std::path::PathBuf> = [
        paths.app_data_dir().ok(),
        paths.app_local_data_dir().ok(),
        paths.app_config_dir().ok(),
        paths.app_cache_dir().ok(),
        paths.app_log_dir().ok(),
        inkan_workflow::settings::config_dir(),
        inkan_workflow::settings::data_dir(),
        // WebKit's own storage on macOS.
        cfg!(target_os = "macos")
            .then(|| paths.home_dir().ok())
            .flatten()
            .map(|h| h.join("Library/WebKit").join(&app.config().identifier)),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Every signature and verification of the window goes to the signing log.
    inkan_workflow::audit::enable(&data_dir);
    let history = open_history(&data_dir)?;
    let settings_path = paths.app_config_dir()?.join("settings.json");
    let (settings, settings_notice) = daily::load_settings(&settings_path);
    let default_out_dir = paths
        .document_dir()
        .or_else(|_| paths.home_dir().map(|h| h.join("Documents")))?
        .join("Inkan");
    let draft_path = data_dir.join("draft.json");
    app.manage(commands::AppState {
        history: Arc::new(Mutex::new(history)),
        data_dir,
        crl_cache,
        started,
        first_paint: std::sync::OnceLock::new(),
        settings: Mutex::new(settings),
        settings_path,
        settings_notice,
        default_out_dir,
        draft_path,
        signing: std::sync::atomic::AtomicUsize::new(0),
        written: Mutex::new(Vec::new()),
        destinations: destinations::Destinations::new(
            protected,
            destinations::Destinations::typed_from_env(),
        ),
    });
    window_state::restore(app);
    Ok(())
}

fn main() {
    let started = std::time::Instant::now();
    let result = tauri::Builder::default()
        // Native file dialogs, opened only from the Rust side (`pick_path`):
        // the plugin's own JS commands are not granted to the UI.
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| setup(app, started))
        .on_window_event(|window, event| {
            // A signature in progress is not cut off by closing the window.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let signing = window
                    .try_state::<commands::AppState>()
                    .is_some_and(|s| s.signing.load(std::sync::atomic::Ordering::SeqCst) > 0);
                if signing {
                    api.prevent_close();
                    let _ = tauri::Emitter::emit(window, "close-blocked", ());
                    return;
                }
            }
            window_state::on_event(window, event);
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_readers,
            commands::trust_anchors,
            commands::card_status,
            commands::diagnostics,
            commands::letter_example,
            commands::letter_blank,
            commands::letter_preview,
            commands::letter_import,
            commands::sign_letter,
            commands::verify,
            commands::verify_folder,
            commands::history_list,
            commands::audit_state,
            commands::export_reports,
            commands::window_settings,
            commands::set_out_dir,
            commands::set_reader_preference,
            commands::draft_load,
            commands::draft_save,
            commands::draft_clear,
            commands::open_folder,
            commands::trust_mode,
            commands::pick_path,
            commands::ui_painted,
            commands::tsa_settings,
            commands::save_tsa_settings,
            submission::submission_destinations,
            submission::save_submission_destination,
            submission::remove_submission_destination,
            submission::submit_files,
            submission::outbox_list,
            submission::outbox_run,
            submission::outbox_retry
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("inkan-app: the window could not be started: {e}");
        std::process::exit(1);
    }
}
