//! The local history of signed and verified files: SQLite in WAL mode with
//! `synchronous=FULL`, every write in its own transaction, the schema
//! versioned by `PRAGMA user_version`.
//!
//! A history is a convenience, never a reason the app cannot start: a file
//! that is not (or no longer) an SQLite database is moved aside to
//! `<name>.corrupt-<unix seconds>` by [`History::open_or_recover`] and a fresh
//! history is started.

use inkan_l10n::{Localized, Text};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = 1;

/// How long a writer waits for another handle's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the history could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The file is not an SQLite database or is damaged. It was moved aside
    /// to `moved_to` (when that succeeded).
    #[error("{} is not a usable history database: {detail}", path.display())]
    Corrupt {
        /// The database path.
        path: PathBuf,
        /// Where the damaged file now is.
        moved_to: Option<PathBuf>,
        /// SQLite's description.
        detail: String,
    },
    /// The database was written by a newer Inkan.
    #[error("history schema {found} is newer than {SCHEMA_VERSION}")]
    NewerSchema {
        /// The version found.
        found: i64,
    },
    /// Any other SQLite failure (locked past the timeout, disk full, permissions …).
    #[error("history database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The folder of the database could not be created.
    #[error("cannot create {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Localized for HistoryError {
    fn code(&self) -> &'static str {
        match self {
            HistoryError::Corrupt { .. } => "history.corrupt",
            HistoryError::NewerSchema { .. } => "history.newer_schema",
            HistoryError::Sqlite(_) => "history.database",
            HistoryError::Folder { .. } => "history.folder",
        }
    }

    fn text(&self) -> Text {
        match self {
            HistoryError::Corrupt {
                path,
                moved_to,
                detail,
            } => {
                let (ja, en) = match moved_to {
                    Some(m) => (
                        format!("壊れたファイルを {} に移動し、新しい履歴を開始しました", m.display()),
                        format!("the damaged file was moved to {} and a new history was started", m.display()),
                    ),
                    None => (String::new(), String::new()),
                };
                Text::new(
                    format!("履歴データベース {} が壊れています（{detail}）。{ja}", path.display()),
                    format!("the history database {} is damaged ({detail}). {en}", path.display()),
                )
            }
            HistoryError::NewerSchema { found } => Text::new(
                format!("履歴データベースは新しい版の Inkan で作成されています（版 {found}）。Inkan を更新してください"),
                format!("the history database was written by a newer Inkan (schema {found}); please update Inkan"),
            ),
            HistoryError::Sqlite(e) => Text::new(
                format!("履歴データベースのエラーです: {e}"),
                format!("history database error: {e}"),
            ),
            HistoryError::Folder { path, source } => Text::new(
                format!("履歴のフォルダ {} を作成できません: {source}", path.display()),
                format!("cannot create the history folder {}: {source}", path.display()),
            ),
        }
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A letter was signed.
    Signed,
    /// A signature was verified.
    Verified,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Signed => "signed",
            Action::Verified => "verified",
        }
    }

    fn parse(s: &str) -> Action {
        if s == "signed" {
            Action::Signed
        } else {
            Action::Verified
        }
    }
}

/// An entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// What was done.
    pub action: Action,
    /// The file (the letter, package or signature).
    pub file: String,
    /// The verification verdict (`TOTAL_PASSED` …), for verifications.
    pub verdict: Option<String>,
    /// Who signed.
    pub signer: Option<String>,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// Row id (increasing).
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// What was done.
    pub action: Action,
    /// The file.
    pub file: String,
    /// The verdict, for verifications.
    pub verdict: Option<String>,
    /// Who signed.
    pub signer: Option<String>,
}

