//! The tamper-evident signing log (医療情報システムの安全管理ガイドライン:
//! accountability for every signature).
//!
//! Every signature, verification and submission, from the window and the
//! CLI alike, appends one record to the table `audit_log` of
//! `<data dir>/audit.sqlite3`. A record holds the time (UTC and JST), the
//! action, the document's SHA-256 and name, the signer certificate's
//! fingerprint and holder, the verdict, the previous record's hash, and its
//! own hash: HMAC-SHA256 over all of these (and its id), keyed by 32 random
//! bytes kept in the OS keyring where there is one (Secret Service,
//! Keychain, Credential Manager), else in `<data dir>/audit.key`, readable
//! only by the user. Where the key went is written in the log
//! (`audit_meta`), so a key that disappears later is reported, never
//! silently replaced.
//!
//! So the log is a chain: removing, reordering or editing a record breaks
//! the hash of that record or the link of the next one, and without the
//! key nobody can recompute them. [`AuditLog::verify`] names the first
//! record where the chain breaks. SQLite triggers refuse UPDATE and DELETE,
//! and every append is one transaction (WAL, `synchronous=FULL`): a process
//! killed while it appends leaves the chain as it was before, or with the
//! new record complete.

use inkan_l10n::{Localized, Text};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// The database file in the data folder.
pub const DB_FILE: &str = "audit.sqlite3";
/// The key file in the data folder.
pub const KEY_FILE: &str = "audit.key";
/// `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where the log's HMAC key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStore {
    /// The OS keyring: service [`KEYRING_SERVICE`], user
    /// `signing-log:<data folder>`.
    Keyring,
    /// [`KEY_FILE`] in the data folder, readable only by the user.
    File,
}

impl KeyStore {
    fn as_str(self) -> &'static str {
        match self {
            KeyStore::Keyring => "keyring",
            KeyStore::File => "file",
        }
    }
}

/// Where a new log puts its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPolicy {
    /// The OS keyring when it answers, else the file.
    Auto,
    /// The OS keyring, or an error.
    Keyring,
    /// The file.
    File,
}

impl KeyPolicy {
    /// From `INKAN_AUDIT_KEY_STORE` (`keyring`, `file`; anything else or
    /// unset: [`KeyPolicy::Auto`]). Test suites set `file`, so that they
    /// neither touch the developer's keyring nor wait for its prompt.
    pub fn from_env() -> KeyPolicy {
        match std::env::var("INKAN_AUDIT_KEY_STORE").as_deref() {
            Ok("keyring") => KeyPolicy::Keyring,
            Ok("file") => KeyPolicy::File,
            _ => KeyPolicy::Auto,
        }
    }
}

/// The keyring service name of the log's key.
pub const KEYRING_SERVICE: &str = "jp.inkan.desktop";

fn keyring_user(dir: &Path) -> String {
    // One log per data folder, so one entry per folder.
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    format!("signing-log:{}", dir.display())
}

fn keyring_name(dir: &Path) -> PathBuf {
    PathBuf::from(format!("keyring:{KEYRING_SERVICE}/{}", keyring_user(dir)))
}

fn keyring_err(e: &keyring::Error) -> AuditError {
    AuditError::Keyring {
        detail: e.to_string(),
    }
}

fn keyring_entry(dir: &Path) -> Result<keyring::Entry, AuditError> {
    keyring::Entry::new(KEYRING_SERVICE, &keyring_user(dir)).map_err(|e| keyring_err(&e))
}

/// The key in the keyring, or `KeyMissing` when the entry is gone.
fn keyring_key(dir: &Path) -> Result<Zeroizing<Vec<u8>>, AuditError> {
    match keyring_entry(dir)?.get_secret() {
        Ok(k) if k.len() == 32 => Ok(Zeroizing::new(k)),
        Ok(k) => Err(AuditError::Keyring {
            detail: format!("the key has {} bytes, not 32", k.len()),
        }),
        Err(keyring::Error::NoEntry) => Err(AuditError::KeyMissing {
            path: keyring_name(dir),
        }),
        Err(e) => Err(keyring_err(&e)),
    }
}

