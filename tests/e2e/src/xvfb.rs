//! A private X server for the window under test.

use crate::process::Proc;
use std::path::Path;
use std::process::Command;

/// A running `Xvfb` on its own display number.
#[derive(Debug)]
pub struct Xvfb {
    _proc: Proc,
    /// `":N"`, for `DISPLAY`.
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb on the first free display from :91 and waits for its socket.
    pub fn start() -> Xvfb {
        let n = (91..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display number");
        let display = format!(":{n}");
        let mut cmd = Command::new("Xvfb");
        cmd.arg(&display).args([
            "-screen",
            "0",
            "1280x900x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ]);
        let mut proc = Proc::spawn("xvfb", cmd);
        let socket = format!("/tmp/.X11-unix/X{n}");
        crate::wait_for(15, "Xvfb to open its socket", || {
            assert!(proc.running(), "Xvfb exited:\n{}", proc.log());
            Path::new(&socket).exists().then_some(())
        });
        Xvfb {
            _proc: proc,
            display,
        }
    }
}
