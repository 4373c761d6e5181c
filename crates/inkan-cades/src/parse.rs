//! Parsing any CMS `ContentInfo(SignedData)` (RFC 5652 §3, §5), BER tolerated.
//!
//! The input is first normalised to DER framing ([`crate::ber`]); every part is
//! then kept as the exact bytes received, in particular `signedAttrs`, whose
//! signature is checked over those bytes (RFC 5652 §5.4).

use der::asn1::ObjectIdentifier;

use crate::error::CadesError;
use crate::tlv::{self, tag, Tlv, TlvError};
use crate::{ber, oids};

/// A parsed `SignedData`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParsedSignedData {
    /// The whole `ContentInfo` as DER (the input itself when it was DER).
    pub der: Vec<u8>,
    /// The input used BER framing (indefinite lengths, chunked strings) and was normalised.
    pub input_was_ber: bool,
    /// `SignedData.version`.
    pub version: u8,
    /// `digestAlgorithms`.
    pub digest_algorithms: Vec<ObjectIdentifier>,
    /// `encapContentInfo.eContentType`.
    pub econtent_type: ObjectIdentifier,
    /// `encapContentInfo.eContent` (`None`: detached signature).
    pub econtent: Option<Vec<u8>>,
    /// The `certificates` that are X.509 certificates (DER); other choices are skipped.
    pub certificates: Vec<Vec<u8>>,
    /// The `crls` that are X.509 CRLs (DER); other revocation formats are skipped.
    pub crls: Vec<Vec<u8>>,
    /// `signerInfos`, in the order received.
    pub signers: Vec<SignerInfoView>,
}

/// `SignerIdentifier` (RFC 5652 §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerId {
    /// `issuerAndSerialNumber`.
    IssuerAndSerialNumber {
        /// The issuer `Name`, DER (TLV).
        issuer: Vec<u8>,
        /// The `serialNumber` INTEGER, DER (TLV).
        serial: Vec<u8>,
    },
    /// `subjectKeyIdentifier [0]`: the key identifier octets.
    SubjectKeyIdentifier(Vec<u8>),
}

impl std::fmt::Display for SignerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
        match self {
            SignerId::IssuerAndSerialNumber { issuer, serial } => {
                let name = <x509_cert::name::Name as der::Decode>::from_der(issuer)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "?".into());
                let serial = tlv::read_exact(serial)
                    .map(|t| hex(t.value))
                    .unwrap_or_default();
                write!(f, "issuer \"{name}\", serial {serial}")
            }
            SignerId::SubjectKeyIdentifier(ski) => write!(f, "subject key identifier {}", hex(ski)),
        }
    }
}

/// One `Attribute` (RFC 5652 §5.3): its type and each value's DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeView {
    /// `attrType`.
    pub oid: ObjectIdentifier,
    /// `attrValues`, each as DER (TLV), in the order received.
    pub values: Vec<Vec<u8>>,
}

/// One `SignerInfo` (RFC 5652 §5.3), with the raw bytes needed for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignerInfoView {
    /// `version` (1 for issuerAndSerialNumber, 3 for subjectKeyIdentifier).
    pub version: u8,
    /// `sid`.
    pub sid: SignerId,
    /// `digestAlgorithm`.
    pub digest_algorithm: ObjectIdentifier,
    /// `signedAttrs` exactly as received, including the `[0] IMPLICIT` tag
    /// (`None`: no signed attributes).
    pub signed_attrs_der: Option<Vec<u8>>,
    /// `signedAttrs` decoded.
    pub signed_attrs: Vec<AttributeView>,
    /// `signatureAlgorithm`.
    pub signature_algorithm: ObjectIdentifier,
    /// `signatureAlgorithm.parameters` as DER, if present.
    pub signature_algorithm_params: Option<Vec<u8>>,
    /// `signature` (the OCTET STRING contents).
    pub signature: Vec<u8>,
    /// `unsignedAttrs` decoded (time-stamps, validation data).
    pub unsigned_attrs: Vec<AttributeView>,
    /// The whole `SignerInfo`, DER.
    pub der: Vec<u8>,
}

