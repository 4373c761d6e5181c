//! The Tauri commands the UI may call (see `capabilities/main.json`).

use inkan_card::ReaderInfo;
use inkan_l10n::Message;
use serde::Serialize;

/// Version information for the header and the diagnostics page.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    /// Inkan's version.
    pub version: &'static str,
    /// The Tauri version the shell was built with.
    pub tauri: &'static str,
    /// The operating system family.
    pub os: &'static str,
}

/// Inkan's version and build facts.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        tauri: tauri::VERSION,
        os: std::env::consts::OS,
    }
}

/// The PC/SC readers and their card state. PC/SC calls block, so they run
/// off the UI thread.
#[tauri::command]
pub async fn list_readers() -> Result<Vec<ReaderInfo>, Message> {
    tauri::async_runtime::spawn_blocking(inkan_card::list_readers)
        .await
        .map_err(|e| Message {
            code: "app.task_failed".into(),
            ja: format!("内部処理に失敗しました: {e}"),
            en: format!("An internal task failed: {e}"),
        })?
        .map_err(|e| Message::from(&e))
}

/// One shipped trust anchor, for the diagnostics view.
#[derive(Debug, Serialize)]
pub struct AnchorInfo {
    file: &'static str,
    role: inkan_trust::CaRole,
    subject: String,
    sha256: String,
}

/// The shipped trust configuration after checking the pinned root.
#[tauri::command]
pub fn trust_anchors() -> Result<Vec<AnchorInfo>, Message> {
    inkan_trust::anchors::check_shipped().map_err(|e| Message::from(&e))?;
    inkan_trust::shipped()
        .iter()
        .map(|c| {
            Ok(AnchorInfo {
                file: c.file,
                role: c.role,
                subject: c.subject().map_err(|e| Message::from(&e))?,
                sha256: c.fingerprint(),
            })
        })
        .collect()
}
