//! The user's settings that the core needs: the settings folder, the
//! time-stamp authority (`tsa.json`) and the TSA trust anchors
//! (`tsa-trust/`). See docs/timestamps.md.

use std::path::{Path, PathBuf};

use inkan_l10n::{Localized, Text};

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A settings file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A settings file is not what it should be.
    #[error("{} is not valid: {detail}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

impl Localized for SettingsError {
    fn code(&self) -> &'static str {
        match self {
            SettingsError::Read { .. } => "settings.read",
            SettingsError::Invalid { .. } => "settings.invalid",
        }
    }

    fn text(&self) -> Text {
        let ja = match self {
            SettingsError::Read { path, source } => {
                format!("設定ファイル {} を読み込めません: {source}", path.display())
            }
            SettingsError::Invalid { path, detail } => {
                format!(
                    "設定ファイル {} が正しくありません: {detail}",
                    path.display()
                )
            }
        };
        Text::new(ja, self.to_string())
    }
}

/// Where the app keeps its data (the history, the audit log), shared with
/// the CLI: `$INKAN_DATA_DIR`, else `$XDG_DATA_HOME/jp.inkan.desktop`,
/// else `~/.local/share/jp.inkan.desktop` (the app's identifier, as the
/// window's data folder on Linux).
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("INKAN_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
                .map(|d| d.join("jp.inkan.desktop"))
        })
}

/// `$INKAN_CONFIG_DIR`, else `$XDG_CONFIG_HOME/inkan`, else `~/.config/inkan`.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("INKAN_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
                .map(|c| c.join("inkan"))
        })
}

/// The TSA trust anchors (DER): every certificate in `tsa-trust/` of the
/// settings folder, then those in `extra` (`--tsa-trust`).
pub fn tsa_trust_anchors(extra: &[PathBuf]) -> Result<Vec<Vec<u8>>, SettingsError> {
    let mut paths: Vec<PathBuf> = Vec::new();
    if let Some(dir) = config_dir().map(|d| d.join("tsa-trust")) {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            found.sort();
            paths.extend(found.into_iter().filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("pem" | "crt" | "cer" | "der")
                )
            }));
        }
    }
    paths.extend(extra.iter().cloned());
    let mut out = Vec::new();
    for p in &paths {
        let bytes = std::fs::read(p).map_err(|source| SettingsError::Read {
            path: p.clone(),
            source,
        })?;
        let certs = inkan_trust::store::certificates_from_pem_or_der(&bytes).map_err(|e| {
            SettingsError::Invalid {
                path: p.clone(),
                detail: format!("not a certificate: {e}"),
            }
        })?;
        out.extend(certs);
    }
    Ok(out)
}

/// The TSA: `url` when given (`--tsa`), else `tsa.json` of the settings
/// folder (`{"url": "…", "user": "…", "password": "…"}`); `None` when
/// neither is there.
pub fn tsa_config(url: Option<&str>) -> Result<Option<inkan_tsp::TsaConfig>, SettingsError> {
    if let Some(u) = url {
        return Ok(Some(inkan_tsp::TsaConfig::new(u)));
    }
    let Some(path) = config_dir().map(|d| d.join("tsa.json")) else {
        return Ok(None);
    };
    read_tsa_json(&path)
}

