//! The main window's size, remembered across starts in
//! `<app_config_dir>/window.json` (`{"width": …, "height": …}`, logical pixels).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tauri::{LogicalSize, Manager, Runtime, Window, WindowEvent};

const FILE: &str = "window.json";
/// The window's minimum size (as in `tauri.conf.json`).
const MIN: (f64, f64) = (720.0, 520.0);
/// Larger than any screen: a bigger stored size is a corrupt file.
const MAX: f64 = 16_384.0;
/// While the user drags, write at most this often (the last size is always
/// written when the window closes).
const WRITE_INTERVAL: Duration = Duration::from_millis(500);

/// The stored size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowSize {
    /// Width, logical pixels.
    pub width: f64,
    /// Height, logical pixels.
    pub height: f64,
}

impl WindowSize {
    /// The size clamped to what the window accepts; `None` for nonsense.
    fn sane(self) -> Option<WindowSize> {
        if !self.width.is_finite() || !self.height.is_finite() {
            return None;
        }
        if self.width > MAX || self.height > MAX || self.width <= 0.0 || self.height <= 0.0 {
            return None;
        }
        Some(WindowSize {
            width: self.width.max(MIN.0),
            height: self.height.max(MIN.1),
        })
    }
}

struct Pending {
    latest: Option<WindowSize>,
    written: Option<WindowSize>,
    last_write: Option<Instant>,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    latest: None,
    written: None,
    last_write: None,
});

fn file<R: Runtime, M: Manager<R>>(m: &M) -> Option<PathBuf> {
    m.path().app_config_dir().ok().map(|d| d.join(FILE))
}

fn save(path: &std::path::Path, size: WindowSize) {
    let result = (|| -> Result<(), String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let json = serde_json::to_vec_pretty(&size).map_err(|e| e.to_string())?;
        inkan_referral::write_atomic(path, &json).map_err(|e| e.to_string())
    })();
    if let Err(e) = result {
        eprintln!("inkan-app: cannot save {}: {e}", path.display());
    }
}

/// Applies the remembered size to the main window (at start-up).
pub fn restore<R: Runtime>(app: &tauri::App<R>) {
    let Some(path) = file(app) else { return };
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let Some(size) = serde_json::from_slice::<WindowSize>(&bytes)
        .ok()
        .and_then(WindowSize::sane)
    else {
        return;
    };
    if let Some(w) = app.get_webview_window("main") {
        if let Err(e) = w.set_size(LogicalSize::new(size.width, size.height)) {
            eprintln!("inkan-app: cannot restore the window size: {e}");
        }
    }
    let mut p = PENDING.lock().unwrap_or_else(|p| p.into_inner());
    p.written = Some(size);
}

/// Tracks resizes and writes the size (throttled while resizing, always on close).
pub fn on_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if window.label() != "main" {
        return;
    }
    let closing = matches!(
        event,
        WindowEvent::CloseRequested { .. } | WindowEvent::Destroyed
    );
    let mut p = PENDING.lock().unwrap_or_else(|p| p.into_inner());
    if let WindowEvent::Resized(physical) = event {
        let minimized = window.is_minimized().unwrap_or(false);
        let maximized = window.is_maximized().unwrap_or(false);
        if minimized || maximized || physical.width == 0 || physical.height == 0 {
            return;
        }
        let scale = window.scale_factor().unwrap_or(1.0);
        let logical = physical.to_logical::<f64>(scale);
        p.latest = WindowSize {
            width: logical.width.round(),
            height: logical.height.round(),
        }
        .sane();
    } else if !closing {
        return;
    }
    let Some(latest) = p.latest else { return };
    if p.written == Some(latest) {
        return;
    }
    let due = p.last_write.is_none_or(|t| t.elapsed() >= WRITE_INTERVAL);
    if !(closing || due) {
        return;
    }
    if let Some(path) = file(window) {
        save(&path, latest);
        p.written = Some(latest);
        p.last_write = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_sizes_are_clamped_or_refused() {
        let s = |width, height| WindowSize { width, height }.sane();
        assert_eq!(
            s(1200.0, 800.0),
            Some(WindowSize {
                width: 1200.0,
                height: 800.0
            })
        );
        assert_eq!(
            s(100.0, 100.0),
            Some(WindowSize {
                width: 720.0,
                height: 520.0
            })
        );
        assert_eq!(s(f64::NAN, 800.0), None);
        assert_eq!(s(-1.0, 800.0), None);
        assert_eq!(s(1e9, 800.0), None);
    }
}
