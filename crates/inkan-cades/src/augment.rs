//! Adding unsigned attributes to an existing signature (CAdES-T and later
//! levels, EN 319 122-1 §5.3–§5.5) without touching what is signed.
//!
//! The new attribute is spliced into the SignerInfo's `unsignedAttrs`
//! (`[1] IMPLICIT SET OF Attribute`, RFC 5652 §5.3); every other element of
//! the signature keeps its bytes, and only the lengths of the elements that
//! enclose the change are written again. An archive time-stamp covers
//! earlier elements by their exact encoding, so nothing already there may be
//! re-encoded.

use der::asn1::ObjectIdentifier;

use crate::tlv::{self, tag};
use crate::CadesError;

fn malformed(what: &'static str) -> impl Fn(tlv::TlvError) -> CadesError {
    move |e| CadesError::malformed(what, e)
}

/// The parts of a DER ContentInfo(SignedData): the contentType's encoding
/// and the SignedData's fields, each with its exact bytes.
fn signed_data_fields(signature: &[u8]) -> Result<(&[u8], Vec<tlv::Tlv<'_>>), CadesError> {
    let ci = tlv::read_exact(signature).map_err(malformed("ContentInfo"))?;
    let mut r = tlv::Reader::new(ci.value);
    let ct = r
        .expect(tag::OID, "contentType")
        .map_err(malformed("ContentInfo"))?;
    let explicit = r
        .expect(tag::CTX0_CONS, "content")
        .map_err(malformed("ContentInfo"))?;
    r.finish("ContentInfo").map_err(malformed("ContentInfo"))?;
    let sd = tlv::read_exact(explicit.value).map_err(malformed("SignedData"))?;
    if sd.tag != tag::SEQUENCE {
        return Err(CadesError::malformed("SignedData", "not a SEQUENCE"));
    }
    let fields = tlv::Reader::new(sd.value)
        .all()
        .map_err(malformed("SignedData"))?;
    Ok((ct.raw, fields))
}

