//! Validation of an Inkan signature, in the model of ETSI EN 319 102-1.
//!
//! One function, [`validate`], parses the signature, then validates each
//! SignerInfo on its own (a co-signed letter has several; a parallel
//! signature is not a format failure) and gives the document the worst of
//! their verdicts. For each signer it runs the building blocks in order and
//! stops at the first that cannot pass:
//!
//! 1. **format** — the CMS SignedData parses (RFC 5652), with signed attributes;
//! 2. **signer identification** — the signer certificate is found and matches
//!    signing-certificate-v2 (RFC 5035);
//! 3. **content digest** — message-digest equals the digest of the document;
//! 4. **signature value** — RSA over the original signed-attribute bytes;
//! 5. **chain** — RFC 5280 path to the trust anchor at the validation time,
//!    each certificate's validity, CRL revocation (unknown is INDETERMINATE);
//! 6. **HPKI profile** — signing policy and nonRepudiation;
//! 7. **qualification** — the hcRole, and the document policy (a referral
//!    letter needs 医師 or 歯科医師).
//!
//! The same [`ValidationReport`] gives the JSON for machines (schema in
//! `docs/validation-report.md`) and the text for people, in Japanese and English.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod algorithms;
mod text;
pub mod timestamps;

use inkan_l10n::{Lang, Localized, Text};
use inkan_trust::{PathInput, PathReport, RevocationConfig, TrustStore, ValidationProfile};
use serde::Serialize;
use std::time::SystemTime;

pub use text::render_text;

/// The JSON schema identifier of [`ValidationReport`].
pub const REPORT_SCHEMA: &str = "inkan-validation-report/1";

/// ETSI EN 319 102-1 main indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Indication {
    /// Every check passed.
    #[serde(rename = "TOTAL_PASSED")]
    TotalPassed,
    /// Something could not be decided (missing revocation data, untrusted chain, …).
    #[serde(rename = "INDETERMINATE")]
    Indeterminate,
    /// The signature is invalid.
    #[serde(rename = "TOTAL_FAILED")]
    TotalFailed,
}

impl Indication {
    /// The ETSI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Indication::TotalPassed => "TOTAL_PASSED",
            Indication::Indeterminate => "INDETERMINATE",
            Indication::TotalFailed => "TOTAL_FAILED",
        }
    }

    /// The verdict word the UI shows.
    pub fn verdict(self) -> Text {
        match self {
            Indication::TotalPassed => Text::new("有効", "Valid"),
            Indication::Indeterminate => Text::new("判定不能", "Indeterminate"),
            Indication::TotalFailed => Text::new("無効", "Invalid"),
        }
    }

    fn from_name(s: &str) -> Indication {
        match s {
            "TOTAL_PASSED" | "PASSED" => Indication::TotalPassed,
            "TOTAL_FAILED" => Indication::TotalFailed,
            _ => Indication::Indeterminate,
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Passed.
    Passed,
    /// Failed: the signature is invalid.
    Failed,
    /// Could not be decided.
    Indeterminate,
    /// Not run, because an earlier check did not pass.
    Skipped,
}

/// One building block's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id: `format`, `signer_identification`, `content_digest`,
    /// `signature_value`, `chain`, `revocation`, `hpki_profile`, `qualification`,
    /// `document_policy`.
    pub id: &'static str,
    /// Outcome.
    pub status: CheckStatus,
    /// What was checked and what was found, in both languages.
    pub message: Text,
    /// The machine code of the failure, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Who signed, from the signer certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    /// Romaji name (subject CN).
    pub name: String,
    /// Kanji name, when the certificate carries one.
    pub name_kanji: Option<String>,
    /// Facility (subject O).
    pub organization: Option<String>,
    /// CA-assigned holder id (subject serialNumber).
    pub holder_id: Option<String>,
    /// Qualification as the certificate states it (`Medical Doctor`).
    pub qualification: Option<String>,
    /// Japanese qualification name (`医師`), when known.
    pub qualification_ja: Option<String>,
    /// Issuing CA (short name).
    pub issuer: String,
    /// Certificate serial number, hex.
    pub serial: String,
    /// Certificate validity.
    pub not_before: String,
    /// Certificate validity.
    pub not_after: String,
    /// SHA-256 of the certificate (DER), hex: the signing log records it.
    pub fingerprint_sha256: String,
}

