"""The basins: where the balls of a run end, grouped by the minimum they settle in.

Pure functions of a Run (see simulation.py) and its surface, without matplotlib: the basin
each ball ends in, the crowds the last frame labels, and which points are at a listed global
minimum.
"""
import numpy as np

BASIN_RADIUS = 0.03         # ends closer than this share of the diagonal are one basin
STILL = 1e-3                # a ball that moved less in its last recorded step, as a share of
                            # the diagonal, is at rest


def basins(run, surface, radius=BASIN_RADIUS):
    """The basin each ball ends in, as the index of the basin's lowest ball (-1 for diverged
    balls), largest basin first in the returned list of basins: balls whose ends lie within
    `radius` (a share of the bounds' diagonal) of the lowest unclaimed end share a basin."""
    ends, lost = run.positions[-1], run.diverged[-1] | run.escaped[-1]
    reach = radius * np.hypot(*np.diff(surface.box, axis=1).ravel())
    basin = np.full(len(ends), -1)
    for ball in np.argsort(np.where(lost, np.inf, run.losses[-1])):
        if basin[ball] < 0 and not lost[ball]:
            basin[(basin < 0) & ~lost & (np.linalg.norm(ends - ends[ball], axis=1) < reach)] = ball
    return basin, sorted(set(basin[basin >= 0].tolist()), key=lambda b: -np.sum(basin == b))


def at_rest(run, surface):
    """Which balls moved less than STILL of the bounds' diagonal in the run's last recorded
    step (diverged balls, frozen, among them)."""
    span = np.hypot(*np.diff(surface.box, axis=1).ravel())
    last = run.positions[-1] - run.positions[max(len(run.steps) - 2, 0)]
    return np.linalg.norm(last, axis=1) <= STILL * span


def crowds(run, surface, share=0.1):
    """Where the balls that stay on the surface crowd at the end, with at least `share` of
    them: (k, 2) lowest point of each basin and (k,) how many balls end there. Only balls that
    have settled count, at rest or at a global minimum (at_global_minimum, the status line's
    criterion), so that balls still bouncing across a well are no crowd beside its star; and a
    crowd by a global minimum counts only its balls that reach it."""
    basin, kept = basins(run, surface)
    ends = run.positions[-1]
    reached = at_global_minimum(ends, surface)
    where = ends[np.array(kept, dtype=int)].reshape(-1, 2)
    counted = np.where(by_global_minimum(where, surface)[:, None], reached,
                       at_rest(run, surface) | reached)      # (crowds, balls)
    counts = ((basin == np.array(kept, dtype=int)[:, None]) & counted).sum(axis=1)
    big = counts >= max(2, share * len(basin))
    return where[big], counts[big]


def by_global_minimum(points, surface, radius=BASIN_RADIUS):
    """Which points (N, 2) lie within `radius` (a share of the bounds' diagonal) of a listed
    global minimum: the crowds that a viewer sees at the star."""
    reach = radius * np.hypot(*np.diff(surface.box, axis=1).ravel())
    return (np.linalg.norm(points[:, None, :] - surface.minima, axis=-1) < reach).any(axis=-1)


def at_global_minimum(points, surface):
    """Which points (N, 2) have reached a global minimum: within a hundredth of the bounds'
    span of a listed one, or, for a surface whose lesson says how close in loss is close enough
    (a flat valley, where being near in loss is what matters), with a loss less than that above
    the minimum's."""
    if surface.lesson.reach is not None and len(surface.minima):
        lowest = surface.f(surface.minima).min(initial=np.inf)
        return np.asarray(surface.f(points) - lowest < surface.lesson.reach)
    span = np.diff(surface.box, axis=1).ravel()
    return (np.abs(points[:, None, :] - surface.minima) < span / 100).all(axis=-1).any(axis=-1)


def is_global(point, surface):
    """Whether `point` has reached a global minimum (see at_global_minimum)."""
    return bool(at_global_minimum(np.reshape(point, (1, 2)), surface)[0])
