//! The long-term archive register: signatures under long-term care, and
//! when each needs its next archive time-stamp (EN 319 122-1 §5.5.3: add
//! the next ATSv3 before the newest time-stamp's TSA certificate expires).
//!
//! The register is SQLite in the app's data folder (`archive.sqlite3`,
//! WAL, synchronous FULL, like the history). It only points at signature
//! files; renewing rewrites those files atomically after the new version
//! verifies, and keeps the previous version beside it (`<file>.prev`).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use inkan_l10n::{Localized, Text};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Why the register cannot do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The database failed.
    #[error("archive register: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a usable signature.
    #[error("{} is not a usable signature: {detail}", path.display())]
    NotASignature {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
}

impl Localized for ArchiveError {
    fn code(&self) -> &'static str {
        match self {
            ArchiveError::Sqlite(_) => "archive.database",
            ArchiveError::Io { .. } => "archive.io",
            ArchiveError::NotASignature { .. } => "archive.not_a_signature",
        }
    }

    fn text(&self) -> Text {
        let ja = match self {
            ArchiveError::Sqlite(e) => format!("長期保存の台帳を使用できません: {e}"),
            ArchiveError::Io { path, source } => {
                format!("{} を読み書きできません: {source}", path.display())
            }
            ArchiveError::NotASignature { path, detail } => {
                format!(
                    "{} は使用できる署名ではありません: {detail}",
                    path.display()
                )
            }
        };
        Text::new(ja, self.to_string())
    }
}

/// One signature under long-term care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveEntry {
    /// The signature file (absolute).
    pub path: PathBuf,
    /// The signed document, for a detached signature.
    pub content: Option<PathBuf>,
    /// When it was added (RFC 3339).
    pub added: String,
    /// Its level when last looked at (`B-B` … `B-LTA`).
    pub level: String,
    /// genTime of its newest time-stamp (RFC 3339).
    pub newest_timestamp: Option<String>,
    /// When the newest time-stamp's TSA certificate expires (RFC 3339): the
    /// next archive time-stamp is due before then.
    pub tsa_not_after: Option<String>,
    /// Until when that time-stamp's algorithms protect (RFC 3339; `None`:
    /// no end foreseen): the next archive time-stamp is due before then too.
    pub algorithms_until: Option<String>,
    /// When it was last renewed (RFC 3339).
    pub renewed: Option<String>,
    /// SHA-256 of the file as last seen, hex.
    pub sha256: String,
}

/// What a signature file says about its time-stamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The level of its weakest signer.
    pub level: String,
    /// genTime of the time-stamp that protects the weakest signer longest:
    /// its newest archive time-stamp that holds (else its newest signature
    /// time-stamp).
    pub newest: Option<SystemTime>,
    /// notAfter of that time-stamp's TSA certificate.
    pub tsa_not_after: Option<SystemTime>,
    /// Until when that time-stamp's algorithms protect.
    pub algorithms_until: Option<SystemTime>,
}

/// How the register checks time-stamps: what the verifier would use.
#[derive(Debug, Clone, Default)]
pub struct StampCheck {
    /// TSA trust anchors (DER).
    pub tsa_trust: Vec<Vec<u8>>,
    /// Where CRLs come from.
    pub revocation: inkan_trust::RevocationConfig,
}

