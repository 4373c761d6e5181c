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
    /// Until when the token's algorithms protect (RFC 3339; absent: no end
    /// foreseen), by [`crate::algorithms::AlgorithmPolicy::default`]: an
    /// archive needs its next archive time-stamp before then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithms_until: Option<String>,
    #[serde(skip)]
    pub(crate) gen_time_value: Option<SystemTime>,
}

/// What the time-stamps of one signer establish.
pub(crate) struct Stamps {
    pub reports: Vec<TimestampReport>,
    /// The earliest genTime of a valid signature-time-stamp.
    pub best_signature_time: Option<SystemTime>,
}

/// Time-stamps of one kind checked per signer, at most: each costs a TSA
/// path validation, and real signatures carry one or two.
pub const MAX_TIMESTAMPS: usize = 8;

/// Archive and ES-X time-stamps checked per signer, all kinds together, the
/// newest first: a yearly renewal for decades stays within it.
pub const MAX_ARCHIVE_TIMESTAMPS: usize = 16;

/// What a check needs besides the token.
pub(crate) struct Ctx<'a> {
    /// The whole signature (DER), for the archive time-stamps' inputs.
    pub signature: &'a [u8],
    /// The signer's position.
    pub index: usize,
    /// The signed content, when detached.
    pub content: Option<inkan_cades::Content<'a>>,
    /// Certificates of the signature (pool for the TSA paths).
    pub certs: &'a [Vec<u8>],
    /// TSA trust anchors.
    pub tsa_trust: &'a [Vec<u8>],
    /// The validation time.
    pub at: SystemTime,
    /// Where CRLs come from.
    pub revocation: &'a RevocationConfig,
}

/// Checks every time-stamp of `si`: archive time-stamps first, newest
/// first, each proving the existence of what it covers at its genTime; then
/// the signature-time-stamps. A time-stamp's TSA only has to have been valid
/// at the earliest time a valid archive time-stamp that covers this very
/// token proves (EN 319 102-1 §5.6.2.3): a token added after an archive
/// time-stamp, or left out of its index, gets no proof of existence from it.
pub(crate) fn check(si: &SignerInfoView, ctx: &Ctx<'_>) -> Stamps {
    let (mut reports, proofs) = archives(si, ctx);
    let mut signature_stamps = Vec::new();
    for token in si
        .unsigned_attr_values(&oids::ID_AA_SIGNATURE_TIME_STAMP)
        .into_iter()
        .take(MAX_TIMESTAMPS)
    {
        let poe = poe_of(&proofs, Kind::Signature, token);
        signature_stamps.push(check_one("signature", token, &si.signature, ctx, poe));
    }
    let best_signature_time = signature_stamps
        .iter()
        .filter(|r| r.indication == "TOTAL_PASSED")
        .filter_map(|r| r.gen_time_value)
        .min();
    signature_stamps.append(&mut reports);
    let reports = signature_stamps;
    Stamps {
        reports,
        best_signature_time,
    }
}

/// What kind of unsigned attribute a token sits in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Signature,
    ArchiveV3,
    ArchiveV2,
    EsX1,
    EsX2,
}

/// What a valid archive (or ES-X type 1) time-stamp proves existed at its
/// genTime.
struct Proof {
    time: SystemTime,
    covers: Cover,
}

enum Cover {
    /// ATSv3: the attribute values its ats-hash-index lists, exactly;
    /// ATSv2: the values of the attributes its imprint input includes.
    Values(std::collections::HashSet<Vec<u8>>),
    /// ES-X type 1: the signature-time-stamps.
    SignatureStamps,
    /// ES-X type 2: only the references (no time-stamp).
    Nothing,
}

/// The earliest time a valid proof that covers `token` shows it existed,
/// never before the token's own genTime (a token cannot have existed
/// before the time it states).
fn poe_of(proofs: &[Proof], kind: Kind, token: &[u8]) -> Option<SystemTime> {
    let gen = gen_time_of(token)?.0;
    proofs
        .iter()
        .filter(|p| p.time >= gen)
        .filter(|p| match &p.covers {
            Cover::Values(v) => v.contains(token),
            Cover::SignatureStamps => kind == Kind::Signature,
            Cover::Nothing => false,
        })
        .map(|p| p.time)
        .min()
}

