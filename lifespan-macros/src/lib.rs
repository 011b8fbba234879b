//! Procedural macros of the [`lifespan`](https://docs.rs/lifespan) crate. Use them
//! through `lifespan`, which documents them: `#[lifespan::lifespan]`.
//!
//! All three attributes go through one pipeline (`expand.rs`): the fn and the arguments
//! are parsed (`parse.rs`, `args.rs`), checked against the attribute's rules
//! (`validate.rs`, `rules.rs`), and then either generated (`generate.rs` for
//! `#[lifespan]`, `entry.rs` for `main` and tests) or, next to the errors, replaced by a
//! stub of the same signature (`fallback.rs`), so that one mistake is one error.
#![forbid(unsafe_code)]

mod args;
mod attribute;
mod entry;
mod errors;
mod expand;
mod fallback;
mod generate;
mod marker;
mod outline;
mod parse;
mod returns;
mod rules;
mod split;
mod validate;

use proc_macro::TokenStream;

use crate::attribute::Attribute;

/// Turns an `async fn` with one `yield_app!(value)` into a fn returning
/// `impl Lifespan<Value = T, Error = E>`. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn lifespan(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Attribute::Lifespan, args.into(), item.into()).into()
}

/// Runs `async fn main` as a service: builds the tokio runtime, starts the body up to
/// its `yield_app!()`, serves until SIGINT, SIGTERM or `request_shutdown()`, then tears
/// down within a deadline. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Attribute::Main, args.into(), item.into()).into()
}

/// Like `#[tokio::test]`, with a root scope that is torn down after the body; the test
/// fails if the teardown does. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Attribute::Test, args.into(), item.into()).into()
}

#[cfg(test)]
mod robustness;
#[cfg(test)]
mod snapshots;
#[cfg(test)]
mod ui_messages;
