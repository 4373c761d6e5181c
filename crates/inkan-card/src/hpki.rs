//! The HPKI signing application (JAHIS HPKI対応ICカードガイドライン): selecting
//! it, discovering its layout, reading certificates, PIN status and VERIFY,
//! and signing. Everything here runs over a [`Transport`] inside one PC/SC
//! transaction held by the caller.

use crate::apdu::{Command, Response, StatusWord};
use crate::error::CardError;
use crate::iso7816_15::{self, FileRef};
use crate::pin::{self, LastTry, Pin, PinStatus};
use crate::profile::{self, CardProfile, SignMode, HPKI_AUTH_AID, HPKI_RID, HPKI_SIGNING_AID};

/// Bytes in, bytes out: one APDU exchange. PC/SC implements it; tests can
/// drive a card model in-process.
pub trait Transport {
    /// Sends a command APDU and returns the raw response (data + status word).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError>;
}

/// GET RESPONSE rounds for one command, at most.
const MAX_GET_RESPONSE_ROUNDS: usize = 64;
/// Bytes of one response (with its GET RESPONSE rounds), at most: more
/// than any certificate file.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// An APDU channel that counts exchanges and reads status words.
pub struct Apdus<'t> {
    t: &'t mut dyn Transport,
    sent: usize,
    extended_refused: bool,
}

impl std::fmt::Debug for Apdus<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Apdus({} sent)", self.sent)
    }
}

impl<'t> Apdus<'t> {
    /// Wraps a transport.
    pub fn new(t: &'t mut dyn Transport) -> Self {
        Apdus {
            t,
            sent: 0,
            extended_refused: false,
        }
    }

    /// Whether the card or reader refused an extended-length APDU (the
    /// signature then goes by command chaining).
    pub fn extended_refused(&self) -> bool {
        self.extended_refused
    }

    /// How many APDUs were exchanged.
    pub fn sent(&self) -> usize {
        self.sent
    }

    /// Sends a command (encoded short or extended as needed) and returns its
    /// response, fetching `61 xx` remainders with GET RESPONSE and resending
    /// once with the exact length a `6C xx` names (ISO/IEC 7816-4 §5.1.3).
    ///
    /// A reader that cannot carry an extended-length APDU fails in the
    /// transport, not with `67 00`: that failure is answered as `67 00`
    /// here (and remembered), so that every caller falls back to short
    /// reads and command chaining alike.
    pub fn send(&mut self, cmd: &Command) -> Result<Response, CardError> {
        let raw = cmd.encode().map_err(|e| CardError::Protocol {
            detail: e.to_string(),
        })?;
        let mut r = match self.exchange(&raw) {
            Err(CardError::Pcsc { .. }) if cmd.needs_extended() => {
                self.extended_refused = true;
                return Ok(Response {
                    data: Vec::new(),
                    sw: StatusWord(0x6700),
                });
            }
            other => other?,
        };
        // `6C xx` is resent only for commands that read (READ BINARY, GET
        // RESPONSE, SELECT, GET DATA): a VERIFY carrying the PIN, or a
        // signature, is never sent twice, whatever the card answers.
        if r.sw.sw1() == 0x6C && matches!(cmd.ins, 0xB0 | 0xC0 | 0xA4 | 0xCA) {
            let le = if r.sw.sw2() == 0 {
                256
            } else {
                usize::from(r.sw.sw2())
            };
            let exact = cmd.clone().with_le(le);
            let raw = exact.encode().map_err(|e| CardError::Protocol {
                detail: e.to_string(),
            })?;
            r = self.exchange(&raw)?;
        }
        let mut data = std::mem::take(&mut r.data);
        let mut rounds = 0usize;
        while r.sw.sw1() == 0x61 {
            // A card (or reader) that never stops answering `61 xx` would
            // hold the transaction forever.
            rounds += 1;
            if rounds > MAX_GET_RESPONSE_ROUNDS || data.len() > MAX_RESPONSE_BYTES {
                return Err(CardError::Protocol {
                    detail: format!(
                        "the card kept answering 61 xx ({rounds} GET RESPONSE, {} bytes)",
                        data.len()
                    ),
                });
            }
            let le = if r.sw.sw2() == 0 {
                256
            } else {
                usize::from(r.sw.sw2())
            };
            let get = Command::new(0x00, 0xC0, 0x00, 0x00).with_le(le);
            let raw = get.encode_short().map_err(|e| CardError::Protocol {
                detail: e.to_string(),
            })?;
            r = self.exchange(&raw)?;
            data.append(&mut r.data);
        }
        Ok(Response { data, sw: r.sw })
    }

