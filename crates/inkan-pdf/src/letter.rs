//! The letter as an A4 page sequence: the title, the header lines, then each
//! block (【紹介先】, 【患者】, 【傷病名】 …) with its lines wrapped to the
//! text width; a new page when one is full; "1 / 2" at the foot of each.

use inkan_l10n::{Localized, Text};
use inkan_referral::render::blocks;
use inkan_referral::ReferralLetter;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::Point;
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use std::path::PathBuf;

/// The environment variable naming the font file to embed.
pub const FONT_ENV: &str = "INKAN_PDF_FONT";

/// Fixed-pitch Japanese fonts, where the Linux packages put them: every
/// full-width character is 1 em wide and every half-width one ½ em, which
/// the line breaking below relies on.
const FONT_CANDIDATES: [&str; 4] = [
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
];

/// Why no PDF was made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// No Japanese font was found.
    #[error("no Japanese font: set {FONT_ENV} or install fonts-ipafont-gothic")]
    NoFont,
    /// The font file cannot be read or used.
    #[error("the font {} cannot be used: {detail}", path.display())]
    BadFont {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The writer refused (a PDF/A rule, a glyph the font lacks …).
    #[error("the PDF could not be written: {detail}")]
    Export {
        /// Why.
        detail: String,
    },
}

impl Localized for PdfError {
    fn code(&self) -> &'static str {
        match self {
            PdfError::NoFont => "pdf.no_font",
            PdfError::BadFont { .. } => "pdf.bad_font",
            PdfError::Export { .. } => "pdf.export",
        }
    }

    fn text(&self) -> Text {
        match self {
            PdfError::NoFont => Text::new(
                format!("日本語フォントが見つかりません。fonts-ipafont-gothic を入れるか、{FONT_ENV} でフォントファイルを指定してください"),
                self.to_string(),
            ),
            PdfError::BadFont { path, detail } => Text::new(
                format!("フォント {} を使えません: {detail}", path.display()),
                self.to_string(),
            ),
            PdfError::Export { detail } => Text::new(
                format!("PDF を作成できませんでした: {detail}"),
                self.to_string(),
            ),
        }
    }
}