fn read_tsa_json(path: &Path) -> Result<Option<inkan_tsp::TsaConfig>, SettingsError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SettingsError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let invalid = |detail: String| SettingsError::Invalid {
        path: path.to_path_buf(),
        detail,
    };
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    let url = v["url"]
        .as_str()
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .ok_or_else(|| invalid("\"url\" must be an http:// or https:// URL".into()))?;
    let mut cfg = inkan_tsp::TsaConfig::new(url);
    match (v["user"].as_str(), v["password"].as_str()) {
        (Some(u), Some(p)) => cfg.basic_auth = Some((u.to_owned(), p.to_owned())),
        (None, None) => {}
        _ => return Err(invalid("\"user\" and \"password\" go together".into())),
    }
    Ok(Some(cfg))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tsa_json_is_read_and_checked() {
        let dir = std::env::temp_dir().join(format!("inkan-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("tsa.json");
        assert!(read_tsa_json(&p).unwrap().is_none());
        std::fs::write(
            &p,
            r#"{"url": "https://tsa.example.jp/", "user": "u", "password": "p"}"#,
        )
        .unwrap();
        let c = read_tsa_json(&p).unwrap().unwrap();
        assert_eq!(c.url, "https://tsa.example.jp/");
        assert_eq!(c.basic_auth, Some(("u".into(), "p".into())));
        for bad in [
            r#"{"url": "ftp://x"}"#,
            r#"{"url": "https://x", "user": "u"}"#,
            "[",
            "{}",
        ] {
            std::fs::write(&p, bad).unwrap();
            assert!(
                matches!(read_tsa_json(&p), Err(SettingsError::Invalid { .. })),
                "{bad}"
            );
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The TSA settings as the window shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TsaSettingsView {
    /// The settings folder.
    pub folder: Option<PathBuf>,
    /// The TSA URL, when configured.
    pub url: Option<String>,
    /// Whether HTTP Basic credentials are set (they are never shown).
    pub has_credentials: bool,
    /// The TSA trust anchors: (file name, subject).
    pub trust: Vec<(String, String)>,
}

/// The TSA settings, for the window.
pub fn tsa_settings_view() -> TsaSettingsView {
    let folder = config_dir();
    let cfg = tsa_config(None).ok().flatten();
    let mut trust = Vec::new();
    if let Some(dir) = folder.as_ref().map(|d| d.join("tsa-trust")) {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                let Ok(bytes) = std::fs::read(&f) else {
                    continue;
                };
                let Ok(certs) = inkan_trust::store::certificates_from_pem_or_der(&bytes) else {
                    continue;
                };
                for c in certs {
                    let subject = inkan_trust::holder::summarize(&c)
                        .map(|h| h.name)
                        .unwrap_or_default();
                    trust.push((
                        f.file_name()
                            .map(|n| n.to_string_lossy().to_string())
                            .unwrap_or_default(),
                        subject,
                    ));
                }
            }
        }
    }
    TsaSettingsView {
        folder,
        has_credentials: cfg.as_ref().is_some_and(|c| c.basic_auth.is_some()),
        url: cfg.map(|c| c.url),
        trust,
    }
}

/// Saves the TSA URL (keeping any credentials already in `tsa.json`; an
/// empty URL removes the TSA) and, when given, adds a TSA trust anchor from
/// the certificate file `add_trust` (copied as `<sha256>.pem`). Files are
/// written atomically.
pub fn save_tsa_settings(
    url: &str,
    add_trust: Option<&Path>,
) -> Result<TsaSettingsView, SettingsError> {
    let folder = config_dir().ok_or_else(|| SettingsError::Invalid {
        path: PathBuf::from("~/.config/inkan"),
        detail: "no settings folder (HOME is not set)".into(),
    })?;
    let write = |path: &Path, bytes: &[u8]| -> Result<(), SettingsError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| SettingsError::Read {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        inkan_referral::write_atomic(path, bytes).map_err(|source| SettingsError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let json_path = folder.join("tsa.json");
    let url = url.trim();
    if url.is_empty() {
        match std::fs::remove_file(&json_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(SettingsError::Read {
                    path: json_path,
                    source,
                })
            }
        }
    } else {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(SettingsError::Invalid {
                path: json_path,
                detail: "the URL must start with https:// or http://".into(),
            });
        }
        let mut v: serde_json::Value = std::fs::read(&json_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(serde_json::Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}));
        v["url"] = serde_json::Value::String(url.to_owned());
        let bytes = serde_json::to_vec_pretty(&v).map_err(|e| SettingsError::Invalid {
            path: json_path.clone(),
            detail: e.to_string(),
        })?;
        write(&json_path, &bytes)?;
    }
    if let Some(src) = add_trust {
        let bytes = std::fs::read(src).map_err(|source| SettingsError::Read {
            path: src.to_path_buf(),
            source,
        })?;
        let certs = inkan_trust::store::certificates_from_pem_or_der(&bytes).map_err(|e| {
            SettingsError::Invalid {
                path: src.to_path_buf(),
                detail: format!("not a certificate: {e}"),
            }
        })?;
        for c in certs {
            let name = format!(
                "{}.pem",
                hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(&c)[..8])
            );
            let pem = format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                base64_lines(&c)
            );
            write(&folder.join("tsa-trust").join(name), pem.as_bytes())?;
        }
    }
    Ok(tsa_settings_view())
}

fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    b.as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