/// Whether the keyring holds a log key for `dir` (false when there is no
/// keyring to ask).
fn keyring_has_key(dir: &Path) -> bool {
    keyring_entry(dir).is_ok_and(|e| e.get_secret().is_ok())
}

/// A new key in the keyring, read back to be sure it is there. An entry
/// already there belongs to a log that is gone (deleted, or being restored
/// from a backup): it is never replaced.
fn new_keyring_key(dir: &Path) -> Result<Zeroizing<Vec<u8>>, AuditError> {
    let entry = keyring_entry(dir)?;
    match entry.get_secret() {
        Ok(_) => {
            return Err(AuditError::LogMissing {
                path: dir.join(DB_FILE),
            })
        }
        Err(keyring::Error::NoEntry) => {}
        Err(e) => return Err(keyring_err(&e)),
    }
    let key = random_key(dir)?;
    entry.set_secret(&key).map_err(|e| keyring_err(&e))?;
    match entry.get_secret() {
        Ok(k) if k[..] == key[..] => Ok(key),
        Ok(_) => Err(AuditError::Keyring {
            detail: "the key read back differs".into(),
        }),
        Err(e) => Err(keyring_err(&e)),
    }
}

fn random_key(dir: &Path) -> Result<Zeroizing<Vec<u8>>, AuditError> {
    let mut key = Zeroizing::new(vec![0u8; 32]);
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
        .map_err(|_| file_err(dir, "no randomness for the key"))?;
    Ok(key)
}

/// Why the log could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// SQLite failed (locked past the timeout, disk full, a damaged file …).
    #[error("audit log database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data folder or the key file cannot be used.
    #[error("audit log {}: {detail}", path.display())]
    File {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The log has records but its key is gone: the chain can no longer be
    /// checked, and a new key would hide that.
    #[error("the audit log has records but its key {} is missing", path.display())]
    KeyMissing {
        /// Where the key should be (a file, or the keyring entry's name).
        path: PathBuf,
    },
    /// The log is keyed by a file, but the keyring holds this folder's log
    /// key: the log was replaced by one sealed with another key.
    #[error("the audit log {} is keyed by a file while the keyring holds its key: it was replaced", path.display())]
    Downgraded {
        /// The log.
        path: PathBuf,
    },
    /// The keyring holds this folder's log key but the log itself is gone
    /// (deleted, or not yet restored): a new log would hide that.
    #[error("the audit log {} is missing while its key is in the keyring", path.display())]
    LogMissing {
        /// Where the log should be.
        path: PathBuf,
    },
    /// The OS keyring holds (or was asked to hold) the key but cannot be
    /// used now (locked, no secret service running, access refused).
    #[error("the OS keyring cannot be used for the audit log's key: {detail}")]
    Keyring {
        /// What the keyring said.
        detail: String,
    },
}

