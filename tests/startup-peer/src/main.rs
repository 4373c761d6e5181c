//! A minimal Tauri 2 window: the peer that Inkan's start-up time and idle
//! memory are compared with (`tests/e2e/benches/release.rs`). Its page
//! reports its first painted frame exactly as Inkan's UI does.
#![forbid(unsafe_code)]

use std::io::Write;

#[tauri::command]
fn painted() {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "inkan-app: first frame painted");
    let _ = out.flush();
}

fn main() {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![painted])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("inkan-startup-peer: {e}");
        std::process::exit(1);
    }
}
