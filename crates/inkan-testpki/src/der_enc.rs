//! A minimal DER writer (ITU-T X.690 §10) for hand-assembling certificates and
//! CRLs byte for byte.
//!
//! The profile must be mirrored exactly (string types, criticality, element
//! order), so certificates are built from TLVs rather than through a builder
//! that makes its own encoding choices.

use der::oid::ObjectIdentifier;

/// Appends the X.690 §8.1.3 definite-length encoding of `len`.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let n = bytes.len() - skip;
        out.push(0x80 | n as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// A TLV with the given identifier octet.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// A constructed TLV whose content is the concatenation of `parts`.
pub(crate) fn cons(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// SEQUENCE.
pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    cons(0x30, parts)
}

/// SET (OF) with DER ordering (X.690 §11.6: elements sorted by their encodings).
pub(crate) fn set_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut sorted: Vec<&[u8]> = parts.to_vec();
    sorted.sort();
    cons(0x31, &sorted)
}

/// OBJECT IDENTIFIER.
pub(crate) fn oid(oid: &ObjectIdentifier) -> Vec<u8> {
    tlv(0x06, oid.as_bytes())
}

/// INTEGER from unsigned big-endian magnitude bytes (minimal, non-negative).
pub(crate) fn uint(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(magnitude.len().saturating_sub(1));
    let m = &magnitude[skip..];
    if m.is_empty() {
        return tlv(0x02, &[0]);
    }
    if m[0] & 0x80 != 0 {
        let mut c = Vec::with_capacity(m.len() + 1);
        c.push(0);
        c.extend_from_slice(m);
        tlv(0x02, &c)
    } else {
        tlv(0x02, m)
    }
}

/// INTEGER from a `u64`.
pub(crate) fn uint_u64(n: u64) -> Vec<u8> {
    uint(&n.to_be_bytes())
}

/// BOOLEAN TRUE (DER: `FF`).
pub(crate) fn bool_true() -> Vec<u8> {
    vec![0x01, 0x01, 0xff]
}

/// NULL.
pub(crate) fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// OCTET STRING.
pub(crate) fn octets(content: &[u8]) -> Vec<u8> {
    tlv(0x04, content)
}

/// BIT STRING with `unused` trailing bits in the last octet.
pub(crate) fn bits(unused: u8, content: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(content.len() + 1);
    c.push(unused);
    c.extend_from_slice(content);
    tlv(0x03, &c)
}

/// UTF8String.
pub(crate) fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0c, s.as_bytes())
}

/// PrintableString (caller guarantees the character set).
pub(crate) fn printable(s: &str) -> Vec<u8> {
    tlv(0x13, s.as_bytes())
}

/// IA5String.
pub(crate) fn ia5(s: &str) -> Vec<u8> {
    tlv(0x16, s.as_bytes())
}

/// ENUMERATED with a small value.
pub(crate) fn enumerated(n: u8) -> Vec<u8> {
    vec![0x0a, 0x01, n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers() {
        assert_eq!(tlv(0x04, &[0; 5])[..2], [0x04, 5]);
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(uint_u64(0), [0x02, 1, 0]);
        assert_eq!(uint_u64(1), [0x02, 1, 1]);
        assert_eq!(uint_u64(0x80), [0x02, 2, 0, 0x80]);
        assert_eq!(uint(&[0, 0, 0x7f]), [0x02, 1, 0x7f]);
    }
}
