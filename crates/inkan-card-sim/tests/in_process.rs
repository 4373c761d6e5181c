//! The card crate drives the simulated card model in-process, without PC/SC:
//! the same APDUs as through pcscd, byte for byte.

use inkan_card::hpki::{self, Apdus, Transport};
use inkan_card::CardError;
use inkan_card_sim::{CardConfig, SimCard, SimProfile};

struct Direct(SimCard);

impl Transport for Direct {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        Ok(self.0.process(apdu))
    }
}

fn card(profile: SimProfile) -> Direct {
    let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
    let id = pki.identity("doctor").expect("doctor");
    let mut cfg = CardConfig::new(
        id.key.clone(),
        id.cert_der.clone(),
        vec![
            pki.ca(inkan_testpki::CaId::Root).cert_der.clone(),
            pki.ca(inkan_testpki::CaId::SigningCa).cert_der.clone(),
        ],
    );
    cfg.profile = profile;
    Direct(SimCard::new(cfg))
}

#[test]
fn directory_files_describe_the_jahis_layout() {
    let mut t = card(SimProfile::Jahis);
    let mut a = Apdus::new(&mut t);
    let aid = hpki::select_signing_app(&mut a).expect("select");
    let layout = hpki::discover(&mut a, aid).expect("discover");
    assert_eq!(layout.pin_p2, 0x96);
    assert_eq!(layout.mse_dst, [0x81, 0x02, 0x00, 0x17]);
    assert_eq!(layout.ee_cert, inkan_card::iso7816_15::FileRef::Sfi(0x18));
    assert_eq!(
        layout.ca_certs,
        [
            inkan_card::iso7816_15::FileRef::Sfi(0x19),
            inkan_card::iso7816_15::FileRef::Sfi(0x1A)
        ]
    );
    let root = hpki::read_file(&mut a, layout.ca_certs[0]).expect("root cert");
    assert_eq!(root[0], 0x30);
}

#[test]
fn secret_files_are_not_readable() {
    let mut t = card(SimProfile::Jahis);
    let mut a = Apdus::new(&mut t);
    hpki::select_signing_app(&mut a).expect("select");
    let e = hpki::read_file(&mut a, inkan_card::iso7816_15::FileRef::Sfi(0x17)).expect_err("key");
    assert!(matches!(e, CardError::Status { .. }), "{e:?}");
}

#[test]
fn partial_aid_next_skips_to_the_signing_application() {
    // SELECT by the RID alone finds the first HPKI application; the card
    // crate must end on the signing one whatever the order.
    let mut t = card(SimProfile::Jahis);
    let mut a = Apdus::new(&mut t);
    let partial = inkan_card::apdu::Command::new(0x00, 0xA4, 0x04, 0x00)
        .with_data(inkan_card::profile::HPKI_RID.to_vec())
        .with_le(256);
    let r = a.send(&partial).expect("select by RID");
    assert_eq!(r.sw, inkan_card::apdu::StatusWord::OK);
    let aid = hpki::select_signing_app(&mut a).expect("select");
    assert_eq!(aid, inkan_card::profile::HPKI_SIGNING_AID);
}
