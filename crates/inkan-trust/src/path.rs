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
//!    (k), pathLenConstraint (l)(m), keyUsage keyCertSign when keyUsage is
//!    present (n; a keyUsage that does not parse fails); no extension appears
//!    twice (§4.2); every critical extension must be understood (§6.1.3/§6.1.4
//!    (o)). Understood: keyUsage, basicConstraints, certificatePolicies,
//!    policyConstraints, policyMappings, inhibitAnyPolicy, nameConstraints,
//!    subjectKeyIdentifier, authorityKeyIdentifier, subjectAltName,
//!    issuerAltName, extKeyUsage, cRLDistributionPoints, freshestCRL,
//!    subjectDirectoryAttributes.
//! 5. **Names and policies** (§6.1.2–§6.1.5): name constraints
//!    ([`crate::rfc5280_name_constraints`]) and the valid policy tree with
//!    policy mappings, inhibitPolicyMapping, inhibitAnyPolicy and explicit
//!    policy ([`crate::rfc5280_policy`]), with the initial settings of
//!    [`PathInput::policy`] (RFC 5280 defaults when `None`).
//! 6. **HPKI checks** (profile [`ValidationProfile::Hpki`] only, on the end
//!    entity): the signing policy `1.2.392.100495.1.5.1.1.0.1` is asserted (an
//!    authentication certificate is named as such); the issuer is an HPKI
//!    *signing* CA (policy `1.2.392.100495.1.5.1.1.3.1`: a certificate from an
//!    authentication CA is never a document signer, whatever it asserts);
//!    keyUsage nonRepudiation is set (digitalSignature is *not* required); a
//!    critical extKeyUsage allows document signing; the hcRole parses (an
//!    absent hcRole is reported in `role_error`, a malformed one fails).
//! 7. **Revocation** of every non-anchor certificate by CRL ([`crate::crl`]),
//!    RFC 5280 §6.3 with CRL scope, reasons, indirect and delta CRLs; a CRL
//!    signer other than the issuer is itself validated to the same anchor.
//!
//! Path building tries several candidate paths (at most
//! [`MAX_CANDIDATE_PATHS`]) and judges each in full until one passes, so a
//! key rollover or a look-alike CA cannot hide the right path; the failure of
//! the first path is reported when none passes. Each (certificate, issuer
//! key) signature is checked once, a path never holds the same name and key
//! twice (RFC 4158 §2.4.2), and the signature checks and search steps are
//! bounded ([`MAX_PATH_SIGNATURE_CHECKS`], [`MAX_BUILD_STEPS`]).
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
//! | `NotSigningPolicy`, `KeyUsage`, `AuthenticationCertificate`, `IssuerNotSigningCa`, `ExtendedKeyUsage` | INDETERMINATE | CHAIN_CONSTRAINTS_FAILURE |
//! | `MalformedHcRole`, `RoleNotAllowed` | INDETERMINATE | SIG_CONSTRAINTS_FAILURE |
//!
//! NOT_YET_VALID is listed by EN 319 102-1 under both TOTAL-FAILED and
//! INDETERMINATE; without a POE the validation time is the verifier's clock,
//! and a clock running behind is the usual cause, so it stays INDETERMINATE.
//!
//! [`PathStatus::Failed`] (TOTAL-FAILED) is therefore not produced by this module
//! today; it is kept for the POE-based rules of a later time-stamp step.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::time::SystemTime;

use der::{Decode, Encode};
use inkan_l10n::{Localized, Text};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, ExtendedKeyUsage, KeyUsage,
    SubjectKeyIdentifier,
};
use x509_cert::Certificate;

use crate::crl::{
    rfc3339, CrlPool, CrlRecord, CrlSigners, RevocationConfig, RevocationInfo, RevocationStatus,
    SignerFailure,
};
use crate::iso17090::{self, HcRole, HcRoleError};
use crate::reuse::{self, At, Outside};
use crate::rfc5280_name_constraints::NameConstraintsState;
use crate::rfc5280_policy::{PolicyProcessor, PolicySettings};
use crate::rfc5280_sig::{self, SigError};
use crate::store::TrustStore;

