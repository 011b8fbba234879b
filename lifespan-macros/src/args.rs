//! The arguments of `#[lifespan(..)]`, `#[lifespan::main(..)]` and `#[lifespan::test(..)]`.

use std::time::Duration;

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{LitStr, Path, parse_quote};

use crate::attribute::Attribute;
use crate::errors::Errors;

/// The arguments, as written.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    pub(crate) startup_timeout: Option<Duration>,
    pub(crate) shutdown_timeout: Option<Duration>,
    pub(crate) second_signal_timeout: Option<Duration>,
    krate: Option<Path>,
    pub(crate) flavor: Option<Flavor>,
    pub(crate) worker_threads: Option<WorkerThreads>,
    pub(crate) restart: Option<RestartPolicy>,
}

/// `restart = ".."`: the `lifespan::Restart` policy a `#[lifespan]` is supervised with.
pub(crate) enum RestartPolicy {
    /// `restart = "on_failure"`: a kind, with the default backoff and limit.
    Kind(RestartKind),
    /// `restart = Restart::on_failure().limit(3, Duration::from_secs(60))`: an
    /// expression of type `Restart`, evaluated each time the fn is called.
    Expr(Box<syn::Expr>),
}

/// The three kinds `restart = ".."` names, each a constructor of `lifespan::Restart`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RestartKind {
    Never,
    OnFailure,
    Always,
}

impl RestartKind {
    /// The kind `written` names, if it names one.
    fn named(written: &str) -> Option<RestartKind> {
        match written {
            "on_failure" => Some(RestartKind::OnFailure),
            "always" => Some(RestartKind::Always),
            "never" => Some(RestartKind::Never),
            _ => None,
        }
    }

    /// The constructor of `lifespan::Restart` it names.
    pub(crate) fn constructor(self) -> &'static str {
        match self {
            RestartKind::Never => "never",
            RestartKind::OnFailure => "on_failure",
            RestartKind::Always => "always",
        }
    }
}

/// The tokio scheduler `#[lifespan::main]` builds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Flavor {
    MultiThread,
    CurrentThread,
}

/// `worker_threads = N`, and the argument as written, for an error about it.
pub(crate) struct WorkerThreads {
    pub(crate) count: usize,
    written: TokenStream,
}

/// Reads the arguments of `attribute`. Each argument is read on its own, so that every
/// bad one is reported, and the good ones still count.
pub(crate) fn parse(tokens: TokenStream, attribute: Attribute, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    for argument in arguments(tokens) {
        if !matches!(
            argument.clone().into_iter().next(),
            Some(TokenTree::Ident(_))
        ) {
            errors.push(syn::Error::new_spanned(&argument, unknown(attribute)));
            continue;
        }
        let parser = syn::meta::parser(|meta| args.parse_one(meta, attribute));
        errors.or_default(parser.parse2(argument));
    }
    if let (Some(Flavor::CurrentThread), Some(threads)) = (args.flavor, &args.worker_threads) {
        errors.push(syn::Error::new_spanned(
            &threads.written,
            "`worker_threads` needs the multi-thread flavor: remove it, or write `flavor = \"multi_thread\"`",
        ));
    }
    args
}

/// The tokens between the top-level commas.
fn arguments(tokens: TokenStream) -> Vec<TokenStream> {
    let mut arguments = vec![TokenStream::new()];
    for tree in tokens {
        match &tree {
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                arguments.push(TokenStream::new());
            }
            _ => arguments.last_mut().expect("never empty").extend([tree]),
        }
    }
    arguments.retain(|argument| !argument.is_empty());
    arguments
}

impl Args {
    /// Where the runtime is: `crate = ".."`, or `::lifespan`.
    pub(crate) fn krate(&self) -> Path {
        self.krate
            .clone()
            .unwrap_or_else(|| parse_quote!(::lifespan))
    }

