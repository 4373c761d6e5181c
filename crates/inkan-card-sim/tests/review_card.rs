//! Hostile review of the card layer (issue 14 commits): every `finding_*`
//! test failed on the reviewed code and showed a defect (each is fixed:
//! they guard the fix); every `sound_*` test is an attack that held.
//!
//! The card is the simulator, driven in-process through a [`Proxy`] that
//! records every command and can rewrite answers the way an odd (or
//! hostile) card or reader would.

use inkan_card::apdu::StatusWord;
use inkan_card::hpki::{self, Apdus, CardLayout, Transport};
use inkan_card::profile::{HPKI_AUTH_AID, HPKI_RID, HPKI_SIGNING_AID};
use inkan_card::{CardError, LastTry, Pin, PinStatus};
use inkan_card_sim::{CardConfig, SimCard, SimProfile};
use sha2::Digest as _;

// ---------------------------------------------------------------------------
// Helpers

type Hook = Box<dyn FnMut(&mut SimCard, &[u8]) -> Result<Vec<u8>, CardError>>;

/// The simulated card behind a recording, rewriting transport.
struct Proxy {
    card: SimCard,
    sent: Vec<Vec<u8>>,
    hook: Option<Hook>,
    /// After this many exchanges the transport fails (so that a client
    /// loop that never ends shows as a count, not a hung test).
    cap: usize,
}

impl Transport for Proxy {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        self.sent.push(apdu.to_vec());
        if self.sent.len() > self.cap {
            return Err(CardError::Protocol {
                detail: "review proxy: exchange cap reached".into(),
            });
        }
        match &mut self.hook {
            Some(h) => h(&mut self.card, apdu),
            None => Ok(self.card.process(apdu)),
        }
    }
}

impl Proxy {
    fn verifies_with_data(&self) -> usize {
        self.sent.iter().filter(|c| is_verify_with_pin(c)).count()
    }
}

fn is_verify_with_pin(apdu: &[u8]) -> bool {
    apdu.get(1) == Some(&0x20) && apdu.len() > 5
}

fn is_select_by_name(apdu: &[u8]) -> bool {
    apdu.get(1) == Some(&0xA4) && apdu.get(2) == Some(&0x04)
}

fn is_full_signing_select(apdu: &[u8]) -> bool {
    is_select_by_name(apdu) && apdu.get(5..21) == Some(&HPKI_SIGNING_AID[..])
}

fn is_empty_verify(apdu: &[u8]) -> bool {
    apdu.get(1) == Some(&0x20) && apdu.len() == 4
}

fn with_sw(mut data: Vec<u8>, sw: u16) -> Vec<u8> {
    data.extend_from_slice(&sw.to_be_bytes());
    data
}

fn config(profile: SimProfile) -> CardConfig {
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
    // Real cards: the authentication application has its own PIN.
    cfg.auth_pin = Some(b"97531".to_vec());
    cfg
}

fn proxy(profile: SimProfile) -> Proxy {
    Proxy {
        card: SimCard::new(config(profile)),
        sent: Vec::new(),
        hook: None,
        cap: 100_000,
    }
}

/// Opens the card as `PcscCard::open` does (select, discover).
fn open(p: &mut Proxy) -> CardLayout {
    let mut a = Apdus::new(p);
    let aid = hpki::select_signing_app(&mut a).expect("select");
    hpki::discover(&mut a, aid).expect("discover")
}

fn pin(s: &str) -> Pin {
    Pin::new(zeroize::Zeroizing::new(s.to_string())).expect("pin")
}

fn digest() -> [u8; 32] {
    sha2::Sha256::digest(b"referral letter").into()
}

fn sign(
    p: &mut Proxy,
    layout: &CardLayout,
    pin_text: &str,
    last: LastTry,
) -> Result<Vec<u8>, CardError> {
    let mut a = Apdus::new(p);
    hpki::sign_in_tx(&mut a, layout, &pin(pin_text), last, &digest(), 256, true)
}

fn doctor_cert() -> Vec<u8> {
    let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
    pki.identity("doctor").expect("doctor").cert_der.clone()
}

// Directory-file builders (the same encoding as the simulator's).

use inkan_card_sim::model::{cat, path, tlv};

