//! Narrative markup (CDA `<text>` blocks and FHIR XHTML `div`s) to plain text
//! and back: the letter's items are plain text with `\n` line breaks; the
//! markup carries them as `<br/>`s inside one block.

use crate::xml::{Element, Node};

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "paragraph"
            | "list"
            | "item"
            | "li"
            | "ul"
            | "ol"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "caption"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "blockquote"
            | "dl"
            | "dt"
            | "dd"
            | "hr"
            | "address"
    )
}

struct Out {
    s: String,
}

impl Out {
    fn newline(&mut self) {
        if !self.s.is_empty() && !self.s.ends_with('\n') {
            self.s.push('\n');
        }
    }

    fn text(&mut self, t: &str, pre: bool) {
        if pre {
            self.s.push_str(t);
            return;
        }
        // Line breaks in the markup source are formatting (pretty-printing),
        // not content: the content's line breaks are <br/> and blocks.
        if t.contains('\n') && t.trim().is_empty() {
            return;
        }
        let mut in_break_run = false;
        let mut pending = String::new();
        for c in t.chars() {
            if c.is_whitespace() && c != '\u{3000}' {
                pending.push(c);
                if c == '\n' || c == '\r' {
                    in_break_run = true;
                }
            } else {
                if !pending.is_empty() {
                    if in_break_run {
                        self.s.push(' ');
                    } else {
                        self.s.push_str(&pending);
                    }
                    pending.clear();
                    in_break_run = false;
                }
                self.s.push(c);
            }
        }
        if !pending.is_empty() {
            if in_break_run {
                self.s.push(' ');
            } else {
                self.s.push_str(&pending);
            }
        }
    }
}

fn walk(e: &Element, out: &mut Out, skip_id: Option<&str>, pre: bool) {
    for n in &e.children {
        match n {
            Node::Text(t) => out.text(t, pre),
            Node::Element(c) => {
                if skip_id.is_some() && (c.attr("id") == skip_id || c.attr("ID") == skip_id) {
                    continue;
                }
                match c.name.as_str() {
                    "br" => out.s.push('\n'),
                    "td" | "th" => {
                        if !out.s.is_empty() && !out.s.ends_with('\n') {
                            out.s.push(' ');
                        }
                        walk(c, out, skip_id, pre);
                    }
                    "img" | "renderMultiMedia" | "footnoteRef" => {}
                    name if is_block(name) => {
                        out.newline();
                        walk(c, out, skip_id, pre || name == "pre");
                        out.newline();
                    }
                    _ => walk(c, out, skip_id, pre),
                }
            }
        }
    }
}

/// The plain text of a narrative block, skipping the element whose `id`/`ID`
/// is `skip_id` (a generated part that the model carries elsewhere).
pub(crate) fn to_text(e: &Element, skip_id: Option<&str>) -> String {
    let mut out = Out { s: String::new() };
    walk(e, &mut out, skip_id, false);
    out.s.trim().to_owned()
}

/// The non-blank lines of a text, trimmed.
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Escaped inline markup for a text: `\n` becomes `<br/>`.
pub(crate) fn inline(text: &str) -> String {
    text.split('\n')
        .map(crate::xml::escape_text)
        .collect::<Vec<_>>()
        .join("<br/>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn line_breaks_survive_the_round_trip() {
        for text in ["a\n\nb", "一行", "a \n\tb <c> & d", "x\ny\nz"] {
            let xml = format!("<p>{}</p>", inline(text));
            let root = parse(&xml).expect("parse");
            assert_eq!(to_text(&root, None), text);
        }
    }

    #[test]
    fn pretty_printed_markup_reads_as_its_lines() {
        let root = parse(
            "<div>\n  <p>one\n    continued</p>\n  <ul>\n    <li>a</li>\n    <li>b</li>\n  </ul>\n  <table><tr><td>x</td><td>y</td></tr></table>\n</div>",
        )
        .expect("parse");
        assert_eq!(to_text(&root, None), "one continued\na\nb\nx y");
    }

    #[test]
    fn the_skipped_block_is_left_out() {
        let root = parse(r#"<div><p>keep</p><p id="gen">drop</p></div>"#).expect("parse");
        assert_eq!(to_text(&root, Some("gen")), "keep");
    }
}
