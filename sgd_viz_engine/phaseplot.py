"""The phase map drawn: the .png of the map, or a .gif whose marker walks through it while a
panel beside it shows the balls run at the marker's point (see phases.py for the numbers).

Text is sized for 800x600 and scales with the picture as the animation's does (scene.scale);
nothing is smaller than 12 px there. Artists carry gids for the tests: "phase map",
"boundary", "title", "legend", and in the walk "marker", "paths" and "outcome" (of the balls
shown, which are the first of every cell's starts).
"""
import numpy as np
from matplotlib import patheffects, rc_context, rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .gifwriter import GifWriter, make_palette
from .looks import LOOKS, PHASE_COLORS, THEMES
from .output import FIRST, atomic_output
from .phases import OUTCOMES, WALKED, phase_map, summary, walked
from .scene import canvas_image, scale
from .surface import mesh_over

WALK_SECONDS = 6            # the marker's walk, at --fps
LINE = dict(color="black", lw=2.5, ls=(0, (4, 2)),     # the theory's line, with a halo that
            path_effects=[patheffects.withStroke(linewidth=5, foreground="white")])
                                                        # shows it on the dark theme too


def title(found):
    """The lesson in a few words."""
    across, up = found.axes
    if {across.name, up.name} == {"lr", "momentum"}:
        return "Momentum allows larger steps, but they ripple"
    return f"Where {across.words()} and {up.words()} converge, ripple or diverge"


def canvas(plan, found, lines):
    """A figure of plan.size with the title and the run's words under it (`lines` of the
    subtitle)."""
    width, height = plan.size
    dpi = 100 * scale(plan.size)
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.text(0.03, 0.95, title(found), fontsize=19, fontweight="bold", va="center",
             gid="title")
    fig.text(0.03, 0.895, lines, fontsize=11, va="center", alpha=0.8)
    return fig


def subtitle(plan, found):
    optimizer = plan.groups[0].dynamics.optimizer.name
    return (f"{optimizer} on {plan.surface.name}, {plan.surface.formula}: {plan.balls} balls "
            f"a cell, {plan.steps} steps" + (f"; L = {found.curvature:.3g}"
                                             if found.boundary is not None else ""))


def draw_map(axes, found):
    """The cells in their outcome's colour, the theory's line and the axes in words, into
    `axes`; the legend's handles."""
    across, up = found.axes
    colours = np.array([to_rgb(PHASE_COLORS[words]) for words in OUTCOMES])
    axes.imshow(colours[found.outcome], origin="lower", aspect="auto", interpolation="nearest",
                extent=(across.low, across.high, up.low, up.high), gid="phase map")
    handles = [Patch(color=PHASE_COLORS[words], label=words) for words in OUTCOMES]
    if found.boundary is not None:
        axes.plot(*found.boundary.T, **LINE, gid="boundary")
        handles.append(Line2D([], [], **LINE, label="theory's limit:\nlr = 2(1+β)/L"))
    axes.set_xlim(across.low, across.high)
    axes.set_ylim(up.low, up.high)
    axes.set_xlabel(across.words(), fontsize=14)
    axes.set_ylabel(up.words(), fontsize=14)
    axes.tick_params(labelsize=11)
    return handles


def figure(found, plan):
    """The picture of the map: the map, a legend in big words beside it, the lesson above."""
    with rc_context(THEMES[plan.theme]):
        fig = canvas(plan, found, subtitle(plan, found))
        handles = draw_map(fig.add_axes((0.1, 0.13, 0.56, 0.7)), found)
        fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.68, 0.48),
                   fontsize=13, frameon=False, handlelength=1.6, handleheight=1.2,
                   labelspacing=0.9).set_gid("legend")
    return fig


def view_of(plan):
    """What the balls' panel shows: the start region twice as wide, within the bounds."""
    region = np.array(plan.start_region or plan.surface.bounds, dtype=float)
    centre, half = region.mean(axis=1), np.ptp(region, axis=1)
    bounds = np.array(plan.surface.bounds, dtype=float)
    return tuple(zip(np.maximum(centre - half, bounds[:, 0]),
                     np.minimum(centre + half, bounds[:, 1]), strict=True))


