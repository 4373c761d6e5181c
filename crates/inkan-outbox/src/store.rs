//! The outbox database: SQLite in WAL mode with `synchronous=FULL` (the
//! history's discipline), every state change its own `BEGIN IMMEDIATE`
//! transaction, the schema versioned by `PRAGMA user_version`.
//!
//! What was queued cannot change: triggers refuse any `UPDATE` of an item's
//! identity columns and any change to its artefacts, so the bytes delivered
//! on the tenth attempt are the bytes verified when the item was queued.
//! Unlike the history, a damaged outbox is never replaced automatically: it
//! may hold documents not yet delivered.

use crate::error::OutboxError;
use crate::model::{Artefact, IdempotencyKey, Item, NewItem, Receipt, Role, State};
use crate::time::{unix_now, utc_string};
use inkan_l10n::Message;
use rusqlite::{params, Connection, OptionalExtension as _, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database's file name in the app's data folder.
pub const DB_FILE: &str = "outbox.sqlite3";
/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = 1;
/// The most one submission may hold (all its artefacts): 256 MiB.
pub const MAX_ITEM_BYTES: u64 = 256 * 1024 * 1024;
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The outbox.
#[derive(Debug)]
pub struct Outbox {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE item (
    id INTEGER PRIMARY KEY,
    created_utc TEXT NOT NULL,
    destination TEXT NOT NULL,
    dest_name TEXT,
    key_system TEXT NOT NULL,
    key_value TEXT NOT NULL,
    doc_sha256 TEXT NOT NULL,
    doc_name TEXT NOT NULL,
    verdict TEXT NOT NULL,
    signer TEXT,
    signer_fingerprint TEXT,
    meta TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','retry_wait','failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER,
    last_error TEXT,
    receipt TEXT,
    updated_utc TEXT NOT NULL,
    sealed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX item_due ON item (state, next_at);
CREATE TABLE artefact (
    item_id INTEGER NOT NULL REFERENCES item (id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (item_id, seq)
);
CREATE TRIGGER item_identity_is_immutable
BEFORE UPDATE OF id, created_utc, destination, dest_name, key_system, key_value, doc_sha256,
    doc_name, verdict, signer, signer_fingerprint, meta ON item
BEGIN SELECT RAISE(ABORT, 'an outbox item is immutable once queued'); END;
CREATE TRIGGER item_is_never_deleted BEFORE DELETE ON item
BEGIN SELECT RAISE(ABORT, 'outbox items are kept'); END;
CREATE TRIGGER artefact_is_immutable BEFORE UPDATE ON artefact
BEGIN SELECT RAISE(ABORT, 'an outbox artefact is immutable'); END;
CREATE TRIGGER artefact_is_never_deleted BEFORE DELETE ON artefact
BEGIN SELECT RAISE(ABORT, 'outbox artefacts are kept'); END;
CREATE TRIGGER sent_is_final BEFORE UPDATE OF state, receipt ON item
WHEN OLD.state = 'sent'
BEGIN SELECT RAISE(ABORT, 'a delivered item stays delivered'); END;
CREATE TRIGGER artefacts_only_while_queued BEFORE INSERT ON artefact
WHEN (SELECT sealed FROM item WHERE id = NEW.item_id) <> 0
BEGIN SELECT RAISE(ABORT, 'an outbox item is immutable once queued'); END;
CREATE TRIGGER item_is_never_replaced BEFORE INSERT ON item
WHEN EXISTS (SELECT 1 FROM item WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'an outbox item is immutable once queued'); END;
CREATE TRIGGER artefact_is_never_replaced BEFORE INSERT ON artefact
WHEN EXISTS (SELECT 1 FROM artefact WHERE item_id = NEW.item_id AND seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'an outbox artefact is immutable'); END;
CREATE TRIGGER sealed_stays_sealed BEFORE UPDATE OF sealed ON item
WHEN OLD.sealed <> 0
BEGIN SELECT RAISE(ABORT, 'an outbox item is immutable once queued'); END;
";

const ITEM_COLUMNS: &str = "id, created_utc, destination, dest_name, key_system, key_value, doc_sha256, doc_name, verdict, signer, signer_fingerprint, meta, state, attempts, next_at, last_error, receipt, updated_utc";

impl Outbox {
    /// The outbox in the data folder `dir` (created 0700 if missing).
    pub fn open_in(dir: &Path) -> Result<Outbox, OutboxError> {
        create_private_dir(dir)?;
        Outbox::open(&dir.join(DB_FILE))
    }

    /// Opens (creating if missing) the outbox at `path`.
    pub fn open(path: &Path) -> Result<Outbox, OutboxError> {
        let db = OutboxError::db(path);
        let conn = Connection::open(path).map_err(&db)?;
        restrict(path);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(&db)?;
        // WAL: readers (the window's list) never block the deliverer;
        // FULL: a committed state change survives a power cut.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(&db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(&db)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(&db)?;
        // `INSERT OR REPLACE` deletes the row it replaces: with recursive
        // triggers the "never deleted" triggers refuse that too (besides the
        // "never replaced" ones).
        conn.pragma_update(None, "recursive_triggers", "ON")
            .map_err(&db)?;
        let mut outbox = Outbox {
            conn,
            path: path.to_path_buf(),
        };
        outbox.migrate()?;
        for f in ["-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(f);
            restrict(Path::new(&p));
        }
        Ok(outbox)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<(), OutboxError> {
        let db = OutboxError::db(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&db)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&db)?;
        if version > SCHEMA_VERSION {
            return Err(OutboxError::NewerSchema { found: version });
        }
        if version == 0 {
            tx.execute_batch(SCHEMA).map_err(&db)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(&db)?;
        }
        tx.commit().map_err(&db)
    }

    /// Queues `new`: one transaction holds the item and every artefact.
    pub fn queue(&mut self, new: &NewItem) -> Result<Item, OutboxError> {
        let primary = new
            .artefacts
            .iter()
            .find(|a| matches!(a.role, Role::Document | Role::Package))
            .ok_or_else(|| OutboxError::Empty {
                why: "no document among the files".into(),
            })?;
        let total: u64 = new.artefacts.iter().map(|a| a.bytes.len() as u64).sum();
        if total > MAX_ITEM_BYTES {
            return Err(OutboxError::TooLarge {
                name: primary.name.clone(),
                size: total,
                limit: MAX_ITEM_BYTES,
            });
        }
        let db = OutboxError::db(&self.path);
        let now = utc_string(unix_now());
        let meta = serde_json::to_string(&new.meta)
            .map_err(|e| OutboxError::Empty { why: e.to_string() })?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&db)?;
        tx.execute(
            "INSERT INTO item (created_utc, destination, dest_name, key_system, key_value,
                 doc_sha256, doc_name, verdict, signer, signer_fingerprint, meta, state,
                 attempts, updated_utc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'queued', 0, ?1)",
            params![
                now,
                new.destination.spec(),
                new.dest_name,
                new.key.system,
                new.key.value,
                primary.sha256,
                primary.name,
                new.verdict,
                new.signer,
                new.signer_fingerprint,
                meta
            ],
        )
        .map_err(&db)?;
        let id = tx.last_insert_rowid();
        for (seq, a) in new.artefacts.iter().enumerate() {
            tx.execute(
                "INSERT INTO artefact (item_id, seq, name, role, media_type, sha256, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    seq as i64,
                    a.name,
                    a.role.as_str(),
                    a.media_type,
                    a.sha256,
                    a.bytes
                ],
            )
            .map_err(&db)?;
        }
        // From here on no artefact can be added.
        tx.execute("UPDATE item SET sealed = 1 WHERE id = ?1", [id])
            .map_err(&db)?;
        tx.commit().map_err(&db)?;
        self.get(id)
    }

    /// One item (artefacts without their bytes).
    pub fn get(&self, id: i64) -> Result<Item, OutboxError> {
        let db = OutboxError::db(&self.path);
        let item = self
            .conn
            .query_row(
                &format!("SELECT {ITEM_COLUMNS} FROM item WHERE id = ?1"),
                [id],
                row_to_item,
            )
            .optional()
            .map_err(&db)?
            .ok_or(OutboxError::NotFound { id })?;
        let mut item = item;
        item.artefacts = self.artefacts(id, false)?;
        Ok(item)
    }

    /// Every item, newest first.
    pub fn list(&self) -> Result<Vec<Item>, OutboxError> {
        let db = OutboxError::db(&self.path);
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {ITEM_COLUMNS} FROM item ORDER BY id DESC"))
            .map_err(&db)?;
        let mut items = stmt
            .query_map([], row_to_item)
            .map_err(&db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&db)?;
        drop(stmt);
        for it in &mut items {
            it.artefacts = self.artefacts(it.id, false)?;
        }
        Ok(items)
    }

    /// The artefacts of item `id`, with their bytes when `bytes`.
    pub fn artefacts(&self, id: i64, bytes: bool) -> Result<Vec<Artefact>, OutboxError> {
        let db = OutboxError::db(&self.path);
        let sql = if bytes {
            "SELECT name, role, media_type, sha256, bytes FROM artefact WHERE item_id = ?1 ORDER BY seq"
        } else {
            "SELECT name, role, media_type, sha256, X'' FROM artefact WHERE item_id = ?1 ORDER BY seq"
        };
        let mut stmt = self.conn.prepare(sql).map_err(&db)?;
        let rows = stmt
            .query_map([id], |r| {
                let role: String = r.get(1)?;
                Ok(Artefact {
                    name: r.get(0)?,
                    role: Role::parse(&role).unwrap_or(Role::Document),
                    media_type: r.get(2)?,
                    sha256: r.get(3)?,
                    bytes: r.get(4)?,
                })
            })
            .map_err(&db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&db)?;
        if bytes {
            // The database is ours, but a disk can rot: never deliver bytes
            // that are not the ones queued.
            for a in &rows {
                if Artefact::new(
                    a.name.clone(),
                    a.role,
                    a.media_type.clone(),
                    a.bytes.clone(),
                )
                .sha256
                    != a.sha256
                {
                    return Err(OutboxError::Damaged {
                        id,
                        name: a.name.clone(),
                    });
                }
            }
        }
        Ok(rows)
    }

    /// Takes the next item due at `now` and marks it `sending` (one more
    /// attempt), in one transaction. An item left `sending` by a process
    /// that stopped is due at once: the caller holds the runner lock
    /// ([`crate::run`]), so no other process is delivering it.
    pub fn claim_due(&mut self, now: i64) -> Result<Option<Item>, OutboxError> {
        let db = OutboxError::db(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&db)?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM item
                 WHERE state IN ('queued', 'sending')
                    OR (state = 'retry_wait' AND next_at <= ?1)
                 ORDER BY id LIMIT 1",
                [now],
                |r| r.get(0),
            )
            .optional()
            .map_err(&db)?;
        let Some(id) = id else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE item SET state = 'sending', attempts = attempts + 1, updated_utc = ?2
             WHERE id = ?1",
            params![id, utc_string(now)],
        )
        .map_err(&db)?;
        tx.commit().map_err(&db)?;
        self.get(id).map(Some)
    }

    /// The earliest `next_at` of the items waiting to retry.
    pub fn next_due(&self) -> Result<Option<i64>, OutboxError> {
        let db = OutboxError::db(&self.path);
        self.conn
            .query_row(
                "SELECT MIN(next_at) FROM item WHERE state = 'retry_wait'",
                [],
                |r| r.get(0),
            )
            .map_err(&db)
    }

    /// Records the delivery of item `id`.
    pub fn mark_sent(&mut self, id: i64, receipt: &Receipt) -> Result<(), OutboxError> {
        let receipt = serde_json::to_string(receipt).unwrap_or_default();
        self.update(
            id,
            "state = 'sent', next_at = NULL, last_error = NULL, receipt = ?2",
            &receipt,
        )
    }

    /// Item `id` is tried again at `next_at`; `why` is shown meanwhile.
    pub fn mark_retry(&mut self, id: i64, next_at: i64, why: &Message) -> Result<(), OutboxError> {
        let db = OutboxError::db(&self.path);
        let why = serde_json::to_string(why).unwrap_or_default();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&db)?;
        tx.execute(
            "UPDATE item SET state = 'retry_wait', next_at = ?2, last_error = ?3, updated_utc = ?4
             WHERE id = ?1 AND state <> 'sent'",
            params![id, next_at, why, utc_string(unix_now())],
        )
        .map_err(&db)?;
        tx.commit().map_err(&db)
    }

    /// Item `id` failed for good, for `why`.
    pub fn mark_failed(&mut self, id: i64, why: &Message) -> Result<(), OutboxError> {
        let why = serde_json::to_string(why).unwrap_or_default();
        self.update(
            id,
            "state = 'failed', next_at = NULL, last_error = ?2",
            &why,
        )
    }

    /// `outbox retry`: a failed or waiting item is due again now. A
    /// delivered one is refused (send the document again instead).
    pub fn retry(&mut self, id: i64) -> Result<Item, OutboxError> {
        let item = self.get(id)?;
        if item.state == State::Sent {
            return Err(OutboxError::AlreadySent { id });
        }
        self.update(id, "state = 'queued', next_at = NULL, last_error = ?2", "")?;
        self.get(id)
    }

    fn update(&mut self, id: i64, set: &str, arg: &str) -> Result<(), OutboxError> {
        let db = OutboxError::db(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&db)?;
        let arg: Option<&str> = (!arg.is_empty()).then_some(arg);
        let n = tx
            .execute(
                &format!("UPDATE item SET {set}, updated_utc = ?3 WHERE id = ?1"),
                params![id, arg, utc_string(unix_now())],
            )
            .map_err(&db)?;
        if n == 0 {
            return Err(OutboxError::NotFound { id });
        }
        tx.commit().map_err(&db)
    }

    /// `PRAGMA integrity_check` (`ok` when sound).
    pub fn integrity_check(&self) -> Result<String, OutboxError> {
        let db = OutboxError::db(&self.path);
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(&db)
    }
}

