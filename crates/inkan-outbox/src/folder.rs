//! The shared-folder destination: the pattern behind CLINS's
//! 資格確認端末経由方式 (a request file dropped in a shared folder, a result
//! file read back) and SS-MIX2 pick-up.
//!
//! Every delivery is written under a name derived from the idempotency key,
//! first to a temporary name beginning with `.inkan-tmp-` (receivers ignore
//! dot-files), fsynced, then put in place with an operation that never
//! replaces (a hard link for files, a rename onto a missing name for
//! folders), and the folder is fsynced. The bytes are a function of the item
//! alone, so a name that already exists with the same bytes is an earlier
//! delivery whose outcome was lost (a crash between the rename and the
//! outbox's commit): `existing`, not a duplicate. With other bytes it is a
//! [`DeliveryError::Conflict`], never overwritten.

use crate::error::DeliveryError;
use crate::model::{Artefact, Item, Layout, Receipt, Role};
use crate::time::{unix_now, utc_string};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);
/// The prefix of every temporary name.
pub const TMP_PREFIX: &str = ".inkan-tmp-";
/// The suffix of a receiver's result file.
pub const RESULT_SUFFIX: &str = ".result";
const MAX_RESULT_BYTES: u64 = 64 * 1024;

/// What a delivery puts in the folder: relative paths and their bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The name placed atomically, relative to the destination folder
    /// (a file for XDM, a folder for plain and SS-MIX2).
    pub target: PathBuf,
    /// `true` when `target` is a folder holding `files`.
    pub is_folder: bool,
    /// The files: names inside `target` (or `target` itself for a file).
    pub files: Vec<(String, Vec<u8>)>,
}

/// Builds what `item` puts in a folder with `layout`.
pub fn placement_for(
    item: &Item,
    artefacts: &[Artefact],
    layout: Layout,
) -> Result<Placement, DeliveryError> {
    match layout {
        Layout::Plain => {
            let mut files: Vec<(String, Vec<u8>)> = artefacts
                .iter()
                .map(|a| (a.name.clone(), a.bytes.clone()))
                .collect();
            files.push(("manifest.json".into(), plain_manifest(item, artefacts)));
            check_names(&files)?;
            Ok(Placement {
                target: PathBuf::from(item.key.file_stem()),
                is_folder: true,
                files,
            })
        }
        Layout::Xdm => Ok(Placement {
            target: PathBuf::from(format!("{}.zip", item.key.file_stem())),
            is_folder: false,
            files: vec![(String::new(), crate::xdm::zip(item, artefacts)?)],
        }),
        Layout::Ssmix2 => {
            let files: Vec<(String, Vec<u8>)> = artefacts
                .iter()
                .map(|a| (a.name.clone(), a.bytes.clone()))
                .collect();
            check_names(&files)?;
            Ok(Placement {
                target: crate::ssmix2::content_path(item)?,
                is_folder: true,
                files,
            })
        }
    }
}

fn check_names(files: &[(String, Vec<u8>)]) -> Result<(), DeliveryError> {
    let mut seen = std::collections::HashSet::new();
    for (name, _) in files {
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(DeliveryError::Unsupported {
                why: format!("two files would be named {name:?} (manifest.json is the layout's own)"),
                ja: format!("同じ名前 {name:?} のファイルが二つになります（manifest.json は送信の目録の名前です）"),
            });
        }
        let ok = !name.is_empty()
            && name != "."
            && name != ".."
            && !name.starts_with('.')
            && !name.contains(['/', '\\', ':', '\0'])
            && !name.chars().any(char::is_control);
        if !ok {
            return Err(DeliveryError::Unsupported {
                why: format!("the file name {name:?} cannot be written to a shared folder"),
                ja: format!("ファイル名 {name:?} は共有フォルダに書き込めません"),
            });
        }
    }
    Ok(())
}

