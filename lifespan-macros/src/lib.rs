//! Procedural macros of the [`lifespan`](https://docs.rs/lifespan) crate. Use them
//! through `lifespan`, which documents them: `#[lifespan::lifespan]`.
#![forbid(unsafe_code)]

mod args;
mod errors;
mod expand;
mod fallback;
mod generate;
mod main_attr;
mod marker;
mod outline;
mod parse;
mod returns;
mod rules;
mod split;
mod test;
mod validate;

use proc_macro::TokenStream;

use crate::args::Attribute;

/// Turns an `async fn` with one `yield_app!(value)` into a fn returning
/// `impl Lifespan<Value = T, Error = E>`. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn lifespan(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::lifespan(args::parse(args.into(), Attribute::Lifespan), item.into()).into()
}

/// Runs `async fn main` as a service: builds the tokio runtime, starts the body up to
/// its `yield_app!()`, serves until SIGINT, SIGTERM or `request_shutdown()`, then tears
/// down within a deadline. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    main_attr::main(args::parse(args.into(), Attribute::Main), item.into()).into()
}

/// Like `#[tokio::test]`, with a root scope that is torn down after the body; the test
/// fails if the teardown does. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test::test(args::parse(args.into(), Attribute::Test), item.into()).into()
}
#[cfg(test)]
mod robustness;
#[cfg(test)]
mod snapshots;