/// HPKI signing (署名用) end-entity certificate policy.
pub const POLICY_HPKI_SIGNING_EE: &str = "1.2.392.100495.1.5.1.1.0.1";
/// HPKI authentication (認証用) end-entity certificate policy.
pub const POLICY_HPKI_AUTH_EE: &str = "1.2.392.100495.1.5.1.2.0.1";
/// HPKI signing (署名用) CA certificate policy: the issuer of a document signer.
pub const POLICY_HPKI_SIGNING_CA: &str = "1.2.392.100495.1.5.1.1.3.1";
/// HPKI authentication CA policy.
pub const POLICY_HPKI_AUTH_CA: &str = "1.2.392.100495.1.5.1.2.3.1";
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
    /// The RFC 5280 §6.1.1 policy inputs; `None`: the defaults (any policy,
    /// nothing explicit, nothing inhibited).
    pub policy: Option<&'a PolicySettings>,
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
    /// HPKI: the end entity's issuer is not an HPKI signing CA (policy
    /// [`POLICY_HPKI_SIGNING_CA`]).
    #[error("{subject} is issued by {issuer}, which is not an HPKI signing CA (policy {POLICY_HPKI_SIGNING_CA})")]
    IssuerNotSigningCa {
        /// The end entity.
        subject: String,
        /// Its issuer.
        issuer: String,
    },
    /// A critical extKeyUsage that does not allow signing documents.
    #[error(
        "{subject} has a critical extKeyUsage that does not allow signing documents ({found})"
    )]
    ExtendedKeyUsage {
        /// The certificate.
        subject: String,
        /// The purposes found.
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
            | PathFailure::IssuerNotSigningCa { .. }
            | PathFailure::ExtendedKeyUsage { .. }
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
            PathFailure::IssuerNotSigningCa { .. } => "path.issuer_not_signing_ca",
            PathFailure::ExtendedKeyUsage { .. } => "path.extended_key_usage",
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
            PathFailure::IssuerNotSigningCa { subject, issuer } => format!(
                "証明書 {subject} の発行者 {issuer} は HPKI 署名用認証局（ポリシ {POLICY_HPKI_SIGNING_CA}）ではありません。文書の署名には署名用認証局が発行した証明書が必要です"
            ),
            PathFailure::ExtendedKeyUsage { subject, found } => format!(
                "証明書 {subject} の拡張鍵用途（critical）が文書への署名を許していません（{found}）"
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
    /// The certificates of the path (DER), end entity first, for long-term
    /// validation data (CAdES-LT).
    #[serde(skip)]
    pub chain_der: Vec<Vec<u8>>,
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
    cert: std::sync::Arc<Certificate>,
    /// RFC 5280 §7.1 forms of the subject and issuer names
    /// ([`crate::rfc5280_names::match_key`]): name chaining compares these.
    subject_key: Vec<u8>,
    issuer_key: Vec<u8>,
    /// Index of the first certificate with the same subjectPublicKeyInfo: a
    /// signature verified with one is verified with all.
    spki_id: usize,
    anchor: bool,
    /// The validity dates were before 1970 and were read as 1970-01-01 (see
    /// [`parse_certificate`]).
    clamped: bool,
}

/// Parses a certificate. `der` 0.8 refuses dates before 1970, which RFC 5280
/// allows (UTCTime years 50–69 are 1950–1969, §4.1.2.5.1; NIST PKITS 4.2.3
/// has one): such a validity date is read as 1970-01-01T00:00:00Z, which
/// gives the same answer for every validation time the verifier can be
/// asked about (all after 1970). The signature is still checked over the
/// original bytes.
pub(crate) fn parse_certificate(der_bytes: &[u8]) -> Result<(Certificate, bool), der::Error> {
    match Certificate::from_der(der_bytes) {
        Ok(c) => Ok((c, false)),
        Err(e) => match clamp_pre1970_validity(der_bytes) {
            Some(copy) => Certificate::from_der(&copy)
                .map(|c| (c, true))
                .map_err(|_| e),
            None => Err(e),
        },
    }
}

/// A copy of `cert` with pre-1970 validity dates replaced by 1970-01-01 of
/// the same length; `None` when there is none.
fn clamp_pre1970_validity(cert: &[u8]) -> Option<Vec<u8>> {
    fn header(b: &[u8], at: usize) -> Option<(u8, usize, usize)> {
        let tag = *b.get(at)?;
        let first = *b.get(at + 1)? as usize;
        if first < 0x80 {
            return Some((tag, at + 2, first));
        }
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for k in 0..n {
            len = (len << 8) | *b.get(at + 2 + k)? as usize;
        }
        Some((tag, at + 2 + n, len))
    }
    let mut out = cert.to_vec();
    let (_, tbs_at, _) = header(cert, 0)?;
    let (_, mut p, _) = header(cert, tbs_at)?;
    // version [0] (optional), serialNumber, signature, issuer, then validity.
    let mut field = 0;
    loop {
        let (tag, body, len) = header(cert, p)?;
        if field == 0 && tag == 0xA0 {
            p = body + len;
            continue;
        }
        if field == 3 {
            if tag != 0x30 {
                return None;
            }
            let mut q = body;
            let mut changed = false;
            for _ in 0..2 {
                let (t, b, l) = header(cert, q)?;
                let digits = cert.get(b..b + l)?;
                match (t, l) {
                    (0x17, 13) if (b"50".as_slice()..b"70".as_slice()).contains(&&digits[..2]) => {
                        out.get_mut(b..b + l)?.copy_from_slice(b"700101000000Z");
                        changed = true;
                    }
                    (0x18, 15) if &digits[..4] < b"1970".as_slice() => {
                        out.get_mut(b..b + l)?.copy_from_slice(b"19700101000000Z");
                        changed = true;
                    }
                    _ => {}
                }
                q = b + l;
            }
            return changed.then_some(out);
        }
        field += 1;
        p = body + len;
    }
}

/// What parsing a certificate gives, whatever path it is on.
pub(crate) struct CertParse {
    pub(crate) cert: std::sync::Arc<Certificate>,
    subject_key: Vec<u8>,
    issuer_key: Vec<u8>,
    clamped: bool,
}

/// Parses `der_bytes` once per process: a batch meets the same CA and
/// signer certificates in every letter, and parsing them with their
/// RFC 5280 §7.1 name keys is most of a path's cost. The table is keyed by
/// the exact bytes and bounded; an entry is the same whatever the path.
pub(crate) fn parsed_certificate(
    der_bytes: &[u8],
) -> Result<std::sync::Arc<CertParse>, der::Error> {
    use std::sync::{Arc, Mutex, OnceLock};
    // Bounded by bytes, not only by count: a hostile signature may carry
    // hundreds of large certificates, and the window runs for days. Real
    // certificates are 1–2 KB; larger ones are parsed each time.
    const MAX_ONE: usize = 16 << 10;
    const MAX_ALL: usize = 16 << 20;
    type Table = (std::collections::HashMap<Vec<u8>, Arc<CertParse>>, usize);
    static SEEN: OnceLock<Mutex<Table>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(Default::default()));
    if let Some(p) = seen.lock().ok().and_then(|m| m.0.get(der_bytes).cloned()) {
        return Ok(p);
    }
    let (cert, clamped) = parse_certificate(der_bytes)?;
    let subject_key = crate::rfc5280_names::match_key(cert.tbs_certificate().subject())?;
    let issuer_key = crate::rfc5280_names::match_key(cert.tbs_certificate().issuer())?;
    let p = Arc::new(CertParse {
        cert: Arc::new(cert),
        subject_key,
        issuer_key,
        clamped,
    });
    if der_bytes.len() <= MAX_ONE {
        if let Ok(mut m) = seen.lock() {
            // Key and parsed copy: about twice the DER.
            let cost = 2 * der_bytes.len();
            if m.1 + cost > MAX_ALL {
                m.0.clear();
                m.1 = 0;
            }
            m.1 += cost;
            m.0.insert(der_bytes.to_vec(), p.clone());
        }
    }
    Ok(p)
}

