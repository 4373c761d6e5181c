//! CMS / CAdES: parsing, and the whole verification of a detached
//! signature (offline, the shipped trust), as a receiving doctor's Inkan
//! runs it on a file from anywhere.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = inkan_cades::parse(data);
    let Ok(trust) = inkan_trust::store::TrustStore::default_store() else {
        return;
    };
    let opts = inkan_validation::Options {
        trust,
        at: None,
        revocation: inkan_trust::crl::RevocationConfig::offline(),
        policy: inkan_validation::DocumentPolicy::ReferralLetter,
        tsa_trust: Vec::new(),
    };
    let _ = inkan_validation::validate(data, Some(b"referral letter"), &opts);
});
