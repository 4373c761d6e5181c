//! Verifying what a receiving doctor gets: a document with its `.p7s`, a
//! `.p7s`/`.p7m` on its own, or a signed referral package; one file or a folder.

use crate::error::WorkflowError;
use crate::history::{record_to, Action, History, NewEntry};
use crate::letter::read_limited;
use inkan_l10n::{Localized, Message, Text};
use inkan_referral::package::{Package, PackageProblem, SIGNATURE_NAME};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{CheckStatus, DocumentPolicy, Indication, Options, ValidationReport};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The environment variable that selects a TEST trust store (a directory
/// written by `inkan testpki generate`); unset, the pinned MHLW root is used.
/// Only developer builds (feature `test-trust`) read it: see [`test_trust_dir`].
pub const TEST_PKI_ENV: &str = "INKAN_TEST_PKI";

/// The TEST trust directory named by [`TEST_PKI_ENV`].
///
/// Release packages are built without the `test-trust` feature, so an
/// installed Inkan trusts the pinned MHLW root and nothing an environment
/// variable can add: a clinic's app cannot be talked into calling a TEST
/// signature 有効.
pub fn test_trust_dir() -> Option<PathBuf> {
    #[cfg(feature = "test-trust")]
    {
        std::env::var_os(TEST_PKI_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }
    #[cfg(not(feature = "test-trust"))]
    {
        None
    }
}

/// The largest signature file read: 16 MiB (real ones are a few kilobytes;
/// an attached `.p7m` carries its letter).
const MAX_SIGNATURE_BYTES: u64 = 16 * 1024 * 1024;

/// What to verify against.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// The trust store.
    pub trust: TrustStore,
    /// Where fetched CRLs are cached (and read from when offline).
    pub crl_cache: Option<PathBuf>,
    /// Never fetch CRLs over the network.
    pub offline: bool,
    /// Time-stamp authority trust anchors (DER), from the settings.
    pub tsa_trust: Vec<Vec<u8>>,
}

fn trust_message<E: Localized>(e: &E) -> WorkflowError {
    WorkflowError::Trust {
        message: Message::from(e),
    }
}

impl VerifyConfig {
    /// The app's configuration: a TEST store when [`TEST_PKI_ENV`] names a
    /// directory, else the pinned default store; CRLs fetched and cached.
    pub fn from_env(crl_cache: Option<PathBuf>) -> Result<VerifyConfig, WorkflowError> {
        let trust = match test_trust_dir() {
            Some(dir) => TrustStore::test_from_dir(&dir).map_err(|e| trust_message(&e))?,
            None => TrustStore::default_store().map_err(|e| trust_message(&e))?,
        };
        // Unreadable TSA settings must not stop verification: without TSA
        // trust a time-stamp only counts for less.
        let tsa_trust = crate::settings::tsa_trust_anchors(&[]).unwrap_or_default();
        Ok(VerifyConfig {
            trust,
            crl_cache,
            offline: false,
            tsa_trust,
        })
    }

    fn options(&self) -> Options {
        Options {
            trust: self.trust.clone(),
            at: None,
            revocation: RevocationConfig {
                cache_dir: self.crl_cache.clone(),
                fetch: !self.offline,
                ..RevocationConfig::default()
            },
            policy: DocumentPolicy::ReferralLetter,
            tsa_trust: self.tsa_trust.clone(),
        }
    }
}

/// The trust mode badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustMode {
    /// A TEST store is in use: every verdict must say TEST.
    pub test: bool,
    /// Where the trust comes from.
    pub label: String,
}

/// The trust mode the app runs in (see [`VerifyConfig::from_env`]).
pub fn trust_mode() -> TrustMode {
    match test_trust_dir() {
        Some(dir) => TrustMode {
            test: true,
            label: match TrustStore::test_from_dir(&dir) {
                Ok(t) => t.label(),
                Err(e) => format!("TEST {} ({e})", dir.display()),
            },
        },
        None => TrustMode {
            test: false,
            label: TrustStore::Default.label(),
        },
    }
}

/// The result for one input.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyItem {
    /// The file verified (the document, the signature or the package).
    pub file: String,
    /// The signature used (`<package>#manifest.json.p7s` for a package).
    pub signature: Option<String>,
    /// The validation report, when a signature could be validated.
    pub report: Option<ValidationReport>,
    /// Why nothing could be validated.
    pub error: Option<Message>,
}

impl VerifyItem {
    fn failed(file: &Path, signature: Option<&Path>, e: &WorkflowError) -> VerifyItem {
        VerifyItem {
            file: file.display().to_string(),
            signature: signature.map(|s| s.display().to_string()),
            report: None,
            error: Some(e.message()),
        }
    }

