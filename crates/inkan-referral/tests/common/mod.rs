//! Helpers shared by the hostile-review suites: a Bundle to edit, and a
//! deadline for readers under attack.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use inkan_referral::{hs038, ReferralLetter};
use serde_json::{json, Value};
use std::time::Duration;

pub fn bundle(letter: &ReferralLetter) -> Value {
    serde_json::from_slice(&hs038::write(letter).unwrap()).unwrap()
}

pub fn to_bytes(b: &Value) -> Vec<u8> {
    serde_json::to_vec(b).unwrap()
}

pub fn uuid(n: u64) -> String {
    format!("urn:uuid:00000000-0000-4000-8000-{n:012x}")
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn div(text: &str) -> String {
    format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{text}</div>")
}

pub fn code(c: &str) -> Value {
    json!({"coding": [{"system": hs038::SECTION_SYSTEM, "code": c}]})
}

pub fn push_resource(b: &mut Value, n: u64, resource: Value) -> String {
    let url = uuid(n);
    b["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"fullUrl": url, "resource": resource}));
    url
}

pub fn resource_mut<'a>(b: &'a mut Value, ty: &str) -> &'a mut Value {
    b["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == ty)
        .unwrap_or_else(|| panic!("no {ty}"))
}

/// Every Organization of the Bundle.
pub fn organizations(b: &mut Value) -> impl Iterator<Item = &mut Value> {
    b["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|e| &mut e["resource"])
        .filter(|r| r["resourceType"] == "Organization")
}

pub fn top_sections(b: &mut Value) -> &mut Vec<Value> {
    b["entry"][0]["resource"]["section"].as_array_mut().unwrap()
}

pub fn structured_sections(b: &mut Value) -> &mut Vec<Value> {
    top_sections(b)
        .iter_mut()
        .find(|s| s["code"]["coding"][0]["code"] == "300")
        .unwrap()["section"]
        .as_array_mut()
        .unwrap()
}

/// Runs `f` on another thread and fails the test when it does not finish
/// within `budget` (the thread is left to finish or die with the process).
pub fn within<T: Send + 'static>(budget: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(budget) {
        Ok(v) => v,
        Err(_) => panic!("did not finish within {budget:?}"),
    }
}
