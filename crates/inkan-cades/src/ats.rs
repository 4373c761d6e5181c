//! Archive time-stamps (CAdES-A / B-LTA): the ATSv3 attribute and its
//! ats-hash-index (ETSI EN 319 122-1 §5.5.2, §5.5.3).
//!
//! ```asn1
//! id-aa-ets-archiveTimestampV3 OBJECT IDENTIFIER ::= { itu-t(0) identified-organization(4)
//!     etsi(0) electronic-signature-standard(1733) attributes(2) 4 }
//! ATSHashIndexV3 ::= SEQUENCE {
//!     hashIndAlgorithm             AlgorithmIdentifier,
//!     certificatesHashIndex        SEQUENCE OF OCTET STRING,
//!     crlsHashIndex                SEQUENCE OF OCTET STRING,
//!     unsignedAttrValuesHashIndex  SEQUENCE OF OCTET STRING }
//! ```
//!
//! The imprint of an ATSv3 is the hash of, in this order and "in their
//! binary encoded form without any modification and including the tag,
//! length and value octets": the eContentType; the hash of the signed
//! content (the octets only); the SignerInfo's version, sid,
//! digestAlgorithm, signedAttrs, signatureAlgorithm and signature; and the
//! ATSHashIndexV3. The index lists the hash of every certificate and CRL of
//! the SignedData and of every value of every unsigned attribute
//! (`attrType ‖ value`) present when the time-stamp was requested; the
//! index rides as an unsigned attribute of the time-stamp token's own
//! SignerInfo. Earlier index versions hash whole attributes: v1
//! (`0.4.0.1733.2.5`, algorithm DEFAULT SHA-256) and v2 (`0.4.0.19122.1.4`).

use der::asn1::ObjectIdentifier;
use sha2::Digest;

use crate::tlv::{self, tag};
use crate::{CadesError, Content};

/// id-aa-ets-archiveTimestampV3.
pub const ID_AA_ATS_V3: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1733.2.4");
/// ats-hash-index (v1, TS 101 733).
pub const ID_AA_ATS_HASH_INDEX_V1: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.1733.2.5");
/// ats-hash-index-v2 (EN 319 122-1 V1.0.0).
pub const ID_AA_ATS_HASH_INDEX_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.19122.1.4");
/// ats-hash-index-v3 (EN 319 122-1 V1.1.1 and later).
pub const ID_AA_ATS_HASH_INDEX_V3: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.19122.1.5");

const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

fn malformed(what: &'static str) -> impl Fn(tlv::TlvError) -> CadesError {
    move |e| CadesError::malformed(what, e)
}

fn hash(alg: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, CadesError> {
    Ok(match *alg {
        SHA256 => sha2::Sha256::digest(data).to_vec(),
        SHA384 => sha2::Sha384::digest(data).to_vec(),
        SHA512 => sha2::Sha512::digest(data).to_vec(),
        _ => {
            return Err(CadesError::UnsupportedDigest {
                oid: alg.to_string(),
            })
        }
    })
}

/// (attrType TLV, value TLVs, whole Attribute TLV), as encoded.
type RawAttribute<'a> = (&'a [u8], Vec<&'a [u8]>, &'a [u8]);

/// An unsigned attribute: its type, its values and the whole Attribute, DER.
pub type UnsignedAttribute = (ObjectIdentifier, Vec<Vec<u8>>, Vec<u8>);

/// The raw parts of a SignedData and of one of its SignerInfos, as encoded.
struct Raw<'a> {
    econtent_type: &'a [u8],
    econtent: Option<&'a [u8]>,
    certificates: Vec<&'a [u8]>,
    crls: Vec<&'a [u8]>,
    /// version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature.
    signer_fields: Vec<&'a [u8]>,
    /// (attrType TLV, [value TLVs], whole Attribute TLV) of the unsigned attributes.
    unsigned: Vec<RawAttribute<'a>>,
}

