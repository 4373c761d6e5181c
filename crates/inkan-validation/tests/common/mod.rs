//! Shared by the time-stamp scenario files: one test PKI with its CRLs on
//! loopback, signing, stamping and explaining reports.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Encode};
use inkan_testpki::craft;

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, CrlServer, PkiConfig, TestPki, TestTsa};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{DocumentPolicy, Options, ValidationReport};
use sha2::Digest;

pub const LETTER: &[u8] = "診療情報提供書 (time-stamp scenarios)".as_bytes();
pub const DAY: u64 = 86_400;
pub const HOUR: u64 = 3_600;

pub struct Fixture {
    pub pki: TestPki,
    _server: CrlServer,
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let pki = inkan_testpki::generate(&PkiConfig::default().with_crl_port(port)).unwrap();
        let server = CrlServer::start(listener, &pki).unwrap();
        Fixture {
            pki,
            _server: server,
        }
    })
}

pub fn pki() -> &'static TestPki {
    &fixture().pki
}

pub fn ago(secs: u64) -> SystemTime {
    pki().now - Duration::from_secs(secs)
}

pub fn sign_with(cert: Vec<u8>, key: rsa::PrivateKey) -> Vec<u8> {
    let mut s = SoftwareSigner::new(cert, key);
    inkan_cades::sign(
        LETTER,
        &mut s,
        &SignOptions {
            attached: false,
            signing_time: pki().now,
            extra_certificates: vec![pki().ca(CaId::SigningCa).cert_der.clone()],
        },
    )
    .unwrap()
}

pub fn sign_as(id: &str) -> Vec<u8> {
    let ident = pki().identity(id).unwrap();
    sign_with(ident.cert_der.clone(), ident.key.clone())
}

/// The test TSA (its certificate under the test root), stamping at `t`.
pub fn tsa_at(t: SystemTime) -> TestTsa {
    let mut tsa = TestTsa::new(pki()).unwrap();
    tsa.time = Some(t);
    tsa
}

pub fn sig_value(sig: &[u8], index: usize) -> Vec<u8> {
    inkan_cades::parse(sig).unwrap().signers[index]
        .signature
        .clone()
}

/// `sig` with a signature-time-stamp by `tsa` (its genTime) on signer `index`.
pub fn stamp(sig: &[u8], index: usize, tsa: &TestTsa) -> Vec<u8> {
    let imprint = sha2::Sha256::digest(sig_value(sig, index)).to_vec();
    let token = tsa.token(&imprint, None, 7).unwrap();
    inkan_cades::augment::add_signature_timestamp(sig, index, &token).unwrap()
}

/// The test root as the only signer and TSA anchor, at `at`.
pub fn options(at: SystemTime, revocation: RevocationConfig) -> Options {
    Options {
        trust: TrustStore::Test {
            anchors: vec![pki().root.cert_der.clone()],
            pool: Vec::new(),
            label: "test PKI".into(),
        },
        at: Some(at),
        revocation,
        policy: DocumentPolicy::ReferralLetter,
        tsa_trust: vec![pki().root.cert_der.clone()],
    }
}

/// The verdict and every time-stamp's, for assertion messages.
pub fn explain(r: &ValidationReport) -> String {
    let ts: Vec<String> = r
        .signers
        .iter()
        .flat_map(|s| s.timestamps.iter())
        .map(|t| {
            format!(
                "[{} {} gen={:?} detail={:?}]",
                t.kind,
                t.indication,
                t.gen_time,
                t.detail.as_ref().map(|d| d.en.clone())
            )
        })
        .collect();
    format!(
        "{} {:?} {} bst={:?} ts={}",
        r.indication.as_str(),
        r.sub_indication,
        r.summary.en,
        r.best_signature_time,
        ts.join(" ")
    )
}

// ------------------------------------------- long-term scenario helpers

pub fn utc(t: SystemTime) -> Vec<u8> {
    der::asn1::UtcTime::from_system_time(t)
        .unwrap()
        .to_der()
        .unwrap()
}

pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    craft::tlv(tag, content)
}

pub fn big_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let b = n.to_be_bytes();
        let skip = b.iter().take_while(|x| **x == 0).count();
        v.push(0x80 | (b.len() - skip) as u8);
        v.extend_from_slice(&b[skip..]);
    }
    v.extend_from_slice(content);
    v
}

