#!/usr/bin/env bash
# How long rtgraphd's synchronous state-file write takes (temp file, fsync,
# rename, fsync of the directory), as the daemon itself measures it: a private
# dummy jackd and rtgraphd with a state directory on the file system under test
# (default: a fresh directory under /var/tmp), then N structural edits through
# rtgraphctl, reading /status's state_last_write_ms after each. The graph grows
# to N nodes and N-1 connections, so later writes carry bigger documents.
# Usage: scripts/bench_state_write.sh [N] [STATE_PARENT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
parent=${2:-/var/tmp}
[ -x build/daemon/rtgraphd ] && [ -x build/daemon/rtgraphctl ] ||
  cmake --build build -j2 --target rtgraphd rtgraphctl >/dev/null
work=$(mktemp -d "$parent/rtgraph-bench-state.XXXXXX")
jackd_pid="" daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -n "$jackd_pid" ] && kill "$jackd_pid" 2>/dev/null && wait "$jackd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

server="rtgraph-bench-state-$$"
port=$((20000 + $$ % 20000))
JACK_NO_AUDIO_RESERVATION=1 jackd -n "$server" -d dummy -r 48000 -p 128 >"$work/jackd.log" 2>&1 &
jackd_pid=$!
jack_wait -s "$server" -w -t 10 >/dev/null
build/daemon/rtgraphd --jack-server "$server" --osc-port "$port" --state-dir "$work/state" \
  --patch "" --log-level warn >"$work/rtgraphd.log" 2>&1 &
daemon_pid=$!
ctl=(build/daemon/rtgraphctl --port "$port")
for _ in $(seq 100); do "${ctl[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done

: >"$work/times"
for i in $(seq "$count"); do
  "${ctl[@]}" add gain "g$i" >/dev/null
  [ "$i" -gt 1 ] && "${ctl[@]}" connect "g$((i - 1)):out" "g$i:in" >/dev/null
  "${ctl[@]}" status | sed -n 's/.*"state_last_write_ms": *\([0-9.e+-]*\).*/\1/p' >>"$work/times"
done
sort -g "$work/times" >"$work/sorted"
n=$(wc -l <"$work/sorted")
pick() { sed -n "$(( ($1 * n + 99) / 100 ))p" "$work/sorted"; }
echo "state file: $(stat -c %s "$work/state/state.json") bytes at the end ($count nodes), on $(df -T "$work" | awk 'NR==2 {print $2}') ($parent)"
echo "synchronous state write, ms over $n writes: median $(pick 50), p95 $(pick 95), max $(tail -1 "$work/sorted")"
echo "command: scripts/bench_state_write.sh $count $parent"
