"""What a surface is: its loss and gradient, the bounds drawn, its global minima, how it is
looked at (View) and what it teaches by default (Lesson), and the loss over a data set
(mean_over_rows); surfaces.py holds the catalogue."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class View(NamedTuple):
    """How a surface is looked at: camera angles in degrees, height scale, contours on the floor."""

    elevation: float = 38
    azimuth: float = -58
    scale: str = "linear"   # "log" shows the valleys of surfaces whose values span decades
    floor: bool = True      # contour lines on the floor of the box (noise on egg-box surfaces)
    labels: tuple = ("x", "y")
    grid: int = 80          # mesh points a side: several per ripple, or the mesh aliases


class Lesson(NamedTuple):
    """What a surface teaches with by default: plain gradient descent's learning rate (None:
    from the curvature, see curvature.py), where the balls start (None: the bounds), the
    optimizer and steps it shows (where plain gradient descent shows nothing in a GIF's length,
    another optimizer may), how close is close enough to a global minimum, and the story its
    own run tells, where that is a failure the title must explain."""

    lr: float | None = None
    start: tuple | None = None      # ((xmin, xmax), (ymin, ymax))
    optimizer: str = "sgd"          # the update rule it shows, as --optimizer takes it
    steps: int = 60
    reach: float | None = None      # a loss less than this above the minimum's has reached it;
                                    # None: within a hundredth of the bounds' span of it
    story: str = ""                 # the title of the lesson's own run, where it is not the
                                    # automatic one: what the balls show, in a few words


def mesh_over(bounds, n):
    """An n x n grid of points over `bounds` ((xmin, xmax), (ymin, ymax)), shape (n, n, 2),
    rows along y."""
    (xmin, xmax), (ymin, ymax) = bounds
    return np.stack(np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n)), axis=-1)


class Heights(NamedTuple):
    """How a surface is drawn: lift(loss) -> height, the view's mesh (n, n, 2) over the
    bounds, and the heights there (n, n)."""

    lift: Callable[[np.ndarray], np.ndarray]
    mesh: np.ndarray
    z: np.ndarray


@dataclass(frozen=True, eq=False)
class Surface:
    """A named loss surface: f, its gradient, the domain to draw and its global minimisers."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((xmin, xmax), (ymin, ymax))
    minima: np.ndarray  # (k, 2) global minimisers inside bounds; (0, 2) if unbounded below
    formula: str  # plain text, for titles and --list
    samples: int = 0  # > 0 for a loss over a dataset: then grad(p, rows) is the mini-batch gradient
    view: View = View()  # camera, height scale and axis labels
    lesson: Lesson = Lesson()  # default learning rate and start region
    unbounded: bool = False  # falls without bound: a ball leaving the bounds downhill escaped
    title: str = ""  # its name in a title's words, e.g. "Himmelblau's function" ("": name)

    def __post_init__(self):
        minima = np.array(self.minima, dtype=float).reshape(-1, 2)
        minima.setflags(write=False)
        object.__setattr__(self, "minima", minima)

    @property
    def box(self):
        """The bounds as an array [[xmin, xmax], [ymin, ymax]]: `low, high = box.T`."""
        return np.array(self.bounds, dtype=float)

    def mesh(self, n=None):
        """An n x n grid over the bounds (default: the view's grid), shape (n, n, 2)."""
        return mesh_over(self.bounds, n or self.view.grid)

    def heights(self):
        """How losses are drawn: the loss itself, or for a log-scaled view the log of its
        excess over the lowest loss; with the heights on the view's mesh."""
        mesh = self.mesh()
        losses = self.f(mesh)
        if self.view.scale != "log":
            return Heights(np.asarray, mesh, losses)
        floor = min(losses.min(), self.f(self.minima).min(initial=np.inf))

        def lift(loss):
            return np.log10(1 + np.maximum(loss - floor, 0))
        return Heights(lift, mesh, lift(losses))


# --- losses over a data set: f(p, rows) is the mean of a per-row loss over the rows of a batch
# (all rows by default), grad(p, rows) its gradient; `samples` in the Surface says how many rows.

def mean_over_rows(row_loss, row_grad, inputs, targets, chunk=1 << 20):
    """f(p, rows) = mean_i row_loss(x, y, inputs_i, targets_i) over the chosen rows, and its
    gradient from row_grad(...) -> (d/dx, d/dy), both per point and row, shape (points, rows):
    the pair of a surface over a data set. Points go a chunk at a time (points x rows <= chunk)."""
    def mean(p, rows, terms):
        p = np.asarray(p, dtype=float)
        flat = p.reshape(-1, 2)
        x, y = inputs[rows], targets[rows]
        step = max(1, chunk // len(y))
        parts = [[term.mean(-1) for term in terms(flat[i:i + step, :1], flat[i:i + step, 1:],
                                                   x, y)] for i in range(0, len(flat) or 1, step)]
        return [np.concatenate(part).reshape(p.shape[:-1]) for part in zip(*parts, strict=True)]

    def f(p, rows=slice(None)):
        return mean(p, rows, lambda *a: [row_loss(*a)])[0]

    def grad(p, rows=slice(None)):
        return np.stack(mean(p, rows, row_grad), axis=-1)
    return f, grad
