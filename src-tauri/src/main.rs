//! Inkan desktop application: a Tauri 2 window over the Inkan core crates.
//!
//! Every command here is a thin adapter: it calls a core crate and maps typed
//! errors to [`inkan_l10n::Message`] (code + Japanese + English) for the UI.
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

fn main() {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_readers,
            commands::trust_anchors
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("inkan-app: the window could not be started: {e}");
        std::process::exit(1);
    }
}
