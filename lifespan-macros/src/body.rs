//! The body of a `#[lifespan]` fn: split at its one top-level `yield_app!`, and checked.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Block, Expr, Macro, Stmt};

use crate::errors::Errors;

/// The body, split at its yield point.
pub(crate) struct Split {
    pub(crate) startup: Vec<Stmt>,
    /// The yielded expression; `None` for `yield_app!()`.
    pub(crate) value: Option<Expr>,
    /// The path the user wrote (`yield_app`, `lifespan::yield_app`): the expansion calls
    /// it back, so that the user's import is used.
    pub(crate) yield_path: syn::Path,
    pub(crate) shutdown: Vec<Stmt>,
}

/// Splits `block` at its top-level `yield_app!`, reporting every misplaced, missing or
/// repeated one, and every `return` in the startup half that is not `return Err(..)`.
pub(crate) fn split(block: &Block, signature_span: Span, errors: &mut Errors) -> Option<Split> {
    let at_top: Vec<usize> = block
        .stmts
        .iter()
        .enumerate()
        .filter(|(_, stmt)| top_level_yield(stmt).is_some())
        .map(|(index, _)| index)
        .collect();
    for &index in at_top.iter().skip(1) {
        errors.push(syn::Error::new(
            block.stmts[index].span(),
            "a lifespan has exactly one `yield_app!`: the startup half ends at the first one; remove this one",
        ));
    }
    let mut finder = NestedYield {
        errors: &mut *errors,
        found: None,
    };
    for (index, stmt) in block.stmts.iter().enumerate() {
        match top_level_yield(stmt) {
            Some(call) if at_top.contains(&index) => finder.scan(call.tokens.clone()),
            _ => finder.visit_stmt(stmt),
        }
    }
    let nested = finder.found.is_some();
    let Some(&index) = at_top.first() else {
        // A nested one has been reported already, with its fix: one mistake, one error.
        if !nested {
            errors.push(syn::Error::new(
                signature_span,
                "this lifespan has no `yield_app!`: write `yield_app!(value);` where startup ends and the app runs",
            ));
        }
        return None;
    };
    let call = top_level_yield(&block.stmts[index]).expect("found above");
    let value = if call.tokens.is_empty() {
        None
    } else {
        match call.parse_body::<Expr>() {
            Ok(value) => Some(value),
            Err(error) => {
                errors.push(error);
                return None;
            }
        }
    };
    let startup = block.stmts[..index].to_vec();
    let mut returns = EarlyReturn {
        errors: &mut *errors,
    };
    for stmt in &startup {
        returns.visit_stmt(stmt);
    }
    Some(Split {
        startup,
        value,
        yield_path: call.path.clone(),
        shutdown: block.stmts[index + 1..].to_vec(),
    })
}

/// The `yield_app!(..)` call, if `stmt` is one (as a statement or as the tail).
fn top_level_yield(stmt: &Stmt) -> Option<&Macro> {
    let call = match stmt {
        Stmt::Macro(stmt) => &stmt.mac,
        Stmt::Expr(Expr::Macro(expr), _) => &expr.mac,
        _ => return None,
    };
    is_yield(call).then_some(call)
}

fn is_yield(call: &Macro) -> bool {
    call.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "yield_app")
}

/// Reports every `yield_app!` it meets: it visits only what is not the top-level one.
struct NestedYield<'a> {
    errors: &'a mut Errors,
    /// The path of the first one met.
    found: Option<syn::Path>,
}

/// The path of the first `yield_app!` written anywhere in `block`, even where it is not
/// allowed: the fallback expansion refers to it, so that the user's import stays used.
pub(crate) fn any_yield_path(block: &Block) -> Option<syn::Path> {
    let mut ignored = Errors::default();
    let mut finder = NestedYield {
        errors: &mut ignored,
        found: None,
    };
    finder.visit_block(block);
    finder.found
}

const NESTED: &str = "`yield_app!` must be a statement at the top level of the lifespan's body, \
                      not inside a block, `if`, `match`, loop, closure, async block or another macro: \
                      move it out, so that startup always reaches it exactly once";

impl NestedYield<'_> {
    /// Looks for `yield_app!` inside the tokens of a macro call that syn cannot see into.
    fn scan(&mut self, tokens: TokenStream) {
        let mut previous: Option<proc_macro2::Ident> = None;
        for token in tokens {
            match token {
                TokenTree::Punct(punct) if punct.as_char() == '!' => {
                    if let Some(ident) = previous.take().filter(|ident| ident == "yield_app") {
                        self.errors.push(syn::Error::new(ident.span(), NESTED));
                        self.found.get_or_insert_with(|| ident.into());
                    }
                }
                TokenTree::Ident(ident) => previous = Some(ident),
                TokenTree::Group(group) => {
                    previous = None;
                    self.scan(group.stream());
                }
                _ => previous = None,
            }
        }
    }
}

impl<'ast> Visit<'ast> for NestedYield<'_> {
    fn visit_macro(&mut self, call: &'ast Macro) {
        if is_yield(call) {
            self.errors.push(syn::Error::new(call.span(), NESTED));
            self.found.get_or_insert_with(|| call.path.clone());
        }
        self.scan(call.tokens.clone());
    }
}

/// Reports a `return` in the startup half that is not `return Err(..)`; closures, async
/// blocks and nested items have returns of their own.
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
            self.errors.push(syn::Error::new(
                expr.span(),
                "a lifespan must reach `yield_app!`: this `return` would end startup without it; \
                 fail startup with `?` or `return Err(..)`",
            ));
        }
    }

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
