//! A test time-stamp authority (RFC 3161) under the TEST root, served over
//! loopback HTTP, with switches for the ways a TSA can answer badly.
//!
//! ```no_run
//! let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
//! let tsa = inkan_testpki::TestTsa::new(&pki).unwrap();
//! let server = inkan_testpki::TsaServer::start(tsa).unwrap();
//! let url = server.url(); // http://127.0.0.1:PORT/tsa
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use der::oid::ObjectIdentifier;
use der::{Decode, Encode, Tagged};
use sha2::{Digest, Sha256};

use crate::der_enc::{cons, octets, oid, seq, set_of, tlv, uint, uint_u64};
use crate::{PkiError, PrivateKey, TestPki};

/// The test TSA's policy OID (under the private test arc of the test PKI).
pub const TEST_TSA_POLICY: &str = "1.3.6.1.4.1.99999.3161.1";

const ID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const ID_CT_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const ID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const ID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const ID_SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";

fn o(s: &str) -> Vec<u8> {
    oid(&ObjectIdentifier::new_unwrap(s))
}

/// How the TSA misbehaves, for client tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TsaFault {
    /// A correct answer.
    #[default]
    None,
    /// The nonce in the token is not the request's.
    WrongNonce,
    /// The imprint in the token is not the request's.
    WrongImprint,
    /// PKIStatus rejection (2) with a statusString.
    Refuse,
    /// The token's signature does not verify.
    BadSignature,
}

/// The test TSA: its certificate (issued by the TEST root), its key, and
/// the time it puts in tokens.
#[derive(Debug, Clone)]
pub struct TestTsa {
    /// The TSA certificate (DER).
    pub cert_der: Vec<u8>,
    /// Its key.
    pub key: PrivateKey,
    /// The issuing root's certificate (DER), for the token's certificate set.
    pub root_der: Vec<u8>,
    /// genTime of the tokens; `None` = the wall clock.
    pub time: Option<SystemTime>,
}

impl TestTsa {
    /// The TSA of `pki`, stamping at `pki.now`.
    pub fn new(pki: &TestPki) -> Result<TestTsa, PkiError> {
        let (cert_der, key) = crate::issue::issue_tsa(pki)?;
        Ok(TestTsa {
            cert_der,
            key,
            root_der: pki.root.cert_der.clone(),
            time: Some(pki.now),
        })
    }

    /// The key as PKCS#8 PEM (for `openssl ts -reply`).
    pub fn key_pem(&self) -> Result<String, PkiError> {
        crate::files::key_pem(&self.key, "tsa")
    }

    /// The certificate as PEM.
    pub fn cert_pem(&self) -> String {
        crate::cert_pem(&self.cert_der)
    }

    /// A token (DER ContentInfo) over `imprint` (SHA-256), with `nonce`.
    pub fn token(
        &self,
        imprint: &[u8],
        nonce: Option<&[u8]>,
        serial: u64,
    ) -> Result<Vec<u8>, PkiError> {
        self.token_with(imprint, nonce, serial, TsaFault::None)
    }

    fn token_with(
        &self,
        imprint: &[u8],
        nonce: Option<&[u8]>,
        serial: u64,
        fault: TsaFault,
    ) -> Result<Vec<u8>, PkiError> {
        let time = self.time.unwrap_or_else(SystemTime::now);
        let gen_time = generalized_time(time)?;
        let sha256 = seq(&[&o(SHA256)]);
        let mut imprint = imprint.to_vec();
        if fault == TsaFault::WrongImprint {
            if let Some(b) = imprint.first_mut() {
                *b ^= 0xff;
            }
        }
        let mut nonce = nonce.map(<[u8]>::to_vec);
        if fault == TsaFault::WrongNonce {
            nonce = Some(vec![0x7e, 0x57]);
        }
        let accuracy = seq(&[&uint_u64(1)]);
        let mut fields: Vec<Vec<u8>> = vec![
            uint_u64(1),
            o(TEST_TSA_POLICY),
            seq(&[&sha256, &octets(&imprint)]),
            uint_u64(serial),
            tlv(0x18, &gen_time),
            accuracy,
        ];
        if let Some(n) = &nonce {
            fields.push(uint(n));
        }
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        let tst_info = seq(&refs);

        let ess = seq(&[&seq(&[&seq(&[&octets(&Sha256::digest(&self.cert_der))])])]);
        let attrs = [
            seq(&[&o(ID_CONTENT_TYPE), &set_of(&[&o(ID_CT_TST_INFO)])]),
            seq(&[
                &o(ID_MESSAGE_DIGEST),
                &set_of(&[&octets(&Sha256::digest(&tst_info))]),
            ]),
            seq(&[&o(ID_SIGNING_CERTIFICATE_V2), &set_of(&[&ess])]),
        ];
        let attr_refs: Vec<&[u8]> = attrs.iter().map(Vec::as_slice).collect();
        let signed_attrs = set_of(&attr_refs);
        let mut signature = crate::issue::sign_sha256(&self.key, &signed_attrs)?;
        if fault == TsaFault::BadSignature {
            if let Some(b) = signature.last_mut() {
                *b ^= 0x01;
            }
        }
        let mut implicit = signed_attrs.clone();
        implicit[0] = 0xa0;
        let cert = x509_cert::Certificate::from_der(&self.cert_der)
            .map_err(|e| PkiError::InvalidConfig(format!("TSA certificate: {e}")))?;
        let issuer = cert
            .tbs_certificate()
            .issuer()
            .to_der()
            .map_err(|e| PkiError::InvalidConfig(e.to_string()))?;
        let serial_der = cert
            .tbs_certificate()
            .serial_number()
            .to_der()
            .map_err(|e| PkiError::InvalidConfig(e.to_string()))?;
        let signer_info = seq(&[
            &uint_u64(1),
            &seq(&[&issuer, &serial_der]),
            &sha256,
            &implicit,
            &seq(&[&o(SHA256_WITH_RSA), &crate::der_enc::null()]),
            &octets(&signature),
        ]);
        let signed_data = seq(&[
            &uint_u64(3),
            &set_of(&[&sha256]),
            &seq(&[&o(ID_CT_TST_INFO), &cons(0xa0, &[&octets(&tst_info)])]),
            &cons(0xa0, &[&self.cert_der, &self.root_der]),
            &set_of(&[&signer_info]),
        ]);
        Ok(seq(&[&o(ID_SIGNED_DATA), &cons(0xa0, &[&signed_data])]))
    }

