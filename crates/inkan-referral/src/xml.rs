//! A small, hardened XML tree for HS008 documents and FHIR narrative XHTML.
//!
//! Built on `quick_xml::NsReader`, so every element and attribute carries its
//! resolved namespace URI (prefixes are irrelevant; `urn:hl7-org:v3` is what
//! matters). Hardening, because letters come from outside:
//! - `<!DOCTYPE …>` is refused outright: no DTDs, no entity declarations, so no
//!   XXE and no billion-laughs;
//! - only the five predefined entities and character references are accepted;
//! - depth and node count are bounded;
//! - the declared encoding must be UTF-8 (and the bytes must be UTF-8).

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use quick_xml::XmlVersion;

/// Nesting deeper than this is refused (real CDA documents stay below 30).
const MAX_DEPTH: usize = 200;
/// More nodes than this is refused.
const MAX_NODES: usize = 500_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attr {
    pub ns: Option<String>,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

/// Why the bytes are not a usable XML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlError {
    /// Not well-formed, at 1-based `line`.
    Syntax { line: usize, reason: String },
    /// A `<!DOCTYPE>` (refused: external entities, entity expansion).
    Doctype { line: usize },
    /// An entity other than the five predefined ones.
    Entity { line: usize, name: String },
    /// The declared encoding is not UTF-8.
    Encoding { declared: String },
    /// Nesting or size beyond the limits.
    TooComplex,
    /// No root element.
    Empty,
}

impl XmlError {
    pub fn describe(&self) -> (String, String) {
        match self {
            XmlError::Syntax { line, reason } => (
                format!("{line}行目: XMLとして正しくありません（{reason}）"),
                format!("line {line}: not well-formed XML ({reason})"),
            ),
            XmlError::Doctype { line } => (
                format!("{line}行目: DOCTYPE宣言は受け付けません（外部実体・実体展開の危険）"),
                format!("line {line}: DOCTYPE declarations are refused (external entities, entity expansion)"),
            ),
            XmlError::Entity { line, name } => (
                format!("{line}行目: 定義されていない実体参照 &{name}; です"),
                format!("line {line}: undefined entity reference &{name};"),
            ),
            XmlError::Encoding { declared } => (
                format!("文字コードはUTF-8でなければなりません（宣言: {declared}）"),
                format!("the encoding must be UTF-8 (declared: {declared})"),
            ),
            XmlError::TooComplex => (
                format!("入れ子が深すぎるか要素が多すぎます（深さ{MAX_DEPTH}、{MAX_NODES}ノードまで）"),
                format!("nesting too deep or too many nodes (depth {MAX_DEPTH}, {MAX_NODES} nodes at most)"),
            ),
            XmlError::Empty => ("ルート要素がありません".into(), "no root element".into()),
        }
    }
}

fn line_at(text: &str, pos: u64) -> usize {
    let end = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
    text.as_bytes()
        .get(..end)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count() + 1)
        .unwrap_or(1)
}

