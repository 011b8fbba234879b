//! Reading the item an attribute is on, and giving it back with an error.

use proc_macro2::{Span, TokenStream};
use syn::ItemFn;

/// The fn the attribute is on; otherwise the item as written plus `message`, so that
/// the rest of the crate still sees it.
pub(crate) fn parse_fn(item: TokenStream, message: &str) -> Result<ItemFn, TokenStream> {
    syn::parse2(item.clone())
        .map_err(|_| with_error(item, syn::Error::new(Span::call_site(), message)))
}

/// `tokens` followed by `error` as a `compile_error!`.
pub(crate) fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}