fn raw(signature: &[u8], index: usize) -> Result<Raw<'_>, CadesError> {
    let ci = tlv::read_exact(signature).map_err(malformed("ContentInfo"))?;
    let mut r = tlv::Reader::new(ci.value);
    r.expect(tag::OID, "contentType")
        .map_err(malformed("ContentInfo"))?;
    let explicit = r
        .expect(tag::CTX0_CONS, "content")
        .map_err(malformed("ContentInfo"))?;
    let sd = tlv::read_exact(explicit.value).map_err(malformed("SignedData"))?;
    let fields = tlv::Reader::new(sd.value)
        .all()
        .map_err(malformed("SignedData"))?;
    let encap = fields
        .get(2)
        .ok_or_else(|| CadesError::malformed("SignedData", "no encapContentInfo"))?;
    let mut e = tlv::Reader::new(encap.value);
    let econtent_type = e
        .expect(tag::OID, "eContentType")
        .map_err(malformed("encapContentInfo"))?
        .raw;
    let econtent = match e
        .optional(tag::CTX0_CONS)
        .map_err(malformed("encapContentInfo"))?
    {
        Some(x) => Some(
            tlv::read_exact(x.value)
                .map_err(malformed("eContent"))?
                .value,
        ),
        None => None,
    };
    let mut certificates = Vec::new();
    let mut crls = Vec::new();
    for f in fields.iter().skip(3) {
        match f.tag {
            tag::CTX0_CONS => {
                for c in tlv::Reader::new(f.value)
                    .all()
                    .map_err(malformed("certificates"))?
                {
                    certificates.push(c.raw);
                }
            }
            tag::CTX1_CONS => {
                for c in tlv::Reader::new(f.value).all().map_err(malformed("crls"))? {
                    crls.push(c.raw);
                }
            }
            _ => {}
        }
    }
    let signer_infos = fields
        .last()
        .ok_or_else(|| CadesError::malformed("SignedData", "no signerInfos"))?;
    let signers = tlv::Reader::new(signer_infos.value)
        .all()
        .map_err(malformed("signerInfos"))?;
    let si = signers
        .get(index)
        .ok_or(CadesError::NoSuchSigner { index })?;
    let si_fields = tlv::Reader::new(si.value)
        .all()
        .map_err(malformed("SignerInfo"))?;
    let mut signer_fields = Vec::new();
    let mut unsigned = Vec::new();
    for f in &si_fields {
        if f.tag == tag::CTX1_CONS {
            for a in tlv::Reader::new(f.value)
                .all()
                .map_err(malformed("unsignedAttrs"))?
            {
                let mut ar = tlv::Reader::new(a.value);
                let t = ar
                    .expect(tag::OID, "attrType")
                    .map_err(malformed("Attribute"))?;
                let set = ar
                    .expect(tag::SET, "attrValues")
                    .map_err(malformed("Attribute"))?;
                let values = tlv::Reader::new(set.value)
                    .all()
                    .map_err(malformed("attrValues"))?
                    .iter()
                    .map(|v| v.raw)
                    .collect();
                unsigned.push((t.raw, values, a.raw));
            }
        } else {
            signer_fields.push(f.raw);
        }
    }
    Ok(Raw {
        econtent_type,
        econtent,
        certificates,
        crls,
        signer_fields,
        unsigned,
    })
}

fn octets_seq(items: &[Vec<u8>]) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = items
        .iter()
        .map(|h| tlv::encode(tag::OCTET_STRING, h))
        .collect();
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    tlv::encode_parts(tag::SEQUENCE, &refs)
}

