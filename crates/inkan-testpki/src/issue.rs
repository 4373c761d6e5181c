//! Key derivation, certificate issuance (RFC 5280 §4.1) and CRL issuance (RFC 5280 §5.1).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::{Pkcs1v15Sign, PrivateKey};
use sha2::{Digest, Sha256};

use crate::der_enc::{bits, enumerated, seq, tlv, uint, uint_u64};
use crate::profile::{self, Atv, DistPoint};
use crate::time::{add_years_jst, der_time, jst_midnight, system, unix, DAY};
use crate::{
    CaCert, CaId, CrlFile, Defect, Expectation, Identity, IdentitySpec, PkiConfig, PkiError,
    TestPki,
};

/// Domain separation prefix of everything derived from the seed.
const DOMAIN: &[u8] = b"inkan-testpki/v1/";

const ROOT_NAME: &[Atv<'static>] = &[
    Atv::C("JP"),
    Atv::O("Inkan TEST"),
    Atv::Ou("Inkan TEST HPKI Root CA"),
];
const ROOT_ALT_NAME: &[Atv<'static>] = &[
    Atv::C("JP"),
    Atv::O("印鑑テスト"),
    Atv::Ou("テスト用ルート認証局"),
];
const SIGNING_CA_NAME: &[Atv<'static>] = &[
    Atv::C("JP"),
    Atv::O("Inkan TEST"),
    Atv::Ou("Inkan TEST HPKI CA"),
    Atv::Cn("Inkan-TEST-SignCA-forNonRepudiation"),
];
const AUTH_CA_NAME: &[Atv<'static>] = &[
    Atv::C("JP"),
    Atv::O("Inkan TEST"),
    Atv::Ou("Inkan TEST HPKI CA"),
    Atv::Cn("Inkan-TEST-AuthCA-forAuthentication"),
];

/// `SHA-256(DOMAIN || kind || 0 || seed || label)`.
fn derive(seed: &[u8; 32], kind: &str, label: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(kind.as_bytes());
    h.update([0u8]);
    h.update(seed);
    h.update(label.as_bytes());
    h.finalize().into()
}

/// An RSA key (e = 65537) from a ChaCha20 stream seeded per label.
fn keygen(seed: &[u8; 32], label: &str, bits: usize) -> Result<PrivateKey, PkiError> {
    let mut rng = ChaCha20Rng::from_seed(derive(seed, "rsa", label));
    PrivateKey::new(&mut rng, bits).map_err(|source| PkiError::KeyGen {
        label: label.to_owned(),
        source,
    })
}

/// Generates all keys, spread over the available cores. The result does not
/// depend on scheduling: each key has its own RNG stream.
fn keygen_all(seed: &[u8; 32], jobs: &[(String, usize)]) -> Result<Vec<PrivateKey>, PkiError> {
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<PrivateKey, PkiError>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((label, bits)) = jobs.get(i) else {
                    break;
                };
                let r = keygen(seed, label, *bits);
                let mut g = slots.lock().unwrap_or_else(|p| p.into_inner());
                g[i] = Some(r);
            });
        }
    });
    let slots = slots.into_inner().unwrap_or_else(|p| p.into_inner());
    slots
        .into_iter()
        .zip(jobs)
        .map(|(r, (label, _))| {
            r.unwrap_or_else(|| {
                Err(PkiError::InvalidConfig(format!(
                    "key generation thread for {label} did not finish"
                )))
            })
        })
        .collect()
}

/// Certificate / CRL signature algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SigAlg {
    Sha256Rsa,
    Sha1Rsa,
}

