//! `inkan testpki …`: a TEST PKI that mirrors the HPKI certificate profile.

use crate::output::Failure;
use clap::Subcommand;
use inkan_l10n::{Lang, Message};
use std::path::PathBuf;

/// Test-PKI subcommands.
#[derive(Debug, Subcommand)]
pub enum TestpkiCommand {
    /// Write root.pem, signing-ca.pem, <id>.pem + <id>.key.pem, CRLs and manifest.json
    Generate {
        /// Output directory
        #[arg(long)]
        out: PathBuf,
        /// 64 hex digits; the same seed, time and URL give identical files
        #[arg(long)]
        seed: Option<String>,
        /// Reference time (RFC 3339); default: today 00:00 JST
        #[arg(long)]
        now: Option<String>,
        /// Base URL the CRL distribution points name (ends with /)
        #[arg(long)]
        crl_base_url: Option<String>,
    },
    /// Serve a test PKI's CRLs over HTTP at the base URL its certificates name (until killed)
    ServeCrls {
        /// The directory written by `generate`
        #[arg(long)]
        pki: PathBuf,
    },
}

fn failure(e: inkan_testpki::PkiError) -> Failure {
    Failure::new(Message {
        code: "testpki.failed".into(),
        ja: format!("テスト用PKIを生成できません: {e}"),
        en: format!("Cannot generate the test PKI: {e}"),
    })
}

/// Runs a test-PKI subcommand.
pub fn run(command: TestpkiCommand, lang: Lang) -> Result<(), Failure> {
    match command {
        TestpkiCommand::Generate {
            out,
            seed,
            now,
            crl_base_url,
        } => {
            let mut cfg = inkan_testpki::PkiConfig::default();
            if let Some(s) = seed {
                cfg = cfg.with_seed(inkan_testpki::seed_from_hex(&s).map_err(failure)?);
            }
            if let Some(n) = now {
                cfg.now = inkan_testpki::parse_rfc3339(&n).map_err(failure)?;
            }
            if let Some(u) = crl_base_url {
                cfg = cfg.with_crl_base_url(u);
            }
            let pki = inkan_testpki::generate(&cfg).map_err(failure)?;
            pki.write_to(&out).map_err(failure)?;
            match lang {
                Lang::Ja => println!(
                    "テスト用PKI（TEST、信頼されない）を {} に書き出しました（証明書 {} 件）",
                    out.display(),
                    pki.identities.len()
                ),
                Lang::En => println!(
                    "Wrote a TEST PKI (never trusted by default) to {} ({} identities)",
                    out.display(),
                    pki.identities.len()
                ),
            }
            Ok(())
        }
        TestpkiCommand::ServeCrls { pki } => {
            let pki = inkan_testpki::TestPki::load(&pki).map_err(failure)?;
            let server = inkan_testpki::CrlServer::bind_for(&pki).map_err(failure)?;
            match lang {
                Lang::Ja => println!("テスト用CRLを {} で配信しています", server.base_url()),
                Lang::En => println!("Serving the TEST CRLs at {}", server.base_url()),
            }
            // Serve until the process is stopped; the server thread does the work.
            loop {
                std::thread::park();
            }
        }
    }
}
