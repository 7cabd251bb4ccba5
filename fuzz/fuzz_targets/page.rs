//! Untrusted HTML pages through article extraction and sanitizing.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tidings::fuzzing::page(data));
