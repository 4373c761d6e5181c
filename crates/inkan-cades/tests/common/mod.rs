//! Shared helpers: the test PKI, a software signer, openssl and temp dirs.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, PkiConfig, TestPki};

pub const DOC: &[u8] = "<?xml version=\"1.0\"?>\n<letter>診療情報提供書</letter>\n".as_bytes();

pub fn pki() -> Arc<TestPki> {
    inkan_testpki::cached(&PkiConfig::default())
}

pub fn signer(name: &str) -> SoftwareSigner {
    let pki = pki();
    let id = pki.identity(name).expect("identity");
    SoftwareSigner::new(id.cert_der.clone(), id.key.clone())
}

pub fn opts(attached: bool) -> SignOptions {
    let pki = pki();
    SignOptions {
        attached,
        signing_time: pki.now + Duration::from_secs(3600),
        extra_certificates: vec![pki.ca(CaId::SigningCa).cert_der.clone()],
    }
}

pub fn sign_as(name: &str, attached: bool) -> Vec<u8> {
    inkan_cades::sign(DOC, &mut signer(name), &opts(attached)).expect("sign")
}

/// A temporary directory, removed when dropped.
pub struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh directory with the test PKI written into it and `doc.xml`.
pub fn tmp_dir(tag: &str) -> TmpDir {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "inkan-cades-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    pki().write_to(&dir).unwrap();
    std::fs::write(dir.join("doc.xml"), DOC).unwrap();
    TmpDir(dir)
}

/// `-attime` value: one hour after the test PKI's `now`, when every good certificate is valid.
pub fn attime() -> String {
    (pki().now + Duration::from_secs(3600))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

/// Runs openssl in `dir`; returns (success, stdout+stderr).
pub fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed for the interop tests");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `openssl cms -sign` as `name` with extra flags; returns the output file's bytes.
pub fn openssl_sign(dir: &Path, name: &str, extra: &[&str]) -> Vec<u8> {
    let cert = format!("{name}.pem");
    let key = format!("{name}.key.pem");
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-in",
        "doc.xml",
        "-outform",
        "DER",
        "-out",
        "out.p7s",
        "-signer",
        &cert,
        "-inkey",
        &key,
        "-certfile",
        "signing-ca.pem",
    ];
    args.extend_from_slice(extra);
    let (ok, out) = openssl(dir, &args);
    assert!(ok, "openssl cms -sign {extra:?} failed: {out}");
    std::fs::read(dir.join("out.p7s")).unwrap()
}

pub fn now() -> SystemTime {
    pki().now
}

/// Splits DER contents into (tag, raw TLV, value) triples.
pub fn tlvs(mut input: &[u8]) -> Vec<(u8, &[u8], &[u8])> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let tag = input[0];
        let (len, hlen) = if input[1] < 0x80 {
            (input[1] as usize, 2)
        } else {
            let n = (input[1] & 0x7f) as usize;
            let l = input[2..2 + n]
                .iter()
                .fold(0usize, |a, b| (a << 8) | *b as usize);
            (l, 2 + n)
        };
        out.push((tag, &input[..hlen + len], &input[hlen..hlen + len]));
        input = &input[hlen + len..];
    }
    out
}

fn indef(tag: u8, children: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![tag | 0x20, 0x80];
    for c in children {
        v.extend_from_slice(c);
    }
    v.extend_from_slice(&[0, 0]);
    v
}

/// Re-encodes a DER ContentInfo(SignedData) the way streaming encoders do:
/// indefinite lengths on ContentInfo, SignedData, encapContentInfo,
/// certificates, signerInfos and each SignerInfo, and the eContent as a
/// constructed OCTET STRING of 16-byte chunks. Signed attributes and
/// certificates stay DER.
pub fn to_streaming_ber(der: &[u8]) -> Vec<u8> {
    let ci = tlvs(der)[0];
    let ci_parts = tlvs(ci.2);
    let sd = tlvs(ci_parts[1].2)[0];
    let mut sd_children = Vec::new();
    for (tag, raw, value) in tlvs(sd.2) {
        let child = match tag {
            // encapContentInfo
            0x30 => {
                let parts = tlvs(value);
                let mut kids = vec![parts[0].1.to_vec()];
                if let Some(ec) = parts.get(1) {
                    let os = tlvs(ec.2)[0];
                    let chunks: Vec<Vec<u8>> =
                        os.2.chunks(16)
                            .map(|c| {
                                let mut v = vec![0x04, c.len() as u8];
                                v.extend_from_slice(c);
                                v
                            })
                            .collect();
                    kids.push(indef(0xa0, &[indef(0x24, &chunks)]));
                }
                indef(0x30, &kids)
            }
            // certificates [0]
            0xa0 => indef(
                0xa0,
                &tlvs(value).iter().map(|t| t.1.to_vec()).collect::<Vec<_>>(),
            ),
            // signerInfos (the SET after certificates; digestAlgorithms is the first SET)
            0x31 if raw.as_ptr() != tlvs(sd.2)[1].1.as_ptr() => {
                let sis: Vec<Vec<u8>> = tlvs(value)
                    .iter()
                    .map(|si| {
                        indef(
                            0x30,
                            &tlvs(si.2).iter().map(|t| t.1.to_vec()).collect::<Vec<_>>(),
                        )
                    })
                    .collect();
                indef(0x31, &sis)
            }
            _ => raw.to_vec(),
        };
        sd_children.push(child);
    }
    indef(
        0x30,
        &[
            ci_parts[0].1.to_vec(),
            indef(0xa0, &[indef(0x30, &sd_children)]),
        ],
    )
}
