"""Learning rates from a surface's curvature (--lr auto), by the rule each optimizer declares.

Plain gradient descent on a quadratic whose Hessian's largest eigenvalue is L diverges beyond
lr = 2/L. Over a start region, L is the largest curvature that any start meets, estimated from
central differences of the analytic gradient on a grid. Each optimizer's auto_rate turns L and
the start region's smaller side into a rate (see optimizers.py): the methods that follow the
gradient take half of the rate at which they diverge on such a quadratic; the adaptive ones,
which divide the gradient by its own running size so that their step does not grow with the
curvature, a share of the region, as what limits them is how far a step goes.
"""
import numpy as np

from .surface import mesh_over

GRID = 32                   # starts per side at which the curvature is measured


def largest_curvature(surface, region=None, grid=GRID):
    """L: the largest absolute eigenvalue of the Hessian of `surface` over `region` (default
    its bounds), from central differences of its gradient on a grid x grid mesh."""
    region = region or surface.bounds
    points = mesh_over(region, grid).reshape(-1, 2)
    span = np.ptp(np.array(region, dtype=float), axis=1)
    columns = []
    with np.errstate(all="ignore"):
        for axis in (0, 1):
            h = np.zeros(2)
            h[axis] = 1e-5 * span[axis]
            columns.append((surface.grad(points + h) - surface.grad(points - h)) / (2 * h[axis]))
        (a, b), (c, d) = np.moveaxis(np.stack(columns, axis=-1), 0, -1)
        off = (b + c) / 2                               # the symmetric part
        radius = np.hypot((a - d) / 2, off)
        largest = np.maximum(np.abs((a + d) / 2 + radius), np.abs((a + d) / 2 - radius))
    largest = largest[np.isfinite(largest)]
    return float(largest.max()) if len(largest) else 0.0


def auto_rate(surface, optimizer, region=None):
    """The learning rate for `optimizer` on `surface`, started in `region` (default its
    bounds), by the optimizer's own rule. Returns (rate, reason), the reason in a few words
    for the status line."""
    side = float(np.ptp(np.array(region or surface.bounds, dtype=float), axis=1).min())
    return optimizer.auto_rate(largest_curvature(surface, region), side)
