"""The panels a layout places: each draws its static part once and returns its per-frame update.

A panel is a function panel(fig, rect, stage, which) -> update: it adds its axes to the figure
at `rect` (figure fractions), draws there what does not move for the groups numbered `which`
in `stage`, and returns update(k), which moves its artists to recorded step k and returns
those to draw. A layout (layouts.LAYOUTS) says which panels, by their name in scene.PANELS,
go where. Here: the surface in 3D and the map; the learning curves are in curves.py. Moving
artists are 2D, in pixels: balls are projected once per frame with the axes' own projection
(see occlusion.projector), and drawn over the static figure restored from pixels.
"""
import math
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np
from matplotlib import rcParams
from matplotlib.colors import Colormap, LightSource
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox, IdentityTransform

from .basins import at_global_minimum, crowds
from .declutter import axis_texts, figure_texts, overlap
from .heroes import heroes_drawn
from .looks import style
from .occlusion import projector
from .simulation import Group
from .surface import Heights, Surface
from .textline import TextLine
from .ticks import scaled

FLAT = 1e-12               # heights that differ by less than this share of them are one height
TINY = 1e-280              # heights spanning less are one height: a colour scale over a smaller
                           # span overflows (numpy 1.26 warns)
TRAILED = 300               # trails behind at most this many balls (an even sample): more smear
TITLE_SIZE = 17             # text sizes in points, 100 dpi at 800x600 (see scene.scale): the
LINE_SIZE = 12              # title 24 px, a group's line 17 px, any other text 13 px
TEXT_SIZE = 9.5


class Stage(NamedTuple):
    """What every panel is given."""

    surface: Surface
    groups: list[Group]
    colors: list[str]       # one per group
    cmap: str | Colormap    # colormap of the surface
    scale: float            # ball size, see looks.crowding
    trail: int              # steps of trail behind each ball
    hidden: Callable        # 3D axes -> (function of drawn points (N, 3) -> hidden), per view
    heights: Heights        # how the surface is drawn, see Surface.heights


def height_range(z):
    """The heights the 3D box spans: those drawn, or for a flat surface (heights all the same,
    to a relative FLAT) a range of a tenth of its height around it (1 at height 0)."""
    low, high = float(z.min()), float(z.max())
    if high - low > max(FLAT * max(abs(low), abs(high)), TINY):
        return low, high
    middle = (low + high) / 2
    half = 0.05 * abs(middle) if abs(middle) > TINY else 0.5
    return middle - half, middle + half


def pixels(parent, **style):
    """A moving artist of `parent` (the figure, or axes that clip it), in display pixels."""
    return parent.add_artist(Line2D([], [], animated=True, transform=IdentityTransform(), **style))


def on_top(points, cell=1):
    """Which of the points (N, 2), whole pixels in drawing order, are the last drawn on their
    pixel (or square of `cell` pixels). Agg draws markers on whole pixels, so the ones before
    are covered: drawing them would only darken the antialiased rim of the one on top, and
    cost time. Points that are not finite are left out, as Agg leaves them out."""
    x, y = points.T // cell
    index = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(index) == 0:
        return index
    x, y = (x[index] - x[index].min()).astype(np.intp), (y[index] - y[index].min()).astype(np.intp)
    pixel = y * (x.max() + 1) + x
    order = np.arange(len(pixel), dtype=np.int32)
    last = np.full(pixel.max() + 1, -1, dtype=np.int32)
    np.maximum.at(last, pixel, order)
    return index[last[pixel] == order]


def show(artist, points, cell=1):
    """Put markers at `points` (N, 2) in drawing order, only the last one on each pixel (or
    square of `cell` pixels; None: all of them, already chosen)."""
    points = np.round(points)           # where Agg draws markers anyway
    artist.set_data(*(points if cell is None else points[on_top(points, cell)]).T)
    return artist


def drawn(surface, lift, run, steps, balls, off=None):
    """Where balls are drawn, (..., 3): those in the escape margin on the bounds' edge, so that
    nothing is drawn off the surface; or, with `off` = NaN, nowhere (a trail ends there)."""
    low, high = surface.box.T
    at, loss = run.positions[steps, balls], run.losses[steps, balls]
    x, y = (np.clip(at[..., i], low[i], high[i]) for i in (0, 1))
    outside = (x != at[..., 0]) | (y != at[..., 1])
    if outside.any():
        loss = np.where(outside, surface.f(np.stack([x, y], axis=-1)) if off is None else off,
                        loss)
    return np.stack([x, y, lift(loss)], axis=-1)


