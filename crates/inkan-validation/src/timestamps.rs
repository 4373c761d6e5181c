//! Time-stamps in a signature (EN 319 102-1 §5.4: time-stamp validation
//! building block), and what they prove: the best-signature-time.
//!
//! A signature-time-stamp (CAdES-T, RFC 3161 token in the unsigned attribute
//! `id-aa-signatureTimeStampToken`) stamps the hash of the SignerInfo's
//! signature value. It is valid when its imprint matches, its own signature
//! verifies, its TSA certificate has the critical id-kp-timeStamping EKU and
//! was valid at genTime, and the TSA's certificate path reaches a configured
//! TSA trust anchor with the same path and CRL rules as signers. The TSA
//! trust anchors are apart from the HPKI root: accredited Japanese TSAs chain
//! to other roots.

use std::time::SystemTime;

use inkan_cades::{oids, SignerInfoView};
use inkan_trust::{PathInput, PathReport, RevocationConfig, TrustStore, ValidationProfile};
use serde::Serialize;

/// One time-stamp of a signer, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct TimestampReport {
    /// `signature` (signature-time-stamp); later levels add archive kinds.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// genTime (RFC 3339), when the token could be read.
    pub gen_time: Option<String>,
    /// genTime as the token states it (fractions of a second kept).
    pub gen_time_text: Option<String>,
    /// The TSA (its certificate's subject), when known.
    pub tsa: Option<String>,
    /// The TSA's policy OID.
    pub policy: Option<String>,
    /// Whether the imprint is the hash of what it must cover.
    pub imprint_valid: bool,
    /// Whether the token's own signature verifies (and its TSA certificate is fit).
    pub signature_valid: bool,
    /// `TOTAL_PASSED` when everything holds, including trust in the TSA.
    pub indication: &'static str,
    /// Why not, in both languages.
    pub detail: Option<inkan_l10n::Text>,
    /// The TSA certificate's path validation.
    pub tsa_path: Option<PathReport>,
    #[serde(skip)]
    pub(crate) gen_time_value: Option<SystemTime>,
}

/// What the time-stamps of one signer establish.
pub(crate) struct Stamps {
    pub reports: Vec<TimestampReport>,
    /// The earliest genTime of a valid signature-time-stamp.
    pub best_signature_time: Option<SystemTime>,
}

/// Checks every signature-time-stamp of `si`.
pub(crate) fn check(
    si: &SignerInfoView,
    signature_certs: &[Vec<u8>],
    tsa_trust: &[Vec<u8>],
    at: SystemTime,
    revocation: &RevocationConfig,
) -> Stamps {
    let mut reports = Vec::new();
    for token in si.unsigned_attr_values(&oids::ID_AA_SIGNATURE_TIME_STAMP) {
        reports.push(check_one(
            token,
            &si.signature,
            signature_certs,
            tsa_trust,
            at,
            revocation,
        ));
    }
    let best_signature_time = reports
        .iter()
        .filter(|r| r.indication == "TOTAL_PASSED")
        .filter_map(|r| r.gen_time_value)
        .min();
    Stamps {
        reports,
        best_signature_time,
    }
}

fn check_one(
    token: &[u8],
    signature_value: &[u8],
    signature_certs: &[Vec<u8>],
    tsa_trust: &[Vec<u8>],
    at: SystemTime,
    revocation: &RevocationConfig,
) -> TimestampReport {
    use inkan_l10n::Localized;
    let mut r = TimestampReport {
        kind: "signature",
        gen_time: None,
        gen_time_text: None,
        tsa: None,
        policy: None,
        imprint_valid: false,
        signature_valid: false,
        indication: "INDETERMINATE",
        detail: None,
        tsa_path: None,
        gen_time_value: None,
    };
    let ok = match inkan_tsp::verify_token(token, signature_value, signature_certs) {
        Ok(ok) => ok,
        Err(e) => {
            // Read what can be read, to say which token failed.
            if let Ok(p) = inkan_cades::parse(token) {
                if let Some(info) = p
                    .econtent
                    .as_deref()
                    .and_then(|c| inkan_tsp::rfc3161::parse_tst_info(c).ok())
                {
                    r.gen_time = Some(inkan_trust::crl::rfc3339(info.gen_time));
                    r.gen_time_text = Some(info.gen_time_text);
                    r.policy = Some(info.policy);
                }
            }
            r.imprint_valid = !matches!(e, inkan_tsp::TspError::ImprintMismatch { .. });
            r.indication = match e {
                inkan_tsp::TspError::ImprintMismatch { .. } => "TOTAL_FAILED",
                inkan_tsp::TspError::Token(_) => "TOTAL_FAILED",
                _ => "INDETERMINATE",
            };
            r.detail = Some(e.text());
            return r;
        }
    };
    r.imprint_valid = true;
    r.signature_valid = true;
    r.gen_time = Some(inkan_trust::crl::rfc3339(ok.info.gen_time));
    r.gen_time_text = Some(ok.info.gen_time_text.clone());
    r.gen_time_value = Some(ok.info.gen_time);
    r.policy = Some(ok.info.policy.clone());
    r.tsa = inkan_trust::holder::summarize(&ok.tsa_cert)
        .ok()
        .map(|h| h.name);
    if tsa_trust.is_empty() {
        r.detail = Some(inkan_l10n::Text::new(
            "タイムスタンプ局の信頼の起点が設定されていないため、タイムスタンプを信頼できません",
            "no TSA trust anchor is configured, so the time-stamp cannot be trusted",
        ));
        return r;
    }
    let path = tsa_path(&ok, signature_certs, tsa_trust, at, revocation);
    if let Some(f) = path.status.failure() {
        r.detail = Some(f.text());
    } else {
        r.indication = "TOTAL_PASSED";
    }
    r.tsa_path = Some(path);
    r
}

