//! What the generated fn looks like from outside: its attributes and signature. Both
//! the expansion and the fallback emit it, so callers see the same fn whether or not
//! the body has a mistake.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{LitStr, Path, ReturnType, Signature, Type, Visibility, parse_quote};

use crate::args::Args;
use crate::attribute::Attribute;
use crate::parse::ItemFn;
use crate::returns::{Exit, Returns};

pub(crate) struct Outline {
    pub(crate) attribute: Attribute,
    /// Outer attributes, then the body's inner ones.
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// Where the runtime is: `crate = ".."`, or `::lifespan`.
    pub(crate) krate: Path,
    pub(crate) args: Args,
}

/// The types in `impl Lifespan<Value = .., Error = ..>`, and the body's output.
pub(crate) struct Types {
    pub(crate) value: Type,
    pub(crate) error: Type,
    pub(crate) output: Type,
}

impl Outline {
    pub(crate) fn new(item: &ItemFn, args: Args, attribute: Attribute) -> Outline {
        Outline {
            attribute,
            attrs: item.attrs.clone(),
            vis: item.vis.clone(),
            sig: item.sig.clone(),
            krate: args.krate(),
            args,
        }
    }

    /// What the runtime calls a lifespan: `name = ".."`, or the fn's name.
    pub(crate) fn name(&self) -> LitStr {
        let ident = &self.sig.ident;
        self.args
            .name
            .clone()
            .unwrap_or_else(|| LitStr::new(&ident.to_string(), ident.span()))
    }

    /// The types of a `#[lifespan]` fn.
    pub(crate) fn types(&self) -> Types {
        let krate = &self.krate;
        match Returns::of(&self.sig.output) {
            Returns::Fallible {
                value,
                output,
                error,
            } => Types {
                value,
                error: error.unwrap_or_else(
                    || parse_quote!(<#output as #krate::__private::ResultOutput>::Err),
                ),
                output,
            },
            Returns::Infallible { value } => Types {
                value,
                error: parse_quote!(::core::convert::Infallible),
                output: parse_quote!(()),
            },
        }
    }

    /// What the generated `fn main` returns: the type as written, or `ExitCode` for `()`
    /// (and, in the fallback, for a type `main` cannot return).
    pub(crate) fn exit(&self) -> Type {
        match Exit::of(&self.sig.output) {
            Exit::Code(ty) | Exit::Result(ty) => ty,
            Exit::Unit | Exit::Other(_) => parse_quote!(::std::process::ExitCode),
        }
    }

    /// What a test returns, as written.
    pub(crate) fn test_output(&self) -> Type {
        match &self.sig.output {
            ReturnType::Default => parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        }
    }

    /// The generated fn up to its body. A lifespan: the same name and parameters, not
    /// async, returning `impl Lifespan` (which is `#[must_use]` through the trait, with
    /// the fix in its message). `main` and a test: no
    /// parameters, returning what the runtime's entry point returns.
    pub(crate) fn signature(&self) -> TokenStream {
        let Outline {
            attrs,
            vis,
            sig,
            krate,
            ..
        } = self;
        let ident = &sig.ident;
        match self.attribute {
            Attribute::Lifespan => {
                let generics = &sig.generics;
                let mut inputs = sig.inputs.clone();
                if self.args.restart.is_some() {
                    // Each instance takes its own clone, which is `mut` there; the
                    // argument itself is only cloned from.
                    for input in &mut inputs {
                        if let syn::FnArg::Typed(typed) = input {
                            if let syn::Pat::Ident(pat) = &mut *typed.pat {
                                pat.mutability = None;
                            }
                        }
                    }
                }
                let where_clause = &generics.where_clause;
                let Types { value, error, .. } = self.types();
                // At the user's return type: rustc labels it "the found opaque type"
                // when the lifespan is used where its value was meant.
                let at = match &sig.output {
                    ReturnType::Type(_, ty) => ty.span(),
                    ReturnType::Default => ident.span(),
                };
                let returns = match self.args.restart {
                    // Supervised: its holders follow the restarts.
                    Some(_) => quote_spanned! {at=>
                        impl #krate::Lifespan<Value = #krate::Follow<#value>, Error = #krate::Error>
                    },
                    None => quote_spanned! {at=>
                        impl #krate::Lifespan<Value = #value, Error = #error>
                    },
                };
                quote! {
                    #(#attrs)*
                    #vis fn #ident #generics (#inputs) -> #returns
                    #where_clause
                }
            }
            Attribute::Main => {
                let exit = self.exit();
                quote! {
                    #(#attrs)*
                    #vis fn #ident() -> #exit
                }
            }
            Attribute::Test => {
                let output = self.test_output();
                quote! {
                    #[::core::prelude::v1::test]
                    #(#attrs)*
                    #vis fn #ident() -> #output
                }
            }
        }
    }
}
