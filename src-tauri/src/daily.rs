//! What keeps a day's work (issue 16): the window's settings and the
//! autosaved draft.
//!
//! - `settings.json` in the app's configuration folder: the output folder
//!   and the reader preference. Checked on load; a file that does not read
//!   is moved aside (`settings.json.broken-<time>`), the defaults are used,
//!   and the window says so. A broken file never stops the app.
//! - `draft.json` in the app's data folder: the letter being written, its
//!   format, attachments and output folder, saved as it changes and removed
//!   after a signature. Readable by the user only: it holds patient data.

use inkan_l10n::Message;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The window's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// Where signed letters go; `None`: the default (`~/Documents/Inkan`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_dir: Option<PathBuf>,
    /// The reader to sign with when several hold a card; `None`: ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<String>,
}

impl AppSettings {
    fn check(&self) -> Result<(), String> {
        if let Some(d) = &self.out_dir {
            if !d.is_absolute() {
                return Err(format!("out_dir is not an absolute path: {}", d.display()));
            }
        }
        if self.reader.as_ref().is_some_and(|r| r.trim().is_empty()) {
            return Err("reader is empty".into());
        }
        Ok(())
    }
}

/// The settings read from `path`, and a notice when the file did not read
/// (it was moved aside and the defaults are used).
pub fn load_settings(path: &Path) -> (AppSettings, Option<Message>) {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (AppSettings::default(), None)
        }
        Err(e) => {
            eprintln!("inkan-app: cannot read {}: {e}", path.display());
            return (AppSettings::default(), None);
        }
    };
    let problem = match serde_json::from_slice::<AppSettings>(&bytes) {
        Ok(s) => match s.check() {
            Ok(()) => return (s, None),
            Err(p) => p,
        },
        Err(e) => e.to_string(),
    };
    eprintln!(
        "inkan-app: {} does not read ({problem}): moved aside",
        path.display()
    );
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let backup = path.with_file_name(format!(
        "settings.json.broken-{stamp}-{}",
        std::process::id()
    ));
    // Never over an earlier backup: a hard link fails when the name exists.
    let kept = std::fs::hard_link(path, &backup)
        .and_then(|()| std::fs::remove_file(path))
        .is_ok();
    let notice = Message {
        code: "settings.reset".into(),
        ja: if kept {
            format!("設定ファイルが読めなかったため、初期設定で起動しました。元のファイルは {} に残してあります。設定画面で設定し直してください。", backup.display())
        } else {
            format!("設定ファイル {} が読めなかったため、初期設定で起動しました。設定画面で設定し直してください。", path.display())
        },
        en: if kept {
            format!("The settings file did not read, so the app started with the defaults. The old file is kept as {}. Set your settings again on the settings page.", backup.display())
        } else {
            format!("The settings file {} did not read, so the app started with the defaults. Set your settings again on the settings page.", path.display())
        },
    };
    (AppSettings::default(), Some(notice))
}

/// Writes the settings atomically.
pub fn save_settings(path: &Path, s: &AppSettings) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let bytes = serde_json::to_vec_pretty(s).map_err(std::io::Error::other)?;
    inkan_referral::write_atomic(path, &bytes)
}

/// The largest draft kept (a letter with its text; attachments are paths).
pub const DRAFT_LIMIT: usize = 4 << 20;

