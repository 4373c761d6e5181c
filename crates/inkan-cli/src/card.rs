//! `inkan card …`: the HPKI card in a PC/SC reader.

use crate::output::{print_json, Failure};
use clap::Subcommand;
use inkan_card::{LastTry, PcscCard, Pin, PinStatus};
use inkan_l10n::Lang;
use sha2::Digest;
use std::io::BufRead;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Card subcommands.
#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Reader, card, holder, qualification and validity (no PIN needed)
    Status {
        /// Reader name (default: the first reader with a card)
        #[arg(long)]
        reader: Option<String>,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Print (or save) the certificates on the card
    Certs {
        /// Reader name (default: the first reader with a card)
        #[arg(long)]
        reader: Option<String>,
        /// Write signing.pem and ca-N.pem into this directory
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Remaining PIN tries (spends no try)
    PinStatus {
        /// Reader name (default: the first reader with a card)
        #[arg(long)]
        reader: Option<String>,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Diagnostics: sign a fixed digest and check it against the card's certificate
    SignDigest {
        /// Reader name (default: the first reader with a card)
        #[arg(long)]
        reader: Option<String>,
        /// Read the PIN from the first line of standard input (no prompt)
        #[arg(long)]
        pin_stdin: bool,
        /// Allow using the last PIN try (a wrong PIN then locks the card)
        #[arg(long)]
        confirm_last_try: bool,
    },
}

/// Reads the PIN: one line of stdin, or a no-echo prompt. Never an argument.
pub fn read_pin(from_stdin: bool, lang: Lang) -> Result<Pin, Failure> {
    let raw = if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| io_failure("stdin", &e))?;
        line
    } else {
        let prompt = match lang {
            Lang::Ja => "PIN（4〜16文字、表示されません）: ",
            Lang::En => "PIN (4-16 characters, not shown): ",
        };
        Zeroizing::new(rpassword::prompt_password(prompt).map_err(|e| io_failure("tty", &e))?)
    };
    Ok(Pin::new(raw)?)
}

fn io_failure(what: &str, e: &std::io::Error) -> Failure {
    Failure::new(inkan_l10n::Message {
        code: "io.read".into(),
        ja: format!("入出力に失敗しました（{what}: {e}）"),
        en: format!("Input/output failed ({what}: {e})"),
    })
}

fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The PIN state as a line of text.
pub fn tries_text(lang: Lang, s: PinStatus) -> String {
    match (lang, s) {
        (Lang::Ja, PinStatus::Tries { tries_left }) => format!("PIN 残り試行回数: {tries_left}"),
        (Lang::En, PinStatus::Tries { tries_left }) => format!("PIN tries left: {tries_left}"),
        (Lang::Ja, PinStatus::Verified) => "PIN 照合済み".into(),
        (Lang::En, PinStatus::Verified) => "PIN verified".into(),
        (Lang::Ja, PinStatus::Unknown) => "PIN 残り試行回数: 不明".into(),
        (Lang::En, PinStatus::Unknown) => "PIN tries left: unknown".into(),
        (Lang::Ja, PinStatus::Blocked) => "PIN はロックされています".into(),
        (Lang::En, PinStatus::Blocked) => "PIN is locked".into(),
    }
}

/// Runs a card subcommand.
pub fn run(command: CardCommand, lang: Lang) -> Result<(), Failure> {
    match command {
        CardCommand::Status { reader, json } => {
            let mut card = PcscCard::new(reader.as_deref())?;
            let opened = card.open()?.clone();
            let h = &opened.holder;
            if json {
                print_json(&serde_json::json!({
                    "reader": opened.reader,
                    "atr": opened.atr,
                    "layout": opened.layout,
                    "holder": h,
                }));
                return Ok(());
            }
            let role = h
                .role
                .as_ref()
                .map(|r| match lang {
                    Lang::Ja => r.display_ja().to_string(),
                    Lang::En => r.text.clone(),
                })
                .unwrap_or_else(|| "-".into());
            let (l_reader, l_holder, l_role, l_issuer, l_valid) = match lang {
                Lang::Ja => ("リーダー", "名義", "資格", "発行者", "有効期間"),
                Lang::En => ("Reader", "Holder", "Qualification", "Issuer", "Valid"),
            };
            if h.is_test {
                println!("*** TEST ***");
            }
            println!("{l_reader}: {} (ATR {})", opened.reader, opened.atr);
            match &h.name_kanji {
                Some(k) => println!("{l_holder}: {k} ({})", h.name),
                None => println!("{l_holder}: {}", h.name),
            }
            println!("{l_role}: {role}");
            println!("{l_issuer}: {}", h.issuer_short);
            println!("{l_valid}: {} – {}", h.not_before, h.not_after);
            Ok(())
        }
        CardCommand::Certs { reader, out } => {
            let mut card = PcscCard::new(reader.as_deref())?;
            let opened = card.open()?.clone();
            let mut files = vec![("signing.pem".to_string(), opened.certificate.clone())];
            for (i, c) in opened.ca_certificates.iter().enumerate() {
                files.push((format!("ca-{}.pem", i + 1), c.clone()));
            }
            match out {
                Some(dir) => {
                    std::fs::create_dir_all(&dir).map_err(|e| io_failure("mkdir", &e))?;
                    for (name, der) in files {
                        let path = dir.join(&name);
                        inkan_referral::write_atomic(&path, pem(&der).as_bytes())
                            .map_err(|e| io_failure("write", &e))?;
                        println!("{}", path.display());
                    }
                }
                None => files.iter().for_each(|(_, der)| print!("{}", pem(der))),
            }
            Ok(())
        }
        CardCommand::PinStatus { reader, json } => {
            let mut card = PcscCard::new(reader.as_deref())?;
            let status = card.pin_status()?;
            if json {
                print_json(&status);
            } else {
                println!("{}", tries_text(lang, status));
            }
            Ok(())
        }
        CardCommand::SignDigest {
            reader,
            pin_stdin,
            confirm_last_try,
        } => {
            let mut card = PcscCard::new(reader.as_deref())?;
            let status = card.pin_status()?;
            eprintln!("{}", tries_text(lang, status));
            let pin = read_pin(pin_stdin, lang)?;
            let digest: [u8; 32] = sha2::Sha256::digest(b"Inkan card diagnostics").into();
            let last = if confirm_last_try {
                LastTry::Confirmed
            } else {
                LastTry::NotConfirmed
            };
            let sig = card.sign_sha256(&pin, last, &digest)?;
            match lang {
                Lang::Ja => println!(
                    "署名はカードの証明書で検証できました（{} バイト、APDU {} 回）。",
                    sig.signature.len(),
                    sig.apdus
                ),
                Lang::En => println!(
                    "The signature verifies with the card's certificate ({} bytes, {} APDUs).",
                    sig.signature.len(),
                    sig.apdus
                ),
            }
            Ok(())
        }
    }
}
