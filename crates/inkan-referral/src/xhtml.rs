//! The FHIR narrative subset of XHTML (FHIR R4 §2.4 Narrative, invariants
//! txt-1 "only the basic html formatting elements and attributes described in
//! chapters 7–11 and 15 of the HTML 4.0 standard, `<a>` elements (either name
//! or href), images and internally contained style attributes", and txt-2
//! "some non-whitespace content").
//!
//! Narrative from outside ends up on a physician's screen, so this is a
//! security boundary, not a style check: `<script>`, forms, frames, objects,
//! event handlers (`on*`), `javascript:`/`data:` links, external images and
//! style tricks (`expression()`, `url()`) are all rejected, element by element.

use crate::xml::{Element, Node, XmlError};
use inkan_l10n::Text;
use serde::Serialize;

/// The XHTML namespace every narrative element must be in.
pub const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// A broken narrative rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "xhtml", rename_all = "snake_case")]
#[non_exhaustive]
pub enum XhtmlRule {
    /// Not well-formed XML (or a DOCTYPE / undefined entity).
    NotWellFormed {
        /// What is wrong (English, from the parser).
        reason: String,
    },
    /// The root is not `<div xmlns="http://www.w3.org/1999/xhtml">`.
    Root {
        /// The root element found.
        found: String,
    },
    /// An element outside the XHTML namespace.
    Namespace {
        /// The element.
        element: String,
    },
    /// An element outside the narrative subset (`script`, `iframe`, `form` …).
    Element {
        /// The element.
        name: String,
    },
    /// An attribute outside the narrative subset.
    Attribute {
        /// The element.
        element: String,
        /// The attribute.
        name: String,
    },
    /// An event-handler attribute (`onclick`, `onload` …).
    EventHandler {
        /// The element.
        element: String,
        /// The attribute.
        name: String,
    },
    /// A link or image source with a forbidden scheme or an external image.
    UnsafeUrl {
        /// The element.
        element: String,
        /// The attribute.
        name: String,
        /// The URL.
        value: String,
    },
    /// A style attribute with active content (`expression()`, `url()` …).
    UnsafeStyle {
        /// The element.
        element: String,
    },
    /// No text content at all (FHIR txt-2).
    Empty,
}

