//! The release app's start-up time, idle memory and package size, each next
//! to a peer measured the same way in the same run: a minimal Tauri 2 "hello"
//! window (`tests/startup-peer`) built by the same toolchain and profile.
//!
//! Both run twice: as Tauri leaves WebKitGTK, and with its DMA-BUF renderer
//! off (`WEBKIT_DISABLE_DMABUF_RENDERER=1`), which shows how much of the
//! memory and start-up is WebKit's software-GL path on a machine without a
//! GPU (docs/performance.md says why Inkan does not turn it off itself).
//!
//! - **Start-up**: from `spawn` to the line `inkan-app: first frame painted`,
//!   which each program prints when its page reports, two animation frames
//!   after its first render, that the frame is on screen (under Xvfb).
//! - **Idle memory**: 5 s after that line, the PSS (`/proc/PID/smaps_rollup`)
//!   of the program and every process it started (WebKit's web and network
//!   processes), summed.
//! - **Size**: the `.deb`, and both stripped binaries.
//!
//! `scripts/package.sh` runs it with `INKAN_RELEASE_APP` (the packaged
//! `inkan-app`), `INKAN_PEER_APP` and `INKAN_DEB`; `INKAN_BENCH_RUNS` sets the
//! number of launches of each (default 7, alternating). Figures are written to
//! `target/test-output/e2e/release-bench.md` and quoted in docs/performance.md.
#![allow(clippy::unwrap_used)]

use inkan_e2e::xvfb::Xvfb;
use inkan_e2e::{fresh_dir, output_dir};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PAINTED: &str = "inkan-app: first frame painted";
/// WebKitGTK's switch for its DMA-BUF renderer; each program runs both ways.
const DMABUF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

fn env_path(name: &str) -> PathBuf {
    let p = PathBuf::from(
        std::env::var_os(name)
            .unwrap_or_else(|| panic!("{name} is not set (see scripts/package.sh)")),
    );
    assert!(p.exists(), "{name}={} does not exist", p.display());
    p
}

/// A program to measure: its name in the table, binary, and extra environment.
type Program<'a> = (&'a str, &'a Path, &'a [(&'a str, &'a str)]);

struct Launch {
    startup: Duration,
    pss_kib: Option<u64>,
    processes: Vec<String>,
}

/// `/proc/*/stat` as pid -> (ppid, pgid, comm).
fn process_table() -> BTreeMap<u32, (u32, u32, String)> {
    let mut t = BTreeMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // comm is in parentheses and may hold spaces: split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let (Some(ppid), Some(pgid)) = (
            rest.get(1).and_then(|v| v.parse().ok()),
            rest.get(2).and_then(|v| v.parse().ok()),
        ) else {
            continue;
        };
        t.insert(pid, (ppid, pgid, comm));
    }
    t
}

/// The process and all it started: its descendants and its process group.
fn tree(root: u32) -> BTreeSet<u32> {
    let table = process_table();
    let mut set: BTreeSet<u32> = table
        .iter()
        .filter(|(_, (_, pgid, _))| *pgid == root)
        .map(|(pid, _)| *pid)
        .collect();
    set.insert(root);
    loop {
        let more: Vec<u32> = table
            .iter()
            .filter(|(pid, (ppid, _, _))| set.contains(ppid) && !set.contains(pid))
            .map(|(pid, _)| *pid)
            .collect();
        if more.is_empty() {
            return set;
        }
        set.extend(more);
    }
}

