//! libFuzzer entry for [`cpm_fuzz::case_events`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cpm_fuzz::case_events(data));
