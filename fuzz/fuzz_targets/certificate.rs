//! Certificates: the holder summary (names, hcRole, validity) and the
//! hcRole extension (ISO 17090) alone.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = inkan_trust::holder::summarize(data);
    let _ = inkan_trust::iso17090::parse_hc_role(data);
});
