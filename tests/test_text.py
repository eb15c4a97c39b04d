"""Text that reads: the texts a scene draws (titles, labels, tick labels, legend, status lines,
tallies) overlap neither each other nor the figure's edge, and are large enough, in every
layout and at the sizes a picture is made for (a README, a page, a slide)."""
import itertools
from unittest import mock

import numpy as np
import pytest
from conftest import sweep
from matplotlib.text import Text

from optimizers import OPTIMIZERS
from sgd_viz_engine.scene import draw_scene, scale, title
from sgd_viz_engine.simulation import Dynamics, Group, simulate, starts_for
from sgd_viz_engine.textline import TextLine
from surfaces import SURFACES

SIZES = [(640, 480), (800, 600), (1920, 1080)]


def drawn_texts(scene, frames, em=False, legends=False):
    """(text, (x0, y0, x1, y1) in pixels) of every text drawn in the frames: matplotlib's texts
    that drawing the figure actually draws, and the frames' Pillow lines; with `em`, (text,
    font size in pixels) instead; with `legends`, a legend as one box, its marks and its
    texts."""
    fig, drawn = scene.fig, []
    original = Text.draw

    def draw(text, renderer):
        if text.get_visible() and text.get_text().strip():
            drawn.append(text)
        return original(text, renderer)

    with mock.patch.object(Text, "draw", draw):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    static = [(text.get_text(), text.get_fontsize() * fig.dpi / 72 if em else
               tuple(text.get_window_extent(renderer).extents)) for text in drawn]
    if legends:     # a legend's marks are part of its lines: it is one box
        told = {text for legend in fig.legends for text in legend.texts}
        static = [(text.get_text(), box) for text, (_, box) in zip(drawn, static, strict=True)
                  if text not in told]
        static += [(" / ".join(text.get_text() for text in legend.texts),
                    tuple(legend.get_window_extent(renderer).extents)) for legend in fig.legends]
    for k in frames:
        lines = []
        for update in scene.updates:
            for artist in update(k):
                if isinstance(artist, TextLine) and artist.text:
                    width, height = artist.size(fig.dpi)
                    x, y = fig.transFigure.transform(artist.xy)
                    lines.append((artist.text, artist.font.get_size_in_points() * fig.dpi / 72
                                  if em else (x, y - height / 2, x + width, y + height / 2)))
        yield static + lines


def collisions(scene, frames):
    """Pairs of texts drawn in one of the frames that overlap by more than a pixel, and texts
    past the figure's edge."""
    width, height = scene.fig.canvas.get_width_height()
    found = set()
    for boxes in drawn_texts(scene, frames, legends=True):
        found.update((one, other) for (one, a), (other, b) in itertools.combinations(boxes, 2)
                     if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1
                     and b[1] < a[3] - 1)
        found.update((text, "edge") for text, (x0, y0, x1, y1) in boxes
                     if x0 < -1 or y0 < -1 or x1 > width + 1 or y1 > height + 1)
    return sorted(found)


def scene_of(name, layout, size, count):
    surface = SURFACES[name]
    groups = []
    for lr in [3e-4, 1e-3, 3e-3, 1e-2, 3e-2][:count]:
        optimizer = OPTIMIZERS["momentum"](lr=lr)
        starts = starts_for(surface, 20, np.random.default_rng(0), "uniform", surface.lesson.start)
        groups.append(Group(f"momentum lr={lr:g}", simulate(surface, Dynamics(optimizer),
                                                            starts, 4),
                            optimizer))
    return draw_scene(surface, title(surface, groups), size, groups, layout, 8), groups


# Every layout at every size, on the surfaces with the longest formulas and tick labels, the
# steepest cameras and the most crowds; benchmarks/text_collisions.py checks every surface.
# The README's test command draws each layout once, at one size each (multiples at the smallest,
# where its panels are most crowded); .ci/run's slow step draws all twelve.
ALL = [(name, layout, size) for name, (layout, size) in zip(
    itertools.cycle(["goldstein_price", "levi", "ackley", "himmelblau", "rosenbrock", "wells"]),
    itertools.product(["3d", "curve", "contour", "multiples"], SIZES), strict=False)]
CASES = sweep(ALL, lambda case: ALL.index(case) in (0, 4, 8, 9))


# Text sizes at 800x600, font sizes in pixels (the em); in proportion to the picture's scale at
# other sizes (scene.scale), and never under 10 px at 640x480.
TITLE_PX, LINE_PX, SMALLEST_PX = 22, 16, 12


