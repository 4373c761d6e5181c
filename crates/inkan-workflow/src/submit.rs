//! Submission (送信) over the outbox ([`inkan_outbox`]): what may be queued,
//! and the signing log's record of each delivery.
//!
//! Only a **signed** document whose signature verifies is queued: the bytes
//! are read once, copied to a private folder, verified there, and those
//! same bytes are what the outbox keeps and delivers; a file changed after
//! it was checked cannot slip through. The verdict must be 有効
//! (`TOTAL_PASSED`), or 判定不能 (`INDETERMINATE`) when the user explicitly
//! chose to send it anyway; the item records the verdict it was queued with.

use crate::error::WorkflowError;
use crate::letter::read_limited;
use crate::verify::{verify_path, VerifyConfig};
use inkan_l10n::{Message, Text};
use inkan_outbox::config::Destinations;
use inkan_outbox::{
    Artefact, AuthorMeta, DocumentMeta, IdempotencyKey, Item, NewItem, Outbox, PatientMeta,
    Receipt, Role,
};
use inkan_referral::{Format, ReferralLetter};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The most read of one document to send (a package may hold 200 MiB).
const MAX_SEND_BYTES: u64 = inkan_referral::package::MAX_PACKAGE_BYTES as u64;

/// What queueing one file came to.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    /// The file given.
    pub file: String,
    /// The verdict it was verified with (`TOTAL_PASSED` …).
    pub verdict: Option<String>,
    /// The queued item.
    pub item: Option<Item>,
    /// Why it was not queued.
    pub error: Option<Message>,
}

/// The files of one submission as read from disk.
struct Read {
    doc: (String, Vec<u8>),
    sig: Option<(String, Vec<u8>)>,
    package: bool,
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_submission(path: &Path) -> Result<Read, WorkflowError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    // A signature given instead of its document: send the pair.
    let doc_path = if ext == "p7s" {
        path.with_extension("")
    } else {
        path.to_path_buf()
    };
    let bytes = read_limited(&doc_path, MAX_SEND_BYTES)?;
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(Read {
            doc: (name_of(&doc_path), bytes),
            sig: None,
            package: true,
        });
    }
    let mut sig_path = doc_path.as_os_str().to_owned();
    sig_path.push(".p7s");
    let sig_path = PathBuf::from(sig_path);
    if !sig_path.is_file() {
        return Err(WorkflowError::NoSignature { path: doc_path });
    }
    let sig = read_limited(&sig_path, 16 * 1024 * 1024)?;
    Ok(Read {
        doc: (name_of(&doc_path), bytes),
        sig: Some((name_of(&sig_path), sig)),
        package: false,
    })
}

/// A private folder for the copies that are verified.
fn scratch(data_dir: &Path) -> Result<PathBuf, WorkflowError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let d = data_dir.join("outbox-check").join(format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&d)
            .map_err(|e| WorkflowError::Write {
                path: d.clone(),
                source: e,
            })?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(&d).map_err(|e| WorkflowError::Write {
        path: d.clone(),
        source: e,
    })?;
    Ok(d)
}

fn sex_code(s: inkan_referral::model::Sex) -> &'static str {
    use inkan_referral::model::Sex;
    match s {
        Sex::Male => "M",
        Sex::Female => "F",
        Sex::Other => "O",
        Sex::Unknown => "U",
    }
}

fn meta_of(letter: &ReferralLetter, format: &str, signed_utc: Option<String>) -> DocumentMeta {
    DocumentMeta {
        title: "診療情報提供書".into(),
        type_code: "57133-1".into(),
        type_display: "Referral note".into(),
        created: letter.created.clone(),
        format: format.into(),
        patient: PatientMeta {
            id: letter.patient.id.clone(),
            id_oid: format!("1.2.392.100495.20.3.51.1{}", letter.from.institution.number),
            name: letter.patient.name.clone(),
            kana: letter.patient.kana.clone(),
            sex: sex_code(letter.patient.sex).into(),
            birth_date: letter.patient.birth_date.clone(),
        },
        author: AuthorMeta {
            name: letter.from.doctor.name.clone(),
            institution_number: letter.from.institution.number.clone(),
            institution_name: letter.from.institution.name.clone(),
            department: letter.from.institution.department.clone(),
        },
        recipient: Some(letter.to.institution.name.clone()).filter(|n| !n.is_empty()),
        signed_utc,
    }
}

