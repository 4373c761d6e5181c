//! The simulated card on vsmartcard's virtual reader (vpcd).
//!
//! vpcd listens; the card connects as a TCP client. Both directions carry
//! frames of a 2-byte big-endian length and a payload. A 1-byte payload is a
//! control message (`00` power off, `01` power on, `02` reset, `04` get ATR —
//! only the last expects an answer); longer payloads are APDUs. pcscd polls
//! the ATR every ~400 ms, so the card answers at any time. Closing the socket
//! is removing the card.

use crate::model::SimCard;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A fault to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The card vanishes (socket closed, no answer) when it receives the Nth
    /// APDU from now (1 = the next one). It stays out until [`SimHandle::insert`].
    VanishOnApdu(usize),
    /// The card vanishes when it receives a command with this INS (e.g.
    /// `0x2A`, PSO: removed in the middle of signing), wherever it comes in the
    /// sequence. It stays out until [`SimHandle::insert`].
    VanishOnIns(u8),
    /// Every answer is delayed.
    Delay(Duration),
    /// Commands with this INS get this status word instead of being processed.
    ForceStatus {
        /// Instruction byte.
        ins: u8,
        /// Status word returned.
        sw: u16,
    },
}

/// One exchange, as the card saw it. VERIFY data is never logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedApdu {
    /// CLA INS P1 P2 (+ Lc/data/Le, with VERIFY data replaced by `**`).
    pub command: Vec<u8>,
    /// The status word answered, `None` when the card vanished instead.
    pub sw: Option<u16>,
}

#[derive(Debug, Default)]
struct Faults {
    vanish_at: Option<usize>,
    vanish_ins: Option<u8>,
    delay: Option<Duration>,
    force: Vec<(u8, u16)>,
}

#[derive(Debug)]
struct Shared {
    card: Mutex<SimCard>,
    faults: Mutex<Faults>,
    log: Mutex<Vec<LoggedApdu>>,
    wire: Mutex<Option<Vec<Vec<u8>>>>,
    inserted: AtomicBool,
    connected: AtomicBool,
    stop: AtomicBool,
    apdus: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the card down with it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running simulated card. Dropping it removes the card and stops the thread.
#[derive(Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    addr: SocketAddr,
}

/// Starts the card and inserts it into the vpcd reader at `addr`.
pub fn spawn(addr: SocketAddr, card: SimCard) -> SimHandle {
    let shared = Arc::new(Shared {
        card: Mutex::new(card),
        faults: Mutex::new(Faults::default()),
        log: Mutex::new(Vec::new()),
        wire: Mutex::new(None),
        inserted: AtomicBool::new(true),
        connected: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        apdus: AtomicUsize::new(0),
    });
    let s = shared.clone();
    let thread = std::thread::Builder::new()
        .name(format!("inkan-card-sim {addr}"))
        .spawn(move || run(addr, &s))
        .ok();
    SimHandle {
        shared,
        thread,
        addr,
    }
}

impl SimHandle {
    /// The vpcd address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts recording every command exactly as it arrives, VERIFY data
    /// included, for tests that check where a PIN travels (once, in the
    /// signing application's VERIFY, nowhere else). The card's own log stays
    /// redacted; the tap is off unless a test turns it on.
    pub fn tap_wire(&self) {
        *lock(&self.shared.wire) = Some(Vec::new());
    }

    /// The commands recorded since [`SimHandle::tap_wire`], unredacted (empty
    /// when the wire is not tapped).
    pub fn wire(&self) -> Vec<Vec<u8>> {
        lock(&self.shared.wire).clone().unwrap_or_default()
    }

    /// Removes the card from the reader.
    pub fn remove(&self) {
        self.shared.inserted.store(false, Ordering::SeqCst);
    }

    /// Inserts the card again (after [`SimHandle::remove`] or a vanish fault).
    pub fn insert(&self) {
        self.shared.inserted.store(true, Ordering::SeqCst);
    }

