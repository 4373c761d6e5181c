//! Which trust anchors a validation uses (RFC 5280 §6.1.1 (d), "trust anchor
//! information").
//!
//! [`TrustStore::Default`] is the shipped configuration: the MHLW HPKI Root CA V2,
//! checked against its pinned SHA-256 fingerprint every time it is used, with
//! the shipped issuing CAs as path-building material only. [`TrustStore::Test`]
//! exists for tests and the explicit test mode; every report made with it has
//! [`crate::path::PathReport::test_trust`] set, and the UI/CLI must then say TEST.

use std::path::Path;

use inkan_l10n::{Localized, Text};

use crate::anchors::{self, AnchorError, CaRole};

/// The trust anchors and the certificate pool shipped with them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustStore {
    /// The pinned MHLW root as the only anchor; the shipped HPKI CAs as pool.
    Default,
    /// An explicitly selected test configuration. Never the default.
    Test {
        /// Trust anchors (DER).
        anchors: Vec<Vec<u8>>,
        /// Intermediate certificates offered for path building (DER); not trusted.
        pool: Vec<Vec<u8>>,
        /// Where it came from, for the TEST banner (e.g. the directory).
        label: String,
    },
}

/// Why a test trust store could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file holds no parsable certificate.
    #[error("{path} holds no parsable certificate: {detail}")]
    Malformed {
        /// The file.
        path: String,
        /// The parse error.
        detail: String,
    },
    /// The shipped configuration is broken.
    #[error(transparent)]
    Anchor(#[from] AnchorError),
}

impl Localized for TrustError {
    fn code(&self) -> &'static str {
        match self {
            TrustError::Io { .. } => "trust.test_store_io",
            TrustError::Malformed { .. } => "trust.test_store_malformed",
            TrustError::Anchor(e) => e.code(),
        }
    }

    fn text(&self) -> Text {
        match self {
            TrustError::Io { path, source } => Text::new(
                format!("テスト用トラストストアのファイル {path} を読み込めません: {source}"),
                format!("Cannot read the test trust store file {path}: {source}"),
            ),
            TrustError::Malformed { path, detail } => Text::new(
                format!("テスト用トラストストアのファイル {path} に証明書がありません: {detail}"),
                format!("The test trust store file {path} holds no certificate: {detail}"),
            ),
            TrustError::Anchor(e) => e.text(),
        }
    }
}

/// Reads certificates from PEM (one or more `CERTIFICATE` blocks) or a single DER.
pub fn certificates_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use der::Encode;
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        let certs = x509_cert::Certificate::load_pem_chain(bytes).map_err(|e| e.to_string())?;
        if certs.is_empty() {
            return Err("no CERTIFICATE block".into());
        }
        certs
            .iter()
            .map(|c| c.to_der().map_err(|e| e.to_string()))
            .collect()
    } else {
        crate::path::parse_certificate(bytes).map_err(|e| e.to_string())?;
        Ok(vec![bytes.to_vec()])
    }
}

impl TrustStore {
    /// The shipped store, after checking the pinned fingerprint and that the
    /// root issued every shipped CA.
    pub fn default_store() -> Result<Self, AnchorError> {
        anchors::check_shipped()?;
        Ok(TrustStore::Default)
    }

    /// A test store from a directory written by `inkan testpki generate`:
    /// `DIR/root.pem` is the anchor, every `DIR/*-ca.pem` goes into the pool
    /// (a look-alike CA in the pool is harmless: path building checks signatures).
    pub fn test_from_dir(dir: &Path) -> Result<Self, TrustError> {
        let read = |p: &Path| -> Result<Vec<Vec<u8>>, TrustError> {
            let bytes = std::fs::read(p).map_err(|source| TrustError::Io {
                path: p.display().to_string(),
                source,
            })?;
            certificates_from_pem_or_der(&bytes).map_err(|detail| TrustError::Malformed {
                path: p.display().to_string(),
                detail,
            })
        };
        let anchors = read(&dir.join("root.pem"))?;
        let mut pool = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|source| TrustError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let mut names: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with("-ca.pem"))
            })
            .collect();
        names.sort();
        for p in names {
            pool.extend(read(&p)?);
        }
        Ok(TrustStore::Test {
            anchors,
            pool,
            label: format!("TEST trust store {}", dir.display()),
        })
    }

    /// Whether this is a test store (outputs must then say TEST).
    pub fn is_test(&self) -> bool {
        matches!(self, TrustStore::Test { .. })
    }

    /// The trust anchors (DER). For [`TrustStore::Default`] the root's pinned
    /// fingerprint is checked first.
    pub fn anchors(&self) -> Result<Vec<&[u8]>, AnchorError> {
        match self {
            TrustStore::Default => Ok(vec![anchors::pinned_root()?.der]),
            TrustStore::Test { anchors, .. } => Ok(anchors.iter().map(Vec::as_slice).collect()),
        }
    }

    /// Untrusted path-building material shipped with the store (DER).
    pub fn pool(&self) -> Vec<&[u8]> {
        match self {
            TrustStore::Default => anchors::shipped()
                .iter()
                .filter(|c| c.role != CaRole::Anchor)
                .map(|c| c.der)
                .collect(),
            TrustStore::Test { pool, .. } => pool.iter().map(Vec::as_slice).collect(),
        }
    }

    /// A label for reports: the MHLW root, or `TEST …`.
    pub fn label(&self) -> String {
        match self {
            TrustStore::Default => "MHLW HPKI Root CA V2 (pinned)".to_owned(),
            TrustStore::Test { label, .. } => label.clone(),
        }
    }
}