/// The DER ATSHashIndexV3 (SHA-256) of signer `index` of `signature`, as it
/// is now.
pub fn hash_index_v3(signature: &[u8], index: usize) -> Result<Vec<u8>, CadesError> {
    let r = raw(signature, index)?;
    let h = |d: &[u8]| hash(&SHA256, d);
    let certs: Vec<Vec<u8>> = r
        .certificates
        .iter()
        .map(|c| h(c))
        .collect::<Result<_, _>>()?;
    let crls: Vec<Vec<u8>> = r.crls.iter().map(|c| h(c)).collect::<Result<_, _>>()?;
    let mut attrs = Vec::new();
    for (t, values, _) in &r.unsigned {
        for v in values {
            attrs.push(h(&[*t, *v].concat())?);
        }
    }
    let alg = tlv::encode(tag::SEQUENCE, &tlv::encode(tag::OID, SHA256.as_bytes()));
    Ok(tlv::encode_parts(
        tag::SEQUENCE,
        &[
            &alg,
            &octets_seq(&certs),
            &octets_seq(&crls),
            &octets_seq(&attrs),
        ],
    ))
}

/// The data whose hash is an ATSv3's imprint, for signer `index` of
/// `signature` with the index `index_der` (its exact bytes), the content
/// hashed with `hash_alg`. `content` is needed for a detached signature.
pub fn imprint_input_v3(
    signature: &[u8],
    index: usize,
    content: Option<&[u8]>,
    hash_alg: &ObjectIdentifier,
    index_der: &[u8],
) -> Result<Vec<u8>, CadesError> {
    imprint_input_v3_content(
        signature,
        index,
        content.map(Content::Bytes),
        hash_alg,
        index_der,
    )
}

/// [`imprint_input_v3`] with the detached content in memory or as a file
/// (only its hash enters the input, computed chunk by chunk).
pub fn imprint_input_v3_content(
    signature: &[u8],
    index: usize,
    content: Option<Content<'_>>,
    hash_alg: &ObjectIdentifier,
    index_der: &[u8],
) -> Result<Vec<u8>, CadesError> {
    let r = raw(signature, index)?;
    let content = match (r.econtent, content) {
        (Some(e), _) => Content::Bytes(e),
        (None, Some(c)) => c,
        (None, None) => return Err(CadesError::DetachedContentMissing),
    };
    let mut out = r.econtent_type.to_vec();
    out.extend(content.digest(hash_alg)?);
    for f in &r.signer_fields {
        out.extend_from_slice(f);
    }
    out.extend_from_slice(index_der);
    Ok(out)
}

/// Which index an archive time-stamp token carries, and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashIndex {
    /// 1, 2 or 3.
    pub version: u8,
    /// The index's hash algorithm.
    pub algorithm: ObjectIdentifier,
    /// certificatesHashIndex.
    pub certificates: Vec<Vec<u8>>,
    /// crlsHashIndex.
    pub crls: Vec<Vec<u8>>,
    /// unsignedAttrsHashIndex (v1, v2: whole attributes) or
    /// unsignedAttrValuesHashIndex (v3: attrType ‖ value).
    pub unsigned: Vec<Vec<u8>>,
    /// The index value, exactly as encoded (part of the imprint).
    pub der: Vec<u8>,
}

/// The ats-hash-index of an archive time-stamp token (any version), from
/// the token's SignerInfo unsigned attributes.
pub fn token_hash_index(token: &[u8]) -> Result<Option<HashIndex>, CadesError> {
    let parsed = crate::parse(token)?;
    let Some(si) = parsed.signers.first() else {
        return Ok(None);
    };
    for (oid, version) in [
        (ID_AA_ATS_HASH_INDEX_V3, 3u8),
        (ID_AA_ATS_HASH_INDEX_V2, 2),
        (ID_AA_ATS_HASH_INDEX_V1, 1),
    ] {
        if let Some(v) = si.unsigned_attr_values(&oid).first() {
            return parse_index(v, version).map(Some);
        }
    }
    Ok(None)
}

