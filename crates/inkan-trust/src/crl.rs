//! Revocation by CRL (RFC 5280 §5 and §6.3), the only revocation mechanism HPKI
//! offers (no OCSP).
//!
//! # Where CRLs come from
//! Every source is read, and every CRL found is a candidate
//! (ETSI EN 319 102-1 §5.2.5 lets the verifier use any revocation data it
//! has; it does not let the signer choose which):
//! 1. CRLs carried in the signature ([`RevocationConfig::signature_crls`]),
//! 2. CRLs given explicitly ([`RevocationConfig::crls`], `--crl`),
//! 3. the cache directory: `<sha256(url) hex>.crl` for each `http://` URL of
//!    the certificate's cRLDistributionPoints (RFC 5280 §4.2.1.13),
//! 4. an HTTP fetch of those URLs (timeout, size limit), stored in the cache,
//!    whenever fetching is on and the cached copy is missing or past its
//!    nextUpdate at the current time. So a signer who embeds an old CRL
//!    cannot hide a revocation that a newer CRL lists.
//!
//! # The algorithm (RFC 5280 §6.3.3)
//! For each distribution point of the certificate, then for the CRLs "not
//! specified in a distribution point but issued by the certificate issuer",
//! the complete CRLs are taken newest first, and each is used only if:
//! - (b)(1) its issuer is the certificate's issuer, or, when the distribution
//!   point names a `cRLIssuer`, that issuer *and* the CRL says `indirectCRL`;
//! - (b)(2) its `issuingDistributionPoint` is in scope: the distribution
//!   point names match, `onlyContainsUserCerts` / `onlyContainsCACerts` fit
//!   the certificate, and `onlyContainsAttributeCerts` is not set;
//! - (d)(e) it covers reasons not yet covered (`onlySomeReasons` and the
//!   distribution point's `reasons`);
//! - it is fresh for the validation time `at`: `thisUpdate <= at < nextUpdate`,
//!   or issued after `at` (it then reports every revocation made up to its
//!   issue, which is what makes validation at a past time possible);
//! - (f)(g) its signature verifies with the key of a certificate that is
//!   itself validated to the same trust anchor and, when it has keyUsage,
//!   asserts `cRLSign` (see [`CrlSigners`]);
//! - it has no critical extension, and no critical entry extension, that is
//!   not understood (§5.2, §5.3).
//!
//! A delta CRL (§5.2.4) is used with its complete CRL when its issuer, scope
//! and authority key identifier are the same, its base CRL number is not
//! above the complete CRL's number, it is fresh, and the same key signed it
//! (§6.3.3 (c)(h)(i)). Entries of an indirect CRL belong to the issuer named
//! by the latest `certificateIssuer` entry extension (§5.3.3).
//!
//! # Verdicts
//! - A certificate listed, in **any** in-scope CRL whose signature verifies,
//!   with a reason other than `certificateHold` and a revocation (or
//!   `invalidityDate`, §5.3.2) at or before `at` is **revoked**: an older
//!   CRL's revocation is not undone by a newer CRL that no longer lists the
//!   certificate (CAs drop expired certificates).
//! - Otherwise the newest usable CRL for each reason decides; `certificateHold`
//!   there is revoked, `removeFromCRL` in a delta CRL releases a hold.
//! - Unless every reason is covered, the status is *unknown*: INDETERMINATE,
//!   never "not revoked". A CRL issued after the certificate's notAfter
//!   proves nothing by *not* listing it (the CA may have dropped it), unless
//!   it carries `ExpiredCertsOnCRL` (X.509 (2019) §9.6.2.8) with a date at or
//!   before the notAfter.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use der::asn1::GeneralizedTime;
use der::{Decode, Encode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, CrlReason,
};
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::reuse::{At, CacheLook, FileId, Outside};
use crate::rfc5280_names::match_key;

/// Where revocation information may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationConfig {
    /// CRLs carried in the signature (CAdES `crls` / revocation values), DER;
    /// the first [`MAX_SIGNATURE_CRLS`] are used.
    pub signature_crls: Vec<Vec<u8>>,
    /// CRLs given explicitly (`--crl`), DER.
    pub crls: Vec<Vec<u8>>,
    /// Cache directory for fetched CRLs (`<sha256(url)>.crl`), also read offline.
    pub cache_dir: Option<PathBuf>,
    /// Whether to fetch CRLs over HTTP from the CDP (`false` = `--offline`).
    pub fetch: bool,
    /// Timeout of one whole HTTP fetch (connect + body).
    pub timeout: Duration,
    /// Largest CRL accepted over HTTP, in bytes.
    pub max_bytes: usize,
    /// For validation at a proven past time (a time-stamp's): only CRLs
    /// issued at or after this time count, so that a revocation made before
    /// it cannot be missing from the CRL that decides. `None`: the usual
    /// rule (a CRL current at the validation time).
    pub issued_after: Option<SystemTime>,
}

impl Default for RevocationConfig {
    /// No CRLs given, no cache, fetching on, 10 s timeout, 16 MiB limit.
    fn default() -> Self {
        RevocationConfig {
            signature_crls: Vec::new(),
            crls: Vec::new(),
            cache_dir: None,
            fetch: true,
            timeout: Duration::from_secs(10),
            max_bytes: 16 * 1024 * 1024,
            issued_after: None,
        }
    }
}

impl RevocationConfig {
    /// Offline: only CRLs given, carried in the signature or cached.
    pub fn offline() -> Self {
        RevocationConfig {
            fetch: false,
            ..Self::default()
        }
    }
}

/// Revocation status of one certificate at the validation time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum RevocationStatus {
    /// Not listed (or listed with a revocationDate after the validation time)
    /// in CRLs that together cover every reason.
    Good,
    /// Listed with `revocationDate <= at` (or `invalidityDate <= at`), or on
    /// hold at `at`.
    Revoked {
        /// The revocation date (RFC 3339); the `invalidityDate` when earlier.
        at: String,
        /// The reasonCode entry extension, when present (e.g. `KeyCompromise`).
        reason: Option<String>,
    },
    /// No usable CRL, or CRLs that cover only some reasons: INDETERMINATE
    /// (TRY_LATER), never a pass.
    Unknown {
        /// Why no CRL could be used.
        why: String,
    },
}

