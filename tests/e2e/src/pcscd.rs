//! A real `pcscd` with `vsmartcard-vpcd` readers on chosen ports.

use crate::process::Proc;
use std::path::PathBuf;
use std::process::Command;

/// The vpcd IFD handler installed by Debian's `vsmartcard-vpcd`.
pub const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

/// A running pcscd, stopped on drop.
#[derive(Debug)]
pub struct Pcscd {
    proc: Proc,
    /// The generated configuration directory.
    pub config_dir: PathBuf,
}

/// A vpcd reader entry: pcscd exposes it as two slots, `"<name> 00 00"`
/// listening on `port` and `"<name> 00 01"` on `port + 1`.
#[derive(Debug, Clone)]
pub struct VpcdReader {
    /// FRIENDLYNAME.
    pub name: String,
    /// The TCP port vpcd listens on for the (simulated) card.
    pub port: u16,
}

impl Pcscd {
    /// Starts `pcscd --foreground --config <dir>` with the given vpcd readers
    /// (none: a pcscd that has no reader), and waits until PC/SC answers with
    /// every reader listed.
    pub fn start(readers: &[VpcdReader]) -> Pcscd {
        if inkan_card::list_readers().is_ok() {
            panic!(
                "another pcscd is already running on this machine (its socket answers); \
                 stop it (e.g. `systemctl stop pcscd.socket pcscd`) before the end-to-end tests"
            );
        }
        let config_dir = crate::output_dir().join(format!("pcscd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&config_dir);
        std::fs::create_dir_all(&config_dir).expect("create pcscd config dir");
        for (i, r) in readers.iter().enumerate() {
            let entry = format!(
                "FRIENDLYNAME \"{}\"\nDEVICENAME /dev/null:0x{port:04X}\nLIBPATH {VPCD_DRIVER}\nCHANNELID 0x{port:04X}\n",
                r.name,
                port = r.port
            );
            std::fs::write(config_dir.join(format!("reader{i}.conf")), entry)
                .expect("write reader config");
        }
        let mut cmd = Command::new("pcscd");
        cmd.arg("--foreground").arg("--config").arg(&config_dir);
        if std::env::var_os("INKAN_PCSCD_DEBUG").is_some() {
            cmd.args(["--debug", "--apdu"]);
        }
        let mut proc = Proc::spawn("pcscd", cmd);
        let expected: Vec<String> = readers.iter().map(|r| r.name.clone()).collect();
        crate::wait_for(15, "pcscd to list the vpcd readers", || {
            assert!(proc.running(), "pcscd exited:\n{}", proc.log());
            let listed = inkan_card::list_readers().ok()?;
            expected
                .iter()
                .all(|n| listed.iter().any(|r| r.name.starts_with(n.as_str())))
                .then_some(())
        });
        Pcscd { proc, config_dir }
    }

    /// pcscd's process id.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// Stops pcscd now and waits until its socket no longer answers.
    pub fn stop(mut self) {
        self.proc.stop();
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        self.proc.stop();
        let _ = std::fs::remove_dir_all(&self.config_dir);
    }
}
