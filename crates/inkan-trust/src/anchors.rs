//! The certificates in `certs/`, embedded at build time, and the pinned root.

use crate::rfc5280_sig::{self, SigError};
use der::Decode;
use inkan_l10n::{Localized, Text};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

/// SHA-256 of the DER of `MHLW HPKI Root CA V2`, the only trust anchor Inkan ships.
///
/// Published by MHLW; see `certs/manifest.tsv`. Pinned here, in code, so that a
/// swapped `certs/` file cannot change what Inkan trusts.
pub const MHLW_HPKI_ROOT_CA_V2_SHA256: [u8; 32] = [
    0x6E, 0xD2, 0x79, 0x6B, 0x1B, 0x10, 0x17, 0x36, 0xD9, 0x52, 0x18, 0x57, 0x87, 0xCB, 0x36, 0xDA,
    0x9C, 0xE8, 0x05, 0x22, 0xCC, 0x8C, 0xB7, 0xB5, 0xCE, 0x72, 0x8B, 0x61, 0xBE, 0x1B, 0x67, 0x4C,
];

/// What a shipped certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CaRole {
    /// The trust anchor (self-signed root).
    Anchor,
    /// An issuing CA for signing (署名用) certificates.
    SigningCa,
    /// An issuing CA for authentication (認証用) certificates: never valid for documents.
    AuthenticationCa,
}

/// One certificate of the shipped trust configuration.
#[derive(Debug, Clone, Copy)]
pub struct ShippedCert {
    /// File name under `certs/`.
    pub file: &'static str,
    /// Its role.
    pub role: CaRole,
    /// The DER bytes.
    pub der: &'static [u8],
}

const SHIPPED: [ShippedCert; 4] = [
    ShippedCert {
        file: "mhlw-hpki-root-ca-v2.der",
        role: CaRole::Anchor,
        der: include_bytes!("../../../certs/mhlw-hpki-root-ca-v2.der"),
    },
    ShippedCert {
        file: "medis-sign-ca2.der",
        role: CaRole::SigningCa,
        der: include_bytes!("../../../certs/medis-sign-ca2.der"),
    },
    ShippedCert {
        file: "jma-sign-ca-jv2.der",
        role: CaRole::SigningCa,
        der: include_bytes!("../../../certs/jma-sign-ca-jv2.der"),
    },
    ShippedCert {
        file: "medis-auth-ca2.der",
        role: CaRole::AuthenticationCa,
        der: include_bytes!("../../../certs/medis-auth-ca2.der"),
    },
];

/// The shipped certificates, root first.
pub fn shipped() -> &'static [ShippedCert] {
    &SHIPPED
}

impl ShippedCert {
    /// SHA-256 of the DER.
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.der).into()
    }

    /// The fingerprint as colon-separated upper-case hex, as people compare it.
    pub fn fingerprint(&self) -> String {
        colon_hex(&self.sha256())
    }

    /// The parsed certificate.
    pub fn certificate(&self) -> Result<Certificate, AnchorError> {
        Certificate::from_der(self.der).map_err(|e| AnchorError::Malformed {
            file: self.file,
            detail: e.to_string(),
        })
    }

    /// The subject as an RFC 4514 string.
    pub fn subject(&self) -> Result<String, AnchorError> {
        Ok(self.certificate()?.tbs_certificate().subject().to_string())
    }
}

/// A shipped trust configuration that does not hold together. Any of these
/// means the installation was tampered with or built from a broken tree.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// The embedded root does not match the pinned fingerprint.
    #[error("the embedded root {file} has SHA-256 {actual}, not the pinned MHLW root fingerprint")]
    RootFingerprintMismatch {
        /// The embedded file.
        file: &'static str,
        /// Its actual fingerprint.
        actual: String,
    },
    /// A shipped certificate cannot be parsed.
    #[error("the shipped certificate {file} cannot be parsed: {detail}")]
    Malformed {
        /// The file.
        file: &'static str,
        /// The DER error.
        detail: String,
    },
    /// A shipped CA is not signed by the root (or the root not by itself).
    #[error("the shipped certificate {file} is not signed by the MHLW root: {source}")]
    NotIssuedByRoot {
        /// The file.
        file: &'static str,
        /// Why the signature check failed.
        #[source]
        source: SigError,
    },
}

impl Localized for AnchorError {
    fn code(&self) -> &'static str {
        match self {
            AnchorError::RootFingerprintMismatch { .. } => "trust.root_fingerprint_mismatch",
            AnchorError::Malformed { .. } => "trust.anchor_malformed",
            AnchorError::NotIssuedByRoot { .. } => "trust.anchor_not_issued_by_root",
        }
    }

    fn text(&self) -> Text {
        Text::new(
            format!("信頼の起点（トラストアンカー）の構成が不正です。Inkan を再インストールしてください。詳細: {self}"),
            format!("The trust anchor configuration is invalid; reinstall Inkan. Detail: {self}"),
        )
    }
}

