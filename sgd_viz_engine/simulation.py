"""The simulation: every ball stepped at once, the whole run recorded before anything is drawn.

Points are arrays of shape (..., 2), coordinate last, as in surfaces.py. A run is plain arrays
(see Run); nothing here imports matplotlib, so runs can be made and tested without it. Every
random draw comes from a numpy Generator seeded by the caller.
"""
import math
from typing import Any, NamedTuple

import numpy as np

from optimizers import OPTIMIZERS, Optimizer

from .basins import at_rest, basins, is_global
from .surface import mesh_over

ESCAPE = 0.25               # a ball this share of the span outside the bounds has diverged
BLOCK = 16_384              # balls stepped at once (see blocks)
STILL = 1e-3                # a ball that moves less than this share of the span has settled


class Run(NamedTuple):
    """A simulated run, one row per recorded step; settled balls stay where they stopped."""

    steps: np.ndarray       # (T,) step number of each row, starting at 0
    positions: np.ndarray   # (T, N, 2)
    losses: np.ndarray      # (T, N), finite
    diverged: np.ndarray    # (T, N) bool: left the surface, frozen on the bounds' edge
    converged: np.ndarray   # (T, N) bool: loss changed by less than the tolerance, stopped
    escaped: np.ndarray     # (T, N) bool: left a surface unbounded below downhill (a success),
                            # frozen on the bounds' edge; never also diverged


class Heroes(NamedTuple):
    """A few balls from the first starts, every step recorded, and what their optimizer did at
    each step (row t - 1 for step t, from position t - 1 to t), read from its own state."""

    run: Run
    gradients: np.ndarray       # (T - 1, n, 2) the gradient each step followed (noise and all)
    rates: np.ndarray           # (T - 1,) each step's learning rate
    kept: dict                  # name in the optimizer's rule -> (T - 1, n, 2): its state
                                # after each step (see Optimizer.kept)
    coordinate_rates: np.ndarray | None     # (T - 1, n, 2) an adaptive optimizer's learning
                                # rate of each coordinate at each step: lr * coordinate_scale

    @property
    def plain_steps(self):
        """(T - 1, n, 2): the step plain gradient descent would take from each position but
        the last, -lr * gradient at that step's learning rate; a step less this is what
        momentum carries."""
        return -self.rates[:, None, None] * self.gradients


class Group(NamedTuple):
    """One group of balls: its label, its run, and what the picture says about it."""

    label: str
    run: Run
    optimizer: Optimizer | None = None  # for the update rule shown with plain GD
    epoch_length: int = 0       # mini-batches per epoch, 0 without mini-batches
    heroes: Heroes | None = None
    rates: np.ndarray | None = None     # (steps,) the learning rate of each step, if scheduled
    whole: int = 0              # the balls of the run this group is a part of (--color basin)


class Dynamics(NamedTuple):
    """How a group's balls move: the update rule, and what disturbs the gradient it follows.
    The defaults change nothing: every row, no noise, never converged."""

    optimizer: Optimizer
    batch_size: int | None = None   # rows per gradient on a data set; None: all of them
    noise: float = 0.0      # standard deviation of Gaussian noise added to every gradient
    anneal: bool = False    # the noise falls linearly from `noise` at the first step to 0
    tol: float | None = None    # converged when the loss changes by less; None: never
    seed: int = 0           # seed of the noise's and the batches' streams
    rates: np.ndarray | None = None     # (steps,) learning rate of each step, a schedule's;
                                        # None: the optimizer's lr at every step
    momenta: np.ndarray | None = None   # (steps,) momentum (Adam's beta1) of each step, as
                                        # onecycle cycles it; None: the optimizer's own

    def rate(self, t):
        """The learning rate of step t (from 1)."""
        return self.optimizer.hyperparameters["lr"] if self.rates is None else self.rates[t - 1]

    def at(self, t):
        """The dynamics of step t (from 1): with momenta, the optimizer with that step's
        momentum, as torch's schedulers set it in the optimizer's group before the step (its
        state carries over: an optimizer is its hyperparameters, its state is the balls')."""
        if self.momenta is None:
            return self
        hyperparameters = dict(self.optimizer.hyperparameters)
        momentum = float(self.momenta[t - 1])
        if "betas" in hyperparameters:
            hyperparameters["betas"] = (momentum, *hyperparameters["betas"][1:])
        else:
            hyperparameters["momentum"] = momentum
        return self._replace(optimizer=OPTIMIZERS[self.optimizer.name](**hyperparameters))