/// `signature` (a DER ContentInfo(SignedData)) with the attribute
/// `attr_type` = { `value_der` } added to the unsigned attributes of
/// SignerInfo `signer_index`. BER input is refused: it would have to be
/// re-encoded, which breaks what later time-stamps cover.
pub fn add_unsigned_attribute(
    signature: &[u8],
    signer_index: usize,
    attr_type: &ObjectIdentifier,
    value_der: &[u8],
) -> Result<Vec<u8>, CadesError> {
    let (ct_raw, fields) = signed_data_fields(signature)?;
    let Some((signer_infos, before)) = fields.split_last() else {
        return Err(CadesError::malformed("SignedData", "empty"));
    };
    if signer_infos.tag != tag::SET {
        return Err(CadesError::malformed(
            "SignedData",
            "signerInfos is not a SET",
        ));
    }
    let signers = tlv::Reader::new(signer_infos.value)
        .all()
        .map_err(malformed("signerInfos"))?;
    let Some(target) = signers.get(signer_index) else {
        return Err(CadesError::NoSuchSigner {
            index: signer_index,
        });
    };
    let si_fields = tlv::Reader::new(target.value)
        .all()
        .map_err(malformed("SignerInfo"))?;
    let attribute = tlv::encode_parts(
        tag::SEQUENCE,
        &[
            &tlv::encode(tag::OID, attr_type.as_bytes()),
            &tlv::encode(tag::SET, value_der),
        ],
    );
    let mut parts: Vec<Vec<u8>> = si_fields.iter().map(|t| t.raw.to_vec()).collect();
    match si_fields.last() {
        Some(last) if last.tag == tag::CTX1_CONS => {
            // Appended after the existing attributes, whose bytes stay.
            let mut inner = last.value.to_vec();
            inner.extend_from_slice(&attribute);
            if let Some(p) = parts.last_mut() {
                *p = tlv::encode(tag::CTX1_CONS, &inner);
            }
        }
        _ => parts.push(tlv::encode(tag::CTX1_CONS, &attribute)),
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let new_si = tlv::encode_parts(tag::SEQUENCE, &refs);
    // The other SignerInfos keep their place and bytes.
    let mut set_body = Vec::new();
    for (i, s) in signers.iter().enumerate() {
        if i == signer_index {
            set_body.extend_from_slice(&new_si);
        } else {
            set_body.extend_from_slice(s.raw);
        }
    }
    let mut sd_body = Vec::new();
    for f in before {
        sd_body.extend_from_slice(f.raw);
    }
    sd_body.extend_from_slice(&tlv::encode(tag::SET, &set_body));
    let sd_new = tlv::encode(tag::SEQUENCE, &sd_body);
    Ok(tlv::encode_parts(
        tag::SEQUENCE,
        &[ct_raw, &tlv::encode(tag::CTX0_CONS, &sd_new)],
    ))
}

/// A detached signature made attached: `signature` (a DER
/// ContentInfo(SignedData) without eContent) with `content` placed in
/// `encapContentInfo.eContent` (`[0] EXPLICIT OCTET STRING`, RFC 5652
/// §5.2). With signed attributes the signature value covers only them (the
/// message-digest among them binds the content), so it stays valid; every
/// other element keeps its bytes. For carriers that re-serialise the
/// document (a FHIR server stores JSON as it likes): the exact signed bytes
/// travel inside the signature. Refused when eContent is already present.
pub fn encapsulate_content(signature: &[u8], content: &[u8]) -> Result<Vec<u8>, CadesError> {
    let (ct_raw, fields) = signed_data_fields(signature)?;
    let Some(eci) = fields.get(2).filter(|f| f.tag == tag::SEQUENCE) else {
        return Err(CadesError::malformed("SignedData", "no encapContentInfo"));
    };
    let eci_fields = tlv::Reader::new(eci.value)
        .all()
        .map_err(malformed("encapContentInfo"))?;
    let [ectype] = eci_fields.as_slice() else {
        return Err(CadesError::malformed(
            "encapContentInfo",
            "the signature already carries its content",
        ));
    };
    if ectype.tag != tag::OID {
        return Err(CadesError::malformed("encapContentInfo", "eContentType"));
    }
    let new_eci = tlv::encode_parts(
        tag::SEQUENCE,
        &[
            ectype.raw,
            &tlv::encode(tag::CTX0_CONS, &tlv::encode(tag::OCTET_STRING, content)),
        ],
    );
    let mut sd_body = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if i == 2 {
            sd_body.extend_from_slice(&new_eci);
        } else {
            sd_body.extend_from_slice(f.raw);
        }
    }
    let sd_new = tlv::encode(tag::SEQUENCE, &sd_body);
    Ok(tlv::encode_parts(
        tag::SEQUENCE,
        &[ct_raw, &tlv::encode(tag::CTX0_CONS, &sd_new)],
    ))
}

/// CAdES-T (EN 319 122-1 §5.3): `signature` with the time-stamp token
/// `token` (a DER ContentInfo, kept byte for byte) added as the
/// signature-time-stamp of SignerInfo `signer_index`. The token's imprint
/// must be the hash of that SignerInfo's signature value; the caller checks
/// the token before adding it.
pub fn add_signature_timestamp(
    signature: &[u8],
    signer_index: usize,
    token: &[u8],
) -> Result<Vec<u8>, CadesError> {
    tlv::read_exact(token).map_err(malformed("TimeStampToken"))?;
    add_unsigned_attribute(
        signature,
        signer_index,
        &crate::oids::ID_AA_SIGNATURE_TIME_STAMP,
        token,
    )
}

/// id-aa-ets-archiveTimestampV2 (CAdES ATSv2, deprecated).
pub const ID_AA_ATS_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.48");
/// id-aa-ets-longTermValidation (deprecated).
pub const ID_AA_LONG_TERM_VALIDATION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.1733.2.2");