fn pin_object(auth_id: u8, reference: u8) -> Vec<u8> {
    tlv(
        0x30,
        &cat(&[
            tlv(0x30, &cat(&[tlv(0x0C, b"PIN"), tlv(0x03, &[0x06, 0x40])])),
            tlv(0x30, &tlv(0x04, &[auth_id])),
            tlv(
                0xA1,
                &tlv(
                    0x30,
                    &cat(&[
                        tlv(0x03, &[0x02, 0xC4]),
                        tlv(0x0A, &[0x02]),
                        tlv(0x02, &[0x04]),
                        tlv(0x02, &[0x10]),
                        tlv(0x02, &[0x10]),
                        tlv(0x80, &[0x00, reference]),
                        tlv(0x04, &[0xFF]),
                    ]),
                ),
            ),
        ]),
    )
}

fn key_object(auth_id: Option<u8>, usage: &[u8]) -> Vec<u8> {
    let mut common = cat(&[tlv(0x0C, b"Private key of HPKI"), tlv(0x03, &[0x07, 0x80])]);
    if let Some(id) = auth_id {
        common.extend(tlv(0x04, &[id]));
    }
    tlv(
        0x30,
        &cat(&[
            tlv(0x30, &common),
            tlv(0x30, &cat(&[tlv(0x04, &[0x17]), tlv(0x03, usage)])),
            tlv(
                0xA1,
                &tlv(0x30, &cat(&[path(0x17), tlv(0x02, &[0x08, 0x00])])),
            ),
        ]),
    )
}

/// A hook that serves its own EF.AOD (SFI 13) and EF.PrKD (SFI 14).
fn serve_directory(aod: Vec<u8>, prkd: Vec<u8>) -> Hook {
    Box::new(move |card, apdu| {
        if apdu.get(1) == Some(&0xB0) {
            match apdu.get(2) {
                Some(0x93) => return Ok(with_sw(aod.clone(), 0x9000)),
                Some(0x94) => return Ok(with_sw(prkd.clone(), 0x9000)),
                _ => {}
            }
        }
        Ok(card.process(apdu))
    })
}

const NON_REPUDIATION: &[u8] = &[0x06, 0x00, 0x40];
const SIGN_ONLY: &[u8] = &[0x05, 0x20];

// ---------------------------------------------------------------------------
// Findings (fail on the reviewed code)

/// `Apdus::send` answers any `6C xx` by resending the same command with
/// Le = xx — including a VERIFY that carries the PIN. A card that counted
/// the first VERIFY and answered `6C xx` (a firmware quirk, a T=0 reader
/// artefact, a hostile card) has the PIN sent a second time: two tries
/// spent in one operation, silently.
#[test]
fn finding_six_c_on_a_verify_resends_the_pin() {
    let mut p = proxy(SimProfile::Jahis);
    let layout = open(&mut p);
    let mut first = true;
    p.hook = Some(Box::new(move |card, apdu| {
        let r = card.process(apdu);
        if is_verify_with_pin(apdu) && std::mem::take(&mut first) {
            // The card processed (and counted) the PIN, then said 6C 00.
            return Ok(vec![0x6C, 0x00]);
        }
        Ok(r)
    }));
    let before = p.card.tries_left();
    let r = sign(&mut p, &layout, "9999", LastTry::NotConfirmed);
    assert!(r.is_err(), "a wrong PIN does not sign");
    assert_eq!(
        p.verifies_with_data(),
        1,
        "the PIN was sent {} times in one operation",
        p.verifies_with_data()
    );
    assert_eq!(
        p.card.tries_left(),
        before - 1,
        "one wrong PIN must cost exactly one try"
    );
}

/// `Apdus::send` follows `61 xx` with GET RESPONSE for as long as the card
/// says `61 xx`: a card (or reader) that never ends the chain keeps the
/// client in the loop forever, holding the exclusive PC/SC transaction and
/// growing the buffer without bound.
#[test]
fn finding_an_endless_61xx_chain_is_followed_forever() {
    let mut p = proxy(SimProfile::Jahis);
    p.cap = 20_000;
    p.hook = Some(Box::new(|card, apdu| {
        if apdu.get(1) == Some(&0xC0) {
            return Ok(vec![0x00, 0x61, 0x01]);
        }
        if is_select_by_name(apdu) {
            return Ok(vec![0x61, 0x01]);
        }
        Ok(card.process(apdu))
    }));
    let r = {
        let mut a = Apdus::new(&mut p);
        hpki::select_signing_app(&mut a)
    };
    assert!(
        p.sent.len() < 1_000,
        "{} exchanges for one SELECT (stopped only by the test's cap: {r:?})",
        p.sent.len()
    );
}

