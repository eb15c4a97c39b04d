"""The simulation, without matplotlib: closed forms, seeded streams, blocks and basins."""
import os
import subprocess
import sys

import numpy as np
import pytest

import surfaces
from optimizers import OPTIMIZERS
from sgd_viz_engine import simulation
from sgd_viz_engine.simulation import Dynamics
from surfaces import SURFACES


@pytest.mark.parametrize("module", ["simulation", "plan", "checks", "cli"])
def test_the_plan_and_the_simulation_import_without_matplotlib(module):
    code = (f"import sys, sgd_viz_engine.{module}; "
            "assert not any(m.startswith('matplotlib') for m in sys.modules)")
    folder = os.path.dirname(os.path.abspath(surfaces.__file__))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=folder)


def test_plain_gradient_descent_on_bowl_matches_closed_form():
    # On (x/4)^2 + (y/2)^2 the update is x <- x (1 - lr/8), y <- y (1 - lr/2).
    lr, steps = 0.3, 25
    starts = simulation.uniform_starts(SURFACES["bowl"], 50, np.random.default_rng(1))
    run = simulation.simulate(SURFACES["bowl"], Dynamics(OPTIMIZERS["sgd"](lr=lr)), starts, steps)
    t = np.arange(steps + 1)[:, None, None]
    expected = starts * np.array([1 - lr / 8, 1 - lr / 2]) ** t
    np.testing.assert_allclose(run.positions, expected, rtol=1e-12, atol=1e-300)
    bowl = (expected[..., 0] / 4) ** 2 + (expected[..., 1] / 2) ** 2
    np.testing.assert_allclose(run.losses, bowl,
                               rtol=1e-12, atol=1e-300)
    assert not run.diverged.any()


def test_uniform_starts_cover_the_bounds_and_follow_the_seed():
    surface = SURFACES["rosenbrock"]
    starts = simulation.uniform_starts(surface, 5000, np.random.default_rng(3))
    (xmin, xmax), (ymin, ymax) = surface.bounds
    assert starts.shape == (5000, 2)
    assert xmin <= starts[:, 0].min() < xmin + 0.01 and xmax - 0.01 < starts[:, 0].max() <= xmax
    assert ymin <= starts[:, 1].min() < ymin + 0.01 and ymax - 0.01 < starts[:, 1].max() <= ymax
    again = simulation.uniform_starts(surface, 5000, np.random.default_rng(3))
    assert np.array_equal(starts, again)


@pytest.mark.parametrize("surface, lr", [("bowl", 4.5), ("rosenbrock", 1.0),
                                         ("goldstein_price", 1e6), ("saddle", 0.5)])
def test_divergence_freezes_balls_on_the_edge_without_warnings(surface, lr):
    surface = SURFACES[surface]
    starts = simulation.uniform_starts(surface, 200, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=lr)), starts, 40)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    off = run.diverged | run.escaped    # on the saddle, rolling off downhill is escaping
    assert off[-1].mean() > 0.5 and not (run.diverged & run.escaped).any()
    assert np.isfinite(run.positions).all() and np.isfinite(run.losses).all()
    frozen = off[:-1]
    assert np.array_equal(run.positions[1:][frozen], run.positions[:-1][frozen])
    at_rest = run.positions[-1][off[-1]]
    assert (at_rest[:, 0] >= xmin).all() and (at_rest[:, 0] <= xmax).all()
    assert (at_rest[:, 1] >= ymin).all() and (at_rest[:, 1] <= ymax).all()
    on_edge = ((at_rest == [xmin, ymin]) | (at_rest == [xmax, ymax])).any(axis=1)
    assert on_edge.all()
    assert not run.diverged[0].any()
    # once diverged, always diverged
    assert (run.diverged[1:] >= run.diverged[:-1]).all()


def test_a_good_learning_rate_never_diverges():
    surface = SURFACES["wells"]
    starts = simulation.uniform_starts(surface, 300, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=0.1)), starts, 100)
    assert not run.diverged.any()
    assert run.losses[-1].mean() < run.losses[0].mean()


@pytest.mark.parametrize("steps, frames", [(10, 200), (199, 200), (200, 200), (1000, 200),
                                           (5000, 50), (3, 2)])