/// Where a CRL came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", content = "location", rename_all = "kebab-case")]
pub enum RevocationSource {
    /// Carried in the signature.
    Signature,
    /// Given explicitly (`--crl`).
    Given,
    /// Read from the cache directory.
    Cache(PathBuf),
    /// Fetched from this URL (and cached when a cache directory is set).
    Fetched(String),
    /// No CRL was used.
    None,
}

/// One CRL that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlUsed {
    /// Where it came from.
    pub source: RevocationSource,
    /// The CRL issuer (RFC 4514).
    pub issuer: String,
    /// cRLNumber, hex, when present.
    pub number: Option<String>,
    /// thisUpdate (RFC 3339).
    pub this_update: String,
    /// nextUpdate (RFC 3339), when present.
    pub next_update: Option<String>,
    /// What the CRL covers: `complete` or `delta`, then `indirect`,
    /// `distribution point`, `CA certificates only`, `user certificates
    /// only`, `reasons: …` as they apply.
    pub scope: String,
    /// The CRL itself (DER), for long-term validation data (CAdES-LT);
    /// shared, as real CRLs are megabytes and a batch's reports all name
    /// the same few.
    #[serde(skip)]
    pub der: std::sync::Arc<[u8]>,
}

/// The revocation check of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevocationInfo {
    /// Subject of the checked certificate (RFC 4514).
    pub subject: String,
    /// The result.
    pub status: RevocationStatus,
    /// Where the deciding CRL came from.
    pub source: RevocationSource,
    /// thisUpdate of the deciding CRL (RFC 3339).
    pub this_update: Option<String>,
    /// nextUpdate of the deciding CRL (RFC 3339).
    pub next_update: Option<String>,
    /// Every CRL used for the decision, with its scope (the deciding one
    /// first).
    pub crls: Vec<CrlUsed>,
}

/// RFC 3339 (`YYYY-MM-DDTHH:MM:SSZ`) of a time; `?` if out of range.
pub fn rfc3339(t: SystemTime) -> String {
    der::DateTime::from_system_time(t)
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// The time of an RFC 3339 `YYYY-MM-DDTHH:MM:SSZ` (as [`rfc3339`] writes it).
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 20 || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u16>().ok();
    der::DateTime::new(
        n(0..4)?,
        u8::try_from(n(5..7)?).ok()?,
        u8::try_from(n(8..10)?).ok()?,
        u8::try_from(n(11..13)?).ok()?,
        u8::try_from(n(14..16)?).ok()?,
        u8::try_from(n(17..19)?).ok()?,
    )
    .ok()
    .map(|d| d.to_system_time())
}

/// The `http://` URLs of a certificate's cRLDistributionPoints.
pub fn cdp_urls(cert: &Certificate) -> Vec<String> {
    let Ok(Some((_, cdp))) = cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
    else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    for dp in cdp.0 {
        if let Some(DistributionPointName::FullName(names)) = dp.distribution_point {
            for n in names {
                if let GeneralName::UniformResourceIdentifier(uri) = n {
                    let s = uri.as_str().to_owned();
                    if s.to_ascii_lowercase().starts_with("http://") {
                        urls.push(s);
                    }
                }
            }
        }
    }
    urls
}

/// The cache file for a CRL URL: `<dir>/<sha256(url) hex>.crl`.
pub fn cache_path(dir: &Path, url: &str) -> PathBuf {
    dir.join(format!(
        "{}.crl",
        hex::encode(Sha256::digest(url.as_bytes()))
    ))
}

/// CRLs taken from a signature file, at most (real files carry one per CA
/// of the path).
pub const MAX_SIGNATURE_CRLS: usize = 16;

/// All reasons of RFC 5280 §4.2.1.13 but `unused`.
const ALL_REASONS: u16 = 0x1FE;
const HOLD: u16 = 1 << 6;

const DELTA_CRL_INDICATOR: &str = "2.5.29.27";
const ISSUING_DISTRIBUTION_POINT: &str = "2.5.29.28";
const CRL_NUMBER: &str = "2.5.29.20";
const AUTHORITY_KEY_IDENTIFIER: &str = "2.5.29.35";
const FRESHEST_CRL: &str = "2.5.29.46";
const AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
const ISSUER_ALT_NAME: &str = "2.5.29.18";
/// ExpiredCertsOnCRL (X.509 (2019) §9.6.2.8, `id-ce-expiredCertsOnCRL`).
const EXPIRED_CERTS_ON_CRL: &str = "2.5.29.60";
const REASON_CODE: &str = "2.5.29.21";
const INVALIDITY_DATE: &str = "2.5.29.24";
const CERTIFICATE_ISSUER: &str = "2.5.29.29";
const HOLD_INSTRUCTION: &str = "2.5.29.23";

/// One CRL as used in a validation: where it came from, and what its bytes
/// say ([`CrlBody`], parsed once per process).
#[derive(Debug)]
pub(crate) struct CrlRecord {
    body: std::sync::Arc<CrlBody>,
    source: RevocationSource,
}

impl std::ops::Deref for CrlRecord {
    type Target = CrlBody;
    fn deref(&self) -> &CrlBody {
        &self.body
    }
}

/// What a CRL's bytes say, whatever it is used for: parsed once per
/// process and shared (a batch meets the same CRLs in every letter, and a
/// large CRL takes far longer to parse than a letter to verify).
#[derive(Debug)]
pub(crate) struct CrlBody {
    /// The DER, exactly as received (its signature covers these bytes).
    pub(crate) der: std::sync::Arc<[u8]>,
    /// SHA-256 of `der`, the key of the signature memo.
    pub(crate) sha256: [u8; 32],
    pub(crate) crl: CertificateList,
    /// RFC 5280 §7.1 form of the issuer name.
    pub(crate) issuer_key: Vec<u8>,
    idp: Option<IssuingDistributionPoint>,
    /// The idp extension's DER, to compare a delta's scope with its base's.
    idp_der: Option<Vec<u8>>,
    number: Option<Vec<u8>>,
    /// baseCRLNumber, when this is a delta CRL.
    delta_base: Option<Vec<u8>>,
    /// authorityKeyIdentifier keyIdentifier.
    pub(crate) aki: Option<Vec<u8>>,
    expired_certs_on_crl: Option<SystemTime>,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    /// Why it cannot be used at all (unknown critical extension, …).
    unusable: Option<String>,
}

fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

/// Big-endian unsigned comparison of two minimal encodings.
fn cmp_uint(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// What [`CrlRecord::parse`] reads from a CRL's extensions.
#[derive(Default)]
struct CrlMeta {
    idp: Option<IssuingDistributionPoint>,
    idp_der: Option<Vec<u8>>,
    number: Option<Vec<u8>>,
    delta_base: Option<Vec<u8>>,
    aki: Option<Vec<u8>>,
    expired_certs_on_crl: Option<SystemTime>,
    unusable: Option<String>,
}

/// Parsed CRLs kept per process, by SHA-256 of their bytes, up to this many
/// bytes of DER in all (then the table starts afresh).
const PARSED_CRL_BUDGET: usize = 96 << 20;

/// Parses a CRL as the revocation checks read it (RFC 5280 §5: issuer,
/// extensions, entries, scope), without checking its signature: what a CRL
/// given on the command line is held to, and the fuzz target's entry point.
pub fn parse_crl(der_bytes: &[u8]) -> Result<(), String> {
    CrlRecord::parse(der_bytes, RevocationSource::Given).map(|_| ())
}

impl CrlRecord {
    pub(crate) fn parse(der_bytes: &[u8], source: RevocationSource) -> Result<Self, String> {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex, OnceLock};
        type Table = (HashMap<[u8; 32], Arc<CrlBody>>, usize);
        static SEEN: OnceLock<Mutex<Table>> = OnceLock::new();
        let seen = SEEN.get_or_init(|| Mutex::new((HashMap::new(), 0)));
        let sha256: [u8; 32] = Sha256::digest(der_bytes).into();
        let hit = seen
            .lock()
            .ok()
            .and_then(|t| t.0.get(&sha256).cloned())
            .filter(|b| *b.der == *der_bytes);
        let body = match hit {
            Some(b) => b,
            None => {
                let b = Arc::new(CrlBody::parse(der_bytes, sha256)?);
                if let Ok(mut t) = seen.lock() {
                    if t.1 + der_bytes.len() > PARSED_CRL_BUDGET {
                        t.0.clear();
                        t.1 = 0;
                    }
                    if der_bytes.len() <= PARSED_CRL_BUDGET {
                        t.1 += der_bytes.len();
                        t.0.insert(sha256, b.clone());
                    }
                }
                b
            }
        };
        Ok(CrlRecord { body, source })
    }
}

impl CrlRecord {
    fn used(&self, scope: String) -> CrlUsed {
        CrlUsed {
            source: self.source.clone(),
            issuer: self.issuer(),
            number: self.number.as_ref().map(hex::encode_upper),
            this_update: rfc3339(self.this_update),
            next_update: self.next_update.map(rfc3339),
            scope,
            der: self.der.clone(),
        }
    }
}

impl CrlBody {
    fn parse(der_bytes: &[u8], sha256: [u8; 32]) -> Result<Self, String> {
        let crl =
            CertificateList::from_der(der_bytes).map_err(|e| format!("CRL does not parse: {e}"))?;
        let tbs = &crl.tbs_cert_list;
        let issuer_key = match_key(&tbs.issuer).map_err(|e| format!("CRL issuer name: {e}"))?;
        let mut meta = CrlMeta::default();
        // RFC 5280 §5.1.1.2: signatureAlgorithm must equal tbsCertList.signature.
        if crl.signature_algorithm != tbs.signature {
            meta.unusable = Some("signatureAlgorithm differs from tbsCertList.signature".into());
        }
        for ext in tbs.crl_extensions.iter().flatten() {
            let oid = ext.extn_id.to_string();
            let v = ext.extn_value.as_bytes();
            let bad = |what: &str, e: der::Error| format!("CRL {what} does not parse: {e}");
            match oid.as_str() {
                ISSUING_DISTRIBUTION_POINT => match IssuingDistributionPoint::from_der(v) {
                    Ok(idp) => {
                        meta.idp = Some(idp);
                        meta.idp_der = Some(v.to_vec());
                    }
                    Err(e) => meta.unusable = Some(bad("issuingDistributionPoint", e)),
                },
                CRL_NUMBER => match der::asn1::Uint::from_der(v) {
                    Ok(n) => meta.number = Some(unsigned(n.as_bytes())),
                    Err(e) => meta.unusable = Some(bad("cRLNumber", e)),
                },
                DELTA_CRL_INDICATOR => match der::asn1::Uint::from_der(v) {
                    Ok(n) => meta.delta_base = Some(unsigned(n.as_bytes())),
                    Err(e) => meta.unusable = Some(bad("deltaCRLIndicator", e)),
                },
                AUTHORITY_KEY_IDENTIFIER => match AuthorityKeyIdentifier::from_der(v) {
                    Ok(a) => meta.aki = a.key_identifier.map(|k| k.as_bytes().to_vec()),
                    Err(e) => meta.unusable = Some(bad("authorityKeyIdentifier", e)),
                },
                EXPIRED_CERTS_ON_CRL => match GeneralizedTime::from_der(v) {
                    Ok(t) => meta.expired_certs_on_crl = Some(t.to_system_time()),
                    Err(e) => meta.unusable = Some(bad("expiredCertsOnCRL", e)),
                },
                FRESHEST_CRL | AUTHORITY_INFO_ACCESS | ISSUER_ALT_NAME => {}
                _ if ext.critical => {
                    meta.unusable = Some(format!("CRL has an unknown critical extension {oid}"));
                }
                _ => {}
            }
        }
        if meta.delta_base.is_some() && meta.number.is_none() {
            meta.unusable = Some("delta CRL without cRLNumber (RFC 5280 §5.2.4)".into());
        }
        if let Some(idp) = &meta.idp {
            let only = [
                idp.only_contains_user_certs,
                idp.only_contains_ca_certs,
                idp.only_contains_attribute_certs,
            ];
            if only.iter().filter(|b| **b).count() > 1 {
                meta.unusable = Some(
                    "issuingDistributionPoint asserts more than one onlyContains… (RFC 5280 §5.2.5)"
                        .into(),
                );
            }
        }
        // RFC 5280 §5.3: a critical entry extension that is not understood
        // makes the whole CRL unusable.
        for entry in tbs.revoked_certificates.iter().flatten() {
            for ext in entry.crl_entry_extensions.iter().flatten() {
                let oid = ext.extn_id.to_string();
                let known = [
                    REASON_CODE,
                    INVALIDITY_DATE,
                    CERTIFICATE_ISSUER,
                    HOLD_INSTRUCTION,
                ];
                if ext.critical && !known.contains(&oid.as_str()) {
                    meta.unusable =
                        Some(format!("CRL entry has an unknown critical extension {oid}"));
                }
            }
        }
        Ok(CrlBody {
            der: der_bytes.into(),
            sha256,
            issuer_key,
            idp: meta.idp,
            idp_der: meta.idp_der,
            number: meta.number,
            delta_base: meta.delta_base,
            aki: meta.aki,
            expired_certs_on_crl: meta.expired_certs_on_crl,
            this_update: tbs.this_update.to_system_time(),
            next_update: tbs.next_update.map(|t| t.to_system_time()),
            unusable: meta.unusable,
            crl,
        })
    }

