//! A minimal DER TLV reader/writer over raw bytes.
//!
//! CMS verification must work on the bytes *as received* (RFC 5652 §5.4: the
//! signature covers the DER of `SignedAttributes` exactly as the signer
//! encoded it), so parsing here never decodes-and-re-encodes: every element is
//! kept as the slice it came from. Only low tag numbers (< 31) are supported,
//! which covers every type CMS, X.509 and ESS use.

/// Why a byte string is not a well-formed DER TLV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlvError(pub(crate) String);

impl std::fmt::Display for TlvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, TlvError> {
    Err(TlvError(msg.into()))
}

/// Universal and context tags used in CMS.
pub(crate) mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[0]` constructed (EXPLICIT, or IMPLICIT of a constructed type).
    pub const CTX0_CONS: u8 = 0xA0;
    /// `[1]` constructed.
    pub const CTX1_CONS: u8 = 0xA1;
    /// `[0]` primitive (IMPLICIT OCTET STRING, e.g. a SubjectKeyIdentifier sid).
    pub const CTX0_PRIM: u8 = 0x80;
}

/// One element: its identifier octet, its full encoding and its contents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub raw: &'a [u8],
    pub value: &'a [u8],
}

/// Reads the DER header at the start of `input`: (tag, header length, content length).
fn header(input: &[u8]) -> Result<(u8, usize, usize), TlvError> {
    let Some(&t) = input.first() else {
        return err("unexpected end of data (tag)");
    };
    if t & 0x1f == 0x1f {
        return err(format!("high tag number form (0x{t:02x}) is not supported"));
    }
    let Some(&l0) = input.get(1) else {
        return err("unexpected end of data (length)");
    };
    if l0 < 0x80 {
        return Ok((t, 2, usize::from(l0)));
    }
    if l0 == 0x80 {
        return err("indefinite length in DER");
    }
    let n = usize::from(l0 & 0x7f);
    if n > 4 {
        return err("length field too long");
    }
    let Some(bytes) = input.get(2..2 + n) else {
        return err("unexpected end of data (long length)");
    };
    if bytes[0] == 0 {
        return err("non-minimal length encoding");
    }
    let len = bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    if len < 0x80 {
        return err("non-minimal length encoding");
    }
    Ok((t, 2 + n, len))
}

/// Splits the first DER TLV off `input`.
pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (tag, hlen, len) = header(input)?;
    let end = hlen
        .checked_add(len)
        .filter(|e| *e <= input.len())
        .ok_or_else(|| TlvError(format!("element 0x{tag:02x} is longer than the data")))?;
    Ok((
        Tlv {
            tag,
            raw: &input[..end],
            value: &input[hlen..end],
        },
        &input[end..],
    ))
}

/// Reads exactly one TLV that fills `input`.
pub(crate) fn read_exact(input: &[u8]) -> Result<Tlv<'_>, TlvError> {
    let (t, rest) = read(input)?;
    if !rest.is_empty() {
        return err(format!("{} bytes of trailing data", rest.len()));
    }
    Ok(t)
}

/// A cursor over a sequence of TLVs (the contents of a SEQUENCE or SET).
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(contents: &'a [u8]) -> Self {
        Reader { rest: contents }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    pub(crate) fn next(&mut self) -> Result<Tlv<'a>, TlvError> {
        let (t, rest) = read(self.rest)?;
        self.rest = rest;
        Ok(t)
    }

    pub(crate) fn expect(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>, TlvError> {
        match self.peek_tag() {
            Some(t) if t == tag => self.next(),
            Some(t) => err(format!("{what}: expected tag 0x{tag:02x}, found 0x{t:02x}")),
            None => err(format!("{what}: missing")),
        }
    }

    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, TlvError> {
        if self.peek_tag() == Some(tag) {
            self.next().map(Some)
        } else {
            Ok(None)
        }
    }

    pub(crate) fn finish(&self, what: &str) -> Result<(), TlvError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            err(format!("{what}: unexpected trailing elements"))
        }
    }

    /// All remaining TLVs.
    pub(crate) fn all(mut self) -> Result<Vec<Tlv<'a>>, TlvError> {
        let mut v = Vec::new();
        while !self.is_empty() {
            v.push(self.next()?);
        }
        Ok(v)
    }
}

/// Encodes a DER length.
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Encodes one TLV with the given contents.
pub(crate) fn encode(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    out.push(tag);
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// Encodes a constructed TLV from already-encoded parts.
pub(crate) fn encode_parts(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    encode(tag, &parts.concat())
}

/// A DER SET OF: elements sorted by their encodings (X.690 §11.6).
pub(crate) fn encode_set_of(mut elements: Vec<Vec<u8>>) -> Vec<u8> {
    elements.sort();
    let refs: Vec<&[u8]> = elements.iter().map(Vec::as_slice).collect();
    encode_parts(tag::SET, &refs)
}
