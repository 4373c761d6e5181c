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