    fn is_delta(&self) -> bool {
        self.delta_base.is_some()
    }

    fn issuer(&self) -> String {
        crate::holder::display_name(&self.crl.tbs_cert_list.issuer)
    }

    /// Fresh for `at`: `thisUpdate <= at < nextUpdate`, or issued after `at`.
    fn fresh_at(&self, at: &At) -> bool {
        at.before(self.this_update)
            || self
                .next_update
                .is_some_and(|n| !at.before(self.this_update) && at.before(n))
    }

    fn stale_why(&self, at: &At) -> String {
        format!(
            "CRL of {} is stale for {}: thisUpdate {}, nextUpdate {}",
            self.issuer(),
            at.text(),
            rfc3339(self.this_update),
            self.next_update
                .map_or_else(|| "absent".to_owned(), rfc3339)
        )
    }

    /// Newest first: thisUpdate, then cRLNumber.
    fn newer_than(&self, other: &CrlRecord) -> std::cmp::Ordering {
        self.this_update
            .cmp(&other.this_update)
            .then_with(|| match (&self.number, &other.number) {
                (Some(a), Some(b)) => cmp_uint(a, b),
                _ => std::cmp::Ordering::Equal,
            })
    }

    /// The entry for the certificate with issuer `issuer_key` and `serial`
    /// (RFC 5280 §5.3.3: in an indirect CRL, entries after a
    /// `certificateIssuer` belong to that issuer).
    fn entry_for(&self, issuer_key: &[u8], serial: &[u8]) -> Option<Entry> {
        let mut current: Vec<Vec<u8>> = vec![self.issuer_key.clone()];
        let indirect = self.idp.as_ref().is_some_and(|i| i.indirect_crl);
        for entry in self.crl.tbs_cert_list.revoked_certificates.iter().flatten() {
            let mut reason = None;
            let mut invalidity = None;
            for ext in entry.crl_entry_extensions.iter().flatten() {
                let v = ext.extn_value.as_bytes();
                match ext.extn_id.to_string().as_str() {
                    REASON_CODE => reason = CrlReason::from_der(v).ok(),
                    INVALIDITY_DATE => {
                        invalidity = GeneralizedTime::from_der(v)
                            .ok()
                            .map(|t| t.to_system_time())
                    }
                    CERTIFICATE_ISSUER if indirect => {
                        if let Ok(names) = Vec::<GeneralName>::from_der(v) {
                            current = names
                                .iter()
                                .filter_map(|n| match n {
                                    GeneralName::DirectoryName(d) => match_key(d).ok(),
                                    _ => None,
                                })
                                .collect();
                        } else {
                            current = Vec::new();
                        }
                    }
                    _ => {}
                }
            }
            if entry.serial_number.as_bytes() == serial && current.iter().any(|k| k == issuer_key) {
                let date = entry.revocation_date.to_system_time();
                return Some(Entry {
                    date: invalidity.map_or(date, |i| i.min(date)),
                    reason,
                });
            }
        }
        None
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The earlier of revocationDate and invalidityDate.
    date: SystemTime,
    reason: Option<CrlReason>,
}

impl Entry {
    fn reason_bit(&self) -> u16 {
        match self.reason {
            Some(r) => 1u16 << (r as u32).min(15),
            None => 0,
        }
    }