/// The draft in `path`, if there is a readable one.
pub fn load_draft(path: &Path) -> Option<serde_json::Value> {
    if std::fs::metadata(path).ok()?.len() > DRAFT_LIMIT as u64 {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(serde_json::Value::is_object)
}

/// Saves the draft atomically, readable by the user only.
pub fn save_draft(path: &Path, draft: &serde_json::Value) -> Result<(), Message> {
    let bytes = serde_json::to_vec(draft).unwrap_or_default();
    if !draft.is_object() || bytes.len() > DRAFT_LIMIT {
        return Err(Message {
            code: "app.draft".into(),
            ja: "下書きが大きすぎるため自動保存できません。".into(),
            en: "The draft is too large to be saved automatically.".into(),
        });
    }
    write_private(path, &bytes).map_err(|e| {
        eprintln!("inkan-app: cannot save the draft {}: {e}", path.display());
        Message {
            code: "app.draft".into(),
            ja: "下書きを自動保存できませんでした（ディスクの空きや権限を確認してください）。"
                .into(),
            en:
                "The draft could not be saved automatically (check the disk space and permissions)."
                    .into(),
        }
    })
}

/// Writes `bytes` to `path` atomically, readable by the user only from the
/// first byte (the temporary file is created 0600, not changed after).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // One temporary file per write: two saves at once never share one.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Makes the default output folder, readable by the user only (it holds
/// letters about patients); an existing folder is left as it is.
pub fn create_private_dir(dir: &Path) {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    if let Err(e) = b.create(dir) {
        eprintln!("inkan-app: cannot create {}: {e}", dir.display());
    }
}

/// Removes the draft (after a signature).
pub fn clear_draft(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => eprintln!("inkan-app: cannot remove the draft {}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("inkan-daily-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("tmp");
        d
    }

    #[test]
    fn settings_round_trip_and_a_missing_file_is_the_defaults() {
        let d = tmp("settings");
        let p = d.join("settings.json");
        assert_eq!(load_settings(&p), (AppSettings::default(), None));
        let s = AppSettings {
            out_dir: Some(d.join("out")),
            reader: Some("Reader 00 00".into()),
        };
        save_settings(&p, &s).expect("save");
        assert_eq!(load_settings(&p), (s, None));
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn a_broken_settings_file_is_kept_aside_and_said() {
        let d = tmp("broken");
        let p = d.join("settings.json");
        for bad in [
            &b"{ not json"[..],
            br#"{"out_dir": "relative/path"}"#,
            br#"{"unknown": 1}"#,
            b"\xff\xfe",
        ] {
            std::fs::write(&p, bad).expect("write");
            let (s, notice) = load_settings(&p);
            assert_eq!(s, AppSettings::default());
            let notice = notice.expect("said");
            assert_eq!(notice.code, "settings.reset");
            assert!(!p.exists(), "moved aside");
            let backups: Vec<_> = std::fs::read_dir(&d)
                .expect("dir")
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("settings.json.broken-")
                })
                .collect();
            assert_eq!(backups.len(), 1);
            assert_eq!(std::fs::read(backups[0].path()).expect("backup"), bad);
            assert!(notice.ja.contains("settings.json.broken-"), "{}", notice.ja);
            std::fs::remove_file(backups[0].path()).expect("rm");
        }
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn the_default_folder_is_private_and_an_existing_one_untouched() {
        let d = tmp("private-dir");
        create_private_dir(&d.join("Documents/Inkan"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.join("Documents/Inkan"))
                .expect("made")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        create_private_dir(&d.join("Documents/Inkan"));
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn drafts_are_kept_private_and_cleared() {
        let d = tmp("draft");
        let p = d.join("draft.json");
        assert!(load_draft(&p).is_none());
        let draft = serde_json::json!({"format": "hs038", "letter": {"purpose": "紹介"}});
        save_draft(&p, &draft).expect("save");
        assert_eq!(load_draft(&p), Some(draft));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(save_draft(&p, &serde_json::json!("not an object")).is_err());
        let huge = serde_json::json!({"x": "a".repeat(DRAFT_LIMIT)});
        assert!(save_draft(&p, &huge).is_err());
        // Saves at once (the autosave of a fast typist) leave one whole draft.
        let handles: Vec<_> = (0..8)
            .map(|n| {
                let p = p.clone();
                let draft = serde_json::json!({"n": n, "text": "x".repeat(100_000)});
                std::thread::spawn(move || save_draft(&p, &draft))
            })
            .collect();
        for h in handles {
            h.join().expect("thread").expect("save");
        }
        let kept = load_draft(&p).expect("a whole draft");
        assert_eq!(kept["text"].as_str().map(str::len), Some(100_000));
        assert_eq!(
            std::fs::read_dir(&d).expect("dir").count(),
            1,
            "no temporary file left"
        );
        clear_draft(&p);
        assert!(!p.exists());
        clear_draft(&p);
        std::fs::remove_dir_all(&d).expect("cleanup");
    }
}
