"""Declutter: the boxes of a drawn figure's text, and its text mended where it collides (tick
labels, axis labels, the legend, a 3D panel's box), drawing it again until nothing does."""
import itertools

import numpy as np
from matplotlib.transforms import Bbox

from .textline import TextLine

LABEL_PAD = 40              # points: an axis label moves at most this far out of its tick labels
TOUCH = 3                   # pixels: an axis label nearer its tick labels touches them ("12.5loss")


def declutter(fig, marks, hidden):
    """Draw the figure, then mend what collides, until nothing does: first a 3D panel's box is
    drawn as large as its place allows (its axes leave much empty) and the legend that `marks`
    draws is put where it meets no text (see settle_legend); where an axis's tick labels
    overlap, keep every other tick; where two axes' tick labels meet at a corner, drop the
    first axis's; where an axis label overlaps or touches tick labels, move it out; where a 3D
    panel's text leaves the figure or meets text outside the panel, draw its box smaller. Last,
    the legend loses its row for balls behind the hill if `hidden`() says that the camera, as
    it ends, hides none."""
    renderer = fig.canvas.get_renderer()
    drawings = [artist for ax in fig.axes for artist in [*ax.collections, *ax.images]
                if artist.get_visible()]
    for artist in drawings:     # text does not move with them, and they take long to draw
        artist.set_visible(False)
    fitted, drawn = fill(fig)
    zoom = dict(fitted)
    placed = settle_legend(fig, marks)      # the legend is not in the axes' drawing
    for _ in range(8):
        if not drawn:
            fig.draw_without_rendering()
        drawn, changed = False, False
        outside = figure_texts(fig, renderer)
        texts = {ax: axis_texts(ax, renderer) for ax in fig.axes}
        for ax in fig.axes:
            axes = [ax.xaxis, ax.yaxis, *([ax.zaxis] if ax.name == "3d" else [])]
            ticks = {axis: drawn_ticks(axis, renderer) for axis in axes}
            thinned = set()     # their ticks changed: what was drawn is mended next pass
            for axis, labelled in ticks.items():
                if len(labelled) > 1 and any(overlap(a, b) for (_, a), (_, b) in
                                             zip(labelled, labelled[1:], strict=False)):
                    keep(axis, labelled[::2])
                    thinned.add(axis)
            for one, other in itertools.combinations(axes, 2):
                met = [(tick, box) for tick, box in ticks[one]
                       if any(overlap(box, other_box) for _, other_box in ticks[other])]
                if met and not thinned & {one, other}:
                    keep(one, [tick for tick in ticks[one] if tick not in met])
                    thinned.add(one)
            changed = changed or bool(thinned)
            boxes = [box for labelled in ticks.values() for _, box in labelled]
            for axis in axes:
                label = axis.label.get_window_extent(renderer)
                if axis.label.get_text() and axis.labelpad < LABEL_PAD and any(
                        overlap(label, box, gap=-TOUCH) for box in boxes):
                    axis.labelpad += 6
                    changed = True
            others = outside + [box for other in fig.axes if other is not ax
                                for box in texts[other]]
            if ax.name == "3d" and zoom[ax] > 0.6 * fitted[ax] and any(
                    not inside(box, fig.bbox) or any(overlap(box, other) for other in others)
                    for box in texts[ax]):
                zoom[ax] = 0.93 * zoom[ax]
                ax.set_box_aspect(None, zoom=zoom[ax])
                changed = True
        if not changed:
            break
    if not hidden():        # a row less, under the same top: it meets nothing new
        fig.legends[-1].remove()
        marks(**placed, hidden=False)
    for artist in drawings:
        artist.set_visible(True)
    fig.canvas.draw()


