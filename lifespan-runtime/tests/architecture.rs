//! ARCHITECTURE.md's promise, checked on the sources: the leaves import only leaves,
//! and the modules' imports point one way but for the one inherent cycle, a scope that
//! holds suspended lifespans and a suspended lifespan that owns a scope.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LEAVES: &[&str] = &[
    "config",
    "config_error",
    "error",
    "ledger",
    "outcome",
    "phase",
    "sync",
    "time",
    "timeline",
];
const THE_CYCLE: (&str, &str) = ("engine::scope", "engine::suspended");

/// Each module of `src/` (`engine::scope` for `engine/scope/mod.rs`), with the source
/// text of its code, comments left out.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
                continue;
            }
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let name = relative
                .to_str()
                .unwrap()
                .trim_end_matches("/mod")
                .replace('/', "::");
            if name == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code: Vec<&str> = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect();
            out.insert(name, code.join("\n"));
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The module among `known` that a path names: its longest prefix.
fn resolve(path: &str, known: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|length| parts[..length].join("::"))
        .find(|candidate| known.contains(candidate))
}

/// The paths after `prefix` in `code`: `crate::engine::scope::Scope` gives
/// `engine::scope::Scope`.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    code.match_indices(prefix)
        .filter(|(at, _)| {
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| {
            let rest = &code[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .collect()
}

/// Which modules each module imports, a module's own parent and children left out.
fn arrows() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut arrows = BTreeMap::new();
    for (name, code) in &modules {
        let parent = name.rsplit_once("::").map_or("", |(parent, _)| parent);
        let mut targets: Vec<String> = paths_after(code, "crate::")
            .into_iter()
            .map(str::to_owned)
            .collect();
        targets.extend(paths_after(code, "super::").into_iter().map(|path| {
            if parent.is_empty() {
                path.to_owned()
            } else {
                format!("{parent}::{path}")
            }
        }));
        let family = |other: &str| {
            other.starts_with(&format!("{name}::")) || name.starts_with(&format!("{other}::"))
        };
        let resolved = targets
            .iter()
            .filter_map(|target| resolve(target, &known))
            .filter(|target| target != name && !family(target))
            .collect();
        arrows.insert(name.clone(), resolved);
    }
    arrows
}

fn reaches(arrows: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(here) = stack.pop() {
        if here == to {
            return true;
        }
        if seen.insert(here.clone()) {
            stack.extend(arrows.get(&here).into_iter().flatten().cloned());
        }
    }
    false
}

#[test]
fn the_leaves_import_only_leaves() {
    let arrows = arrows();
    for leaf in LEAVES {
        let imports = &arrows[*leaf];
        let above: Vec<&String> = imports
            .iter()
            .filter(|target| !LEAVES.contains(&target.as_str()))
            .collect();
        assert!(above.is_empty(), "leaf `{leaf}` imports {above:?}");
    }
}

#[test]
fn the_engine_does_not_know_the_public_layer() {
    let arrows = arrows();
    for (module, imports) in arrows.iter().filter(|(m, _)| m.starts_with("engine")) {
        let public: Vec<&String> = imports
            .iter()
            .filter(|t| !t.starts_with("engine") && !LEAVES.contains(&t.as_str()))
            .collect();
        assert!(public.is_empty(), "`{module}` imports {public:?}");
    }
}

#[test]
fn imports_point_one_way_but_for_the_one_inherent_cycle() {
    let arrows = arrows();
    let mut cycles = Vec::new();
    for (from, imports) in &arrows {
        for to in imports {
            if from < to && reaches(&arrows, to, from) {
                cycles.push((from.as_str(), to.as_str()));
            }
        }
    }
    assert_eq!(cycles, [THE_CYCLE], "every arrow: {arrows:#?}");
}

/// The checks above would pass on a parser that sees nothing.
#[test]
fn the_parser_sees_the_arrows_it_should() {
    let arrows = arrows();
    assert!(arrows["engine::start"].contains("engine::body"));
    assert!(arrows["engine::suspended"].contains("engine::scope"));
    assert!(arrows["engine::scope"].contains("engine::suspended"));
    assert!(arrows["lifespan"].contains("running"));
    assert!(arrows["error"].is_empty());
}