/// CAdES-LT (EN 319 122-1 §5.4): `signature` with `certificates` and `crls`
/// (DER) added to `SignedData.certificates` and `SignedData.crls`, those
/// already there (by their bytes) left out. Existing elements keep their
/// bytes; new ones are appended.
///
/// EN 319 122-1 §5.5.3: once an ATSv2 or a long-term-validation attribute
/// exists, the root certificates and crls shall not be modified: such a
/// signature is refused here.
pub fn add_validation_data(
    signature: &[u8],
    certificates: &[Vec<u8>],
    crls: &[Vec<u8>],
) -> Result<Vec<u8>, CadesError> {
    let parsed = crate::parse(signature)?;
    for si in &parsed.signers {
        if !si.unsigned_attr_values(&ID_AA_ATS_V2).is_empty()
            || !si
                .unsigned_attr_values(&ID_AA_LONG_TERM_VALIDATION)
                .is_empty()
        {
            return Err(CadesError::malformed(
                "signature",
                "it has an ATSv2 or long-term-validation attribute: its certificates and CRLs must not change (EN 319 122-1 §5.5.3)",
            ));
        }
    }
    add_validation_data_unchecked(signature, certificates, crls)
}

/// [`add_validation_data`] without its refusal of ATSv2 and
/// long-term-validation attributes: for a caller that has established that
/// none of them holds (a sender's junk that proves nothing), so changing
/// SignedData's certificates and crls breaks nothing that counts.
pub fn add_validation_data_unchecked(
    signature: &[u8],
    certificates: &[Vec<u8>],
    crls: &[Vec<u8>],
) -> Result<Vec<u8>, CadesError> {
    let parsed = crate::parse(signature)?;
    if parsed.input_was_ber {
        return Err(CadesError::malformed(
            "signature",
            "BER-encoded: adding validation data would re-encode signed bytes",
        ));
    }
    let (ct_raw, fields) = signed_data_fields(signature)?;
    // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
    if fields.len() < 4 {
        return Err(CadesError::malformed("SignedData", "too few fields"));
    }
    let (head, rest) = fields.split_at(3);
    let Some((signer_infos, middle)) = rest.split_last() else {
        return Err(CadesError::malformed("SignedData", "no signerInfos"));
    };
    let find = |t: u8| middle.iter().find(|f| f.tag == t);
    let extend = |existing: Option<&tlv::Tlv<'_>>, new: &[Vec<u8>], t: u8| -> Option<Vec<u8>> {
        let mut body: Vec<u8> = existing.map(|e| e.value.to_vec()).unwrap_or_default();
        let mut have: Vec<Vec<u8>> = existing
            .and_then(|e| tlv::Reader::new(e.value).all().ok())
            .unwrap_or_default()
            .iter()
            .map(|x| x.raw.to_vec())
            .collect();
        let mut added = false;
        for n in new {
            if !have.contains(n) {
                body.extend_from_slice(n);
                have.push(n.clone());
                added = true;
            }
        }
        match (existing, added) {
            (Some(e), false) => Some(e.raw.to_vec()),
            (None, false) => None,
            _ => Some(tlv::encode(t, &body)),
        }
    };
    let certs = extend(find(tag::CTX0_CONS), certificates, tag::CTX0_CONS);
    let crls_el = extend(find(tag::CTX1_CONS), crls, tag::CTX1_CONS);
    let mut body = Vec::new();
    for f in head {
        body.extend_from_slice(f.raw);
    }
    if let Some(c) = &certs {
        body.extend_from_slice(c);
    }
    if let Some(c) = &crls_el {
        body.extend_from_slice(c);
    }
    body.extend_from_slice(signer_infos.raw);
    let sd_new = tlv::encode(tag::SEQUENCE, &body);
    Ok(tlv::encode_parts(
        tag::SEQUENCE,
        &[ct_raw, &tlv::encode(tag::CTX0_CONS, &sd_new)],
    ))
}
