#!/usr/bin/env bash
# README command 2: installs what is missing, builds the normal, the Release,
# the RealtimeSanitizer, the ASan+UBSan and the libFuzzer builds, and runs
# every test with ctest (the OSC packet fuzzer runs for 60 s as one of them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --release --rtsan --sanitize --fuzz
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900
