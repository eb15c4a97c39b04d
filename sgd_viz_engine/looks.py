"""How things look: one table of markers, lines and colors, read by the artists, the legend and
the GIF palette alike, so that a look is changed in one place and always survives quantisation.
"""
from typing import NamedTuple

GROUP = "group"             # in a style: the color of the ball's group
TINT = "tint"               # in a style: the group's color halfway to white
BALL_COLOR = "#ff6b1a"      # the balls of a lone group
GROUP_COLORS = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#000000", "#56B4E9", "#D55E00",
                 "#F0E442")     # Okabe & Ito's color-blind-safe palette, one color per group,
                                # ordered so that the first six are far apart at 640 px
PHASE_COLORS = {"converges smoothly": "#009E73", "converges, rippling": "#56B4E9",
                "too slow": "#d9d9d9", "diverges": "#D55E00"}   # the phase map's outcomes
SURFACE_CMAP = "GnBu_r"     # the surface under a lone group
GROUPS_CMAP = ("#8a8a8a", "#f2f2f2")    # low to high: a neutral surface under colored groups
CROWD = 300                 # balls drawn at full size; more shrink (see style)


class Look(NamedTuple):
    """A thing drawn: its matplotlib Line2D style at full size (zorder: what is drawn over
    what; the minimum's star over the balls that crowd on it), and its legend entry."""

    style: dict
    legend: str = ""        # the legend's label; "" for none
    legend_size: float = 0  # marker size in the legend, points
    legend_marker: str = ""     # a hollow marker the legend shows instead of the line


LOOKS = {
    # a light rim: balls that crowd keep their color, where black rims summed to a dark blob
    "ball": Look(dict(ls="", marker="o", ms=5.3, mfc=GROUP, mec=TINT, mew=0.6, zorder=2),
                 "ball", 7),
    "hidden": Look(dict(ls="", marker="o", ms=2.6, mfc=GROUP, mec="none", mew=0, alpha=0.35,
                        zorder=1.9), "behind the hill", 4),
    "converged": Look(dict(ls="", marker="o", ms=5.8, mfc=GROUP, mec="white", mew=1.4,
                           zorder=2), "converged", 7),
    "diverged": Look(dict(ls="", marker="X", ms=8.4, mfc="#d62728", mec="black", mew=0.6,
                          zorder=2), "diverged", 8),
    "trail": Look(dict(color=GROUP, lw=1.2, alpha=0.6, zorder=1)),
    # an outline over the balls: a crowd that converged on it shows through
    "minimum": Look(dict(ls="", marker="*", ms=240 ** 0.5, mfc="none", mec="#ffb000", mew=2.2,
                         zorder=2.8), "global minimum", 12),
    "hidden minimum": Look(dict(ls="", marker="*", ms=180 ** 0.5, mfc="none", mec="#b8860b",
                                mew=1.0, alpha=0.6, zorder=1.5)),
    "hero": Look(dict(ls="", marker="o", ms=11, mfc=GROUP, mec="black", mew=1.2, zorder=2.6),
                 "hero ball", 9),
    "hero path": Look(dict(color=GROUP, lw=2.2, zorder=2.4)),
    "step": Look(dict(color="black", lw=2, zorder=2.7), "its next step", 0),
    "gradient step": Look(dict(color="#d62728", lw=2, ls=(0, (1, 1)), zorder=2.75),
                          "plain GD's step −lr∇f", 0),
    "momentum": Look(dict(color="#7a0177", lw=1.6, ls=(0, (3, 1.5)), zorder=2.7),
                     "momentum's part: carried", 0),
    "rates": Look(dict(color="#1f1f1f", lw=1.3, zorder=2.65), "lr of x and of y", 9, "s"),
    "not to scale": Look(dict(ls="", marker=""), "(arrows not to scale)", 0),
    "map ball": Look(dict(ls="", marker="o", ms=4.2, mfc=GROUP, mec=TINT, mew=0.5,
                          zorder=2)),
    "map minimum": Look(dict(ls="", marker="*", ms=160 ** 0.5, mfc="none", mec="#ffb000",
                             mew=2, zorder=4)),
}

THEMES = {                  # matplotlib settings for each theme
    "light": {"figure.facecolor": "white"},
    "dark": {"figure.facecolor": "#14171c", "axes.facecolor": "#14171c",
             "text.color": "#e6e6e6", "axes.labelcolor": "#e6e6e6", "xtick.color": "#b8b8b8",
             "ytick.color": "#b8b8b8", "axes.edgecolor": "#6b7078", "grid.color": "#343a42",
             **{f"axes3d.{axis}axis.panecolor": "#1c2027" for axis in "xyz"}},
}


def group_colors(count, background="white"):
    """The color of each of `count` groups: the ball color for one, else the palette's,
    leaving out a color too close to the background in lightness (black on the dark theme),
    and light grey after the palette."""
    if count == 1:
        return [BALL_COLOR]
    shown = [color for color in (*GROUP_COLORS, "#d9d9d9")
             if abs(lightness(color) - lightness(background)) > 0.1]
    return shown[:count]


def lightness(color):
    """A color's relative luminance, 0 for black to 1 for white (WCAG's weights, no gamma)."""
    from matplotlib.colors import to_rgb  # here: the plan reads this module without it

    red, green, blue = to_rgb(color)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def crowding(balls):
    """How much balls shrink when there are many: 1 up to CROWD balls, 0.41 at 10,000."""
    return min(1.0, (CROWD / balls) ** 0.25)


def style(name, color, scale=1.0):
    """The Line2D keywords of LOOKS[name] for a group of `color`, sizes times `scale`. A crowd
    of balls drawn under half size loses the balls' rims, which only blur it."""
    from matplotlib.colors import to_rgb

    tint = None if color is None else tuple((1 + c) / 2 for c in to_rgb(color))
    style = {key: {GROUP: color, TINT: tint}.get(value, value) if isinstance(value, str)
             else value for key, value in LOOKS[name].style.items()}
    for key in ("ms", "mew", "lw"):
        if key in style:
            style[key] *= scale
    if scale <= 0.5 and name in ("ball", "map ball"):
        style["mew"] = 0.0
    return style


def legend_style(name, color):
    """The Line2D keywords of LOOKS[name] in the legend."""
    look = LOOKS[name]
    marker = dict(ls="", marker=look.legend_marker, mfc="none", mec=look.style.get("color"),
                  mew=look.style.get("lw", 1.0)) if look.legend_marker else {}
    return {**style(name, color), **marker, "ms": look.legend_size, "label": look.legend}


def exact_colors(colors):
    """The colors the GIF palette must hold exactly: the groups' and every color a look
    names (balls and markers are too few pixels to win a palette entry of their own)."""
    named = [value for look in LOOKS.values() for key, value in look.style.items()
             if key in ("color", "mfc", "mec") and value not in (GROUP, TINT, "none")]
    return list(dict.fromkeys([*colors, *named]))
