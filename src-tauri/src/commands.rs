//! The Tauri commands the UI may call (see `capabilities/main.json`).

use inkan_card::ReaderInfo;
use inkan_l10n::{Localized, Message};
use inkan_referral::ReferralLetter;
use inkan_workflow::{
    CardView, History, HistoryEntry, ImportedLetter, LetterFormat, LetterJob, Preview, SignRequest,
    SignedFiles, TrustMode, VerifyConfig, VerifyItem,
};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, State};
use zeroize::Zeroizing;

/// Whether `url` is the app's own origin, exactly: `tauri://localhost` on
/// Linux and macOS, `http://tauri.localhost` on Windows, with no port.
/// Anything else (another port on a loopback name included) may be served
/// by another program, and must never be shown in the app's window.
pub fn is_app_url(url: &tauri::Url) -> bool {
    let (scheme, host) = if cfg!(windows) {
        ("http", "tauri.localhost")
    } else {
        ("tauri", "localhost")
    };
    url.scheme() == scheme && url.host_str() == Some(host) && url.port().is_none()
}

/// Version information for the header and the diagnostics page.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    /// Inkan's version.
    pub version: &'static str,
    /// A debug build (not for clinical use): the header marks it.
    pub debug: bool,
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
        debug: cfg!(debug_assertions),
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
        .map_err(task_failed)?
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

// ---------------------------------------------------------------------------
// Issue 6: the sign / verify / history workflows (thin over `inkan-workflow`).

/// What the commands share: the history handle and the app's folders.
#[derive(Debug)]
pub struct AppState {
    /// The one history handle (SQLite in `<app_data_dir>/history.sqlite3`).
    pub history: Arc<Mutex<History>>,
    /// `<app_data_dir>`.
    pub data_dir: PathBuf,
    /// `<app_cache_dir>/crl`.
    pub crl_cache: PathBuf,
    /// When the process's `main` began, and how long the UI took to put its
    /// first frame on screen (set once by [`ui_painted`]).
    pub started: std::time::Instant,
    /// See [`AppState::started`].
    pub first_paint: std::sync::OnceLock<std::time::Duration>,
    /// What the user chose in native dialogs: the only places the window's
    /// commands write to (and the app's folders, never written to).
    pub destinations: crate::destinations::Destinations,
    /// The window's settings (`settings_path`), and what the window must
    /// say about them (a broken file was reset).
    pub settings: Mutex<crate::daily::AppSettings>,
    /// See [`AppState::settings`].
    pub settings_path: PathBuf,
    /// See [`AppState::settings`].
    pub settings_notice: Option<Message>,
    /// `~/Documents/Inkan`: where signed letters go unless the settings say.
    pub default_out_dir: PathBuf,
    /// The autosaved draft (`<app_data_dir>/draft.json`).
    pub draft_path: PathBuf,
    /// Signatures in progress: the window may not close while any is.
    pub signing: std::sync::atomic::AtomicUsize,
    /// The folders signed files were written to in this session: the only
    /// ones `open_folder` shows.
    pub written: Mutex<Vec<PathBuf>>,
}

/// Set to make the app print `inkan-app: first frame painted` on stdout when
/// the UI reports its first frame: the start-up benchmark measures process
/// start to that line (`tests/e2e/benches/release.rs`).
pub const STARTUP_PROBE_ENV: &str = "INKAN_STARTUP_PROBE";

/// The UI calls this once, two animation frames after its first render (when
/// WebKit has painted it). The start-up time then shows in the diagnostics.
#[tauri::command]
pub fn ui_painted(state: State<'_, AppState>) {
    if state.first_paint.set(state.started.elapsed()).is_ok()
        && std::env::var_os(STARTUP_PROBE_ENV).is_some()
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // The benchmark reads this line; a closed stdout just means nobody listens.
        let _ = writeln!(out, "inkan-app: first frame painted");
        let _ = out.flush();
    }
}

