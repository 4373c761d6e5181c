//! Who the card belongs to, read from its signing certificate (no PIN
//! needed), and the certificate helpers the card layer needs.

use crate::error::CardError;
use x509_parser::prelude::*;

pub use inkan_trust::holder::Holder;

/// Summarises a DER certificate (the card's signing certificate) with the
/// verifier's own reader ([`inkan_trust::holder::summarize`]), so that the
/// card screen and the verification report name the holder alike.
pub fn summarize(der: &[u8]) -> Result<Holder, CardError> {
    inkan_trust::holder::summarize(der).map_err(|e| CardError::Certificate { detail: e.detail })
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

/// Checks, before any PIN is sent, that the card's certificate is one to
/// sign documents with, now: keyUsage nonRepudiation (contentCommitment),
/// the HPKI signing policy, and `now` (Unix seconds) within its validity.
/// A PIN spent on a card that cannot make a valid signature brings the
/// card one try nearer to locking for nothing.
pub fn check_signing_certificate(der: &[u8], now: i64) -> Result<(), CardError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CardError::Certificate {
        detail: e.to_string(),
    })?;
    let non_repudiation = cert
        .key_usage()
        .ok()
        .flatten()
        .is_some_and(|ku| ku.value.non_repudiation());
    if !non_repudiation {
        return Err(CardError::NotForSigning {
            reason: "keyUsage に nonRepudiation がない / no nonRepudiation in keyUsage",
        });
    }
    let signing_policy = cert
        .extensions()
        .iter()
        .any(|ext| match ext.parsed_extension() {
            ParsedExtension::CertificatePolicies(p) => p
                .iter()
                .any(|pi| pi.policy_id.to_id_string() == inkan_trust::path::POLICY_HPKI_SIGNING_EE),
            _ => false,
        });
    if !signing_policy {
        return Err(CardError::NotForSigning {
            reason: "HPKI署名用ポリシーがない / not the HPKI signing policy",
        });
    }
    let (nb, na) = (
        cert.validity().not_before.timestamp(),
        cert.validity().not_after.timestamp(),
    );
    if now < nb || now > na {
        return Err(CardError::CertificateOutOfValidity {
            not_before: fmt_utc(nb),
            not_after: fmt_utc(na),
        });
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (proleptic Gregorian, UTC).
pub fn fmt_utc(ts: i64) -> String {
    inkan_l10n::utc_string(ts)
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
    fn garbage_is_a_certificate_error() {
        assert!(matches!(
            summarize(&[0x30, 0x03, 0x02, 0x01]),
            Err(CardError::Certificate { .. })
        ));
    }
}
