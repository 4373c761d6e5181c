//! The card itself: files, PIN counter, keys and the APDU interpreter.
//!
//! Status words follow ISO/IEC 7816-4 and the JAHIS guideline: `63 Cx` wrong
//! PIN with x tries left, `69 83` blocked, `69 82` security status not
//! satisfied, `6A 82` not found, `67 00` wrong length, `6D 00` unknown INS.

use inkan_card::apdu::{Command, Response, StatusWord};
use inkan_card::profile::{HPKI_AUTH_AID, HPKI_SIGNING_AID};
use rsa::traits::PublicKeyParts;
use rsa::PrivateKey;
use std::collections::HashMap;

/// Which card layout to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimProfile {
    /// JAHIS reference card: directory files, SFI addressing, PSO CDS over a host-padded block.
    Jahis,
    /// JMA 医師資格証 as miyako/hpki uses a real card (hpki-card.md): no
    /// directory files, EFs `0002` (PIN, VERIFY P2 88), `000C` (key),
    /// `0016` (certificate); SELECT `0002` before VERIFY and `000C` before
    /// signing; MSE `00 00 00 00`, then the host-padded PSO.
    Jma,
    /// JMA 医師資格証 as gebogebogebo/HPKIReader uses the JMA sample card:
    /// the same EFs, no MSE (answered `6D 00` here: an assumption, the
    /// document does not say), `80 2A 00 80` where the card pads; PSO is
    /// refused (`6D 00`).
    JmaCardPads,
}

/// What goes into a simulated card.
#[derive(Debug, Clone)]
pub struct CardConfig {
    /// Layout.
    pub profile: SimProfile,
    /// The signing key.
    pub signing_key: PrivateKey,
    /// The signing certificate (DER).
    pub certificate: Vec<u8>,
    /// CA certificates: the root first, then the issuing CA (DER).
    pub ca_certificates: Vec<Vec<u8>>,
    /// The PIN (ASCII).
    pub pin: Vec<u8>,
    /// Leave out EF.OD (a card whose layout must come from a profile).
    pub omit_directory: bool,
    /// Accept extended-length APDUs (a reader/card without them forces
    /// chaining and offset reads).
    pub extended_length: bool,
    /// The authentication application's key and certificate (DER); without
    /// it the application holds the signing key and no certificate.
    pub authentication: Option<(PrivateKey, Vec<u8>)>,
    /// The authentication application's own PIN (real cards have two);
    /// `None`: the same as the signing PIN.
    pub auth_pin: Option<Vec<u8>>,
    /// READ BINARY answers `6C xx` unless Le is the exact length left (as
    /// some cards do, ISO/IEC 7816-4 §5.1.3).
    pub exact_le: bool,
    /// SELECT by the full 16-byte AID answers `6A 82`: only a partial name
    /// (the RID, then "next") finds the application.
    pub refuse_full_aid: bool,
}

