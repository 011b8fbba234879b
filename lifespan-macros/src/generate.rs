//! The expansion of a fn that broke no rule. A `#[lifespan]` fn becomes a plain fn
//! returning `impl Lifespan`, whose body hands the user's halves to `from_fn`;
//! `#[lifespan::main]` and `#[lifespan::test]` are written by [`crate::entry`].
//!
//! ```ignore
//! fn database(url: String) -> impl ::lifespan::Lifespan<Value = Pool, Error = DbError> {
//!     let __lifespan = ::lifespan::__private::from_fn_typed::<Pool, Result<(), DbError>, _, _>(
//!         "database",
//!         move |__yielder| async move {
//!             #[allow(unused_imports)]
//!             use ::lifespan::Lifespan as _;
//!             let pool = Pool::connect(&url).await?;
//!             yield_app!(@__lifespan __yielder, pool.clone(), Pool);
//!             pool.close().await?;
//!             Ok(())
//!         },
//!     );
//!     let __lifespan = ::lifespan::Lifespan::startup_timeout(__lifespan, ::lifespan::__private::Duration::from_secs(10));
//!     __lifespan
//! }
//! ```

use std::time::Duration;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Path, Type};

use crate::args::RestartPolicy;
use crate::attribute::Attribute;
use crate::entry;
use crate::outline::{Outline, Types};
use crate::returns::Returns;
use crate::split::{Split, YieldPoint};
use crate::validate::Checked;

/// The fn, signature and body.
pub(crate) fn item(outline: &Outline, checked: Checked) -> TokenStream {
    let signature = outline.signature();
    let body = match checked {
        Checked::Halves(split) if outline.attribute == Attribute::Main => {
            entry::main(outline, split)
        }
        Checked::Halves(split) => lifespan(outline, split),
        Checked::Whole(body) => entry::test(outline, body),
    };
    quote! {
        #signature {
            #body
        }
    }
}

/// The body of a `#[lifespan]` fn: `from_fn_typed`, then the attribute's timeouts.
fn lifespan(outline: &Outline, split: Split) -> TokenStream {
    let krate = &outline.krate;
    let name = outline.name();
    let Types { value, output, .. } = outline.types();
    let lifespan = Ident::new("__lifespan", Span::mixed_site());
    let fallible = matches!(Returns::of(&outline.sig.output), Returns::Fallible { .. });
    let Body {
        keep_import,
        closure,
    } = body(split, fallible, Some(&value), krate);
    let args = &outline.args;
    let startup_timeout = timeout(krate, &lifespan, "startup_timeout", args.startup_timeout);
    let shutdown_timeout = timeout(krate, &lifespan, "shutdown_timeout", args.shutdown_timeout);
    let make = quote! {
        #keep_import
        let #lifespan = #krate::__private::from_fn_typed::<#value, #output, _, _>(
            #name,
            #closure,
        );
        #startup_timeout
        #shutdown_timeout
        #lifespan
    };
    match &args.restart {
        Some(policy) => supervised(outline, policy, make),
        None => make,
    }
}

/// `supervised(Restart::on_failure(), move || { let url = url.clone(); ..make.. })`: each
/// instance made from clones of the arguments. The clone goes through a trait declared
/// here, in the user's crate, so that an argument that is not `Clone` is one error at
/// that argument, saying why it must be.
fn supervised(outline: &Outline, policy: &RestartPolicy, make: TokenStream) -> TokenStream {
    let krate = &outline.krate;
    let arguments: Vec<(&syn::PatIdent, &Type)> = outline
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(typed) => match &*typed.pat {
                syn::Pat::Ident(pat) => Some((pat, &*typed.ty)),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    // The arguments a policy expression names: it reads clones of them, since the
    // arguments themselves move into the closure that makes each instance.
    let read_by_policy = match policy {
        RestartPolicy::Expr(expr) => idents(quote!(#expr)),
        RestartPolicy::Kind(_) => Vec::new(),
    };
    let read = |pat: &syn::PatIdent| read_by_policy.contains(&pat.ident.to_string());
    let policy = match policy {
        RestartPolicy::Kind(kind) => {
            let constructor = Ident::new(kind.constructor(), Span::call_site());
            quote!(#krate::Restart::#constructor())
        }
        // Through a trait declared here, so that a value of another type is one error
        // where it is written, naming the fix.
        RestartPolicy::Expr(expr) => {
            let policy = quote_spanned! {expr.span()=>
                LifespanRestartPolicy::into_restart(#expr)
            };
            let read_clones = arguments
                .iter()
                .filter(|(pat, _)| read(pat))
                .map(|(pat, ty)| {
                    let ident = &pat.ident;
                    quote_spanned! {ty.span()=>
                        let #ident = LifespanRestartArgument::clone_for_an_instance(&#ident);
                    }
                });
            quote! {{
                #(#read_clones)*
                #[diagnostic::on_unimplemented(
                    message = "`restart` takes a `lifespan::Restart`, and `{Self}` is not one",
                    label = "not a `Restart`",
                    note = "write a policy by name, `restart = \"on_failure\"`, or build one: `restart = Restart::on_failure().delay(Duration::from_secs(1))`"
                )]
                trait LifespanRestartPolicy {
                    fn into_restart(self) -> #krate::Restart;
                }
                impl LifespanRestartPolicy for #krate::Restart {
                    fn into_restart(self) -> #krate::Restart {
                        self
                    }
                }
                #policy
            }}
        }
    };
    let clones = arguments.iter().map(|(pat, ty)| {
        let ident = &pat.ident;
        // An argument the policy reads may be one no instance uses.
        let allow = read(pat).then(|| quote!(#[allow(unused_variables)]));
        quote_spanned! {ty.span()=>
            #allow
            let #pat = LifespanRestartArgument::clone_for_an_instance(&#ident);
        }
    });
    quote! {
        #[diagnostic::on_unimplemented(
            message = "an argument of a lifespan that restarts is cloned for each instance, and `{Self}` is not `Clone`",
            label = "not `Clone`",
            note = "take it in an `Arc`, or derive `Clone` for it"
        )]
        trait LifespanRestartArgument: ::core::marker::Sized {
            fn clone_for_an_instance(&self) -> Self;
        }
        impl<T: ::core::clone::Clone> LifespanRestartArgument for T {
            fn clone_for_an_instance(&self) -> Self {
                ::core::clone::Clone::clone(self)
            }
        }
        #krate::supervised(#policy, move || {
            #(#clones)*
            #make
        })
    }
}

