//! Reusing a validated path for the next letter with the same signer
//! certificate, within one process.
//!
//! A batch of letters from one physician repeats the same path validation:
//! the same signer certificate, the same CA certificates, the same CRLs.
//! Only the validation time differs from letter to letter, and RFC 5280 §6
//! and §6.3.3 use that time in nothing but comparisons: with each
//! certificate's notBefore and notAfter, with each CRL's thisUpdate and
//! nextUpdate, with revocation dates. So a [`PathReport`] computed at time
//! `t0` is the report at any time `t` that compares with every one of those
//! instants as `t0` did.
//!
//! That is how reuse is made sound by construction rather than by review:
//! the path engine never sees the validation time as a value, only an
//! [`At`], whose comparisons are written down. Wherever the time itself
//! ends up in the report (a failure text "validation time …"), [`At::text`]
//! marks the result as valid for that exact instant only. The other inputs
//! of a validation are compared in full (the certificates, the trust store,
//! the CRLs given or carried, the settings), and the CRLs read from the
//! cache directory are checked to be the same files (device, inode, size,
//! modification and change times) and still current, so that a run which
//! would have fetched a newer CRL is never replaced by a remembered one.
//! A validation that fetched anything, or could not read a cached file, is
//! not remembered at all.
//!
//! The memo is bounded (entries and bytes) and can be turned off
//! ([`set_enabled`]); `crates/inkan-validation/tests/cache.rs` runs a mixed
//! batch with it off and on and compares the reports.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use crate::crl::{rfc3339, RevocationConfig};
use crate::path::{PathInput, PathReport, ValidationProfile};
use crate::rfc5280_policy::PolicySettings;
use crate::store::TrustStore;

/// More distinct instants than this compared with the validation time, and
/// the result is kept for its exact time only (a CRL with thousands of
/// entries for the same serial is not worth describing).
const MAX_INSTANTS: usize = 64;

/// The validation time as the path engine sees it: comparable, not readable.
#[derive(Debug)]
pub(crate) struct At {
    t: SystemTime,
    log: RefCell<TimeLog>,
}

/// What a validation learnt about its time.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimeLog {
    /// Each instant compared with the validation time, and how it compared.
    instants: Vec<(SystemTime, Ordering)>,
    /// The result depends on the exact time (it was written into a text).
    exact: bool,
}

impl At {
    pub(crate) fn new(t: SystemTime) -> Self {
        At {
            t,
            log: RefCell::new(TimeLog::default()),
        }
    }

    /// How the validation time compares with `other`.
    pub(crate) fn cmp(&self, other: SystemTime) -> Ordering {
        let o = self.t.cmp(&other);
        let mut log = self.log.borrow_mut();
        if !log.exact && !log.instants.iter().any(|(i, _)| *i == other) {
            if log.instants.len() >= MAX_INSTANTS {
                log.exact = true;
            } else {
                log.instants.push((other, o));
            }
        }
        o
    }

    /// The validation time is before `other`.
    pub(crate) fn before(&self, other: SystemTime) -> bool {
        self.cmp(other) == Ordering::Less
    }

    /// The validation time is after `other`.
    pub(crate) fn after(&self, other: SystemTime) -> bool {
        self.cmp(other) == Ordering::Greater
    }

    /// The time as text (RFC 3339): whatever uses it holds for this instant
    /// only.
    pub(crate) fn text(&self) -> String {
        self.log.borrow_mut().exact = true;
        rfc3339(self.t)
    }

    pub(crate) fn into_log(self) -> TimeLog {
        self.log.into_inner()
    }
}

impl TimeLog {
    /// Whether a validation at `t` would have compared as the one at `t0` did.
    fn admits(&self, t0: SystemTime, t: SystemTime) -> bool {
        if self.exact {
            return t == t0;
        }
        self.instants.iter().all(|(i, o)| t.cmp(i) == *o)
    }
}

/// A file's identity: when any of it differs, the file may have changed.
/// The change time cannot be set by a program, and a file replaced by
/// rename (as the cache is written) has another inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileId {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    unix: (u64, u64, i64, i64),
    #[cfg(not(unix))]
    created: Option<SystemTime>,
}

impl FileId {
    pub(crate) fn of(path: &Path) -> std::io::Result<Self> {
        let m = std::fs::metadata(path)?;
        Ok(Self::from_metadata(&m))
    }

    pub(crate) fn from_metadata(m: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        FileId {
            len: m.len(),
            modified: m.modified().ok(),
            #[cfg(unix)]
            unix: (m.dev(), m.ino(), m.ctime(), m.ctime_nsec()),
            #[cfg(not(unix))]
            created: m.created().ok(),
        }
    }
}

/// Whether [`FileId`] can tell a rewritten file: on Unix the change time
/// moves with every write and no program can set it back. Elsewhere
/// (Windows) every part of it can be set by a program, so a validation
/// that read a cached CRL is not remembered there.
pub(crate) const FILE_IDENTITY_RELIABLE: bool = cfg!(unix);