impl Parsed {
    fn new(der_bytes: &[u8], anchor: bool) -> Result<Self, der::Error> {
        let p = parsed_certificate(der_bytes)?;
        Ok(Parsed {
            der: der_bytes.to_vec(),
            cert: p.cert.clone(),
            subject_key: p.subject_key.clone(),
            issuer_key: p.issuer_key.clone(),
            spki_id: 0,
            anchor,
            clamped: p.clamped,
        })
    }

    fn subject(&self) -> String {
        crate::holder::display_name(self.cert.tbs_certificate().subject())
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

    fn info(&self, at: &At) -> CertInfo {
        let tbs = self.cert.tbs_certificate();
        let before_1970 = |t: String| {
            if self.clamped && t.starts_with("1970-01-01T00:00:00") {
                "before 1970".to_owned()
            } else {
                t
            }
        };
        CertInfo {
            subject: self.subject(),
            issuer: crate::holder::display_name(tbs.issuer()),
            serial: hex::encode_upper(tbs.serial_number().as_bytes()),
            not_before: before_1970(rfc3339(tbs.validity().not_before.to_system_time())),
            not_after: before_1970(rfc3339(tbs.validity().not_after.to_system_time())),
            sha256: hex::encode_upper(Sha256::digest(&self.der)),
            validity: validity_at(&self.cert, at),
            anchor: self.anchor,
        }
    }
}

fn validity_at(cert: &Certificate, at: &At) -> CertValidity {
    let v = cert.tbs_certificate().validity();
    if at.before(v.not_before.to_system_time()) {
        CertValidity::NotYetValid
    } else if at.after(v.not_after.to_system_time()) {
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
    /// Set, to the number of checks made, when the signature budget ran out.
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
                issuer: crate::holder::display_name(ee.cert.tbs_certificate().issuer()),
            })
    }
}

/// Signature checks (certificates and CRLs) allowed in one validation.
#[derive(Debug)]
struct Budget {
    total: usize,
    left: usize,
}

/// Certificates visited while building paths in one validation, at most.
pub const MAX_BUILD_STEPS: usize = 10_000;
/// Complete candidate paths judged, at most, before the first one's
/// failure is reported. Real HPKI has one path; PKITS key-rollover cases two.
pub const MAX_CANDIDATE_PATHS: usize = 6;
/// Nesting of CRL-signer path validations (a CRL signed by a key that has
/// its own certificate, whose CRL may be signed by yet another).
const MAX_CRL_SIGNER_DEPTH: usize = 2;

/// What a (sub)validation checks.
struct Mode<'p> {
    profile: ValidationProfile,
    policy: &'p PolicySettings,
    /// Only this anchor may end the path (a CRL signer's path must end at
    /// the target's anchor, RFC 5280 §6.3.3 (f)).
    anchor: Option<usize>,
    depth: usize,
}

type SigResult = Result<(), PathFailureKind>;

#[derive(Debug, Clone)]
enum PathFailureKind {
    Weak(String),
    Bad(String),
}

/// One validation: the certificates, what was already verified, the CRLs.
struct Engine<'i> {
    input: &'i PathInput<'i>,
    certs: Vec<Parsed>,
    /// (child, issuer spki_id) → signature result: "remember each
    /// (certificate, issuer) result".
    sig_memo: HashMap<(usize, usize), SigResult>,
    /// (CRL sha256, spki_id) → whether the key verifies the CRL.
    crl_sig_memo: HashMap<([u8; 32], usize), bool>,
    /// Whether a certificate's name chain reaches an anchor (no signatures).
    reach_memo: HashMap<usize, bool>,
    /// CRL signer certificates already validated (to the main anchor).
    signer_memo: HashMap<usize, Result<(), String>>,
    in_progress: Vec<usize>,
    budget: Budget,
    /// CRL-signature checks left: apart from path building, so that
    /// certificates stuffed into a file cannot starve revocation checking.
    crl_budget: Budget,
    /// How often a CRL signer was accepted because its own judgement was in
    /// progress (a CRL issuer on its own CRL): results reached under such an
    /// assumption are not remembered.
    assumed: usize,
    /// Path-building steps left ([`MAX_BUILD_STEPS`]).
    steps: usize,
    crls: Rc<CrlPool>,
    /// The anchor of the path being judged at depth 0.
    main_anchor: Option<usize>,
    at: &'i At,
}

impl<'i> Engine<'i> {
    fn spend(&mut self) -> bool {
        if self.budget.left == 0 {
            return false;
        }
        self.budget.left -= 1;
        true
    }

    fn verify_edge(&mut self, child: usize, issuer: usize) -> Option<SigResult> {
        let key = (child, self.certs[issuer].spki_id);
        if let Some(r) = self.sig_memo.get(&key) {
            return Some(r.clone());
        }
        if !self.spend() {
            return None;
        }
        let c = &self.certs[child];
        let r = match rfc5280_sig::verify_issued_by(&c.der, &c.cert, &self.certs[issuer].cert) {
            Ok(()) => Ok(()),
            Err(SigError::UnsupportedAlgorithm { oid }) => Err(PathFailureKind::Weak(
                if oid == rfc5280_sig::SHA1_WITH_RSA {
                    "sha1WithRSAEncryption certificate signature".to_owned()
                } else {
                    format!(
                        "unsupported certificate signature algorithm {} (Inkan verifies RSA only)",
                        algorithm_name(&oid)
                    )
                },
            )),
            Err(e) => Err(PathFailureKind::Bad(e.to_string())),
        };
        self.sig_memo.insert(key, r.clone());
        Some(r)
    }

