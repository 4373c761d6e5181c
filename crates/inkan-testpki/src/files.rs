//! The on-disk form of a test PKI: PEM certificates, PKCS #8 PEM keys, DER CRLs
//! and `manifest.json`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use der::{Decode, Encode};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use serde::{Deserialize, Serialize};

use crate::time::serde_rfc3339;
use crate::{
    CaCert, CaId, CrlFile, Expectation, Identity, IdentitySpec, PkiError, PrivateKey, TestPki,
};

/// The `format` value of `manifest.json`.
pub const MANIFEST_FORMAT: &str = "inkan-testpki/1";

/// The directory (under the output directory) holding the CRLs.
const CRL_DIR: &str = "crl";

/// `manifest.json`: what the simulator and tests read.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    /// The seed, 64 hex digits.
    seed: String,
    #[serde(with = "serde_rfc3339")]
    now: SystemTime,
    crl_base_url: String,
    /// The certificate file of the (test) trust anchor.
    trust_anchor: String,
    cas: Vec<CaEntry>,
    identities: Vec<IdentityEntry>,
    crls: Vec<CrlEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaEntry {
    id: CaId,
    cert: String,
    key: String,
    issuer: CaId,
    subject: String,
    /// The CRL this CA issues, if any.
    crl: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityEntry {
    id: String,
    cert: String,
    key: String,
    issuer: CaId,
    /// Certificate files from the issuing CA to the root.
    chain: Vec<String>,
    role: Option<String>,
    expect: Expectation,
    crl: String,
    crl_url: String,
    /// Certificate serial number, lower-case hex.
    serial: String,
    subject: String,
    #[serde(with = "serde_rfc3339")]
    not_before: SystemTime,
    #[serde(with = "serde_rfc3339")]
    not_after: SystemTime,
    key_bits: usize,
    signature_algorithm: String,
    spec: IdentitySpec,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrlEntry {
    name: String,
    /// Relative path of the DER file.
    file: String,
    url: String,
    issuer: CaId,
}

/// PEM with LF line endings.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    // Encoding into a String cannot fail for a fixed, valid label.
    der::pem::encode_string(label, LineEnding::LF, der).unwrap_or_default()
}

/// PKCS #8 PEM of a private key.
pub(crate) fn key_pem(key: &PrivateKey, what: &str) -> Result<String, PkiError> {
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|z| z.as_str().to_owned())
        .map_err(|e| PkiError::Encode {
            what: format!("{what} private key"),
            reason: e.to_string(),
        })
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.to_owned(),
        source,
    }
}

fn load_err(path: &Path, reason: impl Into<String>) -> PkiError {
    PkiError::Load {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Writes `data` to `path` atomically: a temporary file in the same directory,
/// flushed to disk, then renamed over `path`.
fn write_atomic(path: &Path, data: &[u8], private: bool) -> Result<(), PkiError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
        f.write_all(data).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, path).map_err(io_err(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn parse_cert(der: &[u8], path: &Path) -> Result<x509_cert::Certificate, PkiError> {
    x509_cert::Certificate::from_der(der)
        .map_err(|e| load_err(path, format!("not a DER certificate: {e}")))
}

fn subject_string(cert: &x509_cert::Certificate) -> String {
    cert.tbs_certificate().subject().to_string()
}

pub(crate) fn write_to(pki: &TestPki, dir: &Path) -> Result<(), PkiError> {
    fs::create_dir_all(dir.join(CRL_DIR)).map_err(io_err(dir))?;
    let mut cas = Vec::new();
    for id in CaId::ALL {
        let ca = pki.ca(id);
        let stem = id.file_stem();
        let cert = format!("{stem}.pem");
        let key = format!("{stem}.key.pem");
        write_atomic(&dir.join(&cert), ca.cert_pem().as_bytes(), false)?;
        write_atomic(&dir.join(&key), key_pem(&ca.key, stem)?.as_bytes(), true)?;
        let parsed = parse_cert(&ca.cert_der, &dir.join(&cert))?;
        cas.push(CaEntry {
            id,
            cert,
            key,
            issuer: id.issuer(),
            subject: subject_string(&parsed),
            crl: id.crl_name().map(str::to_owned),
        });
    }
    let mut identities = Vec::new();
    for (id, ident) in &pki.identities {
        let cert = format!("{id}.pem");
        let key = format!("{id}.key.pem");
        write_atomic(&dir.join(&cert), ident.cert_pem().as_bytes(), false)?;
        write_atomic(&dir.join(&key), ident.key_pem()?.as_bytes(), true)?;
        let parsed = parse_cert(&ident.cert_der, &dir.join(&cert))?;
        let tbs = parsed.tbs_certificate();
        let key_bits = rsa::traits::PublicKeyParts::size(&ident.key) * 8;
        identities.push(IdentityEntry {
            id: id.clone(),
            cert,
            key,
            issuer: ident.issuer,
            chain: vec![
                format!("{}.pem", ident.issuer.file_stem()),
                format!("{}.pem", ident.issuer.issuer().file_stem()),
            ],
            role: ident.role.clone(),
            expect: ident.expect.clone(),
            crl: ident.crl.clone(),
            crl_url: pki.crl_url(&ident.crl),
            serial: hex::encode(tbs.serial_number().as_bytes()),
            subject: subject_string(&parsed),
            not_before: tbs.validity().not_before.to_system_time(),
            not_after: tbs.validity().not_after.to_system_time(),
            key_bits,
            signature_algorithm: parsed.signature_algorithm().oid.to_string(),
            spec: ident.spec.clone(),
        });
    }
    let mut crls = Vec::new();
    for crl in &pki.crls {
        let file = format!("{CRL_DIR}/{}", crl.name);
        write_atomic(&dir.join(&file), &crl.der, false)?;
        crls.push(CrlEntry {
            name: crl.name.clone(),
            file,
            url: pki.crl_url(&crl.name),
            issuer: crl.issuer,
        });
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        seed: hex::encode(pki.seed),
        now: pki.now,
        crl_base_url: pki.crl_base_url.clone(),
        trust_anchor: format!("{}.pem", CaId::Root.file_stem()),
        cas,
        identities,
        crls,
    };
    let mut json = serde_json::to_string_pretty(&manifest).map_err(|e| PkiError::Encode {
        what: "manifest.json".into(),
        reason: e.to_string(),
    })?;
    json.push('\n');
    write_atomic(&dir.join("manifest.json"), json.as_bytes(), false)
}

/// A relative file name from the manifest, refusing anything that leaves `dir`.
fn safe_join(dir: &Path, rel: &str, manifest: &Path) -> Result<PathBuf, PkiError> {
    let p = Path::new(rel);
    let ok = !rel.is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !ok {
        return Err(load_err(manifest, format!("unsafe file name {rel:?}")));
    }
    Ok(dir.join(p))
}

fn read(path: &Path) -> Result<Vec<u8>, PkiError> {
    fs::read(path).map_err(io_err(path))
}

fn read_cert_pem(path: &Path) -> Result<Vec<u8>, PkiError> {
    let text = read(path)?;
    let (label, der) =
        der::pem::decode_vec(&text).map_err(|e| load_err(path, format!("not PEM: {e}")))?;
    if label != "CERTIFICATE" {
        return Err(load_err(
            path,
            format!("PEM label {label:?}, not CERTIFICATE"),
        ));
    }
    parse_cert(&der, path)?;
    Ok(der)
}

/// Reads a PKCS #8 key and checks that it belongs to `cert_der`.
fn read_key(path: &Path, cert_der: &[u8]) -> Result<PrivateKey, PkiError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    let key = PrivateKey::from_pkcs8_pem(&text)
        .map_err(|e| load_err(path, format!("not a PKCS #8 RSA key: {e}")))?;
    let spki = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| load_err(path, e.to_string()))?;
    let cert = parse_cert(cert_der, path)?;
    let cert_spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| load_err(path, e.to_string()))?;
    if spki.as_bytes() != cert_spki.as_slice() {
        return Err(load_err(path, "key does not match its certificate"));
    }
    Ok(key)
}

