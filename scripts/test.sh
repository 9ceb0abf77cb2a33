#!/usr/bin/env bash
# README command 2: installs what is missing, builds the normal and the
# RealtimeSanitizer builds, and runs every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --rtsan
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900
