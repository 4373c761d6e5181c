//! Signing a referral letter: validate, serialise (or package), sign, and
//! only then write every output atomically.

use crate::card::CardAdapter;
use crate::error::WorkflowError;
use crate::fsout;
use crate::history::{record_to, Action, History, NewEntry};
use crate::letter::LetterFormat;
use inkan_cades::{ExternalSigner, SignOptions};
use inkan_card::{CardError, CardSigner, LastTry, PcscCard, Pin};
use inkan_l10n::Message;
use inkan_referral::package::{Package, PreparedPackage, MAX_ATTACHMENT_BYTES};
use inkan_referral::ReferralLetter;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;
use zeroize::Zeroizing;

/// What to sign and where to put it (everything but the signer).
#[derive(Debug, Clone)]
pub struct LetterJob {
    /// The letter.
    pub letter: ReferralLetter,
    /// HS008 or HS038.
    pub format: LetterFormat,
    /// Files to send with the letter (PDF/JPEG/PNG, named as the letter's 添付
    /// list names them). With attachments — or when the letter lists any —
    /// the output is one signed package (`.zip`).
    pub attachments: Vec<PathBuf>,
    /// The folder the outputs go to (must exist).
    pub out_dir: PathBuf,
}

/// A request to sign with the HPKI card.
pub struct SignRequest {
    /// What to sign.
    pub job: LetterJob,
    /// The PIN as typed; wiped when dropped.
    pub pin: Zeroizing<String>,
    /// The user confirmed spending the last PIN try.
    pub confirm_last_try: bool,
    /// The reader, or the first one with a card.
    pub reader: Option<String>,
    /// [`crate::Preview::token`] of the preview the physician approved:
    /// when given, the content prepared for signing must be byte for byte
    /// the previewed one, or nothing is signed (the window always gives it).
    pub preview_token: Option<String>,
}

impl std::fmt::Debug for SignRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignRequest")
            .field("job", &self.job)
            .field("pin", &"<redacted>")
            .field("confirm_last_try", &self.confirm_last_try)
            .field("reader", &self.reader)
            .finish()
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedFiles {
    /// The letter file; for a package, the package (the letter is inside it).
    pub letter_path: PathBuf,
    /// The detached signature (`<letter>.p7s`), when not packaged.
    pub signature_path: Option<PathBuf>,
    /// The signed package, when there are attachments.
    pub package_path: Option<PathBuf>,
    /// APDUs the card exchanged for the signature (0 for other signers).
    pub apdus: usize,
    /// `B` (no time-stamp) or `T` (with a signature time-stamp).
    pub level: &'static str,
    /// genTime of the time-stamp obtained (RFC 3339).
    pub timestamp: Option<String>,
    /// The TSA that gave it.
    pub tsa: Option<String>,
    /// Why the signature has no time-stamp, when it has none.
    pub warning: Option<Message>,
}

/// The signature raised to level T when a TSA is configured (the default
/// level then); else, or when the TSA fails, kept at level B with the
/// reason. The card's signature is never lost to a TSA failure.
fn stamp_if_configured(sig: Vec<u8>) -> (Vec<u8>, Stamp) {
    let no_tsa = || {
        Message {
        code: "sign.no_tsa".into(),
        ja: "タイムスタンプ局が設定されていないため、タイムスタンプなし（レベル B）で署名しました。署名時刻の証明がなく、証明書の期限後は検証できなくなります".into(),
        en: "no time-stamp authority is configured, so the signature has no time-stamp (level B): nothing proves when it was made, and it cannot be verified after the certificate expires".into(),
    }
    };
    let cfg = match crate::settings::tsa_config(None) {
        Ok(Some(c)) => c,
        Ok(None) => return (sig, Stamp::warn(no_tsa())),
        Err(e) => return (sig, Stamp::warn(Message::from(&e))),
    };
    let anchors = match crate::settings::tsa_trust_anchors(&[]) {
        Ok(a) => a,
        Err(e) => return (sig, Stamp::warn(Message::from(&e))),
    };
    let revocation = inkan_trust::RevocationConfig::default();
    match inkan_validation::timestamps::add_signature_timestamps(&sig, &cfg, &anchors, &revocation)
    {
        Ok((stamped, reports)) => {
            let first = reports.first();
            (
                stamped,
                Stamp {
                    level: "T",
                    timestamp: first.and_then(|r| r.gen_time.clone()),
                    tsa: first.and_then(|r| r.tsa.clone()),
                    warning: None,
                },
            )
        }
        Err(e) => (sig, Stamp::warn(Message::from(&e))),
    }
}