/// The plain layout's `manifest.json`: what was sent, for whom, signed by whom.
fn plain_manifest(item: &Item, artefacts: &[Artefact]) -> Vec<u8> {
    let files: Vec<serde_json::Value> = artefacts
        .iter()
        .map(|a| {
            serde_json::json!({
                "name": a.name, "role": a.role, "media_type": a.media_type,
                "size": a.bytes.len(), "sha256": a.sha256,
            })
        })
        .collect();
    let v = serde_json::json!({
        "format": "inkan-submission",
        "version": 1,
        "identifier": { "system": item.key.system, "value": item.key.value },
        "title": item.meta.title,
        "document_type": { "system": "http://loinc.org", "code": item.meta.type_code, "display": item.meta.type_display },
        "created": item.meta.created,
        "signed_utc": item.meta.signed_utc,
        "patient": item.meta.patient,
        "author": item.meta.author,
        "recipient": item.meta.recipient,
        "verdict": item.verdict,
        "signer": item.signer,
        "signer_certificate_sha256": item.signer_fingerprint,
        "files": files,
    });
    let mut out = serde_json::to_vec_pretty(&v).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Delivers `item` into `dir`. With `await_result`, the receipt is the
/// receiver's `<target>.result` file: until it appears the delivery is
/// [`DeliveryError::Awaiting`] (tried again; the files are not rewritten).
pub fn deliver(
    item: &Item,
    artefacts: &[Artefact],
    dir: &Path,
    layout: Layout,
    await_result: bool,
) -> Result<Receipt, DeliveryError> {
    // The enveloped copy is for carriers that re-serialise; a folder keeps
    // the exact document beside its detached signature.
    let kept: Vec<Artefact> = artefacts
        .iter()
        .filter(|a| a.role != Role::Enveloped)
        .cloned()
        .collect();
    let placement = placement_for(item, &kept, layout)?;
    let folder_err = |path: &Path, e: io::Error| DeliveryError::Folder {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    // The destination folder must exist: creating a missing share's mount
    // point would deliver to the local disk instead.
    if !dir.is_dir() {
        return Err(DeliveryError::Folder {
            path: dir.to_path_buf(),
            detail: "the folder does not exist (is the share connected?)".into(),
        });
    }
    let target = dir.join(&placement.target);
    let parent = target.parent().unwrap_or(dir).to_path_buf();
    let mut name = target.as_os_str().to_owned();
    name.push(RESULT_SUFFIX);
    let result = PathBuf::from(name);
    let placed_before = item
        .last_error
        .as_ref()
        .is_some_and(|m| m.code == "outbox.awaiting_result");
    // A receiver that answered, or that took the files away while its
    // answer is awaited, is not given them again.
    let answered = await_result && result.symlink_metadata().is_ok();
    let outcome =
        if answered || (await_result && placed_before && target.symlink_metadata().is_err()) {
            "placed earlier"
        } else {
            fs::create_dir_all(&parent).map_err(|e| folder_err(&parent, e))?;
            // Every level must stay inside the destination: a symbolic link
            // made on a shared folder by someone else must not lead the
            // patient's files elsewhere.
            let inside = match (parent.canonicalize(), dir.canonicalize()) {
                (Ok(p), Ok(d)) => p.starts_with(&d),
                _ => false,
            };
            if !inside
                || target
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err(DeliveryError::Conflict {
                    place: target.display().to_string(),
                    key: placement.target.display().to_string(),
                });
            }
            remove_stale_temps(&parent, &placement.target);
            if target.symlink_metadata().is_ok() {
                same_as(&target, &placement)?;
                "existing"
            } else {
                match place(&parent, &target, &placement) {
                    Ok(()) => "created",
                    // Appeared meanwhile (another program): judge what is there.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        same_as(&target, &placement)?;
                        "existing"
                    }
                    Err(e) => return Err(folder_err(&target, e)),
                }
            }
        };
    let mut receipt = Receipt {
        delivered_utc: utc_string(unix_now()),
        outcome: if outcome == "placed earlier" {
            "created".into()
        } else {
            outcome.into()
        },
        path: Some(target.display().to_string()),
        ..Receipt::default()
    };
    if await_result {
        let (ok, text, sha) = match read_result(&result) {
            Ok(Some(r)) => r,
            Ok(None) => return Err(DeliveryError::Awaiting { file: result }),
            Err(e) => return Err(folder_err(&result, e)),
        };
        if !ok {
            return Err(DeliveryError::Refused {
                file: result,
                detail: text,
            });
        }
        receipt.result_file = Some(result.display().to_string());
        receipt.response_sha256 = Some(sha);
    }
    Ok(receipt)
}