@pytest.mark.parametrize("name, layout, size", CASES)
def test_no_text_collides_and_every_text_is_large_enough(name, layout, size):
    count = {"3d": 1, "curve": 3, "contour": 2, "multiples": 4}[layout]
    scene, groups = scene_of(name, layout, size, count)
    frames = [0, len(groups[0].run.steps) - 1]
    assert collisions(scene, frames) == []
    ratio = scale(size)
    sizes = [(text.replace("\n", " "), px) for texts in drawn_texts(scene, frames, em=True)
             for text, px in texts]
    heading = title(SURFACES[name], groups)
    lines = [px for text, px in sizes if text.startswith(tuple(g.label for g in groups))]
    assert [px for text, px in sizes if text == heading] and lines
    assert all(px >= TITLE_PX * ratio for text, px in sizes if text == heading)
    assert all(px >= LINE_PX * ratio for px in lines)
    assert all(px >= max(SMALLEST_PX * ratio, 10) for _, px in sizes), sorted(
        sizes, key=lambda pair: pair[1])[:3]


# A group's line longer than the room beside the legend; eight small multiples, whose names
# fill the top of every column (issue: the legend ran over them); 3D axes named at length,
# whose labels met their tick labels.
CROWDED = {"long line": ["--surface", "sin(x)*cos(y) + 0.1*(x^2 + y^2) + 0.01*x*y",
                         "--optimizer", "adam:betas=0.81/0.991:amsgrad=true", "--lr", "0.0123456"],
           "eight multiples": ["--layout", "multiples",
                               "--lr", "0.001,0.003,0.01,0.03,0.1,0.3,1,3"],
           "six optimizers": ["--layout", "multiples", "--surface", "rosenbrock", "--optimizer",
                              "sgd,momentum,nesterov,adam,rmsprop,adagrad"],
           "long axis names": ["--preset", "initialisation"],       # 'v (output weight)'
           "and the curves": ["--preset", "batch-sizes"]}           # 'b (intercept)'


@pytest.mark.parametrize("case, size", sweep([
    ("long line", "640x480"), ("eight multiples", "640x480"), ("long axis names", "640x480"),
    ("and the curves", "800x600"), ("six optimizers", "640x480"), ("six optimizers", "800x600"),
    ("long axis names", "800x600")], lambda case: case[0] != "six optimizers" and case != (
        "long axis names", "800x600")))
def test_no_text_collides_with_long_lines_or_many_panels(case, size):
    assert collisions(*scene_from(CROWDED[case], size)) == []


# --- the words: a title, the groups' names, the table on request ------------------------------

def scene_from(argv, size="800x600", balls=8, steps=20):
    """The scene of these flags, 8 balls, 20 steps, and its first and last frames."""
    import sgd_viz
    from sgd_viz_engine import cli, output, plan, simulation

    made = plan.make_plan(cli.parse([*argv, "--balls", str(balls), "--steps", str(steps),
                                     "--size", size],
                                    sgd_viz.settings(), sgd_viz.PRESETS))
    groups = simulation.simulate_groups(made)
    scene = draw_scene(made.surface, output.scene_title(made.surface, groups, made.shared,
                                                        made.title), made.size, groups,
                       made.layout, made.trail, made.table)
    return scene, [0, len(groups[0].run.steps) - 1]


def texts_of(argv):
    """Every text that the scene of these flags draws at its first and last frame."""
    scene, frames = scene_from(argv)
    return [text for boxes in drawn_texts(scene, frames) for text, _ in boxes]


def test_a_plain_run_gets_a_title_from_its_settings_and_a_given_one_replaces_it():
    assert "Gradient descent on Himmelblau's function" in texts_of(["--surface", "himmelblau"])
    assert "Gradient descent, momentum and Adam on a bowl" in texts_of(
        ["--surface", "bowl", "--optimizer", "sgd,momentum,adam"])
    assert "Too large diverges" in texts_of(["--title", "Too large diverges"])
    assert not any("Gradient descent" in text for text in texts_of(["--title", ""]))


def test_labels_name_the_groups_and_the_table_is_on_request():
    texts = texts_of(["--surface", "bowl", "--lr", "0.3,4.3", "--labels", "too small,too large"])
    lines = [text for text in texts if text.startswith(("too small", "too large"))]
    assert lines and all("mean loss" not in line for line in lines)
    assert any(line.startswith("too large") and "diverged 8/8" in line for line in lines)
    table = texts_of(["--surface", "bowl", "--lr", "0.3,4.3", "--table"])
    assert any("mean loss" in text and "diverged" in text for text in table)


def test_a_groups_number_keeps_its_form_and_never_hides_divergence():
    """Levi over its whole domain loses a ball by step 30 and another later, while 2% reach
    the minimum: the line must not flip from "diverged 1/300" to "2% reach ★" and drop the
    divergence."""
    import re

    import sgd_viz
    from sgd_viz_engine import cli, plan, simulation
    from sgd_viz_engine.panels import lesson_number

    made = plan.make_plan(cli.parse(["--surface", "levi", "--bounds=-10,10,-10,10", "--lr",
                                     "0.015", "--start-region=-2,4,-2,4"], sgd_viz.settings(),
                                    sgd_viz.PRESETS))
    group, = simulation.simulate_groups(made)
    said = [lesson_number(made.surface, group.run, k) for k in range(len(group.run.steps))]
    assert group.run.diverged[-1].any() and not group.run.diverged[0].any()
    assert all(re.fullmatch(r"\d+% reach ★ · \d+ diverged", line) for line in said), said
    assert said[-1].endswith(f"· {group.run.diverged[-1].sum()} diverged")