def walk_figure(found, plan, frames):
    """The walk's figure, drawn once but for what moves, and its update(k), which draws over it
    the marker at the k-th point of the walk and the paths of the balls run there."""
    points, outcome, paths = walked(plan, found, frames)
    across, up = found.axes
    fig = canvas(plan, found, subtitle(plan, found))
    ax = fig.add_axes((0.09, 0.22, 0.38, 0.56))
    handles = draw_map(ax, found)
    ax.plot(*points.T, color="black", lw=1, ls=":", alpha=0.6)
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=3,
               fontsize=12, frameon=False, handlelength=1.4, columnspacing=1.2
               ).set_gid("legend")
    balls = fig.add_axes((0.56, 0.22, 0.4, 0.56))
    view = view_of(plan)
    mesh = mesh_over(view, 120)
    with np.errstate(all="ignore"):
        heights = plan.surface.f(mesh)
    balls.contour(mesh[..., 0], mesh[..., 1], heights, levels=12, colors="#b0b0b0",
                  linewidths=0.8)
    for x, y in plan.surface.minima:
        balls.plot([x], [y], **LOOKS["map minimum"].style)
    balls.set(xlim=view[0], ylim=view[1], xticks=[], yticks=[])
    balls.set_xlabel(f"{WALKED} balls' paths, {plan.steps} steps", fontsize=12)
    moving = [*ax.plot([], [], ls="", marker="o", ms=15, mfc="white", mec="black", mew=2.5,
                       gid="marker"),
              *(balls.plot([], [], color=rcParams["text.color"], lw=1.4, gid="paths")[0]
                for _ in range(paths.shape[2])),
              *balls.plot([], [], ls="", marker="o", ms=10, mec=rcParams["text.color"],
                          mew=1.2),
              fig.text(0.76, 0.85, "", fontsize=15, fontweight="bold", ha="center",
                       va="center", gid="outcome"),
              fig.text(0.76, 0.81, "", fontsize=12, ha="center", va="center")]
    marker, *lines, ends, words, where = moving
    for artist in moving:
        artist.set_animated(True)
    fig.canvas.draw()
    background = fig.canvas.copy_from_bbox(fig.bbox)

    def update(k):
        marker.set_data(points[k, :1], points[k, 1:])
        for line, path in zip(lines, np.moveaxis(paths[:, k], 1, 0), strict=True):
            line.set_data(path[:, 0], path[:, 1])
        ends.set_data(paths[-1, k, :, 0], paths[-1, k, :, 1])
        most = OUTCOMES[np.bincount(outcome[k], minlength=len(OUTCOMES)).argmax()]
        ends.set_markerfacecolor(PHASE_COLORS[most])
        words.set_text(most)
        where.set_text(f"at {across.words()} {points[k, 0]:.2g}, {up.words()} "
                       f"{points[k, 1]:.2f}")
        fig.canvas.restore_region(background)
        for artist in moving:
            fig.draw_artist(artist)
    return fig, update


def write_walk(found, plan, path):
    """The walk as a GIF at plan.fps, its first frame held as the animation's are."""
    frames = WALK_SECONDS * plan.fps
    fig, update = walk_figure(found, plan, frames)
    samples = []
    for k in (0, frames // 2, frames - 1):
        update(k)
        samples.append(np.array(fig.canvas.buffer_rgba()))
    writer = GifWriter(plan.fps, make_palette(samples, [*PHASE_COLORS.values(), "black",
                                                        "white"]), plan.hold, FIRST)
    writer.setup(fig, path, fig.dpi)
    try:
        for k in range(frames):
            update(k)
            writer.grab_frame()
    except BaseException:
        writer.abort()
        raise
    writer.finish()


def write(plan):
    """Compute the map of `plan`, draw it into plan.out (a .png, or the walk's .gif), replaced
    only when complete, and return the result line's words (see phases.summary)."""
    found = phase_map(plan)
    with rc_context(THEMES[plan.theme]), atomic_output(plan.out) as path:
        if plan.out.lower().endswith(".gif"):
            write_walk(found, plan, path)
        else:
            fig = figure(found, plan)
            fig.canvas.draw()
            canvas_image(fig).save(path, "PNG")
    return summary(found)