    fn exchange(&mut self, raw: &[u8]) -> Result<Response, CardError> {
        let out = self.t.transmit(raw)?;
        self.sent += 1;
        // vpcd (and some readers) answer a vanished card with an empty success.
        Response::parse(&out).ok_or(CardError::CardRemoved)
    }

    /// Sends and requires `90 00` (or a `61 xx` chain ending in it).
    pub fn send_ok(&mut self, name: &'static str, cmd: &Command) -> Result<Vec<u8>, CardError> {
        let r = self.send(cmd)?;
        if r.sw == StatusWord::OK {
            Ok(r.data)
        } else {
            Err(CardError::from_sw(name, r.sw))
        }
    }
}

/// Where the layout came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "profile", rename_all = "snake_case")]
pub enum LayoutSource {
    /// The card's own ISO/IEC 7816-15 directory files.
    Directory,
    /// A known profile, because the directory files are missing.
    Profile(&'static str),
}

/// What Inkan needs to know to use a card's signing application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CardLayout {
    /// The selected application's AID (DF name).
    #[serde(serialize_with = "hex_bytes")]
    pub aid: Vec<u8>,
    /// Where this layout came from.
    pub source: LayoutSource,
    /// VERIFY P2.
    pub pin_p2: u8,
    /// The PIN EF to SELECT before VERIFY (JMA), if any.
    pub pin_file: Option<FileRef>,
    /// The key EF to SELECT before signing (JMA), if any.
    pub key_file: Option<FileRef>,
    /// Minimum PIN length.
    pub pin_min: usize,
    /// Maximum PIN length.
    pub pin_max: usize,
    /// `MSE SET DST` data.
    #[serde(serialize_with = "hex_bytes")]
    pub mse_dst: Vec<u8>,
    /// How the card signs.
    pub sign_mode: SignMode,
    /// The signing certificate's file.
    pub ee_cert: FileRef,
    /// CA certificate files.
    pub ca_certs: Vec<FileRef>,
}

fn hex_bytes<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    s.serialize_str(&hex.join(" "))
}

/// SELECTs the application of `layout` by its full AID and checks the DF
/// name the card returns. Every transaction begins with it: another
/// program may have selected the authentication application (same file
/// layout, same PIN reference) since the last one, and a PIN must never be
/// spent on it.
pub fn reselect(a: &mut Apdus<'_>, layout: &CardLayout) -> Result<(), CardError> {
    let cmd = Command::new(0x00, 0xA4, 0x04, 0x00)
        .with_data(layout.aid.clone())
        .with_le(256);
    let r = a.send(&cmd)?;
    if r.sw == StatusWord(0x6A82) {
        // A card that finds its applications only by a partial name: the
        // RID, then "next", until the DF name is exactly this one.
        for p2 in [0x00, 0x02, 0x02, 0x02] {
            let partial = Command::new(0x00, 0xA4, 0x04, p2)
                .with_data(HPKI_RID.to_vec())
                .with_le(256);
            let r = a.send(&partial)?;
            if r.sw != StatusWord::OK {
                break;
            }
            if df_name(&r.data).as_deref() == Some(&layout.aid[..]) {
                return Ok(());
            }
        }
        return Err(CardError::from_sw("SELECT", r.sw));
    }
    if r.sw != StatusWord::OK {
        return Err(CardError::from_sw("SELECT", r.sw));
    }
    selected_is(&r.data, &layout.aid)
}