class Balls(NamedTuple):
    """The state of a block of balls between two steps."""

    x: np.ndarray           # (n, 2) positions
    loss: np.ndarray        # (n,) losses at x (as last measured)
    diverged: np.ndarray    # (n,) bool
    converged: np.ndarray   # (n,) bool
    state: Any              # the optimizer's state for these balls
    escaped: np.ndarray     # (n,) bool
    grad: np.ndarray | None = None  # (n, 2) the gradient the last step followed


def uniform_starts(surface, balls, rng, region=None):
    """Start points drawn uniformly over `region` (default: the surface's bounds): (balls, 2)."""
    low, high = np.array(region or surface.bounds, dtype=float).T
    return rng.uniform(low, high, size=(balls, 2))


def starts_for(surface, balls, rng, init, region=None):
    """Start points, shape (balls, 2), inside `region` (default: the surface's bounds):
    uniform; normal around the region's centre (a sixth of its span as standard deviation);
    a regular grid; all at zero; or Xavier-style, normal with standard deviation
    sqrt(2 / (fan_in + fan_out)) = 1 for the single weight each coordinate stands for."""
    low, high = np.array(region or surface.bounds, dtype=float).T
    if init == "uniform":
        return uniform_starts(surface, balls, rng, region)
    if init == "normal":
        points = rng.normal((low + high) / 2, (high - low) / 6, size=(balls, 2))
    elif init == "xavier":
        points = rng.normal(0.0, 1.0, size=(balls, 2))
    elif init == "zeros":
        points = np.zeros((balls, 2))
    else:       # grid: the first `balls` nodes of the smallest square grid that holds them
        side = math.ceil(math.sqrt(balls))
        points = mesh_over(tuple(zip(low, high, strict=True)), side).reshape(-1, 2)[
            np.linspace(0, side * side - 1, balls).round().astype(int)]
    return np.clip(points, low, high)


INITS = ("uniform", "normal", "grid", "zeros", "xavier")


def frame_steps(steps, frames=None):
    """The steps to show: all of them if they fit in `frames`, else a sample that is denser
    early, where balls move fastest, and always ends on the last step."""
    if frames is None or steps + 1 <= frames:
        return np.arange(steps + 1)
    quadratic = np.round(steps * np.linspace(0, 1, frames) ** 2).astype(int)
    return np.unique(np.maximum(np.arange(frames), quadratic))


def minibatches(samples, size, rng):
    """Row indices of successive mini-batches: every epoch a new shuffle of all `samples` rows,
    cut into batches of `size` (the last one smaller when `size` does not divide `samples`)."""
    while True:
        order = rng.permutation(samples)
        for start in range(0, samples, size):
            yield order[start:start + size]


def blocks(n, block=None):
    """Slices of at most `block` (default BLOCK) of n balls: numpy's temporaries for a block
    stay in the cache, where those of 100,000 balls would not."""
    block = block or BLOCK
    return [slice(i, i + block) for i in range(0, n, block)]


def in_blocks(function, x, *args, block=None):
    """function(x, *args), evaluated a block of balls at a time (see blocks)."""
    if len(x) <= (block or BLOCK):
        return function(x, *args)
    return np.concatenate([function(x[part], *args) for part in blocks(len(x), block)])


def outside(surface, x):
    """Which balls (n, 2) are more than ESCAPE of the span outside the bounds, or not finite."""
    low, high = surface.box.T
    low, high = low - ESCAPE * (high - low), high + ESCAPE * (high - low)
    # NaN fails every comparison, so a ball with non-finite numbers is not inside.
    if x.min() >= low.max() and x.max() <= high.min():
        return np.zeros(len(x), dtype=bool)         # the usual case: all well inside
    return ~np.logical_and.reduce([(x[:, i] >= low[i]) & (x[:, i] <= high[i]) for i in (0, 1)])


