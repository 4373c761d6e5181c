//! The referral package: one file a clinic can send.
//!
//! # Format (version 1)
//! A zip archive, flat (no folders), holding
//! - `manifest.json`: the format name and version, the letter's file name, and
//!   for **every** file (letter and attachments) its name, media type, size and
//!   SHA-256;
//! - the letter (`*.xml` HS008 or `*.json` HS038);
//! - the attachments, PDF, JPEG or PNG only (checked by their magic bytes), named
//!   exactly as the letter's 添付 list names them;
//! - optionally `manifest.json.p7s`: the detached CAdES signature over the
//!   exact bytes of `manifest.json` (made by the CAdES crate, added with
//!   [`OpenedPackage::with_signature`]).
//!
//! One signature therefore covers everything: the manifest binds each file by
//! its hash, and the signature binds the manifest. Why a zip and not a
//! directory: a single file survives e-mail, USB sticks and upload forms, and
//! cannot lose one of its parts on the way.
//!
//! # Checking ([`Package::open`])
//! Every hash and size is verified; files not in the manifest, path traversal
//! (`../`, absolute paths, folders), duplicate names, encrypted entries,
//! oversized entries (zip bombs: the declared size and the bytes actually
//! inflated are both bounded) and other attachments are refused. The
//! letter must be readable, and its 添付 list must match the attachments.

use crate::detect::{detect, Format};
use crate::error::ReadError;
use crate::model::{is_safe_file_name, AttachmentType, MAX_ATTACHMENTS};
use crate::problem::{shown, Problem};
use crate::Document;
use inkan_l10n::{Localized, Text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Read, Write};

/// The manifest's file name.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The detached signature's file name.
pub const SIGNATURE_NAME: &str = "manifest.json.p7s";
/// `Manifest::format`.
pub const PACKAGE_FORMAT: &str = "inkan-referral-package";
/// `Manifest::version` this implementation writes and reads.
pub const PACKAGE_VERSION: u32 = 1;
/// The largest package accepted: 200 MiB.
pub const MAX_PACKAGE_BYTES: usize = 200 * 1024 * 1024;
/// The largest attachment: 50 MiB.
pub const MAX_ATTACHMENT_BYTES: u64 = 50 * 1024 * 1024;
/// The largest manifest and signature: 1 MiB each.
pub const MAX_SMALL_FILE_BYTES: u64 = 1024 * 1024;

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`PACKAGE_FORMAT`].
    pub format: String,
    /// Always [`PACKAGE_VERSION`].
    pub version: u32,
    /// The letter's file name (also listed in `files`).
    pub letter: String,
    /// Every file of the package except the manifest and its signature.
    pub files: Vec<ManifestFile>,
}

/// One file in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// File name inside the package.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// A file to put into a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name inside the package (must match the letter's 添付 list).
    pub name: String,
    /// Content (PDF, JPEG or PNG).
    pub bytes: Vec<u8>,
}

