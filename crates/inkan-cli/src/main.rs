//! `inkan`: the command-line face of Inkan's core.
//!
//! Exit codes: 0 success, 1 the operation failed (a message says why),
//! 2 usage error (from clap).
#![forbid(unsafe_code)]

mod audit;
mod card;
mod letter;
mod output;
mod send;
mod signature;
#[cfg(feature = "dev-tools")]
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PathProfile {
    Hpki,
    Rfc5280,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version of Inkan
    Version,
    /// The tamper-evident signing log (every signature and verification)
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
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
    #[cfg(feature = "dev-tools")]
    Testpki {
        #[command(subcommand)]
        command: testpki::TestpkiCommand,
    },
    /// Sign a file with the HPKI card (CAdES, detached FILE.p7s by default)
    Sign {
        /// The document to sign
        file: std::path::PathBuf,
        /// Encapsulate the document in the signature (FILE.p7m)
        #[arg(long)]
        attached: bool,
        /// Where to write the signature
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Read the PIN from the first line of standard input (no prompt)
        #[arg(long)]
        pin_stdin: bool,
        /// Reader name (default: the first reader with a card)
        #[arg(long)]
        reader: Option<String>,
        /// Allow using the last PIN try (a wrong PIN then locks the card)
        #[arg(long)]
        confirm_last_try: bool,
        /// Replace an existing signature file
        #[arg(long)]
        force: bool,
        /// Signature level: B (no time-stamp) or T (with a signature time-stamp); default T when a TSA is configured, else B with a warning
        #[arg(long, value_enum)]
        level: Option<signature::Level>,
        /// Time-stamp authority URL (default: the settings' tsa.json)
        #[arg(long)]
        tsa: Option<String>,
        /// A time-stamp authority trust anchor for this run (PEM or DER), repeatable
        #[arg(long = "tsa-trust", value_name = "CERT")]
        tsa_trust: Vec<std::path::PathBuf>,
        /// Trust store for the LT validation data: default (the pinned MHLW root) or test:DIR
        #[arg(long, default_value = "default")]
        trust: String,
        /// Long-term form: en (EN 319 122-1 B-LT/B-LTA) or jp (JIS X 5092 ES-X-Long/ES-A)
        #[arg(long, value_enum, default_value = "en")]
        form: signature::Form,
    },
    /// Raise an existing signature (from Inkan or anyone else) to a higher level, atomically
    Augment {
        /// The signature file (.p7s / .p7m)
        signature: std::path::PathBuf,
        /// The level to reach: T (signature time-stamp), LT (+ certificates and CRLs), LTA (+ archive time-stamp)
        #[arg(long, value_enum, default_value = "t")]
        level: signature::Level,
        /// Trust store for the LT validation data: default (the pinned MHLW root) or test:DIR
        #[arg(long, default_value = "default")]
        trust: String,
        /// Long-term form: en (EN 319 122-1 B-LT/B-LTA) or jp (JIS X 5092 ES-X-Long/ES-A)
        #[arg(long, value_enum, default_value = "en")]
        form: signature::Form,
        /// The signed document, for a detached signature (checked before anything is added)
        #[arg(long)]
        content: Option<std::path::PathBuf>,
        /// Time-stamp authority URL (default: the settings' tsa.json)
        #[arg(long)]
        tsa: Option<String>,
        /// A time-stamp authority trust anchor for this run (PEM or DER), repeatable
        #[arg(long = "tsa-trust", value_name = "CERT")]
        tsa_trust: Vec<std::path::PathBuf>,
        /// Where to write the result (default: replace SIGNATURE)
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// The long-term archive register: signatures kept verifiable by renewed archive time-stamps
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
    /// Verify signatures (exit: 0 all valid, 1 indeterminate, 3 invalid, 4 unreadable input)
    Verify {
        /// Documents (their FILE.p7s is used) or signature files (.p7s/.p7m)
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// The detached signature of the (single) FILE
        #[arg(long)]
        signature: Option<std::path::PathBuf>,
        /// Trust store: default (the pinned MHLW root) or test:DIR (a TEST PKI)
        #[arg(long, default_value = "default")]
        trust: String,
        /// Validation time (RFC 3339); default: now
        #[arg(long)]
        at: Option<String>,
        /// Do not fetch CRLs over the network (use the signature's and the cache)
        #[arg(long)]
        offline: bool,
        /// Machine-readable report (docs/validation-report.md)
        #[arg(long)]
        json: bool,
        /// Accept any HPKI qualification (default: a referral letter needs 医師 or 歯科医師)
        #[arg(long)]
        any_qualification: bool,
        /// A CRL to use as well (PEM or DER), repeatable; compared with the signature's, the cache's and the distribution point's
        #[arg(long)]
        crl: Vec<std::path::PathBuf>,
        /// A time-stamp authority trust anchor for this run (PEM or DER), repeatable; added to those in the settings
        #[arg(long = "tsa-trust", value_name = "CERT")]
        tsa_trust: Vec<std::path::PathBuf>,
    },
    /// Show a certificate: holder, qualification (hcRole), issuer, validity
    Cert {
        /// PEM or DER certificate file
        file: std::path::PathBuf,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Validate a certificate path (RFC 5280, plus the HPKI checks by default)
    PathValidate {
        /// The end-entity certificate (PEM or DER)
        ee: std::path::PathBuf,
        /// Trust anchor(s)
        #[arg(long, required = true)]
        anchor: Vec<std::path::PathBuf>,
        /// Certificates to build the path from (may include unrelated ones)
        #[arg(long)]
        intermediate: Vec<std::path::PathBuf>,
        /// CRLs (PEM or DER)
        #[arg(long)]
        crl: Vec<std::path::PathBuf>,
        /// Validation time (RFC 3339); default: now
        #[arg(long)]
        at: Option<String>,
        /// hpki (RFC 5280 + HPKI signing-certificate checks) or rfc5280 (standard inputs only)
        #[arg(long, value_enum, default_value_t = PathProfile::Hpki)]
        profile: PathProfile,
        /// Do not fetch CRLs over the network
        #[arg(long)]
        offline: bool,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
        /// user-initial-policy-set (RFC 5280 §6.1.1 (c)): a policy OID, repeatable; default anyPolicy
        #[arg(long = "initial-policy", value_name = "OID")]
        initial_policy: Vec<String>,
        /// initial-explicit-policy (RFC 5280 §6.1.1 (f))
        #[arg(long)]
        explicit_policy: bool,
        /// initial-policy-mapping-inhibit (RFC 5280 §6.1.1 (e))
        #[arg(long)]
        inhibit_policy_mapping: bool,
        /// initial-any-policy-inhibit (RFC 5280 §6.1.1 (g))
        #[arg(long)]
        inhibit_any_policy: bool,
    },
    /// Submit (送信) signed documents: verify, queue in the outbox, deliver to a FHIR server or a shared folder
    Send {
        /// Signed documents (their FILE.p7s beside them) or signed packages
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Destination: a name from destinations.json, fhir:URL[?mode=bundle|mhd] or folder:DIR[?layout=plain|xdm|ssmix2]
        #[arg(long)]
        to: String,
        /// Trust store for the check before queueing: default (the pinned MHLW root) or test:DIR
        #[arg(long, default_value = "default")]
        trust: String,
        /// Queue a document whose signature is indeterminate (判定不能), by explicit choice
        #[arg(long)]
        allow_indeterminate: bool,
        /// Queue only; deliver later with `inkan outbox run`
        #[arg(long)]
        no_deliver: bool,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// The submission outbox: list, deliver, retry
    Outbox {
        #[command(subcommand)]
        command: send::OutboxCommand,
    },
    /// Referral letters (診療情報提供書): create, show and check HS008 / HS038 files
    Letter {
        #[command(subcommand)]
        command: letter::LetterCommand,
    },
}

/// `inkan archive …`.
#[derive(clap::Subcommand, Debug)]
enum ArchiveCommand {
    /// Put signatures under long-term care (the register is archive.sqlite3 in the app's data folder)
    Add {
        /// Signature files (.p7s / .p7m)
        #[arg(required = true)]
        signatures: Vec<std::path::PathBuf>,
        /// The signed document of a single detached signature (needed to renew it)
        #[arg(long)]
        content: Option<std::path::PathBuf>,
        /// A time-stamp authority trust anchor for this run (PEM or DER), repeatable; time-stamps count only when their TSA is trusted
        #[arg(long = "tsa-trust", value_name = "CERT")]
        tsa_trust: Vec<std::path::PathBuf>,
    },
    /// List the signatures under care and when each needs renewing
    Status {
        /// Renewal window in days (default 365)
        #[arg(long, default_value_t = 365)]
        before: u64,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Add an archive time-stamp to every signature whose newest time-stamp's TSA certificate expires within the window
    Renew {
        /// Renewal window in days (default 365)
        #[arg(long, default_value_t = 365)]
        before: u64,
        /// Time-stamp authority URL (default: the settings' tsa.json)
        #[arg(long)]
        tsa: Option<String>,
        /// A time-stamp authority trust anchor for this run (PEM or DER), repeatable
        #[arg(long = "tsa-trust", value_name = "CERT")]
        tsa_trust: Vec<std::path::PathBuf>,
    },
}

/// `inkan audit …`.
#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check every record's hash and link; exit 3 naming the first broken record
    Verify {
        /// The log's folder (default: the data folder shared with the app)
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Write the records of a time range as JSON (default) or CSV
    Export {
        /// From (UTC, RFC 3339 or a prefix: 2026-11-01)
        #[arg(long)]
        from: Option<String>,
        /// To, inclusive (UTC, RFC 3339 or a prefix: 2026-11-30)
        #[arg(long)]
        to: Option<String>,
        /// JSON output (the default)
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// CSV output
        #[arg(long)]
        csv: bool,
        /// The log's folder (default: the data folder shared with the app)
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every signature and verification of this process goes to the
    // signing log shared with the app.
    if let Some(d) = inkan_workflow::settings::data_dir() {
        inkan_workflow::audit::enable(&d);
    }
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
        Command::Audit { command } => match command {
            AuditCommand::Verify { dir, json } => audit::verify(dir, json, lang),
            AuditCommand::Export {
                from,
                to,
                json: _,
                csv,
                dir,
            } => audit::export(dir, from, to, csv),
        },
        Command::Readers { json } => readers(lang, json),
        Command::Trust { json } => trust(lang, json),
        Command::Letter { command } => letter::run(command, lang),
        Command::Send {
            files,
            to,
            trust,
            allow_indeterminate,
            no_deliver,
            json,
        } => send::send(
            &files,
            &to,
            &trust,
            allow_indeterminate,
            no_deliver,
            json,
            lang,
        ),
        Command::Outbox { command } => send::run(command, lang),
        Command::Archive { command } => match command {
            ArchiveCommand::Add {
                signatures,
                content,
                tsa_trust,
            } => signature::archive_add(&signatures, content.as_deref(), &tsa_trust, lang),
            ArchiveCommand::Status { before, json } => {
                signature::archive_status(before, json, lang)
            }
            ArchiveCommand::Renew {
                before,
                tsa,
                tsa_trust,
            } => signature::archive_renew(before, tsa.as_deref(), &tsa_trust, lang),
        },
        Command::Card { command } => card::run(command, lang),
        Command::Sign {
            file,
            attached,
            out,
            pin_stdin,
            reader,
            confirm_last_try,
            force,
            level,
            tsa,
            tsa_trust,
            trust,
            form,
        } => signature::sign(
            &file,
            signature::SignArgs {
                attached,
                out,
                pin_stdin,
                reader: reader.as_deref(),
                confirm_last_try,
                force,
                level,
                tsa: tsa.as_deref(),
                tsa_trust: &tsa_trust,
                trust: &trust,
                form,
            },
            lang,
        ),
        Command::Augment {
            signature,
            level,
            trust,
            form,
            content,
            tsa,
            tsa_trust,
            out,
        } => signature::augment(
            &signature,
            level,
            content.as_deref(),
            tsa.as_deref(),
            &tsa_trust,
            &trust,
            form,
            out.as_deref(),
            lang,
        ),
        Command::Verify {
            files,
            signature,
            trust,
            at,
            offline,
            json,
            any_qualification,
            crl,
            tsa_trust,
        } => signature::verify(
            &files,
            signature.as_deref(),
            &trust,
            at.as_deref(),
            offline,
            json,
            any_qualification,
            &crl,
            &tsa_trust,
            lang,
        ),
        Command::Cert { file, json } => signature::cert(&file, json, lang),
        Command::PathValidate {
            ee,
            anchor,
            intermediate,
            crl,
            at,
            profile,
            offline,
            json,
            initial_policy,
            explicit_policy,
            inhibit_policy_mapping,
            inhibit_any_policy,
        } => signature::path_validate(
            &signature::PathValidateArgs {
                ee: &ee,
                anchors: &anchor,
                intermediates: &intermediate,
                crls: &crl,
                at: at.as_deref(),
                rfc5280: matches!(profile, PathProfile::Rfc5280),
                offline,
                json,
                policy: inkan_trust::rfc5280_policy::PolicySettings {
                    initial_policy_set: if initial_policy.is_empty() {
                        vec!["2.5.29.32.0".to_owned()]
                    } else {
                        initial_policy
                    },
                    initial_explicit_policy: explicit_policy,
                    initial_policy_mapping_inhibit: inhibit_policy_mapping,
                    initial_any_policy_inhibit: inhibit_any_policy,
                },
            },
            lang,
        ),
        #[cfg(feature = "dev-tools")]
        Command::Testpki { command } => testpki::run(command, lang),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.is_silent() {
                eprintln!("inkan: {}", failure.render(lang));
            }
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
