"""The phase map: how balls end over a grid of two hyperparameters, all cells stepped at once.

Each cell is coloured by how most of its balls end: converge smoothly, converge rippling, too
slow, diverge.

Distill's "Why Momentum Really Works" draws the plane of step size and momentum split into
regions; here it is computed. Every cell of the grid runs the same starts (--balls of them, as
--init and --start-region draw them) for --steps steps; the balls of all cells are one array,
and their hyperparameters arrays of one value per ball (see optimizers.py), stepped by
simulation.step, so the maths is the animation's. A ball

- diverges when the simulation says so (it left the surface);
- has converged when its gradient and its step stay below CLOSE of its first ones, to the last
  step (the step too, as a rippling ball passes the minimum fast); otherwise it is too slow;
- ripples when, before it has converged, one of its coordinates turned back RIPPLES times or
  more (heavy-ball momentum with real roots overshoots at most once; complex roots ripple, and
  a negative root zigzags every step).

A cell takes the outcome that most of its balls have. With lr and momentum on the axes, the
theory's line is drawn over the map: SGD diverges on a quadratic of largest curvature L beyond
lr = 2 (1 + beta) / L (optimizers.divergence_rate), L measured as --lr auto measures it.
"""
from typing import NamedTuple

import numpy as np

from optimizers import OPTIMIZERS, divergence_rate

from .curvature import largest_curvature
from .simulation import BLOCK, Balls, starts_for, step

OUTCOMES = ("converges smoothly", "converges, rippling", "too slow", "diverges")
CELLS = 40                  # cells on an axis, unless NAME=LOW:HIGH:CELLS says
CLOSE = 1e-2                # converged: gradient and step below this share of their first
RIPPLES = 2                 # turns of one coordinate that make a path ripple
WIDEST_LR = 4.5             # the default lr axis ends at this over L: beyond 4/L, where
                            # momentum near 1 diverges
UNIT_SPAN = (0.0, 1.0)      # the default axis of a hyperparameter in [0, 1)
UNIT = ("momentum", "dampening", "alpha", "beta1", "beta2")
WORDS = {"lr": "learning rate", "momentum": "momentum β", "beta1": "β1", "beta2": "β2",
         "weight_decay": "weight decay"}
MOST_BALLS = 4_000_000      # balls of all cells together
WALK = ((0.1, 0.05), (0.36, 0.05), (0.36, 0.6), (0.95, 0.6), (0.3, 0.97), (0.1, 0.05))
                            # the corners of the GIF's walk through the map, in shares of
                            # each axis: on momentum's map smooth, zigzag, ripples, diverges,
                            # too slow, and back
WALKED = 3                  # balls shown beside the map at each point of the walk


class Axis(NamedTuple):
    """One hyperparameter of the map: its name, its span and how many cells divide it."""

    name: str
    low: float
    high: float
    cells: int

    def values(self):
        """The value at the centre of each cell."""
        return self.low + (np.arange(self.cells) + 0.5) * (self.high - self.low) / self.cells

    def words(self):
        return WORDS.get(self.name, self.name.replace("_", " "))


class PhaseMap(NamedTuple):
    """The map: its axes (across, up), each cell's outcome and shares, the theory's line."""

    axes: tuple             # (Axis across, Axis up)
    outcome: np.ndarray     # (up cells, across cells) index into OUTCOMES
    shares: np.ndarray      # (up cells, across cells, len(OUTCOMES)) share of the balls
    boundary: np.ndarray | None     # (k, 2) points (across, up) of lr = 2 (1 + beta) / L
    curvature: float        # L, the largest curvature over the start region


def names_of(optimizer):
    """The hyperparameters of `optimizer` that a map can vary: its numbers, and Adam's betas
    as beta1 and beta2."""
    found = [name for name, value in optimizer.hyperparameters.items()
             if isinstance(value, float)]
    return found + (["beta1", "beta2"] if "betas" in optimizer.hyperparameters else [])


def with_values(optimizer, values):
    """`optimizer` with hyperparameters set to `values` (name -> number or array of one value
    per ball), beta1 and beta2 inside Adam's betas; a ValueError as torch's checks word it."""
    hyperparameters = dict(optimizer.hyperparameters)
    for name, value in values.items():
        if name in ("beta1", "beta2"):
            betas = list(hyperparameters["betas"])
            betas[name == "beta2"] = value
            hyperparameters["betas"] = tuple(betas)
        else:
            hyperparameters[name] = value
    return OPTIMIZERS[optimizer.name](**hyperparameters)


