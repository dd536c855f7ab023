//! libFuzzer entry for [`cpm_fuzz::dmn_import`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cpm_fuzz::dmn_import(data));
