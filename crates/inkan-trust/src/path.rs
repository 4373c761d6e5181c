//! Certification path validation (RFC 5280 §6) with the HPKI signing-certificate
//! checks and CRL revocation (RFC 5280 §6.3), reported with ETSI EN 319 102-1
//! indications.
//!
//! # What is checked, in order
//! 1. **Path building** from the end entity to a trust anchor through the store's
//!    pool and the caller's pool (which may hold unrelated certificates):
//!    candidates are chosen by name chaining (issuer = subject, RFC 5280
//!    §6.1.3 (a)(4)) and authorityKeyIdentifier/subjectKeyIdentifier
//!    (§4.2.1.1, §4.2.1.2); every certificate's signature is verified with its
//!    issuer's key over the original `tbsCertificate` bytes (§6.1.3 (a)(1)).
//!    Several candidates are tried (depth-first), so a look-alike CA in the pool
//!    cannot hide the real one.
//! 2. **Cryptographic constraints**: SHA-1 certificate signatures are rejected
//!    (both profiles: the verifier does not implement SHA-1); RSA keys under 2048
//!    bits are rejected in the HPKI profile.
//! 3. **Validity** of every certificate at the validation time (§6.1.3 (a)(2)),
//!    the anchor included.
//! 4. **Structure** (§6.1.4): intermediates have basicConstraints cA = TRUE
//!    (k), pathLenConstraint (l)(m), keyUsage keyCertSign when keyUsage is present
//!    (n); every critical extension must be understood (§6.1.3/§6.1.4 (o)).
//!    Understood: keyUsage, basicConstraints, certificatePolicies,
//!    policyConstraints, subjectKeyIdentifier, authorityKeyIdentifier,
//!    subjectAltName, extKeyUsage, cRLDistributionPoints,
//!    subjectDirectoryAttributes. **Not implemented** (so a critical one fails
//!    the path): nameConstraints, policyMappings, inhibitAnyPolicy.
//! 5. **Policy processing** (§6.1.2–§6.1.5) with user-initial-policy-set =
//!    {anyPolicy}, initial-explicit-policy = false, initial-policy-mapping-inhibit
//!    and initial-any-policy-inhibit = false; the valid policy tree is tracked as
//!    a set of policy OIDs (equivalent without policy mappings);
//!    requireExplicitPolicy of policyConstraints is honoured.
//! 6. **HPKI checks** (profile [`ValidationProfile::Hpki`] only, on the end
//!    entity): the signing policy `1.2.392.100495.1.5.1.1.0.1` is asserted (an
//!    authentication certificate is named as such), keyUsage nonRepudiation is set
//!    (digitalSignature is *not* required), the hcRole parses (an absent hcRole is
//!    reported in `role_error`, a malformed one fails).
//! 7. **Revocation** of every non-anchor certificate by CRL ([`crate::crl`]).
//!
//! # ETSI EN 319 102-1 indications
//! Inkan verifies basic (B-level) signatures without proof of existence (POE),
//! so every failure of the X.509 certificate validation building block
//! (EN 319 102-1 §5.2.6) is INDETERMINATE: the standard turns REVOKED/EXPIRED
//! into TOTAL-FAILED only when a POE (e.g. a signature time-stamp) shows the
//! signature was made after the revocation or the expiry (§5.3.4, §5.5/§5.6
//! long-term validation); without one it returns REVOKED_NO_POE /
//! OUT_OF_BOUNDS_NO_POE.
//!
//! | [`PathFailure`] | indication | sub-indication |
//! |---|---|---|
//! | `TrustStore`, `NoChain`, `UntrustedRoot`, `PathTooComplex` | INDETERMINATE | NO_CERTIFICATE_CHAIN_FOUND |
//! | `Malformed` (end entity does not parse) | INDETERMINATE | NO_SIGNING_CERTIFICATE_FOUND |
//! | `Expired` | INDETERMINATE | OUT_OF_BOUNDS_NO_POE |
//! | `NotYetValid` | INDETERMINATE | NOT_YET_VALID |
//! | `Revoked` (end entity) | INDETERMINATE | REVOKED_NO_POE |
//! | `Revoked` (a CA of the path) | INDETERMINATE | REVOKED_CA_NO_POE |
//! | `RevocationUnknown` | INDETERMINATE | TRY_LATER |
//! | `SignatureInvalid`, `Rfc5280` | INDETERMINATE | CERTIFICATE_CHAIN_GENERAL_FAILURE |
//! | `WeakAlgorithm` | INDETERMINATE | CRYPTO_CONSTRAINTS_FAILURE_NO_POE |
//! | `NotSigningPolicy`, `KeyUsage`, `AuthenticationCertificate` | INDETERMINATE | CHAIN_CONSTRAINTS_FAILURE |
//! | `MalformedHcRole`, `RoleNotAllowed` | INDETERMINATE | SIG_CONSTRAINTS_FAILURE |
//!
//! NOT_YET_VALID is listed by EN 319 102-1 under both TOTAL-FAILED and
//! INDETERMINATE; without a POE the validation time is the verifier's clock,
//! and a clock running behind is the usual cause, so it stays INDETERMINATE.
//!
//! [`PathStatus::Failed`] (TOTAL-FAILED) is therefore not produced by this module
//! today; it is kept for the POE-based rules of a later time-stamp step.

use std::collections::BTreeSet;
use std::time::SystemTime;

use der::{Decode, Encode};
use inkan_l10n::{Localized, Text};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, KeyUsage, PolicyConstraints,
    SubjectKeyIdentifier,
};
use x509_cert::Certificate;

