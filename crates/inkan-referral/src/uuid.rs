//! Deterministic UUIDs for `urn:uuid:` fullUrls.
//!
//! The writer must produce the same bytes for the same letter (the signature
//! is over the bytes), so entry identifiers cannot be random. They are derived
//! from the issuing institution, the document number, the version and the
//! entry's role with SHA-256, and formatted as RFC 9562 version 8 ("custom")
//! UUIDs: unique per letter and role, stable across runs and machines.

use sha2::{Digest, Sha256};

pub(crate) fn derive(institution: &str, document: &str, version: u32, role: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"inkan-referral/uuid/v1\0");
    for part in [institution, document, &version.to_string(), role] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0F) | 0x80; // version 8
    b[8] = (b[8] & 0x3F) | 0x80; // RFC variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `8-4-4-4-12` lower-case hex (any version: the public samples use
/// non-RFC UUIDs, which FHIR does not forbid).
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_uuids_are_stable_distinct_and_well_formed() {
        let a = derive("1310123456", "REF-1", 1, "patient");
        assert_eq!(a, derive("1310123456", "REF-1", 1, "patient"));
        assert_ne!(a, derive("1310123456", "REF-1", 1, "composition"));
        assert_ne!(a, derive("1310123456", "REF-1", 2, "patient"));
        assert!(is_uuid(&a));
        assert_eq!(a.as_bytes()[14], b'8');
        assert!(!is_uuid("830EC2D1-67a7-427e-b6fe-ad0eb29da7fb"));
        assert!(is_uuid("0d51bf2a-4863-b36f-2ad3-cb5ea0df1023"));
    }
}
