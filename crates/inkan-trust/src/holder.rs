//! Who a certificate belongs to, for display: the holder summary that the
//! window, the command line and the verification report all show.
//!
//! It lives here, beside path validation, and reads the certificate with the
//! same parser (`x509-cert`), so that the same bytes give the same holder
//! name everywhere, and so that verifying needs no smart-card stack.
//!
//! Every certificate-derived string is passed through [`escape_display`]:
//! a certificate is attacker-controlled input, and a common name carrying an
//! ESC sequence or a right-to-left override could repaint a terminal or
//! reorder what a receiving doctor reads.

use std::time::SystemTime;

use serde::Serialize;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::crl::rfc3339;
use crate::iso17090::HcRole;

const CN: &str = "2.5.4.3";
const O: &str = "2.5.4.10";
const OU: &str = "2.5.4.11";
const SERIAL_NUMBER: &str = "2.5.4.5";

/// A summary of a holder's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// Romaji name (subject CN).
    pub name: String,
    /// Kanji name (subjectAltName directoryName CN), when present.
    pub name_kanji: Option<String>,
    /// Facility (subject O), when present.
    pub organization: Option<String>,
    /// The CA-assigned holder id (subject serialNumber).
    pub holder_id: Option<String>,
    /// The qualification (hcRole).
    pub role: Option<HcRole>,
    /// Why the hcRole could not be read, when it is present but malformed.
    pub role_error: Option<String>,
    /// The issuing CA (RFC 4514).
    pub issuer: String,
    /// The issuing CA's CN (or last OU), for short display.
    pub issuer_short: String,
    /// The certificate serial number, hex.
    pub serial: String,
    /// Start of validity, `YYYY-MM-DDTHH:MM:SSZ`.
    pub not_before: String,
    /// End of validity, `YYYY-MM-DDTHH:MM:SSZ`.
    pub not_after: String,
    /// End of validity as Unix seconds (for expiry warnings).
    pub not_after_unix: i64,
    /// The certificate comes from a TEST PKI (its issuer says TEST).
    pub is_test: bool,
}

/// The certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the certificate cannot be read: {detail}")]
pub struct HolderError {
    /// The DER error.
    pub detail: String,
}

pub use inkan_l10n::escape_display;

/// A distinguished name in RFC 4514 form, escaped for display.
///
/// Reports name every certificate of every path; formatting a name is the
/// most expensive step of a report, and a batch meets the same few CA names
/// again and again, so the text is remembered per name (by its DER), in a
/// bounded table.
pub fn display_name(name: &Name) -> String {
    use der::Encode;
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    // Bounded by bytes: real names are a few hundred bytes; longer ones
    // (a hostile certificate's) are formatted each time.
    const MAX_ONE: usize = 2 << 10;
    const MAX_ALL: usize = 4 << 20;
    type Table = (HashMap<Vec<u8>, String>, usize);
    static SEEN: OnceLock<Mutex<Table>> = OnceLock::new();
    let Ok(key) = name.to_der() else {
        return escape_display(&name.to_string());
    };
    if key.len() > MAX_ONE {
        return escape_display(&name.to_string());
    }
    let seen = SEEN.get_or_init(|| Mutex::new(Default::default()));
    if let Some(s) = seen.lock().ok().and_then(|m| m.0.get(&key).cloned()) {
        return s;
    }
    let text = escape_display(&name.to_string());
    if let Ok(mut m) = seen.lock() {
        let cost = key.len() + text.len();
        if m.1 + cost > MAX_ALL {
            m.0.clear();
            m.1 = 0;
        }
        m.1 += cost;
        m.0.insert(key, text.clone());
    }
    text
}

fn first_attr(name: &Name, oid: &str) -> Option<String> {
    name.iter_rdn()
        .flat_map(|rdn| rdn.iter())
        .find(|a| a.oid.to_string() == oid)
        .and_then(crate::rfc5280_names::directory_string)
        .map(|s| escape_display(&s))
}