def lifted(surface, lift, xy):
    """Points (n, 2) on the drawn surface, (n, 3)."""
    return np.column_stack([xy, lift(surface.f(xy))])


def draw_surface(ax, stage, labelled="xyz"):
    """The surface, its floor contours and axes on a 3D axes, the `labelled` axes with their
    labels and tick labels (the others share those of a panel beside them)."""
    surface, cmap = stage.surface, stage.cmap
    view = surface.view
    _, mesh, z = stage.heights
    low, high = height_range(z)
    flat = {} if (low, high) == (z.min(), z.max()) else {"vmin": low, "vmax": high}
    ax.plot_surface(mesh[..., 0], mesh[..., 1], z, cmap=cmap, rcount=len(z), ccount=len(z),
                    **flat,
                    linewidth=0, antialiased=False, zorder=1, shade=True,
                    lightsource=LightSource(azdeg=300, altdeg=50))
    if view.floor:
        ax.contour(mesh[..., 0], mesh[..., 1], z, levels=12, zdir="z", offset=z.min(),
                   cmap=cmap, linewidths=0.8, zorder=0)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), zlim=(low, high), xlabel=view.labels[0],
           ylabel=view.labels[1], zlabel="loss")
    if view.scale == "log":      # decades of the loss above the lowest: 0, 1, 10, 100, ...
        floor = min(surface.f(mesh).min(), surface.f(surface.minima).min(initial=np.inf))
        top = math.ceil(np.log10(10 ** z.max() - 1))
        decades = np.arange(0, top + 1, math.ceil((top + 1) / 5))      # five at most
        ax.set_zticks([0, *np.log10(1 + 10.0 ** decades)],
                      ["0", *(f"{10 ** k:g}" if 0 <= k < 4 else f"$10^{{{k}}}$"
                              for k in decades)])
        ax.set_zlim(height_range(z))
        lowest = "" if abs(floor) < 1e-9 else f" {'+' if floor < 0 else '-'} {abs(floor):.3g}"
        ax.set_zlabel(f"loss{lowest} (log scale)")
    ax.view_init(elev=view.elevation, azim=view.azimuth)
    ax.tick_params(labelsize=TEXT_SIZE)
    scaled(ax)
    for name in "xyz":
        if name not in labelled:
            getattr(ax, f"set_{name}label")("")
            getattr(ax, f"{name}axis").set_major_formatter("")


def fit(fig, axes, room):
    """Move and shrink 2D `axes` (a panel's, together) so that they, their tick labels and
    axis labels fill `room` (left, bottom, width, height in figure fractions)."""
    renderer = fig.canvas.get_renderer()
    target = Bbox.from_bounds(*room).transformed(fig.transFigure)
    for _ in range(3):          # the ticks change with the axes' size
        places = Bbox.union([ax.get_position() for ax in axes]).transformed(fig.transFigure)
        drawn = Bbox.union([ax.get_tightbbox(renderer, bbox_extra_artists=ax.texts) for ax in axes])
        inner = Bbox([[target.x0 + places.x0 - drawn.x0, target.y0 + places.y0 - drawn.y0],
                      [target.x1 - drawn.x1 + places.x1, target.y1 - drawn.y1 + places.y1]])
        if np.abs(inner.get_points() - places.get_points()).max() < 1:
            return
        for ax in axes:         # each in the same place within them
            box = ax.get_position().transformed(fig.transFigure)
            corners = inner.p0 + (box.get_points() - places.p0) * inner.size / places.size
            ax.set_position(Bbox(corners).transformed(fig.transFigure.inverted()))


# --- the panels ----------------------------------------------------------------------------

