"""The rate strip: each group's learning rate against step, in a thin strip under the curves.

A schedule changes a group's rate as the run goes (Group.rates, the rate of each step); the
strip shows how, drawn up to the frame's step like the learning curves above it, on the same
steps. Groups whose rate does not change (a constant schedule, or none) are drawn flat, for
comparison, when another group's changes; when none changes there is no strip.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

STRIP = 0.2         # share of the curves' box that the strip takes, under them
GAP = 0.06          # share of that box between the curves and the strip


def rates_of(groups):
    """Each group's learning rate at steps 1, 2, ... (None where not known), or None when no
    group's rate changes over the run."""
    rates = [group.rates if group.rates is not None else None if group.optimizer is None else
             np.full(int(group.run.steps[-1]), group.optimizer.hyperparameters["lr"])
             for group in groups]
    if not any(rate is not None and len(rate) and np.ptp(rate) > 0 for rate in rates):
        return None
    return rates


def split(rect):
    """The curves' box and the strip's, (left, bottom, width, height) each, from `rect`."""
    left, bottom, width, height = rect
    strip = STRIP * height
    return ((left, bottom + strip + GAP * height, width, height - strip - GAP * height),
            (left, bottom, width, strip))


def rate_strip(fig, rect, drawn, steps, text_size):
    """Draw the strip at `rect`: the rate of each group in `drawn`, (its number, its rates (see
    rates_of), its colour), against the steps up to the last recorded one (`steps`). Returns
    update(k), which draws the rates up to recorded step k."""
    ax = fig.add_axes(rect)
    last = max(int(steps[-1]), 1)
    top = max(float(np.max(rate[:last], initial=0)) for _, rate, _ in drawn)
    ax.set(xlim=(0, last), ylim=(0, 1.15 * top or 1))
    ax.set_xlabel("step", fontsize=text_size)
    ax.set_ylabel("lr", fontsize=text_size)
    ax.yaxis.set_major_locator(MaxNLocator(2))
    ax.tick_params(labelsize=text_size)
    ax.grid(alpha=0.3)
    lines = [(ax.plot([], [], color=color, lw=1.6, animated=True, gid=f"rate {i}")[0], rate)
             for i, rate, color in drawn]
    cursor = ax.axvline(0, color="0.4", lw=1, animated=True, zorder=3)

    def update(k):
        now = int(steps[k])
        cursor.set_xdata([now, now])
        for line, rate in lines:
            line.set_data(np.arange(1, now + 1), rate[:now])
        return [cursor, *(line for line, _ in lines)]
    return update
