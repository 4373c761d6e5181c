//! RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2), the one operation
//! every certificate, CRL and CMS signature check in Inkan ends in.
//!
//! ```text
//! RSASSA-PKCS1-V1_5-VERIFY ((n, e), M, S)
//!    1. Length checking: If the length of the signature S is not k octets,
//!       output "invalid signature" and stop.
//!    2. RSA verification: m = RSAVP1 ((n, e), s), EM = I2OSP (m, k)
//!    3. EMSA-PKCS1-v1_5 encoding: EM' = EMSA-PKCS1-V1_5-ENCODE (M, k)
//!    4. Compare EM and EM'.
//! ```
//!
//! The backend is `ring` (the one rustls uses by default): several times
//! faster than the pure-Rust `rsa` crate for a public-key operation,
//! measured in `docs/performance.md`. `ring` takes moduli of 2048 to 8192
//! bits; a key outside that range (a weak key a verifier must still
//! *report* as weak rather than as forged) is verified with the `rsa`
//! crate, so the verdict never depends on the backend.
//!
//! A signature that verified is remembered for the rest of the process,
//! keyed by a SHA-256 over the algorithm, the key, the message's digest and
//! the signature, so the same certificate or CRL under the same key is
//! verified once per batch. Only successes are kept, the cache is bounded,
//! and [`set_cache_enabled`] turns it off (the tests compare verdicts with
//! and without it).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::Digest as _;

/// The digest inside the signature (EMSA-PKCS1-v1_5's DigestInfo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digest {
    /// SHA-256 (sha256WithRSAEncryption).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Digest {
    fn id(self) -> u8 {
        match self {
            Digest::Sha256 => 1,
            Digest::Sha384 => 2,
            Digest::Sha512 => 3,
        }
    }

    fn hash(self, message: &[u8]) -> Vec<u8> {
        match self {
            Digest::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Digest::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Digest::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The public key is not a PKCS#1 RSAPublicKey.
    #[error("the RSA public key does not parse: {0}")]
    Key(String),
    /// The signature does not verify with the key.
    #[error("the signature does not verify with the public key")]
    BadSignature,
}

/// Verifies `signature` over `message` with the RSA public key
/// `public_key` (PKCS#1 `RSAPublicKey` DER: the subjectPublicKey of an
/// rsaEncryption SubjectPublicKeyInfo).
pub fn verify(
    digest: Digest,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let cached = cache_enabled();
    let key = if cached {
        let k = cache_key(digest, public_key, message, signature);
        if cache().lock().map(|c| c.contains(&k)).unwrap_or(false) {
            HITS.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        Some(k)
    } else {
        None
    };
    verify_uncached(digest, public_key, message, signature)?;
    if let Some(k) = key {
        if let Ok(mut c) = cache().lock() {
            if c.len() >= CACHE_CAPACITY {
                // Bounded: a batch larger than this starts afresh.
                c.clear();
            }
            c.insert(k);
        }
    }
    Ok(())
}

/// The RSA operation itself, no cache.
pub fn verify_uncached(
    digest: Digest,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
    if ring_accepts(public_key)? {
        let alg: &dyn ring::signature::VerificationAlgorithm = match digest {
            Digest::Sha256 => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            Digest::Sha384 => &ring::signature::RSA_PKCS1_2048_8192_SHA384,
            Digest::Sha512 => &ring::signature::RSA_PKCS1_2048_8192_SHA512,
        };
        return ring::signature::UnparsedPublicKey::new(alg, public_key)
            .verify(message, signature)
            .map_err(|_| VerifyError::BadSignature);
    }
    fallback(digest, public_key, message, signature)
}

/// Keys `ring` does not take (under 2048 or over 8192 bits, an unusual
/// exponent): the `rsa` crate, so that a weak key is still verified and
/// reported as weak by the caller, not as a forgery.
fn fallback(
    digest: Digest,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::signature::Verifier;
    let key =
        rsa::PublicKey::from_pkcs1_der(public_key).map_err(|e| VerifyError::Key(e.to_string()))?;
    let sig =
        rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| VerifyError::BadSignature)?;
    let ok = match digest {
        Digest::Sha256 => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key).verify(message, &sig)
        }
        Digest::Sha384 => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(key).verify(message, &sig)
        }
        Digest::Sha512 => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(key).verify(message, &sig)
        }
    };
    ok.map_err(|_| VerifyError::BadSignature)
}