def surface_panel(fig, rect, stage, which, labelled="xyz"):
    """The 3D surface with the balls rolling on it: trails, balls, converged balls ringed,
    hidden balls small and faint, diverged ones as crosses, the minimum's star over them. A
    panel of one group of several writes its line (see lesson_number) at its top left;
    `labelled`: see draw_surface."""
    surface = stage.surface
    named, said = [], []
    if len(which) < len(stage.groups):      # its name, and its number below, above the box
        line = 1.3 * LINE_SIZE / 72 * fig.dpi / fig.bbox.height
        named = [fig.add_artist(TextLine(rect[0] + 0.01, rect[1] + rect[3] - (row + 0.5) * line,
                                         stage.colors[which[0]], family="sans-serif",
                                         size=LINE_SIZE)) for row in (0, 1)]
        rect = (*rect[:3], max(rect[3] - 2 * line, 0.05))
        group = stage.groups[which[0]]
        said = [group.label], ["   ".join(filter(None, [rate_now(group, step), number]))
                               for step, number in zip(group.run.steps,
                                                       lesson_numbers(surface, group.run),
                                                       strict=True)]
        for text, texts in zip(named, said, strict=True):
            text.reserve(texts)
    ax = fig.add_axes(rect, projection="3d", computed_zorder=False)
    draw_surface(ax, stage, labelled)
    lift = stage.heights.lift
    artists = [{name: pixels(fig, gid=f"{name} {i}", **faint(stage.groups[i], style(
                    name, stage.colors[i], stage.scale)))
                for name in ("trail", "hidden", "ball", "converged", "diverged")}
               for i in which]
    heroes = heroes_drawn(fig, stage, which, lift, pixels, lifted)
    minima = lifted(surface, lift, surface.minima)
    stars = {name: pixels(fig, gid=name, **style(name, None))
             for name in ("minimum", "hidden minimum")}
    tally = tallies(fig, stage, which, lift)
    last = len(stage.groups[which[0]].run.steps) - 1
    box = np.array([*np.ptp(np.array(surface.bounds, dtype=float), axis=1),
                    np.ptp(ax.get_zlim())])
    ball = style("ball", None, stage.scale)["ms"] * fig.dpi / 72     # pixels across
    seen = {}

    def update(k):
        if seen.get("view") != (ax.elev, ax.azim):     # first frame, or the camera turned
            seen.update(view=(ax.elev, ax.azim), project=projector(ax), hidden=stage.hidden(ax))
            behind, screen = seen["hidden"](minima), seen["project"](minima)[0]
            for name, which_stars in (("minimum", ~behind), ("hidden minimum", behind)):
                stars[name].set_data(*screen[which_stars].T)
        out = list(stars.values()) if len(minima) else []
        balls = []
        for i, group in zip(which, artists, strict=True):
            run = stage.groups[i].run
            xyz = drawn(surface, lift, run, k, slice(None))
            screen, depth = seen["project"](xyz)
            diverged = run.diverged[k]
            behind = np.zeros_like(diverged)
            behind[~diverged] = seen["hidden"](xyz[~diverged])
            trail = trails(run, k, stage.trail, behind,
                           partial(drawn, surface, lift, run, off=np.nan), box, seen["project"])
            if trail is not None:
                group["trail"].set_data(*trail)
                out.append(group["trail"])
            order = np.argsort(-depth, kind="stable")           # farthest first, as mplot3d
            out.append(show(group["hidden"], screen[order[behind[order]]], cell=3))
            out.append(show(group["diverged"], screen[order[diverged[order]]]))
            balls.append((order[~(behind | diverged)[order]], screen, depth))
        kept = mixed(balls, cell=1 if len(which) == 1 else max(1, round(ball / 3)))
        for kept_balls, (_, screen, _), i, group in zip(kept, balls, which, artists,
                                                        strict=True):
            settled = stage.groups[i].run.converged[k][kept_balls]
            out += [show(group["ball"], screen[kept_balls[~settled]], cell=None),
                    show(group["converged"], screen[kept_balls[settled]], cell=None)]
        out += heroes(k, seen["project"])
        for text, texts in zip(named, said, strict=True):
            text.set_text(texts[min(k, len(texts) - 1)])
        return out + named + (tally(seen["project"]) if k == last else [])
    return update


def lesson_numbers(surface, run):
    """The one number of a group's lesson at every recorded step (see lesson_number)."""
    return [lesson_number(surface, run, k) for k in range(len(run.steps))]


def rate_now(group, step):
    """'lr 0.0123': the learning rate that took a scheduled group to `step` (at the start,
    its first), or '' for a constant rate, which the label gives."""
    if group.rates is None:
        return ""
    return f"lr {group.rates[max(step - 1, 0)]:.3g}"


