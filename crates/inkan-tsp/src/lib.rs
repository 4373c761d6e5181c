//! Time-stamps for Inkan: the RFC 3161 client and the token checks
//! ([`rfc3161`]), and the HTTP transport to a time-stamp authority
//! ([`client`]).
//!
//! Whether a TSA is *trusted* — its certificate's path to a configured TSA
//! trust anchor, with revocation — is decided by the validation layer with
//! the same path and CRL rules as for signers; this crate checks everything
//! that needs no trust anchor.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod rfc3161;

use inkan_l10n::{Localized, Text};

pub use client::{fetch_token, TsaConfig};
pub use rfc3161::{check_response, request, verify_token, ImprintHash, Request, TokenOk, TstInfo};

/// What can go wrong with a time-stamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TspError {
    /// The request could not be built.
    #[error("the time-stamp request could not be built: {0}")]
    Request(String),
    /// The TSA could not be reached or answered badly at the HTTP level.
    #[error("the time-stamp authority {url} could not be reached: {detail}")]
    Transport {
        /// The TSA URL.
        url: String,
        /// What happened.
        detail: String,
    },
    /// The answer is not a usable TimeStampResp.
    #[error("the time-stamp authority's answer is not usable: {0}")]
    Response(String),
    /// The TSA refused (PKIStatus other than granted).
    #[error("the time-stamp authority refused the request (status {status}): {text}")]
    Refused {
        /// The PKIStatus.
        status: u8,
        /// Its statusString.
        text: String,
    },
    /// The token uses an algorithm or key below the constraints (SHA-1, RSA
    /// under 2048 bits): it proves nothing, but is not shown false.
    #[error("the time-stamp token uses a rejected algorithm: {0}")]
    CryptoConstraints(String),
    /// The token is malformed or its signature does not verify.
    #[error("the time-stamp token is not valid: {0}")]
    Token(String),
    /// The token's imprint is not the hash of what it should stamp.
    #[error("the time-stamp token does not cover this signature ({algorithm} imprint differs)")]
    ImprintMismatch {
        /// The imprint algorithm.
        algorithm: &'static str,
    },
    /// The TSA certificate is not fit for time-stamping.
    #[error("the time-stamp authority's certificate is not usable: {0}")]
    TsaCertificate(String),
}

impl Localized for TspError {
    fn code(&self) -> &'static str {
        match self {
            TspError::Request(_) => "tsp.request",
            TspError::Transport { .. } => "tsp.transport",
            TspError::Response(_) => "tsp.response",
            TspError::Refused { .. } => "tsp.refused",
            TspError::Token(_) => "tsp.token",
            TspError::CryptoConstraints(_) => "tsp.crypto_constraints",
            TspError::ImprintMismatch { .. } => "tsp.imprint_mismatch",
            TspError::TsaCertificate(_) => "tsp.tsa_certificate",
        }
    }

    fn text(&self) -> Text {
        let ja = match self {
            TspError::Request(d) => format!("タイムスタンプ要求を作成できません: {d}"),
            TspError::Transport { url, detail } => format!(
                "タイムスタンプ局 {url} に接続できません。ネットワークと設定を確認してください: {detail}"
            ),
            TspError::Response(d) => format!("タイムスタンプ局の応答を使用できません: {d}"),
            TspError::Refused { status, text } => format!(
                "タイムスタンプ局が要求を拒否しました（状態 {status}）: {text}"
            ),
            TspError::Token(d) => format!("タイムスタンプトークンが正しくありません: {d}"),
            TspError::CryptoConstraints(d) => {
                format!("タイムスタンプトークンが使用できないアルゴリズムを使っています: {d}")
            }
            TspError::ImprintMismatch { algorithm } => format!(
                "タイムスタンプがこの署名に対応していません（{algorithm} のハッシュ値が一致しません）"
            ),
            TspError::TsaCertificate(d) => {
                format!("タイムスタンプ局の証明書を使用できません: {d}")
            }
        };
        Text::new(ja, self.to_string())
    }
}
