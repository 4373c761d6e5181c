//! The HPKI certificate profile as exact DER: OIDs and extension values.
//!
//! Every function returns the `extnValue` contents (the bytes inside the
//! OCTET STRING of RFC 5280 §4.1 `Extension`), so tests elsewhere can compare
//! a certificate's extension with the profile byte for byte.
//!
//! Sources: RFC 5280 §4.2.1 (standard extensions), ISO 17090-3 and MHLW
//! 「保健医療福祉分野PKI認証局 署名用証明書ポリシ」 (hcRole, policy OIDs), and the
//! production HPKI CA certificates shipped in `certs/`.

use der::oid::ObjectIdentifier;

use crate::der_enc::{
    bool_true, cons, ia5, null, octets, oid, printable, seq, set_of, tlv, uint, utf8,
};

const fn o(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

/// id-ce-subjectDirectoryAttributes (RFC 5280 §4.2.1.8).
pub const ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES: ObjectIdentifier = o("2.5.29.9");
/// id-ce-subjectKeyIdentifier (RFC 5280 §4.2.1.2).
pub const ID_CE_SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = o("2.5.29.14");
/// id-ce-keyUsage (RFC 5280 §4.2.1.3).
pub const ID_CE_KEY_USAGE: ObjectIdentifier = o("2.5.29.15");
/// id-ce-subjectAltName (RFC 5280 §4.2.1.6).
pub const ID_CE_SUBJECT_ALT_NAME: ObjectIdentifier = o("2.5.29.17");
/// id-ce-basicConstraints (RFC 5280 §4.2.1.9).
pub const ID_CE_BASIC_CONSTRAINTS: ObjectIdentifier = o("2.5.29.19");
/// id-ce-cRLNumber (RFC 5280 §5.2.3).
pub const ID_CE_CRL_NUMBER: ObjectIdentifier = o("2.5.29.20");
/// id-ce-cRLReasons (RFC 5280 §5.3.1).
pub const ID_CE_CRL_REASONS: ObjectIdentifier = o("2.5.29.21");
/// id-ce-cRLDistributionPoints (RFC 5280 §4.2.1.13).
pub const ID_CE_CRL_DISTRIBUTION_POINTS: ObjectIdentifier = o("2.5.29.31");
/// id-ce-certificatePolicies (RFC 5280 §4.2.1.4).
pub const ID_CE_CERTIFICATE_POLICIES: ObjectIdentifier = o("2.5.29.32");
/// id-ce-authorityKeyIdentifier (RFC 5280 §4.2.1.1).
pub const ID_CE_AUTHORITY_KEY_IDENTIFIER: ObjectIdentifier = o("2.5.29.35");
/// id-qt-cps (RFC 5280 §4.2.1.4).
pub const ID_QT_CPS: ObjectIdentifier = o("1.3.6.1.5.5.7.2.1");

/// rsaEncryption (RFC 8017 Appendix C).
pub const RSA_ENCRYPTION: ObjectIdentifier = o("1.2.840.113549.1.1.1");
/// sha1WithRSAEncryption (RFC 8017 Appendix C) — used only by the `sha1` bad identity.
pub const SHA1_WITH_RSA: ObjectIdentifier = o("1.2.840.113549.1.1.5");
/// sha256WithRSAEncryption (RFC 8017 Appendix C), the HPKI signature algorithm.
pub const SHA256_WITH_RSA: ObjectIdentifier = o("1.2.840.113549.1.1.11");

/// id-at-commonName.
pub const AT_CN: ObjectIdentifier = o("2.5.4.3");
/// id-at-serialNumber (the CA-assigned id in HPKI subjects).
pub const AT_SERIAL_NUMBER: ObjectIdentifier = o("2.5.4.5");
/// id-at-countryName.
pub const AT_C: ObjectIdentifier = o("2.5.4.6");
/// id-at-organizationName.
pub const AT_O: ObjectIdentifier = o("2.5.4.10");
/// id-at-organizationalUnitName.
pub const AT_OU: ObjectIdentifier = o("2.5.4.11");

/// HPKI signing (署名用) end-entity certificate policy.
pub const POLICY_SIGNING_EE: ObjectIdentifier = o("1.2.392.100495.1.5.1.1.0.1");
/// HPKI signing issuing-CA certificate policy.
pub const POLICY_SIGNING_CA: ObjectIdentifier = o("1.2.392.100495.1.5.1.1.3.1");
/// HPKI authentication (認証用) end-entity certificate policy.
///
/// Inferred from the OID arc (signing EE `…1.1.0.1` / CA `…1.1.3.1`, auth CA
/// `…1.2.3.1`); not confirmed from a production authentication certificate.
pub const POLICY_AUTH_EE: ObjectIdentifier = o("1.2.392.100495.1.5.1.2.0.1");
/// HPKI authentication issuing-CA certificate policy.
pub const POLICY_AUTH_CA: ObjectIdentifier = o("1.2.392.100495.1.5.1.2.3.1");

/// id-hcpki-at-healthcareactor (ISO 17090-3), the hcRole attribute type.
pub const ID_HCPKI_AT_HEALTHCAREACTOR: ObjectIdentifier = o("1.0.17090.0.1");
/// The HPKI coding scheme referenced by hcRole's codingSchemeReference.
pub const HC_ROLE_CODING_SCHEME: ObjectIdentifier = o("1.2.392.100495.1.6.1.1");

/// keyUsage of an HPKI signing end entity: nonRepudiation only (`03 02 06 40`).
pub const KU_NON_REPUDIATION: [u8; 4] = [0x03, 0x02, 0x06, 0x40];
/// keyUsage digitalSignature only (`03 02 07 80`): authentication certificates,
/// and the `digsig-only` bad identity.
pub const KU_DIGITAL_SIGNATURE: [u8; 4] = [0x03, 0x02, 0x07, 0x80];
/// keyUsage of a CA: keyCertSign | cRLSign (`03 02 01 06`).
pub const KU_CA: [u8; 4] = [0x03, 0x02, 0x01, 0x06];
/// basicConstraints of an HPKI CA: `cA TRUE`, no pathLenConstraint (`30 03 01 01 ff`).
pub const BASIC_CONSTRAINTS_CA: [u8; 5] = [0x30, 0x03, 0x01, 0x01, 0xff];

/// One attribute of a distinguished name, with the string type HPKI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Atv<'a> {
    /// countryName, PrintableString.
    C(&'a str),
    /// organizationName, UTF8String.
    O(&'a str),
    /// organizationalUnitName, UTF8String.
    Ou(&'a str),
    /// commonName, UTF8String.
    Cn(&'a str),
    /// serialNumber, PrintableString.
    Serial(&'a str),
}

/// A `Name` (RFC 5280 §4.1.2.4): one single-valued RDN per attribute, in order.
pub(crate) fn name(atvs: &[Atv<'_>]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = atvs
        .iter()
        .map(|a| {
            let (t, v) = match *a {
                Atv::C(s) => (AT_C, printable(s)),
                Atv::O(s) => (AT_O, utf8(s)),
                Atv::Ou(s) => (AT_OU, utf8(s)),
                Atv::Cn(s) => (AT_CN, utf8(s)),
                Atv::Serial(s) => (AT_SERIAL_NUMBER, printable(s)),
            };
            set_of(&[&seq(&[&oid(&t), &v])])
        })
        .collect();
    let refs: Vec<&[u8]> = rdns.iter().map(Vec::as_slice).collect();
    seq(&refs)
}

/// A `Name` with one more RDN appended (e.g. the `CN=SARL` distribution point name).
pub(crate) fn name_with(base: &[Atv<'_>], extra: Atv<'_>) -> Vec<u8> {
    let mut v = base.to_vec();
    v.push(extra);
    name(&v)
}

/// `AlgorithmIdentifier` with NULL parameters (RFC 4055 §5 for RSA PKCS #1 v1.5).
pub(crate) fn alg_id(alg: &ObjectIdentifier) -> Vec<u8> {
    seq(&[&oid(alg), &null()])
}

/// One `Extension` (RFC 5280 §4.1): `critical` is omitted when FALSE (DER DEFAULT).
pub(crate) fn extension(id: &ObjectIdentifier, critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        seq(&[&oid(id), &bool_true(), &octets(value)])
    } else {
        seq(&[&oid(id), &octets(value)])
    }
}

/// certificatePolicies (RFC 5280 §4.2.1.4): one policy with a CPS pointer qualifier.
pub fn certificate_policies(policy: &ObjectIdentifier, cps_url: &str) -> Vec<u8> {
    let qualifier = seq(&[&oid(&ID_QT_CPS), &ia5(cps_url)]);
    let info = seq(&[&oid(policy), &seq(&[&qualifier])]);
    seq(&[&info])
}

/// subjectDirectoryAttributes with the hcRole attribute (ISO 17090-3), exactly as
/// production HPKI certificates encode it:
///
/// ```text
/// SEQUENCE { Attribute SEQUENCE { type 1.0.17090.0.1,
///   values SET { SET OF HCActor { HCActor SEQUENCE { codedData [0] EXPLICIT
///     CodedData SET { codingSchemeReference [0] EXPLICIT OID 1.2.392.100495.1.6.1.1,
///                     codeDataFreeText [2] EXPLICIT UTF8String role } } } } } }
/// ```
pub fn hc_role(role: &str) -> Vec<u8> {
    hc_role_with_text(&utf8(role))
}

fn hc_role_with_text(text_tlv: &[u8]) -> Vec<u8> {
    let coded_data = cons(
        0x31,
        &[
            &tlv(0xa0, &oid(&HC_ROLE_CODING_SCHEME)),
            &tlv(0xa2, text_tlv),
        ],
    );
    let hc_actor = seq(&[&tlv(0xa0, &coded_data)]);
    let values = cons(0x31, &[&cons(0x31, &[&hc_actor])]);
    let attribute = seq(&[&oid(&ID_HCPKI_AT_HEALTHCAREACTOR), &values]);
    seq(&[&attribute])
}

/// A subjectDirectoryAttributes value whose outer structure is well formed but
/// whose hcRole free text is not: the UTF8String claims more octets (`0x7f`) than
/// its container holds, so any DER decoder of `HCActor` must fail.
pub fn hc_role_malformed(role: &str) -> Vec<u8> {
    let mut text = utf8(role);
    // Keep the outer lengths consistent with the real content, corrupt only the
    // inner length: 0x7f octets (short form), or a 4-octet long form made of text.
    text[1] = if text[1] < 0x7f { 0x7f } else { 0x84 };
    hc_role_with_text(&text)
}

/// cRLDistributionPoints (RFC 5280 §4.2.1.13): one DistributionPoint per entry,
/// each a fullName with either a directoryName or a URI.
pub(crate) fn crl_distribution_points(points: &[DistPoint<'_>]) -> Vec<u8> {
    let dps: Vec<Vec<u8>> = points
        .iter()
        .map(|p| {
            let general_name = match p {
                DistPoint::DirName(name_der) => tlv(0xa4, name_der),
                DistPoint::Uri(uri) => tlv(0x86, uri.as_bytes()),
            };
            // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }
            seq(&[&tlv(0xa0, &tlv(0xa0, &general_name))])
        })
        .collect();
    let refs: Vec<&[u8]> = dps.iter().map(Vec::as_slice).collect();
    seq(&refs)
}

/// A distribution point name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DistPoint<'a> {
    /// directoryName (DER of a `Name`).
    DirName(&'a [u8]),
    /// uniformResourceIdentifier.
    Uri(&'a str),
}

/// authorityKeyIdentifier (RFC 5280 §4.2.1.1) as HPKI writes it: keyIdentifier,
/// authorityCertIssuer (directoryName of the issuer's issuer) and
/// authorityCertSerialNumber (the issuer certificate's serial).
pub fn authority_key_identifier(
    key_id: &[u8],
    issuer_of_issuer_name: &[u8],
    issuer_serial: &[u8],
) -> Vec<u8> {
    seq(&[
        &tlv(0x80, key_id),
        &tlv(0xa1, &tlv(0xa4, issuer_of_issuer_name)),
        &implicit_int(0x82, issuer_serial),
    ])
}

/// authorityKeyIdentifier with the keyIdentifier only (used in CRLs).
pub fn authority_key_identifier_keyid(key_id: &[u8]) -> Vec<u8> {
    seq(&[&tlv(0x80, key_id)])
}

/// subjectKeyIdentifier (RFC 5280 §4.2.1.2): an OCTET STRING.
pub fn subject_key_identifier(key_id: &[u8]) -> Vec<u8> {
    octets(key_id)
}

/// subjectAltName (RFC 5280 §4.2.1.6) with one directoryName.
pub fn subject_alt_name_dirname(name_der: &[u8]) -> Vec<u8> {
    seq(&[&tlv(0xa4, name_der)])
}

/// cRLNumber (RFC 5280 §5.2.3).
pub(crate) fn crl_number(n: u64) -> Vec<u8> {
    crate::der_enc::uint_u64(n)
}

/// A context-specific primitive INTEGER (IMPLICIT tag) from a magnitude.
fn implicit_int(tag: u8, magnitude: &[u8]) -> Vec<u8> {
    let mut v = uint(magnitude);
    v[0] = tag;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact bytes of a production physician certificate's hcRole extension
    /// (MHLW 署名用証明書ポリシ 1.91, ISO 17090-3).
    pub(crate) const MEDICAL_DOCTOR_HC_ROLE: &[u8] = &[
        0x30, 0x34, 0x30, 0x32, 0x06, 0x06, 0x28, 0x81, 0x85, 0x42, 0x00, 0x01, 0x31, 0x28, 0x31,
        0x26, 0x30, 0x24, 0xa0, 0x22, 0x31, 0x20, 0xa0, 0x0c, 0x06, 0x0a, 0x2a, 0x83, 0x08, 0x86,
        0x91, 0x0f, 0x01, 0x06, 0x01, 0x01, 0xa2, 0x10, 0x0c, 0x0e, b'M', b'e', b'd', b'i', b'c',
        b'a', b'l', b' ', b'D', b'o', b'c', b't', b'o', b'r',
    ];

    #[test]
    fn hc_role_matches_production_bytes() {
        assert_eq!(hc_role("Medical Doctor"), MEDICAL_DOCTOR_HC_ROLE);
    }

    #[test]
    fn hc_role_lengths_follow_text() {
        let v = hc_role("Pharmacist");
        assert_eq!(v.len(), MEDICAL_DOCTOR_HC_ROLE.len() - 4);
        assert_eq!(&v[v.len() - 12..], b"\x0c\x0aPharmacist");
    }

    #[test]
    fn malformed_hc_role_differs_only_in_inner_length() {
        let good = hc_role("Medical Doctor");
        let bad = hc_role_malformed("Medical Doctor");
        assert_eq!(good.len(), bad.len());
        let diffs: Vec<usize> = (0..good.len()).filter(|i| good[*i] != bad[*i]).collect();
        assert_eq!(diffs, vec![39]);
        assert_eq!(bad[39], 0x7f);
    }

    #[test]
    fn policies_match_real_ca_encoding() {
        // From certs/medis-sign-ca2.der: policy 1.2.392.100495.1.5.1.1.3.1 with CPS qualifier.
        let real = hex::decode(
            "30423040060C2A830886910F0105010103013030302E06082B06010505070201\
             1622687474703A2F2F68706B692E6D686C772E676F2E6A702F7265706F7369746F72792F",
        )
        .expect("hex");
        assert_eq!(
            certificate_policies(&POLICY_SIGNING_CA, "http://hpki.mhlw.go.jp/repository/"),
            real
        );
    }

    #[test]
    fn crl_dp_matches_real_ca_encoding() {
        // The URI half of certs/medis-sign-ca2.der's cRLDistributionPoints.
        let v = crl_distribution_points(&[DistPoint::Uri(
            "http://hpki.mhlw.go.jp/repository/rlist/sarl2.crl",
        )]);
        let real_tail = hex::decode(
            "3037A035A0338631687474703A2F2F68706B692E6D686C772E676F2E6A702F\
             7265706F7369746F72792F726C6973742F7361726C322E63726C",
        )
        .expect("hex");
        assert_eq!(&v[2..], &real_tail[..]);
    }
}