/// The TSA certificate's path to a TSA trust anchor, at `at`, with the same
/// path and CRL rules as for signers (RFC 5280 profile: a TSA is not an HPKI
/// signer). Its CRLs come from the token, the signature, the cache and the
/// distribution point.
pub fn tsa_path(
    ok: &inkan_tsp::TokenOk,
    signature_certs: &[Vec<u8>],
    tsa_trust: &[Vec<u8>],
    at: SystemTime,
    revocation: &RevocationConfig,
) -> PathReport {
    let mut pool = ok.certificates.clone();
    pool.extend(signature_certs.iter().cloned());
    let mut rev = revocation.clone();
    rev.signature_crls.extend(ok.crls.iter().cloned());
    let trust = TrustStore::Test {
        anchors: tsa_trust.to_vec(),
        pool: Vec::new(),
        label: "TSA trust".into(),
    };
    inkan_trust::validate_path(&PathInput {
        end_entity: &ok.tsa_cert,
        pool: &pool,
        trust: &trust,
        at,
        profile: ValidationProfile::Rfc5280,
        revocation: &rev,
        policy: None,
    })
}

/// Why a signature could not be time-stamped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The signature file cannot be read or changed.
    #[error(transparent)]
    Signature(#[from] inkan_cades::CadesError),
    /// The TSA could not give a usable token.
    #[error(transparent)]
    Tsa(#[from] inkan_tsp::TspError),
    /// No TSA trust anchor is configured.
    #[error("no TSA trust anchor is configured (settings, or --tsa-trust)")]
    NoTsaTrust,
    /// The TSA's certificate does not chain to a TSA trust anchor.
    #[error("the time-stamp authority is not trusted: {}", detail.en)]
    UntrustedTsa {
        /// Why (the path failure).
        detail: inkan_l10n::Text,
    },
}

impl inkan_l10n::Localized for TimestampError {
    fn code(&self) -> &'static str {
        match self {
            TimestampError::Signature(e) => e.code(),
            TimestampError::Tsa(e) => e.code(),
            TimestampError::NoTsaTrust => "timestamp.no_tsa_trust",
            TimestampError::UntrustedTsa { .. } => "timestamp.untrusted_tsa",
        }
    }

    fn text(&self) -> inkan_l10n::Text {
        match self {
            TimestampError::Signature(e) => e.text(),
            TimestampError::Tsa(e) => e.text(),
            TimestampError::NoTsaTrust => inkan_l10n::Text::new(
                "タイムスタンプ局の信頼の起点が設定されていません（設定、または --tsa-trust）",
                self.to_string(),
            ),
            TimestampError::UntrustedTsa { detail } => inkan_l10n::Text::new(
                format!("タイムスタンプ局を信頼できません: {}", detail.ja),
                self.to_string(),
            ),
        }
    }
}

/// CAdES-T: `signature` with a signature-time-stamp from the TSA of `cfg`
/// added to every SignerInfo that has none. Each token is checked (RFC 3161,
/// and the TSA's path to a TSA trust anchor now) before it is added; the
/// existing bytes of the signature are kept.
pub fn add_signature_timestamps(
    signature: &[u8],
    cfg: &inkan_tsp::TsaConfig,
    tsa_trust: &[Vec<u8>],
    revocation: &RevocationConfig,
) -> Result<(Vec<u8>, Vec<TimestampReport>), TimestampError> {
    use inkan_l10n::Localized;
    if tsa_trust.is_empty() {
        return Err(TimestampError::NoTsaTrust);
    }
    let mut current = signature.to_vec();
    let mut reports = Vec::new();
    let count = inkan_cades::parse(&current)?.signers.len();
    for index in 0..count {
        let parsed = inkan_cades::parse(&current)?;
        if parsed.input_was_ber {
            return Err(inkan_cades::CadesError::malformed(
                "signature",
                "BER-encoded: time-stamping it would re-encode signed bytes",
            )
            .into());
        }
        let Some(si) = parsed.signers.get(index) else {
            break;
        };
        if !si
            .unsigned_attr_values(&oids::ID_AA_SIGNATURE_TIME_STAMP)
            .is_empty()
        {
            continue;
        }
        let ok = inkan_tsp::fetch_token(cfg, &si.signature)?;
        let path = tsa_path(
            &ok,
            &parsed.certificates,
            tsa_trust,
            SystemTime::now(),
            revocation,
        );
        if let Some(f) = path.status.failure() {
            return Err(TimestampError::UntrustedTsa { detail: f.text() });
        }
        current = inkan_cades::augment::add_signature_timestamp(&current, index, &ok.token)?;
        reports.push(TimestampReport {
            kind: "signature",
            gen_time: Some(inkan_trust::crl::rfc3339(ok.info.gen_time)),
            gen_time_text: Some(ok.info.gen_time_text.clone()),
            tsa: inkan_trust::holder::summarize(&ok.tsa_cert)
                .ok()
                .map(|h| h.name),
            policy: Some(ok.info.policy.clone()),
            imprint_valid: true,
            signature_valid: true,
            indication: "TOTAL_PASSED",
            detail: None,
            tsa_path: Some(path),
            gen_time_value: Some(ok.info.gen_time),
        });
    }
    Ok((current, reports))
}
