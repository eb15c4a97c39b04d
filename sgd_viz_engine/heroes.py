"""Hero balls drawn with what their optimizer does inside each step, and its rule in numbers.

A hero is drawn large over the faint crowd with its whole path and, from where it stands, an
arrow of the step it takes next; beside it, on a panel of at most DETAILED groups with heroes,
an arrow of the step plain gradient descent would take (-lr * gradient), for momentum the part
of the step that the velocity carries, and for an adaptive method a box whose sides, along x
and y, are in the ratio of its learning rates for each coordinate. Everything is read from the
optimizer's own state as the simulation recorded it (simulation.Heroes).

Arrows point the true way in the plane of the surface at the ball's height, but their length
is not to scale: a hero's arrows are drawn at one scale, its longest ARROW pixels long, and
none shorter than SHORTEST, so that they still read when the steps have shrunk to nothing; the
numbers are written in the hero's lines (see words).
"""
import numpy as np

from .looks import style

ARROW = 60                  # pixels at 800x600: a hero's longest arrow; the others in proportion
SHORTEST = 24               # pixels at 800x600: the shortest arrow or side of a box drawn
BOX = 64                    # pixels at 800x600: a side of the box of learning rates for the
                            # largest rate of the run
LARGEST = 2.5               # times BOX: how long a side may grow for the other to reach SHORTEST
DETAILED = 2                # groups with heroes on a panel up to which heroes draw all they do;
                            # with more, only the step taken (six races' arrows are clutter)
ZERO = 1e-9                 # an arrow this share of the hero's longest one is zero (rounding)
HEAD = 7                    # arrowhead length, pixels at 800x600


def shows_inside(groups):
    """Whether heroes among `groups`, drawn together, draw and write all they do."""
    return 0 < sum(group.heroes is not None for group in groups) <= DETAILED


