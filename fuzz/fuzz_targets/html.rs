//! Untrusted HTML through the sanitizer, the text extractor and the date reader.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &str| tidings::fuzzing::html(data));