impl SigAlg {
    fn alg_id(self) -> Vec<u8> {
        profile::alg_id(match self {
            SigAlg::Sha256Rsa => &profile::SHA256_WITH_RSA,
            SigAlg::Sha1Rsa => &profile::SHA1_WITH_RSA,
        })
    }

    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2), deterministic.
    fn sign(self, key: &PrivateKey, msg: &[u8], what: &str) -> Result<Vec<u8>, PkiError> {
        let r = match self {
            SigAlg::Sha256Rsa => key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg)),
            SigAlg::Sha1Rsa => {
                key.sign(Pkcs1v15Sign::new::<sha1::Sha1>(), &sha1::Sha1::digest(msg))
            }
        };
        r.map_err(|e| PkiError::Sign {
            what: what.to_owned(),
            reason: e.to_string(),
        })
    }
}

/// SubjectPublicKeyInfo DER of a key.
fn spki_der(key: &PrivateKey, what: &str) -> Result<Vec<u8>, PkiError> {
    key.to_public_key()
        .to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| PkiError::Encode {
            what: format!("{what} public key"),
            reason: e.to_string(),
        })
}

/// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value.
fn key_id(key: &PrivateKey, what: &str) -> Result<Vec<u8>, PkiError> {
    let pk = key
        .to_public_key()
        .to_pkcs1_der()
        .map_err(|e| PkiError::Encode {
            what: format!("{what} public key"),
            reason: e.to_string(),
        })?;
    Ok(sha1::Sha1::digest(pk.as_bytes()).to_vec())
}

/// The fields of a TBSCertificate (RFC 5280 §4.1.2), always v3.
struct Tbs<'a> {
    serial: &'a [u8],
    alg: SigAlg,
    issuer: &'a [u8],
    not_before: i64,
    not_after: i64,
    subject: &'a [u8],
    spki: &'a [u8],
    extensions: &'a [Vec<u8>],
}

/// Encodes and signs a certificate.
fn issue_cert(tbs: &Tbs<'_>, issuer_key: &PrivateKey, what: &str) -> Result<Vec<u8>, PkiError> {
    let alg = tbs.alg.alg_id();
    let ext_refs: Vec<&[u8]> = tbs.extensions.iter().map(Vec::as_slice).collect();
    let tbs_der = seq(&[
        &tlv(0xa0, &uint_u64(2)),
        &uint(tbs.serial),
        &alg,
        tbs.issuer,
        &seq(&[&der_time(tbs.not_before), &der_time(tbs.not_after)]),
        tbs.subject,
        tbs.spki,
        &tlv(0xa3, &seq(&ext_refs)),
    ]);
    let sig = tbs.alg.sign(issuer_key, &tbs_der, what)?;
    Ok(seq(&[&tbs_der, &alg, &bits(0, &sig)]))
}

/// A CA while the hierarchy is being built.
struct Ca {
    id: CaId,
    key: PrivateKey,
    name_der: Vec<u8>,
    serial: Vec<u8>,
    key_id: Vec<u8>,
    /// The name of this CA's issuer (for authorityCertIssuer of what it issues).
    issuer_name_der: Vec<u8>,
    cert_der: Vec<u8>,
}

impl Ca {
    /// authorityKeyIdentifier of a certificate this CA issues.
    fn aki(&self) -> Vec<u8> {
        profile::authority_key_identifier(&self.key_id, &self.issuer_name_der, &self.serial)
    }

    fn into_public(self) -> CaCert {
        CaCert {
            id: self.id,
            cert_der: self.cert_der,
            key: self.key,
        }
    }
}

fn ext(id: &der::oid::ObjectIdentifier, critical: bool, value: &[u8]) -> Vec<u8> {
    profile::extension(id, critical, value)
}

