//! Text helpers every stage shares, so no stage keeps its own copy: bytes
//! to text ([`decode`]), the HTML tag scan ([`tags`]) and the work budget
//! held before any HTML parse ([`budget`]), whitespace, a stable hash, and
//! English month and weekday names.
//!
//! A leaf: it depends on nothing else in the crate, and anything may use it.

pub mod budget;
pub mod decode;
pub mod tags;

/// Whitespace collapsed to single spaces, trimmed.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// FNV-1a over `bytes`: a hash stable across runs and platforms (the
/// standard library's hashers are seeded per process).
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// English month names, lowercase, January first.
pub const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// English weekday names, lowercase, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The position (0-based) in `names` of the full or abbreviated (at least
/// three letters) lowercase `word`.
pub fn name_index(word: &str, names: &[&str]) -> Option<usize> {
    if word.len() < 3 {
        return None;
    }
    names.iter().position(|n| n.starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(collapse_whitespace("  a \n\t b  "), "a b");
        assert_eq!(fnv1a(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(name_index("sept", &MONTHS), Some(8));
        assert_eq!(name_index("ju", &MONTHS), None);
        assert_eq!(name_index("thu", &WEEKDAYS), Some(3));
    }
}