impl SignerInfoView {
    /// The values of the signed attribute `oid` (all instances).
    pub fn signed_attr_values(&self, oid: &ObjectIdentifier) -> Vec<&[u8]> {
        attr_values(&self.signed_attrs, oid)
    }

    /// The values of the unsigned attribute `oid` (all instances).
    pub fn unsigned_attr_values(&self, oid: &ObjectIdentifier) -> Vec<&[u8]> {
        attr_values(&self.unsigned_attrs, oid)
    }
}

fn attr_values<'a>(attrs: &'a [AttributeView], oid: &ObjectIdentifier) -> Vec<&'a [u8]> {
    attrs
        .iter()
        .filter(|a| &a.oid == oid)
        .flat_map(|a| a.values.iter().map(Vec::as_slice))
        .collect()
}

fn m(context: &'static str) -> impl Fn(TlvError) -> CadesError {
    move |e| CadesError::malformed(context, e)
}

fn oid(t: &Tlv<'_>, context: &'static str) -> Result<ObjectIdentifier, CadesError> {
    if t.tag != tag::OID {
        return Err(CadesError::malformed(
            context,
            "expected an OBJECT IDENTIFIER",
        ));
    }
    ObjectIdentifier::from_bytes(t.value).map_err(|e| CadesError::malformed(context, e))
}

