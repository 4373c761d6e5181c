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

// ---------------------------------------------------------------------------
// The card session (issue 14): the signing application is selected in every
// transaction, 6Cxx, readers without extended APDUs, the key's own PIN.

use inkan_card::{LastTry, Pin};
use sha2::Digest as _;

fn pin() -> Pin {
    Pin::new(zeroize::Zeroizing::new(
        inkan_card_sim::TEST_PIN.to_string(),
    ))
    .expect("pin")
}

fn digest() -> [u8; 32] {
    sha2::Sha256::digest(b"referral letter").into()
}

/// One signature in one transaction with the TEST PIN.
fn sign(
    t: &mut dyn Transport,
    layout: &hpki::CardLayout,
    last_try: LastTry,
    extended: bool,
) -> Result<Vec<u8>, CardError> {
    let mut a = Apdus::new(t);
    hpki::sign_in_tx(&mut a, layout, &pin(), last_try, &digest(), 256, extended)
}

fn doctor_cert() -> Vec<u8> {
    let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
    pki.identity("doctor").expect("doctor").cert_der.clone()
}

/// A card whose authentication application has its own PIN, as real
/// cards do.
fn two_pin_card(edit: impl FnOnce(&mut CardConfig)) -> Direct {
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
    cfg.auth_pin = Some(b"97531".to_vec());
    edit(&mut cfg);
    Direct(SimCard::new(cfg))
}

/// Rewrites a response: (command, response) → response.
type Rewrite<'a> = Box<dyn Fn(&[u8], Vec<u8>) -> Vec<u8> + 'a>;

/// Every command the client sends, and an optional rewrite of answers.
struct Spy<'a> {
    inner: &'a mut Direct,
    sent: Vec<Vec<u8>>,
    /// Fails extended-length APDUs in the transport, as a reader without
    /// extended APDU support does (no status word at all).
    transport_refuses_extended: bool,
    rewrite: Option<Rewrite<'a>>,
}

impl<'a> Spy<'a> {
    fn new(inner: &'a mut Direct) -> Self {
        Spy {
            inner,
            sent: Vec::new(),
            transport_refuses_extended: false,
            rewrite: None,
        }
    }

    fn verifies_with_data(&self) -> usize {
        self.sent
            .iter()
            .filter(|c| c.get(1) == Some(&0x20) && c.len() > 5)
            .count()
    }
}

impl Transport for Spy<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        self.sent.push(apdu.to_vec());
        let extended = apdu.len() > 5 && apdu[4] == 0;
        if self.transport_refuses_extended && extended {
            return Err(CardError::Pcsc {
                operation: "SCardTransmit",
                source: pcsc::Error::CommError,
            });
        }
        let r = self.inner.transmit(apdu)?;
        Ok(match &self.rewrite {
            Some(f) => f(apdu, r),
            None => r,
        })
    }
}

fn select_auth_as_another_program(t: &mut Direct) {
    let mut a = Apdus::new(t);
    let sel = inkan_card::apdu::Command::new(0x00, 0xA4, 0x04, 0x00)
        .with_data(inkan_card::profile::HPKI_AUTH_AID.to_vec())
        .with_le(256);
    assert_eq!(
        a.send(&sel).expect("select").sw,
        inkan_card::apdu::StatusWord::OK
    );
}

#[test]
fn another_program_selected_the_authentication_application_and_no_try_is_spent_on_it() {
    let mut t = two_pin_card(|_| {});
    let layout = {
        let mut a = Apdus::new(&mut t);
        let aid = hpki::select_signing_app(&mut a).expect("select");
        hpki::discover(&mut a, aid).expect("discover")
    };
    // Between Inkan's transactions another program selects the
    // authentication application (same files, same PIN reference 96).
    select_auth_as_another_program(&mut t);
    let sig = sign(&mut t, &layout, LastTry::NotConfirmed, true)
        .expect("signs with the signing application");
    inkan_card::card::verify_with_certificate(&doctor_cert(), &digest(), &sig)
        .expect("made by the signing key");
    assert_eq!(
        t.0.auth_tries_left(),
        Some(15),
        "no try spent on the authentication PIN"
    );
    assert_eq!(t.0.tries_left(), 15);

    // The PIN state, too, is read from the signing application.
    select_auth_as_another_program(&mut t);
    let mut a = Apdus::new(&mut t);
    assert!(hpki::status_in_tx(&mut a, &layout).is_ok());
}