/// A self-signed root mirroring MHLW HPKI Root CA V2's extensions
/// (AKI, SKI, basicConstraints, keyUsage, subjectAltName).
fn make_root(id: CaId, key: PrivateKey, now: i64) -> Result<Ca, PkiError> {
    let what = id.file_stem();
    let name_der = profile::name(ROOT_NAME);
    let serial = vec![1u8];
    let kid = key_id(&key, what)?;
    // Thirty years, as MHLW HPKI Root CA V2 (2014-01-17 to 2044-01-16).
    let not_before = add_years_jst(jst_midnight(now), -7);
    let not_after = add_years_jst(not_before, 30) - 1;
    let exts = vec![
        ext(
            &profile::ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &profile::authority_key_identifier(&kid, &name_der, &serial),
        ),
        ext(
            &profile::ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &profile::subject_key_identifier(&kid),
        ),
        ext(
            &profile::ID_CE_BASIC_CONSTRAINTS,
            true,
            &profile::BASIC_CONSTRAINTS_CA,
        ),
        ext(&profile::ID_CE_KEY_USAGE, true, &profile::KU_CA),
        ext(
            &profile::ID_CE_SUBJECT_ALT_NAME,
            false,
            &profile::subject_alt_name_dirname(&profile::name(ROOT_ALT_NAME)),
        ),
    ];
    let spki = spki_der(&key, what)?;
    let cert_der = issue_cert(
        &Tbs {
            serial: &serial,
            alg: SigAlg::Sha256Rsa,
            issuer: &name_der,
            not_before,
            not_after,
            subject: &name_der,
            spki: &spki,
            extensions: &exts,
        },
        &key,
        what,
    )?;
    Ok(Ca {
        id,
        key,
        issuer_name_der: name_der.clone(),
        name_der,
        serial,
        key_id: kid,
        cert_der,
    })
}

/// An issuing CA mirroring the MEDIS signing / authentication CAs' extensions,
/// in their order.
fn make_issuing_ca(
    id: CaId,
    key: PrivateKey,
    root: &Ca,
    now: i64,
    base_url: &str,
) -> Result<Ca, PkiError> {
    let what = id.file_stem();
    let (atvs, serial, policy) = match id {
        CaId::AuthCa => (AUTH_CA_NAME, vec![3u8], profile::POLICY_AUTH_CA),
        _ => (SIGNING_CA_NAME, vec![2u8], profile::POLICY_SIGNING_CA),
    };
    let name_der = profile::name(atvs);
    let kid = key_id(&key, what)?;
    let not_before = add_years_jst(jst_midnight(now), -6);
    let not_after = add_years_jst(not_before, 15) - 1;
    let sarl = profile::name_with(ROOT_NAME, Atv::Cn("SARL"));
    let arl_url = format!("{base_url}arl.crl");
    let cdp = ext(
        &profile::ID_CE_CRL_DISTRIBUTION_POINTS,
        false,
        &profile::crl_distribution_points(&[DistPoint::DirName(&sarl), DistPoint::Uri(&arl_url)]),
    );
    let cp = ext(
        &profile::ID_CE_CERTIFICATE_POLICIES,
        true,
        &profile::certificate_policies(&policy, &format!("{base_url}repository/")),
    );
    let ku = ext(&profile::ID_CE_KEY_USAGE, true, &profile::KU_CA);
    let mut exts = vec![
        ext(&profile::ID_CE_AUTHORITY_KEY_IDENTIFIER, false, &root.aki()),
        ext(
            &profile::ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &profile::subject_key_identifier(&kid),
        ),
        ext(
            &profile::ID_CE_BASIC_CONSTRAINTS,
            true,
            &profile::BASIC_CONSTRAINTS_CA,
        ),
    ];
    if id == CaId::AuthCa {
        exts.extend([ku, cdp, cp]);
    } else {
        exts.extend([cp, ku, cdp]);
    }
    let spki = spki_der(&key, what)?;
    let cert_der = issue_cert(
        &Tbs {
            serial: &serial,
            alg: SigAlg::Sha256Rsa,
            issuer: &root.name_der,
            not_before,
            not_after,
            subject: &name_der,
            spki: &spki,
            extensions: &exts,
        },
        &root.key,
        what,
    )?;
    Ok(Ca {
        id,
        key,
        name_der,
        serial,
        key_id: kid,
        issuer_name_der: root.name_der.clone(),
        cert_der,
    })
}

