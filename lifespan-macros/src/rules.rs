//! The body rules that need a walk through the statements: no `yield_app!` below the
//! top level, no `return` before it that is not an error (DESIGN.md section 4), and no
//! `?` in a body whose output cannot take it.

use proc_macro2::{Span, TokenStream};
use syn::visit::Visit;
use syn::{Expr, Macro, Stmt};

use crate::errors::Errors;
use crate::marker::{self, is_yield_app};
use crate::split::top_level_yield;

const NESTED: &str = "`yield_app!` must be a statement at the top level of the lifespan's body, \
                      not inside a block, `if`, `match`, loop, closure, async block or another macro: \
                      move it out, so that startup always reaches it exactly once";

const EARLY_RETURN: &str = "a lifespan must reach `yield_app!`: this `return` would end startup \
                            without it; fail startup with `?` or `return Err(..)`";

/// Reports every `yield_app!` in `stmts` that is not a top-level statement, at that
/// call; returns whether there was one.
pub(crate) fn nested_yields(stmts: &[Stmt], errors: &mut Errors) -> bool {
    let mut finder = NestedYield {
        errors,
        found: false,
    };
    for stmt in stmts {
        match top_level_yield(stmt) {
            // Its own arguments may still hide one.
            Some(call) => finder.scan(call.tokens.clone()),
            None => finder.visit_stmt(stmt),
        }
    }
    finder.found
}

/// Reports every `return` in the startup half `stmts` that is not `return Err(..)`;
/// closures, async blocks and nested items have returns of their own.
pub(crate) fn early_returns(stmts: &[Stmt], errors: &mut Errors) {
    let mut finder = EarlyReturn { errors };
    for stmt in stmts {
        finder.visit_stmt(stmt);
    }
}

/// The first `?` that would leave the body itself: `?` inside a closure, an async
/// block, a `try` block or a nested item leaves that instead. A top-level
/// `yield_app!(value)` counts, since its value is evaluated in the body; other macros'
/// arguments are not looked into, as they may wrap them in a closure of their own.
pub(crate) fn first_question_mark(stmts: &[Stmt]) -> Option<Span> {
    let mut finder = QuestionMark { first: None };
    for stmt in stmts {
        match top_level_yield(stmt) {
            Some(call) => {
                if let Ok(value) = call.parse_body::<Expr>() {
                    finder.visit_expr(&value);
                }
            }
            None => finder.visit_stmt(stmt),
        }
    }
    finder.first
}

struct NestedYield<'a> {
    errors: &'a mut Errors,
    found: bool,
}

impl NestedYield<'_> {
    /// Looks inside the tokens of a macro call, which syn does not parse.
    fn scan(&mut self, tokens: TokenStream) {
        marker::calls_anywhere(tokens, &mut |call| {
            let at = call
                .path
                .segments
                .last()
                .expect("a yield_app path")
                .ident
                .span();
            self.errors.push(syn::Error::new(at, NESTED));
            self.found = true;
        });
    }
}

impl<'ast> Visit<'ast> for NestedYield<'_> {
    fn visit_macro(&mut self, call: &'ast Macro) {
        if is_yield_app(&call.path) {
            self.errors.push(syn::Error::new_spanned(call, NESTED));
            self.found = true;
        }
        self.scan(call.tokens.clone());
    }
}

struct EarlyReturn<'a> {
    errors: &'a mut Errors,
}

impl<'ast> Visit<'ast> for EarlyReturn<'_> {
    fn visit_expr_return(&mut self, expr: &'ast syn::ExprReturn) {
        let returns_err = match expr.expr.as_deref() {
            Some(Expr::Call(call)) => matches!(
                &*call.func,
                Expr::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Err")
            ),
            _ => false,
        };
        if !returns_err {
            self.errors
                .push(syn::Error::new_spanned(expr, EARLY_RETURN));
        }
    }

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

struct QuestionMark {
    first: Option<Span>,
}

impl<'ast> Visit<'ast> for QuestionMark {
    fn visit_expr_try(&mut self, expr: &'ast syn::ExprTry) {
        // The inner expression first: in `a?.b()?` the first `?` is `a`'s.
        self.visit_expr(&expr.expr);
        self.first.get_or_insert(expr.question_token.spans[0]);
    }

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_expr_try_block(&mut self, _: &'ast syn::ExprTryBlock) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;
    use syn::parse::Parser;

    /// Whether the body has a `?` that would return from the body itself.
    fn has_its_own(body: proc_macro2::TokenStream) -> bool {
        let stmts = syn::Block::parse_within.parse2(body).unwrap();
        first_question_mark(&stmts).is_some()
    }

    #[test]
    fn a_question_mark_in_its_own_output_is_not_the_bodys() {
        assert!(!has_its_own(quote! {
            let a = || f()?;
            let b = async { f()? };
            let c = async move |x| f(x)?;
            fn d() -> R { f()? }
            // Not looked into: another macro may wrap its arguments in a closure.
            println!("{}", f()?);
            yield_app!(a);
        }));
    }

    #[test]
    fn a_question_mark_anywhere_else_is_the_bodys() {
        for body in [
            quote!(let a = f()?; yield_app!(a);),
            quote!(if ready { loop { g()?; } } yield_app!();),
            quote!(yield_app!(f()?);),
            quote!(yield_app!(); close()?;),
            quote!(match x { _ => { f()? } } yield_app!();),
        ] {
            assert!(has_its_own(body.clone()), "{body}");
        }
    }

    /// How many early returns the startup half `stmts` reports.
    fn early(stmts: proc_macro2::TokenStream) -> usize {
        let stmts = syn::Block::parse_within.parse2(stmts).unwrap();
        let mut errors = Errors::default();
        early_returns(&stmts, &mut errors);
        errors.finish().map_or(0, |error| error.into_iter().count())
    }

    #[test]
    fn a_startup_may_return_only_an_error_of_its_own() {
        assert_eq!(
            early(quote!(if bad {
                return Err(e);
            })),
            0
        );
        assert_eq!(early(quote!(return std::result::Result::Err(e.into());)), 0);
        assert_eq!(
            early(quote!(let f = || { return 1; }; let g = async { return 2; };)),
            0
        );
        assert_eq!(
            early(quote!(if done {
                return Ok(());
            })),
            1
        );
        assert_eq!(early(quote!(return;)), 1);
        assert_eq!(early(quote!(return make_err(e);)), 1);
        assert_eq!(
            early(quote!(if a {
                return;
            } else {
                return Ok(v);
            })),
            2
        );
    }
}
