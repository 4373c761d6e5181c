//! A deterministic test HPKI hierarchy for Inkan's tests, simulated card and CLI.
//!
//! [`generate`] builds, from a 32-byte seed, a time and a CRL base URL:
//!
//! ```text
//! Inkan TEST HPKI Root CA                          (root.pem, issues arl.crl)
//!  ├─ Inkan-TEST-SignCA-forNonRepudiation          (signing-ca.pem, issues sign-ca.crl)
//!  │    └─ doctor, dentist, pharmacist, nurse, director, and the bad identities
//!  └─ Inkan-TEST-AuthCA-forAuthentication          (auth-ca.pem, issues auth-ca.crl)
//!       └─ auth
//! Inkan TEST HPKI Root CA  (look-alike, other key)  (rogue-root.pem)
//!  └─ Inkan-TEST-SignCA-forNonRepudiation (look-alike) (rogue-ca.pem)
//!       └─ rogue
//! ```
//!
//! The certificates mirror the production HPKI profile (MHLW signing certificate
//! policy, ISO 17090 hcRole, RFC 5280 extensions) byte for byte, under test-only
//! names; see [`profile`] for the exact extension encodings and
//! the MHLW 「保健医療福祉分野PKI認証局 署名用証明書ポリシ」 (1.91版) for the source profile.
//!
//! Everything, RSA keys included, is derived from [`PkiConfig::seed`]: the same
//! seed, time and base URL give byte-identical output. RSA keys come from a
//! ChaCha20 CSPRNG seeded with `SHA-256(seed || label)` per key.
//!
//! The test root must never be trusted by a shipped configuration.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cache;
pub mod craft;
mod der_enc;
mod files;
mod issue;
pub mod profile;
mod server;
mod time;
pub mod tsa;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub use cache::{cached, try_cached};
pub use files::MANIFEST_FORMAT;
pub use server::CrlServer;
pub use time::{format_rfc3339, jst_midnight_of, parse_rfc3339};
pub use tsa::{TestTsa, TsaFault, TsaServer};

/// The private key type of every certificate (rsa 0.10).
pub use rsa::PrivateKey;

/// The default seed: fixed, so `inkan testpki generate` without `--seed` is reproducible.
pub const DEFAULT_SEED: [u8; 32] = *b"Inkan TEST HPKI default seed v1\0";

/// The default CRL base URL (a loopback HTTP server the tests start).
pub const DEFAULT_CRL_BASE_URL: &str = "http://127.0.0.1:8734/";

/// Why the test PKI could not be generated, written or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// The configuration is not usable (bad seed, time, URL or identity list).
    #[error("invalid test PKI configuration: {0}")]
    InvalidConfig(String),
    /// RSA key generation failed.
    #[error("RSA key generation for {label} failed: {source}")]
    KeyGen {
        /// The key's label (`root`, `ee/doctor`, …).
        label: String,
        /// The underlying error.
        source: rsa::Error,
    },
    /// Signing a certificate or CRL failed.
    #[error("signing {what} failed: {reason}")]
    Sign {
        /// What was being signed.
        what: String,
        /// The underlying error.
        reason: String,
    },
    /// Encoding a key or certificate failed.
    #[error("encoding {what} failed: {reason}")]
    Encode {
        /// What was being encoded.
        what: String,
        /// The underlying error.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file of a written test PKI is not what [`TestPki::write_to`] writes.
    #[error("{path}: {reason}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiConfig {
    /// Every key, serial number and signature derives from this seed.
    pub seed: [u8; 32],
    /// The time the hierarchy is generated for: validity periods and CRL times
    /// are placed relative to it (sub-second precision is ignored).
    pub now: SystemTime,
    /// Base URL of the CRL server, ending in `/`; CDPs point at
    /// `<base>sign-ca.crl`, `<base>auth-ca.crl` and `<base>arl.crl`.
    pub crl_base_url: String,
    /// The end entities to issue (default: [`IdentitySpec::all`]).
    pub identities: Vec<IdentitySpec>,
}

