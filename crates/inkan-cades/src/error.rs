//! Errors of the CAdES layer, with their ETSI EN 319 102-1 status.

use inkan_l10n::{Localized, Text};

/// The error an [`ExternalSigner`](crate::ExternalSigner) reports (the card's own
/// error, e.g. a wrong PIN), carried through [`CadesError::Signer`] unchanged.
///
/// Callers recover the original error with [`SignerError::downcast_ref`] (or
/// by taking `.0`).
#[derive(Debug)]
pub struct SignerError(pub Box<dyn std::error::Error + Send + Sync>);

impl SignerError {
    /// Wraps any error.
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        SignerError(e.into())
    }

    /// The original error, if it is a `T`.
    pub fn downcast_ref<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

impl std::fmt::Display for SignerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SignerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// ETSI EN 319 102-1 §5.1.3 main status indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indication {
    /// `TOTAL_FAILED`: the signature is proven invalid.
    TotalFailed,
    /// `INDETERMINATE`: the checks could not conclude.
    Indeterminate,
}

impl Indication {
    /// The ETSI spelling (`TOTAL_FAILED`, `INDETERMINATE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Indication::TotalFailed => "TOTAL_FAILED",
            Indication::Indeterminate => "INDETERMINATE",
        }
    }
}

impl std::fmt::Display for Indication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong when signing, parsing or checking the integrity
/// of a CAdES signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CadesError {
    /// The external signer (the card) failed; its error is carried unchanged.
    #[error("the signer failed: {0}")]
    Signer(#[source] SignerError),
    /// The signer's certificate cannot be used to build a signature.
    #[error("the signing certificate cannot be used: {reason}")]
    SignerCertificate {
        /// What is wrong with it.
        reason: String,
    },
    /// Encoding the signature failed (unexpected; a bug or an unencodable input).
    #[error("could not encode the signature: {0}")]
    Encode(String),
    /// The input is not a well-formed CMS ContentInfo(SignedData).
    #[error("malformed CMS signature ({context}): {reason}")]
    Malformed {
        /// Where in the structure.
        context: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Bytes follow the DER ContentInfo.
    #[error("{extra} bytes of trailing data after the signature")]
    TrailingData {
        /// How many.
        extra: usize,
    },
    /// The ContentInfo is not SignedData.
    #[error("not a CMS SignedData (content type {content_type})")]
    NotSignedData {
        /// The contentType found.
        content_type: String,
    },
    /// The SignedData has no SignerInfo.
    #[error("the SignedData contains no signer")]
    NoSigner,
    /// The SignedData has several signers; [`crate::verify_integrity`] handles exactly one.
    #[error("the SignedData contains {count} signers; use verify_signer_integrity per signer")]
    MultipleSigners {
        /// How many.
        count: usize,
    },
    /// A signer index out of range.
    #[error("signer #{index} does not exist")]
    NoSuchSigner {
        /// The index asked for.
        index: usize,
    },
    /// The SignerInfo has no signed attributes (CAdES requires them).
    #[error("the signature has no signed attributes (CAdES requires them)")]
    NoSignedAttributes,
    /// A required signed attribute is missing or has not exactly one value.
    #[error("signed attribute {attribute} is missing or malformed: {reason}")]
    BadSignedAttribute {
        /// The attribute's name.
        attribute: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The content-type signed attribute disagrees with eContentType.
    #[error(
        "the content-type attribute ({attribute}) disagrees with eContentType ({econtent_type})"
    )]
    ContentTypeMismatch {
        /// The value of the content-type attribute.
        attribute: String,
        /// The eContentType.
        econtent_type: String,
    },
    /// eContentType is not id-data: the signed content is not a document.
    #[error("the signed content is of type {econtent_type}, not a document (id-data)")]
    NotDocumentContent {
        /// The eContentType found.
        econtent_type: String,
    },
    /// More SignerInfos than a verifier looks at.
    #[error("the signature has {count} signers; at most {max} are checked")]
    TooManySigners {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The digest algorithm is not SHA-256, SHA-384 or SHA-512.
    #[error("unsupported or weak digest algorithm {oid} (accepted: SHA-256, SHA-384, SHA-512)")]
    UnsupportedDigest {
        /// The algorithm OID.
        oid: String,
    },
    /// The signature algorithm is not RSA PKCS#1 v1.5 consistent with the digest.
    #[error("unsupported signature algorithm {oid}")]
    UnsupportedSignatureAlgorithm {
        /// The algorithm OID.
        oid: String,
    },
    /// The signer's RSA key is smaller than 2048 bits (or not RSA).
    #[error("the signer's key is too weak: {reason}")]
    WeakKey {
        /// Key size or type found.
        reason: String,
    },
    /// A detached signature was given without its content.
    #[error("detached signature: the signed document was not provided")]
    DetachedContentMissing,
    /// The signed document could not be read (while hashing it in chunks).
    #[error("the document {path} cannot be read: {reason}")]
    ContentRead {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// An attached (enveloping) signature would hold more than the limit.
    #[error("the document is {size} bytes, more than the {limit} bytes an attached signature may hold: sign it detached")]
    AttachedTooLarge {
        /// The document's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The content does not match the message-digest attribute.
    #[error(
        "the document does not match the signature (message-digest {digest_algorithm} mismatch)"
    )]
    ContentDigestMismatch {
        /// Digest algorithm used.
        digest_algorithm: &'static str,
    },
    /// The eContent and the separately given content differ.
    #[error("the document given differs from the content embedded in the signature")]
    ContentMismatch,
    /// The signer certificate is not among the embedded or extra certificates.
    #[error("the signer's certificate ({signer_id}) is not in the signature nor among the extra certificates")]
    SignerCertificateNotFound {
        /// The SignerIdentifier, human readable.
        signer_id: String,
    },
    /// signing-certificate-v2 is missing.
    #[error("the signing-certificate-v2 attribute (RFC 5035) is missing")]
    SigningCertificateV2Missing,
    /// signing-certificate-v2 does not identify the signer certificate.
    #[error(
        "the signing-certificate-v2 attribute does not match the signer's certificate: {reason}"
    )]
    SigningCertificateV2Mismatch {
        /// What differs.
        reason: String,
    },
    /// The RSA signature does not verify.
    #[error("the signature value does not verify with the signer's public key")]
    BadSignature,
}

