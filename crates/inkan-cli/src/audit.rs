//! `inkan audit`: check and export the tamper-evident signing log
//! (`inkan_workflow::audit`).

use crate::output::Failure;
use inkan_l10n::{Lang, Message};
use inkan_workflow::audit::{AuditLog, AuditRecord, KeyStore};
use std::path::PathBuf;

/// The log's folder: `--dir`, else the data folder the app and every
/// command share. Checking or exporting never starts a log: a folder
/// without one (a typo, a backup not yet restored) is an error.
fn dir(explicit: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let d = explicit
        .or_else(inkan_workflow::settings::data_dir)
        .ok_or_else(|| {
            Failure::new(Message {
                code: "audit.no_folder".into(),
                ja: "データフォルダがありません（HOME が設定されていません）".into(),
                en: "no data folder (HOME is not set)".into(),
            })
        })?;
    if !d.join(inkan_workflow::audit::DB_FILE).is_file() {
        return Err(Failure::new(Message {
            code: "audit.no_log".into(),
            ja: format!(
                "{} に署名ログ（{}）がありません",
                d.display(),
                inkan_workflow::audit::DB_FILE
            ),
            en: format!(
                "there is no signing log ({}) in {}",
                inkan_workflow::audit::DB_FILE,
                d.display()
            ),
        }));
    }
    Ok(d)
}

/// `inkan audit verify`: every record's hash and link; exit 3 and the first
/// broken record when the chain does not hold.
pub fn verify(explicit: Option<PathBuf>, json: bool, lang: Lang) -> Result<(), Failure> {
    let d = dir(explicit)?;
    let log = AuditLog::open(&d)?;
    let state = log.verify()?;
    if json {
        crate::output::print_json(&state);
    } else {
        match (&state.first_broken, lang) {
            (None, Lang::Ja) => {
                println!(
                    "署名ログは改ざんされていません（{} 件、{}、鍵: {}）",
                    state.records,
                    d.display(),
                    match state.key_store {
                        KeyStore::Keyring => "OS のキーリング",
                        _ => "鍵ファイル audit.key",
                    }
                );
                if let Some((id, hash)) = &state.head {
                    println!("最新の記録 {id} のハッシュ: {hash}（控えておくと、末尾の記録が消されたことも後で分かります）");
                }
            }
            (None, Lang::En) => {
                println!(
                    "The audit log is intact ({} records, {}, key: {})",
                    state.records,
                    d.display(),
                    match state.key_store {
                        KeyStore::Keyring => "the OS keyring",
                        _ => "the key file audit.key",
                    }
                );
                if let Some((id, hash)) = &state.head {
                    println!("Newest record {id}, hash {hash} (kept elsewhere, it shows later whether records were cut from the end)");
                }
            }
            (Some(b), Lang::Ja) => println!(
                "署名ログが改ざんされています: 記録 {} で連鎖が切れています（{}）",
                b.id,
                match b.reason {
                    "hash" => "記録の内容が変更されています",
                    "link" => "前の記録が削除または変更されています",
                    _ => "記録番号が連続していません",
                }
            ),
            (Some(b), Lang::En) => println!(
                "The audit log has been tampered with: the chain breaks at record {} ({})",
                b.id,
                match b.reason {
                    "hash" => "the record was changed",
                    "link" => "a record before it was removed or changed",
                    _ => "the numbering has a gap",
                }
            ),
        }
    }
    if state.intact() {
        Ok(())
    } else {
        Err(Failure::silent(crate::signature::EXIT_FAILED))
    }
}

fn csv_field(s: &str) -> String {
    // Formula injection: a cell beginning with = + - @ is quoted as text.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn csv_row(r: &AuditRecord) -> String {
    [
        r.id.to_string(),
        r.time_utc.clone(),
        r.time_jst.clone(),
        r.action.clone(),
        r.doc_sha256.clone(),
        r.doc_name.clone(),
        r.signer_fingerprint.clone().unwrap_or_default(),
        r.signer_holder.clone().unwrap_or_default(),
        r.verdict.clone().unwrap_or_default(),
        r.prev_hash.clone(),
        r.hash.clone(),
    ]
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
}

/// `inkan audit export --from --to --json|--csv`: the records in the time
/// range (UTC, RFC 3339 or a prefix such as `2026-11`).
pub fn export(
    explicit: Option<PathBuf>,
    from: Option<String>,
    to: Option<String>,
    csv: bool,
) -> Result<(), Failure> {
    let d = dir(explicit)?;
    let log = AuditLog::open(&d)?;
    let records = log.records(from.as_deref(), to.as_deref())?;
    if csv {
        println!("id,time_utc,time_jst,action,doc_sha256,doc_name,signer_fingerprint,signer_holder,verdict,prev_hash,hash");
        for r in &records {
            println!("{}", csv_row(r));
        }
    } else {
        crate::output::print_json(&records);
    }
    Ok(())
}