    fn reason_name(&self) -> Option<String> {
        self.reason.map(|r| format!("{r:?}"))
    }
}

/// A CRL cache file with its identity, read whole; `None` when there is
/// none. The identity is taken before and after the read, so that bytes
/// from a file being replaced are never described as the file.
fn read_cached(path: &Path) -> std::io::Result<Option<(FileId, Vec<u8>)>> {
    let before = match FileId::of(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let bytes = std::fs::read(path)?;
    if FileId::of(path)? != before {
        return Err(std::io::Error::other("the file changed while it was read"));
    }
    Ok(Some((before, bytes)))
}

/// Why no signer could be accepted for a CRL.
#[derive(Debug, Clone)]
pub(crate) enum SignerFailure {
    /// No certificate qualifies (signature, cRLSign, path), with the reasons.
    Rejected(String),
    /// The signature budget ran out before an answer: nothing may be
    /// concluded from this CRL, in either direction.
    Budget,
}

impl SignerFailure {
    fn text(&self) -> String {
        match self {
            SignerFailure::Rejected(s) => s.clone(),
            SignerFailure::Budget => "too many signatures to check (gave up)".into(),
        }
    }
}

/// Finds the key that signed a CRL (RFC 5280 §6.3.3 (f)(g)).
pub(crate) trait CrlSigners {
    /// The id of a certificate whose key verifies `crl`'s signature, whose
    /// keyUsage (when present) asserts cRLSign, and whose path is valid to
    /// the trust anchor of the path being validated; or why none is.
    /// `depth` is the nesting of the validation asking.
    fn signer_of(
        &mut self,
        crl: &CrlRecord,
        direct_issuer: usize,
        depth: usize,
    ) -> Result<usize, SignerFailure>;
    /// Whether the key of `signer` verifies `crl` (a delta CRL must be signed
    /// by the key that signed its complete CRL, §6.3.3 (h)); `None` when the
    /// check could not be made (the signature budget is spent), which must
    /// leave the status unknown, never skip the CRL.
    fn signed_by(&mut self, crl: &CrlRecord, signer: usize) -> Option<bool>;
}

/// The candidate CRLs of one validation.
///
/// Interior mutability: checking a CRL signer's own revocation (while a
/// status is being computed) may fetch more CRLs; a status works on a
/// snapshot of the records.
pub(crate) struct CrlPool {
    /// See [`RevocationConfig::issued_after`].
    issued_after: Option<SystemTime>,
    records: RefCell<Vec<Rc<CrlRecord>>>,
    /// Why some CRL could not be read or fetched, for the report.
    notes: RefCell<Vec<String>>,
    fetched: RefCell<HashSet<String>>,
    /// What was read from the cache or the network (for [`crate::reuse`]).
    outside: RefCell<Outside>,
}

impl CrlPool {
    /// The CRLs carried in the signature and given explicitly.
    pub(crate) fn new(cfg: &RevocationConfig) -> Self {
        let pool = CrlPool {
            issued_after: cfg.issued_after,
            records: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
            fetched: RefCell::new(HashSet::new()),
            outside: RefCell::new(Outside::default()),
        };
        // A signature file can carry any number of CRLs: take the first few.
        let given = cfg
            .signature_crls
            .iter()
            .take(MAX_SIGNATURE_CRLS)
            .map(|c| (c, RevocationSource::Signature))
            .chain(cfg.crls.iter().map(|c| (c, RevocationSource::Given)));
        for (der_bytes, source) in given {
            pool.add(der_bytes, source);
        }
        pool
    }

    /// What the validation read outside its inputs.
    pub(crate) fn into_outside(self) -> Outside {
        self.outside.into_inner()
    }

    /// How many CRLs are known.
    pub(crate) fn len(&self) -> usize {
        self.records.borrow().len()
    }

    fn add(&self, der_bytes: &[u8], source: RevocationSource) {
        if self.records.borrow().iter().any(|r| *r.der == *der_bytes) {
            return;
        }
        match CrlRecord::parse(der_bytes, source.clone()) {
            Ok(r) => self.records.borrow_mut().push(Rc::new(r)),
            Err(e) => self
                .notes
                .borrow_mut()
                .push(format!("{}: {e}", source_label(&source))),
        }
    }

    fn note(&self, s: String) {
        self.notes.borrow_mut().push(s);
    }

    /// Adds the cached copies of `cert`'s distribution points and, when
    /// fetching is on and a copy is missing or past its nextUpdate, fetches.
    pub(crate) fn load_for(&self, cert: &Certificate, cfg: &RevocationConfig) {
        let now = SystemTime::now();
        for url in cdp_urls(cert) {
            if !self.fetched.borrow_mut().insert(url.clone()) {
                continue;
            }
            let mut current = false;
            if let Some(dir) = &cfg.cache_dir {
                let path = cache_path(dir, &url);
                let mut look = CacheLook {
                    path: path.clone(),
                    file: None,
                    next_update: None,
                    was_current: false,
                };
                match read_cached(&path) {
                    Ok(Some((file, bytes))) => {
                        look.file = Some(file);
                        match CrlRecord::parse(&bytes, RevocationSource::Cache(path.clone())) {
                            Ok(r) => {
                                current = r.next_update.is_some_and(|n| now < n);
                                look.next_update = r.next_update;
                                look.was_current = current;
                                if !self.records.borrow().iter().any(|x| x.der == r.der) {
                                    self.records.borrow_mut().push(Rc::new(r));
                                }
                            }
                            Err(e) => self.note(format!("cached CRL {}: {e}", path.display())),
                        }
                    }
                    Ok(None) => {}
                    // Unreadable now, perhaps not later.
                    Err(_) => self.outside.borrow_mut().volatile = true,
                }
                let mut outside = self.outside.borrow_mut();
                outside.looks.push(look);
                outside.volatile |= !crate::reuse::FILE_IDENTITY_RELIABLE;
            }
            if current {
                continue;
            }
            if !cfg.fetch {
                self.note(format!("offline: {url} was not fetched"));
                continue;
            }
            // What the network says now may differ next time.
            self.outside.borrow_mut().volatile = true;
            match fetch(&url, cfg) {
                Ok(bytes) => match CrlRecord::parse(&bytes, RevocationSource::Fetched(url.clone()))
                {
                    Ok(r) => {
                        if let Some(dir) = &cfg.cache_dir {
                            let path = cache_path(dir, &url);
                            if let Err(e) = store_in_cache(&path, &bytes) {
                                self.note(format!("could not cache {}: {e}", path.display()));
                            }
                        }
                        // The fetched copy replaces an identical cached one, so
                        // that the report names the fetch.
                        let mut records = self.records.borrow_mut();
                        records.retain(|x| x.der != r.der);
                        records.push(Rc::new(r));
                    }
                    Err(e) => self.note(format!("CRL from {url}: {e}")),
                },
                Err(e) => self.note(format!("fetching {url}: {e}")),
            }
        }
    }

    /// RFC 5280 §6.3.3 for `cert`, issued by the path's certificate
    /// `direct_issuer` (an id for [`CrlSigners`]) whose name is the cert's
    /// issuer name.
    pub(crate) fn status(
        &self,
        cert: &Certificate,
        direct_issuer: usize,
        at: &At,
        signers: &mut dyn CrlSigners,
        depth: usize,
    ) -> RevocationInfo {
        let records: Vec<Rc<CrlRecord>> = self.records.borrow().clone();
        let tbs = cert.tbs_certificate();
        let subject = crate::holder::display_name(tbs.subject());
        let unknown = |why: String| RevocationInfo {
            subject: subject.clone(),
            status: RevocationStatus::Unknown { why },
            source: RevocationSource::None,
            this_update: None,
            next_update: None,
            crls: Vec::new(),
        };
        let Ok(issuer_key) = match_key(tbs.issuer()) else {
            return unknown("the certificate's issuer name cannot be compared".into());
        };
        let serial = tbs.serial_number().as_bytes();
        let is_ca = matches!(
            tbs.get_extension::<BasicConstraints>(),
            Ok(Some((_, bc))) if bc.ca
        );
        let not_after = tbs.validity().not_after.to_system_time();
        let dps = match tbs.get_extension::<CrlDistributionPoints>() {
            Ok(Some((_, cdp))) => cdp.0,
            Ok(None) => Vec::new(),
            Err(e) => return unknown(format!("cRLDistributionPoints does not parse: {e}")),
        };
        let mut why: Vec<String> = Vec::new();
        // (b) scope: which complete CRLs belong to which distribution point.
        let mut points: Vec<Point> = dps
            .iter()
            .map(|dp| Point::from_dp(dp, tbs.issuer()))
            .collect();
        points.push(Point::implicit(tbs.issuer()));

        // Pass 1: a revocation in any in-scope CRL with a verified signature wins.
        let mut signer_cache: Vec<(usize, Result<usize, SignerFailure>)> = Vec::new();
        // Set when a CRL could not be checked for lack of budget: then no
        // "good" may come out of this status.
        let mut undecided = false;
        let mut signer_for = |i: usize, rec: &CrlRecord, signers: &mut dyn CrlSigners| {
            if let Some((_, r)) = signer_cache.iter().find(|(k, _)| *k == i) {
                return r.clone();
            }
            let r = signers.signer_of(rec, direct_issuer, depth);
            signer_cache.push((i, r.clone()));
            r
        };
        let mut candidates: Vec<(usize, u16)> = Vec::new(); // (record, interim reasons)
        for point in &points {
            for (i, rec) in records.iter().enumerate() {
                if rec.is_delta() {
                    continue;
                }
                match point.scope(rec, &issuer_key, is_ca) {
                    Scope::Out => {}
                    Scope::Refused(r) => why.push(r),
                    Scope::In(interim) => {
                        if let Some(u) = &rec.unusable {
                            why.push(format!("{}: {u}", source_label(&rec.source)));
                            continue;
                        }
                        candidates.push((i, interim));
                    }
                }
            }
        }
        for &(i, _) in &candidates {
            let rec = &records[i];
            let Some(e) = rec.entry_for(&issuer_key, serial) else {
                continue;
            };
            if e.reason_bit() == HOLD
                || matches!(e.reason, Some(CrlReason::RemoveFromCRL))
                || at.before(e.date)
            {
                continue;
            }
            match signer_for(i, rec, signers) {
                Ok(_) => return revoked(subject, e, rec, None),
                Err(SignerFailure::Budget) => undecided = true,
                Err(SignerFailure::Rejected(_)) => {}
            }
        }

        // Pass 2: RFC 5280 §6.3.3 with the reasons mask, newest CRL first.
        let mut mask: u16 = 0;
        let mut used: Vec<CrlUsed> = Vec::new();
        let mut decider: Option<usize> = None;
        for point in &points {
            if mask == ALL_REASONS {
                break;
            }
            let mut mine: Vec<(usize, u16)> = Vec::new();
            for (i, rec) in records.iter().enumerate() {
                if rec.is_delta() || rec.unusable.is_some() {
                    continue;
                }
                if let Scope::In(interim) = point.scope(rec, &issuer_key, is_ca) {
                    mine.push((i, interim));
                }
            }
            mine.sort_by(|a, b| records[b.0].newer_than(&records[a.0]));
            for (i, interim) in mine {
                let rec = &records[i];
                // (e)
                if interim & !mask == 0 {
                    continue;
                }
                if !rec.fresh_at(at) {
                    why.push(rec.stale_why(at));
                    continue;
                }
                if let Some(min) = self.issued_after.filter(|m| rec.this_update < *m) {
                    why.push(format!(
                        "the CRL of {} was issued at {}, before the time to be proven ({}): a revocation just before that time could be missing from it",
                        rec.issuer(),
                        rfc3339(rec.this_update),
                        rfc3339(min)
                    ));
                    continue;
                }
                let signer = match signer_for(i, rec, signers) {
                    Ok(s) => s,
                    Err(e) => {
                        undecided |= matches!(e, SignerFailure::Budget);
                        why.push(format!(
                            "CRL of {} ({}): {}",
                            rec.issuer(),
                            source_label(&rec.source),
                            e.text()
                        ));
                        continue;
                    }
                };
                // (c)(h)(i): the newest usable delta CRL for this complete CRL.
                let delta = match delta_for(&records, rec, at, signer, signers, &mut why) {
                    Ok(d) => d,
                    // A delta that might revoke could not be checked: this
                    // CRL cannot decide.
                    Err(()) => {
                        undecided = true;
                        continue;
                    }
                };
                let mut status: Option<Entry> = None;
                let mut released = false;
                if let Some(d) = delta {
                    match d.entry_for(&issuer_key, serial) {
                        Some(e) if matches!(e.reason, Some(CrlReason::RemoveFromCRL)) => {
                            released = true
                        }
                        Some(e) => status = Some(e),
                        None => {}
                    }
                }
                if status.is_none() && !released {
                    status = rec.entry_for(&issuer_key, serial);
                }
                // (k)
                if status.is_some_and(|e| matches!(e.reason, Some(CrlReason::RemoveFromCRL))) {
                    status = None;
                }
                // A CRL issued after the certificate expired may have dropped it.
                let after_expiry = rec.this_update > not_after
                    && rec.expired_certs_on_crl.is_none_or(|t| t > not_after);
                match status {
                    Some(e) if !at.before(e.date) => return revoked(subject, e, rec, delta),
                    _ if after_expiry => {
                        why.push(format!(
                            "the CRL of {} was issued at {}, after the certificate expired ({}), and does not say it keeps expired certificates",
                            rec.issuer(),
                            rfc3339(rec.this_update),
                            rfc3339(not_after)
                        ));
                        continue;
                    }
                    _ => {}
                }
                // (l)
                mask |= interim;
                decider.get_or_insert(i);
                used.push(rec.used(scope_text(rec, false)));
                if let Some(d) = delta {
                    used.push(d.used(scope_text(d, true)));
                }
                if mask == ALL_REASONS {
                    break;
                }
            }
        }
        match decider {
            Some(i) if mask == ALL_REASONS && !undecided => {
                let rec = &records[i];
                RevocationInfo {
                    subject,
                    status: RevocationStatus::Good,
                    source: rec.source.clone(),
                    this_update: Some(rfc3339(rec.this_update)),
                    next_update: rec.next_update.map(rfc3339),
                    crls: used,
                }
            }
            _ => {
                if mask != 0 {
                    why.insert(
                        0,
                        format!(
                            "the usable CRLs cover only some revocation reasons ({}), not all",
                            reason_names(mask)
                        ),
                    );
                }
                why.extend(self.notes.borrow().iter().cloned());
                if why.is_empty() {
                    why.push("no CRL available".into());
                }
                why.dedup();
                // URLs and names in it come from certificates and CRLs.
                let mut info = unknown(inkan_l10n::escape_display(&why.join("; ")));
                info.crls = used;
                info
            }
        }
    }
}

/// The report of a revocation found in `rec` (and its `delta`).
fn revoked(
    subject: String,
    e: Entry,
    rec: &CrlRecord,
    delta: Option<&CrlRecord>,
) -> RevocationInfo {
    let mut crls = vec![rec.used(scope_text(rec, false))];
    if let Some(d) = delta {
        crls.push(d.used(scope_text(d, true)));
    }
    RevocationInfo {
        subject,
        status: RevocationStatus::Revoked {
            at: rfc3339(e.date),
            reason: e.reason_name(),
        },
        source: rec.source.clone(),
        this_update: Some(rfc3339(rec.this_update)),
        next_update: rec.next_update.map(rfc3339),
        crls,
    }
}

/// The newest usable delta CRL for the complete CRL `base` (§6.3.3 (c)(h)).
///
/// `Err` when a candidate delta could not be checked (the signature budget is
/// spent): the base CRL must not decide alone then.
fn delta_for<'a>(
    records: &'a [Rc<CrlRecord>],
    base: &CrlRecord,
    at: &At,
    signer: usize,
    signers: &mut dyn CrlSigners,
    why: &mut Vec<String>,
) -> Result<Option<&'a CrlRecord>, ()> {
    let Some(number) = base.number.as_ref() else {
        return Ok(None);
    };
    let mut deltas: Vec<&CrlRecord> = records
        .iter()
        .map(|r| r.as_ref())
        .filter(|d| {
            d.unusable.is_none()
                && d.delta_base
                    .as_ref()
                    .is_some_and(|b| cmp_uint(b, number).is_le())
                && d.issuer_key == base.issuer_key
                && d.idp_der == base.idp_der
                && d.aki == base.aki
                && d.number
                    .as_ref()
                    .is_some_and(|n| cmp_uint(n, number).is_gt())
        })
        .collect();
    deltas.sort_by(|a, b| b.newer_than(a));
    for d in deltas {
        if !d.fresh_at(at) {
            why.push(format!("delta {}", d.stale_why(at)));
            continue;
        }
        match signers.signed_by(d, signer) {
            Some(true) => return Ok(Some(d)),
            Some(false) => {}
            None => {
                why.push(format!(
                    "the delta CRL of {} could not be checked (too many signatures to check)",
                    d.issuer()
                ));
                return Err(());
            }
        }
        why.push(format!(
            "the delta CRL of {} is not signed by the key of its base CRL",
            d.issuer()
        ));
    }
    Ok(None)
}