def lesson_number(surface, run, k):
    """The one number of a group's lesson at recorded step k, in a form that its run's end
    decides, so that the form holds as the frames go: on a surface unbounded below, how many
    escaped downhill ("escaped 34/40"); else how many diverged, if by the end as many diverge
    as reach a global minimum (none can on a surface without a known one): "diverged 60/60";
    else the share at a global minimum, or the mean loss without a known minimum, followed by
    the diverged count if any diverge by the end ("40% reach ★ · 2 diverged")."""
    diverged, balls = run.diverged[k], run.diverged.shape[1]
    lost, lost_at_end = int(diverged.sum()), int(run.diverged[-1].sum())
    if surface.unbounded:
        return f"escaped {int(run.escaped[k].sum())}/{balls}"
    if lost_at_end and lost_at_end >= reaching(surface, run, -1).sum():
        return f"diverged {lost}/{balls}"
    number = (f"{reaching(surface, run, k).mean():.0%} reach ★" if len(surface.minima) else
              f"mean loss {np.mean(run.losses[k][~diverged]):.3g}")
    return f"{number} · {lost} diverged" if lost_at_end else number


def reaching(surface, run, k):
    """Which balls are at a global minimum at recorded step k (and did not diverge)."""
    return at_global_minimum(run.positions[k], surface) & ~run.diverged[k]


TRAIL_REACH = 0.15          # a trail's segment reaches at most this share of the box back


