#!/usr/bin/env bash
# selftest.sh: checks rtgraphctl and the three examples against a real
# rtgraphd. Starts a private JACK server (dummy driver, its own name) and an
# rtgraphd on a free OSC port, runs rtgraphctl commands (error cases too) and
# patch.sh, patch-oscsend.sh and patch.py, checks exit codes and output, and
# stops what it started, by PID. The last line is "N passed, M failed"; the
# exit status is 0 only when nothing failed.
#
# Needs: jackd (jackd2), the built rtgraphd and rtgraphctl, oscsend
# (liblo-tools), python3 for JSON checks; /usr/bin/python3 with liblo
# (python3-liblo) for patch.py, which is skipped without it.
#
# Environment: BUILD_DIR (default: this tree's build), RTGRAPHD, RTGRAPHCTL
# (default: $BUILD_DIR/daemon/...), VERBOSE=1 to show every command's output.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${BUILD_DIR:-$here/../../build}
rtgraphd=${RTGRAPHD:-$build/daemon/rtgraphd}
rtgraphctl=${RTGRAPHCTL:-$build/daemon/rtgraphctl}
python=$(command -v python3 || echo /usr/bin/python3)

passed=0
failed=0
known=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtgraphctl-selftest.XXXXXX")
jack_name="rtgctl-selftest-$$-$RANDOM"
jackd_pid=""
daemon_pid=""
watch_pids=()
port=""

# ---------------------------------------------------------------- cleanup

