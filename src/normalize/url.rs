//! Links: made absolute against the item's base, http(s) only, tracking
//! parameters removed.

use url::Url;

/// Query parameters that only track the reader (besides any `utm_*`).
/// Compared in lowercase.
pub(super) const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "yclid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "igshid",
    "ref_src",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "__s",
    "s_cid",
    "ncid",
];

/// Absolute URL (resolved against `base`), tracking parameters removed,
/// fragment kept; `None` for unparsable or non-http(s) URLs.
pub fn clean_url(url: &str, base: Option<&Url>) -> Option<String> {
    let mut url = resolve_url(url, base)?;
    strip_tracking(&mut url);
    Some(url.into())
}

/// `url` made absolute against `base`, if the result is an http(s) URL.
pub(super) fn resolve_url(url: &str, base: Option<&Url>) -> Option<Url> {
    let url = url.trim();
    // Joining "" would yield the base itself: a missing link is no link.
    if url.is_empty() {
        return None;
    }
    let url = match base {
        Some(base) => base.join(url),
        None => Url::parse(url),
    }
    .ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// Removes tracking parameters from the query, keeping the others verbatim
/// (encoding and order) and dropping a query left empty.
pub(super) fn strip_tracking(url: &mut Url) {
    let Some(query) = url.query() else {
        return;
    };
    let kept = query
        .split('&')
        .filter(|pair| {
            !pair.is_empty()
                && !is_tracking_param(pair.split_once('=').map_or(*pair, |(name, _)| name))
        })
        .collect::<Vec<_>>()
        .join("&");
    url.set_query((!kept.is_empty()).then_some(kept.as_str()));
}

pub(super) fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}
