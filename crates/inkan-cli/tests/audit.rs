//! `inkan audit`: every verification (and signature) of the CLI appends to
//! the signing log; `audit verify` checks the chain and names the first
//! record an editor touched; `audit export` writes JSON and CSV.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("inkan-cli-audit-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn inkan(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inkan"))
        .args(args)
        .env("INKAN_DATA_DIR", data)
        .env("INKAN_LANG", "en")
        .env("INKAN_AUDIT_KEY_STORE", "file")
        .output()
        .expect("run inkan")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn verifications_are_logged_and_an_edited_record_is_named() {
    let data = temp_dir("data");
    let work = temp_dir("work");
    for (i, name) in ["a.xml", "b.xml", "c.xml"].iter().enumerate() {
        let f = work.join(name);
        std::fs::write(&f, format!("<letter n=\"{i}\"/>")).expect("doc");
        std::fs::write(work.join(format!("{name}.p7s")), b"\x30\x03\x02\x01\x00").expect("sig");
        let o = inkan(&data, &["verify", f.to_str().expect("utf-8")]);
        assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    }
    let o = inkan(&data, &["audit", "verify", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let state: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(state["records"], 3);
    assert!(state["first_broken"].is_null());

    let o = inkan(&data, &["audit", "export", "--json"]);
    let records: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(records[1]["doc_name"], "b.xml");
    assert_eq!(records[1]["action"], "verified");
    assert_eq!(records[1]["verdict"], "TOTAL_FAILED");
    assert_eq!(records[1]["prev_hash"], records[0]["hash"]);
    // The head printed by verify is the newest record's hash.
    assert_eq!(state["head"][0], 3);
    assert_eq!(state["head"][1], records[2]["hash"]);
    assert!(records[0]["time_jst"]
        .as_str()
        .expect("jst")
        .ends_with("+09:00"));
    let o = inkan(
        &data,
        &[
            "audit",
            "verify",
            "--dir",
            data.join("typo").to_str().expect("utf-8"),
        ],
    );
    assert_ne!(
        o.status.code(),
        Some(0),
        "a folder without a log is not an intact log"
    );
    assert!(!data.join("typo").exists(), "verify started a log");
    let o = inkan(&data, &["audit", "export", "--csv"]);
    let csv = stdout(&o);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.starts_with("id,time_utc,time_jst,action"));

    // Someone with the database (not the key) rewrites record 2's verdict.
    let db = rusqlite::Connection::open(data.join("audit.sqlite3")).expect("db");
    db.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET verdict = 'TOTAL_PASSED' WHERE id = 2;",
    )
    .expect("edit");
    drop(db);
    let o = inkan(&data, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("record 2"), "{}", stdout(&o));
    let _ = std::fs::remove_dir_all(data);
    let _ = std::fs::remove_dir_all(work);
}
