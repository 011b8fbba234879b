//! The bodies of the two entry points, `#[lifespan::main]` and `#[lifespan::test]`: each
//! builds a tokio runtime and runs the user's body with a root scope.
//!
//! ```ignore
//! fn main() -> anyhow::Result<()> {
//!     trait LifespanMainReturn { .. }  // `run_main`, with the message of a wrong `E`
//!     impl<O: ::lifespan::__private::MainOutput<Exit = O>> LifespanMainReturn for O { .. }
//!     <anyhow::Result<()> as LifespanMainReturn>::run_main(
//!         ::lifespan::__private::MainConfig {
//!             flavor: ::lifespan::__private::Flavor::MultiThread,
//!             worker_threads: ::core::option::Option::None,
//!             startup_timeout: ::core::option::Option::None,
//!             shutdown_timeout: ::lifespan::__private::Duration::from_secs(30),
//!             second_signal_timeout: ::lifespan::__private::DEFAULT_SECOND_SIGNAL_TIMEOUT,
//!         },
//!         move |__yielder| async move {
//!             #[allow(unused_imports)]
//!             use ::lifespan::Lifespan as _;
//!             let pool = database().enter().await?;
//!             yield_app!(@__lifespan __yielder);
//!             tracing::info!("draining");
//!             Ok(())
//!         },
//!         // Main's own error, read for a `ConfigError` at the type as written.
//!         |output: &anyhow::Result<()>| { .. (&&&Probe(output)).config_mark() },
//!     )
//! }
//!
//! #[::core::prelude::v1::test]
//! fn pool_answers() {
//!     ::lifespan::__private::run_test::<(), _>(::core::option::Option::None, async move {
//!         #[allow(unused_imports)]
//!         use ::lifespan::Lifespan as _;
//!         let pool = database().enter().await.unwrap();
//!         assert_eq!(pool.size(), 4);
//!     })
//! }
//! ```

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::Path;

use crate::args::Flavor;
use crate::generate::{Body, body, duration, lifespan_methods};
use crate::outline::Outline;
use crate::returns::Exit;
use crate::split::Split;

/// The body of `fn main`: `run_main` with the configuration and the user's body.
pub(crate) fn main(outline: &Outline, split: Split) -> TokenStream {
    let krate = &outline.krate;
    let exit = Exit::of(&outline.sig.output);
    let Body {
        keep_import,
        closure,
    } = body(split, matches!(exit, Exit::Result(_)), None, krate);
    let config = config(outline);
    match exit {
        Exit::Result(ty) => {
            let checked = checked_result(krate);
            let read_mark = read_mark(krate, &ty);
            quote! {
                #checked
                #keep_import
                <#ty as LifespanMainReturn>::run_main(#config, #closure, #read_mark)
            }
        }
        Exit::Code(ty) => quote! {
            #keep_import
            #krate::__private::run_main::<#ty, _, _>(#config, #closure)
        },
        // `Other` is an error, and never generated.
        Exit::Unit | Exit::Other(_) => quote! {
            #keep_import
            #krate::__private::run_main::<(), _, _>(#config, #closure)
        },
    }
}

/// `run_main` behind a trait of the user's crate, `LifespanMainReturn`, for a `main`
/// that returns `Result<(), E>`. It is implemented wherever `run_main` accepts the type,
/// and not recommended, so that an `E` without `From<lifespan::Error>` (or `Debug`) is
/// one error, at the return type, with the message below, instead of several inside
/// `run_main` listing unrelated `From` impls. It is declared here rather than in the
/// runtime, so that rustc names it without a path through `__private`.
fn checked_result(krate: &Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let signature = quote! {
        fn run_main<F, Fut>(
            config: #private::MainConfig,
            body: F,
            read_mark: fn(&Self) -> ::core::option::Option<bool>,
        ) -> Self
        where
            F: ::core::ops::FnOnce(#private::Yielder<()>) -> Fut,
            Fut: ::core::future::Future<Output = Self>
    };
    quote! {
        #[diagnostic::on_unimplemented(
            message = "#[lifespan::main] cannot return `{Self}`: its error type needs `From<lifespan::Error>` and `Debug`",
            label = "write `anyhow::Result<()>`, `Result<(), lifespan::Error>` or `Result<(), Box<dyn std::error::Error + Send + Sync>>`",
            note = "or implement `From<lifespan::Error>` for your error type: a part that fails becomes your error"
        )]
        trait LifespanMainReturn: ::core::marker::Sized {
            #signature;
        }
        #[diagnostic::do_not_recommend]
        impl<O: #private::MainOutput<Exit = O>> LifespanMainReturn for O {
            #signature {
                #private::run_main_with_mark::<O, F, Fut>(config, body, read_mark)
            }
        }
    }
}

/// Reads main's own error for a `ConfigError`, at the return type as written, where the
/// runtime, which sees only a generic output, could not look into an `anyhow::Error`
/// or an error enum of the app's own: the most specific of the runtime's three ways in
/// is picked by autoref (`config_mark` in the runtime says which).
fn read_mark(krate: &Path, ty: &syn::Type) -> TokenStream {
    let mark = quote!(#krate::__private::config_mark);
    quote! {
        |output: &#ty| {
            // Only one of them is the way in for a given type.
            #[allow(unused_imports)]
            use #mark::{Opaque as _, ThroughAsRef as _, ThroughError as _};
            (&&&#mark::Probe(output)).config_mark()
        }
    }
}

/// The body of a test: `run_test` with the user's body as it is.
pub(crate) fn test(outline: &Outline, body: TokenStream) -> TokenStream {
    let krate = &outline.krate;
    let output = outline.test_output();
    let limit = some(
        outline
            .args
            .shutdown_timeout
            .map(|limit| duration(krate, limit)),
    );
    let lifespan_methods = lifespan_methods(krate);
    quote! {
        #krate::__private::run_test::<#output, _>(#limit, async move {
            #lifespan_methods
            #body
        })
    }
}

/// The `MainConfig` literal: every field written out, defaults included, so that the
/// expansion says what the service does.
fn config(outline: &Outline) -> TokenStream {
    let Outline { krate, args, .. } = outline;
    let flavor = match args.flavor.unwrap_or(Flavor::MultiThread) {
        Flavor::MultiThread => quote!(MultiThread),
        Flavor::CurrentThread => quote!(CurrentThread),
    };
    let worker_threads = some(args.worker_threads.as_ref().map(|threads| {
        let count = Literal::usize_unsuffixed(threads.count);
        quote!(#count)
    }));
    let startup_timeout = some(args.startup_timeout.map(|limit| duration(krate, limit)));
    let shutdown_timeout = match args.shutdown_timeout {
        Some(limit) => duration(krate, limit),
        None => quote!(#krate::__private::DEFAULT_SHUTDOWN_TIMEOUT),
    };
    let second_signal_timeout = match args.second_signal_timeout {
        Some(limit) => duration(krate, limit),
        None => quote!(#krate::__private::DEFAULT_SECOND_SIGNAL_TIMEOUT),
    };
    quote! {
        #krate::__private::MainConfig {
            flavor: #krate::__private::Flavor::#flavor,
            worker_threads: #worker_threads,
            startup_timeout: #startup_timeout,
            shutdown_timeout: #shutdown_timeout,
            second_signal_timeout: #second_signal_timeout,
        }
    }
}

/// `Option::Some(tokens)` or `Option::None`.
fn some(tokens: Option<TokenStream>) -> TokenStream {
    match tokens {
        Some(tokens) => quote!(::core::option::Option::Some(#tokens)),
        None => quote!(::core::option::Option::None),
    }
}
