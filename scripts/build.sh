#!/usr/bin/env bash
# Configures and builds rtgraph (gcc, RelWithDebInfo) into build/.
# With --rtsan also builds the RealtimeSanitizer build (clang-22) into
# build-rtsan/ and points build/'s ctest at its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

rtsan_args=()
if [ "${1:-}" = "--rtsan" ]; then
  CC=clang-22 CXX=clang++-22 cmake -S . -B build-rtsan -DRTGRAPH_RTSAN=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-rtsan -j"$jobs"
  rtsan_args=(-DRTGRAPH_RTSAN_BUILD_DIR="$PWD/build-rtsan")
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "${rtsan_args[@]}" >/dev/null
cmake --build build -j"$jobs"
