//! `inkan letter …`: referral letters (診療情報提供書) in HS008 (CDA XML) and
//! HS038 (FHIR JSON), and referral packages.
//!
//! - `new`: a letter from a form (`--from FORM.json`, see docs/letter-form.md)
//!   or the built-in example (`--example`), as HS008, HS038 or the form itself;
//! - `show`: the plain-text view (Japanese headings), of a letter or a package;
//! - `check`: every problem, each naming the element and the rule; exit code 0
//!   only when valid;
//! - `package create` / `package check`: the zip a clinic sends.
//!
//! Every output file is written atomically (never a partial file) and an
//! existing file is only replaced with `--force`.

use crate::output::{print_json, Failure};
use clap::{Subcommand, ValueEnum};
use inkan_l10n::{Lang, Localized, Message, Text};
use inkan_referral::package::{OpenedPackage, Package, PackageError};
use inkan_referral::render::{render_html, render_text};
use inkan_referral::{
    detect, hs008, hs038, write_atomic, write_atomic_with, Format, ReferralLetter, WriteError,
};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Referral-letter subcommands.
#[derive(Debug, Subcommand)]
pub enum LetterCommand {
    /// Create a letter from a form (JSON) or the built-in example
    New {
        /// The form: the letter's items as JSON (see docs/letter-form.md)
        #[arg(
            long,
            value_name = "FORM.json",
            required_unless_present = "example",
            conflicts_with = "example"
        )]
        from: Option<PathBuf>,
        /// Use a complete, realistic example letter (fictional people)
        #[arg(long)]
        example: bool,
        /// Output format: hs008 (CDA XML), hs038 (FHIR JSON) or form (the form JSON)
        #[arg(long, value_enum)]
        format: OutputFormat,
        /// The file to write
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the output file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Show a letter (HS008/HS038) or a referral package as text
    Show {
        /// The letter or package file
        file: PathBuf,
        /// Print the HTML view instead of text
        #[arg(long)]
        html: bool,
    },
    /// The letter (HS008/HS038, or a package's letter) as an A4 PDF/A-2b in Japanese, as the views show it
    Pdf {
        /// The letter or package file
        file: PathBuf,
        /// The PDF to write
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the output file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Check a letter or package (exit code 0 only when valid)
    Check {
        /// The HS008 (XML) or HS038 (JSON) file, or a referral package (zip)
        file: PathBuf,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Referral packages: the letter, its attachments and a manifest in one zip
    Package {
        #[command(subcommand)]
        command: PackageCommand,
    },
}

/// Package subcommands.
#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Create a package from a letter and its attachments (PDF/JPEG/PNG)
    Create {
        /// The letter (HS008 or HS038), exactly as it will be signed
        #[arg(long, value_name = "FILE")]
        letter: PathBuf,
        /// An attachment; repeat for several (names must match the letter's 添付 list)
        #[arg(long = "attach", value_name = "FILE")]
        attach: Vec<PathBuf>,
        /// The package file to write (.zip)
        #[arg(long, value_name = "PKG.zip")]
        out: PathBuf,
        /// Replace the output file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Verify a package: hashes, file list, attachments, the letter
    Check {
        /// The package (.zip)
        file: PathBuf,
    },
}

/// What `letter new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// HS008: HL7 CDA R2 XML
    Hs008,
    /// HS038: HL7 FHIR JP_Bundle_eReferral JSON
    Hs038,
    /// The form JSON (input of --from)
    Form,
}

/// The largest form file read: 1 MiB.
const MAX_FORM_BYTES: u64 = 1024 * 1024;

/// CLI-level failures of the letter commands.
#[derive(Debug)]
enum LetterError {
    Read { path: String, reason: String },
    TooLarge { path: String, limit: u64 },
    Write { path: String, reason: String },
    Exists { path: String },
    Form { path: String, reason: String },
    FileName { path: String },
    Invalid { count: usize },
}

