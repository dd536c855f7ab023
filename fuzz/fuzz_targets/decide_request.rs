//! libFuzzer entry for [`cpm_fuzz::decide_request`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cpm_fuzz::decide_request(data));