impl CardConfig {
    /// A JAHIS card with the TEST PIN.
    pub fn new(
        signing_key: PrivateKey,
        certificate: Vec<u8>,
        ca_certificates: Vec<Vec<u8>>,
    ) -> Self {
        CardConfig {
            profile: SimProfile::Jahis,
            signing_key,
            certificate,
            ca_certificates,
            pin: crate::TEST_PIN.as_bytes().to_vec(),
            omit_directory: false,
            extended_length: true,
            authentication: None,
            auth_pin: None,
            exact_le: false,
            refuse_full_aid: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ef {
    Sfi(u8),
    Fid(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signing {
    PsoHostPadded,
    CardPads,
}

#[derive(Debug)]
struct App {
    aid: Vec<u8>,
    files: HashMap<Ef, Vec<u8>>,
    /// Files that exist but are never readable (PIN, key).
    secret: Vec<Ef>,
    pin_p2: u8,
    mse_dst: Vec<u8>,
    key: PrivateKey,
    signing: Signing,
    tries_left: u8,
    pin: Vec<u8>,
    /// EFs that must have been SELECTed (since the application was) before
    /// VERIFY and before signing (JMA: `0002`, `000C`).
    pin_file: Option<Ef>,
    key_file: Option<Ef>,
    /// Whether MSE SET is a command this card knows.
    mse: bool,
}

/// A simulated HPKI card. Security state (verification, selected file) is
/// lost on power-off or reset; the PIN counter is kept, as on a real card.
#[derive(Debug)]
pub struct SimCard {
    apps: Vec<App>,
    /// Warm resets (vpcd `02`: `SCardDisconnect`/`EndTransaction` with
    /// `SCARD_RESET_CARD`), counted so tests can see who resets the card.
    resets: usize,
    exact_le: bool,
    refuse_full_aid: bool,
    current: Option<usize>,
    current_ef: Option<Ef>,
    /// The PIN EF and key EF were selected since the application was.
    pin_ef_seen: bool,
    key_ef_seen: bool,
    verified: bool,
    key_set: bool,
    chain: Vec<u8>,
    extended_length: bool,
}

/// A BER-TLV with a definite length (the encoding of the directory files;
/// tests build odd directories with it).
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// The parts one after the other.
pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// `Path { efidOrPath = SFI << 3 }`.
pub fn path(sfi: u8) -> Vec<u8> {
    tlv(0x30, &tlv(0x04, &[sfi << 3]))
}

fn directory_files(
    label_key: &str,
    usage: &[u8],
    pin_ref: u8,
    with_certs: bool,
) -> Vec<(u8, Vec<u8>)> {
    let od = cat(&[
        tlv(0xA8, &path(0x13)),
        tlv(0xA0, &path(0x14)),
        tlv(0xA4, &path(0x15)),
    ]);
    let cia = tlv(
        0x30,
        &cat(&[
            tlv(0x02, &[0x01]),
            tlv(0x80, b"HPKI Application"),
            tlv(0x03, &[0x06, 0xC0]),
        ]),
    );
    let aod = tlv(
        0x30,
        &cat(&[
            tlv(0x30, &cat(&[tlv(0x0C, b"PIN"), tlv(0x03, &[0x06, 0x40])])),
            tlv(0x30, &tlv(0x04, &[0x16])),
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
                        tlv(0x80, &[0x00, pin_ref]),
                        tlv(0x04, &[0xFF]),
                    ]),
                ),
            ),
        ]),
    );
    let prkd = tlv(
        0x30,
        &cat(&[
            // CommonObjectAttributes: label, flags, authId (the PIN object).
            tlv(
                0x30,
                &cat(&[
                    tlv(0x0C, label_key.as_bytes()),
                    tlv(0x03, &[0x07, 0x80]),
                    tlv(0x04, &[0x16]),
                ]),
            ),
            tlv(0x30, &cat(&[tlv(0x04, &[0x17]), tlv(0x03, usage)])),
            tlv(
                0xA1,
                &tlv(0x30, &cat(&[path(0x17), tlv(0x02, &[0x08, 0x00])])),
            ),
        ]),
    );
    let cert_obj = |label: &str, id: u8, sfi: u8, authority: bool| {
        let mut common = tlv(0x04, &[id]);
        if authority {
            common.extend(tlv(0x01, &[0xFF]));
        }
        tlv(
            0x30,
            &cat(&[
                tlv(0x30, &tlv(0x0C, label.as_bytes())),
                tlv(0x30, &common),
                tlv(0xA1, &tlv(0x30, &path(sfi))),
            ]),
        )
    };
    let mut cd = Vec::new();
    if with_certs {
        cd = cat(&[
            cert_obj("HPKI END ENTITY CERTIFICATE", 0x17, 0x18, false),
            cert_obj("MHLW CA CERTIFICATE", 0x19, 0x19, true),
            cert_obj("HPKI ROOT CA CERTIFICATE", 0x1A, 0x1A, true),
        ]);
    }
    // Fixed-size EFs are padded, as on real cards.
    let pad = |mut v: Vec<u8>| {
        v.resize(v.len() + 16, 0x00);
        v
    };
    vec![
        (0x11, pad(od)),
        (0x12, cia),
        (0x13, pad(aod)),
        (0x14, pad(prkd)),
        (0x15, pad(cd)),
    ]
}

impl SimCard {
    /// Builds the card.
    pub fn new(cfg: CardConfig) -> SimCard {
        let mut apps = Vec::new();
        match cfg.profile {
            SimProfile::Jahis => {
                let mut files = HashMap::new();
                // usage {nonRepudiation}: KeyUsageFlags bit 9.
                for (sfi, data) in
                    directory_files("Private key of HPKI", &[0x06, 0x00, 0x40], 0x96, true)
                {
                    if !(cfg.omit_directory && sfi == 0x11) {
                        files.insert(Ef::Sfi(sfi), data);
                    }
                }
                files.insert(Ef::Sfi(0x18), cfg.certificate.clone());
                for (i, c) in cfg.ca_certificates.iter().enumerate().take(3) {
                    files.insert(Ef::Sfi(0x19 + i as u8), c.clone());
                }
                apps.push(App {
                    aid: HPKI_SIGNING_AID.to_vec(),
                    files,
                    secret: vec![Ef::Sfi(0x16), Ef::Sfi(0x17)],
                    pin_p2: 0x96,
                    mse_dst: vec![0x81, 0x02, 0x00, 0x17],
                    key: cfg.signing_key.clone(),
                    signing: Signing::PsoHostPadded,
                    tries_left: crate::MAX_TRIES,
                    pin: cfg.pin.clone(),
                    pin_file: None,
                    key_file: None,
                    mse: true,
                });
                // The authentication application: same layout, usage {sign},
                // its own key, certificate and PIN counter.
                let (auth_key, auth_cert) = match cfg.authentication {
                    Some((k, c)) => (k, Some(c)),
                    None => (cfg.signing_key.clone(), None),
                };
                let mut auth_files = HashMap::new();
                for (sfi, data) in directory_files(
                    "Private key of HPKI",
                    &[0x05, 0x20],
                    0x96,
                    auth_cert.is_some(),
                ) {
                    auth_files.insert(Ef::Sfi(sfi), data);
                }
                if let Some(c) = auth_cert {
                    auth_files.insert(Ef::Sfi(0x18), c);
                    for (i, ca) in cfg.ca_certificates.iter().enumerate().take(3) {
                        auth_files.insert(Ef::Sfi(0x19 + i as u8), ca.clone());
                    }
                }
                apps.push(App {
                    aid: HPKI_AUTH_AID.to_vec(),
                    files: auth_files,
                    secret: vec![Ef::Sfi(0x16), Ef::Sfi(0x17)],
                    pin_p2: 0x96,
                    mse_dst: vec![0x81, 0x02, 0x00, 0x17],
                    key: auth_key,
                    signing: Signing::PsoHostPadded,
                    tries_left: crate::MAX_TRIES,
                    pin: cfg.auth_pin.clone().unwrap_or_else(|| cfg.pin.clone()),
                    pin_file: None,
                    key_file: None,
                    mse: true,
                });
            }
            SimProfile::Jma | SimProfile::JmaCardPads => {
                let pads = cfg.profile == SimProfile::JmaCardPads;
                // Both applications use the same EFs, each its own key and
                // PIN (hpki-card.md).
                let (auth_key, auth_cert) = match cfg.authentication {
                    Some((k, c)) => (k, Some(c)),
                    None => (cfg.signing_key.clone(), None),
                };
                for (aid, key, cert, pin) in [
                    (
                        HPKI_SIGNING_AID,
                        cfg.signing_key.clone(),
                        Some(cfg.certificate.clone()),
                        cfg.pin.clone(),
                    ),
                    (
                        HPKI_AUTH_AID,
                        auth_key,
                        auth_cert,
                        cfg.auth_pin.clone().unwrap_or_else(|| cfg.pin.clone()),
                    ),
                ] {
                    let mut files = HashMap::new();
                    if let Some(c) = cert {
                        files.insert(Ef::Fid(0x0016), c);
                    }
                    apps.push(App {
                        aid: aid.to_vec(),
                        files,
                        secret: vec![Ef::Fid(0x0002), Ef::Fid(0x000C)],
                        pin_p2: 0x88,
                        mse_dst: vec![0x00, 0x00, 0x00, 0x00],
                        key,
                        signing: if pads {
                            Signing::CardPads
                        } else {
                            Signing::PsoHostPadded
                        },
                        tries_left: crate::MAX_TRIES,
                        pin,
                        pin_file: Some(Ef::Fid(0x0002)),
                        key_file: Some(Ef::Fid(0x000C)),
                        mse: !pads,
                    });
                }
            }
        }
        SimCard {
            apps,
            resets: 0,
            exact_le: cfg.exact_le,
            refuse_full_aid: cfg.refuse_full_aid,
            current: None,
            current_ef: None,
            pin_ef_seen: false,
            key_ef_seen: false,
            verified: false,
            key_set: false,
            chain: Vec::new(),
            extended_length: cfg.extended_length,
        }
    }