def test_frame_budget_samples_denser_early_and_ends_on_the_last_step(steps, frames):
    shown = simulation.frame_steps(steps, frames)
    assert shown[0] == 0 and shown[-1] == steps
    assert (np.diff(shown) > 0).all() and len(shown) <= frames
    if steps + 1 <= frames:
        assert np.array_equal(shown, np.arange(steps + 1))
    elif frames >= 8:
        assert len(shown) >= 0.8 * frames
        gaps = np.diff(shown)
        assert gaps[: len(gaps) // 4].mean() < gaps[-len(gaps) // 4:].mean()


@pytest.mark.parametrize("name, batch_size, optimizer, lr", [
    ("wells", None, "adam", 0.05), ("linear_regression", 10, "adam", 0.05),
    ("rosenbrock", None, "momentum", 0.002)])       # the last: 32 of the 50 balls diverge
def test_many_balls_are_stepped_in_blocks_to_the_same_numbers(name, batch_size, optimizer, lr,
                                                              monkeypatch):
    surface = SURFACES[name]
    starts = simulation.uniform_starts(surface, 50, np.random.default_rng(5))

    def run():
        return simulation.simulate(surface, Dynamics(OPTIMIZERS[optimizer](lr=lr),
                                                     noise=0.3, tol=1e-6, batch_size=batch_size),
                                   starts, 20)

    whole = run()
    monkeypatch.setattr(simulation, "BLOCK", 7)
    assert len(simulation.blocks(len(starts))) == 8
    for a, b in zip(whole, run(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_recording_a_sample_gives_the_same_rows_as_the_full_run():
    surface, optimizer = SURFACES["himmelblau"], OPTIMIZERS["adam"](lr=0.3)
    starts = simulation.uniform_starts(surface, 30, np.random.default_rng(2))
    full = simulation.simulate(surface, Dynamics(optimizer), starts, 300)
    rows = simulation.frame_steps(300, 40)
    sample = simulation.simulate(surface, Dynamics(optimizer), starts, 300, rows)
    for name, full_values, sampled in zip(full._fields, full, sample, strict=True):
        assert np.array_equal(full_values[rows], sampled), name


def test_noise_is_added_to_the_gradient_from_its_own_seeded_stream():
    surface, lr, sigma = SURFACES["bowl"], 0.5, 0.3
    starts = simulation.uniform_starts(surface, 20, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=lr), noise=sigma, seed=7),
                              starts, 3)
    draws = np.random.default_rng([7, 1])
    x = starts
    for t in range(1, 4):
        x = x - lr * (surface.grad(x) + sigma * draws.standard_normal(x.shape))
        np.testing.assert_allclose(run.positions[t], x, rtol=1e-13)
    # the same noise reaches every optimizer: momentum's first step equals sgd's
    other = simulation.simulate(surface, Dynamics(OPTIMIZERS["momentum"](lr=lr),
                                                  noise=sigma, seed=7),
                                starts, 1)
    np.testing.assert_allclose(other.positions[1], run.positions[1], rtol=1e-15)


def test_converged_balls_stop_and_a_settled_run_ends():
    surface, tol = SURFACES["bowl"], 1e-4
    starts = simulation.uniform_starts(surface, 50, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=1.0), tol=tol), starts, 400)
    assert run.converged[-1].all() and not run.converged[0].any()
    first = np.argmax(run.converged, axis=0)                 # step each ball stopped at
    for ball, t in enumerate(first):
        assert abs(run.losses[t, ball] - run.losses[t - 1, ball]) < tol
        assert abs(run.losses[t - 1, ball] - run.losses[t - 2, ball]) >= tol
        assert (run.positions[t:, ball] == run.positions[t, ball]).all()
    [cut] = simulation.until_settled([run])
    assert len(cut.steps) == first.max() + 1 and cut.steps[-1] == first.max()
    moving = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=1.0)),
                                 starts, 400)   # no tol
    assert [len(cut.steps) for cut in simulation.until_settled([run, moving])] == [401, 401]
    for each in (run, moving):      # losses are kept per recorded step, with or without tol
        np.testing.assert_array_equal(each.losses, surface.f(each.positions))


@pytest.mark.parametrize("size", [1, 7, 10, 100])
def test_each_epoch_uses_every_row_once(size):
    batches = simulation.minibatches(100, size, np.random.default_rng(0))
    per_epoch = -(-100 // size)
    for _ in range(3):
        epoch = [next(batches) for _ in range(per_epoch)]
        assert all(len(b) == size for b in epoch[:-1]) and 1 <= len(epoch[-1]) <= size
        assert np.array_equal(np.sort(np.concatenate(epoch)), np.arange(100))


def test_mini_batches_are_really_sampled_and_shared_across_optimizers():
    surface = SURFACES["linear_regression"]
    starts = simulation.uniform_starts(surface, 5, np.random.default_rng(0))
    # With batch size 1 an SGD step is exactly the gradient of one data row.
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=0.1), batch_size=1, seed=3),
                              starts, 1)
    row = next(simulation.minibatches(100, 1, np.random.default_rng([3, 2])))
    np.testing.assert_allclose(run.positions[1], starts - 0.1 * surface.grad(starts, row),
                               rtol=1e-14)
    assert not np.allclose(run.positions[1], starts - 0.1 * surface.grad(starts), rtol=1e-6)
    other = simulation.simulate(surface, Dynamics(OPTIMIZERS["momentum"](lr=0.1),
                                                  batch_size=1, seed=3),
                                starts, 1)
    np.testing.assert_allclose(other.positions[1], run.positions[1], rtol=1e-15)