/// A serial number of 8 octets derived from the seed, positive and without a
/// leading zero octet (RFC 5280 §4.1.2.2).
fn ee_serial(seed: &[u8; 32], id: &str) -> Vec<u8> {
    let mut s = derive(seed, "serial", id)[..8].to_vec();
    s[0] = (s[0] & 0x3f) | 0x40;
    s
}

struct IssuedEe {
    cert_der: Vec<u8>,
    serial: Vec<u8>,
    not_before: i64,
    not_after: i64,
}

/// An end-entity certificate following the HPKI signing profile, except for
/// the spec's defect.
fn make_ee(
    spec: &IdentitySpec,
    key: &PrivateKey,
    ca: &Ca,
    cfg_seed: &[u8; 32],
    now: i64,
    base_url: &str,
    crl_name: &str,
) -> Result<IssuedEe, PkiError> {
    let what = format!("identity {}", spec.id);
    let mut subject_atvs = vec![Atv::C("JP"), Atv::O(&spec.facility_romaji)];
    if spec.director {
        subject_atvs.push(Atv::Ou("Director"));
    }
    subject_atvs.push(Atv::Cn(&spec.name_romaji));
    subject_atvs.push(Atv::Serial(&spec.subject_serial));
    let subject = profile::name(&subject_atvs);
    let alt_name = profile::name(&[
        Atv::C("JP"),
        Atv::O(&spec.facility_kanji),
        Atv::Cn(&spec.name_kanji),
    ]);

    let today = jst_midnight(now);
    let (not_before, not_after) = match spec.defect {
        Defect::Expired => {
            let end = today - 30 * DAY;
            (add_years_jst(end, -5), end - 1)
        }
        Defect::NotYetValid => {
            let start = today + 30 * DAY;
            (start, add_years_jst(start, 5) - 1)
        }
        _ => {
            let start = today - 30 * DAY;
            (start, add_years_jst(start, 5) - 1)
        }
    };

    let ku: &[u8] = match spec.defect {
        Defect::Authentication | Defect::DigitalSignatureOnly => &profile::KU_DIGITAL_SIGNATURE,
        _ => &profile::KU_NON_REPUDIATION,
    };
    let policy = if spec.defect == Defect::Authentication {
        profile::POLICY_AUTH_EE
    } else {
        profile::POLICY_SIGNING_EE
    };
    let crl_url = format!("{base_url}{crl_name}");

    let mut exts = vec![
        ext(&profile::ID_CE_AUTHORITY_KEY_IDENTIFIER, false, &ca.aki()),
        ext(&profile::ID_CE_KEY_USAGE, true, ku),
    ];
    if spec.defect != Defect::NoPolicy {
        exts.push(ext(
            &profile::ID_CE_CERTIFICATE_POLICIES,
            true,
            &profile::certificate_policies(&policy, &format!("{base_url}repository/")),
        ));
    }
    exts.push(ext(
        &profile::ID_CE_SUBJECT_ALT_NAME,
        false,
        &profile::subject_alt_name_dirname(&alt_name),
    ));
    if let Some(role) = &spec.role {
        let value = if spec.defect == Defect::MalformedHcRole {
            profile::hc_role_malformed(role)
        } else {
            profile::hc_role(role)
        };
        exts.push(ext(
            &profile::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES,
            false,
            &value,
        ));
    }
    exts.push(ext(
        &profile::ID_CE_CRL_DISTRIBUTION_POINTS,
        false,
        &profile::crl_distribution_points(&[DistPoint::Uri(&crl_url)]),
    ));

    let serial = ee_serial(cfg_seed, &spec.id);
    let spki = spki_der(key, &what)?;
    let alg = if spec.defect == Defect::Sha1Signature {
        SigAlg::Sha1Rsa
    } else {
        SigAlg::Sha256Rsa
    };
    let cert_der = issue_cert(
        &Tbs {
            serial: &serial,
            alg,
            issuer: &ca.name_der,
            not_before,
            not_after,
            subject: &subject,
            spki: &spki,
            extensions: &exts,
        },
        &ca.key,
        &what,
    )?;
    Ok(IssuedEe {
        cert_der,
        serial,
        not_before,
        not_after,
    })
}

