//! The compile errors of `tests/ui/` (the workspace's trybuild cases), checked without
//! trybuild: each case is expanded through the same functions the compiler calls, and
//! the messages of its `compile_error!`s are compared with its checked-in `.stderr`,
//! both ways. trybuild takes minutes; this takes milliseconds, so that a wrong edit to
//! the parse and validate steps fails here, in the macro crate's own tests.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::Item;

use crate::expand;
use crate::snapshots::{expand_item, which};

/// Errors in a `.stderr` that are not our attributes': rustc's own (a half-typed body
/// is left to rustc), and `yield_app!`'s, a `macro_rules!` of the facade crate.
const NOT_OURS: &[&str] = &[
    "expected ",
    "unused return value of ",
    "unused implementer of ",
    "`yield_app!` only works at the top level",
];

#[test]
fn every_ui_case_prints_what_the_attributes_report() {
    let mut checked = 0;
    for case in cases() {
        let source = fs::read_to_string(&case).unwrap();
        let stderr = fs::read_to_string(case.with_extension("stderr")).unwrap();
        let Ok(file) = syn::parse_file(&source) else {
            // A case of rustc's syntax errors, which the attributes leave to it.
            assert!(
                stderr.lines().all(|line| !line.starts_with("error: ")
                    || NOT_OURS
                        .iter()
                        .any(|own| line["error: ".len()..].starts_with(own))),
                "{} does not parse, yet its errors are ours",
                case.display()
            );
            continue;
        };
        let reported: BTreeSet<String> = file
            .items
            .into_iter()
            .flat_map(|item| compile_errors(expand_any(item)))
            .collect();
        let printed: BTreeSet<String> = stderr
            .lines()
            .filter_map(|line| line.strip_prefix("error: "))
            .filter(|message| !NOT_OURS.iter().any(|own| message.starts_with(own)))
            .map(str::to_owned)
            .collect();
        assert_eq!(reported, printed, "{}", case.display());
        checked += reported.len();
    }
    assert!(checked >= 40, "only {checked} messages checked");
}

/// `tests/ui/*.rs` of the workspace.
fn cases() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui");
    let mut cases: Vec<PathBuf> = fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .collect();
    cases.sort();
    cases
}

/// `item` expanded as the compiler would: a fn through [`expand_item`], and any other
/// item our attributes are put on (a mistake they report) through [`expand::expand`].
fn expand_any(item: Item) -> TokenStream {
    let attrs = match &item {
        Item::Struct(item) => &item.attrs,
        Item::Enum(item) => &item.attrs,
        Item::Const(item) => &item.attrs,
        Item::Static(item) => &item.attrs,
        Item::Trait(item) => &item.attrs,
        Item::Type(item) => &item.attrs,
        _ => return expand_item(item),
    };
    let Some((index, attribute)) = attrs
        .iter()
        .enumerate()
        .find_map(|(index, attr)| Some((index, which(attr)?)))
    else {
        return item.into_token_stream();
    };
    let arguments = match &attrs[index].meta {
        syn::Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    };
    let mut tokens = TokenStream::new();
    for (at, attr) in attrs.iter().enumerate() {
        if at != index {
            attr.to_tokens(&mut tokens);
        }
    }
    let mut stripped = item.clone();
    strip_attrs(&mut stripped);
    stripped.to_tokens(&mut tokens);
    expand::expand(attribute, arguments, tokens)
}

fn strip_attrs(item: &mut Item) {
    match item {
        Item::Struct(item) => item.attrs.clear(),
        Item::Enum(item) => item.attrs.clear(),
        Item::Const(item) => item.attrs.clear(),
        Item::Static(item) => item.attrs.clear(),
        Item::Trait(item) => item.attrs.clear(),
        Item::Type(item) => item.attrs.clear(),
        _ => {}
    }
}

/// The message of every `compile_error!("..")` in `tokens`, however deep.
fn compile_errors(tokens: TokenStream) -> Vec<String> {
    let mut messages = Vec::new();
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (at, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                if let Some(TokenTree::Group(group)) = trees.get(at + 2) {
                    let literal: syn::LitStr = syn::parse2(group.stream()).unwrap();
                    messages.push(literal.value());
                }
            }
            TokenTree::Group(group) => messages.extend(compile_errors(group.stream())),
            _ => {}
        }
    }
    messages
}
