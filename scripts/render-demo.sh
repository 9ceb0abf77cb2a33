#!/usr/bin/env bash
# Renders the demo patch offline (no audio server) to rtgraph-demo.wav and
# prints what it rendered. Extra arguments go to rtgraph-render.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
exec build/daemon/rtgraph-render --patch config/patches/demo.patch --out rtgraph-demo.wav "$@"
