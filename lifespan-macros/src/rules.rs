//! The body rules of DESIGN.md section 4 that need a walk through the statements:
//! no `yield_app!` below the top level, no `return` before it that is not an error.

use proc_macro2::TokenStream;
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