/// One look at the CRL cache directory during a validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CacheLook {
    /// The cache file consulted.
    pub(crate) path: PathBuf,
    /// The file as it was (`None`: there was none).
    pub(crate) file: Option<FileId>,
    /// The nextUpdate of the CRL it held, which decides whether a fetch is
    /// due.
    pub(crate) next_update: Option<SystemTime>,
    /// Whether that CRL was current then (no fetch due).
    pub(crate) was_current: bool,
}

impl CacheLook {
    /// Whether the file is the same and a fetch would be due, or not, as it
    /// was.
    fn holds(&self, now: SystemTime) -> bool {
        FileId::of(&self.path).ok() == self.file
            && self.next_update.is_some_and(|n| now < n) == self.was_current
    }
}

/// What a validation read outside its inputs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outside {
    /// The cache files consulted.
    pub(crate) looks: Vec<CacheLook>,
    /// Something was fetched or could not be read: not to be remembered.
    pub(crate) volatile: bool,
}

static ENABLED: AtomicBool = AtomicBool::new(true);
static HITS: AtomicU64 = AtomicU64::new(0);

/// Turns reuse of validated paths on or off for this process (on by
/// default); turning it off forgets every remembered path.
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, AtomicOrdering::Relaxed);
    if !enabled {
        if let Ok(mut m) = memo().lock() {
            *m = Memo::default();
        }
    }
}

/// How many validations were answered from the memo since the process
/// started.
pub fn hits() -> u64 {
    HITS.load(AtomicOrdering::Relaxed)
}

/// Remembered validations at most, and bytes of their inputs and reports.
const MAX_ENTRIES: usize = 4096;
const MAX_BYTES: usize = 32 << 20;
/// The largest end-entity certificate whose validation is remembered.
const MAX_CERTIFICATE: usize = 16 << 10;
/// Results kept per signer certificate and inputs (different times and
/// settings), newest replacing oldest.
const PER_KEY: usize = 4;

/// What a report holds on the heap, about: its texts (names from
/// certificates, which a hostile certificate makes long), the chain's DER
/// and the CRLs it names (shared with the parsed-CRL table, counted here
/// all the same, as they outlive it once that is cleared).
fn report_bytes(r: &PathReport) -> usize {
    use crate::crl::{RevocationSource, RevocationStatus};
    let chain: usize = r
        .chain
        .iter()
        .map(|c| {
            c.subject.len()
                + c.issuer.len()
                + c.serial.len()
                + c.not_before.len()
                + c.not_after.len()
                + c.sha256.len()
                + 64
        })
        .sum();
    let source = |s: &RevocationSource| match s {
        RevocationSource::Cache(p) => p.as_os_str().len(),
        RevocationSource::Fetched(u) => u.len(),
        _ => 0,
    };
    let revocation: usize = r
        .revocation
        .iter()
        .map(|i| {
            let status = match &i.status {
                RevocationStatus::Good => 0,
                RevocationStatus::Revoked { at, reason } => {
                    at.len() + reason.as_ref().map_or(0, String::len)
                }
                RevocationStatus::Unknown { why } => why.len(),
            };
            let crls: usize = i
                .crls
                .iter()
                .map(|c| {
                    source(&c.source)
                        + c.issuer.len()
                        + c.number.as_ref().map_or(0, String::len)
                        + c.this_update.len()
                        + c.next_update.as_ref().map_or(0, String::len)
                        + c.scope.len()
                        + c.der.len()
                        + 64
                })
                .sum();
            i.subject.len() + status + source(&i.source) + 2 * 32 + crls + 64
        })
        .sum();
    let status = match r.status.failure() {
        Some(f) => format!("{f:?}").len(),
        None => 0,
    };
    chain
        + revocation
        + status
        + r.role_error.as_ref().map_or(0, String::len)
        + r.role.as_ref().map_or(0, |role| format!("{role:?}").len())
        + r.chain_der.iter().map(Vec::len).sum::<usize>()
}

#[derive(Default)]
struct Memo {
    /// By end-entity certificate (DER).
    map: HashMap<Vec<u8>, Vec<Entry>>,
    entries: usize,
    bytes: usize,
}

/// Everything a validation depends on apart from its time and the cache
/// files, compared in full (no digest stands for them).
#[derive(Clone, PartialEq, Eq)]
struct Inputs {
    pool: Vec<Vec<u8>>,
    trust: TrustStore,
    profile: ValidationProfile,
    policy: Option<PolicySettings>,
    revocation: RevocationConfig,
}

impl Inputs {
    fn same_as(&self, input: &PathInput<'_>) -> bool {
        self.pool.as_slice() == input.pool
            && self.profile == input.profile
            && self.policy.as_ref() == input.policy
            && self.revocation == *input.revocation
            && self.trust == *input.trust
    }

