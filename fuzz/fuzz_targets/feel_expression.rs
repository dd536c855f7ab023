//! libFuzzer entry for [`cpm_fuzz::feel_expression`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cpm_fuzz::feel_expression(data));
