//! RFC 3161 time-stamp protocol: the request, the response, the TSTInfo, and
//! the checks a client and a verifier make on a token.
//!
//! ```asn1
//! TimeStampReq ::= SEQUENCE {
//!    version        INTEGER { v1(1) },
//!    messageImprint MessageImprint,
//!    reqPolicy      TSAPolicyId OPTIONAL,
//!    nonce          INTEGER OPTIONAL,
//!    certReq        BOOLEAN DEFAULT FALSE,
//!    extensions     [0] IMPLICIT Extensions OPTIONAL }
//! MessageImprint ::= SEQUENCE {
//!    hashAlgorithm  AlgorithmIdentifier,
//!    hashedMessage  OCTET STRING }
//! TimeStampResp ::= SEQUENCE {
//!    status         PKIStatusInfo,
//!    timeStampToken TimeStampToken OPTIONAL }
//! PKIStatusInfo ::= SEQUENCE {
//!    status         PKIStatus,                 -- granted(0), grantedWithMods(1), …
//!    statusString   PKIFreeText OPTIONAL,
//!    failInfo       PKIFailureInfo OPTIONAL }
//! TSTInfo ::= SEQUENCE {
//!    version        INTEGER { v1(1) },
//!    policy         TSAPolicyId,
//!    messageImprint MessageImprint,
//!    serialNumber   INTEGER,
//!    genTime        GeneralizedTime,
//!    accuracy       Accuracy OPTIONAL,
//!    ordering       BOOLEAN DEFAULT FALSE,
//!    nonce          INTEGER OPTIONAL,
//!    tsa            [0] GeneralName OPTIONAL,
//!    extensions     [1] IMPLICIT Extensions OPTIONAL }
//! Accuracy ::= SEQUENCE {
//!    seconds        INTEGER OPTIONAL,
//!    millis     [0] INTEGER (1..999) OPTIONAL,
//!    micros     [1] INTEGER (1..999) OPTIONAL }
//! ```

use std::time::{Duration, SystemTime};

use der::asn1::{Any, Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use sha2::Digest;
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::ext::Extension;
use x509_cert::Certificate;

use crate::TspError;

/// id-kp-timeStamping.
const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// A hash algorithm accepted for message imprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImprintHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512 (seen from Japanese accredited TSAs).
    Sha512,
}

impl ImprintHash {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            SHA256 => Some(ImprintHash::Sha256),
            SHA384 => Some(ImprintHash::Sha384),
            SHA512 => Some(ImprintHash::Sha512),
            _ => None,
        }
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            ImprintHash::Sha256 => SHA256,
            ImprintHash::Sha384 => SHA384,
            ImprintHash::Sha512 => SHA512,
        }
    }

    /// The hash of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            ImprintHash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            ImprintHash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            ImprintHash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// `SHA-256`, `SHA-384`, `SHA-512`.
    pub fn name(self) -> &'static str {
        match self {
            ImprintHash::Sha256 => "SHA-256",
            ImprintHash::Sha384 => "SHA-384",
            ImprintHash::Sha512 => "SHA-512",
        }
    }
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    #[asn1(optional = "true")]
    req_policy: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(default = "Default::default")]
    cert_req: bool,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct PkiStatusInfo {
    status: Int,
    #[asn1(optional = "true")]
    status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    fail_info: Option<der::asn1::BitString>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct Accuracy {
    #[asn1(optional = "true")]
    seconds: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    millis: Option<Int>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    micros: Option<Int>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TstInfoAsn1 {
    version: Int,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Int,
    /// GeneralizedTime, read by hand: RFC 3161 allows fractions of a second,
    /// which the `der` crate refuses.
    gen_time: Any,
    #[asn1(optional = "true")]
    accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Vec<Extension>>,
}

/// A time-stamp request, with what the response must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The DER `TimeStampReq` to send.
    pub der: Vec<u8>,
    /// The imprint algorithm.
    pub hash: ImprintHash,
    /// The hashed message (the imprint).
    pub imprint: Vec<u8>,
    /// The nonce, big-endian, positive.
    pub nonce: Vec<u8>,
}

/// Builds a request for `imprint` (already hashed with `hash`) with a random
/// 64-bit nonce and certReq TRUE, so that the TSA's certificate comes with
/// the token.
pub fn request(hash: ImprintHash, imprint: &[u8]) -> Result<Request, TspError> {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| TspError::Request(format!("no randomness: {e}")))?;
    // A positive INTEGER: clear the top bit rather than prepend a zero.
    nonce[0] &= 0x7f;
    nonce[0] |= 0x01;
    request_with_nonce(hash, imprint, &nonce)
}

