//! A real FHIR R4 server on loopback (helios-hfs, built into the tools
//! cache by `scripts/lib.sh` `ensure_hfs`) and a fault-injecting HTTP proxy
//! in front of it: the submission tests' peers.

use crate::process::Proc;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn tools_dir() -> PathBuf {
    std::env::var_os("INKAN_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("inkan")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/inkan")))
        .expect("HOME")
        .join("tools")
}

/// The helios-hfs binary: `INKAN_HFS`, else the tools cache.
pub fn hfs_bin() -> PathBuf {
    let p = std::env::var_os("INKAN_HFS")
        .map(PathBuf::from)
        .unwrap_or_else(|| tools_dir().join("bin/hfs"));
    assert!(
        p.is_file(),
        "helios-hfs is not installed at {}: run scripts/test-all.sh (ensure_hfs), or set INKAN_HFS",
        p.display()
    );
    p
}

/// The folder holding `search-parameters-r4.json`: `INKAN_HFS_DATA`, else
/// the newest in the tools cache.
pub fn hfs_data() -> PathBuf {
    if let Some(p) = std::env::var_os("INKAN_HFS_DATA") {
        return PathBuf::from(p);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(tools_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("hfs-data-"))
        .map(|e| e.path())
        .filter(|p| p.join("search-parameters-r4.json").is_file())
        .collect();
    found.sort();
    found
        .pop()
        .expect("the FHIR search parameters are not installed: run scripts/test-all.sh (ensure_hfs), or set INKAN_HFS_DATA")
}

/// A helios-hfs server with its SQLite database in a folder of its own.
#[derive(Debug)]
pub struct FhirServer {
    proc: Option<Proc>,
    dir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl FhirServer {
    /// Starts a server in `dir` (created) on a free port and waits until
    /// `GET /metadata` answers.
    pub fn start(dir: &Path) -> FhirServer {
        std::fs::create_dir_all(dir.join("data")).expect("server dir");
        let defs = hfs_data().join("search-parameters-r4.json");
        let target = dir.join("data/search-parameters-r4.json");
        if !target.exists() {
            std::fs::copy(&defs, &target).expect("copy search parameters");
        }
        let mut s = FhirServer {
            proc: None,
            dir: dir.to_path_buf(),
            port: crate::free_port(),
        };
        s.restart();
        s
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGTERM); its database stays.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.stop();
        }
    }

    /// Starts it again on the same port and database.
    pub fn restart(&mut self) {
        self.stop();
        let mut cmd = Command::new(hfs_bin());
        cmd.current_dir(&self.dir)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--database-url")
            .arg(self.dir.join("fhir.db"))
            .env("HFS_UI_ENABLED", "false")
            .env("HFS_BASE_URL", self.base())
            .env("RUST_LOG", "warn");
        self.proc = Some(Proc::spawn(&format!("hfs-{}", self.port), cmd));
        let url = format!("{}/metadata", self.base());
        crate::wait_for(60, "helios-hfs to answer /metadata", || {
            ureq::get(&url)
                .call()
                .ok()
                .filter(|r| r.status() == 200)
                .map(|_| ())
        });
    }

    /// GET `path` (relative to the base) as JSON.
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let mut r = ureq::get(&format!("{}/{path}", self.base()))
            .header("Accept", "application/fhir+json")
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let body = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .expect("body");
        serde_json::from_slice(&body).expect("JSON")
    }

    /// The resources of `rtype` whose `identifier` is `token` (`system|value`).
    pub fn search(&self, rtype: &str, token: &str) -> Vec<serde_json::Value> {
        let enc: String = token
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let v = self.get_json(&format!("{rtype}?identifier={enc}&_count=50"));
        v["entry"]
            .as_array()
            .map(|e| e.iter().map(|x| x["resource"].clone()).collect())
            .unwrap_or_default()
    }

    /// Every resource of `rtype` (up to 1,000).
    pub fn all(&self, rtype: &str) -> Vec<serde_json::Value> {
        let v = self.get_json(&format!("{rtype}?_count=1000"));
        v["entry"]
            .as_array()
            .map(|e| e.iter().map(|x| x["resource"].clone()).collect())
            .unwrap_or_default()
    }
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the proxy does to a request it has seen `n` times before (0 for
/// the first time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward everything.
    None,
    /// Forward every first request, then cut the connection instead of
    /// answering: the server has done the work, the client never learns it.
    DropFirstResponse,
    /// Answer every first request with this status (and `Retry-After: 1`
    /// and an OperationOutcome) without forwarding it.
    FirstStatus(u16),
    /// Answer every request with this status and an OperationOutcome.
    AlwaysStatus(u16),
}

