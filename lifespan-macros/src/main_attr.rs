//! `#[lifespan::main]`: `async fn main` with one `yield_app!()` becomes a plain
//! `fn main` that runs the body as the service's root lifespan.
//!
//! ```ignore
//! fn main() -> ::std::process::ExitCode {
//!     ::lifespan::__private::run_main::<(), _, _>(
//!         ::lifespan::__private::MainConfig {
//!             flavor: ::lifespan::__private::Flavor::MultiThread,
//!             worker_threads: ::core::option::Option::None,
//!             startup_timeout: ::core::option::Option::None,
//!             shutdown_timeout: ::lifespan::__private::Duration::from_secs(30),
//!         },
//!         move |__yielder| async move {
//!             let pool = database().enter().await?;
//!             yield_app!(@__lifespan __yielder);
//!             tracing::info!("draining");
//!         },
//!     )
//! }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Path, ReturnType, Type, parse_quote};

use crate::args::{Args, Attribute, Flavor};
use crate::errors::Errors;
use crate::fallback::keep_import;
use crate::generate::{Body, body, duration};
use crate::parse::{ItemFn, item_fn, with_error};
use crate::returns::Returns;
use crate::split::Split;
use crate::validate;

pub(crate) fn main(args: syn::Result<Args>, item: TokenStream) -> TokenStream {
    let item = match item_fn(
        item,
        "#[lifespan::main] goes on `async fn main()` whose body has one `yield_app!()`",
    ) {
        Ok(item) => item,
        Err(tokens) => return tokens,
    };
    let mut errors = Errors::default();
    let args = errors.or_default(args);
    check_args(&args, &mut errors);
    check_signature(&item, &mut errors);
    let split = validate::body(
        &item.body,
        item.sig.ident.span(),
        Attribute::Main,
        &mut errors,
    );
    if let Some(split) = &split {
        if let Some(value) = split.yield_point.value.clone().into_iter().next() {
            errors.push(syn::Error::new(
                value.span(),
                "main's `yield_app!()` takes no value: the service runs until shutdown; remove the value",
            ));
        }
    }
    let krate: Path = args
        .krate
        .clone()
        .unwrap_or_else(|| parse_quote!(::lifespan));
    match (errors.finish(), split) {
        (None, Some(split)) => generate(&item, &args, &krate, split),
        (Some(error), _) => with_error(fallback(&item), error),
        (None, None) => fallback(&item),
    }
}

fn check_args(args: &Args, errors: &mut Errors) {
    if args.flavor == Some(Flavor::CurrentThread) && args.worker_threads.is_some() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`worker_threads` needs the multi-thread flavor: remove it, or write `flavor = \"multi_thread\"`",
        ));
    }
}

/// `async fn main()`: named `main`, no parameters, no generics.
fn check_signature(item: &ItemFn, errors: &mut Errors) {
    let sig = &item.sig;
    validate::signature(sig, Attribute::Main, errors);
    if sig.ident != "main" {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "#[lifespan::main] goes on `fn main`: rename it `main`, or write #[lifespan] to make it a lifespan",
        ));
    }
    validate::entry_point(
        sig,
        "`main`",
        "read arguments with `std::env::args()`",
        errors,
    );
    if let ReturnType::Type(_, ty) = &sig.output {
        if !returns_exit(ty) {
            errors.push(syn::Error::new_spanned(
                ty,
                "#[lifespan::main] returns `()`, `ExitCode` or `Result<(), E>` where `E: From<lifespan::Error>`: return one of those",
            ));
        }
    }
}

/// `()`, or a path ending in `ExitCode` or `Result`: what `MainOutput` is implemented
/// for, read from the tokens so that a wrong type gets one error, not three.
fn returns_exit(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "ExitCode" || last.ident == "Result"),
        Type::Paren(inner) => returns_exit(&inner.elem),
        _ => false,
    }
}

/// The body's output, and what the generated `fn main` returns.
fn output_and_exit(item: &ItemFn) -> (Type, Type) {
    match &item.sig.output {
        ReturnType::Type(_, ty) if returns_exit(ty) && !matches!(**ty, Type::Tuple(_)) => {
            ((**ty).clone(), (**ty).clone())
        }
        // `()`, and in the fallback a type that cannot be returned.
        _ => (parse_quote!(()), parse_quote!(::std::process::ExitCode)),
    }
}

fn generate(item: &ItemFn, args: &Args, krate: &Path, split: Split) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = item;
    let ident = &sig.ident;
    let (output, exit) = output_and_exit(item);
    let Body {
        keep_import,
        closure,
    } = body(split, &Returns::of(&sig.output));
    let config = config(args, krate);
    quote! {
        #(#attrs)*
        #vis fn #ident() -> #exit {
            #keep_import
            #krate::__private::run_main::<#output, _, _>(#config, #closure)
        }
    }
}

/// The `MainConfig` literal: every field written out, defaults included, so that the
/// expansion says what the service does.
fn config(args: &Args, krate: &Path) -> TokenStream {
    let flavor = match args.flavor.unwrap_or(Flavor::MultiThread) {
        Flavor::MultiThread => quote!(MultiThread),
        Flavor::CurrentThread => quote!(CurrentThread),
    };
    let some = |tokens: Option<TokenStream>| match tokens {
        Some(tokens) => quote!(::core::option::Option::Some(#tokens)),
        None => quote!(::core::option::Option::None),
    };
    let worker_threads = some(args.worker_threads.map(|threads| {
        let threads = proc_macro2::Literal::usize_unsuffixed(threads);
        quote!(#threads)
    }));
    let startup_timeout = some(args.startup_timeout.map(|limit| duration(krate, limit)));
    let shutdown_timeout = match args.shutdown_timeout {
        Some(limit) => duration(krate, limit),
        None => quote!(#krate::__private::DEFAULT_SHUTDOWN_TIMEOUT),
    };
    quote! {
        #krate::__private::MainConfig {
            flavor: #krate::__private::Flavor::#flavor,
            worker_threads: #worker_threads,
            startup_timeout: #startup_timeout,
            shutdown_timeout: #shutdown_timeout,
        }
    }
}

/// Next to the errors: a plain fn of the same name and return type, so that nothing
/// else is reported.
fn fallback(item: &ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        body,
    } = item;
    let ident = &sig.ident;
    let (_, exit) = output_and_exit(item);
    let keep_import = keep_import(&body.tokens);
    quote! {
        #(#attrs)*
        #vis fn #ident() -> #exit {
            #keep_import
            ::core::unimplemented!("#[lifespan::main] did not compile")
        }
    }
}
