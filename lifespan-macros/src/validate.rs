//! Checking a fn against the rules of its attribute (DESIGN.md sections 4, 7 and 8):
//! every mistake is reported at the user's tokens with what to write instead, and all
//! of them together.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Expr, ReturnType, Safety, Signature, Type};

use crate::attribute::Attribute;
use crate::errors::Errors;
use crate::parse::{Body, ItemFn};
use crate::returns::{Exit, Returns};
use crate::rules::{early_returns, first_question_mark, nested_yields};
use crate::split::{Split, top_level_yield};

/// A body that broke no rule, as the expansion takes it.
pub(crate) enum Checked {
    /// `#[lifespan]` and `#[lifespan::main]`: cut at its `yield_app!`.
    Halves(Split),
    /// `#[lifespan::test]`: run as it is.
    Whole(TokenStream),
}

/// Reports every mistake in `item` under `attribute`. `None` when the body cannot be
/// expanded: the reason is in `errors`, or the body is half-typed and rustc reports it.
pub(crate) fn item(item: &ItemFn, attribute: Attribute, errors: &mut Errors) -> Option<Checked> {
    let sig = &item.sig;
    signature(sig, attribute, errors);
    match attribute {
        Attribute::Lifespan => {}
        Attribute::Main => main_signature(sig, errors),
        Attribute::Test => test_signature(item, errors),
    }
    question_marks(item, attribute, errors);
    match attribute {
        Attribute::Test => Some(Checked::Whole(item.body.tokens.clone())),
        Attribute::Lifespan | Attribute::Main => {
            body(&item.body, sig.ident.span(), attribute, errors).map(Checked::Halves)
        }
    }
}

/// What every attribute needs: a plain `async fn`.
fn signature(sig: &Signature, attribute: Attribute, errors: &mut Errors) {
    let subject = attribute.subject();
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            format!("{subject} cannot be a `const fn`: remove `const`"),
        ));
    }
    if let Safety::Unsafe(unsafety) = &sig.safety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            format!(
                "{subject} cannot be an `unsafe fn`: remove `unsafe` and keep the unsafe block inside"
            ),
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            format!("{subject} cannot have an `extern` ABI: remove it"),
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

/// `restart = ".."`: each instance is made again from the arguments, cloned, so they
/// are owned: no receiver, no references.
pub(crate) fn restartable(sig: &Signature, errors: &mut Errors) {
    for input in &sig.inputs {
        match input {
            syn::FnArg::Receiver(receiver) => errors.push(syn::Error::new_spanned(
                receiver,
                "a lifespan that restarts is made again from its arguments, so it cannot \
                 take `self`: make it a free fn that takes what it needs, owned",
            )),
            syn::FnArg::Typed(typed) => {
                if !matches!(&*typed.pat, syn::Pat::Ident(_)) {
                    errors.push(syn::Error::new_spanned(
                        &typed.pat,
                        "a lifespan that restarts clones each argument by its name for every \
                         instance: name it (`config: Config`) and take it apart in the body",
                    ));
                }
                if let Type::Reference(reference) = &*typed.ty {
                    errors.push(syn::Error::new_spanned(
                        reference,
                        "a lifespan that restarts keeps its arguments for every instance, so \
                         it cannot borrow them: take an owned value (`String` for `&str`, an \
                         `Arc` for a shared one)",
                    ));
                }
            }
        }
    }
}

/// `async fn main()`, returning what a service's `main` can return.
fn main_signature(sig: &Signature, errors: &mut Errors) {
    if sig.ident != "main" {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "#[lifespan::main] goes on `fn main`: rename it `main`, or write #[lifespan] to make it a lifespan",
        ));
    }
    entry_point(
        sig,
        Attribute::Main,
        "read arguments with `std::env::args()`",
        errors,
    );
    if let Exit::Other(ty) = Exit::of(&sig.output) {
        errors.push(syn::Error::new_spanned(
            ty,
            "#[lifespan::main] returns `()`, `ExitCode` or `Result<(), E>` where `E: From<lifespan::Error>`: return one of those",
        ));
    }
}

