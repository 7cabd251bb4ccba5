//! Dates as feeds and pages write them (RFC 822, RFC 3339, ISO 8601, human
//! forms), read into UTC.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use regex::{Captures, Regex};

use crate::text;

/// `2017-07-31` (or `2017/7/31`, or compact `20170731`; a month alone
/// means its first day), optionally followed by `T` or spaces and a time
/// with optional seconds and fraction, then an optional zone.
pub(super) static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?|(\d{2})(\d{2}))(?:(?:[Tt]|\s+)(\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?\s*(.*)$",
    )
    .expect("valid regex")
});

/// A time of day in RFC 822 and human dates, optionally with seconds,
/// fraction (ignored) and an attached am/pm.
pub(super) static TIME_OF_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(am|pm)?$").expect("valid regex")
});

/// A day or year, optionally with an English ordinal suffix.
pub(super) static DAY_OR_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,4})(?:st|nd|rd|th)?$").expect("valid regex"));

/// Parses a date: RFC 822/2822 (also with missing or wrong weekday, named
/// zones, 2-digit years, single-digit days), RFC 3339, ISO 8601 (with or
/// without `T`, seconds, fraction or offset, or date only) and human forms
/// like "31 July 2017" or "July 31, 2017 2:05 pm". A time without offset is
/// read in `tz`; a date without time is its midnight.
pub fn parse_date(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let text = text.trim();
    // ISO forms start with the year's digits: an RFC 822 date, the common
    // case in feeds, skips the regex.
    let iso = match text.as_bytes().first() {
        Some(b) if b.is_ascii_digit() => ISO_DATE.captures(text),
        _ => None,
    };
    match iso {
        Some(caps) => parse_iso(&caps, tz),
        None => parse_textual(text, tz),
    }
}

pub(super) fn parse_iso(caps: &Captures, tz: Tz) -> Option<DateTime<Utc>> {
    let number = |i: usize| caps.get(i).map_or(Some(0), |m| m.as_str().parse().ok());
    let either = |a: usize, b: usize| caps.get(a).or(caps.get(b)).map(|m| m.as_str());
    let date = NaiveDate::from_ymd_opt(
        caps[1].parse().ok()?,
        either(2, 4)?.parse().ok()?,
        either(3, 5).map_or(Some(1), |d| d.parse().ok())?,
    )?;
    let nanos = match caps.get(9) {
        // Digits beyond nanoseconds are dropped, missing ones are zeros.
        Some(fraction) => format!("{:0<9.9}", fraction.as_str()).parse().ok()?,
        None => 0,
    };
    let time = NaiveTime::from_hms_nano_opt(number(6)?, number(7)?, number(8)?, nanos)?;
    let zone = caps[10].trim();
    let offset = if zone.is_empty() {
        None
    } else {
        Some(parse_zone(&zone.to_ascii_lowercase())?)
    };
    to_utc(date.and_time(time), offset, tz)
}

/// RFC 822 and human forms: words in any order, told apart by their shape.
pub(super) fn parse_textual(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let text = without_comments(text).to_ascii_lowercase();
    let mut fields = TextualFields::default();
    for token in text.split(|c: char| c.is_whitespace() || c == ',') {
        let token = token.trim_end_matches('.');
        // "31-Jul-2017" (RFC 850); offsets start with their sign.
        if token.contains('-') && !token.starts_with(['+', '-']) {
            for part in token.split('-') {
                fields.take(part)?;
            }
        } else {
            fields.take(token)?;
        }
    }
    fields.date_time(tz)
}

/// Text without RFC 822 comments, e.g. the "(CEST)" after an offset.
pub(super) fn without_comments(text: &str) -> Cow<'_, str> {
    static COMMENT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\([^)]*\)").expect("valid regex"));
    if !text.contains('(') {
        return Cow::Borrowed(text);
    }
    COMMENT.replace_all(text, " ")
}

/// What the words of a textual date said so far.
#[derive(Default)]
pub(super) struct TextualFields {
    month: Option<u32>,
    /// Day and year digits in order of appearance.
    numbers: Vec<String>,
    /// Hour, minute, second.
    time: Option<(u32, u32, u32)>,
    pm: Option<bool>,
    offset: Option<FixedOffset>,
}

