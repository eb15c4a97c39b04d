"""The figure: panels placed by the layout, titles, legend and status lines; drawn once as a
static background, then frame by frame only what moves."""
from collections.abc import Callable
from functools import partial
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
from .curves import curve_panel
from .declutter import declutter, extent
from .heroes import shows_inside
from .heroes import words as hero_words
from .layouts import LAYOUTS
from .looks import GROUPS_CMAP, SURFACE_CMAP, crowding, group_colors, legend_style
from .occlusion import on_mesh, visibility
from .panels import (
    LINE_SIZE,
    TEXT_SIZE,
    TITLE_SIZE,
    Stage,
    lesson_numbers,
    map_panel,
    rate_now,
    surface_panel,
)
from .panels import drawn as drawn_at
from .textline import TextLine

PANELS = {                  # name (as layouts.LAYOUTS places it): the panel
    "surface": surface_panel,
    "curve": curve_panel,
    "map": map_panel,
}
PLAIN_RULE = r"$x \leftarrow x - \mathrm{lr}\,\nabla f(x)$"   # shown for plain gradient descent
HIDDEN_CHUNK = 100_000      # balls times steps looked at at once for one behind the hill
WIDE = 1.5                  # a picture this much wider than high puts its words in a column
COLUMN = 0.3                # the column's share of the width
SPARE = (220, 160)          # pixels (width, height) under the words in the column that hold a
                            # second panel (see layouts)


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
        view = ax.elev, ax.azim, ax.get_zlim(), ax.get_proj().tobytes()
        if view not in last:
            last.clear()
            last[view] = visibility(height, surface.bounds, view[2], ax.get_proj())
        return last[view]
    return hidden


