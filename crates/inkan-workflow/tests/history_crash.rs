//! A process killed (SIGKILL) while it writes the history leaves a database
//! that opens, passes SQLite's integrity check and holds every committed entry.

use inkan_workflow::{Action, History, NewEntry};
use std::path::PathBuf;
use std::time::Duration;

const CHILD_ENV: &str = "INKAN_HISTORY_CRASH_CHILD";

/// In the child: write entries as fast as possible until killed, printing
/// each committed id.
#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut h = History::open(&PathBuf::from(path)).expect("open");
    for i in 0.. {
        let id = h
            .record(&NewEntry {
                action: Action::Verified,
                file: format!("/data/file-{i}.xml"),
                verdict: Some("TOTAL_PASSED".into()),
                signer: Some("x".repeat(200)),
            })
            .expect("record");
        println!("committed {id}");
    }
}

#[test]
fn killed_writer_leaves_a_consistent_history() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("inkan-history-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("history.sqlite3");
    for round in 0..3 {
        let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Let it write for a while, then kill it, most likely mid-transaction.
        std::thread::sleep(Duration::from_millis(300 + 100 * round));
        child.kill().expect("kill");
        child.wait().expect("wait");

        let h = History::open(&path).expect("reopens after a kill");
        let all = h.list(usize::MAX).expect("list");
        assert!(!all.is_empty(), "round {round}: something was committed");
        // Ids are dense from 1: no torn or partial rows.
        let max = all.first().map(|e| e.id).unwrap_or(0);
        assert_eq!(all.len() as i64, max, "round {round}");
        assert!(all
            .iter()
            .all(|e| e.file.starts_with("/data/file-")
                && e.signer.as_deref().map(str::len) == Some(200)));
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