/// A result file: `OK …` / `NG …` on its first line, or JSON with
/// `"status": "ok" | "error"` and an optional `"message"`.
fn read_result(path: &Path) -> io::Result<Option<(bool, String, String)>> {
    use std::io::Read as _;
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !meta.is_file() {
        // A link could make Inkan read (and show) any file of the user's.
        return Ok(Some((
            false,
            "the result file is not a regular file".into(),
            String::new(),
        )));
    }
    let mut bytes = Vec::new();
    File::open(path)?
        .take(MAX_RESULT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(parse_result(&bytes))
}

/// A result file's bytes: `None` while empty (created, not yet written),
/// else (accepted, what it says, SHA-256 of the bytes).
pub(crate) fn parse_result(bytes: &[u8]) -> Option<(bool, String, String)> {
    use sha2::Digest as _;
    if bytes.len() as u64 > MAX_RESULT_BYTES {
        return Some((false, "the result file is too large".into(), String::new()));
    }
    let text = String::from_utf8_lossy(bytes).trim().to_owned();
    if text.is_empty() {
        return None;
    }
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        let status = v.get("status").and_then(|s| s.as_str()).unwrap_or("");
        let msg: String = v
            .get("message")
            .and_then(|s| s.as_str())
            .unwrap_or(status)
            .chars()
            .take(500)
            .collect();
        return Some((status.eq_ignore_ascii_case("ok"), msg, sha));
    }
    let first: String = text
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(500)
        .collect();
    let ok = first.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("ok"));
    Some((ok, first, sha))
}

/// Whether what is at `target` is exactly `drop` (an earlier delivery).
fn same_as(target: &Path, placement: &Placement) -> Result<(), DeliveryError> {
    let conflict = || DeliveryError::Conflict {
        place: target.display().to_string(),
        key: placement.target.display().to_string(),
    };
    let read = |p: &Path| fs::read(p).map_err(|_| conflict());
    if placement.is_folder {
        if !target.is_dir() {
            return Err(conflict());
        }
        let mut present: Vec<String> = fs::read_dir(target)
            .map_err(|e| DeliveryError::Folder {
                path: target.to_path_buf(),
                detail: e.to_string(),
            })?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        present.sort();
        let mut expected: Vec<String> = placement.files.iter().map(|(n, _)| n.clone()).collect();
        expected.sort();
        if present != expected {
            return Err(conflict());
        }
        for (name, bytes) in &placement.files {
            if &read(&target.join(name))? != bytes {
                return Err(conflict());
            }
        }
        Ok(())
    } else {
        match placement.files.first() {
            Some((_, bytes)) if target.is_file() && &read(target)? == bytes => Ok(()),
            _ => Err(conflict()),
        }
    }
}

/// Writes the drop under a temporary name, fsyncs it, and puts it at
/// `target` without ever replacing anything.
fn place(parent: &Path, target: &Path, placement: &Placement) -> io::Result<()> {
    let base = placement
        .target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(
        "{TMP_PREFIX}{base}.{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        if placement.is_folder {
            fs::create_dir(&tmp)?;
            for (name, bytes) in &placement.files {
                write_new(&tmp.join(name), bytes)?;
            }
            sync_dir(&tmp);
            // rename(2) onto an existing non-empty folder fails; onto an
            // empty one it would replace it, so check first (one runner at
            // a time holds the outbox lock; another program racing us
            // could only have made an empty folder).
            if target.symlink_metadata().is_ok() {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists"));
            }
            fs::rename(&tmp, target)
        } else {
            let bytes = placement
                .files
                .first()
                .map(|(_, b)| b.as_slice())
                .unwrap_or_default();
            write_new(&tmp, bytes)?;
            match fs::hard_link(&tmp, target) {
                Ok(()) => fs::remove_file(&tmp),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
                Err(_) => {
                    if target.symlink_metadata().is_ok() {
                        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists"));
                    }
                    fs::rename(&tmp, target)
                }
            }
        }
    })();
    if result.is_err() {
        let _ = if placement.is_folder {
            fs::remove_dir_all(&tmp)
        } else {
            fs::remove_file(&tmp)
        };
    }
    sync_dir(parent);
    result
}

/// Temporary names this outbox left for `target` (a crash mid-write).
fn remove_stale_temps(parent: &Path, target: &Path) {
    let Some(base) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!("{TMP_PREFIX}{base}.");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let p = e.path();
            let _ = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
        }
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replaces `path` with `bytes` atomically (a temporary file, fsync,
/// rename), readable by the user only: for the outbox's own settings.
pub(crate) fn write_replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let tmp = parent.join(format!(
        "{TMP_PREFIX}{}.{}-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let r = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    sync_dir(parent);
    r
}