pub(crate) fn load(dir: &Path) -> Result<TestPki, PkiError> {
    let mpath = dir.join("manifest.json");
    let text = read(&mpath)?;
    let m: Manifest = serde_json::from_slice(&text)
        .map_err(|e| load_err(&mpath, format!("invalid manifest: {e}")))?;
    if m.format != MANIFEST_FORMAT {
        return Err(load_err(
            &mpath,
            format!("format {:?}, expected {MANIFEST_FORMAT:?}", m.format),
        ));
    }
    let seed = crate::seed_from_hex(&m.seed).map_err(|e| load_err(&mpath, e.to_string()))?;

    let load_ca = |id: CaId| -> Result<CaCert, PkiError> {
        let entry = m
            .cas
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| load_err(&mpath, format!("no CA {}", id.file_stem())))?;
        let cert_der = read_cert_pem(&safe_join(dir, &entry.cert, &mpath)?)?;
        let key = read_key(&safe_join(dir, &entry.key, &mpath)?, &cert_der)?;
        Ok(CaCert { id, cert_der, key })
    };
    let root = load_ca(CaId::Root)?;
    let signing_ca = load_ca(CaId::SigningCa)?;
    let auth_ca = load_ca(CaId::AuthCa)?;
    let rogue_root = load_ca(CaId::RogueRoot)?;
    let rogue_ca = load_ca(CaId::RogueCa)?;

    let mut identities = std::collections::BTreeMap::new();
    for e in m.identities {
        let cert_der = read_cert_pem(&safe_join(dir, &e.cert, &mpath)?)?;
        let key = read_key(&safe_join(dir, &e.key, &mpath)?, &cert_der)?;
        if e.spec.id != e.id {
            return Err(load_err(
                &mpath,
                format!("identity {:?}: spec id differs", e.id),
            ));
        }
        identities.insert(
            e.id.clone(),
            Identity {
                name: e.id,
                cert_der,
                key,
                issuer: e.issuer,
                expect: e.expect,
                role: e.role,
                crl: e.crl,
                spec: e.spec,
            },
        );
    }
    let mut crls = Vec::new();
    for c in m.crls {
        let der = read(&safe_join(dir, &c.file, &mpath)?)?;
        crls.push(CrlFile {
            name: c.name,
            issuer: c.issuer,
            der,
        });
    }
    Ok(TestPki {
        seed,
        now: m.now,
        crl_base_url: m.crl_base_url,
        root,
        signing_ca,
        auth_ca,
        rogue_root,
        rogue_ca,
        identities,
        crls,
    })
}
