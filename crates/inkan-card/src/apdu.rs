//! ISO/IEC 7816-4 command and response APDUs (§5.1): short and extended
//! length encodings, command chaining, and status words.

use std::fmt;

/// The largest Nc/Ne in a short APDU.
pub const SHORT_MAX: usize = 255;
/// The largest Nc in an extended APDU.
pub const EXTENDED_MAX: usize = 65_535;

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Nc bytes).
    pub data: Vec<u8>,
    /// Expected response length Ne; `Some(0)` is not used (use `Some(256)` or
    /// `Some(65536)` for "as much as available").
    pub le: Option<usize>,
}

// The data of a VERIFY is a PIN: never print it.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes, le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

/// The APDU cannot be encoded in the requested form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("APDU data of {nc} bytes or Le {ne} does not fit the {form} encoding")]
pub struct EncodeError {
    /// Data length.
    pub nc: usize,
    /// Expected length.
    pub ne: usize,
    /// "short" or "extended".
    pub form: &'static str,
}

impl Command {
    /// A command without data.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Sets the command data.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets Ne.
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// Whether the command needs the extended-length form.
    pub fn needs_extended(&self) -> bool {
        self.data.len() > SHORT_MAX || self.le.is_some_and(|le| le > 256)
    }

    /// Encodes the command: short form when it fits, extended otherwise
    /// (ISO/IEC 7816-4 §5.1, cases 1–4S/E).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        if self.needs_extended() {
            self.encode_extended()
        } else {
            self.encode_short()
        }
    }

    /// Short encoding: Lc and Le one byte each (Le 00 = 256).
    pub fn encode_short(&self) -> Result<Vec<u8>, EncodeError> {
        let nc = self.data.len();
        let ne = self.le.unwrap_or(0);
        if nc > SHORT_MAX || ne > 256 {
            return Err(EncodeError {
                nc,
                ne,
                form: "short",
            });
        }
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if nc > 0 {
            out.push(nc as u8);
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            out.push(if le == 256 { 0 } else { le as u8 });
        }
        Ok(out)
    }

    /// Extended encoding: `00 Lc1 Lc2` and a two-byte Le (`00 00` = 65536);
    /// without data, Le is `00 Le1 Le2`.
    pub fn encode_extended(&self) -> Result<Vec<u8>, EncodeError> {
        let nc = self.data.len();
        let ne = self.le.unwrap_or(0);
        if nc > EXTENDED_MAX || ne > 65_536 {
            return Err(EncodeError {
                nc,
                ne,
                form: "extended",
            });
        }
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if nc > 0 {
            out.push(0);
            out.extend_from_slice(&(nc as u16).to_be_bytes());
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            if nc == 0 {
                out.push(0);
            }
            let le = if le == 65_536 { 0 } else { le as u16 };
            out.extend_from_slice(&le.to_be_bytes());
        }
        Ok(out)
    }

    /// Splits the command into a command-chaining sequence of short APDUs
    /// (CLA bit b5 = 1 on all but the last, ISO/IEC 7816-4 §5.1.1.1). Le goes
    /// on the last command only.
    pub fn chain(&self, chunk: usize) -> Vec<Command> {
        let chunk = chunk.clamp(1, SHORT_MAX);
        if self.data.len() <= chunk {
            return vec![self.clone()];
        }
        let parts: Vec<&[u8]> = self.data.chunks(chunk).collect();
        let last = parts.len() - 1;
        parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| Command {
                cla: if i < last { self.cla | 0x10 } else { self.cla },
                ins: self.ins,
                p1: self.p1,
                p2: self.p2,
                data: part.to_vec(),
                le: if i == last {
                    self.le.map(|l| l.min(256))
                } else {
                    None
                },
            })
            .collect()
    }

    /// Parses an encoded command APDU (the card side).
    pub fn parse(apdu: &[u8]) -> Option<Command> {
        let (head, body) = apdu.split_first_chunk::<4>()?;
        let [cla, ins, p1, p2] = *head;
        let mut c = Command::new(cla, ins, p1, p2);
        match body.len() {
            0 => {}
            1 => c.le = Some(if body[0] == 0 { 256 } else { body[0] as usize }),
            _ if body[0] != 0 => {
                // Short form with Lc.
                let nc = body[0] as usize;
                let rest = body.get(1..)?;
                if rest.len() == nc {
                    c.data = rest.to_vec();
                } else if rest.len() == nc + 1 {
                    c.data = rest.get(..nc)?.to_vec();
                    let le = *rest.get(nc)?;
                    c.le = Some(if le == 0 { 256 } else { le as usize });
                } else {
                    return None;
                }
            }
            3 => {
                // Extended, Le only.
                let le = u16::from_be_bytes([body[1], body[2]]) as usize;
                c.le = Some(if le == 0 { 65_536 } else { le });
            }
            _ => {
                let nc = u16::from_be_bytes([*body.get(1)?, *body.get(2)?]) as usize;
                let rest = body.get(3..)?;
                if rest.len() == nc {
                    c.data = rest.to_vec();
                } else if rest.len() == nc + 2 {
                    c.data = rest.get(..nc)?.to_vec();
                    let le = u16::from_be_bytes([*rest.get(nc)?, *rest.get(nc + 1)?]) as usize;
                    c.le = Some(if le == 0 { 65_536 } else { le });
                } else {
                    return None;
                }
            }
        }
        Some(c)
    }
}

