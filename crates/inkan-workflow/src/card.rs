//! The card as the live card panel shows it, and the card as a CAdES signer.

use inkan_cades::{ExternalSigner, SignerError};
use inkan_card::hpki::LayoutSource;
use inkan_card::{CardError, CardSigner, Holder, PcscCard, PinStatus};
use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the card panel shows (no PIN needed for any of it).
#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    /// The reader.
    pub reader: String,
    /// The ATR, hex.
    pub atr: String,
    /// The holder, from the signing certificate.
    pub holder: Holder,
    /// The PIN state (`{"state":"tries","tries_left":15}` …).
    pub pin: PinStatus,
    /// `directory` (the card's own directory files) or `profile:<id>`.
    pub layout_source: String,
    /// The certificate comes from a TEST PKI.
    pub test: bool,
    /// Whole days until the signing certificate expires (negative: expired).
    pub expires_in_days: i64,
}

/// Days from `now_unix` until `not_after_unix`, rounded down.
pub(crate) fn days_until(not_after_unix: i64, now_unix: i64) -> i64 {
    (not_after_unix - now_unix).div_euclid(86_400)
}

fn layout_source(s: &LayoutSource) -> String {
    match s {
        LayoutSource::Directory => "directory".into(),
        LayoutSource::Profile(id) => format!("profile:{id}"),
    }
}

/// Opens the card in `reader` (or the first reader with a card) and reads
/// what the panel shows.
pub fn card_view(reader: Option<&str>) -> Result<CardView, CardError> {
    let mut card = PcscCard::new(reader)?;
    let opened = card.open()?.clone();
    let pin = card.pin_status()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Ok(CardView {
        reader: opened.reader,
        atr: opened.atr,
        expires_in_days: days_until(opened.holder.not_after_unix, now),
        test: opened.holder.is_test,
        holder: opened.holder,
        pin,
        layout_source: layout_source(&opened.layout.source),
    })
}

/// The card as a CAdES [`ExternalSigner`]. A card failure travels inside the
/// [`SignerError`]; [`crate::sign_with_card`] gives it back as the
/// [`CardError`] the user needs to see (wrong PIN, removed card …).
#[derive(Debug)]
pub struct CardAdapter<'a, 'c>(pub &'a mut CardSigner<'c>);

impl ExternalSigner for CardAdapter<'_, '_> {
    fn certificate(&self) -> &[u8] {
        self.0.certificate()
    }

    fn sign_sha256(&mut self, digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        self.0.sign_sha256(digest).map_err(SignerError::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_days_round_down() {
        assert_eq!(days_until(86_400 * 10, 0), 10);
        assert_eq!(days_until(86_400 * 10 - 1, 0), 9);
        assert_eq!(days_until(0, 1), -1);
    }

    #[test]
    fn pin_status_json_matches_the_ui_contract() {
        let j = |s| serde_json::to_value(s).expect("json");
        assert_eq!(
            j(PinStatus::Tries { tries_left: 15 }),
            serde_json::json!({"state": "tries", "tries_left": 15})
        );
        assert_eq!(
            j(PinStatus::Verified),
            serde_json::json!({"state": "verified"})
        );
        assert_eq!(
            j(PinStatus::Unknown),
            serde_json::json!({"state": "unknown"})
        );
        assert_eq!(
            j(PinStatus::Blocked),
            serde_json::json!({"state": "blocked"})
        );
        assert_eq!(layout_source(&LayoutSource::Directory), "directory");
        assert_eq!(layout_source(&LayoutSource::Profile("jma")), "profile:jma");
    }
}
