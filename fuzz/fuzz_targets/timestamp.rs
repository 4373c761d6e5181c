//! RFC 3161 time-stamp tokens: the TSTInfo a TSA (or a letter) hands us.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = inkan_tsp::rfc3161::parse_tst_info(data);
});