fn gen_time_of(token: &[u8]) -> Option<(SystemTime, inkan_tsp::ImprintHash)> {
    let p = inkan_cades::parse(token).ok()?;
    let info = inkan_tsp::rfc3161::parse_tst_info(p.econtent.as_deref()?).ok()?;
    Some((info.gen_time, info.hash))
}

/// The archive time-stamps (ATSv3, ATSv2) and ES-X time-stamps of a signer,
/// and what the valid ones prove.
fn archives(si: &SignerInfoView, ctx: &Ctx<'_>) -> (Vec<TimestampReport>, Vec<Proof>) {
    use inkan_cades::ats;
    let mut tokens: Vec<(Kind, &'static str, Vec<u8>, Option<SystemTime>)> = Vec::new();
    for (oid, kind, name) in [
        (ats::ID_AA_ATS_V3, Kind::ArchiveV3, "archive_v3"),
        (
            inkan_cades::augment::ID_AA_ATS_V2,
            Kind::ArchiveV2,
            "archive_v2",
        ),
        (ID_AA_ESX_TYPE1, Kind::EsX1, "es_x_type1"),
        (ID_AA_ESX_TYPE2, Kind::EsX2, "es_x_type2"),
    ] {
        for t in si
            .unsigned_attr_values(&oid)
            .into_iter()
            .take(MAX_ARCHIVE_TIMESTAMPS)
        {
            tokens.push((kind, name, t.to_vec(), gen_time_of(t).map(|g| g.0)));
        }
    }
    // Newest first: each is validated at the validation time, or at the
    // time a newer valid archive time-stamp that covers it proves it existed.
    // Each check rebuilds an input the size of the file: the newest
    // MAX_ARCHIVE_TIMESTAMPS of all kinds are checked, no more.
    tokens.sort_by_key(|t| std::cmp::Reverse(t.3));
    tokens.truncate(MAX_ARCHIVE_TIMESTAMPS);
    let mut proofs: Vec<Proof> = Vec::new();
    let mut out = Vec::new();
    for (kind, name, token, gen) in tokens {
        let mut note = None;
        let mut covered = None;
        let input: Result<Vec<u8>, inkan_l10n::Text> = match name {
            "archive_v3" => archive_v3_input(&token, ctx).map(|(d, n, c)| {
                note = n;
                covered = Some(c);
                d
            }),
            "es_x_type1" => ats::imprint_input_esx1(ctx.signature, ctx.index)
                .map_err(|e| inkan_l10n::Localized::text(&e)),
            "es_x_type2" => ats::imprint_input_esx2(ctx.signature, ctx.index)
                .map_err(|e| inkan_l10n::Localized::text(&e)),
            "archive_v2" => archive_v2_input(&token, gen, ctx).map(|v| {
                covered = Some(v.covered.into_iter().collect());
                v.data
            }),
            _ => Err(inkan_l10n::Text::new(
                "この種類のタイムスタンプの対象は確認していません",
                "what this kind of time-stamp covers is not checked",
            )),
        };
        let poe = poe_of(&proofs, kind, &token);
        let r = match input {
            Ok(data) => check_one(name, &token, &data, ctx, poe),
            Err(why) => {
                let mut r = check_one(name, &token, &[], ctx, poe);
                r.imprint_valid = false;
                r.indication = if matches!(name, "archive_v3") {
                    "TOTAL_FAILED"
                } else {
                    "INDETERMINATE"
                };
                r.detail = Some(why);
                r
            }
        };
        let mut r = r;
        if let Some(n) = note {
            r.detail = Some(match r.detail.take() {
                Some(d) => inkan_l10n::Text::new(
                    format!("{} / {}", d.ja, n.ja),
                    format!("{} / {}", d.en, n.en),
                ),
                None => n,
            });
        }
        if r.indication == "TOTAL_PASSED" {
            if let Some(time) = r.gen_time_value {
                let covers = match kind {
                    Kind::ArchiveV3 => covered.map(Cover::Values),
                    Kind::ArchiveV2 => covered.map(Cover::Values),
                    Kind::EsX1 => Some(Cover::SignatureStamps),
                    Kind::EsX2 => Some(Cover::Nothing),
                    Kind::Signature => None,
                };
                if let Some(covers) = covers {
                    proofs.push(Proof { time, covers });
                }
            }
        }
        out.push(r);
    }
    (out, proofs)
}

/// The time-stamps of every signer of `signature`, checked at `at` exactly
/// as the verifier checks them (its POE rules, its validation data sources):
/// what the archive register and a renewal may rely on. Only the
/// `TOTAL_PASSED` ones prove anything.
pub fn signer_timestamps(
    signature: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    tsa_trust: &[Vec<u8>],
    revocation: &RevocationConfig,
    at: SystemTime,
) -> Result<Vec<Vec<TimestampReport>>, inkan_cades::CadesError> {
    let parsed = inkan_cades::parse(signature)?;
    if parsed.signers.len() > crate::MAX_SIGNERS {
        return Err(inkan_cades::CadesError::malformed(
            "SignedData",
            format!(
                "{} signers, more than the {} Inkan checks",
                parsed.signers.len(),
                crate::MAX_SIGNERS
            ),
        ));
    }
    let mut out = Vec::new();
    for (index, si) in parsed.signers.iter().enumerate() {
        let mut rev = revocation.clone();
        rev.signature_crls.extend(parsed.crls.iter().cloned());
        let (xl_certs, xl_crls) = inkan_cades::ats::long_term_values_of(si).unwrap_or_default();
        rev.signature_crls.extend(xl_crls);
        let mut pool = parsed.certificates.clone();
        pool.extend(xl_certs);
        out.push(
            check(
                si,
                &Ctx {
                    signature: &parsed.der,
                    index,
                    content,
                    certs: &pool,
                    tsa_trust,
                    at,
                    revocation: &rev,
                },
            )
            .reports,
        );
    }
    Ok(out)
}

/// ES-X type 1 (CAdES-C-timestamp) and type 2.
const ID_AA_ESX_TYPE1: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.25");
const ID_AA_ESX_TYPE2: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.26");

/// The imprint input of an ATSv3, a note when its index lists elements
/// the signature no longer holds, and the attribute values it covers.
type V3Input = (
    Vec<u8>,
    Option<inkan_l10n::Text>,
    std::collections::HashSet<Vec<u8>>,
);

fn archive_v3_input(token: &[u8], ctx: &Ctx<'_>) -> Result<V3Input, inkan_l10n::Text> {
    use inkan_cades::ats;
    use inkan_l10n::Localized;
    let index = match ats::token_hash_index(token) {
        Ok(Some(i)) => i,
        Ok(None) => {
            return Err(inkan_l10n::Text::new(
                "アーカイブタイムスタンプにハッシュ索引（ats-hash-index）がありません",
                "the archive time-stamp carries no ats-hash-index",
            ))
        }
        Err(e) => return Err(e.text()),
    };
    let covered = ats::covered_values(ctx.signature, ctx.index, &index).map_err(|e| e.text())?;
    // An entry without an original means something it covered was removed
    // since: that evidence is no longer protected, but the time-stamp is not
    // false for it (its imprint decides). Reported with the time-stamp.
    if let Err(e) = ats::check_hash_index(ctx.signature, ctx.index, &index) {
        return Ok((
            build_v3(token, ctx, &index)?,
            Some(inkan_l10n::Text::new(
                format!("アーカイブタイムスタンプの索引に、現在の署名にない要素があります: {}", e.text().ja),
                format!("the archive time-stamp's index lists elements the signature no longer holds: {}", e.text().en),
            )),
            covered,
        ));
    }
    Ok((build_v3(token, ctx, &index)?, None, covered))
}

fn build_v3(
    token: &[u8],
    ctx: &Ctx<'_>,
    index: &inkan_cades::ats::HashIndex,
) -> Result<Vec<u8>, inkan_l10n::Text> {
    use inkan_cades::ats;
    use inkan_l10n::Localized;
    let alg = gen_time_of(token).map(|(_, h)| h).ok_or_else(|| {
        inkan_l10n::Text::new("TSTInfo を読めません", "the TSTInfo cannot be read")
    })?;
    ats::imprint_input_v3_content(
        ctx.signature,
        ctx.index,
        ctx.content,
        &hash_oid(alg),
        &index.der,
    )
    .map_err(|e| e.text())
}

fn archive_v2_input(
    token: &[u8],
    gen: Option<SystemTime>,
    ctx: &Ctx<'_>,
) -> Result<inkan_cades::ats::V2Input, inkan_l10n::Text> {
    use inkan_cades::ats;
    use inkan_l10n::Localized;
    // Everything present before this time-stamp: not itself, nor any archive
    // attribute holding a value that is not an older archive time-stamp (a
    // junk value, this token, a newer one). The whole attribute goes in or
    // out, and only what goes in is covered.
    let keep = |oid: &der::asn1::ObjectIdentifier, values: &[&[u8]]| {
        let archive = *oid == ats::ID_AA_ATS_V3 || *oid == inkan_cades::augment::ID_AA_ATS_V2;
        if !archive {
            return true;
        }
        !values.is_empty()
            && values.iter().all(|value| {
                *value != token
                    && match (gen_time_of(value), gen) {
                        (Some((g, _)), Some(mine)) => g < mine,
                        _ => false,
                    }
            })
    };
    // Two encodings exist in the wild; the one whose imprint matches counts.
    let wrapped = ats::imprint_input_v2_content(ctx.signature, ctx.index, ctx.content, &keep, true)
        .map_err(|e| e.text())?;
    if inkan_tsp::verify_token(token, &wrapped.data, ctx.certs).is_ok() {
        return Ok(wrapped);
    }
    ats::imprint_input_v2_content(ctx.signature, ctx.index, ctx.content, &keep, false)
        .map_err(|e| e.text())
}

fn hash_oid(h: inkan_tsp::ImprintHash) -> der::asn1::ObjectIdentifier {
    der::asn1::ObjectIdentifier::new_unwrap(match h {
        inkan_tsp::ImprintHash::Sha256 => "2.16.840.1.101.3.4.2.1",
        inkan_tsp::ImprintHash::Sha384 => "2.16.840.1.101.3.4.2.2",
        inkan_tsp::ImprintHash::Sha512 => "2.16.840.1.101.3.4.2.3",
    })
}

fn check_one(
    kind: &'static str,
    token: &[u8],
    signature_value: &[u8],
    ctx: &Ctx<'_>,
    poe: Option<SystemTime>,
) -> TimestampReport {
    let (signature_certs, tsa_trust, at, revocation) =
        (ctx.certs, ctx.tsa_trust, ctx.at, ctx.revocation);
    use inkan_l10n::Localized;
    let mut r = TimestampReport {
        kind,
        gen_time: None,
        gen_time_text: None,
        tsa: None,
        policy: None,
        imprint_valid: false,
        signature_valid: false,
        indication: "INDETERMINATE",
        detail: None,
        tsa_path: None,
        algorithms_until: None,
        gen_time_value: None,
    };
    // The imprint is judged on its own, whatever the token's signature says.
    let info = inkan_cades::parse(token).ok().and_then(|p| {
        p.econtent
            .as_deref()
            .and_then(|c| inkan_tsp::rfc3161::parse_tst_info(c).ok())
    });
    if let Some(info) = &info {
        r.gen_time = Some(inkan_trust::crl::rfc3339(info.gen_time));
        r.gen_time_text = Some(info.gen_time_text.clone());
        r.policy = Some(info.policy.clone());
        r.imprint_valid = info.hash.digest(signature_value) == info.imprint;
        if !r.imprint_valid {
            r.indication = "TOTAL_FAILED";
            r.detail = Some(
                inkan_tsp::TspError::ImprintMismatch {
                    algorithm: info.hash.name(),
                }
                .text(),
            );
            return r;
        }
    }
    if info.as_ref().is_some_and(|i| i.gen_time > at) {
        r.detail = Some(inkan_l10n::Text::new(
            "タイムスタンプの時刻が検証時刻より後です",
            "the time-stamp's time is after the validation time",
        ));
        return r;
    }
    let ok = match inkan_tsp::verify_token(token, signature_value, signature_certs) {
        Ok(ok) => ok,
        Err(e) => {
            r.indication = match e {
                inkan_tsp::TspError::ImprintMismatch { .. } | inkan_tsp::TspError::Token(_) => {
                    "TOTAL_FAILED"
                }
                _ => "INDETERMINATE",
            };
            r.detail = Some(e.text());
            return r;
        }
    };
    r.imprint_valid = true;
    r.signature_valid = true;
    r.algorithms_until = algorithms_until(&ok);
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
    let mut path = tsa_path(&ok, signature_certs, tsa_trust, at, revocation);
    // A later archive time-stamp proves this token existed at `poe`: its TSA
    // only has to have been valid then (EN 319 102-1 §5.6.3).
    // Only what a proof of existence answers (an expiry or a revocation
    // after it) is looked at again, and only with CRLs issued after it.
    let answered = matches!(
        path.status.sub_indication(),
        Some("OUT_OF_BOUNDS_NO_POE" | "REVOKED_NO_POE" | "REVOKED_CA_NO_POE")
    );
    if let Some(p) = poe.filter(|p| *p < at && answered) {
        let past_rev = RevocationConfig {
            issued_after: Some(p),
            ..revocation.clone()
        };
        let past = tsa_path(&ok, signature_certs, tsa_trust, p, &past_rev);
        if past.status.is_passed() {
            path = past;
        }
    }
    if let Some(f) = path.status.failure() {
        r.detail = Some(f.text());
    } else {
        r.indication = "TOTAL_PASSED";
    }
    r.tsa_path = Some(path);
    r
}

fn algorithms_until(ok: &inkan_tsp::TokenOk) -> Option<String> {
    crate::algorithms::AlgorithmPolicy::default()
        .token_until(&ok.token, &ok.tsa_cert)
        .map(inkan_trust::crl::rfc3339)
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
    /// A signer's certificate is not valid now: no validation data is added.
    #[error("the signer's certificate is not valid now: {}", detail.en)]
    SignerNotValid {
        /// Why (the path failure).
        detail: inkan_l10n::Text,
    },
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
            TimestampError::SignerNotValid { .. } => "timestamp.signer_not_valid",
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
            TimestampError::SignerNotValid { detail } => inkan_l10n::Text::new(
                format!(
                    "署名者の証明書が現在有効でないため、検証データを追加しません: {}",
                    detail.ja
                ),
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
    // A signer that already has a time-stamp that holds (trusted TSA
    // included) is left as it is; one whose time-stamps prove nothing gets
    // another. Stamping one signer does not change another's.
    let before = signer_timestamps(signature, None, tsa_trust, revocation, SystemTime::now())?;
    for (index, stamps) in before.iter().enumerate() {
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
        if stamps
            .iter()
            .any(|r| r.kind == "signature" && r.indication == "TOTAL_PASSED")
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
            algorithms_until: algorithms_until(&ok),
            gen_time_value: Some(ok.info.gen_time),
        });
    }
    Ok((current, reports))
}