/// What [`stamp_if_configured`] did.
struct Stamp {
    level: &'static str,
    timestamp: Option<String>,
    tsa: Option<String>,
    warning: Option<Message>,
}

impl Stamp {
    fn warn(m: Message) -> Stamp {
        Stamp {
            level: "B",
            timestamp: None,
            tsa: None,
            warning: Some(m),
        }
    }
}

enum Plan {
    Detached {
        letter_path: PathBuf,
        signature_path: PathBuf,
        letter: Vec<u8>,
    },
    Package {
        package_path: PathBuf,
        /// Attachments are hashed from their files and copied from them
        /// when the package is written, never held whole.
        prepared: Box<PreparedPackage>,
    },
}

struct Prepared {
    /// The exact bytes the signature covers.
    content: Vec<u8>,
    plan: Plan,
}

/// `referral-<document number>[-v<version>]`: safe as a file name (the
/// document number is `[A-Za-z0-9-]`, checked by validation first).
fn base_name(letter: &ReferralLetter) -> String {
    let number: String = letter
        .document_number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if letter.version > 1 {
        format!("referral-{number}-v{}", letter.version)
    } else {
        format!("referral-{number}")
    }
}

fn attachment_name(path: &Path) -> Result<String, WorkflowError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| WorkflowError::NotFound {
            path: path.to_path_buf(),
        })
}

/// What a signature of `letter` in `format` with `attachments` covers,
/// computed as [`prepare`] computes it, without an output folder: the
/// letter's bytes, or the package manifest that lists the letter and every
/// attachment with its size and SHA-256 (then also returned as the second).
pub(crate) fn signed_content(
    letter: &inkan_referral::ReferralLetter,
    format: crate::LetterFormat,
    attachments: &[PathBuf],
) -> Result<(Vec<u8>, Option<inkan_referral::package::Manifest>), WorkflowError> {
    let letter_bytes = format.write(letter)?;
    if attachments.is_empty() && letter.attachments.is_empty() {
        return Ok((letter_bytes, None));
    }
    let letter_name = format!("{}.{}", base_name(letter), format.extension());
    let mut files = Vec::new();
    for path in attachments {
        files.push((attachment_name(path)?, path.clone()));
    }
    let prepared = Package::prepare_from_files(&letter_name, &letter_bytes, &files)
        .map_err(WorkflowError::Package)?;
    let manifest: inkan_referral::package::Manifest =
        serde_json::from_slice(prepared.manifest_bytes()).map_err(|e| WorkflowError::Internal {
            detail: format!("the manifest does not read back: {e}"),
        })?;
    Ok((prepared.manifest_bytes().to_vec(), Some(manifest)))
}

