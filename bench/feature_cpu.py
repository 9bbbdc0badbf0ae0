#!/usr/bin/env python3
"""What one feature costs in CPU per request, in a minute instead of `make bench`'s half hour.

Starts the simulator and two gateways as bench/load.py does, the same but for one feature, then
for ROUNDS rounds drives each with wrk at one concurrency (16 by default), alternating which goes
first, and prints CPU µs per request (utime+stime of the whole gateway process, every thread
included) and the with / without ratio, with the median over rounds.

    --feature audit      audit off against SINK + DURABILITY (sqlite + sync by default; issue 5)
    --feature detection  `serve --measure-without-detection` against detection on, both with the
                         audit off (issue 3)

    bench/feature_cpu.py [--feature audit|detection] [--cordon build/release/cordon]
                         [--rounds 3] [--duration 5] [-c 16]
    bench/feature_cpu.py --hold   # also print both gateways' pids and wait (for perf)
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
    parser.add_argument("--feature", default="audit", choices=("audit", "detection"))
    parser.add_argument("--cordon", default=os.path.join(here, "..", "build", "release", "cordon"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("--sink", default="sqlite", help="audit: sqlite or jsonl")
    parser.add_argument("--durability", default="sync", help="audit: sync or async")
    parser.add_argument("--hold", action="store_true",
                        help="print the pids and wait for Enter before stopping everything")
    args = parser.parse_args()
    args.lua = os.path.join(here, "wrk", "post.lua")

    workdir = tempfile.mkdtemp(prefix=f"cordon-{args.feature}-cpu-")
    procs = load.Processes()
    env = dict(os.environ)
    try:
        body_file = os.path.join(workdir, "body.json")
        with open(body_file, "wb") as f:
            f.write(load.chat_request(False))
        sim = load.start_simulator(procs, args.cordon, workdir)
        if args.feature == "audit":
            without = load.start_cordon(procs, args.cordon, workdir, sim.port)
            suffix = "db" if args.sink == "sqlite" else "jsonl"
            with_it = load.start_cordon(
                procs, args.cordon, workdir, sim.port, name="cordon-audit",
                audit=f'{{ sink: "{args.sink}:{os.path.join(workdir, "audit." + suffix)}", '
                f'durability: {args.durability} }}')
            labels = ("audit off", f"{args.sink}+{args.durability}")
        else:
            without = load.start_cordon(procs, args.cordon, workdir, sim.port,
                                        name="cordon-undetected",
                                        extra_args=("--measure-without-detection",))
            with_it = load.start_cordon(procs, args.cordon, workdir, sim.port)
            labels = ("detection off", "detection on")
        if args.hold:
            print(f"simulator {sim.proc.pid}  {labels[0]} {without.proc.pid} (port {without.port})"
                  f"  {labels[1]} {with_it.proc.pid} (port {with_it.port})  body {body_file}",
                  flush=True)
            input("Enter stops everything> ")
            return 0
        figures = {without.name: [], with_it.name: []}
        for round_index in range(args.rounds):
            order = (without, with_it) if round_index % 2 == 0 else (with_it, without)
            for target in order:
                run = load.measure(target, args.concurrency, False, args, body_file, env, sim)
                if run.get("problems") or not run.get("cpu_us_per_req"):
                    print(f"{target.name}: {run.get('problems')}", file=sys.stderr)
                    return 1
                figures[target.name].append(run["cpu_us_per_req"])
                label = labels[0] if target is without else labels[1]
                print(f"round {round_index + 1} {label:14} {run['cpu_us_per_req']:6.1f} µs/req "
                      f"({run['requests']} requests, {run['rps']:.0f} req/s, "
                      f"p50 {run['p50_us']} µs)", flush=True)
        ratios = [w / o for w, o in zip(figures[with_it.name], figures[without.name])]
        off = statistics.median(figures[without.name])
        on = statistics.median(figures[with_it.name])
        print(f"median: {labels[0]} {off:.1f} µs/req, {labels[1]} {on:.1f} µs/req, "
              f"ratio {on / off:.2f}× (per-round ratios "
              f"{', '.join(f'{r:.2f}' for r in ratios)})")
        return 0
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