use crate::crl::{self, rfc3339, RevocationConfig, RevocationInfo, RevocationStatus};
use crate::iso17090::{self, HcRole, HcRoleError};
use crate::rfc5280_sig::{self, SigError};
use crate::store::TrustStore;

/// HPKI signing (署名用) end-entity certificate policy.
pub const POLICY_HPKI_SIGNING_EE: &str = "1.2.392.100495.1.5.1.1.0.1";
/// HPKI authentication (認証用) end-entity certificate policy.
pub const POLICY_HPKI_AUTH_EE: &str = "1.2.392.100495.1.5.1.2.0.1";
/// HPKI authentication CA policy.
pub const POLICY_HPKI_AUTH_CA: &str = "1.2.392.100495.1.5.1.2.3.1";
const ANY_POLICY: &str = "2.5.29.32.0";
/// Smallest RSA modulus accepted in the HPKI profile.
pub const MIN_RSA_BITS: usize = 2048;
const MAX_DEPTH: usize = 8;
/// Certificate signatures checked while building one path: this many, plus
/// two for every pool certificate (see [`MAX_POOL_CERTIFICATES`]). A real
/// HPKI path needs 2 or 3 and NIST PKITS a handful. A signature file can
/// carry certificates with a CA's name and key identifier: without a bound,
/// look-alikes that chain to each other make the depth-first search try
/// every ordering of them; and copies of the real CA with a broken signature
/// (which anyone can make) cost two checks each before the real one is
/// tried, hence the share per certificate, so that stuffing a file with them
/// cannot turn a valid path into a give-up.
pub const MAX_PATH_SIGNATURE_CHECKS: usize = 100;
/// Certificates taken from [`PathInput::pool`] (the ones a signature file
/// carries), at most; the rest are ignored. Real files carry 1 to 4; the trust
/// store's own pool is searched first and is not limited.
pub const MAX_POOL_CERTIFICATES: usize = 256;

/// Which checks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValidationProfile {
    /// RFC 5280 + the HPKI signing-certificate checks + RSA ≥ 2048 (the default).
    #[default]
    Hpki,
    /// Plain RFC 5280 with the standard default inputs (any policy, no explicit
    /// policy, no HPKI checks), for cross-checking against other validators.
    Rfc5280,
}

/// What to validate.
#[derive(Debug, Clone, Copy)]
pub struct PathInput<'a> {
    /// The end-entity certificate (DER).
    pub end_entity: &'a [u8],
    /// Untrusted certificates for path building, in any order, possibly unrelated (DER).
    pub pool: &'a [Vec<u8>],
    /// The trust anchors.
    pub trust: &'a TrustStore,
    /// The validation time (now, or the time-stamp's genTime, or `--at`).
    pub at: SystemTime,
    /// Which checks.
    pub profile: ValidationProfile,
    /// Where CRLs come from.
    pub revocation: &'a RevocationConfig,
}

/// A certificate's validity at the validation time (RFC 5280 §4.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertValidity {
    /// notBefore <= at <= notAfter.
    Valid,
    /// at > notAfter.
    Expired,
    /// at < notBefore.
    NotYetValid,
}

/// One certificate of the path, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the DER, hex.
    pub sha256: String,
    /// Validity at the validation time.
    pub validity: CertValidity,
    /// Whether this is the trust anchor.
    pub anchor: bool,
}

