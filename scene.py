"""The figure: panels placed by the layout, titles, legend and status lines; drawn once as a
static background, then frame by frame only what moves."""
from typing import NamedTuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from looks import GROUPS_CMAP, SURFACE_CMAP, crowding, group_colours, legend_style
from occlusion import visibility
from panels import LAYOUTS, Shown, heights
from simulation import at_global_minimum, is_plain
from textline import TextLine

PLAIN_RULE = r"$x \leftarrow x - \mathrm{lr}\,\nabla f(x)$"   # shown for plain gradient descent


class Scene(NamedTuple):
    """The figure with its static parts drawn, and what draws the rest frame by frame."""

    fig: object
    background: object      # pixels of the static figure, restored before every frame
    updates: list           # k -> the moving artists of step k, set and ready to draw
    axes: list              # the 3D axes, which turn together


def hidden_by_view(surface, lift):
    """3D axes -> the function telling which drawn points its camera cannot see (see
    occlusion.visibility), for heights drawn by `lift`, computed once per camera position and
    shared by the panels."""
    last = {}

    def hidden(ax):
        view = ax.elev, ax.azim, ax.get_zlim()
        if view not in last:
            last.clear()
            last[view] = visibility(lambda p: lift(surface.f(p)), surface.bounds, view[2],
                                    ax.get_proj())
        return last[view]
    return hidden


def legend(fig, surface, groups, colours):
    """The legend: each group's colour when there are several, then what each mark means."""
    colour = colours[0] if len(groups) == 1 else "0.5"
    settling = any(group.run.converged.any() for group in groups)
    marks = [*(["ball"] if len(groups) == 1 else []), "hidden",
             *(["converged"] if settling else []), "diverged",
             *(["minimum"] if len(surface.minima) else [])]
    handles = [*(Line2D([], [], **{**legend_style("ball", colour), "label": group.label})
                 for group, colour in zip(groups, colours, strict=True) if len(groups) > 1),
               *(Line2D([], [], **legend_style(mark, colour)) for mark in marks)]
    fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.99, 0.99), frameon=False,
               fontsize="small")


def status(fig, surface, groups, colours):
    """The clock line and a status line per group (mean loss, converged and diverged counts,
    the share at a global minimum); returns their per-frame update."""
    clock = fig.add_artist(TextLine(0.02, 0.925))
    lines = [fig.add_artist(TextLine(0.02, 0.885 - 0.04 * index,
                                     colour if len(groups) > 1 else None))
             for index, colour in enumerate(colours)]
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
            line.set_text(f"{name}{epoch}mean loss {mean}  {counts}"
                          f"diverged {diverged.sum()}/{len(diverged)}{found}")
        clock.set_text(f"{word} {groups[0].run.steps[k]:>{len(str(last))}}/{last}")
        return [*lines, clock]
    return update


def draw_scene(surface, title, size, groups, layout="3d", trail=8):
    """Draw the static figure (panels, title, formula, legend) once; return it with the
    updates that draw each frame's moving artists over it."""
    width, height = size
    dpi = 100 * min(width / 800, height / 600) ** 0.5      # text scales with the picture
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    top = 0.87 - 0.04 * len(groups)                         # room for a status line per group
    bottom = 0.06                                           # and for the formula below
    colours = group_colours(len(groups))
    cmap = SURFACE_CMAP if len(groups) == 1 else LinearSegmentedColormap.from_list(
        "groups", GROUPS_CMAP)
    drawn = heights(surface)
    shown = Shown(surface, groups, colours, cmap,
                  crowding(sum(group.run.positions.shape[1] for group in groups)), trail,
                  hidden_by_view(surface, drawn[0]), drawn)
    updates = [panel(fig, rect, shown, list(which))
               for panel, rect, which in LAYOUTS[layout][1](len(groups), top, bottom)]
    fig.text(0.02, 0.965, title, fontsize="large", va="center")
    if surface.formula != surface.name:
        fig.text(0.02, 0.02, f"f(x, y) = {surface.formula}", fontsize="small", alpha=0.75)
    if len(groups) == 1 and is_plain(groups[0].optimizer):
        fig.text(0.98, 0.02, PLAIN_RULE, fontsize="large", ha="right")
    legend(fig, surface, groups, colours)
    updates.append(status(fig, surface, groups, colours))
    fig.canvas.draw()
    return Scene(fig, fig.canvas.copy_from_bbox(fig.bbox), updates,
                 [ax for ax in fig.axes if ax.name == "3d"])


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