/// The answer to a SELECT by DF name names `aid`: either no data at all (a
/// card that returns no FCI, after a SELECT by the full name), or an FCI
/// (`6F`) or FCP (`62`) template whose DF name (`84`) is exactly `aid`.
/// Anything else — another name, a template without a name, data that does
/// not parse — is refused before any PIN is sent.
fn selected_is(data: &[u8], aid: &[u8]) -> Result<(), CardError> {
    if data.is_empty() {
        return Ok(());
    }
    let wrong = |found: String| Err(CardError::WrongApplication { found });
    let Some(name) = df_name(data) else {
        return wrong(format!(
            "? ({})",
            data.iter()
                .take(24)
                .map(|b| format!("{b:02X}"))
                .collect::<String>()
        ));
    };
    if name == aid {
        Ok(())
    } else {
        wrong(name.iter().map(|b| format!("{b:02X}")).collect())
    }
}

/// The PIN state, inside one transaction: the signing application is
/// selected first.
pub fn status_in_tx(a: &mut Apdus<'_>, layout: &CardLayout) -> Result<PinStatus, CardError> {
    reselect(a, layout)?;
    select_ef(a, layout.pin_file)?;
    pin_status(a, layout)
}

/// SELECTs an EF by its file ID (`00 A4 02 0C`), when the layout names one.
fn select_ef(a: &mut Apdus<'_>, file: Option<FileRef>) -> Result<(), CardError> {
    if let Some(FileRef::Fid(fid)) = file {
        let sel = Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec());
        a.send_ok("SELECT EF", &sel)?;
    }
    Ok(())
}

/// One signature inside one transaction: SELECT the signing application
/// (checking its name), read the PIN counter, VERIFY once, sign.
#[allow(clippy::too_many_arguments)]
pub fn sign_in_tx(
    a: &mut Apdus<'_>,
    layout: &CardLayout,
    pin: &Pin,
    last_try: LastTry,
    digest: &[u8; 32],
    k: usize,
    extended: bool,
) -> Result<Vec<u8>, CardError> {
    reselect(a, layout)?;
    select_ef(a, layout.pin_file)?;
    let status = pin_status(a, layout)?;
    verify_pin(a, layout, pin, status, last_try)?;
    select_ef(a, layout.key_file)?;
    compute_signature(a, layout, digest, k, extended)
}

/// SELECT the signing application: full AID first, then the partial RID.
pub fn select_signing_app(a: &mut Apdus<'_>) -> Result<Vec<u8>, CardError> {
    let select = |aid: &[u8], p2: u8| {
        Command::new(0x00, 0xA4, 0x04, p2)
            .with_data(aid.to_vec())
            .with_le(256)
    };
    let r = a.send(&select(&HPKI_SIGNING_AID, 0x00))?;
    if r.sw == StatusWord::OK {
        selected_is(&r.data, &HPKI_SIGNING_AID)?;
        return Ok(HPKI_SIGNING_AID.to_vec());
    }
    // A blocked application (`62 83`) is said as such, not "not HPKI".
    if r.sw.0 == 0x6283 {
        return Err(CardError::from_sw("SELECT", r.sw));
    }
    // Partial name: first occurrence, then "next" until a non-authentication DF.
    for p2 in [0x00, 0x02, 0x02, 0x02] {
        let r = a.send(&select(&HPKI_RID, p2))?;
        if r.sw != StatusWord::OK {
            break;
        }
        // Without the DF name it cannot be told which application this is:
        // never sign on a guess.
        let name = df_name(&r.data).ok_or_else(|| CardError::Protocol {
            detail: "SELECT by the HPKI RID answered without a DF name".into(),
        })?;
        if name != HPKI_AUTH_AID {
            return Ok(name);
        }
    }
    Err(CardError::NotHpkiCard)
}