impl CadesError {
    /// A [`CadesError::Malformed`] at `context`.
    pub fn malformed(context: &'static str, reason: impl std::fmt::Display) -> Self {
        CadesError::Malformed {
            context,
            reason: reason.to_string(),
        }
    }

    /// The ETSI EN 319 102-1 sub-indication (§5.1.3, Table 6/7).
    pub fn sub_indication(&self) -> &'static str {
        use CadesError::*;
        match self {
            ContentDigestMismatch { .. } | ContentMismatch => "HASH_FAILURE",
            BadSignature => "SIG_CRYPTO_FAILURE",
            SignerCertificateNotFound { .. }
            | SigningCertificateV2Missing
            | SigningCertificateV2Mismatch { .. } => "NO_SIGNING_CERTIFICATE_FOUND",
            DetachedContentMissing | ContentRead { .. } => "SIGNED_DATA_NOT_FOUND",
            Signer(_)
            | SignerCertificate { .. }
            | Encode(_)
            | Malformed { .. }
            | TrailingData { .. }
            | NotSignedData { .. }
            | NoSigner
            | MultipleSigners { .. }
            | NoSuchSigner { .. }
            | NoSignedAttributes
            | BadSignedAttribute { .. }
            | ContentTypeMismatch { .. }
            | NotDocumentContent { .. } => "FORMAT_FAILURE",
            // EN 319 102-1 §5.2.8: an algorithm or key below the constraints
            // is INDETERMINATE, not a proof that the signature is false.
            UnsupportedDigest { .. } | UnsupportedSignatureAlgorithm { .. } | WeakKey { .. } => {
                "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
            }
            TooManySigners { .. } | AttachedTooLarge { .. } => "GENERIC",
        }
    }

    /// The ETSI EN 319 102-1 main indication that goes with [`Self::sub_indication`].
    pub fn indication(&self) -> Indication {
        match self.sub_indication() {
            "SIGNED_DATA_NOT_FOUND"
            | "NO_SIGNING_CERTIFICATE_FOUND"
            | "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
            | "GENERIC" => Indication::Indeterminate,
            _ => Indication::TotalFailed,
        }
    }
}

