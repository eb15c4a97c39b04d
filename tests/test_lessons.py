"""Every surface teaches with its defaults: few balls diverge, the loss falls, the GIF lasts;
--lr auto stays below the rate at which gradient descent diverges."""
import numpy as np
import pytest

import sgd_viz
from optimizers import OPTIMIZERS
from sgd_viz_engine import cli
from sgd_viz_engine.basins import at_global_minimum
from sgd_viz_engine.curvature import auto_rate, largest_curvature
from sgd_viz_engine.plan import make_plan
from sgd_viz_engine.simulation import Dynamics, simulate, simulate_groups
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
    [group] = groups_for("--surface", name, "--lr", "auto", "--optimizer", optimizer)
    assert group.run.diverged[-1].mean() <= 0.1


def test_auto_on_the_bowl_stays_below_two_over_the_curvature():
    # (x/4)^2 + (y/2)^2 has Hessian diag(1/8, 1/2): L = 1/2, and GD diverges beyond 2/L = 4.
    bowl = SURFACES["bowl"]
    assert largest_curvature(bowl) == pytest.approx(0.5, rel=1e-9)
    rate, _ = auto_rate(bowl, OPTIMIZERS["sgd"]())
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


# --- escaped is a success ------------------------------------------------------------------

def test_a_ball_rolling_off_a_surface_unbounded_below_has_escaped_not_diverged():
    saddle = SURFACES["saddle"]
    starts = np.array([[0.0, 0.5], [0.0, -0.5], [0.5, 0.0]])
    run = simulate(saddle, Dynamics(OPTIMIZERS["sgd"](lr=0.2)), starts, 40)
    assert run.escaped[-1].tolist() == [True, True, False]     # downhill along y: escaped
    assert not run.diverged[-1].any()
    # too large a rate: along x, where the saddle rises, the ball diverges; along y it escapes
    run = simulate(saddle, Dynamics(OPTIMIZERS["sgd"](lr=1.5)), starts, 40)
    assert run.escaped[-1].tolist() == [True, True, False]
    assert run.diverged[-1].tolist() == [False, False, True]


def test_a_surface_with_a_minimum_never_counts_a_ball_as_escaped():
    [group] = groups_for("--surface", "bowl", "--lr", "4.5", "--balls", "30", "--steps", "20")
    assert group.run.diverged[-1].all() and not group.run.escaped.any()


def test_saddle_every_group_named_as_escaping_escapes_and_plain_gd_stays_on_the_ridge():
    caption = sgd_viz.PRESETS["saddle"][0]
    assert "plain GD stalls" in caption and "noise and momentum escape" in caption
    *escaping, plain = groups_for("--preset", "saddle")
    assert [group.label for group in escaping] == [
        "momentum lr=0.03 noise 1", "momentum lr=0.03 noise 0", "sgd lr=0.03 noise 1"]
    for group in escaping:      # leave the ridge |y| < 0.5, and roll off downhill
        run = group.run
        assert (np.abs(run.positions[-1][:, 1]) > 0.5).mean() >= 0.9, group.label
        assert run.escaped[-1].mean() >= 0.9 and not run.diverged.any(), group.label
    ends = plain.run.positions[-1]
    assert plain.label == "sgd lr=0.03 noise 0"
    assert (np.abs(ends[:, 1]) < 0.5).all() and not plain.run.escaped.any()
    assert not plain.run.diverged.any() and np.abs(plain.run.losses[-1]).max() < 0.05


# --- the presets' lessons, in numbers ------------------------------------------------------

def test_learning_rates_too_small_crawls_just_right_converges_too_large_diverges():
    slow, good, wild = (group.run for group in groups_for("--preset", "learning-rates"))
    assert good.losses[-1].mean() < slow.losses[-1].mean() and wild.diverged[-1].all()


def test_local_minima_annealed_noise_puts_more_balls_in_the_deepest_well():
    plain, noisy = groups_for("--preset", "local-minima")
    wells = SURFACES["wells"]
    found = [at_global_minimum(group.run.positions[-1], wells).mean() for group in (plain, noisy)]
    assert found[1] - found[0] >= 0.16, found     # +17 points


def test_batch_sizes_batch_gd_falls_smoothly_and_sgd_jitters():
    batches = groups_for("--preset", "batch-sizes")
    rises = [np.mean(np.diff(group.run.losses.mean(axis=1)) > 0) for group in batches]
    assert rises[0] == 0 and rises[-1] > 0.2
