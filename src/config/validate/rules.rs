//! Checking a source's content rules (`rules.select`, `rewrite`,
//! `include`, `exclude`): each pattern and selector compiled, each bad one
//! named with its place. Uses the [`Validator`] of `super`.

use super::super::raw::RawRules;
use super::super::*;
use super::Validator;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn regexes(&mut self, key: &str, pats: &[Spanned<String>]) -> Vec<Regex> {
        pats.iter()
            .filter_map(|p| match Regex::new(p.get_ref()) {
                Ok(r) => Some(r),
                Err(e) => {
                    let why = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid")
                        .trim()
                        .to_string();
                    self.error(
                        p.span(),
                        key,
                        format!("invalid regex {:?}: {why}", p.get_ref()),
                    );
                    None
                }
            })
            .collect()
    }

    /// Compiles an html source's selectors, as the fetch will.
    pub(super) fn selectors(&mut self, key: &str, select: &Spanned<Select>) {
        let s = select.get_ref();
        let parts = [
            ("item", Some(&s.item)),
            ("title", s.title.as_ref()),
            ("link", s.link.as_ref()),
            ("date", s.date.as_ref()),
            ("summary", s.summary.as_ref()),
        ];
        for (name, css) in parts {
            if let Some(css) = css
                && let Err(e) = dom_query::Matcher::new(css)
            {
                let why = match e.kind {
                    cssparser::ParseErrorKind::Basic(kind) => kind.to_string(),
                    cssparser::ParseErrorKind::Custom(kind) => format!("{kind:?}"),
                };
                self.error(
                    select.span(),
                    format!("{key}.{name}"),
                    format!("{css:?} is not a CSS selector: {why}"),
                );
            }
        }
    }

    /// Compiles `[source.rules]` as the fetch will apply them; `key` is
    /// `source[i] (id).rules`. Every bad selector or regex is reported at
    /// its place.
    pub(super) fn rules(&mut self, key: &str, raw: RawRules) -> Rules {
        use crate::rules::{self, Field, MAX_PATTERN, MAX_REGEX_SIZE, Rewrite};
        let css = |v: &mut Self, name: &str, s: &Spanned<String>| {
            rules::selector(s.get_ref())
                .map_err(|e| v.error(s.span(), format!("{key}.{name}"), e.to_string()))
                .ok()
        };
        let body = raw.body.as_ref().and_then(|b| css(self, "body", b));
        let remove = raw
            .remove
            .iter()
            .filter_map(|s| css(self, "remove", s))
            .collect();
        let regex = |v: &mut Self, name: &str, p: &Spanned<String>| {
            rules::regex(p.get_ref(), MAX_PATTERN, MAX_REGEX_SIZE)
                .map_err(|e| v.error(p.span(), format!("{key}.{name}"), e.to_string()))
                .ok()
        };
        let mut rewrite = Vec::new();
        for (n, r) in raw.rewrite.iter().enumerate() {
            let at = format!("rewrite[{n}]");
            let r = r.get_ref();
            let field = match r.field.get_ref().as_str() {
                "title" => Some(Field::Title),
                "body" => Some(Field::Body),
                other => {
                    self.error(
                        r.field.span(),
                        format!("{key}.{at}.field"),
                        format!("{other:?}: expected \"title\" or \"body\""),
                    );
                    None
                }
            };
            let pattern = regex(self, &format!("{at}.pattern"), &r.pattern);
            if let (Some(field), Some(pattern)) = (field, pattern) {
                rewrite.push(Rewrite {
                    field,
                    pattern,
                    with: r.with.clone(),
                });
            }
        }
        let include = raw
            .include
            .iter()
            .filter_map(|p| regex(self, "include", p))
            .collect();
        let exclude = raw
            .exclude
            .iter()
            .filter_map(|p| regex(self, "exclude", p))
            .collect();
        Rules {
            body,
            remove,
            rewrite,
            include,
            exclude,
        }
    }
}
