#!/usr/bin/env bash
# Live OSC control benchmark: a private dummy jackd (64 frames, 48 kHz) and
# rtgraphd playing "sine -> gain -> graph:out_1"; build/tests/bench/
# rtgraph_bench_osc then measures parameter-to-first-output-sample latency,
# 1000 acknowledged /param/set over TCP (sequential and pipelined) and the
# sustained message rate absorbed with no xruns above an idle baseline.
# Usage: scripts/bench_osc.sh [extra rtgraph_bench_osc args]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/daemon/rtgraphd ] && [ -x build/tests/bench/rtgraph_bench_osc ] ||
  cmake --build build -j2 --target rtgraph_bench_osc rtgraphd >/dev/null
work=$(mktemp -d /tmp/rtgraph-bench-osc.XXXXXX)
jackd_pid="" daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -n "$jackd_pid" ] && kill "$jackd_pid" 2>/dev/null && wait "$jackd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

server="rtgraph-bench-osc-$$"
port=$((20000 + $$ % 20000))
printf 'add sine osc freq=1000 amp=0.5\nadd gain g gain=0\nconnect osc:out g:in\nconnect g:out graph:out_1\n' >"$work/bench.patch"

JACK_NO_AUDIO_RESERVATION=1 jackd -n "$server" -d dummy -r 48000 -p 64 >"$work/jackd.log" 2>&1 &
jackd_pid=$!
jack_wait -s "$server" -w -t 10 >/dev/null
build/daemon/rtgraphd --jack-server "$server" --osc-port "$port" --state-dir "$work" \
  --patch "$work/bench.patch" --log-level warn >"$work/rtgraphd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
  jack_lsp -s "$server" 2>/dev/null | grep -q ':out_1$' && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
sleep 1
capture=$(jack_lsp -s "$server" | grep ':out_1$' | head -1)

cmd=(build/tests/bench/rtgraph_bench_osc --server "$server" --port "$port" --capture "$capture" "$@")
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
"${cmd[@]}"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: scripts/bench_osc.sh  (runs: ${cmd[*]} against jackd -d dummy -r 48000 -p 64 and rtgraphd)"