impl XhtmlRule {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            XhtmlRule::NotWellFormed { .. } => "referral.xhtml.not_well_formed",
            XhtmlRule::Root { .. } => "referral.xhtml.root",
            XhtmlRule::Namespace { .. } => "referral.xhtml.namespace",
            XhtmlRule::Element { .. } => "referral.xhtml.element",
            XhtmlRule::Attribute { .. } => "referral.xhtml.attribute",
            XhtmlRule::EventHandler { .. } => "referral.xhtml.event_handler",
            XhtmlRule::UnsafeUrl { .. } => "referral.xhtml.unsafe_url",
            XhtmlRule::UnsafeStyle { .. } => "referral.xhtml.unsafe_style",
            XhtmlRule::Empty => "referral.xhtml.empty",
        }
    }

    /// The rule in both languages.
    pub fn text(&self) -> Text {
        use crate::problem::shown;
        match self {
            XhtmlRule::NotWellFormed { reason } => Text::new(
                format!("ナラティブがXMLとして正しくありません（{}）", shown(reason)),
                format!("the narrative is not well-formed XML ({})", shown(reason)),
            ),
            XhtmlRule::Root { found } => Text::new(
                format!(
                    "ナラティブのルートは <div xmlns=\"{XHTML_NS}\"> でなければなりません（<{}>です）",
                    shown(found)
                ),
                format!(
                    "the narrative root must be <div xmlns=\"{XHTML_NS}\"> (found <{}>)",
                    shown(found)
                ),
            ),
            XhtmlRule::Namespace { element } => Text::new(
                format!("<{}> はXHTML名前空間にありません", shown(element)),
                format!("<{}> is not in the XHTML namespace", shown(element)),
            ),
            XhtmlRule::Element { name } => Text::new(
                format!(
                    "<{}> はFHIRナラティブで使用できない要素です（txt-1）",
                    shown(name)
                ),
                format!(
                    "<{}> is not allowed in FHIR narrative (txt-1)",
                    shown(name)
                ),
            ),
            XhtmlRule::Attribute { element, name } => Text::new(
                format!(
                    "<{}> の属性 {} はFHIRナラティブで使用できません（txt-3）",
                    shown(element),
                    shown(name)
                ),
                format!(
                    "attribute {} on <{}> is not allowed in FHIR narrative (txt-3)",
                    shown(name),
                    shown(element)
                ),
            ),
            XhtmlRule::EventHandler { element, name } => Text::new(
                format!(
                    "<{}> のイベントハンドラ属性 {} は使用できません（スクリプト）",
                    shown(element),
                    shown(name)
                ),
                format!(
                    "event handler {} on <{}> is not allowed (script)",
                    shown(name),
                    shown(element)
                ),
            ),
            XhtmlRule::UnsafeUrl {
                element,
                name,
                value,
            } => Text::new(
                format!(
                    "<{}> の {}=\"{}\" は使用できないURLです（javascript:等、または外部画像）",
                    shown(element),
                    shown(name),
                    shown(value)
                ),
                format!(
                    "{}=\"{}\" on <{}> is not an allowed URL (javascript: etc., or an external image)",
                    shown(name),
                    shown(value),
                    shown(element)
                ),
            ),
            XhtmlRule::UnsafeStyle { element } => Text::new(
                format!(
                    "<{}> のstyle属性に能動的な内容（expression()、url()等）があります",
                    shown(element)
                ),
                format!(
                    "the style attribute on <{}> has active content (expression(), url() …)",
                    shown(element)
                ),
            ),
            XhtmlRule::Empty => Text::new(
                "ナラティブに文字がありません（txt-2）",
                "the narrative has no text (txt-2)",
            ),
        }
    }
}

const ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "b",
    "bdo",
    "big",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "ul",
    "var",
];

const GLOBAL_ATTRIBUTES: &[&str] = &[
    "id",
    "class",
    "style",
    "title",
    "lang",
    "dir",
    "accesskey",
    "tabindex",
];

fn element_attribute_ok(element: &str, attr: &str) -> bool {
    let allowed: &[&str] = match element {
        "a" => &[
            "href", "name", "hreflang", "rel", "rev", "type", "charset", "shape", "coords",
        ],
        "img" => &[
            "src", "alt", "width", "height", "longdesc", "border", "hspace", "vspace",
        ],
        "table" => &[
            "summary",
            "width",
            "border",
            "frame",
            "rules",
            "cellspacing",
            "cellpadding",
            "align",
            "bgcolor",
        ],
        "td" | "th" => &[
            "abbr", "axis", "headers", "scope", "rowspan", "colspan", "align", "char", "charoff",
            "valign", "nowrap", "width", "height", "bgcolor",
        ],
        "col" | "colgroup" => &["span", "width", "align", "char", "charoff", "valign"],
        "tr" | "thead" | "tbody" | "tfoot" => &["align", "char", "charoff", "valign", "bgcolor"],
        "ol" => &["start", "type", "compact"],
        "ul" => &["type", "compact"],
        "li" => &["type", "value"],
        "blockquote" | "q" => &["cite"],
        "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "caption" => &["align"],
        "pre" => &["width"],
        "hr" => &["align", "noshade", "size", "width"],
        "br" => &["clear"],
        "dl" => &["compact"],
        _ => &[],
    };
    allowed.contains(&attr)
}

/// The scheme of a URL, lower-cased, after removing the whitespace and control
/// characters browsers ignore (`java\tscript:` is still `javascript:`).
fn scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let (head, _) = cleaned.split_once(':')?;
    let mut chars = head.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| head.to_ascii_lowercase())
}

