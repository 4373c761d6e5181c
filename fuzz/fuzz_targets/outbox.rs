//! What receivers send back to the submission outbox (FHIR answers, result
//! files) and the destinations a user types or a settings file holds.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0, rest)) => inkan_outbox::fuzzing::result_file(rest),
        Some((1, rest)) => {
            if let Ok(s) = std::str::from_utf8(rest) {
                inkan_outbox::fuzzing::destination(s);
            }
        }
        _ => inkan_outbox::fuzzing::fhir_answer(data),
    }
});