def fill(fig):
    """Draw the 3D panels' boxes as large as their places allow, all at one size (mplot3d draws
    a box in a square in the middle of its axes, with room to spare), each centred in its
    place: the box of its panes, axes and their labels; returns each 3D axes' zoom, and whether
    the figure is as last drawn."""
    renderer, zoom = fig.canvas.get_renderer(), 1.0
    places = {ax: ax.get_position(original=True) for ax in fig.axes if ax.name == "3d"}
    for _ in range(3):
        fig.draw_without_rendering()
        drawn = {ax: Bbox.union([box for axis in (ax.xaxis, ax.yaxis, ax.zaxis) for box in (
            axis.get_tightbbox(renderer), axis.pane.get_window_extent(renderer))
            if box is not None]) for ax in places}
        spans = {ax: place.transformed(fig.transFigure) for ax, place in places.items()}
        fit = min(min(spans[ax].width / box.width, spans[ax].height / box.height)
                  for ax, box in drawn.items()) if places else 1
        moves = {}
        for ax, box in drawn.items():   # the box grows about the axes' centre
            middle = np.array([ax.bbox.x0 + ax.bbox.x1, ax.bbox.y0 + ax.bbox.y1]) / 2
            grown = middle + fit * (np.array([box.x0 + box.x1, box.y0 + box.y1]) / 2 - middle)
            moves[ax] = (np.array([spans[ax].x0 + spans[ax].x1, spans[ax].y0 + spans[ax].y1])
                         / 2 - grown) / [fig.bbox.width, fig.bbox.height]
        if abs(fit - 1) < 0.02 and all(np.abs(move).max() < 0.002 for move in moves.values()):
            return dict.fromkeys(places, zoom), True
        zoom *= fit
        for ax, move in moves.items():
            ax.set_box_aspect(None, zoom=zoom)
            position = ax.get_position(original=True)
            ax.set_position([position.x0 + move[0], position.y0 + move[1], position.width,
                             position.height])
    return dict.fromkeys(places, zoom), False


def keep(axis, kept):
    """Keep only these ticks (and their labels as drawn) of an axis."""
    axis.set_ticks([tick.get_loc() for tick, _ in kept],
                   [tick.label1.get_text() for tick, _ in kept])


def inside(box, bounds):
    """Whether a box is inside the bounds, give or take a pixel."""
    return (box.x0 >= bounds.x0 - 1 and box.y0 >= bounds.y0 - 1 and box.x1 <= bounds.x1 + 1
            and box.y1 <= bounds.y1 + 1)


def settle_legend(fig, make):
    """Move the figure's legend, which `make` draws again (see legend), where it meets no other
    text, that of the axes drawn flat and every text outside the axes: where it is; else in a
    row there; else moved down, below the texts it meets, while it stays in the picture. (A 3D
    panel whose text it meets draws its box smaller, see declutter.) Returns the keywords that
    `make` drew it with."""
    renderer = fig.canvas.get_renderer()
    fig.legends[-1].remove()
    others = figure_texts(fig, renderer) + [box for ax in fig.axes if ax.name != "3d"
                                            for box in axis_texts(ax, renderer)]
    x, y, corner = make.keywords["where"]

    def met(placed):
        box = extent(fig, placed)
        return box, [other for other in others if overlap(box, other)]
    box, meets = met(make())
    if not meets:
        return {}
    fig.legends[-1].remove()
    if not met(make(row=True))[1]:
        return {"row": True}
    fig.legends[-1].remove()
    while True:
        y = (min(other.y0 for other in meets) - 0.012 * fig.bbox.width) / fig.bbox.height
        if y - box.height / fig.bbox.height < 0:
            make()          # nowhere free: where it was put
            return {}
        box, meets = met(make(where=(x, y, corner)))
        if not meets:
            return {"where": (x, y, corner)}
        fig.legends[-1].remove()


def extent(fig, text):
    """A text's window extent, in pixels."""
    return text.get_window_extent(fig.canvas.get_renderer())


def axis_texts(ax, renderer):
    """The window extents of an axes' drawn tick labels, axis labels and texts."""
    axes = [ax.xaxis, ax.yaxis, *([ax.zaxis] if ax.name == "3d" else [])]
    return ([box for axis in axes for _, box in drawn_ticks(axis, renderer)]
            + [text.get_window_extent(renderer) for text in
               [*(axis.label for axis in axes), *ax.texts] if text.get_text()])


def drawn_ticks(axis, renderer):
    """(tick, the window extent of its label) of an axis's major ticks that are drawn, in
    order along the axis."""
    low, high = sorted(axis.get_view_interval())
    return [(tick, tick.label1.get_window_extent(renderer)) for tick in axis.get_major_ticks()
            if low <= tick.get_loc() <= high and tick.label1.get_visible()
            and tick.label1.get_text()]


def figure_texts(fig, renderer):
    """The window extents of the texts a figure writes outside its axes: its texts, legends and
    the lines that hold their place (see TextLine.reserve)."""
    return ([text.get_window_extent(renderer) for text in fig.texts if text.get_text()]
            + [legend.get_window_extent(renderer) for legend in fig.legends]
            + [line.get_window_extent() for line in fig.artists
               if isinstance(line, TextLine) and line.widest is not None])


def overlap(a, b, gap=1):
    """Whether two boxes overlap by more than `gap` pixels."""
    return (a.x0 < b.x1 - gap and b.x0 < a.x1 - gap and a.y0 < b.y1 - gap
            and b.y0 < a.y1 - gap)
