#!/usr/bin/env bash
# patch-oscsend.sh: the patch of patch.sh sent with plain oscsend (liblo-tools),
# to show the raw OSC messages: address, type tags, arguments.
#
# oscsend only sends: it cannot read rtgraphd's replies, so nothing here learns
# whether a change was accepted or when it went live. Check the result with
# `rtgraphctl dump`, or watch for refusals in the daemon's /status "errors".
# Both transports work:
#   oscsend osc.udp://HOST:PORT /node/add ss sine osc    (UDP: the reply goes
#                                                          to a closed port)
#   oscsend osc.tcp://HOST:PORT /node/add ss sine osc    (TCP: connect, send one
#                                                          framed packet, close)
#   oscsend HOST PORT /node/add ss sine osc              (UDP, host and port apart)
# The optional request id (an int first) is left out: the daemon then answers
# with id 0, to no one.
#
# Environment: RTGRAPH_HOST (127.0.0.1), RTGRAPH_PORT (7711), RTGRAPH_TRANSPORT
# (udp or tcp; udp), SWEEP_STEP (seconds per sweep step, 0.3).
set -euo pipefail

host=${RTGRAPH_HOST:-127.0.0.1}
port=${RTGRAPH_PORT:-7711}
url="osc.${RTGRAPH_TRANSPORT:-udp}://$host:$port"
step=${SWEEP_STEP:-0.3}
ramp_ms=$(awk -v s="$step" 'BEGIN { print s * 1000 }')

send() { oscsend "$url" "$@"; }

# The daemon applies the messages in the order they arrive; each oscsend has
# finished sending before the next starts.
send /graph/clear
send /node/add sssfsf sine osc freq 110 amp 0.3          # TYPE NAME [PARAM VALUE]...
send /node/add sssf noise hiss amp 0.2
send /node/add sssfsfsf biquad lpf mode 0 freq 300 q 4
send /node/add sssf gain master gain 0.8
send /connect ss osc:out lpf:in                          # SRC DST [GAIN]
send /connect ssf hiss:out lpf:in 0.3
send /connect ss lpf:out master:in
send /connect ss master:out graph:out_1
send /connect ss master:out graph:out_2
echo "patch sent to $url"

for freq in 300 600 1200 2400 4800 2400 1200 600 300; do
    send /param/set ssff lpf freq "$freq" "$ramp_ms"     # NODE PARAM VALUE [RAMP_MS]
    echo "lpf.freq -> $freq Hz"
    sleep "$step"
done

# One transaction needs a bundle, which oscsend cannot send: these are two
# separate changes.
send /param/set ssff osc freq 220 500
send /param/set ssff lpf q 1 500
send /edge/gain ssf hiss:out lpf:in 0.1
send /node/bypass sT lpf                                 # T: bypass on
sleep "$step"
send /node/bypass sF lpf                                 # F: bypass off
echo "done (no replies with oscsend: check with 'rtgraphctl --port $port dump')"