/// A background task that did not finish: the detail (a JoinError) goes to
/// the log, the user gets what to do.
fn task_failed(e: impl std::fmt::Display) -> Message {
    eprintln!("inkan-app: background task failed: {e}");
    Message {
        code: "app.task_failed".into(),
        ja: "処理が途中で止まりました。もう一度操作してください。続く場合はアプリを再起動してください。".into(),
        en: "The operation stopped before it finished. Try again; if it keeps happening, restart the app.".into(),
    }
}

/// Runs blocking work (PC/SC, files, SQLite, CRL fetches) off the UI thread.
async fn blocking<T, F>(f: F) -> Result<T, Message>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, Message> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(task_failed)?
}

fn msg<E: Localized>(e: E) -> Message {
    Message::from(&e)
}

pub use crate::destinations::{ui_path, PickKind};

/// The form's letter. A malformed one is the UI's fault, not the user's:
/// the serde detail goes to the log, the message says what to do.
fn parse_letter(letter: serde_json::Value) -> Result<ReferralLetter, Message> {
    serde_json::from_value(letter).map_err(|e| {
        eprintln!("inkan-app: the form sent a malformed letter: {e}");
        Message {
            code: "app.letter_json".into(),
            ja: "入力内容を読み取れませんでした。入力をやり直すか、「例を読み込む」から始めてください。".into(),
            en: "The form's contents could not be read. Enter them again, or start from the example.".into(),
        }
    })
}

fn parse_format(format: &str) -> Result<LetterFormat, Message> {
    match format {
        "hs008" => Ok(LetterFormat::Hs008),
        "hs038" => Ok(LetterFormat::Hs038),
        other => Err(Message {
            code: "app.format".into(),
            ja: format!("形式は hs008 または hs038 です（「{other}」）"),
            en: format!("The format is hs008 or hs038 (got \"{other}\")"),
        }),
    }
}

/// The live card panel: holder, PIN state, expiry, TEST flag.
#[tauri::command]
pub async fn card_status(reader: Option<String>) -> Result<CardView, Message> {
    blocking(move || inkan_workflow::card_view(reader.as_deref()).map_err(msg)).await
}

/// Everything the diagnostics page shows.
#[derive(Debug, Serialize)]
pub struct Diagnostics {
    app: AppInfo,
    readers: Option<Vec<ReaderInfo>>,
    readers_error: Option<Message>,
    anchors: Vec<AnchorInfo>,
    anchors_error: Option<Message>,
    test_trust: Option<String>,
    data_dir: String,
    /// From process start (`main`) to the UI's first painted frame.
    startup_ms: Option<u128>,
}

/// Version, readers, trust anchors, TEST trust, data folder.
#[tauri::command]
pub async fn diagnostics(state: State<'_, AppState>) -> Result<Diagnostics, Message> {
    let data_dir = state.data_dir.display().to_string();
    let readers = blocking(|| Ok(inkan_card::list_readers())).await?;
    let (readers, readers_error) = match readers {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(Message::from(&e))),
    };
    let (anchors, anchors_error) = match trust_anchors() {
        Ok(a) => (a, None),
        Err(m) => (Vec::new(), Some(m)),
    };
    Ok(Diagnostics {
        app: app_info(),
        readers,
        readers_error,
        anchors,
        anchors_error,
        test_trust: inkan_workflow::test_trust_dir().map(|d| d.display().to_string()),
        data_dir,
        startup_ms: state.first_paint.get().map(|d| d.as_millis()),
    })
}

/// The example letter (a starting point for the form).
#[tauri::command]
pub fn letter_example() -> ReferralLetter {
    ReferralLetter::example()
}

/// An empty letter: what the form opens with when a real card is present.
#[tauri::command]
pub fn letter_blank() -> ReferralLetter {
    ReferralLetter::blank()
}

