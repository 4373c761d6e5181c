//! Referral packages (zip): the manifest, every entry, the letter inside.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(p) = inkan_referral::package::Package::open(data) {
        let _ = p.problems();
    }
});