fn ns_of(r: ResolveResult<'_>) -> Result<Option<String>, String> {
    match r {
        ResolveResult::Bound(ns) => Ok(Some(ns.0.to_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(p) => Err(format!("unbound namespace prefix '{p}'")),
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// The pseudo-attributes of an XML declaration (XML 1.0 §2.8 `XMLDecl`,
/// §4.3.3 `EncodingDecl`, §2.9 `SDDecl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlDecl<'a> {
    /// `encoding`, when declared.
    pub encoding: Option<&'a str>,
}

/// Reads the XML declaration at the start of `text` (after a BOM), as the
/// grammar has it: `version` first, then optionally `encoding`, then
/// optionally `standalone`, each once, in that order, quoted:
///
/// ```text
/// XMLDecl ::= '<?xml' VersionInfo EncodingDecl? SDDecl? S? '?>'
/// ```
///
/// `Ok(None)` when there is no declaration; `Err` when there is one that is
/// not well-formed, so that no reader can take an `xencoding="…"` or a
/// second `encoding` for the real one.
pub(crate) fn declaration(text: &[u8]) -> Result<Option<XmlDecl<'_>>, String> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let Some(rest) = text.strip_prefix(b"<?xml") else {
        return Ok(None);
    };
    if rest.starts_with(b"?>") {
        return Err("the XML declaration has no version".into());
    }
    // `<?xml-stylesheet …?>` is a processing instruction, not a declaration.
    if !rest
        .first()
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        return Ok(None);
    }
    let end = rest
        .windows(2)
        .take(512)
        .position(|w| w == b"?>")
        .ok_or("the XML declaration does not end with ?>")?;
    let body = std::str::from_utf8(&rest[..end])
        .map_err(|_| "the XML declaration is not ASCII".to_owned())?;
    let ws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut s = body;
    let mut seen: Vec<&str> = Vec::new();
    let mut encoding = None;
    loop {
        let trimmed = s.trim_start_matches(ws);
        if trimmed.is_empty() {
            break;
        }
        if trimmed.len() == s.len() {
            return Err(
                "pseudo-attributes of the XML declaration must be separated by white space".into(),
            );
        }
        let name_len = trimmed
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(trimmed.len());
        let name = &trimmed[..name_len];
        let order = ["version", "encoding", "standalone"];
        let Some(at) = order.iter().position(|n| *n == name) else {
            return Err(format!(
                "unknown pseudo-attribute \"{}\" in the XML declaration",
                crate::problem::shown(name)
            ));
        };
        if seen
            .iter()
            .any(|n| order.iter().position(|o| o == n) >= Some(at))
        {
            return Err(format!(
                "\"{name}\" is repeated or out of order in the XML declaration"
            ));
        }
        if seen.is_empty() && name != "version" {
            return Err("the XML declaration must begin with version".into());
        }
        seen.push(name);
        let after = trimmed[name_len..].trim_start_matches(ws);
        let after = after
            .strip_prefix('=')
            .ok_or_else(|| format!("\"{name}\" has no value in the XML declaration"))?
            .trim_start_matches(ws);
        let quote = after
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(|| format!("\"{name}\" is not quoted in the XML declaration"))?;
        let inner = &after[1..];
        let close = inner
            .find(quote)
            .ok_or_else(|| format!("\"{name}\" is not closed in the XML declaration"))?;
        let value = &inner[..close];
        // VersionNum ::= '1.' [0-9]+ ; SDDecl: 'yes' | 'no'
        let version_ok = |v: &str| {
            v.strip_prefix("1.")
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        };
        if name == "version" && !version_ok(value) {
            return Err("the XML version must be 1.x".into());
        }
        if name == "standalone" && !matches!(value, "yes" | "no") {
            return Err("standalone must be yes or no".into());
        }
        if name == "encoding" {
            // EncName ::= [A-Za-z] ([A-Za-z0-9._] | '-')*
            let ok = value.starts_with(|c: char| c.is_ascii_alphabetic())
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !ok {
                return Err("the encoding name of the XML declaration is not well-formed".into());
            }
            encoding = Some(value);
        }
        s = &inner[close + 1..];
    }
    if seen.is_empty() {
        return Err("the XML declaration has no version".into());
    }
    Ok(Some(XmlDecl { encoding }))
}

/// Parses `text` into its root element.
pub(crate) fn parse(text: &str) -> Result<Element, XmlError> {
    parse_decoded(text, None)
}