/// Which document rules apply on top of the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentPolicy {
    /// 診療情報提供書: the signer must be a 医師 or 歯科医師.
    ReferralLetter,
    /// Any HPKI signing certificate.
    AnyQualification,
}

/// How the validation time was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The current time.
    Now,
    /// A time the user gave (`--at`).
    Explicit,
}

/// What to validate against.
#[derive(Debug, Clone)]
pub struct Options {
    /// The trust store (the pinned MHLW root unless a TEST store is selected).
    pub trust: TrustStore,
    /// Validation time; `None` = now.
    pub at: Option<SystemTime>,
    /// Revocation data sources (CRLs from the signature are added automatically).
    pub revocation: RevocationConfig,
    /// Document rules.
    pub policy: DocumentPolicy,
    /// Trust anchors for time-stamp authorities (DER), apart from the HPKI
    /// root: a time-stamp counts only when its TSA chains to one of these.
    pub tsa_trust: Vec<Vec<u8>>,
}

/// The full result, for people and machines.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// Main indication.
    pub indication: Indication,
    /// Sub-indication (ETSI EN 319 102-1 §5.1.3), when not passed.
    pub sub_indication: Option<String>,
    /// The verdict and its reason in both languages.
    pub summary: Text,
    /// The trust store used; `TEST` stores are flagged.
    pub trust: TrustInfo,
    /// The validation time (RFC 3339) and where it came from.
    pub validation_time: String,
    /// See [`TimeSource`].
    pub time_source: TimeSource,
    /// The signing-time attribute (claimed by the signer; informational only).
    pub claimed_signing_time: Option<String>,
    /// The signer, when identified.
    pub signer: Option<Signer>,
    /// The detached content was given / the content was encapsulated.
    pub attached: Option<bool>,
    /// Digest algorithm of the signature.
    pub digest_algorithm: Option<String>,
    /// The checks in order.
    pub checks: Vec<Check>,
    /// Path validation details (chain, revocation per certificate).
    pub path: Option<PathReport>,
    /// The document policy applied.
    pub policy: DocumentPolicy,
    /// The level of the deciding signer (`B-B`, `B-T`).
    pub level: Option<&'static str>,
    /// The deciding signer's time-stamps.
    pub timestamps: Vec<timestamps::TimestampReport>,
    /// The deciding signer's best-signature-time (RFC 3339).
    pub best_signature_time: Option<String>,
    /// Every signer, in the order of the signature. The fields above
    /// (verdict, signer, checks, path) are those of the signer that decides
    /// the document's verdict: the worst one, the first among equals.
    pub signers: Vec<SignerReport>,
}

/// The result for one SignerInfo of the signature (RFC 5652 §5.3). A
/// co-signed letter has several; each is validated on its own, and the
/// document's verdict is the worst of them.
#[derive(Debug, Clone, Serialize)]
pub struct SignerReport {
    /// Position of the SignerInfo in the signature (0-based).
    pub index: usize,
    /// Main indication for this signer.
    pub indication: Indication,
    /// Sub-indication, when not passed.
    pub sub_indication: Option<String>,
    /// The verdict for this signer and its reason, in both languages.
    pub summary: Text,
    /// The signer, when identified.
    pub signer: Option<Signer>,
    /// The signing-time attribute (claimed by the signer; informational only).
    pub claimed_signing_time: Option<String>,
    /// Digest algorithm of this signer.
    pub digest_algorithm: Option<String>,
    /// The checks in order.
    pub checks: Vec<Check>,
    /// Path validation details for this signer's certificate.
    pub path: Option<PathReport>,
    /// `B-B`, `B-T`, `B-LT`, `B-LTA` (or `E-A` for an ATSv2 archive), as in
    /// ETSI EN 319 122-1.
    pub level: &'static str,
    /// The signature's time-stamps and their checks.
    pub timestamps: Vec<timestamps::TimestampReport>,
    /// The earliest genTime of a valid signature-time-stamp (RFC 3339): the
    /// proof that the signature existed then (EN 319 102-1 §5.5).
    pub best_signature_time: Option<String>,
    /// The certificates were validated at the best-signature-time, because
    /// validation at the validation time failed for a reason a time-stamp
    /// answers (revocation or expiry after the signature was stamped).
    pub validated_at_signature_time: bool,
}

