"""Every surface teaches with its defaults: few balls diverge, the loss falls, the GIF lasts;
--lr auto stays below the rate at which gradient descent diverges."""
import numpy as np
import pytest

import sgd_viz
from sgd_viz_engine import cli
from sgd_viz_engine.curvature import auto_rate, largest_curvature
from sgd_viz_engine.plan import make_plan
from sgd_viz_engine.simulation import simulate_groups
from surfaces import SURFACES

WITH_MINIMA = [name for name, surface in SURFACES.items() if len(surface.minima)]


def groups_for(*argv):
    """The groups that `python sgd_viz.py ARGV` simulates, with the settings of sgd_viz.py."""
    return simulate_groups(make_plan(cli.parse([*argv, "--out", "x.gif"], sgd_viz.settings(),
                                               sgd_viz.PRESETS)))


def lesson(run, surface):
    """(share of balls diverged, share of the way the mean loss fell from the start towards the
    global minimum's value, frames)."""
    lost = run.diverged[-1]
    lowest = surface.f(surface.minima).min()
    start, end = run.losses[0].mean(), run.losses[-1][~lost].mean()
    return lost.mean(), (start - end) / (start - lowest), len(run.steps)


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_the_default_learning_rate_teaches(name):
    [group] = groups_for("--surface", name)
    diverged, fell, frames = lesson(group.run, SURFACES[name])
    assert diverged <= 0.1 and fell >= 0.5 and frames >= 30, (diverged, fell, frames)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam", "rmsprop",
                                       "adagrad"])
@pytest.mark.parametrize("name", WITH_MINIMA)
def test_an_automatic_learning_rate_keeps_the_balls(name, optimizer):
    if name == "mccormick" and optimizer in ("momentum", "nesterov"):
        pytest.skip("mccormick falls without bound along x = y; momentum carries balls off its "
                    "box at any rate that moves them (41% at a tenth of the stability limit)")
    if name == "logistic_regression" and optimizer == "momentum":
        pytest.skip("the cross-entropy is nearly linear far from its minimum: heavy-ball "
                    "momentum gathers speed there that the curvature near the minimum does not "
                    "limit (19% leave the box at half the stability limit; nesterov's rate holds)")
    [group] = groups_for("--surface", name, "--lr", "auto", "--optimizer", optimizer)
    assert group.run.diverged[-1].mean() <= 0.1


def test_auto_on_the_bowl_stays_below_two_over_the_curvature():
    # (x/4)^2 + (y/2)^2 has Hessian diag(1/8, 1/2): L = 1/2, and GD diverges beyond 2/L = 4.
    bowl = SURFACES["bowl"]
    assert largest_curvature(bowl) == pytest.approx(0.5, rel=1e-9)
    rate, _ = auto_rate(bowl, "sgd", {})
    assert rate < 4
    too_large = max(float(lr) for lr in cli.parse(
        ["--preset", "learning-rates"], sgd_viz.settings(), sgd_viz.PRESETS)["lr"].split(","))
    assert too_large > 4


def test_curvature_is_the_largest_eigenvalue_of_a_known_hessian():
    # rosenbrock's Hessian: [[1200x^2 - 400y + 2, -400x], [-400x, 200]]
    rosenbrock = SURFACES["rosenbrock"]
    region = ((0.9, 1.1), (0.9, 1.1))
    x, y = np.meshgrid(np.linspace(0.9, 1.1, 32), np.linspace(0.9, 1.1, 32))
    a, b, d = 1200 * x**2 - 400 * y + 2, -400 * x, 200.0
    exact = ((a + d) / 2 + np.hypot((a - d) / 2, b)).max()
    assert largest_curvature(rosenbrock, region) == pytest.approx(exact, rel=1e-6)