fn last_attr(name: &Name, oid: &str) -> Option<String> {
    name.iter_rdn()
        .flat_map(|rdn| rdn.iter())
        .filter(|a| a.oid.to_string() == oid)
        .last()
        .and_then(crate::rfc5280_names::directory_string)
        .map(|s| escape_display(&s))
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Summarises a DER certificate.
///
/// Remembered per process by the exact bytes (bounded): every letter of a
/// batch names its signer, and the names and texts are the same each time.
pub fn summarize(der_bytes: &[u8]) -> Result<Holder, HolderError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    const MAX_ONE: usize = 16 << 10;
    /// Bytes of keys and summaries at most: a hostile certificate's names
    /// grow eightfold when escaped for display.
    const MAX_ALL: usize = 8 << 20;
    type Table = (HashMap<Vec<u8>, Holder>, usize);
    static SEEN: OnceLock<Mutex<Table>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(Default::default()));
    if let Some(h) = seen.lock().ok().and_then(|m| m.0.get(der_bytes).cloned()) {
        return Ok(h);
    }
    let h = match crate::path::parsed_certificate(der_bytes) {
        Ok(p) => summarize_parsed(&p.cert),
        // Names that cannot be compared still summarise.
        Err(_) => {
            let (cert, _) = crate::path::parse_certificate(der_bytes).map_err(|e| HolderError {
                detail: e.to_string(),
            })?;
            summarize_parsed(&cert)
        }
    };
    let cost = der_bytes.len() + h.heap_bytes();
    if der_bytes.len() <= MAX_ONE && cost <= MAX_ALL / 16 {
        if let Ok(mut m) = seen.lock() {
            if m.1 + cost > MAX_ALL {
                m.0.clear();
                m.1 = 0;
            }
            m.1 += cost;
            m.0.insert(der_bytes.to_vec(), h.clone());
        }
    }
    Ok(h)
}

impl Holder {
    /// What its texts hold on the heap, about.
    fn heap_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        self.name.len()
            + opt(&self.name_kanji)
            + opt(&self.organization)
            + opt(&self.holder_id)
            + opt(&self.role_error)
            + self.issuer.len()
            + self.issuer_short.len()
            + self.serial.len()
            + self.not_before.len()
            + self.not_after.len()
            + 256
    }
}

/// Summarises a parsed certificate.
pub fn summarize_parsed(cert: &Certificate) -> Holder {
    let tbs = cert.tbs_certificate();
    let subject = tbs.subject();
    let name = first_attr(subject, CN).unwrap_or_else(|| display_name(subject));
    let name_kanji = match tbs.get_extension::<SubjectAltName>() {
        Ok(Some((_, san))) => san.0.iter().find_map(|g| match g {
            GeneralName::DirectoryName(dn) => first_attr(dn, CN),
            _ => None,
        }),
        _ => None,
    };
    let (role, role_error) = match crate::path::hc_role_of(cert) {
        Ok(r) => (r, None),
        Err(e) => (None, Some(escape_display(&e.to_string()))),
    };
    let issuer = tbs.issuer();
    let issuer_text = display_name(issuer);
    let issuer_short = first_attr(issuer, CN)
        .or_else(|| last_attr(issuer, OU))
        .unwrap_or_else(|| issuer_text.clone());
    let not_before = tbs.validity().not_before.to_system_time();
    let not_after = tbs.validity().not_after.to_system_time();
    Holder {
        name,
        name_kanji,
        organization: first_attr(subject, O),
        holder_id: first_attr(subject, SERIAL_NUMBER),
        role,
        role_error,
        is_test: issuer_text.to_ascii_uppercase().contains("TEST"),
        issuer: issuer_text,
        issuer_short,
        serial: hex::encode_upper(tbs.serial_number().as_bytes()),
        not_before: rfc3339(not_before),
        not_after: rfc3339(not_after),
        not_after_unix: unix(not_after),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_real_mhlw_root_summarises() {
        let root = crate::shipped()[0].der;
        let h = summarize(root).expect("root parses");
        assert!(h.issuer.contains("MHLW HPKI Root CA V2"));
        assert_eq!(h.issuer_short, "MHLW HPKI Root CA V2");
        assert_eq!(h.not_after, "2044-01-16T14:59:59Z");
        assert!(!h.is_test);
        assert!(h.role.is_none());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(summarize(&[0x30, 0x03, 0x02, 0x01]).is_err());
    }
}
