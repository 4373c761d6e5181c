//! The one human view of a letter, whichever format it came in: who refers
//! whom, the patient, purpose, diagnoses, history, course, current
//! prescriptions, remarks and attachments, in the order of 別紙様式11.
//!
//! - [`render_html`]: an HTML fragment for the desktop UI. Every value from the
//!   letter is escaped; the markup is ours alone (no narrative HTML from the
//!   input is ever passed through), so the fragment is safe to insert.
//! - [`render_text`]: plain text for the terminal, with control characters
//!   from the input neutralised (no escape sequences reach the terminal).

use crate::date::{Date, Stamp};
use crate::model::{Category, Institution, ReferralLetter};

/// One block of the view: a heading and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The heading (紹介先, 患者, 傷病名 …).
    pub heading: &'static str,
    /// Its lines, as the views show them.
    pub lines: Vec<String>,
}

fn date_ja(s: &str) -> String {
    match Stamp::parse(s) {
        Some(Stamp::DateTime(dt)) => {
            format!("{} {:02}:{:02}", dt.date.japanese(), dt.hour, dt.minute)
        }
        Some(Stamp::Date(d)) => d.japanese(),
        None => s.to_owned(),
    }
}

fn institution_line(i: &Institution) -> String {
    format!(
        "{}　{}（保険医療機関番号 {}）",
        i.name, i.department, i.number
    )
}