fn link_ok(url: &str) -> bool {
    match scheme(url) {
        None => true, // relative or fragment
        Some(s) => matches!(s.as_str(), "http" | "https" | "mailto" | "tel" | "urn"),
    }
}

fn image_ok(url: &str) -> bool {
    let u = url.trim();
    // External images would be fetched on display (tracking, content swap
    // after signing); FHIR wants contained images or data: URLs.
    u.starts_with('#')
        || [
            "data:image/png;base64,",
            "data:image/jpeg;base64,",
            "data:image/gif;base64,",
        ]
        .iter()
        .any(|p| u.to_ascii_lowercase().starts_with(p))
}

fn style_ok(style: &str) -> bool {
    let s: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    ![
        "expression",
        "url(",
        "javascript:",
        "@import",
        "behavior",
        "-moz-binding",
        "\\",
        "<",
    ]
    .iter()
    .any(|bad| s.contains(bad))
}

fn check_element(e: &Element, problems: &mut Vec<XhtmlRule>) {
    if e.ns.as_deref() != Some(XHTML_NS) {
        problems.push(XhtmlRule::Namespace {
            element: e.name.clone(),
        });
    } else if !ELEMENTS.contains(&e.name.as_str()) {
        problems.push(XhtmlRule::Element {
            name: e.name.clone(),
        });
        // Nothing below a forbidden element is worth reporting separately.
        return;
    }
    for a in &e.attrs {
        let lower = a.name.to_ascii_lowercase();
        if lower.starts_with("on") {
            problems.push(XhtmlRule::EventHandler {
                element: e.name.clone(),
                name: a.name.clone(),
            });
            continue;
        }
        let allowed = match a.ns.as_deref() {
            None => {
                GLOBAL_ATTRIBUTES.contains(&a.name.as_str())
                    || element_attribute_ok(&e.name, &a.name)
            }
            Some(XML_NS) => a.name == "lang",
            Some(_) => false,
        };
        if !allowed {
            problems.push(XhtmlRule::Attribute {
                element: e.name.clone(),
                name: a.name.clone(),
            });
            continue;
        }
        let url_ok = match a.name.as_str() {
            "href" | "cite" | "longdesc" => link_ok(&a.value),
            "src" => image_ok(&a.value),
            _ => true,
        };
        if !url_ok {
            problems.push(XhtmlRule::UnsafeUrl {
                element: e.name.clone(),
                name: a.name.clone(),
                value: a.value.clone(),
            });
        }
        if a.name == "style" && !style_ok(&a.value) {
            problems.push(XhtmlRule::UnsafeStyle {
                element: e.name.clone(),
            });
        }
    }
    for child in e.elements() {
        check_element(child, problems);
    }
}

fn has_content(e: &Element) -> bool {
    e.children.iter().any(|n| match n {
        Node::Text(t) => !t.trim().is_empty(),
        Node::Element(c) => c.name == "img" || has_content(c),
    })
}

fn parse_div(div: &str) -> Result<Element, XhtmlRule> {
    crate::xml::parse(div).map_err(|e| XhtmlRule::NotWellFormed {
        reason: match e {
            XmlError::Syntax { reason, .. } => reason,
            other => other.describe().1,
        },
    })
}

/// Every narrative-rule violation in `div` (empty when it is acceptable).
pub fn check(div: &str) -> Vec<XhtmlRule> {
    let root = match parse_div(div) {
        Ok(r) => r,
        Err(rule) => return vec![rule],
    };
    let mut problems = Vec::new();
    if !root.is(XHTML_NS, "div") {
        problems.push(XhtmlRule::Root {
            found: root.name.clone(),
        });
    }
    check_element(&root, &mut problems);
    if !has_content(&root) {
        problems.push(XhtmlRule::Empty);
    }
    problems
}

/// The plain text of a narrative `div` (line breaks from `<br/>` and blocks).
/// Does not judge the markup: call [`check`] for that.
pub fn to_text(div: &str) -> Result<String, XhtmlRule> {
    Ok(crate::narrative::to_text(&parse_div(div)?, None))
}

