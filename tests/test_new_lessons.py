"""The lessons of issue 22 in numbers: schedules, warm restarts, initialisation, mini-batches on
real models; and schedules in the simulation against torch's trajectories."""
import json
import os

import numpy as np
import pytest
from conftest import groups_for

from optimizers import OPTIMIZERS
from sgd_viz_engine.basins import at_global_minimum
from sgd_viz_engine.schedules import schedule
from sgd_viz_engine.simulation import Dynamics, simulate
from surfaces import SURFACES

with open(os.path.join(os.path.dirname(__file__), "data", "torch_schedules.json")) as _file:
    TORCH = json.load(_file)


def tilted_bowl_grad(p):
    x, y = p[..., 0], p[..., 1]
    return np.stack([x / 8 + 0.1 * y, y / 2 + 0.1 * x], axis=-1)


class TiltedBowl:       # the surface the torch trajectories were recorded on
    f = staticmethod(lambda p: (p[..., 0] / 4) ** 2 + (p[..., 1] / 2) ** 2
                     + 0.1 * p[..., 0] * p[..., 1])
    grad = staticmethod(tilted_bowl_grad)
    box = np.array([(-1e9, 1e9), (-1e9, 1e9)])
    bounds = ((-1e9, 1e9), (-1e9, 1e9))
    unbounded = False
    samples = 0


@pytest.mark.parametrize("case", TORCH["trajectories"],
                         ids=lambda case: f"{case['optimizer']}-{case['schedule']}")
def test_scheduled_trajectories_equal_torchs(case):
    optimizer = OPTIMIZERS[case["optimizer"]](lr=case["lr"])
    made = schedule(case["schedule"], case["given"], case["lr"], case["steps"])
    run = simulate(TiltedBowl, Dynamics(optimizer, rates=made.rates, momenta=made.momenta),
                   case["starts"], case["steps"])
    np.testing.assert_allclose(run.positions[1:], np.array(case["positions"]), rtol=1e-13,
                               atol=1e-15)


def test_schedules_a_constant_rate_stalls_in_a_noise_ball_and_cosine_converges():
    constant, cosine = groups_for("--preset", "schedules")
    surface = SURFACES["linear_regression"]
    assert constant.label == "constant rate" and cosine.label == "cosine schedule"
    found = [at_global_minimum(group.run.positions[-1], surface).mean()
             for group in (constant, cosine)]
    assert found[0] <= 0.1 and found[1] >= 0.9, found
    # the constant rate's balls keep wandering at the end; the cosine's have stopped
    moved = [np.abs(np.diff(group.run.positions[-10:], axis=0)).max()
             for group in (constant, cosine)]
    assert moved[0] > 100 * moved[1], moved
    assert cosine.rates[0] == 0.3 and cosine.rates[-1] < 1e-3 and np.all(constant.rates == 0.3)


def test_warm_restarts_settle_most_balls_in_the_deepest_well():
    constant, restarts = groups_for("--preset", "warm-restarts")
    wells = SURFACES["wells"]
    [plain] = groups_for("--surface", "wells", "--balls", "150", "--steps", "200")
    found = [at_global_minimum(group.run.positions[-1], wells).mean()
             for group in (constant, restarts, plain)]
    assert found[0] < 0.05                  # the large constant rate never settles
    assert found[1] >= 0.6 and found[1] - found[2] >= 0.2, found   # 70% against 40%
    rates = restarts.rates      # each restart jumps back to the peak
    assert np.sum(np.diff(rates) > 1) == 4 and rates.max() == 2


def test_initialisation_zero_init_stays_on_the_saddle_and_random_init_finds_both_minima():
    zero, random = groups_for("--preset", "initialisation")
    neuron = SURFACES["neuron"]
    assert (zero.label, random.label) == ("zero init", "random init")
    assert not zero.run.positions[-1].any()     # every ball exactly at the origin, all run long
    ends = random.run.positions[-1]
    reached = at_global_minimum(ends, neuron)
    nearest = np.argmin(np.linalg.norm(ends[:, None] - neuron.minima, axis=-1), axis=1)
    shares = [(reached & (nearest == index)).mean() for index in (0, 1)]
    assert min(shares) >= 0.35 and sum(shares) >= 0.85, shares     # 48% and 52% here
    assert not random.run.diverged[-1].any()


def test_a_list_of_inits_makes_a_group_for_each_from_its_own_starts():
    groups = groups_for("--surface", "bowl", "--init", "zeros,grid,zeros", "--balls", "9",
                        "--steps", "2")
    assert [group.label for group in groups] == ["sgd lr=0.5 init zeros", "sgd lr=0.5 init grid"]
    assert not groups[0].run.positions[0].any()
    assert len(np.unique(groups[1].run.positions[0], axis=0)) == 9


def test_mini_batch_noise_frees_the_balls_that_full_batch_gd_leaves_in_a_shallow_minimum():
    full, mini = groups_for("--preset", "mini-batch-noise")
    network = SURFACES["network"]
    assert (full.label, mini.label) == ("full batch · 100", "mini-batch · 10")
    ends = full.run.positions[-1]
    # full batch: every ball settled in one shallow minimum, its loss far above the deep one's
    assert np.ptp(ends, axis=0).max() < 1e-3
    assert np.abs(network.grad(ends)).max() < 1e-4
    assert network.f(ends).min() > 100 * network.f(network.minima).max()
    assert not at_global_minimum(ends, network).any()
    assert at_global_minimum(mini.run.positions[-1], network).mean() >= 0.9     # 99% here
