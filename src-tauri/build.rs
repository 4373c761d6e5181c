fn main() {
    // Only the commands listed here exist for the UI; the capability file
    // grants them to the main window and nothing else.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "list_readers",
        "trust_anchors",
        "card_status",
        "diagnostics",
        "letter_example",
        "letter_blank",
        "letter_preview",
        "letter_import",
        "sign_letter",
        "verify",
        "verify_folder",
        "history_list",
        "audit_state",
        "export_reports",
        "trust_mode",
        "pick_path",
        "ui_painted",
        "tsa_settings",
        "save_tsa_settings",
        "window_settings",
        "set_out_dir",
        "set_reader_preference",
        "draft_load",
        "draft_save",
        "draft_clear",
        "open_folder",
        "submission_destinations",
        "save_submission_destination",
        "remove_submission_destination",
        "submit_files",
        "outbox_list",
        "outbox_run",
        "outbox_retry",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|e| panic!("tauri build script failed: {e:#}"));
}
