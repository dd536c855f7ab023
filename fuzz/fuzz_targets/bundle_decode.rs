//! libFuzzer entry for [`cpm_fuzz::bundle_decode`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cpm_fuzz::bundle_decode(data));
