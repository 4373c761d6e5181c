//! HS008 aligned with HL7J-CDA-005 and its 2010 tutorial where public
//! sources allow (issue 15, part 4): the document-id arc, section codes
//! read first, a documented table of title variants, attachments as
//! `observationMedia` entries.
#![allow(clippy::unwrap_used)]

use inkan_referral::{check, hs008, AttachmentType, ReferralLetter};

fn cda(l: &ReferralLetter) -> String {
    String::from_utf8(hs008::write(l).unwrap()).unwrap()
}

#[test]
fn the_document_id_uses_the_tutorials_arc_with_the_institution_in_the_extension() {
    let l = ReferralLetter::example();
    let x = cda(&l);
    let set = format!(
        "<setId root=\"{}\" extension=\"{}^{}\"/>",
        hs008::DOCUMENT_ID_ROOT,
        l.from.institution.number,
        l.document_number
    );
    assert!(x.contains(&set), "{x}");
    let id = format!(
        "<id root=\"{}\" extension=\"{}^{}^{}\"/>",
        hs008::DOCUMENT_ID_ROOT,
        l.from.institution.number,
        l.document_number,
        l.version
    );
    assert!(x.contains(&id));
    assert!(
        !x.contains("1.2.392.100495.20.3.11."),
        "the prescription-ID arc"
    );
    assert_eq!(
        check(x.as_bytes()).unwrap().letter.document_number,
        l.document_number
    );

    // A letter Inkan wrote before (the old root, the bare number) still reads.
    let old = x
        .replace(
            &set,
            &format!(
                "<setId root=\"1.2.392.100495.20.3.11.1{}\" extension=\"{}\"/>",
                l.from.institution.number, l.document_number
            ),
        )
        .replace(
            &id,
            "<id root=\"1.2.392.100495.20.3.11.11310123456\" extension=\"REF-2025-000123-1\"/>",
        );
    let back = check(old.as_bytes()).unwrap();
    assert_eq!(back.problems, vec![]);
    assert_eq!(back.letter.document_number, l.document_number);
}

#[test]
fn sections_are_matched_by_loinc_code_first_then_by_title_variants() {
    let l = ReferralLetter::example();
    let x = cda(&l);
    // Another writer: 紹介目的 titled freely but coded, 現病歴 as 症状経過.
    let coded = x
        .replace(
            "<title>紹介目的</title>",
            "<code code=\"42349-1\" codeSystem=\"2.16.840.1.113883.6.1\"/><title>ご紹介の目的</title>",
        )
        .replace("<title>現病歴</title>", "<title>症状経過</title>")
        .replace("<title>既往歴</title>", "<title>既往歴及び家族歴</title>");
    let back = check(coded.as_bytes()).unwrap();
    assert_eq!(back.problems, vec![]);
    assert_eq!(back.letter.purpose, l.purpose);
    assert_eq!(back.letter.present_illness, l.present_illness);
    assert_eq!(back.letter.past_history, l.past_history);
    assert_eq!(back.letter.remarks, l.remarks, "nothing moved to 備考");
    // Every variant in the table names an item of the form.
    for (variant, item) in hs008::SECTION_TITLE_VARIANTS {
        assert!(hs008::SECTION_TITLES.contains(&item), "{variant} → {item}");
    }
    for (code, item) in hs008::SECTION_CODES {
        assert!(hs008::SECTION_TITLES.contains(&item), "{code} → {item}");
    }
}

#[test]
fn attachments_are_observation_media_entries_too() {
    let l = ReferralLetter::example();
    let x = cda(&l);
    for a in &l.attachments {
        let media = format!(
            "<value mediaType=\"{}\"><reference value=\"{}\"/></value>",
            a.media_type.media_type(),
            a.file_name
        );
        assert!(x.contains(&media), "{media}");
    }
    assert_eq!(x.matches("<observationMedia ").count(), l.attachments.len());

    // Another writer lists a file only as observationMedia, and embeds one.
    let extra = x.replacen(
        "</observationMedia></entry>\n        </section>",
        "</observationMedia></entry>\
         <entry><observationMedia classCode=\"OBS\" moodCode=\"EVN\"><value mediaType=\"image/png\"><reference value=\"files/ecg.png\"/></value></observationMedia></entry>\
         <entry><observationMedia classCode=\"OBS\" moodCode=\"EVN\"><value mediaType=\"image/gif\" representation=\"B64\">R0lGODlh</value></observationMedia></entry>\
         </section>",
        1,
    );
    assert!(extra != x, "setup: the entries were added");
    let back = check(extra.as_bytes()).unwrap();
    let ecg = back
        .letter
        .attachments
        .iter()
        .find(|a| a.file_name == "ecg.png")
        .expect("the referenced file is an attachment");
    assert_eq!(ecg.media_type, AttachmentType::Png);
    assert_eq!(
        back.letter.attachments.len(),
        l.attachments.len() + 1,
        "no duplicates"
    );
    assert_eq!(back.letter.not_shown, ["添付（image/gif、文書に埋め込み）"]);
}