/// A file read from a package (hash verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    /// File name.
    pub name: String,
    /// Media type (from the manifest, confirmed by content).
    pub media_type: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// One problem with a package's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageProblem {
    /// A name with folders, `..`, an absolute path or unsafe characters.
    #[error("unsafe file name {name:?}")]
    UnsafeName {
        /// The name.
        name: String,
    },
    /// A name reserved for the manifest or the signature.
    #[error("reserved file name {name:?}")]
    ReservedName {
        /// The name.
        name: String,
    },
    /// The same name twice.
    #[error("duplicate file name {name:?}")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A file beyond the size limit.
    #[error("{name:?} is {size} bytes (at most {limit})")]
    TooLarge {
        /// The name.
        name: String,
        /// Its (declared or actual) size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// An attachment that is neither PDF, JPEG nor PNG by content (the
    /// variant keeps its name and code: scripts match on the code).
    #[error("{name:?} is neither PDF, JPEG nor PNG")]
    NotPdfOrJpeg {
        /// The name.
        name: String,
    },
    /// The manifest's media type disagrees with the content.
    #[error("{name:?} is declared {declared} but is {detected}")]
    MediaTypeMismatch {
        /// The name.
        name: String,
        /// Declared media type.
        declared: String,
        /// Media type found by content.
        detected: String,
    },
    /// A file in the zip the manifest does not list (so the signature would not cover it).
    #[error("{name:?} is not listed in the manifest")]
    NotInManifest {
        /// The name.
        name: String,
    },
    /// A file the manifest lists but the zip lacks.
    #[error("{name:?} is listed in the manifest but missing")]
    MissingFile {
        /// The name.
        name: String,
    },
    /// Content changed: the hash differs from the manifest.
    #[error("{name:?}: SHA-256 differs from the manifest")]
    HashMismatch {
        /// The name.
        name: String,
    },
    /// The size differs from the manifest.
    #[error("{name:?}: {actual} bytes, manifest says {declared}")]
    SizeMismatch {
        /// The name.
        name: String,
        /// Declared size.
        declared: u64,
        /// Actual size.
        actual: u64,
    },
    /// An attachment the letter's 添付 list does not mention.
    #[error("{name:?} is not listed in the letter's attachments")]
    NotInLetter {
        /// The name.
        name: String,
    },
    /// An attachment the letter lists but the package lacks.
    #[error("the letter lists {name:?} but the package does not contain it")]
    MissingAttachment {
        /// The name.
        name: String,
    },
    /// An encrypted zip entry.
    #[error("{name:?} is encrypted")]
    Encrypted {
        /// The name.
        name: String,
    },
    /// A folder entry (the package is flat).
    #[error("{name:?} is a folder")]
    Folder {
        /// The name.
        name: String,
    },
    /// More files than allowed.
    #[error("{count} files (at most {max})")]
    TooManyFiles {
        /// Count.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// A problem of the letter itself.
    #[error("letter: {0}")]
    Letter(Problem),
}

impl Localized for PackageProblem {
    fn code(&self) -> &'static str {
        match self {
            PackageProblem::UnsafeName { .. } => "package.unsafe_name",
            PackageProblem::ReservedName { .. } => "package.reserved_name",
            PackageProblem::DuplicateName { .. } => "package.duplicate_name",
            PackageProblem::TooLarge { .. } => "package.file_too_large",
            PackageProblem::NotPdfOrJpeg { .. } => "package.not_pdf_or_jpeg",
            PackageProblem::MediaTypeMismatch { .. } => "package.media_type_mismatch",
            PackageProblem::NotInManifest { .. } => "package.not_in_manifest",
            PackageProblem::MissingFile { .. } => "package.missing_file",
            PackageProblem::HashMismatch { .. } => "package.hash_mismatch",
            PackageProblem::SizeMismatch { .. } => "package.size_mismatch",
            PackageProblem::NotInLetter { .. } => "package.not_in_letter",
            PackageProblem::MissingAttachment { .. } => "package.missing_attachment",
            PackageProblem::Encrypted { .. } => "package.encrypted",
            PackageProblem::Folder { .. } => "package.folder",
            PackageProblem::TooManyFiles { .. } => "package.too_many_files",
            PackageProblem::Letter(p) => p.code(),
        }
    }

    fn text(&self) -> Text {
        match self {
            PackageProblem::UnsafeName { name } => Text::new(
                format!("ファイル名「{}」は使えません（フォルダ・..・絶対パス・英数字と . - _ 以外の文字は不可）", shown(name)),
                format!("file name \"{}\" is not allowed (no folders, .., absolute paths; only letters, digits, . - _)", shown(name)),
            ),
            PackageProblem::ReservedName { name } => Text::new(
                format!("ファイル名「{}」はマニフェスト・署名用に予約されています", shown(name)),
                format!("file name \"{}\" is reserved for the manifest or the signature", shown(name)),
            ),
            PackageProblem::DuplicateName { name } => Text::new(
                format!("ファイル名「{}」が重複しています", shown(name)),
                format!("file name \"{}\" appears twice", shown(name)),
            ),
            PackageProblem::TooLarge { name, size, limit } => Text::new(
                format!("「{}」が大きすぎます（{size}バイト、上限{limit}バイト）", shown(name)),
                format!("\"{}\" is too large ({size} bytes, at most {limit})", shown(name)),
            ),
            PackageProblem::NotPdfOrJpeg { name } => Text::new(
                format!("「{}」はPDF・JPEG・PNGのどれでもありません（添付できるのはこの3種類のみ）", shown(name)),
                format!("\"{}\" is neither PDF, JPEG nor PNG (only these may be attached)", shown(name)),
            ),
            PackageProblem::MediaTypeMismatch { name, declared, detected } => Text::new(
                format!("「{}」は {} と記載されていますが内容は {} です", shown(name), shown(declared), shown(detected)),
                format!("\"{}\" is declared {} but its content is {}", shown(name), shown(declared), shown(detected)),
            ),
            PackageProblem::NotInManifest { name } => Text::new(
                format!("「{}」はマニフェストに記載がありません（署名の対象外のファイル）", shown(name)),
                format!("\"{}\" is not listed in the manifest (not covered by the signature)", shown(name)),
            ),
            PackageProblem::MissingFile { name } => Text::new(
                format!("マニフェストに記載された「{}」がパッケージにありません", shown(name)),
                format!("\"{}\" is listed in the manifest but missing from the package", shown(name)),
            ),
            PackageProblem::HashMismatch { name } => Text::new(
                format!("「{}」のSHA-256がマニフェストと一致しません（改変の可能性）", shown(name)),
                format!("the SHA-256 of \"{}\" does not match the manifest (the file was altered)", shown(name)),
            ),
            PackageProblem::SizeMismatch { name, declared, actual } => Text::new(
                format!("「{}」のサイズが{actual}バイトでマニフェストの{declared}バイトと一致しません", shown(name)),
                format!("\"{}\" is {actual} bytes, the manifest says {declared}", shown(name)),
            ),
            PackageProblem::NotInLetter { name } => Text::new(
                format!("添付「{}」が診療情報提供書の添付欄に記載されていません", shown(name)),
                format!("attachment \"{}\" is not listed in the letter's attachments", shown(name)),
            ),
            PackageProblem::MissingAttachment { name } => Text::new(
                format!("診療情報提供書に記載された添付「{}」がパッケージにありません", shown(name)),
                format!("the letter lists \"{}\" but the package does not contain it", shown(name)),
            ),
            PackageProblem::Encrypted { name } => Text::new(
                format!("「{}」は暗号化されています（パッケージでは使えません）", shown(name)),
                format!("\"{}\" is encrypted (not allowed in a package)", shown(name)),
            ),
            PackageProblem::Folder { name } => Text::new(
                format!("「{}」はフォルダです（パッケージにフォルダは置けません）", shown(name)),
                format!("\"{}\" is a folder (a package is flat)", shown(name)),
            ),
            PackageProblem::TooManyFiles { count, max } => Text::new(
                format!("ファイルが{count}個あります（上限{max}個）"),
                format!("{count} files (at most {max})"),
            ),
            PackageProblem::Letter(p) => p.text(),
        }
    }
}

/// Why a package cannot be created or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// Larger than [`MAX_PACKAGE_BYTES`].
    #[error("the package is {size} bytes (at most {limit})")]
    TooLarge {
        /// Size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Not a readable zip archive.
    #[error("not a readable zip archive: {reason}")]
    NotZip {
        /// The zip reader's description.
        reason: String,
    },
    /// No `manifest.json`.
    #[error("no manifest.json")]
    NoManifest,
    /// `manifest.json` is not a valid manifest.
    #[error("manifest.json is invalid: {reason}")]
    Manifest {
        /// What is wrong.
        reason: String,
    },
    /// A manifest version this implementation does not know.
    #[error("unsupported package version {found}")]
    UnsupportedVersion {
        /// The version found.
        found: u32,
    },
    /// The letter cannot be read at all.
    #[error("the letter cannot be read: {0}")]
    Letter(ReadError),
    /// The letter is readable but has problems: a package is only made of a valid letter.
    #[error("the letter has {} problem(s)", .0.len())]
    LetterInvalid(Vec<Problem>),
    /// Problems with the files.
    #[error("{} problem(s) with the package", .0.len())]
    Invalid(Vec<PackageProblem>),
    /// The signature is larger than [`MAX_SMALL_FILE_BYTES`] or empty.
    #[error("the signature is {size} bytes")]
    Signature {
        /// Size.
        size: usize,
    },
    /// Writing the zip failed.
    #[error("writing the zip failed: {reason}")]
    Write {
        /// The zip writer's description.
        reason: String,
    },
}