fn parse_index(der: &[u8], version: u8) -> Result<HashIndex, CadesError> {
    let t = tlv::read_exact(der).map_err(malformed("ATSHashIndex"))?;
    let mut fields = tlv::Reader::new(t.value)
        .all()
        .map_err(malformed("ATSHashIndex"))?;
    let algorithm = if fields.first().is_some_and(|f| f.tag == tag::SEQUENCE) && fields.len() == 4 {
        let alg = fields.remove(0);
        let oid = tlv::Reader::new(alg.value)
            .expect(tag::OID, "hashIndAlgorithm")
            .map_err(malformed("ATSHashIndex"))?;
        ObjectIdentifier::from_bytes(oid.value)
            .map_err(|e| CadesError::malformed("ATSHashIndex", e))?
    } else {
        // v1: hashIndAlgorithm DEFAULT sha256 may be absent.
        SHA256
    };
    if fields.len() != 3 {
        return Err(CadesError::malformed(
            "ATSHashIndex",
            "not three hash lists",
        ));
    }
    let list = |f: &tlv::Tlv<'_>| -> Result<Vec<Vec<u8>>, CadesError> {
        Ok(tlv::Reader::new(f.value)
            .all()
            .map_err(malformed("ATSHashIndex"))?
            .iter()
            .map(|o| o.value.to_vec())
            .collect())
    };
    Ok(HashIndex {
        version,
        algorithm,
        certificates: list(&fields[0])?,
        crls: list(&fields[1])?,
        unsigned: list(&fields[2])?,
        der: der.to_vec(),
    })
}

/// Checks `index` against signer `signer` of `signature` as it is now
/// (EN 319 122-1 §5.5.2): every entry must have an original (certificates,
/// CRLs, unsigned attributes or their values); originals added later are
/// allowed but not covered. `Err` names the first entry without one.
pub fn check_hash_index(
    signature: &[u8],
    signer: usize,
    index: &HashIndex,
) -> Result<(), CadesError> {
    use std::collections::HashSet;
    let r = raw(signature, signer)?;
    let alg = &index.algorithm;
    // Sets, not lists: a hostile index may repeat one entry many thousand
    // times against as many attribute values (quadratic with lists).
    let certs: HashSet<Vec<u8>> = r
        .certificates
        .iter()
        .map(|c| hash(alg, c))
        .collect::<Result<_, _>>()?;
    let crls: HashSet<Vec<u8>> = r
        .crls
        .iter()
        .map(|c| hash(alg, c))
        .collect::<Result<_, _>>()?;
    let attrs = unsigned_hashes(&r, index)?;
    let missing = |what: &str| {
        Err(CadesError::malformed(
            "ats-hash-index",
            format!("a {what} hash of the archive time-stamp's index has no original (removed or altered)"),
        ))
    };
    if index.certificates.iter().any(|h| !certs.contains(h)) {
        return missing("certificate");
    }
    if index.crls.iter().any(|h| !crls.contains(h)) {
        return missing("CRL");
    }
    if index.unsigned.iter().any(|h| !attrs.contains_key(h)) {
        return missing("unsigned attribute");
    }
    Ok(())
}

/// The hash of every unsigned attribute (v1, v2) or attribute value (v3) of
/// `r` as `index` counts them, with the values each one stands for.
fn unsigned_hashes<'a>(
    r: &Raw<'a>,
    index: &HashIndex,
) -> Result<std::collections::HashMap<Vec<u8>, Vec<&'a [u8]>>, CadesError> {
    let alg = &index.algorithm;
    let mut attrs: std::collections::HashMap<Vec<u8>, Vec<&'a [u8]>> =
        std::collections::HashMap::new();
    for (t, values, whole) in &r.unsigned {
        if index.version == 3 {
            for v in values {
                attrs
                    .entry(hash(alg, &[*t, *v].concat())?)
                    .or_default()
                    .push(v);
            }
        } else {
            attrs
                .entry(hash(alg, whole)?)
                .or_default()
                .extend(values.iter().copied());
        }
    }
    Ok(attrs)
}

