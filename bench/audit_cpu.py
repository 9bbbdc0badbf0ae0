#!/usr/bin/env python3
"""The audit's CPU cost alone, in a minute instead of `make bench`'s half hour.

Starts the simulator and two gateways exactly as bench/load.py does (audit off, and
sqlite + sync), then for ROUNDS rounds drives each with wrk at one concurrency (16 by default)
and prints CPU µs per request (utime+stime of the whole gateway process, writer thread
included) and the audited / plain ratio, with the median over rounds.

    bench/audit_cpu.py [--cordon build/release/cordon] [--rounds 3] [--duration 5] [-c 16]
    bench/audit_cpu.py --hold   # also print the audited gateway's pid and wait (for perf)
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402  (bench/load.py: the same processes, body and wrk script)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cordon", default=os.path.join(here, "..", "build", "release", "cordon"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("--sink", default="sqlite", help="sqlite or jsonl")
    parser.add_argument("--durability", default="sync", help="sync or async")
    parser.add_argument("--hold", action="store_true",
                        help="print the pids and wait for Enter before stopping everything")
    args = parser.parse_args()
    args.lua = os.path.join(here, "wrk", "post.lua")

    workdir = tempfile.mkdtemp(prefix="cordon-audit-cpu-")
    procs = load.Processes()
    env = dict(os.environ)
    try:
        body_file = os.path.join(workdir, "body.json")
        with open(body_file, "wb") as f:
            f.write(load.chat_request(False))
        sim = load.start_simulator(procs, args.cordon, workdir)
        plain = load.start_cordon(procs, args.cordon, workdir, sim.port)
        suffix = "db" if args.sink == "sqlite" else "jsonl"
        audited = load.start_cordon(
            procs, args.cordon, workdir, sim.port, name="cordon-audit",
            audit=f'{{ sink: "{args.sink}:{os.path.join(workdir, "audit." + suffix)}", '
            f'durability: {args.durability} }}')
        if args.hold:
            print(f"simulator {sim.proc.pid}  plain {plain.proc.pid} (port {plain.port})  "
                  f"audited {audited.proc.pid} (port {audited.port})  body {body_file}", flush=True)
            input("Enter stops everything> ")
            return 0
        figures = {"plain": [], "audited": []}
        for round_index in range(args.rounds):
            order = (plain, audited) if round_index % 2 == 0 else (audited, plain)
            for target in order:
                run = load.measure(target, args.concurrency, False, args, body_file, env, sim)
                if run.get("problems") or not run.get("cpu_us_per_req"):
                    print(f"{target.name}: {run.get('problems')}", file=sys.stderr)
                    return 1
                key = "plain" if target is plain else "audited"
                figures[key].append(run["cpu_us_per_req"])
                print(f"round {round_index + 1} {key:8} {run['cpu_us_per_req']:6.1f} µs/req "
                      f"({run['requests']} requests, p50 {run['p50_us']} µs)", flush=True)
        ratios = [a / p for a, p in zip(figures["audited"], figures["plain"])]
        off, on = statistics.median(figures["plain"]), statistics.median(figures["audited"])
        print(f"median: audit off {off:.1f} µs/req, {args.sink}+{args.durability} {on:.1f} µs/req, "
              f"ratio {on / off:.2f}× (per-round ratios "
              f"{', '.join(f'{r:.2f}' for r in ratios)})")
        return 0
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