impl PackageError {
    /// Every individual problem behind the error (for listing).
    pub fn problems(&self) -> Vec<PackageProblem> {
        match self {
            PackageError::Invalid(p) => p.clone(),
            PackageError::LetterInvalid(p) => {
                p.iter().cloned().map(PackageProblem::Letter).collect()
            }
            PackageError::Letter(ReadError::Invalid { problems }) => problems
                .iter()
                .cloned()
                .map(PackageProblem::Letter)
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Localized for PackageError {
    fn code(&self) -> &'static str {
        match self {
            PackageError::TooLarge { .. } => "package.too_large",
            PackageError::NotZip { .. } => "package.not_zip",
            PackageError::NoManifest => "package.no_manifest",
            PackageError::Manifest { .. } => "package.manifest",
            PackageError::UnsupportedVersion { .. } => "package.version",
            PackageError::Letter(e) => e.code(),
            PackageError::LetterInvalid(_) => "package.letter_invalid",
            PackageError::Invalid(_) => "package.invalid",
            PackageError::Signature { .. } => "package.signature",
            PackageError::Write { .. } => "package.write",
        }
    }

    fn text(&self) -> Text {
        match self {
            PackageError::TooLarge { size, limit } => Text::new(
                format!("パッケージが大きすぎます（{size}バイト、上限{limit}バイト）"),
                format!("the package is too large ({size} bytes, at most {limit})"),
            ),
            PackageError::NotZip { reason } => Text::new(
                format!("zipファイルとして読めません（{}）", shown(reason)),
                format!("not a readable zip archive ({})", shown(reason)),
            ),
            PackageError::NoManifest => Text::new(
                "manifest.json がありません（紹介状パッケージではありません）",
                "no manifest.json (not a referral package)",
            ),
            PackageError::Manifest { reason } => Text::new(
                format!("manifest.json が正しくありません（{}）", shown(reason)),
                format!("manifest.json is invalid ({})", shown(reason)),
            ),
            PackageError::UnsupportedVersion { found } => Text::new(
                format!("対応していないパッケージ版です（{found}、対応は{PACKAGE_VERSION}）"),
                format!("unsupported package version {found} (this reads {PACKAGE_VERSION})"),
            ),
            PackageError::Letter(e) => {
                let t = e.text();
                Text::new(
                    format!("診療情報提供書: {}", t.ja),
                    format!("letter: {}", t.en),
                )
            }
            PackageError::LetterInvalid(p) => Text::new(
                format!("診療情報提供書に{}件の問題があるためパッケージにできません", p.len()),
                format!("the letter has {} problem(s); it cannot be packaged", p.len()),
            ),
            PackageError::Invalid(p) => {
                let first = p.first().map(|x| x.text());
                Text::new(
                    format!(
                        "パッケージに{}件の問題があります{}",
                        p.len(),
                        first.as_ref().map(|t| format!(": {}", t.ja)).unwrap_or_default()
                    ),
                    format!(
                        "{} problem(s) with the package{}",
                        p.len(),
                        first.as_ref().map(|t| format!(": {}", t.en)).unwrap_or_default()
                    ),
                )
            }
            PackageError::Signature { size } => Text::new(
                format!("署名ファイルの大きさが不正です（{size}バイト、1〜{MAX_SMALL_FILE_BYTES}バイト）"),
                format!("the signature size is invalid ({size} bytes, 1 to {MAX_SMALL_FILE_BYTES})"),
            ),
            PackageError::Write { reason } => Text::new(
                format!("zipの書き出しに失敗しました（{}）", shown(reason)),
                format!("writing the zip failed ({})", shown(reason)),
            ),
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_reserved(name: &str) -> bool {
    name.eq_ignore_ascii_case(MANIFEST_NAME) || name.eq_ignore_ascii_case(SIGNATURE_NAME)
}

/// Checks the letter's 添付 list against the package's attachments.
fn consistency(doc: &Document, attachments: &[(&str, AttachmentType)]) -> Vec<PackageProblem> {
    let mut problems = Vec::new();
    for a in &doc.letter.attachments {
        match attachments.iter().find(|(n, _)| *n == a.file_name) {
            None => problems.push(PackageProblem::MissingAttachment {
                name: a.file_name.clone(),
            }),
            Some((n, t)) if *t != a.media_type => {
                problems.push(PackageProblem::MediaTypeMismatch {
                    name: (*n).to_owned(),
                    declared: a.media_type.media_type().into(),
                    detected: t.media_type().into(),
                })
            }
            Some(_) => {}
        }
    }
    for (n, _) in attachments {
        if !doc.letter.attachments.iter().any(|a| a.file_name == *n) {
            problems.push(PackageProblem::NotInLetter {
                name: (*n).to_owned(),
            });
        }
    }
    problems
}

/// Builds a deterministic zip: fixed timestamps and permissions, given order.
fn write_zip(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, PackageError> {
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime, ZipWriter};
    let err = |e: zip::result::ZipError| PackageError::Write {
        reason: e.to_string(),
    };
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        // PDF and JPEG are compressed already; deflate only the text files.
        let method = if AttachmentType::sniff(bytes).is_some() {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        w.start_file(*name, options).map_err(err)?;
        w.write_all(bytes).map_err(|e| PackageError::Write {
            reason: e.to_string(),
        })?;
    }
    Ok(w.finish().map_err(err)?.into_inner())
}

/// An attachment as the manifest sees it.
struct Summary {
    name: String,
    size: u64,
    sha256: String,
    head: Vec<u8>,
}

/// Hashes an attachment file in chunks, refusing a non-regular file and
/// reading at most one byte past the limit.
fn read_attachment_file(path: &std::path::Path, name: &str) -> Result<Entry, PackageError> {
    let fail = |reason: String| PackageError::Write {
        reason: format!("{}: {reason}", shown(name)),
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let mut f = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    Entry::read(&mut f, MAX_ATTACHMENT_BYTES, true).map_err(|e| fail(e.to_string()))
}

/// The checks of [`Package::create`] and the manifest they lead to.
fn plan(
    letter_name: &str,
    letter: &[u8],
    attachments: &[Summary],
) -> Result<Vec<u8>, PackageError> {
    let checked = crate::check_to_send(letter).map_err(PackageError::Letter)?;
    if !checked.is_valid() {
        return Err(PackageError::LetterInvalid(checked.problems));
    }
    let mut problems = Vec::new();
    if !is_safe_file_name(letter_name) {
        problems.push(PackageProblem::UnsafeName {
            name: letter_name.into(),
        });
    } else if is_reserved(letter_name) {
        problems.push(PackageProblem::ReservedName {
            name: letter_name.into(),
        });
    }
    if attachments.len() > MAX_ATTACHMENTS {
        problems.push(PackageProblem::TooManyFiles {
            count: attachments.len(),
            max: MAX_ATTACHMENTS,
        });
    }
    let mut names: Vec<String> = vec![letter_name.to_ascii_lowercase()];
    let mut typed = Vec::new();
    for a in attachments {
        if !is_safe_file_name(&a.name) {
            problems.push(PackageProblem::UnsafeName {
                name: a.name.clone(),
            });
            continue;
        }
        if is_reserved(&a.name) {
            problems.push(PackageProblem::ReservedName {
                name: a.name.clone(),
            });
            continue;
        }
        let folded = a.name.to_ascii_lowercase();
        if names.contains(&folded) {
            problems.push(PackageProblem::DuplicateName {
                name: a.name.clone(),
            });
            continue;
        }
        names.push(folded);
        if a.size > MAX_ATTACHMENT_BYTES {
            problems.push(PackageProblem::TooLarge {
                name: a.name.clone(),
                size: a.size,
                limit: MAX_ATTACHMENT_BYTES,
            });
            continue;
        }
        match AttachmentType::sniff(&a.head) {
            Some(t) => typed.push((a.name.as_str(), t)),
            None => problems.push(PackageProblem::NotPdfOrJpeg {
                name: a.name.clone(),
            }),
        }
    }
    let doc = Document {
        format: checked.format,
        letter: checked.letter,
        problems: Vec::new(),
    };
    problems.extend(consistency(&doc, &typed));
    if !problems.is_empty() {
        return Err(PackageError::Invalid(problems));
    }

    let mut files = vec![ManifestFile {
        name: letter_name.into(),
        media_type: checked.format.media_type().into(),
        size: letter.len() as u64,
        sha256: sha256_hex(letter),
    }];
    for (a, (_, t)) in attachments.iter().zip(&typed) {
        files.push(ManifestFile {
            name: a.name.clone(),
            media_type: t.media_type().into(),
            size: a.size,
            sha256: a.sha256.clone(),
        });
    }
    let manifest = Manifest {
        format: PACKAGE_FORMAT.into(),
        version: PACKAGE_VERSION,
        letter: letter_name.into(),
        files,
    };
    let mut manifest_bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| PackageError::Write {
            reason: e.to_string(),
        })?;
    manifest_bytes.push(b'\n');
    Ok(manifest_bytes)
}

/// A package prepared from files ([`Package::prepare_from_files`]), to be
/// signed and written.
#[derive(Debug)]
pub struct PreparedPackage {
    manifest_bytes: Vec<u8>,
    letter_name: String,
    letter: Vec<u8>,
    attachments: Vec<(Summary, std::path::PathBuf)>,
}

impl std::fmt::Debug for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Summary")
            .field("name", &self.name)
            .field("size", &self.size)
            .finish()
    }
}

impl PreparedPackage {
    /// The exact bytes of `manifest.json`: what is signed.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// Writes the package with `signature` as `manifest.json.p7s` to
    /// `out`, copying each attachment from its file in chunks; an
    /// attachment whose bytes are no longer those the manifest lists is
    /// refused (the caller discards what was written).
    pub fn write_signed<W: Write + std::io::Seek>(
        &self,
        signature: &[u8],
        out: W,
    ) -> Result<W, PackageError> {
        if signature.is_empty() || signature.len() as u64 > MAX_SMALL_FILE_BYTES {
            return Err(PackageError::Signature {
                size: signature.len(),
            });
        }
        self.write(Some(signature), out)
    }

    /// Writes the package unsigned (as [`Package::create`] does), copying
    /// each attachment from its file in chunks, with the same refusal of an
    /// attachment that changed since it was prepared.
    pub fn write_unsigned<W: Write + std::io::Seek>(&self, out: W) -> Result<W, PackageError> {
        self.write(None, out)
    }

    fn write<W: Write + std::io::Seek>(
        &self,
        signature: Option<&[u8]>,
        out: W,
    ) -> Result<W, PackageError> {
        use zip::write::SimpleFileOptions;
        use zip::{CompressionMethod, DateTime, ZipWriter};
        let werr = |e: zip::result::ZipError| PackageError::Write {
            reason: e.to_string(),
        };
        let ioerr = |e: std::io::Error| PackageError::Write {
            reason: e.to_string(),
        };
        let options = |method| {
            SimpleFileOptions::default()
                .compression_method(method)
                .last_modified_time(DateTime::default())
                .unix_permissions(0o644)
        };
        let mut w = ZipWriter::new(out);
        for (name, bytes) in [
            (MANIFEST_NAME, self.manifest_bytes.as_slice()),
            (self.letter_name.as_str(), self.letter.as_slice()),
        ] {
            w.start_file(name, options(CompressionMethod::Deflated))
                .map_err(werr)?;
            w.write_all(bytes).map_err(ioerr)?;
        }
        for (a, path) in &self.attachments {
            // PDF and JPEG are compressed already.
            w.start_file(a.name.as_str(), options(CompressionMethod::Stored))
                .map_err(werr)?;
            let meta = std::fs::metadata(path).map_err(ioerr)?;
            if !meta.is_file() {
                return Err(PackageError::Write {
                    reason: format!("{}: not a regular file", shown(&a.name)),
                });
            }
            let mut f = std::fs::File::open(path)
                .map_err(ioerr)?
                .take(MAX_ATTACHMENT_BYTES + 1);
            let mut h = Sha256::new();
            let mut size = 0u64;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = match f.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(ioerr(e)),
                };
                h.update(&buf[..n]);
                size += n as u64;
                w.write_all(&buf[..n]).map_err(ioerr)?;
            }
            let sha: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            if size != a.size || sha != a.sha256 {
                return Err(PackageError::Write {
                    reason: format!(
                        "{} changed after it was prepared for signing",
                        shown(&a.name)
                    ),
                });
            }
        }
        if let Some(signature) = signature {
            w.start_file(SIGNATURE_NAME, options(CompressionMethod::Deflated))
                .map_err(werr)?;
            w.write_all(signature).map_err(ioerr)?;
        }
        w.finish().map_err(werr)
    }
}

/// Namespace for creating and opening packages.
#[derive(Debug, Clone, Copy)]
pub struct Package;

impl Package {
    /// Creates a package from a letter (its bytes exactly as they will be
    /// signed and sent) and its attachments.
    ///
    /// The letter must be readable and valid, the attachments PDF, JPEG or PNG by
    /// content, safely named, within the limits, and exactly the files the
    /// letter's 添付 list names.
    pub fn create(
        letter_name: &str,
        letter: &[u8],
        attachments: &[Attachment],
    ) -> Result<Vec<u8>, PackageError> {
        let summaries: Vec<Summary> = attachments
            .iter()
            .map(|a| Summary {
                name: a.name.clone(),
                size: a.bytes.len() as u64,
                sha256: sha256_hex(&a.bytes),
                head: a.bytes.iter().take(16).copied().collect(),
            })
            .collect();
        let manifest_bytes = plan(letter_name, letter, &summaries)?;
        let mut entries: Vec<(&str, &[u8])> =
            vec![(MANIFEST_NAME, &manifest_bytes), (letter_name, letter)];
        for a in attachments {
            entries.push((&a.name, &a.bytes));
        }
        write_zip(&entries)
    }

