#!/usr/bin/env bash
# Configures and builds rtgraph (gcc, RelWithDebInfo, -Werror) into build/.
# Options (any order):
#   --release   also a Release build (gcc -O3, -Werror, no tests) in build-release/
#   --rtsan     also the RealtimeSanitizer build (clang-22) in build-rtsan/
#   --sanitize  also an ASan+UBSan build (gcc) in build-asan/
#   --fuzz      also the libFuzzer build (clang-22) in build-fuzz/
# build/'s ctest then runs those builds' tests too.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

extra_args=()
for option in "$@"; do
  case "$option" in
    --release)
      cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DRTGRAPH_WERROR=ON \
        -DRTGRAPH_BUILD_TESTS=OFF >/dev/null
      cmake --build build-release -j"$jobs"
      extra_args+=(-DRTGRAPH_RELEASE_BUILD_DIR="$PWD/build-release")
      ;;
    --rtsan)
      CC=clang-22 CXX=clang++-22 cmake -S . -B build-rtsan -DRTGRAPH_RTSAN=ON -DRTGRAPH_WERROR=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
      cmake --build build-rtsan -j"$jobs"
      extra_args+=(-DRTGRAPH_RTSAN_BUILD_DIR="$PWD/build-rtsan")
      ;;
    --sanitize)
      # -Werror off here only: GCC 12 gives false maybe-uninitialized errors
      # in std::regex/std::function under ASan instrumentation.
      cmake -S . -B build-asan -DRTGRAPH_SANITIZE=ON -DRTGRAPH_WERROR=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
      cmake --build build-asan -j"$jobs" --target rtgraph_unit_tests rtgraph_daemon_tests
      extra_args+=(-DRTGRAPH_ASAN_BUILD_DIR="$PWD/build-asan")
      ;;
    --fuzz)
      CC=clang-22 CXX=clang++-22 cmake -S . -B build-fuzz -DRTGRAPH_FUZZ=ON -DRTGRAPH_WERROR=ON >/dev/null
      cmake --build build-fuzz -j"$jobs" --target osc_packet_fuzz
      extra_args+=(-DRTGRAPH_FUZZ_BUILD_DIR="$PWD/build-fuzz")
      ;;
    *) echo "build.sh: unknown option $option" >&2; exit 2 ;;
  esac
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTGRAPH_WERROR=ON "${extra_args[@]}" >/dev/null
cmake --build build -j"$jobs"
