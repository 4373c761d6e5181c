//! Everything that can go wrong with a card, with the status word or PC/SC
//! failure behind it and a message in Japanese and English.

use crate::apdu::StatusWord;
use inkan_l10n::{Localized, Text};

/// A card operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    /// pcscd (or WinSCard) is not running.
    #[error("the PC/SC service is not running")]
    NoService,
    /// The named reader does not exist (any more).
    #[error("card reader {reader:?} not found")]
    NoReader {
        /// The reader name asked for.
        reader: String,
    },
    /// No reader has a card in it, or the chosen one is empty.
    #[error("no card in the reader")]
    NoCard,
    /// The card was removed or reset during the operation; nothing was done
    /// halfway that matters (a signature is only returned when complete).
    #[error("the card was removed during the operation")]
    CardRemoved,
    /// The card was reset (by another program) during the operation. Unlike
    /// a removal the card is still there; nothing was signed.
    #[error("the card was reset by another program during the operation")]
    CardReset,
    /// SELECT of the signing application answered another application's
    /// name: no PIN is sent.
    #[error("the card selected application {found} instead of the HPKI signing application")]
    WrongApplication {
        /// The DF name the card returned, hex.
        found: String,
    },
    /// The card's certificate is not one to sign documents with (no
    /// nonRepudiation, not the HPKI signing policy): checked before any PIN.
    #[error("the card's certificate is not for signing: {reason}")]
    NotForSigning {
        /// What is missing.
        reason: &'static str,
    },
    /// The card's signing certificate has expired (or is not yet valid):
    /// checked before any PIN.
    #[error("the card's signing certificate is valid {not_before} to {not_after}, not now")]
    CertificateOutOfValidity {
        /// notBefore, UTC.
        not_before: String,
        /// notAfter, UTC.
        not_after: String,
    },
    /// The card has no HPKI signing application.
    #[error("not an HPKI card: no application with AID E8 28 BD 08 0F …")]
    NotHpkiCard,
    /// Wrong PIN; the card says how many tries are left when it knows.
    #[error("wrong PIN ({tries_left:?} tries left)")]
    WrongPin {
        /// Remaining tries, from `63 Cx`; `None` for `63 00`.
        tries_left: Option<u8>,
    },
    /// The PIN is blocked (`69 83`/`69 84`, or `63 C0`).
    #[error("the PIN is blocked")]
    PinBlocked,
    /// The PIN does not have the form HPKI cards accept.
    #[error("invalid PIN format: {reason}")]
    PinFormat {
        /// Why (length, characters).
        reason: &'static str,
    },
    /// Exactly one try is left and the caller did not confirm using it.
    #[error("one PIN try left: refusing to send the PIN without explicit confirmation")]
    LastTryNotConfirmed,
    /// The card does not say how many tries are left and signalled trouble:
    /// sending a PIN blind could lock it.
    #[error("the card does not report the remaining PIN tries")]
    TriesUnknown,
    /// A command failed with a status word Inkan has a specific reading for.
    #[error("{command} failed with status {sw}")]
    Status {
        /// The command (SELECT, READ BINARY, VERIFY, MSE SET, PSO CDS, …).
        command: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The card's directory files (ISO/IEC 7816-15) are malformed.
    #[error("malformed {file}: {detail}")]
    Directory {
        /// EF.OD, EF.AOD, EF.PrKD, EF.CD, EF.CIAInfo.
        file: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The certificate on the card cannot be read or parsed.
    #[error("the card's certificate is unusable: {detail}")]
    Certificate {
        /// What is wrong.
        detail: String,
    },
    /// The card returned a signature that does not verify with its own
    /// certificate: it is never used.
    #[error("the card's signature does not verify with its certificate")]
    BadSignature,
    /// The card answered something the protocol does not allow.
    #[error("unexpected card response: {detail}")]
    Protocol {
        /// What was unexpected.
        detail: String,
    },
    /// Any other PC/SC failure.
    #[error("PC/SC {operation} failed: {source}")]
    Pcsc {
        /// The PC/SC call.
        operation: &'static str,
        /// The PC/SC error.
        #[source]
        source: pcsc::Error,
    },
}

impl CardError {
    /// Maps a PC/SC error: removal and reset are [`CardError::CardRemoved`].
    pub fn pcsc(operation: &'static str) -> impl FnOnce(pcsc::Error) -> CardError {
        move |e| match e {
            pcsc::Error::NoService | pcsc::Error::ServiceStopped => CardError::NoService,
            pcsc::Error::ResetCard => CardError::CardReset,
            pcsc::Error::RemovedCard
            | pcsc::Error::NotTransacted
            | pcsc::Error::NoSmartcard
            | pcsc::Error::UnpoweredCard
            | pcsc::Error::UnresponsiveCard => CardError::CardRemoved,
            pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => CardError::NoReader {
                reader: String::new(),
            },
            source => CardError::Pcsc { operation, source },
        }
    }

    /// Reads a failing status word of `command`.
    pub fn from_sw(command: &'static str, sw: StatusWord) -> CardError {
        match sw.0 {
            0x6983 | 0x6984 | 0x63C0 => CardError::PinBlocked,
            0x6300 => CardError::WrongPin { tries_left: None },
            s if s & 0xFFF0 == 0x63C0 => CardError::WrongPin {
                tries_left: Some((s & 0x0F) as u8),
            },
            _ => CardError::Status { command, sw },
        }
    }

    /// Whether the card is gone (the caller should reconnect next time).
    pub fn is_removal(&self) -> bool {
        matches!(self, CardError::CardRemoved | CardError::NoCard)
    }
}

fn sw_text(command: &str, sw: StatusWord) -> Text {
    let (ja, en) = match sw.0 {
        0x6982 => (
            "セキュリティ条件が満たされていません（PIN の照合が必要です）",
            "security status not satisfied (the PIN must be verified first)",
        ),
        0x6985 => (
            "使用条件が満たされていません",
            "conditions of use not satisfied",
        ),
        0x6A82 => (
            "ファイルまたはアプリケーションが見つかりません",
            "file or application not found",
        ),
        0x6A81 => (
            "この機能はカードでサポートされていません",
            "function not supported by the card",
        ),
        0x6A86 | 0x6B00 => (
            "パラメータ P1/P2 が正しくありません",
            "incorrect parameters P1/P2",
        ),
        0x6A80 => ("コマンドデータが正しくありません", "incorrect command data"),
        0x6A87 => (
            "Lc がパラメータと矛盾しています",
            "Lc inconsistent with P1/P2",
        ),
        0x6A88 => (
            "参照された鍵・データが設定されていません",
            "referenced key or data not found",
        ),
        0x6700 => ("コマンドの長さが正しくありません", "wrong length"),
        0x6283 => (
            "アプリケーションが閉塞しています",
            "the application (DF) is blocked",
        ),
        0x6881 => (
            "論理チャネルはサポートされていません",
            "logical channel not supported",
        ),
        0x6882 => (
            "セキュアメッセージングはサポートされていません",
            "secure messaging not supported",
        ),
        0x6D00 => (
            "命令コードがサポートされていません",
            "instruction not supported",
        ),
        0x6E00 => ("クラスがサポートされていません", "class not supported"),
        0x6400 | 0x6581 => (
            "カード内部でエラーが発生しました",
            "the card reported an internal error",
        ),
        _ => ("カードがエラーを返しました", "the card returned an error"),
    };
    Text::new(
        format!("{command} が失敗しました: {ja}（ステータス {sw}）。"),
        format!("{command} failed: {en} (status {sw})."),
    )
}

impl Localized for CardError {
    fn code(&self) -> &'static str {
        match self {
            CardError::NoService => "pcsc.no_service",
            CardError::NoReader { .. } => "card.no_reader",
            CardError::NoCard => "card.no_card",
            CardError::CardRemoved => "card.removed",
            CardError::CardReset => "card.reset",
            CardError::WrongApplication { .. } => "card.wrong_application",
            CardError::NotForSigning { .. } => "card.not_for_signing",
            CardError::CertificateOutOfValidity { .. } => "card.certificate_validity",
            CardError::NotHpkiCard => "card.not_hpki",
            CardError::WrongPin { .. } => "card.pin_wrong",
            CardError::PinBlocked => "card.pin_blocked",
            CardError::PinFormat { .. } => "card.pin_format",
            CardError::LastTryNotConfirmed => "card.pin_last_try",
            CardError::TriesUnknown => "card.pin_tries_unknown",
            CardError::Status { .. } => "card.status",
            CardError::Directory { .. } => "card.directory",
            CardError::Certificate { .. } => "card.certificate",
            CardError::BadSignature => "card.bad_signature",
            CardError::Protocol { .. } => "card.protocol",
            CardError::Pcsc { .. } => "pcsc.failure",
        }
    }

    fn text(&self) -> Text {
        match self {
            CardError::NoService => Text::new(
                "スマートカードサービス（pcscd）が動作していません。pcscd を起動してください（例: sudo systemctl start pcscd）。",
                "The smart card service (pcscd) is not running. Start pcscd (e.g. sudo systemctl start pcscd).",
            ),
            CardError::NoReader { reader } if reader.is_empty() => Text::new(
                "カードリーダーが見つかりません。リーダーの接続を確認してください。",
                "No card reader found. Check that the reader is connected.",
            ),
            CardError::NoReader { reader } => Text::new(
                format!("カードリーダー「{reader}」が見つかりません。接続を確認してください。"),
                format!("Card reader \"{reader}\" not found. Check that it is connected."),
            ),
            CardError::NoCard => Text::new(
                "カードが挿入されていません。HPKIカードをリーダーに挿入してください。",
                "No card inserted. Insert your HPKI card into the reader.",
            ),
            CardError::CardRemoved => Text::new(
                "処理中にカードが取り外されました。署名は作成されていません。カードを挿入し直して、もう一度操作してください。",
                "The card was removed during the operation. No signature was made. Re-insert the card and try again.",
            ),
            CardError::CardReset => Text::new(
                "処理中にカードが他のプログラムによってリセットされました。署名は作成されていません。もう一度操作してください。",
                "Another program reset the card during the operation. No signature was made. Try again.",
            ),
            CardError::WrongApplication { found } => Text::new(
                format!("カードがHPKI署名用アプリケーションではないアプリケーション（{found}）を選択しました。PINは送信していません。"),
                format!("The card selected another application ({found}) instead of the HPKI signing application. The PIN was not sent."),
            ),
            CardError::NotForSigning { reason } => Text::new(
                format!("カードの証明書は文書への署名用ではありません（{reason}）。PINは送信していません。"),
                format!("The card's certificate is not for signing documents ({reason}). The PIN was not sent."),
            ),
            CardError::CertificateOutOfValidity { not_before, not_after } => Text::new(
                format!("カードの署名用証明書の有効期間（{not_before}〜{not_after}）外です。PINは送信していません。カードの更新が必要です。"),
                format!("The card's signing certificate is valid from {not_before} to {not_after}, not now. The PIN was not sent; the card must be renewed."),
            ),
            CardError::NotHpkiCard => Text::new(
                "このカードは HPKI カードではありません（HPKI署名用アプリケーションがありません）。",
                "This is not an HPKI card (it has no HPKI signing application).",
            ),
            CardError::WrongPin { tries_left: Some(n) } => Text::new(
                format!("PIN が正しくありません。残り {n} 回間違えるとカードがロックされます（再発行が必要になります）。"),
                format!("Wrong PIN. {n} more wrong attempts lock the card (it would have to be reissued)."),
            ),
            CardError::WrongPin { tries_left: None } => Text::new(
                "PIN が正しくありません。",
                "Wrong PIN.",
            ),
            CardError::PinBlocked => Text::new(
                "PIN がロックされています。このカードでは署名できません。発行元（認証局）に再発行を依頼してください。",
                "The PIN is locked. This card cannot sign any more; ask the issuing CA to reissue the card.",
            ),
            CardError::PinFormat { reason } => Text::new(
                format!("PIN の形式が正しくありません（4〜16 文字の半角英数字）: {reason}"),
                format!("Invalid PIN format (4 to 16 ASCII characters): {reason}"),
            ),
            CardError::LastTryNotConfirmed => Text::new(
                "PIN の残り試行回数が 1 回です。間違えるとカードがロックされます。確認のうえ、明示的に最後の試行を許可してください。",
                "Only one PIN try is left; a wrong PIN locks the card. Confirm explicitly to use the last try.",
            ),
            CardError::TriesUnknown => Text::new(
                "カードが PIN の残り試行回数を返しません。ロックを避けるため PIN は送信しませんでした。",
                "The card does not report the remaining PIN tries; the PIN was not sent, to avoid locking the card.",
            ),
            CardError::Status { command, sw } => sw_text(command, *sw),
            CardError::Directory { file, detail } => Text::new(
                format!("カードの管理情報（{file}）を読み取れません: {detail}"),
                format!("The card's directory file {file} cannot be read: {detail}"),
            ),
            CardError::Certificate { detail } => Text::new(
                format!("カード内の証明書を読み取れません: {detail}"),
                format!("The certificate on the card cannot be read: {detail}"),
            ),
            CardError::BadSignature => Text::new(
                "カードが返した署名がカードの証明書で検証できません。署名は使用しません。",
                "The signature returned by the card does not verify with the card's certificate; it is not used.",
            ),
            CardError::Protocol { detail } => Text::new(
                format!("カードから想定外の応答がありました: {detail}"),
                format!("Unexpected response from the card: {detail}"),
            ),
            CardError::Pcsc { operation, source } => Text::new(
                format!("カードリーダーとの通信に失敗しました（{operation}: {source}）。"),
                format!("Communication with the card reader failed ({operation}: {source})."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_map_to_typed_errors() {
        assert!(matches!(
            CardError::from_sw("VERIFY", StatusWord(0x63C3)),
            CardError::WrongPin {
                tries_left: Some(3)
            }
        ));
        assert!(matches!(
            CardError::from_sw("VERIFY", StatusWord(0x6300)),
            CardError::WrongPin { tries_left: None }
        ));
        for sw in [0x6983, 0x6984, 0x63C0] {
            assert!(matches!(
                CardError::from_sw("VERIFY", StatusWord(sw)),
                CardError::PinBlocked
            ));
        }
        let e = CardError::from_sw("READ BINARY", StatusWord(0x6A82));
        assert_eq!(e.code(), "card.status");
        assert!(e.text().ja.contains("見つかりません"));
        assert!(e.text().en.contains("6A 82"));
    }

    #[test]
    fn every_known_status_word_has_a_specific_text() {
        for sw in [
            0x6982, 0x6985, 0x6A82, 0x6A81, 0x6A86, 0x6A80, 0x6A87, 0x6A88, 0x6700, 0x6283, 0x6D00,
        ] {
            let t = sw_text("X", StatusWord(sw));
            assert!(!t.en.contains("returned an error"), "{sw:04X}: {}", t.en);
        }
    }

    #[test]
    fn removal_family_is_card_removed_and_a_reset_is_reported_apart() {
        for e in [pcsc::Error::RemovedCard, pcsc::Error::NotTransacted] {
            assert!(CardError::pcsc("SCardTransmit")(e).is_removal());
        }
        let reset = CardError::pcsc("SCardTransmit")(pcsc::Error::ResetCard);
        assert!(matches!(reset, CardError::CardReset));
        assert!(!reset.is_removal());
        assert!(reset.text().ja.contains("リセット"));
    }

    #[test]
    fn wrong_pin_text_warns_about_locking() {
        let t = CardError::WrongPin {
            tries_left: Some(2),
        }
        .text();
        assert!(t.ja.contains("残り 2 回"));
        assert!(t.en.contains("2 more"));
    }
}
