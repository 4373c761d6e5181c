//! Revocation by CRL (RFC 5280 §5 and §6.3), the only revocation mechanism HPKI
//! offers (no OCSP).
//!
//! For each certificate of the path except the anchor, a CRL issued by the
//! certificate's issuer is looked for, in this order:
//! 1. CRLs carried in the signature ([`RevocationConfig::signature_crls`]),
//! 2. CRLs given explicitly ([`RevocationConfig::crls`], `--crl`),
//! 3. the cache directory: `<sha256(url) hex>.crl` for each `http://` URL of
//!    the certificate's cRLDistributionPoints (RFC 5280 §4.2.1.13),
//! 4. an HTTP fetch of those URLs (timeout, size limit), stored in the cache.
//!
//! A CRL is used only if its issuer name is the issuer's subject, the issuer's
//! key verifies its signature (over the original `tbsCertList` bytes), it has no
//! unsupported critical extension (delta CRLs, indirect CRLs), and it is
//! *fresh for the validation time* `at`: `thisUpdate <= at < nextUpdate`, or
//! issued after `at` (`thisUpdate > at`: it reports every revocation made up to
//! its issue, so it covers `at` — this is what makes validation at a past time
//! possible). A stale CRL is never used: the status is then *unknown*, which is
//! INDETERMINATE, never a pass.
//!
//! A serial number listed with `revocationDate <= at` is revoked; listed with a
//! later date it was still good at `at`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use der::Decode;
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{CrlDistributionPoints, CrlReason};
use x509_cert::Certificate;

use crate::rfc5280_sig;

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
    /// Not listed (or listed with a revocationDate after the validation time).
    Good,
    /// Listed with `revocationDate <= at`.
    Revoked {
        /// revocationDate (RFC 3339).
        at: String,
        /// The reasonCode entry extension, when present (e.g. `KeyCompromise`).
        reason: Option<String>,
    },
    /// No usable CRL: INDETERMINATE (TRY_LATER), never a pass.
    Unknown {
        /// Why no CRL could be used.
        why: String,
    },
}

/// Where the CRL that decided came from.
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

/// The revocation check of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevocationInfo {
    /// Subject of the checked certificate (RFC 4514).
    pub subject: String,
    /// The result.
    pub status: RevocationStatus,
    /// Where the CRL came from.
    pub source: RevocationSource,
    /// thisUpdate of the CRL used (RFC 3339).
    pub this_update: Option<String>,
    /// nextUpdate of the CRL used (RFC 3339).
    pub next_update: Option<String>,
}

/// RFC 3339 (`YYYY-MM-DDTHH:MM:SSZ`) of a time; `?` if out of range.
pub fn rfc3339(t: SystemTime) -> String {
    der::DateTime::from_system_time(t)
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "?".to_owned())
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

/// A CRL that passed the checks for one issuer.
struct GoodCrl {
    crl: CertificateList,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
}

enum CrlUse {
    /// Issued by someone else: not relevant, say nothing.
    OtherIssuer,
    /// From this issuer but unusable, with the reason.
    Unusable(String),
    /// Usable.
    Ok(Box<GoodCrl>),
}

const DELTA_CRL_INDICATOR: &str = "2.5.29.27";
const ISSUING_DISTRIBUTION_POINT: &str = "2.5.29.28";
const CRL_NUMBER: &str = "2.5.29.20";
const AUTHORITY_KEY_IDENTIFIER: &str = "2.5.29.35";
const REASON_CODE: &str = "2.5.29.21";
const INVALIDITY_DATE: &str = "2.5.29.24";

/// RFC 5280 §6.3.3 (a)–(f), simplified to complete, direct CRLs.
fn check_crl(der_bytes: &[u8], issuer: &Certificate, at: SystemTime) -> CrlUse {
    let crl = match CertificateList::from_der(der_bytes) {
        Ok(c) => c,
        Err(e) => return CrlUse::Unusable(format!("CRL does not parse: {e}")),
    };
    let tbs = &crl.tbs_cert_list;
    // RFC 5280 §7.1 name matching, as for name chaining.
    if !crate::rfc5280_names::names_match(&tbs.issuer, issuer.tbs_certificate().subject()) {
        return CrlUse::OtherIssuer;
    }
    // RFC 5280 §5.1.1.2: signatureAlgorithm must equal tbsCertList.signature.
    if crl.signature_algorithm != tbs.signature {
        return CrlUse::Unusable("signatureAlgorithm differs from tbsCertList.signature".into());
    }
    let alg = crl.signature_algorithm.oid.to_string();
    if alg == rfc5280_sig::SHA1_WITH_RSA {
        return CrlUse::Unusable("CRL signed with SHA-1 (rejected)".into());
    }
    if let Err(e) = rfc5280_sig::verify_signed_by(der_bytes, &alg, &crl.signature, issuer) {
        return CrlUse::Unusable(format!("CRL signature: {e}"));
    }
    for ext in tbs.crl_extensions.iter().flatten() {
        let oid = ext.extn_id.to_string();
        if oid == DELTA_CRL_INDICATOR {
            return CrlUse::Unusable("delta CRLs are not supported".into());
        }
        let known = [
            ISSUING_DISTRIBUTION_POINT,
            CRL_NUMBER,
            AUTHORITY_KEY_IDENTIFIER,
        ];
        if ext.critical && !known.contains(&oid.as_str()) {
            return CrlUse::Unusable(format!("CRL has an unknown critical extension {oid}"));
        }
    }
    let this_update = tbs.this_update.to_system_time();
    let next_update = tbs.next_update.map(|t| t.to_system_time());
    let fresh = this_update > at || next_update.is_some_and(|n| this_update <= at && at < n);
    if !fresh {
        return CrlUse::Unusable(format!(
            "CRL is stale for {}: thisUpdate {}, nextUpdate {}",
            rfc3339(at),
            rfc3339(this_update),
            next_update.map_or_else(|| "absent".to_owned(), rfc3339)
        ));
    }
    CrlUse::Ok(Box::new(GoodCrl {
        this_update,
        next_update,
        crl,
    }))
}