impl Default for PkiConfig {
    /// [`DEFAULT_SEED`], `now` = 00:00 JST today, [`DEFAULT_CRL_BASE_URL`], all identities.
    fn default() -> Self {
        PkiConfig {
            seed: DEFAULT_SEED,
            now: jst_midnight_of(SystemTime::now()),
            crl_base_url: DEFAULT_CRL_BASE_URL.to_owned(),
            identities: IdentitySpec::all(),
        }
    }
}

impl PkiConfig {
    /// The default configuration at a fixed time.
    pub fn at(now: SystemTime) -> Self {
        PkiConfig {
            now,
            ..PkiConfig::default()
        }
    }

    /// Replaces the seed.
    pub fn with_seed(mut self, seed: [u8; 32]) -> Self {
        self.seed = seed;
        self
    }

    /// Replaces the CRL base URL (a trailing `/` is added when missing).
    pub fn with_crl_base_url(mut self, url: impl Into<String>) -> Self {
        let mut url = url.into();
        if !url.ends_with('/') {
            url.push('/');
        }
        self.crl_base_url = url;
        self
    }

    /// `http://127.0.0.1:<port>/` as CRL base URL.
    pub fn with_crl_port(self, port: u16) -> Self {
        self.with_crl_base_url(format!("http://127.0.0.1:{port}/"))
    }

    /// Checks the configuration; [`generate`] calls this first.
    pub fn validate(&self) -> Result<(), PkiError> {
        let bad = |m: String| Err(PkiError::InvalidConfig(m));
        let url = &self.crl_base_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) || !url.ends_with('/') {
            return bad(format!(
                "CRL base URL must be http(s):// and end with '/': {url:?}"
            ));
        }
        if !url.is_ascii() || url.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return bad(format!("CRL base URL must be printable ASCII: {url:?}"));
        }
        time::unix(self.now)?;
        let mut seen = std::collections::BTreeSet::new();
        for spec in &self.identities {
            let id = spec.id.as_str();
            let ok_chars = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !id.starts_with('-');
            if !ok_chars {
                return bad(format!("identity id must match [a-z0-9][a-z0-9-]*: {id:?}"));
            }
            if CaId::ALL.iter().any(|c| c.file_stem() == id) || id == "manifest" || id == "crl" {
                return bad(format!("identity id {id:?} collides with a CA file name"));
            }
            if !seen.insert(id) {
                return bad(format!("duplicate identity id {id:?}"));
            }
            if spec.defect == Defect::MalformedHcRole && spec.role.is_none() {
                return bad(format!("{id}: a malformed hcRole needs a role text"));
            }
            let printable = |s: &str| {
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b))
            };
            if !printable(&spec.subject_serial) || spec.subject_serial.is_empty() {
                return bad(format!(
                    "{id}: subject serialNumber must be a non-empty PrintableString"
                ));
            }
        }
        Ok(())
    }
}

/// Parses a 32-byte seed from 64 hexadecimal digits (for `--seed HEX`).
pub fn seed_from_hex(s: &str) -> Result<[u8; 32], PkiError> {
    let v = hex::decode(s.trim())
        .map_err(|e| PkiError::InvalidConfig(format!("seed is not hexadecimal: {e}")))?;
    v.try_into().map_err(|v: Vec<u8>| {
        PkiError::InvalidConfig(format!(
            "seed must be 32 bytes (64 hex digits), got {}",
            v.len()
        ))
    })
}

/// One of the CAs of the test hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CaId {
    /// `C=JP, O=Inkan TEST, OU=Inkan TEST HPKI Root CA`: the test trust anchor.
    Root,
    /// `…, CN=Inkan-TEST-SignCA-forNonRepudiation`: issues signing certificates.
    SigningCa,
    /// `…, CN=Inkan-TEST-AuthCA-forAuthentication`: issues authentication certificates.
    AuthCa,
    /// A look-alike of [`CaId::Root`]: same name and serial, another key. Never trusted.
    RogueRoot,
    /// A look-alike of [`CaId::SigningCa`] issued by the rogue root.
    RogueCa,
}

impl CaId {
    /// All CAs, in file order.
    pub const ALL: [CaId; 5] = [
        CaId::Root,
        CaId::SigningCa,
        CaId::AuthCa,
        CaId::RogueRoot,
        CaId::RogueCa,
    ];

