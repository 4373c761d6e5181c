//! The RFC 3161 client against the test TSA on loopback, and the checks on
//! every way a TSA can answer badly.
#![allow(clippy::unwrap_used)]

use inkan_testpki::{PkiConfig, TestTsa, TsaFault, TsaServer};
use inkan_tsp::{fetch_token, verify_token, TsaConfig, TspError};

const SIGNATURE_VALUE: &[u8] = b"the SignerInfo signature octets";

fn tsa() -> TestTsa {
    let pki = inkan_testpki::cached(&PkiConfig::default());
    TestTsa::new(&pki).unwrap()
}

#[test]
fn a_token_from_the_test_tsa_is_checked_and_kept_byte_for_byte() {
    let t = tsa();
    let server = TsaServer::start(t.clone()).unwrap();
    let ok = fetch_token(&TsaConfig::new(server.url()), SIGNATURE_VALUE).unwrap();
    assert_eq!(ok.tsa_cert, t.cert_der);
    assert_eq!(Some(ok.info.gen_time), t.time);
    assert_eq!(ok.info.policy, inkan_testpki::tsa::TEST_TSA_POLICY);
    assert_eq!(ok.info.accuracy, Some(std::time::Duration::from_secs(1)));
    // The token verifies on its own, for the same data only.
    verify_token(&ok.token, SIGNATURE_VALUE, &[]).unwrap();
    assert!(matches!(
        verify_token(&ok.token, b"other data", &[]),
        Err(TspError::ImprintMismatch { .. })
    ));
    assert_eq!(server.requests(), 1);
}

#[test]
fn every_bad_answer_is_refused_with_its_reason() {
    let server = TsaServer::start(tsa()).unwrap();
    let cfg = TsaConfig::new(server.url());
    for (fault, check) in [
        (
            TsaFault::WrongNonce,
            (|e: &TspError| matches!(e, TspError::Response(m) if m.contains("nonce")))
                as fn(&TspError) -> bool,
        ),
        (TsaFault::WrongImprint, |e| {
            matches!(e, TspError::ImprintMismatch { .. })
        }),
        (
            TsaFault::Refuse,
            |e| matches!(e, TspError::Refused { status: 2, text } if text.contains("refused")),
        ),
        (TsaFault::BadSignature, |e| matches!(e, TspError::Token(_))),
    ] {
        server.set_fault(fault);
        let e = fetch_token(&cfg, SIGNATURE_VALUE).unwrap_err();
        assert!(check(&e), "{fault:?}: {e:?}");
    }
}

#[test]
fn an_unreachable_tsa_is_a_transport_error() {
    let e = fetch_token(
        &TsaConfig {
            timeout: std::time::Duration::from_secs(2),
            ..TsaConfig::new("http://127.0.0.1:9/tsa")
        },
        SIGNATURE_VALUE,
    )
    .unwrap_err();
    assert!(matches!(e, TspError::Transport { .. }), "{e:?}");
}

#[test]
fn a_tsa_certificate_without_a_critical_time_stamping_eku_is_refused() {
    let pki = inkan_testpki::cached(&PkiConfig::default());
    let mut t = TestTsa::new(&pki).unwrap();
    // The same certificate with the extKeyUsage no longer critical.
    t.cert_der = inkan_testpki::craft::resigned(&t.cert_der, &pki.root.key, |fields| {
        inkan_testpki::craft::with_extensions(fields, |exts| {
            for e in exts.iter_mut() {
                if e.extn_id.to_string() == "2.5.29.37" {
                    e.critical = false;
                }
            }
        })
    });
    let server = TsaServer::start(t).unwrap();
    let e = fetch_token(&TsaConfig::new(server.url()), SIGNATURE_VALUE).unwrap_err();
    assert!(
        matches!(&e, TspError::TsaCertificate(m) if m.contains("not critical")),
        "{e:?}"
    );
}
