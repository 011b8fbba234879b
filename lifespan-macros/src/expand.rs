//! The one pipeline of all three attributes: parse the fn, check it against the
//! attribute's rules, then generate it, or fall back to a stub next to the errors.

use proc_macro2::TokenStream;

use crate::attribute::Attribute;
use crate::errors::Errors;
use crate::outline::Outline;
use crate::parse::{item_fn, with_error};
use crate::{args, fallback, generate, validate};

pub(crate) fn expand(attribute: Attribute, args: TokenStream, item: TokenStream) -> TokenStream {
    let item = match item_fn(item, attribute) {
        Ok(item) => item,
        Err(tokens) => return tokens,
    };
    let mut errors = Errors::default();
    let args = args::parse(args, attribute, &mut errors);
    let checked = validate::item(&item, attribute, &mut errors);
    if args.restart.is_some() {
        validate::restartable(&item.sig, &mut errors);
    }
    let outline = Outline::new(&item, args, attribute);
    match (errors.finish(), checked) {
        (None, Some(checked)) => generate::item(&outline, checked),
        (Some(error), _) => with_error(fallback::item(&outline, &item.body.tokens), error),
        // A half-typed body with no `yield_app!` yet: rustc reports its syntax error.
        (None, None) => fallback::item(&outline, &item.body.tokens),
    }
}