/// [`request`] with a given nonce (for tests).
pub fn request_with_nonce(
    hash: ImprintHash,
    imprint: &[u8],
    nonce: &[u8],
) -> Result<Request, TspError> {
    let bad = |e: der::Error| TspError::Request(e.to_string());
    let req = TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: hash.oid(),
                parameters: None,
            },
            hashed_message: OctetString::new(imprint).map_err(bad)?,
        },
        req_policy: None,
        nonce: Some(Int::new(nonce).map_err(bad)?),
        cert_req: true,
    };
    Ok(Request {
        der: req.to_der().map_err(bad)?,
        hash,
        imprint: imprint.to_vec(),
        nonce: strip(nonce).to_vec(),
    })
}

fn strip(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// The TSTInfo of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TstInfo {
    /// The TSA's policy (dotted OID).
    pub policy: String,
    /// The imprint algorithm.
    pub hash: ImprintHash,
    /// The imprint.
    pub imprint: Vec<u8>,
    /// The serial number, hex.
    pub serial: String,
    /// genTime.
    pub gen_time: SystemTime,
    /// genTime as the token states it (`YYYYMMDDhhmmss[.f]Z`).
    pub gen_time_text: String,
    /// The accuracy, when stated (RFC 3161: unknown when absent).
    pub accuracy: Option<Duration>,
    /// The nonce, when present (big-endian, no leading zeros).
    pub nonce: Option<Vec<u8>>,
    /// The `tsa` name, when present (RFC 4514 for a directoryName).
    pub tsa_name: Option<String>,
    /// The DER TSTInfo.
    pub der: Vec<u8>,
}

/// Parses a DER TSTInfo.
pub fn parse_tst_info(der_bytes: &[u8]) -> Result<TstInfo, TspError> {
    let bad = |what: &str| TspError::Token(what.to_string());
    let t = TstInfoAsn1::from_der(der_bytes)
        .map_err(|e| TspError::Token(format!("TSTInfo does not parse: {e}")))?;
    if strip(t.version.as_bytes()) != [1] {
        return Err(bad("TSTInfo version is not 1"));
    }
    let hash = ImprintHash::from_oid(&t.message_imprint.hash_algorithm.oid).ok_or_else(|| {
        TspError::Token(format!(
            "imprint algorithm {} is not accepted (SHA-256/384/512)",
            t.message_imprint.hash_algorithm.oid
        ))
    })?;
    if t.gen_time.tag() != Tag::GeneralizedTime {
        return Err(bad("genTime is not a GeneralizedTime"));
    }
    let (gen_time, gen_time_text) = generalized_time(t.gen_time.value())?;
    for ext in t.extensions.iter().flatten() {
        if ext.critical {
            return Err(TspError::Token(format!(
                "TSTInfo has an unknown critical extension {}",
                ext.extn_id
            )));
        }
    }
    let accuracy = t.accuracy.as_ref().map(|a| {
        let n = |i: &Option<Int>| {
            i.as_ref()
                .map(|v| {
                    strip(v.as_bytes()).iter().fold(0u64, |acc, b| {
                        acc.saturating_mul(256).saturating_add(u64::from(*b))
                    })
                })
                .unwrap_or(0)
        };
        // Saturating: an absurd accuracy must not overflow.
        Duration::from_secs(n(&a.seconds))
            .saturating_add(Duration::from_millis(n(&a.millis)))
            .saturating_add(Duration::from_micros(n(&a.micros)))
    });
    let tsa_name = t.tsa.as_ref().map(|g| match g {
        GeneralName::DirectoryName(n) => inkan_l10n::escape_display(&n.to_string()),
        other => format!("{other:?}"),
    });
    Ok(TstInfo {
        policy: t.policy.to_string(),
        hash,
        imprint: t.message_imprint.hashed_message.as_bytes().to_vec(),
        serial: hex::encode_upper(t.serial_number.as_bytes()),
        gen_time,
        gen_time_text,
        accuracy,
        nonce: t.nonce.as_ref().map(|n| strip(n.as_bytes()).to_vec()),
        tsa_name,
        der: der_bytes.to_vec(),
    })
}

