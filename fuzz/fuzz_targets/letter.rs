//! HS008 (CDA XML, UTF-8 or Shift_JIS) and HS038 (FHIR JSON) letters:
//! detection, reading, validation and both views.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(c) = inkan_referral::check(data) {
        let _ = inkan_referral::render::render_text(&c.letter);
        let _ = inkan_referral::render::render_html(&c.letter);
    }
});
