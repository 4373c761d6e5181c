//! The FHIR R4 destination: the signed HS038 document Bundle
//! (`POST [base]/Bundle`) or an IHE MHD ITI-65 transaction ([`crate::mhd`]).
//!
//! Exactly once, whatever is lost:
//! 1. **Reconcile first.** `GET [base]/Bundle?identifier=…` (or
//!    `DocumentReference?identifier=…`): when the document is already there
//!    and it is *this* document (the same signature, the same hash), the
//!    item is delivered (`existing`) without sending anything; when a
//!    *different* document holds the identifier it is a conflict, never
//!    reported as delivered.
//! 2. **Create conditionally.** `If-None-Exist: identifier=system|value`
//!    (`ifNoneExist` in the transaction), so that a response lost after the
//!    server stored the resource, followed by a retry, finds it rather than
//!    making a second one (helios-hfs answers 200 with the same id).
//!
//! The signature travels with the Bundle as `Bundle.signature`: type
//! 1.2.840.10065.1.12.1.1 (Author's Signature), `sigFormat`
//! `application/pkcs7-mime`, `data` the CAdES signature *with the signed
//! bytes inside* (enveloped, `.p7m`). A FHIR server stores JSON as it
//! likes; the exact bytes the physician signed come back out of the
//! signature, and `openssl cms -verify` or Inkan verifies them.

use crate::error::DeliveryError;
use crate::mhd;
use crate::model::{Artefact, FhirMode, Item, Receipt, Role};
use crate::time::{unix_now, utc_string};
use base64::Engine as _;
use serde_json::{json, Value};
use std::time::Duration;

/// The largest answer read (a search or a transaction-response).
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
const FHIR_JSON: &str = "application/fhir+json";

/// An answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    location: Option<String>,
    etag: Option<String>,
    date: Option<String>,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A FHIR server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| &h[1..]).unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

impl Client {
    /// A client for `base`, sending `token` as a bearer token (refused over
    /// plain http to anything but this computer).
    pub fn new(base: &str, token: Option<String>) -> Result<Client, DeliveryError> {
        if token.is_some()
            && !base.to_ascii_lowercase().starts_with("https://")
            && !is_loopback(base)
        {
            return Err(DeliveryError::Insecure);
        }
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .timeout_connect(Some(Duration::from_secs(15)))
            .http_status_as_error(false)
            // A redirect would carry the token elsewhere; the base URL is
            // configured, so a redirect is an error to fix there.
            .max_redirects(0)
            .tls_config(tls)
            .build()
            .into();
        Ok(Client {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            token,
        })
    }

    fn url(&self, path: &str) -> String {
        if path.is_empty() {
            self.base.clone()
        } else {
            format!("{}/{path}", self.base)
        }
    }

    fn network(&self, url: &str, e: impl std::fmt::Display) -> DeliveryError {
        DeliveryError::Network {
            url: url.to_owned(),
            detail: e.to_string(),
        }
    }

    fn finish(
        &self,
        url: &str,
        resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer, DeliveryError> {
        let mut resp = resp.map_err(|e| self.network(url, e))?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let location = header("location").or_else(|| header("content-location"));
        let etag = header("etag");
        let date = header("date");
        let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| self.network(url, e))?;
        Ok(Answer {
            status,
            location,
            etag,
            date,
            retry_after,
            body,
        })
    }

    fn get(&self, path: &str) -> Result<Answer, DeliveryError> {
        let url = self.url(path);
        let mut req = self.agent.get(&url).header("Accept", FHIR_JSON);
        if let Some(t) = &self.token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        self.finish(&url, req.call())
    }

    fn post(
        &self,
        path: &str,
        body: &[u8],
        if_none_exist: Option<&str>,
    ) -> Result<Answer, DeliveryError> {
        let url = self.url(path);
        let mut req = self
            .agent
            .post(&url)
            .header("Content-Type", "application/fhir+json; charset=utf-8")
            .header("Accept", FHIR_JSON)
            .header("Prefer", "return=representation");
        if let Some(c) = if_none_exist {
            req = req.header("If-None-Exist", c);
        }
        if let Some(t) = &self.token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        self.finish(&url, req.send(body))
    }