/// CAdES-LT (EN 319 122-1 §5.4): `signature` with the validation data of
/// every signer (its certificate path to the HPKI anchor of `trust` and the
/// CRLs that decided each certificate) and of every signature time-stamp's
/// TSA, added to the SignedData. Every path must be valid now: validation
/// data that proves a failure is not worth keeping.
pub fn add_validation_data(
    signature: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    trust: &TrustStore,
    tsa_trust: &[Vec<u8>],
    revocation: &RevocationConfig,
) -> Result<Vec<u8>, TimestampError> {
    add_validation_data_as(
        signature,
        content,
        trust,
        tsa_trust,
        revocation,
        LongTermForm::Baseline,
    )
}

/// Where long-term validation data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongTermForm {
    /// EN 319 122-1 B-LT: in SignedData.certificates and SignedData.crls.
    Baseline,
    /// JIS X 5092 / ISO 14533-1 ES-X-Long (TS 101 733): the
    /// complete-certificate-references, complete-revocation-references,
    /// certificate-values and revocation-values unsigned attributes.
    EsXLong,
}

/// [`add_validation_data`] in the form `form`.
pub fn add_validation_data_as(
    signature: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    trust: &TrustStore,
    tsa_trust: &[Vec<u8>],
    revocation: &RevocationConfig,
    form: LongTermForm,
) -> Result<Vec<u8>, TimestampError> {
    use inkan_l10n::Localized;
    let parsed = inkan_cades::parse(signature)?;
    let now = SystemTime::now();
    let mut rev = revocation.clone();
    rev.signature_crls.extend(parsed.crls.iter().cloned());
    let stamps = signer_timestamps(signature, content, tsa_trust, revocation, now)?;
    let mut certs: Vec<Vec<u8>> = Vec::new();
    let mut crls: Vec<Vec<u8>> = Vec::new();
    let take = |path: &PathReport, certs: &mut Vec<Vec<u8>>, crls: &mut Vec<Vec<u8>>| {
        certs.extend(path.chain_der.iter().cloned());
        for info in &path.revocation {
            crls.extend(info.crls.iter().map(|c| c.der.to_vec()));
        }
    };
    let mut es_xl: Vec<(usize, inkan_cades::ats::EsXlValues)> = Vec::new();
    for (index, si) in parsed.signers.iter().enumerate() {
        // The signature must be intact; without the document (detached),
        // the signer's certificate is taken by its identifier.
        let cert = match inkan_cades::verify_signer_content(&parsed, index, content, &[]) {
            Ok(i) => i.signer_cert,
            Err(inkan_cades::CadesError::DetachedContentMissing) => {
                inkan_cades::signer_certificate(&parsed, index).ok_or_else(|| {
                    inkan_cades::CadesError::SignerCertificateNotFound {
                        signer_id: inkan_l10n::escape_display(&si.sid.to_string()),
                    }
                })?
            }
            Err(e) => return Err(e.into()),
        };
        // The CRLs kept must be issued after the signature's time-stamp:
        // only those show, later, that no revocation before it is missing
        // (the grace period: wait for the next CRL if need be).
        let stamped = si
            .unsigned_attr_values(&oids::ID_AA_SIGNATURE_TIME_STAMP)
            .into_iter()
            .filter_map(gen_time_of)
            .map(|(g, _)| g)
            .min();
        let signer_rev = RevocationConfig {
            issued_after: stamped,
            ..rev.clone()
        };
        let path = inkan_trust::validate_path(&PathInput {
            end_entity: &cert,
            pool: &parsed.certificates,
            trust,
            at: now,
            profile: ValidationProfile::Hpki,
            revocation: &signer_rev,
            policy: None,
        });
        if let Some(f) = path.status.failure() {
            return Err(TimestampError::SignerNotValid { detail: f.text() });
        }
        // The validation data of the signature-time-stamps that hold, as the
        // verifier validated them; a token that proves nothing (a sender's
        // junk, an untrusted TSA) is left out rather than blocking the rest.
        let (mut tsa_certs, mut tsa_crls) = (Vec::new(), Vec::new());
        let stamps = stamps.get(index).map(Vec::as_slice).unwrap_or_default();
        if !si
            .unsigned_attr_values(&oids::ID_AA_SIGNATURE_TIME_STAMP)
            .is_empty()
            && !stamps
                .iter()
                .any(|r| r.kind == "signature" && r.indication == "TOTAL_PASSED")
        {
            let why = stamps
                .iter()
                .find(|r| r.kind == "signature")
                .and_then(|r| r.detail.clone())
                .unwrap_or_else(|| inkan_l10n::Text::new("不明", "unknown"));
            return Err(TimestampError::UntrustedTsa { detail: why });
        }
        for r in stamps
            .iter()
            .filter(|r| r.kind == "signature" && r.indication == "TOTAL_PASSED")
        {
            if let Some(tpath) = &r.tsa_path {
                take(tpath, &mut tsa_certs, &mut tsa_crls);
            }
        }
        match form {
            LongTermForm::Baseline => {
                take(&path, &mut certs, &mut crls);
                certs.extend(tsa_certs);
                crls.extend(tsa_crls);
            }
            LongTermForm::EsXLong => {
                let per_cert: Vec<Vec<Vec<u8>>> = path
                    .revocation
                    .iter()
                    .map(|i| i.crls.iter().map(|c| c.der.to_vec()).collect())
                    .collect();
                es_xl.push((
                    index,
                    inkan_cades::ats::es_xl_values(
                        &path.chain_der,
                        &per_cert,
                        &tsa_certs,
                        &tsa_crls,
                        &parsed.certificates,
                        &parsed.crls,
                    )?,
                ));
            }
        }
    }
    if form == LongTermForm::Baseline {
        return Ok(inkan_cades::augment::add_validation_data(
            signature, &certs, &crls,
        )?);
    }
    let mut current = signature.to_vec();
    for (index, v) in es_xl {
        use inkan_cades::ats::{
            ID_AA_CERT_REFS, ID_AA_CERT_VALUES, ID_AA_REVOCATION_REFS, ID_AA_REVOCATION_VALUES,
        };
        for (oid, value) in [
            (ID_AA_CERT_REFS, &v.cert_refs),
            (ID_AA_REVOCATION_REFS, &v.revocation_refs),
            (ID_AA_CERT_VALUES, &v.cert_values),
            (ID_AA_REVOCATION_VALUES, &v.revocation_values),
        ] {
            current = inkan_cades::augment::add_unsigned_attribute(&current, index, &oid, value)?;
        }
    }
    Ok(current)
}

