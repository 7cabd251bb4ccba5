//! Dates: `<time>` elements, dated elements, the date lines under the
//! headline and dates after a publication label, European dates as
//! `YYYY-MM-DD`. Uses only the DOM and
//! `super::super::body` for the chrome.

use super::{Hidden, first_labelled};
use crate::extract::collapse;
use dom_query::Document;
use regex::Regex;
use std::sync::LazyLock;

/// The first `<time datetime>` (or `itemprop=datePublished`) outside the
/// page chrome: one in a comment or a related list dates something else.
pub(super) fn time_element(doc: &Document, hidden: Hidden) -> Option<String> {
    doc.select(r#"time[datetime], [itemprop="datePublished"], abbr.published[title]"#)
        .nodes()
        .iter()
        .filter(|t| !hidden(t))
        .find_map(|t| {
            t.attr("datetime")
                .or_else(|| t.attr("content"))
                // hAtom's `<abbr class="published" title="2020-04-28T…">`.
                .or_else(|| {
                    t.attr("title")
                        .filter(|d| d.starts_with(|c: char| c.is_ascii_digit()))
                })
                .map(|d| collapse(&d))
                .filter(|d| !d.is_empty())
                // `datetime="01-11-2023 10:29"`: not ISO 8601, read as
                // the date line it is.
                .and_then(|d| {
                    if d.starts_with(|c: char| c.is_ascii_digit()) && d.get(4..5) != Some("-") {
                        date_line(&d)
                    } else {
                        Some(d)
                    }
                })
        })
}

pub(super) static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    let month = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";
    let day = r"\d{1,2}(?:st|nd|rd|th)?";
    let date = format!(
        r"{day}\.?\s+{month},?\s+\d{{4}}|{month}\s+{day},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}"
    );
    let time = r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,5})?)?";
    let pattern = format!(
        r"(?i)^(?:(?:published|posted|updated|on|date)\s*:?\s+)?(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?((?:{date}){time})$"
    );
    Regex::new(&pattern).expect("the date line pattern is valid")
});

/// The date in a line that holds only a date (`31 July 2017`, `Published
/// July 31, 2017 at 10:00`, `am 25.08.2015 22:30`, `Stand: 4. Februar
/// 2022, 13:10 Uhr`), without its label: English dates as written, the
/// day-first dates of European pages as `YYYY-MM-DD` (normalization reads
/// no German month names and no dotted dates).
pub(super) fn date_line(text: &str) -> Option<String> {
    let text = text.trim();
    DATE_LINE
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
        .or_else(|| european(text))
}

/// Words that lead in to a date at the end of a line of other words
/// (`Pressemitteilung vom 25. Januar 2022`, `Gespeichert von rasos am 24.
/// Juli 2017 - 18:55`).
const DATE_LEAD_INS: &[&str] = &[" vom ", " am ", " on ", " le ", " el ", " du "];

/// The date in one part of a byline or a dated element: a date line, or
/// one after a place or a label (`Lübeck, 31. März 2003`, `Stand -
/// 12.11.2021`) or after a lead-in word ([`DATE_LEAD_INS`]), where the
/// other words are at most [`OTHER_WORDS`] (a kicker or a sentence that
/// names a day is no date line).
pub(super) fn date_in(part: &str) -> Option<String> {
    let part = part.trim();
    let words = part.split_whitespace().count();
    let dated = |piece: &str| {
        (words - piece.split_whitespace().count() <= OTHER_WORDS)
            .then(|| date_line(piece))
            .flatten()
    };
    date_line(part)
        .or_else(|| {
            part.split(',')
                .chain(part.split(" - "))
                .chain(part.split(" / "))
                .find_map(dated)
        })
        .or_else(|| {
            DATE_LEAD_INS
                .iter()
                .filter_map(|l| part.find(l))
                .find_map(|i| dated(&part[i + 1..]))
        })
}

/// The date that opens a part of a byline or a dated element before a few
/// other words ([`OTHER_WORDS`]: `25. Januar 2022 (DJV) Berlin`,
/// `31.01.2022 2. Liga`, `2/26/2015 7:11 AM PST BY STAFF`). The line is
/// more than a date: it is read, not cut.
pub(super) fn leading_date(part: &str) -> Option<String> {
    let words: Vec<&str> = part.split_whitespace().collect();
    (1..words.len())
        .rev()
        .take_while(|&n| words.len() - n <= OTHER_WORDS)
        .find_map(|n| date_line(&words[..n].join(" ")))
}