impl Localized for LetterError {
    fn code(&self) -> &'static str {
        match self {
            LetterError::Read { .. } => "letter.io.read",
            LetterError::TooLarge { .. } => "letter.io.too_large",
            LetterError::Write { .. } => "letter.io.write",
            LetterError::Exists { .. } => "letter.io.exists",
            LetterError::Form { .. } => "letter.form",
            LetterError::FileName { .. } => "letter.io.file_name",
            LetterError::Invalid { .. } => "letter.invalid",
        }
    }

    fn text(&self) -> Text {
        match self {
            LetterError::Read { path, reason } => Text::new(
                format!("{path}: 読み込めません（{reason}）"),
                format!("{path}: cannot read ({reason})"),
            ),
            LetterError::TooLarge { path, limit } => Text::new(
                format!("{path}: 大きすぎます（上限{limit}バイト）"),
                format!("{path}: too large (at most {limit} bytes)"),
            ),
            LetterError::Write { path, reason } => Text::new(
                format!("{path}: 書き込めません（{reason}）"),
                format!("{path}: cannot write ({reason})"),
            ),
            LetterError::Exists { path } => Text::new(
                format!("{path}: すでに存在します（上書きするには --force）"),
                format!("{path}: already exists (use --force to replace it)"),
            ),
            LetterError::Form { path, reason } => Text::new(
                format!("{path}: 記入フォーム（JSON）として読めません（{reason}）。docs/letter-form.md を参照してください"),
                format!("{path}: not a valid letter form ({reason}); see docs/letter-form.md"),
            ),
            LetterError::FileName { path } => Text::new(
                format!("{path}: ファイル名を取得できません"),
                format!("{path}: no usable file name"),
            ),
            LetterError::Invalid { count } => Text::new(
                format!("{count}件の問題があります"),
                format!("{count} problem(s) found"),
            ),
        }
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Reads a file, refusing more than `limit` bytes without reading them all.
fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, LetterError> {
    let read_err = |e: std::io::Error| LetterError::Read {
        path: display(path),
        reason: e.to_string(),
    };
    let file = File::open(path).map_err(read_err)?;
    let mut data = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(read_err)?;
    if data.len() as u64 > limit {
        return Err(LetterError::TooLarge {
            path: display(path),
            limit,
        });
    }
    Ok(data)
}

fn write_output(path: &Path, bytes: &[u8], force: bool) -> Result<(), LetterError> {
    if !force && path.exists() {
        return Err(LetterError::Exists {
            path: display(path),
        });
    }
    write_atomic(path, bytes).map_err(|e| LetterError::Write {
        path: display(path),
        reason: e.to_string(),
    })
}

fn say(lang: Lang, ja: &str, en: &str) -> String {
    match lang {
        Lang::Ja => ja.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn format_name(format: Format, lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => format.name_ja(),
        Lang::En => format.name_en(),
    }
}

/// Prints problems (one per line) on stderr, in `lang`.
fn eprint_problems<L: Localized>(problems: &[L], lang: Lang) {
    for p in problems {
        eprintln!("  - {} [{}]", p.text().get(lang), p.code());
    }
}

/// Runs a letter subcommand.
pub fn run(command: LetterCommand, lang: Lang) -> Result<(), Failure> {
    match command {
        LetterCommand::New {
            from,
            example,
            format,
            out,
            force,
        } => new(from.as_deref(), example, format, &out, force, lang),
        LetterCommand::Show { file, html } => show(&file, html, lang),
        LetterCommand::Check { file, json } => check(&file, json, lang),
        LetterCommand::Pdf { file, out, force } => pdf(&file, &out, force, lang),
        LetterCommand::Package { command } => match command {
            PackageCommand::Create {
                letter,
                attach,
                out,
                force,
            } => package_create(&letter, &attach, &out, force, lang),
            PackageCommand::Check { file } => check(&file, false, lang),
        },
    }
}

fn new(
    from: Option<&Path>,
    example: bool,
    format: OutputFormat,
    out: &Path,
    force: bool,
    lang: Lang,
) -> Result<(), Failure> {
    let letter = match (from, example) {
        (Some(path), _) => {
            let bytes = read_file(path, MAX_FORM_BYTES)?;
            serde_json::from_slice::<ReferralLetter>(&bytes).map_err(|e| LetterError::Form {
                path: display(path),
                reason: e.to_string(),
            })?
        }
        (None, _) if example => ReferralLetter::example(),
        // clap requires one of them; keep a clear message should that change.
        (None, _) => {
            return Err(Failure::new(Message {
                code: "letter.form".into(),
                ja: "--from FORM.json か --example を指定してください".into(),
                en: "give --from FORM.json or --example".into(),
            }))
        }
    };
    let written: Result<Vec<u8>, WriteError> = match format {
        OutputFormat::Hs008 => hs008::write(&letter),
        OutputFormat::Hs038 => hs038::write(&letter),
        OutputFormat::Form => {
            let normalized = letter.normalized();
            let problems = normalized.validate();
            if problems.is_empty() {
                let mut v = serde_json::to_vec_pretty(&normalized).unwrap_or_default();
                v.push(b'\n');
                Ok(v)
            } else {
                Err(WriteError::Invalid { problems })
            }
        }
    };
    let bytes = match written {
        Ok(b) => b,
        Err(e) => {
            eprint_problems(e.problems(), lang);
            return Err(e.into());
        }
    };
    write_output(out, &bytes, force)?;
    println!(
        "{}",
        match (lang, format) {
            (Lang::Ja, OutputFormat::Form) =>
                format!("記入フォームを書き出しました: {}", out.display()),
            (Lang::En, OutputFormat::Form) => format!("wrote the form: {}", out.display()),
            (_, OutputFormat::Hs008) =>
                format!("{}: {}", format_name(Format::Hs008, lang), out.display()),
            (_, OutputFormat::Hs038) =>
                format!("{}: {}", format_name(Format::Hs038, lang), out.display()),
        }
    );
    Ok(())
}

/// A letter read whole (bounded), or a package opened from its file.
enum Loaded {
    Package(Box<Result<OpenedPackage, PackageError>>),
    Other(Format, Vec<u8>),
}

/// A zip file is opened in one pass from the file, its attachments hashed
/// as they are inflated and never held (scans run to hundreds of
/// megabytes); anything else is read whole, within the package limit.
fn load(path: &Path) -> Result<Loaded, Failure> {
    let mut head = [0u8; 4];
    let zip = std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
        && head == *b"PK\x03\x04";
    if zip {
        return Ok(Loaded::Package(Box::new(
            Package::inspect_file(path).opened,
        )));
    }
    let (format, bytes) = read_any(path)?;
    Ok(match format {
        Format::Package => Loaded::Package(Box::new(Package::open(&bytes))),
        _ => Loaded::Other(format, bytes),
    })
}

fn read_any(path: &Path) -> Result<(Format, Vec<u8>), Failure> {
    let limit = inkan_referral::package::MAX_PACKAGE_BYTES as u64;
    let bytes = read_file(path, limit)?;
    let format = detect(&bytes)?;
    Ok((format, bytes))
}

fn package_summary(p: &OpenedPackage, lang: Lang) {
    println!(
        "{}",
        say(
            lang,
            "パッケージの内容（SHA-256はマニフェストと一致）:",
            "package contents (SHA-256 verified against the manifest):"
        )
    );
    for f in &p.manifest().files {
        println!(
            "  {}  {}  {} bytes  {}",
            f.name, f.media_type, f.size, f.sha256
        );
    }
    println!(
        "{}",
        match (lang, p.signature().is_some()) {
            (Lang::Ja, true) => "署名: manifest.json.p7s あり（署名の検証は別コマンド）",
            (Lang::Ja, false) => "署名: なし",
            (Lang::En, true) =>
                "signature: manifest.json.p7s present (verified by a separate command)",
            (Lang::En, false) => "signature: none",
        }
    );
}

/// `inkan letter pdf`: the letter as the views show it, in a PDF/A-2b file
/// written atomically.
fn pdf(path: &Path, out: &Path, force: bool, lang: Lang) -> Result<(), Failure> {
    let letter = match load(path)? {
        Loaded::Package(opened) => {
            let p = (*opened).map_err(|e: PackageError| {
                eprint_problems(&e.problems(), lang);
                Failure::from(e)
            })?;
            p.document().letter.clone()
        }
        Loaded::Other(_, bytes) => {
            inkan_referral::check(&bytes)
                .inspect_err(|e| eprint_problems(e.problems(), lang))?
                .letter
        }
    };
    let (_, font) = inkan_pdf::find_font()?;
    let bytes = inkan_pdf::letter_pdf(&letter, &font)?;
    write_output(out, &bytes, force)?;
    Ok(())
}

fn show(path: &Path, html: bool, lang: Lang) -> Result<(), Failure> {
    let (letter, problems) = match load(path)? {
        Loaded::Package(opened) => {
            let p = (*opened).map_err(|e: PackageError| {
                eprint_problems(&e.problems(), lang);
                Failure::from(e)
            })?;
            if !html {
                package_summary(&p, lang);
                println!();
            }
            (p.document().letter.clone(), p.problems().len())
        }
        Loaded::Other(_, bytes) => {
            let checked = inkan_referral::check(&bytes)
                .inspect_err(|e| eprint_problems(e.problems(), lang))?;
            (checked.letter, checked.problems.len())
        }
    };
    if html {
        print!("{}", render_html(&letter));
    } else {
        print!("{}", render_text(&letter));
    }
    if problems > 0 {
        eprintln!(
            "{}",
            match lang {
                Lang::Ja => format!("注意: この文書には{problems}件の問題があります（inkan letter check で確認できます）"),
                Lang::En => format!("note: this document has {problems} problem(s) (see inkan letter check)"),
            }
        );
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct CheckJson {
    format: Format,
    valid: bool,
    problems: Vec<Message>,
}

fn check(path: &Path, json: bool, lang: Lang) -> Result<(), Failure> {
    let loaded = load(path)?;
    let format = match &loaded {
        Loaded::Package(_) => Format::Package,
        Loaded::Other(f, _) => *f,
    };
    let problems: Vec<Message> = match loaded {
        Loaded::Package(opened) => {
            let p = match *opened {
                Ok(p) => p,
                Err(e) => return Err(report_fatal(format, json, lang, &e, &e.problems())),
            };
            if !json {
                println!(
                    "{}: {}",
                    say(lang, "形式", "format"),
                    format_name(format, lang)
                );
                println!(
                    "{}: {}",
                    say(lang, "診療情報提供書", "letter"),
                    format_name(p.document().format, lang)
                );
                package_summary(&p, lang);
            }
            p.problems().iter().map(Message::from).collect()
        }
        Loaded::Other(_, bytes) => {
            let checked = match inkan_referral::check(&bytes) {
                Ok(c) => c,
                Err(e) => return Err(report_fatal(format, json, lang, &e, e.problems())),
            };
            if !json {
                println!(
                    "{}: {}",
                    say(lang, "形式", "format"),
                    format_name(checked.format, lang)
                );
            }
            checked.problems.iter().map(Message::from).collect()
        }
    };
    finish(format, json, lang, problems)
}

fn report_fatal<E: Localized, P: Localized>(
    format: Format,
    json: bool,
    lang: Lang,
    error: &E,
    problems: &[P],
) -> Failure {
    if json {
        let mut all: Vec<Message> = problems.iter().map(Message::from).collect();
        if all.is_empty() {
            all.push(Message::from(error));
        }
        print_json(&CheckJson {
            format,
            valid: false,
            problems: all,
        });
    } else {
        println!(
            "{}: {}",
            say(lang, "形式", "format"),
            format_name(format, lang)
        );
        for p in problems {
            println!("  - {} [{}]", p.text().get(lang), p.code());
        }
    }
    Failure::new(Message::from(error))
}

fn finish(format: Format, json: bool, lang: Lang, problems: Vec<Message>) -> Result<(), Failure> {
    let count = problems.len();
    if json {
        print_json(&CheckJson {
            format,
            valid: count == 0,
            problems,
        });
    } else if count == 0 {
        println!(
            "{}",
            say(lang, "問題はありません。", "valid: no problems found.")
        );
    } else {
        println!(
            "{}",
            say(
                lang,
                &format!("問題 {count} 件:"),
                &format!("{count} problem(s):")
            )
        );
        for p in &problems {
            let text = match lang {
                Lang::Ja => &p.ja,
                Lang::En => &p.en,
            };
            println!("  - {text} [{}]", p.code);
        }
    }
    if count == 0 {
        Ok(())
    } else {
        Err(LetterError::Invalid { count }.into())
    }
}

fn package_create(
    letter_path: &Path,
    attach: &[PathBuf],
    out: &Path,
    force: bool,
    lang: Lang,
) -> Result<(), Failure> {
    let name_of = |p: &Path| -> Result<String, LetterError> {
        p.file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
            .ok_or_else(|| LetterError::FileName { path: display(p) })
    };
    let letter = read_file(letter_path, inkan_referral::MAX_LETTER_BYTES as u64)?;
    let mut attachments = Vec::new();
    for a in attach {
        attachments.push((name_of(a)?, a.clone()));
    }
    // Attachments are hashed from their files and copied from them again
    // into the zip, never held whole (scans run to hundreds of megabytes).
    let prepared = match Package::prepare_from_files(&name_of(letter_path)?, &letter, &attachments)
    {
        Ok(p) => p,
        Err(e) => {
            eprint_problems(&e.problems(), lang);
            return Err(e.into());
        }
    };
    if !force && out.exists() {
        return Err(LetterError::Exists { path: display(out) }.into());
    }
    write_atomic_with(out, |f| {
        prepared
            .write_unsigned(f)
            .map(drop)
            .map_err(|e| std::io::Error::other(e.to_string()))
    })
    .map_err(|e| LetterError::Write {
        path: display(out),
        reason: e.to_string(),
    })?;
    println!(
        "{}",
        match lang {
            Lang::Ja => format!(
                "紹介状パッケージを作成しました: {}（添付{}件）",
                out.display(),
                attachments.len()
            ),
            Lang::En => format!(
                "wrote the referral package: {} ({} attachment(s))",
                out.display(),
                attachments.len()
            ),
        }
    );
    Ok(())
}
