//! Where the window may read and write (issue 14, part 3).
//!
//! The webview is not trusted with paths: a script in it (an injected one,
//! in the worst case) could otherwise name any file the user can write. So
//! the paths the window writes to come from native dialogs, remembered here
//! on the Rust side:
//!
//! - a folder chosen as where signed files go ([`PickKind::SaveFolder`]):
//!   new files inside it. Signed outputs never replace anything
//!   (`inkan_workflow::fsout`);
//! - a file chosen in a save dialog ([`PickKind::SaveReports`]), whose
//!   overwrite question the dialog asked: that file, once;
//! - a certificate chosen to trust for time-stamps
//!   ([`PickKind::Certificate`]): that file, once.
//!
//! A folder chosen only to verify what is in it grants nothing. Nothing is
//! ever written inside the app's own folders (data, configuration, cache,
//! settings), whatever was approved. A debug build run by the end-to-end
//! suite (`INKAN_TEST_TYPED_DESTINATIONS=1`) also accepts typed paths,
//! because WebDriver cannot drive a native dialog; it still never replaces
//! a file without a dialog's confirmation.

use inkan_l10n::Message;
use std::path::{Component, Path, PathBuf, Prefix};
use std::sync::Mutex;

/// What the native file dialog is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickKind {
    /// A letter to import (HS008 XML, HS038 JSON, a package).
    Letter,
    /// A PDF, JPEG or PNG attachment.
    Attachment,
    /// A document, signature or package to verify.
    Signed,
    /// A folder whose documents are verified (read only).
    Folder,
    /// The folder signed letters are saved in.
    SaveFolder,
    /// The settings' output folder (a lasting choice).
    SettingsFolder,
    /// Where to save the JSON reports.
    SaveReports,
    /// A certificate (a TSA trust anchor).
    Certificate,
    /// A signed document to submit (送信): read and sent, once.
    SubmitFile,
    /// A shared folder to deliver submissions to (a lasting destination).
    SubmitFolder,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Approval {
    SaveFolder(PathBuf),
    SettingsFolder(PathBuf),
    SaveFile(PathBuf),
    Certificate(PathBuf),
    Submit(PathBuf),
    SubmitFolder(PathBuf),
}

/// The destinations the user approved, and the folders never written to.
#[derive(Debug)]
pub struct Destinations {
    approved: Mutex<Vec<Approval>>,
    protected: Vec<PathBuf>,
    typed: bool,
}

fn message(code: &str, ja: String, en: String) -> Message {
    Message {
        code: code.into(),
        ja,
        en,
    }
}

/// A path from the UI: a non-empty absolute path on a local disk (existence
/// is checked where it is used). Network (UNC) and device paths are refused:
/// merely opening `\\host\share\x` sends the user's Windows credentials to
/// that host.
pub fn ui_path(s: &str) -> Result<PathBuf, Message> {
    let p = PathBuf::from(s);
    if s.trim().is_empty() || !p.is_absolute() {
        return Err(message(
            "app.path",
            format!("ファイルの場所は絶対パスで指定してください（「{s}」）"),
            format!("Please give the file's full (absolute) path (got \"{s}\")"),
        ));
    }
    if let Some(Component::Prefix(prefix)) = p.components().next() {
        if !matches!(prefix.kind(), Prefix::Disk(_) | Prefix::VerbatimDisk(_)) {
            return Err(message(
                "app.path_network",
                format!("ネットワーク上やデバイスの場所は使えません（「{s}」）。このコンピューターのディスク上の場所を選んでください。"),
                format!("Network and device locations are not used (\"{s}\"): choose a place on this computer's disks."),
            ));
        }
    }
    Ok(p)
}

/// `path` with its folder resolved (`..`, symbolic links), the name kept: the
/// place a new file there would really be.
fn real_file(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    Some(path.parent()?.canonicalize().ok()?.join(name))
}

impl Destinations {
    /// No approvals yet. `protected` are the app's own folders; `typed`
    /// accepts typed destinations (the end-to-end tests of a debug build).
    pub fn new(protected: Vec<PathBuf>, typed: bool) -> Destinations {
        let protected = protected
            .into_iter()
            .map(|p| p.canonicalize().unwrap_or(p))
            .collect();
        Destinations {
            approved: Mutex::new(Vec::new()),
            protected,
            typed,
        }
    }

    /// Whether typed destinations are accepted in this process: a debug
    /// build with `INKAN_TEST_TYPED_DESTINATIONS=1`, never a release build.
    pub fn typed_from_env() -> bool {
        cfg!(debug_assertions)
            && std::env::var_os("INKAN_TEST_TYPED_DESTINATIONS").is_some_and(|v| v == "1")
    }

