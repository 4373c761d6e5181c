//! CRL fetching over HTTP and the cache directory (own test binary, so that the
//! server's hit counters are not disturbed by other tests).
#![allow(clippy::unwrap_used)]

mod common;

use common::{fixture, online, temp_dir, test_store, validate};
use inkan_trust::crl::cache_path;
use inkan_trust::{
    PathStatus, RevocationConfig, RevocationSource, RevocationStatus, ValidationProfile,
};

#[test]
fn fetched_crl_is_cached_with_next_update() {
    let f = fixture();
    let pki = &f.pki;
    let dir = temp_dir("fetch-cache");
    let rev = RevocationConfig {
        cache_dir: Some(dir.clone()),
        ..online()
    };
    let id = pki.identity("doctor").unwrap();
    let before = f.server.hits("sign-ca.crl");
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        &[],
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    let url = pki.crl_url("sign-ca.crl");
    assert_eq!(
        r.revocation[0].source,
        RevocationSource::Fetched(url.clone())
    );
    assert!(r.revocation[0].next_update.is_some());
    assert_eq!(f.server.hits("sign-ca.crl"), before + 1);
    let cached = cache_path(&dir, &url);
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        pki.crl("sign-ca.crl").unwrap().der
    );

    // Second run: served from the cache while at < nextUpdate, no request.
    let hits = f.server.hits("sign-ca.crl");
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        pki.now,
        ValidationProfile::Hpki,
        &rev,
        &[],
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
    assert_eq!(r.revocation[0].source, RevocationSource::Cache(cached));
    assert!(matches!(r.revocation[1].source, RevocationSource::Cache(_)));
    assert_eq!(f.server.hits("sign-ca.crl"), hits);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unreachable_or_oversized_crl_is_try_later() {
    // Only this test touches auth-ca.crl, so it can withdraw it.
    let f = fixture();
    let pki = &f.pki;
    let id = pki.identity("auth").unwrap();
    let check = |rev: &RevocationConfig, needle: &str| {
        let r = validate(
            &id.cert_der,
            &test_store(pki),
            pki.now,
            ValidationProfile::Rfc5280,
            rev,
            &[],
        );
        assert_eq!(
            r.status.sub_indication(),
            Some("TRY_LATER"),
            "{:?}",
            r.status
        );
        let RevocationStatus::Unknown { why } = &r.revocation[0].status else {
            panic!("{:?}", r.revocation)
        };
        assert!(why.to_lowercase().contains(needle), "{why}");
    };
    // Too small a size limit: the body is refused.
    check(
        &RevocationConfig {
            max_bytes: 10,
            ..online()
        },
        "larger than request limit",
    );
    // Withdrawn: 404.
    f.server.set("auth-ca.crl", None);
    check(&online(), "404");
    f.server.set(
        "auth-ca.crl",
        Some(pki.crl("auth-ca.crl").unwrap().der.clone()),
    );
    let r = validate(
        &id.cert_der,
        &test_store(pki),
        pki.now,
        ValidationProfile::Rfc5280,
        &online(),
        &[],
    );
    assert_eq!(r.status, PathStatus::Passed, "{:?}", r.status);
}
