//! What a card answers: APDU responses and the ISO/IEC 7816-15 directory
//! files (EF.OD, EF.AOD, EF.PrKD, EF.CD).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = inkan_card::apdu::Response::parse(data);
    let _ = inkan_card::iso7816_15::parse_od(data);
    let _ = inkan_card::iso7816_15::parse_aod(data);
    let _ = inkan_card::iso7816_15::parse_prkd(data);
    let _ = inkan_card::iso7816_15::parse_cd(data);
});
