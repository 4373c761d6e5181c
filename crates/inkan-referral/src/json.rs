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

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
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

/// The text of JSON numbers as the sender wrote them, where a Quantity's
/// `value` differs from what `serde_json` prints for it (`100.10`,
/// `0.0000001`, an integer beyond 64 bits): FHIR says the precision of a
/// decimal is significant, and a number a doctor reads must be the
/// sender's. Keyed by the address of the parsed value, so it is bound to
/// one parsed tree ([`parse_keeping_numbers`]).
#[derive(Debug, Default)]
pub(crate) struct RawNumbers(HashMap<usize, String>);

impl RawNumbers {
    /// The number `v` as written, when it is one of the recorded values.
    pub(crate) fn text_of(&self, v: &Value) -> Option<&str> {
        self.0
            .get(&(std::ptr::from_ref(v) as usize))
            .map(String::as_str)
    }
}

/// One step of the path to a value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// At most this many numbers keep their text; later ones are printed by
/// `serde_json` (a letter has a few hundred at most).
const MAX_RAW_NUMBERS: usize = 100_000;

struct State<'t> {
    text: &'t str,
    /// Where the scan for the next number token starts.
    pos: usize,
    /// The steps from the root to the value being parsed, each with its
    /// node in `arena` once a recorded number below it needed one.
    path: Vec<(Step, Option<u32>)>,
    /// The path steps of recorded numbers, each stored once and shared by
    /// every number below it (parent, step): memory stays linear in the
    /// letter, however long a key or deep a value.
    arena: Vec<(Option<u32>, Step)>,
    /// Quantity values whose text `serde_json` does not keep: (node, text).
    differing: Vec<(u32, String)>,
}

impl<'t> State<'t> {
    /// The next number token of the text: serde_json visits values in
    /// document order, so the scan moves forward only (linear overall).
    fn next_number(&mut self) -> &'t str {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = self.pos;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'-' | b'0'..=b'9' => {
                    let start = i;
                    while i < bytes.len()
                        && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        i += 1;
                    }
                    self.pos = i;
                    return text.get(start..i).unwrap_or("");
                }
                _ => i += 1,
            }
        }
        self.pos = i;
        ""
    }

    fn number(&mut self, canonical: String) {
        let raw = self.next_number();
        let wanted = raw != canonical
            && self.differing.len() < MAX_RAW_NUMBERS
            && matches!(self.path.last(), Some((Step::Key(k), _)) if k == "value");
        if !wanted {
            return;
        }
        let raw = raw.to_owned();
        let mut parent = None;
        for (step, node) in &mut self.path {
            let id = match *node {
                Some(id) => id,
                None => {
                    let id = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
                    self.arena.push((parent, step.clone()));
                    *node = Some(id);
                    id
                }
            };
            parent = Some(id);
        }
        if let Some(leaf) = parent {
            self.differing.push((leaf, raw));
        }
    }
}

/// A JSON value parsed with duplicate keys refused, tracking numbers.
struct Seed<'s, 't>(&'s RefCell<State<'t>>);

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor(self.0))
    }
}

struct StrictVisitor<'s, 't>(&'s RefCell<State<'t>>);

impl<'de> Visitor<'de> for StrictVisitor<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        self.0.borrow_mut().number(v.to_string());
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        self.0.borrow_mut().number(v.to_string());
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        let n = serde_json::Number::from_f64(v);
        self.0
            .borrow_mut()
            .number(n.as_ref().map(ToString::to_string).unwrap_or_default());
        Ok(n.map_or(Value::Null, Value::Number))
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
        loop {
            self.0
                .borrow_mut()
                .path
                .push((Step::Index(out.len()), None));
            let next = seq.next_element_seed(Seed(self.0));
            self.0.borrow_mut().path.pop();
            match next? {
                Some(v) => out.push(v),
                None => break,
            }
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
            self.0
                .borrow_mut()
                .path
                .push((Step::Key(key.clone()), None));
            let v = map.next_value_seed(Seed(self.0));
            self.0.borrow_mut().path.pop();
            out.insert(key, v?);
        }
        Ok(Value::Object(out))
    }
}

/// Parses JSON, refusing duplicate keys; errors carry line and column.
/// serde_json's recursion limit (128) bounds nesting, so hostile depth is an
/// error, not a stack overflow.
pub(crate) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    parse_with(text).map(|(v, _)| v)
}

/// Where Quantity values' text differs from their printed numbers: the
/// path arena and (leaf node, text).
type Differing = (Vec<(Option<u32>, Step)>, Vec<(u32, String)>);

fn parse_with(text: &str) -> Result<(Value, Differing), serde_json::Error> {
    let state = RefCell::new(State {
        text,
        pos: 0,
        path: Vec::new(),
        arena: Vec::new(),
        differing: Vec::new(),
    });
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Seed(&state).deserialize(&mut de)?;
    de.end()?;
    let st = state.into_inner();
    Ok((v, (st.arena, st.differing)))
}

/// [`parse`], also giving the numbers' text where it matters
/// ([`RawNumbers`]); `bind` is called with the value once it is in its
/// final place (the addresses of a tree's nodes do not change while it is
/// borrowed).
pub(crate) fn parse_keeping_numbers(
    text: &str,
) -> Result<(Value, impl FnOnce(&Value) -> RawNumbers), serde_json::Error> {
    let (v, (arena, differing)) = parse_with(text)?;
    let bind = move |root: &Value| {
        // Parents are created before their children: one pass resolves
        // every node.
        let mut at: Vec<Option<&Value>> = Vec::with_capacity(arena.len());
        for (parent, step) in &arena {
            let base = match parent {
                None => Some(root),
                Some(p) => at.get(*p as usize).copied().flatten(),
            };
            at.push(base.and_then(|v| match step {
                Step::Key(k) => v.get(k),
                Step::Index(i) => v.get(i),
            }));
        }
        let mut map = HashMap::new();
        for (leaf, raw) in differing {
            if let Some(v) = at.get(leaf as usize).copied().flatten() {
                map.insert(std::ptr::from_ref(v) as usize, raw);
            }
        }
        RawNumbers(map)
    };
    Ok((v, bind))
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
    fn quantity_values_keep_their_text() {
        let text = r#"{"a": [{"value": 100.10}, {"value": 0.0000001}, {"value": 5}, {"v": 2.50}],
            "s": "x\"1.5 -2", "value": 12345678901234567890123}"#;
        let (v, bind) = parse_keeping_numbers(text).expect("parses");
        let raw = bind(&v);
        assert_eq!(raw.text_of(&v["a"][0]["value"]), Some("100.10"));
        assert_eq!(raw.text_of(&v["a"][1]["value"]), Some("0.0000001"));
        assert_eq!(raw.text_of(&v["a"][2]["value"]), None, "same text");
        assert_eq!(raw.text_of(&v["a"][3]["v"]), None, "not a Quantity value");
        assert_eq!(raw.text_of(&v["value"]), Some("12345678901234567890123"));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(parse(r#"{"a": 1, "b": {"c": 1, "c": 2}}"#).is_err());
        assert!(parse(r#"{"a": 1} x"#).is_err());
        assert!(parse(&"[".repeat(10_000)).is_err());
        assert!(parse(r#"{"a": [1, 2.5, null, true, "x"]}"#).is_ok());
    }
}
