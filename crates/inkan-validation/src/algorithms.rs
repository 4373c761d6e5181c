//! How long a time-stamp's algorithms keep protecting what it covers, so
//! that an archive is renewed before they stop (EN 319 122-1 §5.5.3: the
//! next archive time-stamp is needed before the previous one's TSA
//! certificate expires *or its algorithms become weak*).
//!
//! The dates follow NIST SP 800-57 Part 1 Rev. 5 §5.6.3 (Table 4): 112 bits
//! of security (RSA-2048, SHA-224) are acceptable through 2030; 128 bits
//! and more (RSA-3072, SHA-256 and up) beyond. Less than 112 bits (RSA under
//! 2048, SHA-1 for signatures, SP 800-131A Rev. 2) is weak already. The
//! CRYPTREC 暗号リスト and the HPKI migration plans use the same 2030 limit
//! for RSA-2048. The limit is configuration ([`AlgorithmPolicy`]), not
//! code: a clinic's policy may set it earlier.

use std::time::{Duration, SystemTime};

/// When algorithms of a given strength stop protecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgorithmPolicy {
    /// The last instant 112-bit security is acceptable.
    pub strength_112_until: SystemTime,
}

impl Default for AlgorithmPolicy {
    /// NIST SP 800-57 Part 1 Rev. 5, Table 4: 112 bits "acceptable through
    /// 2030" (2030-12-31T23:59:59Z).
    fn default() -> Self {
        AlgorithmPolicy {
            strength_112_until: SystemTime::UNIX_EPOCH + Duration::from_secs(1_924_991_999),
        }
    }
}

/// Already weak: as good as expired.
const WEAK: SystemTime = SystemTime::UNIX_EPOCH;

impl AlgorithmPolicy {
    /// Until when the hash algorithm `oid` (dotted) protects: `None` when no
    /// end is foreseen.
    pub fn hash_until(&self, oid: &str) -> Option<SystemTime> {
        match oid {
            // SHA-256, SHA-384, SHA-512: 128 bits and more.
            "2.16.840.1.101.3.4.2.1" | "2.16.840.1.101.3.4.2.2" | "2.16.840.1.101.3.4.2.3" => None,
            // SHA-224.
            "2.16.840.1.101.3.4.2.4" => Some(self.strength_112_until),
            // SHA-1, MD5 and anything unknown.
            _ => Some(WEAK),
        }
    }

    /// Until when an RSA key of `bits` protects.
    pub fn rsa_until(&self, bits: usize) -> Option<SystemTime> {
        if bits >= 3072 {
            None
        } else if bits >= 2048 {
            Some(self.strength_112_until)
        } else {
            Some(WEAK)
        }
    }

    /// Until when a time-stamp token's algorithms protect: its imprint's
    /// hash, its own digest, and its TSA's key (`tsa_cert`, DER). `None`
    /// when no end is foreseen.
    pub fn token_until(&self, token: &[u8], tsa_cert: &[u8]) -> Option<SystemTime> {
        let mut until: Vec<SystemTime> = Vec::new();
        match inkan_cades::parse(token) {
            Ok(p) => {
                if let Some(info) = p
                    .econtent
                    .as_deref()
                    .and_then(|c| inkan_tsp::rfc3161::parse_tst_info(c).ok())
                {
                    until.extend(self.hash_until(hash_oid(info.hash)));
                }
                for si in &p.signers {
                    until.extend(self.hash_until(&si.digest_algorithm.to_string()));
                }
            }
            Err(_) => until.push(WEAK),
        }
        if let Some(bits) = inkan_trust::path::rsa_key_bits(tsa_cert) {
            until.extend(self.rsa_until(bits));
        }
        until.into_iter().min()
    }
}

fn hash_oid(h: inkan_tsp::ImprintHash) -> &'static str {
    match h {
        inkan_tsp::ImprintHash::Sha256 => "2.16.840.1.101.3.4.2.1",
        inkan_tsp::ImprintHash::Sha384 => "2.16.840.1.101.3.4.2.2",
        inkan_tsp::ImprintHash::Sha512 => "2.16.840.1.101.3.4.2.3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sp800_57_limits() {
        let p = AlgorithmPolicy::default();
        assert_eq!(
            inkan_trust::crl::rfc3339(p.strength_112_until),
            "2030-12-31T23:59:59Z"
        );
        assert_eq!(p.rsa_until(2048), Some(p.strength_112_until));
        assert_eq!(p.rsa_until(2047), Some(WEAK));
        assert_eq!(p.rsa_until(3072), None);
        assert_eq!(p.hash_until("2.16.840.1.101.3.4.2.1"), None);
        assert_eq!(p.hash_until("1.3.14.3.2.26"), Some(WEAK));
        assert_eq!(
            p.hash_until("2.16.840.1.101.3.4.2.4"),
            Some(p.strength_112_until)
        );
    }

    #[test]
    fn unreadable_token_is_weak() {
        let p = AlgorithmPolicy::default();
        assert_eq!(p.token_until(b"junk", b"junk"), Some(WEAK));
    }
}
