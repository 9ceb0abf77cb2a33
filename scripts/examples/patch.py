#!/usr/bin/python3
# patch.py: the patch of patch.sh, built over OSC from Python with pyliblo
# (Debian's python3-liblo; hence /usr/bin/python3, not a pyenv python).
#
# Every request carries a request id and waits for the reply with that id:
# /done once the change is live, or /error, which raises. Over TCP the replies
# come back on the request's own connection: pyliblo sends through a TCP
# liblo.Server (server.send), and that server reads the replies from the same
# socket. (The server also listens on a port of its own, on every interface;
# nothing needs it. Use UDP, RTGRAPH_TRANSPORT=udp, to avoid that.)
# Over TCP each request after the first takes ~40 ms: liblo writes the size
# prefix and the packet in two send() calls without TCP_NODELAY, so Nagle's
# algorithm holds the packet until the daemon's delayed ACK; pyliblo offers no
# way to set lo_address_set_tcp_nodelay. UDP has no such wait.
#
# Environment: RTGRAPH_HOST (127.0.0.1), RTGRAPH_PORT (7711),
# RTGRAPH_TRANSPORT (tcp or udp), SWEEP_STEP (seconds per sweep step, 0.3).
import itertools
import json
import os
import random
import sys
import time

import liblo


class RtgraphError(Exception):
    def __init__(self, address, code, message):
        super().__init__(f"{address}: {code}: {message}")
        self.address, self.code, self.message = address, code, message


class Rtgraph:
    """A minimal rtgraphd client: request() sends and waits for the reply."""

    def __init__(self, host="127.0.0.1", port=7711, transport="tcp", timeout=2.0):
        proto = liblo.TCP if transport == "tcp" else liblo.UDP
        self.target = liblo.Address(host, port, proto)
        self.server = liblo.Server(proto=proto)  # sends the requests, receives the replies
        self.server.add_method(None, None, self._on_message)
        self.timeout = timeout
        self.ids = itertools.count(random.randint(1, 1 << 29))
        self.replies = {}
        self.notifications = []

    def _on_message(self, path, args, types, source):
        if path in ("/done", "/error") and types[:1] == "i":
            self.replies[args[0]] = (path, args)
        elif path.startswith("/notify/"):
            self.notifications.append((path, args))

    def _wait(self, ids):
        deadline = time.monotonic() + self.timeout
        while not all(i in self.replies for i in ids):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply from {self.target.url} within {self.timeout} s")
            self.server.recv(max(1, int(left * 1000)))
        return [self.replies.pop(i) for i in ids]

    @staticmethod
    def _result(path, args):
        if path == "/error":
            raise RtgraphError(args[1], args[2], args[3])
        return args[2:]  # after ID ADDRESS: results and notes

    def request(self, address, *args):
        request_id = next(self.ids)
        self.server.send(self.target, address, request_id, *args)
        [(path, reply)] = self._wait([request_id])
        return self._result(path, reply)

    def transaction(self, *requests):
        """Several changes in one bundle: all are applied in the same audio block, or none."""
        ids = [next(self.ids) for _ in requests]
        messages = [liblo.Message(address, i, *args) for i, (address, *args) in zip(ids, requests)]
        # (0, 1) is OSC's "immediately"; pyliblo's default timetag is (0, 0).
        self.server.send(self.target, liblo.Bundle((0, 1), *messages))
        replies = self._wait(ids)
        for path, reply in replies:  # the first real failure, not the "refused" echoes
            if path == "/error" and reply[2] != "transaction_refused":
                self._result(path, reply)
        for path, reply in replies:
            self._result(path, reply)
        return [reply[2:] for _, reply in replies]


def main():
    step = float(os.environ.get("SWEEP_STEP", "0.3"))
    rt = Rtgraph(os.environ.get("RTGRAPH_HOST", "127.0.0.1"), int(os.environ.get("RTGRAPH_PORT", "7711")),
                 os.environ.get("RTGRAPH_TRANSPORT", "tcp"))
    api, daemon = rt.request("/version")
    print(f"{daemon} (OSC API {api}) at {rt.target.url}")

    rt.request("/graph/clear")
    rt.request("/node/add", "sine", "osc", "freq", 110.0, "amp", 0.3)
    rt.request("/node/add", "noise", "hiss", "amp", 0.2)
    rt.request("/node/add", "biquad", "lpf", "mode", 0.0, "freq", 300.0, "q", 4.0)
    rt.request("/node/add", "gain", "master", "gain", 0.8)
    rt.request("/connect", "osc:out", "lpf:in")
    rt.request("/connect", "hiss:out", "lpf:in", 0.3)
    rt.request("/connect", "lpf:out", "master:in")
    rt.request("/connect", "master:out", "graph:out_1")
    rt.request("/connect", "master:out", "graph:out_2")
    print("patch built")

    # Sweep the cutoff up and down; each step ramps over the step time.
    for freq in (300, 600, 1200, 2400, 4800, 2400, 1200, 600, 300):
        rt.request("/param/set", "lpf", "freq", float(freq), step * 1000.0)
        print(f"lpf.freq -> {freq} Hz")
        time.sleep(step)

    rt.transaction(("/param/set", "osc", "freq", 220.0, 500.0), ("/param/set", "lpf", "q", 1.0, 500.0))
    rt.request("/edge/gain", "hiss:out", "lpf:in", 0.1)
    rt.request("/node/bypass", "lpf", True)
    time.sleep(step)
    rt.request("/node/bypass", "lpf", False)

    value, low, high, default, unit = rt.request("/param/get", "lpf", "freq")
    print(f"lpf.freq = {value:g} {unit} (range {low:g}..{high:g}, default {default:g})")

    try:
        rt.request("/node/add", "sine", "osc")
    except RtgraphError as error:
        print(f"refused as expected: {error.code}: {error.message}")

    (dump,) = rt.request("/graph/dump")
    graph = json.loads(dump)
    print(f"{len(graph['nodes'])} nodes, {len(graph['connections'])} connections:")
    for edge in graph["connections"]:
        print(f"  {edge['source']} -> {edge['destination']} (gain {edge['gain']:g})")


if __name__ == "__main__":
    try:
        main()
    except (RtgraphError, TimeoutError, OSError, liblo.AddressError, liblo.ServerError) as error:
        where = f"{os.environ.get('RTGRAPH_HOST', '127.0.0.1')}:{os.environ.get('RTGRAPH_PORT', '7711')}"
        print(f"patch.py: {where}: {error}", file=sys.stderr)
        sys.exit(1)
