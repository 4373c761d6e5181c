//! Which format a file is, from its first bytes (never from its name).

use crate::error::ReadError;
use serde::Serialize;

/// The formats Inkan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// HS008: HL7 CDA R2 XML.
    Hs008,
    /// HS038: FHIR JP_Bundle_eReferral JSON.
    Hs038,
    /// A referral package (zip).
    Package,
}

impl Format {
    /// Human name, Japanese.
    pub fn name_ja(self) -> &'static str {
        match self {
            Format::Hs008 => "HS008 診療情報提供書（HL7 CDA R2 XML）",
            Format::Hs038 => "HS038 診療情報提供書（HL7 FHIR JP_Bundle_eReferral JSON）",
            Format::Package => "紹介状パッケージ（zip）",
        }
    }

    /// Human name, English.
    pub fn name_en(self) -> &'static str {
        match self {
            Format::Hs008 => "HS008 referral letter (HL7 CDA R2 XML)",
            Format::Hs038 => "HS038 referral letter (HL7 FHIR JP_Bundle_eReferral JSON)",
            Format::Package => "referral package (zip)",
        }
    }

    /// The media type a package manifest records.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Hs008 => "application/hl7-cda+xml",
            Format::Hs038 => "application/fhir+json",
            Format::Package => "application/zip",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Hs008 => "xml",
            Format::Hs038 => "json",
            Format::Package => "zip",
        }
    }
}

/// Sniffs the format: a zip local-file header, else the first non-blank
/// character after an optional UTF-8 byte-order mark (`<` XML, `{` JSON).
pub fn detect(bytes: &[u8]) -> Result<Format, ReadError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(Format::Package);
    }
    // UTF-16, by its byte-order mark or by `<`/`{` as a 16-bit unit: an
    // encoding Inkan does not read, said as such (not "unknown format").
    if [
        &b"\xFF\xFE"[..],
        b"\xFE\xFF",
        b"<\0",
        b"\0<",
        b"{\0",
        b"\0{",
    ]
    .iter()
    .any(|p| bytes.starts_with(p))
    {
        return Err(ReadError::Utf16);
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Ok(Format::Hs008),
        Some(b'{') => Ok(Format::Hs038),
        Some(_) => Err(ReadError::UnknownFormat),
        None => Err(ReadError::Empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_sniffed_from_content() {
        assert_eq!(detect(b"\xEF\xBB\xBF <?xml").ok(), Some(Format::Hs008));
        assert_eq!(detect(b"\n {\"resourceType\"").ok(), Some(Format::Hs038));
        assert_eq!(detect(b"PK\x03\x04rest").ok(), Some(Format::Package));
        assert_eq!(detect(b"%PDF-1.7").err(), Some(ReadError::UnknownFormat));
        assert_eq!(detect(b"  ").err(), Some(ReadError::Empty));
    }
}