fn pss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn launch(bin: &Path, display: &str, profile: &Path, memory: bool, env: &[(&str, &str)]) -> Launch {
    let mut cmd = Command::new(bin);
    cmd.env("DISPLAY", display)
        .env("XDG_DATA_HOME", profile.join("data"))
        .env("XDG_CONFIG_HOME", profile.join("config"))
        .env("XDG_CACHE_HOME", profile.join("cache"))
        .env("INKAN_STARTUP_PROBE", "1")
        .env_remove("INKAN_TEST_PKI")
        .env_remove(DMABUF)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own process group, so that WebKit's processes stop with it.
        .process_group(0);
    // Last, so that a program's own settings win over the removals above.
    cmd.envs(env.iter().copied());
    let t0 = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.trim() == PAINTED {
                let _ = tx.send(Instant::now());
            }
        }
    });
    let painted = rx.recv_timeout(Duration::from_secs(60));
    let result = painted.map(|t| t.duration_since(t0));
    let (pss, processes) = if memory && result.is_ok() {
        std::thread::sleep(Duration::from_secs(5));
        let pids = tree(pid);
        let table = process_table();
        let names = pids
            .iter()
            .filter_map(|p| {
                table
                    .get(p)
                    .map(|(_, _, c)| format!("{c}:{}", pss_kib(*p).unwrap_or(0)))
            })
            .collect();
        let total = pids
            .iter()
            .map(|p| pss_kib(*p).unwrap_or_else(|| panic!("cannot read /proc/{p}/smaps_rollup")))
            .sum();
        (Some(total), names)
    } else {
        (None, Vec::new())
    };
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{pid}")])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status();
    let _ = child.wait();
    let startup =
        result.unwrap_or_else(|_| panic!("{} painted no frame within 60 s", bin.display()));
    Launch {
        startup,
        pss_kib: pss,
        processes,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    // `cargo bench` passes --bench; nothing else is taken from the arguments.
    let app = env_path("INKAN_RELEASE_APP");
    let peer = env_path("INKAN_PEER_APP");
    let deb = std::env::var_os("INKAN_DEB").map(PathBuf::from);
    let runs: usize = std::env::var("INKAN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
        .max(1);

    let x = Xvfb::start();
    let lean = [(DMABUF, "1")];
    // Each Inkan configuration is followed by the peer in the same one.
    let programs: [Program<'_>; 4] = [
        ("Inkan (release)", &app, &[]),
        ("minimal Tauri 2 window", &peer, &[]),
        ("Inkan, DMA-BUF renderer off", &app, &lean),
        ("minimal window, DMA-BUF renderer off", &peer, &lean),
    ];
    let profiles: Vec<PathBuf> = (0..programs.len())
        .map(|i| fresh_dir(&format!("bench-profile-{i}")))
        .collect();
    // One unmeasured launch each: the first start fills the page cache and
    // WebKit's profile, which every later start of an installed app finds.
    for ((_, bin, env), profile) in programs.iter().zip(&profiles) {
        launch(bin, &x.display, profile, false, env);
    }
    let mut ms = vec![Vec::new(); programs.len()];
    let mut pss = vec![Vec::new(); programs.len()];
    let mut procs = vec![Vec::new(); programs.len()];
    for run in 0..runs {
        for (i, ((name, bin, env), profile)) in programs.iter().zip(&profiles).enumerate() {
            let l = launch(bin, &x.display, profile, true, env);
            let t = l.startup.as_secs_f64() * 1e3;
            let m = l.pss_kib.unwrap_or(0) as f64 / 1024.0;
            eprintln!("run {}: {name}: {t:.0} ms, {m:.0} MiB", run + 1);
            ms[i].push(t);
            pss[i].push(m);
            procs[i] = l.processes;
        }
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let min = |v: &[f64]| v.iter().cloned().fold(f64::MAX, f64::min);

    let mut out = format!(
        "Median of {runs} launches each, interleaved, same run. Goals: start ≤ 600 ms, idle PSS ≤ 250 MiB, `.deb` ≤ 8 MiB.\n\n\
         | program | start to first painted frame | ratio to the peer | idle PSS, app + WebKit processes (5 s after first frame) | ratio to the peer |\n|---|---|---|---|---|\n"
    );
    for (i, (name, _, _)) in programs.iter().enumerate() {
        let peer_i = i | 1;
        let (t, m) = (median(ms[i].clone()), median(pss[i].clone()));
        let (tp, mp) = (median(ms[peer_i].clone()), median(pss[peer_i].clone()));
        out.push_str(&format!(
            "| {name} | {t:.0} ms (min {:.0}) | {:.2}× | {m:.0} MiB | {:.2}× |\n",
            min(&ms[i]),
            t / tp,
            m / mp
        ));
    }
    out.push_str(&format!(
        "\n| size | Inkan | minimal Tauri 2 window | ratio |\n|---|---|---|---|\n| stripped binary | {:.1} MiB | {:.1} MiB | {:.2}× |\n",
        mib(size(&app)),
        mib(size(&peer)),
        size(&app) as f64 / size(&peer).max(1) as f64
    ));
    if let Some(deb) = &deb {
        out.push_str(&format!("| `.deb` | {:.1} MiB | | |\n", mib(size(deb))));
    }
    out.push_str("\nProcesses (name:PSS KiB), last run:\n");
    for ((name, _, _), p) in programs.iter().zip(&procs) {
        out.push_str(&format!("- {name}: {}\n", p.join(", ")));
    }
    println!("{out}");
    let file = output_dir().join("release-bench.md");
    std::fs::write(&file, &out).unwrap();
    eprintln!("written to {}", file.display());
}