/// Why a path is not acceptable. Each carries the certificate concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PathFailure {
    /// The trust store itself is broken (pinned fingerprint mismatch, …).
    #[error("the trust store is unusable: {detail}")]
    TrustStore {
        /// Why.
        detail: String,
    },
    /// The end-entity certificate does not parse.
    #[error("the signer's certificate cannot be parsed: {detail}")]
    Malformed {
        /// The DER error.
        detail: String,
    },
    /// No issuer of `subject` was found among the anchors and the pool.
    #[error("no certification path: no issuer found for {subject} (issuer {issuer})")]
    NoChain {
        /// The certificate whose issuer is missing.
        subject: String,
        /// The issuer name it names.
        issuer: String,
    },
    /// Path building gave up: too many candidate issuers (the signature
    /// budget, [`MAX_PATH_SIGNATURE_CHECKS`], spent without a path).
    #[error(
        "no certification path for {subject}: gave up after {tried} signature checks (too many candidate issuers)"
    )]
    PathTooComplex {
        /// The end entity.
        subject: String,
        /// Signatures checked before giving up.
        tried: usize,
    },
    /// The path ends in a self-signed certificate that is not a trust anchor.
    #[error("the path ends in {root}, which is not a trusted root")]
    UntrustedRoot {
        /// The untrusted root.
        root: String,
    },
    /// A certificate's signature does not verify with its issuer's key.
    #[error("the signature of {subject} does not verify with the key of {issuer}: {detail}")]
    SignatureInvalid {
        /// The certificate.
        subject: String,
        /// Its would-be issuer.
        issuer: String,
        /// The verifier's error.
        detail: String,
    },
    /// A rejected algorithm or key size.
    #[error("{subject} uses a rejected algorithm: {detail}")]
    WeakAlgorithm {
        /// The certificate.
        subject: String,
        /// What is weak (`sha1WithRSAEncryption`, `RSA-1024`).
        detail: String,
    },
    /// `at` is after notAfter.
    #[error("{subject} expired at {not_after} (validation time {at})")]
    Expired {
        /// The certificate.
        subject: String,
        /// notAfter.
        not_after: String,
        /// Validation time.
        at: String,
    },
    /// `at` is before notBefore.
    #[error("{subject} is valid only from {not_before} (validation time {at})")]
    NotYetValid {
        /// The certificate.
        subject: String,
        /// notBefore.
        not_before: String,
        /// Validation time.
        at: String,
    },
    /// Revoked at or before the validation time.
    #[error("{subject} was revoked at {at} (reason {reason:?})")]
    Revoked {
        /// The certificate.
        subject: String,
        /// revocationDate.
        at: String,
        /// reasonCode, if any.
        reason: Option<String>,
        /// Whether the revoked certificate is a CA of the path.
        ca: bool,
    },
    /// No usable CRL: revocation status unknown.
    #[error("the revocation status of {subject} is unknown: {why}")]
    RevocationUnknown {
        /// The certificate.
        subject: String,
        /// Why no CRL could be used.
        why: String,
    },
    /// Any other RFC 5280 §6.1 failure (basicConstraints, keyCertSign, pathLen,
    /// unknown critical extension, policy).
    #[error("RFC 5280 path validation failed at {subject}: {detail}")]
    Rfc5280 {
        /// The certificate.
        subject: String,
        /// What failed.
        detail: String,
    },
    /// HPKI: the end entity does not assert the HPKI signing policy.
    #[error("{subject} does not assert the HPKI signing policy {POLICY_HPKI_SIGNING_EE} (policies: {found})")]
    NotSigningPolicy {
        /// The certificate.
        subject: String,
        /// The policies it asserts.
        found: String,
    },
    /// HPKI: keyUsage lacks nonRepudiation.
    #[error("{subject} keyUsage does not include nonRepudiation (keyUsage: {found})")]
    KeyUsage {
        /// The certificate.
        subject: String,
        /// The keyUsage bits found.
        found: String,
    },
    /// HPKI: an authentication (認証用) certificate, never valid for documents.
    #[error("{subject} is an HPKI authentication certificate, not a signing certificate")]
    AuthenticationCertificate {
        /// The certificate.
        subject: String,
    },
    /// HPKI: the hcRole cannot be decoded.
    #[error("the hcRole of {subject} is malformed: {detail}")]
    MalformedHcRole {
        /// The certificate.
        subject: String,
        /// The decoding error.
        detail: String,
    },
    /// Document policy: this role may not sign this document.
    #[error("a referral letter must be signed by a physician (医師) or dentist (歯科医師); the signer is {role}")]
    RoleNotAllowed {
        /// The role found (Japanese when known), or `none`.
        role: String,
    },
}

impl PathFailure {
    /// ETSI EN 319 102-1 main indication: `TOTAL_FAILED` or `INDETERMINATE`.
    pub fn indication(&self) -> &'static str {
        "INDETERMINATE"
    }

    /// ETSI EN 319 102-1 sub-indication (see the table in the module docs).
    pub fn sub_indication(&self) -> &'static str {
        match self {
            PathFailure::TrustStore { .. }
            | PathFailure::NoChain { .. }
            | PathFailure::PathTooComplex { .. }
            | PathFailure::UntrustedRoot { .. } => "NO_CERTIFICATE_CHAIN_FOUND",
            PathFailure::Malformed { .. } => "NO_SIGNING_CERTIFICATE_FOUND",
            PathFailure::Expired { .. } => "OUT_OF_BOUNDS_NO_POE",
            PathFailure::NotYetValid { .. } => "NOT_YET_VALID",
            PathFailure::Revoked { ca: false, .. } => "REVOKED_NO_POE",
            PathFailure::Revoked { ca: true, .. } => "REVOKED_CA_NO_POE",
            PathFailure::RevocationUnknown { .. } => "TRY_LATER",
            PathFailure::SignatureInvalid { .. } | PathFailure::Rfc5280 { .. } => {
                "CERTIFICATE_CHAIN_GENERAL_FAILURE"
            }
            PathFailure::WeakAlgorithm { .. } => "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
            PathFailure::NotSigningPolicy { .. }
            | PathFailure::KeyUsage { .. }
            | PathFailure::AuthenticationCertificate { .. } => "CHAIN_CONSTRAINTS_FAILURE",
            PathFailure::MalformedHcRole { .. } | PathFailure::RoleNotAllowed { .. } => {
                "SIG_CONSTRAINTS_FAILURE"
            }
        }
    }
}

