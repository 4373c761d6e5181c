//! The `inkan` CLI against a real pcscd.

use inkan_e2e::pcscd::{Pcscd, VpcdReader};
use inkan_e2e::{exclusive, workspace_bin};
use std::process::Command;

fn inkan(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(workspace_bin("inkan"))
        .args(args)
        .output()
        .expect("run inkan");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_lists_two_vpcd_readers_as_four_slots() {
    let _machine = exclusive();
    let ports = inkan_e2e::vpcd_ports(2);
    let readers = [
        VpcdReader {
            name: "Inkan Reader A".into(),
            port: ports[0],
        },
        VpcdReader {
            name: "Inkan Reader B".into(),
            port: ports[1],
        },
    ];
    let _pcscd = Pcscd::start(&readers);
    let (code, out, err) = inkan(&["readers", "--lang", "ja"]);
    assert_eq!(code, 0, "{err}");
    for name in ["Inkan Reader A", "Inkan Reader B"] {
        assert!(out.contains(name), "{out}");
    }
    assert!(out.contains("カードなし"), "{out}");

    let (code, json, err) = inkan(&["readers", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
    let list = v.as_array().expect("an array of readers");
    assert!(list.len() >= 2, "{json}");
    assert!(list.iter().all(|r| r["card_present"] == false), "{json}");
}

#[test]
fn cli_reports_a_stopped_pcscd_as_an_error() {
    let _machine = exclusive();
    let (code, _out, err) = inkan(&["readers", "--lang", "en"]);
    assert_eq!(code, 1, "stderr: {err}");
    assert!(
        err.contains("pcscd") && err.contains("pcsc.no_service"),
        "{err}"
    );
}

#[test]
fn cli_reports_no_reader_in_japanese() {
    let _machine = exclusive();
    let _pcscd = Pcscd::start(&[]);
    let (code, out, err) = inkan(&["readers", "--lang", "ja"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "カードリーダーが見つかりません");
}