/// The signer of a CRL.
struct CrlSigner<'a> {
    name_der: &'a [u8],
    key_id: &'a [u8],
    key: &'a PrivateKey,
    what: String,
}

/// A v2 CRL (RFC 5280 §5.1) with AKI and cRLNumber (= thisUpdate in Unix
/// seconds, so later CRLs have larger numbers); entries carry reasonCode
/// keyCompromise (§5.3.1).
fn make_crl(
    signer: &CrlSigner<'_>,
    this_update: i64,
    next_update: i64,
    revoked: &[(Vec<u8>, i64)],
) -> Result<Vec<u8>, PkiError> {
    let alg = SigAlg::Sha256Rsa.alg_id();
    let mut fields: Vec<Vec<u8>> = vec![
        uint_u64(1),
        alg.clone(),
        signer.name_der.to_vec(),
        der_time(this_update),
        der_time(next_update),
    ];
    if !revoked.is_empty() {
        let reason = seq(&[&ext(&profile::ID_CE_CRL_REASONS, false, &enumerated(1))]);
        let entries: Vec<Vec<u8>> = revoked
            .iter()
            .map(|(serial, at)| seq(&[&uint(serial), &der_time(*at), &reason]))
            .collect();
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        fields.push(seq(&refs));
    }
    let crl_exts = seq(&[
        &ext(
            &profile::ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &profile::authority_key_identifier_keyid(signer.key_id),
        ),
        &ext(
            &profile::ID_CE_CRL_NUMBER,
            false,
            &profile::crl_number(u64::try_from(this_update).unwrap_or(0)),
        ),
    ]);
    fields.push(tlv(0xa0, &crl_exts));
    let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
    let tbs = seq(&refs);
    let sig = SigAlg::Sha256Rsa.sign(signer.key, &tbs, &signer.what)?;
    Ok(seq(&[&tbs, &alg, &bits(0, &sig)]))
}

fn ca_crl(ca: &Ca, this_update: i64, revoked: &[(Vec<u8>, i64)]) -> Result<Vec<u8>, PkiError> {
    let signer = CrlSigner {
        name_der: &ca.name_der,
        key_id: &ca.key_id,
        key: &ca.key,
        what: format!("{} CRL", ca.id.file_stem()),
    };
    make_crl(&signer, this_update, this_update + 4 * DAY, revoked)
}

/// See [`TestPki::issue_crl`].
pub(crate) fn reissue_crl(
    pki: &TestPki,
    name: &str,
    this_update: i64,
    next_update: i64,
) -> Result<Vec<u8>, PkiError> {
    let bad = |m: String| PkiError::InvalidConfig(m);
    let crl = pki
        .crl(name)
        .ok_or_else(|| bad(format!("no CRL named {name:?}")))?;
    let ca = pki.ca(crl.issuer);
    let cert = ca
        .certificate()
        .map_err(|e| bad(format!("{} certificate: {e}", ca.id.file_stem())))?;
    let name_der = der::Encode::to_der(cert.tbs_certificate().subject())
        .map_err(|e| bad(format!("{} name: {e}", ca.id.file_stem())))?;
    let kid = key_id(&ca.key, ca.id.file_stem())?;
    let mut revoked = Vec::new();
    for ident in pki.identities.values() {
        if let crate::Expectation::Revoked { at, crl: c } = &ident.expect {
            if c == name && ident.issuer == crl.issuer {
                let cert = ident
                    .certificate()
                    .map_err(|e| bad(format!("{}: {e}", ident.name)))?;
                revoked.push((
                    cert.tbs_certificate().serial_number().as_bytes().to_vec(),
                    unix(*at)?,
                ));
            }
        }
    }
    let signer = CrlSigner {
        name_der: &name_der,
        key_id: &kid,
        key: &ca.key,
        what: format!("{name} (reissued)"),
    };
    make_crl(&signer, this_update, next_update, &revoked)
}

