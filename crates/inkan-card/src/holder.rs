//! Who the card belongs to, read from its signing certificate (no PIN needed).

use crate::error::CardError;
use inkan_trust::iso17090::{self, HcRole};
use serde::Serialize;
use x509_parser::prelude::*;

/// A summary of the card holder's signing certificate.
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

fn first_attr(name: &X509Name<'_>, oid: &x509_parser::der_parser::Oid<'_>) -> Option<String> {
    name.iter_by_oid(oid)
        .next()
        .and_then(|a| a.as_str().ok().map(str::to_string))
}

/// Summarises a DER certificate.
pub fn summarize(der: &[u8]) -> Result<Holder, CardError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CardError::Certificate {
        detail: e.to_string(),
    })?;
    let subject = cert.subject();
    let name = first_attr(subject, &x509_parser::oid_registry::OID_X509_COMMON_NAME)
        .unwrap_or_else(|| subject.to_string());
    let organization = first_attr(
        subject,
        &x509_parser::oid_registry::OID_X509_ORGANIZATION_NAME,
    );
    let holder_id = first_attr(subject, &x509_parser::oid_registry::OID_X509_SERIALNUMBER);
    let name_kanji = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|san| {
            san.value.general_names.iter().find_map(|g| match g {
                GeneralName::DirectoryName(dn) => {
                    first_attr(dn, &x509_parser::oid_registry::OID_X509_COMMON_NAME)
                }
                _ => None,
            })
        });
    let mut role = None;
    let mut role_error = None;
    for ext in cert.extensions() {
        if ext.oid.to_id_string() == iso17090::SUBJECT_DIRECTORY_ATTRIBUTES {
            match iso17090::parse_hc_role(ext.value) {
                Ok(r) => role = Some(r),
                Err(e) => role_error = Some(e.to_string()),
            }
        }
    }
    let issuer = cert.issuer();
    let issuer_short = first_attr(issuer, &x509_parser::oid_registry::OID_X509_COMMON_NAME)
        .or_else(|| {
            issuer
                .iter_organizational_unit()
                .last()
                .and_then(|a| a.as_str().ok().map(str::to_string))
        })
        .unwrap_or_else(|| issuer.to_string());
    let issuer_text = issuer.to_string();
    let validity = cert.validity();
    Ok(Holder {
        name,
        name_kanji,
        organization,
        holder_id,
        role,
        role_error,
        is_test: issuer_text.to_ascii_uppercase().contains("TEST"),
        issuer: issuer_text,
        issuer_short,
        serial: cert
            .raw_serial_as_string()
            .replace(':', "")
            .to_ascii_uppercase(),
        not_before: fmt_utc(validity.not_before.timestamp()),
        not_after: fmt_utc(validity.not_after.timestamp()),
        not_after_unix: validity.not_after.timestamp(),
    })
}

/// The RSA public key of a certificate, for checking the card's signature.
pub fn rsa_public_key(der: &[u8]) -> Result<rsa::PublicKey, CardError> {
    use rsa::pkcs8::DecodePublicKey;
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CardError::Certificate {
        detail: e.to_string(),
    })?;
    rsa::PublicKey::from_public_key_der(cert.public_key().raw).map_err(|e| CardError::Certificate {
        detail: format!("not an RSA key: {e}"),
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (proleptic Gregorian, UTC).
pub fn fmt_utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(fmt_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_utc(1_389_938_888), "2014-01-17T06:08:08Z");
    }

    #[test]
    fn the_real_mhlw_root_summarises() {
        let root = inkan_trust::shipped()[0].der;
        let h = summarize(root).expect("root parses");
        assert!(h.issuer.contains("MHLW HPKI Root CA V2"));
        assert_eq!(h.issuer_short, "MHLW HPKI Root CA V2");
        assert_eq!(h.not_after, "2044-01-16T14:59:59Z");
        assert!(!h.is_test);
        assert!(h.role.is_none());
    }

    #[test]
    fn garbage_is_a_certificate_error() {
        assert!(matches!(
            summarize(&[0x30, 0x03, 0x02, 0x01]),
            Err(CardError::Certificate { .. })
        ));
    }
}