def axes_of(spec, surface, group, region):
    """The axes that --phases `spec` (see readers.phase_axes) asks for, on the plan's one
    `group`, with their default spans: lr from 0 to WIDEST_LR / L, the hyperparameters of
    UNIT over [0, 1); a ValueError says what cannot be mapped."""
    dynamics = group.dynamics
    extra = [words for words, given in (("--noise", dynamics.noise),
                                        ("--batch-size", dynamics.batch_size),
                                        ("--schedule", dynamics.rates is not None)) if given]
    if extra:
        raise ValueError(f"maps the plain dynamics; drop {' and '.join(extra)}")
    names = names_of(dynamics.optimizer)
    axes = []
    for name, low, high, cells in spec:
        if name not in names:
            raise ValueError(f"{dynamics.optimizer.name} has no number {name!r} to map; "
                             f"choose from {', '.join(names)}")
        if low is None and name == "lr":
            curvature = largest_curvature(surface, region)
            if not 0 < curvature < np.inf:
                raise ValueError(f"{surface.name} has no curvature to scale the lr axis by; "
                                 "give its span: lr=LOW:HIGH")
            low, high = 0.0, WIDEST_LR / curvature
        elif low is None:
            if name not in UNIT:
                raise ValueError(f"{name} needs its span: {name}=LOW:HIGH")
            low, high = UNIT_SPAN
        axes.append(Axis(name, low, high, cells or CELLS))
    with_values(dynamics.optimizer, {axis.name: axis.values() for axis in axes})    # checked
    return tuple(axes)


def check(plan_values, surface, groups, region):
    """The axes of a plan that asks for a phase map (settings by name, as plan.make_plan has
    read them), or a ValueError: one optimizer, a .png, not too many balls."""
    if len(groups) != 1:
        raise ValueError(f"maps one optimizer at one rate; these settings make {len(groups)} "
                         "groups")
    if plan_values["save_trajectories"]:
        raise ValueError("draws a map, which has no trajectories: drop --save-trajectories")
    out = plan_values["out"]
    if out is None or not str(out).lower().endswith((".png", ".gif")):
        raise ValueError(f"draws a .png (the map) or a .gif (a walk through it), not {out!r}: "
                         "give --out NAME.png")
    axes = axes_of(plan_values["phases"], surface, groups[0], region)
    balls = axes[0].cells * axes[1].cells * plan_values["balls"]
    if balls > MOST_BALLS:
        raise ValueError(f"{axes[0].cells}x{axes[1].cells} cells of {plan_values['balls']} "
                         f"balls are {balls} balls, more than {MOST_BALLS}: fewer cells or "
                         "--balls")
    return axes


def starts_of(plan):
    """The starts that every cell's balls share, (balls, 2)."""
    return starts_for(plan.surface, plan.balls, np.random.default_rng(plan.seed),
                      plan.groups[0].init, plan.start_region)


def at_points(plan, points, balls):
    """The plan's dynamics with the map's two hyperparameters at each of `points` (p, 2),
    (across, up), for `balls` balls each, in that order."""
    dynamics = plan.groups[0].dynamics
    return dynamics._replace(optimizer=with_values(dynamics.optimizer, {
        axis.name: np.repeat(points[:, i], balls)[:, None]
        for i, axis in enumerate(plan.phases)}))


