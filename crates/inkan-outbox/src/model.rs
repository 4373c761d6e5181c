//! What is queued, where it goes, and what comes back.

use crate::error::OutboxError;
use inkan_l10n::Message;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The document's business identifier: the key that makes every delivery
/// idempotent on the receiving side (HS038 `Bundle.identifier`, the CDA
/// `ClinicalDocument/id`, else the artefact's SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyKey {
    /// The identifier's system (a URI: `http://…`, `urn:oid:…`, `urn:ietf:rfc:3986`).
    pub system: String,
    /// Its value.
    pub value: String,
}

impl IdempotencyKey {
    /// `system|value`, as a FHIR token search takes it (`|` and `,` in the
    /// value escaped with `\`, FHIR R4 §3.1.1.5.7).
    pub fn token(&self) -> String {
        let esc = |s: &str| {
            let mut o = String::with_capacity(s.len());
            for c in s.chars() {
                if matches!(c, '|' | ',' | '$' | '\\') {
                    o.push('\\');
                }
                o.push(c);
            }
            o
        };
        format!("{}|{}", esc(&self.system), esc(&self.value))
    }

    /// `identifier=system|value` for a conditional create or a search,
    /// percent-encoded as a URL query (so `&`, `+`, `%`, `#` or a line
    /// break in an identifier match only itself).
    pub fn condition(&self) -> String {
        format!("identifier={}", pct(&self.token()))
    }

    /// A name derived from the key that is safe in every file system and as
    /// a FHIR id (`[A-Za-z0-9-.]{1,64}`): a readable prefix of the value and
    /// 16 hex digits of the SHA-256 of `system|value`, so that two keys never
    /// share a name.
    pub fn file_stem(&self) -> String {
        use sha2::Digest as _;
        let h = sha2::Sha256::digest(format!("{}|{}", self.system, self.value).as_bytes());
        let readable: String = self
            .value
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        let readable = readable.trim_matches('-');
        if readable.is_empty() {
            hex::encode(&h[..8])
        } else {
            format!("{readable}-{}", hex::encode(&h[..8]))
        }
    }
}

/// What an artefact is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The signed document (HS008 XML, HS038 JSON, a PDF).
    Document,
    /// Its detached CAdES signature (`.p7s`).
    Signature,
    /// A signed referral package (the letter, attachments and the signed manifest).
    Package,
    /// The signature with the document inside (`.p7m`): for a carrier
    /// that re-serialises the document (FHIR `Bundle.signature`), so the
    /// exact signed bytes travel with it. Folder layouts leave it out.
    Enveloped,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Document => "document",
            Role::Signature => "signature",
            Role::Package => "package",
            Role::Enveloped => "enveloped",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Role> {
        match s {
            "document" => Some(Role::Document),
            "signature" => Some(Role::Signature),
            "package" => Some(Role::Package),
            "enveloped" => Some(Role::Enveloped),
            _ => None,
        }
    }
}

/// One file of a submission, kept in the outbox byte for byte: what is
/// delivered is what was verified when it was queued, whatever happens to
/// the file on disk afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artefact {
    /// The file name (no folders).
    pub name: String,
    /// What it is.
    pub role: Role,
    /// Its media type (`application/fhir+json`, `text/xml`, `application/pkcs7-signature` …).
    pub media_type: String,
    /// The bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

impl Artefact {
    /// An artefact with its hash computed.
    pub fn new(
        name: impl Into<String>,
        role: Role,
        media_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Artefact {
        use sha2::Digest as _;
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        Artefact {
            name: name.into(),
            role,
            media_type: media_type.into(),
            bytes,
            sha256,
        }
    }
}

/// The patient, as the document names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PatientMeta {
    /// The local patient ID.
    pub id: String,
    /// Its assigning authority as an OID (`1.2.392.100495.20.3.51.1<医療機関番号>`).
    pub id_oid: String,
    /// 氏名.
    pub name: String,
    /// カナ氏名.
    #[serde(default)]
    pub kana: String,
    /// `M`, `F` or `U` (HL7 v2 administrative sex).
    pub sex: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

/// The author: the signing physician and their institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuthorMeta {
    /// The physician's name.
    pub name: String,
    /// The 10-digit 保険医療機関番号.
    pub institution_number: String,
    /// The institution's name.
    pub institution_name: String,
    /// 診療科.
    #[serde(default)]
    pub department: String,
}