/// A status word SW1-SW2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `90 00`.
    pub const OK: StatusWord = StatusWord(0x9000);

    /// SW1.
    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0 as u8
    }

    /// Whether the command succeeded (`90 00`, or `61 xx` more data available).
    pub fn is_success(self) -> bool {
        self.0 == 0x9000 || self.sw1() == 0x61
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X} {:02X}", self.sw1(), self.sw2())
    }
}

/// A response APDU: data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// Trailer.
    pub sw: StatusWord,
}

impl Response {
    /// Splits a raw response; `None` when it is shorter than the 2-byte trailer
    /// (vpcd's sign that the card went away mid-command).
    pub fn parse(raw: &[u8]) -> Option<Response> {
        let (data, sw) = raw.split_last_chunk::<2>()?;
        Some(Response {
            data: data.to_vec(),
            sw: StatusWord(u16::from_be_bytes(*sw)),
        })
    }

    /// Encodes data + trailer (the card side).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.0.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_by_aid_is_case_4_short() {
        let aid = [0xE8, 0x28, 0xBD, 0x08, 0x0F];
        let c = Command::new(0x00, 0xA4, 0x04, 0x00)
            .with_data(aid)
            .with_le(256);
        assert_eq!(
            c.encode().expect("encodes"),
            [0x00, 0xA4, 0x04, 0x00, 0x05, 0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x00]
        );
    }

    #[test]
    fn empty_verify_is_case_1() {
        let c = Command::new(0x00, 0x20, 0x00, 0x96);
        assert_eq!(c.encode().expect("encodes"), [0x00, 0x20, 0x00, 0x96]);
    }

    #[test]
    fn pso_cds_with_256_bytes_is_extended_as_in_jahis() {
        // JAHIS: 00 2A 9E 9A 00 01 00 <256 bytes> 00 00
        let c = Command::new(0x00, 0x2A, 0x9E, 0x9A)
            .with_data(vec![0xAB; 256])
            .with_le(65_536);
        let e = c.encode().expect("encodes");
        assert_eq!(&e[..7], &[0x00, 0x2A, 0x9E, 0x9A, 0x00, 0x01, 0x00]);
        assert_eq!(&e[e.len() - 2..], &[0x00, 0x00]);
        assert_eq!(e.len(), 7 + 256 + 2);
        assert_eq!(Command::parse(&e), Some(c));
    }

    #[test]
    fn extended_read_binary_has_three_byte_le() {
        // JAHIS: READ cert 00 B0 98 00 00 00 00
        let c = Command::new(0x00, 0xB0, 0x98, 0x00).with_le(65_536);
        assert_eq!(
            c.encode().expect("encodes"),
            [0x00, 0xB0, 0x98, 0x00, 0x00, 0x00, 0x00]
        );
        assert_eq!(
            Command::parse(&[0x00, 0xB0, 0x98, 0x00, 0x00, 0x00, 0x00]),
            Some(c)
        );
    }

    #[test]
    fn chaining_sets_the_class_bit_on_all_but_the_last() {
        let c = Command::new(0x00, 0x2A, 0x9E, 0x9A)
            .with_data(vec![1; 256])
            .with_le(256);
        let parts = c.chain(255);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].cla, 0x10);
        assert_eq!(parts[0].data.len(), 255);
        assert_eq!(parts[0].le, None);
        assert_eq!(parts[1].cla, 0x00);
        assert_eq!(parts[1].data.len(), 1);
        assert_eq!(parts[1].le, Some(256));
    }

    #[test]
    fn short_round_trip_and_garbage() {
        for c in [
            Command::new(0, 0xB0, 0x80 | 0x11, 0).with_le(256),
            Command::new(0, 0x22, 0x41, 0xB6).with_data([0x81, 2, 0, 0x17]),
            Command::new(0, 0x20, 0, 0x96).with_data(*b"1234"),
        ] {
            assert_eq!(Command::parse(&c.encode().expect("encodes")), Some(c));
        }
        assert_eq!(Command::parse(&[0, 1, 2]), None);
        assert_eq!(Command::parse(&[0, 1, 2, 3, 5, 1]), None);
    }

    #[test]
    fn response_shorter_than_a_trailer_is_none() {
        assert_eq!(Response::parse(&[]), None);
        assert_eq!(Response::parse(&[0x90]), None);
        let r = Response::parse(&[1, 2, 0x63, 0xC3]).expect("parses");
        assert_eq!(r.data, [1, 2]);
        assert_eq!(r.sw, StatusWord(0x63C3));
        assert!(!r.sw.is_success());
    }

    #[test]
    fn debug_never_shows_command_data() {
        // Exactly the redacted form: a derived Debug (which prints the data
        // bytes in decimal, `[57, 56, 55, 54]`) fails here.
        let c = Command::new(0, 0x20, 0, 0x96).with_data(*b"9876");
        assert_eq!(
            format!("{c:?}"),
            "Command(00 20 00 96, 4 data bytes, le None)"
        );
        for shown in ["9876", "39", "57", "[", "data:"] {
            assert!(!format!("{c:?}").contains(shown), "{shown}");
        }
    }
}