/// A loopback HTTP/1.1 proxy that injects [`Fault`]s. Requests are told
/// apart by method, target and body.
#[derive(Debug)]
pub struct FaultProxy {
    /// Its port on 127.0.0.1.
    pub port: u16,
    stop: Arc<AtomicBool>,
    /// Requests seen.
    pub requests: Arc<AtomicUsize>,
    /// Responses cut or replaced.
    pub faults: Arc<AtomicUsize>,
}

impl FaultProxy {
    /// A proxy to `127.0.0.1:upstream` with `fault`.
    pub fn start(upstream: u16, fault: Fault) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(AtomicUsize::new(0));
        let seen: Arc<Mutex<HashMap<Vec<u8>, usize>>> = Arc::default();
        let (s, r, f) = (stop.clone(), requests.clone(), faults.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (seen, r, f) = (seen.clone(), r.clone(), f.clone());
                        std::thread::spawn(move || {
                            let _ = serve(client, upstream, fault, &seen, &r, &f);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FaultProxy {
            port,
            stop,
            requests,
            faults,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_request(s: &mut TcpStream) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..].to_vec();
    // Upstream closes after answering, so its answer ends at EOF.
    let mut lines: Vec<&str> = head.split("\r\n").filter(|l| !l.is_empty()).collect();
    lines.retain(|l| !l.to_ascii_lowercase().starts_with("connection:"));
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    Ok(Some((out, body)))
}

fn respond(client: &mut TcpStream, status: u16) -> std::io::Result<()> {
    let body = format!(
        "{{\"resourceType\":\"OperationOutcome\",\"issue\":[{{\"severity\":\"error\",\"code\":\"processing\",\"diagnostics\":\"injected fault {status}\"}}]}}"
    );
    write!(
        client,
        "HTTP/1.1 {status} Injected\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn serve(
    mut client: TcpStream,
    upstream: u16,
    fault: Fault,
    seen: &Mutex<HashMap<Vec<u8>, usize>>,
    requests: &AtomicUsize,
    faults: &AtomicUsize,
) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let Some((head, body)) = read_request(&mut client)? else {
        return Ok(());
    };
    requests.fetch_add(1, Ordering::Relaxed);
    let first_line = head
        .split(|&b| b == b'\r')
        .next()
        .unwrap_or_default()
        .to_vec();
    let mut key = first_line;
    key.extend_from_slice(&body);
    let n = {
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        let c = seen.entry(key).or_insert(0);
        *c += 1;
        *c - 1
    };
    match fault {
        Fault::FirstStatus(status) if n == 0 => {
            faults.fetch_add(1, Ordering::Relaxed);
            return respond(&mut client, status);
        }
        Fault::AlwaysStatus(status) => {
            faults.fetch_add(1, Ordering::Relaxed);
            return respond(&mut client, status);
        }
        _ => {}
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.set_read_timeout(Some(Duration::from_secs(60)))?;
    up.write_all(&head)?;
    up.write_all(&body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    if fault == Fault::DropFirstResponse && n == 0 {
        // The server stored it; the client hears nothing.
        faults.fetch_add(1, Ordering::Relaxed);
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    // Tell the client not to reuse this connection.
    if let Some(i) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&answer[..i]).into_owned();
        let mut lines: Vec<&str> = head.split("\r\n").collect();
        lines.retain(|l| !l.to_ascii_lowercase().starts_with("connection:"));
        let mut out = lines.join("\r\n").into_bytes();
        out.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
        out.extend_from_slice(&answer[i + 4..]);
        answer = out;
    }
    client.write_all(&answer)?;
    client.flush()
}
