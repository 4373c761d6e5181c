//! Named destinations: `destinations.json` in the settings folder, so that
//! clinic staff pick 「地域連携サーバ」 rather than type a URL, and so that a
//! bearer token lives in a file only the user can read, never in the
//! outbox (an item names its destination; the token is looked up when it
//! is delivered).
//!
//! ```json
//! { "destinations": [
//!     { "name": "地域連携サーバ", "to": "fhir:https://fhir.example.jp/r4?mode=mhd",
//!       "bearer_token": "…" },
//!     { "name": "共有フォルダ", "to": "folder:/mnt/share/inbox?layout=xdm" } ] }
//! ```

use crate::error::OutboxError;
use crate::model::Destination;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file's name in the settings folder.
pub const FILE: &str = "destinations.json";
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// One named destination.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    /// What the staff see and type (`--to NAME`).
    pub name: String,
    /// The destination (`fhir:…` or `folder:…`).
    pub to: String,
    /// A bearer token for a FHIR server (sent over https:// only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Named")
            .field("name", &self.name)
            .field("to", &self.to)
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Every named destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Destinations {
    /// In the order the staff set them up.
    #[serde(default)]
    pub destinations: Vec<Named>,
    #[serde(skip)]
    path: Option<PathBuf>,
}

/// A destination as chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Where to.
    pub destination: Destination,
    /// The name it was chosen by.
    pub name: Option<String>,
}

impl Destinations {
    /// Reads `path`; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<Destinations, OutboxError> {
        let cfg = |detail: String| OutboxError::Config {
            path: path.to_path_buf(),
            detail,
        };
        let mut d = match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Destinations::default(),
            Err(e) => return Err(cfg(e.to_string())),
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                return Err(cfg(format!("larger than {MAX_FILE_BYTES} bytes")))
            }
            Ok(_) => {
                let text = std::fs::read_to_string(path).map_err(|e| cfg(e.to_string()))?;
                let d: Destinations = serde_json::from_str(&text).map_err(|e| {
                    cfg(format!(
                        "line {}, column {}: {}",
                        e.line(),
                        e.column(),
                        classify(&e)
                    ))
                })?;
                d.check().map_err(cfg)?;
                d
            }
        };
        d.path = Some(path.to_path_buf());
        Ok(d)
    }

    /// Parses and checks the file's text.
    pub fn from_text(text: &str) -> Result<Destinations, String> {
        let d: Destinations = serde_json::from_str(text)
            .map_err(|e| format!("line {}, column {}: {}", e.line(), e.column(), classify(&e)))?;
        d.check()?;
        Ok(d)
    }

    /// Reads `destinations.json` from the settings folder `dir`.
    pub fn load_in(dir: &Path) -> Result<Destinations, OutboxError> {
        Destinations::load(&dir.join(FILE))
    }

    fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for n in &self.destinations {
            if n.name.trim().is_empty()
                || n.name.chars().count() > 64
                || n.name.chars().any(char::is_control)
            {
                return Err(
                    "a name is empty, longer than 64 characters or has a control character".into(),
                );
            }
            if n.name.starts_with("fhir:") || n.name.starts_with("folder:") {
                return Err(format!("the name {} looks like a destination", n.name));
            }
            if !seen.insert(n.name.as_str()) {
                return Err(format!("the name {} is used twice", n.name));
            }
            Destination::parse(&n.to).map_err(|e| e.to_string())?;
            if n.bearer_token
                .as_deref()
                .is_some_and(|t| t.is_empty() || t.chars().any(|c| c.is_control() || c == ' '))
            {
                return Err(format!("the token of {} is empty or has spaces", n.name));
            }
        }
        Ok(())
    }

    /// `fhir:…`/`folder:…` as given, or a name from the file.
    pub fn resolve(&self, to: &str) -> Result<Resolved, OutboxError> {
        if to.starts_with("fhir:") || to.starts_with("folder:") {
            return Ok(Resolved {
                destination: Destination::parse(to)?,
                name: None,
            });
        }
        match self.destinations.iter().find(|n| n.name == to) {
            Some(n) => Ok(Resolved {
                destination: Destination::parse(&n.to)?,
                name: Some(n.name.clone()),
            }),
            None => Err(OutboxError::UnknownDestination {
                name: to.to_owned(),
                path: self.path.clone().unwrap_or_else(|| PathBuf::from(FILE)),
            }),
        }
    }

    /// The token of the destination named `name`, only while that name
    /// still points where the item goes (`spec`): an item queued for server
    /// A never carries the token of server B the name now means.
    pub fn token(&self, name: Option<&str>, spec: &str) -> Option<String> {
        let name = name?;
        let wanted = Destination::parse(spec).ok()?;
        self.destinations
            .iter()
            .find(|n| n.name == name)
            .filter(|n| Destination::parse(&n.to).ok().as_ref() == Some(&wanted))
            .and_then(|n| n.bearer_token.clone())
    }

    /// Writes the list to `path` (0600, a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), OutboxError> {
        let cfg = |detail: String| OutboxError::Config {
            path: path.to_path_buf(),
            detail,
        };
        self.check().map_err(cfg)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| cfg(e.to_string()))?;
        crate::folder::write_replace(path, text.as_bytes()).map_err(|e| cfg(e.to_string()))
    }
}

/// The serde error without the type names users cannot act on.
fn classify(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => "not valid JSON",
        Category::Data => "an entry is missing \"name\" or \"to\", or has an unknown key",
        Category::Io => "cannot be read",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_specs_pass_through_and_bad_files_are_named() {
        let dir = crate::testutil::temp_dir("config");
        let p = dir.join(FILE);
        assert!(Destinations::load(&p)
            .expect("missing is empty")
            .destinations
            .is_empty());
        let d = Destinations {
            destinations: vec![Named {
                name: "地域連携サーバ".into(),
                to: "fhir:https://fhir.example.jp/r4?mode=mhd".into(),
                bearer_token: Some("abc".into()),
            }],
            path: None,
        };
        d.save(&p).expect("save");
        let back = Destinations::load(&p).expect("load");
        assert_eq!(back.destinations, d.destinations);
        let r = back.resolve("地域連携サーバ").expect("name");
        assert_eq!(r.name.as_deref(), Some("地域連携サーバ"));
        assert_eq!(
            back.token(
                r.name.as_deref(),
                "fhir:https://fhir.example.jp/r4?mode=mhd"
            )
            .as_deref(),
            Some("abc")
        );
        // The name now means another server: an item queued for the old one
        // gets no token.
        assert_eq!(
            back.token(r.name.as_deref(), "fhir:https://old.example.jp/r4?mode=mhd"),
            None
        );
        assert!(
            !format!("{back:?}").contains("abc"),
            "Debug hides the token"
        );
        let r = back.resolve("folder:/x?layout=xdm").expect("spec");
        assert_eq!(r.name, None);
        let e = back.resolve("typo").expect_err("unknown");
        assert_eq!(
            inkan_l10n::Localized::code(&e),
            "outbox.unknown_destination"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        for bad in [
            "{",
            r#"{"destinations":[{"name":"a"}]}"#,
            r#"{"destinations":[{"name":"a","to":"smtp:x"}]}"#,
            r#"{"destinations":[{"name":"a","to":"folder:/x"},{"name":"a","to":"folder:/y"}]}"#,
            r#"{"destinations":[{"name":"a","to":"folder:/x","extra":1}]}"#,
        ] {
            std::fs::write(&p, bad).expect("write");
            let e = Destinations::load(&p).expect_err(bad);
            assert_eq!(inkan_l10n::Localized::code(&e), "outbox.config", "{bad}");
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