    fn approvals(&self) -> std::sync::MutexGuard<'_, Vec<Approval>> {
        self.approved.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers what the user chose in a dialog of `kind` (only the kinds
    /// that grant something).
    pub fn approve(&self, kind: PickKind, path: &Path) {
        let approval = match kind {
            PickKind::SaveFolder => path.canonicalize().ok().map(Approval::SaveFolder),
            // Also a save folder for this session.
            PickKind::SettingsFolder => path.canonicalize().ok().map(|p| {
                self.approvals().push(Approval::SaveFolder(p.clone()));
                Approval::SettingsFolder(p)
            }),
            PickKind::SaveReports => real_file(path).map(Approval::SaveFile),
            PickKind::Certificate => path.canonicalize().ok().map(Approval::Certificate),
            PickKind::SubmitFile => path.canonicalize().ok().map(Approval::Submit),
            PickKind::SubmitFolder => path.canonicalize().ok().map(Approval::SubmitFolder),
            _ => None,
        };
        if let Some(a) = approval {
            self.approvals().push(a);
        }
    }

    fn refuse_protected(&self, real: &Path) -> Result<(), Message> {
        if self.protected.iter().any(|p| real.starts_with(p)) {
            return Err(message(
                "app.destination",
                "アプリのデータ・設定フォルダ（履歴・署名ログ・設定）には保存できません。別の場所を選んでください。".into(),
                "Nothing is saved in the app's data and settings folders (history, signing log, settings): choose another place.".into(),
            ));
        }
        Ok(())
    }

    /// Uses up the approval `is` picks out; whether there was one.
    fn take(&self, is: impl Fn(&Approval) -> bool) -> bool {
        let mut approvals = self.approvals();
        match approvals.iter().position(is) {
            Some(i) => {
                approvals.remove(i);
                true
            }
            None => false,
        }
    }

    fn no_folder(path: &Path) -> Message {
        message(
            "app.destination",
            format!("保存先のフォルダがありません（{}）", path.display()),
            format!("The destination folder does not exist ({})", path.display()),
        )
    }

    fn choose_with_browse() -> Message {
        message(
            "app.destination",
            "保存先は「参照…」で選んでください（入力した場所には保存しません）。".into(),
            "Choose where to save with “Browse…” (a typed location is not used).".into(),
        )
    }

    /// The folder signed files go to: one chosen as a save folder, or inside
    /// one.
    pub fn folder(&self, s: &str) -> Result<PathBuf, Message> {
        let path = ui_path(s)?;
        let real = path.canonicalize().map_err(|_| Self::no_folder(&path))?;
        self.refuse_protected(&real)?;
        let approved = self
            .approvals()
            .iter()
            .any(|a| matches!(a, Approval::SaveFolder(f) if real.starts_with(f)));
        if approved || self.typed {
            Ok(real)
        } else {
            Err(Self::choose_with_browse())
        }
    }

    /// The settings' new output folder: exactly the one the settings'
    /// dialog returned (once). A lasting choice needs that dialog.
    pub fn settings_folder(&self, s: &str) -> Result<PathBuf, Message> {
        let path = ui_path(s)?;
        let real = path
            .canonicalize()
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| Self::no_folder(&path))?;
        self.refuse_protected(&real)?;
        if self.take(|a| matches!(a, Approval::SettingsFolder(f) if *f == real)) {
            return Ok(real);
        }
        if self.typed {
            Ok(real)
        } else {
            Err(Self::choose_with_browse())
        }
    }

    /// A file to save: the one the save dialog returned (its approval is
    /// used up; `true`: the dialog asked about any overwrite), or, in the
    /// end-to-end tests only, a typed one (`false`: an existing file must not
    /// be replaced).
    pub fn save_file(&self, s: &str) -> Result<(PathBuf, bool), Message> {
        let path = ui_path(s)?;
        let real = real_file(&path).ok_or_else(|| Self::no_folder(&path))?;
        self.refuse_protected(&real)?;
        if self.take(|a| matches!(a, Approval::SaveFile(f) if *f == real)) {
            return Ok((real, true));
        }
        if self.typed {
            Ok((real, false))
        } else {
            Err(Self::choose_with_browse())
        }
    }

    /// A certificate to trust for time-stamps: the one the dialog returned
    /// (once), or a typed one in the end-to-end tests.
    pub fn certificate(&self, s: &str) -> Result<PathBuf, Message> {
        let path = ui_path(s)?;
        let real = path.canonicalize().map_err(|_| {
            message(
                "app.path",
                format!("ファイルがありません（{}）", path.display()),
                format!("No such file ({})", path.display()),
            )
        })?;
        if self.take(|a| matches!(a, Approval::Certificate(f) if *f == real)) {
            return Ok(real);
        }
        if self.typed {
            Ok(real)
        } else {
            Err(message(
                "app.certificate_pick",
                "信頼する証明書は「参照…」で選んでください。".into(),
                "Choose the certificate to trust with “Browse…”.".into(),
            ))
        }
    }
}