impl Localized for PathFailure {
    fn code(&self) -> &'static str {
        match self {
            PathFailure::TrustStore { .. } => "path.trust_store",
            PathFailure::Malformed { .. } => "path.malformed",
            PathFailure::NoChain { .. } => "path.no_chain",
            PathFailure::PathTooComplex { .. } => "path.too_complex",
            PathFailure::UntrustedRoot { .. } => "path.untrusted_root",
            PathFailure::SignatureInvalid { .. } => "path.signature_invalid",
            PathFailure::WeakAlgorithm { .. } => "path.weak_algorithm",
            PathFailure::Expired { .. } => "path.expired",
            PathFailure::NotYetValid { .. } => "path.not_yet_valid",
            PathFailure::Revoked { .. } => "path.revoked",
            PathFailure::RevocationUnknown { .. } => "path.revocation_unknown",
            PathFailure::Rfc5280 { .. } => "path.rfc5280",
            PathFailure::NotSigningPolicy { .. } => "path.not_signing_policy",
            PathFailure::KeyUsage { .. } => "path.key_usage",
            PathFailure::AuthenticationCertificate { .. } => "path.authentication_certificate",
            PathFailure::MalformedHcRole { .. } => "path.malformed_hcrole",
            PathFailure::RoleNotAllowed { .. } => "path.role_not_allowed",
        }
    }

    fn text(&self) -> Text {
        let en = self.to_string();
        let ja = match self {
            PathFailure::TrustStore { detail } => {
                format!("信頼の起点（トラストストア）が使用できません: {detail}")
            }
            PathFailure::Malformed { detail } => {
                format!("署名者の証明書を解析できません: {detail}")
            }
            PathFailure::NoChain { subject, issuer } => format!(
                "証明書 {subject} の発行者（{issuer}）が見つからず、信頼できるルートまでの証明書パスを構築できません"
            ),
            PathFailure::PathTooComplex { subject, tried } => format!(
                "証明書 {subject} の発行者の候補が多すぎるため、{tried} 回の署名検証で証明書パスの構築を打ち切りました（細工された証明書が含まれている可能性があります）"
            ),
            PathFailure::UntrustedRoot { root } => format!(
                "証明書パスが信頼されていないルート {root} で終わっています（MHLW HPKI ルートではありません）"
            ),
            PathFailure::SignatureInvalid {
                subject,
                issuer,
                detail,
            } => format!("証明書 {subject} の署名が発行者 {issuer} の鍵で検証できません: {detail}"),
            PathFailure::WeakAlgorithm { subject, detail } => {
                format!("証明書 {subject} は安全でないアルゴリズムを使用しています: {detail}")
            }
            PathFailure::Expired {
                subject,
                not_after,
                at,
            } => format!(
                "証明書 {subject} は {not_after} に有効期限が切れています（検証時刻 {at}）"
            ),
            PathFailure::NotYetValid {
                subject,
                not_before,
                at,
            } => format!(
                "証明書 {subject} は {not_before} から有効で、検証時刻 {at} にはまだ有効ではありません"
            ),
            PathFailure::Revoked {
                subject, at, reason, ..
            } => format!(
                "証明書 {subject} は {at} に失効しています（理由: {}）",
                reason.as_deref().unwrap_or("記載なし")
            ),
            PathFailure::RevocationUnknown { subject, why } => format!(
                "証明書 {subject} の失効状態を確認できません（有効な CRL がありません）。後で再試行してください: {why}"
            ),
            PathFailure::Rfc5280 { subject, detail } => {
                format!("証明書 {subject} で RFC 5280 のパス検証に失敗しました: {detail}")
            }
            PathFailure::NotSigningPolicy { subject, found } => format!(
                "証明書 {subject} は HPKI 署名用証明書ポリシ（{POLICY_HPKI_SIGNING_EE}）を含みません（含まれるポリシ: {found}）"
            ),
            PathFailure::KeyUsage { subject, found } => format!(
                "証明書 {subject} の鍵用途に否認防止（nonRepudiation）がありません（鍵用途: {found}）"
            ),
            PathFailure::AuthenticationCertificate { subject } => format!(
                "証明書 {subject} は HPKI 認証用証明書です。文書の署名には署名用証明書が必要です"
            ),
            PathFailure::MalformedHcRole { subject, detail } => {
                format!("証明書 {subject} の資格情報（hcRole）が不正です: {detail}")
            }
            PathFailure::RoleNotAllowed { role } => format!(
                "診療情報提供書には医師または歯科医師の署名が必要です。署名者の資格: {role}"
            ),
        };
        Text::new(ja, en)
    }
}

/// The overall result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "indication", content = "failure")]
pub enum PathStatus {
    /// TOTAL-PASSED for the certificate part.
    #[serde(rename = "PASSED")]
    Passed,
    /// TOTAL-FAILED.
    #[serde(rename = "TOTAL_FAILED")]
    Failed(PathFailure),
    /// INDETERMINATE.
    #[serde(rename = "INDETERMINATE")]
    Indeterminate(PathFailure),
}

impl PathStatus {
    fn from_failure(f: PathFailure) -> Self {
        if f.indication() == "TOTAL_FAILED" {
            PathStatus::Failed(f)
        } else {
            PathStatus::Indeterminate(f)
        }
    }

    /// The failure, if any.
    pub fn failure(&self) -> Option<&PathFailure> {
        match self {
            PathStatus::Passed => None,
            PathStatus::Failed(f) | PathStatus::Indeterminate(f) => Some(f),
        }
    }

    /// `PASSED`, `TOTAL_FAILED` or `INDETERMINATE`.
    pub fn indication(&self) -> &'static str {
        match self {
            PathStatus::Passed => "PASSED",
            PathStatus::Failed(_) => "TOTAL_FAILED",
            PathStatus::Indeterminate(_) => "INDETERMINATE",
        }
    }

    /// The ETSI sub-indication, if not passed.
    pub fn sub_indication(&self) -> Option<&'static str> {
        self.failure().map(PathFailure::sub_indication)
    }

    /// Whether the path passed.
    pub fn is_passed(&self) -> bool {
        matches!(self, PathStatus::Passed)
    }
}

/// Everything a verifier shows about the certificate path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathReport {
    /// The verdict.
    pub status: PathStatus,
    /// The path, end entity first, anchor last (as far as it was built).
    pub chain: Vec<CertInfo>,
    /// Revocation of each non-anchor certificate that was checked.
    pub revocation: Vec<RevocationInfo>,
    /// The end entity's hcRole.
    pub role: Option<HcRole>,
    /// Why the hcRole is missing (absent / malformed).
    pub role_error: Option<String>,
    /// Whether the end entity asserts the HPKI signing policy (None: not examined).
    pub policy_ok: Option<bool>,
    /// Whether the end entity's keyUsage has nonRepudiation (None: not examined).
    pub key_usage_ok: Option<bool>,
    /// The validation time used.
    #[serde(serialize_with = "ser_time")]
    pub time_used: SystemTime,
    /// Whether a test trust store was used (outputs must say TEST).
    pub test_trust: bool,
    /// The profile used.
    pub profile: ValidationProfile,
}