/// RFC 4055 §1.2 (RFC 3279 §2.3.1): the rsaEncryption AlgorithmIdentifier's
/// parameters "MUST be present and MUST be NULL". A key that says otherwise
/// is not an RSA key Inkan uses.
pub fn check_rsa_encryption_parameters(parameters: Option<&der::Any>) -> Result<(), VerifyError> {
    use der::Tagged;
    match parameters {
        Some(p) if p.tag() == der::Tag::Null && p.value().is_empty() => Ok(()),
        Some(p) => Err(VerifyError::Key(format!(
            "rsaEncryption parameters are {} instead of NULL",
            p.tag()
        ))),
        None => Err(VerifyError::Key(
            "rsaEncryption parameters are absent instead of NULL".into(),
        )),
    }
}

/// Whether `ring` takes this key: the modulus size and exponent are
/// checked here, so that `ring`'s single "unspecified" error only ever
/// means a bad signature.
fn ring_accepts(public_key: &[u8]) -> Result<bool, VerifyError> {
    use der::Decode;
    let k = rsa::pkcs1::RsaPublicKeyRef::from_der(public_key)
        .map_err(|e| VerifyError::Key(e.to_string()))?;
    let bits = bit_len(k.modulus.as_bytes());
    let e = k.public_exponent.as_bytes();
    let odd = e.last().is_some_and(|b| b & 1 == 1);
    // ring: 2048..=8192-bit moduli, odd exponents from 3 to 2^33 - 1.
    Ok((2048..=8192).contains(&bits) && odd && (2..=33).contains(&bit_len(e)))
}

fn bit_len(be: &[u8]) -> usize {
    match be.iter().position(|b| *b != 0) {
        Some(i) => (be.len() - i) * 8 - be[i].leading_zeros() as usize,
        None => 0,
    }
}

/// Verified signatures kept at most (each 32 bytes).
pub const CACHE_CAPACITY: usize = 65_536;

static ENABLED: AtomicBool = AtomicBool::new(true);
static HITS: AtomicU64 = AtomicU64::new(0);
static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

fn cache() -> &'static Mutex<HashSet<[u8; 32]>> {
    static C: std::sync::OnceLock<Mutex<HashSet<[u8; 32]>>> = std::sync::OnceLock::new();
    C.get_or_init(|| Mutex::new(HashSet::new()))
}

fn cache_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Turns the cache of verified signatures on or off for this process (on
/// by default); turning it off empties it.
pub fn set_cache_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
    if !enabled {
        if let Ok(mut c) = cache().lock() {
            c.clear();
        }
    }
}

/// (RSA operations done, answers taken from the cache) since the process
/// started.
pub fn counters() -> (u64, u64) {
    (
        VERIFICATIONS.load(Ordering::Relaxed),
        HITS.load(Ordering::Relaxed),
    )
}

fn cache_key(digest: Digest, public_key: &[u8], message: &[u8], signature: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update([digest.id()]);
    h.update((public_key.len() as u64).to_be_bytes());
    h.update(public_key);
    h.update(digest.hash(message));
    h.update((signature.len() as u64).to_be_bytes());
    h.update(signature);
    h.finalize().into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::signature::{SignatureEncoding, Signer};

    fn key(bits: usize) -> (rsa::PrivateKey, Vec<u8>) {
        use rand_chacha::rand_core::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([bits as u8; 32]);
        let k = rsa::PrivateKey::new(&mut rng, bits).unwrap();
        let public = k
            .to_public_key()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        (k, public)
    }

    fn sign(k: &rsa::PrivateKey, msg: &[u8]) -> Vec<u8> {
        rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.clone())
            .sign(msg)
            .to_vec()
    }

    #[test]
    fn both_backends_agree_and_the_cache_keeps_only_successes() {
        for bits in [1024, 2048] {
            let (k, public) = key(bits);
            let sig = sign(&k, b"tbs");
            assert_eq!(verify(Digest::Sha256, &public, b"tbs", &sig), Ok(()));
            assert_eq!(verify(Digest::Sha256, &public, b"tbs", &sig), Ok(()));
            assert_eq!(
                verify(Digest::Sha256, &public, b"tbS", &sig),
                Err(VerifyError::BadSignature)
            );
            let mut bad = sig.clone();
            bad[10] ^= 1;
            assert_eq!(
                verify(Digest::Sha256, &public, b"tbs", &bad),
                Err(VerifyError::BadSignature)
            );
            assert_eq!(
                verify(Digest::Sha384, &public, b"tbs", &sig),
                Err(VerifyError::BadSignature)
            );
            assert_eq!(
                verify(Digest::Sha256, &public, b"tbs", &sig[1..]),
                Err(VerifyError::BadSignature)
            );
        }
        assert!(matches!(
            verify(Digest::Sha256, b"\x30\x00", b"tbs", b"sig"),
            Err(VerifyError::Key(_))
        ));
    }
}
