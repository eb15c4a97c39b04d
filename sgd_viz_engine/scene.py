"""The figure: panels placed by the layout, titles, legend and status lines; drawn once as a
static background, then frame by frame only what moves."""
import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from .basins import at_global_minimum
from .layouts import LAYOUTS
from .looks import GROUPS_CMAP, SURFACE_CMAP, crowding, group_colors, legend_style
from .occlusion import on_mesh, visibility
from .panels import PANELS, Stage, axis_texts, drawn_ticks, overlap
from .textline import TextLine

PLAIN_RULE = r"$x \leftarrow x - \mathrm{lr}\,\nabla f(x)$"   # shown for plain gradient descent


class Scene(NamedTuple):
    """The figure with its static parts drawn, and what draws the rest frame by frame."""

    fig: Figure
    background: Any         # pixels of the static figure (the canvas's copy_from_bbox),
                            # restored before every frame
    updates: list[Callable[[int], list]]    # k -> the moving artists of step k, set and ready
    axes: list[Axes]        # the 3D axes, which turn together


def hidden_by_view(surface, drawn):
    """3D axes -> the function telling which drawn points its camera cannot see (see
    occlusion.visibility), for the heights `drawn` (see Surface.heights), computed once per
    camera position and shared by the panels."""
    last = {}
    # A loss over a data set costs a pass over its rows per point: the rays look up the drawn
    # mesh instead, which is what the camera sees.
    height = on_mesh(surface.bounds, drawn.z) if surface.samples else (
        lambda p: drawn.lift(surface.f(p)))

    def hidden(ax):
        view = ax.elev, ax.azim, ax.get_zlim()
        if view not in last:
            last.clear()
            last[view] = visibility(height, surface.bounds, view[2], ax.get_proj())
        return last[view]
    return hidden


def legend(fig, surface, groups, colors):
    """The legend of what each mark means: in a column at the top right for one group, in a row
    there for several, whose colors their status lines show by name."""
    settling = any(group.run.converged.any() for group in groups)
    marks = [*(["ball"] if len(groups) == 1 else []), "hidden",
             *(["converged"] if settling else []), "diverged",
             *(["minimum"] if len(surface.minima) else [])]
    if any(group.heroes is not None for group in groups):
        marks += ["hero", "step", *(["momentum"] if any(group.optimizer.momentum
                                                      for group in groups) else [])]
    color = colors[0] if len(groups) == 1 else "0.5"
    fig.legend(handles=[Line2D([], [], **legend_style(mark, color)) for mark in marks],
               loc="upper right", bbox_to_anchor=(0.99, 0.99 if len(groups) == 1 else 1.0),
               ncols=1 if len(groups) == 1 else len(marks), frameon=False, fontsize="small",
               columnspacing=1.0, handletextpad=0.3)


def rate_now(group, step):
    """'lr 0.0123  ': the learning rate that took a scheduled group to `step` (at the start,
    its first), or '' for a constant rate, which the label gives."""
    if group.rates is None:
        return ""
    return f"lr {group.rates[max(step - 1, 0)]:<8.3g}  "