fn row_to_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let state: String = r.get(12)?;
    let meta: String = r.get(11)?;
    let last_error: Option<String> = r.get(15)?;
    let receipt: Option<String> = r.get(16)?;
    let next_at: Option<i64> = r.get(14)?;
    let bad = |what: &str, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("{what}: {e}").into(),
        )
    };
    Ok(Item {
        id: r.get(0)?,
        created_utc: r.get(1)?,
        destination: r.get(2)?,
        dest_name: r.get(3)?,
        key: IdempotencyKey {
            system: r.get(4)?,
            value: r.get(5)?,
        },
        doc_sha256: r.get(6)?,
        doc_name: r.get(7)?,
        verdict: r.get(8)?,
        signer: r.get(9)?,
        signer_fingerprint: r.get(10)?,
        meta: serde_json::from_str(&meta).map_err(|e| bad("meta", e))?,
        artefacts: Vec::new(),
        state: State::parse(&state).unwrap_or(State::Failed),
        attempts: r.get(13)?,
        next_at,
        next_utc: next_at.map(utc_string),
        last_error: last_error
            .filter(|s| !s.is_empty())
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| bad("last_error", e))?,
        receipt: receipt
            .filter(|s| !s.is_empty())
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| bad("receipt", e))?,
        updated_utc: r.get(17)?,
    })
}