impl Localized for AuditError {
    fn code(&self) -> &'static str {
        match self {
            AuditError::Sqlite(_) => "audit.database",
            AuditError::File { .. } => "audit.file",
            AuditError::KeyMissing { .. } => "audit.key_missing",
            AuditError::Keyring { .. } => "audit.keyring",
            AuditError::Downgraded { .. } => "audit.downgraded",
            AuditError::LogMissing { .. } => "audit.log_missing",
        }
    }

    fn text(&self) -> Text {
        match self {
            AuditError::Sqlite(e) => Text::new(
                format!("署名ログのデータベースのエラーです: {e}"),
                format!("audit log database error: {e}"),
            ),
            AuditError::File { path, detail } => Text::new(
                format!("署名ログのファイル {} を使えません: {detail}", path.display()),
                format!("the audit log file {} cannot be used: {detail}", path.display()),
            ),
            AuditError::KeyMissing { path } => Text::new(
                format!("署名ログに記録がありますが、その鍵 {} がありません。ログの改ざん検知ができません。", path.display()),
                format!("the audit log has records but its key {} is missing: tampering can no longer be detected", path.display()),
            ),
            AuditError::Downgraded { path } => Text::new(
                format!("署名ログ {} は鍵ファイルで封印されていますが、このログの鍵は OS のキーリングにあります。ログが別のものに置き換えられています。", path.display()),
                format!("the audit log {} is sealed with a key file, but this log's key is in the OS keyring: the log was replaced", path.display()),
            ),
            AuditError::LogMissing { path } => Text::new(
                format!("署名ログ {} がありませんが、その鍵は OS のキーリングに残っています。ログを元の場所に戻してください（新しいログは作りません）。", path.display()),
                format!("the audit log {} is missing, but its key is still in the OS keyring: put the log back (no new log is started)", path.display()),
            ),
            AuditError::Keyring { detail } => Text::new(
                format!("署名ログの鍵を保管している OS のキーリングを使えません（ロックされている、または起動していない可能性があります）: {detail}"),
                format!("the OS keyring that keeps the audit log's key cannot be used (it may be locked or not running): {detail}"),
            ),
        }
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditAction {
    /// A document was signed.
    Signed,
    /// A signature was verified.
    Verified,
    /// A signed document was submitted (sent).
    Submitted,
}

impl AuditAction {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Signed => "signed",
            AuditAction::Verified => "verified",
            AuditAction::Submitted => "submitted",
        }
    }
}

/// A record to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    /// What was done.
    pub action: AuditAction,
    /// SHA-256 (hex) of the document (the signed bytes, or the file verified).
    pub doc_sha256: String,
    /// The document's name (file name).
    pub doc_name: String,
    /// SHA-256 (hex) of the signer's certificate.
    pub signer_fingerprint: Option<String>,
    /// Who the certificate names.
    pub signer_holder: Option<String>,
    /// The verdict (`TOTAL_PASSED` …), or `SIGNED`.
    pub verdict: Option<String>,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub id: i64,
    /// When, UTC (`YYYY-MM-DDTHH:MM:SSZ`).
    pub time_utc: String,
    /// The same instant in Japan time (`…+09:00`).
    pub time_jst: String,
    /// What was done (`signed`, `verified`, `submitted`).
    pub action: String,
    /// SHA-256 of the document.
    pub doc_sha256: String,
    /// The document's name.
    pub doc_name: String,
    /// SHA-256 of the signer's certificate.
    pub signer_fingerprint: Option<String>,
    /// Who signed.
    pub signer_holder: Option<String>,
    /// The verdict.
    pub verdict: Option<String>,
    /// The previous record's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// HMAC-SHA256 of this record, hex.
    pub hash: String,
}

/// What [`AuditLog::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainState {
    /// Records in the log.
    pub records: i64,
    /// The first record whose hash or link does not hold, and why.
    pub first_broken: Option<BrokenRecord>,
    /// Where the key that anchors the chain is kept.
    pub key_store: KeyStore,
    /// The newest record's id and hash, when the chain holds. Records cut
    /// from the end leave an intact, shorter chain: only this value, written
    /// down elsewhere (the clinic's records), shows it later.
    pub head: Option<(i64, String)>,
}

impl ChainState {
    /// Every record is intact and linked to the one before.
    pub fn intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// A record where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenRecord {
    /// The record's id.
    pub id: i64,
    /// Why: `hash` (the record was changed), `link` (a record before it was
    /// removed or changed), `id` (a gap in the numbering).
    pub reason: &'static str,
}

