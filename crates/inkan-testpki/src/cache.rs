//! A process-wide cache, so that the tests of one binary generate each test PKI once.

use std::sync::{Arc, Mutex};

use crate::{generate, PkiConfig, PkiError, TestPki};

/// Configurations generated so far in this process (a handful at most).
static CACHE: Mutex<Vec<(PkiConfig, Arc<TestPki>)>> = Mutex::new(Vec::new());

/// [`generate`]s `cfg` once per process and returns the shared result.
///
/// Concurrent callers with the same configuration wait for the first one
/// instead of generating again.
pub fn try_cached(cfg: &PkiConfig) -> Result<Arc<TestPki>, PkiError> {
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, pki)) = cache.iter().find(|(c, _)| c == cfg) {
        return Ok(Arc::clone(pki));
    }
    let pki = Arc::new(generate(cfg)?);
    cache.push((cfg.clone(), Arc::clone(&pki)));
    Ok(pki)
}

/// [`try_cached`] for tests.
///
/// # Panics
/// When generation fails (an invalid configuration).
pub fn cached(cfg: &PkiConfig) -> Arc<TestPki> {
    match try_cached(cfg) {
        Ok(pki) => pki,
        Err(e) => panic!("test PKI generation failed: {e}"),
    }
}
