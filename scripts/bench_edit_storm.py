#!/usr/bin/env python3
"""Does one client's edit storm hold up another client's requests?

A private dummy jackd and rtgraphd with a state directory; client A adds N
nodes (and N-1 connections) one request at a time, each a structural change
whose /done waits for the state file's write; meanwhile client B sends
/param/set to a node of its own, one at a time, and times each round trip.
B is timed twice in the same run: alone (the baseline) and during A's storm.
Prints medians and 99th percentiles; asserts nothing.

Usage: [BUILD_DIR=build] scripts/bench_edit_storm.py [N] [STATE_PARENT_DIR]
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# BUILD_DIR: another build to measure (say, an older commit's), default build/.
BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))


def osc_string(s):
    b = s.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)


def osc_message(address, *args):
    tags, body = ",", b""
    for a in args:
        if isinstance(a, int):
            tags += "i"
            body += struct.pack(">i", a)
        elif isinstance(a, float):
            tags += "f"
            body += struct.pack(">f", a)
        else:
            tags += "s"
            body += osc_string(a)
    return osc_string(address) + osc_string(tags) + body


def reply_address(data):
    return data[: data.index(b"\0")].decode()


class Client:
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(5.0)
        self.target = ("127.0.0.1", port)
        self.next_id = 1

    def request(self, address, *args):
        """Round trip in ms; raises on an /error."""
        rid = self.next_id
        self.next_id += 1
        start = time.perf_counter()
        self.sock.sendto(osc_message(address, rid, *args), self.target)
        while True:
            data, _ = self.sock.recvfrom(65536)
            if reply_address(data).startswith("/notify"):
                continue
            elapsed = (time.perf_counter() - start) * 1000.0
            if reply_address(data) == "/error":
                raise RuntimeError(f"{address} {args}: {data!r}")
            return elapsed


def quantile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    parent = sys.argv[2] if len(sys.argv) > 2 else "/var/tmp"
    work = tempfile.mkdtemp(prefix="rtgraph-bench-storm.", dir=parent)
    server = f"rtgraph-bench-storm-{os.getpid()}"
    port = 20000 + os.getpid() % 20000
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    jackd = subprocess.Popen(["jackd", "-n", server, "-d", "dummy", "-r", "48000", "-p", "64"],
                             stdout=open(f"{work}/jackd.log", "w"), stderr=subprocess.STDOUT, env=env)
    daemon = None
    try:
        subprocess.run(["jack_wait", "-s", server, "-w", "-t", "10"], check=True, stdout=subprocess.DEVNULL)
        daemon = subprocess.Popen([f"{BUILD}/daemon/rtgraphd", "--jack-server", server, "--osc-port",
                                   str(port), "--state-dir", f"{work}/state", "--patch", "", "--log-level",
                                   "warn"], stdout=open(f"{work}/rtgraphd.log", "w"), stderr=subprocess.STDOUT)
        b = Client(port)
        for _ in range(100):
            try:
                b.request("/version")
                break
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.1)
        b.request("/node/add", "gain", "b_gain")

        def b_round_trips(stop, out):
            value = 0.5
            while not stop.is_set():
                value = 1.0 - value
                out.append(b.request("/param/set", "b_gain", "gain", value))

        # Baseline: B alone, as long as the storm will roughly take.
        alone, stop = [], threading.Event()
        t = threading.Thread(target=b_round_trips, args=(stop, alone))
        t.start()
        time.sleep(3.0)
        stop.set()
        t.join()

        a = Client(port)
        storm, a_times, stop = [], [], threading.Event()
        t = threading.Thread(target=b_round_trips, args=(stop, storm))
        t.start()
        started = time.perf_counter()
        for i in range(1, count + 1):
            a_times.append(a.request("/node/add", "gain", f"g{i}"))
            if i > 1:
                a_times.append(a.request("/connect", f"g{i - 1}:out", f"g{i}:in"))
        storm_s = time.perf_counter() - started
        stop.set()
        t.join()
        status = subprocess.run([f"{BUILD}/daemon/rtgraphctl", "--port", str(port), "status"],
                                capture_output=True, text=True).stdout

        def line(name, values):
            return (f"{name}: n={len(values)} median {quantile(values, 0.5):.2f} ms, "
                    f"p99 {quantile(values, 0.99):.2f} ms, max {max(values):.2f} ms")

        print(f"storm: {count} /node/add and {count - 1} /connect on client A in {storm_s:.1f} s "
              f"(state dir on {parent}, jackd dummy 48 kHz, 64 frames)")
        print(line("A, structural change round trip (waits for its state write)", a_times))
        print(line("B, /param/set round trip, alone (baseline)", alone))
        print(line("B, /param/set round trip, during A's storm", storm))
        for key in ("state_writes", "state_last_write_ms", "state_max_write_ms"):
            for part in status.replace(",", "\n").splitlines():
                if f'"{key}"' in part:
                    print("  /status", part.strip())
        print(f"command: scripts/bench_edit_storm.py {count} {parent}")
    finally:
        for proc in (daemon, jackd):
            if proc is not None:
                proc.terminate()
                proc.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