    /// Issuer candidates of `cur` (ordered by [`Engine::build`]).
    fn candidates(&self, cur: usize, path: &[usize], anchor: Option<usize>) -> Vec<usize> {
        let c = &self.certs[cur];
        let aki = c.aki();
        // RFC 4158 §2.4.2: a path never holds the same name and key twice
        // (a copy of a certificate on the path adds nothing, and look-alikes
        // would otherwise chain to each other in every order).
        let on_path = |i: usize| {
            let p = &self.certs[i];
            path.iter().any(|&k| {
                k == i
                    || (self.certs[k].spki_id == p.spki_id
                        && self.certs[k].subject_key == p.subject_key)
            })
        };
        (0..self.certs.len())
            .filter(|&i| self.certs[i].subject_key == c.issuer_key && !on_path(i))
            .filter(|&i| !self.certs[i].anchor || anchor.is_none_or(|a| a == i))
            .filter(|&i| match (&aki, self.certs[i].ski()) {
                (Some(a), Some(s)) => *a == s,
                _ => true,
            })
            .collect()
    }

    /// Whether names alone lead from `i` to an anchor (no signature checked):
    /// decides whether a bad signature is worth reporting.
    fn reaches_anchor(&mut self, i: usize, seen: &mut Vec<usize>) -> bool {
        if self.certs[i].anchor {
            return true;
        }
        if let Some(&r) = self.reach_memo.get(&i) {
            return r;
        }
        if seen.len() > MAX_DEPTH || seen.contains(&i) {
            return false;
        }
        seen.push(i);
        let next: Vec<usize> = (0..self.certs.len())
            .filter(|&k| k != i && self.certs[k].subject_key == self.certs[i].issuer_key)
            .collect();
        let r = next.into_iter().any(|k| self.reaches_anchor(k, seen));
        seen.pop();
        self.reach_memo.insert(i, r);
        r
    }

    /// Depth-first enumeration of paths from `path[0]` whose signatures
    /// verify, at most `limit`; never searches below a failed signature.
    fn build(
        &mut self,
        path: &mut Vec<usize>,
        anchor: Option<usize>,
        found: &mut Vec<Vec<usize>>,
        limit: usize,
        trail: &mut BuildTrail,
    ) {
        let Some(&cur) = path.last() else { return };
        if self.certs[cur].anchor {
            found.push(path.clone());
            return;
        }
        if path.len() > MAX_DEPTH || trail.exhausted.is_some() {
            return;
        }
        // A backstop on the search itself, whatever the signatures cost.
        if self.steps == 0 {
            trail.exhausted = Some(self.budget.total - self.budget.left);
            return;
        }
        self.steps -= 1;
        let mut candidates = self.candidates(cur, path, anchor);
        // Anchors first: the shortest path to a trusted root wins. Then an
        // issuer whose names lead to an anchor at all (junk certificates in
        // a file cost no signature check before a plausible issuer is
        // tried), then a subject spelled exactly as the issuer name before
        // one that only matches under RFC 5280 §7.1, then one valid at the
        // validation time.
        let reach: Vec<bool> = candidates
            .iter()
            .map(|&i| self.reaches_anchor(i, &mut Vec::new()))
            .collect();
        let issuer_name = self.certs[cur].cert.tbs_certificate().issuer().clone();
        let mut keyed: Vec<(usize, (bool, bool, bool, bool))> = candidates
            .iter()
            .zip(reach)
            .map(|(&i, r)| {
                let p = &self.certs[i];
                (
                    i,
                    (
                        !p.anchor,
                        !r,
                        p.cert.tbs_certificate().subject() != &issuer_name,
                        validity_at(&p.cert, self.at) != CertValidity::Valid,
                    ),
                )
            })
            .collect();
        keyed.sort_by_key(|(_, k)| *k);
        candidates = keyed.into_iter().map(|(i, _)| i).collect();
        if candidates.is_empty() {
            let c = &self.certs[cur];
            if c.self_issued() {
                trail
                    .untrusted
                    .get_or_insert(PathFailure::UntrustedRoot { root: c.subject() });
            } else {
                trail.no_issuer.get_or_insert(PathFailure::NoChain {
                    subject: c.subject(),
                    issuer: crate::holder::display_name(c.cert.tbs_certificate().issuer()),
                });
            }
            return;
        }
        // RFC 5280 §4.1.1.2: signatureAlgorithm must equal tbsCertificate.signature.
        {
            let c = &self.certs[cur].cert;
            if c.signature_algorithm() != c.tbs_certificate().signature() {
                trail.bad_sig.get_or_insert(PathFailure::SignatureInvalid {
                    subject: self.certs[cur].subject(),
                    issuer: crate::holder::display_name(c.tbs_certificate().issuer()),
                    detail: "signatureAlgorithm differs from tbsCertificate.signature".into(),
                });
                return;
            }
        }
        for i in candidates {
            if found.len() >= limit {
                return;
            }
            match self.verify_edge(cur, i) {
                None => {
                    trail.exhausted = Some(self.budget.total - self.budget.left);
                    return;
                }
                Some(Ok(())) => {
                    path.push(i);
                    self.build(path, anchor, found, limit, trail);
                    path.pop();
                    if trail.exhausted.is_some() {
                        return;
                    }
                }
                Some(Err(kind)) => {
                    // Report the signature problem only if this issuer's
                    // names lead to an anchor; otherwise it is just a wrong
                    // candidate.
                    if self.reaches_anchor(i, &mut Vec::new()) {
                        match kind {
                            PathFailureKind::Weak(detail) => {
                                trail.weak.get_or_insert(PathFailure::WeakAlgorithm {
                                    subject: self.certs[cur].subject(),
                                    detail,
                                });
                            }
                            PathFailureKind::Bad(detail) => {
                                trail.bad_sig.get_or_insert(PathFailure::SignatureInvalid {
                                    subject: self.certs[cur].subject(),
                                    issuer: self.certs[i].subject(),
                                    detail,
                                });
                            }
                        }
                    } else {
                        trail.no_issuer.get_or_insert(PathFailure::NoChain {
                            subject: self.certs[cur].subject(),
                            issuer: crate::holder::display_name(
                                self.certs[cur].cert.tbs_certificate().issuer(),
                            ),
                        });
                    }
                }
            }
        }
    }