/// Creates `dir` readable by the user only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), OutboxError> {
    let folder = |source| OutboxError::Folder {
        path: dir.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(folder)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).map_err(folder)
    }
}

/// The outbox holds patients' letters: readable by the user only.
fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if path.exists() {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthorMeta, Destination, DocumentMeta, Layout, PatientMeta};

    pub(crate) fn sample(dest: Destination, value: &str) -> NewItem {
        NewItem {
            destination: dest,
            dest_name: None,
            key: IdempotencyKey {
                system: "http://jpfhir.jp/fhir/clins/bundle-identifier".into(),
                value: value.into(),
            },
            artefacts: vec![
                Artefact::new(
                    "letter.json",
                    Role::Document,
                    "application/fhir+json",
                    b"{}".to_vec(),
                ),
                Artefact::new(
                    "letter.json.p7s",
                    Role::Signature,
                    "application/pkcs7-signature",
                    vec![0x30, 0],
                ),
            ],
            meta: DocumentMeta {
                title: "診療情報提供書".into(),
                type_code: "57133-1".into(),
                type_display: "Referral note".into(),
                created: "2026-11-25".into(),
                format: "HS038".into(),
                patient: PatientMeta::default(),
                author: AuthorMeta::default(),
                recipient: None,
                signed_utc: None,
            },
            verdict: "TOTAL_PASSED".into(),
            signer: Some("医師 太郎".into()),
            signer_fingerprint: None,
        }
    }

    fn folder() -> Destination {
        Destination::Folder {
            dir: "/tmp/x".into(),
            layout: Layout::Plain,
            await_result: false,
        }
    }

    #[test]
    fn queued_items_cannot_be_changed_or_deleted() {
        let dir = crate::testutil::temp_dir("immutable");
        let mut ob = Outbox::open_in(&dir).expect("open");
        let it = ob.queue(&sample(folder(), "1^2026^A")).expect("queue");
        assert_eq!(it.state, State::Queued);
        assert_eq!(it.artefacts.len(), 2);
        for sql in [
            "UPDATE item SET doc_sha256 = 'x' WHERE id = 1",
            "UPDATE item SET destination = 'folder:/evil' WHERE id = 1",
            "UPDATE item SET meta = '{}' WHERE id = 1",
            "UPDATE artefact SET bytes = X'00' WHERE item_id = 1",
            "DELETE FROM artefact",
            "DELETE FROM item",
            "INSERT INTO artefact (item_id, seq, name, role, media_type, sha256, bytes) VALUES (1, 9, 'extra', 'document', 'x', 'x', X'00')",
            "UPDATE item SET sealed = 0 WHERE id = 1",
            "INSERT OR REPLACE INTO artefact (item_id, seq, name, role, media_type, sha256, bytes) VALUES (1, 0, 'x', 'document', 'x', 'x', X'00')",
            "INSERT OR REPLACE INTO item (id, created_utc, destination, key_system, key_value, doc_sha256, doc_name, verdict, meta, state, updated_utc) VALUES (1, 'x', 'x', 'x', 'x', 'x', 'x', 'x', '{}', 'queued', 'x')",
        ] {
            let e = ob.conn.execute(sql, []).expect_err(sql);
            assert!(e.to_string().contains("outbox"), "{sql}: {e}");
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn states_move_as_documented_and_sent_is_final() {
        let dir = crate::testutil::temp_dir("states");
        let mut ob = Outbox::open_in(&dir).expect("open");
        let a = ob.queue(&sample(folder(), "1^2026^A")).expect("queue");
        let b = ob.queue(&sample(folder(), "1^2026^B")).expect("queue");
        let now = unix_now();
        let c = ob.claim_due(now).expect("claim").expect("due");
        assert_eq!((c.id, c.state, c.attempts), (a.id, State::Sending, 1));
        let msg = Message {
            code: "x".into(),
            ja: "x".into(),
            en: "x".into(),
        };
        ob.mark_retry(a.id, now + 60, &msg).expect("retry");
        // a waits; b is next.
        let c = ob.claim_due(now).expect("claim").expect("due");
        assert_eq!(c.id, b.id);
        ob.mark_sent(b.id, &Receipt::default()).expect("sent");
        assert!(ob.claim_due(now).expect("claim").is_none());
        assert_eq!(ob.next_due().expect("next"), Some(now + 60));
        let c = ob.claim_due(now + 60).expect("claim").expect("due");
        assert_eq!((c.id, c.attempts), (a.id, 2));
        ob.mark_failed(a.id, &msg).expect("failed");
        assert_eq!(ob.get(a.id).expect("get").last_error, Some(msg.clone()));
        // retry: failed → queued; a sent item stays sent.
        assert_eq!(ob.retry(a.id).expect("retry").state, State::Queued);
        assert_eq!(
            ob.retry(b.id).expect_err("sent").to_string(),
            format!("outbox item {} was already delivered", b.id)
        );
        let e = ob
            .conn
            .execute("UPDATE item SET state = 'queued' WHERE id = ?1", [b.id])
            .expect_err("sent is final");
        assert!(e.to_string().contains("stays delivered"));
        assert!(matches!(
            ob.retry(99),
            Err(OutboxError::NotFound { id: 99 })
        ));
        assert_eq!(ob.integrity_check().expect("check"), "ok");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_crashed_sending_item_is_due_again() {
        let dir = crate::testutil::temp_dir("crash");
        let mut ob = Outbox::open_in(&dir).expect("open");
        let a = ob.queue(&sample(folder(), "1^2026^A")).expect("queue");
        ob.claim_due(unix_now()).expect("claim").expect("due");
        drop(ob);
        let mut ob = Outbox::open_in(&dir).expect("reopen");
        let c = ob.claim_due(unix_now()).expect("claim").expect("due again");
        assert_eq!((c.id, c.attempts), (a.id, 2));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn artefact_bytes_come_back_exactly() {
        let dir = crate::testutil::temp_dir("bytes");
        let mut ob = Outbox::open_in(&dir).expect("open");
        let n = sample(folder(), "1^2026^A");
        let it = ob.queue(&n).expect("queue");
        let back = ob.artefacts(it.id, true).expect("artefacts");
        assert_eq!(back, n.artefacts);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(DB_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = crate::testutil::temp_dir("newer");
        let p = dir.join(DB_FILE);
        Connection::open(&p)
            .expect("open")
            .pragma_update(None, "user_version", 9)
            .expect("set");
        assert!(matches!(
            Outbox::open(&p),
            Err(OutboxError::NewerSchema { found: 9 })
        ));
        std::fs::write(
            &p,
            b"not a database, and long enough to be read as a header",
        )
        .expect("write");
        let e = Outbox::open(&p).expect_err("damaged");
        assert_eq!(inkan_l10n::Localized::code(&e), "outbox.database");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
