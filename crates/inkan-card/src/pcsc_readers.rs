//! Reader discovery through the PC/SC resource manager (`SCardListReaders`,
//! `SCardGetStatusChange`).

use inkan_l10n::{Localized, Text};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::time::Duration;

/// One PC/SC reader and what is in it right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderInfo {
    /// The reader name as PC/SC reports it (`"Sony RC-S300 00 00"`).
    pub name: String,
    /// Whether a card is in the reader.
    pub card_present: bool,
    /// The card's answer-to-reset, upper-case hex, when a card is present.
    pub atr: Option<String>,
    /// Another application holds the card exclusively.
    pub exclusive: bool,
}

/// Why the readers could not be listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReaderError {
    /// The PC/SC service (pcscd) is not running or not reachable.
    #[error("the PC/SC service (pcscd) is not running")]
    NoService,
    /// Any other PC/SC failure, with the operation that failed.
    #[error("PC/SC {operation} failed: {source}")]
    Pcsc {
        /// The PC/SC call that failed.
        operation: &'static str,
        /// The PC/SC status.
        #[source]
        source: pcsc::Error,
    },
}

impl Localized for ReaderError {
    fn code(&self) -> &'static str {
        match self {
            ReaderError::NoService => "pcsc.no_service",
            ReaderError::Pcsc { .. } => "pcsc.failure",
        }
    }

    fn text(&self) -> Text {
        match self {
            ReaderError::NoService => Text::new(
                "スマートカードサービス（pcscd）が動作していません。pcscd を起動してください（例: sudo systemctl start pcscd）。",
                "The smart card service (pcscd) is not running. Start pcscd (e.g. sudo systemctl start pcscd).",
            ),
            ReaderError::Pcsc { operation, source } => Text::new(
                format!("カードリーダーとの通信に失敗しました（{operation}: {source}）。"),
                format!("Communication with the card reader failed ({operation}: {source})."),
            ),
        }
    }
}

fn pcsc_err(operation: &'static str) -> impl FnOnce(pcsc::Error) -> ReaderError {
    move |source| match source {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => ReaderError::NoService,
        source => ReaderError::Pcsc { operation, source },
    }
}

/// Lists the PC/SC readers with their card state. No readers is an empty list,
/// not an error; a stopped pcscd is [`ReaderError::NoService`].
pub fn list_readers() -> Result<Vec<ReaderInfo>, ReaderError> {
    let ctx =
        pcsc::Context::establish(pcsc::Scope::User).map_err(pcsc_err("SCardEstablishContext"))?;
    let names: Vec<CString> = match ctx.list_readers_owned() {
        Ok(names) => names,
        Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
        Err(e) => return Err(pcsc_err("SCardListReaders")(e)),
    };
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut states: Vec<pcsc::ReaderState> = names
        .iter()
        .map(|n| pcsc::ReaderState::new(n.clone(), pcsc::State::UNAWARE))
        .collect();
    ctx.get_status_change(Some(Duration::ZERO), &mut states)
        .map_err(pcsc_err("SCardGetStatusChange"))?;
    Ok(states
        .iter()
        .map(|s| {
            let ev = s.event_state();
            let present = ev.contains(pcsc::State::PRESENT) && !ev.contains(pcsc::State::MUTE);
            ReaderInfo {
                name: s.name().to_string_lossy().into_owned(),
                card_present: present,
                atr: (present && !s.atr().is_empty()).then(|| hex_upper(s.atr())),
                exclusive: ev.contains(pcsc::State::EXCLUSIVE),
            }
        })
        .collect())
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_service_has_an_actionable_bilingual_message() {
        let t = ReaderError::NoService.text();
        assert!(t.ja.contains("pcscd"));
        assert!(t.en.contains("pcscd"));
        assert_eq!(ReaderError::NoService.code(), "pcsc.no_service");
    }

    #[test]
    fn service_errors_map_to_no_service() {
        assert!(matches!(
            pcsc_err("x")(pcsc::Error::NoService),
            ReaderError::NoService
        ));
        assert!(matches!(
            pcsc_err("x")(pcsc::Error::ReaderUnavailable),
            ReaderError::Pcsc { .. }
        ));
    }

    #[test]
    fn atr_hex_is_upper_case() {
        assert_eq!(hex_upper(&[0x3b, 0x8a, 0x00]), "3B8A00");
    }
}