/// `reselect` refuses another application's name only when it finds it in
/// a well-formed `6F` FCI. The same name in an FCP (`62`, which many cards
/// return whatever P2 says), or in an FCI whose length is off by one, is
/// ignored and the PIN is sent.
#[test]
fn finding_another_applications_name_outside_a_well_formed_6f_is_ignored() {
    let auth_name = tlv(0x84, &HPKI_AUTH_AID);
    let mut bad_len = tlv(0x6F, &auth_name);
    bad_len[1] += 1; // one byte longer than what follows
    let forms: Vec<(&str, Vec<u8>)> = vec![
        (
            "FCP 62 naming the authentication application",
            tlv(0x62, &auth_name),
        ),
        ("FCI 6F with a length one too long", bad_len),
    ];
    let mut accepted = Vec::new();
    for (what, answer) in forms {
        let mut p = proxy(SimProfile::Jahis);
        let layout = open(&mut p);
        p.hook = Some(Box::new(move |card, apdu| {
            let r = card.process(apdu);
            if is_full_signing_select(apdu) {
                return Ok(with_sw(answer.clone(), 0x9000));
            }
            Ok(r)
        }));
        let r = sign(
            &mut p,
            &layout,
            inkan_card_sim::TEST_PIN,
            LastTry::NotConfirmed,
        );
        if p.verifies_with_data() > 0 {
            accepted.push(format!("{what}: PIN sent (signed: {})", r.is_ok()));
        }
    }
    assert!(accepted.is_empty(), "{accepted:#?}");
}

/// A private key without `authId` is guarded by "the first PIN object" of
/// EF.AOD — a guess when the AOD holds several. The PIN is then sent with
/// the first object's reference, not necessarily the key's.
#[test]
fn finding_a_key_without_auth_id_gets_the_first_pin_object_by_guess() {
    let mut p = proxy(SimProfile::Jahis);
    let aod = cat(&[pin_object(0x15, 0x95), pin_object(0x16, 0x96)]);
    let prkd = key_object(None, NON_REPUDIATION);
    p.hook = Some(serve_directory(aod, prkd));
    let mut a = Apdus::new(&mut p);
    let aid = hpki::select_signing_app(&mut a).expect("select");
    let r = hpki::discover(&mut a, aid);
    assert!(
        r.is_err(),
        "two PIN objects and a key that names none: the layout guessed VERIFY P2 {:02X?}",
        r.map(|l| l.pin_p2)
    );
}

// ---------------------------------------------------------------------------
// Attacks that held

/// Blocked, last-try-unconfirmed and unknown counts (including the new
/// `67 00` to an empty VERIFY) never send a PIN; unknown is sent only when
/// confirmed.
#[test]
fn sound_no_pin_on_blocked_unconfirmed_or_unknown_counts() {
    for (sw, expect_sent_when_confirmed) in [
        (0x63C0u16, false),
        (0x6983, false),
        (0x6984, false),
        (0x63C1, true),
        (0x6300, true),
        (0x6700, true),
    ] {
        for last in [LastTry::NotConfirmed, LastTry::Confirmed] {
            let mut p = proxy(SimProfile::Jahis);
            let layout = open(&mut p);
            p.hook = Some(Box::new(move |card, apdu| {
                if is_empty_verify(apdu) {
                    return Ok(sw.to_be_bytes().to_vec());
                }
                Ok(card.process(apdu))
            }));
            let r = sign(&mut p, &layout, inkan_card_sim::TEST_PIN, last);
            let sent = p.verifies_with_data();
            let want = usize::from(last == LastTry::Confirmed && expect_sent_when_confirmed);
            assert_eq!(sent, want, "{sw:04X} {last:?}: {r:?}");
            assert_eq!(p.card.tries_left(), 15);
        }
    }
}