fn scope_text(rec: &CrlRecord, delta: bool) -> String {
    let mut parts = vec![if delta { "delta" } else { "complete" }.to_owned()];
    if let Some(idp) = &rec.idp {
        if idp.indirect_crl {
            parts.push("indirect".into());
        }
        if idp.distribution_point.is_some() {
            parts.push("distribution point".into());
        }
        if idp.only_contains_ca_certs {
            parts.push("CA certificates only".into());
        }
        if idp.only_contains_user_certs {
            parts.push("user certificates only".into());
        }
        if let Some(r) = idp.only_some_reasons {
            parts.push(format!("reasons: {}", reason_names(r.bits())));
        }
    }
    parts.join(", ")
}

fn source_label(s: &RevocationSource) -> String {
    match s {
        RevocationSource::Signature => "CRL in the signature".into(),
        RevocationSource::Given => "given CRL".into(),
        RevocationSource::Cache(p) => format!("cached CRL {}", p.display()),
        RevocationSource::Fetched(u) => format!("CRL from {u}"),
        RevocationSource::None => "CRL".into(),
    }
}

fn reason_names(mask: u16) -> String {
    const NAMES: [&str; 9] = [
        "unused",
        "keyCompromise",
        "cACompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
        "privilegeWithdrawn",
        "aACompromise",
    ];
    let v: Vec<&str> = (1..9)
        .filter(|b| mask & (1 << b) != 0)
        .map(|b| NAMES[b])
        .collect();
    v.join(", ")
}

