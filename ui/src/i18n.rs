//! The UI's own strings. Errors from the core arrive already translated
//! ([`inkan_l10n::Message`]).

use inkan_l10n::Lang;

/// A UI string.
#[derive(Debug, Clone, Copy)]
pub enum Key {
    Subtitle,
    Toggle,
    ToggleLabel,
    ReadersHeading,
    Loading,
    NoReaders,
    CardPresent,
    NoCard,
    InUse,
    Refresh,
    Version,
    Footer,
}

pub fn tr(lang: Lang, key: Key) -> &'static str {
    use Key::*;
    match (lang, key) {
        (Lang::Ja, Subtitle) => "HPKIカードによる医療文書の電子署名と検証",
        (Lang::En, Subtitle) => "HPKI card signatures for healthcare documents",
        // The toggle names the language it switches to.
        (Lang::Ja, Toggle) => "English",
        (Lang::En, Toggle) => "日本語",
        (Lang::Ja, ToggleLabel) => "表示言語を英語に切り替える",
        (Lang::En, ToggleLabel) => "Switch the display language to Japanese",
        (Lang::Ja, ReadersHeading) => "カードとリーダー",
        (Lang::En, ReadersHeading) => "Card and reader",
        (Lang::Ja, Loading) => "確認中…",
        (Lang::En, Loading) => "Checking…",
        (Lang::Ja, NoReaders) => "カードリーダーが見つかりません",
        (Lang::En, NoReaders) => "No card reader found",
        (Lang::Ja, CardPresent) => "カードあり",
        (Lang::En, CardPresent) => "Card inserted",
        (Lang::Ja, NoCard) => "カードなし",
        (Lang::En, NoCard) => "No card",
        (Lang::Ja, InUse) => "他のアプリが使用中",
        (Lang::En, InUse) => "In use by another application",
        (Lang::Ja, Refresh) => "再確認",
        (Lang::En, Refresh) => "Check again",
        (Lang::Ja, Version) => "バージョン",
        (Lang::En, Version) => "Version",
        (Lang::Ja, Footer) => "文書の検証はこの端末内だけで行います。",
        (Lang::En, Footer) => "Documents are verified on this computer only.",
    }
}