/// Every identifier in `tokens`, in groups too: the names an expression may read.
fn idents(tokens: TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(ident) => found.push(ident.to_string()),
            proc_macro2::TokenTree::Group(group) => found.extend(idents(group.stream())),
            _ => {}
        }
    }
    found
}

/// A cut body as both `#[lifespan]` and `#[lifespan::main]` hand it to the runtime.
pub(crate) struct Body {
    /// While the body is half-typed, rustc's recovery from its syntax error may drop
    /// the yield call; this statement keeps the user's import of `yield_app` in use, so
    /// that the syntax error comes alone.
    pub(crate) keep_import: Option<TokenStream>,
    /// `move |__yielder| async move { use Lifespan as _; startup; yield; shutdown }`.
    pub(crate) closure: TokenStream,
}

/// The closure around `split`; a `fallible` shutdown half left empty ends in `Ok(())`.
/// `value` is the yielded type as the signature writes it, if the body yields one.
pub(crate) fn body(split: Split, fallible: bool, value: Option<&Type>, krate: &Path) -> Body {
    let yielder = Ident::new("__yielder", Span::mixed_site());
    let Split {
        startup,
        yield_point,
        mut shutdown,
        parsed,
    } = split;
    let yield_call = yield_call(&yield_point, &yielder, value);
    if shutdown.is_empty() && fallible {
        shutdown = quote!(::core::result::Result::Ok(()));
    }
    let path = &yield_point.path;
    let lifespan_methods = lifespan_methods(krate);
    Body {
        keep_import: (!parsed).then(|| quote!(#path!(@__lifespan_unused);)),
        closure: quote! {
            move |#yielder| async move {
                #lifespan_methods
                #startup
                #yield_call
                #shutdown
            }
        },
    }
}

/// What every body can use without an import: the `Lifespan` methods, so that
/// `database(url).enter().await?` works with only `lifespan` and `yield_app` imported.
/// It brings in no name, so it cannot clash with the user's.
pub(crate) fn lifespan_methods(krate: &Path) -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use #krate::Lifespan as _;
    }
}

/// `path!(@__lifespan __yielder, value, Type);`, spanned at the value. The macro binds
/// the value to the yielded type before handing it over, so that a mismatch is reported
/// at the value, against the type in the user's signature, not at a method of ours.
fn yield_call(yield_point: &YieldPoint, yielder: &Ident, ty: Option<&Type>) -> TokenStream {
    let YieldPoint { path, value } = yield_point;
    match (value.clone().into_iter().next(), ty) {
        (Some(first), Some(ty)) => {
            quote_spanned!(first.span()=> #path!(@__lifespan #yielder, #value, #ty);)
        }
        (Some(first), None) => quote_spanned!(first.span()=> #path!(@__lifespan #yielder, #value);),
        (None, _) => quote!(#path!(@__lifespan #yielder);),
    }
}

/// `let __lifespan = Lifespan::setter(__lifespan, ..);` when the attribute sets it.
fn timeout(
    krate: &Path,
    lifespan: &Ident,
    setter: &str,
    limit: Option<Duration>,
) -> Option<TokenStream> {
    let setter = Ident::new(setter, Span::call_site());
    let limit = duration(krate, limit?);
    Some(quote! {
        let #lifespan = #krate::Lifespan::#setter(#lifespan, #limit);
    })
}

/// `Duration::from_secs(10)` or `Duration::from_millis(250)`, as a person would write it.
pub(crate) fn duration(krate: &Path, limit: Duration) -> TokenStream {
    let millis = u64::try_from(limit.as_millis()).expect("parsed from a u64 of millis");
    let (constructor, amount) = if millis % 1_000 == 0 {
        (quote!(from_secs), millis / 1_000)
    } else {
        (quote!(from_millis), millis)
    };
    let amount = Literal::u64_unsuffixed(amount);
    quote!(#krate::__private::Duration::#constructor(#amount))
}