    /// Validates from certificate `start`: builds candidate paths and judges
    /// each until one passes. On failure, the first path's failure (or the
    /// building failure) with the chain and revocation as far as known.
    fn validate_from(&mut self, start: usize, mode: &Mode<'_>) -> Judged {
        let mut found = Vec::new();
        let mut trail = BuildTrail::default();
        self.build(
            &mut vec![start],
            mode.anchor,
            &mut found,
            MAX_CANDIDATE_PATHS,
            &mut trail,
        );
        if found.is_empty() {
            return Judged {
                path: vec![start],
                revocation: Vec::new(),
                failure: Some(trail.into_failure(&self.certs[start])),
            };
        }
        let mut first: Option<Judged> = None;
        for path in found {
            let judged = self.judge(path, mode);
            if judged.failure.is_none() {
                return judged;
            }
            first.get_or_insert(judged);
        }
        first.unwrap_or(Judged {
            path: vec![start],
            revocation: Vec::new(),
            failure: None,
        })
    }

    /// Every check on one built path (`path[0]` = start, last = anchor).
    fn judge(&mut self, path: Vec<usize>, mode: &Mode<'_>) -> Judged {
        let mut judged = Judged {
            path,
            revocation: Vec::new(),
            failure: None,
        };
        if let Err(f) = self.structure(&judged.path, mode) {
            judged.failure = Some(f);
            return judged;
        }
        // Revocation: every certificate but the anchor, start first.
        if mode.depth == 0 {
            let anchor = judged.path.last().copied();
            if self.main_anchor != anchor {
                // Signer paths were judged against another anchor.
                self.signer_memo.clear();
                self.main_anchor = anchor;
            }
        }
        let crls = Rc::clone(&self.crls);
        let mut failure = None;
        let pairs: Vec<(usize, usize)> = judged.path.windows(2).map(|w| (w[0], w[1])).collect();
        for (k, (cert, issuer)) in pairs.into_iter().enumerate() {
            crls.load_for(&self.certs[cert].cert, self.input.revocation);
            let cert_owned = self.certs[cert].cert.clone();
            let at = self.at;
            let info = crls.status(&cert_owned, issuer, at, self, mode.depth);
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
            judged.revocation.push(info);
        }
        // A revoked CA outranks an unknown status elsewhere.
        if let Some(PathFailure::RevocationUnknown { .. }) = failure {
            if let Some((k, r)) =
                judged
                    .revocation
                    .iter()
                    .enumerate()
                    .find_map(|(k, i)| match &i.status {
                        RevocationStatus::Revoked { at, reason } => Some((
                            k,
                            PathFailure::Revoked {
                                subject: i.subject.clone(),
                                at: at.clone(),
                                reason: reason.clone(),
                                ca: false,
                            },
                        )),
                        _ => None,
                    })
            {
                failure = Some(match r {
                    PathFailure::Revoked {
                        subject,
                        at,
                        reason,
                        ..
                    } => PathFailure::Revoked {
                        subject,
                        at,
                        reason,
                        ca: k > 0,
                    },
                    other => other,
                });
            }
        }
        judged.failure = failure;
        judged
    }

    /// Crypto constraints, validity, RFC 5280 §6.1 and the HPKI checks.
    fn structure(&self, path: &[usize], mode: &Mode<'_>) -> Result<(), PathFailure> {
        let hpki = mode.profile == ValidationProfile::Hpki;
        let certs: Vec<&Parsed> = path.iter().map(|&i| &self.certs[i]).collect();
        if hpki {
            for c in &certs {
                if let Some(bits) = rsa_bits(&c.cert) {
                    if bits < MIN_RSA_BITS {
                        return Err(PathFailure::WeakAlgorithm {
                            subject: c.subject(),
                            detail: format!(
                                "RSA-{bits} key (at least {MIN_RSA_BITS} bits required)"
                            ),
                        });
                    }
                }
            }
        }
        for c in &certs {
            let v = c.cert.tbs_certificate().validity();
            match validity_at(&c.cert, self.at) {
                CertValidity::Valid => {}
                CertValidity::Expired => {
                    return Err(PathFailure::Expired {
                        subject: c.subject(),
                        not_after: rfc3339(v.not_after.to_system_time()),
                        at: self.at.text(),
                    })
                }
                CertValidity::NotYetValid => {
                    return Err(PathFailure::NotYetValid {
                        subject: c.subject(),
                        not_before: rfc3339(v.not_before.to_system_time()),
                        at: self.at.text(),
                    })
                }
            }
        }
        rfc5280_checks(&certs, mode.policy)?;
        if hpki && mode.depth == 0 {
            hpki_checks(&certs)?;
        }
        Ok(())
    }

