//! Procedural macros of the [`lifespan`](https://docs.rs/lifespan) crate. Use them
//! through `lifespan`, which documents them: `#[lifespan::lifespan]`.
#![forbid(unsafe_code)]

mod args;
mod body;
mod errors;
mod expand;
mod signature;

use proc_macro::TokenStream;

/// Turns an `async fn` with one `yield_app!(value)` into a fn returning
/// `impl Lifespan<Value = T, Error = E>`. See the `lifespan` crate's documentation.
#[proc_macro_attribute]
pub fn lifespan(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut parsed = args::Args::default();
    let parser = syn::meta::parser(|meta| parsed.parse_one(meta));
    let args = syn::parse::Parser::parse(parser, args).map(|()| parsed);
    expand::lifespan(args, item.into()).into()
}
