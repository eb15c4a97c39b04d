"""The layouts: which panels go where on the figure, named so that the plan can check a layout
without loading matplotlib; panels.PANELS draws them.

A layout is a function (groups, top, bottom) -> [(panel's name, (left, bottom, width,
height), the groups it shows)], in figure fractions, between `bottom` and `top`.
"""
import math


def alone(count, top, bottom):
    """The surface alone, with every group."""
    return [("surface", (0, bottom, 1, top + 0.03 - bottom), range(count))]


def beside(panel):
    """The surface on the left, the panel named `panel` on the right, both with every
    group."""
    def layout(count, top, bottom):
        low = bottom + 0.04         # a narrow 3D box hangs its tick labels lower
        return [("surface", (0.0, low, 0.57, top + 0.03 - low), range(count)),
                (panel, (0.69, 0.14, 0.29, top - 0.2), range(count))]
    return layout


def multiples(count, top, bottom):
    """A surface per group, the same camera, in a grid."""
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    cell = (top + 0.03 - bottom) / rows
    return [("surface", (i % columns / columns, bottom + (rows - 1 - i // columns) * cell,
                         1 / columns, cell), [i]) for i in range(count)]


LAYOUTS = {                 # name: (what it shows, for --help; where its panels go)
    "3d": ("the surface alone", alone),
    "curve": ("with the learning curves beside it", beside("curve")),
    "contour": ("with a map of the surface seen from above", beside("map")),
    "multiples": ("a 3D panel per group, the same camera", multiples),
}