    /// Validates the path of a CRL signer that is not the target's issuer.
    fn validate_signer(&mut self, signer: usize, depth: usize) -> Result<(), String> {
        if let Some(r) = self.signer_memo.get(&signer) {
            return r.clone();
        }
        if self.in_progress.contains(&signer) {
            return Err(format!(
                "the revocation of the CRL signer {} depends on a CRL it signed itself",
                self.certs[signer].subject()
            ));
        }
        if depth > MAX_CRL_SIGNER_DEPTH {
            return Err("the CRL signer's certification path is nested too deeply".into());
        }
        let policy = PolicySettings::default();
        // The crypto constraints of the profile (RSA ≥ 2048 for HPKI) hold
        // for a CRL signer's path too; the end-entity HPKI checks do not.
        let mode = Mode {
            profile: self.input.profile,
            policy: &policy,
            anchor: self.main_anchor,
            depth,
        };
        self.in_progress.push(signer);
        let assumed_before = self.assumed;
        let judged = self.validate_from(signer, &mode);
        self.in_progress.retain(|&s| s != signer);
        let r = match judged.failure {
            None => Ok(()),
            Some(f) => Err(format!("the CRL signer's certificate is not valid: {f}")),
        };
        // A result that rested on another judgement still in progress is not
        // final: that judgement may yet fail.
        if self.assumed == assumed_before {
            self.signer_memo.insert(signer, r.clone());
        }
        r
    }

    fn crl_verifies(&mut self, crl: &CrlRecord, signer: usize) -> Option<bool> {
        let key = (crl.sha256, self.certs[signer].spki_id);
        if let Some(&r) = self.crl_sig_memo.get(&key) {
            return Some(r);
        }
        if self.crl_budget.left == 0 {
            return None;
        }
        self.crl_budget.left -= 1;
        let alg = crl.crl.signature_algorithm.oid.to_string();
        let ok = alg != rfc5280_sig::SHA1_WITH_RSA
            && rfc5280_sig::verify_signed_by(
                &crl.der,
                &alg,
                &crl.crl.signature,
                &self.certs[signer].cert,
            )
            .is_ok();
        self.crl_sig_memo.insert(key, ok);
        Some(ok)
    }
}

/// The outcome of judging from one start certificate.
struct Judged {
    path: Vec<usize>,
    revocation: Vec<RevocationInfo>,
    failure: Option<PathFailure>,
}

impl CrlSigners for Engine<'_> {
    fn signer_of(
        &mut self,
        crl: &CrlRecord,
        direct: usize,
        depth: usize,
    ) -> Result<usize, SignerFailure> {
        let alg = crl.crl.signature_algorithm.oid.to_string();
        if alg == rfc5280_sig::SHA1_WITH_RSA {
            return Err(SignerFailure::Rejected(
                "CRL signed with SHA-1 (rejected)".into(),
            ));
        }
        let mut order: Vec<usize> = Vec::new();
        if self.certs[direct].subject_key == crl.issuer_key {
            order.push(direct);
        }
        for (i, c) in self.certs.iter().enumerate() {
            if i != direct
                && c.subject_key == crl.issuer_key
                && (!c.anchor || self.main_anchor == Some(i))
                && match (&crl.aki, c.ski()) {
                    (Some(a), Some(s)) => *a == s,
                    _ => true,
                }
            {
                order.push(i);
            }
        }
        let mut notes: Vec<String> = Vec::new();
        for c in order {
            match self.crl_verifies(crl, c) {
                None => return Err(SignerFailure::Budget),
                Some(false) => continue,
                Some(true) => {}
            }
            // §6.3.3 (f): "If a key usage extension is present in the CRL
            // issuer's certificate, verify that the cRLSign bit is set."
            match self.certs[c]
                .cert
                .tbs_certificate()
                .get_extension::<KeyUsage>()
            {
                Ok(Some((_, ku))) if !ku.crl_sign() => {
                    notes.push(format!(
                        "the key of {} verifies the CRL, but its keyUsage lacks cRLSign",
                        self.certs[c].subject()
                    ));
                    continue;
                }
                Err(e) => {
                    notes.push(format!(
                        "the keyUsage of {} does not parse: {e}",
                        self.certs[c].subject()
                    ));
                    continue;
                }
                _ => {}
            }
            // The target's issuer is on the validated path; so is the anchor.
            // A CRL signer whose own certificate is being judged may cover
            // itself: its path is checked by the judgement in progress (NIST
            // PKITS 4.14.30, an indirect CRL issuer listed on its own CRL).
            if c == direct || self.main_anchor == Some(c) {
                return Ok(c);
            }
            if self.in_progress.contains(&c) {
                self.assumed += 1;
                return Ok(c);
            }
            match self.validate_signer(c, depth + 1) {
                Ok(()) => return Ok(c),
                Err(e) => notes.push(e),
            }
        }
        if notes.is_empty() {
            notes.push(format!(
                "no certificate of {} verifies the CRL's signature",
                crate::holder::display_name(&crl.crl.tbs_cert_list.issuer)
            ));
        }
        Err(SignerFailure::Rejected(notes.join("; ")))
    }

    fn signed_by(&mut self, crl: &CrlRecord, signer: usize) -> Option<bool> {
        self.crl_verifies(crl, signer)
    }
}

fn algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.10040.4.3" => "dsa-with-sha1 (DSA)".into(),
        "2.16.840.1.101.3.4.3.2" => "dsa-with-sha256 (DSA)".into(),
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256 (ECDSA)".into(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS".into(),
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption".into(),
        other => other.to_owned(),
    }
}

/// The RSA modulus size of a certificate's key (DER), in bits, exactly;
/// `None` for another key type or an unreadable certificate.
pub fn rsa_key_bits(cert_der: &[u8]) -> Option<usize> {
    // Read like every certificate of a path (dates before 1970 clamped), so
    // that an old certificate still has its key size known.
    rsa_bits(&parse_certificate(cert_der).ok()?.0)
}

/// The modulus size in bits, exactly (a 2047-bit modulus is 2047), read
/// from the RSAPublicKey DER (no key set-up: this runs for every
/// certificate of every path).
fn rsa_bits(cert: &Certificate) -> Option<usize> {
    let spki = cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1")
        || inkan_pkcs1::check_rsa_encryption_parameters(spki.algorithm.parameters.as_ref()).is_err()
    {
        return None;
    }
    let key = rsa::pkcs1::RsaPublicKeyRef::from_der(spki.subject_public_key.as_bytes()?).ok()?;
    let m = key.modulus.as_bytes();
    let i = m.iter().position(|b| *b != 0)?;
    Some((m.len() - i) * 8 - m[i].leading_zeros() as usize)
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
        Err(e) => Err(format!(
            "certificatePolicies does not parse or is duplicated: {e}"
        )),
    }
}

