//! `inkan letter …`: referral letters (HS008 / HS038).

use crate::output::Failure;
use clap::Subcommand;
use inkan_l10n::{Lang, Message};

/// Referral-letter subcommands.
#[derive(Debug, Subcommand)]
pub enum LetterCommand {
    /// Check a letter file (exit code 0 only when valid)
    Check {
        /// The HS008 (XML) or HS038 (JSON) file
        file: std::path::PathBuf,
    },
}

/// Runs a letter subcommand.
pub fn run(command: LetterCommand, _lang: Lang) -> Result<(), Failure> {
    match command {
        LetterCommand::Check { file } => Err(Failure::new(Message {
            code: "letter.unavailable".into(),
            ja: format!("{}: 未実装です", file.display()),
            en: format!("{}: not implemented yet", file.display()),
        })),
    }
}
