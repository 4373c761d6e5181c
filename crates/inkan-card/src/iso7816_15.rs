//! ISO/IEC 7816-15 (PKCS#15-like) directory files as HPKI cards carry them
//! (JAHIS HPKI対応ICカードガイドライン, Annex B): EF.OD, EF.AOD, EF.PrKD, EF.CD.
//!
//! Only what Inkan needs is extracted: where the PIN, the signing key and the
//! certificates are. The parser is a small BER-TLV reader that tolerates the
//! padding (`00`/`FF`) that follows the objects in fixed-size files.

use crate::error::CardError;

/// One BER-TLV element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag bytes as an integer (`0x30`, `0xA1`, `0x9F21`, …).
    pub tag: u32,
    /// The value.
    pub value: &'a [u8],
}

/// Parses consecutive TLVs, stopping at padding (`00` or `FF` where a tag would start).
pub fn parse_tlvs(mut data: &[u8]) -> Result<Vec<Tlv<'_>>, String> {
    let mut out = Vec::new();
    while let Some(&first) = data.first() {
        if first == 0x00 || first == 0xFF {
            break;
        }
        let (tlv, rest) = parse_one(data)?;
        out.push(tlv);
        data = rest;
    }
    Ok(out)
}

fn parse_one(data: &[u8]) -> Result<(Tlv<'_>, &[u8]), String> {
    let mut i = 0usize;
    let first = *data.get(i).ok_or("truncated tag")?;
    let mut tag = u32::from(first);
    i += 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *data.get(i).ok_or("truncated multi-byte tag")?;
            i += 1;
            if tag > 0x00FF_FFFF {
                return Err("tag too long".into());
            }
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let l0 = *data.get(i).ok_or("truncated length")?;
    i += 1;
    let len = if l0 < 0x80 {
        usize::from(l0)
    } else {
        let n = usize::from(l0 & 0x7F);
        if n == 0 || n > 3 {
            return Err(format!("unsupported length form {l0:02X}"));
        }
        let bytes = data.get(i..i + n).ok_or("truncated long length")?;
        i += n;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let value = data
        .get(i..i + len)
        .ok_or_else(|| format!("value of tag {tag:X} runs past the end ({len} bytes)"))?;
    Ok((Tlv { tag, value }, data.get(i + len..).unwrap_or_default()))
}

fn children(v: &[u8]) -> Result<Vec<Tlv<'_>>, String> {
    let mut out = Vec::new();
    let mut data = v;
    while !data.is_empty() {
        let (t, rest) = parse_one(data)?;
        out.push(t);
        data = rest;
    }
    Ok(out)
}

fn child<'a>(tlvs: &[Tlv<'a>], tag: u32) -> Option<Tlv<'a>> {
    tlvs.iter().copied().find(|t| t.tag == tag)
}

/// Where an elementary file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum FileRef {
    /// A short EF identifier (1–30), used with READ BINARY P1 = `80 | SFI`.
    Sfi(u8),
    /// A file identifier, selected with `SELECT 00 A4 02 0C 02 <FID>`.
    Fid(u16),
}

impl FileRef {
    /// Reads a 7816-15 `Path.efidOrPath`: one byte is `SFI << 3` (JAHIS),
    /// two or more bytes end with the file identifier.
    pub fn from_path(efid_or_path: &[u8]) -> Option<FileRef> {
        match efid_or_path {
            [b] if b >> 3 != 0 => Some(FileRef::Sfi(b >> 3)),
            [.., hi, lo] => Some(FileRef::Fid(u16::from_be_bytes([*hi, *lo]))),
            _ => None,
        }
    }

    /// The 2-byte file identifier (an SFI `n` is file `00 n`, as in JAHIS's
    /// `MSE SET … 81 02 00 17` for the key in SFI 17).
    pub fn fid(self) -> u16 {
        match self {
            FileRef::Sfi(s) => u16::from(s),
            FileRef::Fid(f) => f,
        }
    }
}

/// Reads the `Path` inside a `SEQUENCE { efidOrPath OCTET STRING, … }`.
fn path_of(seq_value: &[u8]) -> Result<FileRef, String> {
    let kids = children(seq_value)?;
    let p = child(&kids, 0x04).ok_or("Path without efidOrPath")?;
    FileRef::from_path(p.value).ok_or_else(|| format!("unusable path {:02X?}", p.value))
}