/// Everything that can fail before the card is touched.
fn prepare(job: &LetterJob) -> Result<Prepared, WorkflowError> {
    let letter_bytes = job.format.write(&job.letter)?;
    match std::fs::metadata(&job.out_dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(WorkflowError::NotADirectory {
                path: job.out_dir.clone(),
            })
        }
        Err(e) => return Err(WorkflowError::read(&job.out_dir, e)),
    }
    let base = base_name(&job.letter);
    let letter_name = format!("{base}.{}", job.format.extension());
    if job.attachments.is_empty() && job.letter.attachments.is_empty() {
        let letter_path = job.out_dir.join(&letter_name);
        let signature_path = job.out_dir.join(format!("{letter_name}.p7s"));
        fsout::refuse_existing(&[&letter_path, &signature_path])?;
        return Ok(Prepared {
            content: letter_bytes.clone(),
            plan: Plan::Detached {
                letter_path,
                signature_path,
                letter: letter_bytes,
            },
        });
    }
    let package_path = job.out_dir.join(format!("{base}.zip"));
    fsout::refuse_existing(&[&package_path])?;
    let mut attachments = Vec::new();
    for path in &job.attachments {
        // The same checks as before hashing: a clear error for a missing
        // file, a folder or one over the limit.
        let meta = std::fs::metadata(path).map_err(|e| WorkflowError::read(path, e))?;
        if !meta.is_file() {
            return Err(WorkflowError::read(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        if meta.len() > MAX_ATTACHMENT_BYTES {
            return Err(WorkflowError::TooLarge {
                path: path.clone(),
                size: meta.len(),
                limit: MAX_ATTACHMENT_BYTES,
            });
        }
        attachments.push((attachment_name(path)?, path.clone()));
    }
    let prepared = Package::prepare_from_files(&letter_name, &letter_bytes, &attachments)
        .map_err(WorkflowError::Package)?;
    Ok(Prepared {
        content: prepared.manifest_bytes().to_vec(),
        plan: Plan::Package {
            package_path,
            prepared: Box::new(prepared),
        },
    })
}

fn signer_name(cert: &[u8]) -> Option<String> {
    inkan_card::holder::summarize(cert)
        .ok()
        .map(|h| h.name_kanji.unwrap_or(h.name))
}

/// Writes the outputs (all or none) and records the history entry.
fn finish(
    prepared: Prepared,
    signature: &[u8],
    apdus: usize,
    certificate: &[u8],
    history: Option<&Mutex<History>>,
) -> Result<SignedFiles, WorkflowError> {
    let signer = signer_name(certificate);
    let content_sha256 = hex::encode(Sha256::digest(&prepared.content));
    let (signature, stamp) = stamp_if_configured(signature.to_vec());
    let signature = signature.as_slice();
    let files = match prepared.plan {
        Plan::Detached {
            letter_path,
            signature_path,
            letter,
        } => {
            fsout::write_all_new(&[
                (letter_path.clone(), &letter),
                (signature_path.clone(), signature),
            ])?;
            SignedFiles {
                letter_path,
                signature_path: Some(signature_path),
                package_path: None,
                apdus,
                level: stamp.level,
                timestamp: stamp.timestamp.clone(),
                tsa: stamp.tsa.clone(),
                warning: stamp.warning.clone(),
            }
        }
        Plan::Package {
            package_path,
            prepared,
        } => {
            fsout::write_new_with(&package_path, |f| {
                prepared
                    .write_signed(signature, f)
                    .map(|_| ())
                    .map_err(WorkflowError::Package)
            })?;
            SignedFiles {
                letter_path: package_path.clone(),
                signature_path: None,
                package_path: Some(package_path),
                apdus,
                level: stamp.level,
                timestamp: stamp.timestamp.clone(),
                tsa: stamp.tsa.clone(),
                warning: stamp.warning.clone(),
            }
        }
    };
    record_to(
        history,
        NewEntry {
            action: Action::Signed,
            file: files
                .package_path
                .as_ref()
                .unwrap_or(&files.letter_path)
                .display()
                .to_string(),
            verdict: None,
            signer: signer.clone(),
        },
    );
    // The signing log: what was signed (the SHA-256 of the signed bytes),
    // where it went, and with which certificate.
    let written = files.package_path.as_ref().unwrap_or(&files.letter_path);
    let logged = crate::audit::record(&crate::audit::NewAudit {
        action: crate::audit::AuditAction::Signed,
        doc_sha256: content_sha256,
        doc_name: written
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        signer_fingerprint: Some(hex::encode(Sha256::digest(certificate))),
        signer_holder: signer,
        verdict: Some("SIGNED".into()),
    });
    // The signature exists; a record that could not be written after all
    // is said with the result, never dropped.
    let mut files = files;
    if let Some(Err(e)) = logged {
        let t = inkan_l10n::Localized::text(&e);
        let audit = Message {
            code: inkan_l10n::Localized::code(&e).into(),
            ja: format!(
                "署名は保存しましたが、署名ログに記録できませんでした: {}",
                t.ja
            ),
            en: format!(
                "The signature is saved, but the signing log could not record it: {}",
                t.en
            ),
        };
        files.warning = Some(match files.warning.take() {
            None => audit,
            Some(w) => Message {
                code: audit.code,
                ja: format!("{}\n{}", audit.ja, w.ja),
                en: format!("{}\n{}", audit.en, w.en),
            },
        });
    }
    Ok(files)
}

fn cades_error(e: inkan_cades::CadesError) -> WorkflowError {
    match e {
        // The card's own error (wrong PIN, removed card) is what the user needs.
        inkan_cades::CadesError::Signer(e) => match e.0.downcast::<CardError>() {
            Ok(card) => WorkflowError::Card(*card),
            Err(other) => WorkflowError::Signer {
                detail: other.to_string(),
            },
        },
        other => WorkflowError::Cades(other),
    }
}

fn options(extra_certificates: &[Vec<u8>], attached: bool) -> SignOptions {
    SignOptions {
        attached,
        signing_time: SystemTime::now(),
        extra_certificates: extra_certificates.to_vec(),
    }
}

/// Signs `job` with any [`ExternalSigner`] (tests, or a signer that is not a
/// PC/SC card). `extra_certificates` go into the SignedData (the issuing CA).
///
/// The letter is validated and every output checked for absence before the
/// signer is asked; the outputs are written only after the signature succeeded.
pub fn sign_letter_with(
    job: &LetterJob,
    signer: &mut dyn ExternalSigner,
    extra_certificates: &[Vec<u8>],
    history: Option<&Mutex<History>>,
) -> Result<SignedFiles, WorkflowError> {
    let prepared = prepare(job)?;
    crate::audit::ready()?;
    let sig = inkan_cades::sign(
        &prepared.content,
        signer,
        &options(extra_certificates, false),
    )
    .map_err(cades_error)?;
    let certificate = signer.certificate().to_vec();
    finish(prepared, &sig, 0, &certificate, history)
}

fn is_self_signed(der: &[u8]) -> bool {
    use der::Decode;
    x509_cert::Certificate::from_der(der)
        .map(|c| c.tbs_certificate().subject() == c.tbs_certificate().issuer())
        .unwrap_or(false)
}

/// Signs `content` (CAdES-BES, detached unless `attached`) with the card; the
/// card's CA certificates except the root go into the SignedData. A card
/// failure comes back as the [`CardError`] (wrong PIN, blocked, removed …).
/// The CLI's `inkan sign` and the app share this.
pub fn sign_with_card(
    content: &[u8],
    signer: &mut CardSigner<'_>,
    attached: bool,
) -> Result<Vec<u8>, WorkflowError> {
    sign_content_with_card(inkan_cades::Content::Bytes(content), signer, attached)
}

/// [`sign_with_card`] with the content in memory or as a file hashed in
/// chunks: a detached signature over a document of any size costs about
/// one chunk of memory (an attached one is refused above
/// [`inkan_cades::MAX_ATTACHED_BYTES`] before the PIN is used).
pub fn sign_content_with_card(
    content: inkan_cades::Content<'_>,
    signer: &mut CardSigner<'_>,
    attached: bool,
) -> Result<Vec<u8>, WorkflowError> {
    let issuing: Vec<Vec<u8>> = signer
        .ca_certificates()?
        .into_iter()
        .filter(|c| !is_self_signed(c))
        .collect();
    let opts = options(&issuing, attached);
    let mut adapter = CardAdapter(signer);
    inkan_cades::sign_content(content, &mut adapter, &opts).map_err(cades_error)
}

/// Signs a letter with the HPKI card (see [`sign_letter_with`] for the
/// guarantees). The PIN is sent once; with one try left only when
/// `confirm_last_try`.
pub fn sign_letter(
    req: SignRequest,
    history: Option<&Mutex<History>>,
) -> Result<SignedFiles, WorkflowError> {
    let SignRequest {
        job,
        pin,
        confirm_last_try,
        reader,
        preview_token,
    } = req;
    let prepared = prepare(&job)?;
    // What you see is what you sign: the preview and the signature are one
    // preparation, compared by the SHA-256 of the exact signed bytes before
    // the card (and the PIN) is touched.
    if let Some(previewed) = preview_token {
        let now = hex::encode(Sha256::digest(&prepared.content));
        if now != previewed {
            return Err(WorkflowError::PreviewMismatch { previewed, now });
        }
    }
    // Every signature is accounted for: a log that cannot take the record
    // (its key lost, the keyring locked) stops the signing here, before
    // the card.
    crate::audit::ready()?;
    let pin = Pin::new(pin)?;
    let last = if confirm_last_try {
        LastTry::Confirmed
    } else {
        LastTry::NotConfirmed
    };
    let mut card = PcscCard::new(reader.as_deref())?;
    let mut signer = CardSigner::new(&mut card, pin, last)?;
    let sig = sign_with_card(&prepared.content, &mut signer, false)?;
    let apdus = signer.apdus();
    let certificate = signer.certificate().to_vec();
    finish(prepared, &sig, apdus, &certificate, history)
}
