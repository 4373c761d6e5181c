//! Watching readers for card insertion and removal (`SCardGetStatusChange`).

use crate::error::CardError;
use crate::pcsc_readers::ReaderInfo;
use std::ffi::CString;
use std::time::Duration;

/// A change seen by [`Watcher::next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// A card was inserted (with its ATR).
    Inserted(ReaderInfo),
    /// The card was removed.
    Removed(ReaderInfo),
    /// The set of readers changed.
    ReadersChanged(Vec<ReaderInfo>),
}

/// Blocks on PC/SC state changes and reports them as events.
pub struct Watcher {
    ctx: pcsc::Context,
    states: Vec<pcsc::ReaderState>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Watcher({} readers)",
            self.states.len().saturating_sub(1)
        )
    }
}

fn info(s: &pcsc::ReaderState) -> ReaderInfo {
    let ev = s.event_state();
    let present = ev.contains(pcsc::State::PRESENT) && !ev.contains(pcsc::State::MUTE);
    ReaderInfo {
        name: s.name().to_string_lossy().into_owned(),
        card_present: present,
        atr: (present && !s.atr().is_empty())
            .then(|| s.atr().iter().map(|b| format!("{b:02X}")).collect()),
        exclusive: ev.contains(pcsc::State::EXCLUSIVE),
    }
}

impl Watcher {
    /// Starts watching every reader (and the reader list itself).
    pub fn new() -> Result<Watcher, CardError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(CardError::pcsc("SCardEstablishContext"))?;
        let mut w = Watcher {
            ctx,
            states: Vec::new(),
        };
        w.reload()?;
        Ok(w)
    }

    fn reload(&mut self) -> Result<Vec<ReaderInfo>, CardError> {
        let names: Vec<CString> = match self.ctx.list_readers_owned() {
            Ok(n) => n,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(CardError::pcsc("SCardListReaders")(e)),
        };
        let mut states = vec![pcsc::ReaderState::new(
            pcsc::PNP_NOTIFICATION(),
            pcsc::State::UNAWARE,
        )];
        states.extend(
            names
                .into_iter()
                .map(|n| pcsc::ReaderState::new(n, pcsc::State::UNAWARE)),
        );
        self.ctx
            .get_status_change(Some(Duration::ZERO), &mut states)
            .or_else(|e| {
                if e == pcsc::Error::Timeout {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(CardError::pcsc("SCardGetStatusChange"))?;
        for s in &mut states {
            s.sync_current_state();
        }
        self.states = states;
        Ok(self.states.iter().skip(1).map(info).collect())
    }

    /// The readers as last seen.
    pub fn readers(&self) -> Vec<ReaderInfo> {
        self.states.iter().skip(1).map(info).collect()
    }

    /// Waits up to `timeout` for the next change; `None` on timeout.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<Vec<ReaderEvent>>, CardError> {
        match self.ctx.get_status_change(Some(timeout), &mut self.states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(None),
            Err(e) => return Err(CardError::pcsc("SCardGetStatusChange")(e)),
        }
        let mut events = Vec::new();
        let pnp_changed = self
            .states
            .first()
            .is_some_and(|s| s.event_state().contains(pcsc::State::CHANGED));
        for s in self.states.iter().skip(1) {
            let ev = s.event_state();
            if !ev.contains(pcsc::State::CHANGED) {
                continue;
            }
            let was = s.current_state().contains(pcsc::State::PRESENT);
            let now = ev.contains(pcsc::State::PRESENT);
            match (was, now) {
                (false, true) => events.push(ReaderEvent::Inserted(info(s))),
                (true, false) => events.push(ReaderEvent::Removed(info(s))),
                _ => {}
            }
        }
        let gone = self.states.iter().skip(1).any(|s| {
            s.event_state()
                .intersects(pcsc::State::UNKNOWN | pcsc::State::IGNORE)
        });
        for s in &mut self.states {
            s.sync_current_state();
        }
        if pnp_changed || gone {
            events.push(ReaderEvent::ReadersChanged(self.reload()?));
        }
        Ok(Some(events))
    }
}