/// CAdES-LTA (EN 319 122-1 §5.5.3): an archive time-stamp v3 over each
/// signer, with its ats-hash-index-v3 (SHA-256) spliced into the token's
/// SignerInfo. The token is checked like any other before it is added.
/// `content` is needed for a detached signature.
pub fn add_archive_timestamps(
    signature: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    cfg: &inkan_tsp::TsaConfig,
    tsa_trust: &[Vec<u8>],
    revocation: &RevocationConfig,
) -> Result<(Vec<u8>, Vec<TimestampReport>), TimestampError> {
    use inkan_cades::ats;
    use inkan_l10n::Localized;
    if tsa_trust.is_empty() {
        return Err(TimestampError::NoTsaTrust);
    }
    let sha256 = der::asn1::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    let mut current = signature.to_vec();
    let mut reports = Vec::new();
    let count = inkan_cades::parse(&current)?.signers.len();
    for index in 0..count {
        let index_der = ats::hash_index_v3(&current, index)?;
        let input = ats::imprint_input_v3_content(&current, index, content, &sha256, &index_der)?;
        let ok = inkan_tsp::fetch_token(cfg, &input)?;
        let parsed = inkan_cades::parse(&current)?;
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
        let token = inkan_cades::augment::add_unsigned_attribute(
            &ok.token,
            0,
            &ats::ID_AA_ATS_HASH_INDEX_V3,
            &index_der,
        )?;
        current = inkan_cades::augment::add_unsigned_attribute(
            &current,
            index,
            &ats::ID_AA_ATS_V3,
            &token,
        )?;
        reports.push(TimestampReport {
            kind: "archive_v3",
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
            algorithms_until: algorithms_until(&ok),
            gen_time_value: Some(ok.info.gen_time),
        });
    }
    Ok((current, reports))
}