/// A JAHIS card that answers the empty VERIFY with `67 00` reads as
/// Unknown; `pin_status` maps only `63 00`/`67 00` to Unknown and other
/// refusals stay errors (no silent "Unknown" for wrong P2 or no EF).
#[test]
fn sound_empty_verify_refusals_other_than_67_00_are_errors() {
    for sw in [0x6A88u16, 0x6986, 0x6982, 0x6A82] {
        let mut p = proxy(SimProfile::Jahis);
        let layout = open(&mut p);
        p.hook = Some(Box::new(move |card, apdu| {
            if is_empty_verify(apdu) {
                return Ok(sw.to_be_bytes().to_vec());
            }
            Ok(card.process(apdu))
        }));
        let mut a = Apdus::new(&mut p);
        let st = hpki::status_in_tx(&mut a, &layout);
        assert!(
            matches!(st, Err(CardError::Status { .. })),
            "{sw:04X}: {st:?}"
        );
        let r = sign(
            &mut p,
            &layout,
            inkan_card_sim::TEST_PIN,
            LastTry::Confirmed,
        );
        assert!(r.is_err());
        assert_eq!(p.verifies_with_data(), 0, "{sw:04X}");
    }
}

/// The transport failing the extended PSO (the reader, or a lost answer
/// after the card signed) falls back to chaining, never to a second VERIFY.
#[test]
fn sound_a_transport_failure_on_the_extended_pso_never_resends_the_pin() {
    let mut p = proxy(SimProfile::Jahis);
    let layout = open(&mut p);
    p.hook = Some(Box::new(|card, apdu| {
        let extended = apdu.len() > 7 && apdu[4] == 0;
        if apdu.get(1) == Some(&0x2A) && extended {
            // The card signed (and consumed the verification), the answer was lost.
            let _ = card.process(apdu);
            return Err(CardError::Pcsc {
                operation: "SCardTransmit",
                source: pcsc::Error::CommError,
            });
        }
        Ok(card.process(apdu))
    }));
    let r = sign(
        &mut p,
        &layout,
        inkan_card_sim::TEST_PIN,
        LastTry::NotConfirmed,
    );
    assert!(r.is_err(), "the chained PSO is refused (6982): {r:?}");
    assert_eq!(p.verifies_with_data(), 1);
    assert_eq!(p.card.tries_left(), 15);
}

/// The JMA PSO → `80 2A` fallback and the JMA card-pads variant VERIFY
/// exactly once, also when every signing form is refused.
#[test]
fn sound_the_pso_fallback_never_verifies_twice() {
    // Card-pads variant: MSE 6D00 → 80 2A.
    let mut p = proxy(SimProfile::JmaCardPads);
    let layout = open(&mut p);
    let sig = sign(
        &mut p,
        &layout,
        inkan_card_sim::TEST_PIN,
        LastTry::NotConfirmed,
    )
    .expect("signs");
    inkan_card::card::verify_with_certificate(&doctor_cert(), &digest(), &sig).expect("valid");
    assert_eq!(p.verifies_with_data(), 1);

    // Every signing form refused: 00 2A → 6E00, 80 2A → 6A86.
    let mut p = proxy(SimProfile::Jma);
    let layout = open(&mut p);
    p.hook = Some(Box::new(|card, apdu| match (apdu[0] & !0x10, apdu[1]) {
        (0x00, 0x2A) => Ok(vec![0x6E, 0x00]),
        (0x80, 0x2A) => Ok(vec![0x6A, 0x86]),
        _ => Ok(card.process(apdu)),
    }));
    let r = sign(
        &mut p,
        &layout,
        inkan_card_sim::TEST_PIN,
        LastTry::NotConfirmed,
    );
    assert!(r.is_err());
    assert_eq!(p.verifies_with_data(), 1);
}