/// See [`crate::generate`].
pub(crate) fn generate(cfg: &PkiConfig) -> Result<TestPki, PkiError> {
    cfg.validate()?;
    let now = unix(cfg.now)?;
    let base = cfg.crl_base_url.as_str();
    let seed = &cfg.seed;

    let mut jobs: Vec<(String, usize)> = CaId::ALL
        .iter()
        .map(|c| (c.file_stem().to_owned(), 2048))
        .collect();
    for spec in &cfg.identities {
        jobs.push((format!("ee/{}", spec.id), spec.key_bits()));
    }
    let mut keys = keygen_all(seed, &jobs)?.into_iter();
    let mut next_key = || {
        keys.next()
            .ok_or_else(|| PkiError::InvalidConfig("missing generated key".into()))
    };

    let root = make_root(CaId::Root, next_key()?, now)?;
    let signing = make_issuing_ca(CaId::SigningCa, next_key()?, &root, now, base)?;
    let auth = make_issuing_ca(CaId::AuthCa, next_key()?, &root, now, base)?;
    let rogue_root = make_root(CaId::RogueRoot, next_key()?, now)?;
    let rogue_ca = make_issuing_ca(CaId::RogueCa, next_key()?, &rogue_root, now, base)?;

    let revoked_at = now - 2 * DAY;
    let mut identities = BTreeMap::new();
    let mut revoked: BTreeMap<CaId, Vec<(Vec<u8>, i64)>> = BTreeMap::new();
    for spec in &cfg.identities {
        let key = next_key()?;
        let issuer_id = spec.issuer();
        let ca = match issuer_id {
            CaId::AuthCa => &auth,
            CaId::RogueCa => &rogue_ca,
            _ => &signing,
        };
        // The look-alike points at the genuine CA's CRL, as a forgery would.
        let crl_name = match issuer_id {
            CaId::AuthCa => "auth-ca.crl",
            _ => "sign-ca.crl",
        };
        let ee = make_ee(spec, &key, ca, seed, now, base, crl_name)?;
        let expect = match spec.defect {
            Defect::None => Expectation::Valid,
            Defect::Expired => Expectation::Expired {
                not_after: system(ee.not_after),
            },
            Defect::NotYetValid => Expectation::NotYetValid {
                not_before: system(ee.not_before),
            },
            Defect::Revoked => {
                revoked
                    .entry(issuer_id)
                    .or_default()
                    .push((ee.serial.clone(), revoked_at));
                Expectation::Revoked {
                    at: system(revoked_at),
                    crl: crl_name.to_owned(),
                }
            }
            Defect::Authentication => Expectation::NotForSigning,
            Defect::DigitalSignatureOnly => Expectation::KeyUsageNotNonRepudiation,
            Defect::NoPolicy => Expectation::MissingSigningPolicy,
            Defect::MalformedHcRole => Expectation::MalformedHcRole,
            Defect::WeakKey => Expectation::WeakKey {
                bits: u32::try_from(spec.key_bits()).unwrap_or(0),
            },
            Defect::Sha1Signature => Expectation::WeakSignatureAlgorithm {
                algorithm: profile::SHA1_WITH_RSA.to_string(),
            },
            Defect::UntrustedRoot => Expectation::UntrustedRoot,
        };
        let role = if spec.defect == Defect::MalformedHcRole {
            None
        } else {
            spec.role.clone()
        };
        identities.insert(
            spec.id.clone(),
            Identity {
                name: spec.id.clone(),
                cert_der: ee.cert_der,
                key,
                issuer: issuer_id,
                expect,
                role,
                crl: crl_name.to_owned(),
                spec: spec.clone(),
            },
        );
    }

    let this_update = now - 3600;
    let empty = Vec::new();
    let crls = vec![
        CrlFile {
            name: "sign-ca.crl".to_owned(),
            issuer: CaId::SigningCa,
            der: ca_crl(
                &signing,
                this_update,
                revoked.get(&CaId::SigningCa).unwrap_or(&empty),
            )?,
        },
        CrlFile {
            name: "auth-ca.crl".to_owned(),
            issuer: CaId::AuthCa,
            der: ca_crl(
                &auth,
                this_update,
                revoked.get(&CaId::AuthCa).unwrap_or(&empty),
            )?,
        },
        CrlFile {
            name: "arl.crl".to_owned(),
            issuer: CaId::Root,
            der: ca_crl(&root, this_update, &empty)?,
        },
    ];

    Ok(TestPki {
        seed: *seed,
        now: system(now),
        crl_base_url: cfg.crl_base_url.clone(),
        root: root.into_public(),
        signing_ca: signing.into_public(),
        auth_ca: auth.into_public(),
        rogue_root: rogue_root.into_public(),
        rogue_ca: rogue_ca.into_public(),
        identities,
        crls,
    })
}