/// Extensions whose criticality §6.1 processing honours.
const UNDERSTOOD: [&str; 15] = [
    "2.5.29.15", // keyUsage
    "2.5.29.19", // basicConstraints
    "2.5.29.32", // certificatePolicies
    "2.5.29.36", // policyConstraints
    "2.5.29.33", // policyMappings
    "2.5.29.54", // inhibitAnyPolicy
    "2.5.29.30", // nameConstraints
    "2.5.29.14", // subjectKeyIdentifier
    "2.5.29.35", // authorityKeyIdentifier
    "2.5.29.17", // subjectAltName
    "2.5.29.18", // issuerAltName
    "2.5.29.37", // extKeyUsage
    "2.5.29.31", // cRLDistributionPoints
    "2.5.29.46", // freshestCRL
    "2.5.29.9",  // subjectDirectoryAttributes
];

/// RFC 5280 §6.1.3–§6.1.5 on a built path (`path[0]` = start, last = anchor).
fn rfc5280_checks(path: &[&Parsed], policy: &PolicySettings) -> Result<(), PathFailure> {
    // Certificates processed: all but the anchor, from the anchor's child down.
    let n = path.len().saturating_sub(1);
    let mut max_path_length = n;
    let mut policies = PolicyProcessor::new(policy, n);
    let mut names = NameConstraintsState::default();
    let mut last_cert = None;
    for (step, cert) in path[..n].iter().rev().enumerate() {
        let i = step + 1; // RFC 5280 numbering: 1..=n
        let last = i == n;
        let tbs = cert.cert.tbs_certificate();
        let fail = |detail: String| PathFailure::Rfc5280 {
            subject: cert.subject(),
            detail,
        };
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for ext in tbs.extensions().into_iter().flatten() {
            let oid = ext.extn_id.to_string();
            // RFC 5280 §4.2: "A certificate MUST NOT include more than one
            // instance of a particular extension."
            if !seen.insert(oid.clone()) {
                return Err(fail(format!("extension {oid} appears twice")));
            }
            if ext.critical && !UNDERSTOOD.contains(&oid.as_str()) {
                return Err(fail(format!("unsupported critical extension {oid}")));
            }
        }
        let self_issued = cert.self_issued();
        // §6.1.3 (b)(c): self-issued intermediates are exempt.
        if last || !self_issued {
            names
                .check(&cert.cert)
                .map_err(|e| fail(inkan_l10n::escape_display(&e)))?;
        }
        // §6.1.3 (d)–(f)
        policies
            .process_certificate(&cert.cert, i, self_issued)
            .map_err(&fail)?;
        if last {
            last_cert = Some(*cert);
            break;
        }
        // §6.1.4 (a)(b)(h)(i)(j)
        policies
            .prepare_next(&cert.cert, i, self_issued)
            .map_err(&fail)?;
        // §6.1.4 (g)
        names
            .update(&cert.cert)
            .map_err(|e| fail(inkan_l10n::escape_display(&e)))?;
        // §6.1.4 (k) basicConstraints
        let bc = tbs.get_extension::<BasicConstraints>().map_err(|e| {
            fail(format!(
                "basicConstraints does not parse or is duplicated: {e}"
            ))
        })?;
        let Some((_, bc)) = bc.filter(|(_, b)| b.ca) else {
            return Err(fail(
                "an intermediate certificate without basicConstraints cA=TRUE".into(),
            ));
        };
        // §6.1.4 (l)(m)
        if !self_issued {
            if max_path_length == 0 {
                return Err(fail("pathLenConstraint exceeded".into()));
            }
            max_path_length -= 1;
        }
        if let Some(p) = bc.path_len_constraint {
            max_path_length = max_path_length.min(usize::from(p));
        }
        // §6.1.4 (n): a keyUsage that does not parse fails closed.
        match tbs.get_extension::<KeyUsage>() {
            Ok(Some((_, ku))) if !ku.key_cert_sign() => {
                return Err(fail("CA keyUsage lacks keyCertSign".into()))
            }
            Ok(_) => {}
            Err(e) => {
                return Err(fail(format!(
                    "keyUsage does not parse or is duplicated: {e}"
                )))
            }
        }
    }
    // §6.1.5
    if let Some(ee) = last_cert {
        policies
            .wrap_up(&ee.cert)
            .map_err(|detail| PathFailure::Rfc5280 {
                subject: ee.subject(),
                detail,
            })?;
    }
    Ok(())
}

/// extKeyUsage purposes that allow signing documents: anyExtendedKeyUsage,
/// documentSigning (RFC 9336), emailProtection (CMS signing, RFC 8550),
/// Microsoft document signing and Adobe authentic documents.
const DOCUMENT_SIGNING_EKUS: [&str; 5] = [
    "2.5.29.37.0",
    "1.3.6.1.5.5.7.3.36",
    "1.3.6.1.5.5.7.3.4",
    "1.3.6.1.4.1.311.10.3.12",
    "1.2.840.113583.1.1.5",
];

