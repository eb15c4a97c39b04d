"""sgd_viz: drop many balls on a 3D loss surface and watch gradient descent roll them downhill.

Every ball starts at a random point and follows the optimizer's update; for plain gradient
descent that is x <- x - lr * grad f(x). The whole run is simulated first (all balls at once,
vectorised), then drawn frame by frame into an animated GIF. Points are arrays of shape
(..., 2) or (..., 3), coordinate last; work over many balls takes one coordinate at a time,
because numpy is slow to broadcast along a length-2 or length-3 last axis.

    python sgd_viz.py                                         # regenerate sgd.gif
    python sgd_viz.py --surface himmelblau --lr 0.01          # four minima, four crowds
    python sgd_viz.py --surface rosenbrock --optimizer adam --lr 0.05
    python sgd_viz.py --surface bowl --lr 4.5                 # too large: the balls fly off
    python sgd_viz.py --balls 50 --steps 60 --size 640x480 --out small.gif
    python sgd_viz.py --surface "sin(x)*cos(y) + 0.1*(x^2 + y^2)" --bounds=-6,6,-6,6
    python sgd_viz.py --list                                  # surfaces and optimizers
"""
import argparse
import base64
import contextlib
import csv
import ctypes
import dataclasses
import difflib
import functools
import io
import itertools
import math
import os
import stat
import sys
import tempfile
import warnings
from typing import NamedTuple

import numpy as np
from matplotlib import animation
from matplotlib.artist import Artist
from PIL import Image, ImageDraw, ImageFont

from formula import surface_from_formula
from gifwriter import GifWriter, make_palette
from optimizers import OPTIMIZERS, defaults
from surfaces import SURFACES

# --- the scene -----------------------------------------------------------------------------
SURFACE = "wells"           # loss surface, see --list
OPTIMIZER = "sgd"           # update rule, see --list
LEARNING_RATE = 0.1         # step size lr in x <- x - lr * grad f(x)
BALLS = 300                 # number of balls, dropped uniformly at random over the surface
STEPS = 60                  # optimizer steps; one frame per step (up to FRAMES), plus the start
SEED = 0                    # seed of every random draw: same seed, same GIF, byte for byte
INIT = "uniform"            # start points: uniform, normal, grid, zeros or xavier (see starts_for)
INITS = ("uniform", "normal", "grid", "zeros", "xavier")
BATCH_SIZE = None           # rows per gradient on linear_regression (None: all of them)
NOISE = 0.0                 # standard deviation of Gaussian noise added to every gradient
TOL = None                  # converged when the loss changes by less than this (None: never)
ESCAPE = 0.25               # a ball this share of the span outside the bounds has diverged
FRAMES = 200                # frame budget: longer runs are sampled, denser early

# --- the picture ---------------------------------------------------------------------------
SIZE = (800, 600)           # GIF width and height in pixels
FPS = 20                    # frames per second (GIF delays are whole 10 ms, at least 20 ms)
HOLD = 1.5                  # seconds the last frame stays before the GIF loops
TRAIL = 8                   # steps of trail drawn behind each ball
TRAILED = 300               # trails behind at most this many balls (an even sample): more smear
class View(NamedTuple):
    """How a surface is looked at: camera angles in degrees, height scale, contours on the floor."""

    elevation: float = 38
    azimuth: float = -58
    scale: str = "linear"   # "log" shows the valleys of surfaces whose values span decades
    floor: bool = True      # contour lines on the floor of the box (noise on egg-box surfaces)
    labels: tuple = ("x", "y")


VIEWS = {                   # per surface; others get View()
    "bowl": View(35, -60), "wells": View(50, -60), "saddle": View(30, -50),
    "rosenbrock": View(40, -125, "log"), "beale": View(40, -50, "log"),
    "himmelblau": View(45, -60, "log"), "rastrigin": View(65, -60, floor=False),
    "ackley": View(45, -60, floor=False), "levi": View(45, -60, floor=False),
    "goldstein_price": View(40, -50, "log"), "booth": View(35, -50, "log"),
    "linear_regression": View(40, -60, labels=("w (slope)", "b (intercept)")),
}
GRID = 80                   # surface mesh resolution (GRID x GRID quads)
VISIBILITY_GRID = 256       # planes, and heights along each, of the camera's view of the surface
GROUPS_CMAP = ("#8a8a8a", "#f2f2f2")   # low to high: a neutral surface under coloured groups
SURFACE_CMAP = "GnBu_r"       # colormap of the surface; the balls are drawn in BALL_COLOR
BALL_COLOR = "#ff6b1a"
DIVERGED_COLOR = "#d62728"
PLAIN_RULE = r"$x \leftarrow x - \mathrm{lr}\,\nabla f(x)$"   # shown for plain gradient descent
MINIMUM_COLOR = "#ffd700"    # the star on each known global minimum
LAYOUT = "3d"               # the surface alone; see LAYOUTS and --help for the others
LAYOUTS = ("3d", "curve", "contour", "multiples")
GROUP_COLOURS = ["#E69F00", "#0072B2", "#CC79A7", "#009E73", "#D55E00", "#56B4E9", "#F0E442",
                 "#000000"]     # Okabe & Ito's colour-blind-safe palette, one colour per group
COLOR = "group"             # colour balls by "group", or by the "basin" they end in
BASIN_RADIUS = 0.03         # ends closer than this share of the diagonal are one basin
ORBIT = 0                   # degrees the camera turns over the animation (slower: no cached scene)
THEME = "light"             # "light" or "dark", see THEMES
THEMES = {                  # matplotlib settings for each theme
    "light": {"figure.facecolor": "white"},
    "dark": {"figure.facecolor": "#14171c", "axes.facecolor": "#14171c",
             "text.color": "#e6e6e6", "axes.labelcolor": "#e6e6e6", "xtick.color": "#b8b8b8",
             "ytick.color": "#b8b8b8", "axes.edgecolor": "#6b7078", "grid.color": "#343a42",
             **{f"axes3d.{axis}axis.panecolor": "#1c2027" for axis in "xyz"}},
}
OUT = "sgd.gif"             # output path; the extension picks the format (OUTPUT_KINDS)
OUTPUT_KINDS = {".gif": "animated GIF", ".png": "poster of the last step",
                ".mp4": "video, needs ffmpeg", ".html": "matplotlib's JavaScript player"}

# --- the lessons, one command each: --preset NAME; explicit flags override -------------------
PRESETS = {
    "learning-rates": ("too small, good and too large on a bowl: slow, converging, diverging",
                       "--surface bowl --lr 0.3,1.5,4.3 --layout curve --balls 60 --steps 50"),
    "optimizers": ("all six optimizers from the same starts in Rosenbrock's curved valley",
                   "--surface rosenbrock --optimizer sgd:lr=0.0005,momentum:lr=0.0005,"
                   "nesterov:lr=0.0005,adagrad:lr=0.5,rmsprop:lr=0.01,adam:lr=0.05 "
                   "--layout curve --balls 40 --steps 300"),
    "batch-sizes": ("batch, mini-batch and stochastic gradient descent on linear regression",
                    "--surface linear_regression --lr 0.1 --batch-size 100,10,1 "
                    "--layout curve --balls 60 --steps 100"),
    "local-minima": ("balls trapped in the wells they start above; noise shakes some free",
                     "--surface wells --lr 0.1 --noise 0,1.2 --layout curve --balls 150 "
                     "--steps 100"),
    "saddle": ("on a saddle's ridge plain GD stalls; momentum and noise escape",
               "--surface saddle --optimizer sgd,momentum --lr 0.02 --noise 0,0.05 --init grid "
               "--start-region=-1.8,1.8,-0.0001,0.0001 --layout curve --balls 40 --steps 120"),
}

# --- what the flags accept -------------------------------------------------------------------
MAX_BALLS = 1_000_000
MAX_STEPS = 100_000
SIZE_RANGE = (64, 4096)     # pixels, each side
FPS_RANGE = (1, 50)         # 50 fps is the 20 ms delay floor that GIF viewers honour
MAX_SECONDS = 15 * 60       # estimated work beyond these needs --force
MAX_MEMORY = 4e9            # bytes