/// EF.OD: where the other directory files are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectDirectory {
    /// EF.PrKD (`privateKeys [0]`).
    pub prkd: Option<FileRef>,
    /// EF.CD (`certificates [4]`).
    pub cd: Option<FileRef>,
    /// EF.AOD (`authObjects [8]`).
    pub aod: Option<FileRef>,
}

fn dir_err(file: &'static str) -> impl Fn(String) -> CardError {
    move |detail| CardError::Directory { file, detail }
}

/// Parses EF.OD.
pub fn parse_od(data: &[u8]) -> Result<ObjectDirectory, CardError> {
    let e = dir_err("EF.OD");
    let mut od = ObjectDirectory::default();
    for t in parse_tlvs(data).map_err(&e)? {
        let inner = children(t.value).map_err(&e)?;
        // PathOrObjects: the path variant is a SEQUENCE.
        let Some(seq) = child(&inner, 0x30) else {
            continue;
        };
        let path = path_of(seq.value).map_err(&e)?;
        match t.tag {
            0xA0 => od.prkd = Some(path),
            0xA4 => od.cd = Some(path),
            0xA8 => od.aod = Some(path),
            _ => {}
        }
    }
    Ok(od)
}

/// A PIN object from EF.AOD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinObject {
    /// `pwdReference`: the P2 of VERIFY.
    pub reference: u8,
    /// `minLength`.
    pub min_len: usize,
    /// `maxLength` (or `storedLength` when absent).
    pub max_len: usize,
    /// `authId`.
    pub auth_id: Vec<u8>,
}

fn int_value(v: &[u8]) -> usize {
    v.iter()
        .take(4)
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
}

/// Parses EF.AOD and returns its password objects.
pub fn parse_aod(data: &[u8]) -> Result<Vec<PinObject>, CardError> {
    let e = dir_err("EF.AOD");
    let mut pins = Vec::new();
    for obj in parse_tlvs(data).map_err(&e)? {
        if obj.tag != 0x30 {
            continue;
        }
        let parts = children(obj.value).map_err(&e)?;
        let auth_id = parts
            .iter()
            .filter(|t| t.tag == 0x30)
            .nth(1)
            .and_then(|c| children(c.value).ok())
            .and_then(|k| child(&k, 0x04).map(|t| t.value.to_vec()))
            .unwrap_or_default();
        let Some(type_attrs) = child(&parts, 0xA1) else {
            continue;
        };
        let inner = children(type_attrs.value).map_err(&e)?;
        let attrs = child(&inner, 0x30).ok_or_else(|| e("PasswordAttributes missing".into()))?;
        let fields = children(attrs.value).map_err(&e)?;
        let ints: Vec<usize> = fields
            .iter()
            .filter(|t| t.tag == 0x02)
            .map(|t| int_value(t.value))
            .collect();
        let reference = child(&fields, 0x80)
            .and_then(|t| t.value.last().copied())
            .ok_or_else(|| e("pwdReference missing".into()))?;
        let min_len = *ints.first().ok_or_else(|| e("minLength missing".into()))?;
        let stored = ints.get(1).copied().unwrap_or(min_len);
        let max_len = ints.get(2).copied().unwrap_or(stored);
        pins.push(PinObject {
            reference,
            min_len,
            max_len,
            auth_id,
        });
    }
    Ok(pins)
}

/// A private key from EF.PrKD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyObject {
    /// `label`.
    pub label: String,
    /// `iD` (shared with the matching certificate).
    pub id: Vec<u8>,
    /// `usage` includes nonRepudiation (bit 6 of KeyUsageFlags).
    pub non_repudiation: bool,
    /// Where the key is.
    pub path: FileRef,
    /// `modulusLength`.
    pub modulus_bits: usize,
    /// `authId` of CommonObjectAttributes: the PIN object (EF.AOD) that
    /// guards this key.
    pub auth_id: Option<Vec<u8>>,
}

fn label_of(common_object_attrs: Option<Tlv<'_>>) -> String {
    common_object_attrs
        .and_then(|c| children(c.value).ok())
        .and_then(|k| child(&k, 0x0C))
        .map(|t| String::from_utf8_lossy(t.value).into_owned())
        .unwrap_or_default()
}

fn bit_set(bit_string: &[u8], bit: usize) -> bool {
    // BIT STRING value: first byte = unused bits, then bits MSB first.
    bit_string
        .get(1 + bit / 8)
        .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
}

