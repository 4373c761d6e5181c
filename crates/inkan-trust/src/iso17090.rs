//! ISO 17090 healthcare actor roles (hcRole) as HPKI certificates carry them
//! in subjectDirectoryAttributes (RFC 5280 §4.2.1.8).
//!
//! ```text
//! SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute
//! Attribute ::= SEQUENCE { type OBJECT IDENTIFIER,      -- 1.0.17090.0.1 id-hcpki-at-healthcareactor
//!                          values SET { HCActorData } }  -- HCActorData ::= SET OF HCActor
//! HCActor   ::= SEQUENCE { codedData [0] EXPLICIT CodedData, regionalHCActorData [1] … OPTIONAL }
//! CodedData ::= SET { codingSchemeReference [0] EXPLICIT OBJECT IDENTIFIER,   -- 1.2.392.100495.1.6.1.1
//!                     codeDataValue        [1] EXPLICIT NumericString OPTIONAL,
//!                     codeDataFreeText     [2] EXPLICIT DirectoryString }      -- "Medical Doctor"
//! ```
//! Unknown role strings are kept verbatim: the list of qualifications is long
//! and issuers add roles.

use serde::Serialize;

/// OID of subjectDirectoryAttributes.
pub const SUBJECT_DIRECTORY_ATTRIBUTES: &str = "2.5.29.9";
/// DER of OID 1.0.17090.0.1 (id-hcpki-at-healthcareactor), content octets.
const HC_ACTOR_OID: [u8; 6] = [0x28, 0x81, 0x85, 0x42, 0x00, 0x01];

/// A parsed hcRole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HcRole {
    /// The role as the certificate states it (`Medical Doctor`).
    pub text: String,
    /// The Japanese qualification name when the role is known (`医師`).
    pub ja: Option<&'static str>,
}

impl HcRole {
    /// The name to show: Japanese when known, else the certificate's text.
    pub fn display_ja(&self) -> &str {
        self.ja.unwrap_or(&self.text)
    }

    /// Whether the role is a physician (医師) or a dentist (歯科医師), the
    /// qualifications that may sign a referral letter.
    pub fn may_sign_referral(&self) -> bool {
        matches!(self.text.as_str(), "Medical Doctor" | "Dentist")
    }
}

/// Japanese names of the roles seen in, or expected from, HPKI certificates.
const ROLES: [(&str, &str); 30] = [
    ("Medical Doctor", "医師"),
    ("Dentist", "歯科医師"),
    ("Pharmacist", "薬剤師"),
    ("Nurse", "看護師"),
    ("Assistant Nurse", "准看護師"),
    ("Midwife", "助産師"),
    ("Public Health Nurse", "保健師"),
    ("Clinical Laboratory Technician", "臨床検査技師"),
    ("Radiological Technologist", "診療放射線技師"),
    ("Physical Therapist", "理学療法士"),
    ("Occupational Therapist", "作業療法士"),
    ("Orthoptist", "視能訓練士"),
    ("Speech Therapist", "言語聴覚士"),
    ("Clinical Engineer", "臨床工学技士"),
    ("Prosthetist and Orthotist", "義肢装具士"),
    ("Emergency Life-Saving Technician", "救急救命士"),
    ("Dental Hygienist", "歯科衛生士"),
    ("Dental Technician", "歯科技工士"),
    ("Registered Dietitian", "管理栄養士"),
    ("Dietitian", "栄養士"),
    ("Certified Social Worker", "社会福祉士"),
    ("Certified Care Worker", "介護福祉士"),
    ("Psychiatric Social Worker", "精神保健福祉士"),
    ("Judo Therapist", "柔道整復師"),
    ("Acupuncturist", "はり師"),
    ("Moxibutionist", "きゅう師"),
    ("Massage Therapist", "あん摩マッサージ指圧師"),
    ("Certified Public Psychologist", "公認心理師"),
    ("Director of Hospital", "病院管理者"),
    ("Director of Clinic", "診療所管理者"),
];

/// The Japanese name of a role text, if known.
pub fn japanese_name(role: &str) -> Option<&'static str> {
    ROLES.iter().find(|(en, _)| *en == role).map(|(_, ja)| *ja)
}

/// Why an hcRole could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HcRoleError {
    /// The extension's DER does not have the ISO 17090 shape.
    #[error("malformed hcRole (subjectDirectoryAttributes): {0}")]
    Malformed(String),
    /// The extension holds no healthcare-actor attribute.
    #[error("subjectDirectoryAttributes has no hcRole attribute")]
    Absent,
}

struct Der<'a> {
    tag: u8,
    value: &'a [u8],
}

fn one(data: &[u8]) -> Result<(Der<'_>, &[u8]), HcRoleError> {
    let bad = |m: &str| HcRoleError::Malformed(m.to_string());
    let tag = *data.first().ok_or_else(|| bad("truncated"))?;
    let l0 = *data.get(1).ok_or_else(|| bad("truncated length"))?;
    let (len, hdr) = match l0 {
        0..=0x7F => (usize::from(l0), 2),
        0x81 => (
            usize::from(*data.get(2).ok_or_else(|| bad("truncated length"))?),
            3,
        ),
        0x82 => {
            let b = data.get(2..4).ok_or_else(|| bad("truncated length"))?;
            (usize::from(u16::from_be_bytes([b[0], b[1]])), 4)
        }
        _ => return Err(bad("unsupported length")),
    };
    let value = data
        .get(hdr..hdr + len)
        .ok_or_else(|| bad("value runs past the end"))?;
    Ok((
        Der { tag, value },
        data.get(hdr + len..).unwrap_or_default(),
    ))
}