fn small_int(t: &Tlv<'_>, context: &'static str) -> Result<u8, CadesError> {
    match t.value {
        [v] if *v < 0x80 => Ok(*v),
        _ => Err(CadesError::malformed(context, "unsupported version number")),
    }
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
fn algorithm(
    t: &Tlv<'_>,
    context: &'static str,
) -> Result<(ObjectIdentifier, Option<Vec<u8>>), CadesError> {
    if t.tag != tag::SEQUENCE {
        return Err(CadesError::malformed(
            context,
            "expected an AlgorithmIdentifier",
        ));
    }
    let mut r = tlv::Reader::new(t.value);
    let o = oid(&r.next().map_err(m(context))?, context)?;
    let params = if r.is_empty() {
        None
    } else {
        Some(r.next().map_err(m(context))?.raw.to_vec())
    };
    r.finish(context).map_err(m(context))?;
    Ok((o, params))
}

/// `SET OF Attribute` contents.
fn attributes(contents: &[u8], context: &'static str) -> Result<Vec<AttributeView>, CadesError> {
    let mut out = Vec::new();
    for a in tlv::Reader::new(contents).all().map_err(m(context))? {
        if a.tag != tag::SEQUENCE {
            return Err(CadesError::malformed(
                context,
                "attribute is not a SEQUENCE",
            ));
        }
        let mut r = tlv::Reader::new(a.value);
        let o = oid(&r.next().map_err(m(context))?, context)?;
        let set = r.expect(tag::SET, "attrValues").map_err(m(context))?;
        r.finish(context).map_err(m(context))?;
        let values = tlv::Reader::new(set.value)
            .all()
            .map_err(m(context))?
            .into_iter()
            .map(|v| v.raw.to_vec())
            .collect();
        out.push(AttributeView { oid: o, values });
    }
    Ok(out)
}

fn signer_info(t: &Tlv<'_>) -> Result<SignerInfoView, CadesError> {
    const C: &str = "SignerInfo";
    if t.tag != tag::SEQUENCE {
        return Err(CadesError::malformed(C, "not a SEQUENCE"));
    }
    let mut r = tlv::Reader::new(t.value);
    let version = small_int(&r.expect(tag::INTEGER, "version").map_err(m(C))?, C)?;
    let sid_tlv = r.next().map_err(m(C))?;
    let sid = match sid_tlv.tag {
        tag::SEQUENCE => {
            let mut s = tlv::Reader::new(sid_tlv.value);
            let issuer = s.expect(tag::SEQUENCE, "issuer").map_err(m(C))?;
            let serial = s.expect(tag::INTEGER, "serialNumber").map_err(m(C))?;
            s.finish("issuerAndSerialNumber").map_err(m(C))?;
            SignerId::IssuerAndSerialNumber {
                issuer: issuer.raw.to_vec(),
                serial: serial.raw.to_vec(),
            }
        }
        tag::CTX0_PRIM => SignerId::SubjectKeyIdentifier(sid_tlv.value.to_vec()),
        other => {
            return Err(CadesError::malformed(
                C,
                format!("unknown SignerIdentifier tag 0x{other:02x}"),
            ))
        }
    };
    // RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier.
    let expected = match sid {
        SignerId::IssuerAndSerialNumber { .. } => 1,
        SignerId::SubjectKeyIdentifier(_) => 3,
    };
    if version != expected {
        return Err(CadesError::malformed(
            C,
            format!("version {version} does not match the signer identifier (expected {expected})"),
        ));
    }
    let (digest_algorithm, _) = algorithm(&r.next().map_err(m(C))?, "SignerInfo.digestAlgorithm")?;
    let (signed_attrs_der, signed_attrs) = match r.optional(tag::CTX0_CONS).map_err(m(C))? {
        Some(sa) => (
            Some(sa.raw.to_vec()),
            attributes(sa.value, "SignerInfo.signedAttrs")?,
        ),
        None => (None, Vec::new()),
    };
    let (signature_algorithm, signature_algorithm_params) =
        algorithm(&r.next().map_err(m(C))?, "SignerInfo.signatureAlgorithm")?;
    let signature = r
        .expect(tag::OCTET_STRING, "signature")
        .map_err(m(C))?
        .value
        .to_vec();
    let unsigned_attrs = match r.optional(tag::CTX1_CONS).map_err(m(C))? {
        Some(ua) => attributes(ua.value, "SignerInfo.unsignedAttrs")?,
        None => Vec::new(),
    };
    r.finish(C).map_err(m(C))?;
    Ok(SignerInfoView {
        version,
        sid,
        digest_algorithm,
        signed_attrs_der,
        signed_attrs,
        signature_algorithm,
        signature_algorithm_params,
        signature,
        unsigned_attrs,
        der: t.raw.to_vec(),
    })
}

/// Parses a CMS `ContentInfo` holding a `SignedData` (RFC 5652 §3, §5.1).
///
/// Accepts DER, BER (indefinite lengths, constructed OCTET STRINGs) and PEM
/// (`-----BEGIN PKCS7-----`, `-----BEGIN CMS-----`). Any byte after the
/// `ContentInfo` is rejected ([`CadesError::TrailingData`]).
///
/// ```asn1
/// ContentInfo ::= SEQUENCE {
///     contentType ContentType,                 -- id-signedData
///     content [0] EXPLICIT ANY DEFINED BY contentType }
/// EncapsulatedContentInfo ::= SEQUENCE {
///     eContentType ContentType,
///     eContent [0] EXPLICIT OCTET STRING OPTIONAL }
/// ```
pub fn parse(der_or_ber: &[u8]) -> Result<ParsedSignedData, CadesError> {
    let pem;
    let input = match ber::strip_pem(der_or_ber) {
        Some(decoded) => {
            pem = decoded.map_err(m("PEM"))?;
            &pem[..]
        }
        None => der_or_ber,
    };
    let (der, used) = ber::to_der(input).map_err(m("ContentInfo"))?;
    if used != input.len() {
        return Err(CadesError::TrailingData {
            extra: input.len() - used,
        });
    }
    let input_was_ber = der != input;
    parse_der(der, input_was_ber)
}

fn parse_der(der: Vec<u8>, input_was_ber: bool) -> Result<ParsedSignedData, CadesError> {
    const CI: &str = "ContentInfo";
    const SD: &str = "SignedData";
    let ci = tlv::read_exact(&der).map_err(m(CI))?;
    if ci.tag != tag::SEQUENCE {
        return Err(CadesError::malformed(CI, "not a SEQUENCE"));
    }
    let mut r = tlv::Reader::new(ci.value);
    let content_type = oid(&r.next().map_err(m(CI))?, CI)?;
    if content_type != oids::ID_SIGNED_DATA {
        return Err(CadesError::NotSignedData {
            content_type: content_type.to_string(),
        });
    }
    let content = r.expect(tag::CTX0_CONS, "content").map_err(m(CI))?;
    r.finish(CI).map_err(m(CI))?;
    let sd = tlv::read_exact(content.value).map_err(m(SD))?;
    if sd.tag != tag::SEQUENCE {
        return Err(CadesError::malformed(SD, "not a SEQUENCE"));
    }
    let mut r = tlv::Reader::new(sd.value);
    let version = small_int(&r.expect(tag::INTEGER, "version").map_err(m(SD))?, SD)?;
    // RFC 5652 §5.1: v1, v3, v4 or v5 (v2 is not defined for SignedData).
    if !matches!(version, 1 | 3 | 4 | 5) {
        return Err(CadesError::malformed(
            SD,
            format!("invalid version {version}"),
        ));
    }
    let digest_algorithms =
        tlv::Reader::new(r.expect(tag::SET, "digestAlgorithms").map_err(m(SD))?.value)
            .all()
            .map_err(m(SD))?
            .iter()
            .map(|a| algorithm(a, "SignedData.digestAlgorithms").map(|(o, _)| o))
            .collect::<Result<Vec<_>, _>>()?;

    let encap = r.expect(tag::SEQUENCE, "encapContentInfo").map_err(m(SD))?;
    let mut e = tlv::Reader::new(encap.value);
    let econtent_type = oid(
        &e.next().map_err(m("encapContentInfo"))?,
        "encapContentInfo",
    )?;
    let econtent = match e.optional(tag::CTX0_CONS).map_err(m("encapContentInfo"))? {
        Some(ec) => {
            let os = tlv::read_exact(ec.value).map_err(m("eContent"))?;
            if os.tag != tag::OCTET_STRING {
                return Err(CadesError::malformed("eContent", "not an OCTET STRING"));
            }
            Some(os.value.to_vec())
        }
        None => None,
    };
    e.finish("encapContentInfo")
        .map_err(m("encapContentInfo"))?;

    let certificates = match r.optional(tag::CTX0_CONS).map_err(m(SD))? {
        Some(c) => tlv::Reader::new(c.value)
            .all()
            .map_err(m("certificates"))?
            .into_iter()
            .filter(|c| c.tag == tag::SEQUENCE)
            .map(|c| c.raw.to_vec())
            .collect(),
        None => Vec::new(),
    };
    let crls = match r.optional(tag::CTX1_CONS).map_err(m(SD))? {
        Some(c) => tlv::Reader::new(c.value)
            .all()
            .map_err(m("crls"))?
            .into_iter()
            .filter(|c| c.tag == tag::SEQUENCE)
            .map(|c| c.raw.to_vec())
            .collect(),
        None => Vec::new(),
    };
    let signer_infos = r.expect(tag::SET, "signerInfos").map_err(m(SD))?;
    r.finish(SD).map_err(m(SD))?;
    let signers = tlv::Reader::new(signer_infos.value)
        .all()
        .map_err(m("signerInfos"))?
        .iter()
        .map(signer_info)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ParsedSignedData {
        der: der.clone(),
        input_was_ber,
        version,
        digest_algorithms,
        econtent_type,
        econtent,
        certificates,
        crls,
        signers,
    })
}