/// What may set off a date that opens a text from the rest (`29.11.2022
/// – Text`, `23.01.2022 - Headline`, `08.11.2021 | Headline`).
const OPENING_SEPARATORS: &[&str] = &[" – ", " — ", " - ", " | ", ": "];

/// The date that opens a text, set off from the rest by a dash, a bar or
/// a colon: a dateline opening an article's first paragraph, a date
/// before a headline in its title.
pub(super) fn opening_date(text: &str) -> Option<String> {
    let end = OPENING_SEPARATORS
        .iter()
        .filter_map(|s| text.find(s))
        .min()?;
    let head = text[..end].trim();
    (head.chars().count() <= OPENING_DATE_CHARS)
        .then(|| date_line(head))
        .flatten()
}

/// What follows the date that opens `text` (`23.01.2022 - Headline`),
/// when it reads as a headline (two words or more): a headline carries no
/// date stamp, though some sites put one before it in the `<h1>`.
pub(super) fn after_opening_date(text: &str) -> Option<&str> {
    opening_date(text)?;
    let (end, sep) = OPENING_SEPARATORS
        .iter()
        .filter_map(|s| text.find(s).map(|at| (at, s.len())))
        .min()?;
    let rest = text[end + sep..].trim();
    (rest.split_whitespace().count() >= 2).then_some(rest)
}

/// A date opening a text is at most this long (`Dienstag, 29. November
/// 2022, 10:30 Uhr`).
const OPENING_DATE_CHARS: usize = 40;

/// How many words beside a date [`date_in`] reads past.
const OTHER_WORDS: usize = 3;

/// A declared date written the European way (`11.11.2021`, `5. November
/// 2021, 10:39 Uhr`, `Di., 25.01.2022 - 14:45`, and `17/02/2022` where the
/// day cannot be the month) or year first (see [`year_first`]) as
/// `YYYY-MM-DD`; `None` for any other date.
pub(super) fn european(date: &str) -> Option<String> {
    static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:$|[\sT,])").expect("day-first pattern")
    });
    let date = date.trim();
    EUROPEAN_DATE_LINE
        .captures(date)
        .and_then(|c| european_day(&c))
        .or_else(|| {
            let c = DAY_FIRST.captures(date)?;
            let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
            let (day, month) = (num(1)?, num(2)?);
            (day > 12)
                .then(|| calendar_day(num(3)?, month, day))
                .flatten()
        })
        .or_else(|| year_first(date))
}

/// A date line written year first the East Asian way (`2019年6月24日`,
/// `2019年6月24日（月） 18時30分`, `2022년 5월 3일`, `2019.06.24 10:47`) as
/// `YYYY-MM-DD`, when it is a real calendar day.
fn year_first(date: &str) -> Option<String> {
    static YEAR_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        let day = r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日|(?P<y2>\d{4})\s*년\s*(?P<m2>\d{1,2})\s*월\s*(?P<d2>\d{1,2})\s*일|(?P<y3>\d{4})\.\s*(?P<m3>\d{1,2})\.\s*(?P<d3>\d{1,2})\.?";
        // A weekday in brackets (`（月）`, `(수)`), then a time.
        let weekday = r"(?:\s*[(（]\p{L}[)）])?";
        let time = r"(?:,?\s*(?:\p{L}{1,2}\s*)?\d{1,2}\s*[:時시]\s*\d{2}(?:\s*[:分분]\s*(?:\d{2}\s*秒?)?)?)?";
        Regex::new(&format!(r"^(?:{day}){weekday}{time}$"))
            .expect("the year-first pattern is valid")
    });
    let c = YEAR_FIRST.captures(date)?;
    let num = |keys: [&str; 3]| {
        keys.iter()
            .find_map(|k| c.name(k))
            .and_then(|m| m.as_str().parse::<u32>().ok())
    };
    calendar_day(
        num(["y", "y2", "y3"])?,
        num(["m", "m2", "m3"])?,
        num(["d", "d2", "d3"])?,
    )
}