fn ser_time<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// Document policy for referral letters (診療情報提供書): only 医師 or 歯科医師.
pub fn document_policy_referral(role: Option<&HcRole>) -> Result<(), PathFailure> {
    match role {
        Some(r) if r.may_sign_referral() => Ok(()),
        Some(r) => Err(PathFailure::RoleNotAllowed {
            role: r.display_ja().to_owned(),
        }),
        None => Err(PathFailure::RoleNotAllowed {
            role: "none (no hcRole)".to_owned(),
        }),
    }
}

#[derive(Debug)]
struct Parsed {
    der: Vec<u8>,
    cert: Certificate,
    /// RFC 5280 §7.1 forms of the subject and issuer names
    /// ([`crate::rfc5280_names::match_key`]): name chaining compares these.
    subject_key: Vec<u8>,
    issuer_key: Vec<u8>,
    anchor: bool,
}

impl Parsed {
    fn new(der_bytes: &[u8], anchor: bool) -> Result<Self, der::Error> {
        let cert = Certificate::from_der(der_bytes)?;
        let subject_key = crate::rfc5280_names::match_key(cert.tbs_certificate().subject())?;
        let issuer_key = crate::rfc5280_names::match_key(cert.tbs_certificate().issuer())?;
        Ok(Parsed {
            der: der_bytes.to_vec(),
            cert,
            subject_key,
            issuer_key,
            anchor,
        })
    }

    fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    fn ski(&self) -> Option<Vec<u8>> {
        match self
            .cert
            .tbs_certificate()
            .get_extension::<SubjectKeyIdentifier>()
        {
            Ok(Some((_, s))) => Some(s.0.as_bytes().to_vec()),
            _ => None,
        }
    }

    fn aki(&self) -> Option<Vec<u8>> {
        match self
            .cert
            .tbs_certificate()
            .get_extension::<AuthorityKeyIdentifier>()
        {
            Ok(Some((_, a))) => a.key_identifier.map(|k| k.as_bytes().to_vec()),
            _ => None,
        }
    }

    fn self_issued(&self) -> bool {
        self.subject_key == self.issuer_key
    }

    fn info(&self, at: SystemTime) -> CertInfo {
        let tbs = self.cert.tbs_certificate();
        CertInfo {
            subject: self.subject(),
            issuer: tbs.issuer().to_string(),
            serial: hex::encode_upper(tbs.serial_number().as_bytes()),
            not_before: rfc3339(tbs.validity().not_before.to_system_time()),
            not_after: rfc3339(tbs.validity().not_after.to_system_time()),
            sha256: hex::encode_upper(Sha256::digest(&self.der)),
            validity: validity_at(&self.cert, at),
            anchor: self.anchor,
        }
    }
}

fn validity_at(cert: &Certificate, at: SystemTime) -> CertValidity {
    let v = cert.tbs_certificate().validity();
    if at < v.not_before.to_system_time() {
        CertValidity::NotYetValid
    } else if at > v.not_after.to_system_time() {
        CertValidity::Expired
    } else {
        CertValidity::Valid
    }
}

/// Failures met while building, by priority (the most telling one is reported).
#[derive(Default)]
struct BuildTrail {
    weak: Option<PathFailure>,
    bad_sig: Option<PathFailure>,
    untrusted: Option<PathFailure>,
    no_issuer: Option<PathFailure>,
    /// Set, to the number of checks made, when the signature budget ran out:
    /// nothing else can be concluded.
    exhausted: Option<usize>,
}

impl BuildTrail {
    fn into_failure(self, ee: &Parsed) -> PathFailure {
        if let Some(tried) = self.exhausted {
            return PathFailure::PathTooComplex {
                subject: ee.subject(),
                tried,
            };
        }
        self.weak
            .or(self.bad_sig)
            .or(self.untrusted)
            .or(self.no_issuer)
            .unwrap_or_else(|| PathFailure::NoChain {
                subject: ee.subject(),
                issuer: ee.cert.tbs_certificate().issuer().to_string(),
            })
    }
}

/// Certificate-signature checks allowed while building one path.
#[derive(Debug)]
struct Budget {
    total: usize,
    left: usize,
}