/// One CIO object (ISO/IEC 7816-15 §8): `SEQUENCE { CommonObjectAttributes,
/// Common<Class>Attributes, …, typeAttributes [1] { SEQUENCE { path Path, … } } }`,
/// the shape shared by private keys and certificates.
struct CioObject<'a> {
    label: String,
    /// `authId` of CommonObjectAttributes (OCTET STRING), when present.
    auth_id: Option<Vec<u8>>,
    /// The fields of `Common<Class>Attributes` (CommonKeyAttributes, CommonCertificateAttributes).
    class_attrs: Vec<Tlv<'a>>,
    /// The fields of the type-specific attributes SEQUENCE inside `[1]`.
    type_fields: Vec<Tlv<'a>>,
    /// Their `value`/`path`.
    path: FileRef,
}

fn cio_object<'a>(
    obj: Tlv<'a>,
    class: &str,
    kind: &str,
    e: &dyn Fn(String) -> CardError,
) -> Result<CioObject<'a>, CardError> {
    let parts = children(obj.value).map_err(e)?;
    let seqs: Vec<Tlv<'_>> = parts.iter().copied().filter(|t| t.tag == 0x30).collect();
    let label = label_of(seqs.first().copied());
    let auth_id = seqs
        .first()
        .and_then(|c| children(c.value).ok())
        .and_then(|k| child(&k, 0x04).map(|t| t.value.to_vec()));
    let class_attrs = children(
        seqs.get(1)
            .ok_or_else(|| e(format!("{class} missing")))?
            .value,
    )
    .map_err(e)?;
    let type_attrs = child(&parts, 0xA1).ok_or_else(|| e(format!("{kind} missing")))?;
    let inner = children(type_attrs.value).map_err(e)?;
    let attrs = child(&inner, 0x30).ok_or_else(|| e(format!("{kind} missing")))?;
    let type_fields = children(attrs.value).map_err(e)?;
    let path_seq = child(&type_fields, 0x30).ok_or_else(|| e(format!("{kind} path missing")))?;
    let path = path_of(path_seq.value).map_err(e)?;
    Ok(CioObject {
        label,
        auth_id,
        class_attrs,
        type_fields,
        path,
    })
}

/// Parses EF.PrKD.
pub fn parse_prkd(data: &[u8]) -> Result<Vec<KeyObject>, CardError> {
    let e = dir_err("EF.PrKD");
    let mut keys = Vec::new();
    for obj in parse_tlvs(data).map_err(&e)? {
        // privateRSAKey is a SEQUENCE; other key types are skipped.
        if obj.tag != 0x30 {
            continue;
        }
        let o = cio_object(obj, "CommonKeyAttributes", "PrivateRSAKeyAttributes", &e)?;
        let id = child(&o.class_attrs, 0x04)
            .map(|t| t.value.to_vec())
            .ok_or_else(|| e("key iD missing".into()))?;
        let usage = child(&o.class_attrs, 0x03)
            .map(|t| t.value)
            .unwrap_or_default();
        // KeyUsageFlags: encrypt(0) decrypt(1) sign(2) signRecover(3) wrap(4)
        // unwrap(5) verify(6) verifyRecover(7) derive(8) nonRepudiation(9).
        let non_repudiation = bit_set(usage, 9);
        let modulus_bits = child(&o.type_fields, 0x02)
            .map(|t| int_value(t.value))
            .unwrap_or(0);
        keys.push(KeyObject {
            label: o.label,
            id,
            non_repudiation,
            path: o.path,
            modulus_bits,
            auth_id: o.auth_id,
        });
    }
    Ok(keys)
}

/// A certificate from EF.CD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertObject {
    /// `label` ("HPKI END ENTITY CERTIFICATE", …).
    pub label: String,
    /// `iD`.
    pub id: Vec<u8>,
    /// `authority`: a CA certificate.
    pub authority: bool,
    /// Where the certificate is.
    pub path: FileRef,
}

