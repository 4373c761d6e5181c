//! `inkan`: the command-line face of Inkan's core.
//!
//! Exit codes: 0 success, 1 the operation failed (a message says why),
//! 2 usage error (from clap).
#![forbid(unsafe_code)]

mod card;
mod letter;
mod output;
mod testpki;

use clap::{Parser, Subcommand, ValueEnum};
use inkan_l10n::Lang;
use output::{print_json, Failure};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "inkan",
    version,
    about = "Inkan (印鑑): HPKI signatures for Japanese healthcare documents",
    long_about = "Inkan (印鑑): HPKI IC card signatures for Japanese healthcare documents.\n\
                  保健医療福祉分野PKI（HPKI）カードによる医療文書の電子署名と検証。"
)]
struct Cli {
    /// Message language (default: from LANG, else Japanese)
    #[arg(long, global = true, value_enum)]
    lang: Option<LangArg>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    Ja,
    En,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version of Inkan
    Version,
    /// List the PC/SC card readers and whether a card is inserted
    Readers {
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Show the shipped trust anchors and their SHA-256 fingerprints
    Trust {
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// The HPKI card: status, certificates, PIN tries, signing diagnostics
    Card {
        #[command(subcommand)]
        command: card::CardCommand,
    },
    /// Generate a TEST PKI mirroring the HPKI profile (for tests and the demo card)
    Testpki {
        #[command(subcommand)]
        command: testpki::TestpkiCommand,
    },
    /// Referral letters (診療情報提供書): create, show and check HS008 / HS038 files
    Letter {
        #[command(subcommand)]
        command: letter::LetterCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = match cli.lang {
        Some(LangArg::Ja) => Lang::Ja,
        Some(LangArg::En) => Lang::En,
        None => Lang::from_env(),
    };
    let result = match cli.command {
        Command::Version => {
            println!("inkan {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Readers { json } => readers(lang, json),
        Command::Trust { json } => trust(lang, json),
        Command::Letter { command } => letter::run(command, lang),
        Command::Card { command } => card::run(command, lang),
        Command::Testpki { command } => testpki::run(command, lang),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("inkan: {}", failure.render(lang));
            ExitCode::from(failure.exit_code())
        }
    }
}

fn readers(lang: Lang, json: bool) -> Result<(), Failure> {
    let readers = inkan_card::list_readers()?;
    if json {
        print_json(&readers);
        return Ok(());
    }
    if readers.is_empty() {
        println!(
            "{}",
            match lang {
                Lang::Ja => "カードリーダーが見つかりません",
                Lang::En => "No card reader found",
            }
        );
        return Ok(());
    }
    for r in &readers {
        let state = match (lang, r.card_present) {
            (Lang::Ja, true) => "カードあり",
            (Lang::Ja, false) => "カードなし",
            (Lang::En, true) => "card present",
            (Lang::En, false) => "no card",
        };
        match &r.atr {
            Some(atr) => println!("{}\t{state}\tATR {atr}", r.name),
            None => println!("{}\t{state}", r.name),
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct AnchorJson {
    file: &'static str,
    role: inkan_trust::CaRole,
    subject: String,
    sha256: String,
}

fn trust(lang: Lang, json: bool) -> Result<(), Failure> {
    inkan_trust::anchors::check_shipped()?;
    let mut rows = Vec::new();
    for c in inkan_trust::shipped() {
        rows.push(AnchorJson {
            file: c.file,
            role: c.role,
            subject: c.subject()?,
            sha256: c.fingerprint(),
        });
    }
    if json {
        print_json(&rows);
        return Ok(());
    }
    for r in rows {
        let role = match (lang, r.role) {
            (Lang::Ja, inkan_trust::CaRole::Anchor) => "トラストアンカー（ルート）",
            (Lang::Ja, inkan_trust::CaRole::SigningCa) => "署名用発行CA",
            (Lang::Ja, _) => "認証用発行CA（文書署名には不可）",
            (Lang::En, inkan_trust::CaRole::Anchor) => "trust anchor (root)",
            (Lang::En, inkan_trust::CaRole::SigningCa) => "signing issuing CA",
            (Lang::En, _) => "authentication issuing CA (not for documents)",
        };
        println!(
            "{}\n  {role}\n  {}\n  SHA-256 {}",
            r.file, r.subject, r.sha256
        );
    }
    Ok(())
}
