//! Comparing distinguished names (RFC 5280 §7.1).
//!
//! > Conforming implementations MUST use the LDAP StringPrep profile
//! > (including insignificant space handling), as specified in \[RFC4518\], as
//! > the basis for comparison of distinguished name attributes encoded in
//! > either PrintableString or UTF8String. Two distinguished names DN1
//! > and DN2 match if they have the same number of RDNs, for each RDN in DN1
//! > there is a matching RDN in DN2, and the matching RDNs appear in the same
//! > order in both DNs. A relative distinguished name RDN1 matches RDN2 if
//! > they have the same number of naming attributes and for each naming
//! > attribute in RDN1 there is a matching naming attribute in RDN2.
//!
//! Name chaining (issuer of one certificate = subject of the next) and CRL
//! issuers are compared this way, so that a CA that re-encodes its name
//! (PrintableString to UTF8String, other case or spacing) still chains, as
//! NIST PKITS 4.3.3–4.3.11 require. Only names are loosened: every link is
//! still proven by its signature.
//!
//! Preparation follows RFC 4518 §2 for values made only of characters whose
//! preparation is simple and certain: ASCII, the spaces RFC 4518 maps to
//! U+0020, and Japanese text (kana without the combining sound marks, CJK
//! ideographs, full-width forms). A value with any other character — a
//! combining mark (RFC 4518 §2.6.1 treats a space before one specially), a
//! private-use or unassigned character (§2.4 prohibits them), Latin letters
//! with diacritics (NFKC, not applied here) — is compared by its exact
//! encoding, as before. That is stricter than the RFC, so it can only make a
//! chain unbuildable (INDETERMINATE), never join two names the RFC keeps
//! apart.

use der::asn1::{BmpString, PrintableStringRef};
use der::{Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RelativeDistinguishedName};

/// A form of `name` in which two names are equal exactly when they match
/// under RFC 5280 §7.1 (with the preparation described in the module docs).
///
/// Each RDN becomes its attributes' forms, sorted (an RDN is a set), each an
/// OID and a value: the prepared string for directory-string values
/// (PrintableString, UTF8String, BMPString; the `der` decoder refuses
/// UniversalString and TeletexString has no defined repertoire), the exact
/// encoding (tag, length, contents) for anything else. Every part is
/// length-prefixed, so no two different names share a form.
pub fn match_key(name: &Name) -> Result<Vec<u8>, der::Error> {
    let mut out = Vec::new();
    push_len(&mut out, name.as_ref().len());
    for rdn in name.iter_rdn() {
        out.extend_from_slice(&rdn_key(rdn)?);
    }
    Ok(out)
}

/// One key per RDN of `name`, in order: two RDNs match under RFC 5280 §7.1
/// exactly when their keys are equal. [`match_key`] is the name's RDN count
/// followed by these keys, so a name is a prefix of another (as
/// directoryName constraints require, RFC 5280 §4.2.1.10) exactly when its
/// keys are the first keys of the other.
pub fn rdn_keys(name: &Name) -> Result<Vec<Vec<u8>>, der::Error> {
    name.iter_rdn().map(rdn_key).collect()
}

fn rdn_key(rdn: &RelativeDistinguishedName) -> Result<Vec<u8>, der::Error> {
    let mut avas = rdn
        .iter()
        .map(attribute_key)
        .collect::<Result<Vec<_>, _>>()?;
    avas.sort();
    let mut out = Vec::new();
    push_len(&mut out, avas.len());
    for a in avas {
        push_len(&mut out, a.len());
        out.extend_from_slice(&a);
    }
    Ok(out)
}

/// Whether two names match under RFC 5280 §7.1; a name that cannot be
/// re-encoded matches nothing.
pub fn names_match(a: &Name, b: &Name) -> bool {
    match (match_key(a), match_key(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn push_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u64).to_be_bytes());
}

