"""The layouts: which panels go where on the figure, named so that the plan can check a layout
without loading matplotlib; scene.PANELS draws them.

A layout is a function (groups, box, spare) -> [(panel's name, (left, bottom, width, height),
the groups it shows, keywords for the panel)], in figure fractions, inside `box` (left, bottom,
width, height), the room that the words leave, and `spare`, room under the words in the column
of a wide picture (a slide), or None. A panel placed in the spare room fills it with its tick
labels and axis labels (room=True); the surface then has the box to itself. A 3D panel reaches a
little above its box: the top of its axes is empty.
"""
import math


def alone(count, box, spare=None):
    """The surface alone, with every group; on a slide, with the learning curves under the
    words, so that the picture fills the frame."""
    return beside("curve")(count, box, spare) if spare else [whole(count, box)]


def whole(count, box):
    """The surface filling the box, with every group."""
    left, bottom, width, height = box
    return "surface", (left, bottom, width, min(height + 0.03, 1 - bottom)), range(count), {}


def beside(panel):
    """The surface on the left, the panel named `panel` on the right, both with every
    group; on a slide, the panel under the words and the surface filling the box."""
    def layout(count, box, spare=None):
        if spare:
            return [whole(count, box), (panel, spare, range(count), {"room": True})]
        left, bottom, width, height = box
        low = bottom + 0.04         # a narrow 3D box hangs its tick labels lower
        return [("surface", (left, low, 0.57 * width,
                             max(min(height + 0.03, 1 - bottom) - 0.04, 0.05)), range(count), {}),
                (panel, (left + 0.69 * width, bottom + 0.1, 0.29 * width, max(height - 0.16, 0.05)),
                 range(count), {})]
    return layout


def multiples(count, box, spare=None):
    """A surface per group, the same camera, equal panels: in a row for up to three groups,
    else in a grid; the x and y axes labelled on the bottom left panel, the height on the
    bottom right one."""
    left, bottom, width, height = box
    columns = count if count <= 3 else math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    cell = height / rows
    last_row = (count - 1) // columns
    return [("surface", (left + i % columns * width / columns,
                         bottom + (rows - 1 - i // columns) * cell, width / columns, cell),
             [i], {"labelled": ("xy" if i % columns == 0 else "")
                   + ("z" if i == min(count - 1, last_row * columns + columns - 1) else "")
                   if i // columns == last_row else ""})
            for i in range(count)]


LAYOUTS = {                 # name: (what it shows, for --help; where its panels go)
    "3d": ("the surface alone (on a slide, with the learning curves under the words)", alone),
    "curve": ("with the learning curves beside it", beside("curve")),
    "contour": ("with a map of the surface seen from above", beside("map")),
    "multiples": ("a 3D panel per group, the same camera", multiples),
}
