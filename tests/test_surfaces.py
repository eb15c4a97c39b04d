"""Tests for surfaces.py: gradients against finite differences, minima against the literature."""

import dataclasses

import numpy as np
import pytest
from conftest import sweep

import surfaces
from surfaces import SURFACES

NAMES = list(SURFACES)
WITH_MINIMA = [name for name in NAMES if len(SURFACES[name].minima)]
OVER_DATA = [name for name in NAMES if SURFACES[name].samples]
# minima computed rather than typed: a least-squares solve, the network's plane centred on its
# lowest point
COMPUTED = ("linear_regression", "network")

# Global minimum value, minimisers and the precision the minimisers are published to.
# Sources: Surjanovic & Bingham, Virtual Library of Simulation Experiments (VLSE), and
# Wikipedia "Test functions for optimization". The full-precision values for six_hump_camel,
# styblinski_tang and mccormick agree with the rounded -1.0316 (VLSE), -39.16617 * 2 > f >
# -39.16616 * 2 (Wikipedia) and -1.9133 (VLSE, Wikipedia).
REFERENCE = {
    "bowl": (0.0, [(0, 0)], 0.0),  # by inspection: a sum of two squares
    "rosenbrock": (0.0, [(1, 1)], 0.0),
    "beale": (0.0, [(3, 0.5)], 0.0),
    "himmelblau": (
        0.0,
        [(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        1e-6,
    ),
    "rastrigin": (0.0, [(0, 0)], 0.0),
    "ackley": (0.0, [(0, 0)], 0.0),
    "six_hump_camel": (-1.0316284534898774, [(0.0898, -0.7126), (-0.0898, 0.7126)], 1e-4),
    "styblinski_tang": (-78.33233140754282, [(-2.903534, -2.903534)], 1e-6),
    "booth": (0.0, [(1, 3)], 0.0),
    "matyas": (0.0, [(0, 0)], 0.0),
    "three_hump_camel": (0.0, [(0, 0)], 0.0),
    "goldstein_price": (3.0, [(0, -1)], 0.0),
    "levi": (0.0, [(1, 1)], 0.0),
    "mccormick": (-1.9132229549810362, [(-0.54719, -1.54719)], 1e-5),
}


def uniform_points(surface, n, seed, zoom=1.0):
    """n points drawn uniformly from the bounds, scaled by zoom around their centre."""
    low, high = np.array(surface.bounds, dtype=float).T
    centre, half = (low + high) / 2, zoom * (high - low) / 2
    return np.random.default_rng(seed).uniform(centre - half, centre + half, size=(n, 2))


def grid_points(surface, n=801):
    """An (n, n, 2) grid over the bounds, and its largest spacing."""
    (x0, x1), (y0, y1) = surface.bounds
    x, y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n), indexing="ij")
    return np.stack([x, y], axis=-1), max(x1 - x0, y1 - y0) / (n - 1)


def fd_hessian(grad, p, rel_step=1e-5):
    """Central differences of the analytic gradient, shape (..., 2, 2)."""
    h = rel_step * (1 + np.abs(p))
    columns = []
    for j in range(2):
        e = np.zeros_like(p)
        e[..., j] = h[..., j]
        columns.append((grad(p + e) - grad(p - e)) / (2 * h[..., j, None]))
    return np.stack(columns, axis=-1)