impl TextualFields {
    /// Records one lowercase word; `None` for a word no date has or a field
    /// given twice.
    fn take(&mut self, token: &str) -> Option<()> {
        if token.is_empty() || token == "at" || weekday(token) {
            return Some(());
        }
        // The regexes' own first tests, done without them: a time of day
        // has a colon, a day or year starts with a digit, and a plain
        // number (most days and years) needs no captures.
        let time = if token.contains(':') {
            TIME_OF_DAY.captures(token)
        } else {
            None
        };
        let plain_number = token.len() <= 4 && token.bytes().all(|b| b.is_ascii_digit());
        if let Some(caps) = time {
            let number = |i: usize| caps.get(i).map_or(Some(0), |m| m.as_str().parse().ok());
            let time = (number(1)?, number(2)?, number(3)?);
            set_once(&mut self.time, time)?;
            if let Some(meridiem) = caps.get(4) {
                set_once(&mut self.pm, meridiem.as_str() == "pm")?;
            }
        } else if plain_number {
            self.numbers.push(token.to_owned());
        } else if let Some(caps) = token
            .starts_with(|c: char| c.is_ascii_digit())
            .then(|| DAY_OR_YEAR.captures(token))
            .flatten()
        {
            self.numbers.push(caps[1].to_owned());
        } else if let Some(month) = month(token) {
            set_once(&mut self.month, month)?;
        } else if token == "am" || token == "pm" {
            set_once(&mut self.pm, token == "pm")?;
        } else {
            set_once(&mut self.offset, parse_zone(token)?)?;
        }
        Some(())
    }

    /// The instant the recorded words name, if they make a valid date.
    fn date_time(&self, tz: Tz) -> Option<DateTime<Utc>> {
        let month = self.month?;
        let [first, second] = self.numbers.as_slice() else {
            return None;
        };
        // A 4-digit number is the year; otherwise the day comes first, as in
        // both "31 Jul 17" and "Jul 31, 17".
        let (day, year) = if first.len() == 4 {
            (second, first)
        } else {
            (first, second)
        };
        if day.len() > 2 {
            return None;
        }
        let year = match (year.len(), year.parse::<i32>().ok()?) {
            (4, year) => year,
            // RFC 2822 section 4.3: 2-digit years from 50 are in the 1900s.
            (2, year) if year >= 50 => 1900 + year,
            (2, year) => 2000 + year,
            _ => return None,
        };
        let date = NaiveDate::from_ymd_opt(year, month, day.parse().ok()?)?;
        let (hour, minute, second) = self.time.unwrap_or_default();
        let hour = match self.pm {
            None => hour,
            Some(_) if self.time.is_none() || !(1..=12).contains(&hour) => return None,
            Some(pm) => hour % 12 + if pm { 12 } else { 0 },
        };
        let time = NaiveTime::from_hms_opt(hour, minute, second)?;
        to_utc(date.and_time(time), self.offset, tz)
    }
}

/// Stores `value` in an empty field; `None` when it was already set.
pub(super) fn set_once<T>(field: &mut Option<T>, value: T) -> Option<()> {
    field.is_none().then(|| *field = Some(value))
}

/// Whether `token` is a full or abbreviated (at least 3 letters) English weekday.
pub(super) fn weekday(token: &str) -> bool {
    text::name_index(token, &text::WEEKDAYS).is_some()
}

/// The month (1–12) a full or abbreviated (at least 3 letters) English name means.
pub(super) fn month(token: &str) -> Option<u32> {
    let index = text::name_index(token, &text::MONTHS)?;
    u32::try_from(index + 1).ok()
}

/// A numeric zone offset: `+hh`, `+hhmm` or `+hh:mm`.
pub(super) static NUMERIC_OFFSET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([+-])(\d{2})(?::?(\d{2}))?$").expect("valid regex"));

/// A lowercase zone: `z`, a name such as `gmt` or `pdt`, or a numeric offset.
pub(super) fn parse_zone(zone: &str) -> Option<FixedOffset> {
    let named_hours = match zone {
        "z" | "ut" | "utc" | "gmt" | "wet" => Some(0),
        "west" | "bst" | "cet" => Some(1),
        "cest" | "eet" => Some(2),
        "eest" => Some(3),
        "edt" => Some(-4),
        "est" | "cdt" => Some(-5),
        "cst" | "mdt" => Some(-6),
        "mst" | "pdt" => Some(-7),
        "pst" => Some(-8),
        _ => None,
    };
    if let Some(hours) = named_hours {
        return FixedOffset::east_opt(hours * 3600);
    }
    let caps = NUMERIC_OFFSET.captures(zone)?;
    let hours: i32 = caps[2].parse().ok()?;
    let minutes: i32 = caps.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
    if minutes >= 60 {
        return None;
    }
    let seconds = hours * 3600 + minutes * 60;
    FixedOffset::east_opt(if &caps[1] == "-" { -seconds } else { seconds })
}

/// A local date and time in UTC: at `offset` when given, else in `tz`.
pub(super) fn to_utc(
    local: NaiveDateTime,
    offset: Option<FixedOffset>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    match offset {
        Some(offset) => local
            .and_local_timezone(offset)
            .single()
            .map(|d| d.to_utc()),
        None => local
            .and_local_timezone(tz)
            .earliest()
            // A time skipped by a DST change is read as if the clock had not
            // been advanced yet, as browsers do.
            .or_else(|| {
                local
                    .checked_add_signed(TimeDelta::hours(1))?
                    .and_local_timezone(tz)
                    .earliest()
            })
            .map(|d| d.to_utc()),
    }
}
