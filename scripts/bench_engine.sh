#!/usr/bin/env bash
# Runs the engine benchmarks (tests/bench/engine_bench.cpp) and prints their
# medians as a Markdown table for the README, each against its target.
#
# Usage: scripts/bench_engine.sh [--no-build] [extra Google Benchmark flags...]
#   BUILD_DIR   build directory (default: <repo>/build); configured if it has
#               no CMakeCache.txt, and the benchmark target is brought up to date
#               unless --no-build is given.
#   JOBS        parallel build jobs (default 2).
#   JUDGE       "cpu" (default) or "real": which median PASS/FAIL is judged on.
#               CPU time leaves out time the benchmark spent preempted by other
#               processes, which on a shared machine is not the engine's cost;
#               use "real" on an otherwise idle machine.
# The full Google Benchmark report goes to stderr, the table to stdout, and the
# raw JSON is kept in $BUILD_DIR/bench_engine.json.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
jobs=${JOBS:-2}
judge=${JUDGE:-cpu}
binary=$build_dir/tests/bench/rtgraph_bench_engine
json=$build_dir/bench_engine.json

build=1
if [[ ${1:-} == --no-build ]]; then
    build=0
    shift
fi
if [[ $judge != cpu && $judge != real ]]; then
    echo "JUDGE must be cpu or real, not '$judge'" >&2
    exit 2
fi

if [[ $build == 1 ]]; then
    if [[ ! -f $build_dir/CMakeCache.txt ]]; then
        cmake -S "$root" -B "$build_dir" >&2
    fi
    cmake --build "$build_dir" -j"$jobs" --target rtgraph_bench_engine >&2
fi
if [[ ! -x $binary ]]; then
    echo "no benchmark program at $binary (run without --no-build)" >&2
    exit 1
fi

"$binary" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$json" --benchmark_out_format=json "$@" >&2

python3 - "$json" "$judge" <<'PY'
import json
import sys

PERIOD_US = 64 / 48000 * 1e6  # one 64-frame block at 48 kHz: 1333 us

# run_name -> (what it measures, target in us or None, is it a per-block time)
ROWS = {
    "BM_GainChain/gains:1": ("sine -> 1 gain -> out (2 nodes)", None, True),
    "BM_GainChain/gains:100": ("sine -> 100 gains -> out (101 nodes)", None, True),
    "BM_GainChain/gains:1000": ("sine -> 1000 gains -> out (1001 nodes)", 15.0, True),
    "BM_Voices/voices:64": ("64 voices sine -> biquad -> gain (192 nodes)", None, True),
    "BM_Voices/voices:256": ("256 voices sine -> biquad -> gain (768 nodes)", 333.0, True),
    "BM_VoicesWorkers/workers:0/real_time": ("256 voices, serial (wall clock)", None, True),
    "BM_VoicesWorkers/workers:1/real_time": ("256 voices, 1 worker (wall clock)", None, True),
    "BM_GainChainWorkers/workers:0/real_time": ("1000-gain chain, serial (wall clock)", None, True),
    "BM_GainChainWorkers/workers:1/real_time": ("1000-gain chain, 1 worker (wall clock)", None, True),
    "BM_CompileProgram/nodes:1000": ("compile_program, 1000-node chain", 5000.0, False),
    "BM_ApplyConnect/nodes:1000": ("Engine::apply one Connect, 1000-node graph", None, False),
}
SCALE_TO_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}

path, judge = sys.argv[1], sys.argv[2]
with open(path) as f:
    report = json.load(f)

medians = {}
for bench in report["benchmarks"]:
    if bench.get("aggregate_name") != "median":
        continue
    scale = SCALE_TO_US[bench.get("time_unit", "ns")]
    medians[bench["run_name"]] = (bench["real_time"] * scale, bench["cpu_time"] * scale,
                                  bench.get("error_occurred", False))


def us(value):
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.2f} µs"


print(f"| benchmark | median wall | median CPU | share of 64-frame period | target "
      f"({judge}) | result |")
print("|---|---:|---:|---:|---:|:---:|")
failed = 0
names = list(ROWS) + sorted(set(medians) - set(ROWS))
for name in names:
    label, target, per_block = ROWS.get(name, (name, None, False))
    if name not in medians:
        print(f"| {label} | — | — | — | {'< ' + us(target) if target else '—'} | MISSING |")
        failed += target is not None
        continue
    real, cpu, error = medians[name]
    measured = cpu if judge == "cpu" else real
    share = f"{100 * measured / PERIOD_US:.1f} %" if per_block else "—"
    if error:
        result = "ERROR"
    elif target is None:
        result = "—"
    else:
        result = "PASS" if measured < target else "FAIL"
    failed += result in ("FAIL", "ERROR")
    print(f"| {label} | {us(real)} | {us(cpu)} | {share} | "
          f"{'< ' + us(target) if target else '—'} | {result} |")

# Parallel execution: ratios of wall-clock medians measured in this run.
def ratio(serial, parallel):
    if serial in medians and parallel in medians:
        return medians[serial][0] / medians[parallel][0]
    return None
speedup = ratio("BM_VoicesWorkers/workers:0/real_time", "BM_VoicesWorkers/workers:1/real_time")
chain = ratio("BM_GainChainWorkers/workers:0/real_time", "BM_GainChainWorkers/workers:1/real_time")
if speedup is not None and chain is not None:
    print(f"\n256 voices: 1 worker is {speedup:.2f}x the serial speed (target >= 1.7x); "
          f"1000-gain chain: {100 * (1 / chain - 1):+.1f} % time with a worker (target <= +3 %).")

context = report.get("context", {})
print()
print(f"Medians of 5 repetitions, 64-frame blocks at 48 kHz (period {PERIOD_US:.0f} µs); "
      f"{context.get('num_cpus', '?')} CPUs at {context.get('mhz_per_cpu', '?')} MHz, "
      f"load average {', '.join(f'{x:.2f}' for x in context.get('load_avg', []))}, "
      f"{context.get('date', '')}. PASS/FAIL judged on {judge} time.")
if failed:
    print(f"\n{failed} target(s) missed.")
PY