    /// Reads one `key = "value"` pair.
    fn parse_one(&mut self, meta: ParseNestedMeta<'_>, attribute: Attribute) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(|ident| ident.to_string())
            .unwrap_or_default();
        if key == "timeout" {
            let valid = attribute
                .keys()
                .iter()
                .filter(|key| key.ends_with("_timeout"));
            let hint: Vec<String> = valid.map(|key| format!("`{key} = \"..\"`")).collect();
            return Err(meta.error(format!(
                "unknown argument `timeout`: write {}",
                hint.join(" or ")
            )));
        }
        if !attribute.keys().contains(&key.as_str()) {
            return Err(meta.error(unknown(attribute)));
        }
        self.parse_value(&meta, &key)?;
        if !meta.input.is_empty() {
            return Err(meta.input.error(format!(
                "`{key}` takes one value: separate arguments with `,`"
            )));
        }
        Ok(())
    }

    /// Reads the value of `key`, a valid argument of the attribute.
    fn parse_value(&mut self, meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<()> {
        match key {
            "name" => {
                let name = string(meta, "name = \"database\"")?;
                set(&mut self.name, meta, name)
            }
            "startup_timeout" => {
                let duration = parse_duration(&string(meta, "startup_timeout = \"10s\"")?)?;
                set(&mut self.startup_timeout, meta, duration)
            }
            "shutdown_timeout" => {
                let duration = parse_duration(&string(meta, "shutdown_timeout = \"5s\"")?)?;
                set(&mut self.shutdown_timeout, meta, duration)
            }
            "second_signal_timeout" => {
                let duration = parse_duration(&string(meta, "second_signal_timeout = \"5s\"")?)?;
                set(&mut self.second_signal_timeout, meta, duration)
            }
            "crate" => {
                let example = "crate = \"::my_crate::lifespan\"";
                let literal = string(meta, example)?;
                let path = literal.parse::<Path>().map_err(|_| {
                    syn::Error::new(
                        literal.span(),
                        format!("`crate` takes the path to `lifespan`: write `{example}`"),
                    )
                })?;
                set(&mut self.krate, meta, path)
            }
            "restart" => {
                let policy = restart_policy(meta)?;
                set(&mut self.restart, meta, policy)
            }
            "flavor" => {
                let literal = string(meta, "flavor = \"current_thread\"")?;
                let flavor = match literal.value().as_str() {
                    "multi_thread" => Flavor::MultiThread,
                    "current_thread" => Flavor::CurrentThread,
                    other => {
                        return Err(syn::Error::new(
                            literal.span(),
                            format!(
                                "`{other}` is not a flavor: write \"multi_thread\" or \"current_thread\""
                            ),
                        ));
                    }
                };
                set(&mut self.flavor, meta, flavor)
            }
            "worker_threads" => {
                let message =
                    "`worker_threads` takes a whole number above zero: write `worker_threads = 4`";
                let value = meta.value().map_err(|_| meta.error(message))?;
                let span = value.span();
                let bad = || syn::Error::new(span, message);
                let literal = value.parse::<syn::LitInt>().map_err(|_| bad())?;
                let count = literal
                    .base10_parse::<usize>()
                    .ok()
                    .filter(|&count| count > 0)
                    .ok_or_else(bad)?;
                let path = &meta.path;
                let written = quote!(#path = #literal);
                set(
                    &mut self.worker_threads,
                    meta,
                    WorkerThreads { count, written },
                )
            }
            _ => unreachable!("every key in `Attribute::keys` is read above"),
        }
    }
}

/// The error at an argument `attribute` does not take.
fn unknown(attribute: Attribute) -> String {
    format!(
        "unknown argument of {}: the valid ones are {}",
        attribute.written(),
        valid(attribute)
    )
}

/// "`a`, `b` and `c`": the arguments `attribute` takes.
fn valid(attribute: Attribute) -> String {
    let keys: Vec<String> = attribute
        .keys()
        .iter()
        .map(|key| format!("`{key}`"))
        .collect();
    match keys.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The value of `restart =`: a string naming a kind, or an expression of type
/// `Restart`. A bare kind (`restart = on_failure`) is taken for the string it meant.
fn restart_policy(meta: &ParseNestedMeta<'_>) -> syn::Result<RestartPolicy> {
    let kinds = "\"on_failure\", \"always\" or \"never\"";
    let message = format!(
        "`restart` takes a policy: write {kinds}, or an expression such as `Restart::on_failure().limit(3, Duration::from_secs(60))`"
    );
    let value = meta.value().map_err(|_| meta.error(&message))?;
    if value.peek(LitStr) {
        let literal: LitStr = value.parse()?;
        return RestartKind::named(&literal.value())
            .map(RestartPolicy::Kind)
            .ok_or_else(|| {
                syn::Error::new(
                    literal.span(),
                    format!(
                        "`{}` is not a restart policy: write {kinds}, or an expression of type `Restart`",
                        literal.value()
                    ),
                )
            });
    }
    let span = value.span();
    let expr: syn::Expr = value.parse().map_err(|_| syn::Error::new(span, &message))?;
    if let syn::Expr::Path(path) = &expr {
        if let Some(kind) = path.path.get_ident().map(|ident| ident.to_string()) {
            if RestartKind::named(&kind).is_some() {
                return Err(syn::Error::new_spanned(
                    &expr,
                    format!("write the kind as a string: `restart = \"{kind}\"`"),
                ));
            }
        }
    }
    Ok(RestartPolicy::Expr(Box::new(expr)))
}

/// The string after `key =`; anything else is an error that shows `example`.
fn string(meta: &ParseNestedMeta<'_>, example: &str) -> syn::Result<LitStr> {
    let key = meta.path.to_token_stream().to_string();
    let message = format!("`{key}` takes a string: write `{example}`");
    let value = meta.value().map_err(|_| meta.error(&message))?;
    let span = value.span();
    value
        .parse::<LitStr>()
        .map_err(|_| syn::Error::new(span, message))
}

fn set<T>(slot: &mut Option<T>, meta: &ParseNestedMeta<'_>, value: T) -> syn::Result<()> {
    if slot.is_some() {
        let key = meta.path.to_token_stream().to_string();
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

    /// The policy `#[lifespan(<tokens>)]` asks for, or the error it reports.
    fn restart(tokens: TokenStream) -> Result<String, String> {
        let mut errors = Errors::default();
        let args = parse(tokens, Attribute::Lifespan, &mut errors);
        if let Some(error) = errors.finish() {
            return Err(error.to_string());
        }
        Ok(match args.restart.expect("a restart argument") {
            RestartPolicy::Kind(kind) => kind.constructor().to_owned(),
            RestartPolicy::Expr(expr) => expr.to_token_stream().to_string(),
        })
    }

    #[test]
    fn restart_takes_each_kind_by_name_or_an_expression() {
        assert_eq!(
            restart(quote!(restart = "on_failure")).unwrap(),
            "on_failure"
        );
        assert_eq!(restart(quote!(restart = "always")).unwrap(), "always");
        assert_eq!(restart(quote!(restart = "never")).unwrap(), "never");
        assert_eq!(
            restart(quote!(restart = Restart::always().limit(3, window))).unwrap(),
            "Restart :: always () . limit (3 , window)"
        );
        // A path that is not a kind is an expression, typed where it is used.
        assert_eq!(restart(quote!(restart = POLICY)).unwrap(), "POLICY");
        let unquoted = restart(quote!(restart = never)).unwrap_err();
        assert_eq!(
            unquoted,
            "write the kind as a string: `restart = \"never\"`"
        );
        let unknown = restart(quote!(restart = "sometimes")).unwrap_err();
        assert!(
            unknown.starts_with("`sometimes` is not a restart policy"),
            "{unknown}"
        );
        let missing = restart(quote!(restart)).unwrap_err();
        assert!(missing.starts_with("`restart` takes a policy"), "{missing}");
    }

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