impl Localized for CadesError {
    fn code(&self) -> &'static str {
        use CadesError::*;
        match self {
            Signer(_) => "cades.signer",
            SignerCertificate { .. } => "cades.signer_certificate",
            Encode(_) => "cades.encode",
            Malformed { .. } => "cades.malformed",
            TrailingData { .. } => "cades.trailing_data",
            NotSignedData { .. } => "cades.not_signed_data",
            NoSigner => "cades.no_signer",
            MultipleSigners { .. } => "cades.multiple_signers",
            NoSuchSigner { .. } => "cades.no_such_signer",
            NoSignedAttributes => "cades.no_signed_attributes",
            BadSignedAttribute { .. } => "cades.bad_signed_attribute",
            ContentTypeMismatch { .. } => "cades.content_type_mismatch",
            NotDocumentContent { .. } => "cades.not_document_content",
            TooManySigners { .. } => "cades.too_many_signers",
            UnsupportedDigest { .. } => "cades.unsupported_digest",
            UnsupportedSignatureAlgorithm { .. } => "cades.unsupported_signature_algorithm",
            WeakKey { .. } => "cades.weak_key",
            DetachedContentMissing => "cades.detached_content_missing",
            ContentRead { .. } => "cades.content_read",
            AttachedTooLarge { .. } => "cades.attached_too_large",
            ContentDigestMismatch { .. } => "cades.content_digest_mismatch",
            ContentMismatch => "cades.content_mismatch",
            SignerCertificateNotFound { .. } => "cades.signer_certificate_not_found",
            SigningCertificateV2Missing => "cades.signing_certificate_v2_missing",
            SigningCertificateV2Mismatch { .. } => "cades.signing_certificate_v2_mismatch",
            BadSignature => "cades.bad_signature",
        }
    }

    fn text(&self) -> Text {
        use CadesError::*;
        let en = self.to_string();
        let ja = match self {
            Signer(e) => format!("署名（カード）でエラーが発生しました: {e}"),
            SignerCertificate { reason } => {
                format!("署名用証明書を使用できません: {reason}")
            }
            Encode(e) => format!("署名データを作成できませんでした（内部エラー）: {e}"),
            Malformed { context, reason } => {
                format!("署名ファイルの形式が正しくありません（{context}）: {reason}")
            }
            TrailingData { extra } => {
                format!("署名データの後ろに余分なデータ（{extra} バイト）があります。改ざんの可能性があります")
            }
            NotSignedData { content_type } => {
                format!("CMS 署名データ（SignedData）ではありません（種別 {content_type}）")
            }
            NoSigner => "署名データに署名者が含まれていません".to_owned(),
            MultipleSigners { count } => {
                format!("署名データに {count} 名の署名者が含まれています。署名者ごとに検証してください")
            }
            NoSuchSigner { index } => format!("{index} 番目の署名者は存在しません"),
            NoSignedAttributes => {
                "署名属性がありません。CAdES 署名には署名属性が必須です".to_owned()
            }
            BadSignedAttribute { attribute, reason } => {
                format!("署名属性 {attribute} がないか、形式が正しくありません: {reason}")
            }
            ContentTypeMismatch {
                attribute,
                econtent_type,
            } => format!(
                "署名属性の content-type（{attribute}）が署名対象データの種別（{econtent_type}）と一致しません"
            ),
            NotDocumentContent { econtent_type } => format!(
                "署名対象が文書（id-data）ではありません（種別 {econtent_type}）。文書の署名として扱えません"
            ),
            TooManySigners { count, max } => format!(
                "署名者が {count} 名含まれています。検証するのは {max} 名までです"
            ),
            UnsupportedDigest { oid } => format!(
                "ハッシュアルゴリズム {oid} は使用できません（SHA-256/384/512 のみ受け付けます）"
            ),
            UnsupportedSignatureAlgorithm { oid } => {
                format!("署名アルゴリズム {oid} には対応していません")
            }
            WeakKey { reason } => {
                format!("署名者の鍵が弱すぎます（RSA 2048 ビット以上が必要）: {reason}")
            }
            DetachedContentMissing => {
                "分離署名です。署名対象の文書ファイルを指定してください".to_owned()
            }
            ContentRead { path, reason } => {
                format!("文書 {path} を読み取れません: {reason}")
            }
            AttachedTooLarge { size, limit } => format!(
                "文書が {size} バイトあり、埋め込み（attached）署名の上限 {limit} バイトを超えています。分離（detached）署名にしてください"
            ),
            ContentDigestMismatch { digest_algorithm } => format!(
                "文書が署名時から変更されています（{digest_algorithm} ハッシュ値が一致しません）"
            ),
            ContentMismatch => {
                "指定された文書が署名データに埋め込まれた文書と異なります".to_owned()
            }
            SignerCertificateNotFound { signer_id } => format!(
                "署名者の証明書（{signer_id}）が署名データ内にも追加の証明書にも見つかりません"
            ),
            SigningCertificateV2Missing => {
                "署名属性 signing-certificate-v2（RFC 5035）がありません".to_owned()
            }
            SigningCertificateV2Mismatch { reason } => format!(
                "署名属性 signing-certificate-v2 が署名者の証明書と一致しません: {reason}"
            ),
            BadSignature => {
                "署名値が署名者の公開鍵で検証できません。署名または証明書が改ざんされています"
                    .to_owned()
            }
        };
        Text::new(ja, en)
    }
}
