//! `#[lifespan]`: parse, check, and rewrite the `async fn` into a plain fn returning
//! `impl Lifespan`, built on `from_fn`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, Path, Type, parse_quote};

use crate::args::Args;
use crate::body::{Split, any_yield_path, split};
use crate::errors::Errors;
use crate::item::{parse_fn, with_error};
use crate::signature::Returns;

pub(crate) fn lifespan(args: syn::Result<Args>, item: TokenStream) -> TokenStream {
    let function = match parse_fn(
        item,
        "#[lifespan] goes on an `async fn` whose body has one `yield_app!(value)`",
    ) {
        Ok(function) => function,
        Err(tokens) => return tokens,
    };
    let mut errors = Errors::default();
    let args = errors.or_default(args);
    check_signature(&function, &mut errors);
    let returns = Returns::of(&function.sig.output);
    let krate = args
        .krate
        .clone()
        .unwrap_or_else(|| parse_quote!(::lifespan));
    let body = split(&function.block, function.sig.ident.span(), &mut errors);
    match (errors.finish(), body) {
        (None, Some(body)) => generate(&function, &args, &returns, &krate, body),
        (error, _) => {
            let error = error.expect("a body that does not split has reported why");
            with_error(placeholder(&function, &args, &returns, &krate), error)
        }
    }
}

fn check_signature(function: &ItemFn, errors: &mut Errors) {
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new(
            constness.span(),
            "a lifespan cannot be a `const fn`: remove `const`",
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new(
            unsafety.span(),
            "a lifespan cannot be an `unsafe fn`: remove `unsafe` and keep the unsafe block inside",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new(
            abi.span(),
            "a lifespan cannot have an `extern` ABI: remove it",
        ));
    }
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span(),
            "#[lifespan] needs an `async fn`: write `async fn`",
        ));
    }
}

/// The types of `impl Lifespan<Value = .., Error = ..>`, and the body's output.
fn lifespan_types(returns: &Returns, krate: &Path) -> (Type, Type, Type) {
    match returns {
        Returns::Fallible {
            value,
            output,
            error,
        } => {
            let error = error
                .clone()
                .unwrap_or_else(|| parse_quote!(<#output as #krate::__private::ResultOutput>::Err));
            (value.clone(), error, output.clone())
        }
        Returns::Infallible { value } => (
            value.clone(),
            parse_quote!(::core::convert::Infallible),
            parse_quote!(()),
        ),
    }
}

fn name_of(function: &ItemFn, args: &Args) -> TokenStream {
    match &args.name {
        Some(name) => name.to_token_stream(),
        None => function.sig.ident.to_string().to_token_stream(),
    }
}

/// The signature of the generated fn: not async, returning `impl Lifespan`.
fn signature(function: &ItemFn, returns: &Returns, krate: &Path) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = function;
    let (ident, generics, inputs) = (&sig.ident, &sig.generics, &sig.inputs);
    let where_clause = &generics.where_clause;
    let (value, error, _) = lifespan_types(returns, krate);
    quote! {
        #(#attrs)*
        #vis fn #ident #generics (#inputs) -> impl #krate::Lifespan<Value = #value, Error = #error>
        #where_clause
    }
}

fn generate(
    function: &ItemFn,
    args: &Args,
    returns: &Returns,
    krate: &Path,
    body: Split,
) -> TokenStream {
    let signature = signature(function, returns, krate);
    let (value_type, _, output) = lifespan_types(returns, krate);
    let name = name_of(function, args);
    let yielder = Ident::new("__yielder", Span::mixed_site());
    let lifespan = Ident::new("__lifespan", Span::mixed_site());
    let Split {
        startup,
        value,
        yield_path,
        mut shutdown,
    } = body;
    let yield_point = match value {
        Some(value) => quote_spanned!(value.span()=> #yield_path!(@__lifespan #yielder, #value);),
        None => quote_spanned!(yield_path.span()=> #yield_path!(@__lifespan #yielder);),
    };
    if shutdown.is_empty() && matches!(returns, Returns::Fallible { .. }) {
        shutdown.push(parse_quote!(::core::result::Result::Ok(())));
    }
    let timeouts = [
        args.startup_timeout.map(|d| (quote!(startup_timeout), d)),
        args.shutdown_timeout.map(|d| (quote!(shutdown_timeout), d)),
    ]
    .into_iter()
    .flatten()
    .map(|(setter, duration)| {
        let millis = duration.as_millis() as u64;
        quote! {
            let #lifespan = #krate::Lifespan::#setter(#lifespan, #krate::__private::Duration::from_millis(#millis));
        }
    });
    quote! {
        #signature {
            let #lifespan = #krate::__private::from_fn_typed::<#value_type, #output, _, _>(
                #name,
                move |#yielder| async move {
                    #(#startup)*
                    #yield_point
                    #(#shutdown)*
                },
            );
            #(#timeouts)*
            #lifespan
        }
    }
}

/// What is emitted next to the errors: the same fn, with a body that type-checks, so
/// that callers see the intended signature and one mistake gives one error.
fn placeholder(function: &ItemFn, args: &Args, returns: &Returns, krate: &Path) -> TokenStream {
    let signature = signature(function, returns, krate);
    let (value, _, output) = lifespan_types(returns, krate);
    let name = name_of(function, args);
    // Keeps the user's `use lifespan::yield_app` in use; expands to nothing.
    let keep_import =
        any_yield_path(&function.block).map(|path| quote!(#path!(@__lifespan_unused);));
    quote! {
        #[allow(unused_variables)]
        #signature {
            #keep_import
            #krate::__private::placeholder::<#value, #output>(#name)
        }
    }
}