/// SignerInfos validated in one signature, at most (real letters carry one
/// or two; each costs a path validation).
pub const MAX_SIGNERS: usize = 16;

/// The trust store, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct TrustInfo {
    /// `default` or `test`.
    pub store: &'static str,
    /// True for a TEST store: every output must say TEST.
    pub test: bool,
    /// Where it came from.
    pub label: String,
}

const ORDER: [&str; 9] = [
    "format",
    "signer_identification",
    "content_digest",
    "signature_value",
    "chain",
    "revocation",
    "hpki_profile",
    "qualification",
    "document_policy",
];

fn check_for_sub_indication(sub: &str) -> &'static str {
    match sub {
        "HASH_FAILURE" | "SIGNED_DATA_NOT_FOUND" => "content_digest",
        "SIG_CRYPTO_FAILURE" => "signature_value",
        "NO_SIGNING_CERTIFICATE_FOUND" => "signer_identification",
        _ => "format",
    }
}

struct Builder {
    checks: Vec<Check>,
}

impl Builder {
    fn pass(&mut self, id: &'static str, message: Text) {
        self.checks.push(Check {
            id,
            status: CheckStatus::Passed,
            message,
            code: None,
        });
    }

    fn fail(&mut self, id: &'static str, status: CheckStatus, message: Text, code: &str) {
        self.checks.push(Check {
            id,
            status,
            message,
            code: Some(code.to_string()),
        });
    }

    fn skip_rest(&mut self) {
        for id in ORDER {
            if !self.checks.iter().any(|c| c.id == id) {
                let what = passed_text(id);
                self.checks.push(Check {
                    id,
                    status: CheckStatus::Skipped,
                    message: Text::new(
                        format!("{}（前の検査が合格しなかったため未実施）", what.ja),
                        format!("{} (not run: an earlier check did not pass)", what.en),
                    ),
                    code: None,
                });
            }
        }
    }
}

fn rfc3339(t: SystemTime) -> String {
    inkan_trust::crl::rfc3339(t)
}

fn signer_of(cert: &[u8]) -> Option<Signer> {
    let h = inkan_trust::holder::summarize(cert).ok()?;
    Some(Signer {
        name: h.name,
        name_kanji: h.name_kanji,
        organization: h.organization,
        holder_id: h.holder_id,
        qualification: h.role.as_ref().map(|r| r.text.clone()),
        qualification_ja: h.role.as_ref().and_then(|r| r.ja.map(str::to_string)),
        issuer: h.issuer_short,
        serial: h.serial,
        not_before: h.not_before,
        not_after: h.not_after,
        fingerprint_sha256: {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(cert))
        },
    })
}

/// Validates a signature (`signature` = DER/BER/PEM CMS) over `content`
/// (`None` for an attached signature), signer by signer.
pub fn validate(signature: &[u8], content: Option<&[u8]>, opts: &Options) -> ValidationReport {
    validate_content(signature, content.map(inkan_cades::Content::Bytes), opts)
}