/// A distribution point of RFC 5280 §6.3.3, as names ready for comparison.
struct Point {
    /// The distribution point's full names; `None` when absent.
    names: Option<Vec<Vec<u8>>>,
    reasons: Option<u16>,
    /// cRLIssuer directory names (§7.1 forms); `None` when absent.
    crl_issuer: Option<Vec<Vec<u8>>>,
}

enum Scope {
    /// Not about this certificate's distribution point (another issuer, another scope).
    Out,
    /// About it, but refused, with the reason (for the report).
    Refused(String),
    /// In scope, covering these reasons.
    In(u16),
}

/// The comparison form of a GeneralName: directory names by RFC 5280 §7.1,
/// the others by their DER.
fn general_name_key(n: &GeneralName) -> Option<Vec<u8>> {
    match n {
        GeneralName::DirectoryName(d) => match_key(d).ok().map(|mut k| {
            k.insert(0, b'D');
            k
        }),
        other => other.to_der().ok().map(|mut k| {
            k.insert(0, b'G');
            k
        }),
    }
}

fn dir_key(name: &Name) -> Option<Vec<u8>> {
    general_name_key(&GeneralName::DirectoryName(name.clone()))
}

/// The names of a DistributionPointName; a name relative to the CRL issuer
/// is appended to `crl_issuer` (§4.2.1.13).
fn dp_names(dpn: &DistributionPointName, crl_issuer: &Name) -> Vec<Vec<u8>> {
    match dpn {
        DistributionPointName::FullName(names) => {
            names.iter().filter_map(general_name_key).collect()
        }
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => append_rdn(crl_issuer, rdn)
            .and_then(|n| dir_key(&n))
            .into_iter()
            .collect(),
    }
}