/// The font to embed: [`FONT_ENV`], else the first of the known places.
pub fn find_font() -> Result<(PathBuf, Vec<u8>), PdfError> {
    let path = std::env::var_os(FONT_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            FONT_CANDIDATES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        })
        .ok_or(PdfError::NoFont)?;
    let bytes = std::fs::read(&path).map_err(|e| PdfError::BadFont {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    Ok((path, bytes))
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const BODY: f32 = 10.5;
const HEADING: f32 = 11.5;
const TITLE: f32 = 18.0;
const LEADING: f32 = 1.6;

/// The width of `c` in em for a fixed-pitch Japanese font.
fn em(c: char) -> f32 {
    let u = c as u32;
    if u < 0x7f || (0xff61..=0xff9f).contains(&u) {
        0.5
    } else {
        1.0
    }
}

/// Characters that never begin a line (禁則処理, JIS X 4051 in its simplest form).
fn no_line_start(c: char) -> bool {
    "、。，．・：；？！ー）」』】〕〉》’”ぁぃぅぇぉっゃゅょァィゥェォッャュョ,.)".contains(c)
}

/// `text` broken into lines of at most `width_em` em (a closing mark may
/// hang past the edge rather than begin a line).
fn wrap(text: &str, width_em: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0.0;
    for c in text.chars() {
        let cw = em(c);
        if w + cw > width_em && !line.is_empty() && !no_line_start(c) {
            lines.push(std::mem::take(&mut line));
            w = 0.0;
        }
        line.push(c);
        w += cw;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A run of text at a place on a page.
struct Run {
    x: f32,
    y: f32,
    size: f32,
    text: String,
}

/// Lays the letter out in pages of runs.
fn layout(letter: &ReferralLetter) -> Vec<Vec<Run>> {
    let (header, blocks) = blocks(letter);
    let bottom = PAGE_H - MARGIN - 20.0;
    let text_w = PAGE_W - 2.0 * MARGIN;
    let mut pages: Vec<Vec<Run>> = vec![Vec::new()];
    let mut y = MARGIN + TITLE;
    let title = "診療情報提供書";
    let title_w: f32 = title.chars().map(em).sum::<f32>() * TITLE;
    pages[0].push(Run {
        x: (PAGE_W - title_w) / 2.0,
        y,
        size: TITLE,
        text: title.into(),
    });
    y += TITLE * 1.2;
    let put = |pages: &mut Vec<Vec<Run>>, y: &mut f32, x: f32, size: f32, text: String| {
        if *y + size * LEADING > bottom {
            pages.push(Vec::new());
            *y = MARGIN;
        }
        *y += size * LEADING;
        if let Some(p) = pages.last_mut() {
            p.push(Run {
                x,
                y: *y,
                size,
                text,
            });
        }
    };
    for h in header {
        for l in wrap(&h, text_w / BODY) {
            put(&mut pages, &mut y, MARGIN, BODY, l);
        }
    }
    for b in blocks {
        // A heading is not left alone at the foot of a page.
        if y + HEADING * LEADING + BODY * LEADING * 2.0 > bottom {
            pages.push(Vec::new());
            y = MARGIN;
        } else {
            y += BODY * 0.6;
        }
        put(
            &mut pages,
            &mut y,
            MARGIN,
            HEADING,
            format!("【{}】", b.heading),
        );
        for line in &b.lines {
            for l in wrap(line, (text_w - BODY) / BODY) {
                put(&mut pages, &mut y, MARGIN + BODY, BODY, l);
            }
        }
    }
    pages
}

/// `YYYY-MM-DD[Thh:mm…]` as the PDF's date (1970-01-01 if unreadable: the
/// letter was validated before, so only a received oddity falls back).
fn document_date(created: &str) -> DateTime {
    let num = |r: std::ops::Range<usize>| created.get(r).and_then(|s| s.parse::<u16>().ok());
    let (y, m, d) = match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m @ 1..=12), Some(d @ 1..=31)) => (y, m as u8, d as u8),
        _ => (1970, 1, 1),
    };
    let mut t = DateTime::new(y).month(m).day(d);
    if let (Some(h @ 0..=23), Some(mi @ 0..=59)) = (num(11..13), num(14..16)) {
        t = t.hour(h as u8).minute(mi as u8);
    }
    t
}

/// The letter as a PDF/A-2b document, with `font` (a fixed-pitch Japanese
/// TrueType/OpenType font, see [`find_font`]) embedded as a subset.
pub fn letter_pdf(letter: &ReferralLetter, font: &[u8]) -> Result<Vec<u8>, PdfError> {
    let bad_font = |detail: &str| PdfError::BadFont {
        path: PathBuf::from(FONT_ENV),
        detail: detail.into(),
    };
    let font = Font::new(font.to_vec().into(), 0)
        .ok_or_else(|| bad_font("not a TrueType/OpenType font"))?;
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| PdfError::Export {
            detail: format!("PDF/A-2b cannot be configured: {e:?}"),
        })?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut doc = Document::new_with(settings);
    doc.set_metadata(
        Metadata::new()
            .title(format!("診療情報提供書 {}", letter.document_number))
            .language("ja".into())
            .creator("Inkan".into())
            // The letter's 作成日, not the time of rendering: the same letter
            // gives the same PDF (PDF/A requires a date).
            .creation_date(document_date(&letter.created)),
    );
    let pages = layout(letter);
    let n = pages.len();
    for (i, runs) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Export {
            detail: "page size".into(),
        })?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for r in runs {
            surface.draw_text(
                Point::from_xy(r.x, r.y),
                font.clone(),
                r.size,
                &r.text,
                false,
                TextDirection::Auto,
            );
        }
        let foot = format!("{} / {n}", i + 1);
        let foot_w: f32 = foot.chars().map(em).sum::<f32>() * 9.0;
        surface.draw_text(
            Point::from_xy((PAGE_W - foot_w) / 2.0, PAGE_H - MARGIN / 2.0),
            font.clone(),
            9.0,
            &foot,
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| PdfError::Export {
        detail: format!("{e:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_by_width_and_closing_marks_never_begin_a_line() {
        assert_eq!(wrap("あいうえお", 2.0), vec!["あい", "うえ", "お"]);
        assert_eq!(wrap("ab cd", 1.0), vec!["ab", " c", "d"]);
        assert_eq!(wrap("あい。う", 2.0), vec!["あい。", "う"]);
        assert_eq!(wrap("", 10.0), vec![""]);
    }

    #[test]
    fn a_long_letter_takes_several_pages_and_every_line_fits() {
        let mut l = ReferralLetter::example();
        l.present_illness = "経過を記載します。".repeat(400);
        let pages = layout(&l);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        for runs in &pages {
            for r in runs {
                let w: f32 = r.text.chars().map(em).sum::<f32>() * r.size;
                // A hanging closing mark may pass the edge by one character.
                assert!(r.x + w <= PAGE_W - MARGIN + r.size + 0.01, "{:?}", r.text);
                assert!(r.y <= PAGE_H - MARGIN, "{}", r.y);
            }
        }
    }
}