    /// The file stem under the output directory (`root`, `signing-ca`, …).
    pub fn file_stem(self) -> &'static str {
        match self {
            CaId::Root => "root",
            CaId::SigningCa => "signing-ca",
            CaId::AuthCa => "auth-ca",
            CaId::RogueRoot => "rogue-root",
            CaId::RogueCa => "rogue-ca",
        }
    }

    /// The CA that issued this CA's certificate (roots are self-signed).
    pub fn issuer(self) -> CaId {
        match self {
            CaId::Root | CaId::SigningCa | CaId::AuthCa => CaId::Root,
            CaId::RogueRoot | CaId::RogueCa => CaId::RogueRoot,
        }
    }

    /// The name (URL path under the CRL base URL) of the CRL this CA issues,
    /// if the test PKI publishes one.
    pub fn crl_name(self) -> Option<&'static str> {
        match self {
            CaId::Root => Some("arl.crl"),
            CaId::SigningCa => Some("sign-ca.crl"),
            CaId::AuthCa => Some("auth-ca.crl"),
            CaId::RogueRoot | CaId::RogueCa => None,
        }
    }
}

/// What makes an identity bad (or [`Defect::None`] for a good one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Defect {
    /// A correct signing certificate.
    None,
    /// notAfter is 30 days before `now`.
    Expired,
    /// notBefore is 30 days after `now`.
    NotYetValid,
    /// Listed in `sign-ca.crl` with a revocationDate 2 days before `now`.
    Revoked,
    /// An authentication certificate: issued by the auth CA, authentication
    /// policy, keyUsage digitalSignature.
    Authentication,
    /// keyUsage digitalSignature only (no nonRepudiation).
    DigitalSignatureOnly,
    /// No certificatePolicies extension.
    NoPolicy,
    /// subjectDirectoryAttributes present, hcRole inside is not valid DER.
    MalformedHcRole,
    /// RSA-1024 subject key.
    WeakKey,
    /// Certificate signed with sha1WithRSAEncryption.
    Sha1Signature,
    /// Issued under the look-alike root (`rogue-root`), not the test root.
    UntrustedRoot,
}

/// What a verifier must conclude about a signature made with an identity's key,
/// at [`TestPki::now`] with fresh CRLs and the test root as the only anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Expectation {
    /// The certificate is valid for document signatures.
    Valid,
    /// The certificate expired at `not_after`.
    Expired {
        /// The certificate's notAfter.
        #[serde(with = "time::serde_rfc3339")]
        not_after: SystemTime,
    },
    /// The certificate is valid only from `not_before`.
    NotYetValid {
        /// The certificate's notBefore.
        #[serde(with = "time::serde_rfc3339")]
        not_before: SystemTime,
    },
    /// The certificate was revoked at `at`, per the CRL named `crl`.
    Revoked {
        /// The revocationDate in the CRL.
        #[serde(with = "time::serde_rfc3339")]
        at: SystemTime,
        /// The CRL's name (URL path), e.g. `sign-ca.crl`.
        crl: String,
    },
    /// An authentication (認証用) certificate: wrong CA and policy for a document signature.
    NotForSigning,
    /// keyUsage lacks nonRepudiation.
    KeyUsageNotNonRepudiation,
    /// The HPKI signing policy is not asserted (certificatePolicies absent).
    MissingSigningPolicy,
    /// The hcRole attribute cannot be decoded.
    MalformedHcRole,
    /// The subject key is too small.
    WeakKey {
        /// Its modulus length.
        bits: u32,
    },
    /// The certificate signature uses a rejected algorithm.
    WeakSignatureAlgorithm {
        /// The signatureAlgorithm OID (dotted).
        algorithm: String,
    },
    /// The chain ends in a root that is not the trusted test root.
    UntrustedRoot,
}