/// `YYYYMMDDhhmmss[.fff…]Z` (RFC 3161 §2.4.2; X.690 §11.7 for DER: `Z`, no
/// trailing zeros in the fraction).
fn generalized_time(v: &[u8]) -> Result<(SystemTime, String), TspError> {
    let bad = || TspError::Token("genTime is not YYYYMMDDhhmmss[.f]Z".into());
    let s = std::str::from_utf8(v).map_err(|_| bad())?;
    let body = s.strip_suffix('Z').ok_or_else(bad)?;
    let (main, frac) = match body.split_once('.') {
        Some((m, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => (m, Some(f)),
        Some(_) => return Err(bad()),
        None => (body, None),
    };
    if main.len() != 14 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| main[r].parse::<u16>().map_err(|_| bad());
    let dt = der::DateTime::new(
        num(0..4)?,
        u8::try_from(num(4..6)?).map_err(|_| bad())?,
        u8::try_from(num(6..8)?).map_err(|_| bad())?,
        u8::try_from(num(8..10)?).map_err(|_| bad())?,
        u8::try_from(num(10..12)?).map_err(|_| bad())?,
        u8::try_from(num(12..14)?).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let mut t = dt.to_system_time();
    if let Some(f) = frac {
        let digits: String = f.chars().take(9).collect();
        let nanos = format!("{digits:0<9}").parse::<u32>().map_err(|_| bad())?;
        t += Duration::from_nanos(u64::from(nanos));
    }
    Ok((t, s.to_string()))
}

/// What a token proves, after [`verify_token`].
#[derive(Debug, Clone)]
pub struct TokenOk {
    /// The TSTInfo.
    pub info: TstInfo,
    /// The TSA's certificate (DER).
    pub tsa_cert: Vec<u8>,
    /// The certificates the token carries (DER), for the TSA's path.
    pub certificates: Vec<Vec<u8>>,
    /// The CRLs the token carries (DER).
    pub crls: Vec<Vec<u8>>,
    /// The token (DER ContentInfo), as given.
    pub token: Vec<u8>,
}

/// Checks a time-stamp token (a DER ContentInfo) for `data`, whose hash the
/// imprint must be: the token's own signature, the TSTInfo, and that the
/// TSA's certificate has exactly one extKeyUsage, critical,
/// id-kp-timeStamping (RFC 3161 §2.3) and is valid at genTime. Whether the
/// TSA is trusted (its path and revocation) is the caller's part.
pub fn verify_token(
    token: &[u8],
    data: &[u8],
    extra_certs: &[Vec<u8>],
) -> Result<TokenOk, TspError> {
    let parsed = inkan_cades::parse(token).map_err(|e| TspError::Token(e.to_string()))?;
    let integrity =
        inkan_cades::verify_timestamp_token(&parsed, extra_certs).map_err(|e| match e {
            inkan_cades::CadesError::UnsupportedDigest { .. }
            | inkan_cades::CadesError::UnsupportedSignatureAlgorithm { .. }
            | inkan_cades::CadesError::WeakKey { .. } => TspError::CryptoConstraints(e.to_string()),
            e => TspError::Token(e.to_string()),
        })?;
    let content = parsed
        .econtent
        .as_deref()
        .ok_or_else(|| TspError::Token("the token carries no TSTInfo".into()))?;
    let info = parse_tst_info(content)?;
    let expected = info.hash.digest(data);
    if expected != info.imprint {
        return Err(TspError::ImprintMismatch {
            algorithm: info.hash.name(),
        });
    }
    check_tsa_certificate(&integrity.signer_cert, info.gen_time)?;
    Ok(TokenOk {
        info,
        tsa_cert: integrity.signer_cert,
        certificates: parsed.certificates.clone(),
        crls: parsed.crls.clone(),
        token: token.to_vec(),
    })
}

/// RFC 3161 §2.3: "The corresponding certificate MUST contain only one
/// instance of the extended key usage field extension … with KeyPurposeID
/// having value id-kp-timeStamping. This extension MUST be critical." And
/// the certificate must be valid when it signed (genTime).
pub fn check_tsa_certificate(cert_der: &[u8], gen_time: SystemTime) -> Result<(), TspError> {
    let cert = Certificate::from_der(cert_der)
        .map_err(|e| TspError::TsaCertificate(format!("does not parse: {e}")))?;
    let tbs = cert.tbs_certificate();
    match tbs.get_extension::<ExtendedKeyUsage>() {
        Ok(Some((true, eku))) if eku.0 == [ID_KP_TIME_STAMPING] => {}
        Ok(Some((false, _))) => {
            return Err(TspError::TsaCertificate(
                "its extKeyUsage is not critical (RFC 3161 §2.3)".into(),
            ))
        }
        Ok(Some((true, eku))) => {
            return Err(TspError::TsaCertificate(format!(
                "its extKeyUsage is not id-kp-timeStamping alone ({})",
                eku.0
                    .iter()
                    .map(|o| o.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
        Ok(None) => {
            return Err(TspError::TsaCertificate(
                "it has no extKeyUsage id-kp-timeStamping".into(),
            ))
        }
        Err(e) => {
            return Err(TspError::TsaCertificate(format!(
                "its extKeyUsage does not parse or appears twice: {e}"
            )))
        }
    }
    let v = tbs.validity();
    if gen_time < v.not_before.to_system_time() || gen_time > v.not_after.to_system_time() {
        return Err(TspError::TsaCertificate(format!(
            "it was not valid at genTime ({} – {})",
            v.not_before, v.not_after
        )));
    }
    Ok(())
}

/// Checks a TSA's answer to `req` (RFC 3161 §2.4.2): the status is granted,
/// a token is present, its imprint and nonce are the request's, and the
/// token verifies ([`verify_token`] over `data`, whose hash was requested).
pub fn check_response(resp: &[u8], req: &Request, data: &[u8]) -> Result<TokenOk, TspError> {
    let bad = |what: String| TspError::Response(what);
    let parts = elements(resp).map_err(|e| bad(format!("does not parse: {e}")))?;
    let Some(status) = parts.first() else {
        return Err(bad("empty TimeStampResp".into()));
    };
    let status = PkiStatusInfo::from_der(status)
        .map_err(|e| bad(format!("PKIStatusInfo does not parse: {e}")))?;
    // PKIStatus is a small INTEGER: granted (0) and grantedWithMods (1) are
    // the only successes; anything longer than one octet is not one of them.
    let code = match strip(status.status.as_bytes()) {
        [] => 0,
        [b] => *b,
        _ => u8::MAX,
    };
    if code > 1 {
        let text = status
            .status_string
            .iter()
            .flatten()
            .map(|s| inkan_l10n::escape_display(s))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(TspError::Refused { status: code, text });
    }
    // The token is kept byte for byte as the TSA sent it.
    let token = parts
        .get(1)
        .ok_or_else(|| bad("granted, but no token".into()))?;
    let ok = verify_token(token, data, &[])?;
    if ok.info.hash != req.hash || ok.info.imprint != req.imprint {
        return Err(TspError::ImprintMismatch {
            algorithm: ok.info.hash.name(),
        });
    }
    if ok.info.nonce.as_deref() != Some(req.nonce.as_slice()) {
        return Err(bad("the nonce is not the request's".into()));
    }
    Ok(ok)
}

/// The elements of the DER SEQUENCE `input`, each as its exact bytes.
fn elements(input: &[u8]) -> Result<Vec<&[u8]>, der::Error> {
    use der::Reader as _;
    let mut outer = der::SliceReader::new(input)?;
    let header = der::Header::decode(&mut outer)?;
    if header.tag() != Tag::Sequence {
        return Err(der::Error::from(der::ErrorKind::TagUnexpected {
            expected: Some(Tag::Sequence),
            actual: header.tag(),
        }));
    }
    let body = outer.read_slice(header.length())?;
    outer.finish()?;
    let mut r = der::SliceReader::new(body)?;
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(r.tlv_bytes()?);
    }
    Ok(out)
}
