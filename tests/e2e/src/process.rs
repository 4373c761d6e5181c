//! Child processes that are always stopped by their pid.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A started process; dropping it sends SIGTERM, waits, and only then SIGKILLs.
///
/// SIGTERM first matters: tauri-driver stops WebKitWebDriver on SIGTERM, while a
/// SIGKILL orphans it with our stdout open and hangs the test run.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    log: std::path::PathBuf,
}

impl Proc {
    /// Spawns `cmd`, sending its stdout and stderr to `<output>/<name>.log`.
    pub fn spawn(name: &str, mut cmd: Command) -> Proc {
        let log = crate::output_dir().join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("create process log");
        let err = file.try_clone().expect("clone log handle");
        cmd.stdin(Stdio::null()).stdout(file).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        Proc {
            name: name.into(),
            child,
            log,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the process: SIGTERM, up to 10 s grace, then SIGKILL.
    pub fn stop(&mut self) {
        if !self.running() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !self.running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} ignored SIGTERM for 10 s; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}