def trails(run, k, length, behind, where, box, project):
    """The trails behind an even sample of at most TRAILED balls at recorded step k, as one
    NaN-broken line in pixels (x, y), or None: a segment per step of the last `length`, each
    cut to TRAIL_REACH of the box behind the ball, so that long jumps do not paint the
    surface; none behind a hidden ball, or one that left before this step (its trail ends
    where it left the box). `where`(steps, balls) gives drawn points, NaN off the box."""
    first = max(0, k - length)
    if k == first:
        return None
    sample = np.arange(0, len(behind), -(-len(behind) // TRAILED))
    gone = behind | run.diverged[k - 1] | run.escaped[k - 1]
    sample = sample[~gone[sample]]
    if len(sample) == 0:
        return None
    path = where(slice(first, k + 1), sample)                # (steps, balls, 3)
    start, end = path[:-1], path[1:]
    with np.errstate(all="ignore"):
        reach = np.linalg.norm((start - end) / box, axis=-1, keepdims=True)
        start = end + (start - end) * np.minimum(1, TRAIL_REACH / reach)
    segments = np.stack([start, end, np.full_like(end, np.nan)], axis=2)   # (steps, balls, 3, 3)
    return project(segments.transpose(1, 0, 2, 3).reshape(-1, 3))[0].T


def mixed(groups, cell):
    """The balls of several groups that are drawn, where balls of different groups meet on
    one cell of `cell` pixels: one of them, taking turns by ball number, so that groups from
    the same starts show as a mix of their colors instead of the last group over the others.
    `groups` are (balls in drawing order, screen (N, 2), depth (N,)); returns each group's
    balls that are drawn, in drawing order."""
    count = len(groups)
    index = np.concatenate([balls for balls, *_ in groups])
    owner = np.repeat(np.arange(count), [len(balls) for balls, *_ in groups])
    points = np.concatenate([screen[balls] for balls, screen, _ in groups])
    depth = np.concatenate([depth[balls] for balls, _, depth in groups])
    # drawn last (kept) on a cell: the group whose turn it is, then the nearest
    order = np.lexsort((-depth, (index + owner) % count))
    kept = np.zeros(len(index), dtype=bool)
    kept[order[on_top(np.round(points[order]), cell)]] = True
    return [balls[kept[owner == slot]] for slot, (balls, *_) in enumerate(groups)]


def faint(group, style):
    """A crowd's style, faint under the group's heroes."""
    return {**style, "alpha": 0.3 * style.get("alpha", 1)} if group.heroes is not None else style


def tallies(fig, stage, which, lift):
    """Labels of how many balls of each group end in each crowd (see basins.crowds), as a
    share of the group (of all the balls, for a basin's group), beside the crowd. Returns
    (project, within=None) -> the labels placed for the last frame, a label left out where it
    would cover another, or leave the figure (or the box `within`, in pixels)."""
    labels = []
    for slot, i in enumerate(which):
        run = stage.groups[i].run
        where, counts = crowds(run, stage.surface)
        xyz = lifted(stage.surface, lift, where)
        for point, count in zip(xyz, counts, strict=True):
            label = fig.add_artist(TextLine(0, 0, stage.colors[i], size=TEXT_SIZE,
                                            halo=rcParams["figure.facecolor"]))
            label.set_gid(f"tally {i}")
            label.set_text(f"{count / (stage.groups[i].whole or run.positions.shape[1]):.0%}")
            labels.append((point, 0 if stage.groups[i].whole else slot, label))  # basins apart

    def place(project, within=None):
        renderer = fig.canvas.get_renderer()
        placed = []
        boxes = [box for ax in fig.axes for box in axis_texts(ax, renderer)]
        boxes += figure_texts(fig, renderer)
        for point, slot, label in labels:
            (x, y), width, height = project(point)[0], *label.size(fig.dpi)
            x, y = x + 0.6 * height, y + (0.6 + slot) * height     # up and right of the crowd
            box = Bbox([[x, y - height / 2], [x + width, y + height / 2]])
            if ((within.contains(box.x0, box.y0) and within.contains(box.x1, box.y1))
                    if within else fig.bbox.contains(box.x1, box.y1)) and not any(
                        overlap(box, b) for b in boxes):
                label.xy = fig.transFigure.inverted().transform((x, y))
                placed.append(label)
                boxes.append(box)
        return placed
    return place


def turned_like(view):
    """How the map is turned as the 3D camera sees the surface, to the nearest quarter turn:
    the coordinate drawn across (0: x, 1: y) and whether the across and up axes run backwards."""
    azimuth = np.radians(view.azimuth)
    right = (-np.sin(azimuth), np.cos(azimuth))     # the screen's right and up, on the plane
    up = (-np.cos(azimuth), -np.sin(azimuth))
    across = int(abs(right[1]) > abs(right[0]))
    return across, bool(right[across] < 0), bool(up[1 - across] < 0)


def map_panel(fig, rect, stage, which, room=False):
    """The surface seen from above, turned as the 3D camera sees it: filled contours of its
    drawn heights, its minima, and the balls still on it, several groups' mixed where they
    meet (see mixed), their crowds labelled at the end (see tallies); with `room`, its labels
    in `rect` too."""
    surface, ax = stage.surface, fig.add_axes(rect)
    across, backwards, downwards = turned_like(surface.view)
    order = [across, 1 - across]
    (xmin, xmax), (ymin, ymax) = np.asarray(surface.bounds)[order]
    _, mesh, z = stage.heights
    mesh = mesh[..., order]
    ax.contourf(mesh[..., 0], mesh[..., 1], z, levels=20, cmap=stage.cmap)
    ax.contour(mesh[..., 0], mesh[..., 1], z, levels=20, colors="black",
               linewidths=0.3, alpha=0.4)
    if len(surface.minima):
        ax.plot(*surface.minima[:, order].T, **style("map minimum", None))
    ax.set(xlim=(xmax, xmin) if backwards else (xmin, xmax),
           ylim=(ymax, ymin) if downwards else (ymin, ymax),
           xlabel=surface.view.labels[order[0]], ylabel=surface.view.labels[order[1]],
           aspect="equal" if 0.25 < (ymax - ymin) / (xmax - xmin) < 4 else "auto")
    ax.tick_params(labelsize=TEXT_SIZE)
    scaled(ax)
    if room:
        fit(fig, [ax], rect)
    balls = [pixels(ax, gid=f"map ball {i}", **style("map ball", stage.colors[i], stage.scale))
             for i in which]
    low, high = surface.box.T

    ball = style("map ball", None, stage.scale)["ms"] * fig.dpi / 72     # pixels across
    cell = 1 if len(which) == 1 else max(1, round(ball / 3))
    tally, last = tallies(fig, stage, which, stage.heights.lift), len(stage.groups[0].run.steps) - 1

    def project(point):         # as occlusion.projector, for the tallies
        return (ax.transData.transform(np.asarray(point)[:2][order]),)

    def update(k):
        drawn = []
        for i in which:
            run = stage.groups[i].run
            kept = np.flatnonzero(~run.diverged[k])
            screen = np.full((len(run.diverged[k]), 2), np.nan)
            screen[kept] = ax.transData.transform(np.clip(run.positions[k][kept], low,
                                                          high)[:, order])
            drawn.append((kept, screen, np.zeros(len(screen))))
        for artist, kept, (_, screen, _) in zip(balls, mixed(drawn, cell), drawn, strict=True):
            show(artist, screen[kept], cell=None)       # groups from the same starts mix
        return balls + (tally(project, ax.bbox) if k == last else [])
    return update
