//! How commands report: one localized failure, printed once by `main`.

use inkan_l10n::{Lang, Localized, Message};

/// A failed command: the localized message and the process exit code.
#[derive(Debug)]
pub struct Failure {
    message: Message,
    exit_code: u8,
}

impl Failure {
    /// A failure with exit code 1.
    pub fn new(message: Message) -> Self {
        Failure {
            message,
            exit_code: 1,
        }
    }

    /// The same failure with another exit code (a verdict, an input error).
    pub fn with_exit_code(mut self, code: u8) -> Self {
        self.exit_code = code;
        self
    }

    /// A failure that has already been reported (the verdicts were printed):
    /// only the exit code remains.
    pub fn silent(code: u8) -> Self {
        Failure {
            message: Message {
                code: String::new(),
                ja: String::new(),
                en: String::new(),
            },
            exit_code: code,
        }
    }

    /// Whether there is nothing more to print.
    pub fn is_silent(&self) -> bool {
        self.message.code.is_empty()
    }

    /// The message.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }

    /// The message in `lang`, followed by its machine code.
    pub fn render(&self, lang: Lang) -> String {
        let text = match lang {
            Lang::Ja => &self.message.ja,
            Lang::En => &self.message.en,
        };
        format!("{text} [{}]", self.message.code)
    }
}

impl<E: Localized> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::new(Message::from(&e))
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        // Serialising plain data structs cannot fail; say so rather than hide it.
        Err(e) => eprintln!("inkan: JSON output failed: {e}"),
    }
}