    /// Prepares a package whose attachments are files: each is hashed from
    /// its file in chunks (never held), and the manifest is built as by
    /// [`Package::create`], with the same checks. Sign
    /// [`PreparedPackage::manifest_bytes`], then write the package with
    /// [`PreparedPackage::write_signed`], which copies each attachment from
    /// its file again and refuses one that changed in between.
    pub fn prepare_from_files(
        letter_name: &str,
        letter: &[u8],
        attachments: &[(String, std::path::PathBuf)],
    ) -> Result<PreparedPackage, PackageError> {
        let mut summaries = Vec::new();
        for (name, path) in attachments {
            let e = read_attachment_file(path, name)?;
            summaries.push(Summary {
                name: name.clone(),
                size: e.size,
                sha256: e.sha256,
                head: e.head,
            });
        }
        let manifest_bytes = plan(letter_name, letter, &summaries)?;
        Ok(PreparedPackage {
            manifest_bytes,
            letter_name: letter_name.to_owned(),
            letter: letter.to_vec(),
            attachments: attachments
                .iter()
                .zip(summaries)
                .map(|((_, path), s)| (s, path.clone()))
                .collect(),
        })
    }

    /// Opens a package and verifies its integrity (see the module documentation).
    pub fn open(bytes: &[u8]) -> Result<OpenedPackage, PackageError> {
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(PackageError::TooLarge {
                size: bytes.len(),
                limit: MAX_PACKAGE_BYTES,
            });
        }
        Self::open_from(Cursor::new(bytes), true, &mut Seen::default())
    }