/// For renewing an archive (EN 319 122-1 §5.5.3): the validation data of
/// every time-stamp that holds (its TSA's path to a TSA trust anchor, as the
/// verifier validated it: now, or at the time a newer archive time-stamp
/// proves, and the CRLs that decided it), added to the SignedData so that
/// the next archive time-stamp covers it. A TSA certificate that has
/// expired since is no obstacle: its data was validated at its proof of
/// existence. Tokens that prove nothing (a sender's junk, an untrusted TSA)
/// are left as they are and do not block the renewal: the new archive
/// time-stamp gives them no proof of existence they did not have.
///
/// The result is DER (a BER-encoded signature is renewed in the DER form
/// the verifier checks). When an ATSv2 holds, or a long-term-validation
/// attribute is present, SignedData must not change (§5.5.3): the
/// signature is returned as it is, with a note saying so; the next archive
/// time-stamp still covers everything.
pub fn add_timestamp_validation_data(
    signature: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    tsa_trust: &[Vec<u8>],
    revocation: &RevocationConfig,
) -> Result<(Vec<u8>, Option<inkan_l10n::Text>), TimestampError> {
    let parsed = inkan_cades::parse(signature)?;
    let der = parsed.der.clone();
    let stamps = signer_timestamps(&der, content, tsa_trust, revocation, SystemTime::now())?;
    // An ATSv2 that holds, or that cannot be judged (its TSA not trusted,
    // its document not at hand), may be real: SignedData stays as it is.
    let v2_holds = stamps
        .iter()
        .flatten()
        .any(|r| r.kind == "archive_v2" && r.indication != "TOTAL_FAILED");
    let ltv = parsed.signers.iter().any(|si| {
        !si.unsigned_attr_values(&inkan_cades::augment::ID_AA_LONG_TERM_VALIDATION)
            .is_empty()
    });
    if v2_holds || ltv {
        return Ok((
            der,
            Some(inkan_l10n::Text::new(
                "この署名には旧形式のアーカイブタイムスタンプ（ATSv2 または long-term-validation）があるため、検証データは追加せず、新しいアーカイブタイムスタンプだけを追加します",
                "this signature has an older-form archive time-stamp (ATSv2 or long-term-validation): no validation data is added, only the new archive time-stamp",
            )),
        ));
    }
    let mut certs = Vec::new();
    let mut crls = Vec::new();
    for signer in &stamps {
        for r in signer.iter().filter(|r| r.indication == "TOTAL_PASSED") {
            if let Some(path) = &r.tsa_path {
                certs.extend(path.chain_der.iter().cloned());
                for info in &path.revocation {
                    crls.extend(info.crls.iter().map(|c| c.der.to_vec()));
                }
            }
        }
    }
    Ok((
        inkan_cades::augment::add_validation_data_unchecked(&der, &certs, &crls)?,
        None,
    ))
}