/// Parses EF.CD.
pub fn parse_cd(data: &[u8]) -> Result<Vec<CertObject>, CardError> {
    let e = dir_err("EF.CD");
    let mut certs = Vec::new();
    for obj in parse_tlvs(data).map_err(&e)? {
        if obj.tag != 0x30 {
            continue;
        }
        let o = cio_object(
            obj,
            "CommonCertificateAttributes",
            "X509CertificateAttributes",
            &e,
        )?;
        let id = child(&o.class_attrs, 0x04)
            .map(|t| t.value.to_vec())
            .unwrap_or_default();
        let authority =
            child(&o.class_attrs, 0x01).is_some_and(|t| t.value.first().is_some_and(|b| *b != 0));
        certs.push(CertObject {
            label: o.label,
            id,
            authority,
            path: o.path,
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EF.OD as JAHIS Annex B lays it out: authObjects -> `98`, privateKeys ->
    /// `A0`, certificates -> `A8`, padded with zeros.
    const JAHIS_OD: [u8; 21] = [
        0xA8, 0x05, 0x30, 0x03, 0x04, 0x01, 0x98, // authObjects -> SFI 13
        0xA0, 0x05, 0x30, 0x03, 0x04, 0x01, 0xA0, // privateKeys -> SFI 14
        0xA4, 0x05, 0x30, 0x03, 0x04, 0x01, 0xA8, // certificates -> SFI 15
    ];

    #[test]
    fn jahis_od_points_at_sfi_13_14_15() {
        let mut padded = JAHIS_OD.to_vec();
        padded.extend_from_slice(&[0; 11]);
        let od = parse_od(&padded).expect("parses");
        assert_eq!(od.aod, Some(FileRef::Sfi(0x13)));
        assert_eq!(od.prkd, Some(FileRef::Sfi(0x14)));
        assert_eq!(od.cd, Some(FileRef::Sfi(0x15)));
    }

    #[test]
    fn efid_bytes_are_sfi_shifted_by_three() {
        for (b, sfi) in [
            (0x98, 0x13),
            (0xA0, 0x14),
            (0xA8, 0x15),
            (0xB8, 0x17),
            (0xC0, 0x18),
            (0xC8, 0x19),
            (0xD0, 0x1A),
            (0xD8, 0x1B),
        ] {
            assert_eq!(FileRef::from_path(&[b]), Some(FileRef::Sfi(sfi)));
        }
        assert_eq!(
            FileRef::from_path(&[0x3F, 0x00, 0x00, 0x16]),
            Some(FileRef::Fid(0x0016))
        );
        assert_eq!(FileRef::from_path(&[]), None);
    }

    #[test]
    fn aod_gives_pwd_reference_96() {
        // pwd { CommonObjectAttributes{label "PIN", flags}, CommonAuthenticationObjectAttributes{authId 16},
        //       [1]{ PasswordAttributes{ pwdFlags, pwdType utf8, min 4, stored 16, max 16, [0] 96 } } }
        let aod = [
            0x30, 0x2B, 0x30, 0x09, 0x0C, 0x03, b'P', b'I', b'N', 0x03, 0x02, 0x06, 0x40, 0x30,
            0x03, 0x04, 0x01, 0x16, 0xA1, 0x19, 0x30, 0x17, 0x03, 0x02, 0x02, 0xC4, 0x0A, 0x01,
            0x02, 0x02, 0x01, 0x04, 0x02, 0x01, 0x10, 0x02, 0x01, 0x10, 0x80, 0x02, 0x00, 0x96,
            0x04, 0x01, 0xFF, 0x00,
        ];
        let pins = parse_aod(&aod).expect("parses");
        assert_eq!(pins.len(), 1);
        assert_eq!(pins[0].reference, 0x96);
        assert_eq!(pins[0].min_len, 4);
        assert_eq!(pins[0].max_len, 16);
        assert_eq!(pins[0].auth_id, [0x16]);
    }

    #[test]
    fn truncated_and_garbage_directories_are_errors_not_panics() {
        for len in 0..JAHIS_OD.len() {
            let _ = parse_od(&JAHIS_OD[..len]);
        }
        assert!(parse_od(&[0xA0, 0x05, 0x30]).is_err());
        assert!(parse_od(&[0xA0, 0x85, 0x30]).is_err());
        assert!(parse_prkd(&[0x30, 0x00]).is_err());
        assert!(parse_cd(&[0x30, 0x02, 0x30, 0x00]).is_err());
        for b in 0u8..=255 {
            let _ = parse_aod(&[0x30, 0x03, b, 0x01, b]);
            let _ = parse_prkd(&[0x30, 0x04, 0x30, 0x02, b, 0x00]);
        }
    }
}
