#!/usr/bin/env bash
# Compile time: a crate of 200 #[lifespan] fns against the same 200 written with
# from_fn by hand (clean and incremental builds of that crate, dependencies already
# built), and the clean build of lifespan-macros with its dependencies.
#
#   bash benches/compile-time.sh [RUNS]      # 3 runs each by default; prints markdown
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="$work/target" CARGO_TERM_COLOR=never

generate() { # $1: crate name, $2: macro | hand
    mkdir -p "$work/$1/src"
    cat > "$work/$1/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
lifespan = { path = "$repo", default-features = false }
TOML
    {
        if [ "$2" = macro ]; then
            echo "use lifespan::{lifespan, yield_app};"
        else
            echo "use std::time::Duration;"
            echo "use lifespan::{Lifespan, from_fn};"
        fi
        for i in $(seq 1 200); do
            if [ "$2" = macro ]; then
                cat <<RUST
#[lifespan(startup_timeout = "1s")]
pub async fn part_$i(base: u32) -> Result<u32, std::io::Error> {
    let value = base + $i + 0;
    yield_app!(value);
    std::hint::black_box(value);
    Ok(())
}
RUST
            else
                cat <<RUST
pub fn part_$i(base: u32) -> impl Lifespan<Value = u32, Error = std::io::Error> {
    from_fn("part_$i", move |yielder| async move {
        let value = base + $i + 0;
        yielder.yield_app(value).await;
        std::hint::black_box(value);
        Ok::<(), std::io::Error>(())
    })
    .startup_timeout(Duration::from_secs(1))
}
RUST
            fi
        done
    } > "$work/$1/src/lib.rs"
}

seconds() { # runs "$@" and prints how long it took
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }

generate with-macro macro
generate by-hand hand
cat > "$work/Cargo.toml" <<TOML
[workspace]
members = ["with-macro", "by-hand"]
resolver = "3"
TOML
cd "$work"
cargo build -q > /dev/null 2>&1 # dependencies, once

echo "| crate of 200 lifespans | clean build | incremental (one fn changed) |"
echo "| --- | ---: | ---: |"
for crate in with-macro by-hand; do
    clean=$(for _ in $(seq "$runs"); do cargo clean -q -p "$crate"; seconds cargo build -q -p "$crate"; done | median)
    incremental=$(for run in $(seq "$runs"); do
        # A real change to one fn's body: part_1's constant.
        sed -i "s/base + 1 + [0-9]*;/base + 1 + $run;/" "$crate/src/lib.rs"
        seconds cargo build -q -p "$crate"
    done | median)
    echo "| \`$crate\` | ${clean} s | ${incremental} s |"
done

echo
echo "| clean build | time |"
echo "| --- | ---: |"
macros=$(for _ in $(seq "$runs"); do
    rm -rf "$work/macros-target"
    CARGO_TARGET_DIR="$work/macros-target" seconds cargo build -q --manifest-path "$repo/Cargo.toml" -p lifespan-macros
done | median)
echo "| \`lifespan-macros\` with syn, quote, proc-macro2 | ${macros} s |"
