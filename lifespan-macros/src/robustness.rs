//! The macros never panic: every input gives an expansion, with errors or without.
//!
//! Two sources of input, both fed through proc-macro2 to the same functions the
//! compiler calls: the corpus in `tests/corpus/` (cases written by hand, and every
//! input that ever made a macro panic), and token trees generated around `async fn`
//! and `yield_app!` by a seeded generator. `ROBUSTNESS_CASES=100000` runs more of them.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

use crate::attribute::Attribute;

/// Runs every attribute over `args` and `item`; returns how many expanded without an
/// error, or which one panicked.
fn expand_all(args: &TokenStream, item: &TokenStream) -> Result<usize, String> {
    let mut clean = 0;
    for attribute in [Attribute::Lifespan, Attribute::Main, Attribute::Test] {
        let expanded = catch_unwind(AssertUnwindSafe(|| {
            crate::expand::expand(attribute, args.clone(), item.clone())
        }));
        match expanded {
            Ok(tokens) => clean += usize::from(!tokens.to_string().contains("compile_error")),
            Err(_) => return Err(format!("{} panicked", attribute.written())),
        }
    }
    Ok(clean)
}

#[test]
fn no_input_in_the_corpus_makes_a_macro_panic() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut cases = 0;
    let mut panics = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let (args, item) = match text.strip_prefix("// args:") {
            Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
            None => ("", text.as_str()),
        };
        let args: TokenStream = args.parse().expect("the arguments lex");
        let item: TokenStream = item.parse().expect("the item lexes");
        cases += 1;
        if let Err(why) = expand_all(&args, &item) {
            panics.push(format!("{}: {why}", path.display()));
        }
    }
    assert!(cases >= 20, "only {cases} corpus cases found");
    assert!(panics.is_empty(), "{panics:#?}");
}

