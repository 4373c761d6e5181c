//! All-or-nothing output of several files that must never replace anything.
//!
//! Each file is first written in full to a temporary file in its target
//! folder and flushed to disk; only then are the files put in place, one by
//! one, with an operation that fails when the target exists (a hard link, or
//! on file systems without hard links a rename after a check). If any step
//! fails, every temporary file and every file already put in place is
//! removed: the caller sees either all outputs or none.

use crate::error::WorkflowError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_path(target: &Path) -> PathBuf {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(
        ".{name}.{}-{}.inkan-tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn write_temp(tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Puts `tmp` at `target` unless `target` exists.
fn place(tmp: &Path, target: &Path) -> io::Result<()> {
    match fs::hard_link(tmp, target) {
        Ok(()) => {
            let _ = fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            // No hard links here (FAT, some network shares): check, then rename.
            if target.exists() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "the file exists",
                ));
            }
            fs::rename(tmp, target)
        }
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Refuses when any of `targets` exists.
pub(crate) fn refuse_existing(targets: &[&Path]) -> Result<(), WorkflowError> {
    for t in targets {
        if t.exists() || t.symlink_metadata().is_ok() {
            return Err(WorkflowError::Exists {
                path: t.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Writes every `(path, bytes)` or none; never replaces an existing file.
pub(crate) fn write_all_new(files: &[(PathBuf, &[u8])]) -> Result<(), WorkflowError> {
    let targets: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    refuse_existing(&targets)?;
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf], placed: &[&Path]| {
        for t in temps {
            let _ = fs::remove_file(t);
        }
        for p in placed {
            let _ = fs::remove_file(p);
        }
    };
    for (path, bytes) in files {
        let tmp = temp_path(path);
        if let Err(e) = write_temp(&tmp, bytes) {
            let _ = fs::remove_file(&tmp);
            cleanup(&temps, &[]);
            return Err(WorkflowError::write(path, e));
        }
        temps.push(tmp);
    }
    let mut placed: Vec<&Path> = Vec::new();
    for ((path, _), tmp) in files.iter().zip(&temps) {
        if let Err(e) = place(tmp, path) {
            cleanup(&temps, &placed);
            return Err(WorkflowError::write(path, e));
        }
        placed.push(path);
    }
    let mut dirs: Vec<&Path> = files.iter().filter_map(|(p, _)| p.parent()).collect();
    dirs.dedup();
    for d in dirs {
        sync_dir(d);
    }
    Ok(())
}

/// Writes `target` through `write` (given the temporary file, in the same
/// folder), or nothing; never replaces an existing file. For an output too
/// large to hold in memory (a package copied from its attachment files).
pub(crate) fn write_new_with(
    target: &Path,
    write: impl FnOnce(&mut File) -> Result<(), WorkflowError>,
) -> Result<(), WorkflowError> {
    refuse_existing(&[target])?;
    let tmp = temp_path(target);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| WorkflowError::write(target, e))?;
        write(&mut f)?;
        f.sync_all().map_err(|e| WorkflowError::write(target, e))?;
        drop(f);
        place(&tmp, target).map_err(|e| WorkflowError::write(target, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    if let Some(dir) = target.parent() {
        sync_dir(dir);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_all_or_nothing_and_never_replaces() {
        let dir = crate::testutil::temp_dir("fsout");
        let a = dir.join("a.xml");
        let b = dir.join("a.xml.p7s");
        write_all_new(&[(a.clone(), b"A"), (b.clone(), b"B")]).expect("write");
        assert_eq!(fs::read(&a).expect("a"), b"A");
        assert_eq!(fs::read(&b).expect("b"), b"B");
        // Second file exists: nothing new appears, the old ones are untouched.
        let c = dir.join("c.xml");
        let err = write_all_new(&[(c.clone(), b"C"), (b.clone(), b"X")]).expect_err("exists");
        assert!(matches!(err, WorkflowError::Exists { .. }));
        assert!(!c.exists());
        assert_eq!(fs::read(&b).expect("b"), b"B");
        // A missing folder: no file and no temporary file left.
        let err = write_all_new(&[(c.clone(), b"C"), (dir.join("no/such/x"), b"X")])
            .expect_err("no folder");
        assert!(matches!(err, WorkflowError::Write { .. }));
        let names: Vec<String> = fs::read_dir(&dir)
            .expect("ls")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