    fn status_error(&self, path: &str, a: &Answer) -> DeliveryError {
        DeliveryError::Status {
            url: self.url(path),
            status: a.status,
            outcome: a.json().as_ref().and_then(outcome_text),
            retry_after: a.retry_after,
        }
    }

    fn bad(&self, path: &str, detail: impl Into<String>) -> DeliveryError {
        DeliveryError::BadResponse {
            url: self.url(path),
            detail: detail.into(),
        }
    }
}

/// The OperationOutcome's issues in words.
pub(crate) fn outcome_text(v: &Value) -> Option<String> {
    if v.get("resourceType")?.as_str()? != "OperationOutcome" {
        return None;
    }
    let texts: Vec<String> = v
        .get("issue")?
        .as_array()?
        .iter()
        .filter_map(|i| {
            i.pointer("/details/text")
                .or_else(|| i.get("diagnostics"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    if texts.is_empty() {
        return None;
    }
    let mut s = texts.join("; ");
    if s.chars().count() > 400 {
        s = s.chars().take(400).collect::<String>() + "…";
    }
    Some(s)
}

/// Delivers `item` to the FHIR server at `base`.
pub fn deliver(
    item: &Item,
    artefacts: &[Artefact],
    base: &str,
    mode: FhirMode,
    token: Option<String>,
) -> Result<Receipt, DeliveryError> {
    let client = Client::new(base, token)?;
    match mode {
        FhirMode::Bundle => deliver_bundle(&client, item, artefacts),
        FhirMode::Mhd => deliver_mhd(&client, item, artefacts),
    }
}

fn unsupported(why: &str, ja: &str) -> DeliveryError {
    DeliveryError::Unsupported {
        why: why.into(),
        ja: ja.into(),
    }
}

/// The Bundle to send: the letter's JSON with `signature` added.
pub fn signed_bundle(
    item: &Item,
    artefacts: &[Artefact],
) -> Result<(Value, String), DeliveryError> {
    let doc = artefacts
        .iter()
        .find(|a| a.role == Role::Document && item.meta.format == "HS038")
        .ok_or_else(|| {
            unsupported(
                "mode=bundle sends an HS038 (FHIR) letter; use mode=mhd for an HS008 letter or a package",
                "mode=bundle で送れるのは HS038（FHIR）の紹介状です。HS008 やパッケージは mode=mhd で送ってください",
            )
        })?;
    let enveloped = artefacts
        .iter()
        .find(|a| a.role == Role::Enveloped)
        .ok_or_else(|| {
            unsupported(
                "the item has no enveloped signature for Bundle.signature; queue the letter again",
                "Bundle.signature 用の署名（内容を含む形式）がありません。文書を送信キューに入れ直してください",
            )
        })?;
    let mut bundle: Value = serde_json::from_slice(&doc.bytes).map_err(|e| {
        unsupported(
            &format!("the letter is not JSON: {e}"),
            &format!("紹介状が JSON として読めません: {e}"),
        )
    })?;
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(unsupported(
            "the letter is not a FHIR Bundle",
            "紹介状が FHIR の Bundle ではありません",
        ));
    }
    let data = base64::engine::general_purpose::STANDARD.encode(&enveloped.bytes);
    let when = item
        .meta
        .signed_utc
        .clone()
        .unwrap_or_else(|| item.created_utc.clone());
    bundle["signature"] = json!({
        "type": [{ "system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1", "display": "Author's Signature" }],
        "when": when,
        "who": { "display": item.signer.clone().unwrap_or_else(|| item.meta.author.name.clone()) },
        "targetFormat": "application/fhir+json",
        "sigFormat": "application/pkcs7-mime",
        "data": data,
    });
    Ok((bundle, data))
}

/// What a found resource says about itself.
fn receipt_of(
    client: &Client,
    resource: &Value,
    rtype: &str,
    outcome: &str,
    a: &Answer,
) -> Receipt {
    let id = resource
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let version = resource
        .pointer("/meta/versionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| a.etag.clone());
    let location = a.location.clone().or_else(|| {
        (!id.is_empty()).then(|| match &version {
            Some(v) => format!(
                "{}/{rtype}/{id}/_history/{}",
                client.base,
                v.trim_start_matches("W/").trim_matches('"')
            ),
            None => format!("{}/{rtype}/{id}", client.base),
        })
    });
    Receipt {
        delivered_utc: utc_string(unix_now()),
        outcome: outcome.into(),
        location,
        resource: (!id.is_empty()).then(|| format!("{rtype}/{id}")),
        version,
        server_time: a.date.clone().or_else(|| {
            resource
                .pointer("/meta/lastUpdated")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
        status: Some(a.status),
        response_sha256: Some({
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(&a.body))
        }),
        ..Receipt::default()
    }
}

/// A search's answer: the matches (more than the page holds count as
/// ambiguous as two on it), or `None` when it is not a FHIR Bundle.
pub(crate) fn search_answer(body: &[u8]) -> Option<Vec<Value>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if v.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return None;
    }
    let hits = search_hits(&v);
    let total = v
        .get("total")
        .and_then(Value::as_u64)
        .unwrap_or(hits.len() as u64);
    Some(if total > hits.len() as u64 {
        vec![Value::Null; total.min(1000) as usize]
    } else {
        hits
    })
}

/// The resources a search answered with.
fn search_hits(v: &Value) -> Vec<Value> {
    v.get("entry")
        .and_then(Value::as_array)
        .map(|e| {
            e.iter()
                .filter(|x| {
                    x.pointer("/search/mode")
                        .and_then(Value::as_str)
                        .is_none_or(|m| m == "match")
                })
                .filter_map(|x| x.get("resource").cloned())
                .collect()
        })
        .unwrap_or_default()
}

/// Looks the identifier up: `Ok(None)` when absent, the one match, or an
/// error (several, or a different document).
fn reconcile(
    client: &Client,
    item: &Item,
    rtype: &str,
    ours: &dyn Fn(&Value) -> bool,
) -> Result<Option<Receipt>, DeliveryError> {
    let path = format!("{rtype}?{}", item.key.condition());
    let a = client.get(&path)?;
    if a.status != 200 {
        return Err(client.status_error(&path, &a));
    }
    let v = a
        .json()
        .ok_or_else(|| client.bad(&path, "the search answer is not JSON"))?;
    let hits = search_hits(&v);
    // More matches than this page holds: as ambiguous as two on it.
    let total = v
        .get("total")
        .and_then(Value::as_u64)
        .unwrap_or(hits.len() as u64);
    let hits = if total > hits.len() as u64 {
        vec![Value::Null; total.min(1000) as usize]
    } else {
        hits
    };
    match hits.as_slice() {
        [] => Ok(None),
        [one] if ours(one) => Ok(Some(receipt_of(
            client,
            one,
            rtype,
            "existing",
            &Answer {
                location: None,
                etag: None,
                ..a
            },
        ))),
        [_] => Err(DeliveryError::Conflict {
            place: client.url(rtype),
            key: item.key.token(),
        }),
        _ => Err(DeliveryError::Status {
            url: client.url(&path),
            status: 412,
            outcome: Some(format!(
                "{} resources carry the identifier {}",
                hits.len(),
                item.key.token()
            )),
            retry_after: None,
        }),
    }
}

fn deliver_bundle(
    client: &Client,
    item: &Item,
    artefacts: &[Artefact],
) -> Result<Receipt, DeliveryError> {
    let (bundle, data) = signed_bundle(item, artefacts)?;
    let ours =
        |r: &Value| r.pointer("/signature/data").and_then(Value::as_str) == Some(data.as_str());
    if let Some(r) = reconcile(client, item, "Bundle", &ours)? {
        return Ok(r);
    }
    let body = serde_json::to_vec(&bundle).map_err(|e| client.bad("Bundle", e.to_string()))?;
    let cond = item.key.condition();
    let a = client.post("Bundle", &body, Some(&cond))?;
    match a.status {
        200 | 201 => {
            let outcome = if a.status == 201 {
                "created"
            } else {
                "existing"
            };
            match a
                .json()
                .filter(|v| v.get("resourceType").and_then(Value::as_str) == Some("Bundle"))
            {
                Some(v) if a.status == 201 || ours(&v) => {
                    Ok(receipt_of(client, &v, "Bundle", outcome, &a))
                }
                Some(_) => Err(DeliveryError::Conflict {
                    place: client.url("Bundle"),
                    key: item.key.token(),
                }),
                // No body: ask again (the next attempt reconciles first).
                None => reconcile(client, item, "Bundle", &ours)?.ok_or_else(|| {
                    client.bad(
                        "Bundle",
                        "the server answered without the resource, and a search does not find it",
                    )
                }),
            }
        }
        _ => Err(client.status_error("Bundle", &a)),
    }
}

fn deliver_mhd(
    client: &Client,
    item: &Item,
    artefacts: &[Artefact],
) -> Result<Receipt, DeliveryError> {
    let hash = mhd::first_hash(artefacts);
    let ours = |r: &Value| {
        r.pointer("/content/0/attachment/hash")
            .and_then(Value::as_str)
            == hash.as_deref()
    };
    if let Some(r) = reconcile(client, item, "DocumentReference", &ours)? {
        return Ok(r);
    }
    let tx = mhd::transaction(item, artefacts)?;
    let body = serde_json::to_vec(&tx).map_err(|e| client.bad("", e.to_string()))?;
    let a = client.post("", &body, None)?;
    if a.status != 200 {
        return Err(client.status_error("", &a));
    }
    let v = a
        .json()
        .ok_or_else(|| client.bad("", "the transaction-response is not JSON"))?;
    let entry = v
        .pointer(&format!("/entry/{}/response", mhd::docref_index(artefacts)))
        .ok_or_else(|| {
            client.bad(
                "",
                "the transaction-response has no entry for the DocumentReference",
            )
        })?;
    let status = entry.get("status").and_then(Value::as_str).unwrap_or("");
    let code: u16 = status
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if !matches!(code, 200 | 201) {
        return Err(client.bad(
            "",
            format!("the DocumentReference entry answered {status:?}"),
        ));
    }
    let location = entry.get("location").and_then(Value::as_str).map(|l| {
        if l.starts_with("http") {
            l.to_owned()
        } else {
            format!("{}/{l}", client.base)
        }
    });
    if code == 200 {
        // Matched an existing DocumentReference: make sure it is this document.
        return reconcile(client, item, "DocumentReference", &ours)?.ok_or_else(|| {
            client.bad(
                "",
                "the server says the document exists, but a search does not find it",
            )
        });
    }
    let resource = location
        .as_deref()
        .and_then(|l| l.split("/DocumentReference/").nth(1))
        .and_then(|r| r.split('/').next())
        .map(|id| format!("DocumentReference/{id}"));
    Ok(Receipt {
        delivered_utc: utc_string(unix_now()),
        outcome: "created".into(),
        location,
        resource,
        version: entry.get("etag").and_then(Value::as_str).map(str::to_owned),
        server_time: a.date.clone().or_else(|| {
            entry
                .get("lastModified")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
        status: Some(201),
        response_sha256: Some({
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(&a.body))
        }),
        ..Receipt::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_encoding() {
        assert!(is_loopback("http://127.0.0.1:8080/fhir"));
        assert!(is_loopback("http://localhost/fhir"));
        assert!(is_loopback("http://[::1]:80/fhir"));
        assert!(!is_loopback("http://127.0.0.1.evil.example/fhir"));
        assert!(!is_loopback("http://user@evil.example/127.0.0.1"));
        assert!(!is_loopback("http://example.org/fhir"));
        assert!(!is_loopback("http://localhost.example.org/fhir"));
        assert!(matches!(
            Client::new("http://example.org/fhir", Some("t".into())),
            Err(DeliveryError::Insecure)
        ));
        assert!(Client::new("https://example.org/fhir", Some("t".into())).is_ok());
        assert_eq!(crate::model::pct("a|b^c d"), "a%7Cb%5Ec%20d");
        let c = Client::new("https://example.org/fhir", Some("s3cret".into())).expect("client");
        assert!(!format!("{c:?}").contains("s3cret"));
        let oo = json!({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"bad status"},{"details":{"text":"x"}}]});
        assert_eq!(outcome_text(&oo).as_deref(), Some("bad status; x"));
    }
}