fn attribute_key(ava: &AttributeTypeAndValue) -> Result<Vec<u8>, der::Error> {
    let mut out = Vec::new();
    let oid = ava.oid.as_bytes();
    push_len(&mut out, oid.len());
    out.extend_from_slice(oid);
    match directory_string(ava).filter(|s| s.chars().all(simple)) {
        Some(s) => {
            out.push(b'S');
            out.extend_from_slice(prepare(&s).as_bytes());
        }
        None => {
            out.push(b'R');
            out.extend_from_slice(&ava.value.to_der()?);
        }
    }
    Ok(out)
}

/// The text of a directory-string value; `None` for other types, and for
/// bytes that are not a valid string of their type (then compared exactly).
pub(crate) fn directory_string(ava: &AttributeTypeAndValue) -> Option<String> {
    let value = &ava.value;
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String => std::str::from_utf8(bytes).ok().map(str::to_owned),
        Tag::PrintableString => PrintableStringRef::new(bytes)
            .ok()
            .map(|s| s.as_str().to_owned()),
        Tag::BmpString => value.decode_as::<BmpString>().ok().map(|s| s.to_string()),
        _ => None,
    }
}

/// Whether `c`'s RFC 4518 preparation is certain without Unicode tables:
/// ASCII, the spaces mapped to U+0020, and Japanese text. U+3099 and U+309A
/// (combining sound marks) are left out on purpose.
fn simple(c: char) -> bool {
    c.is_ascii()
        || matches!(c,
            '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{2028}' | '\u{2029}'
            | '\u{202F}' | '\u{205F}'
            | '\u{3000}'..='\u{3098}' | '\u{309B}'..='\u{30FF}'
            | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}' | '\u{FF01}'..='\u{FFEF}')
}

