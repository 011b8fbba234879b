//! The arguments of `#[lifespan(..)]`.

use std::time::Duration;

use syn::meta::ParseNestedMeta;
use syn::{LitStr, Path};

/// `name`, `startup_timeout`, `shutdown_timeout` and `crate`, as written.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    pub(crate) startup_timeout: Option<Duration>,
    pub(crate) shutdown_timeout: Option<Duration>,
    pub(crate) krate: Option<Path>,
}

const VALID: &str = "`name`, `startup_timeout`, `shutdown_timeout` and `crate`";

impl Args {
    /// Reads one `key = "value"` pair.
    pub(crate) fn parse_one(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(|ident| ident.to_string())
            .unwrap_or_default();
        match key.as_str() {
            "name" => {
                let name = string(&meta, "name = \"database\"")?;
                set(&mut self.name, &meta, name)
            }
            "startup_timeout" => {
                let duration = parse_duration(&string(&meta, "startup_timeout = \"10s\"")?)?;
                set(&mut self.startup_timeout, &meta, duration)
            }
            "shutdown_timeout" => {
                let duration = parse_duration(&string(&meta, "shutdown_timeout = \"5s\"")?)?;
                set(&mut self.shutdown_timeout, &meta, duration)
            }
            "crate" => {
                let path = string(&meta, "crate = \"::my_crate::lifespan\"")?.parse::<Path>()?;
                set(&mut self.krate, &meta, path)
            }
            "timeout" => Err(meta.error(
                "unknown argument `timeout`: write `startup_timeout = \"..\"` or `shutdown_timeout = \"..\"`",
            )),
            _ => Err(meta.error(format!(
                "unknown argument of #[lifespan]: the valid ones are {VALID}"
            ))),
        }
    }
}

/// The string after `key =`; anything else is an error that shows `example`.
fn string(meta: &ParseNestedMeta<'_>, example: &str) -> syn::Result<LitStr> {
    let value = meta.value()?;
    let span = value.span();
    value.parse::<LitStr>().map_err(|_| {
        let key = quote::ToTokens::to_token_stream(&meta.path).to_string();
        syn::Error::new(span, format!("`{key}` takes a string: write `{example}`"))
    })
}

fn set<T>(slot: &mut Option<T>, meta: &ParseNestedMeta<'_>, value: T) -> syn::Result<()> {
    if slot.is_some() {
        let key = quote::ToTokens::to_token_stream(&meta.path).to_string();
        return Err(meta.error(format!("`{key}` is given twice: keep one")));
    }
    *slot = Some(value);
    Ok(())
}

/// `"250ms"`, `"10s"`, `"2m"`: a whole number and a unit.
pub(crate) fn parse_duration(literal: &LitStr) -> syn::Result<Duration> {
    let text = literal.value();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let bad = |why: &str| {
        syn::Error::new(
            literal.span(),
            format!("{why}: write a whole number and a unit, such as \"250ms\", \"10s\" or \"2m\""),
        )
    };
    let amount: u64 = digits
        .parse()
        .map_err(|_| bad(&format!("`{text}` is not a duration")))?;
    let millis = match unit {
        "ms" => Some(amount),
        "s" => amount.checked_mul(1_000),
        "m" => amount.checked_mul(60_000),
        "" => return Err(bad(&format!("`{text}` has no unit"))),
        other => return Err(bad(&format!("`{other}` is not a unit of duration"))),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| bad(&format!("`{text}` is too long")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn duration(text: &str) -> Result<Duration, String> {
        parse_duration(&LitStr::new(text, Span::call_site())).map_err(|e| e.to_string())
    }

    #[test]
    fn durations_take_ms_s_and_m() {
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
    }

    #[test]
    fn bad_durations_say_what_to_write() {
        for (text, start) in [
            ("10", "`10` has no unit"),
            ("10h", "`h` is not a unit of duration"),
            ("fast", "`fast` is not a duration"),
            ("1.5s", "`1.5s` is not a duration"),
        ] {
            let message = duration(text).unwrap_err();
            assert!(message.starts_with(start), "{message}");
            assert!(
                message.ends_with("such as \"250ms\", \"10s\" or \"2m\""),
                "{message}"
            );
        }
    }
}