    /// Whether vpcd currently sees the card.
    pub fn connected(&self) -> bool {
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// Waits until vpcd has the card (or `timeout` passes).
    pub fn wait_connected(&self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.connected() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        let mut f = lock(&self.shared.faults);
        match fault {
            Fault::VanishOnApdu(n) => {
                f.vanish_at = Some(self.shared.apdus.load(Ordering::SeqCst) + n.max(1));
            }
            Fault::VanishOnIns(ins) => f.vanish_ins = Some(ins),
            Fault::Delay(d) => f.delay = Some(d),
            Fault::ForceStatus { ins, sw } => f.force.push((ins, sw)),
        }
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        *lock(&self.shared.faults) = Faults::default();
    }

    /// The exchanges so far.
    pub fn log(&self) -> Vec<LoggedApdu> {
        lock(&self.shared.log).clone()
    }

    /// Forgets the exchanges so far.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// Remaining PIN tries of the signing application.
    pub fn tries_left(&self) -> u8 {
        lock(&self.shared.card).tries_left()
    }

    /// Sets the signing application's remaining PIN tries.
    pub fn set_tries_left(&self, n: u8) {
        lock(&self.shared.card).set_tries_left(n);
    }

    /// Remaining PIN tries of the authentication application.
    pub fn auth_tries_left(&self) -> Option<u8> {
        lock(&self.shared.card).auth_tries_left()
    }

    /// Warm resets the host asked for since the card was started.
    pub fn resets(&self) -> usize {
        lock(&self.shared.card).resets()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(addr: SocketAddr, s: &Shared) {
    while !s.stop.load(Ordering::SeqCst) {
        if !s.inserted.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Ok(stream) => {
                s.connected.store(true, Ordering::SeqCst);
                serve(stream, s);
                s.connected.store(false, Ordering::SeqCst);
                // A removed card loses power.
                lock(&s.card).reset();
            }
            // vpcd not up yet (pcscd starting): try again shortly.
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn tune(stream: &TcpStream) {
    // vpcd writes length and payload as two segments: without NODELAY and
    // QUICKACK every APDU waits ~40 ms for a delayed ACK.
    let sock = socket2::SockRef::from(stream);
    let _ = sock.set_tcp_nodelay(true);
    let _ = sock.set_tcp_quickack(true);
}

/// Reads exactly `buf.len()` bytes, polling the stop/removal flags.
/// `Ok(false)` means: stop serving (EOF, removal, shutdown).
fn read_full(stream: &mut TcpStream, buf: &mut [u8], s: &Shared) -> bool {
    let mut got = 0;
    while got < buf.len() {
        if s.stop.load(Ordering::SeqCst) || !s.inserted.load(Ordering::SeqCst) {
            return false;
        }
        tune(stream);
        match stream.read(&mut buf[got..]) {
            Ok(0) => return false,
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return false,
        }
    }
    true
}

fn send(stream: &mut TcpStream, payload: &[u8]) -> bool {
    let Ok(len) = u16::try_from(payload.len()) else {
        return false;
    };
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    stream.write_all(&frame).is_ok()
}

fn redact(apdu: &[u8]) -> Vec<u8> {
    if apdu.get(1) == Some(&0x20) && apdu.len() > 5 {
        let mut v = apdu[..5].to_vec();
        v.extend_from_slice(b"**");
        v
    } else {
        apdu.to_vec()
    }
}

fn serve(mut stream: TcpStream, s: &Shared) {
    tune(&stream);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    loop {
        let mut len = [0u8; 2];
        if !read_full(&mut stream, &mut len, s) {
            break;
        }
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if !read_full(&mut stream, &mut payload, s) {
            break;
        }
        match payload[..] {
            [0x02] => lock(&s.card).warm_reset(),
            [0x00] | [0x01] => lock(&s.card).reset(),
            [0x04] => {
                if !send(&mut stream, &SimCard::atr()) {
                    break;
                }
            }
            [_] => {}
            _ => {
                let n = s.apdus.fetch_add(1, Ordering::SeqCst) + 1;
                if let Some(w) = lock(&s.wire).as_mut() {
                    w.push(payload.clone());
                }
                let (vanish, delay, forced) = {
                    let f = lock(&s.faults);
                    let forced = payload
                        .get(1)
                        .and_then(|ins| f.force.iter().find(|(i, _)| i == ins).map(|(_, sw)| *sw));
                    let by_ins = f.vanish_ins.is_some() && payload.get(1).copied() == f.vanish_ins;
                    (f.vanish_at == Some(n) || by_ins, f.delay, forced)
                };
                if vanish {
                    lock(&s.log).push(LoggedApdu {
                        command: redact(&payload),
                        sw: None,
                    });
                    {
                        let mut f = lock(&s.faults);
                        f.vanish_at = None;
                        f.vanish_ins = None;
                    }
                    s.inserted.store(false, Ordering::SeqCst);
                    break;
                }
                if let Some(d) = delay {
                    std::thread::sleep(d);
                }
                let response = match forced {
                    Some(sw) => sw.to_be_bytes().to_vec(),
                    None => lock(&s.card).process(&payload),
                };
                let sw = response
                    .len()
                    .checked_sub(2)
                    .map(|i| u16::from_be_bytes([response[i], response[i + 1]]));
                lock(&s.log).push(LoggedApdu {
                    command: redact(&payload),
                    sw,
                });
                if !send(&mut stream, &response) {
                    break;
                }
            }
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}
