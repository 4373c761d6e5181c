//! `inkan-card-sim`: a simulated HPKI TEST card in a vpcd virtual reader.
#![forbid(unsafe_code)]

use clap::{Parser, ValueEnum};
use inkan_card_sim::{spawn, CardConfig, SimCard, SimProfile, TEST_PIN};
use rsa::pkcs8::DecodePrivateKey;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "inkan-card-sim",
    version,
    about = "A simulated HPKI TEST card for the vsmartcard vpcd virtual reader (PIN 1234)"
)]
struct Args {
    /// vpcd port (pcscd's reader entry CHANNELID)
    #[arg(long)]
    vpcd_port: u16,
    /// vpcd host
    #[arg(long, default_value = "127.0.0.1")]
    vpcd_host: IpAddr,
    /// Test PKI directory (from `inkan testpki generate`)
    #[arg(long)]
    pki: PathBuf,
    /// Identity to load: DIR/<NAME>.pem and DIR/<NAME>.key.pem
    #[arg(long, default_value = "doctor")]
    identity: String,
    /// Card layout
    #[arg(long, value_enum, default_value_t = ProfileArg::Jahis)]
    profile: ProfileArg,
    /// Leave out EF.OD (forces profile fallback in the reader)
    #[arg(long)]
    no_directory: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProfileArg {
    /// The JAHIS reference card (directory files).
    Jahis,
    /// The JMA 医師資格証 as miyako/hpki signs with it (MSE + PSO).
    Jma,
    /// The JMA 医師資格証 as HPKIReader signs with it (80 2A, card pads).
    JmaCardPads,
}

fn pem_file(path: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (_, der) =
        der::pem::decode_vec(text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(der)
}

fn load(args: &Args) -> Result<CardConfig, String> {
    let cert = pem_file(&args.pki.join(format!("{}.pem", args.identity)))?;
    let key_der = pem_file(&args.pki.join(format!("{}.key.pem", args.identity)))?;
    let key = rsa::PrivateKey::from_pkcs8_der(&key_der)
        .map_err(|e| format!("{}.key.pem: {e}", args.identity))?;
    let mut cas = Vec::new();
    for f in ["root.pem", "signing-ca.pem"] {
        let p = args.pki.join(f);
        if p.exists() {
            cas.push(pem_file(&p)?);
        }
    }
    let mut cfg = CardConfig::new(key, cert, cas);
    // The authentication application gets the PKI's authentication identity.
    let auth_cert = args.pki.join("auth.pem");
    let auth_key = args.pki.join("auth.key.pem");
    if auth_cert.exists() && auth_key.exists() {
        let k = rsa::PrivateKey::from_pkcs8_der(&pem_file(&auth_key)?)
            .map_err(|e| format!("auth.key.pem: {e}"))?;
        cfg.authentication = Some((k, pem_file(&auth_cert)?));
    }
    cfg.profile = match args.profile {
        ProfileArg::Jahis => SimProfile::Jahis,
        ProfileArg::Jma => SimProfile::Jma,
        ProfileArg::JmaCardPads => SimProfile::JmaCardPads,
    };
    cfg.omit_directory = args.no_directory;
    Ok(cfg)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let cfg = match load(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("inkan-card-sim: {e}");
            return ExitCode::from(1);
        }
    };
    let addr = SocketAddr::new(args.vpcd_host, args.vpcd_port);
    let handle = spawn(addr, SimCard::new(cfg));
    eprintln!(
        "inkan-card-sim: TEST card '{}' ({:?} layout) inserted into vpcd at {addr}; TEST PIN {TEST_PIN}",
        args.identity, args.profile
    );
    // Runs until killed; pcscd sees the card removed when the socket closes.
    loop {
        std::thread::park();
        if !handle.connected() {
            continue;
        }
    }
}