/// The DF name (tag 84) in an FCI (tag 6F) or FCP (tag 62) template that
/// is the whole answer.
fn df_name(fci: &[u8]) -> Option<Vec<u8>> {
    let top = iso7816_15::parse_tlvs(fci).ok()?;
    let [fci] = &top[..] else {
        return None;
    };
    if !matches!(fci.tag, 0x6F | 0x62) {
        return None;
    }
    let inner = iso7816_15::parse_tlvs(fci.value).ok()?;
    inner
        .into_iter()
        .find(|t| t.tag == 0x84)
        .map(|t| t.value.to_vec())
}

/// Reads a certificate EF: one DER element, sized by its header.
pub fn read_file(a: &mut Apdus<'_>, file: FileRef) -> Result<Vec<u8>, CardError> {
    read_ef(a, file, true)
}

/// Reads an EF. With `single_der` the file holds one DER element (a
/// certificate) and is sized by its header; otherwise (directory files, a
/// sequence of objects plus padding) it is read to its end. The first read is
/// one extended-length READ BINARY, falling back to 256-byte reads at
/// increasing offsets when the card or reader refuses extended length.
pub fn read_ef(a: &mut Apdus<'_>, file: FileRef, single_der: bool) -> Result<Vec<u8>, CardError> {
    let (p1, p2) = match file {
        FileRef::Sfi(sfi) => (0x80 | sfi, 0x00),
        FileRef::Fid(fid) => {
            let sel = Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec());
            a.send_ok("SELECT EF", &sel)?;
            (0x00, 0x00)
        }
    };
    let first = a.send(&Command::new(0x00, 0xB0, p1, p2).with_le(65_536))?;
    let mut data = match first.sw.0 {
        0x9000 | 0x6282 => first.data,
        // Extended length refused: start again with short reads.
        0x6700 | 0x6D00 | 0x6E00 => {
            a.extended_refused = true;
            let r = a.send(&Command::new(0x00, 0xB0, p1, p2).with_le(256))?;
            match r.sw.0 {
                0x9000 | 0x6282 => r.data,
                _ => return Err(CardError::from_sw("READ BINARY", r.sw)),
            }
        }
        _ => return Err(CardError::from_sw("READ BINARY", first.sw)),
    };
    let want = if single_der {
        der_total_len(&data)
    } else {
        None
    };
    // Continue with 15-bit offsets on the (now current) EF.
    while want.is_some_and(|w| data.len() < w)
        || (want.is_none() && data.len() % 256 == 0 && !data.is_empty())
    {
        let off = data.len();
        if off > 0x7FFF {
            return Err(CardError::Protocol {
                detail: format!("file larger than 32 KiB ({off} bytes read)"),
            });
        }
        let need = want.map_or(256, |w| (w - off).min(256));
        let r = a.send(&Command::new(0x00, 0xB0, (off >> 8) as u8, off as u8).with_le(need))?;
        match r.sw.0 {
            0x9000 | 0x6282 if !r.data.is_empty() => data.extend_from_slice(&r.data),
            // End of file reached exactly at a 256-byte boundary.
            0x6B00 | 0x6282 | 0x9000 if want.is_none() => break,
            _ => return Err(CardError::from_sw("READ BINARY", r.sw)),
        }
    }
    if let Some(w) = want {
        data.truncate(w);
    }
    Ok(data)
}

/// The total length of a DER element from its header, if `data` starts with
/// a SEQUENCE (a certificate).
fn der_total_len(data: &[u8]) -> Option<usize> {
    if data.first() != Some(&0x30) {
        return None;
    }
    let l0 = *data.get(1)?;
    if l0 < 0x80 {
        return Some(2 + usize::from(l0));
    }
    let n = usize::from(l0 & 0x7F);
    if n == 0 || n > 3 {
        return None;
    }
    let len = data
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some(2 + n + len)
}

/// Discovers the layout from the directory files, or from a known profile
/// whose certificate file is readable when the directory files are missing.
pub fn discover(a: &mut Apdus<'_>, aid: Vec<u8>) -> Result<CardLayout, CardError> {
    match discover_directory(a, &aid) {
        Ok(layout) => Ok(layout),
        Err(CardError::Status {
            sw: StatusWord(0x6A82),
            ..
        }) => probe_profiles(a, aid),
        Err(e) => Err(e),
    }
}

