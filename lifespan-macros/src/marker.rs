//! Finding `yield_app!` calls in tokens syn does not parse for us: another macro's
//! arguments, or a body that is still half-typed.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// One `path!(..)` call whose path ends in `yield_app`, at one level of a token stream.
pub(crate) struct Call {
    /// Index of the path's first token.
    pub(crate) start: usize,
    /// Index one past the call, and past its `;` if it has one.
    pub(crate) end: usize,
    pub(crate) path: syn::Path,
    pub(crate) args: TokenStream,
    /// Whether it begins a statement: it comes first, or after a `;` or a `{ .. }`.
    pub(crate) starts_statement: bool,
}

/// Whether `path` names `yield_app`, however it is qualified.
pub(crate) fn is_yield_app(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|segment| segment.ident == "yield_app")
}

/// The calls at the top level of `trees`, in order; groups are not entered.
pub(crate) fn calls(trees: &[TokenTree]) -> Vec<Call> {
    let mut found = Vec::new();
    for bang in 1..trees.len() {
        let (TokenTree::Punct(punct), Some(TokenTree::Group(args))) =
            (&trees[bang], trees.get(bang + 1))
        else {
            continue;
        };
        if punct.as_char() != '!' || !matches!(&trees[bang - 1], TokenTree::Ident(_)) {
            continue;
        }
        let start = path_start(trees, bang - 1);
        let Ok(path) = syn::parse2::<syn::Path>(trees[start..bang].iter().cloned().collect())
        else {
            continue;
        };
        if !is_yield_app(&path) {
            continue;
        }
        let starts_statement = match start.checked_sub(1).map(|before| &trees[before]) {
            None => true,
            Some(TokenTree::Punct(punct)) => punct.as_char() == ';',
            Some(TokenTree::Group(group)) => group.delimiter() == Delimiter::Brace,
            Some(_) => false,
        };
        let semicolon =
            matches!(trees.get(bang + 2), Some(TokenTree::Punct(p)) if p.as_char() == ';');
        found.push(Call {
            start,
            end: bang + 2 + usize::from(semicolon),
            path,
            args: args.stream(),
            starts_statement,
        });
    }
    found
}

/// Every call in `tokens`, inside groups too, in order of appearance.
pub(crate) fn calls_anywhere(tokens: TokenStream, each: &mut dyn FnMut(Call)) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut calls = calls(&trees).into_iter().peekable();
    for (index, tree) in trees.iter().enumerate() {
        if calls.peek().is_some_and(|call| call.start == index) {
            each(calls.next().expect("peeked"));
        }
        if let TokenTree::Group(group) = tree {
            calls_anywhere(group.stream(), each);
        }
    }
}

/// The first index of the path that ends at `last`: walks back over `ident ::` pairs
/// and a leading `::`.
fn path_start(trees: &[TokenTree], last: usize) -> usize {
    let mut start = last;
    while start >= 2 && is_path_separator(&trees[start - 2], &trees[start - 1]) {
        match start.checked_sub(3).map(|before| &trees[before]) {
            Some(TokenTree::Ident(_)) => start -= 3,
            _ => return start - 2,
        }
    }
    start
}

fn is_path_separator(first: &TokenTree, second: &TokenTree) -> bool {
    matches!(
        (first, second),
        (TokenTree::Punct(a), TokenTree::Punct(b))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn top_level(tokens: TokenStream) -> Vec<(String, String, bool)> {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        calls(&trees)
            .into_iter()
            .map(|call| {
                let path = quote::ToTokens::to_token_stream(&call.path).to_string();
                (path, call.args.to_string(), call.starts_statement)
            })
            .collect()
    }

    #[test]
    fn finds_calls_by_any_path_and_knows_where_statements_start() {
        let found = top_level(quote! {
            let a = 1;
            lifespan::yield_app!(a);
            if a == 1 {} ::lifespan::yield_app!();
            let b = yield_app!(2);
            other!(yield_app!(3));
            not_yield_app!(4);
            let yield_app = (5);
            yield_app + (6);
        });
        assert_eq!(
            found,
            [
                ("lifespan :: yield_app".into(), "a".into(), true),
                (":: lifespan :: yield_app".into(), "".into(), true),
                ("yield_app".into(), "2".into(), false),
            ]
        );
    }

    #[test]
    fn the_span_of_a_call_covers_its_semicolon() {
        let trees: Vec<TokenTree> = quote!(a; yield_app!(v); b;).into_iter().collect();
        let call = calls(&trees).pop().expect("one call");
        assert_eq!((call.start, call.end), (2, 6));
    }

    #[test]
    fn calls_anywhere_enters_groups_in_order() {
        let mut paths = Vec::new();
        calls_anywhere(
            quote!(yield_app!(1); { m!(yield_app!(2)) } a::yield_app!(3)),
            &mut |call| paths.push(call.args.to_string()),
        );
        assert_eq!(paths, ["1", "2", "3"]);
    }
}
