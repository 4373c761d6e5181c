//! Inkan's access to HPKI IC cards through PC/SC.
//!
//! The card is driven with plain APDUs (no vendor middleware), so Inkan works
//! wherever a PC/SC stack exists: pcsc-lite on Linux and macOS, WinSCard on Windows.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod pcsc_readers;

pub use pcsc_readers::{list_readers, ReaderError, ReaderInfo};
