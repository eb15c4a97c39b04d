"""Learning rates from a surface's curvature (--lr auto), and the rule each optimizer follows.

Plain gradient descent on a quadratic whose Hessian's largest eigenvalue is L diverges beyond
lr = 2/L. Over a start region, L is the largest curvature that any start meets, estimated from
central differences of the analytic gradient on a grid. Each rule takes half of the rate at
which its method diverges on such a quadratic:

    sgd                 1/L                          (the limit is 2/L)
    momentum (beta)     (1 + beta) / L               (heavy ball: 2 (1 + beta) / L)
    nesterov (beta)     (1 + beta) / ((1 + 2 beta) L)
    with dampening d, the rates above over (1 - d), which is the share of g in the buffer
    adam                a 50th of the start region's smaller side: its steps are about lr
    rmsprop (alpha)     that times sqrt(1 - alpha): its first step is lr / sqrt(1 - alpha);
                        alpha >= 1 (torch allows it) averages no g^2, so no factor
    adagrad             a 10th of that side: its steps shrink as 1/sqrt(step)

The adaptive optimizers divide the gradient by its own running size, so their step does not
grow with the curvature; what limits them is how far a step goes, hence a share of the region.
A curvature so small that 1/L overflows is flat. The rate is a first guess: plan.py offers it
after a trial run (trial.py) keeps the balls with it, or with a fraction of it.
"""
import numpy as np

from .simulation import mesh_over

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


def auto_rate(surface, name, hyperparameters, region=None):
    """The learning rate for optimizer `name` with `hyperparameters` (those that differ from
    its defaults are enough) on `surface`, started in `region`: see the module's rules.
    Returns (rate, reason), the reason in a few words for the status line."""
    side = float(np.ptp(np.array(region or surface.bounds, dtype=float), axis=1).min())
    if name in ("adam", "rmsprop", "adagrad"):
        share = 10 if name == "adagrad" else 50
        alpha = hyperparameters.get("alpha", 0.99) if name == "rmsprop" else 1.0
        first = (1 - alpha) ** 0.5 if alpha < 1 else 1.0
        return side / share * first, f"a {share}th of the start region's side" + (
            " times sqrt(1 - alpha), the size of rmsprop's first step" if first != 1 else "")
    curvature = largest_curvature(surface, region)
    # flat, or so nearly that 1/L overflows: any rate is stable; a step of a tenth of the region
    if not curvature > 0 or np.isinf(2 / curvature):
        return side / 10, "a flat surface: a 10th of the start region's side"
    beta = hyperparameters.get("momentum", 0.9 if name in ("momentum", "nesterov") else 0.0)
    nesterov = hyperparameters.get("nesterov", name == "nesterov")
    limit = 2 * (1 + beta) / curvature / (1 + 2 * beta if nesterov else 1)
    limit /= abs(1 - (hyperparameters.get("dampening", 0.0) if beta else 0.0)) or 1.0
    return limit / 2, f"half of {limit:.3g}, where it diverges at curvature L = {curvature:.3g}"