/// An end entity to issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdentitySpec {
    /// File stem and lookup key (`doctor`, `not-yet-valid`, …).
    pub id: String,
    /// The hcRole free text to encode (`Medical Doctor`, …); `None` omits subjectDirectoryAttributes.
    pub role: Option<String>,
    /// Subject CN, romaji `Given Family` (UTF8String).
    pub name_romaji: String,
    /// Kanji name for subjectAltName directoryName CN (UTF8String).
    pub name_kanji: String,
    /// Subject O, romaji facility name (UTF8String).
    pub facility_romaji: String,
    /// Kanji facility name for subjectAltName directoryName O.
    pub facility_kanji: String,
    /// Subject serialNumber, the CA-assigned id (PrintableString).
    pub subject_serial: String,
    /// Adds `OU=Director` to the subject (management roles).
    pub director: bool,
    /// What is wrong with it.
    pub defect: Defect,
}

impl IdentitySpec {
    /// A spec with test-only names derived from `id`.
    pub fn new(id: &str, role: Option<&str>, defect: Defect) -> Self {
        IdentitySpec {
            id: id.to_owned(),
            role: role.map(str::to_owned),
            name_romaji: format!("{} TEST", title_case(id)),
            name_kanji: format!("テスト　{id}"),
            facility_romaji: "Inkan TEST Clinic".to_owned(),
            facility_kanji: "テスト診療所".to_owned(),
            subject_serial: format!("TEST-{id}"),
            director: false,
            defect,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn named(
        id: &str,
        role: Option<&str>,
        defect: Defect,
        romaji: &str,
        kanji: &str,
        facility: (&str, &str),
        serial: &str,
    ) -> Self {
        IdentitySpec {
            id: id.to_owned(),
            role: role.map(str::to_owned),
            name_romaji: romaji.to_owned(),
            name_kanji: kanji.to_owned(),
            facility_romaji: facility.0.to_owned(),
            facility_kanji: facility.1.to_owned(),
            subject_serial: serial.to_owned(),
            director: false,
            defect,
        }
    }

    /// The good identities: doctor, dentist, pharmacist, nurse, director.
    pub fn good() -> Vec<Self> {
        Self::all()
            .into_iter()
            .filter(|s| s.defect == Defect::None)
            .collect()
    }

    /// One built-in identity by id.
    pub fn builtin(id: &str) -> Option<Self> {
        Self::all().into_iter().find(|s| s.id == id)
    }

    /// All built-in identities: the 5 good ones, then the 10 bad ones.
    pub fn all() -> Vec<Self> {
        const CLINIC: (&str, &str) = ("Inkan TEST Clinic", "テスト診療所");
        const DENTAL: (&str, &str) = ("Inkan TEST Dental Clinic", "テスト歯科医院");
        const PHARMACY: (&str, &str) = ("Inkan TEST Pharmacy", "テスト薬局");
        const HOSPITAL: (&str, &str) = ("Inkan TEST Hospital", "テスト病院");
        const MD: Option<&str> = Some("Medical Doctor");
        let n = IdentitySpec::named;
        let mut director = n(
            "director",
            Some("Director of Clinic"),
            Defect::None,
            "Ichiro TEST",
            "テスト　一郎",
            CLINIC,
            "TEST0000005",
        );
        director.director = true;
        vec![
            n(
                "doctor",
                MD,
                Defect::None,
                "Taro TEST",
                "テスト　太郎",
                CLINIC,
                "TEST0000001",
            ),
            n(
                "dentist",
                Some("Dentist"),
                Defect::None,
                "Hanako TEST",
                "テスト　花子",
                DENTAL,
                "TEST0000002",
            ),
            n(
                "pharmacist",
                Some("Pharmacist"),
                Defect::None,
                "Jiro TEST",
                "テスト　次郎",
                PHARMACY,
                "TEST0000003",
            ),
            n(
                "nurse",
                Some("Nurse"),
                Defect::None,
                "Yoshiko TEST",
                "テスト　良子",
                HOSPITAL,
                "TEST0000004",
            ),
            director,
            n(
                "expired",
                MD,
                Defect::Expired,
                "Saburo TEST",
                "テスト　三郎",
                CLINIC,
                "TEST0000011",
            ),
            n(
                "not-yet-valid",
                MD,
                Defect::NotYetValid,
                "Shiro TEST",
                "テスト　四郎",
                CLINIC,
                "TEST0000012",
            ),
            n(
                "revoked",
                MD,
                Defect::Revoked,
                "Goro TEST",
                "テスト　五郎",
                CLINIC,
                "TEST0000013",
            ),
            // The doctor's authentication certificate: same person, other CA.
            n(
                "auth",
                MD,
                Defect::Authentication,
                "Taro TEST",
                "テスト　太郎",
                CLINIC,
                "TEST0000001",
            ),
            n(
                "digsig-only",
                MD,
                Defect::DigitalSignatureOnly,
                "Rokuro TEST",
                "テスト　六郎",
                CLINIC,
                "TEST0000014",
            ),
            n(
                "no-policy",
                MD,
                Defect::NoPolicy,
                "Shichiro TEST",
                "テスト　七郎",
                CLINIC,
                "TEST0000015",
            ),
            n(
                "bad-hcrole",
                MD,
                Defect::MalformedHcRole,
                "Hachiro TEST",
                "テスト　八郎",
                CLINIC,
                "TEST0000016",
            ),
            n(
                "weak-key",
                MD,
                Defect::WeakKey,
                "Kuro TEST",
                "テスト　九郎",
                CLINIC,
                "TEST0000017",
            ),
            n(
                "sha1",
                MD,
                Defect::Sha1Signature,
                "Juro TEST",
                "テスト　十郎",
                CLINIC,
                "TEST0000018",
            ),
            // A look-alike of `doctor` (identical subject) under the rogue root.
            n(
                "rogue",
                MD,
                Defect::UntrustedRoot,
                "Taro TEST",
                "テスト　太郎",
                CLINIC,
                "TEST0000001",
            ),
        ]
    }

    /// The CA that issues this identity.
    pub fn issuer(&self) -> CaId {
        match self.defect {
            Defect::Authentication => CaId::AuthCa,
            Defect::UntrustedRoot => CaId::RogueCa,
            _ => CaId::SigningCa,
        }
    }

    /// The subject key size.
    pub fn key_bits(&self) -> usize {
        if self.defect == Defect::WeakKey {
            1024
        } else {
            2048
        }
    }
}

fn title_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A CA certificate with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCert {
    /// Which CA.
    pub id: CaId,
    /// The certificate (DER).
    pub cert_der: Vec<u8>,
    /// Its private key.
    pub key: PrivateKey,
}

/// An end-entity certificate with its key and what a verifier must say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The id (file stem), e.g. `doctor`.
    pub name: String,
    /// The certificate (DER).
    pub cert_der: Vec<u8>,
    /// The private key (what the simulated card holds).
    pub key: PrivateKey,
    /// The issuing CA.
    pub issuer: CaId,
    /// The expected verdict.
    pub expect: Expectation,
    /// The hcRole text a verifier should display (`None` when absent or malformed).
    pub role: Option<String>,
    /// The CRL (name under the CRL base URL) the certificate's CDP points to.
    pub crl: String,
    /// The spec it was issued from.
    pub spec: IdentitySpec,
}

/// One CRL, published at `<crl_base_url><name>` and written to `crl/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlFile {
    /// File name and URL path, e.g. `sign-ca.crl`.
    pub name: String,
    /// The CA that signed it.
    pub issuer: CaId,
    /// The CRL (DER).
    pub der: Vec<u8>,
}

