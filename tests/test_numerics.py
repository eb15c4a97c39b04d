"""Numbers that go wrong: wild learning rates, starts on the edge, surfaces that overflow.
The suite runs with warnings as errors, so any RuntimeWarning here fails the test."""
import numpy as np
import pytest
from conftest import sweep

from optimizers import OPTIMIZERS
from sgd_viz_engine.scene import draw_frame, draw_scene
from sgd_viz_engine.simulation import ESCAPE, Dynamics, Group, simulate, uniform_starts
from surfaces import SURFACES

LEARNING_RATES = [1e-12, 1e-6, 1e-3, 1.0, 1e3, 1e6, 1e12]


def edge_starts(surface):
    """The corners, the middles of the edges and a few random points of the bounds."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    xs, ys = [xmin, (xmin + xmax) / 2, xmax], [ymin, (ymin + ymax) / 2, ymax]
    grid = np.array([(x, y) for x in xs for y in ys])
    return np.concatenate([grid, uniform_starts(surface, 20, np.random.default_rng(0))])


# Every surface and every optimizer in the README's test command (each surface with one of
# the optimizers, in turn: each optimizer on four surfaces), every pair in .ci/run's slow step
OPTIMIZER_NAMES = ["sgd", "momentum", "adam", "rmsprop", "adagrad"]
PAIRS = sweep([(name, optimizer) for name in SURFACES for optimizer in OPTIMIZER_NAMES],
              lambda case: OPTIMIZER_NAMES.index(case[1])
              == list(SURFACES).index(case[0]) % len(OPTIMIZER_NAMES))


@pytest.mark.parametrize("name, optimizer", PAIRS)
def test_any_learning_rate_gives_finite_frozen_runs(name, optimizer):
    surface = SURFACES[name]
    low, high = np.array(surface.bounds, dtype=float).T
    for lr in LEARNING_RATES:
        run = simulate(surface, Dynamics(OPTIMIZERS[optimizer](lr=lr)), edge_starts(surface), 30)
        assert np.isfinite(run.positions).all() and np.isfinite(run.losses).all(), lr
        margin = ESCAPE * (high - low)
        assert ((run.positions >= low - margin) & (run.positions <= high + margin)).all()
        frozen = run.positions[-1][run.diverged[-1]]
        assert ((frozen >= low) & (frozen <= high)).all()
        if lr == 1e12 and optimizer == "sgd" and len(surface.minima):
            # so large a step throws every ball that is not exactly at a minimum off the surface
            assert run.diverged[-1].mean() > 0.5, lr


@pytest.mark.parametrize("name", sweep(["rosenbrock", "goldstein_price", "bowl", "saddle"],
                                        lambda name: name in ("goldstein_price", "saddle")))
def test_diverged_balls_do_not_move_the_axes(name):
    surface = SURFACES[name]
    run = simulate(surface, Dynamics(OPTIMIZERS["sgd"](lr=1e6)), edge_starts(surface), 5)
    off = run.diverged[-1] | run.escaped[-1]     # on the saddle, falling off downhill escapes
    assert off.mean() > 0.9     # all but a start exactly at a minimum
    scene = draw_scene(surface, "", (160, 120), [Group("sgd lr=1e6", run)], "3d", 8)
    ax = scene.axes[0]
    limits = ax.get_xlim(), ax.get_ylim(), ax.get_zlim()
    for k in range(len(run.steps)):
        draw_frame(scene, k)
    assert (ax.get_xlim(), ax.get_ylim(), ax.get_zlim()) == limits
    assert ax.get_xlim() == surface.bounds[0] and ax.get_ylim() == surface.bounds[1]
    pixels = np.asarray(scene.fig.canvas.buffer_rgba())
    assert pixels[..., 3].min() == 255         # an opaque, fully drawn frame