/// [`validate`] with the detached content in memory or as a file hashed
/// in chunks ([`inkan_cades::Content`]): a document of any size is
/// verified in about one chunk of memory.
pub fn validate_content(
    signature: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    opts: &Options,
) -> ValidationReport {
    let at = opts.at.unwrap_or_else(SystemTime::now);
    let trust = TrustInfo {
        store: if opts.trust.is_test() {
            "test"
        } else {
            "default"
        },
        test: opts.trust.is_test(),
        label: opts.trust.label(),
    };
    let mut report = ValidationReport {
        schema: REPORT_SCHEMA,
        indication: Indication::Indeterminate,
        sub_indication: None,
        summary: Text::new("", ""),
        trust,
        validation_time: rfc3339(at),
        time_source: if opts.at.is_some() {
            TimeSource::Explicit
        } else {
            TimeSource::Now
        },
        claimed_signing_time: None,
        signer: None,
        attached: None,
        digest_algorithm: None,
        checks: Vec::new(),
        path: None,
        policy: opts.policy,
        level: None,
        timestamps: Vec::new(),
        best_signature_time: None,
        signers: Vec::new(),
    };
    // A failure of the whole signature, before any signer.
    let whole = |mut report: ValidationReport, e: &inkan_cades::CadesError| {
        let ind = Indication::from_name(e.indication().as_str());
        let mut b = Builder { checks: Vec::new() };
        b.fail("format", status_of(ind), e.text(), e.code());
        b.skip_rest();
        report.checks = b.checks;
        report.indication = ind;
        report.sub_indication = Some(e.sub_indication().to_string());
        report.summary = summary(ind, &e.text());
        report
    };
    let parsed = match inkan_cades::parse(signature) {
        Ok(p) => p,
        Err(e) => return whole(report, &e),
    };
    report.attached = Some(parsed.econtent.is_some());
    match parsed.signers.len() {
        0 => return whole(report, &inkan_cades::CadesError::NoSigner),
        n if n > MAX_SIGNERS => {
            return whole(
                report,
                &inkan_cades::CadesError::TooManySigners {
                    count: n,
                    max: MAX_SIGNERS,
                },
            )
        }
        _ => {}
    }
    // A document in a file is read once, here: every signer and every
    // archive time-stamp is checked against the same bytes.
    let read_once = match content {
        Some(inkan_cades::Content::File(path)) => match read_once(&parsed, path) {
            Ok(r) => Some(r),
            Err(e) => return whole(report, &e),
        },
        _ => None,
    };
    let content = match &read_once {
        Some(r) => Some(r.content()),
        None => content,
    };
    report.signers = (0..parsed.signers.len())
        .map(|i| validate_signer(&parsed, i, content, opts, at))
        .collect();
    // The worst verdict decides; the first among equals.
    let decider = report
        .signers
        .iter()
        .enumerate()
        .max_by_key(|(i, r)| (r.indication, std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let d = report.signers[decider].clone();
    report.indication = d.indication;
    report.sub_indication = d.sub_indication;
    report.signer = d.signer;
    report.claimed_signing_time = d.claimed_signing_time;
    report.digest_algorithm = d.digest_algorithm;
    report.checks = d.checks;
    report.path = d.path;
    report.level = Some(d.level);
    report.timestamps = d.timestamps;
    report.best_signature_time = d.best_signature_time;
    let n = report.signers.len();
    report.summary = if n == 1 {
        d.summary
    } else if d.indication == Indication::TotalPassed {
        let names: Vec<String> = report
            .signers
            .iter()
            .map(|r| signer_label(r, true))
            .collect();
        let names_en: Vec<String> = report
            .signers
            .iter()
            .map(|r| signer_label(r, false))
            .collect();
        Text::new(
            format!("有効: {n} 名の署名がすべて有効です（{}）", names.join("、")),
            format!(
                "Valid: all {n} signatures are valid ({})",
                names_en.join(", ")
            ),
        )
    } else {
        Text::new(
            format!("署名者 {}/{n}: {}", decider + 1, d.summary.ja),
            format!("signer {}/{n}: {}", decider + 1, d.summary.en),
        )
    };
    report
}

fn summary(ind: Indication, why: &Text) -> Text {
    let verdict = ind.verdict();
    Text::new(
        format!("{}: {}", verdict.ja, why.ja),
        format!("{}: {}", verdict.en, why.en),
    )
}

fn signer_label(r: &SignerReport, ja: bool) -> String {
    match &r.signer {
        Some(s) if ja => format!(
            "{}（{}）",
            s.name_kanji.clone().unwrap_or_else(|| s.name.clone()),
            s.qualification_ja
                .clone()
                .or(s.qualification.clone())
                .unwrap_or_default()
        ),
        Some(s) => format!(
            "{} ({})",
            s.name,
            s.qualification.clone().unwrap_or_default()
        ),
        None => format!("#{}", r.index + 1),
    }
}

/// The level of a signer (EN 319 122-1 baseline names; `E-A` for the older
/// archive form without ATSv3).
fn level_of(stamps: &[timestamps::TimestampReport], has_crls: bool, has_xl: bool) -> &'static str {
    let has = |k: &str| stamps.iter().any(|t| t.kind == k);
    if has("archive_v3") && has_xl {
        "ES-A"
    } else if has("archive_v3") {
        "B-LTA"
    } else if has("signature") && has_xl {
        "ES-X-Long"
    } else if has("archive_v2") {
        "E-A"
    } else if has("signature") && has_crls {
        "B-LT"
    } else if has("signature") {
        "B-T"
    } else {
        "B-B"
    }
}

/// A detached document read once for a whole validation or augmentation
/// ([`read_content_once`]).
#[derive(Debug)]
pub enum ReadOnce {
    /// Whole, for an ATSv2, whose imprint covers the raw document.
    Bytes(Vec<u8>),
    /// Its digests, for everything else.
    Digests(inkan_cades::content::Digests),
}

/// An ATSv2 over a detached document needs the document itself: held in
/// memory up to this size; above it, only digests (and such an ATSv2 is
/// reported as not checked).
const ATS_V2_IN_MEMORY: u64 = 64 << 20;

impl ReadOnce {
    /// As content for the checks.
    pub fn content(&self) -> inkan_cades::Content<'_> {
        match self {
            ReadOnce::Bytes(b) => inkan_cades::Content::Bytes(b),
            ReadOnce::Digests(d) => inkan_cades::Content::Digested(d),
        }
    }
}

