//! `#[lifespan::test]`: an async test with a root scope, torn down after the body.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType, parse_quote};

use crate::args::Args;
use crate::errors::Errors;

pub(crate) fn test(args: syn::Result<Args>, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "#[lifespan::test] goes on an `async fn` with no parameters",
            );
            let mut tokens = item;
            tokens.extend(error.into_compile_error());
            return tokens;
        }
    };
    let mut errors = Errors::default();
    let args = args.unwrap_or_else(|error| {
        errors.push(error);
        Args::default()
    });
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
    let mut tokens = quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #ident() -> #output {
            #body
        }
    };
    if let Some(error) = errors.finish() {
        tokens.extend(error.into_compile_error());
    }
    tokens
}
