"""Whole-process timings of sgd_viz.py in two checkouts, side by side, in one run.

For each command below, the two checkouts run alternately (before, after, then after, before,
...) --repeat times each, every run a fresh `sys.executable sgd_viz.py ...` with the checkout as
its working directory and its GIF written into a temporary directory. Wall time is the whole
process, start-up and imports included, timed by this script. Peak memory is the maximum
resident set size that /usr/bin/time -v reports (left out when it is missing). Bytecode caches
go to a temporary PYTHONPYCACHEPREFIX (written even if PYTHONDONTWRITEBYTECODE is set), so
neither checkout gets files written into it, and one untimed run of each checkout first fills
them (and matplotlib's font cache): the timings are of warm starts, as a user's second run.

    .venv/bin/python benchmarks/before_after.py --before /tmp/before [--after .] [--repeat 5]
"""
import argparse
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "default": [],
    "3000 balls x 200 steps": ["--balls", "3000", "--steps", "200"],
}
TIME = "/usr/bin/time"


def run(checkout, flags, out, env):
    """One fresh process of sgd_viz.py in `checkout`: wall seconds, peak RSS bytes (or None),
    and the SHA-256 of the GIF it wrote."""
    command = [sys.executable, "sgd_viz.py", "--quiet", *flags, "--out", out]
    if os.access(TIME, os.X_OK):
        command = [TIME, "-v", *command]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} in {checkout} failed ({done.returncode}):\n"
                         + done.stderr[-2000:])
    peak = next((int(line.split(":")[1]) * 1024 for line in done.stderr.splitlines()
                 if "Maximum resident set size" in line), None)
    with open(out, "rb") as file:
        sha = hashlib.sha256(file.read()).hexdigest()
    os.remove(out)
    return wall, peak, sha


def commit(checkout):
    done = subprocess.run(["git", "-C", checkout, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="checkout to compare against")
    parser.add_argument("--after", default=".", help="checkout measured (default: .)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each, at least 5")
    args = parser.parse_args(argv)
    if args.repeat < 5:
        parser.error("--repeat must be at least 5")
    sides = {"before": os.path.abspath(args.before), "after": os.path.abspath(args.after)}
    for side, checkout in sides.items():
        if not os.path.isfile(os.path.join(checkout, "sgd_viz.py")):
            parser.error(f"--{side}: no sgd_viz.py in {checkout}")
    load, tmp = os.getloadavg()[0], tempfile.mkdtemp(prefix="sgd_viz-before-after-")
    env = {**os.environ, "PYTHONPYCACHEPREFIX": os.path.join(tmp, "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)    # else every run compiles matplotlib afresh
    try:
        for side, checkout in sides.items():       # warm up: bytecode and font caches
            run(checkout, [], os.path.join(tmp, f"warm-{side}.gif"), env)
        results = {}
        for name, flags in COMMANDS.items():
            runs = {side: [] for side in sides}
            for k in range(args.repeat):
                for side in (("before", "after") if k % 2 == 0 else ("after", "before")):
                    runs[side].append(run(sides[side], flags, os.path.join(tmp, f"{side}.gif"),
                                          env))
                    print(f"{name}: {side} run {len(runs[side])}: {runs[side][-1][0]:.2f} s",
                          file=sys.stderr, flush=True)
            results[name] = runs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(table(results))
    print(f"\nbefore = {sides['before']} ({commit(sides['before'])}), after = {sides['after']} "
          f"({commit(sides['after'])}); {args.repeat} runs each, alternating; wall = whole "
          "process; peak = max RSS (/usr/bin/time -v), median; MB = 10^6 bytes")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    return 0


def table(results):
    lines = ["| command | before median s | after median s | after/before | before peak MB "
             "| after peak MB | same GIF | before runs s | after runs s |",
             "|---|---:|---:|---:|---:|---:|---|---|---|"]
    for name, runs in results.items():
        wall = {side: statistics.median(r[0] for r in rs) for side, rs in runs.items()}
        peak = {side: ("-" if rs[0][1] is None else
                       f"{statistics.median(r[1] for r in rs) / 1e6:.0f}")
                for side, rs in runs.items()}
        shas = {side: {r[2] for r in rs} for side, rs in runs.items()}
        same = "yes" if shas["before"] == shas["after"] and len(shas["after"]) == 1 else "no"
        listed = {side: ", ".join(f"{r[0]:.2f}" for r in rs) for side, rs in runs.items()}
        lines.append(f"| {name} | {wall['before']:.2f} | {wall['after']:.2f} | "
                     f"{wall['after'] / wall['before']:.2f} | {peak['before']} | "
                     f"{peak['after']} | {same} | {listed['before']} | {listed['after']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
