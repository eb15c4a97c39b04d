"""Tick labels that carry their axis's scale: where matplotlib would write a power of ten once,
at the axis's end, which mplot3d may draw out of sight, every label says it (0.25e6)."""
import math

from matplotlib.ticker import ScalarFormatter


class ScaledLabels(ScalarFormatter):
    """matplotlib's labels where they need no power of ten; else each label is its share of
    the axis's power of ten, with it (-0.25e6). No offset: 1e6 + 2 reads 1.000002e6."""

    def __init__(self):
        super().__init__(useOffset=False)
        self.ticks = []

    def set_locs(self, locs):
        self.ticks = list(locs)         # matplotlib's own (locs) is deprecated in 3.11
        super().set_locs(locs)

    def __call__(self, x, pos=None):
        if not super().get_offset():
            return super().__call__(x, pos)
        power = math.floor(math.log10(max(abs(loc) for loc in self.ticks)))
        share = x / 10.0 ** power
        text = f"{share:.{digits(self.ticks, 10.0 ** power)}g}"
        return self.fix_minus(text if share == 0 else f"{text}e{power}")

    def get_offset(self):
        return ""


def digits(locs, scale):
    """Significant digits that tell the ticks at `locs`, divided by `scale`, apart."""
    largest = max(abs(loc) for loc in locs) / scale
    step = min((abs(b - a) / scale for a, b in zip(locs, locs[1:], strict=False) if b != a),
               default=largest)
    return max(1, math.floor(math.log10(largest)) - math.floor(math.log10(step)) + 2)


def scaled(ax):
    """Give the axes of `ax` whose labels are matplotlib's plain numbers ScaledLabels."""
    for axis in (ax.xaxis, ax.yaxis, *([ax.zaxis] if ax.name == "3d" else [])):
        if type(axis.get_major_formatter()) is ScalarFormatter:
            axis.set_major_formatter(ScaledLabels())
