#!/usr/bin/env bash
# Installs the Debian 12 packages rtgraph needs to build, test and run, if any
# is missing. Safe to run again: it does nothing when all are present.
# Usage: scripts/install-deps.sh            (as root, or with sudo available)
set -euo pipefail

packages=(
  # build and test
  cmake g++ pkg-config libgtest-dev libbenchmark-dev python3 bc
  # the file-confinement test lists what the daemon opens from outside
  strace
  # RealtimeSanitizer build (clang-22 comes from bookworm-security)
  clang-22 libclang-rt-22-dev llvm-22
  # offline rendering
  libsndfile1-dev
  # the daemon: JACK, config, logging, systemd integration
  jackd2 libjack-jackd2-dev libtomlplusplus-dev libspdlog-dev libsystemd-dev systemd
  # the OSC control plane: JSON replies, liblo for rtgraphctl and examples
  nlohmann-json3-dev liblo-dev liblo-tools python3-liblo
  # plugin hosting: lilv for LV2, LADSPA headers, real plugins for tests, jalv for the benchmark
  liblilv-dev libserd-dev lv2-dev ladspa-sdk lv2-examples swh-lv2 jalv
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
[ "$(id -u)" -ne 0 ] && as_root=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
