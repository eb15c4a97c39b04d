"""Frame pacing: how long each recorded step is shown, longer where the balls move the most.

Most of the motion of gradient descent is often in its first few steps, then the balls crawl:
shown at an even rate, the lesson flashes by and the crawl drags on. So the animation's time
(one frame interval per step on average) is shared out in part evenly and in part by how far
the balls move at each step. No matplotlib here: this reads runs only.
"""
import numpy as np

EVEN = 0.3                  # the share of the time spread evenly over the steps; the rest by motion
SLOWEST = 6                 # a step is shown at most this many frame intervals
REACH = 0.15                # a ball's move counts at most this share of the bounds' span
SHORTEST = 2                # centiseconds: the shortest delay GIF viewers honour


def motion(groups, bounds):
    """How far the balls move into each recorded step, (T,), 0 for the first: the mean over
    every ball of every group of its move, as a share of the bounds' span and at most REACH
    (a ball flying off counts no more than one that jumps far), balls already lost not at all."""
    span = np.ptp(np.array(bounds, dtype=float), axis=1)
    moved = np.zeros(len(groups[0].run.steps))
    for group in groups:
        run = group.run
        with np.errstate(invalid="ignore"):
            step = np.linalg.norm(np.diff(run.positions, axis=0) / span, axis=-1)
        step = np.where(run.diverged[:-1] | ~np.isfinite(step), 0, np.minimum(step, REACH))
        moved[1:] += step.sum(axis=1)
    return moved / sum(group.run.positions.shape[1] for group in groups)


def schedule(groups, bounds, fps, paced=True):
    """The recorded steps to draw and each one's delay in centiseconds (the GIF's unit), as two
    arrays: EVEN of the time spread evenly, the rest in proportion to the motion into each
    step, a step at most SLOWEST frame intervals; a step that would come less than SHORTEST
    after the last one drawn is not drawn, that one staying for its time. The first and the
    last steps are always drawn. Unpaced (or with nothing moving), every step for one frame
    interval."""
    count = len(groups[0].run.steps)
    interval = 100 / fps
    moved = motion(groups, bounds) if paced else np.zeros(count)
    if count < 2 or moved.sum() == 0:
        times = np.full(count, interval)
    else:
        total = interval * (count - 1)
        times = total * (EVEN / (count - 1) + (1 - EVEN) * moved / moved.sum())
        times = np.minimum(times, SLOWEST * interval)
        times[0] = interval
    starts = np.round(np.concatenate([[0], np.cumsum(times)])).astype(int)
    drawn = [0]
    for k in range(1, count):       # draw a step once the last one drawn has had its time
        if starts[k] - starts[drawn[-1]] >= SHORTEST:
            drawn.append(k)
    if drawn[-1] != count - 1:      # the last step shows, in the place of the one before
        drawn[-1 if len(drawn) > 1 else len(drawn):] = [count - 1]
    drawn = np.array(drawn)
    return drawn, np.maximum(np.diff(starts[[*drawn, count]]), SHORTEST)