/// The unsigned attribute values of signer `signer` that `index` covers,
/// exactly as encoded (EN 319 122-1 §5.5.2: an archive time-stamp v3
/// protects an unsigned attribute only through its index). With a v1 or
/// v2 index every value of a listed attribute is covered.
pub fn covered_values(
    signature: &[u8],
    signer: usize,
    index: &HashIndex,
) -> Result<std::collections::HashSet<Vec<u8>>, CadesError> {
    let r = raw(signature, signer)?;
    let attrs = unsigned_hashes(&r, index)?;
    Ok(index
        .unsigned
        .iter()
        .filter_map(|h| attrs.get(h))
        .flatten()
        .map(|v| v.to_vec())
        .collect())
}

/// The unsigned attributes of signer `index`: (type, values, whole Attribute), as encoded.
pub fn unsigned_attributes(
    signature: &[u8],
    index: usize,
) -> Result<Vec<UnsignedAttribute>, CadesError> {
    let r = raw(signature, index)?;
    r.unsigned
        .iter()
        .map(|(t, values, whole)| {
            let oid = tlv::read_exact(t)
                .ok()
                .and_then(|o| ObjectIdentifier::from_bytes(o.value).ok())
                .ok_or_else(|| CadesError::malformed("Attribute", "attrType"))?;
            Ok((
                oid,
                values.iter().map(|v| v.to_vec()).collect(),
                whole.to_vec(),
            ))
        })
        .collect()
}

/// The imprint input of an ATSv2 (TS 101 733 §6.4.1, Annex K): the
/// encapContentInfo, the content if detached, the certificates and crls
/// fields, the SignerInfo's fields, and the unsigned attributes for which
/// `keep` holds (those present before this time-stamp; `keep` sees every
/// value of the attribute). Two encodings of the last part exist in the
/// wild: `wrapped` puts it under its `[1]` tag and length (TS 101 733
/// V2.2.1), else the attributes are concatenated (V1.8.3 Annex K).
pub fn imprint_input_v2(
    signature: &[u8],
    index: usize,
    content: Option<&[u8]>,
    keep: &dyn Fn(&ObjectIdentifier, &[&[u8]]) -> bool,
    wrapped: bool,
) -> Result<V2Input, CadesError> {
    imprint_input_v2_content(signature, index, content.map(Content::Bytes), keep, wrapped)
}

/// [`imprint_input_v2`] with the detached content in memory or as a file.
/// The ATSv2 input holds the raw content: a file is read whole here.
pub fn imprint_input_v2_content(
    signature: &[u8],
    index: usize,
    content: Option<Content<'_>>,
    keep: &dyn Fn(&ObjectIdentifier, &[&[u8]]) -> bool,
    wrapped: bool,
) -> Result<V2Input, CadesError> {
    let ci = tlv::read_exact(signature).map_err(malformed("ContentInfo"))?;
    let mut r = tlv::Reader::new(ci.value);
    r.expect(tag::OID, "contentType")
        .map_err(malformed("ContentInfo"))?;
    let explicit = r
        .expect(tag::CTX0_CONS, "content")
        .map_err(malformed("ContentInfo"))?;
    let sd = tlv::read_exact(explicit.value).map_err(malformed("SignedData"))?;
    let fields = tlv::Reader::new(sd.value)
        .all()
        .map_err(malformed("SignedData"))?;
    let mut out = Vec::new();
    let encap = fields
        .get(2)
        .ok_or_else(|| CadesError::malformed("SignedData", "no encapContentInfo"))?;
    out.extend_from_slice(encap.raw);
    let r2 = raw(signature, index)?;
    if r2.econtent.is_none() {
        out.extend(
            content
                .ok_or(CadesError::DetachedContentMissing)?
                .to_vec()?,
        );
    }
    for f in fields.iter().skip(3) {
        if f.tag == tag::CTX0_CONS || f.tag == tag::CTX1_CONS {
            out.extend_from_slice(f.raw);
        }
    }
    for f in &r2.signer_fields {
        out.extend_from_slice(f);
    }
    let mut kept = Vec::new();
    let mut covered = Vec::new();
    for (t, values, whole) in &r2.unsigned {
        let oid = tlv::read_exact(t)
            .ok()
            .and_then(|o| ObjectIdentifier::from_bytes(o.value).ok());
        if oid.is_some_and(|o| keep(&o, values)) {
            kept.extend_from_slice(whole);
            covered.extend(values.iter().map(|v| v.to_vec()));
        }
    }
    if wrapped {
        out.extend(tlv::encode(tag::CTX1_CONS, &kept));
    } else {
        out.extend(kept);
    }
    Ok(V2Input { data: out, covered })
}