fn discover_directory(a: &mut Apdus<'_>, aid: &[u8]) -> Result<CardLayout, CardError> {
    let od = iso7816_15::parse_od(&read_ef(a, FileRef::Sfi(0x11), false)?)?;
    let missing = |f: &'static str| CardError::Directory {
        file: "EF.OD",
        detail: format!("no entry for {f}"),
    };
    let aod = iso7816_15::parse_aod(&read_ef(
        a,
        od.aod.ok_or_else(|| missing("EF.AOD"))?,
        false,
    )?)?;
    let prkd = iso7816_15::parse_prkd(&read_ef(
        a,
        od.prkd.ok_or_else(|| missing("EF.PrKD"))?,
        false,
    )?)?;
    let cd = iso7816_15::parse_cd(&read_ef(a, od.cd.ok_or_else(|| missing("EF.CD"))?, false)?)?;
    // Only a key for nonRepudiation signs documents; a card that lists none
    // is refused before any PIN is asked for.
    let key = prkd
        .iter()
        .find(|k| k.non_repudiation)
        .ok_or_else(|| CardError::Directory {
            file: "EF.PrKD",
            detail: "no private key with usage nonRepudiation".into(),
        })?;
    // The PIN that guards this key is the one its authId names: never
    // another PIN object of the card.
    let pin = match &key.auth_id {
        Some(id) => aod
            .iter()
            .find(|p| &p.auth_id == id)
            .ok_or_else(|| CardError::Directory {
                file: "EF.AOD",
                detail: format!(
                    "no PIN object with the authId {} that the signing key names",
                    id.iter().map(|b| format!("{b:02X}")).collect::<String>()
                ),
            })?,
        // A key that names no PIN: only a card with one PIN object leaves
        // no doubt which one guards it.
        None => match &aod[..] {
            [only] => only,
            [] => {
                return Err(CardError::Directory {
                    file: "EF.AOD",
                    detail: "no PIN object".into(),
                })
            }
            _ => {
                return Err(CardError::Directory {
                    file: "EF.AOD",
                    detail: "several PIN objects, and the signing key names none (authId)".into(),
                })
            }
        },
    };
    let ee = cd
        .iter()
        .find(|c| c.id == key.id && !c.authority)
        .or_else(|| cd.iter().find(|c| !c.authority))
        .ok_or_else(|| CardError::Directory {
            file: "EF.CD",
            detail: "no end-entity certificate".into(),
        })?;
    let fid = key.path.fid().to_be_bytes();
    Ok(CardLayout {
        aid: aid.to_vec(),
        source: LayoutSource::Directory,
        pin_p2: pin.reference,
        pin_file: None,
        key_file: None,
        pin_min: pin.min_len,
        pin_max: pin.max_len,
        mse_dst: vec![0x81, 0x02, fid[0], fid[1]],
        sign_mode: SignMode::PsoCdsHostPadded,
        ee_cert: ee.path,
        ca_certs: cd.iter().filter(|c| c.authority).map(|c| c.path).collect(),
    })
}

