//! A simulated HPKI IC card.
//!
//! [`model`] is the card: the signing and authentication applications of the
//! JAHIS reference layout (or the JMA 医師資格証 variant), directory files,
//! a PIN that locks after 15 consecutive wrong tries, raw RSA signing, command
//! chaining and extended length. [`vpcd`] plugs it into pcscd through
//! vsmartcard's virtual reader, with removal, re-insertion, fault injection and
//! an APDU log for tests.
//!
//! This is the TEST card: its PIN is [`TEST_PIN`] and its certificates come
//! from a generated test PKI. Nothing here is ever trusted by Inkan's default
//! trust store.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod model;
pub mod vpcd;

pub use model::{CardConfig, SimCard, SimProfile};
pub use vpcd::{spawn, Fault, LoggedApdu, SimHandle};

/// The documented PIN of every simulated card.
pub const TEST_PIN: &str = "1234";
/// Consecutive wrong PINs that lock an HPKI card (MEDIS cards).
pub const MAX_TRIES: u8 = 15;