/// A generated (or loaded) test hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPki {
    /// The seed it was generated from.
    pub seed: [u8; 32],
    /// The time it was generated for (whole seconds).
    pub now: SystemTime,
    /// The CRL base URL the CDPs use.
    pub crl_base_url: String,
    /// The test root (trust anchor of the tests).
    pub root: CaCert,
    /// The signing (署名用) issuing CA.
    pub signing_ca: CaCert,
    /// The authentication (認証用) issuing CA.
    pub auth_ca: CaCert,
    /// The look-alike root.
    pub rogue_root: CaCert,
    /// The look-alike signing CA under the look-alike root.
    pub rogue_ca: CaCert,
    /// End entities by id.
    pub identities: BTreeMap<String, Identity>,
    /// CRLs: `sign-ca.crl`, `auth-ca.crl`, `arl.crl`.
    pub crls: Vec<CrlFile>,
}

impl TestPki {
    /// An identity by id.
    pub fn identity(&self, name: &str) -> Option<&Identity> {
        self.identities.get(name)
    }

    /// A CA by id.
    pub fn ca(&self, id: CaId) -> &CaCert {
        match id {
            CaId::Root => &self.root,
            CaId::SigningCa => &self.signing_ca,
            CaId::AuthCa => &self.auth_ca,
            CaId::RogueRoot => &self.rogue_root,
            CaId::RogueCa => &self.rogue_ca,
        }
    }

