//! The workflows' one error type.

use crate::history::HistoryError;
use inkan_card::CardError;
use inkan_l10n::{Localized, Message, Text};
use inkan_referral::package::PackageError;
use inkan_referral::{Problem, ReadError};
use std::path::PathBuf;

/// Why a workflow did not complete. Every variant says what the user can do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// The letter breaks the form rules: nothing was written, the card was not used.
    #[error("the letter has {} problem(s)", problems.len())]
    InvalidLetter {
        /// Every problem.
        problems: Vec<Problem>,
    },
    /// The package (letter + attachments) could not be made.
    #[error("package: {0}")]
    Package(PackageError),
    /// An output file exists already; Inkan never replaces a signed file.
    #[error("{} already exists", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// An input file or folder does not exist.
    #[error("{} not found", path.display())]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// A folder was expected.
    #[error("{} is not a folder", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// An input is larger than Inkan reads.
    #[error("{} is {size} bytes (at most {limit})", path.display())]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading a file failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing a file failed (nothing was left behind).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The card (or PC/SC) refused: wrong PIN, blocked, removed, no reader …
    #[error(transparent)]
    Card(#[from] CardError),
    /// The signer failed with something that is not a card error.
    #[error("the signer failed: {detail}")]
    Signer {
        /// What the signer said.
        detail: String,
    },
    /// Building the CMS signature failed.
    #[error(transparent)]
    Cades(inkan_cades::CadesError),
    /// The file is not a letter Inkan can read.
    #[error(transparent)]
    Letter(#[from] ReadError),
    /// No signature was found for a document.
    #[error("no signature for {}", path.display())]
    NoSignature {
        /// The document.
        path: PathBuf,
    },
    /// A package without `manifest.json.p7s`.
    #[error("{} is not signed", path.display())]
    UnsignedPackage {
        /// The package.
        path: PathBuf,
    },
    /// The trust store could not be loaded.
    #[error("trust store: {message:?}")]
    Trust {
        /// The trust crate's message.
        message: Message,
    },
    /// The history database failed.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// What would be signed is not what the physician approved in the
    /// preview (the form, an attachment or the format changed since):
    /// nothing was signed, the card was not used.
    #[error("the content to sign ({now}) is not the previewed content ({previewed})")]
    PreviewMismatch {
        /// SHA-256 of the previewed content, hex.
        previewed: String,
        /// SHA-256 of the content as prepared now, hex.
        now: String,
    },
    /// The signing log cannot record a signature (its key is missing, the
    /// keyring is locked …): nothing was signed, the card was not used.
    #[error("signing log: {0}")]
    Audit(#[from] crate::audit::AuditError),
    /// The submission outbox refused (a destination, its database).
    #[error(transparent)]
    Outbox(#[from] inkan_outbox::OutboxError),
    /// A document whose signature is not valid is never sent.
    #[error("{} does not verify ({indication}); it is not sent", path.display())]
    NotSendable {
        /// The document.
        path: PathBuf,
        /// The verdict (`TOTAL_FAILED`, or `INDETERMINATE` without the user's choice).
        indication: String,
        /// The verifier's summary.
        summary: Text,
    },
    /// An internal invariant did not hold (a bug): nothing was written.
    #[error("internal error: {detail}")]
    Internal {
        /// What went wrong.
        detail: String,
    },
}

impl WorkflowError {
    /// The letter problems behind an invalid-letter error (for listing them all).
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            WorkflowError::InvalidLetter { problems } => problems.clone(),
            _ => Vec::new(),
        }
    }

    /// The error as the UI receives it.
    pub fn message(&self) -> Message {
        Message::from(self)
    }

    pub(crate) fn read(path: &std::path::Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            WorkflowError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            WorkflowError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    pub(crate) fn write(path: &std::path::Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            WorkflowError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            WorkflowError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

fn first_problems(problems: &[Text]) -> (String, String) {
    let shown: Vec<&Text> = problems.iter().take(3).collect();
    let ja: Vec<&str> = shown.iter().map(|t| t.ja.as_str()).collect();
    let en: Vec<&str> = shown.iter().map(|t| t.en.as_str()).collect();
    let more = problems.len().saturating_sub(shown.len());
    let (more_ja, more_en) = if more > 0 {
        (format!(" ほか{more}件"), format!(" and {more} more"))
    } else {
        (String::new(), String::new())
    };
    (
        format!("{}{more_ja}", ja.join(" / ")),
        format!("{}{more_en}", en.join(" / ")),
    )
}

impl Localized for WorkflowError {
    fn code(&self) -> &'static str {
        match self {
            WorkflowError::InvalidLetter { .. } => "workflow.invalid_letter",
            WorkflowError::Package(e) => e.code(),
            WorkflowError::Exists { .. } => "workflow.exists",
            WorkflowError::NotFound { .. } => "workflow.not_found",
            WorkflowError::NotADirectory { .. } => "workflow.not_a_directory",
            WorkflowError::TooLarge { .. } => "workflow.too_large",
            WorkflowError::Read { .. } => "io.read",
            WorkflowError::Write { .. } => "io.write",
            WorkflowError::Card(e) => e.code(),
            WorkflowError::Signer { .. } => "card.failure",
            WorkflowError::Cades(e) => e.code(),
            WorkflowError::Letter(e) => e.code(),
            WorkflowError::NoSignature { .. } => "workflow.no_signature",
            WorkflowError::UnsignedPackage { .. } => "workflow.unsigned_package",
            WorkflowError::Trust { .. } => "workflow.trust",
            WorkflowError::History(e) => e.code(),
            WorkflowError::Internal { .. } => "workflow.internal",
            WorkflowError::PreviewMismatch { .. } => "workflow.preview_mismatch",
            WorkflowError::Audit(e) => e.code(),
            WorkflowError::Outbox(e) => e.code(),
            WorkflowError::NotSendable { indication, .. } => {
                if indication == "INDETERMINATE" {
                    "submit.indeterminate"
                } else {
                    "submit.not_valid"
                }
            }
        }
    }

    fn text(&self) -> Text {
        match self {
            WorkflowError::InvalidLetter { problems } => {
                let texts: Vec<Text> = problems.iter().map(Localized::text).collect();
                let (ja, en) = first_problems(&texts);
                Text::new(
                    format!(
                        "記入内容に{}件の問題があるため署名しません（ファイルは作成されず、カードも使っていません）: {ja}",
                        problems.len()
                    ),
                    format!(
                        "the letter has {} problem(s), so it was not signed (no file was written, the card was not used): {en}",
                        problems.len()
                    ),
                )
            }
            WorkflowError::Package(e) => {
                let texts: Vec<Text> = e.problems().iter().map(Localized::text).collect();
                let t = e.text();
                if texts.is_empty() {
                    Text::new(
                        format!("パッケージを作成できません: {}", t.ja),
                        format!("cannot make the package: {}", t.en),
                    )
                } else {
                    let (ja, en) = first_problems(&texts);
                    Text::new(
                        format!("パッケージを作成できません: {ja}"),
                        format!("cannot make the package: {en}"),
                    )
                }
            }
            WorkflowError::Exists { path } => Text::new(
                format!(
                    "{} は既に存在します。署名済みファイルは上書きしません（別の保存先を選ぶか、既存のファイルを移動してください）",
                    path.display()
                ),
                format!(
                    "{} already exists. Signed files are never replaced (choose another folder or move the existing file)",
                    path.display()
                ),
            ),
            WorkflowError::NotFound { path } => Text::new(
                format!("{} が見つかりません", path.display()),
                format!("{} was not found", path.display()),
            ),
            WorkflowError::NotADirectory { path } => Text::new(
                format!("{} はフォルダではありません", path.display()),
                format!("{} is not a folder", path.display()),
            ),
            WorkflowError::TooLarge { path, size, limit } => Text::new(
                format!(
                    "{} が大きすぎます（{size}バイト、上限{limit}バイト）",
                    path.display()
                ),
                format!(
                    "{} is too large ({size} bytes, at most {limit})",
                    path.display()
                ),
            ),
            WorkflowError::Read { path, source } => Text::new(
                format!("{} を読み取れません: {source}", path.display()),
                format!("cannot read {}: {source}", path.display()),
            ),
            WorkflowError::Write { path, source } => Text::new(
                format!(
                    "{} に書き込めません（ファイルは作成されていません）: {source}",
                    path.display()
                ),
                format!(
                    "cannot write {} (no file was written): {source}",
                    path.display()
                ),
            ),
            WorkflowError::Card(e) => e.text(),
            WorkflowError::Signer { detail } => Text::new(
                format!("署名に失敗しました: {detail}"),
                format!("signing failed: {detail}"),
            ),
            WorkflowError::Cades(e) => e.text(),
            WorkflowError::Letter(e) => e.text(),
            WorkflowError::NoSignature { path } => Text::new(
                format!(
                    "{} の署名ファイル（{}.p7s）が見つかりません",
                    path.display(),
                    path.display()
                ),
                format!(
                    "no signature file ({}.p7s) for {}",
                    path.display(),
                    path.display()
                ),
            ),
            WorkflowError::UnsignedPackage { path } => Text::new(
                format!(
                    "{} には署名（manifest.json.p7s）がありません",
                    path.display()
                ),
                format!(
                    "{} carries no signature (manifest.json.p7s)",
                    path.display()
                ),
            ),
            WorkflowError::Trust { message } => Text::new(
                format!("信頼設定を読み込めません: {}", message.ja),
                format!("cannot load the trust configuration: {}", message.en),
            ),
            WorkflowError::History(e) => e.text(),
            WorkflowError::PreviewMismatch { .. } => Text::new(
                "プレビューの後で署名する内容（入力、添付ファイル、形式）が変わりました。署名していません。プレビューを確認し直してから署名してください。",
                "What would be signed (the form, an attachment or the format) changed after the preview. Nothing was signed. Check the preview again, then sign.",
            ),
            WorkflowError::Audit(e) => {
                let t = e.text();
                Text::new(
                    format!("署名ログに記録できないため署名しません（カードは使っていません）。{}", t.ja),
                    format!("Nothing is signed because the signing log cannot record it (the card was not used): {}", t.en),
                )
            }
            WorkflowError::Outbox(e) => e.text(),
            WorkflowError::NotSendable {
                path,
                indication,
                summary,
            } => {
                if indication == "INDETERMINATE" {
                    Text::new(
                        format!(
                            "{} の署名は判定不能のため、送信キューに入れていません（{}）。それでも送る場合は、判定不能を承知のうえで送信することを明示してください（--allow-indeterminate）",
                            path.display(),
                            summary.ja
                        ),
                        format!(
                            "the signature of {} is indeterminate, so it was not queued ({}); to send it anyway, say so explicitly (--allow-indeterminate)",
                            path.display(),
                            summary.en
                        ),
                    )
                } else {
                    Text::new(
                        format!(
                            "{} の署名は有効ではないため送信しません（{}）",
                            path.display(),
                            summary.ja
                        ),
                        format!(
                            "the signature of {} is not valid, so it is not sent ({})",
                            path.display(),
                            summary.en
                        ),
                    )
                }
            }
            WorkflowError::Internal { detail } => Text::new(
                format!("内部エラーです（ファイルは作成されていません）: {detail}"),
                format!("internal error (no file was written): {detail}"),
            ),
        }
    }
}