/// The day `year`, `month`, `day` name as `YYYY-MM-DD`, when it is a real
/// calendar day (no 31 February).
fn calendar_day(year: u32, month: u32, day: u32) -> Option<String> {
    chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// Month names of the languages the date lines are read in, beyond
/// English (January first): German, Dutch and the Scandinavian languages,
/// French, Spanish, Portuguese, Italian, Romanian, and the genitive forms
/// that follow a day in Polish, Czech, Russian, Ukrainian and Finnish
/// (`15 августа 2016`), Turkish.
pub(super) const MONTHS: [&[&str]; 12] = [
    &[
        "januar",
        "jänner",
        "janvier",
        "enero",
        "gennaio",
        "januari",
        "janeiro",
        "stycznia",
        "января",
        "січня",
        "ledna",
        "ocak",
        "tammikuuta",
        "ianuarie",
    ],
    &[
        "februar",
        "feber",
        "février",
        "fevrier",
        "febrero",
        "febbraio",
        "februari",
        "fevereiro",
        "lutego",
        "февраля",
        "лютого",
        "února",
        "şubat",
        "helmikuuta",
        "februarie",
    ],
    &[
        "märz",
        "maerz",
        "mars",
        "marzo",
        "maart",
        "março",
        "marco",
        "marca",
        "марта",
        "березня",
        "března",
        "mart",
        "maaliskuuta",
        "martie",
    ],
    &[
        "april",
        "avril",
        "abril",
        "aprile",
        "kwietnia",
        "апреля",
        "квітня",
        "dubna",
        "nisan",
        "huhtikuuta",
        "aprilie",
    ],
    &[
        "mai",
        "mayo",
        "maggio",
        "mei",
        "maio",
        "maj",
        "maja",
        "мая",
        "травня",
        "května",
        "mayıs",
        "toukokuuta",
    ],
    &[
        "juni",
        "juin",
        "junio",
        "giugno",
        "junho",
        "czerwca",
        "июня",
        "червня",
        "června",
        "haziran",
        "kesäkuuta",
        "iunie",
    ],
    &[
        "juli",
        "juillet",
        "julio",
        "luglio",
        "julho",
        "lipca",
        "июля",
        "липня",
        "července",
        "temmuz",
        "heinäkuuta",
        "iulie",
    ],
    &[
        "august",
        "août",
        "aout",
        "agosto",
        "augustus",
        "augusti",
        "sierpnia",
        "августа",
        "серпня",
        "srpna",
        "ağustos",
        "elokuuta",
    ],
    &[
        "september",
        "septembre",
        "septiembre",
        "settembre",
        "setembro",
        "września",
        "сентября",
        "вересня",
        "září",
        "eylül",
        "syyskuuta",
        "septembrie",
    ],
    &[
        "oktober",
        "octobre",
        "octubre",
        "ottobre",
        "outubro",
        "października",
        "октября",
        "жовтня",
        "října",
        "ekim",
        "lokakuuta",
        "octombrie",
    ],
    &[
        "november",
        "novembre",
        "noviembre",
        "novembro",
        "listopada",
        "ноября",
        "листопада",
        "listopadu",
        "kasım",
        "marraskuuta",
        "noiembrie",
    ],
    &[
        "dezember",
        "décembre",
        "decembre",
        "diciembre",
        "dicembre",
        "december",
        "dezembro",
        "desember",
        "grudnia",
        "декабря",
        "грудня",
        "prosince",
        "aralık",
        "joulukuuta",
        "decembrie",
    ],
];

/// Abbreviated month names of the same languages (`28. Jan. 2022`, `3.
/// Okt. 2021`), read only in dates: a name may be `Jan`.
const ABBREVIATED_MONTHS: [&[&str]; 12] = [
    &["jan", "janv"],
    &["feb", "febr", "févr", "fevr"],
    &["mär", "mrz", "mar"],
    &["apr", "avr"],
    &[],
    &["jun"],
    &["jul", "juil"],
    &["aug"],
    &["sep", "sept"],
    &["okt", "oct"],
    &["nov"],
    &["dez", "déc", "dec"],
];

pub(super) static EUROPEAN_DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    // Whole names first: an abbreviation is the start of one.
    let names = MONTHS
        .iter()
        .chain(ABBREVIATED_MONTHS.iter())
        .flat_map(|m| m.iter())
        .copied()
        .collect::<Vec<_>>()
        .join("|");
    let label = r"(?:(?:veröffentlicht|aktualisiert|erschienen|publié|publicado|pubblicato|stand|datum|date|fecha|data|vom|am|le|el|il|on)\s*:?\s*)*";
    // `Montag, `, `Di., `, `am Dienstag 6. Mai`.
    let weekday = r"(?:\p{L}+(?:-\p{L}+)?(?:\.?,\s*|\s+))?";
    let time = r"(?:\s*(?:,|\||-|um|à|às|a las|alle|ore|в|o)?\s*\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:uhr|h)?)?";
    let pattern = format!(
        r"(?i)^{label}{weekday}(?:(?P<d>\d{{1,2}})\.\s*(?P<m>\d{{1,2}})\.\s*(?P<y>\d{{4}}|\d{{2}})|(?P<d2>\d{{1,2}})-(?P<m2>\d{{1,2}})-(?P<y2>\d{{4}})|(?P<d3>\d{{1,2}})\.?\s*(?:de\s+)?(?P<name>{names})\.?\s*(?:de\s+)?(?P<y3>\d{{4}})){time}$"
    );
    Regex::new(&pattern).expect("the European date line pattern is valid")
});

