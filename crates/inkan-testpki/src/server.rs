//! A loopback HTTP server for the CRLs, so tests can exercise CRL fetching
//! from the cRLDistributionPoints `http` URIs (RFC 5280 §4.2.1.13), served as
//! DER with media type `application/pkix-crl` (RFC 2585 §4.2).
//!
//! The port is part of the certificates, so bind first, then generate:
//!
//! ```no_run
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let port = listener.local_addr().unwrap().port();
//! let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default().with_crl_port(port));
//! let server = inkan_testpki::CrlServer::start(listener, &pki).unwrap();
//! assert_eq!(server.base_url(), pki.crl_base_url);
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{PkiError, TestPki};

#[derive(Debug, Default)]
struct Shared {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    hits: Mutex<BTreeMap<String, usize>>,
    requests: AtomicUsize,
    stop: AtomicBool,
}

/// Serves `GET /<name>` with each CRL of a [`TestPki`] until dropped.
#[derive(Debug)]
pub struct CrlServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl CrlServer {
    /// Starts serving `pki`'s CRLs on `listener` (one background thread).
    pub fn start(listener: TcpListener, pki: &TestPki) -> Result<CrlServer, PkiError> {
        let io = |source| PkiError::Io {
            path: "<crl server>".into(),
            source,
        };
        let addr = listener.local_addr().map_err(io)?;
        let shared = Arc::new(Shared::default());
        {
            let mut files = shared.files.lock().unwrap_or_else(|p| p.into_inner());
            for crl in &pki.crls {
                files.insert(crl.name.clone(), crl.der.clone());
            }
        }
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("inkan-testpki-crl-server".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if worker.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(s) = stream {
                        handle(s, &worker);
                    }
                }
            })
            .map_err(io)?;
        Ok(CrlServer {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// Binds the host and port of `pki.crl_base_url` (e.g. `127.0.0.1:8734`) and serves.
    pub fn bind_for(pki: &TestPki) -> Result<CrlServer, PkiError> {
        let rest = pki
            .crl_base_url
            .strip_prefix("http://")
            .ok_or_else(|| PkiError::InvalidConfig("CRL base URL is not http://".into()))?;
        let host_port = rest.split('/').next().unwrap_or_default();
        let listener = TcpListener::bind(host_port).map_err(|source| PkiError::Io {
            path: host_port.into(),
            source,
        })?;
        CrlServer::start(listener, pki)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Replaces (`Some`) or withdraws (`None`, then 404) what `/<name>` serves,
    /// e.g. to simulate an unreachable or stale CRL.
    pub fn set(&self, name: &str, der: Option<Vec<u8>>) {
        let mut files = self.shared.files.lock().unwrap_or_else(|p| p.into_inner());
        match der {
            Some(d) => files.insert(name.to_owned(), d),
            None => files.remove(name),
        };
    }

    /// How many times `/<name>` was requested.
    pub fn hits(&self, name: &str) -> usize {
        let hits = self.shared.hits.lock().unwrap_or_else(|p| p.into_inner());
        hits.get(name).copied().unwrap_or(0)
    }

    /// How many requests were answered in total.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for CrlServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let name = path.trim_start_matches('/').to_owned();
    shared.requests.fetch_add(1, Ordering::SeqCst);
    {
        let mut hits = shared.hits.lock().unwrap_or_else(|p| p.into_inner());
        *hits.entry(name.clone()).or_default() += 1;
    }
    let body = {
        let files = shared.files.lock().unwrap_or_else(|p| p.into_inner());
        files.get(&name).cloned()
    };
    let mut out = &stream;
    let _ = match (method, body) {
        ("GET" | "HEAD", Some(body)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            out.write_all(head.as_bytes()).and_then(|()| {
                if method == "GET" {
                    out.write_all(&body)
                } else {
                    Ok(())
                }
            })
        }
        ("GET" | "HEAD", None) => out
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        _ => out.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ),
    };
    let _ = out.flush();
}