/// The preview of the exact bytes that would be signed (the letter, the
/// attachments with their hashes, the package manifest), its token, and
/// every problem.
#[tauri::command]
pub async fn letter_preview(
    letter: serde_json::Value,
    format: String,
    attachments: Option<Vec<String>>,
) -> Result<Preview, Message> {
    let letter = parse_letter(letter)?;
    let format = parse_format(&format)?;
    let attachments = attachments
        .unwrap_or_default()
        .iter()
        .map(|a| ui_path(a))
        .collect::<Result<Vec<_>, _>>()?;
    blocking(move || inkan_workflow::preview(&letter, format, &attachments).map_err(msg)).await
}

/// Reads an HS008/HS038 letter (or a package's letter) into the form.
#[tauri::command]
pub async fn letter_import(path: String) -> Result<ImportedLetter, Message> {
    let path = ui_path(&path)?;
    blocking(move || inkan_workflow::import_letter(&path).map_err(msg)).await
}

/// Signs the letter with the card and writes the outputs (see
/// `inkan_workflow::sign_letter`). The PIN is never logged.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub async fn sign_letter(
    letter: serde_json::Value,
    format: String,
    attachments: Vec<String>,
    out_dir: String,
    pin: String,
    confirm_last_try: bool,
    reader: Option<String>,
    preview_token: String,
    state: State<'_, AppState>,
) -> Result<SignedFiles, Message> {
    let pin = Zeroizing::new(pin);
    let letter = parse_letter(letter)?;
    let format = parse_format(&format)?;
    let attachments = attachments
        .iter()
        .map(|a| ui_path(a))
        .collect::<Result<Vec<_>, _>>()?;
    // The folder of the settings (chosen in a dialog, or the default one,
    // created on first use) is the app's own choice.
    let configured = state.out_dir();
    if ui_path(&out_dir)? == configured {
        crate::daily::create_private_dir(&configured);
        state
            .destinations
            .approve(crate::destinations::PickKind::SaveFolder, &configured);
    }
    let out_dir = state.destinations.folder(&out_dir)?;
    let history = Arc::clone(&state.history);
    let req = SignRequest {
        job: LetterJob {
            letter,
            format,
            attachments,
            out_dir,
        },
        pin,
        confirm_last_try,
        reader,
        // The window signs only what it previewed.
        preview_token: Some(preview_token),
    };
    struct Signing<'a>(&'a std::sync::atomic::AtomicUsize);
    impl Drop for Signing<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    state
        .signing
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _signing = Signing(&state.signing);
    let folder = req.job.out_dir.clone();
    let signed =
        blocking(move || inkan_workflow::sign_letter(req, Some(&history)).map_err(msg)).await?;
    // Signed: the draft has become a document, its folder may be shown,
    // and it may be submitted.
    crate::daily::clear_draft(&state.draft_path);
    state.destinations.allow_submit(&signed.letter_path);
    state
        .written
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(folder);
    Ok(signed)
}

impl AppState {
    /// Where signed letters go: the settings' folder, else the default.
    pub fn out_dir(&self) -> PathBuf {
        self.settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .out_dir
            .clone()
            .unwrap_or_else(|| self.default_out_dir.clone())
    }
}

/// The window's settings as the UI shows them.
#[derive(Debug, Serialize)]
pub struct WindowSettings {
    /// Where signed letters go now.
    pub out_dir: String,
    /// `~/Documents/Inkan`.
    pub default_out_dir: String,
    /// The preferred reader.
    pub reader: Option<String>,
    /// Set when a broken settings file was reset at start-up.
    pub notice: Option<Message>,
}

/// The window's settings.
#[tauri::command]
pub fn window_settings(state: State<'_, AppState>) -> WindowSettings {
    let reader = state
        .settings
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .reader
        .clone();
    WindowSettings {
        out_dir: state.out_dir().to_string_lossy().into_owned(),
        default_out_dir: state.default_out_dir.to_string_lossy().into_owned(),
        reader,
        notice: state.settings_notice.clone(),
    }
}