/// Depth-first path building: returns indices into `certs`, end entity (index 0) first.
///
/// `budget` counts the certificate signatures that may still be checked,
/// across the whole search; when it runs out the search stops with
/// `trail.exhausted` set.
fn build(
    certs: &[Parsed],
    path: &mut Vec<usize>,
    trail: &mut BuildTrail,
    budget: &mut Budget,
) -> bool {
    let Some(&cur_i) = path.last() else {
        return false;
    };
    let cur = &certs[cur_i];
    if cur.anchor {
        return true;
    }
    if path.len() > MAX_DEPTH {
        return false;
    }
    let aki = cur.aki();
    let mut candidates: Vec<usize> = (0..certs.len())
        .filter(|&i| !path.contains(&i) && certs[i].subject_key == cur.issuer_key)
        .filter(|&i| match (&aki, certs[i].ski()) {
            (Some(a), Some(s)) => *a == s,
            _ => true,
        })
        .collect();
    // Anchors first: the shortest path to a trusted root wins. Then a subject
    // spelled exactly as the issuer name, before one that only matches under
    // RFC 5280 §7.1: the first chain whose signatures verify is the one
    // judged, and an exact match is the issuer's current certificate in the
    // usual case (a CA that re-encoded its name on renewal keeps both).
    let issuer_name = cur.cert.tbs_certificate().issuer();
    candidates.sort_by_key(|&i| {
        (
            !certs[i].anchor,
            certs[i].cert.tbs_certificate().subject() != issuer_name,
        )
    });
    if candidates.is_empty() {
        if cur.self_issued() {
            trail.untrusted.get_or_insert(PathFailure::UntrustedRoot {
                root: cur.subject(),
            });
        } else {
            trail.no_issuer.get_or_insert(PathFailure::NoChain {
                subject: cur.subject(),
                issuer: cur.cert.tbs_certificate().issuer().to_string(),
            });
        }
        return false;
    }
    // RFC 5280 §4.1.1.2: signatureAlgorithm must equal tbsCertificate.signature.
    if cur.cert.signature_algorithm() != cur.cert.tbs_certificate().signature() {
        trail.bad_sig.get_or_insert(PathFailure::SignatureInvalid {
            subject: cur.subject(),
            issuer: cur.cert.tbs_certificate().issuer().to_string(),
            detail: "signatureAlgorithm differs from tbsCertificate.signature".into(),
        });
        return false;
    }
    for i in candidates {
        if trail.exhausted.is_some() || budget.left == 0 {
            trail.exhausted = Some(budget.total);
            return false;
        }
        budget.left -= 1;
        let failure = match rfc5280_sig::verify_issued_by(&cur.der, &cur.cert, &certs[i].cert) {
            Ok(()) => {
                path.push(i);
                if build(certs, path, trail, budget) {
                    return true;
                }
                path.pop();
                continue;
            }
            Err(SigError::UnsupportedAlgorithm { oid }) => PathFailure::WeakAlgorithm {
                subject: cur.subject(),
                detail: if oid == rfc5280_sig::SHA1_WITH_RSA {
                    "sha1WithRSAEncryption certificate signature".to_owned()
                } else {
                    format!("unsupported certificate signature algorithm {oid}")
                },
            },
            Err(e) => PathFailure::SignatureInvalid {
                subject: cur.subject(),
                issuer: certs[i].subject(),
                detail: e.to_string(),
            },
        };
        // Report the signature problem only if this issuer leads to a trust
        // anchor; otherwise it is just a wrong candidate.
        let depth = path.len();
        path.push(i);
        let mut sub = BuildTrail::default();
        let reaches_anchor = build(certs, path, &mut sub, budget);
        path.truncate(depth);
        if sub.exhausted.is_some() {
            trail.exhausted = sub.exhausted;
            return false;
        }
        if reaches_anchor {
            let slot = match failure {
                PathFailure::WeakAlgorithm { .. } => &mut trail.weak,
                _ => &mut trail.bad_sig,
            };
            slot.get_or_insert(failure);
        } else {
            trail.untrusted = trail.untrusted.take().or(sub.untrusted);
            trail.no_issuer = trail.no_issuer.take().or(sub.no_issuer);
        }
    }
    false
}

fn rsa_bits(cert: &Certificate) -> Option<usize> {
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .ok()?;
    let key = rsa::PublicKey::from_public_key_der(&spki).ok()?;
    Some(key.size() * 8)
}

fn policies_of(cert: &Certificate) -> Result<Option<Vec<String>>, String> {
    match cert
        .tbs_certificate()
        .get_extension::<CertificatePolicies>()
    {
        Ok(Some((_, cp))) => Ok(Some(
            cp.0.iter()
                .map(|p| p.policy_identifier.to_string())
                .collect(),
        )),
        Ok(None) => Ok(None),
        Err(e) => Err(format!("certificatePolicies does not parse: {e}")),
    }
}

const UNDERSTOOD: [&str; 10] = [
    "2.5.29.15", // keyUsage
    "2.5.29.19", // basicConstraints
    "2.5.29.32", // certificatePolicies
    "2.5.29.36", // policyConstraints
    "2.5.29.14", // subjectKeyIdentifier
    "2.5.29.35", // authorityKeyIdentifier
    "2.5.29.17", // subjectAltName
    "2.5.29.37", // extKeyUsage
    "2.5.29.31", // cRLDistributionPoints
    "2.5.29.9",  // subjectDirectoryAttributes
];

