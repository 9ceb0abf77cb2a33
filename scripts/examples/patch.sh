#!/usr/bin/env bash
# patch.sh: builds a small patch in a running rtgraphd with rtgraphctl, then
# sweeps a lowpass filter with ramped parameter changes.
#
#   noise (hiss) --0.3--+
#   sine  (osc)  -------+--> biquad (lpf) --> gain (master) --> graph:out_1, graph:out_2
#
# Every rtgraphctl call waits for the daemon's reply (/done once the change is
# live on the audio thread), so the next line sees it; set -e stops the script
# at the first refusal (rtgraphctl exits 1, and prints "error: CODE: MESSAGE").
#
# Environment: RTGRAPH_HOST (127.0.0.1), RTGRAPH_PORT (7711), RTGRAPHCTL (the
# rtgraphctl to run; default: the one on PATH, else this tree's build),
# SWEEP_STEP (seconds per sweep step, 0.3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rtgraphctl=${RTGRAPHCTL:-$(command -v rtgraphctl || echo "$here/../../build/daemon/rtgraphctl")}
ctl() { "$rtgraphctl" --host "${RTGRAPH_HOST:-127.0.0.1}" --port "${RTGRAPH_PORT:-7711}" "$@"; }
step=${SWEEP_STEP:-0.3}
ramp_ms=$(awk -v s="$step" 'BEGIN { print s * 1000 }')

ctl version
ctl clear

ctl add sine osc freq=110 amp=0.3
ctl add noise hiss amp=0.2
ctl add biquad lpf mode=0 freq=300 q=4
ctl add gain master gain=0.8
ctl connect osc:out lpf:in
ctl connect hiss:out lpf:in 0.3
ctl connect lpf:out master:in
ctl connect master:out graph:out_1
ctl connect master:out graph:out_2
echo "patch built"

# Sweep the cutoff up and down; each step ramps over the step time, so the
# sweep is smooth rather than stepped.
for freq in 300 600 1200 2400 4800 2400 1200 600 300; do
    ctl set lpf freq "$freq" --ramp "$ramp_ms" >/dev/null
    echo "lpf.freq -> $freq Hz"
    sleep "$step"
done

# Two changes in one transaction (one OSC bundle): they start in the same
# audio block, or neither happens.
ctl batch <<'SCRIPT'
set osc freq 220 --ramp 500
set lpf q 1 --ramp 500
SCRIPT

ctl edge-gain hiss:out lpf:in 0.1
ctl bypass lpf on
sleep "$step"
ctl bypass lpf off
ctl get lpf freq

# A refusal: rtgraphctl exits 1 and says why.
if ! ctl add sine osc 2>/dev/null; then
    echo "refused as expected: a node named osc already exists"
fi

ctl dump