/// [`parse`] of text decoded from `declared` (the encoding its XML
/// declaration names, e.g. Shift_JIS): that declaration is then accepted.
pub(crate) fn parse_decoded(text: &str, declared: Option<&str>) -> Result<Element, XmlError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if let Err(reason) = declaration(text.as_bytes()) {
        return Err(XmlError::Syntax { line: 1, reason });
    }
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut nodes = 0usize;

    let syntax = |reader: &NsReader<&[u8]>, reason: String| XmlError::Syntax {
        line: line_at(text, reader.error_position().max(reader.buffer_position())),
        reason,
    };

    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(syntax(&reader, e.to_string())),
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(XmlError::TooComplex);
        }
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                if root.is_some() {
                    return Err(syntax(&reader, "content after the root element".into()));
                }
                let (res, local) = reader.resolver().resolve_element(e.name());
                let ns = ns_of(res).map_err(|r| syntax(&reader, r))?;
                let name = local.as_ref().to_owned();
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|err| syntax(&reader, err.to_string()))?;
                    let key = a.key.as_ref();
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    let (res, local) = reader.resolver().resolve_attribute(a.key);
                    let ans = ns_of(res).map_err(|r| syntax(&reader, r))?;
                    let value = a.normalized_value(XmlVersion::Implicit1_0).map_err(|err| {
                        let msg = err.to_string();
                        syntax(&reader, msg)
                    })?;
                    if value.chars().any(|c| !is_xml_char(c)) {
                        return Err(syntax(&reader, "character not allowed in XML".into()));
                    }
                    attrs.push(Attr {
                        ns: ans,
                        name: local.as_ref().to_owned(),
                        value: value.into_owned(),
                    });
                }
                let el = Element {
                    ns,
                    name,
                    attrs,
                    children: Vec::new(),
                };
                if is_empty {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None => root = Some(el),
                    }
                } else {
                    if stack.len() >= MAX_DEPTH {
                        return Err(XmlError::TooComplex);
                    }
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(syntax(&reader, "unexpected end tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                push_text(&mut stack, &s, || {
                    syntax(&reader, "text outside the root element".into())
                })?;
            }
            Event::CData(t) => {
                let s = t.into_inner();
                push_text(&mut stack, &s, || {
                    syntax(&reader, "text outside the root element".into())
                })?;
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match r.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => {
                            return Err(XmlError::Entity {
                                line: line_at(text, reader.buffer_position()),
                                name: crate::problem::shown(other),
                            })
                        }
                    },
                    Err(e) => return Err(syntax(&reader, e.to_string())),
                };
                if !is_xml_char(c) {
                    return Err(syntax(
                        &reader,
                        "character reference to a character not allowed in XML".into(),
                    ));
                }
                let mut buf = [0u8; 4];
                push_text(&mut stack, c.encode_utf8(&mut buf), || {
                    syntax(&reader, "reference outside the root element".into())
                })?;
            }
            Event::Decl(d) => {
                // Only the document's very first thing may be a declaration
                // (XML 1.0 §2.8): not after white space, not twice.
                if nodes != 1 {
                    return Err(syntax(
                        &reader,
                        "an XML declaration is allowed only at the very start".into(),
                    ));
                }
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = enc.to_string();
                    if !enc.eq_ignore_ascii_case("utf-8")
                        && !enc.eq_ignore_ascii_case("utf8")
                        && declared.is_none_or(|d| !enc.eq_ignore_ascii_case(d))
                    {
                        return Err(XmlError::Encoding {
                            declared: crate::problem::shown(&enc),
                        });
                    }
                }
            }
            Event::DocType(_) => {
                return Err(XmlError::Doctype {
                    line: line_at(text, reader.buffer_position()),
                })
            }
            // Stylesheet processing instructions are common in CDA files and
            // harmless to a reader that never fetches them; comments carry nothing.
            Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax {
            line: line_at(text, text.len() as u64),
            reason: "unexpected end of document (unclosed element)".into(),
        });
    }
    root.ok_or(XmlError::Empty)
}

