//! `#[lifespan::test]`: an async test with a root scope, torn down after the body.
//!
//! ```ignore
//! #[::core::prelude::v1::test]
//! fn pool_answers() {
//!     ::lifespan::__private::run_test::<(), _>(::core::option::Option::None, async move {
//!         let pool = database().enter().await.unwrap();
//!         assert_eq!(pool.size(), 4);
//!     })
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Path, ReturnType, Signature, parse_quote};

use crate::args::Args;
use crate::errors::Errors;
use crate::generate::duration;
use crate::parse::{ItemFn, item_fn, with_error};
use crate::validate;

pub(crate) fn test(args: syn::Result<Args>, item: TokenStream) -> TokenStream {
    let item = match item_fn(
        item,
        "#[lifespan::test] goes on an `async fn` with no parameters",
    ) {
        Ok(item) => item,
        Err(tokens) => return tokens,
    };
    let mut errors = Errors::default();
    let args = errors.or_default(args);
    validate(&item, &mut errors);
    let krate: Path = args.krate.unwrap_or_else(|| parse_quote!(::lifespan));
    let ItemFn {
        attrs,
        vis,
        sig: Signature { ident, output, .. },
        body,
    } = &item;
    let output = match output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    let limit = match args.shutdown_timeout {
        Some(limit) => {
            let limit = duration(&krate, limit);
            quote!(::core::option::Option::Some(#limit))
        }
        None => quote!(::core::option::Option::None),
    };
    let body = &body.tokens;
    let run = if errors.any() {
        // The test fn still exists, so the error comes alone.
        quote!(::core::unimplemented!())
    } else {
        quote!(#krate::__private::run_test::<#output, _>(#limit, async move { #body }))
    };
    let tokens = quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #ident() -> #output {
            #run
        }
    };
    match errors.finish() {
        Some(error) => with_error(tokens, error),
        None => tokens,
    }
}

/// A test is a plain `async fn` with no parameters and no second `#[test]`.
fn validate(item: &ItemFn, errors: &mut Errors) {
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "#[lifespan::test] needs an `async fn`: write `async fn`",
        ));
    }
    validate::entry_point(sig, "a test", "build what it needs in its body", errors);
    for attr in &item.attrs {
        // `#[test]`, `#[tokio::test]`, a second `#[lifespan::test]`.
        if attr
            .path()
            .segments
            .last()
            .is_some_and(|last| last.ident == "test")
        {
            errors.push(syn::Error::new_spanned(
                attr,
                "#[lifespan::test] already makes this a test: remove this attribute",
            ));
        }
    }
}
