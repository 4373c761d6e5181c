//! Japanese-first, bilingual messages for Inkan.
//!
//! Every error a user can meet carries a stable machine code and a text in
//! Japanese and English. Core crates implement [`Localized`] on their error
//! enums; the CLI and the desktop UI only choose the language.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use serde::{Deserialize, Serialize};
use std::fmt;

/// The display language. Japanese is the default: Inkan's users are
/// Japanese clinicians; English is for support and foreign staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 日本語
    #[default]
    Ja,
    /// English
    En,
}

impl Lang {
    /// Parses `ja`/`en` (case-insensitive, also `ja_JP.UTF-8` style locale strings).
    pub fn parse(s: &str) -> Option<Self> {
        let lower = s.trim().to_ascii_lowercase();
        if lower.starts_with("ja") {
            Some(Lang::Ja)
        } else if lower.starts_with("en") || lower == "c" || lower == "posix" {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks the language from the usual locale variables (`LC_ALL`, `LC_MESSAGES`,
    /// `LANG`), falling back to Japanese.
    pub fn from_env() -> Self {
        ["INKAN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .filter(|v| !v.is_empty())
            .find_map(|v| Lang::parse(&v))
            .unwrap_or_default()
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// Japanese text.
    pub ja: String,
    /// English text.
    pub en: String,
}

impl Text {
    /// Builds a text from its two translations.
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            ja: ja.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.ja, self.en)
    }
}

/// An error or status that can be shown to a user.
pub trait Localized {
    /// A stable, dotted machine code (`pcsc.no_service`), for logs, JSON and tests.
    fn code(&self) -> &'static str;
    /// The message in both languages, with the context that helps the user act.
    fn text(&self) -> Text;
}

/// The serialisable form of a [`Localized`] error, as the UI and `--json` outputs carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Stable machine code.
    pub code: String,
    /// Japanese text.
    pub ja: String,
    /// English text.
    pub en: String,
}

impl<T: Localized + ?Sized> From<&T> for Message {
    fn from(e: &T) -> Self {
        let Text { ja, en } = e.text();
        Message {
            code: e.code().to_owned(),
            ja,
            en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_strings_select_the_language() {
        assert_eq!(Lang::parse("ja_JP.UTF-8"), Some(Lang::Ja));
        assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("C"), Some(Lang::En));
        assert_eq!(Lang::parse("fr_FR"), None);
        assert_eq!(Lang::default(), Lang::Ja);
    }

    #[test]
    fn text_picks_the_requested_language() {
        let t = Text::new("カードがありません", "No card");
        assert_eq!(t.get(Lang::Ja), "カードがありません");
        assert_eq!(t.get(Lang::En), "No card");
    }
}
