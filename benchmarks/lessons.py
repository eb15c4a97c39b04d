"""Sweep learning rates on every surface with a minimum, as `python sgd_viz.py --surface NAME
--lr RATE` would run them, and print which rates teach: at most 10% of the balls diverge, the
mean loss falls at least half of the way to the global minimum's value, and the animation
lasts at least 30 frames. The table ends with each surface's lesson rate and --lr auto's.

    .venv/bin/python benchmarks/lessons.py                      # every surface
    .venv/bin/python benchmarks/lessons.py --surfaces levi,ackley
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sgd_viz  # noqa: E402
from sgd_viz_engine import cli  # noqa: E402
from sgd_viz_engine.plan import make_plan  # noqa: E402
from sgd_viz_engine.simulation import simulate_groups  # noqa: E402
from surfaces import SURFACES  # noqa: E402

RATES = sorted({m * 10.0**k for k in range(-7, 2) for m in (1, 2, 5)})


def numbers(name, *argv):
    """(diverged share, share of the way the mean loss fell, frames, learning rate) of the run
    that `python sgd_viz.py --surface NAME ARGV` makes."""
    plan = make_plan(cli.parse(["--surface", name, *argv, "--out", "x.gif"], sgd_viz.settings(),
                               sgd_viz.PRESETS))
    [group] = simulate_groups(plan)
    run, surface = group.run, plan.surface
    lost = run.diverged[-1]
    start, lowest = run.losses[0].mean(), surface.f(surface.minima).min()
    fell = (start - run.losses[-1][~lost].mean()) / (start - lowest) if not lost.all() else 0
    return lost.mean(), fell, len(run.steps), group.optimizer.hyperparameters["lr"]


def teaches(diverged, fell, frames):
    return diverged <= 0.1 and fell >= 0.5 and frames >= 30


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surfaces", default=",".join(
        name for name, surface in SURFACES.items() if len(surface.minima)))
    args = parser.parse_args(argv)
    print("| surface | rates that teach | lesson rate | diverged | loss fell | frames "
          "| auto rate | diverged | loss fell | frames |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.surfaces.split(","):
        good = [lr for lr in RATES if teaches(*numbers(name, "--lr", str(lr))[:3])]
        lesson, auto = numbers(name), numbers(name, "--lr", "auto")
        shown = f"{good[0]:g} to {good[-1]:g} ({len(good)})" if good else "none"
        print(f"| {name} | {shown} | {lesson[3]:g} | {lesson[0]:.0%} | {lesson[1]:.0%} "
              f"| {lesson[2]} | {auto[3]:.3g} | {auto[0]:.0%} | {auto[1]:.0%} | {auto[2]} |")


if __name__ == "__main__":
    main()