#[test]
fn a_select_answered_with_another_applications_name_sends_no_pin() {
    let mut t = two_pin_card(|_| {});
    let layout = {
        let mut a = Apdus::new(&mut t);
        let aid = hpki::select_signing_app(&mut a).expect("select");
        hpki::discover(&mut a, aid).expect("discover")
    };
    let mut spy = Spy::new(&mut t);
    // The FCI names the authentication application.
    spy.rewrite = Some(Box::new(|cmd: &[u8], mut r: Vec<u8>| {
        if cmd.get(1) == Some(&0xA4) && cmd.get(2) == Some(&0x04) {
            if let Some(last) = r.len().checked_sub(3) {
                r[last] = *inkan_card::profile::HPKI_AUTH_AID.last().expect("aid");
            }
        }
        r
    }));
    let e = sign(&mut spy, &layout, LastTry::NotConfirmed, true).expect_err("refused");
    assert!(matches!(e, CardError::WrongApplication { .. }), "{e:?}");
    assert_eq!(spy.verifies_with_data(), 0, "no PIN sent");
}

#[test]
fn six_c_is_answered_by_resending_with_the_exact_length_and_the_card_signs() {
    let mut t = two_pin_card(|c| {
        c.exact_le = true;
        c.extended_length = false;
    });
    let mut spy = Spy::new(&mut t);
    let (layout, cert) = {
        let mut a = Apdus::new(&mut spy);
        let aid = hpki::select_signing_app(&mut a).expect("select");
        let layout = hpki::discover(&mut a, aid).expect("discover through 6Cxx");
        let cert = hpki::read_file(&mut a, layout.ee_cert).expect("certificate through 6Cxx");
        (layout, cert)
    };
    assert_eq!(cert, doctor_cert());
    let sig = sign(&mut spy, &layout, LastTry::NotConfirmed, false).expect("signs");
    inkan_card::card::verify_with_certificate(&cert, &digest(), &sig).expect("valid");
    assert!(
        spy.sent.iter().any(|c| c.get(1) == Some(&0xB0)),
        "READ BINARY was used"
    );
}

#[test]
fn a_reader_that_fails_extended_apdus_in_the_transport_still_reads_and_signs() {
    let mut t = two_pin_card(|_| {});
    let mut spy = Spy::new(&mut t);
    spy.transport_refuses_extended = true;
    let (layout, cert, refused) = {
        let mut a = Apdus::new(&mut spy);
        let aid = hpki::select_signing_app(&mut a).expect("select");
        let layout = hpki::discover(&mut a, aid).expect("discover with short reads");
        let cert = hpki::read_file(&mut a, layout.ee_cert).expect("certificate");
        (layout, cert, a.extended_refused())
    };
    assert!(refused, "the transport failure is remembered");
    assert_eq!(cert, doctor_cert());
    // Even when the client still believes extended APDUs work, the PSO
    // falls back to command chaining.
    let sig = sign(&mut spy, &layout, LastTry::NotConfirmed, true).expect("signs by chaining");
    inkan_card::card::verify_with_certificate(&cert, &digest(), &sig).expect("valid");
    assert!(
        spy.sent.iter().any(|c| c[0] & 0x10 != 0 && c[1] == 0x2A),
        "PSO went by command chaining"
    );
}

#[test]
fn the_pin_is_the_one_the_keys_auth_id_names() {
    let mut t = two_pin_card(|_| {});
    let mut spy = Spy::new(&mut t);
    // EF.AOD (SFI 13) now names another authId than the key's (16).
    spy.rewrite = Some(Box::new(|cmd: &[u8], mut r: Vec<u8>| {
        if cmd.get(1) == Some(&0xB0) && cmd.get(2) == Some(&0x93) {
            if let Some(i) = r.windows(3).position(|w| w == [0x04, 0x01, 0x16]) {
                r[i + 2] = 0x15;
            }
        }
        r
    }));
    let mut a = Apdus::new(&mut spy);
    let aid = hpki::select_signing_app(&mut a).expect("select");
    let e = hpki::discover(&mut a, aid).expect_err("no PIN object for the key");
    assert!(
        matches!(&e, CardError::Directory { file: "EF.AOD", detail } if detail.contains("authId")),
        "{e:?}"
    );
}

