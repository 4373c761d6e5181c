//! Japanese-first, bilingual messages for Inkan.
//!
//! Every error a user can meet carries a stable machine code and a text in
//! Japanese and English. Core crates implement [`Localized`] on their error
//! enums; the CLI and the desktop UI only choose the language.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod japan_time;
pub use japan_time::{japan_time, utc_string, JapanTime};

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

/// `s` with every character that can act on a display instead of showing as
/// text written as `\u{XXXX}`: control characters (C0, DEL, C1, which
/// terminals obey), line and paragraph separators, bidirectional controls
/// (which reorder what is read), and invisible formatting, filler and
/// variation characters (which hide or disguise text). Certificates and
/// signature files are attacker-controlled: every text taken from them goes
/// through this before it is shown, in the terminal, the JSON and the
/// window alike. Line feeds are escaped too; see [`escape_display_lines`].
pub fn escape_display(s: &str) -> String {
    escape_where(s, acts_on_display)
}

/// Like [`escape_display`], but keeps line feeds and tabs: for a block of
/// text laid out in lines (a rendered report) as a last line of defence.
pub fn escape_display_lines(s: &str) -> String {
    escape_where(s, |c| c != '\n' && c != '\t' && acts_on_display(c))
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> String {
    if !s.chars().any(&escape) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters of general category Cc, Cf, Zl and Zp, the Hangul and
/// Mongolian fillers and the variation selectors.
fn acts_on_display(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFC}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn text_stays_and_acting_characters_are_escaped() {
        assert_eq!(escape_display("Taro"), "Taro");
        assert_eq!(escape_display("山田 太郎　医師"), "山田 太郎　医師");
        assert_eq!(escape_display("a\u{1b}[31mb"), "a\\u{001B}[31mb");
        assert_eq!(escape_display("x\u{202E}gpj"), "x\\u{202E}gpj");
        assert_eq!(escape_display("\u{9b}2K"), "\\u{009B}2K");
        for c in [
            '\u{2028}',
            '\u{2029}',
            '\u{00AD}',
            '\u{034F}',
            '\u{115F}',
            '\u{3164}',
            '\u{FFA0}',
            '\u{180E}',
            '\u{206A}',
            '\u{FFF9}',
            '\u{FFFC}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{FE0F}',
            '\u{1D173}',
            '\u{200B}',
            '\u{FEFF}',
        ] {
            assert!(!escape_display(&format!("a{c}b")).contains(c), "{c:?}");
        }
        assert_eq!(escape_display_lines("a\nb\u{1b}\tc"), "a\nb\\u{001B}\tc");
        assert_eq!(escape_display("a\nb"), "a\\u{000A}b");
    }
}
