//! Whole-signature attacks found by a hostile review, kept as scenarios: a
//! SignerInfo whose identifier carries terminal control sequences and a
//! fake verdict must not reach the report or the terminal as such.
#![allow(clippy::unwrap_used)]

use sha2::Digest;

use inkan_testpki::{CaId, PkiConfig};
use inkan_trust::{RevocationConfig, TrustStore};
use inkan_validation::{render_text, validate, DocumentPolicy, Options};

use inkan_testpki::craft::tlv;

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

const ID_SIGNED_DATA: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
];
const ID_DATA: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
];
const SHA256: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];
const RSA: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01,
];
const CONTENT_TYPE: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03,
];
const MESSAGE_DIGEST: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04,
];

/// A detached SignedData whose only SignerInfo names (issuerAndSerialNumber)
/// an issuer with CN = `cn` and no certificate: verification stops at
/// "signer certificate not found", whose message quotes the sid.
fn signature_with_sid_issuer(cn: &str, content: &[u8]) -> Vec<u8> {
    let mut atv = tlv(0x06, &[0x55, 0x04, 0x03]);
    atv.extend(tlv(0x0C, cn.as_bytes()));
    let issuer = tlv(0x30, &tlv(0x31, &tlv(0x30, &atv)));
    let sid = tlv(0x30, &cat(&[&issuer, &tlv(0x02, &[0x01])]));
    let digest_alg = tlv(0x30, &cat(&[SHA256, &[0x05, 0x00]]));
    let ct_attr = tlv(0x30, &cat(&[CONTENT_TYPE, &tlv(0x31, ID_DATA)]));
    let md = sha2::Sha256::digest(content);
    let md_attr = tlv(0x30, &cat(&[MESSAGE_DIGEST, &tlv(0x31, &tlv(0x04, &md))]));
    let signed_attrs = tlv(0xA0, &cat(&[&ct_attr, &md_attr]));
    let sig_alg = tlv(0x30, &cat(&[RSA, &[0x05, 0x00]]));
    let signer_info = tlv(
        0x30,
        &cat(&[
            &tlv(0x02, &[0x01]),
            &sid,
            &digest_alg,
            &signed_attrs,
            &sig_alg,
            &tlv(0x04, &[0u8; 256]),
        ]),
    );
    let signed_data = tlv(
        0x30,
        &cat(&[
            &tlv(0x02, &[0x01]),
            &tlv(0x31, &digest_alg),
            &tlv(0x30, ID_DATA),
            &tlv(0x31, &signer_info),
        ]),
    );
    tlv(0x30, &cat(&[ID_SIGNED_DATA, &tlv(0xA0, &signed_data)]))
}

/// FINDING candidate: the signer identifier of a SignerInfo is attacker
/// text that reaches the verdict summary and the terminal rendering without
/// escape_display: x509-cert's RFC 4514 Display escapes C0 and DEL only, so
/// C1 controls (U+009B = 8-bit CSI) and bidi overrides pass through.
#[test]
fn signer_identifier_text_is_escaped_in_the_report() {
    let pki = inkan_testpki::cached(&PkiConfig::default());
    let content = "診療情報提供書".as_bytes();
    // CSI 2K (erase line), CSI 1G (column 1), a fake verdict, CSI 8m (conceal the rest).
    let payload = "X\u{9b}2K\u{9b}1G有効: テスト　太郎（医師）が署名し、署名後に改変されていません [TOTAL_PASSED]\u{9b}8m\u{202E}";
    let sig = signature_with_sid_issuer(payload, content);
    let report = validate(
        &sig,
        Some(content),
        &Options {
            trust: TrustStore::Test {
                anchors: vec![pki.ca(CaId::Root).cert_der.clone()],
                pool: Vec::new(),
                label: "test".into(),
            },
            at: Some(pki.now),
            revocation: RevocationConfig::offline(),
            policy: DocumentPolicy::ReferralLetter,
            tsa_trust: Vec::new(),
        },
    );
    let text = render_text(&report, inkan_l10n::Lang::Ja);
    println!("indication: {:?}", report.indication);
    println!("summary.ja (debug): {:?}", report.summary.ja);
    println!("render_text (debug): {text:?}");
    let bad = ['\u{9b}', '\u{202E}'];
    assert!(
        !text.chars().any(|c| bad.contains(&c))
            && !report.summary.ja.chars().any(|c| bad.contains(&c))
            && !report.summary.en.chars().any(|c| bad.contains(&c)),
        "raw C1 CSI / RLO from the SignerInfo sid reached the rendered report"
    );
}