/// The day a match of [`EUROPEAN_DATE_LINE`] names, as `YYYY-MM-DD`, when
/// it is a real calendar day.
fn european_day(c: &regex::Captures) -> Option<String> {
    let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
    let (day, month, year) = if let Some(d) = num("d") {
        (d, num("m")?, num("y")?)
    } else if let Some(d) = num("d2") {
        (d, num("m2")?, num("y2")?)
    } else {
        let name = c.name("name")?.as_str().to_lowercase();
        let month = MONTHS
            .iter()
            .position(|m| m.contains(&name.as_str()))
            .or_else(|| {
                ABBREVIATED_MONTHS
                    .iter()
                    .position(|m| m.contains(&name.as_str()))
            })? as u32
            + 1;
        (num("d3")?, month, num("y3")?)
    };
    // Two-digit years on news pages are this century's.
    let year = if year < 100 { 2000 + year } else { year };
    calendar_day(year, month, day)
}

/// A date in the page's dated elements (a class or id naming a date or a
/// time, `newsitem-time`, or the post's meta line, `post-meta`; a test id
/// naming a date, `article-details-date`; the byline or the author's
/// element, `Name am 29.12.2010`; an `itemprop=datePublished` without a
/// machine-readable value), outside the chrome: the last resort, after the
/// lines under the headline.
pub(super) fn dated_element(doc: &Document, hidden: Hidden) -> Option<String> {
    first_labelled(
        doc,
        r#"[itemprop="datePublished"], [class*="date" i], [id*="date" i], [class*="datum" i], time, [class*="time" i], [class*="meta" i], [data-testid*="date" i], [class*="byline" i], [class*="author" i]"#,
        hidden,
        |n| n.text().to_string(),
        |text| {
            text.split(['|', '·', '•'])
                .find_map(|p| date_in(p).or_else(|| leading_date(p)))
        },
    )
}

/// A date the page's address holds as its path's year, month and day
/// (`/2019/08/02/slug`, `/news/2012-06/04/…`, `/2021-10-20-slug`), as
/// `YYYY-MM-DD`: blogs and news sites file articles by the day they came
/// out. The last resort, after everything the page says (and what
/// Readability read).
pub(in crate::extract) fn url_date(url: &url::Url) -> Option<String> {
    static URL_DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:[/_.-]|$)")
            .expect("the URL date pattern is valid")
    });
    let c = URL_DATE.captures(url.path())?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    calendar_day(num(1)?, num(2)?, num(3)?)
}

/// Labels that say the date after them is the day of publication
/// (`Datum: 03.11.2021`, `Erschienen am: 01.11.2023`, `Published on March
/// 3, 2020`), lowercase; a label of the last change (`Letzte Änderung`,
/// `Updated`) is not one of them.
const DATE_LABELS: &[&str] = &[
    "date de publication",
    "data di pubblicazione",
    "fecha de publicación",
    "publication date",
    "pressemitteilung vom",
    "veröffentlicht am",
    "veröffentlichung",
    "veröffentlicht",
    "erschienen am",
    "publiziert am",
    "published on",
    "erstellt am",
    "published",
    "posted on",
    "publié le",
    "fecha",
    "datum",
    "stand",
    "date",
];