    /// Opens the package file at `path` in one pass, entry by entry, as a
    /// verifier needs it: the attachments are hashed as they are inflated
    /// and not kept (their [`PackageFile::bytes`] are empty, and the result
    /// cannot be re-signed), so memory does not grow with their size. The
    /// manifest and its signature, as read in that same pass, come back
    /// even when the package is refused, so that a verifier can still say
    /// who signed it.
    pub fn inspect_file(path: &std::path::Path) -> Inspection {
        let mut seen = Seen::default();
        let opened = (|| {
            // A pipe or a device would block or never end: regular files
            // only, checked before opening (opening a FIFO blocks) and
            // again on the handle.
            let not_file = || PackageError::NotZip {
                reason: "not a regular file".into(),
            };
            if !std::fs::metadata(path)
                .map_err(|e| PackageError::NotZip {
                    reason: e.to_string(),
                })?
                .is_file()
            {
                return Err(not_file());
            }
            let file = std::fs::File::open(path).map_err(|e| PackageError::NotZip {
                reason: e.to_string(),
            })?;
            if !file.metadata().is_ok_and(|m| m.is_file()) {
                return Err(not_file());
            }
            let size = file
                .metadata()
                .map_err(|e| PackageError::NotZip {
                    reason: e.to_string(),
                })?
                .len();
            if size > MAX_PACKAGE_BYTES as u64 {
                return Err(PackageError::TooLarge {
                    size: usize::try_from(size).unwrap_or(usize::MAX),
                    limit: MAX_PACKAGE_BYTES,
                });
            }
            Self::open_from(std::io::BufReader::new(file), false, &mut seen)
        })();
        Inspection {
            opened,
            manifest_bytes: seen.manifest,
            signature: seen.signature,
        }
    }

    fn open_from<R: Read + std::io::Seek>(
        reader: R,
        keep_attachments: bool,
        seen: &mut Seen,
    ) -> Result<OpenedPackage, PackageError> {
        let mut archive = zip::ZipArchive::new(reader).map_err(|e| PackageError::NotZip {
            reason: e.to_string(),
        })?;
        // A zip whose central directory lists a name twice, or whose local
        // headers say something else (another name, an entry it does not
        // list) shows other readers content that was not checked here:
        // `unzip` extracts the first of two same-named entries, this reader
        // the last. Refused as a whole.
        archive
            .validate_header_consistency()
            .map_err(|e| PackageError::NotZip {
                reason: e.to_string(),
            })?;
        let max_entries = MAX_ATTACHMENTS + 3;
        if archive.len() > max_entries {
            return Err(PackageError::Invalid(vec![PackageProblem::TooManyFiles {
                count: archive.len(),
                max: max_entries,
            }]));
        }
        // Which entry is the letter, as the manifest says: it is kept (to be
        // read), everything else but the manifest and the signature is
        // only hashed. Deciding by role, not by name, keeps a package of
        // many `.json` entries from filling memory and a letter named
        // `.JSON` from going unread. (The verdict uses the manifest read
        // in the loop below; this only decides what to keep.)
        let letter_name: Option<String> = if keep_attachments {
            None
        } else {
            archive
                .by_name(MANIFEST_NAME)
                .ok()
                .and_then(|e| {
                    let mut m = Vec::new();
                    e.take(MAX_SMALL_FILE_BYTES).read_to_end(&mut m).ok()?;
                    let text = String::from_utf8(m).ok()?;
                    let v = crate::json::parse(&text).ok()?;
                    serde_json::from_value::<Manifest>(v).ok()
                })
                .map(|m| m.letter)
        };
        let mut problems = Vec::new();
        let mut files: Vec<(String, Entry)> = Vec::new();
        let mut total: u64 = 0;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| PackageError::NotZip {
                reason: e.to_string(),
            })?;
            let name = match entry.name() {
                Ok(n) => n.into_owned(),
                Err(e) => {
                    return Err(PackageError::NotZip {
                        reason: e.to_string(),
                    })
                }
            };
            if entry.is_dir() {
                problems.push(PackageProblem::Folder { name });
                continue;
            }
            if !is_safe_file_name(&name) {
                problems.push(PackageProblem::UnsafeName { name });
                continue;
            }
            if files.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                problems.push(PackageProblem::DuplicateName { name });
                continue;
            }
            if entry.encrypted() {
                problems.push(PackageProblem::Encrypted { name });
                continue;
            }
            let limit = if is_reserved(&name) {
                MAX_SMALL_FILE_BYTES
            } else if name.ends_with(".xml") || name.ends_with(".json") {
                crate::MAX_LETTER_BYTES as u64
            } else {
                MAX_ATTACHMENT_BYTES
            };
            if entry.size() > limit {
                problems.push(PackageProblem::TooLarge {
                    name,
                    size: entry.size(),
                    limit,
                });
                continue;
            }
            // The declared size can lie: bound what is actually inflated.
            // An attachment is hashed as it is inflated when it need not be
            // kept; everything else (manifest, signature, letter) is small.
            let stream = !keep_attachments
                && !is_reserved(&name)
                && letter_name.as_deref() != Some(name.as_str());
            let data = match Entry::read(&mut entry, limit, stream) {
                Ok(d) => d,
                Err(e) => {
                    return Err(PackageError::NotZip {
                        reason: format!("{}: {e}", shown(&name)),
                    })
                }
            };
            if data.size > limit {
                problems.push(PackageProblem::TooLarge {
                    name,
                    size: data.size,
                    limit,
                });
                continue;
            }
            total += data.size;
            if total > MAX_PACKAGE_BYTES as u64 * 2 {
                return Err(PackageError::TooLarge {
                    size: usize::try_from(total).unwrap_or(usize::MAX),
                    limit: MAX_PACKAGE_BYTES * 2,
                });
            }
            files.push((name, data));
        }

        // What was signed, as read in this pass, for the caller even when
        // the package is refused below.
        let small = |name: &str| {
            files
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, e)| e.bytes.clone())
        };
        seen.manifest = small(MANIFEST_NAME);
        seen.signature = small(SIGNATURE_NAME);
        // Unsafe names, bombs, encryption: nothing after this is worth reading.
        if !problems.is_empty() {
            return Err(PackageError::Invalid(problems));
        }
        let take = |files: &mut Vec<(String, Entry)>, name: &str| {
            files
                .iter()
                .position(|(n, _)| n == name)
                .and_then(|i| files.remove(i).1.bytes)
        };
        let manifest_bytes = take(&mut files, MANIFEST_NAME);
        let signature = take(&mut files, SIGNATURE_NAME);
        let Some(manifest_bytes) = manifest_bytes else {
            return Err(PackageError::NoManifest);
        };
        let manifest_text =
            std::str::from_utf8(&manifest_bytes).map_err(|e| PackageError::Manifest {
                reason: e.to_string(),
            })?;
        let value = crate::json::parse(manifest_text).map_err(|e| PackageError::Manifest {
            reason: e.to_string(),
        })?;
        let manifest: Manifest =
            serde_json::from_value(value).map_err(|e| PackageError::Manifest {
                reason: e.to_string(),
            })?;
        if manifest.format != PACKAGE_FORMAT {
            return Err(PackageError::Manifest {
                reason: format!(
                    "format is {:?}, not {PACKAGE_FORMAT:?}",
                    shown(&manifest.format)
                ),
            });
        }
        if manifest.version != PACKAGE_VERSION {
            return Err(PackageError::UnsupportedVersion {
                found: manifest.version,
            });
        }

        let mut letter = None;
        let mut attachments = Vec::new();
        let mut types: Vec<(String, AttachmentType)> = Vec::new();
        let mut listed: Vec<String> = Vec::new();
        for f in &manifest.files {
            if !is_safe_file_name(&f.name) {
                problems.push(PackageProblem::UnsafeName {
                    name: f.name.clone(),
                });
                continue;
            }
            if is_reserved(&f.name) {
                problems.push(PackageProblem::ReservedName {
                    name: f.name.clone(),
                });
                continue;
            }
            if listed.iter().any(|n| n.eq_ignore_ascii_case(&f.name)) {
                problems.push(PackageProblem::DuplicateName {
                    name: f.name.clone(),
                });
                continue;
            }
            listed.push(f.name.clone());
            let Some((_, data)) = files.iter().find(|(n, _)| *n == f.name) else {
                problems.push(PackageProblem::MissingFile {
                    name: f.name.clone(),
                });
                continue;
            };
            if data.size != f.size {
                problems.push(PackageProblem::SizeMismatch {
                    name: f.name.clone(),
                    declared: f.size,
                    actual: data.size,
                });
            }
            if !data.sha256.eq_ignore_ascii_case(&f.sha256) {
                problems.push(PackageProblem::HashMismatch {
                    name: f.name.clone(),
                });
                continue;
            }
            let file = PackageFile {
                name: f.name.clone(),
                media_type: f.media_type.clone(),
                bytes: data.bytes.clone().unwrap_or_default(),
            };
            if f.name == manifest.letter {
                let detected = data
                    .bytes
                    .as_deref()
                    .and_then(|b| detect(b).ok())
                    .filter(|d| *d != Format::Package);
                match detected {
                    Some(d) if d.media_type() == f.media_type => letter = Some(file),
                    Some(d) => problems.push(PackageProblem::MediaTypeMismatch {
                        name: f.name.clone(),
                        declared: f.media_type.clone(),
                        detected: d.media_type().into(),
                    }),
                    None => problems.push(PackageProblem::MediaTypeMismatch {
                        name: f.name.clone(),
                        declared: f.media_type.clone(),
                        detected: "unknown".into(),
                    }),
                }
            } else {
                match AttachmentType::sniff(&data.head) {
                    None => problems.push(PackageProblem::NotPdfOrJpeg {
                        name: f.name.clone(),
                    }),
                    Some(t) if AttachmentType::from_media_type(&f.media_type) != Some(t) => {
                        problems.push(PackageProblem::MediaTypeMismatch {
                            name: f.name.clone(),
                            declared: f.media_type.clone(),
                            detected: t.media_type().into(),
                        })
                    }
                    Some(t) => {
                        types.push((f.name.clone(), t));
                        attachments.push(file);
                    }
                }
            }
        }
        for (name, _) in &files {
            if !listed.contains(name) {
                problems.push(PackageProblem::NotInManifest { name: name.clone() });
            }
        }
        if !manifest.files.iter().any(|f| f.name == manifest.letter) {
            problems.push(PackageProblem::MissingFile {
                name: manifest.letter.clone(),
            });
        }
        if !problems.is_empty() {
            return Err(PackageError::Invalid(problems));
        }
        let Some(letter) = letter else {
            return Err(PackageError::Invalid(vec![PackageProblem::MissingFile {
                name: manifest.letter.clone(),
            }]));
        };
        let document = crate::read(&letter.bytes).map_err(PackageError::Letter)?;
        Ok(OpenedPackage {
            manifest,
            manifest_bytes,
            letter,
            attachments,
            attachment_types: types,
            kept: keep_attachments,
            signature,
            document,
        })
    }
}