/// Reads the detached document of `signature` at `path` once: its digests
/// (what every check of `signature` needs), or the document itself when an
/// ATSv2 needs it and it is small enough to hold.
pub fn read_content_once(
    signature: &[u8],
    path: &std::path::Path,
) -> Result<ReadOnce, inkan_cades::CadesError> {
    read_once(&inkan_cades::parse(signature)?, path)
}

fn read_once(
    parsed: &inkan_cades::ParsedSignedData,
    path: &std::path::Path,
) -> Result<ReadOnce, inkan_cades::CadesError> {
    use inkan_cades::oids;
    let has = |oid: &der::asn1::ObjectIdentifier| {
        parsed
            .signers
            .iter()
            .any(|si| !si.unsigned_attr_values(oid).is_empty())
    };
    let v2 = has(&inkan_cades::augment::ID_AA_ATS_V2);
    if v2 {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX);
        if size <= ATS_V2_IN_MEMORY {
            return Ok(ReadOnce::Bytes(inkan_cades::Content::File(path).to_vec()?));
        }
    }
    let mut algorithms: Vec<der::asn1::ObjectIdentifier> = parsed
        .signers
        .iter()
        .map(|si| si.digest_algorithm)
        .collect();
    // An archive time-stamp hashes the document with its own algorithm.
    if v2 || has(&inkan_cades::ats::ID_AA_ATS_V3) {
        algorithms.extend([oids::SHA256, oids::SHA384, oids::SHA512]);
    }
    Ok(ReadOnce::Digests(inkan_cades::content::Digests::of_file(
        path,
        &algorithms,
    )?))
}