/// Another TSA certificate under the TEST root (so trusted), with its own key
/// (identity `key_of`'s), serial `serial`, valid `nb`..`na`.
pub fn other_tsa(
    serial: &[u8],
    key_of: &str,
    nb: SystemTime,
    na: SystemTime,
    t: SystemTime,
) -> TestTsa {
    let base = TestTsa::new(pki()).unwrap();
    let ident = pki().identity(key_of).unwrap();
    let ident_tbs = Vec::<Any>::from_der(
        &Vec::<Any>::from_der(&ident.cert_der).unwrap()[0]
            .to_der()
            .unwrap(),
    )
    .unwrap();
    let spki = ident_tbs[6].clone();
    let cert = craft::resigned(&base.cert_der, &pki().root.key, |f| {
        f[1] = Any::from_der(&tlv(0x02, serial)).unwrap();
        f[4] = Any::from_der(&tlv(0x30, &[utc(nb), utc(na)].concat())).unwrap();
        f[6] = spki;
    });
    TestTsa {
        cert_der: cert,
        key: ident.key.clone(),
        root_der: pki().root.cert_der.clone(),
        time: Some(t),
    }
}

/// An ARL (root CRL) issued at `this_update` listing `revoked`.
pub fn arl(this_update: SystemTime, revoked: &[(&[u8], SystemTime)], number: u8) -> Vec<u8> {
    craft::crl(
        &pki().root.cert_der,
        &pki().root.key,
        this_update,
        pki().now + Duration::from_secs(30 * DAY),
        revoked,
        Vec::new(),
        number,
    )
}

pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

pub fn online_with(crls: Vec<Vec<u8>>) -> RevocationConfig {
    RevocationConfig {
        crls,
        timeout: Duration::from_secs(5),
        ..RevocationConfig::default()
    }
}

pub const TSA_X_SERIAL: &[u8] = &[0x58, 0x58];

pub const TSA_Y_SERIAL: &[u8] = &[0x59, 0x59];

/// TSA X: trusted, its key compromised and revoked 12 hours before now.
pub fn tsa_x(t: SystemTime) -> TestTsa {
    other_tsa(
        TSA_X_SERIAL,
        "nurse",
        ago(400 * DAY),
        pki().now + Duration::from_secs(3000 * DAY),
        t,
    )
}

/// TSA Y: trusted, its key compromised and revoked 36 hours before now.
pub fn tsa_y(t: SystemTime) -> TestTsa {
    other_tsa(
        TSA_Y_SERIAL,
        "pharmacist",
        ago(400 * DAY),
        pki().now + Duration::from_secs(3000 * DAY),
        t,
    )
}

pub fn compromised_arl() -> Vec<u8> {
    arl(
        ago(HOUR),
        &[
            (TSA_X_SERIAL, ago(12 * HOUR)),
            (TSA_Y_SERIAL, ago(36 * HOUR)),
        ],
        90,
    )
}

/// `sig` with the whole Attribute `attr_der` appended to signer 0's unsignedAttrs.
pub fn splice_attr(sig: &[u8], attr_der: &[u8]) -> Vec<u8> {
    let ci = Vec::<Any>::from_der(sig).unwrap();
    let sd = Vec::<Any>::from_der(ci[1].value()).unwrap();
    let mut sd_parts: Vec<Vec<u8>> = sd.iter().map(|a| a.to_der().unwrap()).collect();
    let last = sd_parts.len() - 1;
    let sis = Vec::<Any>::from_der(&{
        let mut v = sd_parts[last].clone();
        v[0] = 0x30;
        v
    })
    .unwrap();
    let si_fields: Vec<Any> = Vec::<Any>::from_der(&sis[0].to_der().unwrap()).unwrap();
    let mut parts: Vec<Vec<u8>> = si_fields.iter().map(|a| a.to_der().unwrap()).collect();
    let n = parts.len();
    if parts[n - 1][0] == 0xa1 {
        let inner = si_fields[n - 1].value().to_vec();
        parts[n - 1] = big_tlv(0xa1, &[inner, attr_der.to_vec()].concat());
    } else {
        parts.push(big_tlv(0xa1, attr_der));
    }
    let new_si = big_tlv(0x30, &parts.concat());
    let mut set_body = new_si;
    for s in sis.iter().skip(1) {
        set_body.extend(s.to_der().unwrap());
    }
    sd_parts[last] = big_tlv(0x31, &set_body);
    let sd_new = big_tlv(0x30, &sd_parts.concat());
    big_tlv(
        0x30,
        &[ci[0].to_der().unwrap(), big_tlv(0xa0, &sd_new)].concat(),
    )
}