/// One file of a package as read: its size and SHA-256 (hex), its first
/// bytes (to recognise PDF and JPEG), and its bytes unless only hashed.
struct Entry {
    size: u64,
    sha256: String,
    head: Vec<u8>,
    bytes: Option<Vec<u8>>,
}

impl Entry {
    /// Reads at most `limit + 1` bytes (a larger `size` means too large),
    /// keeping them unless `stream`.
    fn read(r: &mut dyn Read, limit: u64, stream: bool) -> std::io::Result<Entry> {
        let mut limited = r.take(limit + 1);
        if !stream {
            let mut data = Vec::new();
            limited.read_to_end(&mut data)?;
            return Ok(Entry {
                size: data.len() as u64,
                sha256: sha256_hex(&data),
                head: data.iter().take(16).copied().collect(),
                bytes: Some(data),
            });
        }
        let mut h = Sha256::new();
        let mut head = Vec::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if head.len() < 16 {
                head.extend(buf[..n].iter().take(16 - head.len()));
            }
            h.update(&buf[..n]);
            size += n as u64;
        }
        Ok(Entry {
            size,
            sha256: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            head,
            bytes: None,
        })
    }
}

/// What [`Package::inspect_file`] read of the signed part.
#[derive(Default)]
struct Seen {
    manifest: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
}

/// A package file read once for verification ([`Package::inspect_file`]).
#[derive(Debug)]
pub struct Inspection {
    /// The package, if every file matches its manifest.
    pub opened: Result<OpenedPackage, PackageError>,
    /// `manifest.json` as read in the same pass, when it could be read.
    pub manifest_bytes: Option<Vec<u8>>,
    /// `manifest.json.p7s` as read in the same pass, when present.
    pub signature: Option<Vec<u8>>,
}

/// A package whose integrity was verified: every file matches the manifest.
#[derive(Debug, Clone)]
pub struct OpenedPackage {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    letter: PackageFile,
    attachments: Vec<PackageFile>,
    /// Each attachment's type, sniffed from its first bytes as it was read.
    attachment_types: Vec<(String, AttachmentType)>,
    /// Whether the attachments' bytes were kept ([`Package::open`]) or only
    /// hashed ([`Package::inspect_file`]).
    kept: bool,
    signature: Option<Vec<u8>>,
    document: Document,
}

impl OpenedPackage {
    /// The parsed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The exact bytes of `manifest.json`: what the detached signature signs.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The letter file.
    pub fn letter(&self) -> &PackageFile {
        &self.letter
    }

    /// The letter, read.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The attachments, in manifest order (their bytes are empty when the
    /// package was opened with [`Package::inspect_file`]).
    pub fn attachments(&self) -> &[PackageFile] {
        &self.attachments
    }