/// Validates SignerInfo `index`: integrity, path, profile, qualification.
fn validate_signer(
    parsed: &inkan_cades::ParsedSignedData,
    index: usize,
    content: Option<inkan_cades::Content<'_>>,
    opts: &Options,
    at: SystemTime,
) -> SignerReport {
    let mut b = Builder { checks: Vec::new() };
    let mut out = SignerReport {
        index,
        indication: Indication::Indeterminate,
        sub_indication: None,
        summary: Text::new("", ""),
        signer: None,
        claimed_signing_time: None,
        digest_algorithm: None,
        checks: Vec::new(),
        path: None,
        level: "B-B",
        timestamps: Vec::new(),
        best_signature_time: None,
        validated_at_signature_time: false,
    };
    let finish =
        |mut out: SignerReport, mut b: Builder, ind: Indication, sub: Option<String>, why: Text| {
            b.skip_rest();
            out.checks = b.checks;
            out.indication = ind;
            out.sub_indication = sub;
            out.summary = summary(ind, &why);
            out
        };
    let mut revocation = opts.revocation.clone();
    revocation
        .signature_crls
        .extend(parsed.crls.iter().cloned());
    // ES-X-Long keeps its validation data in unsigned attributes: as good a
    // source as SignedData's own.
    let (xl_certs, xl_crls) = parsed
        .signers
        .get(index)
        .and_then(|si| inkan_cades::ats::long_term_values_of(si).ok())
        .unwrap_or_default();
    revocation.signature_crls.extend(xl_crls);
    let mut pool = parsed.certificates.clone();
    pool.extend(xl_certs);
    // Time-stamps first: they may move the validation time, and they are
    // reported even when the signature itself fails.
    let stamps = match parsed.signers.get(index) {
        Some(si) => timestamps::check(
            si,
            &timestamps::Ctx {
                signature: &parsed.der,
                index,
                content,
                certs: &pool,
                tsa_trust: &opts.tsa_trust,
                at,
                revocation: &revocation,
            },
        ),
        None => timestamps::Stamps {
            reports: Vec::new(),
            best_signature_time: None,
        },
    };
    let has_xl = parsed.signers.get(index).is_some_and(|si| {
        !si.unsigned_attr_values(&inkan_cades::ats::ID_AA_REVOCATION_VALUES)
            .is_empty()
    });
    out.level = level_of(&stamps.reports, !parsed.crls.is_empty(), has_xl);
    out.best_signature_time = stamps.best_signature_time.map(rfc3339);
    out.timestamps = stamps.reports;
    let integrity = match inkan_cades::verify_signer_content(parsed, index, content, &[]) {
        Ok(i) => i,
        Err(e) => {
            let ind = Indication::from_name(e.indication().as_str());
            let sub = e.sub_indication();
            let failed_at = check_for_sub_indication(sub);
            for id in ORDER.iter().take_while(|id| **id != failed_at) {
                b.pass(id, passed_text(id));
            }
            b.fail(failed_at, status_of(ind), e.text(), e.code());
            return finish(out, b, ind, Some(sub.to_string()), e.text());
        }
    };
    for id in [
        "format",
        "signer_identification",
        "content_digest",
        "signature_value",
    ] {
        b.pass(id, passed_text(id));
    }
    out.signer = signer_of(&integrity.signer_cert);
    out.claimed_signing_time = integrity.signing_time.map(rfc3339);
    out.digest_algorithm = Some(integrity.digest_algorithm.to_string());

    let validate_at = |t: SystemTime, rev: &RevocationConfig| {
        inkan_trust::validate_path(&PathInput {
            end_entity: &integrity.signer_cert,
            pool: &pool,
            trust: &opts.trust,
            at: t,
            profile: ValidationProfile::Hpki,
            revocation: rev,
            policy: None,
        })
    };
    let mut path = validate_at(at, &revocation);
    // Past signature validation (EN 319 102-1 §5.5.4): a revocation or an
    // expiry after the time-stamp does not touch a signature that provably
    // existed before it. Validated again at the best-signature-time, a
    // revocation before it is then a proven failure.
    let answered_by_poe = matches!(
        path.status.sub_indication(),
        Some("REVOKED_NO_POE" | "REVOKED_CA_NO_POE" | "OUT_OF_BOUNDS_NO_POE")
    );
    let mut proven_revoked = false;
    if let Some(bst) = stamps.best_signature_time.filter(|b| *b < at) {
        if answered_by_poe {
            // Only CRLs issued after the time-stamp show that no revocation
            // before it is missing.
            let past_rev = RevocationConfig {
                issued_after: Some(bst),
                ..revocation.clone()
            };
            let past = validate_at(bst, &past_rev);
            proven_revoked = matches!(
                past.status.failure(),
                Some(inkan_trust::PathFailure::Revoked { .. })
            );
            out.validated_at_signature_time = true;
            path = past;
        }
    }
    let path_status = path.status.clone();
    let role = path.role.clone();
    out.path = Some(path);
    if let Some(f) = path_status.failure() {
        // Revoked before a proven signing time: the signature is invalid.
        let ind = if proven_revoked {
            Indication::TotalFailed
        } else {
            Indication::from_name(f.indication())
        };
        let id = match f.sub_indication() {
            "REVOKED" | "REVOKED_NO_POE" | "TRY_LATER" | "REVOKED_CA_NO_POE" => "revocation",
            "CHAIN_CONSTRAINTS_FAILURE" => "hpki_profile",
            "SIG_CONSTRAINTS_FAILURE" => "qualification",
            _ => "chain",
        };
        for pid in ORDER.iter().skip(4).take_while(|p| **p != id) {
            b.pass(pid, passed_text(pid));
        }
        b.fail(id, status_of(ind), f.text(), f.code());
        let sub = if proven_revoked {
            "REVOKED"
        } else {
            f.sub_indication()
        };
        return finish(out, b, ind, Some(sub.to_string()), f.text());
    }
    for id in ["chain", "revocation", "hpki_profile", "qualification"] {
        b.pass(id, passed_text(id));
    }
    if opts.policy == DocumentPolicy::ReferralLetter {
        if let Err(f) = inkan_trust::document_policy_referral(role.as_ref()) {
            let ind = Indication::from_name(f.indication());
            b.fail("document_policy", status_of(ind), f.text(), f.code());
            return finish(out, b, ind, Some(f.sub_indication().to_string()), f.text());
        }
    }
    b.pass("document_policy", passed_text("document_policy"));
    let who = out
        .signer
        .as_ref()
        .map(|s| {
            Text::new(
                format!(
                    "{}（{}）が署名し、署名後に改変されていません",
                    s.name_kanji.clone().unwrap_or_else(|| s.name.clone()),
                    s.qualification_ja
                        .clone()
                        .or(s.qualification.clone())
                        .unwrap_or_default()
                ),
                format!(
                    "signed by {} ({}) and unchanged since",
                    s.name,
                    s.qualification.clone().unwrap_or_default()
                ),
            )
        })
        .unwrap_or_else(|| Text::new("署名は有効です", "the signature is valid"));
    finish(out, b, Indication::TotalPassed, None, who)
}