def step(surface, dynamics, balls, lr, batch=(), kicks=None, measure=True):
    """One optimizer step of a block of balls at learning rate `lr`, moved as `dynamics` says
    (the gradient on the rows `batch`, plus `kicks`), returned as new Balls. A ball that ends
    outside the escape margin (see outside), whose numbers overflow, or where the loss is not
    finite, has diverged: it is frozen on the bounds' edge, from where it left; losses stay
    finite. On a surface unbounded below, a ball that leaves with a finite loss lower than
    before the step has escaped instead: it rolled off downhill, a success. With a tolerance,
    a ball whose loss changes by less has converged. Stopped balls no longer move. Without
    `measure` the losses are left as they were (they are only needed when recorded)."""
    tol = dynamics.tol
    grad = surface.grad(balls.x, *batch)
    if kicks is not None:
        grad = grad + kicks
    x, state = dynamics.optimizer.update(balls.x, grad, balls.state, lr)
    moving = ~(balls.diverged | balls.converged | balls.escaped)
    left = moving & outside(surface, x)
    escaped = balls.escaped
    if left.any():
        if surface.unbounded:
            downhill = np.zeros_like(left)
            downhill[left] = np.isfinite(x[left]).all(axis=1) & (surface.f(x[left])
                                                                 < balls.loss[left])
            escaped = escaped | downhill
        low, high = surface.box.T
        finite = np.isfinite(x).all(axis=1, keepdims=True)
        x = np.where(left[:, None], np.clip(np.where(finite, x, balls.x), low, high), x)
    if not moving.all():
        x = np.where((moving | left)[:, None], x, balls.x)
    loss, converged = balls.loss, balls.converged
    if measure:
        loss = surface.f(x)
        undefined = moving & ~left & ~np.isfinite(loss)     # off the formula's domain
        if undefined.any():
            low, high = surface.box.T
            x = np.where(undefined[:, None], np.clip(balls.x, low, high), x)
            loss = np.where(undefined, surface.f(x), loss)
            left = left | undefined
        # where even the bounds' edge is off the domain, the loss last measured stays
        loss = np.where(np.isfinite(loss), loss, balls.loss)
        if tol is not None:
            converged = converged | (moving & ~left & (np.abs(loss - balls.loss) < tol))
    return Balls(x, loss, balls.diverged | (left & ~escaped), converged, state, escaped, grad)


def simulate(surface, dynamics, starts, steps, record=None, tick=None, watch=None):
    """Step every ball `steps` times as `dynamics` says, keeping the steps in `record`
    (default: all) as a Run. On a surface over a data set, its batch size of rows drawn by
    `minibatches` give each step's gradient (all balls see the same batch); None uses every
    row (batch gradient descent). Its noise is Gaussian, added to every gradient, or annealed:
    falling linearly from it at the first step to 0 at the last. Batches and noise come from
    streams that depend only on its seed: runs with other optimizers get the same.
    The balls are stepped a block at a time (see blocks), each block with its own optimizer
    state; the numbers are the same. `tick`, if given, is called after each step, and
    `watch`(dynamics of the step, Balls of each block) too."""
    record = np.arange(steps + 1) if record is None else np.asarray(record)
    noise, seed = dynamics.noise, dynamics.seed
    noise_stream = np.random.default_rng([seed, 1])     # independent of the starts' stream
    batches = (minibatches(surface.samples, dynamics.batch_size, np.random.default_rng([seed, 2]))
               if dynamics.batch_size and surface.samples else None)
    starts = np.array(starts, dtype=float)
    parts = blocks(len(starts))
    still = np.zeros(len(starts), dtype=bool)
    block_balls = [Balls(starts[part], np.array(in_blocks(surface.f, starts[part]), dtype=float),
                         still[part], still[part], dynamics.optimizer.init(starts[part]),
                         still[part])
                   for part in parts]
    positions = np.empty((len(record), *starts.shape))
    losses = np.empty((len(record), len(starts)))
    diverged = np.empty((len(record), len(starts)), dtype=bool)
    converged = np.empty((len(record), len(starts)), dtype=bool)
    escaped = np.empty((len(record), len(starts)), dtype=bool)
    row = 0
    with np.errstate(all="ignore"):     # overflow is expected here: it is what divergence means
        for t in range(steps + 1):
            recorded = row < len(record) and record[row] == t
            if t > 0:
                now = dynamics.at(t)
                batch = (next(batches),) if batches else ()
                sigma = noise * (1 - (t - 1) / steps) if dynamics.anneal else noise
                kicks = sigma * noise_stream.standard_normal(starts.shape) if noise else None
                block_balls = [step(surface, now, balls, dynamics.rate(t), batch,
                                    None if kicks is None else kicks[part],
                                    recorded or dynamics.tol is not None)
                               for part, balls in zip(parts, block_balls, strict=True)]
                if tick:
                    tick()
                if watch:
                    watch(now, block_balls)
            if recorded:
                for part, balls in zip(parts, block_balls, strict=True):
                    positions[row, part], losses[row, part] = balls.x, balls.loss
                    diverged[row, part], converged[row, part] = balls.diverged, balls.converged
                    escaped[row, part] = balls.escaped
                row += 1
    return Run(record, positions, losses, diverged, converged, escaped)


