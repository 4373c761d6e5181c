//! The generated hierarchy against the HPKI profile, RFC 5280 and OpenSSL.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use der::{Decode, Encode, Tag, Tagged};
use inkan_testpki::profile::{self, *};
use inkan_testpki::{
    cached, generate, parse_rfc3339, CaId, Defect, Expectation, IdentitySpec, PkiConfig, TestPki,
};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, PublicKey};
use sha2::Digest;
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

/// 2026-04-02 00:00 JST.
fn cfg() -> PkiConfig {
    PkiConfig::at(parse_rfc3339("2026-04-02T00:00:00+09:00").unwrap())
}

fn pki() -> Arc<TestPki> {
    cached(&cfg())
}

fn secs(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn cert(der: &[u8]) -> Certificate {
    Certificate::from_der(der).unwrap()
}

/// The DER of the first element inside the outer SEQUENCE, as received.
fn first_inner_tlv(der: &[u8]) -> &[u8] {
    let skip_header = |d: &[u8]| -> (usize, usize) {
        let l = d[1] as usize;
        if l < 0x80 {
            (2, l)
        } else {
            let n = l & 0x7f;
            let len = d[2..2 + n]
                .iter()
                .fold(0usize, |a, b| (a << 8) | *b as usize);
            (2 + n, len)
        }
    };
    let (h, _) = skip_header(der);
    let inner = &der[h..];
    let (h2, l2) = skip_header(inner);
    &inner[..h2 + l2]
}

/// Verifies an RSA PKCS #1 v1.5 signature (SHA-256 or SHA-1) over `signed` with
/// the public key of `issuer_der`.
fn verify_sig(signed: &[u8], alg: &str, sig: &[u8], issuer_der: &[u8]) -> bool {
    let issuer = cert(issuer_der);
    let spki = issuer
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let pk = PublicKey::from_public_key_der(&spki).unwrap();
    match alg {
        "1.2.840.113549.1.1.11" => pk
            .verify(
                Pkcs1v15Sign::new::<sha2::Sha256>(),
                &sha2::Sha256::digest(signed),
                sig,
            )
            .is_ok(),
        "1.2.840.113549.1.1.5" => pk
            .verify(
                Pkcs1v15Sign::new::<sha1::Sha1>(),
                &sha1::Sha1::digest(signed),
                sig,
            )
            .is_ok(),
        other => panic!("unexpected algorithm {other}"),
    }
}

fn cert_verifies_under(cert_der: &[u8], issuer_der: &[u8]) -> bool {
    let c = cert(cert_der);
    verify_sig(
        first_inner_tlv(cert_der),
        &c.signature_algorithm().oid.to_string(),
        c.signature().as_bytes().unwrap(),
        issuer_der,
    )
}

/// (oid, critical, extnValue) in certificate order.
fn extensions(der: &[u8]) -> Vec<(String, bool, Vec<u8>)> {
    cert(der)
        .tbs_certificate()
        .extensions()
        .map(|e| {
            e.iter()
                .map(|x| {
                    (
                        x.extn_id.to_string(),
                        x.critical,
                        x.extn_value.as_bytes().to_vec(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ext_value(der: &[u8], oid: &der::oid::ObjectIdentifier) -> Option<(bool, Vec<u8>)> {
    extensions(der)
        .into_iter()
        .find(|(o, _, _)| *o == oid.to_string())
        .map(|(_, c, v)| (c, v))
}

/// Checks that every constructed TLV (recursively) is well formed.
fn der_walk(mut d: &[u8]) -> Result<(), String> {
    while !d.is_empty() {
        let tag = d[0];
        let first = *d.get(1).ok_or("no length")? as usize;
        let (hlen, len) = if first < 0x80 {
            (2, first)
        } else {
            let n = first & 0x7f;
            let bytes = d.get(2..2 + n).ok_or("short length")?;
            (
                2 + n,
                bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize),
            )
        };
        let content = d
            .get(hlen..hlen + len)
            .ok_or(format!("tag {tag:#x}: length {len} overruns"))?;
        if tag & 0x20 != 0 {
            der_walk(content)?;
        }
        d = &d[hlen + len..];
    }
    Ok(())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("inkan-testpki-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const MEDICAL_DOCTOR_HC_ROLE: &str = "30343032060628818542000131283126302\
    4a0223120a00c060a2a830886910f010601 01a2100c0e4d65646963616c20446f63746f72";

#[test]
fn generation_time_and_determinism() {
    let t = Instant::now();
    let a = generate(&cfg()).unwrap();
    let elapsed = t.elapsed();
    eprintln!("generate(): {} keys in {elapsed:?}", 5 + a.identities.len());
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    let b = pki();
    assert_eq!(
        &a,
        b.as_ref(),
        "same seed, time and URL give identical output"
    );

    let other = generate(&cfg().with_seed([7; 32])).unwrap();
    assert_ne!(other.root.key, a.root.key);
    assert_ne!(other.root.cert_der, a.root.cert_der);
    for (id, ident) in &a.identities {
        assert_ne!(other.identities[id].key, ident.key, "{id}");
    }
    // Keys are distinct from each other.
    let mut moduli: Vec<Vec<u8>> = a
        .identities
        .values()
        .map(|i| i.key.n().to_be_bytes().to_vec())
        .collect();
    moduli.extend(
        CaId::ALL
            .iter()
            .map(|c| a.ca(*c).key.n().to_be_bytes().to_vec()),
    );
    let n = moduli.len();
    moduli.sort();
    moduli.dedup();
    assert_eq!(moduli.len(), n);
}

#[test]
fn identity_list() {
    let pki = pki();
    let ids: Vec<&str> = pki.identities.keys().map(String::as_str).collect();
    for id in [
        "doctor",
        "dentist",
        "pharmacist",
        "nurse",
        "director",
        "expired",
        "not-yet-valid",
        "revoked",
        "auth",
        "digsig-only",
        "no-policy",
        "bad-hcrole",
        "weak-key",
        "sha1",
        "rogue",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let roles: Vec<(&str, Option<&str>)> = ["doctor", "dentist", "pharmacist", "nurse", "director"]
        .iter()
        .map(|id| (*id, pki.identity(id).unwrap().role.as_deref()))
        .collect();
    assert_eq!(
        roles,
        [
            ("doctor", Some("Medical Doctor")),
            ("dentist", Some("Dentist")),
            ("pharmacist", Some("Pharmacist")),
            ("nurse", Some("Nurse")),
            ("director", Some("Director of Clinic")),
        ]
    );
    for spec in IdentitySpec::good() {
        assert_eq!(pki.identity(&spec.id).unwrap().expect, Expectation::Valid);
    }
}

#[test]
fn doctor_mirrors_the_signing_profile_byte_for_byte() {
    let pki = pki();
    let doc = pki.identity("doctor").unwrap();
    let c = cert(&doc.cert_der);
    let tbs = c.tbs_certificate();

    assert_eq!(tbs.version(), x509_cert::certificate::Version::V3);
    assert_eq!(c.signature_algorithm().oid, SHA256_WITH_RSA);
    assert_eq!(doc.key.size() * 8, 2048);
    let spki = tbs.subject_public_key_info().to_der().unwrap();
    assert!(spki.ends_with(&[0x02, 0x03, 0x01, 0x00, 0x01]), "e = 65537");

    let exts = extensions(&doc.cert_der);
    let order: Vec<(&str, bool)> = exts.iter().map(|(o, c, _)| (o.as_str(), *c)).collect();
    assert_eq!(
        order,
        [
            ("2.5.29.35", false), // authorityKeyIdentifier
            ("2.5.29.15", true),  // keyUsage
            ("2.5.29.32", true),  // certificatePolicies
            ("2.5.29.17", false), // subjectAltName
            ("2.5.29.9", false),  // subjectDirectoryAttributes
            ("2.5.29.31", false), // cRLDistributionPoints
        ]
    );
    let v = |oid| ext_value(&doc.cert_der, &oid).unwrap().1;
    assert_eq!(v(ID_CE_KEY_USAGE), [0x03, 0x02, 0x06, 0x40]);
    assert_eq!(
        hex::encode(v(ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES)),
        MEDICAL_DOCTOR_HC_ROLE.replace(' ', "")
    );
    let cp = v(ID_CE_CERTIFICATE_POLICIES);
    assert_eq!(
        cp,
        certificate_policies(&POLICY_SIGNING_EE, "http://127.0.0.1:8734/repository/")
    );
    assert!(contains(
        &cp,
        &hex::decode("060c2a830886910f010501010001").unwrap()
    ));
    let cdp = v(ID_CE_CRL_DISTRIBUTION_POINTS);
    let url = b"http://127.0.0.1:8734/sign-ca.crl";
    let l = url.len() as u8;
    let mut expect_cdp = vec![0x30, l + 8, 0x30, l + 6, 0xa0, l + 4, 0xa0, l + 2, 0x86, l];
    expect_cdp.extend_from_slice(url);
    assert_eq!(cdp, expect_cdp);
    // AKI: keyid = signing CA's SKI, issuer = root name, serial = CA serial.
    let ca_ski = ext_value(&pki.signing_ca.cert_der, &ID_CE_SUBJECT_KEY_IDENTIFIER)
        .unwrap()
        .1;
    let aki = v(ID_CE_AUTHORITY_KEY_IDENTIFIER);
    assert_eq!(aki[2], 0x80);
    assert_eq!(&aki[4..24], &ca_ski[2..22]);
    let root_name = cert(&pki.root.cert_der)
        .tbs_certificate()
        .subject()
        .to_der()
        .unwrap();
    assert!(contains(&aki, &root_name));
    assert!(aki.ends_with(&[0x82, 0x01, 0x02]));
    // Absent in HPKI signing certificates.
    for absent in ["2.5.29.19", "2.5.29.37", "1.3.6.1.5.5.7.1.1", "2.5.29.14"] {
        assert!(exts.iter().all(|(o, _, _)| o != absent), "{absent} present");
    }

    // Subject: C PrintableString, O/CN UTF8String, serialNumber PrintableString.
    let types: Vec<(String, Tag)> = tbs
        .subject()
        .iter()
        .map(|atv| (atv.oid.to_string(), atv.value.tag()))
        .collect();
    assert_eq!(
        types,
        [
            ("2.5.4.6".to_owned(), Tag::PrintableString),
            ("2.5.4.10".to_owned(), Tag::Utf8String),
            ("2.5.4.3".to_owned(), Tag::Utf8String),
            ("2.5.4.5".to_owned(), Tag::PrintableString),
        ]
    );
    assert_eq!(
        tbs.subject().to_string(),
        "SERIALNUMBER=TEST0000001,CN=Taro TEST,O=Inkan TEST Clinic,C=JP"
    );
    // subjectAltName directoryName with the kanji name.
    let san = v(ID_CE_SUBJECT_ALT_NAME);
    assert_eq!(san[2], 0xa4);
    assert!(contains(&san, "テスト　太郎".as_bytes()));
    assert!(contains(&san, "テスト診療所".as_bytes()));

    // Validity: 5 years, JST midnight aligned.
    let nb = secs(tbs.validity().not_before.to_system_time());
    let na = secs(tbs.validity().not_after.to_system_time());
    assert_eq!(nb.rem_euclid(86_400), 15 * 3600, "notBefore at 15:00:00Z");
    assert_eq!(
        (na + 1).rem_euclid(86_400),
        15 * 3600,
        "notAfter at 14:59:59Z"
    );
    let years = (na + 1 - nb) as f64 / (365.2425 * 86_400.0);
    assert!((years - 5.0).abs() < 0.01, "{years}");
    let now = secs(pki.now);
    assert!(nb <= now && now < na);
}

#[test]
fn director_has_ou_director() {
    let pki = pki();
    let d = pki.identity("director").unwrap();
    let subject = cert(&d.cert_der).tbs_certificate().subject().to_string();
    assert!(subject.contains("OU=Director"), "{subject}");
    let sda = ext_value(&d.cert_der, &ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES)
        .unwrap()
        .1;
    assert_eq!(sda, profile::hc_role("Director of Clinic"));
}

#[test]
fn ca_certificates_mirror_the_real_cas() {
    let pki = pki();
    let real = |f: &str| {
        std::fs::read(
            Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
                .join("../../certs")
                .join(f),
        )
        .unwrap()
    };
    let shape = |der: &[u8]| -> Vec<(String, bool)> {
        extensions(der)
            .into_iter()
            .map(|(o, c, _)| (o, c))
            .collect()
    };
    assert_eq!(
        shape(&pki.signing_ca.cert_der),
        shape(&real("medis-sign-ca2.der"))
    );
    assert_eq!(
        shape(&pki.auth_ca.cert_der),
        shape(&real("medis-auth-ca2.der"))
    );
    let root_shape = shape(&real("mhlw-hpki-root-ca-v2.der"));
    // The test root leaves out the real root's CDP (a self-signed anchor needs none).
    assert_eq!(
        shape(&pki.root.cert_der),
        root_shape[..root_shape.len() - 1].to_vec()
    );

    for (ca, policy) in [
        (&pki.signing_ca, POLICY_SIGNING_CA),
        (&pki.auth_ca, POLICY_AUTH_CA),
    ] {
        let d = &ca.cert_der;
        assert_eq!(
            ext_value(d, &ID_CE_KEY_USAGE).unwrap(),
            (true, KU_CA.to_vec())
        );
        assert_eq!(
            ext_value(d, &ID_CE_BASIC_CONSTRAINTS).unwrap(),
            (true, BASIC_CONSTRAINTS_CA.to_vec())
        );
        let (crit, cp) = ext_value(d, &ID_CE_CERTIFICATE_POLICIES).unwrap();
        assert!(crit);
        assert_eq!(
            cp,
            certificate_policies(&policy, "http://127.0.0.1:8734/repository/")
        );
        let cdp = ext_value(d, &ID_CE_CRL_DISTRIBUTION_POINTS).unwrap().1;
        assert!(contains(&cdp, b"http://127.0.0.1:8734/arl.crl"));
        assert!(contains(&cdp, b"SARL"));
    }
    let names: Vec<String> = CaId::ALL
        .iter()
        .map(|c| {
            cert(&pki.ca(*c).cert_der)
                .tbs_certificate()
                .subject()
                .to_string()
        })
        .collect();
    assert_eq!(names[0], "OU=Inkan TEST HPKI Root CA,O=Inkan TEST,C=JP");
    assert!(names[1].starts_with("CN=Inkan-TEST-SignCA-forNonRepudiation,"));
    assert!(names[2].starts_with("CN=Inkan-TEST-AuthCA-forAuthentication,"));
    assert_eq!(names[3], names[0], "look-alike root");
    assert_eq!(names[4], names[1], "look-alike CA");
    assert_ne!(pki.rogue_root.cert_der, pki.root.cert_der);
}

#[test]
fn chain_signatures_verify() {
    let pki = pki();
    let root = &pki.root.cert_der;
    assert!(cert_verifies_under(root, root), "root self-signed");
    assert!(cert_verifies_under(&pki.signing_ca.cert_der, root));
    assert!(cert_verifies_under(&pki.auth_ca.cert_der, root));
    assert!(cert_verifies_under(
        &pki.rogue_root.cert_der,
        &pki.rogue_root.cert_der
    ));
    assert!(cert_verifies_under(
        &pki.rogue_ca.cert_der,
        &pki.rogue_root.cert_der
    ));
    assert!(!cert_verifies_under(&pki.rogue_ca.cert_der, root));
    for (id, ident) in &pki.identities {
        let chain = pki.chain_der(id).unwrap();
        assert_eq!(chain[0], ident.cert_der.as_slice());
        assert!(cert_verifies_under(chain[0], chain[1]), "{id}");
        assert!(cert_verifies_under(chain[1], chain[2]), "{id}");
        assert!(cert_verifies_under(chain[2], chain[2]), "{id}");
        assert_eq!(
            chain[2] == pki.root.cert_der.as_slice(),
            ident.spec.defect != Defect::UntrustedRoot,
            "{id}"
        );
    }
    let rogue = &pki.identity("rogue").unwrap().cert_der;
    assert!(!cert_verifies_under(rogue, &pki.signing_ca.cert_der));
    assert_eq!(
        cert(rogue).tbs_certificate().subject(),
        cert(&pki.identity("doctor").unwrap().cert_der)
            .tbs_certificate()
            .subject()
    );
}

#[test]
fn each_bad_identity_has_its_defining_property() {
    let pki = pki();
    let now = secs(pki.now);
    let get = |id: &str| {
        let i = pki.identity(id).unwrap();
        (i, cert(&i.cert_der))
    };
    let validity = |c: &Certificate| {
        let v = c.tbs_certificate().validity();
        (
            secs(v.not_before.to_system_time()),
            secs(v.not_after.to_system_time()),
        )
    };

    let (i, c) = get("expired");
    let (_, na) = validity(&c);
    assert!(na < now);
    assert_eq!(
        i.expect,
        Expectation::Expired {
            not_after: c.tbs_certificate().validity().not_after.to_system_time()
        }
    );

    let (i, c) = get("not-yet-valid");
    let (nb, _) = validity(&c);
    assert!(nb > now);
    assert!(matches!(i.expect, Expectation::NotYetValid { .. }));

    let (i, c) = get("auth");
    assert_eq!(i.issuer, CaId::AuthCa);
    assert_eq!(i.expect, Expectation::NotForSigning);
    assert_eq!(
        c.tbs_certificate().issuer(),
        cert(&pki.auth_ca.cert_der).tbs_certificate().subject()
    );
    assert_eq!(
        ext_value(&i.cert_der, &ID_CE_KEY_USAGE).unwrap(),
        (true, KU_DIGITAL_SIGNATURE.to_vec())
    );
    let cp = ext_value(&i.cert_der, &ID_CE_CERTIFICATE_POLICIES)
        .unwrap()
        .1;
    assert!(contains(&cp, POLICY_AUTH_EE.as_bytes()));
    assert!(!contains(&cp, POLICY_SIGNING_EE.as_bytes()));
    assert!(contains(
        &ext_value(&i.cert_der, &ID_CE_CRL_DISTRIBUTION_POINTS)
            .unwrap()
            .1,
        b"auth-ca.crl"
    ));

    let (i, _) = get("digsig-only");
    assert_eq!(
        ext_value(&i.cert_der, &ID_CE_KEY_USAGE).unwrap(),
        (true, vec![0x03, 0x02, 0x07, 0x80])
    );
    assert_eq!(i.expect, Expectation::KeyUsageNotNonRepudiation);

    let (i, _) = get("no-policy");
    assert!(ext_value(&i.cert_der, &ID_CE_CERTIFICATE_POLICIES).is_none());
    assert_eq!(i.expect, Expectation::MissingSigningPolicy);

    let (i, _) = get("bad-hcrole");
    let (crit, sda) = ext_value(&i.cert_der, &ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES).unwrap();
    assert!(!crit);
    assert_eq!(sda, profile::hc_role_malformed("Medical Doctor"));
    // The attribute list parses; walking into its HCActor value fails.
    let attrs = Vec::<x509_cert::attr::Attribute>::from_der(&sda).unwrap();
    assert_eq!(attrs[0].oid, ID_HCPKI_AT_HEALTHCAREACTOR);
    assert!(der_walk(&sda).is_err());
    assert!(der_walk(&profile::hc_role("Medical Doctor")).is_ok());
    assert_eq!(i.role, None);
    assert_eq!(i.expect, Expectation::MalformedHcRole);

    let (i, c) = get("weak-key");
    assert_eq!(i.key.size() * 8, 1024);
    let spki = c
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    assert_eq!(PublicKey::from_public_key_der(&spki).unwrap().size(), 128);
    assert_eq!(i.expect, Expectation::WeakKey { bits: 1024 });

    let (i, c) = get("sha1");
    assert_eq!(c.signature_algorithm().oid, SHA1_WITH_RSA);
    assert_eq!(c.tbs_certificate().signature().oid, SHA1_WITH_RSA);
    assert!(cert_verifies_under(&i.cert_der, &pki.signing_ca.cert_der));
    assert!(matches!(
        i.expect,
        Expectation::WeakSignatureAlgorithm { ref algorithm } if algorithm == "1.2.840.113549.1.1.5"
    ));

    let (i, _) = get("rogue");
    assert_eq!(i.issuer, CaId::RogueCa);
    assert_eq!(i.expect, Expectation::UntrustedRoot);

    // Good and bad identities other than the validity ones are valid at `now`.
    for (id, ident) in &pki.identities {
        let (nb, na) = validity(&cert(&ident.cert_der));
        let in_window = nb <= now && now <= na;
        let timed = matches!(ident.spec.defect, Defect::Expired | Defect::NotYetValid);
        assert_eq!(in_window, !timed, "{id}");
    }
}

#[test]
fn crls_are_signed_fresh_and_list_revoked() {
    let pki = pki();
    let now = secs(pki.now);
    let revoked = pki.identity("revoked").unwrap();
    let revoked_serial = cert(&revoked.cert_der)
        .tbs_certificate()
        .serial_number()
        .as_bytes()
        .to_vec();
    let mut names: Vec<&str> = pki.crls.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["arl.crl", "auth-ca.crl", "sign-ca.crl"]);
    for crl in &pki.crls {
        let issuer = pki.ca(crl.issuer);
        let list: CertificateList = CertificateList::from_der(&crl.der).unwrap();
        let tbs = &list.tbs_cert_list;
        assert_eq!(tbs.version, x509_cert::certificate::Version::V2);
        assert_eq!(list.signature_algorithm.oid, SHA256_WITH_RSA);
        assert!(
            verify_sig(
                first_inner_tlv(&crl.der),
                "1.2.840.113549.1.1.11",
                list.signature.as_bytes().unwrap(),
                &issuer.cert_der
            ),
            "{}",
            crl.name
        );
        assert_eq!(
            &tbs.issuer,
            cert(&issuer.cert_der).tbs_certificate().subject()
        );
        let this = secs(tbs.this_update.to_system_time());
        let next = secs(tbs.next_update.unwrap().to_system_time());
        assert_eq!(this, now - 3600);
        assert_eq!(next - this, 4 * 86_400);
        let ext_ids: Vec<String> = tbs
            .crl_extensions
            .as_ref()
            .unwrap()
            .iter()
            .map(|e| e.extn_id.to_string())
            .collect();
        assert_eq!(ext_ids, ["2.5.29.35", "2.5.29.20"]);
        let entries: Vec<Vec<u8>> = tbs
            .revoked_certificates
            .iter()
            .flatten()
            .map(|r| r.serial_number.as_bytes().to_vec())
            .collect();
        if crl.name == "sign-ca.crl" {
            assert_eq!(entries, vec![revoked_serial.clone()]);
            let entry = &tbs.revoked_certificates.as_ref().unwrap()[0];
            let at = entry.revocation_date.to_system_time();
            assert!(secs(at) < now);
            assert_eq!(
                revoked.expect,
                Expectation::Revoked {
                    at,
                    crl: "sign-ca.crl".into()
                }
            );
        } else {
            assert!(entries.is_empty(), "{}", crl.name);
        }
    }
    assert_eq!(pki.crl("arl.crl").unwrap().issuer, CaId::Root);
    assert_eq!(
        pki.crl_url("sign-ca.crl"),
        "http://127.0.0.1:8734/sign-ca.crl"
    );
}

#[test]
fn write_load_round_trip_and_layout() {
    let pki = pki();
    let dir = tmp_dir("roundtrip");
    pki.write_to(&dir).unwrap();
    let loaded = TestPki::load(&dir).unwrap();
    assert_eq!(&loaded, pki.as_ref());

    for stem in ["root", "signing-ca", "auth-ca", "rogue-root", "rogue-ca"] {
        assert!(dir.join(format!("{stem}.pem")).is_file(), "{stem}");
        assert!(dir.join(format!("{stem}.key.pem")).is_file(), "{stem}");
    }
    for id in pki.identities.keys() {
        let key = std::fs::read_to_string(dir.join(format!("{id}.key.pem"))).unwrap();
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{id}");
        let c = std::fs::read_to_string(dir.join(format!("{id}.pem"))).unwrap();
        assert!(c.starts_with("-----BEGIN CERTIFICATE-----\n"), "{id}");
    }
    for crl in ["sign-ca.crl", "auth-ca.crl", "arl.crl"] {
        assert_eq!(
            std::fs::read(dir.join("crl").join(crl)).unwrap(),
            pki.crl(crl).unwrap().der
        );
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["format"], "inkan-testpki/1");
    assert_eq!(m["now"], "2026-04-01T15:00:00Z");
    assert_eq!(m["trust_anchor"], "root.pem");
    let doctor = m["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "doctor")
        .unwrap();
    assert_eq!(doctor["role"], "Medical Doctor");
    assert_eq!(doctor["expect"]["verdict"], "valid");
    assert_eq!(doctor["chain"][0], "signing-ca.pem");
    assert_eq!(doctor["crl_url"], "http://127.0.0.1:8734/sign-ca.crl");
    let revoked = m["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "revoked")
        .unwrap();
    assert_eq!(revoked["expect"]["verdict"], "revoked");
    assert_eq!(revoked["expect"]["at"], "2026-03-30T15:00:00Z");
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Writing again (over the old files) gives the same bytes.
    let first = std::fs::read(dir.join("manifest.json")).unwrap();
    pki.write_to(&dir).unwrap();
    assert_eq!(std::fs::read(dir.join("manifest.json")).unwrap(), first);

    // A key that does not belong to its certificate is refused.
    std::fs::copy(dir.join("dentist.key.pem"), dir.join("doctor.key.pem")).unwrap();
    assert!(TestPki::load(&dir).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_validation() {
    assert!(generate(&cfg().with_crl_base_url("ftp://x/")).is_err());
    let mut c = cfg();
    c.identities
        .push(IdentitySpec::new("doctor", None, Defect::None));
    assert!(generate(&c).is_err(), "duplicate id");
    let mut c = cfg();
    c.identities = vec![IdentitySpec::new("root", None, Defect::None)];
    assert!(generate(&c).is_err(), "collides with root.pem");
    let mut c = cfg();
    c.identities = vec![IdentitySpec::new("../x", None, Defect::None)];
    assert!(generate(&c).is_err(), "path");
    assert_eq!(
        cfg().with_crl_port(9000).crl_base_url,
        "http://127.0.0.1:9000/"
    );
    assert!(inkan_testpki::seed_from_hex(&"ab".repeat(32)).is_ok());
    assert!(inkan_testpki::seed_from_hex("abcd").is_err());
}

#[test]
fn custom_identity_set_and_base_url() {
    let mut c = cfg().with_crl_base_url("http://127.0.0.1:40123");
    c.identities = vec![
        IdentitySpec::builtin("doctor").unwrap(),
        IdentitySpec::new("midwife", Some("Midwife"), Defect::None),
    ];
    let pki = generate(&c).unwrap();
    assert_eq!(pki.identities.len(), 2);
    let mw = pki.identity("midwife").unwrap();
    assert_eq!(
        ext_value(&mw.cert_der, &ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES)
            .unwrap()
            .1,
        profile::hc_role("Midwife")
    );
    assert!(contains(
        &ext_value(&mw.cert_der, &ID_CE_CRL_DISTRIBUTION_POINTS)
            .unwrap()
            .1,
        b"http://127.0.0.1:40123/sign-ca.crl"
    ));
    // Keys and serials depend on the id, not on the list: doctor is unchanged.
    assert_eq!(
        pki.identity("doctor").unwrap().key,
        generate(&cfg()).unwrap().identity("doctor").unwrap().key
    );
}

// ---- OpenSSL interoperability ----

/// Runs openssl: the test command installs it, so a missing openssl fails
/// the cross-check rather than skipping it (a skipped peer checks nothing).
fn openssl(dir: &Path, args: &[&str]) -> Option<(bool, String)> {
    let out = match Command::new("openssl").args(args).current_dir(dir).output() {
        Ok(o) => o,
        Err(e) => panic!("openssl is required for the interop checks: {e}"),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

#[test]
fn openssl_interop() {
    let pki = pki();
    let dir = tmp_dir("openssl");
    pki.write_to(&dir).unwrap();
    let attime = secs(pki.now).to_string();
    let verify = |ee: &str, untrusted: &str, extra: &[&str]| {
        let mut args = vec!["verify", "-attime", &attime, "-CAfile", "root.pem"];
        args.extend_from_slice(&["-untrusted", untrusted]);
        args.extend_from_slice(extra);
        args.push(ee);
        openssl(&dir, &args)
    };
    let (ok, out) = verify("doctor.pem", "signing-ca.pem", &[]).expect("openssl ran");
    assert!(ok && out.contains("doctor.pem: OK"), "{out}");
    for id in [
        "dentist",
        "pharmacist",
        "nurse",
        "director",
        "digsig-only",
        "no-policy",
    ] {
        let (ok, out) = verify(&format!("{id}.pem"), "signing-ca.pem", &[]).unwrap();
        assert!(ok, "{id}: {out}");
    }
    let (ok, out) = verify("auth.pem", "auth-ca.pem", &[]).unwrap();
    assert!(ok, "auth chains to the root: {out}");

    // Every certificate parses in OpenSSL.
    for f in std::fs::read_dir(&dir).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".pem") && !name.ends_with(".key.pem") {
            let (ok, out) = openssl(&dir, &["x509", "-in", &name, "-noout", "-text"]).unwrap();
            assert!(ok, "{name}: {out}");
        }
        if name.ends_with(".key.pem") {
            let (ok, out) = openssl(&dir, &["pkey", "-in", &name, "-noout", "-check"]).unwrap();
            assert!(ok, "{name}: {out}");
        }
    }
    let (_, text) = openssl(&dir, &["x509", "-in", "doctor.pem", "-noout", "-text"]).unwrap();
    assert!(text.contains("Non Repudiation"), "{text}");
    assert!(text.contains("1.2.392.100495.1.5.1.1.0.1"), "{text}");

    // CRL signatures.
    for (crl, ca) in [
        ("sign-ca.crl", "signing-ca.pem"),
        ("auth-ca.crl", "auth-ca.pem"),
        ("arl.crl", "root.pem"),
    ] {
        let (ok, out) = openssl(
            &dir,
            &[
                "crl",
                "-in",
                &format!("crl/{crl}"),
                "-inform",
                "DER",
                "-CAfile",
                ca,
                "-noout",
            ],
        )
        .unwrap();
        assert!(ok && out.contains("verify OK"), "{crl}: {out}");
    }

    // Revocation with CRLs (end entity and issuing CA).
    let crls = [
        "-crl_check_all",
        "-CRLfile",
        "crl/sign-ca.crl",
        "-CRLfile",
        "crl/arl.crl",
    ];
    let (ok, out) = verify("doctor.pem", "signing-ca.pem", &crls).unwrap();
    assert!(ok, "doctor with CRLs: {out}");
    let (ok, out) = verify("revoked.pem", "signing-ca.pem", &crls).unwrap();
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    let (ok, out) = verify("revoked.pem", "signing-ca.pem", &[]).unwrap();
    assert!(ok, "revoked is otherwise valid: {out}");

    // Validity and trust failures.
    let (ok, out) = verify("expired.pem", "signing-ca.pem", &[]).unwrap();
    assert!(!ok && out.contains("certificate has expired"), "{out}");
    let (ok, out) = verify("not-yet-valid.pem", "signing-ca.pem", &[]).unwrap();
    assert!(!ok && out.contains("certificate is not yet valid"), "{out}");
    let (ok, out) = verify("rogue.pem", "rogue-ca.pem", &[]).unwrap();
    assert!(!ok, "rogue must not chain to the test root: {out}");
    let (ok, out) = verify("rogue.pem", "signing-ca.pem", &[]).unwrap();
    assert!(!ok, "rogue must not verify under the genuine CA: {out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reissued_crls() {
    let pki = pki();
    let now = pki.now;
    let hour = Duration::from_secs(3600);
    let day = Duration::from_secs(86_400);
    // Same times: byte-identical to the generated CRLs.
    for crl in &pki.crls {
        let again = pki
            .issue_crl(&crl.name, now - hour, now - hour + 4 * day)
            .unwrap();
        assert_eq!(again, crl.der, "{}", crl.name);
    }
    // A stale CRL: nextUpdate has passed at `now`.
    let stale = pki
        .issue_crl("sign-ca.crl", now - 6 * day, now - 2 * day)
        .unwrap();
    let list: CertificateList = CertificateList::from_der(&stale).unwrap();
    assert!(list.tbs_cert_list.next_update.unwrap().to_system_time() < now);
    assert_eq!(
        list.tbs_cert_list
            .revoked_certificates
            .as_ref()
            .unwrap()
            .len(),
        1
    );
    assert!(verify_sig(
        first_inner_tlv(&stale),
        "1.2.840.113549.1.1.11",
        list.signature.as_bytes().unwrap(),
        &pki.signing_ca.cert_der
    ));
    assert!(pki.issue_crl("nope.crl", now, now).is_err());

    // OpenSSL: a stale CRL is not "valid".
    let dir = tmp_dir("stale");
    pki.write_to(&dir).unwrap();
    std::fs::write(dir.join("stale.crl"), &stale).unwrap();
    let attime = secs(now).to_string();
    let (ok, out) = openssl(
        &dir,
        &[
            "verify",
            "-attime",
            &attime,
            "-crl_check",
            "-CRLfile",
            "stale.crl",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "signing-ca.pem",
            "doctor.pem",
        ],
    )
    .expect("openssl ran");
    assert!(!ok && out.contains("CRL has expired"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (
        String::from_utf8_lossy(&buf[..split]).into_owned(),
        buf[split + 4..].to_vec(),
    )
}

#[test]
fn crl_server_serves_the_cdp_urls() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut c = cfg().with_crl_port(port);
    c.identities = vec![IdentitySpec::builtin("revoked").unwrap()];
    let pki = generate(&c).unwrap();
    let server = inkan_testpki::CrlServer::start(listener, &pki).unwrap();
    assert_eq!(server.base_url(), pki.crl_base_url);

    // The URL in the certificate's CDP answers with the CRL.
    let ident = pki.identity("revoked").unwrap();
    let url = pki.crl_url(&ident.crl);
    assert!(contains(
        &ext_value(&ident.cert_der, &ID_CE_CRL_DISTRIBUTION_POINTS)
            .unwrap()
            .1,
        url.as_bytes()
    ));
    let path = url
        .strip_prefix(&format!("http://127.0.0.1:{port}"))
        .unwrap();
    let (head, body) = http_get(server.addr(), path);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("application/pkix-crl"), "{head}");
    assert_eq!(body, pki.crl("sign-ca.crl").unwrap().der);
    let (head, body) = http_get(server.addr(), "/arl.crl");
    assert!(head.starts_with("HTTP/1.1 200"));
    assert_eq!(body, pki.crl("arl.crl").unwrap().der);

    server.set("sign-ca.crl", None);
    let (head, _) = http_get(server.addr(), "/sign-ca.crl");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert_eq!(server.hits("sign-ca.crl"), 2);
    assert_eq!(server.requests(), 3);
    let addr = server.addr();
    drop(server);
    assert!(std::net::TcpStream::connect(addr).is_err(), "stopped");
}