def test_batch_gradient_descent_ends_at_the_least_squares_line():
    surface = SURFACES["linear_regression"]
    slope, intercept = np.polyfit(surfaces.REGRESSION_X, surfaces.REGRESSION_Y, 1)
    starts = simulation.uniform_starts(surface, 20, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=0.3)), starts, 400)
    np.testing.assert_allclose(run.positions[-1], np.tile([slope, intercept], (20, 1)),
                               atol=1e-8)
    noisy = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=0.3), batch_size=1),
                                starts, 400)
    assert np.abs(noisy.positions[-1] - [slope, intercept]).max() > 1e-3   # SGD keeps jittering


@pytest.mark.parametrize("init", simulation.INITS)
def test_every_init_gives_seeded_starts_inside_the_region(init):
    surface, region = SURFACES["wells"], ((-1.0, 3.0), (-2.0, 0.5))
    starts = simulation.starts_for(surface, 400, np.random.default_rng(4), init, region)
    again = simulation.starts_for(surface, 400, np.random.default_rng(4), init, region)
    assert starts.shape == (400, 2) and np.array_equal(starts, again)
    assert (starts[:, 0] >= -1).all() and (starts[:, 0] <= 3).all()
    assert (starts[:, 1] >= -2).all() and (starts[:, 1] <= 0.5).all()


def test_init_shapes_their_starts():
    surface = SURFACES["bowl"]
    rng = np.random.default_rng(0)
    grid = simulation.starts_for(surface, 25, rng, "grid")
    assert sorted(set(grid[:, 0])) == list(np.linspace(-10, 10, 5))
    assert len({tuple(p) for p in grid}) == 25
    assert not simulation.starts_for(surface, 9, rng, "zeros").any()
    normal = simulation.starts_for(surface, 20000, rng, "normal", ((0, 6), (-3, 3)))
    np.testing.assert_allclose(normal.mean(axis=0), [3, 0], atol=0.05)
    np.testing.assert_allclose(normal.std(axis=0), [1, 1], atol=0.05)
    xavier = simulation.starts_for(surface, 20000, rng, "xavier")
    np.testing.assert_allclose(xavier.std(axis=0), [1, 1], atol=0.03)


def test_basin_colors_split_the_balls_by_the_minimum_they_end_in():
    surface = SURFACES["wells"]
    starts = simulation.uniform_starts(surface, 400, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=0.1)), starts, 150)
    basins = simulation.by_basin(simulation.Group("sgd", run), surface)
    assert len(basins) == 4 and sum(b.run.positions.shape[1] for b in basins) == 400
    ends = np.concatenate([b.run.positions[-1] for b in basins])
    assert np.array_equal(np.sort(ends, axis=0), np.sort(run.positions[-1], axis=0))
    for basin in basins:        # each basin's balls end together, apart from the others
        spread = np.ptp(basin.run.positions[-1], axis=0).max()
        assert spread < 0.05
    globals_ = [b for b in basins if " ★" in b.label]
    assert len(globals_) == 1
    np.testing.assert_allclose(globals_[0].run.positions[-1], np.broadcast_to(
        surface.minima[0], globals_[0].run.positions[-1].shape), atol=1e-3)
    shares = [int(b.label.rsplit(" ", 1)[1].rstrip("%")) for b in basins]
    assert 95 <= sum(shares) <= 105 and shares == sorted(shares, reverse=True)
    assert all(b.whole == 400 for b in basins)      # each a share of all the balls


def test_balls_still_moving_are_still_moving_not_a_basin_of_their_own():
    surface = SURFACES["wells"]
    starts = simulation.uniform_starts(surface, 300, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=0.1)), starts, 60)
    basins = simulation.by_basin(simulation.Group("sgd", run), surface)
    moving = [b for b in basins if b.label.startswith("still moving")]
    assert len(moving) == 1 and all(not b.label.endswith(": 0%") for b in basins)
    steps = np.linalg.norm(moving[0].run.positions[-1] - moving[0].run.positions[-2], axis=1)
    assert (steps > 1e-3 * np.hypot(8, 8)).all()


def test_basin_colors_keep_diverged_balls_apart():
    surface = SURFACES["bowl"]
    starts = simulation.uniform_starts(surface, 50, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=4.2)), starts, 60)
    basins = simulation.by_basin(simulation.Group("sgd", run), surface)
    assert basins[-1].label.startswith("diverged") and basins[-1].run.diverged[-1].all()


def test_a_learning_rate_per_step_scales_each_step():
    """Dynamics.rates, a schedule's hook: step t moves by -rates[t - 1] * direction."""
    surface, rates = SURFACES["bowl"], np.array([0.5, 2.0, 1.0, 0.25])
    starts = simulation.uniform_starts(surface, 10, np.random.default_rng(0))
    run = simulation.simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=9.0), rates=rates),
                              starts, 4)
    x = starts
    for t, rate in enumerate(rates, start=1):
        x = x - rate * surface.grad(x)
        np.testing.assert_allclose(run.positions[t], x, rtol=1e-14)
