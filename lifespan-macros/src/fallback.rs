//! What a fn with a mistake expands to, next to the errors: the same outline with a body
//! that type-checks, so that callers see the intended signature and one mistake gives
//! one error.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attribute::Attribute;
use crate::marker;
use crate::outline::{Outline, Types};

/// `body` is the user's, as tokens: only its first `yield_app!` is kept, see
/// [`keep_import`].
pub(crate) fn item(outline: &Outline, body: &TokenStream) -> TokenStream {
    let signature = outline.signature();
    let keep_import = keep_import(body);
    let stub = match outline.attribute {
        Attribute::Lifespan => {
            let krate = &outline.krate;
            let name = outline.name();
            let Types { value, output, .. } = outline.types();
            match outline.args.restart {
                // The signature promises what `supervised` hands out.
                Some(_) => quote!(#krate::__private::placeholder::<
                    #krate::Follow<#value>,
                    ::core::result::Result<(), #krate::Error>,
                >(#name)),
                None => quote!(#krate::__private::placeholder::<#value, #output>(#name)),
            }
        }
        Attribute::Main | Attribute::Test => {
            let message = format!("{} did not compile", outline.attribute.written());
            quote!(::core::unimplemented!(#message))
        }
    };
    quote! {
        #[allow(unused_variables)]
        #signature {
            #keep_import
            #stub
        }
    }
}

/// `path!(@__lifespan_unused);` for the first `yield_app!` written in `body`, however
/// misplaced: it expands to nothing and keeps the user's import in use.
fn keep_import(body: &TokenStream) -> Option<TokenStream> {
    let mut first_path = None;
    marker::calls_anywhere(body.clone(), &mut |call| {
        first_path.get_or_insert(call.path);
    });
    first_path.map(|path| quote!(#path!(@__lifespan_unused);))
}