/// RFC 5280 §6.1.3–§6.1.5 on a built path (`path[0]` = end entity, last = anchor).
fn rfc5280_checks(path: &[&Parsed]) -> Result<(), PathFailure> {
    // Certificates processed: all but the anchor, from the anchor's child down.
    let n = path.len().saturating_sub(1);
    let mut explicit_policy = n + 1; // initial-explicit-policy = false
    let mut max_path_length = n;
    let mut valid: Option<BTreeSet<String>> = Some(BTreeSet::from([ANY_POLICY.to_owned()]));
    for (step, cert) in path[..n].iter().rev().enumerate() {
        let i = step + 1; // RFC 5280 numbering: 1..=n
        let last = i == n;
        let tbs = cert.cert.tbs_certificate();
        let fail = |detail: String| PathFailure::Rfc5280 {
            subject: cert.subject(),
            detail,
        };
        for ext in tbs.extensions().into_iter().flatten() {
            let oid = ext.extn_id.to_string();
            if ext.critical && !UNDERSTOOD.contains(&oid.as_str()) {
                return Err(fail(format!("unsupported critical extension {oid}")));
            }
        }
        // §6.1.3 (d)–(f): policy processing without mappings.
        let policies = policies_of(&cert.cert).map_err(&fail)?;
        valid = match (valid, policies) {
            (Some(set), Some(ps)) => {
                let ps: BTreeSet<String> = ps.into_iter().collect();
                let next: BTreeSet<String> = if set.contains(ANY_POLICY) {
                    ps.clone()
                } else if ps.contains(ANY_POLICY) {
                    set
                } else {
                    set.intersection(&ps).cloned().collect()
                };
                (!next.is_empty()).then_some(next)
            }
            _ => None,
        };
        let require_explicit = match tbs.get_extension::<PolicyConstraints>() {
            Ok(Some((_, pc))) => pc
                .require_explicit_policy
                .map(|r| usize::try_from(r).unwrap_or(usize::MAX)),
            Ok(None) => None,
            Err(e) => return Err(fail(format!("policyConstraints does not parse: {e}"))),
        };
        if last {
            // §6.1.5 (a)(b)
            explicit_policy = explicit_policy.saturating_sub(usize::from(!cert.self_issued()));
            if require_explicit == Some(0) {
                explicit_policy = 0;
            }
        } else {
            // §6.1.4 (h)(i)
            if !cert.self_issued() {
                explicit_policy = explicit_policy.saturating_sub(1);
            }
            if let Some(r) = require_explicit {
                explicit_policy = explicit_policy.min(r);
            }
            // §6.1.4 (k) basicConstraints
            let bc = tbs
                .get_extension::<BasicConstraints>()
                .map_err(|e| fail(format!("basicConstraints does not parse: {e}")))?;
            let Some((_, bc)) = bc.filter(|(_, b)| b.ca) else {
                return Err(fail(
                    "an intermediate certificate without basicConstraints cA=TRUE".into(),
                ));
            };
            // §6.1.4 (l)(m)
            if !cert.self_issued() {
                if max_path_length == 0 {
                    return Err(fail("pathLenConstraint exceeded".into()));
                }
                max_path_length -= 1;
            }
            if let Some(p) = bc.path_len_constraint {
                max_path_length = max_path_length.min(usize::from(p));
            }
            // §6.1.4 (n)
            if let Ok(Some((_, ku))) = tbs.get_extension::<KeyUsage>() {
                if !ku.key_cert_sign() {
                    return Err(fail("CA keyUsage lacks keyCertSign".into()));
                }
            }
        }
        // §6.1.3 (f)
        if explicit_policy == 0 && valid.is_none() {
            return Err(fail(
                "explicit policy required but the valid policy tree is empty".into(),
            ));
        }
    }
    // §6.1.5 (g): user-initial-policy-set = {anyPolicy}, so the tree is kept as is.
    if explicit_policy == 0 && valid.is_none() {
        return Err(PathFailure::Rfc5280 {
            subject: path.first().map(|c| c.subject()).unwrap_or_default(),
            detail: "explicit policy required but the valid policy tree is empty".into(),
        });
    }
    Ok(())
}