# --- simulation ------------------------------------------------------------------------------

class Run(NamedTuple):
    """A simulated run, one row per recorded step; settled balls stay where they stopped."""

    steps: np.ndarray       # (T,) step number of each row, starting at 0
    positions: np.ndarray   # (T, N, 2)
    losses: np.ndarray      # (T, N), finite
    diverged: np.ndarray    # (T, N) bool: left the surface, frozen on the bounds' edge
    converged: np.ndarray   # (T, N) bool: loss changed by less than the tolerance, stopped


def uniform_starts(surface, balls, rng, region=None):
    """Start points drawn uniformly over `region` (default: the surface's bounds): (balls, 2)."""
    low, high = np.array(region or surface.bounds, dtype=float).T
    return rng.uniform(low, high, size=(balls, 2))


def starts_for(surface, balls, rng, init=INIT, region=None):
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


BLOCK = 16_384              # balls stepped and evaluated at once (see blocks)


def blocks(n, block=None):
    """Slices of at most `block` (default BLOCK) of n balls. Working a block at a time keeps
    numpy's temporaries in the cache and in the allocator's free lists: temporaries of 100,000
    balls are handed back to the kernel when freed and fault fresh pages in at the next step."""
    block = block or BLOCK
    return [slice(i, i + block) for i in range(0, n, block)]


def in_blocks(function, x, *args, block=None):
    """function(x, *args), evaluated a block of balls at a time (see blocks)."""
    if len(x) <= (block or BLOCK):
        return function(x, *args)
    return np.concatenate([function(x[part], *args) for part in blocks(len(x), block)])


def keep_freed_memory(size=32 << 20):
    """Have glibc's malloc keep up to `size` of freed memory for the next allocations instead
    of handing it back to the kernel, and serve arrays under `size` from it rather than from
    fresh mmaps. simulate() allocates and frees the same temporaries for every block of balls
    at every step; by default each round trip may fault their pages in again, which on a VM
    costs more than the arithmetic. Without glibc it does nothing."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):
        return
    mallopt(-1, size)       # M_TRIM_THRESHOLD
    mallopt(-3, size)       # M_MMAP_THRESHOLD


def simulate(surface, optimizer, starts, steps, record=None, noise=0.0, seed=SEED, tol=None,
             batch_size=None):
    """Step every ball `steps` times at once, keeping the steps in `record` (default: all).
    On a surface over a data set, `batch_size` rows drawn by `minibatches` give each step's
    gradient (all balls see the same batch); None uses every row (batch gradient descent).
    `noise` adds Gaussian noise of that standard deviation to every gradient. Batches and noise
    come from streams that depend only on `seed`: runs with other optimizers get the same.
    A ball that leaves the bounds by more than ESCAPE of their span, or whose numbers overflow,
    is diverged: frozen on the bounds' edge. With `tol`, a ball whose loss changes by less
    than `tol` in a step is converged and stops. Each step goes over the balls a block at a
    time (see blocks), each block with its own optimizer state; the numbers are the same."""
    keep_freed_memory()
    record = np.arange(steps + 1) if record is None else np.asarray(record)
    low, high = np.array(surface.bounds, dtype=float).T
    inner, outer = low - ESCAPE * (high - low), high + ESCAPE * (high - low)
    safe = inner.max(), outer.min()       # a ball with both coordinates in here is inside
    noise_stream = np.random.default_rng([seed, 1])     # independent of the starts' stream
    batches = (minibatches(surface.samples, batch_size, np.random.default_rng([seed, 2]))
               if batch_size and surface.samples else None)
    x = np.array(starts, dtype=float)       # simulate's own, updated in place a block at a time
    parts = blocks(len(x))
    states = [optimizer.init(x[part]) for part in parts]
    diverged = np.zeros(len(x), dtype=bool)
    converged = np.zeros(len(x), dtype=bool)
    positions = np.empty((len(record), *x.shape))
    losses = np.empty((len(record), len(x)))
    lost = np.empty((len(record), len(x)), dtype=bool)
    settled = np.empty((len(record), len(x)), dtype=bool)
    loss = np.array(in_blocks(surface.f, x), dtype=float)     # simulate's own, like x

    def advance(part, state, batch, kicks, measure):
        """One step of the balls in `part`, written in place, and with `measure` their losses;
        returns their optimizer state."""
        here = x[part]                                      # a view of simulate's own array
        grad = surface.grad(here, *batch)
        if kicks is not None:
            grad = grad + kicks[part]
        x_new, state = optimizer.update(here, grad, state)
        moving = ~(diverged[part] | converged[part])
        # NaN fails every comparison, so a ball with non-finite numbers is not inside.
        if x_new.min() >= safe[0] and x_new.max() <= safe[1]:
            escaped = np.zeros_like(moving)                 # the usual case: all well inside
        else:   # a coordinate at a time (see the module docstring)
            escaped = moving & ~np.logical_and.reduce([
                (column >= low) & (column <= high)
                for column, low, high in zip(x_new.T, inner, outer, strict=True)])
        if escaped.any():       # rare: frozen on the edge, from where they left
            finite = np.isfinite(x_new[escaped]).all(axis=1)
            here[escaped] = np.clip(np.where(finite[:, None], x_new[escaped], here[escaped]),
                                    low, high)
            diverged[part] |= escaped
            moving &= ~escaped
        if moving.all():
            here[...] = x_new
        else:   # a coordinate at a time (see the module docstring)
            for column, new in zip(here.T, x_new.T, strict=True):
                np.copyto(column, new, where=moving)
        if measure:
            new_loss = surface.f(here)
            if tol is not None:
                converged[part] |= moving & (np.abs(new_loss - loss[part]) < tol)
            loss[part] = new_loss
        return state

    row = 0
    with np.errstate(all="ignore"):     # overflow is expected here: it is what divergence means
        for t in range(steps + 1):
            recorded = row < len(record) and record[row] == t
            if t > 0:
                batch = (next(batches),) if batches else ()
                kicks = noise * noise_stream.standard_normal(x.shape) if noise else None
                states = [advance(part, state, batch, kicks, recorded or tol is not None)
                          for part, state in zip(parts, states, strict=True)]
            if recorded:
                positions[row], losses[row], lost[row], settled[row] = x, loss, diverged, converged
                row += 1
    return Run(record, positions, losses, lost, settled)


def until_settled(runs):
    """The runs cut after the first step where every ball of every run has converged or
    diverged."""
    done = np.all([(run.diverged | run.converged).all(axis=1) for run in runs], axis=0)
    if not done.any():
        return runs
    return [Run(*(values[:np.argmax(done) + 1] for values in run)) for run in runs]


# --- writing the output file ----------------------------------------------------------------

@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside `path`; rename it over `path` only if the block succeeds.
    The new file gets the old one's permissions, or the usual ones for a new file."""
    fd, tmp = tempfile.mkstemp(prefix=".sgd_viz-", suffix=".tmp" + os.path.splitext(path)[1],
                               dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    try:
        yield tmp
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)     # read the umask: mkstemp's files are private (0600)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


# --- drawing ---------------------------------------------------------------------------------

def camera(proj):
    """The camera of a 3D projection matrix in data coordinates: (eye point, None) for a
    perspective projection, (None, direction to the viewer) for an orthographic one."""
    centre = np.linalg.svd(proj[[0, 1, 3]])[2][-1]      # the one point projected to nowhere
    if abs(centre[3]) > 1e-12 * np.abs(centre[:3]).max():
        return centre[:3] / centre[3], None
    towards = centre[:3] if (proj @ [*centre[:3], 0])[2] < 0 else -centre[:3]
    return None, towards