/// RFC 4518 §2.2 (map), §2.3 (case fold, as Unicode lower case), and §2.6.1
/// (insignificant space handling: no leading or trailing space, inner runs
/// as one). Characters that RFC 4518 maps to nothing are dropped; every kind
/// of space, U+3000 included, becomes U+0020.
fn prepare(s: &str) -> String {
    let mapped = s.chars().filter_map(|c| match c {
        '\u{00AD}'
        | '\u{1806}'
        | '\u{034F}'
        | '\u{180B}'..='\u{180D}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FFFC}'
        | '\u{200B}' => None,
        '\u{0009}'..='\u{000D}' | '\u{0085}' => Some(' '),
        c if c.is_control() => None,
        '\u{00A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}' => Some(' '),
        c => Some(c),
    });
    let folded: String = mapped.flat_map(char::to_lowercase).collect();
    folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;
    use std::str::FromStr;

    fn name(s: &str) -> Name {
        Name::from_str(s).expect("name")
    }

    /// A name whose one attribute is encoded with `tag` around `value`.
    fn raw_name(oid_der: &[u8], tag: u8, value: &[u8]) -> Name {
        let mut ava = vec![0x06, oid_der.len() as u8];
        ava.extend_from_slice(oid_der);
        ava.extend_from_slice(&[tag, value.len() as u8]);
        ava.extend_from_slice(value);
        let seq = [&[0x30, ava.len() as u8][..], &ava].concat();
        let set = [&[0x31, seq.len() as u8][..], &seq].concat();
        let name = [&[0x30, set.len() as u8][..], &set].concat();
        Name::from_der(&name).expect("raw name")
    }

    const CN: &[u8] = &[0x55, 0x04, 0x03];

    #[test]
    fn case_and_spaces_are_insignificant() {
        assert!(names_match(
            &name("CN=Good CA,O=Test Certificates 2011,C=US"),
            &name("CN=good  ca,O=TEST Certificates 2011,C=us"),
        ));
        assert!(names_match(
            &raw_name(CN, 0x0c, b"  Good   CA "),
            &raw_name(CN, 0x0c, b"Good CA")
        ));
    }

    #[test]
    fn printable_and_utf8_spellings_match() {
        assert!(names_match(
            &raw_name(CN, 0x13, b"Good CA"),
            &raw_name(CN, 0x0c, b"good ca")
        ));
    }

    #[test]
    fn ideographic_space_is_a_space() {
        assert!(names_match(
            &raw_name(CN, 0x0c, "テスト\u{3000}太郎".as_bytes()),
            &raw_name(CN, 0x0c, "テスト 太郎".as_bytes())
        ));
    }

    #[test]
    fn different_names_stay_different() {
        assert!(!names_match(&name("CN=Good CA"), &name("CN=Good CB")));
        assert!(!names_match(&name("CN=Good CA"), &name("O=Good CA")));
        assert!(!names_match(
            &name("CN=Good CA,C=US"),
            &name("C=US,CN=Good CA")
        ));
        assert!(!names_match(&name("CN=Good CA"), &name("CN=Good CA,C=US")));
        assert!(!names_match(
            &raw_name(CN, 0x0c, b"GoodCA"),
            &raw_name(CN, 0x0c, b"Good CA")
        ));
        // Other string types compare exactly, tag included.
        assert!(!names_match(
            &raw_name(CN, 0x16, b"Good CA"),
            &raw_name(CN, 0x0c, b"Good CA")
        ));
    }

    #[test]
    fn a_space_before_a_combining_mark_is_significant() {
        assert!(!names_match(
            &raw_name(CN, 0x0c, "a  \u{0301}b".as_bytes()),
            &raw_name(CN, 0x0c, "a \u{0301}b".as_bytes())
        ));
        assert!(!names_match(
            &raw_name(CN, 0x0c, " \u{0301}x".as_bytes()),
            &raw_name(CN, 0x0c, "\u{0301}x".as_bytes())
        ));
        // Japanese sound marks as combining characters, likewise.
        assert!(!names_match(
            &raw_name(CN, 0x0c, "か \u{3099}".as_bytes()),
            &raw_name(CN, 0x0c, "か\u{3099}".as_bytes())
        ));
    }

    #[test]
    fn characters_outside_the_simple_set_compare_exactly() {
        // ẞ/ß: case-folded by Unicode, left Undefined by RFC 4518.
        assert!(!names_match(
            &raw_name(CN, 0x0c, "ẞ".as_bytes()),
            &raw_name(CN, 0x0c, "ß".as_bytes())
        ));
        // A private-use character (gaiji) and its "case".
        assert!(!names_match(
            &raw_name(CN, 0x0c, "\u{E000}A".as_bytes()),
            &raw_name(CN, 0x0c, "\u{E000}a".as_bytes())
        ));
        // Still equal to itself.
        assert!(names_match(
            &raw_name(CN, 0x0c, "\u{E000}A".as_bytes()),
            &raw_name(CN, 0x0c, "\u{E000}A".as_bytes())
        ));
    }

    #[test]
    fn a_printable_string_with_invalid_bytes_compares_exactly() {
        assert!(!names_match(
            &raw_name(CN, 0x13, b"Good\x00 CA"),
            &raw_name(CN, 0x13, b"Good CA")
        ));
    }

    #[test]
    fn rdn_keys_are_the_match_key_per_rdn() {
        let a = rdn_keys(&name("CN=Good CA,O=Test,C=US")).expect("keys");
        let b = rdn_keys(&name("cn=good  ca,O=TEST,C=us")).expect("keys");
        assert_eq!(a.len(), 3);
        assert_eq!(a, b);
        let mut key = (3u64).to_be_bytes().to_vec();
        key.extend(a.concat());
        assert_eq!(
            key,
            match_key(&name("CN=Good CA,O=Test,C=US")).expect("key")
        );
    }

    #[test]
    fn a_multi_valued_rdn_is_a_set() {
        assert!(names_match(&name("CN=A+O=B,C=US"), &name("O=b+CN=a,C=US")));
    }
}