/// Reads the time-stamps of `signature` as the verifier checks them now:
/// only time-stamps that hold (trusted TSA, imprint, proof of existence)
/// count, so that a token a sender added (untrusted, future-dated, junk)
/// cannot make a file look renewed. A co-signed file is as strong as its
/// weakest signer.
pub fn facts(
    signature: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    check: &StampCheck,
) -> Result<Facts, String> {
    use der::Decode;
    let parsed = inkan_cades::parse(signature).map_err(|e| e.to_string())?;
    let stamps = inkan_validation::timestamps::signer_timestamps(
        signature,
        content,
        &check.tsa_trust,
        &check.revocation,
        SystemTime::now(),
    )
    .map_err(|e| e.to_string())?;
    const LEVELS: [&str; 4] = ["B-B", "B-T", "B-LT", "B-LTA"];
    let mut level = LEVELS.len() - 1;
    // Per signer, what protects it and until when: its newest archive
    // time-stamp that holds (a signature time-stamp protects neither the
    // validation data nor older archive time-stamps), else its newest
    // signature time-stamp. The file lasts as long as its weakest signer.
    struct Protection {
        gen: Option<SystemTime>,
        not_after: Option<SystemTime>,
        algorithms: Option<SystemTime>,
        end: Option<SystemTime>,
    }
    let mut weakest: Option<Protection> = None;
    for signer in &stamps {
        let holds: Vec<_> = signer
            .iter()
            .filter(|r| r.indication == "TOTAL_PASSED")
            .collect();
        let archives: Vec<_> = holds
            .iter()
            .filter(|r| r.kind.starts_with("archive"))
            .collect();
        let has_sig_ts = holds.iter().any(|r| r.kind == "signature");
        let l = if !archives.is_empty() {
            3
        } else if has_sig_ts && !parsed.crls.is_empty() {
            2
        } else if has_sig_ts {
            1
        } else {
            0
        };
        level = level.min(l);
        let pool: Vec<_> = if archives.is_empty() {
            holds.clone()
        } else {
            archives.into_iter().copied().collect()
        };
        let newest = pool
            .iter()
            .filter(|r| r.gen_time.is_some())
            .max_by_key(|r| r.gen_time.clone());
        let gen = newest
            .and_then(|r| r.gen_time.as_deref())
            .and_then(inkan_trust::crl::parse_rfc3339);
        let not_after = newest
            .and_then(|r| r.tsa_path.as_ref())
            .and_then(|p| p.chain_der.first())
            .and_then(|c| x509_cert::Certificate::from_der(c).ok())
            .map(|c| c.tbs_certificate().validity().not_after.to_system_time());
        let algorithms = newest
            .and_then(|r| r.algorithms_until.as_deref())
            .and_then(inkan_trust::crl::parse_rfc3339);
        let end = match (not_after, algorithms) {
            (Some(n), Some(a)) => Some(n.min(a)),
            (n, None) => n,
            (None, a) => a,
        };
        let p = Protection {
            gen,
            not_after,
            algorithms,
            end,
        };
        // No end known (nothing holds) is the weakest of all.
        let weaker = match &weakest {
            None => true,
            Some(w) => match (p.end, w.end) {
                (None, _) => w.end.is_some() || p.gen < w.gen,
                (Some(_), None) => false,
                (Some(a), Some(b)) => a < b,
            },
        };
        if weaker {
            weakest = Some(p);
        }
    }
    Ok(Facts {
        level: LEVELS[level].to_owned(),
        newest: weakest.as_ref().and_then(|w| w.gen),
        tsa_not_after: weakest.as_ref().and_then(|w| w.not_after),
        algorithms_until: weakest.as_ref().and_then(|w| w.algorithms),
    })
}

/// `$INKAN_DATA_DIR`, else the app's data folder
/// (`$XDG_DATA_HOME/jp.inkan.desktop`, `~/.local/share/jp.inkan.desktop`),
/// joined with `archive.sqlite3`.
pub fn default_path() -> Option<PathBuf> {
    crate::settings::data_dir().map(|d| d.join("archive.sqlite3"))
}

fn rfc3339(t: SystemTime) -> String {
    inkan_trust::crl::rfc3339(t)
}

/// The register.
#[derive(Debug)]
pub struct Archive {
    conn: Connection,
}