/// What receiving systems index a document by (IHE XDS/MHD metadata, the
/// SS-MIX2 path), taken from the signed document when it was queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMeta {
    /// The title (診療情報提供書).
    pub title: String,
    /// The document type as LOINC (`57133-1`, Referral note).
    pub type_code: String,
    /// Its display name.
    pub type_display: String,
    /// When the document was written (`YYYY-MM-DD` or an RFC 3339 instant).
    pub created: String,
    /// The serialisation: `HS038`, `HS008` or `package`.
    pub format: String,
    /// The patient.
    pub patient: PatientMeta,
    /// The author.
    pub author: AuthorMeta,
    /// The recipient institution's name, if any.
    #[serde(default)]
    pub recipient: Option<String>,
    /// When it was signed (UTC, RFC 3339), as the verifier found it.
    #[serde(default)]
    pub signed_utc: Option<String>,
}

/// FHIR delivery modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FhirMode {
    /// `POST [base]/Bundle` of the signed HS038 document Bundle.
    Bundle,
    /// An IHE MHD ITI-65 transaction (List + DocumentReference + Binary).
    Mhd,
}

/// Folder layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// The artefacts and a JSON manifest in a folder named after the key.
    Plain,
    /// An IHE XDM zip (ITI-32).
    Xdm,
    /// SS-MIX2 拡張ストレージ.
    Ssmix2,
}

/// Where a submission goes. Written as `fhir:URL[?mode=bundle|mhd]` or
/// `folder:DIR[?layout=plain|xdm|ssmix2][&result=1]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Destination {
    /// A FHIR R4 server.
    Fhir {
        /// The base URL (`http(s)://…/fhir`, no trailing slash).
        base: String,
        /// Document Bundle or MHD.
        mode: FhirMode,
    },
    /// A shared folder.
    Folder {
        /// The folder (absolute).
        dir: PathBuf,
        /// The layout.
        layout: Layout,
        /// Wait for the receiver's `*.result` file as the receipt.
        await_result: bool,
    },
}

