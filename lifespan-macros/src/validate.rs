//! Checking a `#[lifespan]` fn against DESIGN.md section 4: every mistake is reported
//! at the user's tokens with what to write instead, and all of them together.

use proc_macro2::Span;
use syn::{Expr, Safety, Signature};

use crate::args::Attribute;
use crate::errors::Errors;
use crate::parse::Body;
use crate::rules::{early_returns, nested_yields};
use crate::split::{Split, top_level_yield};

/// Reports what makes `sig` unfit for a lifespan: it must be a plain `async fn`.
pub(crate) fn signature(sig: &Signature, attribute: Attribute, errors: &mut Errors) {
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            "a lifespan cannot be a `const fn`: remove `const`",
        ));
    }
    if let Safety::Unsafe(unsafety) = &sig.safety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            "a lifespan cannot be an `unsafe fn`: remove `unsafe` and keep the unsafe block inside",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "a lifespan cannot have an `extern` ABI: remove it",
        ));
    }
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            format!(
                "{} needs an `async fn`: write `async fn`",
                attribute.written()
            ),
        ));
    }
}

/// Reports parameters and generic parameters, which an entry point (`main`, a test)
/// cannot have: `subject` is how messages name it, `instead` how to do without.
pub(crate) fn entry_point(sig: &Signature, subject: &str, instead: &str, errors: &mut Errors) {
    if !sig.inputs.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!("{subject} takes no parameters: remove them, and {instead}"),
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!("{subject} cannot be generic: remove the generic parameters"),
        ));
    }
}

/// The body cut at its one top-level `yield_app!`, after reporting every misplaced,
/// missing or repeated one and every `return` in the startup half that is not
/// `return Err(..)`. `None` when it cannot be cut; the reason is in `errors`.
///
/// A body that does not parse yet is cut by its tokens and checked no further: rustc
/// reports its syntax error, and the expansion keeps its tokens for rust-analyzer.
/// `None` then means it has no top-level `yield_app!` yet, and nothing is reported.
pub(crate) fn body(
    body: &Body,
    name: Span,
    attribute: Attribute,
    errors: &mut Errors,
) -> Option<Split> {
    let stmts = match &body.stmts {
        Ok(stmts) => stmts,
        // rustc has reported the syntax error already, when it parsed the item.
        Err(_) => return Split::in_tokens(&body.tokens),
    };
    let mut at_top = stmts
        .iter()
        .enumerate()
        .filter(|(_, stmt)| top_level_yield(stmt).is_some())
        .map(|(index, _)| index);
    let first = at_top.next();
    for second in at_top {
        errors.push(syn::Error::new_spanned(
            &stmts[second],
            "a lifespan has exactly one `yield_app!`: the startup half ends at the first one; remove this one",
        ));
    }
    let nested = nested_yields(stmts, errors);
    let Some(index) = first else {
        // A nested one has been reported already, with its fix: one mistake, one error.
        if !nested {
            let message = match attribute {
                Attribute::Main => {
                    "this main has no `yield_app!()`: write `yield_app!();` where startup ends and the service runs until shutdown"
                }
                _ => {
                    "this lifespan has no `yield_app!`: write `yield_app!(value);` where startup ends and the app runs"
                }
            };
            errors.push(syn::Error::new(name, message));
        }
        return None;
    };
    let call = top_level_yield(&stmts[index]).expect("found above");
    if !call.tokens.is_empty() {
        errors.or_default(call.parse_body::<Expr>().map(drop));
    }
    early_returns(&stmts[..index], errors);
    Some(Split::at_stmt(stmts, index))
}
