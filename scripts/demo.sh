#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs rtgraphd in the
# foreground playing the demo patch. Uses the running JACK server if there is
# one (JACK_DEFAULT_SERVER or "default"); otherwise starts a private jackd
# with the dummy backend (48 kHz, 128 frames) and stops it afterwards.
# Extra arguments go to rtgraphd (e.g. --log-level debug).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null

server=${JACK_DEFAULT_SERVER:-default}
jackd_pid=""
# jack_wait -c exits 0 either way; its answer is in what it prints.
if [ "$(jack_wait -s "$server" -c 2>/dev/null)" != "running" ]; then
  server="rtgraph-demo-$$"
  JACK_NO_AUDIO_RESERVATION=1 jackd -n "$server" -d dummy -r 48000 -p 128 >/tmp/"$server".log 2>&1 &
  jackd_pid=$!
  trap 'kill "$jackd_pid" 2>/dev/null; wait "$jackd_pid" 2>/dev/null || true' EXIT
  jack_wait -s "$server" -w -t 10 >/dev/null
  echo "demo: started a private JACK server '$server' (dummy backend, 48 kHz, 128 frames; no sound card needed)"
fi

state_dir=$(mktemp -d /tmp/rtgraph-demo-state.XXXXXX)
cat <<MSG
demo: rtgraphd plays config/patches/demo.patch on JACK server '$server'.
demo:   its ports: rtgraph:out_1 and rtgraph:out_2 (wired to system:playback_1/2), rtgraph:in_1, rtgraph:in_2, rtgraph:midi_in
demo:   see them:  JACK_DEFAULT_SERVER=$server jack_lsp -c rtgraph   (or qjackctl)
demo:   connect:   JACK_DEFAULT_SERVER=$server jack_connect rtgraph:out_1 <some client>:<input>
demo:   stop:      Ctrl-C (rtgraphd exits cleanly and removes its ports)
MSG
status=0
build/daemon/rtgraphd --config config/demo.toml --jack-server "$server" \
  --patch config/patches/demo.patch --state-dir "$state_dir" "$@" &
daemon_pid=$!
# Ctrl-C or a TERM to this script stops rtgraphd cleanly (then jackd, above).
trap 'kill -TERM "$daemon_pid" 2>/dev/null' INT TERM
wait "$daemon_pid" || status=$?
wait "$daemon_pid" 2>/dev/null || true
rm -rf "$state_dir"
exit "$status"