def test_a_preset_keeps_its_names_unless_its_groups_are_changed():
    import sgd_viz
    from sgd_viz_engine import cli

    presets = {"two": ("two rates", "--lr 0.1,0.2 --labels='slow one,fast one' --title 'A b'")}
    read = cli.parse(["--preset", "two"], sgd_viz.settings(), presets)
    assert read["labels"] == "slow one,fast one" and read["title"] == "A b"
    assert cli.parse(["--preset", "two", "--lr", "0.3"], sgd_viz.settings(),
                     presets)["labels"] is None


def drawn_marks(scene, frames):
    """The kinds of mark (by their artists' gid: 'hidden', 'diverged', ...) that the frames draw."""
    return {artist.get_gid().split()[0] for k in frames for update in scene.updates
            for artist in update(k)
            if artist.get_gid() and hasattr(artist, "get_xdata") and len(artist.get_xdata())}


@pytest.mark.parametrize("argv", [["--surface", "bowl", "--lr", "0.5"],
                                  ["--surface", "bowl", "--lr", "4.3"],
                                  ["--surface", "himmelblau", "--lr", "0.01,0.02"],
                                  ["--surface", "matyas", "--start-region=-2,2,-2,2"]])
def test_the_legend_names_only_what_the_picture_draws(argv):
    scene, (_, last) = scene_from(argv)
    marks = drawn_marks(scene, range(last + 1))
    told = {text for legend in scene.fig.legends for text in
            (text.get_text() for text in legend.texts)}
    assert ("diverged" in told) == ("diverged" in marks)
    assert ("behind the hill" in told) == ("hidden" in marks)
    assert "global minimum" in told


@pytest.mark.parametrize("preset, names", sweep([    # six curves only in the slow step
    ("learning-rates", ["too small", "just right", "too large"]),
    ("optimizers", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]),
    ("schedules", ["constant rate", "cosine schedule"])], lambda case: case[0] != "optimizers"))
def test_several_curves_are_named_at_their_ends_in_order(preset, names):
    scene, frames = scene_from(["--preset", preset])
    assert [pair for pair in collisions(scene, frames) if set(pair) & set(names)] == []
    ax = next(ax for ax in scene.fig.axes if any(
        (line.get_gid() or "").startswith("median") for line in ax.lines))
    for k in frames:
        drawn = dict(next(drawn_texts(scene, [k])))
        sizes = dict(next(drawn_texts(scene, [k], em=True)))
        assert all(drawn[name][0] > ax.bbox.x1 and sizes[name] >= 12 for name in names)
        ends = [line.get_ydata()[-1] for line in ax.lines
                if (line.get_gid() or "").startswith("median")]
        with np.errstate(divide="ignore"):
            heights = ax.transData.transform(np.column_stack([np.zeros(len(ends)), ends]))[:, 1]
        heights = np.clip(np.nan_to_num(heights, posinf=np.inf), ax.bbox.y0, ax.bbox.y1)
        # the names stand in the order of the curves' ends (one off the top is at the top)
        middles = [(drawn[name][1] + drawn[name][3]) / 2 for name in names]
        assert all(middles[i] < middles[j] for i, j in itertools.permutations(range(len(names)), 2)
                   if heights[i] < heights[j] - 1)


@pytest.mark.parametrize("preset, balls, steps", [("warm-restarts", 150, 100),
                                                  ("batch-sizes", 60, 100)])
def test_a_crowd_label_beside_the_star_says_what_the_status_says(preset, balls, steps):
    """One criterion on one frame: a share written beside the star is the share that reaches
    it (balls still bouncing across the star's well, or wandering in a noise ball, are no
    crowd there); a warm-restarts run cut mid-cycle wrote 37% and 29% beside '0% reach ★'."""
    scene, (_, last) = scene_from(["--preset", preset], balls=balls, steps=steps)
    drawn = [artist for update in scene.updates for artist in update(last)]
    stars = np.concatenate([np.column_stack(artist.get_data()) for artist in drawn
                            if artist.get_gid() == "minimum"])
    reach = {line.color: line.text.split("% reach")[0].split()[-1] for line in drawn
             if isinstance(line, TextLine) and "% reach" in line.text}
    tallies = [line for line in drawn if (line.get_gid() or "").startswith("tally")]
    assert reach and len(stars)
    for tally in tallies:
        width, height = tally.size(scene.fig.dpi)
        corner = scene.fig.transFigure.transform(tally.xy) - [0, height / 2]
        if np.hypot(*(stars - corner).T).min() < 3 * height:
            assert tally.text == f"{reach[tally.color]}%", (tally.text, reach)