pub(crate) fn to_text_skipping(div: &str, skip_id: &str) -> Result<String, XhtmlRule> {
    Ok(crate::narrative::to_text(&parse_div(div)?, Some(skip_id)))
}

/// The narrative `div` for a plain text (escaped; `\n` → `<br/>`).
pub fn from_text(text: &str) -> String {
    wrap(&crate::narrative::inline(text))
}

/// Wraps already-escaped inline markup in the narrative `div`.
pub(crate) fn wrap(inner: &str) -> String {
    format!("<div xmlns=\"{XHTML_NS}\">{inner}</div>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn div(inner: &str) -> String {
        wrap(inner)
    }

    #[test]
    fn plain_narrative_passes() {
        assert_eq!(check(&from_text("腹痛精査お願いします。\n二行目")), vec![]);
        assert_eq!(
            check(&div(
                r#"<p style="color:red">a</p><table border="1"><tr><td colspan="2">x</td></tr></table><a href="https://example.jp/">l</a><img src="data:image/png;base64,AAAA" alt="x"/>"#
            )),
            vec![]
        );
    }

    #[test]
    fn script_and_active_content_are_rejected() {
        let cases: &[(&str, &str)] = &[
            ("<script>alert(1)</script>", "referral.xhtml.element"),
            (
                "<iframe src=\"https://x\"></iframe>",
                "referral.xhtml.element",
            ),
            ("<form><input/></form>", "referral.xhtml.element"),
            (
                "<p onclick=\"alert(1)\">x</p>",
                "referral.xhtml.event_handler",
            ),
            (
                "<img src=\"#a\" ONERROR=\"alert(1)\"/>",
                "referral.xhtml.event_handler",
            ),
            (
                "<a href=\"javascript:alert(1)\">x</a>",
                "referral.xhtml.unsafe_url",
            ),
            (
                "<a href=\" jAvA&#9;script:alert(1)\">x</a>",
                "referral.xhtml.unsafe_url",
            ),
            (
                "<a href=\"data:text/html,x\">x</a>",
                "referral.xhtml.unsafe_url",
            ),
            (
                "<img src=\"https://tracker.example/x.png\"/>",
                "referral.xhtml.unsafe_url",
            ),
            (
                "<p style=\"background:url(https://x)\">x</p>",
                "referral.xhtml.unsafe_style",
            ),
            (
                "<p style=\"width:expression(alert(1))\">x</p>",
                "referral.xhtml.unsafe_style",
            ),
            (
                "<p xmlns:s=\"urn:x\" s:a=\"1\">x</p>",
                "referral.xhtml.attribute",
            ),
            (
                "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
                "referral.xhtml.namespace",
            ),
            ("<ins>x</ins>", "referral.xhtml.element"),
        ];
        for (inner, code) in cases {
            let problems = check(&div(inner));
            assert!(
                problems.iter().any(|p| p.code() == *code),
                "{inner}: {problems:?}"
            );
        }
    }

    #[test]
    fn root_namespace_and_content_are_required() {
        assert!(matches!(
            check("<div>x</div>").as_slice(),
            [XhtmlRule::Root { .. }, XhtmlRule::Namespace { .. }]
        ));
        assert!(matches!(
            check(&format!("<p xmlns=\"{XHTML_NS}\">x</p>")).as_slice(),
            [XhtmlRule::Root { .. }]
        ));
        assert_eq!(check(&div("  <br/> ")), vec![XhtmlRule::Empty]);
        assert!(matches!(
            check(&div("<p>x")).as_slice(),
            [XhtmlRule::NotWellFormed { .. }]
        ));
        assert!(matches!(
            check(&div("&nbsp;")).as_slice(),
            [XhtmlRule::NotWellFormed { .. }]
        ));
    }

    #[test]
    fn text_round_trips() {
        let t = "a < b & c\n\n二行目";
        assert_eq!(to_text(&from_text(t)).expect("text"), t);
    }
}
