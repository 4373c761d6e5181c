//! BER → DER normalisation of the *framing* of a CMS message.
//!
//! Streaming encoders (`openssl cms -stream`, many card middlewares) emit
//! SignedData with indefinite lengths and the eContent OCTET STRING split into
//! constructed chunks (X.690 §8.1.3.6, §8.7.3). This module rewrites only that
//! framing: indefinite lengths become definite minimal lengths, constructed
//! strings become primitive. Elements that are already DER are copied byte for
//! byte, so the `SignedAttributes` (which RFC 5652 §5.4 requires to be DER)
//! keep exactly the bytes that were signed. SET OF elements are never reordered.

use crate::tlv::{err, push_len, TlvError};

/// Nesting limit: real CMS nests ~12 deep; the limit keeps hostile input from
/// exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Normalises the BER element at the start of `input`.
///
/// Returns the DER bytes and how many input bytes the element occupied (the
/// caller rejects trailing data).
pub(crate) fn to_der(input: &[u8]) -> Result<(Vec<u8>, usize), TlvError> {
    let mut pos = 0;
    // Nearly every file is DER already: one walk without copying proves it.
    if skip_der(input, &mut pos, 0).is_some() {
        return Ok((input[..pos].to_vec(), pos));
    }
    pos = 0;
    let mut out = Vec::with_capacity(input.len());
    element(input, &mut pos, 0, &mut out)?;
    Ok((out, pos))
}

/// Steps over the element at `*pos` when its framing is DER already
/// (definite minimal lengths, no constructed strings), as [`element`]
/// would copy it unchanged; `None` at the first thing it would rewrite or
/// reject (the normaliser then does the work, or says what is wrong).
fn skip_der(input: &[u8], pos: &mut usize, depth: usize) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    let start = *pos;
    let (tag, len) = header(input, pos).ok()?;
    let len = len?;
    let minimal = match len {
        0..=0x7f => 2,
        0x80..=0xff => 3,
        0x100..=0xffff => 4,
        0x1_0000..=0xff_ffff => 5,
        _ => 6,
    };
    if *pos - start != minimal {
        return None;
    }
    let end = pos.checked_add(len).filter(|e| *e <= input.len())?;
    if tag & 0x20 != 0 {
        if is_splittable_string(tag) {
            return None;
        }
        while *pos < end {
            skip_der(input, pos, depth + 1)?;
        }
        if *pos != end {
            return None;
        }
    } else {
        *pos = end;
    }
    Some(())
}

/// Universal string types that BER may encode in constructed form.
fn is_splittable_string(tag: u8) -> bool {
    // OCTET STRING and the restricted character strings (not BIT STRING, whose
    // segments each carry an unused-bits octet).
    matches!(
        tag & 0x1f,
        4 | 12 | 18 | 19 | 20 | 21 | 22 | 25 | 26 | 27 | 28 | 30
    ) && tag & 0xc0 == 0
}

/// Reads a BER header at `*pos`: (tag, Some(len) or None for indefinite).
fn header(input: &[u8], pos: &mut usize) -> Result<(u8, Option<usize>), TlvError> {
    let Some(&t) = input.get(*pos) else {
        return err("unexpected end of data");
    };
    if t & 0x1f == 0x1f {
        return err(format!("high tag number form (0x{t:02x}) is not supported"));
    }
    let Some(&l0) = input.get(*pos + 1) else {
        return err("unexpected end of data (length)");
    };
    *pos += 2;
    if l0 < 0x80 {
        return Ok((t, Some(usize::from(l0))));
    }
    if l0 == 0x80 {
        if t & 0x20 == 0 {
            return err("indefinite length on a primitive element");
        }
        return Ok((t, None));
    }
    let n = usize::from(l0 & 0x7f);
    if n > 4 {
        return err("length field too long");
    }
    let Some(bytes) = input.get(*pos..*pos + n) else {
        return err("unexpected end of data (long length)");
    };
    *pos += n;
    let len = bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Ok((t, Some(len)))
}

/// Normalises the element at `*pos`, appending its DER to `out`.
fn element(input: &[u8], pos: &mut usize, depth: usize, out: &mut Vec<u8>) -> Result<(), TlvError> {
    let (tag, content) = contents(input, pos, depth)?;
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(&content);
    Ok(())
}

