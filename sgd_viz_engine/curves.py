"""The learning curves: each group's loss (median and interquartile band) against step, drawn
up to the frame's step, its name at its end, a rate strip under them when a schedule changes a
rate (see ratestrip). A panel, as panels.py describes them.
"""
import re
from functools import partial

import numpy as np

from .panels import TEXT_SIZE, fit, height_range
from .ratestrip import rate_strip, rates_of, split
from .textline import TextLine
from .ticks import scaled

NAMES_ROOM = 0.5           # the curves' names at their ends take at most this share of the
                           # panel's width
OFF_TOP = 1e300            # the loss a diverged ball counts as, above every finite one


def counted_losses(run, floor):
    """The loss above `floor` of every ball at every recorded step, none left out: a ball that
    diverged counts as OFF_TOP, above every finite loss; one that escaped (rolled off a surface
    unbounded below) at the last loss it had."""
    return np.where(run.diverged, OFF_TOP, run.losses - floor)


def curve_panel(fig, rect, stage, which, room=False):
    """The learning curves, drawn up to the frame's step: the median loss of each group
    against step and its interquartile range as a band, over every ball (see counted_losses),
    so that a group that diverges rises off the top, marked there with a triangle. With the
    lowest loss known, the curves show the loss above it on a log scale, where slow
    convergence and a noise floor both read. With `room`, its labels in `rect` too. Several
    groups' curves are named at their ends (see end_labels) where the names leave the curves
    room."""
    surface, groups = stage.surface, [stage.groups[i] for i in which]
    names = end_labels(fig, [stage.colors[i] for i in which], groups) if len(which) > 1 else []
    if names and names[0].widest > NAMES_ROOM * rect[2] * fig.bbox.width:
        for name in names:      # too long to leave the curves room: the groups' lines name them
            name.remove()
        names = []
    if names:       # their room, on the right
        rect = (*rect[:2], rect[2] - names[0].widest / fig.bbox.width, rect[3])
    first, whole = len(fig.axes), rect
    rates = rates_of(groups)
    if rates is not None:
        rect, strip = split(rect)
    ax = fig.add_axes(rect)
    floor = surface.f(surface.minima).min(initial=np.inf) if len(surface.minima) else 0.0
    counted = [counted_losses(group.run, floor) for group in groups]
    spreads = [np.percentile(gap, [25, 50, 75], axis=1) for gap in counted]
    values = np.concatenate([gap[gap < OFF_TOP] for gap in counted])
    positive = values[values > 0]
    if len(positive) and values.min() >= 0 and positive.max() > 100 * positive.min():
        ax.set_yscale("log")
        ax.set_ylim(bottom=max(positive.min(), positive.max() * 1e-12), top=positive.max() * 2)
    elif len(values):
        ax.set_ylim(*height_range(values))
    name = "loss" if floor == 0 else "loss - min"
    steps = groups[0].run.steps
    # a run that settled at its start has one step: the axis still spans one
    ax.set(xlabel="step", ylabel=f"{name} (median, IQR)", xlim=(0, max(steps[-1], 1)))
    ax.tick_params(labelsize=TEXT_SIZE)
    scaled(ax)
    ax.grid(alpha=0.3)
    above = ax.get_ylim()[1] * 1e3 if ax.get_yscale() == "log" else 10 * np.ptp(ax.get_ylim())
    curves = []
    for i, spread in zip(which, spreads, strict=True):
        spread = np.where(spread >= OFF_TOP / 10, above, spread)     # off the top, drawn so
        color = stage.colors[i]
        band = ax.fill_between(steps, spread[0], spread[2], color=color, alpha=0.2, lw=0,
                               animated=True, gid=f"spread {i}")
        median = ax.plot(steps, spread[1], color=color, lw=1.6, animated=True,
                         gid=f"median {i}")[0]
        off = np.flatnonzero(spread[1] == above)
        mark = ax.plot([], [], ls="", marker="^", ms=8, color=color, clip_on=False,
                       transform=ax.get_xaxis_transform(), animated=True,
                       gid=f"off the top {i}")[0]
        curves.append((band, median, mark, spread, off[0] if len(off) else None))
    cursor = ax.axvline(0, color="0.4", lw=1, animated=True, zorder=3)
    strip_update = None
    if rates is not None:       # the step axis is the strip's, under both
        ax.set_xlabel("")
        ax.tick_params(labelbottom=False)
        strip_update = rate_strip(fig, strip, [
            (i, rate, stage.colors[i]) for i, rate in zip(which, rates, strict=True)
            if rate is not None], steps, TEXT_SIZE)
    if room:
        fit(fig, fig.axes[first:], whole)
        label = ax.yaxis.label.get_window_extent(fig.canvas.get_renderer())
        if label.height > ax.bbox.height:   # longer than its axis, out of the room: the short one
            ax.set_ylabel(name)
            fit(fig, fig.axes[first:], whole)
    name = partial(place_names, ax, names, [spread[1] for *_, spread, _ in curves])
    name(None)      # the room they take, before the first frame: stacked at the top

    def update(k):
        cursor.set_xdata([steps[k], steps[k]])
        out = [cursor, *(strip_update(k) if strip_update else []), *name(k)]
        for band, median, mark, spread, off in curves:
            now = slice(0, k + 1)
            band.set_verts([np.concatenate([np.column_stack([steps[now], spread[0, now]]),
                                            np.column_stack([steps[now], spread[2, now]])[::-1]])])
            median.set_data(steps[now], spread[1, now])
            out += [band, median]
            if off is not None and off <= k:
                mark.set_data([steps[off]], [1])
                out.append(mark)
        return out
    return update