def status(fig, surface, groups, colors):
    """The clock line and a status line per group (mean loss, converged and diverged counts,
    the share at a global minimum); returns their per-frame update."""
    clock = fig.add_artist(TextLine(0.02, 0.925))
    lines = [fig.add_artist(TextLine(0.02, 0.885 - 0.04 * index,
                                     color if len(groups) > 1 else None))
             for index, color in enumerate(colors)]
    width = max(len(group.label) for group in groups)
    word = "iteration" if any(group.epoch_length for group in groups) else "step"
    last = groups[0].run.steps[-1]

    def update(k):
        for group, line in zip(groups, lines, strict=True):
            run, diverged = group.run, group.run.diverged[k]
            mean = (f"{np.mean(run.losses[k][~diverged]):<9.4g}" if not diverged.all()
                    else "-        ")
            counts = f"converged {run.converged[k].sum()}  " if run.converged.any() else ""
            name = f"{group.label:<{width}}  " if len(groups) > 1 else ""
            epoch = (f"epoch {-(-run.steps[k] // group.epoch_length):<3} "
                     if group.epoch_length else "")
            found = (f"  global min {at_global_minimum(run.positions[k], surface).mean():.0%}"
                     if len(surface.minima) else "")
            gone = "  ".join([*([f"escaped {run.escaped[k].sum()}/{len(diverged)}"]
                                if surface.unbounded else []),
                              *([f"diverged {diverged.sum()}/{len(diverged)}"]
                                if diverged.any() or not surface.unbounded else [])])
            line.set_text(f"{name}{epoch}{rate_now(group, run.steps[k])}mean loss {mean}  "
                          f"{counts}{gone}{found}")
        clock.set_text(f"{word} {groups[0].run.steps[k]:>{len(str(last))}}/{last}")
        return [*lines, clock]
    return update


def draw_scene(surface, title, size, groups, layout, trail):
    """Draw the static figure (panels, title, formula, legend) once; return it with the
    updates that draw each frame's moving artists over it."""
    width, height = size
    dpi = 100 * scale(size)
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    top = 0.87 - 0.04 * len(groups)                         # room for a status line per group
    bottom = 0.03 + 0.03 * formula(fig, surface)            # and for the formula below
    colors = group_colors(len(groups), rcParams["figure.facecolor"])
    cmap = SURFACE_CMAP if len(groups) == 1 else LinearSegmentedColormap.from_list(
        "groups", list(GROUPS_CMAP))       # matplotlib 3.8.0 reads a pair as (color, alpha)
    drawn = surface.heights()
    stage = Stage(surface, groups, colors, cmap,
                  crowding(sum(group.run.positions.shape[1] for group in groups)), trail,
                  hidden_by_view(surface, drawn), drawn)
    updates = [PANELS[panel](fig, rect, stage, list(which))
               for panel, rect, which in LAYOUTS[layout][1](len(groups), top, bottom)]
    fig.text(0.02, 0.965, title, fontsize="large", va="center")
    if len(groups) == 1 and groups[0].optimizer and groups[0].optimizer.plain:
        fig.text(0.98, 0.02, PLAIN_RULE, fontsize="large", ha="right")
    legend(fig, surface, groups, colors)
    updates.append(status(fig, surface, groups, colors))
    declutter(fig)
    return Scene(fig, fig.canvas.copy_from_bbox(fig.bbox), updates,
                 [ax for ax in fig.axes if ax.name == "3d"])


def scale(size):
    """How much larger than at 800x600 the text and the balls are drawn: in proportion to the
    picture above that size, so that a slide looks like the picture made larger; less than in
    proportion below it, so that text still reads in a small picture."""
    ratio = min(size[0] / 800, size[1] / 600)
    return ratio if ratio > 1 else ratio ** 0.5


def formula(fig, surface):
    """Write the surface's formula at the bottom left, wrapped to the room beside the update
    rule; returns its number of lines (0 for a surface without a formula of its own)."""
    if surface.formula == surface.name:
        return 0
    text = fig.text(0.02, 0.02, f"f(x, y) = {surface.formula}", fontsize="small", alpha=0.75,
                    va="bottom", linespacing=1.1)
    room = 0.72 * fig.bbox.width    # the rest is the update rule's
    words = text.get_text().split(" ")
    lines = [words[0]]
    for word in words[1:]:
        text.set_text(f"{lines[-1]} {word}")
        if text.get_window_extent(fig.canvas.get_renderer()).width > room:
            lines.append(word)
        else:
            lines[-1] = text.get_text()
    text.set_text("\n".join(lines))
    return len(lines)