    /// The TimeStampResp to the DER TimeStampReq `req`.
    pub fn respond(&self, req: &[u8], serial: u64, fault: TsaFault) -> Result<Vec<u8>, PkiError> {
        if fault == TsaFault::Refuse {
            let text = seq(&[&crate::der_enc::utf8("TEST TSA: request refused")]);
            return Ok(seq(&[&seq(&[&uint_u64(2), &text])]));
        }
        let (imprint, nonce) = parse_request(req)?;
        let token = self.token_with(&imprint, nonce.as_deref(), serial, fault)?;
        Ok(seq(&[&seq(&[&uint_u64(0)]), &token]))
    }
}

/// `YYYYMMDDhhmmssZ` of `t`.
fn generalized_time(t: SystemTime) -> Result<Vec<u8>, PkiError> {
    let g = der::asn1::GeneralizedTime::from_system_time(t)
        .map_err(|e| PkiError::InvalidConfig(format!("genTime: {e}")))?;
    let d = g
        .to_der()
        .map_err(|e| PkiError::InvalidConfig(e.to_string()))?;
    Ok(d[2..].to_vec())
}

/// (hashedMessage, nonce) of a TimeStampReq; only SHA-256 imprints.
fn parse_request(req: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), PkiError> {
    let bad = |m: &str| PkiError::InvalidConfig(format!("TimeStampReq: {m}"));
    let fields = Vec::<der::Any>::from_der(req).map_err(|_| bad("does not parse"))?;
    let mi = fields.get(1).ok_or_else(|| bad("no messageImprint"))?;
    let mi = Vec::<der::Any>::from_der(&mi.to_der().map_err(|_| bad("imprint"))?)
        .map_err(|_| bad("imprint"))?;
    let hashed = mi.get(1).ok_or_else(|| bad("no hashedMessage"))?;
    let nonce = fields
        .iter()
        .skip(2)
        .find(|f| f.tag() == der::Tag::Integer)
        .map(|n| n.value().to_vec());
    Ok((hashed.value().to_vec(), nonce))
}

#[derive(Debug, Default)]
struct Shared {
    fault: Mutex<TsaFault>,
    requests: AtomicUsize,
    stop: AtomicBool,
}

/// Serves `POST /tsa` (RFC 3161 §3.4) on loopback until dropped.
#[derive(Debug)]
pub struct TsaServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl TsaServer {
    /// Binds 127.0.0.1 on a free port and serves `tsa`.
    pub fn start(tsa: TestTsa) -> Result<TsaServer, PkiError> {
        let io = |source| PkiError::Io {
            path: "<tsa server>".into(),
            source,
        };
        let listener = TcpListener::bind("127.0.0.1:0").map_err(io)?;
        let addr = listener.local_addr().map_err(io)?;
        let shared = Arc::new(Shared::default());
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("inkan-testpki-tsa".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if worker.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(s) = stream {
                        handle(s, &tsa, &worker);
                    }
                }
            })
            .map_err(io)?;
        Ok(TsaServer {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/tsa`.
    pub fn url(&self) -> String {
        format!("http://{}/tsa", self.addr)
    }

    /// Makes the next answers misbehave (or behave again).
    pub fn set_fault(&self, fault: TsaFault) {
        *self.shared.fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    /// How many requests were answered.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TsaServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(stream: TcpStream, tsa: &TestTsa, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
    }
    let mut body = vec![0u8; length.min(64 * 1024)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let n = shared.requests.fetch_add(1, Ordering::SeqCst) as u64;
    let fault = *shared.fault.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = &stream;
    let post = request_line.starts_with("POST ");
    let answer = if post {
        tsa.respond(&body, 1000 + n, fault).ok()
    } else {
        None
    };
    let _ = match answer {
        Some(resp) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                resp.len()
            );
            out.write_all(head.as_bytes())
                .and_then(|()| out.write_all(&resp))
        }
        None => out.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ),
    };
    let _ = out.flush();
}