    fn of(input: &PathInput<'_>) -> Self {
        Inputs {
            pool: input.pool.to_vec(),
            trust: input.trust.clone(),
            profile: input.profile,
            policy: input.policy.cloned(),
            revocation: input.revocation.clone(),
        }
    }

    fn bytes(&self) -> usize {
        let trust = match &self.trust {
            TrustStore::Test { anchors, pool, .. } => {
                anchors.iter().chain(pool).map(Vec::len).sum::<usize>()
            }
            _ => 0,
        };
        self.pool.iter().map(Vec::len).sum::<usize>()
            + self
                .revocation
                .signature_crls
                .iter()
                .map(Vec::len)
                .sum::<usize>()
            + self.revocation.crls.iter().map(Vec::len).sum::<usize>()
            + trust
    }
}

struct Entry {
    inputs: Inputs,
    t0: SystemTime,
    log: TimeLog,
    looks: Vec<CacheLook>,
    report: PathReport,
    bytes: usize,
}

fn memo() -> &'static Mutex<Memo> {
    static M: OnceLock<Mutex<Memo>> = OnceLock::new();
    M.get_or_init(|| Mutex::new(Memo::default()))
}

/// The remembered report for `input`, if there is one that holds at its
/// time.
pub(crate) fn recall(input: &PathInput<'_>) -> Option<PathReport> {
    if !ENABLED.load(AtomicOrdering::Relaxed) {
        return None;
    }
    let at = input.at;
    let candidates: Vec<(Vec<CacheLook>, PathReport)> = {
        let m = memo().lock().ok()?;
        m.map
            .get(input.end_entity)?
            .iter()
            .filter(|e| e.log.admits(e.t0, at) && e.inputs.same_as(input))
            .map(|e| (e.looks.clone(), e.report.clone()))
            .collect()
    };
    // The cache files are looked at outside the lock.
    let now = SystemTime::now();
    for (looks, mut report) in candidates {
        // A validation that found its cached CRLs current would, now that
        // one is due, fetch instead (or say it is offline).
        if looks.iter().all(|l| l.holds(now)) {
            report.time_used = at;
            HITS.fetch_add(1, AtomicOrdering::Relaxed);
            return Some(report);
        }
    }
    None
}

/// Remembers `report`, the validation of `input`, unless it read something
/// that may not be the same next time.
pub(crate) fn remember(input: &PathInput<'_>, log: TimeLog, outside: Outside, report: &PathReport) {
    if !ENABLED.load(AtomicOrdering::Relaxed) || outside.volatile {
        return;
    }
    // Real certificates are 1–2 KB; a larger one is validated each time.
    if input.end_entity.len() > MAX_CERTIFICATE {
        return;
    }
    let inputs = Inputs::of(input);
    let bytes = input.end_entity.len() + inputs.bytes() + report_bytes(report) + 1024;
    if bytes > MAX_BYTES / 8 {
        return;
    }
    let Ok(mut m) = memo().lock() else { return };
    if m.entries >= MAX_ENTRIES || m.bytes + bytes > MAX_BYTES {
        *m = Memo::default();
    }
    let entry = Entry {
        inputs,
        t0: input.at,
        log,
        looks: outside.looks,
        report: report.clone(),
        bytes,
    };
    let list = m.map.entry(input.end_entity.to_vec()).or_default();
    let mut freed = 0;
    let mut removed = 0;
    if list.len() >= PER_KEY {
        let old = list.remove(0);
        freed = old.bytes;
        removed = 1;
    }
    list.push(entry);
    m.entries = m.entries + 1 - removed;
    m.bytes = m.bytes + bytes - freed;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_log_admits_only_times_that_compare_alike() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let at = At::new(t0);
        assert!(at.after(t0 - Duration::from_secs(100)));
        assert!(at.before(t0 + Duration::from_secs(100)));
        let log = at.into_log();
        assert!(log.admits(t0, t0 + Duration::from_secs(99)));
        assert!(log.admits(t0, t0 - Duration::from_secs(99)));
        assert!(!log.admits(t0, t0 + Duration::from_secs(100)));
        assert!(!log.admits(t0, t0 - Duration::from_secs(100)));
    }

    #[test]
    fn a_time_written_out_holds_for_that_instant_only() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let at = At::new(t0);
        let _ = at.text();
        let log = at.into_log();
        assert!(log.admits(t0, t0));
        assert!(!log.admits(t0, t0 + Duration::from_nanos(1)));
    }

    #[test]
    fn too_many_instants_make_the_result_exact() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = At::new(t0);
        for k in 0..(MAX_INSTANTS as u64 + 1) {
            at.before(t0 + Duration::from_secs(k + 1));
        }
        let log = at.into_log();
        assert!(!log.admits(t0, t0 + Duration::from_secs(1) / 2));
    }
}
