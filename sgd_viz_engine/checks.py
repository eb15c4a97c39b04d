"""Checks against the work: a surface finite where it is drawn and balls start; files replaceable.

formula.py checks a formula on a coarse grid as it parses it, but the picture evaluates every
surface on its view's mesh (Surface.heights) and the balls' losses at their starts: those are
the points checked here, before any work. plan.writable reads output paths with the helpers
at the end.
"""
import os
import stat

import numpy as np

LARGEST = 1e100             # drawn heights beyond this overflow the drawing's arithmetic


def drawn_problem(surface):
    """Why `surface` cannot be drawn on its view's mesh over its bounds (a height that is not
    finite, or beyond LARGEST), in words, or ''."""
    with np.errstate(all="ignore"):
        _, mesh, drawn = surface.heights()
        losses = surface.f(mesh)
    bad = ~(np.abs(drawn) <= LARGEST)         # NaN too
    if bad.any():
        (x, y), value = mesh[bad][0], losses[bad][0]
        return (f"{surface.name} is {value:.6g} at x = {x:.6g}, y = {y:.6g}, a point of the "
                f"{surface.view.grid}x{surface.view.grid} mesh drawn over the bounds "
                f"{bounds_text(surface.bounds)}")
    return ""


def minima_problem(surface):
    """Why the surface's minima are not global minima within its bounds (outside them, not
    finite, or above a point of its drawn mesh), in words, or ''."""
    (x0, x1), (y0, y1) = surface.bounds
    with np.errstate(all="ignore"):
        mesh = surface.mesh()
        losses, lows = surface.f(mesh), surface.f(surface.minima)
    for (x, y), low in zip(surface.minima, lows, strict=True):
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return f"({x:g}, {y:g}) is outside the bounds {bounds_text(surface.bounds)}"
        if not np.isfinite(low):
            return f"{surface.name} is {low} at ({x:g}, {y:g})"
        lowest = np.unravel_index(np.nanargmin(losses), losses.shape)
        spread = np.nanmax(losses) - losses[lowest]
        if losses[lowest] < low - 1e-6 * spread:
            (mx, my) = mesh[lowest]
            return (f"{surface.name} is {low:.6g} at ({x:g}, {y:g}) but {losses[lowest]:.6g} at "
                    f"({mx:.6g}, {my:.6g}): not a global minimum")
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


def limit(folder, name, default):
    """os.pathconf(folder, name), or `default` where the system does not say."""
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError):
        return default


def replaceable(path, folder):
    """Whether this user may rename a file over `path`: in a sticky folder only the owner of
    the file or of the folder may (or root)."""
    user, folder_stat = os.geteuid(), os.stat(folder)
    return (not folder_stat.st_mode & stat.S_ISVTX or user in (0, folder_stat.st_uid)
            or os.stat(path).st_uid == user)


def read_only(path):
    """Whether `path` is an existing file without write permission for this user (root
    included: its mode has no write bit)."""
    return path is not None and os.path.isfile(path) and (
        not os.access(path, os.W_OK) or not os.stat(path).st_mode & 0o222)
