//! What a `#[lifespan]` fn with a mistake expands to, next to the errors: the same
//! outline with a body that type-checks, so that callers see the intended signature
//! and one mistake gives one error.

use proc_macro2::TokenStream;
use quote::quote;

use crate::marker;
use crate::outline::{Outline, Types};

/// `body` is the user's, as tokens: only its first `yield_app!` is kept, see
/// [`keep_import`].
pub(crate) fn lifespan(outline: &Outline, body: &TokenStream) -> TokenStream {
    let Outline { krate, name, .. } = outline;
    let signature = outline.signature();
    let Types { value, output, .. } = outline.types();
    let keep_import = keep_import(body);
    quote! {
        #[allow(unused_variables)]
        #signature {
            #keep_import
            #krate::__private::placeholder::<#value, #output>(#name)
        }
    }
}

/// `path!(@__lifespan_unused);` for the first `yield_app!` written in `body`, however
/// misplaced: it expands to nothing and keeps the user's import in use.
pub(crate) fn keep_import(body: &TokenStream) -> Option<TokenStream> {
    let mut first_path = None;
    marker::calls_anywhere(body.clone(), &mut |call| {
        first_path.get_or_insert(call.path);
    });
    first_path.map(|path| quote!(#path!(@__lifespan_unused);))
}
