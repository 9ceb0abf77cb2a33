#!/usr/bin/env bash
# Live benchmark: a chain of N eg-amp LV2 plugins (http://lv2plug.in/plugins/eg-amp,
# gain at its default 0 dB), hosted
#   (a) inside rtgraphd: N nodes in ONE JACK client,
#       system:capture_1 -> in_1 -> amp1 -> ... -> ampN -> out_1 -> system:playback_1
#   (b) by N jalv processes: one JACK client per plugin,
#       system:capture_1 -> amp1:in, amp1:out -> amp2:in, ... ampN:out -> system:playback_1
# on a private dummy jackd (48 kHz, PERIOD frames), side by side in the same
# run, interleaved per repetition, each configuration on a fresh jackd, plus
# the idle baseline (jackd with nothing). Figures per configuration, over a
# window of DURATION seconds after the chain has settled:
#   - JACK DSP load: median of jack_cpu_load() samples taken every 0.5 s
#   - host CPU seconds: utime + stime from /proc/PID/stat of rtgraphd, or
#     summed over the N jalv PIDs; jackd's own CPU seconds likewise
#   - xruns over the window: JACK xrun callbacks, and the distinct cycles they
#     came in (jackd2 calls back once per late client, so a late cycle of an
#     N-client jalv chain can count up to N callbacks; compare cycles)
# All three come from one monitor client (python3 + ctypes on libjack). It is
# activated without a process callback, so jackd keeps it out of the process
# graph: it costs nothing per cycle and is the same in every configuration.
# Reports medians over REPEAT runs and, per period, the ratio
# jalv CPU / rtgraphd CPU (the issue's target: >= 20 at N = 32).
#
# Usage: scripts/bench_plugins.sh [-d SECONDS] [-r REPEAT] [-n "1 8 32"] [-p "64 128"] [-H "rtgraphd jalv"]
#   or the same through the environment: DURATION=20 REPEAT=3 CHAIN="1 8 32"
#   PERIODS="64 128" HOSTS="rtgraphd jalv" SETTLE=3 (seconds before each window).
# Needs: jackd, jack_connect, jack_lsp, jack_wait, jalv, /usr/bin/python3,
# libjack, the eg-amp bundle (lv2-examples) and build/daemon/rtgraphd with
# eg-amp among its node types (scripts/install-deps.sh, scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

amp_uri=http://lv2plug.in/plugins/eg-amp
amp_type=${AMP_TYPE:-$amp_uri}   # rtgraphd's node type for it
duration=${DURATION:-20}
repeat=${REPEAT:-3}
chain_list=${CHAIN:-"1 8 32"}
periods=${PERIODS:-"64 128"}
hosts=${HOSTS:-"rtgraphd jalv"}
settle=${SETTLE:-3}

usage() { sed -n '/^# Usage:/,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts 'd:r:n:p:H:h' opt; do
  case $opt in
    d) duration=$OPTARG ;;
    r) repeat=$OPTARG ;;
    n) chain_list=$OPTARG ;;
    p) periods=$OPTARG ;;
    H) hosts=$OPTARG ;;
    *) usage ;;
  esac
