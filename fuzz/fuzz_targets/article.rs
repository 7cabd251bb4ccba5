//! Untrusted article files (Markdown with front matter, HTML) as a `files` source reads them.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &str| tidings::fuzzing::article(data));