def hidden(points, height, bounds, zlim, proj, samples=256, tolerance=2e-3):
    """Which points (N, 3) on the surface the camera cannot see: march each one's ray toward
    the camera, inside the drawn box, and look for surface above it (by more than `tolerance`
    of the height range, so that a ray grazing the surface it starts on is not counted)."""
    eye, towards = camera(proj)
    low, high = np.array(bounds, dtype=float).T
    t = np.linspace(0, 1, samples + 1)[1:]

    def march(p):
        d = eye - p if eye is not None else np.broadcast_to(towards, p.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            exits = [np.where(d[:, i] > 0, (high[i] - p[:, i]) / d[:, i],
                              np.where(d[:, i] < 0, (low[i] - p[:, i]) / d[:, i], np.inf))
                     for i in range(2)]
            exits.append(np.where(d[:, 2] > 0, (zlim[1] - p[:, 2]) / d[:, 2], np.inf))
        reach = np.minimum.reduce(exits)
        ray = p[:, None, :] + (reach[:, None] * t)[..., None] * d[:, None, :]
        under = ray[..., 2] < height(ray[..., :2]) - tolerance * (zlim[1] - zlim[0])
        return under.any(axis=1)
    return in_blocks(march, points, block=256)      # a block's samples: 256 x `samples`


class TextLine(Artist):
    """A line of text drawn by Pillow, for the text that changes every frame. matplotlib 3.11
    renders text glyph by glyph, about 10 ms a line, a third of a frame; Pillow draws the same
    font in a tenth of that. (x, y) in figure fractions, vertically centred there."""

    def __init__(self, x, y, colour=None, family="monospace", size="medium"):
        from matplotlib import rcParams
        from matplotlib.font_manager import FontProperties

        super().__init__()
        self.xy, self.text = (x, y), ""
        self.colour = colour if colour is not None else rcParams["text.color"]
        self.font = FontProperties(family=family, size=size)
        self.set_animated(True)

    def set_text(self, text):
        self.text = text

    def get_text(self):
        return self.text

    def draw(self, renderer):
        from matplotlib.colors import to_rgba

        if not self.text:
            return
        font = pillow_font(self.font, renderer.dpi)
        ascent, descent = font.getmetrics()
        mask = Image.new("L", (math.ceil(font.getlength(self.text)), ascent + descent))
        ImageDraw.Draw(mask).text((0, 0), self.text, fill=255, font=font)
        red, green, blue, alpha = to_rgba(self.colour)
        rgba = np.empty((mask.height, mask.width, 4), dtype=np.uint8)
        rgba[..., :3] = np.round(255 * np.array([red, green, blue]))
        rgba[..., 3] = np.asarray(mask) * alpha
        x, y = self.figure.transFigure.transform(self.xy)
        # draw_image takes the image's bottom row first, at (x, y) pixels from the bottom left
        renderer.draw_image(renderer.new_gc(), round(x), round(y - mask.height / 2), rgba[::-1])


@functools.cache
def pillow_font(font, dpi):
    """The Pillow font for matplotlib FontProperties at `dpi`, laid out without raqm so that
    every machine draws the same pixels."""
    from matplotlib.font_manager import findfont

    return ImageFont.truetype(findfont(font), font.get_size_in_points() * dpi / 72,
                              layout_engine=ImageFont.Layout.BASIC)


class Group(NamedTuple):
    """One group of balls: an optimizer with its learning rate, its colour and its run."""

    label: str
    colour: str
    run: Run
    epoch_length: int = 0   # mini-batches per epoch, 0 without mini-batches
    rule: str = ""          # the update rule in mathtext, for plain gradient descent


class Dots(NamedTuple):
    """The moving artists of one group."""

    ax: object              # the 3D axes the group's balls roll on
    project: object         # its projector: drawn 3D points -> pixels, depth
    trail: object           # one line through the last TRAIL steps of each (trailed) ball
    balls: object
    settled: object         # converged balls, ringed in white
    behind: object          # balls hidden by the surface, drawn hollow
    lost: object            # diverged balls
    flat: object            # the balls seen from above on the contour panel, or None
    status: object          # the group's line of text: mean loss and counts


class Scene(NamedTuple):
    """The figure with its static parts drawn once, and what frames need to draw the rest."""

    surface: object
    lift: object            # loss -> drawn height: the loss, or its log for a log-scaled view
    hidden: object          # (N, 3) drawn points -> bool, True where the surface hides them
    fig: object
    ax: object              # the (first) 3D axes; every 3D panel has the same camera
    background: object      # pixels of the static figure, restored before every frame
    dots: list              # Dots for each group
    clock: object           # the text line with the step (and epoch)
    cursor: object          # the learning curve's moving step line, or None


def mesh_over(bounds, n):
    """An n x n grid of points over `bounds`, shape (n, n, 2), rows along y."""
    (xmin, xmax), (ymin, ymax) = bounds
    return np.stack(np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n)), axis=-1)


def heights(surface, scale, grid):
    """How losses are drawn, lift(loss) -> height: the loss itself, or for a log-scaled view
    the log of its excess over the lowest loss; and the heights on a grid x grid mesh."""
    mesh = mesh_over(surface.bounds, grid)
    losses = surface.f(mesh)
    if scale != "log":
        return np.asarray, mesh, losses
    floor = min(losses.min(), surface.f(surface.minima).min(initial=np.inf))

    def lift(loss):
        return np.log10(1 + np.maximum(loss - floor, 0))
    return lift, mesh, lift(losses)


def height_of(surface, lift):
    """p -> the drawn height of the surface at points p (..., 2)."""
    return lambda p: lift(surface.f(p))


def projector(ax):
    """Drawn 3D points (..., 3) -> display pixels (..., 2) and depth (...) as mplot3d draws
    them: the axes' projection matrix, then its 2D transform to pixels."""
    proj, affine = ax.get_proj(), ax.transData.get_affine().get_matrix()

    def project(points):
        hx, hy, hz, hw = np.moveaxis(points @ proj[:, :3].T + proj[:, 3], -1, 0)
        x, y = hx / hw, hy / hw
        return np.stack([affine[0, 0] * x + affine[0, 1] * y + affine[0, 2],
                         affine[1, 0] * x + affine[1, 1] * y + affine[1, 2]], axis=-1), hz / hw
    return project


def visibility(height, bounds, zlim, proj, grid=VISIBILITY_GRID):
    """A function telling which drawn points (N, 3) on the surface the camera cannot see.

    The ray from a point to the eye stays in the vertical plane through both, and the point is
    hidden where the surface in that plane, between it and the eye, rises above the ray. So a
    fan of `grid` vertical planes through the eye crosses the box, each with `grid` heights
    from the eye's side, and keeps the running maximum of the slope at which the eye sees the
    surface: a point of the surface is hidden when that maximum before it is above its own
    slope. A drawn point is looked up at its distance on the planes either side of it; where
    they disagree (the edge of what is hidden) or one does not reach it, its own ray is
    marched. An orthographic camera has no eye: every point is marched."""
    eye, _ = camera(proj)
    if eye is None:
        return lambda points: hidden(points, height, bounds, zlim, proj)
    low, high = np.array(bounds, dtype=float).T
    foot, ahead = eye[:2], np.arctan2(*((low + high) / 2 - eye[:2])[::-1])

    def polar(p):       # points (..., 2) -> the angle of their plane, their distance from foot
        d = p - foot
        return ((np.arctan2(d[..., 1], d[..., 0]) - ahead + np.pi) % (2 * np.pi) - np.pi,
                np.hypot(d[..., 0], d[..., 1]))

    def slope(distance, z):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (z - eye[2]) / distance

    angles = polar(np.stack(np.meshgrid(*bounds), axis=-1).reshape(-1, 2))[0]
    outside = np.any((foot < low) | (foot > high))
    planes = np.linspace(angles.min(), angles.max(), grid) if outside else np.linspace(
        -np.pi, np.pi, grid)
    direction = np.stack([np.cos(planes + ahead), np.sin(planes + ahead)], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):      # where each plane crosses the box
        ends = (np.stack([low, high])[:, None] - foot) / direction
    enter = np.maximum(np.nanmax(np.min(ends, axis=0), axis=-1), 0)
    step = np.maximum(np.nanmin(np.max(ends, axis=0), axis=-1) - enter, 0) / (grid - 1)
    distance = enter[:, None] + step[:, None] * np.arange(grid)
    surface = height(np.clip(foot + distance[..., None] * direction[:, None], low, high))
    tolerance = 2e-3 * (zlim[1] - zlim[0])      # so that a ray grazing its own slope is seen
    horizon = np.fmax.accumulate(slope(distance, surface - tolerance), axis=1)    # past NaN

    def is_hidden(points):
        angle, far = polar(points[:, :2])
        left = np.clip(((angle - planes[0]) / (planes[1] - planes[0])).astype(int), 0, grid - 2)
        votes, unsure = [], np.zeros(len(points), dtype=bool)
        for plane in (left, left + 1):
            with np.errstate(divide="ignore", invalid="ignore"):     # a plane through a corner
                at = (far - enter[plane]) / step[plane]
            unsure |= ~((at >= 0) & (at <= grid - 1))                # off this plane's ends
            at = np.clip(np.nan_to_num(at), 0, grid - 1)
            j = np.minimum(at.astype(int), grid - 2)            # the last height before it
            z = surface[plane, j] + (surface[plane, j + 1] - surface[plane, j]) * (at - j)
            votes.append(horizon[plane, j] > slope(far, z))
        result, unsure = votes[0], unsure | (votes[0] != votes[1])
        if unsure.any():
            result[unsure] = hidden(points[unsure], height, bounds, zlim, proj)
        return result
    return is_hidden


