#!/usr/bin/env bash
# The mutation-testing measure kept in RELIABILITY.md ("What the tests catch").
#
#   scripts/mutants.sh            # every run, then the table (hours on 2 cores)
#   scripts/mutants.sh table DIR  # only the table, from runs already in DIR
#
# cargo-mutants (27.x: `cargo install cargo-mutants --locked`) makes one small wrong
# edit at a time, rebuilds, and checks that a test fails. The settings every run shares
# (all features, `--lib --tests`, the test timeout, and the exclusions with their
# reasons) are in `.cargo/mutants.toml`. Each part is held to the tests a maintainer
# would look in:
#
# - engine: `lifespan-runtime` but `service/`, `process/` and `timeline/`, against the
#   runtime's own tests (a facade test that happens to cover it does not count);
# - timeline: the pictures and traces of a run, against the same tests;
# - service: `service/` and `process/`, which real binaries exercise (signals, exit
#   codes, child processes): first against the runtime's tests (seconds a mutant),
#   then what survived against `service-tests` (a minute a mutant, one at a time, as
#   its tests time real signals);
# - macros: the parse and validate steps of `lifespan-macros`, against its own unit
#   tests (trybuild takes minutes a run; `ui_messages.rs` checks the same messages).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${MUTANTS_OUT:-target/mutants}"
jobs="${MUTANTS_JOBS:-2}"

table() {
    python3 - "$1" <<'PY'
import collections, json, os, re, sys, tomllib
root = sys.argv[1]
# Mutants a run tested before their exclusion was written are left out, as a run now
# would leave them out.
with open(".cargo/mutants.toml", "rb") as config:
    excluded = [re.compile(pattern) for pattern in tomllib.load(config)["exclude_re"]]
# What a run leaves in DIR/mutants.out: its outcomes, and, for an --iterate run, the
# mutants caught before it (previously_caught.txt), which it did not test again. A
# mutant's outcome is its last one, by name, across every outcomes file; service/
# retests service-own/'s survivors and lists the rest as previously caught.
status = {}
runs = []
for run in ("engine", "timeline", "service-own", "service", "macros"):
    for output in ("mutants.out.old", "mutants.out"):
        path = os.path.join(root, run, output, "outcomes.json")
        if not os.path.exists(path):
            continue
        data = json.load(open(path))
        end = data.get("end_time") or "unfinished"
        runs.append(f"{run}: cargo-mutants {data['cargo_mutants_version']}, "
                    f"{data['start_time'][:16]} to {end[:16]}")
        for outcome in data["outcomes"]:
            if isinstance(outcome["scenario"], dict):  # not the baseline
                status[outcome["scenario"]["Mutant"]["name"]] = outcome["summary"]
final = {}
for run in ("engine", "timeline", "service", "macros"):
    folder = os.path.join(root, run, "mutants.out")
    if run == "service" and not os.path.exists(folder):
        folder = os.path.join(root, "service-own", "mutants.out")
    if not os.path.exists(folder):
        continue
    names = set()
    with open(os.path.join(folder, "outcomes.json")) as outcomes:
        for outcome in json.load(outcomes)["outcomes"]:
            if isinstance(outcome["scenario"], dict):
                names.add(outcome["scenario"]["Mutant"]["name"])
    previously = os.path.join(folder, "previously_caught.txt")
    if os.path.exists(previously):
        names.update(line for line in open(previously).read().splitlines() if line)
    for name in names:
        if not any(pattern.search(name) for pattern in excluded):
            final[name] = status.get(name, "CaughtMutant")
rows = collections.defaultdict(collections.Counter)
for name, summary in final.items():
    file = name.split(":", 1)[0].removeprefix("lifespan-runtime/src/")
    rows[file][summary] += 1
    rows[file]["total"] += 1
kinds = [("total", "mutants"), ("CaughtMutant", "caught"), ("MissedMutant", "missed"),
         ("Unviable", "unviable"), ("Timeout", "timed out")]
print("| file | " + " | ".join(label for _, label in kinds) + " |")
print("|---" + "|---:" * len(kinds) + "|")
total = collections.Counter()
for file in sorted(rows, key=lambda file: (file.startswith("lifespan-macros"), file)):
    total.update(rows[file])
    print(f"| `{file}` | " + " | ".join(str(rows[file][k]) for k, _ in kinds) + " |")
print("| **all** | " + " | ".join(f"**{total[k]}**" for k, _ in kinds) + " |")
print()
for run in runs:
    print(f"- {run}")
PY
}

# cargo-mutants exits 2 when a mutant was missed and 3 when one timed out: the table
# says which. Anything else (a tree that does not build or pass unmutated) stops here.
mutants() {
    local status=0
    cargo mutants "$@" || status=$?
    if [[ $status -ne 0 && $status -ne 2 && $status -ne 3 ]]; then
        echo "cargo mutants $* failed with status $status" >&2
        exit "$status"
    fi
}

if [[ "${1:-}" == table ]]; then
    table "${2:-$out}"
    exit
fi

rm -rf "$out"
runtime=lifespan-runtime/src
mutants -p lifespan-runtime -j "$jobs" -o "$out/engine" \
    -e "$runtime/timeline/**" -e "$runtime/service/**" -e "$runtime/process/**"
mutants -p lifespan-runtime -j "$jobs" -o "$out/timeline" -f "$runtime/timeline/**"

service=(-f "$runtime/service/**" -f "$runtime/process/**")
mutants -p lifespan-runtime -j "$jobs" -o "$out/service-own" "${service[@]}"
mkdir -p "$out/service/mutants.out"
cat "$out/service-own/mutants.out/"{caught,unviable}.txt \
    > "$out/service/mutants.out/previously_caught.txt"
# The test timeout is set from the baseline, which runs only the mutated package's
# tests: the real binaries need longer.
mutants -p lifespan-runtime -j 1 -o "$out/service" "${service[@]}" --iterate \
    --test-package lifespan-service-tests --timeout 120

macros=()
for step in args attribute marker parse returns rules split validate; do
    macros+=(-f "lifespan-macros/src/$step.rs")
done
mutants -p lifespan-macros -j "$jobs" -o "$out/macros" "${macros[@]}"
table "$out"
