#!/usr/bin/env bash
# Idle benchmark: rtgraphd with no nodes and no clients on a private dummy
# jackd (48 kHz, PERIOD frames, default 64). Over DURATION seconds (default
# 20) prints, per thread of rtgraphd, its voluntary context switches per
# second (each is one wake-up after sleeping) and the process's CPU seconds;
# REPEAT runs (default 3), then the medians. The JACK process thread wakes
# once per period by design; the control thread ("rtgraphd", tid = pid) is
# the one that should sleep when nothing happens.
# Usage: scripts/bench_idle.sh   (DURATION=20 REPEAT=3 PERIOD=64)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-20}
repeat=${REPEAT:-3}
period=${PERIOD:-64}
[ -x build/daemon/rtgraphd ] || scripts/build.sh >/dev/null
work=$(mktemp -d /tmp/rtgraph-idle.XXXXXX)
jackd_pid="" daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$jackd_pid" ] && kill "$jackd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# "tid name switches" for every thread of $1.
switches() {
  for task in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "${task##*/}" "$(tr ' ' _ <"$task/comm")" \
      "$(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status")"
  done
}
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

server="rtgraph-idle-$$"
port=$((20000 + $$ % 20000))
printf '| run | control thread wake-ups/s | other non-JACK threads wake-ups/s | rtgraphd CPU s / %s s |\n|---:|---:|---:|---:|\n' "$duration"
controls="" others="" cpus=""
for ((r = 1; r <= repeat; r++)); do
  JACK_NO_AUDIO_RESERVATION=1 jackd -n "$server" -d dummy -r 48000 -p "$period" >"$work/jackd.log" 2>&1 &
  jackd_pid=$!
  jack_wait -s "$server" -w -t 10 >/dev/null 2>&1
  build/daemon/rtgraphd --jack-server "$server" --osc-port "$port" --state-dir "$work/state-$r" \
    --log-level warn >"$work/rtgraphd.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.1
  done
  sleep 2  # start-up settled
  switches "$daemon_pid" >"$work/before"
  c0=$(cpu_seconds "$daemon_pid")
  sleep "$duration"
  switches "$daemon_pid" >"$work/after"
  c1=$(cpu_seconds "$daemon_pid")
  # The JACK process thread is the one that wakes every period: the busiest.
  read -r control other < <(join <(sort "$work/before") <(sort "$work/after") | awk -v pid="$daemon_pid" -v d="$duration" '
    { rate = ($5 - $3) / d; if ($1 == pid) control = rate; else { n++; rates[n] = rate } }
    END { max = 0; for (i = 1; i <= n; i++) if (rates[i] > max) max = rates[i]
          sum = 0; for (i = 1; i <= n; i++) sum += rates[i]
          printf "%.1f %.1f\n", control, sum - max }')
  cpu=$(printf '%.3f' "$(echo "$c1 - $c0" | bc -l)")
  printf '| %s | %s | %s | %s |\n' "$r" "$control" "$other" "$cpu"
  controls+="$control " others+="$other " cpus+="$cpu "
  kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=""
  kill "$jackd_pid"; wait "$jackd_pid" 2>/dev/null || true; jackd_pid=""
done
printf '\nmedians (%s runs, %s frames): control thread %s wake-ups/s, other non-JACK threads %s wake-ups/s, %s CPU s per %s s\n' \
  "$repeat" "$period" "$(echo "$controls" | median)" "$(echo "$others" | median)" "$(echo "$cpus" | median)" "$duration"
