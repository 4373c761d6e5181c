//! SS-MIX2 拡張ストレージ (JAMI 「SS-MIX2 拡張ストレージ 構成の説明と構築
//! ガイドライン」, MHLW standard HS026; ISO/TS 24289:2021): the folder
//! hierarchy regional networks (ID-Link and others) pick documents up from.
//!
//! ```text
//! <root>/<患者ID 1–3桁>/<患者ID 4–6桁>/<患者ID>/<診療日>/<データ種別>/<コンテンツフォルダ>/<files>
//! コンテンツフォルダ = <患者ID>_<診療日>_<データ種別>_<特定キー>_<発生日時>_<診療科コード>_<コンディションフラグ>
//! データ種別 (guideline §2.2(4), a 6-part code) =
//!     [ローカル文書コード]^ローカル文書名称^[ローカルコード体系]^標準文書コード^標準文書名称^標準コード体系
//! ```
//! For a 診療情報提供書: `^診療情報提供書^^57133-1^紹介状^LN` (the standard
//! code LOINC 57133-1, as the National Hospital Organization's SS-MIX2
//! specification maps it); 診療日 = the letter's date (YYYYMMDD); 特定キー =
//! the document's identifier made file-safe; 発生日時 = when it was queued,
//! Japan time, `YYYYMMDDHHMMSSfff`, of the signature (else of queueing); 診療科コード `-` (no code table is
//! shared); コンディションフラグ `1` (valid).
//!
//! Not settled by the sources we could read: how IDs shorter than 6
//! characters fill the first two levels. Inkan pads the ID with leading
//! zeros *for those two folder names only* (`123` → `000/123/123`); the
//! third level and the content folder keep the ID as written.

use crate::error::DeliveryError;
use crate::model::Item;
use std::path::PathBuf;

/// The データ種別 folder of a referral letter.
pub const REFERRAL_DATA_TYPE: &str = "^診療情報提供書^^57133-1^紹介状^LN";

/// The content folder of `item`, relative to the storage root.
pub fn content_path(item: &Item) -> Result<PathBuf, DeliveryError> {
    let unsupported = |why: String, ja: String| DeliveryError::Unsupported { why, ja };
    let pid = item.meta.patient.id.trim();
    if pid.is_empty()
        || pid.len() > 64
        || !pid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(unsupported(
            format!(
                "the patient ID {pid:?} cannot name an SS-MIX2 folder (letters, digits and - only)"
            ),
            format!("患者ID {pid:?} は SS-MIX2 のフォルダ名に使えません（英数字と - のみ）"),
        ));
    }
    let date = visit_date(&item.meta.created).ok_or_else(|| {
        unsupported(
            format!(
                "the letter's date {:?} is not YYYY-MM-DD",
                item.meta.created
            ),
            format!(
                "文書の日付 {:?} が YYYY-MM-DD ではありません",
                item.meta.created
            ),
        )
    })?;
    let padded = format!("{pid:0>6}");
    let (l1, l2) = (&padded[..3], &padded[3..6]);
    let occurred = occurred_jst(item.stable_time()).ok_or_else(|| {
        unsupported(
            format!("the time {:?} is not UTC RFC 3339", item.stable_time()),
            format!("時刻 {:?} を読めません", item.stable_time()),
        )
    })?;
    let key = item.key.file_stem();
    let content = format!("{pid}_{date}_{REFERRAL_DATA_TYPE}_{key}_{occurred}_-_1");
    Ok([l1, l2, pid, &date, REFERRAL_DATA_TYPE, &content]
        .iter()
        .collect())
}

/// `YYYYMMDD` from `YYYY-MM-DD[…]`.
fn visit_date(created: &str) -> Option<String> {
    let b = created.as_bytes();
    let ok = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    ok.then(|| format!("{}{}{}", &created[..4], &created[5..7], &created[8..10]))
}

/// `YYYYMMDDHHMMSS000` in Japan time.
fn occurred_jst(utc: &str) -> Option<String> {
    let t = inkan_l10n::japan_time(utc)?;
    Some(format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}000",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(visit_date("2026-11-25").as_deref(), Some("20261125"));
        assert_eq!(
            visit_date("2026-11-25T10:00:00+09:00").as_deref(),
            Some("20261125")
        );
        assert_eq!(visit_date("2026/11/25"), None);
        assert_eq!(
            occurred_jst("2026-11-25T15:30:01Z").as_deref(),
            Some("20261126003001000")
        );
    }
}
