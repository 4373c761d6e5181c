//! `inkan path-validate --profile rfc5280` on NIST PKITS (tests/fixtures/pkits):
//! the command-line contract, with every CA certificate of the suite given
//! as `--intermediate` and every CRL as `--crl`, at 2020-06-15, offline.
//!
//! The whole suite (every test, with the PKITS policy settings) runs in
//! process in `crates/inkan-trust/tests/pkits.rs`; here a sample checks that
//! the command passes the same inputs through, including the RFC 5280
//! §6.1.1 policy flags.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

/// Read at run time (not `env!`), so that a binary built from another
/// checkout sharing the target directory reads this checkout's files.
fn pkits() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/pkits")
}

/// What `inkan path-validate` must say.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Exit 0.
    Valid,
    /// Not a pass: TOTAL_FAILED (exit 3) or INDETERMINATE (exit 1).
    Invalid,
    /// INDETERMINATE (exit 1): DSA is out of scope for HPKI, never a pass.
    Unsupported,
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(pkits().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn run(ee: &str, flags: &[&str]) -> (i32, String) {
    let certs = pkits().join("certs");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inkan"));
    cmd.args(["--lang", "en", "path-validate"])
        .arg(certs.join(format!("{ee}.crt")))
        .arg("--anchor")
        .arg(certs.join("TrustAnchorRootCertificate.crt"))
        .args([
            "--at",
            "2020-06-15T00:00:00Z",
            "--profile",
            "rfc5280",
            "--offline",
        ])
        .args(flags);
    // The pool: every CA certificate of the suite (other tests' end-entity
    // certificates are not CAs; some of them are the pre-2000 cases of 4.2).
    for c in files("certs") {
        let name = c.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with("EE.crt") {
            cmd.arg("--intermediate").arg(c);
        }
    }
    for c in files("crls") {
        cmd.arg("--crl").arg(c);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn check(ee: &str, flags: &[&str], expect: Expect) {
    let (code, text) = run(ee, flags);
    let ok = match expect {
        Expect::Valid => code == 0,
        Expect::Invalid => code == 1 || code == 3,
        Expect::Unsupported => code == 1 && text.contains("unsupported"),
    };
    assert!(ok, "{ee}: expected {expect:?}, exit {code}:\n{text}");
}

macro_rules! pkits {
    ($($name:ident: $ee:literal $flags:expr => $expect:ident;)*) => {
        $(
            #[test]
            fn $name() {
                check($ee, $flags, Expect::$expect);
            }
        )*
    };
}

const P2: &str = "2.16.840.1.101.3.2.1.48.2";

pkits! {
    pkits_4_1_1_valid_certificate_path: "ValidCertificatePathTest1EE" &[] => Valid;
    pkits_4_1_4_dsa_is_indeterminate_unsupported: "ValidDSASignaturesTest4EE" &[] => Unsupported;
    pkits_4_2_3_valid_pre2000_utc_not_before: "Validpre2000UTCnotBeforeDateTest3EE" &[] => Valid;
    pkits_4_4_3_invalid_revoked_ee: "InvalidRevokedEETest3EE" &[] => Invalid;
    pkits_4_8_2_explicit_policy_flag: "AllCertificatesNoPoliciesTest2EE" &["--explicit-policy"] => Invalid;
    pkits_4_10_1_initial_policy_flag: "ValidPolicyMappingTest1EE" &["--initial-policy", P2] => Invalid;
    pkits_4_10_1_inhibit_policy_mapping_flag: "ValidPolicyMappingTest1EE" &["--inhibit-policy-mapping"] => Invalid;
    pkits_4_12_3_inhibit_any_policy_flag: "inhibitAnyPolicyTest3EE" &["--inhibit-any-policy"] => Invalid;
    pkits_4_12_3_default: "inhibitAnyPolicyTest3EE" &[] => Valid;
    pkits_4_14_30_indirect_crl_issuer_on_its_own_crl: "ValidcRLIssuerTest30EE" &[] => Valid;
    pkits_4_15_4_revoked_on_delta_crl: "InvaliddeltaCRLTest4EE" &[] => Invalid;
}