fn change_settings(
    state: &AppState,
    f: impl FnOnce(&mut crate::daily::AppSettings),
) -> Result<WindowSettings, Message> {
    let mut s = state.settings.lock().unwrap_or_else(|p| p.into_inner());
    let mut next = s.clone();
    f(&mut next);
    crate::daily::save_settings(&state.settings_path, &next).map_err(|e| {
        eprintln!(
            "inkan-app: cannot save {}: {e}",
            state.settings_path.display()
        );
        Message {
            code: "settings.write".into(),
            ja: "設定を保存できませんでした（ディスクの空きや権限を確認してください）。".into(),
            en: "The settings could not be saved (check the disk space and permissions).".into(),
        }
    })?;
    *s = next;
    drop(s);
    Ok(WindowSettings {
        out_dir: state.out_dir().to_string_lossy().into_owned(),
        default_out_dir: state.default_out_dir.to_string_lossy().into_owned(),
        reader: state
            .settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .reader
            .clone(),
        notice: state.settings_notice.clone(),
    })
}

/// Makes `path` (a folder chosen in the dialog) where signed letters go;
/// an empty path goes back to the default folder.
#[tauri::command]
pub fn set_out_dir(path: String, state: State<'_, AppState>) -> Result<WindowSettings, Message> {
    // Only the folder just chosen in the settings' own dialog (a choice for
    // one letter, or a folder inside one, is not a lasting grant).
    let chosen = if path.trim().is_empty() {
        None
    } else {
        Some(state.destinations.settings_folder(&path)?)
    };
    change_settings(&state, |s| s.out_dir = chosen)
}

/// The reader to prefer when several hold a card (`None`: ask).
#[tauri::command]
pub fn set_reader_preference(
    reader: Option<String>,
    state: State<'_, AppState>,
) -> Result<WindowSettings, Message> {
    let reader = reader.filter(|r| !r.trim().is_empty());
    change_settings(&state, |s| s.reader = reader)
}

/// The autosaved draft, if any.
#[tauri::command]
pub fn draft_load(state: State<'_, AppState>) -> Option<serde_json::Value> {
    crate::daily::load_draft(&state.draft_path)
}

/// Saves the draft (the form as it is now).
#[tauri::command]
pub async fn draft_save(
    draft: serde_json::Value,
    state: State<'_, AppState>,
) -> Result<(), Message> {
    let path = state.draft_path.clone();
    blocking(move || crate::daily::save_draft(&path, &draft)).await
}

/// Throws the draft away (a new, empty letter).
#[tauri::command]
pub fn draft_clear(state: State<'_, AppState>) {
    crate::daily::clear_draft(&state.draft_path);
}

