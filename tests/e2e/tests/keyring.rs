//! The signing log's key in a real OS keyring: gnome-keyring's Secret
//! Service on a private D-Bus session (`dbus-run-session`), with its
//! keyrings in the test's folder, started and stopped by the test.

use inkan_e2e::{fresh_dir, workspace_bin};
use std::path::Path;
use std::process::{Command, Output};

/// Runs `commands` (a shell script; `$INKAN` is the CLI) in a D-Bus session
/// whose Secret Service keeps its keyrings under `keyrings`, and the
/// signing log in `data`.
fn in_session(keyrings: &Path, data: &Path, env: &[(&str, &str)], commands: &str) -> Output {
    std::fs::create_dir_all(keyrings).expect("keyring home");
    let script = format!(
        "printf 'test-keyring-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n{commands}"
    );
    let mut cmd = Command::new("dbus-run-session");
    cmd.args(["--", "sh", "-ec", &script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", keyrings)
        .env("XDG_DATA_HOME", keyrings)
        .env("XDG_RUNTIME_DIR", keyrings)
        .env("INKAN", workspace_bin("inkan"))
        .env("INKAN_DATA_DIR", data)
        .env("INKAN_LANG", "en");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .expect("dbus-run-session and gnome-keyring-daemon are installed by scripts/test-all.sh")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A verification appended to the log (a letter with a broken signature:
/// the verdict does not matter here).
const VERIFY_ONE: &str = "printf '<a/>' > \"$HOME/a.xml\"\n\
    printf '\\060\\003\\002\\001\\000' > \"$HOME/a.xml.p7s\"\n\
    \"$INKAN\" verify \"$HOME/a.xml\" >/dev/null || test $? -eq 3\n";

#[test]
fn the_signing_log_key_lives_in_the_keyring_and_a_lost_one_is_reported() {
    let dir = fresh_dir("keyring");
    let (keyrings, data) = (dir.join("keyrings"), dir.join("data"));
    // Where there is a keyring, a new log keeps its key there (the default
    // policy), and no key file is written.
    let o = in_session(
        &keyrings,
        &data,
        &[],
        &format!("{VERIFY_ONE}\"$INKAN\" audit verify"),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("key: the OS keyring"), "{}", text(&o));
    assert!(data.join("audit.sqlite3").exists());
    assert!(
        !data.join("audit.key").exists(),
        "a key file beside the log"
    );

    // Another session with the same keyring finds the key again.
    let o = in_session(
        &keyrings,
        &data,
        &[],
        &format!("{VERIFY_ONE}\"$INKAN\" audit verify --json"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let state: serde_json::Value = serde_json::from_slice(&o.stdout).expect("audit verify --json");
    assert_eq!(state["records"], 2, "{state}");
    assert_eq!(state["key_store"], "keyring", "{state}");
    assert!(state["first_broken"].is_null(), "{state}");

    // The keyring without the key (another one): the log says the key is
    // lost, appends nothing, and does not start a new key that would hide it.
    let o = in_session(
        &dir.join("other-keyrings"),
        &data,
        &[],
        &format!("{VERIFY_ONE}\"$INKAN\" audit verify"),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("missing"), "{}", text(&o));
    assert!(!data.join("audit.key").exists());
    let o = in_session(&keyrings, &data, &[], "\"$INKAN\" audit verify --json");
    let state: serde_json::Value = serde_json::from_slice(&o.stdout).expect("audit verify --json");
    assert_eq!(
        state["records"], 2,
        "nothing appended without the key: {state}"
    );
}

/// Asked for the keyring where none answers, the CLI says so; by default it
/// falls back to the key file.
#[test]
fn without_a_secret_service_the_key_goes_to_a_file_unless_the_keyring_is_required() {
    let dir = fresh_dir("no-keyring");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data");
    let run = |env: &[(&str, &str)], data: &Path| {
        let mut cmd = Command::new("dbus-run-session");
        cmd.args([
            "--",
            "sh",
            "-ec",
            &format!("{VERIFY_ONE}\"$INKAN\" audit verify"),
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("XDG_DATA_HOME", dir.join("xdg"))
        // No Secret Service can be activated on this bus.
        .env("XDG_DATA_DIRS", dir.join("no-services"))
        .env("INKAN", workspace_bin("inkan"))
        .env("INKAN_DATA_DIR", data)
        .env("INKAN_LANG", "en");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("dbus-run-session")
    };
    let o = run(&[("INKAN_AUDIT_KEY_STORE", "keyring")], &data);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("keyring"), "{}", text(&o));
    assert!(!data.join("audit.key").exists());

    let data = dir.join("data-auto");
    std::fs::create_dir_all(&data).expect("data");
    let o = run(&[], &data);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("key: the key file"), "{}", text(&o));
    assert!(data.join("audit.key").exists());
}

/// Copies the signing log files (`audit.*`) from `from` to `to`, replacing
/// what is there.
fn copy_log(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for e in std::fs::read_dir(to).expect("to").flatten() {
        if e.file_name().to_string_lossy().starts_with("audit.") {
            std::fs::remove_file(e.path()).expect("remove");
        }
    }
    for e in std::fs::read_dir(from).expect("from").flatten() {
        if e.file_name().to_string_lossy().starts_with("audit.") {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// A keyring log is not swapped for one sealed with a key file, and a log
/// that is gone is not started over while its key is in the keyring: the
/// backup put back still verifies.
#[test]
fn a_keyring_log_is_neither_swapped_nor_started_over() {
    let dir = fresh_dir("keyring-swap");
    let (keyrings, data) = (dir.join("keyrings"), dir.join("data"));
    let o = in_session(
        &keyrings,
        &data,
        &[],
        &format!("{VERIFY_ONE}{VERIFY_ONE}\"$INKAN\" audit verify"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let backup = dir.join("backup");
    copy_log(&data, &backup);

    // Someone's own log, sealed with a key file they made, put in its place.
    let forged = dir.join("forged");
    let o = in_session(
        &dir.join("forger-keyrings"),
        &forged,
        &[("INKAN_AUDIT_KEY_STORE", "file")],
        &format!("{VERIFY_ONE}\"$INKAN\" audit verify"),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(forged.join("audit.key").exists());
    copy_log(&forged, &data);
    let o = in_session(&keyrings, &data, &[], "\"$INKAN\" audit verify");
    assert!(!o.status.success(), "a swapped log passed: {}", text(&o));
    assert!(text(&o).contains("replaced"), "{}", text(&o));

    // The log gone: no new log, no new key over the old one.
    for e in std::fs::read_dir(&data).expect("data").flatten() {
        std::fs::remove_file(e.path()).expect("remove");
    }
    let o = in_session(&keyrings, &data, &[], &format!("{VERIFY_ONE}true"));
    assert!(text(&o).contains("missing"), "{}", text(&o));
    // The backup put back verifies with the key that stayed in the keyring.
    copy_log(&backup, &data);
    let o = in_session(&keyrings, &data, &[], "\"$INKAN\" audit verify --json");
    assert!(o.status.success(), "{}", text(&o));
    let state: serde_json::Value = serde_json::from_slice(&o.stdout).expect("audit verify --json");
    assert_eq!(state["records"], 2, "{state}");
    assert!(state["first_broken"].is_null(), "{state}");
}