    /// The signing log's record of this verification: the file's SHA-256
    /// (hashed in chunks), the signer certificate's fingerprint, the verdict.
    fn audit(&self) {
        let path = Path::new(&self.file);
        let doc_sha256 = crate::audit::sha256_file(path).unwrap_or_default();
        let signer = self.report.as_ref().and_then(|r| r.signer.as_ref());
        crate::audit::record(&crate::audit::NewAudit {
            action: crate::audit::AuditAction::Verified,
            doc_sha256,
            doc_name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.file.clone()),
            signer_fingerprint: signer.map(|s| s.fingerprint_sha256.clone()),
            signer_holder: signer.map(|s| s.name_kanji.clone().unwrap_or_else(|| s.name.clone())),
            verdict: Some(match (&self.report, &self.error) {
                (Some(r), _) => r.indication.as_str().to_string(),
                (None, Some(e)) => format!("ERROR {}", e.code),
                (None, None) => "ERROR".into(),
            }),
        });
    }

    fn history_entry(&self) -> NewEntry {
        NewEntry {
            action: Action::Verified,
            file: self.file.clone(),
            verdict: self
                .report
                .as_ref()
                .map(|r| r.indication.as_str().to_string()),
            signer: self
                .report
                .as_ref()
                .and_then(|r| r.signer.as_ref())
                .map(|s| s.name_kanji.clone().unwrap_or_else(|| s.name.clone())),
        }
    }
}

fn ext_of(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Verifies one input: a document (its signature is `<path>.p7s`), a
/// `.p7s`/`.p7`/`.p7m` (the content is the same name without the extension,
/// when present), or a signed package. Never fails: an input that cannot be
/// read gives an item with `error`.
pub fn verify_path(path: &Path, cfg: &VerifyConfig) -> VerifyItem {
    let ext = ext_of(path);
    if matches!(ext.as_str(), "p7s" | "p7m" | "p7") {
        let content = path.with_extension("");
        let content = (ext != "p7m" && content.is_file()).then_some(content);
        return detached(path, path, content.as_deref(), cfg);
    }
    if ext == "zip" {
        return package(path, cfg);
    }
    let sig = with_suffix(path, ".p7s");
    if sig.is_file() {
        return detached(path, &sig, Some(path), cfg);
    }
    // A package under another name is still a package.
    let mut head = [0u8; 4];
    let looks_zip = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|()| is_zip(&head))
        .unwrap_or(false);
    if looks_zip {
        return package(path, cfg);
    }
    let e = if path.exists() {
        WorkflowError::NoSignature {
            path: path.to_path_buf(),
        }
    } else {
        WorkflowError::NotFound {
            path: path.to_path_buf(),
        }
    };
    VerifyItem::failed(path, None, &e)
}

fn detached(
    file: &Path,
    sig_path: &Path,
    content: Option<&Path>,
    cfg: &VerifyConfig,
) -> VerifyItem {
    // The document is hashed from its file, chunk by chunk, whatever its
    // size; it only has to be readable.
    let loaded = read_limited(sig_path, MAX_SIGNATURE_BYTES).and_then(|sig| {
        if let Some(c) = content {
            // Metadata, not open: opening a FIFO blocks.
            let m = std::fs::metadata(c).map_err(|e| WorkflowError::read(c, e))?;
            if !m.is_file() {
                return Err(WorkflowError::read(
                    c,
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
                ));
            }
        }
        Ok((sig, content))
    });
    match loaded {
        Ok((sig, content)) => VerifyItem {
            file: file.display().to_string(),
            signature: Some(sig_path.display().to_string()),
            report: Some(inkan_validation::validate_content(
                &sig,
                content.map(inkan_cades::Content::File),
                &cfg.options(),
            )),
            error: None,
        },
        Err(e) => VerifyItem::failed(file, Some(sig_path), &e),
    }
}

fn is_hash_problem(p: &PackageProblem) -> bool {
    matches!(
        p,
        PackageProblem::HashMismatch { .. }
            | PackageProblem::SizeMismatch { .. }
            | PackageProblem::MissingFile { .. }
            | PackageProblem::NotInManifest { .. }
    )
}

/// A package whose files do not match its signed manifest (or whose content
/// is otherwise unacceptable) is TOTAL_FAILED, whatever the signature says.
fn fail_content(report: &mut ValidationReport, code: &str, why: Text, hash: bool) {
    if report.indication != Indication::TotalFailed {
        report.indication = Indication::TotalFailed;
        report.sub_indication = Some(
            if hash {
                "HASH_FAILURE"
            } else {
                "FORMAT_FAILURE"
            }
            .into(),
        );
        report.summary = Text::new(
            format!(
                "無効: パッケージの内容が署名された内容と一致しません（{}）",
                why.ja
            ),
            format!(
                "Invalid: the package's content does not match what was signed ({})",
                why.en
            ),
        );
    }
    let message = Text::new(
        format!("パッケージの各ファイルの検査に失敗しました: {}", why.ja),
        format!("package file check failed: {}", why.en),
    );
    match report.checks.iter_mut().find(|c| c.id == "content_digest") {
        Some(c) => {
            c.status = CheckStatus::Failed;
            c.message = message;
            c.code = Some(code.to_string());
        }
        None => report.checks.push(inkan_validation::Check {
            id: "content_digest",
            status: CheckStatus::Failed,
            message,
            code: Some(code.to_string()),
        }),
    }
}