/// JMA: both applications share the EF IDs (`0002`, `000C`). Another
/// program that selected the authentication application and its PIN EF
/// gets no try spent on it — even with a wrong PIN, only the signing
/// counter moves.
#[test]
fn sound_jma_shared_ef_ids_never_reach_the_authentication_pin() {
    for profile in [SimProfile::Jma, SimProfile::JmaCardPads] {
        let mut p = proxy(profile);
        let layout = open(&mut p);
        let mut sel = vec![0x00, 0xA4, 0x04, 0x00, 0x10];
        sel.extend_from_slice(&HPKI_AUTH_AID);
        sel.push(0x00);
        assert!(p.card.process(&sel).ends_with(&[0x90, 0x00]));
        assert!(p
            .card
            .process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02])
            .ends_with(&[0x90, 0x00]));
        let e = sign(&mut p, &layout, "0000", LastTry::NotConfirmed).expect_err("wrong PIN");
        assert!(
            matches!(
                e,
                CardError::WrongPin {
                    tries_left: Some(14)
                }
            ),
            "{e:?}"
        );
        assert_eq!(p.card.auth_tries_left(), Some(15), "{profile:?}");
        assert_eq!(p.card.tries_left(), 14);
    }
}

/// `reselect` compares the whole DF name: a prefix of the signing AID, the
/// AID with a byte more, or the RID alone are refused before any PIN.
#[test]
fn sound_reselect_refuses_prefix_and_longer_df_names() {
    let mut longer = HPKI_SIGNING_AID.to_vec();
    longer.push(0x00);
    for name in [HPKI_SIGNING_AID[..15].to_vec(), longer, HPKI_RID.to_vec()] {
        let mut p = proxy(SimProfile::Jahis);
        let layout = open(&mut p);
        let fci = tlv(0x6F, &tlv(0x84, &name));
        p.hook = Some(Box::new(move |card, apdu| {
            let r = card.process(apdu);
            if is_full_signing_select(apdu) {
                return Ok(with_sw(fci.clone(), 0x9000));
            }
            Ok(r)
        }));
        let e = sign(
            &mut p,
            &layout,
            inkan_card_sim::TEST_PIN,
            LastTry::NotConfirmed,
        )
        .expect_err("refused");
        assert!(matches!(e, CardError::WrongApplication { .. }), "{e:?}");
        assert_eq!(p.verifies_with_data(), 0);
    }
}

