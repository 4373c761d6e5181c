//! The end-to-end harness.
//!
//! It starts real processes — `pcscd` with a `vsmartcard-vpcd` reader, `Xvfb`,
//! `tauri-driver` (which starts `WebKitWebDriver` and the app) — and stops each
//! one by its pid when its guard drops, which also happens when a test panics.
//! There is one pcscd socket per machine, so [`exclusive`] serializes tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// A harness fails loudly: panicking with the reason is its error handling.
#![allow(clippy::unwrap_used)]

pub mod fhir;
pub mod pcscd;
pub mod process;
pub mod sending;
pub mod webdriver;
pub mod xvfb;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

static MACHINE: Mutex<()> = Mutex::new(());

/// Holds the machine-wide resources (the pcscd socket, the screen) for one test.
pub fn exclusive() -> MutexGuard<'static, ()> {
    // A previous test that panicked poisons the lock; its guards have cleaned up.
    MACHINE.lock().unwrap_or_else(|p| p.into_inner())
}

/// `target/` of this build, found from the test executable (`target/debug/deps/…`).
pub fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps dir");
    deps.parent().expect("profile dir").to_path_buf()
}

/// A binary built by this workspace (`inkan`, `inkan-app`), or an explicit
/// override from `INKAN_<NAME>_BIN`.
pub fn workspace_bin(name: &str) -> PathBuf {
    let var = format!("INKAN_{}_BIN", name.to_ascii_uppercase().replace('-', "_"));
    if let Some(p) = std::env::var_os(&var) {
        return PathBuf::from(p);
    }
    let path = target_profile_dir().join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --bins` first (or set {var})",
        path.display()
    );
    // The target directory is shared: a binary older than the sources (or
    // the UI it embeds) would test yesterday's code and pass.
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("binary mtime");
    let root = workspace_root();
    let newest = match built_from(&path, &root) {
        // What cargo says the binary was built from (and, for the app, the
        // UI it embeds, which a build script reads).
        Some(sources) => sources
            .iter()
            .filter_map(|f| Some((std::fs::metadata(f).ok()?.modified().ok()?, f.clone())))
            .chain(if name == "inkan-app" {
                newest_source(&root.join("ui/dist"))
            } else {
                None
            })
            .max(),
        None => ["crates", "src-tauri/src", "ui/src", "ui/dist"]
            .iter()
            .filter_map(|d| newest_source(&root.join(d)))
            .max(),
    };
    if let Some((when, file)) = newest {
        assert!(
            when <= built,
            "{} is older than {}: rebuild (`cargo build --workspace --bins`, and `trunk build` in ui/) before the end-to-end tests",
            path.display(),
            file.display()
        );
    }
    path
}

/// The workspace sources `bin` was compiled from, as listed in the dep-info
/// file cargo writes beside it (`bin.d`); `None` without one. A binary built
/// from another checkout that shares the target directory (a clean-clone CI
/// run) lists none of this checkout's files: that is refused here, because
/// cargo itself would call it fresh while its sources are elsewhere.
fn built_from(bin: &std::path::Path, root: &std::path::Path) -> Option<Vec<PathBuf>> {
    let dep_info = std::fs::read_to_string(bin.with_extension("d")).ok()?;
    let (_, deps) = dep_info.split_once(": ")?;
    let mut files = Vec::new();
    let mut current = String::new();
    let mut chars = deps.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                current.push(' ');
                chars.next();
            }
            ' ' | '\n' => {
                if !current.is_empty() {
                    files.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        files.push(PathBuf::from(current));
    }
    let ours: Vec<PathBuf> = files.into_iter().filter(|f| f.starts_with(root)).collect();
    assert!(
        !ours.is_empty(),
        "{} was built from another checkout (its {} names none of {}): rebuild here",
        bin.display(),
        bin.with_extension("d").display(),
        root.display()
    );
    Some(ours)
}

/// axe-core's browser bundle: `INKAN_AXE_JS` (set by the test command), or
/// the newest one in the tools cache (`scripts/lib.sh` `ensure_axe`).
pub fn axe_js() -> PathBuf {
    if let Some(p) = std::env::var_os("INKAN_AXE_JS") {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("INKAN_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("inkan")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/inkan")))
        .expect("HOME");
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache.join("tools"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("axe-core-"))
        .map(|e| e.path().join("axe.min.js"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop().expect(
        "axe-core is not installed: run scripts/test-all.sh (ensure_axe), or set INKAN_AXE_JS",
    )
}

/// The repository root (this crate is `tests/e2e`).
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The newest `.rs` file (or, in `ui/dist`, any file) under `dir`, skipping
/// tests, benches and fuzz targets (they are not in the binaries).
fn newest_source(dir: &std::path::Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    let mut stack = vec![dir.to_path_buf()];
    let any_file = dir.ends_with("dist");
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if p.is_dir() {
                if !matches!(name.as_ref(), "tests" | "benches" | "fuzz" | "target") {
                    stack.push(p);
                }
            } else if any_file || name.ends_with(".rs") {
                if let Ok(t) = e.metadata().and_then(|m| m.modified()) {
                    if newest.as_ref().is_none_or(|(n, _)| t > *n) {
                        newest = Some((t, p));
                    }
                }
            }
        }
    }
    newest
}

/// Where tests put artifacts such as screenshots: `target/test-output/e2e`.
pub fn output_dir() -> PathBuf {
    let dir = target_profile_dir()
        .parent()
        .expect("target dir")
        .join("test-output/e2e");
    std::fs::create_dir_all(&dir).expect("create test output dir");
    dir
}

/// A fresh, empty directory under the test output directory.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = output_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create fresh dir");
    dir
}

/// `n` vpcd reader ports, two apart: vpcd binds each entry's port P for slot
/// `00 00` and P+1 for slot `00 01`, so every port up to `first + 2n - 1` must be free.
pub fn vpcd_ports(n: usize) -> Vec<u16> {
    for _ in 0..100 {
        let base = free_port();
        let Some(last) = base.checked_add((2 * n) as u16) else {
            continue;
        };
        let held: Vec<_> = (base..last)
            .map_while(|p| std::net::TcpListener::bind(("0.0.0.0", p)).ok())
            .collect();
        if held.len() == 2 * n {
            return (0..n).map(|i| base + 2 * i as u16).collect();
        }
    }
    panic!("no run of free ports for vpcd");
}

/// A free TCP port on loopback (the OS picks it).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// Polls `f` every 100 ms until it returns `Some`, or panics after `secs` with `what`.
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Runs the `inkan` CLI with `stdin` and extra environment; returns the exit
/// code, stdout and stderr.
pub fn run_inkan(
    args: &[&str],
    stdin: &str,
    env: &[(&str, &std::path::Path)],
) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(workspace_bin("inkan"));
    cmd.args(args)
        // Only the keyring's own test uses a keyring.
        .env("INKAN_AUDIT_KEY_STORE", "file")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn inkan");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let o = child.wait_with_output().expect("inkan output");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Writes the example HS008 letter to `out` with `inkan letter new`.
pub fn example_letter(out: &std::path::Path, env: &[(&str, &std::path::Path)]) {
    let (code, _, err) = run_inkan(
        &[
            "letter",
            "new",
            "--example",
            "--format",
            "hs008",
            "--out",
            out.to_str().expect("utf-8 path"),
        ],
        "",
        env,
    );
    assert_eq!(code, 0, "letter new: {err}");
}

/// Starts the `inkan-card-sim` binary with `identity` from the test PKI in
/// `pki_dir`, in `reader`'s first slot, and waits until pcscd sees the card.
pub fn start_sim_binary(
    pki_dir: &std::path::Path,
    identity: &str,
    reader: &pcscd::VpcdReader,
) -> process::Proc {
    let mut sim = std::process::Command::new(workspace_bin("inkan-card-sim"));
    sim.args([
        "--vpcd-port",
        &reader.port.to_string(),
        "--identity",
        identity,
        "--pki",
    ])
    .arg(pki_dir);
    let proc = process::Proc::spawn("inkan-card-sim", sim);
    let slot = format!("{} 00 00", reader.name);
    wait_for(10, "the simulated card in the reader", || {
        inkan_card::list_readers()
            .ok()?
            .iter()
            .any(|r| r.name == slot && r.card_present)
            .then_some(())
    });
    proc
}