fn joined(texts: &[Text]) -> Text {
    Text::new(
        texts
            .iter()
            .map(|t| t.ja.as_str())
            .collect::<Vec<_>>()
            .join(" / "),
        texts
            .iter()
            .map(|t| t.en.as_str())
            .collect::<Vec<_>>()
            .join(" / "),
    )
}

fn package(path: &Path, cfg: &VerifyConfig) -> VerifyItem {
    let sig_label = with_suffix(path, &format!("#{SIGNATURE_NAME}"));
    // One pass over the file, entry by entry: attachments are hashed as
    // they are inflated, never held. The manifest and its signature come
    // from that same pass, so that a package whose files were altered still
    // shows who signed it, and that it fails.
    let inspection = Package::inspect_file(path);
    let opened = inspection.opened;
    let (manifest, signature) = match (inspection.manifest_bytes, inspection.signature) {
        (Some(m), Some(s)) => (m, s),
        (Some(_), None) => {
            let e = WorkflowError::UnsignedPackage {
                path: path.to_path_buf(),
            };
            return VerifyItem::failed(path, None, &e);
        }
        (None, _) => {
            let e = match opened {
                Err(e) => WorkflowError::Package(e),
                Ok(_) => WorkflowError::Internal {
                    detail: "the package's manifest cannot be read".into(),
                },
            };
            return VerifyItem::failed(path, None, &e);
        }
    };
    let mut report = inkan_validation::validate(&signature, Some(&manifest), &cfg.options());
    let problems = match &opened {
        Ok(o) => o.problems(),
        Err(e) => e.problems(),
    };
    if !problems.is_empty() {
        let hash = problems.iter().any(is_hash_problem);
        let first = problems
            .iter()
            .find(|p| is_hash_problem(p))
            .unwrap_or(&problems[0]);
        let texts: Vec<Text> = problems.iter().map(Localized::text).collect();
        fail_content(&mut report, first.code(), joined(&texts), hash);
    } else if let Err(e) = &opened {
        fail_content(&mut report, e.code(), e.text(), false);
    }
    VerifyItem {
        file: path.display().to_string(),
        signature: Some(sig_label.display().to_string()),
        report: Some(report),
        error: None,
    }
}

/// [`verify_path`] for each path, recording each result in `history`.
pub fn verify_paths(
    paths: &[PathBuf],
    cfg: &VerifyConfig,
    history: Option<&Mutex<History>>,
) -> Vec<VerifyItem> {
    paths
        .iter()
        .map(|p| {
            let item = verify_path(p, cfg);
            record_to(history, item.history_entry());
            item.audit();
            item
        })
        .collect()
}

/// The signature-bearing inputs of a folder, sorted: packages (`.zip`),
/// `.p7m`, and `.p7s`/`.p7` — as their document when it is next to them, so
/// that a document and its signature count once. Hidden files are skipped.
pub fn folder_inputs(dir: &Path) -> Result<Vec<PathBuf>, WorkflowError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(WorkflowError::NotADirectory {
                path: dir.to_path_buf(),
            })
        }
        Err(e) => return Err(WorkflowError::read(dir, e)),
    }
    let entries = std::fs::read_dir(dir).map_err(|e| WorkflowError::read(dir, e))?;
    let mut out: Vec<PathBuf> = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden || !path.is_file() {
            continue;
        }
        let target = match ext_of(&path).as_str() {
            "zip" | "p7m" => path,
            "p7s" | "p7" => {
                let content = path.with_extension("");
                if content.is_file() {
                    content
                } else {
                    path
                }
            }
            _ => continue,
        };
        if !out.contains(&target) {
            out.push(target);
        }
    }
    out.sort();
    Ok(out)
}

/// Verifies every signature-bearing file of `dir` (see [`folder_inputs`]) in
/// order, calling `progress(done, total)` after each and recording each in
/// `history`.
pub fn verify_folder(
    dir: &Path,
    cfg: &VerifyConfig,
    history: Option<&Mutex<History>>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<VerifyItem>, WorkflowError> {
    let inputs = folder_inputs(dir)?;
    let total = inputs.len();
    let mut items = Vec::with_capacity(total);
    for (i, p) in inputs.iter().enumerate() {
        let item = verify_path(p, cfg);
        record_to(history, item.history_entry());
        item.audit();
        items.push(item);
        progress(i + 1, total);
    }
    Ok(items)
}

/// Writes verification results as pretty JSON, atomically (a previous export
/// at `path` is replaced as a whole).
pub fn export_reports<T: Serialize + ?Sized>(items: &T, path: &Path) -> Result<(), WorkflowError> {
    let mut json = serde_json::to_vec_pretty(items).map_err(|e| WorkflowError::Internal {
        detail: e.to_string(),
    })?;
    json.push(b'\n');
    if path.is_dir() {
        return Err(WorkflowError::Write {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "a folder"),
        });
    }
    inkan_referral::write_atomic(path, &json).map_err(|e| WorkflowError::write(path, e))
}