/// The log.
#[derive(Debug)]
pub struct AuditLog {
    conn: Connection,
    key: Zeroizing<Vec<u8>>,
    store: KeyStore,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What a record's HMAC covers: every field length-prefixed, so that no
/// two different records encode alike.
fn message(r: &AuditRecord) -> Vec<u8> {
    let mut out = Vec::new();
    let id = r.id.to_string();
    let none = "\u{0}";
    for field in [
        id.as_str(),
        &r.time_utc,
        &r.time_jst,
        &r.action,
        &r.doc_sha256,
        &r.doc_name,
        r.signer_fingerprint.as_deref().unwrap_or(none),
        r.signer_holder.as_deref().unwrap_or(none),
        r.verdict.as_deref().unwrap_or(none),
        &r.prev_hash,
    ] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

fn hmac_key(key: &[u8]) -> ring::hmac::Key {
    ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key)
}

/// The HMAC of a record, hex.
fn mac(key: &[u8], r: &AuditRecord) -> String {
    hex::encode(ring::hmac::sign(&hmac_key(key), &message(r)).as_ref())
}

fn file_err(path: &Path, detail: impl std::fmt::Display) -> AuditError {
    AuditError::File {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

/// Reads the key, or creates it (32 random bytes, mode 0600 on Unix, never
/// replacing a file) when the log is new.
fn load_key(path: &Path, log_is_empty: bool) -> Result<Zeroizing<Vec<u8>>, AuditError> {
    match std::fs::read(path) {
        Ok(k) if k.len() == 32 => return Ok(Zeroizing::new(k)),
        Ok(k) => {
            return Err(file_err(
                path,
                format!("the key has {} bytes, not 32", k.len()),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(file_err(path, e)),
    }
    if !log_is_empty {
        return Err(AuditError::KeyMissing {
            path: path.to_path_buf(),
        });
    }
    let key = random_key(path)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| file_err(path, e))?;
    use std::io::Write;
    f.write_all(&key)
        .and_then(|()| f.sync_all())
        .map_err(|e| file_err(path, e))?;
    Ok(key)
}

impl AuditLog {
    /// Opens (creating if needed) the log in `dir`; a new log keeps its key
    /// where [`KeyPolicy::from_env`] says.
    pub fn open(dir: &Path) -> Result<AuditLog, AuditError> {
        Self::open_with(dir, KeyPolicy::from_env())
    }

    /// Opens (creating if needed) the log in `dir`; a new log keeps its key
    /// as `policy` says. An existing log uses the store it recorded.
    pub fn open_with(dir: &Path, policy: KeyPolicy) -> Result<AuditLog, AuditError> {
        std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
        let conn = Connection::open_with_flags(
            dir.join(DB_FILE),
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS audit_log (
                id INTEGER PRIMARY KEY,
                time_utc TEXT NOT NULL,
                time_jst TEXT NOT NULL,
                action TEXT NOT NULL,
                doc_sha256 TEXT NOT NULL,
                doc_name TEXT NOT NULL,
                signer_fingerprint TEXT,
                signer_holder TEXT,
                verdict TEXT,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
             );
             CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
             CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
             CREATE TABLE IF NOT EXISTS audit_meta (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL
             );
             CREATE TRIGGER IF NOT EXISTS audit_meta_no_update BEFORE UPDATE ON audit_meta
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
             CREATE TRIGGER IF NOT EXISTS audit_meta_no_delete BEFORE DELETE ON audit_meta
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
        )?;
        // Reading which key the log has and, for a new log, making one and
        // writing it down are one step for all processes: two first
        // signatures at once must not make two keys.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let chosen = Self::key_for(&conn, dir, policy);
        match &chosen {
            Ok(_) => conn.execute_batch("COMMIT")?,
            Err(_) => {
                let _ = conn.execute_batch("ROLLBACK");
            }
        }
        let (key, store) = chosen?;
        Ok(AuditLog { conn, key, store })
    }

    /// The log's key and where it is kept, inside the caller's write
    /// transaction (a new log records its store in `audit_meta`).
    fn key_for(
        conn: &Connection,
        dir: &Path,
        policy: KeyPolicy,
    ) -> Result<(Zeroizing<Vec<u8>>, KeyStore), AuditError> {
        let count: i64 = conn.query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0))?;
        let stored: Option<String> = conn
            .query_row(
                "SELECT value FROM audit_meta WHERE name = 'key_store'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let file = dir.join(KEY_FILE);
        let (key, store) = match stored.as_deref() {
            Some("keyring") => (keyring_key(dir)?, KeyStore::Keyring),
            Some("file") | None if count > 0 || file.exists() || stored.is_some() => {
                // A log keyed by a file while the keyring holds a key for this
                // folder is a keyring log swapped for one someone sealed
                // themselves (the store is written in the file it protects).
                if policy != KeyPolicy::File && keyring_has_key(dir) {
                    return Err(AuditError::Downgraded {
                        path: dir.join(DB_FILE),
                    });
                }
                (load_key(&file, count == 0)?, KeyStore::File)
            }
            Some(other) => {
                return Err(file_err(
                    &dir.join(DB_FILE),
                    format!("unknown key store {other:?}"),
                ))
            }
            None => match policy {
                KeyPolicy::File => (load_key(&file, true)?, KeyStore::File),
                KeyPolicy::Keyring => (new_keyring_key(dir)?, KeyStore::Keyring),
                KeyPolicy::Auto => match new_keyring_key(dir) {
                    Ok(k) => (k, KeyStore::Keyring),
                    // The log's key is in the keyring but the log is gone:
                    // never start over in a file either.
                    Err(e @ AuditError::LogMissing { .. }) => return Err(e),
                    Err(_) => (load_key(&file, true)?, KeyStore::File),
                },
            },
        };
        if stored.is_none() {
            conn.execute(
                "INSERT INTO audit_meta (name, value) VALUES ('key_store', ?1)",
                params![store.as_str()],
            )?;
        }
        Ok((key, store))
    }

    /// Where this log's key is kept.
    pub fn key_store(&self) -> KeyStore {
        self.store
    }

    /// Appends a record in one transaction, linked to the last one.
    pub fn append(&mut self, e: &NewAudit) -> Result<AuditRecord, AuditError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (id, prev_hash) = match last {
            Some((id, hash)) => (id + 1, hash),
            None => (1, GENESIS.to_owned()),
        };
        let t = now();
        let mut rec = AuditRecord {
            id,
            time_utc: inkan_card::holder::fmt_utc(t),
            time_jst: inkan_card::holder::fmt_utc(t + 9 * 3600).replace('Z', "+09:00"),
            action: e.action.as_str().to_owned(),
            doc_sha256: e.doc_sha256.clone(),
            doc_name: e.doc_name.clone(),
            signer_fingerprint: e.signer_fingerprint.clone(),
            signer_holder: e.signer_holder.clone(),
            verdict: e.verdict.clone(),
            prev_hash,
            hash: String::new(),
        };
        rec.hash = mac(&self.key, &rec);
        tx.execute(
            "INSERT INTO audit_log (id, time_utc, time_jst, action, doc_sha256, doc_name,
                signer_fingerprint, signer_holder, verdict, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                rec.id,
                rec.time_utc,
                rec.time_jst,
                rec.action,
                rec.doc_sha256,
                rec.doc_name,
                rec.signer_fingerprint,
                rec.signer_holder,
                rec.verdict,
                rec.prev_hash,
                rec.hash
            ],
        )?;
        tx.commit()?;
        Ok(rec)
    }

    /// Records with `time_utc` in `[from, to]` (RFC 3339 prefixes compare as
    /// text: `2026-11`, `2026-11-25T10:00:00Z`), in order.
    pub fn records(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<AuditRecord>, AuditError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, time_utc, time_jst, action, doc_sha256, doc_name, signer_fingerprint,
                    signer_holder, verdict, prev_hash, hash
             FROM audit_log ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AuditRecord {
                id: r.get(0)?,
                time_utc: r.get(1)?,
                time_jst: r.get(2)?,
                action: r.get(3)?,
                doc_sha256: r.get(4)?,
                doc_name: r.get(5)?,
                signer_fingerprint: r.get(6)?,
                signer_holder: r.get(7)?,
                verdict: r.get(8)?,
                prev_hash: r.get(9)?,
                hash: r.get(10)?,
            })
        })?;
        let mut out = Vec::new();
        for r in rows {
            let r = r?;
            // `to` is inclusive of everything it prefixes (`2026-11-25`
            // takes the whole day).
            let after_from = from.is_none_or(|f| r.time_utc.as_str() >= f);
            let before_to =
                to.is_none_or(|t| r.time_utc.as_str() <= t || r.time_utc.starts_with(t));
            if after_from && before_to {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Checks every record's hash and its link to the one before, in id
    /// order, and names the first that does not hold.
    pub fn verify(&self) -> Result<ChainState, AuditError> {
        let all = self.records(None, None)?;
        let mut prev = GENESIS.to_owned();
        for (expected_id, r) in (1i64..).zip(all.iter()) {
            let broken = |reason| ChainState {
                key_store: self.store,
                records: all.len() as i64,
                first_broken: Some(BrokenRecord { id: r.id, reason }),
                head: None,
            };
            if r.id != expected_id {
                return Ok(broken("id"));
            }
            if r.prev_hash != prev {
                return Ok(broken("link"));
            }
            let stored = hex::decode(&r.hash).unwrap_or_default();
            if ring::hmac::verify(&hmac_key(&self.key), &message(r), &stored).is_err() {
                return Ok(broken("hash"));
            }
            prev = r.hash.clone();
        }
        Ok(ChainState {
            key_store: self.store,
            records: all.len() as i64,
            first_broken: None,
            head: all.last().map(|r| (r.id, r.hash.clone())),
        })
    }
}

/// The folder the log is written to by [`record`], when enabled.
static ENABLED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Makes every signature and verification of this process append to the
/// log in `dir` (the app's data folder; the CLI's [`crate::settings::data_dir`]).
pub fn enable(dir: &Path) {
    *ENABLED.lock().unwrap_or_else(|p| p.into_inner()) = Some(dir.to_path_buf());
}

/// Whether the enabled log can take a record now (its key is at hand):
/// checked before a signature, so that none goes unrecorded.
pub fn ready() -> Result<(), AuditError> {
    let dir = ENABLED.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match dir {
        Some(dir) => AuditLog::open(&dir).map(drop),
        None => Ok(()),
    }
}

/// Appends `e` to the enabled log. The operation it records has happened
/// (the signature exists), so a log that cannot be written is reported on
/// stderr and returned, never undone.
pub fn record(e: &NewAudit) -> Option<Result<AuditRecord, AuditError>> {
    let dir = ENABLED.lock().unwrap_or_else(|p| p.into_inner()).clone()?;
    let r = AuditLog::open(&dir).and_then(|mut log| log.append(e));
    if let Err(err) = &r {
        eprintln!("inkan: the audit log could not be written: {err}");
    }
    Some(r)
}

/// SHA-256 (hex) of a file, read in 1 MiB chunks.
pub fn sha256_file(path: &Path) -> Option<String> {
    use sha2::Digest as _;
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(hex::encode(h.finalize()))
}

/// SHA-256 (hex) of bytes in memory.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A file's name for a record.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("inkan-audit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn entry(n: u32) -> NewAudit {
        NewAudit {
            action: AuditAction::Verified,
            doc_sha256: format!("{n:064x}"),
            doc_name: format!("letter-{n}.xml"),
            signer_fingerprint: Some("ab".repeat(32)),
            signer_holder: Some("山田 太郎（医師）".into()),
            verdict: Some("TOTAL_PASSED".into()),
        }
    }