fn expect<'a>(data: &'a [u8], tag: u8, what: &str) -> Result<(Der<'a>, usize), HcRoleError> {
    let (d, rest) = one(data)?;
    if d.tag != tag {
        return Err(HcRoleError::Malformed(format!(
            "{what}: tag {:02X}, expected {tag:02X}",
            d.tag
        )));
    }
    Ok((d, data.len() - rest.len()))
}

/// Parses the extnValue (the OCTET STRING contents) of subjectDirectoryAttributes.
pub fn parse_hc_role(extn_value: &[u8]) -> Result<HcRole, HcRoleError> {
    let (outer, used) = expect(extn_value, 0x30, "SubjectDirectoryAttributes")?;
    if used != extn_value.len() {
        return Err(HcRoleError::Malformed("trailing data".into()));
    }
    let mut attrs = outer.value;
    while !attrs.is_empty() {
        let (attr, rest) = one(attrs)?;
        attrs = rest;
        if attr.tag != 0x30 {
            return Err(HcRoleError::Malformed("Attribute is not a SEQUENCE".into()));
        }
        let (oid, n) = expect(attr.value, 0x06, "Attribute.type")?;
        if oid.value != HC_ACTOR_OID {
            continue;
        }
        let (values, _) = expect(
            attr.value.get(n..).unwrap_or_default(),
            0x31,
            "Attribute.values",
        )?;
        // values ::= SET { HCActorData }, HCActorData ::= SET OF HCActor.
        let (actors, _) = expect(values.value, 0x31, "HCActorData")?;
        let (actor, _) = expect(actors.value, 0x30, "HCActor")?;
        let (coded, _) = expect(actor.value, 0xA0, "HCActor.codedData")?;
        let (set, _) = expect(coded.value, 0x31, "CodedData")?;
        let mut fields = set.value;
        while !fields.is_empty() {
            let (f, rest) = one(fields)?;
            fields = rest;
            if f.tag == 0xA2 {
                let (s, _) = one(f.value)?;
                let text = match s.tag {
                    // UTF8String, PrintableString, IA5String, TeletexString
                    0x0C | 0x13 | 0x16 | 0x14 => String::from_utf8(s.value.to_vec())
                        .map_err(|_| HcRoleError::Malformed("role text is not UTF-8".into()))?,
                    // BMPString
                    0x1E => {
                        let units: Vec<u16> = s
                            .value
                            .chunks_exact(2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]))
                            .collect();
                        String::from_utf16(&units)
                            .map_err(|_| HcRoleError::Malformed("bad BMPString".into()))?
                    }
                    t => {
                        return Err(HcRoleError::Malformed(format!(
                            "codeDataFreeText has string tag {t:02X}"
                        )))
                    }
                };
                let text = text.trim().to_string();
                if text.is_empty() {
                    return Err(HcRoleError::Malformed("empty role text".into()));
                }
                return Ok(HcRole {
                    ja: japanese_name(&text),
                    text: crate::holder::escape_display(&text),
                });
            }
        }
        return Err(HcRoleError::Malformed(
            "CodedData has no codeDataFreeText".into(),
        ));
    }
    Err(HcRoleError::Absent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact extnValue of a physician certificate, as decoded from production
    /// HPKI certificates (MHLW 署名用証明書ポリシ 1.91, ISO 17090-3).
    fn physician() -> Vec<u8> {
        let mut v = vec![
            0x30, 0x34, 0x30, 0x32, 0x06, 0x06, 0x28, 0x81, 0x85, 0x42, 0x00, 0x01, 0x31, 0x28,
            0x31, 0x26, 0x30, 0x24, 0xa0, 0x22, 0x31, 0x20, 0xa0, 0x0c, 0x06, 0x0a, 0x2a, 0x83,
            0x08, 0x86, 0x91, 0x0f, 0x01, 0x06, 0x01, 0x01, 0xa2, 0x10, 0x0c, 0x0e,
        ];
        v.extend_from_slice(b"Medical Doctor");
        v
    }

    #[test]
    fn physician_role_from_the_documented_bytes() {
        let role = parse_hc_role(&physician()).expect("documented physician hcRole parses");
        assert_eq!(role.text, "Medical Doctor");
        assert_eq!(role.ja, Some("医師"));
        assert!(role.may_sign_referral());
    }

    #[test]
    fn unknown_roles_are_kept_verbatim() {
        assert_eq!(japanese_name("Space Surgeon"), None);
        let r = HcRole {
            text: "Space Surgeon".into(),
            ja: None,
        };
        assert_eq!(r.display_ja(), "Space Surgeon");
        assert!(!r.may_sign_referral());
    }

    #[test]
    fn truncations_are_errors_not_panics() {
        let v = physician();
        for n in 0..v.len() {
            assert!(parse_hc_role(&v[..n]).is_err());
        }
        let mut flipped = v.clone();
        for i in 0..v.len() {
            flipped[i] ^= 0xFF;
            let _ = parse_hc_role(&flipped);
            flipped[i] ^= 0xFF;
        }
    }
}