/// The pinned anchor, after checking its fingerprint.
pub fn pinned_root() -> Result<&'static ShippedCert, AnchorError> {
    let root = &SHIPPED[0];
    if root.sha256() != MHLW_HPKI_ROOT_CA_V2_SHA256 {
        return Err(AnchorError::RootFingerprintMismatch {
            file: root.file,
            actual: root.fingerprint(),
        });
    }
    Ok(root)
}

/// Checks the whole shipped configuration: the pinned fingerprint, the root's
/// self-signature, and that the root issued every shipped CA.
pub fn check_shipped() -> Result<(), AnchorError> {
    let root = pinned_root()?;
    let root_cert = root.certificate()?;
    for c in SHIPPED.iter() {
        let cert = c.certificate()?;
        rfc5280_sig::verify_issued_by(c.der, &cert, &root_cert).map_err(|source| {
            AnchorError::NotIssuedByRoot {
                file: c.file,
                source,
            }
        })?;
    }
    Ok(())
}

/// `AA:BB:...` upper-case hex.
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `certs/manifest.tsv`, parsed: (file, role, sha256 hex).
    fn manifest() -> Vec<(String, String, String)> {
        include_str!("../../../certs/manifest.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let cols: Vec<&str> = l.split('\t').collect();
                assert!(cols.len() >= 3, "manifest line has too few columns: {l}");
                (cols[0].into(), cols[1].into(), cols[2].into())
            })
            .collect()
    }

    #[test]
    fn manifest_fingerprints_match_the_files() {
        let m = manifest();
        assert_eq!(m.len(), SHIPPED.len(), "manifest and embedded set differ");
        for (file, role, sha) in &m {
            let path = std::path::Path::new(
                &std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
            )
            .join("../../certs")
            .join(file);
            let bytes = std::fs::read(&path).expect("certificate file listed in manifest");
            assert_eq!(
                hex::encode_upper(Sha256::digest(&bytes)),
                *sha,
                "fingerprint of {file}"
            );
            let shipped = SHIPPED
                .iter()
                .find(|c| c.file == file)
                .expect("manifest file is embedded");
            assert_eq!(shipped.der, &bytes[..], "embedded copy of {file}");
            let expected_role = match shipped.role {
                CaRole::Anchor => "anchor",
                CaRole::SigningCa => "signing-ca",
                CaRole::AuthenticationCa => "authentication-ca",
            };
            assert_eq!(role, expected_role, "role of {file}");
        }
    }

    #[test]
    fn only_the_pinned_root_is_an_anchor() {
        let anchors: Vec<_> = SHIPPED
            .iter()
            .filter(|c| c.role == CaRole::Anchor)
            .collect();
        assert_eq!(anchors.len(), 1);
        assert_eq!(anchors[0].sha256(), MHLW_HPKI_ROOT_CA_V2_SHA256);
        assert_eq!(
            pinned_root().expect("pinned root").fingerprint(),
            "6E:D2:79:6B:1B:10:17:36:D9:52:18:57:87:CB:36:DA:9C:E8:05:22:CC:8C:B7:B5:CE:72:8B:61:BE:1B:67:4C"
        );
    }

    #[test]
    fn root_is_self_signed_and_issued_the_three_cas() {
        check_shipped().expect("shipped trust configuration holds together");
        let root = SHIPPED[0].certificate().expect("root parses");
        assert_eq!(
            root.tbs_certificate().subject(),
            root.tbs_certificate().issuer()
        );
        for c in &SHIPPED[1..] {
            let cert = c.certificate().expect("CA parses");
            assert_eq!(
                cert.tbs_certificate().issuer(),
                root.tbs_certificate().subject(),
                "{} names the MHLW root as issuer",
                c.file
            );
        }
    }

    #[test]
    fn a_ca_is_not_accepted_as_its_own_issuer() {
        // The signature check must be able to fail: a CA did not sign itself.
        let ca = SHIPPED[1].certificate().expect("CA parses");
        assert!(rfc5280_sig::verify_issued_by(SHIPPED[1].der, &ca, &ca).is_err());
    }

    #[test]
    fn a_flipped_signature_bit_is_rejected() {
        let mut der = SHIPPED[2].der.to_vec();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let cert = Certificate::from_der(&der).expect("still parses");
        let root = SHIPPED[0].certificate().expect("root");
        assert!(matches!(
            rfc5280_sig::verify_issued_by(&der, &cert, &root),
            Err(SigError::BadSignature)
        ));
    }
}
