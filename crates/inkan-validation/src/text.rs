//! The report as text for people (CLI), in Japanese or English.

use crate::{CheckStatus, TimeSource, ValidationReport};
use inkan_l10n::Lang;
use std::fmt::Write;

/// Renders `report` for a terminal. TEST trust stores are announced first.
pub fn render_text(report: &ValidationReport, lang: Lang) -> String {
    let ja = lang == Lang::Ja;
    let mut out = String::new();
    if report.trust.test {
        let _ = writeln!(
            out,
            "*** TEST *** {}",
            if ja {
                format!(
                    "テスト用トラストストア（{}）で検証しています。実運用の判定ではありません。",
                    report.trust.label
                )
            } else {
                format!(
                    "validated against a TEST trust store ({}); not a production verdict.",
                    report.trust.label
                )
            }
        );
    }
    let _ = writeln!(
        out,
        "{} [{}{}]",
        report.summary.get(lang),
        report.indication.as_str(),
        report
            .sub_indication
            .as_deref()
            .map(|s| format!(" / {s}"))
            .unwrap_or_default()
    );
    if let Some(s) = &report.signer {
        let name = match (&s.name_kanji, ja) {
            (Some(k), true) => format!("{k}（{}）", s.name),
            _ => s.name.clone(),
        };
        let q = if ja {
            s.qualification_ja.clone().or(s.qualification.clone())
        } else {
            s.qualification.clone()
        }
        .unwrap_or_else(|| "-".into());
        let (l_signer, l_q, l_issuer, l_serial) = if ja {
            ("署名者", "資格", "発行認証局", "証明書シリアル")
        } else {
            (
                "Signer",
                "Qualification",
                "Issuing CA",
                "Certificate serial",
            )
        };
        let _ = writeln!(out, "  {l_signer}: {name}");
        if let Some(o) = &s.organization {
            let _ = writeln!(out, "  {}: {o}", if ja { "所属" } else { "Organization" });
        }
        let _ = writeln!(out, "  {l_q}: {q}");
        let _ = writeln!(out, "  {l_issuer}: {}", s.issuer);
        let _ = writeln!(out, "  {l_serial}: {}", s.serial);
    }
    if let Some(t) = &report.claimed_signing_time {
        let _ = writeln!(
            out,
            "  {}: {t}",
            if ja {
                "署名時刻（署名者の申告）"
            } else {
                "Signing time (claimed by the signer)"
            }
        );
    }
    if let Some(level) = report.level {
        let _ = writeln!(
            out,
            "  {}: {level}",
            if ja {
                "署名レベル"
            } else {
                "Signature level"
            }
        );
    }
    if let Some(t) = &report.best_signature_time {
        let _ = writeln!(
            out,
            "  {}: {}",
            if ja {
                "署名時刻（タイムスタンプ）"
            } else {
                "Signing time (time-stamp)"
            },
            time_both(t, ja)
        );
    }
    for ts in &report.timestamps {
        let when = ts
            .gen_time
            .as_deref()
            .map(|t| time_both(t, ja))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "  {}: {when} {} [{}]{}",
            if ja {
                "タイムスタンプ"
            } else {
                "Time-stamp"
            },
            ts.tsa.as_deref().unwrap_or(""),
            ts.indication,
            ts.detail
                .as_ref()
                .map(|d| format!(" {}", d.get(lang)))
                .unwrap_or_default()
        );
    }
    let src = match (report.time_source, ja) {
        (TimeSource::Now, true) => "現在時刻",
        (TimeSource::Now, false) => "current time",
        (TimeSource::Explicit, true) => "指定時刻",
        (TimeSource::Explicit, false) => "given time",
    };
    let _ = writeln!(
        out,
        "  {}: {} ({src})",
        if ja {
            "検証時刻"
        } else {
            "Validation time"
        },
        report.validation_time
    );
    if report.signers.len() > 1 {
        let _ = writeln!(
            out,
            "  {}:",
            if ja {
                "署名者ごとの判定"
            } else {
                "Each signer"
            }
        );
        for r in &report.signers {
            let _ = writeln!(
                out,
                "    {}. {} [{}{}]",
                r.index + 1,
                r.summary.get(lang),
                r.indication.as_str(),
                r.sub_indication
                    .as_deref()
                    .map(|s| format!(" / {s}"))
                    .unwrap_or_default()
            );
        }
    }
    let _ = writeln!(out, "  {}:", if ja { "検査" } else { "Checks" });
    for c in &report.checks {
        let mark = match c.status {
            CheckStatus::Passed => "✓",
            CheckStatus::Failed => "✗",
            CheckStatus::Indeterminate => "?",
            CheckStatus::Skipped => "-",
        };
        let _ = writeln!(out, "    {mark} {}", c.message.get(lang));
    }
    // Certificate text is escaped where it is read; this is the last line of
    // defence for the terminal, whatever a message may have picked up.
    inkan_l10n::escape_display_lines(&out)
}

/// `2026年11月25日 19:00:00（日本時間）/ 2026-11-25T10:00:00Z` in Japanese,
/// `2026-11-25T10:00:00Z (19:00:00 JST)` in English.
fn time_both(rfc3339: &str, ja: bool) -> String {
    match inkan_l10n::japan_time(rfc3339) {
        Some(j) if ja => format!("{} / {rfc3339}", j.ja(true)),
        Some(j) => format!(
            "{rfc3339} ({:02}:{:02}:{:02} JST)",
            j.hour, j.minute, j.second
        ),
        None => rfc3339.to_string(),
    }
}
