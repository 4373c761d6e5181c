//! JSON for HS038: an ordered builder for byte-stable output, and a strict
//! parser for input.
//!
//! Byte stability matters because the signature is over the exact bytes:
//! `serde_json::Value` sorts keys (or, with `preserve_order`, changes for the
//! whole workspace), so the writer builds its own ordered tree.
//!
//! Strictness matters for the same reason: a JSON object with the same key
//! twice means different things to different parsers (first wins, last wins),
//! so a signed Bundle with duplicate keys could show the physician one thing
//! and a receiving system another. FHIR forbids them; we refuse them.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// An ordered JSON value for writing.
#[derive(Debug, Clone)]
pub(crate) enum J {
    S(String),
    A(Vec<J>),
    O(Vec<(&'static str, J)>),
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            J::S(v) => s.serialize_str(v),
            J::A(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            J::O(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// A string value.
pub(crate) fn s(v: impl Into<String>) -> J {
    J::S(v.into())
}

/// Builds an object, leaving out `None` members.
pub(crate) fn obj(fields: Vec<(&'static str, Option<J>)>) -> J {
    J::O(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
    )
}

/// Serialises with two-space indentation and a final newline.
pub(crate) fn to_bytes(value: &J) -> Vec<u8> {
    // Serialising this tree into memory cannot fail (no maps with non-string
    // keys, no I/O); an empty output would fail validation loudly anyway.
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A JSON value parsed with duplicate keys refused.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key \"{}\"",
                    crate::problem::shown(&key)
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parses JSON, refusing duplicate keys; errors carry line and column.
/// serde_json's recursion limit (128) bounds nesting, so hostile depth is an
/// error, not a stack overflow.
pub(crate) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let Strict(v) = Strict::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_keeps_insertion_order() {
        let v = obj(vec![
            ("resourceType", Some(s("Bundle"))),
            ("absent", None),
            ("a", Some(J::A(vec![s("1"), s("x")]))),
        ]);
        assert_eq!(
            String::from_utf8(to_bytes(&v)).expect("utf8"),
            "{\n  \"resourceType\": \"Bundle\",\n  \"a\": [\n    \"1\",\n    \"x\"\n  ]\n}\n"
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(parse(r#"{"a": 1, "b": {"c": 1, "c": 2}}"#).is_err());
        assert!(parse(r#"{"a": 1} x"#).is_err());
        assert!(parse(&"[".repeat(10_000)).is_err());
        assert!(parse(r#"{"a": [1, 2.5, null, true, "x"]}"#).is_ok());
    }
}