/// The history database.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    path: Option<PathBuf>,
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl History {
    /// Opens (creating if needed) the history at `path` and migrates its schema.
    ///
    /// A file that is not a usable SQLite database gives
    /// [`HistoryError::Corrupt`] and is moved aside, so that the next open
    /// starts fresh (see [`History::open_or_recover`]).
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::Folder {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        match Self::open_inner(path) {
            Ok(h) => Ok(h),
            Err(HistoryError::Sqlite(e)) if is_corruption(&e) => {
                Err(Self::move_aside(path, e.to_string()))
            }
            Err(HistoryError::Corrupt { detail, .. }) => Err(Self::move_aside(path, detail)),
            Err(e) => Err(e),
        }
    }

    /// [`History::open`], and when the file was damaged (and moved aside) a
    /// fresh history; the damage is returned for the app to report.
    pub fn open_or_recover(path: &Path) -> Result<(History, Option<HistoryError>), HistoryError> {
        match Self::open(path) {
            Ok(h) => Ok((h, None)),
            Err(
                e @ HistoryError::Corrupt {
                    moved_to: Some(_), ..
                },
            ) => Ok((Self::open(path)?, Some(e))),
            Err(e) => Err(e),
        }
    }

    /// A history kept in memory only (when the data folder is unusable).
    pub fn open_in_memory() -> Result<History, HistoryError> {
        let conn = Connection::open_in_memory()?;
        let mut h = History { conn, path: None };
        h.migrate()?;
        Ok(h)
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn open_inner(path: &Path) -> Result<History, HistoryError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: readers never block the writer, and a crash mid-write leaves
        // the last committed state. FULL: a commit is on disk when it returns.
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(HistoryError::Sqlite(rusqlite::Error::InvalidQuery));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(HistoryError::Corrupt {
                path: path.to_path_buf(),
                moved_to: None,
                detail: check,
            });
        }
        let mut h = History {
            conn,
            path: Some(path.to_path_buf()),
        };
        h.migrate()?;
        Ok(h)
    }

    fn move_aside(path: &Path, detail: String) -> HistoryError {
        let target = with_suffix(path, &format!(".corrupt-{}", unix_now()));
        let moved_to = match std::fs::rename(path, &target) {
            Ok(()) => {
                // The WAL and shared-memory files belong to the damaged file.
                for side in ["-wal", "-shm"] {
                    let from = with_suffix(path, side);
                    if from.exists() {
                        let _ = std::fs::rename(&from, with_suffix(&target, side));
                    }
                }
                Some(target)
            }
            Err(_) => None,
        };
        HistoryError::Corrupt {
            path: path.to_path_buf(),
            moved_to,
            detail,
        }
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        // IMMEDIATE: two handles opening at once migrate one after the other.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(HistoryError::NewerSchema { found: version });
        }
        if version < 1 {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('signed', 'verified')),
                    file TEXT NOT NULL,
                    verdict TEXT,
                    signer TEXT
                );
                PRAGMA user_version = 1;",
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records one entry (in its own transaction) and returns its id.
    pub fn record(&mut self, entry: &NewEntry) -> Result<i64, HistoryError> {
        let at = inkan_trust::crl::rfc3339(SystemTime::now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO history (at, action, file, verdict, signer) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                at,
                entry.action.as_str(),
                entry.file,
                entry.verdict,
                entry.signer
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// The latest `limit` entries, newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<HistoryEntry>, HistoryError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare(
            "SELECT id, at, action, file, verdict, signer FROM history ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(HistoryEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                action: Action::parse(&r.get::<_, String>(2)?),
                file: r.get(3)?,
                verdict: r.get(4)?,
                signer: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

/// Records `entry` in `history` if there is one. A failure is reported on
/// stderr and otherwise ignored: the signed or verified file matters, the log
/// line does not.
pub(crate) fn record_to(history: Option<&std::sync::Mutex<History>>, entry: NewEntry) {
    let Some(h) = history else { return };
    let mut h = h.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = h.record(&entry) {
        eprintln!("inkan: history: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::temp_dir;

    fn entry(i: usize) -> NewEntry {
        NewEntry {
            action: if i.is_multiple_of(2) {
                Action::Signed
            } else {
                Action::Verified
            },
            file: format!("/tmp/letter-{i}.xml"),
            verdict: (i % 2 == 1).then(|| "TOTAL_PASSED".to_string()),
            signer: Some("山田 太郎".into()),
        }
    }

    #[test]
    fn records_survive_reopening_after_many_writes() {
        let dir = temp_dir("history-reopen");
        let path = dir.join("history.sqlite3");
        {
            let mut h = History::open(&path).expect("open");
            for i in 0..200 {
                h.record(&entry(i)).expect("record");
            }
        }
        let h = History::open(&path).expect("reopen");
        let all = h.list(1000).expect("list");
        assert_eq!(all.len(), 200);
        assert_eq!(all[0].file, "/tmp/letter-199.xml");
        assert_eq!(all[0].action, Action::Verified);
        assert_eq!(all[0].verdict.as_deref(), Some("TOTAL_PASSED"));
        assert_eq!(all[199].action, Action::Signed);
        assert!(all.windows(2).all(|w| w[0].id > w[1].id));
        assert!(all[0].at.ends_with('Z'), "{}", all[0].at);
        assert_eq!(h.list(5).expect("list").len(), 5);
        let version: i64 = h
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = h
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn two_handles_write_concurrently() {
        let dir = temp_dir("history-concurrent");
        let path = dir.join("history.sqlite3");
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut h = History::open(&path).expect("open");
                    for i in 0..100 {
                        h.record(&entry(t * 1000 + i)).expect("record");
                    }
                    h.list(10).expect("list while the other writes");
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let h = History::open(&path).expect("reopen");
        assert_eq!(h.list(1000).expect("list").len(), 200);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_moved_aside_and_history_starts_fresh() {
        let dir = temp_dir("history-corrupt");
        let path = dir.join("history.sqlite3");
        let garbage =
            b"this is not an SQLite database, just a text file that got here\n".repeat(100);
        std::fs::write(&path, &garbage).expect("write garbage");
        match History::open(&path) {
            Err(HistoryError::Corrupt {
                moved_to: Some(m), ..
            }) => {
                assert!(m
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("history.sqlite3.corrupt-")));
                assert_eq!(std::fs::read(&m).expect("moved file"), garbage);
            }
            other => panic!("expected a corrupt error, got {other:?}"),
        }
        assert!(!path.exists(), "moved aside");
        let mut h = History::open(&path).expect("fresh");
        h.record(&entry(0)).expect("record");
        assert_eq!(h.list(10).expect("list").len(), 1);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn open_or_recover_reports_the_damage_and_opens_a_fresh_history() {
        let dir = temp_dir("history-recover");
        let path = dir.join("history.sqlite3");
        // A real database whose header was overwritten.
        {
            let mut h = History::open(&path).expect("open");
            h.record(&entry(0)).expect("record");
        }
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[..16].copy_from_slice(b"garbage garbage!");
        std::fs::write(&path, &bytes).expect("damage");
        let _ = std::fs::remove_file(with_suffix(&path, "-wal"));
        let _ = std::fs::remove_file(with_suffix(&path, "-shm"));
        let (h, damage) = History::open_or_recover(&path).expect("recover");
        let damage = damage.expect("damage reported");
        assert_eq!(damage.code(), "history.corrupt");
        assert!(!damage.text().ja.is_empty() && !damage.text().en.is_empty());
        assert!(h.list(10).expect("list").is_empty());
        let moved = std::fs::read_dir(&dir)
            .expect("ls")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .count();
        assert!(moved >= 1);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_newer_schema_is_refused_not_overwritten() {
        let dir = temp_dir("history-newer");
        let path = dir.join("history.sqlite3");
        {
            let h = History::open(&path).expect("open");
            h.conn
                .pragma_update(None, "user_version", 99)
                .expect("bump");
        }
        assert!(matches!(
            History::open(&path),
            Err(HistoryError::NewerSchema { found: 99 })
        ));
        assert!(path.exists(), "a newer database is kept");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn in_memory_history_works() {
        let mut h = History::open_in_memory().expect("memory");
        h.record(&entry(1)).expect("record");
        assert_eq!(h.list(10).expect("list").len(), 1);
        assert!(h.path().is_none());
    }
}