impl Destination {
    /// Parses `fhir:URL[?mode=…]` or `folder:DIR[?layout=…&result=1]`.
    pub fn parse(spec: &str) -> Result<Destination, OutboxError> {
        let bad = |why: &str| OutboxError::BadDestination {
            spec: spec.to_owned(),
            why: why.to_owned(),
        };
        if let Some(rest) = spec.strip_prefix("fhir:") {
            let (url, params) = split_params(rest, &["mode"]);
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                return Err(bad("the FHIR base must be an http:// or https:// URL"));
            }
            if url.contains('#') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad(
                    "the FHIR base URL has a fragment, a space or a control character",
                ));
            }
            let authority = url
                .split_once("://")
                .map(|(_, r)| r)
                .unwrap_or("")
                .split(['/', '?'])
                .next()
                .unwrap_or("");
            if authority.is_empty() || authority.contains('@') {
                // A password in the URL would be kept in the outbox, the
                // receipts and the signing log: tokens go in destinations.json.
                return Err(bad(
                    "the FHIR base URL has no host, or carries a user name or password (put a token in destinations.json)",
                ));
            }
            let mode = match params
                .iter()
                .find(|(k, _)| k == "mode")
                .map(|(_, v)| v.as_str())
            {
                None | Some("bundle") => FhirMode::Bundle,
                Some("mhd") => FhirMode::Mhd,
                Some(_) => return Err(bad("mode must be bundle or mhd")),
            };
            Ok(Destination::Fhir {
                base: url.trim_end_matches('/').to_owned(),
                mode,
            })
        } else if let Some(rest) = spec.strip_prefix("folder:") {
            let (dir, params) = split_params(rest, &["layout", "result"]);
            if dir.is_empty() {
                return Err(bad("no folder given"));
            }
            let dir = PathBuf::from(dir);
            if !dir.is_absolute() {
                return Err(bad("the folder must be an absolute path"));
            }
            let mut layout = Layout::Plain;
            let mut await_result = false;
            for (k, v) in &params {
                match (k.as_str(), v.as_str()) {
                    ("layout", "plain") => layout = Layout::Plain,
                    ("layout", "xdm") => layout = Layout::Xdm,
                    ("layout", "ssmix2") => layout = Layout::Ssmix2,
                    ("layout", _) => return Err(bad("layout must be plain, xdm or ssmix2")),
                    ("result", "1" | "true" | "yes") => await_result = true,
                    ("result", "0" | "false" | "no") => await_result = false,
                    _ => return Err(bad("result must be 1 or 0")),
                }
            }
            Ok(Destination::Folder {
                dir,
                layout,
                await_result,
            })
        } else {
            Err(bad(
                "a destination starts with fhir: or folder:, or is a name from destinations.json",
            ))
        }
    }

    /// The canonical spec (what [`Destination::parse`] reads back).
    pub fn spec(&self) -> String {
        match self {
            Destination::Fhir { base, mode } => format!(
                "fhir:{base}?mode={}",
                match mode {
                    FhirMode::Bundle => "bundle",
                    FhirMode::Mhd => "mhd",
                }
            ),
            Destination::Folder {
                dir,
                layout,
                await_result,
            } => format!(
                "folder:{}?layout={}{}",
                dir.display(),
                match layout {
                    Layout::Plain => "plain",
                    Layout::Xdm => "xdm",
                    Layout::Ssmix2 => "ssmix2",
                },
                if *await_result { "&result=1" } else { "" }
            ),
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub(crate) fn pct(s: &str) -> String {
    let mut o = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// Splits Inkan's own parameters (`names`) off the end of `s`; the rest of
/// a URL's query stays with the URL.
fn split_params(s: &str, names: &[&str]) -> (String, Vec<(String, String)>) {
    let Some((head, query)) = s.rsplit_once('?') else {
        return (s.to_owned(), Vec::new());
    };
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if names.contains(&k) {
            ours.push((k.to_owned(), v.to_owned()));
        } else {
            theirs.push(pair);
        }
    }
    if theirs.is_empty() {
        (head.to_owned(), ours)
    } else {
        (format!("{head}?{}", theirs.join("&")), ours)
    }
}

/// A submission to queue.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// Where it goes.
    pub destination: Destination,
    /// The named destination it was chosen by, if any (its token and
    /// settings are looked up by this name at delivery time).
    pub dest_name: Option<String>,
    /// The idempotency key.
    pub key: IdempotencyKey,
    /// The files, the primary one (document or package) first.
    pub artefacts: Vec<Artefact>,
    /// The document's metadata.
    pub meta: DocumentMeta,
    /// The verifier's verdict when it was queued (`TOTAL_PASSED`, or
    /// `INDETERMINATE` by the user's explicit choice).
    pub verdict: String,
    /// The signer as the verifier named them.
    pub signer: Option<String>,
    /// SHA-256 of the signer's certificate.
    pub signer_fingerprint: Option<String>,
}

/// Where an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for its first delivery.
    Queued,
    /// Being delivered (or the delivering process stopped: delivered again).
    Sending,
    /// Delivered, with a receipt.
    Sent,
    /// A delivery failed for a reason that may pass; tried again at `next_at`.
    RetryWait,
    /// Refused for good (a 4xx other than 408/429, a conflict); the reason is kept.
    Failed,
}

impl State {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Sent => "sent",
            State::RetryWait => "retry_wait",
            State::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<State> {
        match s {
            "queued" => Some(State::Queued),
            "sending" => Some(State::Sending),
            "sent" => Some(State::Sent),
            "retry_wait" => Some(State::RetryWait),
            "failed" => Some(State::Failed),
            _ => None,
        }
    }

    /// The state in words.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            State::Queued => ("送信待ち", "queued"),
            State::Sending => ("送信中", "sending"),
            State::Sent => ("送信済み", "sent"),
            State::RetryWait => ("再試行待ち", "waiting to retry"),
            State::Failed => ("送信できませんでした", "failed"),
        }
    }
}

/// What the receiving side gave back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Receipt {
    /// When it was delivered (UTC, RFC 3339).
    pub delivered_utc: String,
    /// `created` (a new resource or file) or `existing` (the same document
    /// was already there: an earlier delivery whose answer was lost, or a
    /// second submission).
    pub outcome: String,
    /// FHIR: the resource's `Location` (with its version, when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// FHIR: `ResourceType/id` of the document's resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// FHIR: the version (`ETag` or `meta.versionId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// FHIR: the server's time (`Date`, or `meta.lastUpdated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<String>,
    /// FHIR: the HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// SHA-256 of the response body (FHIR) or of the receiver's result file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_sha256: Option<String>,
    /// Folder: where the delivery is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Folder: the receiver's result file, when one is awaited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_file: Option<String>,
}