impl Destinations {
    /// Whether typed destinations stand for dialogs (the end-to-end tests).
    pub fn typed(&self) -> bool {
        self.typed
    }

    /// A signed file the window just wrote may be submitted (its signature
    /// `.p7s` beside it goes with it).
    pub fn allow_submit(&self, path: &Path) {
        if let Ok(p) = path.canonicalize() {
            self.approvals().push(Approval::Submit(p));
        }
    }

    /// A file to submit: one signed in this session or chosen in the
    /// submission dialog (or typed, in the end-to-end tests). Documents
    /// leave the computer, so a script in the webview must not name one.
    pub fn submit_file(&self, s: &str) -> Result<PathBuf, Message> {
        let path = ui_path(s)?;
        let real = path.canonicalize().map_err(|_| {
            message(
                "app.path",
                format!("ファイルがありません（{}）", path.display()),
                format!("No such file ({})", path.display()),
            )
        })?;
        let approved = self
            .approvals()
            .iter()
            .any(|a| matches!(a, Approval::Submit(f) if *f == real));
        if approved || self.typed {
            Ok(real)
        } else {
            Err(message(
                "app.submit_pick",
                "送信する文書は、この画面で署名したものか「文書を選ぶ…」で選んだものに限ります。"
                    .into(),
                "Only documents signed here or chosen with “Choose documents…” are sent.".into(),
            ))
        }
    }