def until_settled(runs, still=0.0):
    """The runs cut after the first recorded step from which every ball of every run stays
    within `still` of where it ends, as it ends (diverged, converged or neither): converged
    and diverged balls stop, and others that no longer move visibly should not make the
    animation repeat still frames; but a ball that diverges where it stands has changed."""
    near = [np.concatenate([(np.abs(rows - run.positions[-1]) <= still).all(axis=(1, 2))
                            for rows in np.array_split(run.positions, min(
                                len(run.positions), -(-run.positions.size // BLOCK)))])
            & (run.diverged == run.diverged[-1]).all(axis=1)
            & (run.converged == run.converged[-1]).all(axis=1)
            for run in runs]    # a few rows at a time: a whole-run temporary doubles the memory
    done = np.logical_and.accumulate(np.all(near, axis=0)[::-1])[::-1]
    if not done.any():
        return runs
    return [Run(*(values[:np.argmax(done) + 1] for values in run)) for run in runs]


def simulate_groups(plan, tick=None):
    """Every group's run, from the same starts with the same noise and batches; split by the
    basin the balls end in when the plan colors by basin."""
    surface = plan.surface
    record = frame_steps(plan.steps, plan.frames)
    still = STILL * np.ptp(surface.box, axis=1).max()

    def starts(group):
        """The group's starts: the same for every group that starts alike."""
        return starts_for(surface, plan.balls, np.random.default_rng(plan.seed), group.init,
                          plan.start_region)

    def simulated(group, starts, record):
        return simulate(surface, group.dynamics, starts, plan.steps, record, tick=tick)

    def heroes(group):
        """Heroes are run again, every step recorded with what their optimizer did: the same
        balls without noise; with noise, balls from the same starts that draw noise of their
        own."""
        seen = []

        def watch(now, blocks):     # heroes are fewer than a block
            optimizer, balls = now.optimizer, blocks[0]
            seen.append((balls.grad, balls.state, optimizer.coordinate_scale))

        run = simulate(surface, group.dynamics, starts(group)[:plan.hero], plan.steps, tick=tick,
                       watch=watch)
        rates = np.array([group.dynamics.rate(t) for t in range(1, plan.steps + 1)])
        gradients = np.array([grad for grad, _, _ in seen]).reshape(-1, *run.positions.shape[1:])
        kept = {name: np.array([getattr(state, field) for _, state, _ in seen]).reshape(
                    gradients.shape) for name, field in group.dynamics.optimizer.kept}
        scales = None
        if group.dynamics.optimizer.adaptive:
            with np.errstate(all="ignore"):
                scales = rates[:, None, None] * np.array(
                    [scale(state) for _, state, scale in seen]).reshape(gradients.shape)
        return Heroes(run, gradients, rates, kept, scales)

    runs = until_settled([simulated(group, starts(group), record) for group in plan.groups],
                         still)
    groups = [Group(group.label, run, group.dynamics.optimizer,
                    group.dynamics.batch_size and -(-surface.samples // group.dynamics.batch_size),
                    heroes(group) if plan.hero else None, group.dynamics.rates)
              for group, run in zip(plan.groups, runs, strict=True)]
    return by_basin(groups[0], surface) if plan.color == "basin" else groups


def by_basin(group, surface, most=8):
    """The group split by the basin each ball ends in (see basins). Labels give the basin's
    lowest point (★ at a global minimum) and its share of all the balls; balls still moving at
    the end, diverged ones and escaped ones form groups of their own; the smallest basins are
    merged when there would be more than `most` groups."""
    run = group.run
    ends, lost, escaped = run.positions[-1], run.diverged[-1], run.escaped[-1]
    basin, kept = basins(run, surface)
    moving = (basin >= 0) & ~at_rest(run, surface)
    kept = [b for b in kept if ((basin == b) & ~moving).any()]
    keep = most - 1 - bool(lost.any()) - bool(escaped.any()) - bool(moving.any())
    named = kept[:keep] if len(kept) <= keep else kept[:keep - 1]
    parts = [(f"min {ends[b][0]:.2f}, {ends[b][1]:.2f}{' ★' * bool(is_global(ends[b], surface))}",
              (basin == b) & ~moving) for b in named]
    if len(named) < len(kept):
        parts.append(("other basins", (basin >= 0) & ~np.isin(basin, named) & ~moving))
    for name, mask in (("still moving", moving), ("escaped", escaped), ("diverged", lost)):
        if mask.any():
            parts.append((name, mask))
    return [Group(f"{name}: {mask.mean():.0%}",
                  Run(run.steps, *(values[:, mask] for values in run[1:])),
                  epoch_length=group.epoch_length, whole=len(ends))
            for name, mask in parts]
