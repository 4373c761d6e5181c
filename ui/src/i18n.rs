//! The UI's own strings: each call site carries both languages, so a missing
//! translation cannot go unnoticed. Errors from the core arrive already
//! translated ([`inkan_l10n::Message`]).

use inkan_l10n::{Lang, Message};

/// Picks the Japanese or English text.
pub fn t(l: Lang, ja: &'static str, en: &'static str) -> &'static str {
    match l {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// A core message in the chosen language.
pub fn msg(l: Lang, m: &Message) -> String {
    match l {
        Lang::Ja => m.ja.clone(),
        Lang::En => m.en.clone(),
    }
}

/// A `{ja, en}` JSON text in the chosen language.
pub fn text(l: Lang, v: &serde_json::Value) -> String {
    let key = if l == Lang::Ja { "ja" } else { "en" };
    v.get(key)
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string()
}