def draw_surface(ax, surface, grid, cmap=SURFACE_CMAP):
    """The surface, its floor contours, axes and minima on a 3D axes; returns how losses are
    lifted to drawn heights (see heights)."""
    from matplotlib.colors import LightSource

    view = VIEWS.get(surface.name, View())
    lift, mesh, z = heights(surface, view.scale, grid)
    ax.plot_surface(mesh[..., 0], mesh[..., 1], z, cmap=cmap, rcount=grid,
                    ccount=grid, linewidth=0, antialiased=False, zorder=1, shade=True,
                    lightsource=LightSource(azdeg=300, altdeg=50))
    if view.floor:
        ax.contour(mesh[..., 0], mesh[..., 1], z, levels=12, zdir="z", offset=z.min(),
                   cmap=cmap, linewidths=0.8, zorder=0)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), zlim=(z.min(), z.max()), xlabel=view.labels[0],
           ylabel=view.labels[1], zlabel="loss (log scale)" if view.scale == "log" else "loss")
    if view.scale == "log":      # ticks at round losses above the lowest: 1, 10, 100, ...
        floor = min(surface.f(mesh).min(), surface.f(surface.minima).min(initial=np.inf))
        losses = 10.0 ** np.arange(math.ceil(np.log10(10 ** z.max() - 1)) + 1)
        ax.set_zticks(np.log10(1 + losses), [f"{v + floor:.3g}" for v in losses])
        ax.set_zlim(z.min(), z.max())
    ax.view_init(elev=view.elevation, azim=view.azimuth)
    ax.tick_params(labelsize="small")
    if len(surface.minima):
        ax.scatter(*surface.minima.T, lift(surface.f(surface.minima)), marker="*", s=180,
                   c=MINIMUM_COLOR, edgecolors="black", linewidths=0.7, depthshade=False,
                   zorder=2)
    return lift