/// The HPKI signing-certificate checks on a path that passed RFC 5280.
fn hpki_checks(path: &[&Parsed]) -> Result<(), PathFailure> {
    let Some(ee) = path.first() else {
        return Ok(());
    };
    let subject = ee.subject();
    let ee_policies = policies_of(&ee.cert).ok().flatten().unwrap_or_default();
    let issuer_policies = path
        .get(1)
        .and_then(|ca| policies_of(&ca.cert).ok().flatten())
        .unwrap_or_default();
    if !ee_policies.iter().any(|p| p == POLICY_HPKI_SIGNING_EE) {
        if issuer_policies.iter().any(|p| p == POLICY_HPKI_AUTH_CA)
            || ee_policies.iter().any(|p| p == POLICY_HPKI_AUTH_EE)
        {
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
    // The issuing CA must be a signing (署名用) CA: an authentication CA's
    // certificate is never a document signer, whatever policy it asserts.
    if !issuer_policies.iter().any(|p| p == POLICY_HPKI_SIGNING_CA) {
        if issuer_policies.iter().any(|p| p == POLICY_HPKI_AUTH_CA) {
            return Err(PathFailure::AuthenticationCertificate { subject });
        }
        return Err(PathFailure::IssuerNotSigningCa {
            subject,
            issuer: path.get(1).map(|c| c.subject()).unwrap_or_default(),
        });
    }
    let ku = ee.cert.tbs_certificate().get_extension::<KeyUsage>();
    match &ku {
        Ok(Some((_, k))) if k.non_repudiation() => {}
        Ok(other) => {
            return Err(PathFailure::KeyUsage {
                subject,
                found: other
                    .as_ref()
                    .map_or_else(|| "absent".into(), |(_, k)| key_usage_names(k)),
            })
        }
        Err(e) => {
            return Err(PathFailure::KeyUsage {
                subject,
                found: format!("malformed or duplicated ({e})"),
            })
        }
    }
    match ee
        .cert
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
    {
        Ok(Some((true, eku)))
            if !eku
                .0
                .iter()
                .any(|o| DOCUMENT_SIGNING_EKUS.contains(&o.to_string().as_str())) =>
        {
            return Err(PathFailure::ExtendedKeyUsage {
                subject,
                found: eku
                    .0
                    .iter()
                    .map(|o| o.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Err(e) => {
            return Err(PathFailure::ExtendedKeyUsage {
                subject,
                found: format!("malformed or duplicated ({e})"),
            })
        }
        _ => {}
    }
    if let Err(e) = hc_role_of(&ee.cert) {
        return Err(PathFailure::MalformedHcRole {
            subject,
            detail: e.to_string(),
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
        chain_der: Vec::new(),
    };
    if let Some(r) = reuse::recall(input) {
        return r;
    }
    let at = At::new(input.at);
    let outside = match run(input, &at, &mut report) {
        Ok(o) => o,
        Err((f, o)) => {
            report.status = PathStatus::from_failure(f);
            o
        }
    };
    reuse::remember(input, at.into_log(), outside, &report);
    report
}

/// The validation proper; also says what it read outside its inputs
/// (for [`reuse`]).
fn run(
    input: &PathInput<'_>,
    at: &At,
    report: &mut PathReport,
) -> Result<Outside, (PathFailure, Outside)> {
    let early = |f: PathFailure| (f, Outside::default());
    let ee = Parsed::new(input.end_entity, false).map_err(|e| {
        early(PathFailure::Malformed {
            detail: e.to_string(),
        })
    })?;
    let anchors = input.trust.anchors().map_err(|e| {
        early(PathFailure::TrustStore {
            detail: e.to_string(),
        })
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
    let mut seen: HashSet<Vec<u8>> = certs.iter().map(|p| p.der.clone()).collect();
    for c in pool {
        if !seen.insert(c.to_vec()) {
            continue;
        }
        // Unparsable or unrelated pool certificates are ignored.
        if let Ok(p) = Parsed::new(c, false) {
            certs.push(p);
        }
    }
    let mut spki_ids: HashMap<Vec<u8>, usize> = HashMap::new();
    for (i, c) in certs.iter_mut().enumerate() {
        let spki = c
            .cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .unwrap_or_default();
        c.spki_id = *spki_ids.entry(spki).or_insert(i);
    }
    let Some(ee) = certs.first() else {
        return Err(early(PathFailure::Malformed {
            detail: "no end entity".into(),
        }));
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
    match hc_role_of(&ee.cert) {
        Ok(Some(r)) => report.role = Some(r),
        Ok(None) => {
            report.role_error = Some("no hcRole (subjectDirectoryAttributes) present".into())
        }
        Err(e) => report.role_error = Some(e.to_string()),
    }

    let crls = Rc::new(CrlPool::new(input.revocation));
    let total = MAX_PATH_SIGNATURE_CHECKS + 2 * certs.len();
    let crl_total = MAX_PATH_SIGNATURE_CHECKS + 2 * (certs.len() + crls.len());
    let default_policy = PolicySettings::default();
    let mut engine = Engine {
        input,
        certs,
        sig_memo: HashMap::new(),
        crl_sig_memo: HashMap::new(),
        reach_memo: HashMap::new(),
        signer_memo: HashMap::new(),
        in_progress: Vec::new(),
        budget: Budget { total, left: total },
        crl_budget: Budget {
            total: crl_total,
            left: crl_total,
        },
        assumed: 0,
        steps: MAX_BUILD_STEPS,
        crls: Rc::clone(&crls),
        main_anchor: None,
        at,
    };
    let mode = Mode {
        profile: input.profile,
        policy: input.policy.unwrap_or(&default_policy),
        anchor: None,
        depth: 0,
    };
    let judged = engine.validate_from(0, &mode);
    report.chain = judged
        .path
        .iter()
        .map(|&i| engine.certs[i].info(at))
        .collect();
    report.chain_der = judged
        .path
        .iter()
        .map(|&i| engine.certs[i].der.clone())
        .collect();
    report.revocation = judged.revocation;
    drop(engine);
    let outside = Rc::try_unwrap(crls)
        .map(CrlPool::into_outside)
        .unwrap_or_else(|_| Outside {
            volatile: true,
            ..Outside::default()
        });
    match judged.failure {
        Some(f) => Err((f, outside)),
        None => Ok(outside),
    }
}