/// RFC 5280 §6.3.3 (i)–(j): the status of `cert` in a usable CRL.
fn status_in(good: &GoodCrl, cert: &Certificate, at: SystemTime) -> RevocationStatus {
    let serial = cert.tbs_certificate().serial_number().as_bytes();
    for entry in good.crl.tbs_cert_list.revoked_certificates.iter().flatten() {
        if entry.serial_number.as_bytes() != serial {
            continue;
        }
        let mut reason = None;
        for ext in entry.crl_entry_extensions.iter().flatten() {
            let oid = ext.extn_id.to_string();
            if oid == REASON_CODE {
                reason = CrlReason::from_der(ext.extn_value.as_bytes())
                    .ok()
                    .map(|r| format!("{r:?}"));
            } else if ext.critical && oid != INVALIDITY_DATE {
                // e.g. certificateIssuer (indirect CRL): we cannot tell whose serial this is.
                return RevocationStatus::Unknown {
                    why: format!("CRL entry has an unsupported critical extension {oid}"),
                };
            }
        }
        let when = entry.revocation_date.to_system_time();
        if when <= at {
            return RevocationStatus::Revoked {
                at: rfc3339(when),
                reason,
            };
        }
        return RevocationStatus::Good;
    }
    RevocationStatus::Good
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

/// Checks the revocation status of `cert`, issued by `issuer`, at `at`.
pub fn check_revocation(
    cert: &Certificate,
    issuer: &Certificate,
    at: SystemTime,
    cfg: &RevocationConfig,
) -> RevocationInfo {
    let subject = cert.tbs_certificate().subject().to_string();
    let done = |good: &GoodCrl, source: RevocationSource| RevocationInfo {
        subject: subject.clone(),
        status: status_in(good, cert, at),
        source,
        this_update: Some(rfc3339(good.this_update)),
        next_update: good.next_update.map(rfc3339),
    };
    let mut why: Vec<String> = Vec::new();
    // A signature file can carry any number of CRLs, each costing an RSA
    // check when its issuer name matches: take the first few only.
    let given = cfg
        .signature_crls
        .iter()
        .take(MAX_SIGNATURE_CRLS)
        .map(|c| (c, RevocationSource::Signature))
        .chain(cfg.crls.iter().map(|c| (c, RevocationSource::Given)));
    for (der_bytes, source) in given {
        match check_crl(der_bytes, issuer, at) {
            CrlUse::Ok(good) => return done(&good, source),
            CrlUse::Unusable(r) => why.push(format!("{source:?} CRL: {r}")),
            CrlUse::OtherIssuer => {}
        }
    }
    let urls = cdp_urls(cert);
    if urls.is_empty() {
        why.push("the certificate has no http:// CRL distribution point".into());
    }
    if let Some(dir) = &cfg.cache_dir {
        for url in &urls {
            let path = cache_path(dir, url);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            match check_crl(&bytes, issuer, at) {
                CrlUse::Ok(good) => return done(&good, RevocationSource::Cache(path)),
                CrlUse::Unusable(r) => why.push(format!("cached CRL {}: {r}", path.display())),
                CrlUse::OtherIssuer => why.push(format!(
                    "cached CRL {} is from another issuer",
                    path.display()
                )),
            }
        }
    }
    if cfg.fetch {
        for url in &urls {
            match fetch(url, cfg) {
                Ok(bytes) => match check_crl(&bytes, issuer, at) {
                    CrlUse::Ok(good) => {
                        if let Some(dir) = &cfg.cache_dir {
                            let path = cache_path(dir, url);
                            if let Err(e) = store_in_cache(&path, &bytes) {
                                why.push(format!("could not cache {}: {e}", path.display()));
                            }
                        }
                        return done(&good, RevocationSource::Fetched(url.clone()));
                    }
                    CrlUse::Unusable(r) => why.push(format!("CRL from {url}: {r}")),
                    CrlUse::OtherIssuer => {
                        why.push(format!("CRL from {url} is from another issuer"))
                    }
                },
                Err(e) => why.push(format!("fetching {url}: {e}")),
            }
        }
    } else if !urls.is_empty() {
        why.push("offline: CRLs were not fetched".into());
    }
    if why.is_empty() {
        why.push("no CRL available".into());
    }
    RevocationInfo {
        subject,
        status: RevocationStatus::Unknown {
            why: why.join("; "),
        },
        source: RevocationSource::None,
        this_update: None,
        next_update: None,
    }
}