#[test]
fn no_generated_input_makes_a_macro_panic() {
    let cases: usize = std::env::var("ROBUSTNESS_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(2_000);
    let mut generator = Generator(0x9E37_79B9_7F4A_7C15);
    let mut clean = 0;
    for case in 0..cases {
        let args = generator.arguments();
        let item = generator.item();
        match expand_all(&args, &item) {
            Ok(expanded) => clean += expanded,
            Err(why) => panic!(
                "case {case}: {why}\n  args: {args}\n  item: {item}\nadd it to tests/corpus/"
            ),
        }
    }
    // The generator also reaches the code that writes a lifespan, not only the errors.
    assert!(
        clean * 50 >= cases,
        "only {clean} of {cases} cases expanded without an error"
    );
}

/// A seeded xorshift generator of token trees that look like lifespans, mostly.
struct Generator(u64);

const WORDS: &[&str] = &[
    "async",
    "fn",
    "main",
    "database",
    "yield_app",
    "return",
    "Err",
    "Ok",
    "Result",
    "let",
    "x",
    "if",
    "else",
    "match",
    "move",
    "await",
    "const",
    "unsafe",
    "extern",
    "pub",
    "self",
    "impl",
    "where",
    "T",
    "u32",
    "lifespan",
    "loop",
    "break",
];
const PUNCTS: &[char] = &[
    '!', ';', ',', '?', '.', '=', '<', '>', '-', ':', '&', '#', '|', '+',
];
const KEYS: &[&str] = &[
    "name",
    "startup_timeout",
    "shutdown_timeout",
    "second_signal_timeout",
    "crate",
    "flavor",
    "worker_threads",
    "timeout",
];

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    /// An item: usually `[attrs] [pub] [async] fn NAME(PARAMS) [-> TYPE] { BODY }`,
    /// sometimes any tokens at all.
    fn item(&mut self) -> TokenStream {
        if self.below(10) == 0 {
            return self.tokens(3, 12);
        }
        let mut item = TokenStream::new();
        if self.below(4) == 0 {
            item.extend(self.words(&["pub"]));
        }
        if self.below(5) != 0 {
            item.extend(self.words(&["async"]));
        }
        let name = if self.below(2) == 0 {
            "main"
        } else {
            "database"
        };
        item.extend(self.words(&["fn", name]));
        item.extend([self.group(Delimiter::Parenthesis, 1, 3)]);
        if self.below(2) == 0 {
            item.extend(self.punct("->"));
            item.extend(self.tokens(1, 4));
        }
        let mut body = TokenStream::new();
        for _ in 0..self.below(5) {
            match self.below(4) {
                0 => body.extend(self.yield_call()),
                1 => body.extend(self.words(&["return"])),
                _ => body.extend(self.tokens(1, 5)),
            }
            if self.below(3) != 0 {
                body.extend(self.punct(";"));
            }
        }
        item.extend([TokenTree::Group(Group::new(Delimiter::Brace, body))]);
        item
    }

    /// `key = value` pairs, often wrong.
    fn arguments(&mut self) -> TokenStream {
        let mut args = TokenStream::new();
        for index in 0..self.below(4) {
            if index > 0 {
                args.extend(self.punct(","));
            }
            let key = KEYS[self.below(KEYS.len())];
            args.extend(self.words(&[key]));
            if self.below(6) != 0 {
                args.extend(self.punct("="));
            }
            let value = match self.below(5) {
                0 => TokenTree::Literal(Literal::string(
                    [
                        "10s",
                        "250ms",
                        "2m",
                        "",
                        "x",
                        "current_thread",
                        "::a::b",
                        "1 2",
                    ][self.below(8)],
                )),
                1 => TokenTree::Literal(Literal::u64_unsuffixed(self.next() % 100)),
                2 => TokenTree::Ident(Ident::new("ident", Span::call_site())),
                3 => TokenTree::Literal(Literal::string("99999999999999999999m")),
                _ => TokenTree::Punct(Punct::new('-', Spacing::Alone)),
            };
            args.extend([value]);
        }
        args
    }

    fn yield_call(&mut self) -> TokenStream {
        let mut call = TokenStream::new();
        if self.below(4) == 0 {
            call.extend(self.words(&["lifespan"]));
            call.extend(self.punct("::"));
        }
        call.extend(self.words(&["yield_app"]));
        call.extend(self.punct("!"));
        let delimiter =
            [Delimiter::Parenthesis, Delimiter::Bracket, Delimiter::Brace][self.below(3)];
        call.extend([self.group(delimiter, 0, 3)]);
        call
    }

    fn tokens(&mut self, least: usize, most: usize) -> TokenStream {
        let mut tokens = TokenStream::new();
        for _ in 0..least + self.below(most - least + 1) {
            let tree = match self.below(9) {
                0 => self.group(Delimiter::Parenthesis, 0, 3),
                1 => self.group(Delimiter::Brace, 0, 3),
                2 => TokenTree::Literal(Literal::u64_unsuffixed(self.next() % 10)),
                3 | 4 => {
                    TokenTree::Punct(Punct::new(PUNCTS[self.below(PUNCTS.len())], Spacing::Alone))
                }
                5 => {
                    tokens.extend(self.yield_call());
                    continue;
                }
                _ => TokenTree::Ident(Ident::new(
                    WORDS[self.below(WORDS.len())],
                    Span::call_site(),
                )),
            };
            tokens.extend([tree]);
        }
        tokens
    }

    fn group(&mut self, delimiter: Delimiter, least: usize, most: usize) -> TokenTree {
        // Shallower as it goes: every group is closed, as the lexer guarantees.
        let inner = if self.below(3) == 0 {
            TokenStream::new()
        } else {
            self.tokens(least, most)
        };
        TokenTree::Group(Group::new(delimiter, inner))
    }

    fn words(&mut self, words: &[&str]) -> TokenStream {
        words
            .iter()
            .map(|word| TokenTree::Ident(Ident::new(word, Span::call_site())))
            .collect()
    }

    fn punct(&mut self, punct: &str) -> TokenStream {
        let chars: Vec<char> = punct.chars().collect();
        chars
            .iter()
            .enumerate()
            .map(|(index, &c)| {
                let spacing = if index + 1 < chars.len() {
                    Spacing::Joint
                } else {
                    Spacing::Alone
                };
                TokenTree::Punct(Punct::new(c, spacing))
            })
            .collect()
    }
}
