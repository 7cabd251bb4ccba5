//! Untrusted feed bytes through parse → normalize → render.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tidings::fuzzing::feed(data));