def declutter(fig):
    """Draw the figure, then mend what collides, until nothing does: where an axis's tick labels
    overlap, keep every other tick; where two axes' tick labels meet at a corner, drop the
    first axis's; where an axis label overlaps tick labels, move it out; where a 3D panel's
    text leaves the figure or meets text outside the panel, draw its box smaller."""
    renderer, zoom = fig.canvas.get_renderer(), {}
    drawings = [artist for ax in fig.axes for artist in [*ax.collections, *ax.images]
                if artist.get_visible()]
    for artist in drawings:     # text does not move with them, and they take long to draw
        artist.set_visible(False)
    for _ in range(8):
        fig.canvas.draw()
        changed = False
        outside = [text.get_window_extent(renderer) for text in fig.texts if text.get_text()]
        outside += [legend.get_window_extent(renderer) for legend in fig.legends]
        texts = {ax: axis_texts(ax, renderer) for ax in fig.axes}
        for ax in fig.axes:
            axes = [ax.xaxis, ax.yaxis, *([ax.zaxis] if ax.name == "3d" else [])]
            ticks = {axis: drawn_ticks(axis, renderer) for axis in axes}
            for axis, labelled in ticks.items():
                if len(labelled) > 1 and any(overlap(a, b) for (_, a), (_, b) in
                                             zip(labelled, labelled[1:], strict=False)):
                    keep(axis, labelled[::2])
                    changed = True
            for one, other in itertools.combinations(axes, 2):
                met = [(tick, box) for tick, box in ticks[one]
                       if any(overlap(box, other_box) for _, other_box in ticks[other])]
                if met:
                    keep(one, [tick for tick in ticks[one] if tick not in met])
                    changed = True
            boxes = [box for labelled in ticks.values() for _, box in labelled]
            for axis in axes:
                label = axis.label.get_window_extent(renderer)
                if axis.label.get_text() and axis.labelpad < 16 and any(
                        overlap(label, box) for box in boxes):
                    axis.labelpad += 4
                    changed = True
            others = outside + [box for other in fig.axes if other is not ax
                                for box in texts[other]]
            if ax.name == "3d" and zoom.get(ax, 1) > 0.6 and any(not inside(box, fig.bbox) or any(
                    overlap(box, other) for other in others) for box in texts[ax]):
                zoom[ax] = 0.93 * zoom.get(ax, 1)
                ax.set_box_aspect(None, zoom=zoom[ax])
                changed = True
        if not changed:
            break
    for artist in drawings:
        artist.set_visible(True)
    fig.canvas.draw()


def keep(axis, ticks):
    """Keep only these ticks, (tick, its label's box) pairs, of an axis, labelled as drawn."""
    axis.set_ticks([tick.get_loc() for tick, _ in ticks],
                   [tick.label1.get_text() for tick, _ in ticks])


def inside(box, bounds):
    """Whether a box is inside the bounds, give or take a pixel."""
    return (box.x0 >= bounds.x0 - 1 and box.y0 >= bounds.y0 - 1 and box.x1 <= bounds.x1 + 1
            and box.y1 <= bounds.y1 + 1)


def draw_frame(scene, k):
    """Show recorded step k: restore the static background, then draw the moving artists over
    it, in the order of their zorder; the frame's pixels are then in the figure's canvas."""
    scene.fig.canvas.restore_region(scene.background)
    artists = [artist for update in scene.updates for artist in update(k)]
    for artist in sorted(artists, key=lambda artist: artist.get_zorder()):
        scene.fig.draw_artist(artist)


def turn(scene, azimuth):
    """The scene seen from another azimuth: its static part drawn again."""
    for ax in scene.axes:
        ax.view_init(elev=ax.elev, azim=azimuth)
    scene.fig.canvas.draw()
    return scene._replace(background=scene.fig.canvas.copy_from_bbox(scene.fig.bbox))


def canvas_image(fig):
    """The figure's canvas as it stands, as an RGB image."""
    width, height = fig.canvas.get_width_height()
    return Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba()).convert("RGB")


def title(surface, groups, shared=()):
    """The title line: the surface, the group when there is only one, settings all share."""
    return "    ".join([surface.name, *([groups[0].label] if len(groups) == 1 else []), *shared])