fn key_usage_names(ku: &KeyUsage) -> String {
    let names = [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
    ];
    let v: Vec<&str> = names.iter().filter(|(b, _)| *b).map(|(_, n)| *n).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The end entity's hcRole: `Ok(Some)`, `Ok(None)` when absent, `Err` when malformed.
pub fn hc_role_of(cert: &Certificate) -> Result<Option<HcRole>, HcRoleError> {
    let ext = cert
        .tbs_certificate()
        .extensions()
        .into_iter()
        .flatten()
        .find(|e| e.extn_id.to_string() == iso17090::SUBJECT_DIRECTORY_ATTRIBUTES);
    match ext {
        None => Ok(None),
        Some(e) => match iso17090::parse_hc_role(e.extn_value.as_bytes()) {
            Ok(r) => Ok(Some(r)),
            Err(HcRoleError::Absent) => Ok(None),
            Err(e) => Err(e),
        },
    }
}

/// Validates `input.end_entity` (RFC 5280 §6 + HPKI + CRL); see the module docs.
pub fn validate_path(input: &PathInput<'_>) -> PathReport {
    let mut report = PathReport {
        status: PathStatus::Passed,
        chain: Vec::new(),
        revocation: Vec::new(),
        role: None,
        role_error: None,
        policy_ok: None,
        key_usage_ok: None,
        time_used: input.at,
        test_trust: input.trust.is_test(),
        profile: input.profile,
    };
    if let Err(f) = run(input, &mut report) {
        report.status = PathStatus::from_failure(f);
    }
    report
}

fn run(input: &PathInput<'_>, report: &mut PathReport) -> Result<(), PathFailure> {
    let at = input.at;
    let hpki = input.profile == ValidationProfile::Hpki;
    let ee = Parsed::new(input.end_entity, false).map_err(|e| PathFailure::Malformed {
        detail: e.to_string(),
    })?;
    let anchors = input.trust.anchors().map_err(|e| PathFailure::TrustStore {
        detail: e.to_string(),
    })?;
    let mut certs = vec![ee];
    for a in anchors {
        // A broken anchor is skipped: it simply anchors nothing.
        if let Ok(p) = Parsed::new(a, true) {
            certs.push(p);
        }
    }
    let store_pool = input.trust.pool();
    let pool = store_pool.into_iter().chain(
        input
            .pool
            .iter()
            .take(MAX_POOL_CERTIFICATES)
            .map(Vec::as_slice),
    );
    let mut seen: std::collections::HashSet<Vec<u8>> =
        certs.iter().map(|p| p.der.clone()).collect();
    for c in pool {
        if !seen.insert(c.to_vec()) {
            continue;
        }
        // Unparsable or unrelated pool certificates are ignored.
        if let Ok(p) = Parsed::new(c, false) {
            certs.push(p);
        }
    }
    let Some(ee) = certs.first() else {
        return Err(PathFailure::Malformed {
            detail: "no end entity".into(),
        });
    };

    // End-entity facts, reported whatever the verdict.
    let ee_policies = policies_of(&ee.cert).ok().flatten().unwrap_or_default();
    let ku = ee
        .cert
        .tbs_certificate()
        .get_extension::<KeyUsage>()
        .ok()
        .flatten();
    report.policy_ok = Some(ee_policies.iter().any(|p| p == POLICY_HPKI_SIGNING_EE));
    report.key_usage_ok = Some(ku.as_ref().is_some_and(|(_, k)| k.non_repudiation()));
    let role = hc_role_of(&ee.cert);
    match &role {
        Ok(Some(r)) => report.role = Some(r.clone()),
        Ok(None) => {
            report.role_error = Some("no hcRole (subjectDirectoryAttributes) present".into())
        }
        Err(e) => report.role_error = Some(e.to_string()),
    }

    // 1. Path building.
    let mut idx = vec![0usize];
    let mut trail = BuildTrail::default();
    let total = MAX_PATH_SIGNATURE_CHECKS + 2 * certs.len();
    let mut budget = Budget { total, left: total };
    if !build(&certs, &mut idx, &mut trail, &mut budget) {
        report.chain.push(ee.info(at));
        return Err(trail.into_failure(ee));
    }
    let path: Vec<&Parsed> = idx.iter().map(|&i| &certs[i]).collect();
    report.chain = path.iter().map(|c| c.info(at)).collect();

    // 2. Crypto constraints (the signature algorithms were checked while building).
    if hpki {
        for c in &path {
            if let Some(bits) = rsa_bits(&c.cert) {
                if bits < MIN_RSA_BITS {
                    return Err(PathFailure::WeakAlgorithm {
                        subject: c.subject(),
                        detail: format!("RSA-{bits} key (at least {MIN_RSA_BITS} bits required)"),
                    });
                }
            }
        }
    }

    // 3. Validity at `at`, end entity first.
    for c in &path {
        let v = c.cert.tbs_certificate().validity();
        match validity_at(&c.cert, at) {
            CertValidity::Valid => {}
            CertValidity::Expired => {
                return Err(PathFailure::Expired {
                    subject: c.subject(),
                    not_after: rfc3339(v.not_after.to_system_time()),
                    at: rfc3339(at),
                })
            }
            CertValidity::NotYetValid => {
                return Err(PathFailure::NotYetValid {
                    subject: c.subject(),
                    not_before: rfc3339(v.not_before.to_system_time()),
                    at: rfc3339(at),
                })
            }
        }
    }

    // 4–5. RFC 5280 structure and policy processing.
    rfc5280_checks(&path)?;

    // 6. HPKI signing-certificate checks.
    if hpki {
        let subject = ee.subject();
        if report.policy_ok != Some(true) {
            let issuer_auth = path
                .get(1)
                .and_then(|ca| policies_of(&ca.cert).ok().flatten())
                .is_some_and(|ps| ps.iter().any(|p| p == POLICY_HPKI_AUTH_CA));
            if issuer_auth || ee_policies.iter().any(|p| p == POLICY_HPKI_AUTH_EE) {
                return Err(PathFailure::AuthenticationCertificate { subject });
            }
            return Err(PathFailure::NotSigningPolicy {
                subject,
                found: if ee_policies.is_empty() {
                    "none".into()
                } else {
                    ee_policies.join(", ")
                },
            });
        }
        if report.key_usage_ok != Some(true) {
            return Err(PathFailure::KeyUsage {
                subject,
                found: ku.map_or_else(|| "absent".into(), |(_, k)| key_usage_names(&k)),
            });
        }
        if let Err(e) = &role {
            return Err(PathFailure::MalformedHcRole {
                subject,
                detail: e.to_string(),
            });
        }
    }

    // 7. Revocation: every certificate but the anchor, end entity first.
    let mut failure = None;
    for (k, pair) in path.windows(2).enumerate() {
        let (cert, issuer) = (pair[0], pair[1]);
        let info = crl::check_revocation(&cert.cert, &issuer.cert, at, input.revocation);
        if failure.is_none() {
            match &info.status {
                RevocationStatus::Good => {}
                RevocationStatus::Revoked { at, reason } => {
                    failure = Some(PathFailure::Revoked {
                        subject: info.subject.clone(),
                        at: at.clone(),
                        reason: reason.clone(),
                        ca: k > 0,
                    })
                }
                RevocationStatus::Unknown { why } => {
                    failure = Some(PathFailure::RevocationUnknown {
                        subject: info.subject.clone(),
                        why: why.clone(),
                    })
                }
            }
        }
        report.revocation.push(info);
    }
    // A revoked CA outranks an unknown status elsewhere.
    if let Some(PathFailure::RevocationUnknown { .. }) = failure {
        if let Some(r) = report.revocation.iter().find_map(|i| match &i.status {
            RevocationStatus::Revoked { at, reason } => Some(PathFailure::Revoked {
                subject: i.subject.clone(),
                at: at.clone(),
                reason: reason.clone(),
                ca: report.chain.first().is_none_or(|c| c.subject != i.subject),
            }),
            _ => None,
        }) {
            failure = Some(r);
        }
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(()),
    }
}
