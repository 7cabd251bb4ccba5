//! Durations and sizes as the config writes them (`30s`, `1h30m`, `10MiB`),
//! read with `humantime` and `bytesize` so the grammar is theirs, not ours;
//! a bare number is seconds or bytes.

use std::time::Duration;

/// A duration or size the config cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("{text:?} is not a duration such as 30s, 2m, 1h or 500ms ({reason})")]
    Duration { text: String, reason: String },
    #[error("{text:?} is not a size such as 10MiB, 512KiB or 1000000 ({reason})")]
    Size { text: String, reason: String },
    #[error("{0:?}: must be more than zero")]
    Zero(String),
}

/// Parses `30s`, `2m`, `1h`, `500ms`, `1h30m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, UnitError> {
    let t = s.trim();
    let d = match t.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(t).map_err(|e| UnitError::Duration {
            text: s.to_string(),
            reason: e.to_string(),
        })?,
    };
    if d.is_zero() {
        return Err(UnitError::Zero(s.to_string()));
    }
    Ok(d)
}

/// Parses `10MiB`, `512KiB`, `1GB`, `1000` (bytes).
pub fn parse_size(s: &str) -> Result<u64, UnitError> {
    let size = s
        .trim()
        .parse::<bytesize::ByteSize>()
        .map_err(|reason| UnitError::Size {
            text: s.to_string(),
            reason,
        })?;
    match size.as_u64() {
        0 => Err(UnitError::Zero(s.to_string())),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("0s"), Err(UnitError::Zero("0s".into())));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("5MB"), Ok(5_000_000));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_size("0"), Err(UnitError::Zero("0".into())));
    }
}
