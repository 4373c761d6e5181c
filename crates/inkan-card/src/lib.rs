//! Inkan's access to HPKI IC cards through PC/SC.
//!
//! The card is driven with plain APDUs (no vendor middleware), so Inkan works
//! wherever a PC/SC stack exists: pcsc-lite on Linux and macOS, WinSCard on
//! Windows. Modules follow the standards they implement: [`apdu`] (ISO/IEC
//! 7816-4), [`iso7816_15`] (the directory files), [`hpki`] (the JAHIS HPKI card
//! guideline), [`profile`] (known card layouts as data).
//!
//! PIN safety: a [`Pin`] is wiped on drop and never printed; it is sent once
//! per operation, never retried, and never with one try left unless the caller
//! passes [`LastTry::Confirmed`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod apdu;
pub mod card;
pub mod error;
pub mod holder;
pub mod hpki;
pub mod iso7816_15;
pub mod pcsc_readers;
pub mod pin;
pub mod profile;
pub mod watch;

pub use card::{CardSignature, CardSigner, OpenedCard, PcscCard};
pub use error::CardError;
pub use holder::Holder;
pub use pcsc_readers::{list_readers, ReaderError, ReaderInfo};
pub use pin::{LastTry, Pin, PinStatus};
