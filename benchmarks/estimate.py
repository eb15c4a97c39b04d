"""Calibrate plan.estimate: run a spread of scenes and compare the estimate with what they take.

Each scene is `python sgd_viz.py ... --force --quiet` in a fresh child process under
`/usr/bin/time`, which reports the child's wall time and peak RSS (a child forked from this
process would start from this process's RSS). The table shows the estimate, the measurement and
their ratio (estimate / measured) for time and memory; plan.estimate's constants come from it.
A ratio outside 1/3..3 is marked `!` and makes the exit status 1: a check to run on a quiet
machine (not a test: the suite never measures wall time).

    .venv/bin/python benchmarks/estimate.py             # every scene, about two minutes
    .venv/bin/python benchmarks/estimate.py tiny orbit  # the scenes named
    .venv/bin/python benchmarks/estimate.py --recorded  # RECORDED, run long ago: no run
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
import sgd_viz  # noqa: E402
from sgd_viz_engine import cli  # noqa: E402
from sgd_viz_engine.plan import estimate, make_plan  # noqa: E402

SLOW = "--lr 0.001"         # balls that keep moving, so that no run is cut short as settled
SCENES = {                  # name -> flags; SLOW and an --out are added unless given
    "tiny": "--balls 10 --steps 5 --size 64x64",
    "default": "",
    "frames": "--balls 20 --steps 300 --frames 301 --size 320x240",
    "balls-png": "--balls 200000 --steps 100 --frames 101 --out OUT.png",
    "balls-gif": "--balls 20000 --steps 40 --size 320x240",
    "steps": "--balls 2000 --steps 20000 --frames 50 --size 160x120",
    "big-size": "--balls 100 --steps 20 --size 1600x1200",
    "big-frames": "--balls 100 --steps 80 --size 2400x1800",
    "multiples": ("--lr 0.001,0.002,0.003,0.004 --layout multiples --balls 50 --steps 30 "
                  "--size 400x300"),
    "orbit": "--orbit 90 --balls 100 --steps 40 --size 320x240",
    "orbit-multiples": "--orbit 90 --lr 0.001,0.002 --layout multiples --balls 1 --steps 40 "
                       "--frames 41 --size 64x64",
    "curve": "--layout curve --lr 0.001,0.002 --balls 200 --steps 100 --size 480x360",
    "contour": "--layout contour --balls 200 --steps 60 --size 480x360",
    "csv": "--balls 20000 --steps 30 --save-trajectories OUT.csv --out OUT.png",
    "npz": "--balls 100000 --steps 30 --save-trajectories OUT.npz --out OUT.png",
    "html": "--balls 10 --steps 60 --size 320x240 --out OUT.html",
    "basin": "--color basin --balls 5000 --steps 60 --size 320x240",
}


# Measured once, too long to run again here (flags, seconds or None, bytes or None): the big
# cases of issue 16, and of issue 24 with heroes (2.1 s estimated before they were counted).
RECORDED = [
    ("--out p.png --balls 1000000 --steps 1000", None, 5.36e9),
    ("--orbit 360 --steps 1000 --frames 1001 --balls 1 --size 64x64 --layout multiples "
     "--lr 1,2,3,4,5,6,7,8", 338, None),
    ("--balls 100000 --steps 60 --save-trajectories t.csv", 25, 525e6),
    ("--hero 10 --steps 100000 --balls 10 --size 320x240 --optimizer sgd,adam,momentum,rmsprop "
     "--noise 0.5", 149, None),
]


def plan_of(flags):
    """The Plan that `flags` (a list) ask for, forced."""
    return make_plan(cli.parse(flags, sgd_viz.settings(), sgd_viz.PRESETS), force=True)


def measure(flags, folder):
    """(seconds, peak RSS bytes) of `python sgd_viz.py flags --force --quiet` run in `folder`."""
    report = os.path.join(folder, "time.txt")
    command = ["/usr/bin/time", "-f", "%e %M", "-o", report, sys.executable,
               os.path.join(HERE, "sgd_viz.py"), *flags, "--force", "--quiet"]
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    with open(report) as file:
        seconds, kilobytes = file.read().split()[-2:]
    return float(seconds), int(kilobytes) * 1024


def flags_of(text, folder):
    """The flags of a scene, its outputs in `folder`."""
    flags = text.replace("OUT", os.path.join(folder, "out")).split()
    flags = flags if "--lr" in flags or not flags else [*SLOW.split(), *flags]
    return flags if "--out" in flags else [*flags, "--out", os.path.join(folder, "out.gif")]


def within_3x(ratio):
    return f"{ratio:6.2f}" + (" " if 1 / 3 <= ratio <= 3 else "!")


def recorded():
    """Print the estimates of the RECORDED cases beside what they took; 1 if one is off by
    more than 3x, else 0."""
    ratios = []
    for flags, *measured in RECORDED:
        guess = estimate(plan_of(flags.split()))
        line = [f"{value / took:.2f}" + (" " if 1 / 3 <= value / took <= 3 else "!")
                if took else "-" for value, took in zip(guess, measured, strict=True)]
        ratios += [value / took for value, took in zip(guess, measured, strict=True) if took]
        print(f"time {line[0]:6} memory {line[1]:6} {flags}")
    return int(not all(1 / 3 <= ratio <= 3 for ratio in ratios))


def main(names):
    """Print the table; 1 if an estimate is off by more than 3x, else 0."""
    if names == ["--recorded"]:
        return recorded()
    print(f"{'scene':16} {'est s':>7} {'meas s':>7} {'ratio':>6}    {'est MB':>7} "
          f"{'meas MB':>7} {'ratio':>6}")
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names or SCENES:
            flags = flags_of(SCENES[name], folder)
            seconds, memory = estimate(plan_of(flags))
            took, peak = measure(flags, folder)
            ratios += [seconds / took, memory / peak]
            print(f"{name:16} {seconds:7.2f} {took:7.2f} {within_3x(seconds / took)}   "
                  f"{memory / 1e6:7.0f} {peak / 1e6:7.0f} {within_3x(memory / peak)}", flush=True)
    return int(not all(1 / 3 <= ratio <= 3 for ratio in ratios))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