#[test]
fn only_a_current_signing_certificate_is_offered_a_pin() {
    let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let cert = |name: &str| pki.identity(name).expect(name).cert_der.clone();
    inkan_card::holder::check_signing_certificate(&cert("doctor"), now).expect("signing, current");
    assert!(matches!(
        inkan_card::holder::check_signing_certificate(&cert("auth"), now),
        Err(CardError::NotForSigning { .. })
    ));
    assert!(matches!(
        inkan_card::holder::check_signing_certificate(&cert("expired"), now),
        Err(CardError::CertificateOutOfValidity { .. })
    ));
    assert!(matches!(
        inkan_card::holder::check_signing_certificate(&cert("doctor"), now + 40 * 365 * 86_400),
        Err(CardError::CertificateOutOfValidity { .. })
    ));
}

#[test]
fn the_jma_authentication_application_gets_no_try_either() {
    for profile in [SimProfile::Jma, SimProfile::JmaCardPads] {
        let mut t = two_pin_card(|c| c.profile = profile);
        let layout = {
            let mut a = Apdus::new(&mut t);
            let aid = hpki::select_signing_app(&mut a).expect("select");
            hpki::discover(&mut a, aid).expect("discover")
        };
        assert_eq!(
            layout.source,
            inkan_card::hpki::LayoutSource::Profile("jma")
        );
        select_auth_as_another_program(&mut t);
        let sig = sign(&mut t, &layout, LastTry::NotConfirmed, true)
            .unwrap_or_else(|e| panic!("{profile:?}: {e:?}"));
        inkan_card::card::verify_with_certificate(&doctor_cert(), &digest(), &sig)
            .expect("the signing key");
        assert_eq!(t.0.auth_tries_left(), Some(15), "{profile:?}");
    }
}

#[test]
fn a_jma_card_that_refuses_an_empty_verify_has_an_unknown_count_not_an_error() {
    let mut t = two_pin_card(|c| c.profile = SimProfile::Jma);
    let mut spy = Spy::new(&mut t);
    // The document does not say a JMA card answers an empty VERIFY.
    spy.rewrite = Some(Box::new(|cmd: &[u8], r: Vec<u8>| {
        if cmd.get(1) == Some(&0x20) && cmd.len() == 4 {
            vec![0x67, 0x00]
        } else {
            r
        }
    }));
    let layout = {
        let mut a = Apdus::new(&mut spy);
        let aid = hpki::select_signing_app(&mut a).expect("select");
        let layout = hpki::discover(&mut a, aid).expect("discover");
        assert_eq!(
            hpki::status_in_tx(&mut a, &layout).expect("status"),
            inkan_card::PinStatus::Unknown
        );
        layout
    };
    // Unknown is sent only when the user confirms.
    let e = sign(&mut spy, &layout, LastTry::NotConfirmed, true).expect_err("needs confirmation");
    assert!(matches!(e, CardError::TriesUnknown), "{e:?}");
    let sig = sign(&mut spy, &layout, LastTry::Confirmed, true).expect("signs when confirmed");
    inkan_card::card::verify_with_certificate(&doctor_cert(), &digest(), &sig).expect("valid");
}

/// The partial-name path is real: a card that refuses SELECT by the full
/// AID is found by the RID, and every later transaction re-selects it the
/// same way, checking the DF name, before the PIN.
#[test]
fn a_card_that_refuses_the_full_aid_is_found_by_its_partial_name_and_signs() {
    let mut t = two_pin_card(|c| c.refuse_full_aid = true);
    let mut spy = Spy::new(&mut t);
    let layout = {
        let mut a = Apdus::new(&mut spy);
        let aid = hpki::select_signing_app(&mut a).expect("found by the RID");
        assert_eq!(aid, inkan_card::profile::HPKI_SIGNING_AID);
        hpki::discover(&mut a, aid).expect("discover")
    };
    let partial = |c: &Vec<u8>| {
        c.get(1) == Some(&0xA4)
            && c.get(4) == Some(&5)
            && c.get(5..10) == Some(&inkan_card::profile::HPKI_RID[..])
    };
    assert!(spy.sent.iter().any(partial), "the partial SELECT was used");
    let before = spy.sent.iter().filter(|c| partial(c)).count();
    let sig = sign(&mut spy, &layout, LastTry::NotConfirmed, true).expect("signs");
    inkan_card::card::verify_with_certificate(&doctor_cert(), &digest(), &sig).expect("valid");
    assert!(
        spy.sent.iter().filter(|c| partial(c)).count() > before,
        "re-selected by the partial name"
    );
}