fn status_of(ind: Indication) -> CheckStatus {
    match ind {
        Indication::TotalPassed => CheckStatus::Passed,
        Indication::Indeterminate => CheckStatus::Indeterminate,
        Indication::TotalFailed => CheckStatus::Failed,
    }
}

fn passed_text(id: &str) -> Text {
    match id {
        "format" => Text::new(
            "署名の形式（CMS SignedData、署名属性あり）",
            "signature format (CMS SignedData with signed attributes)",
        ),
        "signer_identification" => Text::new(
            "署名者証明書を特定（signing-certificate-v2 一致）",
            "signer certificate identified (signing-certificate-v2 matches)",
        ),
        "content_digest" => Text::new(
            "文書のハッシュ値が一致（改変なし）",
            "document digest matches (unchanged)",
        ),
        "signature_value" => Text::new(
            "署名値を署名者の公開鍵で検証",
            "signature value verified with the signer's public key",
        ),
        "chain" => Text::new(
            "認証パス（ルート認証局まで）と各証明書の有効期間",
            "certification path to the root and each certificate's validity",
        ),
        "revocation" => Text::new(
            "失効していない（CRL で確認）",
            "not revoked (checked against CRLs)",
        ),
        "hpki_profile" => Text::new(
            "HPKI 署名用証明書（署名用ポリシー、否認防止）",
            "HPKI signing certificate (signing policy, nonRepudiation)",
        ),
        "qualification" => Text::new("資格情報（hcRole）を確認", "qualification (hcRole) read"),
        "document_policy" => Text::new(
            "文書の要件（署名者の資格）を満たす",
            "document requirements (signer's qualification) met",
        ),
        _ => Text::new(id, id),
    }
}

impl ValidationReport {
    /// The summary line in `lang`.
    pub fn summary(&self, lang: Lang) -> &str {
        self.summary.get(lang)
    }
}