    /// The detached signature over the manifest (`manifest.json.p7s`), if present.
    pub fn signature(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }

    /// Everything wrong with the content: the letter's structural and form
    /// problems, and mismatches between its 添付 list and the attachments.
    /// Empty when the package may be accepted (signature verification is the
    /// CAdES crate's job).
    pub fn problems(&self) -> Vec<PackageProblem> {
        let mut out: Vec<PackageProblem> = self
            .document
            .problems
            .iter()
            .cloned()
            .map(PackageProblem::Letter)
            .collect();
        for p in self.document.letter.validate() {
            if !self.document.problems.contains(&p) {
                out.push(PackageProblem::Letter(p));
            }
        }
        let typed: Vec<(&str, AttachmentType)> = self
            .attachment_types
            .iter()
            .map(|(n, t)| (n.as_str(), *t))
            .collect();
        out.extend(consistency(&self.document, &typed));
        out
    }

    /// The same package with `signature` as `manifest.json.p7s` (replacing any
    /// previous one). The manifest and the files are copied byte for byte.
    pub fn with_signature(&self, signature: &[u8]) -> Result<Vec<u8>, PackageError> {
        if !self.kept {
            return Err(PackageError::NotZip {
                reason: "opened for verification only: the attachments were not kept".into(),
            });
        }
        if signature.is_empty() || signature.len() as u64 > MAX_SMALL_FILE_BYTES {
            return Err(PackageError::Signature {
                size: signature.len(),
            });
        }
        let mut entries: Vec<(&str, &[u8])> = vec![
            (MANIFEST_NAME, &self.manifest_bytes),
            (&self.letter.name, &self.letter.bytes),
        ];
        for a in &self.attachments {
            entries.push((&a.name, &a.bytes));
        }
        entries.push((SIGNATURE_NAME, signature));
        write_zip(&entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReferralLetter;

    pub(crate) fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
    }

    pub(crate) fn jpeg() -> Vec<u8> {
        vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
        ]
    }