def draw_map(ax, surface, lift, grid, cmap):
    """The surface seen from above: filled contours of its drawn heights, and its minima."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    mesh = mesh_over(surface.bounds, grid)
    z = lift(surface.f(mesh))
    ax.contourf(mesh[..., 0], mesh[..., 1], z, levels=20, cmap=cmap)
    ax.contour(mesh[..., 0], mesh[..., 1], z, levels=20, colors="black",
               linewidths=0.3, alpha=0.4)
    if len(surface.minima):
        ax.scatter(*surface.minima.T, marker="*", s=120, c=MINIMUM_COLOR, edgecolors="black",
                   linewidths=0.7, zorder=4)
    view = VIEWS.get(surface.name, View())
    ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), xlabel=view.labels[0], ylabel=view.labels[1],
           aspect="equal" if 0.25 < (ymax - ymin) / (xmax - xmin) < 4 else "auto")
    ax.tick_params(labelsize="small")


def draw_curves(ax, groups, floor=None):
    """The learning curves: the median loss of each group against step, its interquartile range
    as a band, over the balls still on the surface; returns the cursor that frames move. With
    the lowest loss known (`floor`), the curves show the loss above it on a log scale, where
    slow convergence and a noise floor both read."""
    floor = 0.0 if floor is None else floor
    gaps = [np.where(group.run.diverged, np.nan, group.run.losses - floor) for group in groups]
    for group, gap in zip(groups, gaps, strict=True):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)     # a step with every ball lost
            low, median, high = np.nanpercentile(gap, [25, 50, 75], axis=1)
        ax.fill_between(group.run.steps, low, high, color=group.colour, alpha=0.2, lw=0)
        ax.plot(group.run.steps, median, color=group.colour, lw=1.6)
    values = np.concatenate([gap[np.isfinite(gap)] for gap in gaps])
    positive = values[values > 0]
    if len(positive) and values.min() >= 0 and positive.max() > 100 * positive.min():
        ax.set_yscale("log")
        ax.set_ylim(bottom=max(positive.min(), positive.max() * 1e-12))
    name = "loss" if floor == 0 else "loss - min"
    ax.set(xlabel="step", ylabel=f"{name} (median, IQR)", xlim=(0, groups[0].run.steps[-1]))
    ax.tick_params(labelsize="small")
    ax.grid(alpha=0.3)
    return ax.axvline(0, color="0.4", lw=1, animated=True)


def draw_scene(surface, title, size, groups, grid=GRID, layout=LAYOUT):
    """Draw the static figure (surface, minima, axes, labels, legend, learning curves) once;
    return it with the moving artists, empty and marked animated so that only frames draw
    them. `groups` gives each group's label, colour and run."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import IdentityTransform

    width, height_px = size
    dpi = 100 * min(width / 800, height_px / 600) ** 0.5    # text scales with the picture
    fig = Figure(figsize=(width / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    top = 0.87 - 0.04 * len(groups)                         # room for a status line per group
    bottom = 0.06                                           # and for the formula below
    cmap = SURFACE_CMAP if len(groups) == 1 else LinearSegmentedColormap.from_list(
        "groups", GROUPS_CMAP)
    panel = dict(projection="3d", computed_zorder=False)
    cursor = flat_ax = None
    if layout == "multiples":                   # one 3D panel per group, the same camera
        columns = math.ceil(math.sqrt(len(groups)))
        rows = math.ceil(len(groups) / columns)
        cell = (top + 0.03 - bottom) / rows
        axes = [fig.add_axes((i % columns / columns, bottom + (rows - 1 - i // columns) * cell,
                              1 / columns, cell), **panel) for i in range(len(groups))]
    elif layout in ("curve", "contour"):
        low = bottom + 0.04         # a narrow 3D box hangs its tick labels lower
        axes = [fig.add_axes((0.0, low, 0.57, top + 0.03 - low), **panel)]
        side = fig.add_axes((0.69, 0.14, 0.29, top - 0.2))
        if layout == "curve":
            cursor = draw_curves(side, groups, surface.f(surface.minima).min(initial=np.inf)
                                 if len(surface.minima) else None)
        else:
            flat_ax = side
    else:
        axes = [fig.add_axes((0, bottom, 1, top + 0.03 - bottom), **panel)]
    for ax in axes:
        lift = draw_surface(ax, surface, grid, cmap)
    ax = axes[0]
    if flat_ax is not None:
        draw_map(flat_ax, surface, lift, grid, cmap)
    fig.text(0.02, 0.965, title, fontsize="large", va="center")
    if surface.formula != surface.name:
        fig.text(0.02, 0.02, f"f(x, y) = {surface.formula}", fontsize="small", alpha=0.75)
    if len(groups) == 1 and groups[0].rule:
        fig.text(0.98, 0.02, groups[0].rule, fontsize="large", ha="right")
    clock = fig.add_artist(TextLine(0.02, 0.925))
    colour = groups[0].colour if len(groups) == 1 else "0.5"
    settling = any(group.run.converged.any() for group in groups)
    handles = [
        *(Line2D([], [], ls="", marker="o", ms=7, mfc=group.colour, mec="black",
                 label=group.label) for group in groups if len(groups) > 1),
        Line2D([], [], ls="", marker="o", ms=7, mfc=colour, mec="black", label="ball")
        if len(groups) == 1 else None,
        Line2D([], [], ls="", marker="o", ms=7, mfc="none", mec=colour, mew=1.2,
               label="behind the hill"),
        Line2D([], [], ls="", marker="o", ms=7, mfc=colour, mec="white", mew=1.4,
               label="converged") if settling else None,
        Line2D([], [], ls="", marker="X", ms=8, mfc=DIVERGED_COLOR, mec="black",
               label="diverged"),
        Line2D([], [], ls="", marker="*", ms=11, mfc=MINIMUM_COLOR, mec="black",
               label="global minimum") if len(surface.minima) else None,
    ]
    fig.legend(handles=[handle for handle in handles if handle is not None], loc="upper right",
               bbox_to_anchor=(0.99, 0.99), frameon=False, fontsize="small")
    dots = []
    # Balls shrink as they crowd, 300 balls are 5.3 pt across and 10,000 2.2, and beyond about
    # 5,000 they lose their outline, which would only darken the crowd.
    scale = min(1.0, (300 / sum(group.run.positions.shape[1] for group in groups)) ** 0.25)
    outline = 0.6 * scale if scale > 0.5 else 0.0

    def pixels(parent=fig, **style):    # moving artists are 2D, in pixels (see projector)
        return parent.add_artist(Line2D([], [], animated=True, transform=IdentityTransform(),
                                        **style))

    for index, group in enumerate(groups):
        own = axes[index] if layout == "multiples" else ax
        if layout == "multiples":
            own.text2D(0.02, 0.98, group.label, transform=own.transAxes, va="top",
                       color=group.colour, fontsize="small")
        ball = dict(ls="", marker="o", ms=5.3 * scale, mfc=group.colour)
        dots.append(Dots(
            ax=own,
            project=None,       # set once the figure is drawn and its axes placed
            trail=pixels(color=group.colour, lw=1.2 * scale, alpha=0.6),
            balls=pixels(**ball, mec="black", mew=outline),
            settled=pixels(**{**ball, "ms": 5.8 * scale}, mec="white", mew=1.4 * scale),
            behind=pixels(**{**ball, "mfc": "none"}, mec=group.colour, mew=1.2 * scale,
                          alpha=0.75),
            lost=pixels(ls="", marker="X", ms=8.4 * scale, mfc=DIVERGED_COLOR, mec="black",
                        mew=0.6 * scale),
            flat=pixels(flat_ax, **{**ball, "ms": 4.2 * scale}, mec="black",
                        mew=2 / 3 * outline) if flat_ax is not None else None,
            status=fig.add_artist(TextLine(0.02, 0.885 - 0.04 * index,
                                           group.colour if len(groups) > 1 else None))))
    fig.canvas.draw()
    dots = [d._replace(project=projector(d.ax)) for d in dots]
    is_hidden = visibility(height_of(surface, lift), surface.bounds, ax.get_zlim(), ax.get_proj())
    return Scene(surface, lift, is_hidden, fig, ax, fig.canvas.copy_from_bbox(fig.bbox), dots,
                 clock, cursor)


def draw_frame(scene, groups, k, trail=TRAIL):
    """Show step k of every group: restore the static background, move the balls and redraw
    only them; the frame's pixels are then in the figure's canvas."""
    fig, surface = scene.fig, scene.surface
    low, high = np.array(surface.bounds, dtype=float).T

    def drawn(run, steps, balls):
        """Where balls are drawn, (..., 3): those in the escape margin on the bounds' edge, so
        that nothing is drawn off the surface."""
        at, loss = run.positions[steps, balls], run.losses[steps, balls]
        x, y = (np.clip(at[..., i], low[i], high[i]) for i in (0, 1))
        off = (x != at[..., 0]) | (y != at[..., 1])
        if off.any():
            loss = np.where(off, surface.f(np.stack([x, y], axis=-1)), loss)
        return np.stack([x, y, scene.lift(loss)], axis=-1)

    fig.canvas.restore_region(scene.background)
    for group, dots in zip(groups, scene.dots, strict=True):
        run = group.run
        diverged, first = run.diverged[k], max(0, k - trail)
        trailed = slice(None, None, -(-len(diverged) // TRAILED))
        path = dots.project(drawn(run, slice(first, k + 1), trailed))[0]
        if k > first:       # one polyline per ball, NaN between balls
            gap = np.full_like(path[:1], np.nan)
            dots.trail.set_data(*np.concatenate([path, gap]).transpose(1, 0, 2).reshape(-1, 2).T)
            fig.draw_artist(dots.trail)
        xyz = drawn(run, k, slice(None))
        screen, depth = dots.project(xyz)
        screen = np.round(screen)               # where Agg draws markers anyway
        order = np.argsort(-depth)              # farthest first, as mplot3d draws
        behind = np.zeros_like(diverged)
        behind[~diverged] = scene.hidden(xyz[~diverged])
        settled = run.converged[k]
        for artist, which in ((dots.balls, ~diverged & ~behind & ~settled),
                              (dots.settled, ~diverged & ~behind & settled),
                              (dots.behind, behind), (dots.lost, diverged)):
            shown = screen[order[which[order]]]
            artist.set_data(*shown[on_top(shown)].T)
        if dots.flat is not None:       # seen from above, in the contour panel's pixels
            above = np.round(dots.flat.axes.transData.transform(xyz[~diverged, :2]))
            dots.flat.set_data(*above[on_top(above)].T)
        mean = f"{np.mean(run.losses[k][~diverged]):<9.4g}" if not diverged.all() else "-        "
        counts = f"converged {settled.sum()}  " if run.converged.any() else ""
        name = f"{group.label:<{max(len(g.label) for g in groups)}}  " if len(groups) > 1 else ""
        epoch = (f"epoch {-(-run.steps[k] // group.epoch_length):<3} " if group.epoch_length
                 else "")
        dots.status.set_text(f"{name}{epoch}mean loss {mean}  {counts}"
                             f"diverged {diverged.sum()}/{len(diverged)}")
    for dots in scene.dots:         # balls after every trail, diverged crosses on top
        for artist in (dots.behind, dots.balls, dots.settled, dots.lost):
            fig.draw_artist(artist)
        if dots.flat is not None:
            fig.draw_artist(dots.flat)
        fig.draw_artist(dots.status)
    step, last = groups[0].run.steps[k], groups[0].run.steps[-1]
    word = "iteration" if any(group.epoch_length for group in groups) else "step"
    scene.clock.set_text(f"{word} {step:>{len(str(last))}}/{last}")
    fig.draw_artist(scene.clock)
    if scene.cursor is not None:
        scene.cursor.set_xdata([step, step])
        scene.cursor.axes.draw_artist(scene.cursor)


def on_top(points):
    """Which of the points (N, 2), whole pixels in drawing order, are the last drawn on their
    pixel. Agg draws markers on whole pixels, so the ones before are covered: drawing them
    would only darken the antialiased rim of the one on top, and cost time. Points that are
    not finite are left out, as Agg leaves them out."""
    x, y = points.T
    index = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(index) == 0:
        return index
    x, y = (x[index] - x[index].min()).astype(np.intp), (y[index] - y[index].min()).astype(np.intp)
    pixel = y * (x.max() + 1) + x
    order = np.arange(len(pixel), dtype=np.int32)
    last = np.full(pixel.max() + 1, -1, dtype=np.int32)
    np.maximum.at(last, pixel, order)
    return index[last[pixel] == order]


def canvas_image(fig):
    """The figure's canvas as it stands, as an RGB image."""
    width, height = fig.canvas.get_width_height()
    return Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba()).convert("RGB")


def turn(scene, azimuth):
    """The scene seen from another azimuth: the static part and what it hides, again."""
    for ax in {dots.ax for dots in scene.dots}:
        ax.view_init(elev=ax.elev, azim=azimuth)
    scene.fig.canvas.draw()
    return scene._replace(
        background=scene.fig.canvas.copy_from_bbox(scene.fig.bbox),
        dots=[dots._replace(project=projector(dots.ax)) for dots in scene.dots],
        hidden=visibility(height_of(scene.surface, scene.lift), scene.surface.bounds,
                          scene.ax.get_zlim(), scene.ax.get_proj()))


def render(groups, surface, title, out, size=SIZE, fps=FPS, trail=TRAIL, hold=HOLD,
           orbit=ORBIT, theme=THEME, layout=LAYOUT, progress=False):
    """Draw the groups' runs into `out`: a .gif, .mp4 (needs ffmpeg), .html player or a .png
    poster of the last step, the camera turning by `orbit` degrees over the animation. The old
    file is replaced only when the new one is complete."""
    from matplotlib import rc_context
    from tqdm import tqdm

    frames = len(groups[0].run.steps)
    kind = os.path.splitext(out)[1].lower()
    with rc_context(THEMES[theme]), atomic_output(out) as tmp:
        scene = draw_scene(surface, title, size, groups, layout=layout)
        start = scene.ax.azim

        def frame(k):
            shown = turn(scene, start + orbit * k / max(1, frames - 1)) if orbit else scene
            draw_frame(shown, groups, k, trail)

        if kind == ".png":
            frame(frames - 1)
            canvas_image(scene.fig).save(tmp, "PNG")
            return
        if kind == ".mp4":
            writer = CanvasFFMpegWriter(fps=fps)
        elif kind == ".html":
            writer = CanvasHTMLWriter(fps=fps, embed_frames=True, default_mode="loop")
        else:
            samples = []
            for k in sorted({0, frames // 2, frames - 1}):
                frame(k)
                samples.append(np.array(scene.fig.canvas.buffer_rgba()))
            colours = [group.colour for group in groups] + [DIVERGED_COLOR, "black", "white"]
            writer = GifWriter(fps, make_palette(samples, colours), hold)
        with writer.saving(scene.fig, tmp, scene.fig.dpi):
            for k in tqdm(range(frames), disable=not progress, unit="frame", leave=False):
                frame(k)
                writer.grab_frame()


class CanvasFFMpegWriter(animation.FFMpegWriter):
    """matplotlib's ffmpeg writer, fed the canvas as it stands (a full redraw would drop the
    animated artists that draw_frame blits)."""

    def grab_frame(self, **savefig_kwargs):
        self._proc.stdin.write(self.fig.canvas.buffer_rgba())


class CanvasHTMLWriter(animation.HTMLWriter):
    """matplotlib's JavaScript player, fed the canvas as it stands, as PNG frames."""

    def grab_frame(self, **savefig_kwargs):
        png = io.BytesIO()
        canvas_image(self.fig).save(png, "PNG")
        self._saved_frames.append(base64.encodebytes(png.getvalue()).decode("ascii"))


def label(optimizer):
    """An optimizer's name, learning rate and the hyperparameters that differ from its defaults."""
    changed = [f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
               for key, value in optimizer.hyperparameters.items()
               if key != "lr" and value != defaults(optimizer.name)[key]]
    return " ".join([optimizer.name, f"lr={optimizer.hyperparameters['lr']:g}", *changed])


def title(surface, groups, shared=()):
    """The title line: the surface, the group when there is only one, settings all share."""
    words = [surface.name, *([groups[0].label] if len(groups) == 1 else []), *shared]
    return "    ".join(words)


# --- command line ----------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr and exit status 2, without the usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def name_in(registry, what):
    def parse(text):
        if text in registry or (registry is SURFACES and not text.isidentifier()):
            return text     # a surface that is not a name is a formula, checked in main()
        close = difflib.get_close_matches(text, registry, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        formula = " or a formula in x and y" if registry is SURFACES else ""
        raise argparse.ArgumentTypeError(
            f"unknown {what} {text!r}{hint}; choose from {', '.join(registry)}{formula}")
    return parse


def number_in(kind, low, high):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if not (math.isfinite(value) and low <= value <= high):
            upper = "" if high == math.inf else f" and <= {high:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: needs >= {low:g}{upper}")
        return value
    return parse


def optimizer_list(text):
    """'sgd,momentum:momentum=0.5,adam:betas=0.8/0.99' -> [(name, hyperparameters), ...]."""
    specs = []
    for item in text.split(","):
        name, *settings = item.strip().split(":")
        hyperparameters = {}
        for setting in settings:
            key, equals, value = setting.partition("=")
            if not equals:
                raise argparse.ArgumentTypeError(f"{setting!r} in {item!r} is not KEY=VALUE")
            hyperparameters[key] = hyperparameter(value)
        specs.append((name_in(OPTIMIZERS, "optimizer")(name), hyperparameters))
    return specs


def hyperparameter(text):
    """'true' -> True, '0.8/0.99' -> (0.8, 0.99), '0.5' -> 0.5."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        values = tuple(float(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number, true/false or "
                                         "A/B (a pair such as betas=0.9/0.999)") from None
    return values if len(values) > 1 else values[0]


def listed(parse):
    """A parser of comma-separated values, each parsed by `parse`."""
    def parse_list(text):
        return [parse(part) for part in text.split(",")]
    return parse_list


def positive_float(text):
    value = number_in(float, 0, math.inf)(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text} is out of range: needs > 0")
    return value


def bounds_type(text):
    try:
        xmin, xmax, ymin, ymax = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not XMIN,XMAX,YMIN,YMAX, "
                                         "e.g. -5,5,-3,3") from None
    if not all(map(math.isfinite, (xmin, xmax, ymin, ymax))) or xmin >= xmax or ymin >= ymax:
        raise argparse.ArgumentTypeError(f"{text} needs finite numbers with XMIN < XMAX "
                                         "and YMIN < YMAX")
    return (xmin, xmax), (ymin, ymax)


def size_type(text):
    width, _, height = text.lower().partition("x")
    try:
        size = int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 800x600") from None
    low, high = SIZE_RANGE
    if not all(low <= side <= high for side in size):
        raise argparse.ArgumentTypeError(f"{text} is out of range: each side {low} to {high} px")
    return size


def trajectory_path(text):
    if not text.lower().endswith((".npz", ".csv")):
        raise argparse.ArgumentTypeError(f"{text!r} must end in .npz or .csv")
    return writable(text)


def writable(text):
    folder = os.path.dirname(os.path.abspath(text))
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a folder")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"folder {folder!r} is not writable")
    return text


def output_path(text):
    kind = os.path.splitext(text)[1].lower()
    if kind not in OUTPUT_KINDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} must end in {', '.join(OUTPUT_KINDS)} ({'; '.join(OUTPUT_KINDS.values())})")
    if kind == ".mp4" and not animation.FFMpegWriter.isAvailable():
        raise argparse.ArgumentTypeError(f"{text!r} needs ffmpeg, which is not installed; "
                                         "write a .gif instead")
    return writable(text)


def build_parser():
    parser = Parser(
        prog="sgd_viz.py",
        description="Drop many balls on a 3D loss surface and animate gradient descent "
                    "rolling them downhill into a GIF.",
        epilog="examples:\n" + "\n".join(line for line in __doc__.splitlines()
                                          if line.lstrip().startswith("python ")),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    scene = parser.add_argument_group("the scene")
    scene.add_argument("--surface", type=name_in(SURFACES, "surface"), default=SURFACE,
                       help=f"loss surface (default {SURFACE}; --list shows them all), or "
                            "a formula in x and y such as 'x**2 + 3*y**2' or "
                            "'sin(x)*cos(y) + 0.1*(x^2 + y^2)'")
    scene.add_argument("--bounds", type=bounds_type, metavar="XMIN,XMAX,YMIN,YMAX",
                       help="domain of the surface, written with = when it starts with a "
                            "minus: --bounds=-6,6,-3,3 (default: the surface's own, or "
                            "-5,5,-5,5 for a formula)")
    scene.add_argument("--optimizer", type=optimizer_list, default=OPTIMIZER,
                       help=f"update rule (default {OPTIMIZER}): {', '.join(OPTIMIZERS)}; a "
                            "comma-separated list compares several, each with its own colour, "
                            "from the same starts with the same noise; NAME:KEY=VALUE sets a "
                            "hyperparameter as torch.optim names it, e.g. "
                            "momentum:momentum=0.5 or adam:betas=0.8/0.99:amsgrad=true "
                            "(NAME:lr=VALUE fixes that one's learning rate)")
    scene.add_argument("--lr", type=listed(positive_float), default=str(LEARNING_RATE),
                       help=f"learning rate, > 0 (default {LEARNING_RATE}); a comma-separated "
                            "list makes a group for every pair of optimizer and learning rate")
    scene.add_argument("--balls", type=number_in(int, 1, MAX_BALLS), default=BALLS,
                       help=f"number of balls (default {BALLS})")
    scene.add_argument("--steps", type=number_in(int, 1, MAX_STEPS), default=STEPS,
                       help=f"optimizer steps (default {STEPS})")
    scene.add_argument("--init", choices=INITS, default=INIT,
                       help=f"how the balls start (default {INIT}): uniform over the start region, "
                            "normal around its centre, a regular grid, all at zero, or "
                            "Xavier-style normal with standard deviation 1")
    scene.add_argument("--start-region", type=bounds_type, metavar="XMIN,XMAX,YMIN,YMAX",
                       help="where balls may start (default: the surface's bounds); write = "
                            "when it starts with a minus")
    scene.add_argument("--batch-size", type=listed(number_in(int, 1, 10**9)),
                       default=BATCH_SIZE, metavar="B",
                       help="on a surface over a data set (linear_regression): rows per "
                            "gradient; its size m is batch gradient descent, 1 is stochastic, "
                            "between is mini-batch (default: m); a list makes groups")
    scene.add_argument("--noise", type=listed(number_in(float, 0, 1e6)), default=str(NOISE),
                       metavar="SIGMA", help="add Gaussian noise of this standard deviation to "
                       "every gradient, the same draws for every group (default "
                       f"{NOISE}); a list makes groups")
    scene.add_argument("--tol", type=positive_float, default=TOL, metavar="EPS",
                       help="a ball whose loss changes by less than EPS in a step has converged "
                            "and stops; the GIF ends once every ball has settled (default: off)")
    scene.add_argument("--seed", type=number_in(int, 0, 2**63 - 1), default=SEED,
                       help=f"random seed for the starts (default {SEED})")
    picture = parser.add_argument_group("the picture")
    picture.add_argument("--fps", type=number_in(int, *FPS_RANGE), default=FPS,
                         help=f"frames per second, {FPS_RANGE[0]} to {FPS_RANGE[1]} "
                              f"(default {FPS})")
    picture.add_argument("--frames", type=number_in(int, 2, MAX_STEPS + 1), default=FRAMES,
                         help="frame budget: a run with more steps shows a sample of them, "
                              f"denser early, always with the last step (default {FRAMES})")
    picture.add_argument("--size", type=size_type, default=SIZE, metavar="WxH",
                         help="GIF size in pixels (default {}x{})".format(*SIZE))
    picture.add_argument("--layout", choices=LAYOUTS, default=LAYOUT,
                         help="3d: the surface alone; curve: with the learning curves beside it; "
                              "contour: with a map of the surface seen from above; multiples: "
                              f"a 3D panel per group, the same camera (default {LAYOUT})")
    picture.add_argument("--color", choices=("group", "basin"), default=COLOR,
                         help="group: a colour per group; basin: a colour per minimum the balls "
                              "end in, with each basin's share (one group only; * marks a "
                              f"global minimum) (default {COLOR})")
    picture.add_argument("--orbit", type=number_in(float, -3600, 3600), default=ORBIT,
                         metavar="DEG", help="turn the camera by DEG degrees over the animation "
                                             f"(default {ORBIT}; slower, the scene is redrawn)")
    picture.add_argument("--theme", choices=THEMES, default=THEME,
                         help=f"colours of the figure (default {THEME})")
    picture.add_argument("--out", type=output_path, default=OUT,
                         help=f"output GIF, replaced only when complete (default {OUT})")
    picture.add_argument("--save-trajectories", type=trajectory_path, metavar="FILE",
                         help="also write every ball's positions, losses and status to FILE "
                              "(.npz or .csv)")
    picture.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--preset", type=name_in(PRESETS, "preset"), metavar="NAME",
                        help="a lesson set up in one go (writes NAME.gif unless --out): "
                             + "; ".join(f"{name}: {text}" for name, (text, _) in PRESETS.items()))
    parser.add_argument("--list", action="store_true",
                        help="list the surfaces, optimizers and presets, then exit")
    parser.add_argument("--force", action="store_true",
                        help="render even what looks too big to finish in reasonable time")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an internal error")
    return parser


def list_registries():
    lines = ["surfaces:"]
    lines += [f"  {name:18} {surface.formula}" for name, surface in SURFACES.items()]
    lines += ["optimizers:"]
    for name, factory in OPTIMIZERS.items():
        settings = ", ".join(f"{key}={value}" for key, value in factory().hyperparameters.items())
        lines.append(f"  {name:18} {settings}")
    lines += ["presets:"]
    lines += [f"  {name:18} {text}\n  {'':18} {flags}" for name, (text, flags) in PRESETS.items()]
    return "\n".join(lines)


def surface_of(name_or_formula, bounds=None):
    """A registered surface, or one built from a formula; `bounds` replaces its domain."""
    if name_or_formula not in SURFACES:
        return surface_from_formula(name_or_formula, bounds or ((-5, 5), (-5, 5)))
    surface = SURFACES[name_or_formula]
    return surface if bounds is None else dataclasses.replace(surface, bounds=bounds)


def estimate(args):
    """Rough (seconds, bytes) a request needs, from timings on a 2-core machine."""
    frames = 1 if args.out.lower().endswith(".png") else min(args.steps + 1, args.frames)
    pixels = args.size[0] * args.size[1]
    balls = args.balls * len(args.optimizer) * len(args.lr) * len(args.noise) * len(
        args.batch_size or [None])                                  # every group has its own
    seconds = (args.steps * balls * 5e-8
               + frames * (5e-3 + 5e-8 * pixels + 1e-6 * balls))
    memory = frames * balls * 48 + balls * 400 + pixels * 32
    return seconds, memory


class Plan(NamedTuple):
    """A checked request: the surface, each group's settings, and the title's shared words."""

    surface: object
    settings: dict          # group label -> (optimizer, batch size, noise)
    shared: list


def parse(argv):
    """Parse and check every flag before any work: (parser, args, plan); a mistake exits 2
    with one line."""
    parser = build_parser()
    preset = parser.parse_known_args(argv)[0].preset
    if preset:              # the preset's flags come first, so that explicit ones override them
        argv = [*PRESETS[preset][1].split(), "--out", f"{preset}.gif", *argv]
    args = parser.parse_args(argv)
    if args.list:
        return parser, args, None
    try:
        surface = surface_of(args.surface, args.bounds)
    except ValueError as error:
        parser.error(f"argument --surface: {error}")
    settings = {}           # a repeated label is one group
    batches = args.batch_size or [None]
    shared = [*([f"batch size {batches[0]}"] if len(batches) == 1 and batches[0] else []),
              *([f"noise {args.noise[0]:g}"] if len(args.noise) == 1 and args.noise[0] else [])]
    for (name, hyperparameters), lr, batch, noise in itertools.product(
            args.optimizer, args.lr, batches, args.noise):
        try:
            optimizer = OPTIMIZERS[name](**{"lr": lr, **hyperparameters})
        except ValueError as error:
            parser.error(f"argument --optimizer: {error}")
        if batch is not None and not batch <= surface.samples:
            parser.error(f"argument --batch-size: {surface.name} has no data set to batch; use "
                         "--surface linear_regression" if not surface.samples else
                         f"argument --batch-size: {batch} is more than the {surface.samples} "
                         "rows of the data set")
        words = [label(optimizer), *([f"batch {batch}"] if len(batches) > 1 else []),
                 *([f"noise {noise:g}"] if len(args.noise) > 1 else [])]
        settings[" ".join(words)] = (optimizer, batch, noise)
    if args.color == "basin" and len(settings) > 1:
        parser.error(f"argument --color: basin colours the balls of one group; these flags make "
                     f"{len(settings)} groups")
    if len(settings) > len(GROUP_COLOURS):
        parser.error(f"argument --optimizer: {len(settings)} groups (optimizers x learning rates "
                     f"x batch sizes x noises); at most {len(GROUP_COLOURS)} can be told apart")
    seconds, memory = estimate(args)
    if (seconds > MAX_SECONDS or memory > MAX_MEMORY) and not args.force:
        parser.error(f"this would take about {seconds / 60:.0f} min and {memory / 1e9:.1f} GB "
                     f"({args.balls} balls, {args.steps} steps, up to {args.frames} frames of "
                     "{}x{}); lower --balls, --steps, --frames or --size, or add --force"
                     .format(*args.size))
    return parser, args, Plan(surface, settings, shared)


def simulate_groups(args, plan):
    """Every group's run, from the same starts with the same noise and batches."""
    surface = plan.surface
    starts = starts_for(surface, args.balls, np.random.default_rng(args.seed), args.init,
                        args.start_region)
    record = frame_steps(args.steps, args.frames)
    runs = until_settled([simulate(surface, optimizer, starts, args.steps, record, noise=noise,
                                   seed=args.seed, tol=args.tol, batch_size=batch)
                          for optimizer, batch, noise in plan.settings.values()])
    colours = GROUP_COLOURS if len(runs) > 1 else [BALL_COLOR]
    plain = {**defaults("sgd"), "lr": None}
    groups = [Group(name, colour, run, batch and -(-surface.samples // batch),
                    PLAIN_RULE if {**optimizer.hyperparameters, "lr": None} == plain else "")
              for (name, (optimizer, batch, _)), colour, run
              in zip(plan.settings.items(), colours, runs, strict=False)]
    return by_basin(groups[0], surface) if args.color == "basin" else groups


def by_basin(group, surface, radius=BASIN_RADIUS):
    """The group split by the minimum each ball ends in: balls whose ends lie within `radius`
    (a share of the bounds' diagonal) of the lowest unclaimed end share a basin. Labels give
    the basin's lowest point and its share of the balls; diverged balls form a group of their
    own; the smallest basins are merged when there are more than the colours."""
    run = group.run
    ends, lost = run.positions[-1], run.diverged[-1]
    reach = radius * np.hypot(*np.diff(np.array(surface.bounds, dtype=float), axis=1).ravel())
    basin = np.full(len(ends), -1)
    for ball in np.argsort(np.where(lost, np.inf, run.losses[-1])):
        if basin[ball] < 0 and not lost[ball]:
            basin[(basin < 0) & ~lost & (np.linalg.norm(ends - ends[ball], axis=1) < reach)] = ball
    kept = sorted(set(basin[basin >= 0]), key=lambda b: -np.sum(basin == b))
    keep = len(GROUP_COLOURS) - 1 - bool(lost.any())
    named = kept[:keep] if len(kept) <= keep else kept[:keep - 1]
    parts = [(f"min {ends[b][0]:.2f}, {ends[b][1]:.2f}{' *' * bool(is_global(ends[b], surface))}",
              basin == b) for b in named]
    if len(named) < len(kept):
        parts.append(("other basins", (basin >= 0) & ~np.isin(basin, named)))
    if lost.any():
        parts.append(("diverged", lost))
    return [Group(f"{name}: {mask.mean():.0%}", colour,
                  Run(run.steps, *(values[:, mask] for values in run[1:])), group.epoch_length)
            for (name, mask), colour in zip(parts, GROUP_COLOURS, strict=False)]


def is_global(point, surface):
    """Whether `point` is within a hundredth of the bounds' span of a listed global minimum."""
    span = np.diff(np.array(surface.bounds, dtype=float), axis=1).ravel()
    return len(surface.minima) and (np.abs(surface.minima - point) < span / 100).all(axis=1).any()


def save_trajectories(groups, path):
    """Positions, losses and status of every ball at every recorded step, as .npz (arrays with a
    leading group axis) or .csv (one row per group, step and ball)."""
    with atomic_output(path) as tmp:
        if path.lower().endswith(".npz"):
            with open(tmp, "wb") as file:
                np.savez_compressed(file, labels=np.array([group.label for group in groups]),
                                    **{name: np.stack([getattr(group.run, name)
                                                       for group in groups])
                                       for name in Run._fields})
            return
        with open(tmp, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["group", "step", "ball", "x", "y", "loss", "status"])
            for group in groups:
                run = group.run
                status = np.where(run.diverged, "diverged",
                                  np.where(run.converged, "converged", "moving"))
                for row, step in enumerate(run.steps.tolist()):
                    writer.writerows([group.label, step, ball, x, y, loss, state] for
                                     ball, ((x, y), loss, state) in enumerate(zip(
                                         run.positions[row].tolist(), run.losses[row].tolist(),
                                         status[row].tolist(), strict=True)))


def animate(**options):
    """For notebooks: the figure and a matplotlib FuncAnimation of the run that the same flags
    would render, e.g. ``fig, anim = animate(surface="himmelblau", lr="0.01,0.02")``, then
    ``HTML(anim.to_jshtml())`` or ``anim.save("run.gif")``. Options are the long flags with
    underscores; lists are comma-separated strings, as on the command line."""
    from matplotlib.animation import FuncAnimation

    argv = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        argv += [flag] if value is True else [] if value is False else [flag, str(value)]
    _, args, plan = parse(argv)
    groups = simulate_groups(args, plan)
    scene = draw_scene(plan.surface, title(plan.surface, groups, plan.shared), args.size, groups,
                       layout=args.layout)
    for artist in scene.fig.findobj(lambda artist: artist.get_animated()):
        artist.set_animated(False)      # the animation redraws the whole figure every frame
    animation_ = FuncAnimation(scene.fig, lambda k: draw_frame(scene, groups, k),
                               frames=len(groups[0].run.steps), interval=1000 / args.fps)
    return scene.fig, animation_


def main(argv=None):
    parser, args, plan = parse(sys.argv[1:] if argv is None else list(argv))
    if args.list:
        print(list_registries())
        return 0
    try:
        groups = simulate_groups(args, plan)
        if args.save_trajectories:
            save_trajectories(groups, args.save_trajectories)
        render(groups, plan.surface, title(plan.surface, groups, plan.shared), args.out,
               size=args.size, fps=args.fps, orbit=args.orbit, theme=args.theme,
               layout=args.layout, progress=not args.quiet and sys.stderr.isatty())
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; {args.out} is unchanged", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"{parser.prog}: error: cannot write {error.filename or args.out}: "
              f"{error.strerror or error}", file=sys.stderr)
        return 1
    except Exception as error:
        if args.debug:
            raise
        print(f"{parser.prog}: internal error: {type(error).__name__}: {error}; please report "
              "it (--debug shows the traceback)", file=sys.stderr)
        return 1
    lost = sum(int(group.run.diverged[-1].sum()) for group in groups)
    balls = sum(group.run.positions.shape[1] for group in groups)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB): {len(groups)} "
          f"group{'s' * (len(groups) > 1)}, {balls} balls, {args.steps} steps, {lost} diverged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
