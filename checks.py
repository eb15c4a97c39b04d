"""Checks of a surface against the work it will do: finite wherever it is drawn and balls start.

A formula is checked on a coarse grid when it is parsed (formula.GRID), and a named surface
not at all; the picture evaluates the surface on its view's mesh (panels.heights) and the
balls' losses at their starts, so these are the points checked here, before any work.
"""
import numpy as np

from panels import heights

LARGEST = 1e100             # drawn heights beyond this overflow the drawing's arithmetic


def drawn_problem(surface):
    """Why `surface` cannot be drawn on its view's mesh over its bounds (a height that is not
    finite, or beyond LARGEST), in words, or ''."""
    with np.errstate(all="ignore"):
        _, mesh, drawn = heights(surface)
        losses = surface.f(mesh)
    bad = ~(np.abs(drawn) <= LARGEST)         # NaN too
    if bad.any():
        (x, y), value = mesh[bad][0], losses[bad][0]
        return (f"{surface.name} is {value:.6g} at x = {x:.6g}, y = {y:.6g}, a point of the "
                f"{surface.view.grid}x{surface.view.grid} mesh drawn over the bounds "
                f"{bounds_text(surface.bounds)}")
    return ""


def start_problem(surface, starts):
    """Why balls cannot start at `starts` (N, 2) on `surface` (a loss that is not finite),
    in words, or ''."""
    with np.errstate(all="ignore"):
        losses = surface.f(starts)
    bad = ~np.isfinite(losses)
    if not bad.any():
        return ""
    (x, y), value = starts[bad][0], losses[bad][0]
    return (f"{surface.name} is {value} at x = {x:.6g}, y = {y:.6g}, where "
            f"{int(bad.sum())} of {len(starts)} balls start")


def bounds_text(bounds):
    (x0, x1), (y0, y1) = bounds
    return f"x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]"
