#!/bin/sh
# Regenerates docs/timeline.svg, the picture README.md shows: the quickstart's own
# startup and shutdown, drawn by the service at exit (LIFESPAN_TIMELINE).
set -eu
cd "$(dirname "$0")/.."
LIFESPAN_TIMELINE=docs/timeline.svg cargo run --quiet --example quickstart >/dev/null
echo "wrote docs/timeline.svg"
