//! The body of a `#[lifespan]` fn cut at its yield point: the startup half, the
//! `yield_app!` call, the shutdown half.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Expr, Macro, Stmt};

use crate::marker::{self, is_yield_app};

/// A body cut in two at its `yield_app!`.
pub(crate) struct Split {
    pub(crate) startup: TokenStream,
    pub(crate) yield_point: YieldPoint,
    pub(crate) shutdown: TokenStream,
    /// Whether the body parsed; `false` while it is half-typed.
    pub(crate) parsed: bool,
}

/// The `yield_app!` call.
pub(crate) struct YieldPoint {
    /// The path the user wrote (`yield_app`, `lifespan::yield_app`): the expansion calls
    /// it back, so that the user's import is used.
    pub(crate) path: syn::Path,
    /// The yielded expression; empty for `yield_app!()`.
    pub(crate) value: TokenStream,
}

/// The `yield_app!(..)` call, if `stmt` is one, as a statement or as the tail.
pub(crate) fn top_level_yield(stmt: &Stmt) -> Option<&Macro> {
    let call = match stmt {
        Stmt::Macro(stmt) => &stmt.mac,
        Stmt::Expr(Expr::Macro(expr), _) => &expr.mac,
        _ => return None,
    };
    is_yield_app(&call.path).then_some(call)
}

impl Split {
    /// Cuts parsed statements at `stmts[index]`, which is a top-level `yield_app!`.
    pub(crate) fn at_stmt(stmts: &[Stmt], index: usize) -> Split {
        let call = top_level_yield(&stmts[index]).expect("the caller found it");
        Split {
            startup: stmts[..index]
                .iter()
                .map(ToTokens::to_token_stream)
                .collect(),
            yield_point: YieldPoint {
                path: call.path.clone(),
                value: call.tokens.clone(),
            },
            shutdown: stmts[index + 1..]
                .iter()
                .map(ToTokens::to_token_stream)
                .collect(),
            parsed: true,
        }
    }

    /// Cuts a body that does not parse at the first `yield_app!` that starts a
    /// statement at its top level, found in its tokens.
    pub(crate) fn in_tokens(tokens: &TokenStream) -> Option<Split> {
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let call = marker::calls(&trees)
            .into_iter()
            .find(|call| call.starts_statement)?;
        Some(Split {
            startup: trees[..call.start].iter().cloned().collect(),
            yield_point: YieldPoint {
                path: call.path,
                value: call.args,
            },
            shutdown: trees[call.end..].iter().cloned().collect(),
            parsed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;
    use syn::parse::Parser;

    #[test]
    fn parsed_and_token_cuts_agree() {
        let body = quote!(let pool = open(); yield_app!(pool.clone()); pool.close(););
        let stmts = syn::Block::parse_within.parse2(body.clone()).unwrap();
        for split in [
            Split::at_stmt(&stmts, 1),
            Split::in_tokens(&body).expect("has a yield"),
        ] {
            assert_eq!(split.startup.to_string(), "let pool = open () ;");
            assert_eq!(split.yield_point.value.to_string(), "pool . clone ()");
            assert_eq!(split.shutdown.to_string(), "pool . close () ;");
        }
    }

    #[test]
    fn a_half_typed_body_is_cut_at_its_first_statement_yield() {
        let split = Split::in_tokens(&quote!(let x = ; let y = yield_app!(1); yield_app!(); z))
            .expect("the second is a statement");
        assert_eq!(
            split.startup.to_string(),
            "let x = ; let y = yield_app ! (1) ;"
        );
        assert!(split.yield_point.value.is_empty());
        assert_eq!(split.shutdown.to_string(), "z");
    }
}