fn push_text(
    stack: &mut [Element],
    s: &str,
    outside: impl FnOnce() -> XmlError,
) -> Result<(), XmlError> {
    if s.chars().any(|c| !is_xml_char(c)) {
        return Err(outside_or_char(outside));
    }
    match stack.last_mut() {
        Some(parent) => {
            if let Some(Node::Text(prev)) = parent.children.last_mut() {
                prev.push_str(s);
            } else {
                parent.children.push(Node::Text(s.to_owned()));
            }
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(outside()),
    }
}

fn outside_or_char(outside: impl FnOnce() -> XmlError) -> XmlError {
    match outside() {
        XmlError::Syntax { line, .. } => XmlError::Syntax {
            line,
            reason: "character not allowed in XML".into(),
        },
        other => other,
    }
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.name == name
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements with this name in namespace `ns`.
    pub fn all<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.is(ns, name))
    }

    /// The first child element with this name in namespace `ns`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, name))
    }

    /// Walks a path of child names in namespace `ns`.
    pub fn path(&self, ns: &str, names: &[&str]) -> Option<&Element> {
        let mut cur = self;
        for n in names {
            cur = cur.child(ns, n)?;
        }
        Some(cur)
    }

    /// An attribute without namespace.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// All text below this element, concatenated.
    pub fn text(&self) -> String {
        let mut out = String::new();
        fn walk(e: &Element, out: &mut String) {
            for n in &e.children {
                match n {
                    Node::Text(t) => out.push_str(t),
                    Node::Element(c) => walk(c, out),
                }
            }
        }
        walk(self, &mut out);
        out
    }
}

// ---------------------------------------------------------------------------
// Writing: a tiny, deterministic pretty-printer. Mixed content (narrative) is
// written inline so that no indentation whitespace leaks into the text.

/// Escapes text content.
pub(crate) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A raw CR would be normalised away by any XML parser.
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value (double-quoted); whitespace other than space is
/// written as character references so attribute normalisation cannot alter it.
pub(crate) fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            _ => out.push(c),
        }
    }
    out
}

pub(crate) struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    pub fn new() -> Self {
        Writer {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&escape_attr(v));
            self.out.push('"');
        }
    }

    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.tag(name, attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    pub fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.tag(name, attrs);
        self.out.push_str("/>\n");
    }

    /// An element with escaped text content.
    pub fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.raw(name, attrs, &escape_text(text));
    }

    /// An element with already-serialised inline content.
    pub fn raw(&mut self, name: &str, attrs: &[(&str, &str)], inner: &str) {
        self.indent();
        self.tag(name, attrs);
        self.out.push('>');
        self.out.push_str(inner);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_resolved_not_prefixes() {
        let root =
            parse(r#"<h:a xmlns:h="urn:x"><h:b k="v&amp;w"/>t&lt;&#x3042;</h:a>"#).expect("parse");
        assert!(root.is("urn:x", "a"));
        let b = root.child("urn:x", "b").expect("b");
        assert_eq!(b.attr("k"), Some("v&w"));
        assert_eq!(root.text(), "t<あ");
    }

    #[test]
    fn doctype_and_custom_entities_are_refused() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#;
        assert!(matches!(parse(xxe), Err(XmlError::Doctype { .. })));
        assert!(matches!(
            parse("<a>&nbsp;</a>"),
            Err(XmlError::Entity { .. })
        ));
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "text",
            "<a x='1' x='2'/>",
            "<p:a/>",
            "<a>&#0;</a>",
            "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a/>",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "<a>".repeat(MAX_DEPTH + 5) + &"</a>".repeat(MAX_DEPTH + 5);
        assert_eq!(parse(&deep), Err(XmlError::TooComplex));
    }

    #[test]
    fn written_text_reads_back_exactly() {
        let tricky = "a&b<c>d\"e'\tf\r\ng";
        let mut w = Writer::new();
        w.text("x", &[("v", tricky)], tricky);
        let root = parse(&w.finish()).expect("parse");
        assert_eq!(root.attr("v"), Some(tricky));
        assert_eq!(root.text(), tricky);
    }
}
