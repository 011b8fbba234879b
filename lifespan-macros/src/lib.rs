//! Procedural macros of the [`lifespan`](https://docs.rs/lifespan) crate. Use them
//! through `lifespan`, which documents them: `#[lifespan::lifespan]`.
#![forbid(unsafe_code)]

mod args;
mod body;
mod errors;
mod expand;
mod item;
mod signature;
mod test;

use proc_macro::TokenStream;

/// Turns an `async fn` with one `yield_app!(value)` into a fn returning
/// `impl Lifespan<Value = T, Error = E>`. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn lifespan(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::lifespan(parse_args(args), item.into()).into()
}

/// Like `#[tokio::test]`, with a root scope that is torn down after the body; the test
/// fails if the teardown does. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test::test(parse_args(args), item.into()).into()
}

fn parse_args(args: TokenStream) -> syn::Result<args::Args> {
    let mut parsed = args::Args::default();
    let parser = syn::meta::parser(|meta| parsed.parse_one(meta));
    syn::parse::Parser::parse(parser, args).map(|()| parsed)
}
