#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md, in the order it shows them, printed as markdown.
#   bash benches/run-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(rustc --version); $(date -u +%Y-%m-%d)"
echo
cargo bench -q --bench lifecycle
echo
cargo bench -q -p lifespan-service-tests --bench sigterm
echo
cargo bench -q --bench http
bash benches/compile-time.sh
