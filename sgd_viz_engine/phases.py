"""The phase map: a grid of two hyperparameters, every cell's balls stepped at once, each cell
coloured by how its balls end (converge smoothly, converge rippling, too slow, diverge).

Distill's "Why Momentum Really Works" draws the plane of step size and momentum split into
regions; here it is computed. Every cell of the grid runs the same starts (--balls of them, as
--init and --start-region draw them) for --steps steps; the balls of all cells are one array,
and their hyperparameters arrays of one value per ball (see optimizers.py), stepped by
simulation.step, so the maths is the animation's. A ball

- diverges when the simulation says so (it left the surface);
- has converged when its gradient stays below CLOSE of its gradient at the start, to the last
  step; otherwise it is too slow;
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
from .simulation import Balls, blocks, starts_for, step

OUTCOMES = ("converges smoothly", "converges, rippling", "too slow", "diverges")
CELLS = 40                  # cells on an axis, unless NAME=LOW:HIGH:CELLS says
CLOSE = 1e-2                # converged: the gradient below this share of its first
RIPPLES = 2                 # turns of one coordinate that make a path ripple
WIDEST_LR = 4.5             # the default lr axis ends at this over L: beyond 4/L, where
                            # momentum near 1 diverges
UNIT_SPAN = (0.0, 1.0)      # the default axis of a hyperparameter in [0, 1)
UNIT = ("momentum", "dampening", "alpha", "beta1", "beta2")
WORDS = {"lr": "learning rate", "momentum": "momentum β", "beta1": "β1", "beta2": "β2",
         "weight_decay": "weight decay"}
MOST_BALLS = 4_000_000      # balls of all cells together


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
    out = plan_values["out"]
    if out is None or not str(out).lower().endswith(".png"):
        raise ValueError(f"draws a .png, not {out!r}: give --out NAME.png")
    axes = axes_of(plan_values["phases"], surface, groups[0], region)
    balls = axes[0].cells * axes[1].cells * plan_values["balls"]
    if balls > MOST_BALLS:
        raise ValueError(f"{axes[0].cells}x{axes[1].cells} cells of {plan_values['balls']} "
                         f"balls are {balls} balls, more than {MOST_BALLS}: fewer cells or "
                         "--balls")
    return axes


def phase_map(plan):
    """Run every cell of `plan.phases` and classify its balls: the PhaseMap. The balls of all
    cells go a block at a time (simulation.blocks), each block with its hyperparameters."""
    surface, (group,), (across, up) = plan.surface, plan.groups, plan.phases
    starts = starts_for(surface, plan.balls, np.random.default_rng(plan.seed), plan.init,
                        plan.start_region)
    cells = across.cells * up.cells
    values = {across.name: np.tile(across.values(), up.cells),       # row by row, bottom up
              up.name: np.repeat(up.values(), across.cells)}
    values = {name: np.repeat(value, plan.balls)[:, None] for name, value in values.items()}
    x = np.tile(starts, (cells, 1))
    outcome = np.concatenate([
        outcomes(surface, group.dynamics._replace(optimizer=with_values(
            group.dynamics.optimizer, {name: value[part] for name, value in values.items()})),
                 x[part], plan.steps)
        for part in blocks(len(x))])
    counts = np.bincount(np.repeat(np.arange(cells), plan.balls) * len(OUTCOMES) + outcome,
                         minlength=cells * len(OUTCOMES))
    shares = counts.reshape(up.cells, across.cells, len(OUTCOMES)) / plan.balls
    curvature = largest_curvature(surface, plan.start_region)
    return PhaseMap((across, up), shares.argmax(axis=-1), shares,
                    boundary(curvature, group.dynamics.optimizer, across, up), curvature)


def outcomes(surface, dynamics, x, steps):
    """Step the balls at `x` `steps` times as `dynamics` says: each one's outcome, an index
    into OUTCOMES."""
    still = np.zeros(len(x), dtype=bool)
    balls = Balls(x, surface.f(x), still, still, dynamics.optimizer.init(x), still)
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
    return np.select([balls.diverged, far == steps, turns.max(axis=1) >= RIPPLES], [3, 2, 1], 0)


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


def summary(found):
    """The result line's words: the cells and the share of cells of each outcome."""
    across, up = found.axes
    shares = np.bincount(found.outcome.ravel(), minlength=len(OUTCOMES)) / found.outcome.size
    return f"{across.cells}x{up.cells} cells: " + ", ".join(
        f"{share:.0%} {words}" for words, share in zip(OUTCOMES, shares, strict=True))


def title(found):
    """The lesson in a few words."""
    across, up = found.axes
    if {across.name, up.name} == {"lr", "momentum"}:
        return "Momentum allows larger steps, but they ripple"
    return f"Where {across.words()} and {up.words()} converge, ripple or diverge"


def figure(found, plan):
    """The picture of the map at plan.size: the cells in their outcome's colour, the axes in
    words, the theory's line, a legend in big words and the lesson as the title. Artists
    carry gids: "phase map", "boundary", "title", "legend"."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgb
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .looks import PHASE_COLORS, THEMES
    from .scene import scale

    across, up = found.axes
    width, height = plan.size
    dpi = 100 * scale(plan.size)
    with rc_context(THEMES[plan.theme]):
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        FigureCanvasAgg(fig)
        fig.text(0.03, 0.95, title(found), fontsize=19, fontweight="bold", va="center",
                 gid="title")
        optimizer = plan.groups[0].dynamics.optimizer.name
        fig.text(0.03, 0.895, f"{optimizer} on {plan.surface.name}, "
                 f"{plan.surface.formula}: {plan.balls} balls a cell, {plan.steps} steps"
                 + (f"; L = {found.curvature:.3g}" if found.boundary is not None else ""),
                 fontsize=11, va="center", alpha=0.8)
        axes = fig.add_axes((0.1, 0.13, 0.56, 0.7))
        colours = np.array([to_rgb(PHASE_COLORS[words]) for words in OUTCOMES])
        axes.imshow(colours[found.outcome], origin="lower", aspect="auto",
                    interpolation="nearest", extent=(across.low, across.high, up.low, up.high),
                    gid="phase map")
        handles = [Patch(color=PHASE_COLORS[words], label=words) for words in OUTCOMES]
        if found.boundary is not None:
            axes.plot(*found.boundary.T, color="black", lw=2.5, ls=(0, (4, 2)), gid="boundary")
            handles.append(Line2D([], [], color="black", lw=2.5, ls=(0, (4, 2)),
                                  label="theory's limit:\nlr = 2(1+β)/L"))
        axes.set_xlim(across.low, across.high)
        axes.set_ylim(up.low, up.high)
        axes.set_xlabel(across.words(), fontsize=14)
        axes.set_ylabel(up.words(), fontsize=14)
        axes.tick_params(labelsize=11)
        fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.68, 0.48),
                   fontsize=13, frameon=False, handlelength=1.6, handleheight=1.2,
                   labelspacing=0.9).set_gid("legend")
    return fig


def write(plan):
    """Compute the map of `plan`, draw it into plan.out (replaced only when complete) and
    return the result line's words (see summary)."""
    from .output import atomic_output
    from .scene import canvas_image

    found = phase_map(plan)
    fig = figure(found, plan)
    fig.canvas.draw()
    image = canvas_image(fig)
    with atomic_output(plan.out) as path:
        image.save(path, "PNG")
    return summary(found)