fn probe_profiles(a: &mut Apdus<'_>, aid: Vec<u8>) -> Result<CardLayout, CardError> {
    for p in profile::KNOWN_PROFILES {
        match read_file(a, p.ee_cert) {
            Ok(cert) if !cert.is_empty() => return Ok(layout_from_profile(&p, aid)),
            Ok(_) => continue,
            Err(CardError::Status { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(CardError::Directory {
        file: "EF.OD",
        detail: "missing, and no known card profile matches this card".into(),
    })
}

/// The layout a profile describes.
pub fn layout_from_profile(p: &CardProfile, aid: Vec<u8>) -> CardLayout {
    CardLayout {
        aid,
        source: LayoutSource::Profile(p.id),
        pin_p2: p.pin_p2,
        pin_file: p.pin_file,
        key_file: p.key_file,
        pin_min: pin::PIN_MIN,
        pin_max: pin::PIN_MAX,
        mse_dst: p.mse_dst.to_vec(),
        sign_mode: p.sign_mode,
        ee_cert: p.ee_cert,
        ca_certs: p.ca_certs.to_vec(),
    }
}

/// The PIN state, from an empty VERIFY (spends no try).
pub fn pin_status(a: &mut Apdus<'_>, layout: &CardLayout) -> Result<PinStatus, CardError> {
    let r = a.send(&Command::new(0x00, 0x20, 0x00, layout.pin_p2))?;
    Ok(match r.sw.0 {
        0x9000 => PinStatus::Verified,
        0x63C0 | 0x6983 | 0x6984 => PinStatus::Blocked,
        s if s & 0xFFF0 == 0x63C0 => PinStatus::Tries {
            tries_left: (s & 0x0F) as u8,
        },
        // `63 00`, or a card that refuses an empty VERIFY (`67 00`: the JMA
        // card is not known to answer it): the count is unknown, and a PIN
        // is sent only when the user confirms.
        0x6300 | 0x6700 => PinStatus::Unknown,
        _ => return Err(CardError::from_sw("VERIFY", r.sw)),
    })
}

/// VERIFY with the PIN, after checking the counter against `last_try`.
/// The PIN is sent at most once; a wrong PIN is an error carrying the new count.
pub fn verify_pin(
    a: &mut Apdus<'_>,
    layout: &CardLayout,
    pin: &Pin,
    status: PinStatus,
    last_try: LastTry,
) -> Result<(), CardError> {
    pin::may_send(status, last_try)?;
    let len = pin.bytes().len();
    if len < layout.pin_min || len > layout.pin_max {
        return Err(CardError::PinFormat {
            reason: "length outside the card's limits / カードの桁数制限外",
        });
    }
    let cmd = Command::new(0x00, 0x20, 0x00, layout.pin_p2).with_data(pin.bytes().to_vec());
    let r = a.send(&cmd)?;
    if r.sw == StatusWord::OK {
        Ok(())
    } else {
        Err(CardError::from_sw("VERIFY", r.sw))
    }
}

/// DER of `DigestInfo { sha256, digest }` (RFC 8017 §9.2 note 1).
pub fn sha256_digest_info(digest: &[u8; 32]) -> Vec<u8> {
    let mut di = vec![
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    di.extend_from_slice(digest);
    di
}

/// EMSA-PKCS1-v1_5 encoding (RFC 8017 §9.2): `00 01 FF…FF 00 || DigestInfo`,
/// `k` bytes long (the modulus size).
pub fn emsa_pkcs1_v1_5(digest_info: &[u8], k: usize) -> Result<Vec<u8>, CardError> {
    if k < digest_info.len() + 11 {
        return Err(CardError::Protocol {
            detail: format!("RSA modulus of {k} bytes is too short for PKCS#1 v1.5"),
        });
    }
    let mut em = vec![0xFF; k];
    em[0] = 0x00;
    em[1] = 0x01;
    let sep = k - digest_info.len() - 1;
    em[sep] = 0x00;
    em[sep + 1..].copy_from_slice(digest_info);
    Ok(em)
}

/// PSO COMPUTE DIGITAL SIGNATURE over the host-built EMSA-PKCS1-v1_5
/// block: one extended APDU, or command chaining when extended length is
/// refused (by the card, or the reader in its transport). `Err(sw)` is the
/// card's refusal.
fn pso_host_padded(
    a: &mut Apdus<'_>,
    di: &[u8],
    k: usize,
    extended: bool,
) -> Result<Result<Vec<u8>, StatusWord>, CardError> {
    let block = emsa_pkcs1_v1_5(di, k)?;
    let pso = Command::new(0x00, 0x2A, 0x9E, 0x9A).with_data(block);
    if extended {
        let r = a.send(&pso.clone().with_le(65_536))?;
        match r.sw.0 {
            0x9000 => return Ok(Ok(r.data)),
            // Refused by the card or the reader: chain instead.
            0x6700 => {}
            _ => return Ok(Err(r.sw)),
        }
    }
    let parts = pso.with_le(256).chain(255);
    let mut out = Vec::new();
    for part in &parts {
        let r = a.send(part)?;
        if r.sw != StatusWord::OK {
            return Ok(Err(r.sw));
        }
        out = r.data;
    }
    Ok(Ok(out))
}

/// Signs a SHA-256 digest: MSE SET DST, then PSO CDS over the host-padded
/// block (or the profile's `80 2A` command). The PIN must have been verified
/// in this transaction. `k` is the modulus length in bytes; `extended` says
/// whether extended-length APDUs may be used (else command chaining).
pub fn compute_signature(
    a: &mut Apdus<'_>,
    layout: &CardLayout,
    digest: &[u8; 32],
    k: usize,
    extended: bool,
) -> Result<Vec<u8>, CardError> {
    let di = sha256_digest_info(digest);
    let card_pads = |a: &mut Apdus<'_>| {
        let cmd = Command::new(0x80, 0x2A, 0x00, 0x80)
            .with_data(di.clone())
            .with_le(256);
        a.send_ok("SIGN (80 2A)", &cmd)
    };
    let mse = Command::new(0x00, 0x22, 0x41, 0xB6).with_data(layout.mse_dst.clone());
    let sig = match layout.sign_mode {
        SignMode::PsoCdsHostPadded => {
            a.send_ok("MSE SET", &mse)?;
            match pso_host_padded(a, &di, k, extended)? {
                Ok(sig) => sig,
                Err(sw) => return Err(CardError::from_sw("PSO COMPUTE DIGITAL SIGNATURE", sw)),
            }
        }
        SignMode::DigestInfoCardPads => card_pads(a)?,
        SignMode::PsoThenCardPads => {
            let r = a.send(&mse)?;
            let unsupported = |sw: StatusWord| matches!(sw.0, 0x6D00 | 0x6E00 | 0x6A86);
            match r.sw.0 {
                0x9000 => match pso_host_padded(a, &di, k, extended)? {
                    Ok(sig) => sig,
                    Err(sw) if unsupported(sw) => card_pads(a)?,
                    Err(sw) => return Err(CardError::from_sw("PSO COMPUTE DIGITAL SIGNATURE", sw)),
                },
                // A card that signs without MSE (HPKIReader's) may refuse it.
                0x6D00 | 0x6E00 | 0x6A86 | 0x6A80 | 0x6A88 => card_pads(a)?,
                _ => return Err(CardError::from_sw("MSE SET", r.sw)),
            }
        }
    };
    if sig.len() != k {
        return Err(CardError::Protocol {
            detail: format!("signature of {} bytes, expected {k}", sig.len()),
        });
    }
    Ok(sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emsa_block_matches_rfc_8017_layout() {
        let di = sha256_digest_info(&[0xAA; 32]);
        assert_eq!(di.len(), 51);
        let em = emsa_pkcs1_v1_5(&di, 256).expect("fits");
        assert_eq!(em.len(), 256);
        assert_eq!(&em[..2], &[0x00, 0x01]);
        assert!(em[2..256 - 52].iter().all(|b| *b == 0xFF));
        assert_eq!(em[256 - 52], 0x00);
        assert_eq!(&em[256 - 51..], &di[..]);
        assert!(emsa_pkcs1_v1_5(&di, 61).is_err());
    }

    #[test]
    fn der_length_of_a_certificate_header() {
        assert_eq!(der_total_len(&[0x30, 0x82, 0x05, 0x1A, 0]), Some(4 + 0x51A));
        assert_eq!(der_total_len(&[0x30, 0x10]), Some(18));
        assert_eq!(der_total_len(&[0x04, 0x10]), None);
        assert_eq!(der_total_len(&[0x30]), None);
    }

    #[test]
    fn df_name_is_read_from_the_fci() {
        let mut fci = vec![0x6F, 0x12, 0x84, 0x10];
        fci.extend_from_slice(&HPKI_SIGNING_AID);
        assert_eq!(df_name(&fci), Some(HPKI_SIGNING_AID.to_vec()));
        assert_eq!(df_name(&[0x6F, 0x05]), None);
    }
}