    /// A shared folder to deliver to: exactly the one the dialog returned
    /// (once), never one of the app's own folders.
    pub fn submit_folder(&self, s: &str) -> Result<PathBuf, Message> {
        let path = ui_path(s)?;
        let real = path
            .canonicalize()
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| Self::no_folder(&path))?;
        self.refuse_protected(&real)?;
        if self.take(|a| matches!(a, Approval::SubmitFolder(f) if *f == real)) || self.typed {
            Ok(real)
        } else {
            Err(Self::choose_with_browse())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("inkan-dest-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("tmp");
        d.canonicalize().expect("canonical")
    }

    fn s(p: &Path) -> &str {
        p.to_str().expect("utf-8")
    }

    #[test]
    fn a_typed_folder_is_refused_and_a_chosen_one_is_used_with_what_is_inside() {
        let d = tmp("folder");
        std::fs::create_dir_all(d.join("out/sub")).expect("dirs");
        let dest = Destinations::new(vec![], false);
        assert_eq!(
            dest.folder(s(&d.join("out"))).expect_err("typed").code,
            "app.destination"
        );
        dest.approve(PickKind::SaveFolder, &d.join("out"));
        assert_eq!(
            dest.folder(s(&d.join("out"))).expect("chosen"),
            d.join("out")
        );
        assert_eq!(
            dest.folder(s(&d.join("out/sub"))).expect("inside"),
            d.join("out/sub")
        );
        // `..` out of the chosen folder is another place.
        assert!(dest.folder(s(&d.join("out/sub/../.."))).is_err());
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn only_signed_or_chosen_files_are_submitted_and_a_drop_folder_needs_the_dialog() {
        let d = tmp("submit");
        std::fs::write(d.join("a.xml"), b"x").expect("write");
        std::fs::write(d.join("b.xml"), b"x").expect("write");
        std::fs::create_dir_all(d.join("share")).expect("dir");
        let dest = Destinations::new(vec![d.join("app")], false);
        assert_eq!(
            dest.submit_file(s(&d.join("a.xml")))
                .expect_err("typed")
                .code,
            "app.submit_pick"
        );
        dest.approve(PickKind::SubmitFile, &d.join("a.xml"));
        dest.allow_submit(&d.join("b.xml"));
        assert!(dest.submit_file(s(&d.join("a.xml"))).is_ok());
        assert!(dest.submit_file(s(&d.join("b.xml"))).is_ok());
        // A file picked to verify is not one to send.
        std::fs::write(d.join("c.xml"), b"x").expect("write");
        dest.approve(PickKind::Signed, &d.join("c.xml"));
        assert!(dest.submit_file(s(&d.join("c.xml"))).is_err());
        assert!(dest.submit_folder(s(&d.join("share"))).is_err());
        dest.approve(PickKind::SubmitFolder, &d.join("share"));
        assert_eq!(
            dest.submit_folder(s(&d.join("share"))).expect("chosen"),
            d.join("share")
        );
        assert!(
            dest.submit_folder(s(&d.join("share"))).is_err(),
            "used once"
        );
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn a_folder_chosen_to_verify_grants_no_writing() {
        let d = tmp("verify-folder");
        let dest = Destinations::new(vec![], false);
        dest.approve(PickKind::Folder, &d);
        assert!(dest.folder(s(&d)).is_err());
        assert!(dest.save_file(s(&d.join("r.json"))).is_err());
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    /// A save folder does not let a script replace (or create) any file in
    /// it through the report export: only the file the save dialog returned,
    /// once.
    #[test]
    fn a_save_folder_confirms_no_overwrite_and_a_save_approval_is_used_once() {
        let d = tmp("save-file");
        std::fs::write(d.join(".bashrc"), b"keep").expect("write");
        let dest = Destinations::new(vec![], false);
        dest.approve(PickKind::SaveFolder, &d);
        assert!(dest.save_file(s(&d.join(".bashrc"))).is_err());
        assert!(dest.save_file(s(&d.join("new.json"))).is_err());
        dest.approve(PickKind::SaveReports, &d.join("reports.json"));
        assert_eq!(
            dest.save_file(s(&d.join("reports.json"))).expect("chosen"),
            (d.join("reports.json"), true)
        );
        assert!(
            dest.save_file(s(&d.join("reports.json"))).is_err(),
            "a second save needs a second choice"
        );
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn typed_destinations_in_the_tests_never_count_as_confirmed() {
        let d = tmp("typed");
        let dest = Destinations::new(vec![], true);
        assert_eq!(
            dest.save_file(s(&d.join("x.json"))).expect("typed"),
            (d.join("x.json"), false)
        );
        assert_eq!(dest.folder(s(&d)).expect("typed"), d);
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    /// The app's folders are refused even when a parent was approved, and
    /// through a symbolic link.
    #[test]
    fn the_app_folders_are_never_destinations() {
        let d = tmp("protected");
        let (data, config) = (d.join("data/jp.inkan.desktop"), d.join("config/inkan"));
        std::fs::create_dir_all(&data).expect("data");
        std::fs::create_dir_all(config.join("tsa-trust")).expect("config");
        let dest = Destinations::new(vec![data.clone(), config.clone()], true);
        dest.approve(PickKind::SaveFolder, &d);
        dest.approve(PickKind::SaveReports, &data.join("history.sqlite3"));
        assert!(dest.folder(s(&data)).is_err());
        assert!(dest.folder(s(&config.join("tsa-trust"))).is_err());
        assert!(dest.save_file(s(&data.join("history.sqlite3"))).is_err());
        assert!(dest.save_file(s(&config.join("tsa.json"))).is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&data, d.join("link")).expect("symlink");
            assert!(dest.folder(s(&d.join("link"))).is_err());
            assert!(dest.save_file(s(&d.join("link/audit.sqlite3"))).is_err());
        }
        assert!(dest.folder(s(&d)).is_ok(), "the approved parent itself");
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    /// A folder chosen for one letter (or a folder inside it) does not
    /// become the lasting output folder; the settings' own dialog does.
    #[test]
    fn only_the_settings_dialog_sets_the_lasting_folder() {
        let d = tmp("settings-folder");
        std::fs::create_dir_all(d.join("sub")).expect("sub");
        let dest = Destinations::new(vec![], false);
        dest.approve(PickKind::SaveFolder, &d);
        assert!(dest.settings_folder(s(&d)).is_err());
        assert!(dest.settings_folder(s(&d.join("sub"))).is_err());
        dest.approve(PickKind::SettingsFolder, &d.join("sub"));
        assert_eq!(
            dest.settings_folder(s(&d.join("sub"))).expect("chosen"),
            d.join("sub")
        );
        assert!(dest.settings_folder(s(&d.join("sub"))).is_err(), "once");
        assert!(
            dest.folder(s(&d.join("sub"))).is_ok(),
            "and a save folder now"
        );
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn a_certificate_is_trusted_only_as_chosen_and_once() {
        let d = tmp("cert");
        std::fs::write(d.join("tsa.pem"), b"x").expect("write");
        let dest = Destinations::new(vec![], false);
        assert!(dest.certificate(s(&d.join("tsa.pem"))).is_err());
        dest.approve(PickKind::Certificate, &d.join("tsa.pem"));
        assert!(dest.certificate(s(&d.join("tsa.pem"))).is_ok());
        assert!(dest.certificate(s(&d.join("tsa.pem"))).is_err());
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn relative_and_empty_paths_are_refused() {
        assert_eq!(ui_path("").expect_err("empty").code, "app.path");
        assert_eq!(ui_path("a/b.xml").expect_err("relative").code, "app.path");
        #[cfg(windows)]
        {
            assert_eq!(
                ui_path(r"\\host\share\a.xml").expect_err("UNC").code,
                "app.path_network"
            );
            assert_eq!(
                ui_path(r"\\.\pipe\x").expect_err("device").code,
                "app.path_network"
            );
            assert!(ui_path(r"C:\Users\a.xml").is_ok());
        }
    }
}