/// What an ATSv2 time-stamps.
#[derive(Debug, Clone)]
pub struct V2Input {
    /// The imprint input.
    pub data: Vec<u8>,
    /// The unsigned attribute values it includes, exactly as encoded: what
    /// a valid ATSv2 gives proof of existence to.
    pub covered: Vec<Vec<u8>>,
}

/// The imprint input of an ES-X type 1 time-stamp (CAdES-C-timestamp, EN
/// 319 122-1 A.1.5.2): the signature value octets, then the
/// signature-time-stamp, complete-certificate-references and
/// complete-revocation-references attributes, each as `attrType ‖
/// attrValues` (without the Attribute's own header).
pub fn imprint_input_esx1(signature: &[u8], index: usize) -> Result<Vec<u8>, CadesError> {
    let parsed = crate::parse(signature)?;
    let si = parsed
        .signers
        .get(index)
        .ok_or(CadesError::NoSuchSigner { index })?;
    let mut out = si.signature.clone();
    out.extend(attributes_input(
        signature,
        index,
        &[
            "1.2.840.113549.1.9.16.2.14",
            "1.2.840.113549.1.9.16.2.21",
            "1.2.840.113549.1.9.16.2.22",
        ],
    )?);
    Ok(out)
}

/// The imprint input of an ES-X type 2 time-stamp
/// (time-stamped-certs-crls-references, EN 319 122-1 A.1.5.3): the
/// complete-certificate-references and complete-revocation-references
/// attributes, each as `attrType ‖ attrValues`.
pub fn imprint_input_esx2(signature: &[u8], index: usize) -> Result<Vec<u8>, CadesError> {
    attributes_input(
        signature,
        index,
        &["1.2.840.113549.1.9.16.2.21", "1.2.840.113549.1.9.16.2.22"],
    )
}

/// The unsigned attributes of types `wanted`, in that order, each as
/// `attrType ‖ attrValues`.
fn attributes_input(
    signature: &[u8],
    index: usize,
    wanted: &[&str],
) -> Result<Vec<u8>, CadesError> {
    let r = raw(signature, index)?;
    let mut out = Vec::new();
    for wanted in wanted {
        for (t, _, whole) in &r.unsigned {
            let oid = tlv::read_exact(t)
                .ok()
                .and_then(|o| ObjectIdentifier::from_bytes(o.value).ok());
            if oid.map(|o| o.to_string()).as_deref() == Some(*wanted) {
                out.extend_from_slice(
                    tlv::read_exact(whole)
                        .map_err(malformed("Attribute"))?
                        .value,
                );
            }
        }
    }
    Ok(out)
}

/// complete-certificate-references (ES-C, EN 319 122-1 A.1.1).
pub const ID_AA_CERT_REFS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.21");
/// complete-revocation-references (ES-C, EN 319 122-1 A.1.2).
pub const ID_AA_REVOCATION_REFS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.22");
/// certificate-values (ES-X-Long, EN 319 122-1 A.1.3).
pub const ID_AA_CERT_VALUES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.23");
/// revocation-values (ES-X-Long, EN 319 122-1 A.1.4).
pub const ID_AA_REVOCATION_VALUES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.24");