    /// The answer-to-reset: T=1, historical bytes "INKAN TEST".
    pub fn atr() -> Vec<u8> {
        let mut atr = vec![0x3B, 0x8A, 0x80, 0x01];
        atr.extend_from_slice(b"INKANTEST!");
        // TCK: XOR of T0 … last historical byte.
        let tck = atr.iter().skip(1).fold(0u8, |a, b| a ^ b);
        atr.push(tck);
        atr
    }

    /// Power-off, power-on or reset: security state is lost, counters are kept.
    pub fn reset(&mut self) {
        self.current = None;
        self.current_ef = None;
        self.pin_ef_seen = false;
        self.key_ef_seen = false;
        self.verified = false;
        self.key_set = false;
        self.chain.clear();
    }

    /// A warm reset asked for by the host (`SCARD_RESET_CARD`): counted.
    pub fn warm_reset(&mut self) {
        self.resets += 1;
        self.reset();
    }

    /// How many warm resets the host asked for.
    pub fn resets(&self) -> usize {
        self.resets
    }

    /// Remaining PIN tries of the signing application.
    pub fn tries_left(&self) -> u8 {
        self.apps.first().map_or(0, |a| a.tries_left)
    }

    /// Sets the signing application's remaining PIN tries (a card that has
    /// seen wrong PINs before, for tests of the warnings).
    pub fn set_tries_left(&mut self, n: u8) {
        if let Some(a) = self.apps.first_mut() {
            a.tries_left = n.min(crate::MAX_TRIES);
        }
    }

