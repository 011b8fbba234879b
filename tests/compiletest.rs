//! The compile-error catalogue of DESIGN.md section 4: each misuse in `tests/ui/` is
//! compared with its checked-in `.stderr`; each shape in `tests/ui/pass/` must compile.
//! The table of messages in the crate docs (`src/compile-errors.md`) is checked against
//! the same `.stderr` files, both ways.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}

/// How rustc's own messages begin, as opposed to our macros': its syntax errors (a
/// half-typed body is left to rustc) and the `unused_must_use` lint, whose note is ours.
const RUSTC_OWN: &[&str] = &[
    "expected ",
    "unused return value of ",
    "unused implementer of ",
];

/// Every message in the table appears, word for word, in some `.stderr`, and every
/// error our macros print in a `.stderr` is in the table.
#[test]
fn the_compile_error_table_is_what_the_compiler_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = fs::read_to_string(root.join("src/compile-errors.md")).unwrap();
    let documented = messages(&table);
    assert!(documented.len() >= 40, "only {} messages", documented.len());

    let mut printed = Vec::new();
    for entry in fs::read_dir(root.join("tests/ui")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|extension| extension == "stderr")
        {
            printed.push(fs::read_to_string(path).unwrap());
        }
    }

    let never_printed: Vec<&String> = documented
        .iter()
        .filter(|message| {
            !printed
                .iter()
                .any(|stderr| stderr.contains(message.as_str()))
        })
        .collect();
    assert!(
        never_printed.is_empty(),
        "in src/compile-errors.md but in no tests/ui/*.stderr: {never_printed:#?}"
    );

    let undocumented: BTreeSet<&str> = printed
        .iter()
        .flat_map(|stderr| stderr.lines())
        .filter_map(|line| line.strip_prefix("error: "))
        .filter(|message| !RUSTC_OWN.iter().any(|own| message.starts_with(own)))
        .filter(|message| !documented.iter().any(|documented| documented == message))
        .collect();
    assert!(
        undocumented.is_empty(),
        "printed in tests/ui/*.stderr but missing from src/compile-errors.md: {undocumented:#?}"
    );
}

/// The messages of the table: its second column, split at `<br>`, unescaped. A cell in
/// italics describes rustc's own message instead of quoting ours.
fn messages(table: &str) -> Vec<String> {
    let rows = table.lines().filter(|line| line.starts_with('|')).skip(2);
    let mut messages = Vec::new();
    for row in rows {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 2, "a row is `| mistake | message |`: {row}");
        if cells[1].starts_with('_') {
            continue;
        }
        for message in cells[1].split("<br>") {
            messages.push(message.replace("\\[", "[").replace("\\]", "]"));
        }
    }
    messages
}

/// What a user reads points at their code and at our public items, never into our
/// private code: no path inside our crates' sources, no `__private` item. The one
/// exception is rustc's note on the bound a call did not meet, which shows the signature
/// of the public function that has it (`note: required by a bound in `supervised``, then
/// where it is): that is API, named in the facade's re-exports.
#[test]
fn no_message_points_into_our_private_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let private = [
        "lifespan-runtime/src",
        "lifespan-macros/src",
        "lifespan-axum/src",
        "__private",
    ];
    for entry in fs::read_dir(root.join("tests/ui")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_none_or(|extension| extension != "stderr")
        {
            continue;
        }
        let stderr = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = stderr.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            for name in private {
                let bound_of_public_fn = at > 0
                    && name.ends_with("/src")
                    && lines[at - 1]
                        .strip_prefix("note: required by a bound in `")
                        .and_then(|rest| rest.strip_suffix('`'))
                        .is_some_and(re_exported);
                assert!(
                    !line.contains(name) || bound_of_public_fn,
                    "{} names `{name}`: give the message a span of the user's or a \
                     `#[diagnostic::on_unimplemented]`",
                    path.display()
                );
            }
        }
    }
}

/// Whether the facade re-exports an item named `name` at its root.
fn re_exported(name: &str) -> bool {
    let facade =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let start = facade
        .find("pub use lifespan_runtime::{")
        .expect("the facade's re-exports");
    let list = &facade[start..start + facade[start..].find("};").unwrap()];
    list.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|item| item == name)
}