stop_pid() {  # PID: TERM, wait up to 5 s, then KILL
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    local pid
    [ -n "$jackd_pid" ] && kill -CONT "$jackd_pid" 2>/dev/null
    for pid in "${watch_pids[@]}"; do stop_pid "$pid"; done
    stop_pid "$daemon_pid"
    stop_pid "$jackd_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- checks

pass() {
    passed=$((passed + 1))
    echo "PASS: $1"
}

fail() {  # NAME [DETAILS]
    failed=$((failed + 1))
    echo "FAIL: $1"
    [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/      /' | head -40
    return 0
}

# check NAME DETAILS COMMAND...: passes when COMMAND succeeds.
check() {
    local name=$1 details=$2
    shift 2
    if "$@"; then pass "$name"; else fail "$name" "$details"; fi
}

# expect NAME RC STDOUT_REGEX STDERR_REGEX COMMAND...   (empty regex: no check)
# Runs COMMAND with stdin from $stdin_text when set; leaves $out, $err, $rc.
stdin_text=""
expect() {
    local name=$1 want=$2 out_re=$3 err_re=$4
    shift 4
    if [ -n "$stdin_text" ]; then
        out=$(printf '%s' "$stdin_text" | "$@" 2>"$tmp/stderr")
        rc=$?
    else
        out=$("$@" 2>"$tmp/stderr" </dev/null)
        rc=$?
    fi
    err=$(<"$tmp/stderr")
    stdin_text=""
    if [ "${VERBOSE:-0}" = 1 ]; then printf '$ %s\n%s\n%s\n' "$*" "$out" "$err"; fi
    if [ "$rc" != "$want" ]; then
        fail "$name (exit $rc, expected $want)" "$(printf 'stdout: %s\nstderr: %s' "$out" "$err")"
        return 1
    fi
    if [ -n "$out_re" ] && ! grep -Eq -- "$out_re" <<<"$out"; then
        fail "$name (stdout does not match /$out_re/)" "$out"
        return 1
    fi
    if [ -n "$err_re" ] && ! grep -Eq -- "$err_re" <<<"$err"; then
        fail "$name (stderr does not match /$err_re/)" "$err"
        return 1
    fi
    pass "$name"
}

# json_ok NAME PYTHON_EXPR : $out parsed as JSON (d) must make EXPR true.
json_ok() {
    local name=$1 expr=$2
    if "$python" -c "import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if ($expr) else 1)" <<<"$out" \
        2>"$tmp/json_err"; then
        pass "$name"
    else
        fail "$name (JSON check failed: $expr)" "$out$(cat "$tmp/json_err")"
    fi
}

# A daemon bug that is known: reported, not counted as a failure. When it
# passes, it counts as a pass and says the issue looks fixed.
known_issue() {  # NAME DESCRIPTION RC STDOUT_REGEX STDERR_REGEX COMMAND...
    local name=$1 description=$2
    shift 2
    local before=$failed
    if expect "$name" "$@" >"$tmp/known" 2>&1; then
        cat "$tmp/known"
        echo "      (known issue '$description' looks fixed: make this an ordinary check)"
    else
        failed=$before
        known=$((known + 1))
        echo "KNOWN: $name: $description"
    fi
}

ctl() { "$rtgraphctl" --port "$port" "$@"; }

abort() {
    echo "setup failed: $1"
    [ -f "$tmp/jackd.log" ] && { echo "--- jackd log"; tail -20 "$tmp/jackd.log"; }
    [ -f "$tmp/rtgraphd.log" ] && { echo "--- rtgraphd log"; tail -20 "$tmp/rtgraphd.log"; }
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
}

# ---------------------------------------------------------------- setup

for tool in "$rtgraphd" "$rtgraphctl"; do
    [ -x "$tool" ] || abort "$tool is not built (cmake --build build --target rtgraphd rtgraphctl)"
done
command -v jackd >/dev/null || abort "jackd is not installed"

JACK_NO_AUDIO_RESERVATION=1 jackd -n "$jack_name" -d dummy -r 48000 -p 128 >"$tmp/jackd.log" 2>&1 &
jackd_pid=$!
if command -v jack_wait >/dev/null; then
    JACK_NO_START_SERVER=1 jack_wait -s "$jack_name" -w -t 10 >/dev/null 2>&1 || abort "jackd did not start"
fi

: >"$tmp/rtgraph.toml"  # no system config: built-in defaults and the flags below
mkdir -p "$tmp/state"
for attempt in 1 2 3 4 5 6; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    "$rtgraphd" --config "$tmp/rtgraph.toml" --jack-server "$jack_name" --client-name rtgraph-selftest \
        --osc-port "$port" --state-dir "$tmp/state" --patch "" --log-level info >"$tmp/rtgraphd.log" 2>&1 &
    daemon_pid=$!
    ready=no
    for _ in $(seq 150); do
        if grep -q "rtgraphd ready" "$tmp/rtgraphd.log"; then ready=yes; break; fi
        kill -0 "$daemon_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ "$ready" = yes ] && break
    if ! kill -0 "$daemon_pid" 2>/dev/null && grep -q "cannot open the OSC control port" "$tmp/rtgraphd.log"; then
        wait "$daemon_pid" 2>/dev/null
        daemon_pid=""
        continue  # the port was taken: another one
    fi
    abort "rtgraphd did not become ready"
done
[ "$ready" = yes ] || abort "no free OSC port found"
echo "rtgraphd (pid $daemon_pid) on OSC port $port, JACK server '$jack_name' (jackd pid $jackd_pid)"

# ---------------------------------------------------------------- the client alone

expect "--version" 0 '^rtgraphctl [0-9]' '' "$rtgraphctl" --version
expect "--help" 0 'usage: rtgraphctl' '' "$rtgraphctl" --help
expect "usage: no command" 2 '' 'no command given' "$rtgraphctl"
expect "usage: unknown command" 2 '' "unknown command 'frob'" "$rtgraphctl" frob
expect "usage: unknown option" 2 '' "unknown option '--frob'" "$rtgraphctl" --frob version
expect "usage: bad port" 2 '' '--port needs a port number' "$rtgraphctl" --port 0 version
expect "usage: set without value" 2 '' 'usage: rtgraphctl set' "$rtgraphctl" set osc freq
expect "usage: bad number" 2 '' "must be a number, got 'abc'" "$rtgraphctl" add sine x freq=abc
expect "usage: bypass maybe" 2 '' "'on' or 'off'" "$rtgraphctl" bypass x maybe
expect "unreachable: tcp refused" 3 '' 'cannot connect to tcp 127\.0\.0\.1:1: Connection refused' \
    "$rtgraphctl" --port 1 version
expect "unreachable: udp refused" 3 '' 'nothing listens on udp 127\.0\.0\.1:1' "$rtgraphctl" --udp --port 1 version
expect "unreachable: --json" 3 '"code":"unreachable"' '' "$rtgraphctl" --json --port 1 version

# ---------------------------------------------------------------- queries

expect "version" 0 '^rtgraphd .* \(OSC API 1\)$' '' ctl version
expect "api" 0 '^/node/add +ss\[sf\]\* +TYPE NAME' '' ctl api
expect "api --json" 0 '' '' ctl --json api &&
    json_ok "api --json: objects" 'd["ok"] and any(a["path"] == "/subscribe" and a["types"] == "[s]*" for a in d["results"])'
expect "types" 0 '"name": "sine"' '' ctl types
expect "status" 0 '"sample_rate": 48000' '' ctl status
expect "status --json" 0 '' '' ctl status --json &&
    json_ok "status --json: object" 'd["ok"] and d["address"] == "/status" and d["results"][0]["jack_connected"]'
expect "dump (empty)" 0 '"nodes": \[\]' '' ctl dump

# ---------------------------------------------------------------- changes

expect "add" 0 '^ok$' '' ctl add sine t1 freq=220
expect "add: duplicate" 1 '' "^error: duplicate_name: a node named 't1' already exists" ctl add sine t1
expect "add: unknown type" 1 '' '^error: [a-z_]+: ' ctl add wobbler w1
expect "get" 0 '^t1\.freq = 220 Hz \(range 0\.01\.\.20000 Hz, default 440 Hz\)$' '' ctl get t1 freq
expect "set --ramp" 0 '^ok$' '' ctl set t1 freq 330 --ramp 20
expect "get after set" 0 '^t1\.freq = 330 Hz' '' ctl get t1 freq
expect "set: clamped note" 0 'note: t1\.freq clamped from 50000 to 20000' '' ctl set t1 freq 50000
expect "get --json" 0 '' '' ctl --json get t1 freq &&
    json_ok "get --json: results" 'd["ok"] and d["results"] == [20000.0, 0.01, 20000.0, 440.0, "Hz"]'
expect "set: not finite" 1 '' '^error: not_finite' ctl set t1 freq nan
expect "get: unknown param" 1 '' '^error: unknown_param' ctl get t1 nope
expect "remove: unknown node" 1 '' "^error: unknown_node: no node named 'nosuch'" ctl remove nosuch
expect "remove --json: unknown node" 1 '' '' ctl --json remove nosuch &&
    json_ok "remove --json: error object" 'not d["ok"] and d["code"] == "unknown_node" and d["address"] == "/node/remove"'
expect "add gain" 0 '^ok$' '' ctl add gain g
expect "connect with gain" 0 '^ok$' '' ctl connect t1:out g:in 0.5
expect "connect: unknown port" 1 '' '^error: ' ctl connect t1:nope g:in
expect "gain" 0 '^ok$' '' ctl gain t1:out g:in 0.25
expect "dump shows the gain" 0 '"gain": 0\.25' '' ctl dump
expect "disconnect" 0 '^ok$' '' ctl disconnect t1:out g:in
expect "disconnect again" 1 '' '^error: ' ctl disconnect t1:out g:in
expect "bypass on" 0 '^ok$' '' ctl bypass g on
expect "dump shows bypass" 0 '"bypassed": true' '' ctl dump
expect "bypass off" 0 '^ok$' '' ctl bypass g off
expect "rename" 0 '^ok$' '' ctl rename g g2
expect "get after rename" 0 '^g2\.gain = 1 ' '' ctl get g2 gain
expect "port add" 0 '^ok$' '' ctl port add aux out
expect "port add midi" 0 '^ok$' '' ctl port add keys in midi
expect "dump shows ports" 0 '"name": "keys"' '' ctl dump
expect "port remove" 0 '^ok$' '' ctl port remove aux
expect "port remove again" 1 '' '^error: ' ctl port remove aux
expect "port remove midi" 0 '^ok$' '' ctl port remove keys
expect "connect external JACK port" 0 '^ok$' '' ctl connect graph:out_1 system:playback_1
expect "disconnect external JACK port" 0 '^ok$' '' ctl disconnect graph:out_1 system:playback_1
expect "external: no such JACK port" 1 '' '^error: jack_error' ctl connect graph:out_1 nosuch:port

# ---------------------------------------------------------------- UDP

expect "udp: version" 0 '^rtgraphd ' '' ctl --udp version
expect "udp: add" 0 '^ok$' '' ctl --udp add sine u1
expect "udp: duplicate" 1 '' '^error: duplicate_name' ctl --udp add sine u1
expect "udp: remove" 0 '^ok$' '' ctl --udp remove u1
expect "udp: status" 0 '"jack_connected": true' '' ctl --udp status

# ---------------------------------------------------------------- batch

stdin_text=$'# two changes, one transaction\nset t1 freq 100 10\nset t1 amp 0.1   # quieter\n'
expect "batch: stdin" 0 '^ok: 2 commands applied as one transaction$' '' ctl batch
expect "batch: applied" 0 '^t1\.amp = 0\.1 ' '' ctl get t1 amp
stdin_text=$'add sine b1\nremove nosuch\n'
if expect "batch: refused" 1 '' "line 2: remove nosuch: unknown_node" ctl batch; then
    check "batch: says nothing was applied" "$err" grep -q "nothing in it was applied" <<<"$err"
fi
expect "batch: all or nothing" 1 '' "^error: unknown_node: no node named 'b1'" ctl get b1 freq
stdin_text=$'add sine b1\nremove nosuch\n'
expect "batch --json: refused" 1 '' '' ctl --json batch &&
    json_ok "batch --json: root cause" 'not d["ok"] and d["line"] == 2 and d["code"] == "unknown_node" and [r["code"] for r in d["replies"]] == ["transaction_refused", "unknown_node"]'
stdin_text=$'add sine b2\nfrobnicate\n'
expect "batch: syntax error" 2 '' '<stdin>:2: unknown command' ctl batch
stdin_text=$'set t1 freq 200\nat 1\nset t1 freq 300\n'
expect "batch: timed 'at' refused" 2 '' '<stdin>:2: a batch is one immediate transaction' ctl batch
printf 'add sine b3 freq=50\nport out b3out\nconnect t1:out graph:b3out 0.5\n' >"$tmp/script.txt"
expect "batch: file" 0 '^ok: 3 commands' '' ctl batch "$tmp/script.txt"
expect "batch: missing file" 2 '' "cannot read '$tmp/nope.txt'" ctl batch "$tmp/nope.txt"
stdin_text=$'# only a comment\n\n'
expect "batch: empty" 0 '^ok: nothing to do' '' ctl batch
stdin_text=$'add sine k1\nadd gain k2\nconnect k1:out k2:in\n'
expect "batch: add and connect in one transaction" 0 '^ok: 3 commands' '' ctl batch
ctl remove k1 >/dev/null 2>&1
ctl remove k2 >/dev/null 2>&1

# ---------------------------------------------------------------- watch

# wait_for FILE REGEX SECONDS [COMMAND...]: until FILE matches, running COMMAND
# (if any) every 0.1 s.
wait_for() {
    local file=$1 re=$2 seconds=$3
    shift 3
    for _ in $(seq $((seconds * 10))); do
        grep -Eq -- "$re" "$file" 2>/dev/null && return 0
        [ $# -gt 0 ] && "$@" >/dev/null 2>&1
        sleep 0.1
    done
    return 1
}

watch_check() {  # NAME TRANSPORT_FLAG...
    local name=$1
    shift
    # Not through ctl(): a backgrounded function is a subshell, and $! must be rtgraphctl.
    "$rtgraphctl" --port "$port" "$@" watch param graph >"$tmp/watch.out" 2>"$tmp/watch.err" &
    local pid=$!
    watch_pids+=("$pid")
    if ! wait_for "$tmp/watch.err" '^watching param graph on ' 5; then
        fail "$name: subscribed" "$(cat "$tmp/watch.err")"
        stop_pid "$pid"
        return
    fi
    ctl set t1 freq 123 >/dev/null
    ctl add sine w1 >/dev/null
    ctl remove w1 >/dev/null
    if wait_for "$tmp/watch.out" '/node/remove' 5; then
        check "$name: notifications" "$(cat "$tmp/watch.out")" \
            grep -Eq '^[0-9:.]+ param t1 freq 123$' "$tmp/watch.out"
        check "$name: graph notifications" "$(cat "$tmp/watch.out")" \
            grep -Eq '^[0-9:.]+ graph "tcp 127\.0\.0\.1:[0-9]+ #[0-9]+" /node/add$' "$tmp/watch.out"
    else
        fail "$name: notifications" "$(cat "$tmp/watch.out" "$tmp/watch.err")"
    fi
    kill -INT "$pid"
    wait "$pid"
    local code=$?
    if [ "$code" = 0 ] && grep -q '^unsubscribed$' "$tmp/watch.err"; then
        pass "$name: Ctrl-C unsubscribes, exit 0"
    else
        fail "$name: Ctrl-C unsubscribes, exit 0 (exit $code)" "$(cat "$tmp/watch.err")"
    fi
}
watch_check "watch (tcp)"
watch_check "watch (udp)" --udp

"$rtgraphctl" --port "$port" --json watch param >"$tmp/watch.json" 2>"$tmp/watch.err" &
pid=$!
watch_pids+=("$pid")
if wait_for "$tmp/watch.json" '"topic":"param"' 5 ctl set t1 freq 124; then
    out=$(grep -m1 '"topic":"param"' "$tmp/watch.json")
    json_ok "watch --json: notification" 'd["address"] == "/notify/param" and d["args"] == ["t1", "freq", 124.0] and d["time"] > 0'
else
    fail "watch --json: notification" "$(cat "$tmp/watch.json" "$tmp/watch.err")"
fi
kill -TERM "$pid"
check "watch --json: SIGTERM, exit 0" "$(cat "$tmp/watch.err")" wait "$pid"
expect "watch: unknown topic" 1 '' "^error: bad_arguments: unknown topic 'bogus'" ctl watch bogus

# ---------------------------------------------------------------- timeout

# With jackd stopped no change goes live, so no /done comes: exit 3.
kill -STOP "$jackd_pid"
expect "timeout" 3 '' "^rtgraphctl: no reply from tcp 127\.0\.0\.1:$port within 300 ms \(to /node/add" \
    ctl --timeout 300 add sine late1
expect "timeout --json" 3 '"code":"timeout"' '' ctl --json --timeout 300 add sine late2
expect "queries answer while jackd is stopped" 0 '^rtgraphd ' '' ctl --timeout 1000 version
kill -CONT "$jackd_pid"
expect "the timed-out change still happened" 0 '^late1\.freq = 440 ' '' ctl get late1 freq

# ---------------------------------------------------------------- examples

export RTGRAPH_HOST=127.0.0.1 RTGRAPH_PORT=$port RTGRAPHCTL=$rtgraphctl SWEEP_STEP=0.05
if expect "example: patch.sh" 0 'patch built' '' "$here/patch.sh"; then
    check "example: patch.sh output" "$out" \
        "$python" -c 'import sys; t = sys.stdin.read(); sys.exit(not ("refused as expected" in t and "\"name\": \"master\"" in t))' <<<"$out"
fi

expect "example: clear" 0 '^ok$' '' ctl clear
expect "example: patch-oscsend.sh (udp)" 0 'patch sent to osc\.udp://' '' "$here/patch-oscsend.sh"
graph_ready='all(n in [x["name"] for x in d["nodes"]] for n in ("osc", "hiss", "lpf", "master")) and len(d["connections"]) == 5 and not any(x["bypassed"] for x in d["nodes"])'
check_oscsend_graph() {
    local name=$1
    for _ in $(seq 20); do  # oscsend gets no replies: give the last changes a moment
        out=$(ctl dump)
        "$python" -c "import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if ($graph_ready) else 1)" \
            <<<"$out" 2>/dev/null && break
        sleep 0.1
    done
    json_ok "$name" "$graph_ready and [x for x in d['nodes'] if x['name'] == 'lpf'][0]['params']['q'] == 1.0"
}
check_oscsend_graph "example: patch-oscsend.sh built the patch (udp)"
ctl clear >/dev/null
RTGRAPH_TRANSPORT=tcp expect "example: patch-oscsend.sh (tcp)" 0 'patch sent to osc\.tcp://' '' "$here/patch-oscsend.sh"
check_oscsend_graph "example: patch-oscsend.sh built the patch (tcp)"

if /usr/bin/python3 -c 'import liblo' 2>/dev/null; then
    ctl clear >/dev/null
    if expect "example: patch.py (tcp)" 0 '^4 nodes, 5 connections:$' '' "$here/patch.py"; then
        check "example: patch.py output" "$out" grep -q 'refused as expected: duplicate_name' <<<"$out"
    fi
    RTGRAPH_TRANSPORT=udp expect "example: patch.py (udp)" 0 '^4 nodes, 5 connections:$' '' "$here/patch.py"
    RTGRAPH_PORT=1 expect "example: patch.py, no daemon" 1 '' '^patch\.py: 127\.0\.0\.1:1: ' "$here/patch.py"
else
    echo "SKIP: patch.py (/usr/bin/python3 has no liblo module: apt install python3-liblo)"
fi

# ---------------------------------------------------------------- the end

expect "clear" 0 '^ok$' '' ctl clear
expect "dump after clear" 0 '"nodes": \[\]' '' ctl dump
if kill -0 "$daemon_pid" 2>/dev/null; then pass "rtgraphd still running"; else fail "rtgraphd still running"; fi
if grep -q '\[critical\]' "$tmp/rtgraphd.log"; then
    fail "nothing critical in the rtgraphd log" "$(grep '\[critical\]' "$tmp/rtgraphd.log")"
else
    pass "nothing critical in the rtgraphd log"
fi

[ "$known" -gt 0 ] && echo "($known known daemon issue(s) reported above as KNOWN, not counted)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