    /// A CRL by name (`sign-ca.crl`, `auth-ca.crl`, `arl.crl`).
    pub fn crl(&self, name: &str) -> Option<&CrlFile> {
        self.crls.iter().find(|c| c.name == name)
    }

    /// The URL a CRL is published at (what the CDPs contain).
    pub fn crl_url(&self, name: &str) -> String {
        format!("{}{}", self.crl_base_url, name)
    }

    /// The DER certificates from the identity up to its root: end entity,
    /// issuing CA, root.
    pub fn chain_der(&self, name: &str) -> Option<Vec<&[u8]>> {
        let id = self.identity(name)?;
        let ca = self.ca(id.issuer);
        let root = self.ca(id.issuer.issuer());
        Some(vec![&id.cert_der, &ca.cert_der, &root.cert_der])
    }

    /// [`TestPki::chain_der`] as concatenated PEM (end entity first, root last).
    pub fn chain_pem(&self, name: &str) -> Option<String> {
        Some(self.chain_der(name)?.into_iter().map(cert_pem).collect())
    }

    /// The PEM of the test trust anchor.
    pub fn root_pem(&self) -> String {
        cert_pem(&self.root.cert_der)
    }

    /// Writes the hierarchy to `dir` (created if needed).
    ///
    /// Layout: `<ca>.pem` + `<ca>.key.pem` for `root`, `signing-ca`, `auth-ca`,
    /// `rogue-root`, `rogue-ca`; `<id>.pem` + `<id>.key.pem` per identity;
    /// `crl/<name>` (DER) per CRL, so serving `dir/crl` at the CRL base URL
    /// answers the CDPs; `manifest.json`. Every file is written atomically.
    pub fn write_to(&self, dir: &std::path::Path) -> Result<(), PkiError> {
        files::write_to(self, dir)
    }

    /// Issues `name`'s CRL again with other times (same issuer, same entries),
    /// e.g. a stale CRL whose nextUpdate has passed, to test that a verifier
    /// reports "revocation status unknown" rather than "valid".
    pub fn issue_crl(
        &self,
        name: &str,
        this_update: SystemTime,
        next_update: SystemTime,
    ) -> Result<Vec<u8>, PkiError> {
        issue::reissue_crl(
            self,
            name,
            time::unix(this_update)?,
            time::unix(next_update)?,
        )
    }

    /// Reads a hierarchy written by [`TestPki::write_to`].
    pub fn load(dir: &std::path::Path) -> Result<TestPki, PkiError> {
        files::load(dir)
    }
}

impl CaCert {
    /// The certificate as PEM.
    pub fn cert_pem(&self) -> String {
        cert_pem(&self.cert_der)
    }

    /// Parses the certificate.
    pub fn certificate(&self) -> Result<x509_cert::Certificate, der::Error> {
        der::Decode::from_der(&self.cert_der)
    }
}

impl Identity {
    /// The certificate as PEM.
    pub fn cert_pem(&self) -> String {
        cert_pem(&self.cert_der)
    }

    /// The private key as PKCS #8 PEM.
    pub fn key_pem(&self) -> Result<String, PkiError> {
        files::key_pem(&self.key, &self.name)
    }

    /// Parses the certificate.
    pub fn certificate(&self) -> Result<x509_cert::Certificate, der::Error> {
        der::Decode::from_der(&self.cert_der)
    }
}

/// PEM (`CERTIFICATE`, LF line endings) of a DER certificate.
pub fn cert_pem(der: &[u8]) -> String {
    files::pem("CERTIFICATE", der)
}

/// Generates the hierarchy described by `cfg`.
///
/// Takes about a second or two (20 RSA key generations with the default identities,
/// spread over all cores);
/// tests should prefer [`cached`].
pub fn generate(cfg: &PkiConfig) -> Result<TestPki, PkiError> {
    issue::generate(cfg)
}