    /// Remaining PIN tries of the authentication application (JAHIS cards).
    pub fn auth_tries_left(&self) -> Option<u8> {
        self.apps
            .iter()
            .find(|a| a.aid == HPKI_AUTH_AID)
            .map(|a| a.tries_left)
    }

    /// Processes one command APDU and returns the response APDU.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        let sw = |s: u16| Response {
            data: Vec::new(),
            sw: StatusWord(s),
        };
        let extended = apdu.len() > 5 && apdu.get(4) == Some(&0) && apdu.len() != 5;
        let r = match Command::parse(apdu) {
            None => sw(0x6700),
            Some(_) if extended && !self.extended_length => sw(0x6700),
            Some(c) => self.dispatch(c),
        };
        r.encode()
    }

    fn dispatch(&mut self, c: Command) -> Response {
        let ok = |data: Vec<u8>| Response {
            data,
            sw: StatusWord::OK,
        };
        let sw = |s: u16| Response {
            data: Vec::new(),
            sw: StatusWord(s),
        };
        let chained = c.cla & 0x10 != 0;
        match (c.cla & !0x10, c.ins) {
            (0x00, 0xA4) => self.select(&c),
            (0x00, 0xB0) => self.read_binary(&c),
            (0x00, 0x20) => self.verify(&c),
            (0x00, 0x22) => {
                let Some(app) = self.app() else {
                    return sw(0x6985);
                };
                if !app.mse {
                    return sw(0x6D00);
                }
                if c.p1 != 0x41 || c.p2 != 0xB6 {
                    return sw(0x6A86);
                }
                if c.data != app.mse_dst {
                    return sw(0x6A88);
                }
                self.key_set = true;
                ok(Vec::new())
            }
            (0x00, 0x2A) => {
                if c.p1 != 0x9E || c.p2 != 0x9A {
                    return sw(0x6A86);
                }
                if self.app().map(|a| a.signing) != Some(Signing::PsoHostPadded) {
                    return sw(0x6D00);
                }
                self.chain.extend_from_slice(&c.data);
                if chained {
                    return ok(Vec::new());
                }
                let block = std::mem::take(&mut self.chain);
                self.sign(&block, false)
            }
            (0x80, 0x2A) => {
                if c.p1 != 0x00 || c.p2 != 0x80 {
                    return sw(0x6A86);
                }
                if self.app().map(|a| a.signing) != Some(Signing::CardPads) {
                    return sw(0x6D00);
                }
                self.sign(&c.data, true)
            }
            (0x00 | 0x80, _) => sw(0x6D00),
            _ => sw(0x6E00),
        }
    }

    fn app(&self) -> Option<&App> {
        self.current.and_then(|i| self.apps.get(i))
    }

    fn select(&mut self, c: &Command) -> Response {
        let sw = |s: u16| Response {
            data: Vec::new(),
            sw: StatusWord(s),
        };
        match c.p1 {
            0x04 => {
                if self.refuse_full_aid && c.data.len() == 16 {
                    return sw(0x6A82);
                }
                // By DF name: exact match, or a prefix (P2 00 first, 02 next).
                let start = if c.p2 & 0x03 == 0x02 {
                    self.current.map_or(0, |i| i + 1)
                } else {
                    0
                };
                let found = self
                    .apps
                    .iter()
                    .enumerate()
                    .skip(start)
                    .find(|(_, a)| a.aid.starts_with(&c.data) && !c.data.is_empty())
                    .map(|(i, _)| i);
                match found {
                    Some(i) => {
                        // Selecting an application ends the previous one's security state.
                        if self.current != Some(i) {
                            self.verified = false;
                            self.key_set = false;
                        }
                        self.pin_ef_seen = false;
                        self.key_ef_seen = false;
                        self.current = Some(i);
                        self.current_ef = None;
                        let aid = self.apps[i].aid.clone();
                        let fci = tlv(0x6F, &tlv(0x84, &aid));
                        Response {
                            data: if c.p2 & 0x0C == 0x0C { Vec::new() } else { fci },
                            sw: StatusWord::OK,
                        }
                    }
                    None => sw(0x6A82),
                }
            }
            0x02 => {
                let Some(app) = self.app() else {
                    return sw(0x6A82);
                };
                let [hi, lo] = c.data[..] else {
                    return sw(0x6A87);
                };
                let ef = Ef::Fid(u16::from_be_bytes([hi, lo]));
                if app.files.contains_key(&ef) || app.secret.contains(&ef) {
                    let (pin_ef, key_ef) = (app.pin_file == Some(ef), app.key_file == Some(ef));
                    self.pin_ef_seen |= pin_ef;
                    self.key_ef_seen |= key_ef;
                    self.current_ef = Some(ef);
                    sw(0x9000)
                } else {
                    sw(0x6A82)
                }
            }
            _ => sw(0x6A86),
        }
    }

    fn read_binary(&mut self, c: &Command) -> Response {
        let sw = |s: u16| Response {
            data: Vec::new(),
            sw: StatusWord(s),
        };
        let Some(app) = self.app() else {
            return sw(0x6986);
        };
        let (ef, offset) = if c.p1 & 0x80 != 0 {
            (Ef::Sfi(c.p1 & 0x1F), usize::from(c.p2))
        } else {
            match self.current_ef {
                Some(ef) => (ef, (usize::from(c.p1 & 0x7F) << 8) | usize::from(c.p2)),
                None => return sw(0x6986),
            }
        };
        if app.secret.contains(&ef) {
            return sw(0x6982);
        }
        let Some(file) = app.files.get(&ef) else {
            return sw(0x6A82);
        };
        let file_len = file.len();
        let le = c.le.unwrap_or(256);
        let data = if offset > file_len {
            None
        } else {
            let end = (offset + le).min(file_len);
            Some(file[offset..end].to_vec())
        };
        self.current_ef = Some(ef);
        match data {
            None => sw(0x6B00),
            Some(d) if self.exact_le && d.len() != le && le <= 256 => {
                sw(0x6C00 | (d.len() & 0xFF) as u16)
            }
            Some(d) if d.len() < le && le != 256 && le != 65_536 => Response {
                data: d,
                sw: StatusWord(0x6282),
            },
            Some(d) => Response {
                data: d,
                sw: StatusWord::OK,
            },
        }
    }

    fn verify(&mut self, c: &Command) -> Response {
        let sw = |s: u16| Response {
            data: Vec::new(),
            sw: StatusWord(s),
        };
        let Some(i) = self.current else {
            return sw(0x6986);
        };
        let pin_p2 = self.apps[i].pin_p2;
        if c.p1 != 0x00 || c.p2 != pin_p2 {
            return sw(0x6A88);
        }
        // The JMA card: the PIN EF must have been selected (hpki-card.md:
        // "Never skip the SELECT of 0002 before VERIFY").
        if self.apps[i].pin_file.is_some() && !self.pin_ef_seen {
            return sw(0x6986);
        }
        let tries = self.apps[i].tries_left;
        if tries == 0 {
            return sw(0x6983);
        }
        if c.data.is_empty() {
            return if self.verified {
                sw(0x9000)
            } else {
                sw(0x63C0 | u16::from(tries))
            };
        }
        if c.data.len() < 4 || c.data.len() > 16 {
            return sw(0x6700);
        }
        if c.data == self.apps[i].pin {
            self.apps[i].tries_left = crate::MAX_TRIES;
            self.verified = true;
            sw(0x9000)
        } else {
            let left = tries - 1;
            self.apps[i].tries_left = left;
            self.verified = false;
            sw(0x63C0 | u16::from(left))
        }
    }

    fn sign(&mut self, data: &[u8], card_pads: bool) -> Response {
        let sw = |s: u16| Response {
            data: Vec::new(),
            sw: StatusWord(s),
        };
        if !self.verified {
            return sw(0x6982);
        }
        let needs_key_ef = self.app().is_some_and(|a| a.key_file.is_some());
        if needs_key_ef && !self.key_ef_seen {
            return sw(0x6986);
        }
        // A card without MSE signs with its one key.
        if !self.key_set && self.app().is_some_and(|a| a.mse) {
            return sw(0x6985);
        }
        let Some(app) = self.app() else {
            return sw(0x6985);
        };
        let k = app.key.size();
        let block = if card_pads {
            match pkcs1_block(data, k) {
                Some(b) => b,
                None => return sw(0x6A80),
            }
        } else if data.len() == k {
            data.to_vec()
        } else {
            return sw(0x6700);
        };
        let result = raw_rsa(&app.key, &block);
        // userConsent = 1: the PIN must be verified again for the next signature.
        self.verified = false;
        match result {
            Some(sig) => Response {
                data: sig,
                sw: StatusWord::OK,
            },
            None => sw(0x6A80),
        }
    }
}

fn pkcs1_block(digest_info: &[u8], k: usize) -> Option<Vec<u8>> {
    if k < digest_info.len() + 11 {
        return None;
    }
    let mut em = vec![0xFF; k];
    em[0] = 0;
    em[1] = 1;
    em[k - digest_info.len() - 1] = 0;
    em[k - digest_info.len()..].copy_from_slice(digest_info);
    Some(em)
}

/// The raw RSA private-key operation (what the card's crypto engine does).
fn raw_rsa(key: &PrivateKey, block: &[u8]) -> Option<Vec<u8>> {
    let bits = key.n().as_ref().bits_precision();
    let c = rsa::BoxedUint::from_be_slice(block, bits).ok()?;
    let m =
        rsa::hazmat::rsa_decrypt_and_check(key, None::<&mut rand_chacha::ChaCha20Rng>, &c).ok()?;
    let bytes = m.to_be_bytes();
    let k = key.size();
    let start = bytes.len().checked_sub(k)?;
    Some(bytes[start..].to_vec())
}
