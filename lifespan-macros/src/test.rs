//! `#[lifespan::test]`: an async test with a root scope, torn down after the body.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType, parse_quote};

use crate::args::Args;
use crate::errors::Errors;
use crate::item::{parse_fn, with_error};

pub(crate) fn test(args: syn::Result<Args>, item: TokenStream) -> TokenStream {
    let function = match parse_fn(
        item,
        "#[lifespan::test] goes on an `async fn` with no parameters",
    ) {
        Ok(function) => function,
        Err(tokens) => return tokens,
    };
    let mut errors = Errors::default();
    let args = errors.or_default(args);
    if args.name.is_some() || args.startup_timeout.is_some() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "#[lifespan::test] takes only `shutdown_timeout` and `crate`",
        ));
    }
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span(),
            "#[lifespan::test] needs an `async fn`: write `async fn`",
        ));
    }
    if !sig.inputs.is_empty() {
        errors.push(syn::Error::new(
            sig.inputs.span(),
            "a test takes no parameters: remove them",
        ));
    }
    let krate = args.krate.unwrap_or_else(|| parse_quote!(::lifespan));
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = &function;
    let ident = &sig.ident;
    let output = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    let limit = match args.shutdown_timeout {
        Some(limit) => {
            let millis = limit.as_millis() as u64;
            quote!(::core::option::Option::Some(#krate::__private::Duration::from_millis(#millis)))
        }
        None => quote!(::core::option::Option::None),
    };
    let body = if errors.any() {
        quote!(::core::unimplemented!())
    } else {
        quote!(#krate::__private::run_test::<#output, _>(#limit, async move #block))
    };
    let tokens = quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #ident() -> #output {
            #body
        }
    };
    match errors.finish() {
        Some(error) => with_error(tokens, error),
        None => tokens,
    }
}