    pub(crate) fn png() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R']);
        v
    }

    /// PNG is a third attachment type: listed in the letter, recognised by
    /// its signature, and refused when the bytes are not PNG.
    #[test]
    fn a_png_attachment_is_packaged_and_checked_by_its_signature() {
        let mut l = ReferralLetter::example();
        l.attachments.push(crate::model::AttachmentRef {
            file_name: "ecg.png".into(),
            media_type: crate::model::AttachmentType::Png,
            description: "心電図".into(),
        });
        let letter = crate::hs038::write(&l).expect("letter");
        let files = |third: Vec<u8>| {
            vec![
                Attachment {
                    name: "lab-results-2025-03-10.pdf".into(),
                    bytes: pdf(),
                },
                Attachment {
                    name: "fundus-2024-12.jpg".into(),
                    bytes: jpeg(),
                },
                Attachment {
                    name: "ecg.png".into(),
                    bytes: third,
                },
            ]
        };
        let zip = Package::create("letter.json", &letter, &files(png())).expect("package");
        let opened = Package::open(&zip).expect("opens");
        assert!(opened.problems().is_empty(), "{:?}", opened.problems());
        assert!(String::from_utf8_lossy(opened.manifest_bytes()).contains("image/png"));
        // JPEG bytes under a PNG name and type are refused.
        assert!(Package::create("letter.json", &letter, &files(jpeg())).is_err());
    }

    fn example_package() -> Vec<u8> {
        let letter = crate::hs038::write(&ReferralLetter::example()).expect("letter");
        Package::create(
            "letter.json",
            &letter,
            &[
                Attachment {
                    name: "lab-results-2025-03-10.pdf".into(),
                    bytes: pdf(),
                },
                Attachment {
                    name: "fundus-2024-12.jpg".into(),
                    bytes: jpeg(),
                },
            ],
        )
        .expect("package")
    }

    /// A package prepared from files has the manifest `create` gives, opens
    /// once written, and is refused when an attachment changed between the
    /// signature over the manifest and the writing.
    #[test]
    fn a_package_prepared_from_files_is_written_from_them_and_checked() {
        let dir = std::env::temp_dir().join(format!("inkan-pkg-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let (a, b) = (dir.join("a.pdf"), dir.join("b.jpg"));
        std::fs::write(&a, pdf()).expect("pdf");
        std::fs::write(&b, jpeg()).expect("jpeg");
        let letter = crate::hs038::write(&ReferralLetter::example()).expect("letter");
        let files = [
            ("lab-results-2025-03-10.pdf".to_owned(), a.clone()),
            ("fundus-2024-12.jpg".to_owned(), b),
        ];
        let prepared =
            Package::prepare_from_files("letter.json", &letter, &files).expect("prepared");
        let reference = Package::open(&example_package()).expect("reference");
        assert_eq!(prepared.manifest_bytes(), reference.manifest_bytes());
        let zip = prepared
            .write_signed(b"0\x00", Cursor::new(Vec::new()))
            .expect("written")
            .into_inner();
        let opened = Package::open(&zip).expect("opens");
        assert!(opened.problems().is_empty());
        assert_eq!(opened.signature(), Some(&b"0\x00"[..]));
        assert_eq!(opened.attachments()[0].bytes, pdf());

        // The PDF changes after the manifest was signed.
        let mut changed = pdf();
        changed[9] ^= 1;
        std::fs::write(&a, &changed).expect("change");
        let e = prepared
            .write_signed(b"0\x00", Cursor::new(Vec::new()))
            .expect_err("changed since signed");
        assert!(
            e.to_string().contains("changed after it was prepared"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_package_opens_with_every_file_verified() {
        let bytes = example_package();
        assert_eq!(bytes, example_package(), "deterministic");
        let p = Package::open(&bytes).expect("open");
        assert_eq!(p.problems(), vec![]);
        assert_eq!(p.attachments().len(), 2);
        assert_eq!(p.manifest().files.len(), 3);
        assert!(p.signature().is_none());
        let manifest: Manifest = serde_json::from_slice(p.manifest_bytes()).expect("manifest");
        assert_eq!(manifest.letter, "letter.json");
        assert_eq!(manifest.files[0].media_type, "application/fhir+json");
    }

    #[test]
    fn a_signature_is_added_without_touching_the_manifest() {
        let p = Package::open(&example_package()).expect("open");
        let signed = p.with_signature(&[0x30, 0x82, 0x01, 0x00]).expect("sign");
        let q = Package::open(&signed).expect("reopen");
        assert_eq!(q.manifest_bytes(), p.manifest_bytes());
        assert_eq!(q.signature(), Some(&[0x30, 0x82, 0x01, 0x00][..]));
        assert!(p.with_signature(&[]).is_err());
    }

    #[test]
    fn attachments_must_match_the_letter_and_be_pdf_or_jpeg() {
        let letter = crate::hs038::write(&ReferralLetter::example()).expect("letter");
        let err = Package::create(
            "letter.json",
            &letter,
            &[
                Attachment {
                    name: "lab-results-2025-03-10.pdf".into(),
                    bytes: b"MZ\x90\x00 not a pdf".to_vec(),
                },
                Attachment {
                    name: "../evil.jpg".into(),
                    bytes: jpeg(),
                },
                Attachment {
                    name: "extra.pdf".into(),
                    bytes: pdf(),
                },
            ],
        )
        .expect_err("invalid");
        let codes: Vec<&str> = err.problems().iter().map(|p| p.code()).collect();
        for c in [
            "package.not_pdf_or_jpeg",
            "package.unsafe_name",
            "package.not_in_letter",
            "package.missing_attachment",
        ] {
            assert!(codes.contains(&c), "{c} not in {codes:?}");
        }
    }

    #[test]
    fn invalid_letters_are_not_packaged() {
        let mut l = ReferralLetter::example();
        l.attachments.clear();
        let mut json = crate::hs038::write(&l).expect("letter");
        // Break it after writing: the Composition is no longer first.
        let text = String::from_utf8(json.clone()).expect("utf8");
        json = text
            .replace("\"type\": \"document\"", "\"type\": \"collection\"")
            .into_bytes();
        assert!(matches!(
            Package::create("letter.json", &json, &[]),
            Err(PackageError::LetterInvalid(_))
        ));
    }

    fn rezip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        write_zip(entries).expect("zip")
    }

    fn files_of(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut a = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        (0..a.len())
            .map(|i| {
                let mut f = a.by_index(i).expect("entry");
                let name = f.name().expect("name").into_owned();
                let mut data = Vec::new();
                f.read_to_end(&mut data).expect("read");
                (name, data)
            })
            .collect()
    }

    #[test]
    fn tampering_is_detected() {
        let files = files_of(&example_package());
        let as_refs = |files: &[(String, Vec<u8>)]| -> Vec<u8> {
            let entries: Vec<(&str, &[u8])> = files
                .iter()
                .map(|(n, d)| (n.as_str(), d.as_slice()))
                .collect();
            rezip(&entries)
        };
        let codes = |bytes: Vec<u8>| -> Vec<&'static str> {
            match Package::open(&bytes) {
                Err(e) => e.problems().iter().map(|p| p.code()).collect(),
                Ok(_) => vec![],
            }
        };

        // A changed attachment.
        let mut changed = files.clone();
        if let Some((_, d)) = changed.iter_mut().find(|(n, _)| n.ends_with(".pdf")) {
            d.push(b' ');
        }
        assert!(codes(as_refs(&changed)).contains(&"package.hash_mismatch"));

        // An extra file the manifest does not list.
        let mut extra = files.clone();
        extra.push(("note.pdf".into(), pdf()));
        assert_eq!(codes(as_refs(&extra)), vec!["package.not_in_manifest"]);

        // Path traversal and folders.
        let mut evil = files.clone();
        evil.push(("../../etc/cron.d/x".into(), pdf()));
        assert!(codes(as_refs(&evil)).contains(&"package.unsafe_name"));

        // A missing file.
        let missing: Vec<_> = files
            .iter()
            .filter(|(n, _)| !n.ends_with(".jpg"))
            .cloned()
            .collect();
        assert_eq!(codes(as_refs(&missing)), vec!["package.missing_file"]);

        // No manifest.
        let bare: Vec<_> = files
            .iter()
            .filter(|(n, _)| n != MANIFEST_NAME)
            .cloned()
            .collect();
        assert!(matches!(
            Package::open(&as_refs(&bare)),
            Err(PackageError::NoManifest)
        ));

        // Not a zip.
        assert!(matches!(
            Package::open(b"PK\x03\x04garbage"),
            Err(PackageError::NotZip { .. })
        ));
    }

    /// Reading a package file entry by entry (attachments hashed, not kept)
    /// judges every case exactly as reading it whole, and hands back the
    /// manifest and signature it read even when it refuses the package.
    #[test]
    fn a_file_inspected_entry_by_entry_is_judged_as_when_read_whole() {
        let files = files_of(&example_package());
        let zipped = |files: &[(String, Vec<u8>)]| -> Vec<u8> {
            let entries: Vec<(&str, &[u8])> = files
                .iter()
                .map(|(n, d)| (n.as_str(), d.as_slice()))
                .collect();
            rezip(&entries)
        };
        let mut changed = files.clone();
        if let Some((_, d)) = changed.iter_mut().find(|(n, _)| n.ends_with(".pdf")) {
            d[5] ^= 1;
        }
        let mut not_pdf = files.clone();
        if let Some((_, d)) = not_pdf.iter_mut().find(|(n, _)| n.ends_with(".pdf")) {
            d[0] = b'X';
        }
        let mut extra = files.clone();
        extra.push(("note.pdf".into(), pdf()));
        let with_sig: Vec<(String, Vec<u8>)> = files
            .iter()
            .cloned()
            .chain([(SIGNATURE_NAME.to_owned(), b"0\x00".to_vec())])
            .collect();
        let dir = std::env::temp_dir().join(format!("inkan-pkg-inspect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for (i, case) in [files.clone(), changed, not_pdf, extra, with_sig]
            .iter()
            .enumerate()
        {
            let bytes = zipped(case);
            let path = dir.join(format!("{i}.zip"));
            std::fs::write(&path, &bytes).expect("write");
            let whole = Package::open(&bytes);
            let inspected = Package::inspect_file(&path);
            let codes = |r: &Result<OpenedPackage, PackageError>| -> Vec<&'static str> {
                match r {
                    Ok(o) => o.problems().iter().map(|p| p.code()).collect(),
                    Err(e) => {
                        let mut c: Vec<_> = e.problems().iter().map(|p| p.code()).collect();
                        c.push(e.code());
                        c
                    }
                }
            };
            assert_eq!(codes(&whole), codes(&inspected.opened), "case {i}");
            assert_eq!(whole.is_ok(), inspected.opened.is_ok(), "case {i}");
            let manifest = case
                .iter()
                .find(|(n, _)| n == MANIFEST_NAME)
                .map(|f| f.1.clone());
            assert_eq!(inspected.manifest_bytes, manifest, "case {i}");
            if let Ok(o) = &inspected.opened {
                assert!(o.attachments().iter().all(|a| a.bytes.is_empty()));
                assert!(o.with_signature(b"0\x00").is_err(), "not re-signable");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn oversized_entries_are_refused_before_inflating() {
        // 60 MiB of zeros deflates to a few tens of kilobytes: a small bomb.
        let zeros = vec![0u8; (MAX_ATTACHMENT_BYTES + 10 * 1024 * 1024) as usize];
        let bytes = rezip(&[(MANIFEST_NAME, b"{}"), ("bomb.pdf", &zeros)]);
        assert!(bytes.len() < 1024 * 1024);
        let err = Package::open(&bytes).expect_err("bomb");
        assert!(
            err.problems()
                .iter()
                .any(|p| p.code() == "package.file_too_large"),
            "{err:?}"
        );
    }
}
