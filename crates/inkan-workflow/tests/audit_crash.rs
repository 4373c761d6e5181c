//! A process killed (SIGKILL) while it appends to the signing log leaves a
//! chain that verifies and holds every record it reported as appended:
//! 100 kills at varied moments.

use inkan_workflow::audit::{AuditAction, AuditLog, NewAudit};
use std::path::PathBuf;
use std::time::Duration;

const CHILD_ENV: &str = "INKAN_AUDIT_CRASH_CHILD";

/// In the child: append as fast as possible until killed, printing each
/// appended id. Ignored in a normal run: the crash test runs it.
#[test]
#[ignore = "the child process of killed_appends_leave_a_verifiable_chain"]
fn child_appender() {
    let dir = PathBuf::from(std::env::var_os(CHILD_ENV).expect("run by the crash test"));
    let mut log = AuditLog::open_with(&dir, inkan_workflow::audit::KeyPolicy::File).expect("open");
    for i in 0u64.. {
        let r = log
            .append(&NewAudit {
                action: AuditAction::Signed,
                doc_sha256: format!("{i:064x}"),
                doc_name: format!("referral-{i}.xml"),
                signer_fingerprint: Some("cd".repeat(32)),
                signer_holder: Some("桜井 健一".into()),
                verdict: Some("SIGNED".into()),
            })
            .expect("append");
        println!("appended {}", r.id);
    }
}

#[test]
fn killed_appends_leave_a_verifiable_chain() {
    let dir = std::env::temp_dir().join(format!("inkan-audit-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for trial in 0..100u64 {
        let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
            .args([
                "--exact",
                "child_appender",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("appended ")?.trim().parse::<i64>().ok())
                .collect::<Vec<i64>>()
        });
        // Kill at varied moments, often mid-transaction.
        std::thread::sleep(Duration::from_millis(15 + (trial * 7) % 40));
        child.kill().expect("kill");
        child.wait().expect("wait");
        let appended = reader.join().expect("reader");

        let log = AuditLog::open_with(&dir, inkan_workflow::audit::KeyPolicy::File)
            .expect("reopens after a kill");
        let state = log.verify().expect("verify");
        assert!(state.intact(), "trial {trial}: {:?}", state.first_broken);
        if let Some(last) = appended.last() {
            assert!(
                state.records >= *last,
                "trial {trial}: record {last} was reported appended but the log has {}",
                state.records
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