/// Partial-AID selection: when the authentication application comes first
/// it is skipped; an answer without a DF name is refused; a blocked
/// application (`62 83`) is reported without trying partial names.
#[test]
fn sound_partial_aid_selection_skips_the_authentication_application() {
    // The full-AID SELECT fails; partial P2=00 lands on the authentication
    // application, P2=02 on the signing one.
    let mut p = proxy(SimProfile::Jahis);
    p.hook = Some(Box::new(|card, apdu| {
        if is_full_signing_select(apdu) {
            return Ok(vec![0x6A, 0x82]);
        }
        if is_select_by_name(apdu) && apdu.get(5..10) == Some(&HPKI_RID[..]) && apdu[4] == 5 {
            let target = if apdu[3] == 0x00 {
                HPKI_AUTH_AID
            } else {
                HPKI_SIGNING_AID
            };
            let mut sel = vec![0x00, 0xA4, 0x04, 0x00, 0x10];
            sel.extend_from_slice(&target);
            sel.push(0x00);
            return Ok(card.process(&sel));
        }
        Ok(card.process(apdu))
    }));
    let aid = hpki::select_signing_app(&mut Apdus::new(&mut p)).expect("select");
    assert_eq!(aid, HPKI_SIGNING_AID);

    // Partial answer without a DF name: refused.
    let mut p = proxy(SimProfile::Jahis);
    p.hook = Some(Box::new(|card, apdu| {
        if is_full_signing_select(apdu) {
            return Ok(vec![0x6A, 0x82]);
        }
        if is_select_by_name(apdu) {
            let _ = card.process(apdu);
            return Ok(vec![0x90, 0x00]);
        }
        Ok(card.process(apdu))
    }));
    let e = hpki::select_signing_app(&mut Apdus::new(&mut p)).expect_err("no DF name");
    assert!(matches!(e, CardError::Protocol { .. }), "{e:?}");

    // Only authentication applications: not an HPKI signing card.
    let mut p = proxy(SimProfile::Jahis);
    p.hook = Some(Box::new(|_card, apdu| {
        if is_full_signing_select(apdu) {
            return Ok(vec![0x6A, 0x82]);
        }
        if is_select_by_name(apdu) {
            return Ok(with_sw(tlv(0x6F, &tlv(0x84, &HPKI_AUTH_AID)), 0x9000));
        }
        Ok(vec![0x6D, 0x00])
    }));
    let e = hpki::select_signing_app(&mut Apdus::new(&mut p)).expect_err("auth only");
    assert!(matches!(e, CardError::NotHpkiCard), "{e:?}");
    assert!(p.sent.len() <= 5, "bounded: {}", p.sent.len());

    // Blocked application.
    let mut p = proxy(SimProfile::Jahis);
    p.hook = Some(Box::new(|_card, _apdu| Ok(vec![0x62, 0x83])));
    let e = hpki::select_signing_app(&mut Apdus::new(&mut p)).expect_err("blocked");
    assert!(
        matches!(
            e,
            CardError::Status {
                sw: StatusWord(0x6283),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(p.sent.len(), 1);
}

/// The directory must name a nonRepudiation key and a PIN with the key's
/// authId; the authentication application's `{sign}` key is refused.
#[test]
fn sound_directory_requires_non_repudiation_and_the_keys_own_pin() {
    // {sign} only.
    let mut p = proxy(SimProfile::Jahis);
    p.hook = Some(serve_directory(
        pin_object(0x16, 0x96),
        key_object(Some(0x16), SIGN_ONLY),
    ));
    let mut a = Apdus::new(&mut p);
    let aid = hpki::select_signing_app(&mut a).expect("select");
    let e = hpki::discover(&mut a, aid).expect_err("no nonRepudiation");
    assert!(
        matches!(
            e,
            CardError::Directory {
                file: "EF.PrKD",
                ..
            }
        ),
        "{e:?}"
    );

    // Two PINs, the key names the second: the second is used.
    let mut p = proxy(SimProfile::Jahis);
    p.hook = Some(serve_directory(
        cat(&[pin_object(0x15, 0x95), pin_object(0x16, 0x96)]),
        cat(&[
            key_object(Some(0x15), SIGN_ONLY),
            key_object(Some(0x16), NON_REPUDIATION),
        ]),
    ));
    let mut a = Apdus::new(&mut p);
    let aid = hpki::select_signing_app(&mut a).expect("select");
    let layout = hpki::discover(&mut a, aid).expect("discover");
    assert_eq!(layout.pin_p2, 0x96);
}

/// Certificate checks before any PIN: nonRepudiation, HPKI signing policy,
/// validity; the valid doctor certificate passes.
#[test]
fn sound_certificate_checks_refuse_what_cannot_sign_and_accept_the_doctor() {
    let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let cert = |name: &str| pki.identity(name).expect(name).cert_der.clone();
    let check = |name: &str| inkan_card::holder::check_signing_certificate(&cert(name), now);
    check("doctor").expect("doctor");
    check("dentist").expect("dentist");
    for name in ["digsig-only", "no-policy", "auth"] {
        assert!(
            matches!(check(name), Err(CardError::NotForSigning { .. })),
            "{name}"
        );
    }
    for name in ["expired", "not-yet-valid"] {
        assert!(
            matches!(check(name), Err(CardError::CertificateOutOfValidity { .. })),
            "{name}"
        );
    }
    assert!(matches!(
        inkan_card::holder::check_signing_certificate(&[0x30, 0x03, 0x02, 0x01, 0x00], now),
        Err(CardError::Certificate { .. })
    ));
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// Hostile responses: answers replaced at random (status words of
/// interest and random data, `6C xx` on VERIFY and endless `61 xx` left to
/// the findings above) never panic, end in a bounded number of exchanges,
/// and never send the PIN twice.
#[test]
fn sound_random_hostile_answers_never_panic_loop_or_verify_twice() {
    let sws: [u16; 17] = [
        0x9000, 0x6101, 0x6110, 0x6282, 0x6283, 0x6300, 0x63C1, 0x63C5, 0x6700, 0x6982, 0x6983,
        0x6984, 0x6A82, 0x6A86, 0x6B00, 0x6D00, 0x6E00,
    ];
    let base = {
        let mut p = proxy(SimProfile::Jahis);
        open(&mut p)
    };
    let jma = {
        let mut p = proxy(SimProfile::Jma);
        open(&mut p)
    };
    for seed in 1..=400u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let profile = if seed % 2 == 0 {
            SimProfile::Jahis
        } else {
            SimProfile::Jma
        };
        let mut p = proxy(profile);
        p.cap = 5_000;
        let mut gr = 0usize;
        p.hook = Some(Box::new(move |card, apdu| {
            let r = card.process(apdu);
            if apdu.get(1) == Some(&0xC0) {
                gr += 1;
                if gr > 50 {
                    return Ok(vec![0x90, 0x00]);
                }
            }
            if !rng.next().is_multiple_of(3) {
                return Ok(r);
            }
            let mut sw = sws[(rng.next() % sws.len() as u64) as usize];
            if is_verify_with_pin(apdu) && sw >> 8 == 0x6C {
                sw = 0x6700;
            }
            let n = (rng.next() % 40) as usize;
            let mut data: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
            if rng.next().is_multiple_of(4) {
                data = r[..r.len().saturating_sub(2)].to_vec();
                let at = (rng.next() as usize) % data.len().max(1);
                if let Some(b) = data.get_mut(at) {
                    *b ^= rng.byte();
                }
            }
            Ok(with_sw(data, sw))
        }));
        let layout = if profile == SimProfile::Jahis {
            &base
        } else {
            &jma
        };
        {
            let mut a = Apdus::new(&mut p);
            if let Ok(aid) = hpki::select_signing_app(&mut a) {
                if let Ok(l) = hpki::discover(&mut a, aid) {
                    let _ = hpki::read_file(&mut a, l.ee_cert);
                }
            }
            let _ = hpki::status_in_tx(&mut a, layout);
        }
        let before = p.verifies_with_data();
        let _ = sign(&mut p, layout, inkan_card_sim::TEST_PIN, LastTry::Confirmed);
        assert!(
            p.verifies_with_data() - before <= 1,
            "seed {seed}: PIN sent twice"
        );
        assert!(
            p.sent.len() < 5_000,
            "seed {seed}: {} exchanges",
            p.sent.len()
        );
    }
}

/// Directory parsers on mutated and random bytes: errors, never panics;
/// a status read of the mutated layouts never reports `Verified` by itself.
#[test]
fn sound_mutated_directory_files_never_panic() {
    let aod = pin_object(0x16, 0x96);
    let prkd = key_object(Some(0x16), NON_REPUDIATION);
    let mut rng = Rng(0xDEAD_BEEF_1234_5678);
    for _ in 0..20_000 {
        for base in [&aod, &prkd] {
            let mut m = base.clone();
            for _ in 0..(1 + rng.next() % 4) {
                let i = (rng.next() as usize) % m.len();
                match rng.next() % 3 {
                    0 => m[i] = rng.byte(),
                    1 => m.truncate(i),
                    _ => m.insert(i, rng.byte()),
                }
                if m.is_empty() {
                    break;
                }
            }
            let _ = inkan_card::iso7816_15::parse_aod(&m);
            let _ = inkan_card::iso7816_15::parse_prkd(&m);
            let _ = inkan_card::iso7816_15::parse_cd(&m);
            let _ = inkan_card::iso7816_15::parse_od(&m);
        }
        let n = (rng.next() % 64) as usize;
        let junk: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
        let _ = inkan_card::iso7816_15::parse_aod(&junk);
        let _ = inkan_card::iso7816_15::parse_prkd(&junk);
        let _ = inkan_card::iso7816_15::parse_cd(&junk);
        let _ = inkan_card::iso7816_15::parse_od(&junk);
    }
    // And through discover on the simulator.
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
        let mut m = cat(&[pin_object(0x16, 0x96)]);
        let i = (rng.next() as usize) % m.len();
        m[i] = rng.byte();
        let mut k = key_object(Some(0x16), NON_REPUDIATION);
        let j = (rng.next() as usize) % k.len();
        k[j] = rng.byte();
        let mut p = proxy(SimProfile::Jahis);
        p.hook = Some(serve_directory(m, k));
        let mut a = Apdus::new(&mut p);
        if let Ok(aid) = hpki::select_signing_app(&mut a) {
            if let Ok(l) = hpki::discover(&mut a, aid) {
                let st = hpki::status_in_tx(&mut a, &l);
                assert!(!matches!(st, Ok(PinStatus::Verified)), "seed {seed}");
            }
        }
    }
}
