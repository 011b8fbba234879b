//! What the generated fn looks like from outside: its attributes, signature and
//! `impl Lifespan<..>` return type, its name and timeouts. Both the expansion and the
//! fallback emit it, so callers see the same fn whether or not the body has a mistake.

use std::time::Duration;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, LitStr, Path, Signature, Type, Visibility, parse_quote};

use crate::args::Args;
use crate::parse::ItemFn;
use crate::returns::Returns;

pub(crate) struct Outline {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// What the runtime calls it: `name = ".."`, or the fn's name.
    pub(crate) name: LitStr,
    /// Where the runtime is: `crate = ".."`, or `::lifespan`.
    pub(crate) krate: Path,
    pub(crate) returns: Returns,
    pub(crate) startup_timeout: Option<Duration>,
    pub(crate) shutdown_timeout: Option<Duration>,
}

/// The types in `impl Lifespan<Value = .., Error = ..>`, and the body's output.
pub(crate) struct Types {
    pub(crate) value: Type,
    pub(crate) error: Type,
    pub(crate) output: Type,
}

impl Outline {
    pub(crate) fn new(item: &ItemFn, args: Args) -> Outline {
        let ident = &item.sig.ident;
        Outline {
            attrs: item.attrs.clone(),
            vis: item.vis.clone(),
            sig: item.sig.clone(),
            name: args
                .name
                .unwrap_or_else(|| LitStr::new(&ident.to_string(), ident.span())),
            krate: args.krate.unwrap_or_else(|| parse_quote!(::lifespan)),
            returns: Returns::of(&item.sig.output),
            startup_timeout: args.startup_timeout,
            shutdown_timeout: args.shutdown_timeout,
        }
    }

    pub(crate) fn types(&self) -> Types {
        let krate = &self.krate;
        match &self.returns {
            Returns::Fallible {
                value,
                output,
                error,
            } => Types {
                value: value.clone(),
                error: error.clone().unwrap_or_else(
                    || parse_quote!(<#output as #krate::__private::ResultOutput>::Err),
                ),
                output: output.clone(),
            },
            Returns::Infallible { value } => Types {
                value: value.clone(),
                error: parse_quote!(::core::convert::Infallible),
                output: parse_quote!(()),
            },
        }
    }

    /// The generated fn up to its body: not async, returning `impl Lifespan`.
    pub(crate) fn signature(&self) -> TokenStream {
        let Outline {
            attrs,
            vis,
            sig,
            krate,
            ..
        } = self;
        let (ident, generics, inputs) = (&sig.ident, &sig.generics, &sig.inputs);
        let where_clause = &generics.where_clause;
        let Types { value, error, .. } = self.types();
        quote! {
            #(#attrs)*
            #vis fn #ident #generics (#inputs) -> impl #krate::Lifespan<Value = #value, Error = #error>
            #where_clause
        }
    }
}
