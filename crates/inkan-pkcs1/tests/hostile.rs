//! RSA verification attacked: the two backends (ring / rsa) accept exactly
//! the same signatures (odd exponents, short and padded signatures, huge
//! keys, odd key encodings), and the cache of verified signatures cannot be
//! made to answer for another key, message, digest or signature, even with
//! threads switching it on and off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use inkan_pkcs1::{set_cache_enabled, verify, verify_uncached, Digest, VerifyError};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use sha2::Digest as _;
use std::sync::Mutex;

/// The cache is process-wide: tests that toggle it run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn key(bits: usize, seed: u8) -> (rsa::PrivateKey, Vec<u8>) {
    use rand_chacha::rand_core::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([seed; 32]);
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

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else {
        let b = n.to_be_bytes();
        let skip = b.iter().take_while(|x| **x == 0).count();
        let mut v = vec![0x80 | (b.len() - skip) as u8];
        v.extend_from_slice(&b[skip..]);
        v
    }
}

fn tlv(tag: u8, c: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(der_len(c.len()));
    v.extend_from_slice(c);
    v
}

fn uint(be: &[u8]) -> Vec<u8> {
    let i = be.iter().position(|b| *b != 0).unwrap_or(be.len() - 1);
    let mut v = be[i..].to_vec();
    if v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

fn rsa_public(n: &[u8], e: &[u8]) -> Vec<u8> {
    tlv(0x30, &[uint(n), uint(e)].concat())
}

/// EMSA-PKCS1-v1_5 encoding of SHA-256(msg) in `k` bytes.
fn emsa(msg: &[u8], k: usize) -> Vec<u8> {
    let prefix: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let t = [prefix.to_vec(), sha2::Sha256::digest(msg).to_vec()].concat();
    let mut em = vec![0x00, 0x01];
    em.extend(std::iter::repeat_n(0xff, k - t.len() - 3));
    em.push(0);
    em.extend(t);
    em
}

fn both(digest: Digest, public: &[u8], msg: &[u8], sig: &[u8]) -> [Result<(), VerifyError>; 3] {
    set_cache_enabled(false);
    let off = verify(digest, public, msg, sig);
    set_cache_enabled(true);
    let on = verify(digest, public, msg, sig);
    let warm = verify(digest, public, msg, sig);
    [off, on, warm]
}

/// e = 1: the "signature" is the encoded message itself, a forgery anyone
/// can make. Never accepted, whatever the modulus size (ring or fallback).
#[test]
fn exponent_one_and_even_exponents_never_verify() {
    let _g = lock();
    for bits in [1024usize, 2048, 3072] {
        let (k, _) = key(bits, bits as u8 ^ 0x5a);
        let n = k.to_public_key().n().to_be_bytes();
        let kbytes = n.len() - n.iter().take_while(|b| **b == 0).count();
        let msg = b"forged by anyone";
        let em = emsa(msg, kbytes);
        for e in [vec![1u8], vec![2], vec![0], vec![0x01, 0x00, 0x00]] {
            let public = rsa_public(&n, &e);
            for r in both(Digest::Sha256, &public, msg, &em) {
                assert!(r.is_err(), "{bits} bits, e = {e:02x?}: EM itself accepted");
            }
            assert!(verify_uncached(Digest::Sha256, &public, msg, &em).is_err());
        }
    }
}

/// A signature whose leading zero octet was stripped (length k-1), or one
/// padded with an extra zero (k+1): refused by both backends alike, with
/// and without the cache.
#[test]
fn short_and_long_signatures_refused_by_both_backends() {
    let _g = lock();
    for bits in [1536usize, 2048] {
        let (k, public) = key(bits, 0x33 ^ (bits >> 8) as u8);
        // Find a message whose signature starts with 0x00.
        let (msg, sig) = (0u32..5000)
            .map(|i| {
                let m = format!("msg {i}").into_bytes();
                let s = sign(&k, &m);
                (m, s)
            })
            .find(|(_, s)| s[0] == 0)
            .expect("a signature with a leading zero");
        for r in both(Digest::Sha256, &public, &msg, &sig) {
            assert_eq!(r, Ok(()), "{bits}: the genuine signature");
        }
        let short = &sig[1..];
        let long = [vec![0u8], sig.clone()].concat();
        for (what, s) in [("short", short.to_vec()), ("long", long)] {
            for r in both(Digest::Sha256, &public, &msg, &s) {
                assert!(r.is_err(), "{bits} bits: {what} signature accepted");
            }
        }
    }
}

/// Keys above 8192 bits go to the fallback: refused quickly, no hang.
#[test]
fn oversized_keys_are_refused_quickly() {
    let _g = lock();
    for bits in [8200usize, 16384, 65536] {
        let mut n = vec![0xffu8; bits / 8];
        n[0] = 0xc0;
        let last = n.len() - 1;
        n[last] = 0x01;
        let public = rsa_public(&n, &[0x01, 0x00, 0x01]);
        let sig = vec![0x42u8; n.len()];
        let t = std::time::Instant::now();
        for r in both(Digest::Sha256, &public, b"m", &sig) {
            assert!(r.is_err());
        }
        assert!(t.elapsed().as_secs() < 5, "{bits}: {:?}", t.elapsed());
    }
}

/// The cache never answers for another digest, key, message or signature,
/// including a message whose different bytes would collide if the key
/// hashed the message with the wrong function or without framing.
#[test]
fn cache_key_separates_digest_key_message_and_signature() {
    let _g = lock();
    set_cache_enabled(true);
    let (k, public) = key(2048, 0x77);
    let (k2, public2) = key(2048, 0x78);
    let msg = b"tbsCertificate".to_vec();
    let sig = sign(&k, &msg);
    assert_eq!(verify(Digest::Sha256, &public, &msg, &sig), Ok(()));
    // Same sig, other digest / key / message / signature bytes.
    assert!(verify(Digest::Sha384, &public, &msg, &sig).is_err());
    assert!(verify(Digest::Sha512, &public, &msg, &sig).is_err());
    assert!(verify(Digest::Sha256, &public2, &msg, &sig).is_err());
    assert!(verify(Digest::Sha256, &public, b"tbsCertificatE", &sig).is_err());
    // Moving bytes between key and signature (framing).
    let mut key_plus = public.clone();
    key_plus.push(sig[0]);
    assert!(verify(Digest::Sha256, &key_plus, &msg, &sig[1..]).is_err());
    // A different key whose signature over the same message is cached too.
    let sig2 = sign(&k2, &msg);
    assert_eq!(verify(Digest::Sha256, &public2, &msg, &sig2), Ok(()));
    assert!(verify(Digest::Sha256, &public, &msg, &sig2).is_err());
    assert!(verify(Digest::Sha256, &public2, &msg, &sig).is_err());
}

/// Many threads, cache toggled under them: good stays good, bad stays bad.
#[test]
fn concurrent_use_with_the_cache_toggled_is_sound() {
    let _g = lock();
    let (k, public) = key(2048, 0x99);
    let msgs: Vec<Vec<u8>> = (0..8).map(|i| format!("m{i}").into_bytes()).collect();
    let sigs: Vec<Vec<u8>> = msgs.iter().map(|m| sign(&k, m)).collect();
    std::thread::scope(|s| {
        for t in 0..6usize {
            let (public, msgs, sigs) = (&public, &msgs, &sigs);
            s.spawn(move || {
                for round in 0..200usize {
                    let i = (t + round) % msgs.len();
                    let j = (i + 1) % msgs.len();
                    if round % 17 == 0 {
                        set_cache_enabled(round % 2 == 0);
                    }
                    assert_eq!(verify(Digest::Sha256, public, &msgs[i], &sigs[i]), Ok(()));
                    assert!(verify(Digest::Sha256, public, &msgs[i], &sigs[j]).is_err());
                    assert!(verify(Digest::Sha256, public, &msgs[j], &sigs[i]).is_err());
                }
            });
        }
    });
    set_cache_enabled(true);
}

/// Odd key encodings: the same (n, e) with a non-minimal INTEGER, trailing
/// data, or BER long-form length never verifies (ring and the rsa crate
/// would otherwise disagree on what the key is).
#[test]
fn non_der_keys_never_verify() {
    let _g = lock();
    let (k, public) = key(2048, 0x21);
    let msg = b"x";
    let sig = sign(&k, msg);
    let n = k.to_public_key().n().to_be_bytes();
    let mut padded_n = vec![0x02];
    let body = [vec![0u8, 0u8], n.to_vec()].concat();
    padded_n.extend(der_len(body.len()));
    padded_n.extend(body);
    let non_minimal = tlv(0x30, &[padded_n, uint(&[1, 0, 1])].concat());
    let mut trailing = public.clone();
    trailing.push(0);
    let mut long_form = vec![0x30, 0x84];
    long_form.extend(((public.len() - 4) as u32).to_be_bytes());
    long_form.extend_from_slice(&public[4..]);
    for (what, kd) in [
        ("non-minimal", non_minimal),
        ("trailing", trailing),
        ("long-form", long_form),
    ] {
        for r in both(Digest::Sha256, &kd, msg, &sig) {
            assert!(r.is_err(), "{what} key encoding accepted");
        }
    }
}

/// RFC 8017 §8.2.2 step 1 ("If the length of the signature S is not k
/// octets, output 'invalid signature'"), s >= n, and key encodings other
/// than RSAPublicKey, judged alike by ring and the `rsa` fallback (2048-
/// and 1024-bit keys), with the cache off, on and warm. (From the hostile
/// review of a switch to aws-lc-rs, which was measured and not kept.)
#[test]
fn signatures_of_the_wrong_length_or_out_of_range_are_refused_by_both_backends() {
    let _turn = lock();
    for (bits, seed) in [(2048usize, 7u8), (1024, 8)] {
        let (k, public) = key(bits, seed);
        let modulus = {
            use der::Decode;
            rsa::pkcs1::RsaPublicKeyRef::from_der(&public)
                .unwrap()
                .modulus
                .as_bytes()
                .to_vec()
        };
        let msg = b"tbs".to_vec();
        let sig = sign(&k, &msg);
        assert_eq!(sig.len(), bits / 8);
        for r in both(Digest::Sha256, &public, &msg, &sig) {
            assert_eq!(r, Ok(()), "{bits}: the genuine signature");
        }
        // One octet more (a leading zero: the same integer).
        let longer = [vec![0u8], sig.clone()].concat();
        for r in both(Digest::Sha256, &public, &msg, &longer) {
            assert_eq!(r, Err(VerifyError::BadSignature), "{bits}: k+1 octets");
        }
        // The modulus itself: s >= n.
        for r in both(Digest::Sha256, &public, &msg, &modulus) {
            assert_eq!(r, Err(VerifyError::BadSignature), "{bits}: s = n");
        }
        // A signature whose first octet is zero, given without it.
        let (m, s) = (0u32..)
            .map(|i| {
                let m = format!("tbs {i}").into_bytes();
                let s = sign(&k, &m);
                (m, s)
            })
            .find(|(_, s)| s[0] == 0)
            .unwrap();
        for r in both(Digest::Sha256, &public, &m, &s) {
            assert_eq!(r, Ok(()));
        }
        for r in both(Digest::Sha256, &public, &m, &s[1..]) {
            assert_eq!(r, Err(VerifyError::BadSignature), "{bits}: k-1 octets");
        }
        // The key as a SubjectPublicKeyInfo (which other backends parse) or
        // with trailing data: not an RSAPublicKey.
        let alg = tlv(
            0x30,
            &[
                tlv(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
                ),
                vec![0x05, 0x00],
            ]
            .concat(),
        );
        let spki = tlv(
            0x30,
            &[alg, tlv(0x03, &[vec![0u8], public.clone()].concat())].concat(),
        );
        let trailing = [public.clone(), vec![0x05, 0x00]].concat();
        for bad in [spki, trailing] {
            for r in both(Digest::Sha256, &bad, &msg, &sig) {
                assert!(matches!(r, Err(VerifyError::Key(_))), "{bits}: {r:?}");
            }
        }
    }
}