/// What a renewal must establish before it replaces a file (EN 319 122-1
/// §5.5.3): every signer is intact, and every time-stamp that held in
/// `before` (the file as it was) still holds in `after`, with the same
/// indication; newer ones are allowed. `Err` says what is wrong.
pub fn check_renewal(
    before: &[u8],
    after: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    tsa_trust: &[Vec<u8>],
    revocation: &RevocationConfig,
) -> Result<(), String> {
    let parsed = inkan_cades::parse(after).map_err(|e| e.to_string())?;
    for index in 0..parsed.signers.len() {
        match inkan_cades::verify_signer_content(&parsed, index, content, &[]) {
            Ok(_) | Err(inkan_cades::CadesError::DetachedContentMissing) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let now = SystemTime::now();
    let old = signer_timestamps(before, content, tsa_trust, revocation, now)
        .map_err(|e| e.to_string())?;
    let new =
        signer_timestamps(after, content, tsa_trust, revocation, now).map_err(|e| e.to_string())?;
    if old.len() != new.len() {
        return Err("the number of signers changed".into());
    }
    let holding = |reports: &[TimestampReport]| {
        let mut m: std::collections::BTreeMap<(&'static str, Option<String>), usize> =
            std::collections::BTreeMap::new();
        for r in reports.iter().filter(|r| r.indication == "TOTAL_PASSED") {
            *m.entry((r.kind, r.gen_time.clone())).or_default() += 1;
        }
        m
    };
    for (o, n) in old.iter().zip(&new) {
        let (o, n) = (holding(o), holding(n));
        for ((kind, gen), count) in &o {
            if n.get(&(*kind, gen.clone())).copied().unwrap_or(0) < *count {
                return Err(format!(
                    "a {kind} time-stamp of {} no longer holds",
                    gen.as_deref().unwrap_or("?")
                ));
            }
        }
        let archives = |m: &std::collections::BTreeMap<(&'static str, Option<String>), usize>| {
            m.iter()
                .filter(|((k, _), _)| *k == "archive_v3")
                .map(|(_, c)| c)
                .sum::<usize>()
        };
        if archives(&n) <= archives(&o) {
            return Err("the new archive time-stamp does not hold".into());
        }
    }
    Ok(())
}