/// Shows a folder the window saved into in the file manager.
#[tauri::command]
pub fn open_folder(path: String, state: State<'_, AppState>) -> Result<(), Message> {
    let dir = ui_path(&path)?
        .canonicalize()
        .ok()
        .filter(|d| d.is_dir())
        .filter(|d| {
            state
                .written
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .any(|w| w.canonicalize().is_ok_and(|w| &w == d))
        })
        .ok_or_else(|| Message {
            code: "app.open_folder".into(),
            ja: "開けるのは、このセッションで署名した文書を保存したフォルダだけです。".into(),
            en: "Only a folder this session saved signed documents in can be opened.".into(),
        })?;
    let program = if cfg!(windows) {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(program)
        .arg(&dir)
        .spawn()
        .map(|mut child| {
            // Reaped when it ends (no zombie per click).
            std::thread::spawn(move || child.wait());
        })
        .map_err(|e| {
            eprintln!("inkan-app: {program} {}: {e}", dir.display());
            Message {
                code: "app.open_folder".into(),
                ja: format!(
                    "フォルダを開けませんでした（{}）。ファイルマネージャーで開いてください。",
                    dir.display()
                ),
                en: format!(
                    "The folder could not be opened ({}): open it in your file manager.",
                    dir.display()
                ),
            }
        })
}

fn verify_config(state: &AppState) -> Result<VerifyConfig, Message> {
    VerifyConfig::from_env(Some(state.crl_cache.clone())).map_err(msg)
}

/// Verifies documents, signatures and packages.
#[tauri::command]
pub async fn verify(
    paths: Vec<String>,
    state: State<'_, AppState>,
) -> Result<Vec<VerifyItem>, Message> {
    let paths = paths
        .iter()
        .map(|p| ui_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    let cfg = verify_config(&state)?;
    let history = Arc::clone(&state.history);
    blocking(move || Ok(inkan_workflow::verify_paths(&paths, &cfg, Some(&history)))).await
}

/// `verify-progress` event payload.
#[derive(Debug, Clone, Serialize)]
struct Progress {
    done: usize,
    total: usize,
}

/// Verifies every signature-bearing file of a folder, emitting
/// `verify-progress` `{done, total}` after each.
#[tauri::command]
pub async fn verify_folder(
    dir: String,
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Vec<VerifyItem>, Message> {
    let dir = ui_path(&dir)?;
    let cfg = verify_config(&state)?;
    let history = Arc::clone(&state.history);
    blocking(move || {
        inkan_workflow::verify_folder(&dir, &cfg, Some(&history), |done, total| {
            if let Err(e) = app.emit("verify-progress", Progress { done, total }) {
                eprintln!("inkan-app: verify-progress: {e}");
            }
        })
        .map_err(msg)
    })
    .await
}

/// The latest history entries, newest first (default 100).
#[tauri::command]
pub async fn history_list(
    limit: Option<u32>,
    state: State<'_, AppState>,
) -> Result<Vec<HistoryEntry>, Message> {
    let history = Arc::clone(&state.history);
    let limit = limit.unwrap_or(100).min(10_000) as usize;
    blocking(move || {
        let h = history.lock().unwrap_or_else(|p| p.into_inner());
        h.list(limit).map_err(msg)
    })
    .await
}

/// The signing log's state for the 履歴 page: records, and the first
/// record where the chain breaks.
#[tauri::command]
pub async fn audit_state(
    state: State<'_, AppState>,
) -> Result<inkan_workflow::audit::ChainState, Message> {
    let dir = state.data_dir.clone();
    blocking(move || {
        let log = inkan_workflow::audit::AuditLog::open(&dir).map_err(msg)?;
        log.verify().map_err(msg)
    })
    .await
}

/// Writes verification results (as `verify` returned them) as pretty JSON,
/// to a file chosen in the save dialog (which confirmed any overwrite); an
/// existing file is never replaced otherwise.
#[tauri::command]
pub async fn export_reports(
    items: serde_json::Value,
    path: String,
    state: State<'_, AppState>,
) -> Result<(), Message> {
    let (path, chosen) = state.destinations.save_file(&path)?;
    if !chosen && path.exists() {
        return Err(Message {
            code: "app.exists".into(),
            ja: format!(
                "{} は既にあります。上書きするには「参照…」で選んで確認してください。",
                path.display()
            ),
            en: format!(
                "{} already exists. To replace it, choose it with “Browse…” and confirm.",
                path.display()
            ),
        });
    }
    blocking(move || inkan_workflow::export_reports(&items, &path).map_err(msg)).await
}

/// TEST or production trust, for the badge.
#[tauri::command]
pub fn trust_mode() -> TrustMode {
    inkan_workflow::trust_mode()
}

/// Opens the native file dialog and returns the chosen path (`null` when
/// cancelled). The dialog runs on the Rust side, so the UI never gets the
/// dialog plugin's own commands.
#[tauri::command]
pub async fn pick_path(
    app: AppHandle,
    kind: PickKind,
    state: State<'_, AppState>,
) -> Result<Option<String>, Message> {
    use tauri_plugin_dialog::DialogExt;
    let picked = blocking(move || {
        let d = app.dialog().file();
        let picked = match kind {
            PickKind::Letter => d
                .add_filter("診療情報提供書 / Referral letter", &["xml", "json", "zip"])
                .blocking_pick_file(),
            PickKind::Attachment => d
                .add_filter("PDF / JPEG / PNG", &["pdf", "jpg", "jpeg", "png"])
                .blocking_pick_file(),
            PickKind::Signed => d
                .add_filter(
                    "署名・文書 / Signatures and documents",
                    &["p7s", "p7m", "xml", "json", "zip"],
                )
                .blocking_pick_file(),
            PickKind::Folder => d
                .set_title("検証するフォルダ / Folder to verify")
                .blocking_pick_folder(),
            PickKind::SaveFolder => d
                .set_title("署名した文書の保存先 / Where signed documents are saved")
                .blocking_pick_folder(),
            PickKind::SettingsFolder => d
                .set_title(
                    "署名した文書の保存先（設定）/ Where signed documents are saved (settings)",
                )
                .blocking_pick_folder(),
            PickKind::Certificate => d
                .set_title("信頼する TSA の証明書 / TSA certificate to trust")
                .add_filter("証明書 / Certificate", &["pem", "crt", "cer", "der"])
                .blocking_pick_file(),
            PickKind::SubmitFile => d
                .set_title("送信する文書 / Document to submit")
                .add_filter("署名済みの文書 / Signed documents", &["xml", "json", "zip"])
                .blocking_pick_file(),
            PickKind::SubmitFolder => d
                .set_title("送信先の共有フォルダ / Shared folder to deliver to")
                .blocking_pick_folder(),
            PickKind::SaveReports => d
                .set_title("検証結果の保存 / Save the reports")
                .add_filter("JSON", &["json"])
                .set_file_name("inkan-reports.json")
                .blocking_save_file(),
        };
        Ok(picked.and_then(|p| p.into_path().ok()))
    })
    .await?;
    if let Some(p) = &picked {
        state.destinations.approve(kind, p);
    }
    Ok(picked.map(|p| p.to_string_lossy().into_owned()))
}

/// The time-stamp authority settings (docs/timestamps.md).
#[tauri::command]
pub fn tsa_settings() -> inkan_workflow::settings::TsaSettingsView {
    inkan_workflow::settings::tsa_settings_view()
}

/// Saves the TSA URL and, when given, adds a TSA trust anchor from a
/// certificate file.
#[tauri::command]
pub async fn save_tsa_settings(
    url: String,
    add_trust: Option<String>,
    state: State<'_, AppState>,
) -> Result<inkan_workflow::settings::TsaSettingsView, Message> {
    // A trust anchor changes which time-stamps count: only a certificate
    // the user chose in the dialog.
    let add_trust = add_trust
        .filter(|p| !p.trim().is_empty())
        .map(|p| state.destinations.certificate(&p))
        .transpose()?;
    blocking(move || {
        inkan_workflow::settings::save_tsa_settings(&url, add_trust.as_deref()).map_err(msg)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::is_app_url;

    fn url(s: &str) -> tauri::Url {
        s.parse().expect("URL")
    }

    #[test]
    fn only_the_apps_exact_origin_is_the_app() {
        let own = if cfg!(windows) {
            "http://tauri.localhost/index.html"
        } else {
            "tauri://localhost/index.html"
        };
        assert!(is_app_url(&url(own)));
        for other in [
            "http://tauri.localhost:8080/",
            "https://tauri.localhost/",
            "tauri://localhost:1/",
            "tauri://evil.example/",
            "http://localhost/",
            "https://example.org/",
            "file:///etc/passwd",
            "data:text/html,x",
        ] {
            if other != own {
                assert!(!is_app_url(&url(other)), "{other}");
            }
        }
        if !cfg!(windows) {
            assert!(!is_app_url(&url("http://tauri.localhost/")));
        }
    }
}