/// How many words may qualify a date label before its colon (`Stand des
/// Artikels:`).
const LABEL_QUALIFIER_WORDS: usize = 2;

/// How many letters after a label [`labelled_date`] reads for its date.
const AFTER_LABEL_CHARS: usize = 60;

/// The date after a date label ([`DATE_LABELS`]) that opens a text of the
/// page, outside the chrome, in the same text or the texts after it: a
/// label and its value in elements of their own (`<h5>Datum: </h5>
/// 03.11.2021`, `<span class="key">Erstellt am</span><span>09.02.2022
/// </span>`), as fact boxes and press releases give them. The last of
/// the page's own sources, as it reads the whole page's text (`all`, see
/// [`page_texts`](super::page_texts)).
pub(super) fn labelled_date(all: &[String]) -> Option<String> {
    all.iter().enumerate().find_map(|(i, text)| {
        let rest = after_label(text)?;
        let mut after = rest.to_string();
        for next in &all[i + 1..] {
            if after.chars().count() >= AFTER_LABEL_CHARS {
                break;
            }
            after.push(' ');
            after.push_str(next);
        }
        let words: Vec<&str> = after.split_whitespace().collect();
        let date_at_start = |words: &[&str]| {
            let words = &words[..words.len().min(6)];
            (1..=words.len())
                .rev()
                .find_map(|n| date_line(&words[..n].join(" ")))
        };
        // What the label dates may stand between it and its colon
        // (`Stand des Artikels: 26. Februar 2020`).
        date_at_start(&words).or_else(|| {
            let colon = words
                .iter()
                .take(LABEL_QUALIFIER_WORDS)
                .position(|w| w.ends_with(':'))?;
            date_at_start(&words[colon + 1..])
        })
    })
}

/// What follows a date label that opens `text` (and a colon or dash after
/// it), when one does.
fn after_label(text: &str) -> Option<&str> {
    let head: String = text.chars().take(24).collect::<String>().to_lowercase();
    DATE_LABELS.iter().find_map(|label| {
        let rest = head.strip_prefix(label)?;
        if !rest.is_empty() && !rest.starts_with([' ', ':', '-', '–']) {
            return None;
        }
        // The same number of characters of the original text.
        let skip = label.chars().count();
        let at = text.char_indices().nth(skip).map_or(text.len(), |(i, _)| i);
        Some(text[at..].trim_start_matches([' ', ':', '-', '–']))
    })
}

/// The day the page shows (`shown`: its date line under the headline,
/// else its first `<time>`; read only for a date in UTC) where the
/// declared date is a time in UTC one day off it
/// (`2022-05-04T00:44:52Z` on a page of 3 May in Brazil, `Wed, 04 May
/// 2022 02:41:00 GMT`): the page's readers' day, which a time in UTC near
/// midnight is not, as `YYYY-MM-DD`.
pub(super) fn local_day(declared: &str, shown: impl FnOnce() -> Option<String>) -> Option<String> {
    let utc = utc_day(declared)?;
    let shown = shown()?;
    let shown = day_of(&european(&shown).unwrap_or(shown))?;
    ((shown - utc).num_days().abs() == 1).then(|| shown.format("%Y-%m-%d").to_string())
}

/// The day of a date given in UTC (RFC 3339 or RFC 2822 at offset zero).
fn utc_day(date: &str) -> Option<chrono::NaiveDate> {
    let date = date.trim();
    let zoned = chrono::DateTime::parse_from_rfc3339(date)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(date));
    match zoned {
        Ok(t) => (t.offset().local_minus_utc() == 0).then(|| t.date_naive()),
        // `2021-11-04T23:00Z`: no seconds, which RFC 3339 wants.
        Err(_) if date.ends_with('Z') => day_of(date),
        Err(_) => None,
    }
}

/// The calendar day a date line names: `YYYY-MM-DD…`, `May 3, 2022…`,
/// `3 May 2022…`.
fn day_of(date: &str) -> Option<chrono::NaiveDate> {
    let date = date.trim();
    date.get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .or_else(|| {
            [
                "%B %d, %Y",
                "%b %d, %Y",
                "%b. %d, %Y",
                "%d %B %Y",
                "%d %b %Y",
            ]
            .iter()
            .find_map(|f| chrono::NaiveDate::parse_and_remainder(date, f).ok())
            .map(|(d, _)| d)
        })
}