def end_labels(fig, colors, groups):
    """A line per group in its color naming it shortly (see short_names), which place_names
    puts at its curve's end; the first holds the room of the widest and a gap before it."""
    labels = [fig.add_artist(TextLine(0, 0, color, family="sans-serif", size=TEXT_SIZE))
              for color in colors]
    for label, name in zip(labels, short_names([group.label for group in groups]), strict=True):
        label.set_text(name)
        label.reserve([name])
    gap = 0.5 * labels[0].size(fig.dpi)[1]
    labels[0].widest = max(label.widest for label in labels) + gap
    return labels


def place_names(ax, labels, medians, k):
    """Put the curves' names (see end_labels) right of the axes, each at the height of its
    curve at recorded step k (inside the axes' span; one off the top, at the top), nudged
    apart so that none covers another; k None: stacked from the top. Returns them."""
    if not labels:
        return []
    fig = ax.figure
    height = labels[0].size(fig.dpi)[1]
    low, high = ax.bbox.y0 + height / 2, ax.bbox.y1 - height / 2
    if k is None:
        y = high - height * np.arange(len(labels))
    else:
        with np.errstate(all="ignore"):     # a log axis puts 0 at -inf
            y = ax.transData.transform(np.column_stack([np.zeros(len(medians)),
                                                        [median[k] for median in medians]]))[:, 1]
        y = np.clip(np.nan_to_num(y, nan=high, posinf=high, neginf=low), low, high)
    order = np.argsort(-y, kind="stable")       # top first: push each down below the one above
    placed = y[order].copy()
    for i in range(1, len(placed)):
        placed[i] = min(placed[i], placed[i - 1] - height)
    for i in range(len(placed) - 1, -1, -1):    # then up from the bottom, if one left the axes
        placed[i] = max(placed[i], low if i == len(placed) - 1 else placed[i + 1] + height)
    x = ax.bbox.x1 + 0.5 * height
    to_figure = fig.transFigure.inverted()
    for index, at in zip(order, placed, strict=True):
        labels[index].xy = tuple(to_figure.transform((x, at)))
    return labels


def short_names(labels):
    """Names that tell the groups apart in few words: the labels' parts before ' · ' ('too
    small' of 'too small · lr 0.3'); else their words that not all of them share, first
    without the settings ('adam' of 'adam lr=0.1'), then with them ('lr=0.1' of 'sgd lr=0.1');
    else the labels."""
    heads = [label.split(" · ")[0] for label in labels if " · " in label]
    if len(set(heads)) == len(labels):
        return heads
    words = [re.split(r" (?![\d(])", label) for label in labels]  # 'batch 10' is one word
    shared = set.intersection(*map(set, words))
    for settings in (False, True):
        names = [" ".join(word for word in said if word not in shared
                          and (settings or "=" not in word)) for said in words]
        if all(names) and len(set(names)) == len(names):
            return names
    return labels
