//! Snapshots of what the attributes write: each `tests/expand/NAME.rs` is expanded
//! through the same functions the compiler calls, printed with prettyplease, and
//! compared with `tests/expand/NAME.expanded.rs`. Review a changed snapshot like code;
//! `EXPAND=overwrite cargo test -p lifespan-macros` rewrites them.

use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{ImplItem, Item, Meta};

use crate::attribute::Attribute;
use crate::expand;

#[test]
fn expansions_match_their_snapshots() {
    let overwrite = std::env::var_os("EXPAND").is_some_and(|value| value == "overwrite");
    let mut stale = Vec::new();
    for input in inputs() {
        let expanded = expand_file(&fs::read_to_string(&input).unwrap());
        let snapshot = input.with_extension("expanded.rs");
        if fs::read_to_string(&snapshot).ok().as_deref() == Some(expanded.as_str()) {
            continue;
        }
        if overwrite {
            fs::write(&snapshot, &expanded).unwrap();
        } else {
            stale.push(format!("{} expands to:\n{expanded}", snapshot.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\n\nIf the change is meant, rerun with EXPAND=overwrite and review the diff.",
        stale.join("\n\n")
    );
}

fn inputs() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let mut inputs: Vec<PathBuf> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.ends_with(".rs") && !name.ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no snapshot inputs found");
    inputs
}

/// The file with each `#[lifespan]`, `#[lifespan::main]` and `#[lifespan::test]` item
/// expanded.
fn expand_file(source: &str) -> String {
    let file: syn::File = syn::parse_str(source).unwrap();
    let mut tokens = TokenStream::new();
    for attr in &file.attrs {
        attr.to_tokens(&mut tokens);
    }
    for item in file.items {
        tokens.extend(expand_item(item));
    }
    let expanded: syn::File = syn::parse2(tokens).expect("the expansion parses as a file");
    prettyplease::unparse(&expanded)
}

pub(crate) fn expand_item(item: Item) -> TokenStream {
    match item {
        Item::Fn(function) => expand_fn(function.attrs.clone(), function.into_token_stream()),
        Item::Impl(mut block) => {
            for member in &mut block.items {
                if let ImplItem::Fn(function) = member {
                    let tokens = expand_fn(function.attrs.clone(), function.to_token_stream());
                    *member = ImplItem::Verbatim(tokens);
                }
            }
            block.into_token_stream()
        }
        Item::Mod(mut module) => {
            if let Some((_, items)) = &mut module.content {
                let expanded: Vec<Item> = items
                    .drain(..)
                    .map(|item| Item::Verbatim(expand_item(item)))
                    .collect();
                *items = expanded;
            }
            module.into_token_stream()
        }
        other => other.into_token_stream(),
    }
}

/// The fn `tokens` expanded by the first of our attributes among `attrs`; the
/// attribute is removed from the item as rustc does before calling the macro.
fn expand_fn(attrs: Vec<syn::Attribute>, tokens: TokenStream) -> TokenStream {
    let Some((index, attribute)) = attrs
        .iter()
        .enumerate()
        .find_map(|(index, attr)| Some((index, which(attr)?)))
    else {
        return tokens;
    };
    let mut function: syn::ItemFn = syn::parse2(tokens).unwrap();
    let attr = function.attrs.remove(index);
    let arguments = match &attr.meta {
        Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    };
    expand::expand(attribute, arguments, function.into_token_stream())
}

/// `#[lifespan(..)]` or `#[lifespan::test(..)]`.
pub(crate) fn which(attr: &syn::Attribute) -> Option<Attribute> {
    let path = attr.path();
    if path.is_ident("lifespan") {
        Some(Attribute::Lifespan)
    } else if path.segments.len() == 2 && path.segments[0].ident == "lifespan" {
        match path.segments[1].ident.to_string().as_str() {
            "main" => Some(Attribute::Main),
            "test" => Some(Attribute::Test),
            _ => None,
        }
    } else {
        None
    }
}