/// Verifies and queues one file for `to` (already resolved).
fn queue_one(
    path: &Path,
    dest: &inkan_outbox::config::Resolved,
    allow_indeterminate: bool,
    cfg: &VerifyConfig,
    data_dir: &Path,
    outbox: &mut Outbox,
) -> Result<(String, Item), WorkflowError> {
    let read = read_submission(path)?;
    // Verify the very bytes that will be queued.
    let dir = scratch(data_dir)?;
    let checked = (|| {
        let doc_copy = dir.join(&read.doc.0);
        std::fs::write(&doc_copy, &read.doc.1).map_err(|e| WorkflowError::Write {
            path: doc_copy.clone(),
            source: e,
        })?;
        if let Some((n, b)) = &read.sig {
            let p = dir.join(n);
            std::fs::write(&p, b).map_err(|e| WorkflowError::Write {
                path: p.clone(),
                source: e,
            })?;
        }
        Ok::<_, WorkflowError>(verify_path(&doc_copy, cfg))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let v = checked?;
    let report = match (v.report, v.error) {
        (Some(r), _) => r,
        (None, Some(m)) => {
            return Err(WorkflowError::NotSendable {
                path: path.to_path_buf(),
                indication: "ERROR".into(),
                summary: Text::new(m.ja, m.en),
            })
        }
        (None, None) => {
            return Err(WorkflowError::Internal {
                detail: "verification gave no report".into(),
            })
        }
    };
    let indication = report.indication.as_str().to_string();
    // 判定不能 by choice means "could not be decided" (no CRL reachable,
    // say), never "revoked, and nothing proves it signed before": such a
    // signature is not sent whatever the choice.
    let revoked = report
        .sub_indication
        .as_deref()
        .is_some_and(|s| s.contains("REVOKED"));
    let acceptable = match report.indication {
        inkan_validation::Indication::TotalPassed => true,
        inkan_validation::Indication::Indeterminate => allow_indeterminate && !revoked,
        inkan_validation::Indication::TotalFailed => false,
    };
    if !acceptable {
        return Err(WorkflowError::NotSendable {
            path: path.to_path_buf(),
            indication,
            summary: report.summary.clone(),
        });
    }
    let verdict = if report.trust.test {
        format!("{indication} (TEST)")
    } else {
        indication.clone()
    };
    // The letter inside, for the metadata receivers index by.
    let (letter_bytes, format) = if read.package {
        let opened =
            inkan_referral::package::Package::open(&read.doc.1).map_err(WorkflowError::Package)?;
        (opened.letter().bytes.clone(), "package")
    } else {
        let f = match inkan_referral::detect(&read.doc.1)? {
            Format::Hs008 => "HS008",
            Format::Hs038 => "HS038",
            Format::Package => "package",
        };
        (read.doc.1.clone(), f)
    };
    let letter = inkan_referral::read(&letter_bytes)?.letter;
    let signed_utc = report
        .best_signature_time
        .clone()
        .or_else(|| report.claimed_signing_time.clone());
    let meta = meta_of(&letter, format, signed_utc);
    // The package was opened above: its letter's bytes carry the identifier.
    let key = match inkan_referral::document_identifier(&letter_bytes) {
        Some((system, value)) => IdempotencyKey { system, value },
        None => IdempotencyKey {
            system: "urn:inkan:sha256".into(),
            value: crate::audit::sha256_hex(&read.doc.1),
        },
    };
    let mut artefacts = Vec::new();
    if read.package {
        artefacts.push(Artefact::new(
            read.doc.0.clone(),
            Role::Package,
            "application/zip",
            read.doc.1.clone(),
        ));
    } else {
        let media = if format == "HS038" {
            "application/fhir+json"
        } else {
            "text/xml"
        };
        artefacts.push(Artefact::new(
            read.doc.0.clone(),
            Role::Document,
            media,
            read.doc.1.clone(),
        ));
        if let Some((n, b)) = &read.sig {
            artefacts.push(Artefact::new(
                n.clone(),
                Role::Signature,
                "application/pkcs7-signature",
                b.clone(),
            ));
            // The signature with the letter inside, for carriers that
            // re-serialise the JSON (FHIR Bundle.signature).
            if format == "HS038" {
                let p7m = inkan_cades::augment::encapsulate_content(b, &read.doc.1)
                    .map_err(WorkflowError::Cades)?;
                artefacts.push(Artefact::new(
                    format!("{}.p7m", read.doc.0),
                    Role::Enveloped,
                    "application/pkcs7-mime",
                    p7m,
                ));
            }
        }
    }
    let signer = report.signer.as_ref();
    let item = outbox.queue(&NewItem {
        destination: dest.destination.clone(),
        dest_name: dest.name.clone(),
        key,
        artefacts,
        meta,
        verdict: verdict.clone(),
        signer: signer.map(|s| s.name_kanji.clone().unwrap_or_else(|| s.name.clone())),
        signer_fingerprint: signer.map(|s| s.fingerprint_sha256.clone()),
    })?;
    Ok((verdict, item))
}

/// Queues every file of `paths` for `to` (`fhir:…`, `folder:…` or a name in
/// `destinations.json` of `config_dir`), each verified first. One file's
/// refusal does not stop the others.
pub fn queue_files(
    paths: &[PathBuf],
    to: &str,
    allow_indeterminate: bool,
    cfg: &VerifyConfig,
    data_dir: &Path,
    config_dir: Option<&Path>,
) -> Result<Vec<Queued>, WorkflowError> {
    let destinations = match config_dir {
        Some(d) => Destinations::load_in(d)?,
        None => Destinations::default(),
    };
    let dest = destinations.resolve(to)?;
    let mut outbox = Outbox::open_in(data_dir)?;
    Ok(paths
        .iter()
        .map(
            |p| match queue_one(p, &dest, allow_indeterminate, cfg, data_dir, &mut outbox) {
                Ok((verdict, item)) => Queued {
                    file: p.display().to_string(),
                    verdict: Some(verdict),
                    item: Some(item),
                    error: None,
                },
                Err(e) => Queued {
                    file: p.display().to_string(),
                    verdict: None,
                    item: None,
                    error: Some(e.message()),
                },
            },
        )
        .collect())
}

/// The signing log's record of a delivery (called by the runner).
pub fn record_delivery(item: &Item, receipt: &Receipt) {
    let place = receipt
        .location
        .clone()
        .or_else(|| receipt.path.clone())
        .unwrap_or_default();
    crate::audit::record(&crate::audit::NewAudit {
        action: crate::audit::AuditAction::Submitted,
        doc_sha256: item.doc_sha256.clone(),
        doc_name: item.doc_name.clone(),
        signer_fingerprint: item.signer_fingerprint.clone(),
        signer_holder: item.signer.clone(),
        verdict: Some(format!("SENT {} {place}", receipt.outcome)),
    });
}

/// Delivers everything due in the outbox of `data_dir` (destinations and
/// tokens from `config_dir`), recording each delivery in the signing log.
pub fn deliver_due(
    data_dir: &Path,
    config_dir: Option<&Path>,
    opts: &inkan_outbox::RunOptions,
) -> Result<inkan_outbox::RunSummary, WorkflowError> {
    let destinations = match config_dir {
        Some(d) => Destinations::load_in(d)?,
        None => Destinations::default(),
    };
    Ok(inkan_outbox::run_due(
        data_dir,
        &destinations,
        opts,
        &mut |item, receipt| record_delivery(item, receipt),
    )?)
}