def ever_hidden(stage, ax):
    """Whether the camera of 3D axes `ax` sees a ball of the stage's groups behind the hill at
    any recorded step (balls that diverged are drawn as crosses, never hidden)."""
    for group in stage.groups:
        run, lift = group.run, stage.heights.lift
        chunk = max(1, HIDDEN_CHUNK // run.positions.shape[1])
        for first in range(0, len(run.steps), chunk):
            steps = slice(first, first + chunk)
            xyz = drawn_at(stage.surface, lift, run, steps, slice(None))
            if stage.hidden(ax)(xyz[~run.diverged[steps]]).any():
                return True
    return False


def legend(fig, surface, groups, colors, where, inside=False, row=False, hidden=True):
    """The legend of what each mark means, in a column (or a `row`) with its top left or right
    corner at `where` ((x, y, "upper left" or "upper right") in figure fractions): only those
    that the picture draws (balls `hidden` behind the hill where there are); the marks of
    several groups in grey, their colors named by their lines; with `inside`, all that heroes
    draw. Returns it."""
    settling = any(group.run.converged.any() for group in groups)
    lost = any(group.run.diverged.any() for group in groups)
    marks = [*(["ball"] if len(groups) == 1 else []), *(["hidden"] if hidden else []),
             *(["converged"] if settling else []), *(["diverged"] if lost else []),
             *(["minimum"] if len(surface.minima) else [])]
    heroes = [group.optimizer for group in groups if group.heroes is not None]
    if heroes:
        marks += ["hero", "step", *(["gradient step"] if inside else []),
                  *(["momentum"] if inside and any(optimizer.momentum and not optimizer.adaptive
                                                   for optimizer in heroes) else []),
                  *(["rates"] if inside and any(optimizer.adaptive for optimizer in heroes)
                    else []), "not to scale"]
    color = colors[0] if len(groups) == 1 else "0.5"
    x, y, corner = where
    return fig.legend(handles=[Line2D([], [], **legend_style(mark, color)) for mark in marks],
                      loc=corner, bbox_to_anchor=(x, y), frameon=False, fontsize=TEXT_SIZE,
                      handletextpad=0.3, borderpad=0, borderaxespad=0, labelspacing=0.3,
                      ncols=len(marks) if row else 1, columnspacing=1.2)


def status(fig, surface, groups, colors, table, top, named=False, inside=False, column=False):
    """The clock line and a line per group below `top` (a figure fraction); returns their
    per-frame update and the share of the figure's height they take. A group's line is its
    name and the one number of its lesson (see lesson_number); with `table`, the fuller
    table: mean loss, converged and diverged counts, the share at a global minimum. With
    `named`, the panels write the groups' lines; with `inside`, a group with heroes writes
    more below its own: its update rule and its first hero's numbers (see heroes.words), in
    a narrow `column` each part of them on a line of its own."""
    size = TEXT_SIZE if table else LINE_SIZE
    step, clock_height = line_height(fig, size), line_height(fig, TEXT_SIZE)
    clock = fig.add_artist(TextLine(0.02, top - clock_height / 2, size=TEXT_SIZE))
    y, lines, told = top - clock_height, [], []
    for group, color in zip(groups, [] if named else colors, strict=False):
        color = color if len(groups) > 1 else None
        lines.append(fig.add_artist(TextLine(0.02, y - step / 2, color, size=size,
                                             family="monospace" if table else "sans-serif")))
        y -= step
        if inside and group.heroes is not None:
            for index in range(len(hero_words(group, 0, column))):
                told.append((group, index, fig.add_artist(TextLine(
                    0.02, y - clock_height / 2, color, family="sans-serif", size=TEXT_SIZE))))
                y -= clock_height
    width = max(len(group.label) for group in groups)
    word = "iteration" if any(group.epoch_length for group in groups) else "step"
    last = groups[0].run.steps[-1]

    def row(group, k):
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
        rate = rate_now(group, run.steps[k])
        rate = f"{rate:<11}  " if rate else ""
        return f"{name}{epoch}{rate}mean loss {mean}  {counts}{gone}{found}"

    def line(group):
        numbers = ([""] * len(group.run.steps) if group.whole else      # a basin's share
                   lesson_numbers(surface, group.run))
        return [row(group, k) if table else
                "   ".join(filter(None, [group.label, rate_now(group, step), number]))
                for k, (step, number) in enumerate(zip(group.run.steps, numbers, strict=True))]

    frames = range(len(groups[0].run.steps))
    said = {id(group): [hero_words(group, group.run.steps[k], column) for k in frames]
            for group, *_ in told}
    texts = [(text, line(group)) for group, text in zip(groups, lines, strict=False)]
    texts += [(text, [words[index] if index < len(words) else "" for words in said[id(group)]])
              for group, index, text in told]
    texts.append((clock, [f"{word} {step:>{len(str(last))}}/{last}"
                          for step in groups[0].run.steps]))
    for text, shown in texts:
        text.reserve(shown)

    def update(k):
        for text, shown in texts:
            text.set_text(shown[k])
        return [text for text, _ in texts]
    return update, top - y


def line_height(fig, size):
    """The height of a line of text of `size` points, as a share of the figure's height."""
    return 1.3 * size / 72 * fig.dpi / fig.bbox.height


def draw_scene(surface, title, size, groups, layout, trail, table=False):
    """Draw the static figure (panels, title, formula, legend) once; return it with the
    updates that draw each frame's moving artists over it; `table` writes the fuller status
    table instead of a line per group."""
    width, height = size
    dpi = 100 * scale(size)
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    colors = group_colors(len(groups), rcParams["figure.facecolor"])
    placed = LAYOUTS[layout][1](len(groups), (0, 0, 1, 1))
    named = len(groups) > 1 and all(len(which) == 1 for _, _, which, _ in placed)
    inside = any(shows_inside([groups[i] for i in which]) for _, _, which, _ in placed)
    box, spare, lines, marks = words(fig, surface, title, groups, colors, table, named, inside)
    cmap = SURFACE_CMAP if len(groups) == 1 else LinearSegmentedColormap.from_list(
        "groups", list(GROUPS_CMAP))       # matplotlib 3.8.0 reads a pair as (color, alpha)
    drawn = surface.heights()
    stage = Stage(surface, groups, colors, cmap,
                  crowding(sum(group.run.positions.shape[1] for group in groups)), trail,
                  hidden_by_view(surface, drawn), drawn)
    updates = [PANELS[panel](fig, rect, stage, list(which), **options)
               for panel, rect, which, options in LAYOUTS[layout][1](len(groups), box, spare)]
    updates.append(lines)
    views = [ax for ax in fig.axes if ax.name == "3d"]      # all with the surface's camera
    declutter(fig, marks, lambda: bool(views) and ever_hidden(stage, views[0]))
    return Scene(fig, fig.canvas.copy_from_bbox(fig.bbox), updates,
                 [ax for ax in fig.axes if ax.name == "3d"])


def words(fig, surface, title, groups, colors, table, named, inside):
    """Write the words: the title, the clock and the groups' lines (see status), the legend,
    the formula and, for plain gradient descent, its update rule (unless heroes write it:
    `inside`, see heroes.shows_inside). Across the top and bottom of the picture; in a column
    on the left of a wide one (a slide), so that the panels fill its height. Returns the box
    left for the panels, (left, bottom, width, height) in figure fractions, the spare room
    under the words in the column (None if there is none, or too little for a panel), the
    lines' per-frame update and what draws the legend again (see declutter.settle_legend)."""
    gap = 0.012 * fig.bbox.width / fig.bbox.height
    wide = fig.bbox.width / fig.bbox.height >= WIDE and not table
    room = (COLUMN - 0.03 if wide else 0.96) * fig.bbox.width
    y = 0.985
    if title:
        text = fig.text(0.02, y, title, fontsize=TITLE_SIZE, va="top", linespacing=1.1)
        wrap(text, room)
        y -= extent(fig, text).height / fig.bbox.height + gap
    update, used = status(fig, surface, groups, colors, table, y, named, inside and not named,
                          wide)
    rule = (fig.text(0.02 if wide else 0.98, 0.02, PLAIN_RULE, fontsize=LINE_SIZE,
                     ha="left" if wide else "right")
            if len(groups) == 1 and groups[0].optimizer and groups[0].optimizer.plain
            and not inside else None)      # heroes write the rule with their numbers
    below = formula(fig, surface, room if wide else 0.72 * fig.bbox.width)
    top = y - used - (2 * gap if wide else 0)
    marks = partial(legend, fig, surface, groups, colors, inside=inside,    # a box's empty corner
                    where=(0.02, top, "upper left") if wide else (0.99, y, "upper right"))
    drawn = marks()
    if wide:
        if rule is not None:
            rule.set_y(0.02 + below + (gap if below else 0))
        top -= extent(fig, drawn).height / fig.bbox.height + 2 * gap
        bottom = (0.02 + below + (gap if below else 0)
                  + (extent(fig, rule).height / fig.bbox.height + gap if rule else 0) + gap)
        spare = (0.02, bottom, COLUMN - 0.04, top - bottom)
        roomy = (spare[2] * fig.bbox.width >= SPARE[0]
                 and spare[3] * fig.bbox.height >= SPARE[1])
        return (COLUMN, 0.02, 1 - COLUMN, 0.96), spare if roomy else None, update, marks
    bottom = 0.02 + max(below, extent(fig, rule).height / fig.bbox.height if rule else 0) + gap
    bottom = min(bottom, 0.5)       # a tiny picture: panels and text overlap, but are drawn
    return (0, bottom, 1, max(top - gap - bottom, 0.2)), None, update, marks


def wrap(text, room):
    """Break a text's words into lines no wider than `room` pixels (a word too long for one
    stays whole)."""
    words = text.get_text().split(" ")
    lines = [words[0]]
    for word in words[1:]:
        text.set_text(f"{lines[-1]} {word}")
        if extent(text.figure, text).width > room:
            lines.append(word)
        else:
            lines[-1] = text.get_text()
    text.set_text("\n".join(lines))


def scale(size):
    """How much larger than at 800x600 the text and the balls are drawn: in proportion to the
    picture above that size, so that a slide looks like the picture made larger; less than in
    proportion below it, so that text still reads in a small picture."""
    ratio = min(size[0] / 800, size[1] / 600)
    return ratio if ratio > 1 else ratio ** 0.5


def formula(fig, surface, room):
    """Write the surface's formula at the bottom left, wrapped to `room` pixels; returns the
    share of the figure's height it takes (0 for a surface without a formula of its own)."""
    if surface.formula == surface.name:
        return 0
    text = fig.text(0.02, 0.02, f"f(x, y) = {surface.formula}", fontsize=TEXT_SIZE, alpha=0.75,
                    va="bottom", linespacing=1.1)
    wrap(text, room)
    return extent(fig, text).height / fig.bbox.height


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


SPOKEN = {"sgd": "gradient descent", "momentum": "momentum", "nesterov": "Nesterov momentum",
          "adagrad": "AdaGrad", "rmsprop": "RMSprop", "adam": "Adam"}   # optimizers in words


def title(surface, groups, shared=(), given=None):
    """The title: `given` if there is one ("" for none), else one from the settings, the
    optimizers in words on the surface, and what every group shares: "Gradient descent on
    Himmelblau's function"."""
    if given is not None:
        return given
    names = list(dict.fromkeys(
        SPOKEN["sgd"] if group.optimizer is None or group.optimizer.plain else
        SPOKEN.get(group.optimizer.name, group.optimizer.name) for group in groups))
    said = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    words = f"{said[:1].upper()}{said[1:]} on {surface.title or surface.name}"
    return " · ".join([words, *shared])