def phase_map(plan):
    """Run every cell of `plan.phases` and classify its balls: the PhaseMap. The balls of all
    cells go a block at a time (simulation.blocks), each block with its hyperparameters."""
    surface, (group,), (across, up) = plan.surface, plan.groups, plan.phases
    cells = across.cells * up.cells
    points = np.stack([np.tile(across.values(), up.cells),        # row by row, bottom up
                       np.repeat(up.values(), across.cells)], axis=-1)
    x = np.tile(starts_of(plan), (cells, 1))
    per_block = max(1, BLOCK // plan.balls)       # whole cells to a block
    outcome = np.concatenate([
        outcomes(surface, at_points(plan, points[first:first + per_block], plan.balls),
                 x[first * plan.balls:(first + per_block) * plan.balls], plan.steps)
        for first in range(0, cells, per_block)])
    counts = np.bincount(np.repeat(np.arange(cells), plan.balls) * len(OUTCOMES) + outcome,
                         minlength=cells * len(OUTCOMES))
    shares = counts.reshape(up.cells, across.cells, len(OUTCOMES)) / plan.balls
    curvature = largest_curvature(surface, plan.start_region)
    return PhaseMap((across, up), shares.argmax(axis=-1), shares,
                    boundary(curvature, group.dynamics.optimizer, across, up), curvature)


def outcomes(surface, dynamics, x, steps, trace=False):
    """Step the balls at `x` `steps` times as `dynamics` says: each one's outcome, an index
    into OUTCOMES; with `trace`, also their positions at every step, (steps + 1, n, 2)."""
    still = np.zeros(len(x), dtype=bool)
    balls = Balls(x, surface.f(x), still, still, dynamics.optimizer.init(x), still)
    path = [x]
    with np.errstate(all="ignore"):
        close = CLOSE * size(surface.grad(x))
        turns = np.zeros(x.shape, dtype=np.int32)
        last = np.zeros_like(x)
        far = np.zeros(len(x), dtype=np.int32)      # the last step the ball was not close
        for t in range(1, steps + 1):
            before = balls.x
            balls = step(surface, dynamics, balls, dynamics.rate(t),
                         measure=dynamics.tol is not None)
            moved = balls.x - before
            length = size(moved)
            if t == 1:
                first = CLOSE * length
            away = (size(surface.grad(balls.x)) > close) | (length > first)
            turns += (moved * last < 0) & away[:, None]
            far = np.where(away, t, far)
            last = moved
            if trace:
                path.append(balls.x)
    outcome = np.select([balls.diverged, far == steps, turns.max(axis=1) >= RIPPLES], [3, 2, 1],
                        0)
    return (outcome, np.stack(path)) if trace else outcome


def size(vectors):
    """The length of each of (n, 2) vectors."""
    return np.hypot(vectors[:, 0], vectors[:, 1])


def boundary(curvature, optimizer, across, up):
    """The theory's line where SGD diverges, (k, 2) points (across, up), with lr and momentum
    on the axes of SGD with momentum (or Nesterov's); else None."""
    if {across.name, up.name} != {"lr", "momentum"} or "nesterov" not in \
            optimizer.hyperparameters:
        return None
    if not 0 < curvature < np.inf:
        return None
    hyperparameters = optimizer.hyperparameters
    momentum = (up if up.name == "momentum" else across)
    beta = np.linspace(momentum.low, momentum.high, 201)
    lr = divergence_rate(curvature, beta, hyperparameters["dampening"],
                         hyperparameters["nesterov"])
    return np.stack([lr, beta] if across.name == "lr" else [beta, lr], axis=-1)


def walk(found, frames):
    """The points (frames, 2), (across, up), of the walk along WALK, evenly spaced by length."""
    corners = np.array(WALK)
    length = np.r_[0, np.cumsum(np.hypot(*np.diff(corners, axis=0).T))]
    at = np.linspace(0, length[-1], frames)
    low, high = (np.array([getattr(axis, end) for axis in found.axes]) for end in ("low",
                                                                                  "high"))
    return low + np.stack([np.interp(at, length, corners[:, i]) for i in (0, 1)],
                          axis=-1) * (high - low)


def walked(plan, found, frames):
    """The walk's points (frames, 2), and at each the first WALKED starts run with those
    hyperparameters: their outcomes (frames, WALKED) and paths (steps + 1, frames, WALKED, 2)."""
    points = walk(found, frames)
    shown = min(WALKED, plan.balls)
    x = np.tile(starts_of(plan)[:shown], (frames, 1))
    outcome, path = outcomes(plan.surface, at_points(plan, points, shown), x, plan.steps,
                             trace=True)
    return points, outcome.reshape(frames, shown), path.reshape(len(path), frames, shown, 2)


def summary(found):
    """The result line's words: the cells and the share of cells of each outcome."""
    across, up = found.axes
    shares = np.bincount(found.outcome.ravel(), minlength=len(OUTCOMES)) / found.outcome.size
    return f"{across.cells}x{up.cells} cells: " + ", ".join(
        f"{share:.0%} {words}" for words, share in zip(OUTCOMES, shares, strict=True))