impl Item {
    /// The time a delivery's bytes are dated with: when the document was
    /// signed (as verified), else when it was queued. Not the time of the
    /// attempt, and not the queue time when the signing time is known: the
    /// same document queued twice makes the same bytes, so the second is
    /// found `existing`, never a conflict or a duplicate.
    pub fn stable_time(&self) -> &str {
        match self.meta.signed_utc.as_deref() {
            Some(t) if t.len() >= 20 && t.ends_with('Z') => t,
            _ => &self.created_utc,
        }
    }
}

/// A queued item as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Its number.
    pub id: i64,
    /// When it was queued (UTC, RFC 3339).
    pub created_utc: String,
    /// The destination's canonical spec.
    pub destination: String,
    /// The named destination, if it was chosen by name.
    pub dest_name: Option<String>,
    /// The idempotency key.
    pub key: IdempotencyKey,
    /// SHA-256 of the primary artefact.
    pub doc_sha256: String,
    /// The primary artefact's name.
    pub doc_name: String,
    /// The verdict it was queued with.
    pub verdict: String,
    /// The signer, as verified.
    pub signer: Option<String>,
    /// SHA-256 of the signer's certificate.
    pub signer_fingerprint: Option<String>,
    /// The document's metadata.
    pub meta: DocumentMeta,
    /// The artefacts (without their bytes).
    pub artefacts: Vec<Artefact>,
    /// Where it is.
    pub state: State,
    /// Deliveries begun.
    pub attempts: i64,
    /// When it is tried again (Unix seconds), in `retry_wait`.
    pub next_at: Option<i64>,
    /// The same, as RFC 3339 UTC.
    pub next_utc: Option<String>,
    /// The last failure (or, while waiting for a result file, what is awaited).
    pub last_error: Option<Message>,
    /// The receipt, once sent.
    pub receipt: Option<Receipt>,
    /// The last change (UTC, RFC 3339).
    pub updated_utc: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_parse_and_print_back() {
        for spec in [
            "fhir:http://127.0.0.1:8080/fhir?mode=bundle",
            "fhir:https://example.org/r4?mode=mhd",
            "folder:/srv/drop?layout=xdm",
            "folder:/srv/drop?layout=ssmix2&result=1",
        ] {
            let d = Destination::parse(spec).expect(spec);
            assert_eq!(d.spec(), spec);
        }
        let d = Destination::parse("fhir:http://h/fhir/?x=1&mode=mhd").expect("query");
        assert_eq!(
            d,
            Destination::Fhir {
                base: "http://h/fhir/?x=1".into(),
                mode: FhirMode::Mhd
            }
        );
        assert_eq!(
            Destination::parse("fhir:http://h/fhir")
                .expect("default")
                .spec(),
            "fhir:http://h/fhir?mode=bundle"
        );
        for bad in [
            "fhir:ftp://h",
            "fhir:http://h?mode=xds",
            "folder:relative/dir",
            "folder:/d?layout=zip",
            "smtp:x",
            "folder:",
            "fhir:http://",
            "fhir:https://user:pw@example.org/fhir",
        ] {
            let e = Destination::parse(bad).expect_err(bad);
            assert_eq!(inkan_l10n::Localized::code(&e), "outbox.bad_destination");
        }
    }

    #[test]
    fn tokens_escape_and_stems_are_safe() {
        let k = IdempotencyKey {
            system: "http://jpfhir.jp/fhir/clins/bundle-identifier".into(),
            value: "1311234567^2026^A|1,2".into(),
        };
        assert_eq!(
            k.token(),
            "http://jpfhir.jp/fhir/clins/bundle-identifier|1311234567^2026^A\\|1\\,2"
        );
        let stem = k.file_stem();
        assert!(stem.starts_with("1311234567-2026-A-1-2-"), "{stem}");
        assert!(stem.len() <= 64);
        assert!(stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let other = IdempotencyKey {
            value: "1311234567^2026^A|1.2".into(),
            ..k.clone()
        };
        assert_ne!(other.file_stem(), stem);
    }
}
