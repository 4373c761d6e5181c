//! What the CLI tests share: a generated TEST PKI written to a folder, its
//! CRLs served on loopback, and a way to run `inkan`.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use inkan_testpki::{PkiConfig, TestPki};

/// The PKI, its folder (`<dir>/pki`) and its CRL server.
pub struct Fixture {
    pub dir: PathBuf,
    pub pki: TestPki,
    _crls: inkan_testpki::CrlServer,
}

/// One fixture per test binary.
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let stem = exe.file_stem().unwrap().to_string_lossy().to_string();
        let dir = std::env::temp_dir().join(format!("inkan-cli-{stem}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let pki = inkan_testpki::generate(&PkiConfig::default().with_crl_port(port)).unwrap();
        pki.write_to(&dir.join("pki")).unwrap();
        let crls = inkan_testpki::CrlServer::start(listener, &pki).unwrap();
        Fixture {
            dir,
            pki,
            _crls: crls,
        }
    })
}

/// A path inside the fixture's folder.
pub fn p(rel: &str) -> String {
    fixture().dir.join(rel).to_str().unwrap().to_string()
}

/// Runs `inkan` with a private CRL cache and no user settings: (exit code,
/// stdout, stderr).
pub fn inkan(args: &[&str]) -> (i32, String, String) {
    inkan_env(args, &[])
}

/// [`inkan`] with more environment (e.g. `INKAN_DATA_DIR`).
pub fn inkan_env(args: &[&str], env: &[(&str, &std::path::Path)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inkan"));
    cmd.args(args)
        .env("INKAN_CRL_CACHE", fixture().dir.join("crl-cache"))
        .env("INKAN_CONFIG_DIR", fixture().dir.join("no-settings"))
        // The developer's keyring is not the tests' business.
        .env("INKAN_AUDIT_KEY_STORE", "file");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