/// Reads the element at `*pos`: its DER tag and its DER contents.
fn contents(input: &[u8], pos: &mut usize, depth: usize) -> Result<(u8, Vec<u8>), TlvError> {
    if depth > MAX_DEPTH {
        return err("nesting too deep");
    }
    let (tag, len) = header(input, pos)?;
    let end = match len {
        Some(len) => {
            let end = pos
                .checked_add(len)
                .filter(|e| *e <= input.len())
                .ok_or_else(|| TlvError(format!("element 0x{tag:02x} is longer than the data")))?;
            Some(end)
        }
        None => None,
    };
    let at_end = |pos: usize| -> Result<bool, TlvError> {
        match end {
            Some(end) => Ok(pos >= end),
            None => {
                if input.get(pos..pos + 2) == Some(&[0, 0][..]) {
                    Ok(true)
                } else if pos >= input.len() {
                    err("missing end-of-contents after an indefinite length")
                } else {
                    Ok(false)
                }
            }
        }
    };
    if tag & 0x20 == 0 {
        // Primitive: copy as is (len is definite here).
        let end = end.unwrap_or(*pos);
        let content = input[*pos..end].to_vec();
        *pos = end;
        return Ok((tag, content));
    }
    let mut content = Vec::new();
    let splittable = is_splittable_string(tag);
    while !at_end(*pos)? {
        if splittable {
            // Segments of a constructed string: concatenate their contents.
            let (seg_tag, seg) = contents(input, pos, depth + 1)?;
            if seg_tag & 0x1f != tag & 0x1f || seg_tag & 0xc0 != 0 {
                return err("constructed string segment of another type");
            }
            content.extend_from_slice(&seg);
        } else {
            element(input, pos, depth + 1, &mut content)?;
        }
        if let Some(end) = end {
            if *pos > end {
                return err(format!("element inside 0x{tag:02x} overruns it"));
            }
        }
    }
    *pos += if end.is_none() { 2 } else { 0 };
    let tag = if splittable { tag & !0x20 } else { tag };
    Ok((tag, content))
}

/// Strips a PEM armour (`PKCS7`, `CMS`, `PKCS #7 SIGNED DATA`) if present.
///
/// Returns `None` when `input` does not start (after whitespace) with `-----BEGIN `.
pub(crate) fn strip_pem(input: &[u8]) -> Option<Result<Vec<u8>, TlvError>> {
    let start = input.iter().position(|b| !b.is_ascii_whitespace())?;
    if !input[start..].starts_with(b"-----BEGIN ") {
        return None;
    }
    Some(match der::pem::decode_vec(&input[start..]) {
        Ok(("PKCS7" | "CMS" | "PKCS #7 SIGNED DATA", der)) => Ok(der),
        Ok((label, _)) => err(format!("unexpected PEM label {label:?}")),
        Err(e) => err(format!("bad PEM: {e}")),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn der_input_is_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        assert_eq!(to_der(&der).unwrap(), (der.to_vec(), der.len()));
    }

    #[test]
    fn indefinite_and_chunked_octet_string_become_der() {
        // SEQUENCE(indef) { [0](indef) { OCTET STRING constructed(indef) { 04 01 aa, 04 01 bb } } }
        let ber = [
            0x30, 0x80, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x01, 0xaa, 0x04, 0x01, 0xbb, 0, 0, 0, 0, 0,
            0,
        ];
        let (der, used) = to_der(&ber).unwrap();
        assert_eq!(der, [0x30, 0x06, 0xa0, 0x04, 0x04, 0x02, 0xaa, 0xbb]);
        assert_eq!(used, ber.len());
    }

    #[test]
    fn non_minimal_lengths_take_the_slow_path_and_become_minimal() {
        // SEQUENCE with a long-form length of 6, then a long-form INTEGER length.
        let ber = [0x30, 0x81, 0x07, 0x02, 0x81, 0x01, 0x05, 0x04, 0x01, 0xaa];
        let (der, used) = to_der(&ber).unwrap();
        assert_eq!(der, [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa]);
        assert_eq!(used, ber.len());
        let mut pos = 0;
        assert!(skip_der(&ber, &mut pos, 0).is_none());
    }

    #[test]
    fn an_element_overrunning_its_parent_is_an_error_on_both_paths() {
        // SEQUENCE of length 3 holding an INTEGER of length 2 + 2.
        let bad = [0x30, 0x03, 0x02, 0x02, 0x05, 0x06];
        let mut pos = 0;
        assert!(skip_der(&bad, &mut pos, 0).is_none());
        assert!(to_der(&bad).is_err());
    }

    #[test]
    fn trailing_data_is_reported() {
        assert_eq!(to_der(&[0x05, 0x00, 0x00]).unwrap().1, 2);
    }

    #[test]
    fn missing_end_of_contents_is_an_error() {
        assert!(to_der(&[0x30, 0x80, 0x05, 0x00]).is_err());
    }
}
