//! What a `#[lifespan]` fn with a mistake expands to, next to the errors: the same
//! outline with a body that type-checks, so that callers see the intended signature
//! and one mistake gives one error.

use proc_macro2::TokenStream;
use quote::quote;

use crate::marker;
use crate::outline::{Outline, Types};

/// `body` is the user's, as tokens: only the path of its first `yield_app!` is kept,
/// called with an arm that expands to nothing, so that the import stays used.
pub(crate) fn lifespan(outline: &Outline, body: &TokenStream) -> TokenStream {
    let Outline { krate, name, .. } = outline;
    let signature = outline.signature();
    let Types { value, output, .. } = outline.types();
    let mut first_path = None;
    marker::calls_anywhere(body.clone(), &mut |call| {
        first_path.get_or_insert(call.path);
    });
    let keep_import = first_path.map(|path| quote!(#path!(@__lifespan_unused);));
    quote! {
        #[allow(unused_variables)]
        #signature {
            #keep_import
            #krate::__private::placeholder::<#value, #output>(#name)
        }
    }
}
