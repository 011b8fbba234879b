//! `#[lifespan]`: parse the fn, check it, then generate it, or fall back to a stub
//! next to the errors.

use proc_macro2::TokenStream;

use crate::args::{Args, Attribute};
use crate::errors::Errors;
use crate::outline::Outline;
use crate::parse::{item_fn, with_error};
use crate::{fallback, generate, validate};

pub(crate) fn lifespan(args: syn::Result<Args>, item: TokenStream) -> TokenStream {
    let item = match item_fn(
        item,
        "#[lifespan] goes on an `async fn` whose body has one `yield_app!(value)`",
    ) {
        Ok(item) => item,
        Err(tokens) => return tokens,
    };
    let mut errors = Errors::default();
    let args = errors.or_default(args);
    validate::signature(&item.sig, Attribute::Lifespan, &mut errors);
    let split = validate::body(
        &item.body,
        item.sig.ident.span(),
        Attribute::Lifespan,
        &mut errors,
    );
    let outline = Outline::new(&item, args);
    match (errors.finish(), split) {
        (None, Some(split)) => generate::lifespan(&outline, split),
        (Some(error), _) => with_error(fallback::lifespan(&outline, &item.body.tokens), error),
        // A half-typed body with no `yield_app!` yet: rustc reports its syntax error.
        (None, None) => fallback::lifespan(&outline, &item.body.tokens),
    }
}