    #[test]
    fn records_chain_and_verify() {
        let d = dir("chain");
        let mut log = AuditLog::open_with(&d, KeyPolicy::File).expect("open");
        for n in 0..5 {
            log.append(&entry(n)).expect("append");
        }
        let st = log.verify().expect("verify");
        assert_eq!(st.records, 5);
        assert!(st.intact());
        let all = log.records(None, None).expect("records");
        assert_eq!(all[0].prev_hash, GENESIS);
        assert_eq!(all[1].prev_hash, all[0].hash);
        assert!(all[0].time_jst.ends_with("+09:00"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.join(KEY_FILE))
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "the key is readable by the user only");
        }
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn the_log_is_append_only_and_an_edit_names_the_record() {
        let d = dir("edit");
        let mut log = AuditLog::open_with(&d, KeyPolicy::File).expect("open");
        for n in 0..4 {
            log.append(&entry(n)).expect("append");
        }
        // The triggers refuse changes through SQL.
        assert!(log
            .conn
            .execute(
                "UPDATE audit_log SET verdict = 'TOTAL_FAILED' WHERE id = 2",
                []
            )
            .is_err_and(|e| e.to_string().contains("append-only")));
        assert!(log
            .conn
            .execute("DELETE FROM audit_log WHERE id = 4", [])
            .is_err_and(|e| e.to_string().contains("append-only")));
        // Someone who drops the triggers and edits record 3 is caught there.
        log.conn
            .execute_batch(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
                 UPDATE audit_log SET verdict = 'TOTAL_FAILED' WHERE id = 3;",
            )
            .expect("forge");
        let st = log.verify().expect("verify");
        assert_eq!(
            st.first_broken,
            Some(BrokenRecord {
                id: 3,
                reason: "hash"
            })
        );
        // Removing a record breaks the link of the next.
        log.conn
            .execute("DELETE FROM audit_log WHERE id = 3", [])
            .expect("delete");
        let st = log.verify().expect("verify");
        assert_eq!(st.first_broken.map(|b| b.id), Some(4));
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn the_key_store_is_recorded_and_kept() {
        let d = dir("store");
        let log = AuditLog::open_with(&d, KeyPolicy::File).expect("open");
        assert_eq!(log.key_store(), KeyStore::File);
        drop(log);
        // Opened later under another policy, the log keeps its own store.
        let log = AuditLog::open_with(&d, KeyPolicy::Keyring).expect("reopen");
        assert_eq!(log.key_store(), KeyStore::File);
        assert_eq!(log.verify().expect("verify").key_store, KeyStore::File);
        // The record of the store cannot be changed in place.
        assert!(log
            .conn
            .execute("UPDATE audit_meta SET value = 'keyring'", [])
            .is_err());
        assert!(log.conn.execute("DELETE FROM audit_meta", []).is_err());
        let _ = std::fs::remove_dir_all(d);
    }

    /// Eight processes (threads here) making the first record at once: one
    /// key, eight records, an intact chain.
    #[test]
    fn a_log_created_by_many_at_once_has_one_key() {
        let d = dir("race");
        let start = std::sync::Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|n| {
                let (d, start) = (d.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    AuditLog::open_with(&d, KeyPolicy::File)
                        .and_then(|mut log| log.append(&entry(n)))
                        .map(drop)
                })
            })
            .collect();
        for h in handles {
            h.join().expect("thread").expect("open and append");
        }
        let log = AuditLog::open_with(&d, KeyPolicy::File).expect("open");
        let st = log.verify().expect("verify");
        assert_eq!(st.records, 8);
        assert!(st.intact(), "{st:?}");
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn a_lost_key_is_refused_not_replaced() {
        let d = dir("key");
        AuditLog::open_with(&d, KeyPolicy::File)
            .expect("open")
            .append(&entry(1))
            .expect("append");
        std::fs::remove_file(d.join(KEY_FILE)).expect("rm key");
        assert!(matches!(
            AuditLog::open_with(&d, KeyPolicy::File),
            Err(AuditError::KeyMissing { .. })
        ));
        let _ = std::fs::remove_dir_all(d);
    }
}
