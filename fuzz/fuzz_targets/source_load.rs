//! libFuzzer entry for [`cpm_fuzz::source_load`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cpm_fuzz::source_load(data));