/// `name` with `rdn` appended, through DER (x509-cert builds names only
/// from strings).
fn append_rdn(name: &Name, rdn: &x509_cert::name::RelativeDistinguishedName) -> Option<Name> {
    let mut body = Vec::new();
    for r in name.iter_rdn() {
        body.extend(r.to_der().ok()?);
    }
    body.extend(rdn.to_der().ok()?);
    let mut out = vec![0x30];
    let len = body.len();
    if len < 0x80 {
        out.push(u8::try_from(len).ok()?);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | u8::try_from(bytes.len()).ok()?);
        out.extend(bytes);
    }
    out.extend(body);
    Name::from_der(&out).ok()
}

impl Point {
    fn from_dp(dp: &DistributionPoint, cert_issuer: &Name) -> Self {
        let crl_issuer_names: Option<Vec<Name>> = dp.crl_issuer.as_ref().map(|ns| {
            ns.iter()
                .filter_map(|n| match n {
                    GeneralName::DirectoryName(d) => Some(d.clone()),
                    _ => None,
                })
                .collect()
        });
        let relative_base = crl_issuer_names
            .as_ref()
            .and_then(|v| v.first().cloned())
            .unwrap_or_else(|| cert_issuer.clone());
        Point {
            names: dp
                .distribution_point
                .as_ref()
                .map(|d| dp_names(d, &relative_base)),
            reasons: dp.reasons.map(|r| r.bits() & ALL_REASONS),
            crl_issuer: crl_issuer_names
                .map(|v| v.iter().filter_map(|n| match_key(n).ok()).collect()),
        }
    }

    /// "Assume a DP with both the reasons and the cRLIssuer fields omitted and
    /// a distribution point name of the certificate issuer" (§6.3.3).
    fn implicit(cert_issuer: &Name) -> Self {
        Point {
            names: Some(dir_key(cert_issuer).into_iter().collect()),
            reasons: None,
            crl_issuer: None,
        }
    }

    /// RFC 5280 §6.3.3 (b) and (d).
    fn scope(&self, rec: &CrlRecord, cert_issuer_key: &[u8], is_ca: bool) -> Scope {
        let idp = rec.idp.as_ref();
        // (b)(1)
        match &self.crl_issuer {
            Some(issuers) => {
                if !issuers.contains(&rec.issuer_key) {
                    return Scope::Out;
                }
                if !idp.is_some_and(|i| i.indirect_crl) {
                    return Scope::Refused(format!(
                        "the CRL of {} is named as cRLIssuer but is not an indirect CRL",
                        rec.issuer()
                    ));
                }
            }
            None => {
                if rec.issuer_key != cert_issuer_key {
                    return Scope::Out;
                }
            }
        }
        // (b)(2)
        if let Some(idp) = idp {
            if let Some(idp_dp) = &idp.distribution_point {
                let idp_names = dp_names(idp_dp, &rec.crl.tbs_cert_list.issuer);
                let mine: Vec<Vec<u8>> = match (&self.names, &self.crl_issuer) {
                    (Some(n), _) => n.clone(),
                    (None, Some(_)) => dp_issuer_general_keys(self),
                    (None, None) => Vec::new(),
                };
                if !idp_names.iter().any(|n| mine.contains(n)) {
                    return Scope::Out;
                }
            }
            if idp.only_contains_user_certs && is_ca {
                return Scope::Refused(format!(
                    "the CRL of {} covers only end-entity certificates (onlyContainsUserCerts)",
                    rec.issuer()
                ));
            }
            if idp.only_contains_ca_certs && !is_ca {
                return Scope::Refused(format!(
                    "the CRL of {} covers only CA certificates (onlyContainsCACerts)",
                    rec.issuer()
                ));
            }
            if idp.only_contains_attribute_certs {
                return Scope::Refused(format!(
                    "the CRL of {} covers only attribute certificates (onlyContainsAttributeCerts)",
                    rec.issuer()
                ));
            }
        }
        // (d)
        let idp_reasons = idp
            .and_then(|i| i.only_some_reasons)
            .map(|r| r.bits() & ALL_REASONS);
        let interim = match (idp_reasons, self.reasons) {
            (Some(a), Some(b)) => a & b,
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => ALL_REASONS,
        };
        Scope::In(interim)
    }
}

/// The cRLIssuer names of a point in the form of [`general_name_key`].
fn dp_issuer_general_keys(p: &Point) -> Vec<Vec<u8>> {
    p.crl_issuer
        .iter()
        .flatten()
        .map(|k| {
            let mut v = k.clone();
            v.insert(0, b'D');
            v
        })
        .collect()
}

fn fetch(url: &str, cfg: &RevocationConfig) -> Result<Vec<u8>, String> {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(true)
        .max_redirects(3)
        .build();
    let agent: ureq::Agent = config.into();
    let mut resp = agent.get(url).call().map_err(|e| e.to_string())?;
    resp.body_mut()
        .with_config()
        .limit(u64::try_from(cfg.max_bytes).unwrap_or(u64::MAX))
        .read_to_vec()
        .map_err(|e| e.to_string())
}

fn store_in_cache(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
