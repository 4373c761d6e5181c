//! CRLs as the revocation checks read them (RFC 5280 §5).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = inkan_trust::crl::parse_crl(data);
});
