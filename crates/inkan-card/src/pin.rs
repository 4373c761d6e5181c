//! The PIN: held in memory that is wiped on drop, never printed, and only sent
//! under the rules that protect a card that locks after 15 wrong tries.

use crate::error::CardError;
use std::fmt;
use zeroize::Zeroizing;

/// HPKI PINs are 4 to 16 ASCII characters (JAHIS, EF.AOD minLength/maxLength).
pub const PIN_MIN: usize = 4;
/// See [`PIN_MIN`].
pub const PIN_MAX: usize = 16;

/// A PIN. Its bytes are zeroized on drop; `Debug` shows nothing of it.
pub struct Pin(Zeroizing<Vec<u8>>);

impl Pin {
    /// Takes a PIN typed by the user. The input buffer is consumed and wiped.
    pub fn new(input: Zeroizing<String>) -> Result<Pin, CardError> {
        // Only a trailing newline from stdin is not part of the PIN.
        let trimmed = input.trim_end_matches(['\r', '\n']);
        let bytes = trimmed.as_bytes();
        if bytes.len() < PIN_MIN {
            return Err(CardError::PinFormat {
                reason: "shorter than 4 characters / 4文字未満",
            });
        }
        if bytes.len() > PIN_MAX {
            return Err(CardError::PinFormat {
                reason: "longer than 16 characters / 16文字超",
            });
        }
        if !bytes.iter().all(|b| b.is_ascii_graphic()) {
            return Err(CardError::PinFormat {
                reason: "only ASCII letters, digits and symbols / 半角英数記号のみ",
            });
        }
        Ok(Pin(Zeroizing::new(bytes.to_vec())))
    }

    /// The bytes sent in VERIFY.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// What the card says about its PIN before anything is typed (empty VERIFY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PinStatus {
    /// Already verified in this session (`90 00`).
    Verified,
    /// Not verified; `tries_left` from `63 Cx`.
    Tries {
        /// Remaining tries.
        tries_left: u8,
    },
    /// Not verified and the card does not tell the count (`63 00`).
    Unknown,
    /// Blocked.
    Blocked,
}

/// The caller's explicit answer to "one try is left: use it?". Only a UI that
/// has shown the warning, or a CLI flag the user typed, creates `Confirmed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastTry {
    /// Sending the PIN with one try left is refused.
    NotConfirmed,
    /// The user was told that a wrong PIN locks the card and chose to go on.
    Confirmed,
}

/// Decides whether a PIN may be sent, given what the card reported.
pub fn may_send(status: PinStatus, last_try: LastTry) -> Result<(), CardError> {
    match status {
        PinStatus::Blocked | PinStatus::Tries { tries_left: 0 } => Err(CardError::PinBlocked),
        PinStatus::Tries { tries_left: 1 } if last_try != LastTry::Confirmed => {
            Err(CardError::LastTryNotConfirmed)
        }
        // A card that hides its counter could be one try from locking.
        PinStatus::Unknown if last_try != LastTry::Confirmed => Err(CardError::TriesUnknown),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(s: &str) -> Result<Pin, CardError> {
        Pin::new(Zeroizing::new(s.to_string()))
    }

    #[test]
    fn pin_length_and_charset_are_checked() {
        assert!(pin("1234").is_ok());
        assert!(pin("1234\n").is_ok());
        assert!(pin("abcdEFGH12345678").is_ok());
        assert!(matches!(pin("123"), Err(CardError::PinFormat { .. })));
        assert!(matches!(
            pin("12345678901234567"),
            Err(CardError::PinFormat { .. })
        ));
        assert!(matches!(pin("12 34"), Err(CardError::PinFormat { .. })));
        assert!(matches!(pin("１２３４"), Err(CardError::PinFormat { .. })));
    }

    #[test]
    fn debug_hides_the_pin() {
        let p = pin("8642").expect("valid");
        assert_eq!(format!("{p:?}"), "Pin(<redacted>)");
    }

    #[test]
    fn last_try_needs_confirmation() {
        let one = PinStatus::Tries { tries_left: 1 };
        assert!(matches!(
            may_send(one, LastTry::NotConfirmed),
            Err(CardError::LastTryNotConfirmed)
        ));
        assert!(may_send(one, LastTry::Confirmed).is_ok());
        assert!(may_send(PinStatus::Tries { tries_left: 2 }, LastTry::NotConfirmed).is_ok());
        assert!(matches!(
            may_send(PinStatus::Blocked, LastTry::Confirmed),
            Err(CardError::PinBlocked)
        ));
        assert!(matches!(
            may_send(PinStatus::Unknown, LastTry::NotConfirmed),
            Err(CardError::TriesUnknown)
        ));
    }
}