/// A test with no parameters and no second `#[test]`.
fn test_signature(item: &ItemFn, errors: &mut Errors) {
    entry_point(
        &item.sig,
        Attribute::Test,
        "build what it needs in its body",
        errors,
    );
    for attr in &item.attrs {
        // `#[test]`, `#[tokio::test]`, a second `#[lifespan::test]`.
        if attr
            .path()
            .segments
            .last()
            .is_some_and(|last| last.ident == "test")
        {
            errors.push(syn::Error::new_spanned(
                attr,
                "#[lifespan::test] already makes this a test: remove this attribute",
            ));
        }
    }
}

/// Reports parameters and generic parameters, which an entry point (`main`, a test)
/// cannot have; `instead` says how to do without.
fn entry_point(sig: &Signature, attribute: Attribute, instead: &str, errors: &mut Errors) {
    let subject = attribute.subject();
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

/// Reports the first `?` in a body whose output cannot take it, with the return type
/// that can. Once is enough: the one fix makes every `?` work.
fn question_marks(item: &ItemFn, attribute: Attribute, errors: &mut Errors) {
    let Ok(stmts) = &item.body.stmts else { return };
    let output = &item.sig.output;
    let message = match attribute {
        Attribute::Lifespan => match Returns::of(output) {
            Returns::Fallible { .. } => return,
            Returns::Infallible { value } => format!(
                "`?` needs a lifespan that can fail: declare `-> Result<{}, E>`, where `E` is the error `?` converts into",
                written(&value)
            ),
        },
        Attribute::Main => match Exit::of(output) {
            // Reported already, at the type.
            Exit::Result(_) | Exit::Other(_) => return,
            Exit::Unit | Exit::Code(_) => {
                "`?` needs `main` to return a `Result`: declare `-> Result<(), E>` where `E: From<lifespan::Error>`, such as `anyhow::Result<()>`".to_owned()
            }
        },
        Attribute::Test => match output {
            ReturnType::Default => {
                "`?` needs the test to return a `Result`: declare `-> Result<(), E>`, such as `Result<(), lifespan::Error>`".to_owned()
            }
            ReturnType::Type(..) => return,
        },
    };
    if let Some(question_mark) = first_question_mark(stmts) {
        errors.push(syn::Error::new(question_mark, message));
    }
}

/// `ty` as a person writes it: `Vec<u8>`, not `Vec < u8 >`.
fn written(ty: &Type) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (spaced, tight) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& ", "&"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}

/// The body cut at its one top-level `yield_app!`, after reporting every misplaced,
/// missing or repeated one and every `return` in the startup half that is not
/// `return Err(..)`. `None` when it cannot be cut; the reason is in `errors`.
///
/// A body that does not parse yet is cut by its tokens and checked no further: rustc
/// reports its syntax error, and the expansion keeps its tokens for rust-analyzer.
/// `None` then means it has no top-level `yield_app!` yet, and nothing is reported.
fn body(body: &Body, name: Span, attribute: Attribute, errors: &mut Errors) -> Option<Split> {
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
                Attribute::Lifespan | Attribute::Test => {
                    "this lifespan has no `yield_app!`: write `yield_app!(value);` where startup ends and the app runs"
                }
            };
            errors.push(syn::Error::new(name, message));
        }
        return None;
    };
    let call = top_level_yield(&stmts[index]).expect("found above");
    if !call.tokens.is_empty() {
        if attribute == Attribute::Main {
            errors.push(syn::Error::new_spanned(
                &call.tokens,
                "main's `yield_app!()` takes no value: the service runs until shutdown; remove the value",
            ));
        } else if let Err(error) = call.parse_body::<Expr>() {
            errors.push(syn::Error::new(
                error.span(),
                "`yield_app!` takes one value: write `yield_app!(value)`, or `yield_app!()` to hand over `()`",
            ));
        }
    }
    early_returns(&stmts[..index], errors);
    Some(Split::at_stmt(stmts, index))
}