done
die() { echo "bench_plugins: $*" >&2; exit 1; }
[[ $duration =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "bad window length '$duration' (seconds)"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "bad repetition count '$repeat'"
[[ $settle =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "bad SETTLE '$settle'"
for n in $chain_list; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "bad chain length '$n'"; done
for p in $periods; do [[ $p =~ ^[1-9][0-9]*$ ]] || die "bad period '$p'"; done
for h in $hosts; do [[ $h == rtgraphd || $h == jalv ]] || die "unknown host '$h' (rtgraphd or jalv)"; done
has_host() { [[ " $hosts " == *" $1 "* ]]; }

# ---------------------------------------------------------------- prerequisites
need=(jackd jack_connect jack_lsp jack_wait)
has_host jalv && need+=(jalv)
for tool in "${need[@]}"; do
  command -v "$tool" >/dev/null || die "'$tool' not found (scripts/install-deps.sh installs it)"
done
py=/usr/bin/python3   # PATH python3 may be a pyenv one; this one only needs ctypes
[ -x "$py" ] || die "$py not found"
"$py" -c 'import ctypes; ctypes.CDLL("libjack.so.0")' 2>/dev/null || die "libjack.so.0 not loadable from $py"
# The eg-amp bundle, where lilv (jalv) looks for it.
found_amp=""
IFS=: read -r -a lv2_dirs <<<"${LV2_PATH:-$HOME/.lv2:/usr/local/lib/lv2:/usr/lib/lv2:/usr/lib/$(uname -m)-linux-gnu/lv2}"
for d in "${lv2_dirs[@]}"; do
  [ -d "$d" ] || continue
  if grep -rlsF --include='*.ttl' "<$amp_uri>" "$d" >/dev/null; then found_amp=$d; break; fi
done
[ -n "$found_amp" ] || die "LV2 plugin $amp_uri not found in ${lv2_dirs[*]} (install lv2-examples)"
rtgraphd=$repo/build/daemon/rtgraphd rtgraphctl=$repo/build/daemon/rtgraphctl
if has_host rtgraphd; then
  [ -x "$rtgraphd" ] && [ -x "$rtgraphctl" ] || die "$rtgraphd or $rtgraphctl missing (run scripts/build.sh)"
fi

work=$(mktemp -d /tmp/rtgraph-bench-plugins.XXXXXX)
jackd_pid="" daemon_pid="" jalv_pids=()
hold_fd=""
stop_pid() {  # SIGTERM one of our processes, SIGKILL after 3 s, reap it
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_hosts() {
  local pid
  for pid in "${jalv_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${jalv_pids[@]}"; do stop_pid "$pid"; done
  jalv_pids=()
  [ -n "$daemon_pid" ] && stop_pid "$daemon_pid"
  daemon_pid=""
}
stop_all() {
  stop_hosts
  [ -n "$jackd_pid" ] && stop_pid "$jackd_pid"
  jackd_pid=""
}
cleanup() {
  stop_all
  [ -n "$hold_fd" ] && exec {hold_fd}>&-
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# jalv's console front end reads commands from stdin and exits at EOF, so each
# jalv reads a FIFO that this script holds open and never writes: jalv blocks
# in fgets and costs no CPU there.
mkfifo "$work/jalv-stdin"
exec {hold_fd}<>"$work/jalv-stdin"

server="rtgraph-bplug-$$"
osc_port=$((20000 + $$ % 20000))
client=bench-rtgraph
cat >"$work/rtgraphd.toml" <<EOF
log_level = "warn"
[jack]
audio_inputs = ["in_1"]
audio_outputs = ["out_1"]
midi_inputs = []
EOF

start_jackd() {  # $1 = period
  JACK_NO_AUDIO_RESERVATION=1 jackd -n "$server" -d dummy -r 48000 -p "$1" >"$work/jackd.log" 2>&1 &
  jackd_pid=$!
  # jack_wait's exit status says nothing; its output does.
  local said
  said=$(jack_wait -s "$server" -w -t 10 2>/dev/null || true)
  [[ $said == *'server is available'* ]] ||
    die "private jackd '$server' did not start (see below)$(echo; tail -5 "$work/jackd.log")"
}

wait_ports() {  # wait up to 60 s for every JACK port named in "$@" (32 jalv start slowly)
  local p missing
  for _ in $(seq 600); do
    missing=0
    local have
    have=$(JACK_DEFAULT_SERVER=$server jack_lsp 2>/dev/null)
    for p in "$@"; do grep -qxF "$p" <<<"$have" || { missing=1; break; }; done
    [ $missing = 0 ] && return 0
    sleep 0.1
  done
  die "JACK port '$p' did not appear within 60 s"
}

jconnect() { JACK_DEFAULT_SERVER=$server jack_connect "$1" "$2" || die "jack_connect $1 $2 failed"; }

ctl() { "$rtgraphctl" --port "$osc_port" --timeout 5000 "$@"; }

start_rtgraphd() {  # $1 = state dir tag
  "$rtgraphd" --config "$work/rtgraphd.toml" --jack-server "$server" --client-name "$client" \
    --osc-port "$osc_port" --state-dir "$work/state-$1" --patch "" --log-level warn \
    >"$work/rtgraphd.log" 2>&1 &
  daemon_pid=$!
  local ok=0
  for _ in $(seq 100); do
    kill -0 "$daemon_pid" 2>/dev/null || die "rtgraphd exited at start:$(echo; tail -5 "$work/rtgraphd.log")"
    ctl status >/dev/null 2>&1 && { ok=1; break; }
    sleep 0.1
  done
  [ $ok = 1 ] || die "rtgraphd did not answer /status on port $osc_port within 10 s"
  wait_ports "$client:in_1" "$client:out_1"
}

build_rtgraphd_chain() {  # $1 = N
  local n=$1 f=$work/chain-$1.patch i
  {
    echo "# $n x eg-amp in series, graph:in_1 -> ... -> graph:out_1"
    for ((i = 1; i <= n; i++)); do echo "add $amp_type amp$i"; done
    echo "connect graph:in_1 amp1:in"
    for ((i = 1; i < n; i++)); do echo "connect amp$i:out amp$((i + 1)):in"; done
    echo "connect amp$n:out graph:out_1"
  } >"$f"
  jconnect system:capture_1 "$client:in_1"
  jconnect "$client:out_1" system:playback_1
  local out
  out=$(ctl batch "$f" 2>&1) || die "rtgraphctl batch of the $n-amp chain failed: $out"
  # The daemon's own view: N nodes and N + 1 connections.
  local counts
  counts=$(ctl --json status | "$py" -c '
import json, sys
s = json.load(sys.stdin)["results"][0]
if isinstance(s, str):
    s = json.loads(s)
print(s["nodes"], s["connections"])') || die "cannot read rtgraphd's /status"
  [ "$counts" = "$n $((n + 1))" ] ||
    die "rtgraphd reports nodes/connections '$counts' after building a $n-amp chain (expected '$n $((n + 1))')"
}

build_jalv_chain() {  # $1 = N
  local n=$1 i ports=()
  for ((i = 1; i <= n; i++)); do
    JACK_DEFAULT_SERVER=$server jalv -x -n "amp$i" "$amp_uri" \
      <"$work/jalv-stdin" >"$work/jalv-$i.log" 2>&1 &
    jalv_pids+=($!)
    ports+=("amp$i:in" "amp$i:out")
  done
  wait_ports "${ports[@]}"
  for pid in "${jalv_pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a jalv exited at start: $(cat "$work"/jalv-*.log | tail -5)"
  done
  jconnect system:capture_1 amp1:in
  for ((i = 1; i < n; i++)); do jconnect "amp$i:out" "amp$((i + 1)):in"; done
  jconnect "amp$n:out" system:playback_1
}

# Measures one window. Prints: DSP-load-median xrun-cycles xrun-callbacks host-CPU-s jackd-CPU-s.
measure() {  # $@ = host PIDs (none: baseline)
  "$py" - "$server" "$duration" "$jackd_pid" "$@" <<'PY'
import ctypes, os, statistics, sys, threading, time
server, duration, jackd_pid, hosts = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]
hz = os.sysconf('SC_CLK_TCK')
def cpu(pids):
    total = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            sys.exit(f'process {pid} is gone')
        total += int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)
    return total / hz
jack = ctypes.CDLL('libjack.so.0')
jack.jack_client_open.restype = ctypes.c_void_p
jack.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_char_p]
jack.jack_cpu_load.restype = ctypes.c_float
jack.jack_cpu_load.argtypes = [ctypes.c_void_p]
XrunCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
jack.jack_set_xrun_callback.argtypes = [ctypes.c_void_p, XrunCallback, ctypes.c_void_p]
jack.jack_activate.argtypes = [ctypes.c_void_p]
jack.jack_client_close.argtypes = [ctypes.c_void_p]
status = ctypes.c_int(0)
client = jack.jack_client_open(b'bench-monitor', 0x01 | 0x04, ctypes.byref(status), server.encode())
if not client:
    sys.exit(f'cannot open a JACK client on server {server} (status {status.value:#x})')
jack.jack_last_frame_time.restype = ctypes.c_uint32
jack.jack_last_frame_time.argtypes = [ctypes.c_void_p]
# jackd2 sends one xrun notification per late client (and one for a late
# driver wake-up), so N jalv clients late in one cycle make N callbacks.
# Count both the callbacks and the distinct cycles they came in (the cycle's
# start frame when the callback runs: callbacks are asynchronous, so this
# may over-count slightly when one lands in the next cycle).
xruns = [0, set()]
lock = threading.Lock()
def on_xrun(arg):
    frame = jack.jack_last_frame_time(client)
    with lock:
        xruns[0] += 1
        xruns[1].add(frame)
    return 0
callback = XrunCallback(on_xrun)   # kept alive until the client is closed
jack.jack_set_xrun_callback(client, callback, None)
# Xrun callbacks reach active clients only; with no process callback jackd
# activates it outside the process graph.
if jack.jack_activate(client) != 0:
    sys.exit('jack_activate failed')
time.sleep(0.5)
with lock:
    x0 = xruns[0]
    xruns[1].clear()
h0, j0 = cpu(hosts), cpu([jackd_pid])
start = time.monotonic()
loads = []
while True:
    left = start + duration - time.monotonic()
    if left <= 0:
        break
    time.sleep(min(0.5, left))
    loads.append(jack.jack_cpu_load(client))
h1, j1 = cpu(hosts), cpu([jackd_pid])
with lock:
    x1, cycles = xruns[0], len(xruns[1])
jack.jack_client_close(client)
print('%.1f %d %d %s %.2f' % (statistics.median(loads), cycles, x1 - x0,
                           '%.2f' % (h1 - h0) if hosts else '-', j1 - j0))
PY
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# ---------------------------------------------------------------- preflight
# Fail before measuring anything when rtgraphd cannot host eg-amp.
if has_host rtgraphd; then
  start_jackd "${periods%% *}"
  start_rtgraphd preflight
  types=$(ctl --json types 2>&1) || die "rtgraphctl types failed: $types"
  "$py" -c '
import json, sys
def strings(x):  # every string in the /types reply, keys and values
    if isinstance(x, str):
        try:
            yield from strings(json.loads(x)) if x[:1] in "[{" else iter([x])
        except ValueError:
            yield x
    elif isinstance(x, dict):
        for k, v in x.items():
            yield k
            yield from strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from strings(v)
sys.exit(0 if sys.argv[1] in set(strings(json.loads(sys.stdin.read())["results"])) else 1)' "$amp_type" <<<"$types" ||
    die "rtgraphd ($rtgraphd) has no node type '$amp_type' (no LV2 support in this build, or the plugin is not visible to it)"
  stop_all
fi

# ---------------------------------------------------------------- runs
declare -A loads cpus jcpus xruns xcbs
configs=("idle 0")
for n in $chain_list; do
  for h in rtgraphd jalv; do has_host "$h" && configs+=("$h $n"); done
done

printf '# eg-amp chains on a private dummy jackd, 48 kHz; %s run(s) of %s s each; %s\n' \
  "$repeat" "$duration" "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '\n| period | host | N | run | JACK DSP load %% | host CPU s / %s s | jackd CPU s | xrun cycles | xrun callbacks |\n' "$duration"
printf '|---:|---|---:|---:|---:|---:|---:|---:|---:|\n'
for period in $periods; do
  for ((r = 1; r <= repeat; r++)); do
    for cfg in "${configs[@]}"; do
      read -r host n <<<"$cfg"
      start_jackd "$period"
      pids=()
      case $host in
        rtgraphd) start_rtgraphd "$period-$r-$n"; build_rtgraphd_chain "$n"; pids=("$daemon_pid") ;;
        jalv) build_jalv_chain "$n"; pids=("${jalv_pids[@]}") ;;
      esac
      sleep "$settle"
      result=$(measure "${pids[@]}" 2>&1) || die "measuring $host N=$n failed: $result"
      read -r load xr xcb cpu jcpu <<<"$result"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$period" "$host" "$n" "$r" "$load" "$cpu" "$jcpu" "$xr" "$xcb"
      key="$period $host $n"
      loads[$key]+="$load " cpus[$key]+="$cpu " jcpus[$key]+="$jcpu " xruns[$key]+="$xr " xcbs[$key]+="$xcb "
      stop_all
    done
  done
done

printf '\nmedians over %s run(s) of %s s (idle = jackd alone, the baseline):\n\n' "$repeat" "$duration"
printf '| period | host | N | JACK DSP load %% | host CPU s / %s s | jackd CPU s / %s s | xrun cycles / %s s | xrun callbacks / %s s |\n' \
  "$duration" "$duration" "$duration" "$duration"
printf '|---:|---|---:|---:|---:|---:|---:|---:|\n'
declare -A med_cpu
for period in $periods; do
  for cfg in "${configs[@]}"; do
    read -r host n <<<"$cfg"
    key="$period $host $n"
    if [ "$host" = idle ]; then c=-; else c=$(echo "${cpus[$key]}" | median); fi
    med_cpu[$key]=$c
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$period" "$host" "$([ "$host" = idle ] && echo - || echo "$n")" \
      "$(echo "${loads[$key]}" | median)" "$c" "$(echo "${jcpus[$key]}" | median)" \
      "$(echo "${xruns[$key]}" | median)" "$(echo "${xcbs[$key]}" | median)"
  done
done

if has_host rtgraphd && has_host jalv; then
  printf '\njalv CPU / rtgraphd CPU (medians; target at N = 32: >= 20, i.e. rtgraphd <= 1/20 of jalv):\n\n'
  for period in $periods; do
    for n in $chain_list; do
      j=${med_cpu["$period jalv $n"]} g=${med_cpu["$period rtgraphd $n"]}
      verdict=""
      if awk -v g="$g" 'BEGIN {exit !(g > 0)}'; then
        ratio=$(awk -v j="$j" -v g="$g" 'BEGIN {printf "%.1f", j / g}')
        [ "$n" = 32 ] && verdict=$(awk -v r="$ratio" 'BEGIN {print (r >= 20) ? "  target met" : "  target MISSED"}')
      else
        ratio="n/a (rtgraphd used < 0.01 CPU s)"
      fi
      printf 'period %s, N = %s: %s / %s = %s%s\n' "$period" "$n" "$j" "$g" "$ratio" "$verdict"
    done
  done
fi