def heroes_drawn(fig, stage, which, lift, pixels, lifted):
    """The heroes of the groups numbered `which` that have them: large balls with their whole
    path and the arrow of the step each takes next; with at most DETAILED such groups, also
    the arrows of the plain gradient step and of the part the momentum carries (from the plain
    step's tip, so that the two add up to the step), and the box of learning rates, each
    hero's arrows at a scale of its own; with more, the steps of all heroes at one scale, so
    that the fastest shows. `pixels` and `lifted` are panels' (moving artists in pixels,
    points on the drawn surface). Returns (k, project) -> the artists of recorded step k."""
    which = [i for i in which if stage.groups[i].heroes is not None]
    detailed = shows_inside([stage.groups[i] for i in which])
    surface, scale = stage.surface, fig.dpi / 100
    low, high = surface.box.T
    nudge = 1e-3 * (high - low)
    drawn, largests = [], {}        # largests: each hero's largest learning rate in its run
    for i in which:
        rates = stage.groups[i].heroes.coordinate_rates
        if rates is not None:
            largests[i] = np.where(np.isfinite(rates), rates, 0).max(axis=(0, 2), initial=0)
        optimizer = stage.groups[i].optimizer
        shown = {"step": True, "gradient step": detailed,
                 "momentum": detailed and optimizer.momentum and not optimizer.adaptive,
                 "rates": detailed and optimizer.adaptive}
        drawn.append((i, *(pixels(fig, gid=f"{name} {i}", **style(name, stage.colors[i]))
                           for name in ("hero", "hero path")),
                      {name: pixels(fig, gid=f"{name} {i}", **style(name, None))
                       for name, on in shown.items() if on}))

    def draw(k, project):
        with np.errstate(all="ignore"):     # a vector that overflows in pixels is not drawn
            return drawn_at(k, project)

    def drawn_at(k, project):
        out, arrows, drawing = [], [], []   # arrows: (lines, start, names, vectors in pixels)
        for i, ball, path, artists in drawn:
            group = stage.groups[i]
            heroes, s = group.heroes, group.run.steps[k]
            run = heroes.run
            lost = run.diverged[s]
            ball.set_data(*project(lifted(surface, lift, run.positions[s][~lost]))[0].T)
            trace = project(lifted(surface, lift, np.clip(run.positions[:s + 1], low, high)
                                   .reshape(-1, 2)))[0].reshape(s + 1, -1, 2)
            gap = np.full_like(trace[:1], np.nan)
            path.set_data(*np.concatenate([trace, gap]).transpose(1, 0, 2).reshape(-1, 2).T)
            out += [path, ball, *artists.values()]
            lines = {name: [] for name in artists}
            drawing.append((artists, lines))
            moving = np.flatnonzero(~(lost | run.converged[s] | run.escaped[s]))
            if s + 1 >= len(run.steps) or not len(moving):
                continue
            at = np.clip(run.positions[s, moving], low, high)
            starts, planes = on_screen(project, lifted(surface, lift, np.stack(
                [at, at + [nudge[0], 0], at + [0, nudge[1]]], axis=1).reshape(-1, 2)), nudge)
            taken = run.positions[s + 1, moving] - run.positions[s, moving]
            plain = -heroes.rates[s] * heroes.gradients[s, moving]
            vectors = {"step": taken, "gradient step": plain, "momentum": taken - plain}
            names = [name for name in vectors if name in artists]
            on_plane = np.einsum("bij,nbj->bni", planes, np.array([vectors[name]
                                                                   for name in names]))
            arrows += [(lines, start, names, pixels_of) for start, pixels_of in
                       zip(starts, on_plane, strict=True)]
            if "rates" in artists:
                lines["rates"] += [box(start, plane, rates, largest, scale)
                                   for start, plane, rates, largest in zip(
                                       starts, planes, heroes.coordinate_rates[s, moving],
                                       largests[i][moving], strict=True)]
        if detailed:                # each hero's arrows at a scale of their own
            sizes = [resized(vectors, ARROW * scale, SHORTEST * scale)
                     for *_, vectors in arrows]
        elif arrows:                # one scale for all: the fastest hero's step the longest
            sizes = np.split(resized(np.concatenate([vectors for *_, vectors in arrows]),
                                     ARROW * scale, SHORTEST * scale), len(arrows))
        for (lines, start, names, _), sized in zip(arrows, sizes if arrows else [], strict=True):
            tips = dict(zip(names, sized, strict=True))
            for name, vector in tips.items():
                lines[name].append(arrow(start + (tips["gradient step"] if name == "momentum"
                                                  else 0), vector, HEAD * scale))
        for artists, lines in drawing:
            for name, artist in artists.items():
                artist.set_data(*(np.concatenate(lines[name]).T if lines[name] else ([], [])))
        return out
    return draw


def on_screen(project, points, nudge):
    """Where balls are drawn, (n, 2), and the matrices (n, 2, 2) that take a vector (dx, dy)
    in the plane at each one's height to pixels there, from `points` (3n, 3) on the surface:
    each ball, then the points `nudge` (dx, dy) from it along x and along y."""
    points = points.reshape(-1, 3, 3).copy()
    points[:, 1:, 2] = points[:, :1, 2]         # at the ball's height
    screen = project(points.reshape(-1, 3))[0].reshape(-1, 3, 2)
    return screen[:, 0], (screen[:, 1:] - screen[:, :1]).transpose(0, 2, 1) / nudge


def resized(vectors, longest, shortest):
    """Vectors (m, 2) in pixels, drawn together at one scale: the longest `longest` long, the
    others in proportion but none shorter than `shortest`; a vector that is zero (ZERO of the
    longest, or not finite) becomes zero."""
    length = np.linalg.norm(vectors, axis=1)
    length = np.where(np.isfinite(length), length, 0.0)
    top = length.max(initial=0.0)
    if not top > 0:
        return np.zeros_like(vectors)
    zero = length <= ZERO * top
    wanted = np.where(zero, 0.0, np.maximum(length * longest / top, shortest))
    return np.nan_to_num(vectors) / np.where(zero, 1.0, length)[:, None] * wanted[:, None]


