//! Splicing time-stamps into signatures (augment) under attack: co-signed
//! files keep their signers, signed attributes, values and content; wrong
//! indices, trailing data and multi-element tokens are refused.
#![allow(clippy::unwrap_used)]

use inkan_cades::{oids, SignOptions, SoftwareSigner};
use inkan_testpki::{CaId, PkiConfig};

const LETTER: &[u8] = b"<letter>augment</letter>";

fn signer(pki: &inkan_testpki::TestPki, id: &str) -> SoftwareSigner {
    let i = pki.identity(id).unwrap();
    SoftwareSigner::new(i.cert_der.clone(), i.key.clone())
}

fn fake_token(tag: u8) -> Vec<u8> {
    // Any single DER TLV is accepted by the splicer; its content is irrelevant here.
    vec![0x30, 0x03, 0x02, 0x01, tag]
}

#[test]
fn splicing_keeps_signer_order_signed_bytes_and_der() {
    let pki = inkan_testpki::cached(&PkiConfig::default());
    let opts = SignOptions {
        attached: true,
        signing_time: pki.now,
        extra_certificates: vec![pki.ca(CaId::SigningCa).cert_der.clone()],
    };
    let sig = inkan_cades::testing::co_sign(
        LETTER,
        &mut signer(&pki, "doctor"),
        &mut signer(&pki, "dentist"),
        &opts,
    )
    .unwrap();
    let before = inkan_cades::parse(&sig).unwrap();
    // Stamp signer 1 first, then signer 0, then signer 1 again (existing unsigned attrs).
    let mut s = inkan_cades::augment::add_signature_timestamp(&sig, 1, &fake_token(1)).unwrap();
    s = inkan_cades::augment::add_signature_timestamp(&s, 0, &fake_token(2)).unwrap();
    s = inkan_cades::augment::add_signature_timestamp(&s, 1, &fake_token(3)).unwrap();
    let after = inkan_cades::parse(&s).unwrap();
    assert!(!after.input_was_ber, "splicing produced non-DER framing");
    assert_eq!(before.signers.len(), after.signers.len());
    for (a, b) in before.signers.iter().zip(&after.signers) {
        assert_eq!(a.sid, b.sid, "signer order changed");
        assert_eq!(a.signed_attrs_der, b.signed_attrs_der);
        assert_eq!(a.signature, b.signature);
    }
    assert_eq!(before.econtent, after.econtent);
    assert_eq!(before.certificates, after.certificates);
    let ts = |i: usize| -> Vec<Vec<u8>> {
        after.signers[i]
            .unsigned_attr_values(&oids::ID_AA_SIGNATURE_TIME_STAMP)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect()
    };
    assert_eq!(ts(0), vec![fake_token(2)]);
    assert_eq!(ts(1), vec![fake_token(1), fake_token(3)]);
    for i in 0..after.signers.len() {
        inkan_cades::verify_signer_integrity(&after, i, None, &[]).unwrap();
    }
    // Out of range, BER and trailing data are refused, never written.
    assert!(inkan_cades::augment::add_signature_timestamp(&sig, 2, &fake_token(4)).is_err());
    let mut trailing = sig.clone();
    trailing.push(0);
    assert!(inkan_cades::augment::add_signature_timestamp(&trailing, 0, &fake_token(4)).is_err());
    let mut two = fake_token(4);
    two.extend(fake_token(5));
    assert!(inkan_cades::augment::add_signature_timestamp(&sig, 0, &two).is_err());
}