/// Certificates and CRLs (DER).
pub type CertsAndCrls = (Vec<Vec<u8>>, Vec<Vec<u8>>);

/// The certificates and CRLs of the certificate-values and
/// revocation-values attributes of signer `index` (ES-X-Long): validation
/// material like SignedData's own, which a verifier adds to its pool.
pub fn long_term_values(signature: &[u8], index: usize) -> Result<CertsAndCrls, CadesError> {
    let parsed = crate::parse(signature)?;
    let si = parsed
        .signers
        .get(index)
        .ok_or(CadesError::NoSuchSigner { index })?;
    long_term_values_of(si)
}

/// [`long_term_values`] of a signer already parsed.
pub fn long_term_values_of(si: &crate::SignerInfoView) -> Result<CertsAndCrls, CadesError> {
    let mut certs = Vec::new();
    for v in si.unsigned_attr_values(&ID_AA_CERT_VALUES) {
        let seq = tlv::read_exact(v).map_err(malformed("certificate-values"))?;
        for c in tlv::Reader::new(seq.value)
            .all()
            .map_err(malformed("certificate-values"))?
        {
            certs.push(c.raw.to_vec());
        }
    }
    let mut crls = Vec::new();
    for v in si.unsigned_attr_values(&ID_AA_REVOCATION_VALUES) {
        let seq = tlv::read_exact(v).map_err(malformed("revocation-values"))?;
        for part in tlv::Reader::new(seq.value)
            .all()
            .map_err(malformed("revocation-values"))?
        {
            // crlVals [0] SEQUENCE OF CertificateList; OCSP and others are not HPKI's.
            if part.tag == tag::CTX0_CONS {
                let inner = tlv::read_exact(part.value).map_err(malformed("crlVals"))?;
                for c in tlv::Reader::new(inner.value)
                    .all()
                    .map_err(malformed("crlVals"))?
                {
                    crls.push(c.raw.to_vec());
                }
            }
        }
    }
    Ok((certs, crls))
}

fn sha256_other_hash(data: &[u8]) -> Vec<u8> {
    // OtherHashAlgAndValue { hashAlgorithm sha256, hashValue }.
    let alg = tlv::encode(tag::SEQUENCE, &tlv::encode(tag::OID, SHA256.as_bytes()));
    tlv::encode_parts(
        tag::SEQUENCE,
        &[
            &alg,
            &tlv::encode(tag::OCTET_STRING, &sha2::Sha256::digest(data)),
        ],
    )
}

/// The DER values of the four ES-X-Long attributes (EN 319 122-1 A.1.1–A.1.4)
/// for a signer whose path is `chain` (end entity first, anchor last) and
/// whose certificates' CRLs are `crls_per_cert` (one list per certificate
/// of the path but the anchor, end entity first); `extra_certs` and
/// `extra_crls` (a TSA's) go into the values only. Values leave out what
/// SignedData already holds (`present_certs`, `present_crls`).
#[derive(Debug, Clone)]
pub struct EsXlValues {
    /// complete-certificate-references.
    pub cert_refs: Vec<u8>,
    /// complete-revocation-references.
    pub revocation_refs: Vec<u8>,
    /// certificate-values.
    pub cert_values: Vec<u8>,
    /// revocation-values.
    pub revocation_values: Vec<u8>,
}