def arrow(start, vector, head):
    """An arrow from `start` along `vector` (pixels) as a NaN-broken line (7, 2): its shaft,
    then its head; all NaN for a zero vector."""
    length = np.linalg.norm(vector)
    if not length > 0:
        return np.full((7, 2), np.nan)
    end, unit = start + vector, vector / length
    side = unit[::-1] * [-1, 1]
    gap = np.full(2, np.nan)
    head = min(head, 0.5 * length)
    return np.array([start, end, gap, end - head * unit + 0.45 * head * side, end,
                     end - head * unit - 0.45 * head * side, gap])


def box(centre, plane, rates, largest, scale):
    """The box of the learning rates (rate x, rate y) of each coordinate around `centre`, as a
    closed line (6, 2) whose sides run along x and y as `plane` draws them, their lengths in
    pixels in the ratio of the rates: BOX for the `largest` rate of the run, so that the box
    grows and shrinks with the rates; a box whose shorter side would be under SHORTEST is
    drawn larger, its longer side up to LARGEST times BOX (beyond, the shorter stays
    SHORTEST). All NaN where a rate is not a positive number."""
    if not (np.all(np.isfinite(rates)) and np.all(rates > 0) and largest >= rates.max()):
        return np.full((6, 2), np.nan)
    lengths = rates / largest * BOX * scale
    grow = min(SHORTEST * scale / lengths.min(), LARGEST * BOX * scale / lengths.max())
    lengths = np.maximum(lengths * max(grow, 1.0), SHORTEST * scale)
    along = plane.T / np.maximum(np.linalg.norm(plane.T, axis=1, keepdims=True), 1e-9)
    half_x, half_y = along[0] * lengths[0] / 2, along[1] * lengths[1] / 2
    corners = [centre - half_x - half_y, centre + half_x - half_y, centre + half_x + half_y,
               centre - half_x + half_y, centre - half_x - half_y]
    return np.array([*corners, np.full(2, np.nan)])


def carried(taken, plain):
    """The part of a step `taken` that is not the `plain` gradient step: 0 where it is only
    rounding (ZERO of the larger)."""
    part = taken - plain
    larger = max(np.linalg.norm(taken), np.linalg.norm(plain))
    return part if not np.linalg.norm(part) <= ZERO * larger else np.zeros_like(part)


def rounded(value):
    """A number as the picture writes it: two significant digits, a true minus sign."""
    text = f"{value:.2g}" if np.isfinite(value) else str(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def pair(values):
    """(x, y) as the picture writes it."""
    return f"({rounded(values[0])}, {rounded(values[1])})"


def words(group, step, split=False):
    """The lines a group with heroes writes under its own: its optimizer's rule; what its
    state carries and, for an adaptive method, the learning rate of each coordinate (the box),
    if it keeps either; and the sizes of the arrows: the plain gradient step, the part the
    momentum carries and the step taken. The numbers are its first hero's for its next step
    from `step` (the state the step is taken with); at the last step, the state as it ends.
    `split`: each part of a line on a line of its own, for a narrow column."""
    with np.errstate(all="ignore"):     # a step that overflowed is written as it is
        heroes, optimizer = group.heroes, group.optimizer
        row = min(step, len(heroes.rates) - 1)     # at the last step, the state the last one left
        state = [f"{name} {pair(values[row, 0])}" for name, values in heroes.kept.items()
                 if row >= 0]
        if heroes.coordinate_rates is not None and row >= 0:
            state.append(f"lr of x, y {pair(heroes.coordinate_rates[row, 0])}")
        steps = []
        if step < len(heroes.rates):
            taken = heroes.run.positions[step + 1, 0] - heroes.run.positions[step, 0]
            plain = -heroes.rates[step] * heroes.gradients[step, 0]
            if optimizer.plain:
                steps = [f"step = −lr∇f {pair(taken)}"]
            else:
                steps = [f"−lr∇f {pair(plain)}",
                         *([f"carried {pair(carried(taken, plain))}"] if optimizer.momentum
                           and not optimizer.adaptive else []), f"step {pair(taken)}"]
        lines = [optimizer.rule, "   ".join(steps)]
        if heroes.kept or heroes.coordinate_rates is not None:
            lines.insert(1, "   ".join(state))
        if split:
            return [part for line in lines for part in line.replace(",  ", "   ").split("   ")]
        return lines