def test_registry_is_keyed_by_name_and_starts_with_the_teaching_surfaces():
    assert NAMES[:3] == ["bowl", "wells", "saddle"]
    for name, surface in SURFACES.items():
        assert surface.name == name
        assert isinstance(surface.formula, str) and surface.formula
        (x0, x1), (y0, y1) = surface.bounds
        assert x0 < x1 and y0 < y1


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_read_only_points_inside_the_bounds(name):
    surface = SURFACES[name]
    minima = surface.minima
    assert minima.ndim == 2 and minima.shape[1] == 2 and minima.dtype == float
    assert not minima.flags.writeable
    with pytest.raises(ValueError):
        minima[..., 0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        surface.minima = np.zeros((1, 2))
    (x0, x1), (y0, y1) = surface.bounds
    assert np.all((x0 <= minima[:, 0]) & (minima[:, 0] <= x1))
    assert np.all((y0 <= minima[:, 1]) & (minima[:, 1] <= y1))


def test_saddle_has_no_minimum_and_falls_without_bound():
    saddle = SURFACES["saddle"]
    assert saddle.minima.shape == (0, 2)
    assert saddle.f([0, 1e6]) == -1e12


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    surface = SURFACES[name]
    p = uniform_points(surface, 200, seed=1)
    h = 1e-6 * (1 + np.abs(p))
    fd = np.empty_like(p)
    for j in range(2):
        e = np.zeros_like(p)
        e[:, j] = h[:, j]
        fd[:, j] = (surface.f(p + e) - surface.f(p - e)) / (2 * h[:, j])
    g = surface.grad(p)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_gradient_vanishes_at_the_minima(name):
    surface = SURFACES[name]
    scale = np.abs(surface.grad(uniform_points(surface, 200, seed=2))).mean()
    assert np.abs(surface.grad(surface.minima)).max() <= 1e-12 * (1 + scale)


@pytest.mark.parametrize("name", [n for n in WITH_MINIMA if n not in COMPUTED])
def test_newton_from_rounded_minima_reproduces_every_listed_digit(name):
    surface = SURFACES[name]
    p = np.round(surface.minima, 3)
    for _ in range(20):
        step = np.linalg.solve(fd_hessian(surface.grad, p), surface.grad(p)[..., None])[..., 0]
        p = p - step
    np.testing.assert_array_max_ulp(p, surface.minima, maxulp=2)


@pytest.mark.parametrize("name", REFERENCE)
def test_minima_match_the_literature(name):
    surface = SURFACES[name]
    value, points, decimals_atol = REFERENCE[name]
    points = np.array(points, dtype=float)
    assert surface.minima.shape == points.shape
    distances = np.linalg.norm(surface.minima[:, None] - points[None], axis=-1)
    assert np.all(distances.min(axis=0) <= decimals_atol * np.sqrt(2))
    assert np.all(distances.min(axis=1) <= decimals_atol * np.sqrt(2))
    np.testing.assert_allclose(surface.f(surface.minima), value, rtol=1e-13, atol=1e-13)


# network's grid takes 1.3 s of CPU: only in the slow step
@pytest.mark.parametrize("name", sweep(WITH_MINIMA, lambda name: name != "network"))
def test_listed_minimum_is_the_lowest_point_of_a_dense_grid(name):
    surface = SURFACES[name]
    grid, spacing = grid_points(surface, 201 if surface.samples else 801)   # a pass per row
    values = surface.f(grid)
    lowest = surface.f(surface.minima)
    assert np.ptp(lowest) <= 1e-12 * (1 + np.abs(lowest).max())
    assert values.min() >= lowest.min() - 1e-12 * (1 + abs(lowest.min()))
    argmin = grid[np.unravel_index(values.argmin(), values.shape)]
    assert np.linalg.norm(surface.minima - argmin, axis=-1).min() <= 3 * spacing


def test_himmelblau_grid_has_four_separate_minima_at_zero():
    surface = SURFACES["himmelblau"]
    grid, spacing = grid_points(surface)
    values = surface.f(grid)
    n = len(values)
    centre = values[1:-1, 1:-1]
    is_local_min = np.ones(centre.shape, dtype=bool)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx or dy:
                is_local_min &= centre < values[1 + dx : n - 1 + dx, 1 + dy : n - 1 + dy]
    found = grid[1:-1, 1:-1][is_local_min]
    assert len(found) == 4
    assert np.all(surface.f(found) < 1e-2)
    assert np.all(np.linalg.norm(found[:, None] - found[None], axis=-1)[~np.eye(4, dtype=bool)] > 1)
    distances = np.linalg.norm(found[:, None] - surface.minima[None], axis=-1)
    assert np.all(distances.min(axis=1) <= 2 * spacing)
    assert np.all(distances.min(axis=0) <= 2 * spacing)


def test_wells_has_several_basins_and_one_clearly_lowest_well():
    surface = SURFACES["wells"]
    starts, _ = grid_points(surface, n=41)
    p = starts.reshape(-1, 2)
    for _ in range(600):
        p = p - 0.3 * surface.grad(p)
    assert np.abs(surface.grad(p)).max() < 1e-8
    wells, basin = [], np.empty(len(p), dtype=int)
    for i, q in enumerate(p):
        near = [k for k, w in enumerate(wells) if np.linalg.norm(q - w) < 1e-4]
        if not near:
            wells.append(q)
        basin[i] = near[0] if near else len(wells) - 1
    values = surface.f(np.array(wells))
    share = np.bincount(basin) / len(p)
    order = np.argsort(values)
    assert 3 <= len(wells) <= 5
    assert values[order[1]] - values[order[0]] > 0.1
    np.testing.assert_allclose(wells[order[0]], surface.minima[0], atol=1e-8)
    assert 0.25 <= share[order[0]] <= 0.6
    assert share.min() >= 0.05


@pytest.mark.parametrize("name", NAMES)
def test_shapes_broadcast_over_leading_axes(name):
    surface = SURFACES[name]
    grid = uniform_points(surface, 12, seed=3).reshape(3, 4, 2)
    assert surface.f(grid).shape == (3, 4)
    assert surface.grad(grid).shape == (3, 4, 2)
    assert surface.f(grid[0]).shape == (4,)
    assert surface.grad(grid[0]).shape == (4, 2)
    assert np.shape(surface.f(grid[1, 2])) == ()
    assert surface.grad(grid[1, 2]).shape == (2,)
    np.testing.assert_allclose(surface.f(grid)[1, 2], surface.f(grid[1, 2]), rtol=1e-14)
    np.testing.assert_allclose(surface.grad(grid)[1, 2], surface.grad(grid[1, 2]), rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_left_alone_and_lists_of_ints_are_accepted(name):
    surface = SURFACES[name]
    p = uniform_points(surface, 5, seed=4)
    before = p.copy()
    p.setflags(write=False)
    surface.f(p)
    surface.grad(p)
    np.testing.assert_array_equal(p, before)
    np.testing.assert_array_equal(surface.f([1, 2]), surface.f(np.array([1.0, 2.0])))
    np.testing.assert_array_equal(surface.grad([[1, 2]]), surface.grad(np.array([[1.0, 2.0]])))


@pytest.mark.parametrize("name", NAMES)
def test_finite_without_warnings_out_to_100_times_the_bounds(name):
    surface = SURFACES[name]
    low, high = np.array(surface.bounds, dtype=float).T
    centre, half = (low + high) / 2, 100 * (high - low) / 2
    corners = centre + half * np.array([(-1, -1), (-1, 1), (1, -1), (1, 1)])
    tiny = np.array([(0, 0), (1e-300, 0), (0, 5e-324), (1e-160, -1e-160), (-1e-8, 1e-8)])
    p = np.concatenate([uniform_points(surface, 500, seed=5, zoom=100), corners, tiny])
    assert np.all(np.isfinite(surface.f(p)))
    assert np.all(np.isfinite(surface.grad(p)))


def test_linear_regression_minimum_is_the_least_squares_line():
    surface = SURFACES["linear_regression"]
    x, y = surfaces.REGRESSION_X, surfaces.REGRESSION_Y
    slope, intercept = np.polyfit(x, y, 1)                  # the reference fit
    np.testing.assert_allclose(surface.minima, [[slope, intercept]], rtol=1e-10)
    assert abs(slope - 1.5) < 0.2 and abs(intercept + 0.5) < 0.3    # near the generating line
    expected = 0.5 * np.mean((slope * x + intercept - y) ** 2)
    np.testing.assert_allclose(surface.f(surface.minima), [expected], rtol=1e-12)


def test_linear_regression_batch_gradients_average_to_the_full_gradient():
    surface = SURFACES["linear_regression"]
    p = np.random.default_rng(5).uniform(-2, 2, (7, 2))
    halves = [np.arange(0, 50), np.arange(50, 100)]
    mean = (surface.grad(p, halves[0]) + surface.grad(p, halves[1])) / 2
    np.testing.assert_allclose(mean, surface.grad(p), rtol=1e-12, atol=1e-15)
    one = surface.grad(p, [3])
    x3, y3 = surfaces.REGRESSION_X[3], surfaces.REGRESSION_Y[3]
    residual = p[:, 0] * x3 + p[:, 1] - y3
    np.testing.assert_allclose(one, np.column_stack([residual * x3, residual]), rtol=1e-12)


def test_linear_regression_is_the_mean_squared_error_of_its_rows():
    # the definition, summed directly, is the reference for the expanded form in surfaces.py
    surface = SURFACES["linear_regression"]
    x, y = surfaces.REGRESSION_X, surfaces.REGRESSION_Y
    p = np.random.default_rng(6).uniform(-3, 5, (50, 2))
    for rows in (slice(None), np.array([4, 17, 60]), np.array([9])):
        residual = p[:, :1] * x[rows] + p[:, 1:] - y[rows]
        np.testing.assert_allclose(surface.f(p, rows), 0.5 * np.mean(residual**2, axis=1),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(surface.grad(p, rows), np.column_stack(
            [np.mean(residual * x[rows], axis=1), np.mean(residual, axis=1)]),
            rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", OVER_DATA)
def test_a_loss_over_data_is_the_mean_of_its_rows_losses(name):
    surface = SURFACES[name]
    p = uniform_points(surface, 30, seed=7)
    rows = np.random.default_rng(8).permutation(surface.samples)
    ones = np.stack([surface.f(p, [row]) for row in range(surface.samples)])  # row by row
    np.testing.assert_allclose(surface.f(p), ones.mean(0), rtol=1e-12, atol=1e-14)
    batch = rows[:7]
    np.testing.assert_allclose(surface.f(p, batch), ones[batch].mean(0), rtol=1e-12, atol=1e-14)
    grads = [surface.grad(p, part) for part in np.array_split(rows, 4)]
    sizes = [len(part) for part in np.array_split(rows, 4)]
    mean = sum(g * n for g, n in zip(grads, sizes, strict=True)) / surface.samples
    np.testing.assert_allclose(mean, surface.grad(p), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", OVER_DATA)
def test_batch_gradients_match_central_differences_of_the_batch_loss(name):
    surface = SURFACES[name]
    p = uniform_points(surface, 50, seed=9)
    rows = np.random.default_rng(10).choice(surface.samples, 5, replace=False)
    h = 1e-6 * (1 + np.abs(p))
    fd = np.stack([(surface.f(p + e, rows) - surface.f(p - e, rows)) / (2 * e.sum(-1))
                   for e in (h * [1, 0], h * [0, 1])], axis=-1)
    np.testing.assert_allclose(surface.grad(p, rows), fd, rtol=1e-6, atol=1e-6)


def test_logistic_regression_is_the_mean_cross_entropy_of_its_rows():
    surface = SURFACES["logistic_regression"]
    x, label = surfaces.FEATURES, surfaces.CLASSES
    assert set(label) == {0.0, 1.0} and 30 < label.sum() < 70
    p = np.random.default_rng(11).uniform(-3, 7, (20, 2))
    chance = 1 / (1 + np.exp(-(p[:, :1] * x + p[:, 1:])))
    entropy = -np.mean(label * np.log(chance) + (1 - label) * np.log(1 - chance), axis=1)
    np.testing.assert_allclose(surface.f(p), entropy, rtol=1e-10)
    w, b = surface.minima[0]
    assert 1 < w < 3 and abs(b) < 0.5      # the classes sit at -1 and +1 with spread 1


def test_neuron_has_two_mirrored_minima_and_a_flat_saddle_at_the_origin():
    surface = SURFACES["neuron"]
    x, y = surfaces.NEURON_X, surfaces.NEURON_Y
    p = np.random.default_rng(12).uniform(-3, 3, (20, 2))
    np.testing.assert_allclose(surface.f(p), 0.5 * np.mean(
        (p[:, 1:] * np.tanh(p[:, :1] * x) - y) ** 2, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(surface.f(p), surface.f(-p))
    np.testing.assert_array_equal(surface.f(surface.minima[0]), surface.f(surface.minima[1]))
    np.testing.assert_allclose(surface.minima[0], [1.5, 1.0], atol=0.1)    # near the teacher
    assert np.all(surface.grad([0.0, 0.0]) == 0.0)
    assert np.all(surface.grad(np.zeros((3, 2)), [4, 9]) == 0.0)           # every batch, too
    curvature = np.linalg.eigvalsh(fd_hessian(surface.grad, np.zeros(2)))
    assert curvature[0] < -0.1 < 0.1 < curvature[1]                          # a saddle


def test_network_plane_is_lowest_at_the_trained_weights_and_rises_away():
    surface = SURFACES["network"]
    assert surface.f(surface.minima)[0] < 0.05          # the trained network fits the moons
    ring = np.stack([np.cos(np.linspace(0, 2 * np.pi, 24)),
                     np.sin(np.linspace(0, 2 * np.pi, 24))], axis=-1)
    assert np.all(surface.f(0.5 * ring) > surface.f(surface.minima)[0] + 0.1)


@pytest.mark.parametrize("name", NAMES)
def test_no_points_give_no_losses(name):
    surface = SURFACES[name]
    assert surface.f(np.empty((0, 2))).shape == (0,)
    assert surface.grad(np.empty((0, 2))).shape == (0, 2)