/// Builds [`EsXlValues`].
pub fn es_xl_values(
    chain: &[Vec<u8>],
    crls_per_cert: &[Vec<Vec<u8>>],
    extra_certs: &[Vec<u8>],
    extra_crls: &[Vec<u8>],
    present_certs: &[Vec<u8>],
    present_crls: &[Vec<u8>],
) -> Result<EsXlValues, CadesError> {
    use der::{Decode, Encode};
    let issuer_serial = |cert: &[u8]| -> Result<Vec<u8>, CadesError> {
        let c = x509_cert::Certificate::from_der(cert)
            .map_err(|e| CadesError::malformed("certificate", e))?;
        let name = c
            .tbs_certificate()
            .issuer()
            .to_der()
            .map_err(|e| CadesError::malformed("certificate", e))?;
        let serial = c
            .tbs_certificate()
            .serial_number()
            .to_der()
            .map_err(|e| CadesError::malformed("certificate", e))?;
        // IssuerSerial { issuer GeneralNames { directoryName [4] Name }, serialNumber }
        let general_names = tlv::encode(tag::SEQUENCE, &tlv::encode(0xA4, &name));
        Ok(tlv::encode_parts(tag::SEQUENCE, &[&general_names, &serial]))
    };
    // Certificate references: the CA certificates and the anchor, not the signer's.
    let mut cert_ids = Vec::new();
    for c in chain.iter().skip(1) {
        cert_ids.push(tlv::encode_parts(
            tag::SEQUENCE,
            &[&sha256_other_hash(c), &issuer_serial(c)?],
        ));
    }
    let refs: Vec<&[u8]> = cert_ids.iter().map(Vec::as_slice).collect();
    let cert_refs = tlv::encode_parts(tag::SEQUENCE, &refs);
    // Revocation references: the end entity first, then each CA.
    let mut crl_ocsp_refs = Vec::new();
    for crls in crls_per_cert {
        let mut ids = Vec::new();
        for crl in crls {
            let parsed =
                x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(crl)
                    .map_err(|e| CadesError::malformed("CRL", e))?;
            let tbs = &parsed.tbs_cert_list;
            let issuer = tbs
                .issuer
                .to_der()
                .map_err(|e| CadesError::malformed("CRL", e))?;
            let issued = tbs
                .this_update
                .to_der()
                .map_err(|e| CadesError::malformed("CRL", e))?;
            let identifier = tlv::encode_parts(tag::SEQUENCE, &[&issuer, &issued]);
            ids.push(tlv::encode_parts(
                tag::SEQUENCE,
                &[&sha256_other_hash(crl), &identifier],
            ));
        }
        let id_refs: Vec<&[u8]> = ids.iter().map(Vec::as_slice).collect();
        let crl_list_id = tlv::encode(tag::SEQUENCE, &tlv::encode_parts(tag::SEQUENCE, &id_refs));
        crl_ocsp_refs.push(tlv::encode(
            tag::SEQUENCE,
            &tlv::encode(tag::CTX0_CONS, &crl_list_id),
        ));
    }
    let rrefs: Vec<&[u8]> = crl_ocsp_refs.iter().map(Vec::as_slice).collect();
    let revocation_refs = tlv::encode_parts(tag::SEQUENCE, &rrefs);
    // Values: what the references name, and the TSA's, not already in SignedData.
    let mut certs: Vec<&[u8]> = Vec::new();
    for c in chain.iter().skip(1).chain(extra_certs.iter()) {
        if !present_certs.contains(c) && !certs.contains(&c.as_slice()) {
            certs.push(c);
        }
    }
    let cert_values = tlv::encode_parts(tag::SEQUENCE, &certs);
    let mut crls: Vec<&[u8]> = Vec::new();
    for c in crls_per_cert.iter().flatten().chain(extra_crls.iter()) {
        if !present_crls.contains(c) && !crls.contains(&c.as_slice()) {
            crls.push(c);
        }
    }
    let revocation_values = tlv::encode(
        tag::SEQUENCE,
        &tlv::encode(tag::CTX0_CONS, &tlv::encode_parts(tag::SEQUENCE, &crls)),
    );
    Ok(EsXlValues {
        cert_refs,
        revocation_refs,
        cert_values,
        revocation_values,
    })
}
