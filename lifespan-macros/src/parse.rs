//! Reading the fn an attribute is on, without giving up on a body that does not parse
//! yet: while a user types, the expansion must still contain their tokens, so that
//! rustc reports the real syntax error and rust-analyzer can complete inside the body.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{AttrStyle, Block, Signature, Stmt, Visibility, braced};

use crate::attribute::Attribute;

/// An fn whose signature parsed and whose body may not have.
pub(crate) struct ItemFn {
    /// Outer attributes, then the body's inner ones (`#![allow(..)]`) turned outer:
    /// they all end up on the generated fn.
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: Body,
}

/// The statements between the braces, as tokens, and parsed if they parse.
pub(crate) struct Body {
    pub(crate) tokens: TokenStream,
    /// `Err` while the body is half-typed; the error is syn's, at the bad token.
    pub(crate) stmts: syn::Result<Vec<Stmt>>,
}

impl Parse for ItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut attrs = input.call(syn::Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        braced!(content in input);
        for mut inner in content.call(syn::Attribute::parse_inner)? {
            inner.style = AttrStyle::Outer;
            attrs.push(inner);
        }
        let tokens: TokenStream = content.parse()?;
        let stmts = Block::parse_within.parse2(tokens.clone());
        Ok(ItemFn {
            attrs,
            vis,
            sig,
            body: Body { tokens, stmts },
        })
    }
}

/// The fn `attribute` is on; otherwise the item as written plus the error saying what
/// the attribute goes on, so that the rest of the crate still sees the item.
pub(crate) fn item_fn(item: TokenStream, attribute: Attribute) -> Result<ItemFn, TokenStream> {
    syn::parse2(item.clone()).map_err(|_| {
        with_error(
            item,
            syn::Error::new(Span::call_site(), attribute.goes_on()),
        )
    })
}

/// `tokens` followed by `error` as a `compile_error!`.
pub(crate) fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> ItemFn {
        item_fn(tokens, Attribute::Lifespan).unwrap_or_else(|_| panic!("should parse"))
    }

    #[test]
    fn a_half_typed_body_keeps_its_tokens_and_syns_error() {
        let item = parse(quote! {
            async fn database() -> u32 { let pool = ; yield_app!(pool); }
        });
        assert!(item.body.stmts.is_err());
        assert_eq!(
            item.body.tokens.to_string(),
            quote!(let pool = ; yield_app!(pool);).to_string()
        );
    }

    #[test]
    fn inner_attributes_move_to_the_fn() {
        let item = parse(quote! {
            /// Docs.
            async fn database() { #![allow(unused)] yield_app!(); }
        });
        assert_eq!(item.attrs.len(), 2);
        assert!(
            item.attrs
                .iter()
                .all(|attr| matches!(attr.style, AttrStyle::Outer))
        );
        assert_eq!(item.body.stmts.map(|stmts| stmts.len()).ok(), Some(1));
    }

    #[test]
    fn anything_but_an_fn_is_handed_back_with_the_message() {
        let tokens = item_fn(
            quote!(
                struct Database;
            ),
            Attribute::Test,
        )
        .err()
        .expect("a struct is not an fn")
        .to_string();
        assert!(tokens.starts_with("struct Database ;"), "{tokens}");
        assert!(tokens.contains("#[lifespan::test] goes on"), "{tokens}");
    }
}