fn contact_line(i: &Institution) -> Option<String> {
    let parts: Vec<String> = [
        i.postal_code.as_deref().map(|p| format!("〒{p}")),
        i.address.clone(),
        i.phone.as_deref().map(|p| format!("電話 {p}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn text_lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_owned).collect()
}

/// The view as data: title lines, then blocks.
/// The letter as the views show it: the header lines (date, number,
/// category) and the blocks in 様式11 order. The text, HTML and PDF views
/// are drawn from this one list, so they show the same content.
pub fn blocks(l: &ReferralLetter) -> (Vec<String>, Vec<Block>) {
    let category = match l.category {
        Category::Outpatient => "外来",
        Category::Discharge => "退院時",
    };
    let header = vec![format!(
        "作成日: {}　文書番号: {}（第{}版）　{}",
        date_ja(&l.created),
        l.document_number,
        l.version,
        category
    )];
    let mut out = Vec::new();

    let mut to = vec![institution_line(&l.to.institution)];
    to.extend(contact_line(&l.to.institution));
    to.push(match &l.to.doctor {
        Some(d) => format!("{} 先生", d.name),
        None => "ご担当医 先生".to_owned(),
    });
    out.push(Block {
        heading: "紹介先",
        lines: to,
    });

    let mut from = vec![institution_line(&l.from.institution)];
    from.extend(contact_line(&l.from.institution));
    from.push(match &l.from.doctor.kana {
        Some(k) => format!("医師 {}（{}）", l.from.doctor.name, k),
        None => format!("医師 {}", l.from.doctor.name),
    });
    out.push(Block {
        heading: "紹介元",
        lines: from,
    });

    let p = &l.patient;
    let created = Stamp::parse(&l.created).map(|s| s.date());
    let birth = match Date::parse(&p.birth_date) {
        Some(b) => match created {
            Some(c) => format!("{}生（{}歳）", b.japanese(), b.age_on(c)),
            None => format!("{}生", b.japanese()),
        },
        None => p.birth_date.clone(),
    };
    let mut patient = vec![
        format!("{}（{}）　{}　{}", p.name, p.kana, p.sex.japanese(), birth),
        format!(
            "患者ID {}{}",
            p.id,
            p.recipient_id
                .as_deref()
                .map(|r| format!("（紹介先の患者ID {r}）"))
                .unwrap_or_default()
        ),
    ];
    let contact: Vec<String> = [
        p.postal_code.as_deref().map(|c| format!("〒{c}")),
        p.address.clone(),
        p.phone.as_deref().map(|t| format!("電話 {t}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !contact.is_empty() {
        patient.push(contact.join(" "));
    }
    if let Some(o) = &p.occupation {
        patient.push(format!("職業 {o}"));
    }
    out.push(Block {
        heading: "患者",
        lines: patient,
    });

    out.push(Block {
        heading: "傷病名",
        lines: l
            .diagnoses
            .iter()
            .map(|d| match &d.onset {
                Some(o) => format!("・{}（発症 {o}）", d.name),
                None => format!("・{}", d.name),
            })
            .collect(),
    });
    out.push(Block {
        heading: "紹介目的",
        lines: text_lines(&l.purpose),
    });
    let opt = |heading: &'static str, v: &Option<String>, out: &mut Vec<Block>| {
        if let Some(t) = v {
            out.push(Block {
                heading,
                lines: text_lines(t),
            });
        }
    };
    opt("既往歴", &l.past_history, &mut out);
    opt("家族歴", &l.family_history, &mut out);
    opt("アレルギー", &l.allergies, &mut out);
    opt("感染症", &l.infections, &mut out);
    opt("生活習慣", &l.social_history, &mut out);
    opt("予防接種", &l.immunizations, &mut out);
    out.push(Block {
        heading: "症状経過（現病歴）",
        lines: text_lines(&l.present_illness),
    });
    opt("身体所見", &l.physical_findings, &mut out);
    opt("検査結果", &l.test_results, &mut out);
    opt("手術", &l.surgeries, &mut out);
    opt("輸血", &l.transfusions, &mut out);
    opt("処置", &l.procedures, &mut out);
    opt("治療経過", &l.treatment_course, &mut out);
    out.push(Block {
        heading: "現在の処方",
        lines: if l.prescriptions.is_empty() {
            vec!["なし".to_owned()]
        } else {
            l.prescriptions.iter().map(|p| format!("・{p}")).collect()
        },
    });
    opt("備考", &l.remarks, &mut out);
    if !l.attachments.is_empty() {
        out.push(Block {
            heading: "添付",
            lines: l
                .attachments
                .iter()
                .map(|a| {
                    format!(
                        "・{}（{}、{}）",
                        a.description,
                        a.file_name,
                        match a.media_type {
                            crate::model::AttachmentType::Pdf => "PDF",
                            crate::model::AttachmentType::Jpeg => "JPEG画像",
                            crate::model::AttachmentType::Png => "PNG画像",
                        }
                    )
                })
                .collect(),
        });
    }
    // A received letter's items that these views do not show are named,
    // never dropped silently.
    if !l.not_shown.is_empty() {
        out.push(Block {
            heading: "未表示の項目",
            lines: l.not_shown.iter().map(|n| format!("・{n}")).collect(),
        });
    }
    (header, out)
}

/// Replaces control characters (other than line feed and tab) with U+FFFD so
/// that input cannot inject terminal escape sequences.
fn terminal_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The letter as plain text with Japanese headings, for the terminal.
pub fn render_text(letter: &ReferralLetter) -> String {
    let (header, blocks) = blocks(letter);
    let mut out = String::from("診療情報提供書\n");
    for h in header {
        out.push_str(&h);
        out.push('\n');
    }
    for b in blocks {
        out.push_str(&format!("\n【{}】\n", b.heading));
        for line in b.lines {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
        }
    }
    terminal_safe(&out)
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The letter as an HTML fragment (`<article class="inkan-letter" lang="ja">`)
/// for the desktop UI. All letter content is escaped.
pub fn render_html(letter: &ReferralLetter) -> String {
    let (header, blocks) = blocks(letter);
    let mut out =
        String::from("<article class=\"inkan-letter\" lang=\"ja\">\n<h1>診療情報提供書</h1>\n");
    for h in header {
        out.push_str(&format!("<p class=\"meta\">{}</p>\n", escape_html(&h)));
    }
    for b in blocks {
        out.push_str(&format!("<section>\n<h2>{}</h2>\n", b.heading));
        let is_list = b.lines.iter().all(|l| l.starts_with('・')) && !b.lines.is_empty();
        if is_list {
            out.push_str("<ul>\n");
            for line in &b.lines {
                let item = line.strip_prefix('・').unwrap_or(line);
                out.push_str(&format!("<li>{}</li>\n", escape_html(item)));
            }
            out.push_str("</ul>\n");
        } else {
            let body: Vec<String> = b.lines.iter().map(|l| escape_html(l)).collect();
            out.push_str(&format!("<p>{}</p>\n", body.join("<br>")));
        }
        out.push_str("</section>\n");
    }
    out.push_str("</article>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_view_has_the_form_items() {
        let t = render_text(&ReferralLetter::example());
        for needle in [
            "診療情報提供書",
            "【紹介先】",
            "みなと総合病院　糖尿病・内分泌内科",
            "青木 美咲 先生",
            "【紹介元】",
            "医師 桜井 健一（サクライ ケンイチ）",
            "山田 太郎（ヤマダ タロウ）　男　1958年4月12日生（66歳）",
            "・2型糖尿病（発症 2012）",
            "【紹介目的】",
            "【現在の処方】",
            "・メトホルミン塩酸塩錠500mg",
            "【添付】",
            "2025年3月14日 10:30",
        ] {
            assert!(t.contains(needle), "missing {needle}\n{t}");
        }
    }

    #[test]
    fn html_view_escapes_everything_from_the_letter() {
        let mut l = ReferralLetter::example();
        l.purpose = "<script>alert(1)</script>\n\"x\" & 'y'".into();
        l.diagnoses[0].name = "<img src=x onerror=alert(1)>".into();
        let h = render_html(&l);
        assert!(!h.contains("<script>"));
        assert!(!h.contains("<img"));
        assert!(
            h.contains("&lt;script&gt;alert(1)&lt;/script&gt;<br>&quot;x&quot; &amp; &#39;y&#39;")
        );
        assert!(h.contains("<li>&lt;img src=x onerror=alert(1)&gt;（発症 2012）</li>"));
    }

    #[test]
    fn terminal_output_neutralises_escape_sequences() {
        let mut l = ReferralLetter::example();
        l.remarks = Some("\u{1b}]0;pwned\u{7}赤\u{1b}[31m".into());
        let t = render_text(&l);
        assert!(!t.contains('\u{1b}'));
        assert!(!t.contains('\u{7}'));
    }
}