impl Archive {
    /// Opens (creating if needed) the register at `path`.
    pub fn open(path: &Path) -> Result<Archive, ArchiveError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ArchiveError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS signatures (
                path TEXT PRIMARY KEY,
                content TEXT,
                added TEXT NOT NULL,
                level TEXT NOT NULL,
                newest_timestamp TEXT,
                tsa_not_after TEXT,
                renewed TEXT,
                sha256 TEXT NOT NULL,
                algorithms_until TEXT
            );",
        )?;
        // Registers made before algorithm expiry was tracked lack the
        // column; their entries get it at the next add or renewal.
        let has_column = conn
            .prepare(
                "SELECT 1 FROM pragma_table_info('signatures') WHERE name = 'algorithms_until'",
            )?
            .exists([])?;
        if !has_column {
            conn.execute_batch("ALTER TABLE signatures ADD COLUMN algorithms_until TEXT")?;
        }
        Ok(Archive { conn })
    }

    /// Adds (or refreshes) `signature`, with its document when detached.
    /// Its time-stamps count only when they hold under `check`.
    pub fn add(
        &self,
        signature: &Path,
        content: Option<&Path>,
        check: &StampCheck,
    ) -> Result<ArchiveEntry, ArchiveError> {
        let abs = |p: &Path| {
            std::fs::canonicalize(p).map_err(|source| ArchiveError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        let path = abs(signature)?;
        let content = content.map(abs).transpose()?;
        let bytes = std::fs::read(&path).map_err(|source| ArchiveError::Io {
            path: path.clone(),
            source,
        })?;
        // The document is read once for all the checks.
        let once = content
            .as_deref()
            .map(|c| inkan_validation::read_content_once(&bytes, c))
            .transpose()
            .map_err(|e| ArchiveError::NotASignature {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        let f = facts(&bytes, once.as_ref().map(|o| o.content()), check).map_err(|detail| {
            ArchiveError::NotASignature {
                path: path.clone(),
                detail,
            }
        })?;
        let entry = ArchiveEntry {
            path: path.clone(),
            content,
            added: rfc3339(SystemTime::now()),
            level: f.level,
            newest_timestamp: f.newest.map(rfc3339),
            tsa_not_after: f.tsa_not_after.map(rfc3339),
            algorithms_until: f.algorithms_until.map(rfc3339),
            renewed: None,
            sha256: hex::encode(Sha256::digest(&bytes)),
        };
        self.conn.execute(
            "INSERT INTO signatures (path, content, added, level, newest_timestamp, tsa_not_after, renewed, sha256, algorithms_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8)
             ON CONFLICT(path) DO UPDATE SET content = excluded.content, level = excluded.level,
                newest_timestamp = excluded.newest_timestamp, tsa_not_after = excluded.tsa_not_after,
                algorithms_until = excluded.algorithms_until,
                sha256 = excluded.sha256",
            params![
                entry.path.to_string_lossy(),
                entry.content.as_ref().map(|c| c.to_string_lossy().to_string()),
                entry.added,
                entry.level,
                entry.newest_timestamp,
                entry.tsa_not_after,
                entry.sha256,
                entry.algorithms_until
            ],
        )?;
        Ok(self.get(&entry.path)?.unwrap_or(entry))
    }

    /// The entry of `path` (absolute, as registered), if any.
    pub fn get(&self, path: &Path) -> Result<Option<ArchiveEntry>, ArchiveError> {
        Ok(self
            .conn
            .query_row(
                "SELECT path, content, added, level, newest_timestamp, tsa_not_after, renewed, sha256, algorithms_until FROM signatures WHERE path = ?1",
                params![path.to_string_lossy()],
                row,
            )
            .optional()?)
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<ArchiveEntry>, ArchiveError> {
        let mut stmt = self.conn.prepare(
            "SELECT path, content, added, level, newest_timestamp, tsa_not_after, renewed, sha256, algorithms_until FROM signatures ORDER BY added, path",
        )?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records that `path` was renewed: its new facts and hash.
    pub fn renewed(
        &self,
        path: &Path,
        bytes: &[u8],
        content: Option<inkan_cades::Content<'_>>,
        check: &StampCheck,
    ) -> Result<(), ArchiveError> {
        let f = facts(bytes, content, check).map_err(|detail| ArchiveError::NotASignature {
            path: path.to_path_buf(),
            detail,
        })?;
        self.conn.execute(
            "UPDATE signatures SET level = ?2, newest_timestamp = ?3, tsa_not_after = ?4, renewed = ?5, sha256 = ?6, algorithms_until = ?7 WHERE path = ?1",
            params![
                path.to_string_lossy(),
                f.level,
                f.newest.map(rfc3339),
                f.tsa_not_after.map(rfc3339),
                rfc3339(SystemTime::now()),
                hex::encode(Sha256::digest(bytes)),
                f.algorithms_until.map(rfc3339)
            ],
        )?;
        Ok(())
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArchiveEntry> {
    Ok(ArchiveEntry {
        path: PathBuf::from(r.get::<_, String>(0)?),
        content: r.get::<_, Option<String>>(1)?.map(PathBuf::from),
        added: r.get(2)?,
        level: r.get(3)?,
        newest_timestamp: r.get(4)?,
        tsa_not_after: r.get(5)?,
        renewed: r.get(6)?,
        sha256: r.get(7)?,
        algorithms_until: r.get(8)?,
    })
}

/// Whether `entry` needs a new archive time-stamp within `window`: it has
/// none yet (below LTA), or its newest time-stamp's TSA certificate
/// expires, or that time-stamp's algorithms stop protecting, within the
/// window.
pub fn due(entry: &ArchiveEntry, now: SystemTime, window: Duration) -> bool {
    if entry.level != "B-LTA" {
        return true;
    }
    let Some(na) = entry
        .tsa_not_after
        .as_deref()
        .and_then(inkan_trust::crl::parse_rfc3339)
    else {
        return true;
    };
    // Unreadable: the safe side.
    let algorithms = entry
        .algorithms_until
        .as_deref()
        .map(|t| inkan_trust::crl::parse_rfc3339(t).unwrap_or(SystemTime::UNIX_EPOCH));
    let end = algorithms.map_or(na, |a| a.min(na));
    end <= now + window
}
