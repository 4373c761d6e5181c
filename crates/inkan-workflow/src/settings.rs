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
    /// A settings file is not JSON at all.
    #[error("{} is not valid JSON (line {line}, column {column}): correct or delete it", path.display())]
    NotJson {
        /// The file.
        path: PathBuf,
        /// Where the JSON reader stopped.
        line: usize,
        /// See `line`.
        column: usize,
    },
}

impl Localized for SettingsError {
    fn code(&self) -> &'static str {
        match self {
            SettingsError::Read { .. } => "settings.read",
            SettingsError::Invalid { .. } => "settings.invalid",
            SettingsError::NotJson { .. } => "settings.not_json",
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
            SettingsError::NotJson { path, line, column } => format!(
                "設定ファイル {} が JSON として読めません（{line} 行 {column} 文字目）。修正するか削除してください",
                path.display()
            ),
        };
        Text::new(ja, self.to_string())
    }
}

/// Where the app keeps its data (the history, the audit log), shared with
/// the CLI: `$INKAN_DATA_DIR`, else `$XDG_DATA_HOME/jp.inkan.desktop`,
/// else `~/.local/share/jp.inkan.desktop` (the app's identifier, as the
/// window's data folder on Linux); `~/Library/Application Support/…` on
/// macOS and `%APPDATA%\jp.inkan.desktop` on Windows, as the window's.
pub fn data_dir() -> Option<PathBuf> {
    // Only absolute values count (an empty or relative XDG variable is
    // ignored, as the XDG specification says), so that the window and the
    // CLI find the same folder, hence the same history and signing log.
    let abs = |k: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(d) = abs("INKAN_DATA_DIR") {
        return Some(d);
    }
    let base = if cfg!(windows) {
        // The window's data folder is in the roaming AppData.
        abs("APPDATA")
    } else if cfg!(target_os = "macos") {
        abs("HOME").map(|h| h.join("Library/Application Support"))
    } else {
        abs("XDG_DATA_HOME").or_else(|| abs("HOME").map(|h| h.join(".local/share")))
    };
    base.map(|d| d.join("jp.inkan.desktop"))
}

/// `$INKAN_CONFIG_DIR`, else `$XDG_CONFIG_HOME/inkan`, else `~/.config/inkan`,
/// else `%APPDATA%\inkan` (Windows).
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("INKAN_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
                .or_else(|| std::env::var_os("APPDATA").map(PathBuf::from))
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
        serde_json::from_slice(&bytes).map_err(|e| SettingsError::NotJson {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
        })?;
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

    fn tmp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dir");
        d
    }

    #[test]
    fn credentials_never_follow_the_url_to_another_server() {
        let d = tmp_dir("inkan-tsa-origin");
        let json = d.join("tsa.json");
        let with_creds = r#"{"url":"https://tsa-a.example/ts","user":"u","password":"p"}"#;
        std::fs::write(&json, with_creds).expect("write");
        // Another path on the same server keeps them.
        save_tsa_settings_in(&d, "https://TSA-A.example:443/other", None).expect("save");
        let cfg = read_tsa_json(&json).expect("read").expect("config");
        assert!(cfg.basic_auth.is_some());
        // Another server does not get them.
        save_tsa_settings_in(&d, "https://tsa-b.example/ts", None).expect("save");
        let cfg = read_tsa_json(&json).expect("read").expect("config");
        assert_eq!(cfg.url, "https://tsa-b.example/ts");
        assert!(
            cfg.basic_auth.is_none(),
            "credentials sent to another server"
        );
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn adding_a_certificate_with_no_url_keeps_the_tsa() {
        let d = tmp_dir("inkan-tsa-keep");
        let json = d.join("tsa.json");
        std::fs::write(
            &json,
            r#"{"url":"https://tsa.example/","user":"u","password":"p"}"#,
        )
        .expect("write");
        let pki = inkan_testpki::cached(&inkan_testpki::PkiConfig::default());
        let cert = d.join("tsa.der");
        std::fs::write(&cert, &pki.ca(inkan_testpki::CaId::Root).cert_der).expect("cert");
        save_tsa_settings_in(&d, "", Some(&cert)).expect("save");
        assert!(json.exists(), "tsa.json was removed");
        assert_eq!(d.join("tsa-trust").read_dir().expect("trust").count(), 1);
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn a_file_that_is_not_json_is_said_plainly() {
        let d = tmp_dir("inkan-tsa-json");
        let json = d.join("tsa.json");
        std::fs::write(&json, "{").expect("write");
        let e = read_tsa_json(&json).expect_err("not JSON");
        assert_eq!(e.code(), "settings.not_json");
        let t = e.text();
        assert!(!t.en.contains("EOF") && !t.ja.contains("EOF"), "{t:?}");
        assert!(t.ja.contains("1 行"), "{t:?}");
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

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
                matches!(
                    read_tsa_json(&p),
                    Err(SettingsError::Invalid { .. } | SettingsError::NotJson { .. })
                ),
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
    save_tsa_settings_in(&folder, url, add_trust)?;
    Ok(tsa_settings_view())
}

fn save_tsa_settings_in(
    folder: &Path,
    url: &str,
    add_trust: Option<&Path>,
) -> Result<(), SettingsError> {
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
    if url.is_empty() && add_trust.is_some() {
        // Adding a certificate (the URL field not filled in, or not loaded
        // yet) leaves the TSA as it is.
    } else if url.is_empty() {
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
        // Credentials belong to the server they were given for: another
        // origin never receives them.
        let same_origin = v["url"].as_str().map(origin) == Some(origin(url));
        if !same_origin {
            if let Some(o) = v.as_object_mut() {
                o.remove("user");
                o.remove("password");
            }
        }
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
    Ok(())
}

/// `scheme://host[:port]` of an http(s) URL, lower-cased (what a browser
/// would call its origin; enough to tell one server from another here).
fn origin(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match (scheme.to_ascii_lowercase().as_str(), host.rsplit_once(':')) {
        ("https", Some((h, "443"))) | ("http", Some((h, "80"))) => h,
        _ => host,
    };
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
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
