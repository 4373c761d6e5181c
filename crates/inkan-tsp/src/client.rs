//! RFC 3161 over HTTP (RFC 3161 §3.4): `POST` of
//! `application/timestamp-query`, answer `application/timestamp-reply`.

use std::time::Duration;

use crate::rfc3161::{self, ImprintHash, TokenOk};
use crate::TspError;

/// Where and how to reach a time-stamp authority. Configuration, not code:
/// the URL and the credentials come from the user's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsaConfig {
    /// The TSA's URL (`http://` or `https://`).
    pub url: String,
    /// HTTP Basic credentials, when the TSA requires them (user, password).
    pub basic_auth: Option<(String, String)>,
    /// Timeout of one whole exchange.
    pub timeout: Duration,
    /// Largest answer accepted, in bytes.
    pub max_bytes: usize,
}

impl TsaConfig {
    /// `url` with no credentials, a 15 s timeout and a 1 MiB limit.
    pub fn new(url: impl Into<String>) -> Self {
        TsaConfig {
            url: url.into(),
            basic_auth: None,
            timeout: Duration::from_secs(15),
            max_bytes: 1024 * 1024,
        }
    }
}

/// Asks the TSA for a token over `data` (hashed with SHA-256) and checks the
/// answer ([`rfc3161::check_response`]).
pub fn fetch_token(cfg: &TsaConfig, data: &[u8]) -> Result<TokenOk, TspError> {
    let hash = ImprintHash::Sha256;
    let req = rfc3161::request(hash, &hash.digest(data))?;
    let transport = |detail: String| TspError::Transport {
        url: inkan_l10n::escape_display(&cfg.url),
        detail,
    };
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(true)
        .max_redirects(0)
        .build();
    let agent: ureq::Agent = config.into();
    if cfg.basic_auth.is_some() && !cfg.url.to_ascii_lowercase().starts_with("https://") {
        // Credentials never travel in clear text.
        return Err(transport(
            "a user name and password are only sent to an https:// time-stamp authority".into(),
        ));
    }
    let mut call = agent
        .post(&cfg.url)
        .header("Content-Type", "application/timestamp-query");
    if let Some((user, password)) = &cfg.basic_auth {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        call = call.header("Authorization", &format!("Basic {token}"));
    }
    let mut resp = call
        .send(&req.der[..])
        .map_err(|e| transport(e.to_string()))?;
    let body = resp
        .body_mut()
        .with_config()
        .limit(u64::try_from(cfg.max_bytes).unwrap_or(u64::MAX))
        .read_to_vec()
        .map_err(|e| transport(e.to_string()))?;
    rfc3161::check_response(&body, &req, data)
}