/// The test time-stamp authority's key and certificate: issued by the test
/// root, extKeyUsage id-kp-timeStamping alone and critical (RFC 3161 §2.3),
/// keyUsage digitalSignature, revocation by the root's ARL.
pub(crate) fn issue_tsa(pki: &TestPki) -> Result<(Vec<u8>, PrivateKey), PkiError> {
    let what = "tsa";
    let key = keygen(&pki.seed, "tsa", 2048)?;
    let root = pki
        .root
        .certificate()
        .map_err(|e| PkiError::InvalidConfig(format!("root certificate: {e}")))?;
    let root_name =
        der::Encode::to_der(root.tbs_certificate().subject()).map_err(|e| PkiError::Encode {
            what: "root name".into(),
            reason: e.to_string(),
        })?;
    let root_kid = key_id(&pki.root.key, "root")?;
    let now = unix(pki.now)?;
    // Long-lived, so that tests can verify decades after a signer's
    // certificate expired with one TSA.
    let not_before = add_years_jst(jst_midnight(now), -2);
    let not_after = add_years_jst(not_before, 40) - 1;
    let name = profile::name(&[
        Atv::C("JP"),
        Atv::O("Inkan TEST"),
        Atv::Cn("Inkan TEST Time-Stamping Authority"),
    ]);
    let arl_url = format!("{}arl.crl", pki.crl_base_url);
    let exts = vec![
        ext(
            &profile::ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &profile::authority_key_identifier_keyid(&root_kid),
        ),
        ext(
            &profile::ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &profile::subject_key_identifier(&key_id(&key, what)?),
        ),
        ext(
            &profile::ID_CE_KEY_USAGE,
            true,
            &profile::KU_DIGITAL_SIGNATURE,
        ),
        ext(
            &der::oid::ObjectIdentifier::new_unwrap("2.5.29.37"),
            true,
            &seq(&[&crate::der_enc::oid(
                &der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8"),
            )]),
        ),
        ext(
            &profile::ID_CE_CRL_DISTRIBUTION_POINTS,
            false,
            &profile::crl_distribution_points(&[DistPoint::Uri(&arl_url)]),
        ),
    ];
    let spki = spki_der(&key, what)?;
    let cert = issue_cert(
        &Tbs {
            serial: &[0x54, 0x53, 0x41],
            alg: SigAlg::Sha256Rsa,
            issuer: &root_name,
            not_before,
            not_after,
            subject: &name,
            spki: &spki,
            extensions: &exts,
        },
        &pki.root.key,
        what,
    )?;
    Ok((cert, key))
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over `msg`.
pub(crate) fn sign_sha256(key: &PrivateKey, msg: &[u8]) -> Result<Vec<u8>, PkiError> {
    SigAlg::Sha256Rsa.sign(key, msg, "time-stamp token")
}
