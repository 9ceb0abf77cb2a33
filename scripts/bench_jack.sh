#!/usr/bin/env bash
# Live benchmark: rtgraphd on a private dummy jackd at 64 frames, 48 kHz, with
# N sine -> biquad -> gain voices (N = 0 as the idle baseline, 64, 256), each
# for DURATION seconds, REPEAT times. Prints per run and as medians: JACK's
# DSP load, rtgraphd's CPU seconds and xruns. The idle line is the baseline
# to compare xruns with: an idle dummy jackd on this VM already shows some at
# 64 frames.
# WORKERS lists realtime.worker_threads settings to compare (default "0");
# with several, each run measures every setting in turn, so they see the same
# machine.
# Usage: scripts/bench_jack.sh            (DURATION=20 REPEAT=3 VOICES="0 64 256" WORKERS=0)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-20}
repeat=${REPEAT:-3}
voices_list=${VOICES:-"0 64 256"}
workers_list=${WORKERS:-0}
[ -x build/daemon/rtgraphd ] || scripts/build.sh >/dev/null
work=$(mktemp -d /tmp/rtgraph-bench.XXXXXX)
jackd_pid="" daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$jackd_pid" ] && kill "$jackd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# /status over TCP (OSC 1.0 length-prefixed frames), no client library needed.
status() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, struct, sys, json
def pad(b): return b + b'\0' * (4 - len(b) % 4)
msg = pad(b'/status') + pad(b',')
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
s.sendall(struct.pack('>i', len(msg)) + msg)
n = struct.unpack('>i', s.recv(4, socket.MSG_WAITALL))[0]
p = s.recv(n, socket.MSG_WAITALL)
# /done ,iss id address json: the JSON is the last string
print(p[p.index(b'{'):p.rindex(b'}') + 1].decode())
PY
}

cpu_seconds() {  # utime + stime of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

make_patch() {  # N voices mixed onto out_1
  local n=$1 f=$work/voices-$1.patch
  : >"$f"
  for ((v = 0; v < n; v++)); do
    echo "add sine s$v freq=$((110 + v * 3)) amp=0.002" >>"$f"
    echo "add biquad b$v mode=0 freq=2000 q=0.7" >>"$f"
    echo "add gain g$v gain=0.5" >>"$f"
    echo "connect s$v:out b$v:in" >>"$f"
    echo "connect b$v:out g$v:in" >>"$f"
    echo "connect g$v:out graph:out_1" >>"$f"
  done
  echo "$f"
}

server="rtgraph-bench-$$"
port=$((20000 + $$ % 20000))
for workers in $workers_list; do
  printf '[realtime]\nworker_threads = %s\n' "$workers" >"$work/workers-$workers.toml"
done
printf '| voices | workers | run | JACK DSP load %% | rtgraphd CPU s / %s s | xruns |\n|---:|---:|---:|---:|---:|---:|\n' "$duration"
declare -A loads cpus xruns
for voices in $voices_list; do
  patch=$(make_patch "$voices")
  for ((r = 1; r <= repeat; r++)); do
  for workers in $workers_list; do
    key="$voices/$workers"
    JACK_NO_AUDIO_RESERVATION=1 jackd -n "$server" -d dummy -r 48000 -p 64 >"$work/jackd.log" 2>&1 &
    jackd_pid=$!
    jack_wait -s "$server" -w -t 10 >/dev/null
    build/daemon/rtgraphd --config "$work/workers-$workers.toml" --jack-server "$server" --osc-port "$port" --state-dir "$work/state-$voices-$workers-$r" \
      --patch "$patch" --log-level warn >"$work/rtgraphd.log" 2>&1 &
    daemon_pid=$!
    for _ in $(seq 100); do status "$port" >/dev/null 2>&1 && break; sleep 0.1; done
    sleep 2  # fades done, load settled
    x0=$(status "$port" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["xruns"])')
    c0=$(cpu_seconds "$daemon_pid")
    load_sum=0 samples=0
    for ((t = 0; t < duration; t++)); do
      sleep 1
      l=$(status "$port" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["dsp_load_percent"])')
      load_sum=$(echo "$load_sum + $l" | bc -l); samples=$((samples + 1))
    done
    c1=$(cpu_seconds "$daemon_pid")
    x1=$(status "$port" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["xruns"])')
    load=$(printf '%.1f' "$(echo "$load_sum / $samples" | bc -l)")
    cpu=$(printf '%.2f' "$(echo "$c1 - $c0" | bc -l)")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$voices" "$workers" "$r" "$load" "$cpu" "$((x1 - x0))"
    loads[$key]+="$load " cpus[$key]+="$cpu " xruns[$key]+="$((x1 - x0)) "
    kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=""
    kill "$jackd_pid"; wait "$jackd_pid" 2>/dev/null || true; jackd_pid=""
  done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
printf '\nmedians over %s runs of %s s (voices 0 = idle baseline):\n\n' "$repeat" "$duration"
printf '| voices | workers | JACK DSP load %% | rtgraphd CPU s / %s s | xruns / %s s |\n|---:|---:|---:|---:|---:|\n' "$duration" "$duration"
for voices in $voices_list; do
  for workers in $workers_list; do
    key="$voices/$workers"
    printf '| %s | %s | %s | %s | %s |\n' "$voices" "$workers" "$(echo "${loads[$key]}" | median)" \
      "$(echo "${cpus[$key]}" | median)" "$(echo "${xruns[$key]}" | median)"
  done
done
