"""The marks on the picture: honest curves, trails, the star, crowds, hidden balls, groups."""
import dataclasses

import numpy as np
import pytest
from conftest import drawn
from matplotlib import rc_context
from matplotlib.colors import to_rgb

from optimizers import OPTIMIZERS
from sgd_viz_engine import looks
from sgd_viz_engine.scene import draw_frame, draw_scene
from sgd_viz_engine.simulation import Dynamics, Group, simulate, uniform_starts
from surfaces import SURFACES


def run_of(surface, lr, balls, steps, seed=0, optimizer="sgd"):
    starts = uniform_starts(SURFACES[surface], balls, np.random.default_rng(seed))
    return simulate(SURFACES[surface], Dynamics(OPTIMIZERS[optimizer](lr=lr)), starts, steps)


def tagged(scene, gid):
    [artist] = scene.fig.findobj(lambda artist: artist.get_gid() == gid)
    return artist


def frame(scene, k):
    draw_frame(scene, k)
    return np.asarray(scene.fig.canvas.buffer_rgba())[..., :3].astype(int)


def near(image, color, within=40):
    rgb = np.round(255 * np.array(to_rgb(color)))
    return np.abs(image - rgb).sum(axis=-1) < within


def test_a_diverging_groups_median_rises_off_the_top_and_curves_draw_up_to_the_step():
    surface = SURFACES["bowl"]
    groups = [Group("sgd lr=1.5", run_of("bowl", 1.5, 60, 50)),
              Group("sgd lr=4.3", run_of("bowl", 4.3, 60, 50))]
    assert groups[1].run.diverged[-1].all() and not groups[0].run.diverged.any()
    scene = draw_scene(surface, "", (640, 480), groups, "curve", 8)
    for k in (0, 20, 50):
        frame(scene, k)
        good, bad = tagged(scene, "median 0"), tagged(scene, "median 1")
        assert len(good.get_xdata()) == len(bad.get_xdata()) == k + 1   # up to step k only
    top = bad.axes.get_ylim()[1]
    assert bad.get_ydata()[-1] > top                # every ball counted: off the top
    assert np.all(good.get_ydata() < top)
    mark = tagged(scene, "off the top 1")
    assert len(mark.get_xdata()) == 1 and mark.get_xdata()[0] <= 20
    assert mark in scene.fig.findobj(lambda artist: artist.get_gid() == "off the top 1")
    assert len(tagged(scene, "off the top 0").get_xdata()) == 0


def test_balls_that_leave_a_surface_without_minima_count_at_their_last_loss():
    surface = SURFACES["saddle"]
    run = run_of("saddle", 0.3, 40, 30)
    assert run.escaped[-1].mean() > 0.5             # most leave: the loss fell, an escape
    scene = draw_scene(surface, "", (640, 480), [Group("sgd", run)], "curve", 8)
    frame(scene, 30)
    median = tagged(scene, "median 0")
    low, high = median.axes.get_ylim()
    assert np.all((median.get_ydata() >= low) & (median.get_ydata() <= high))
    np.testing.assert_allclose(median.get_ydata()[-1], np.median(run.losses[-1]))


def test_groups_from_the_same_starts_all_show_at_the_first_frame():
    surface = SURFACES["bowl"]
    groups = [Group(f"sgd lr={lr}", run_of("bowl", lr, 60, 5)) for lr in (0.3, 1.5, 4.3)]
    scene = draw_scene(surface, "", (800, 600), groups, "3d", 8)
    image = frame(scene, 0)
    colors = looks.group_colors(3)
    drawn = [near(image, color).sum() for color in colors]
    assert min(drawn) > 0.2 * max(drawn)            # no color covered by the others
    balls = [len(tagged(scene, f"ball {i}").get_xdata()) for i in range(3)]
    assert min(balls) >= 10


def test_the_star_is_drawn_over_the_balls_that_crowd_on_it_and_they_show_through():
    surface = SURFACES["bowl"]
    run = run_of("bowl", 1.5, 300, 40)
    scene = draw_scene(surface, "", (800, 600), [Group("sgd lr=1.5", run)], "3d", 8)
    image = frame(scene, 40)
    x, y = np.round(tagged(scene, "minimum").get_xydata()[0]).astype(int)
    row = image.shape[0] - 1 - y                    # pixels count rows from the top
    outline = near(image[row - 10:row + 11, x - 10:x + 11], looks.LOOKS["minimum"].style["mec"])
    assert outline.sum() >= 30                      # the star's outline, over the crowd
    assert near(image[row - 2:row + 3, x - 2:x + 3], looks.group_colors(1)[0]).any()


@pytest.mark.parametrize("name, moments", [("bowl", [0.5, 1]), ("matyas", [0.5, 1]),
                                           ("booth", [0.5])])
def test_a_crowd_is_not_a_dark_blob(name, moments):
    # balls with black rims, crowding in a valley, summed to black rods; `moments`: frames
    # as shares of the run, all of one scene
    import sgd_viz
    from sgd_viz_engine.plan import make_plan
    from sgd_viz_engine.simulation import simulate_groups

    plan = make_plan({**sgd_viz.settings(), "quiet": True, "surface": name})
    groups = simulate_groups(plan)
    scene = draw_scene(plan.surface, "", (800, 600), groups, "3d", 8)
    empty = np.asarray(scene.fig.canvas.buffer_rgba())[..., :3].astype(int)
    for when in moments:
        image = frame(scene, round(when * (len(groups[0].run.steps) - 1)))
        ball = near(image, looks.BALL_COLOR, 60) & ~near(empty, looks.BALL_COLOR, 60)
        rows, columns = np.nonzero(ball)
        assert len(rows) > 20, when
        box = (slice(rows.min(), rows.max() + 1), slice(columns.min(), columns.max() + 1))
        dark = (image[box].max(axis=-1) < 90) & (empty[box].max(axis=-1) >= 90)
        assert dark.sum() < 0.05 * ball.sum(), when


def test_trail_segments_are_short_and_end_with_the_ball_that_left():
    surface = SURFACES["bowl"]
    run = run_of("bowl", 4.3, 40, 30)
    scene = draw_scene(surface, "", (640, 480), [Group("sgd lr=4.3", run)], "3d", 8)
    ax = scene.axes[0]
    diagonal = np.hypot(ax.bbox.width, ax.bbox.height)
    gone = int(np.argmax(run.diverged.all(axis=1)))     # the first step with every ball out
    assert 3 < gone < 30
    for k in range(1, gone + 2):
        frame(scene, k)
        trail = tagged(scene, "trail 0")
        if k > gone:
            assert trail not in drawn(scene, k, "trail 0")  # their trails end when they leave
            break
        start, end = trail.get_xydata()[0::3], trail.get_xydata()[1::3]
        assert np.nanmax(np.linalg.norm(end - start, axis=1)) < 0.2 * diagonal


def test_hidden_balls_are_small_faint_and_trail_nothing():
    wells = SURFACES["wells"]       # seen from low, where the hills hide some balls
    surface = dataclasses.replace(wells, view=wells.view._replace(elevation=30))
    run = run_of("wells", 0.1, 300, 20)
    scene = draw_scene(surface, "", (800, 600), [Group("sgd lr=0.1", run)], "3d", 8)
    frame(scene, 20)
    hidden, ball = tagged(scene, "hidden 0"), tagged(scene, "ball 0")
    assert len(hidden.get_xdata()) > 5                  # this view hides some balls
    assert hidden.get_markersize() < 0.6 * ball.get_markersize() and hidden.get_alpha() < 0.5
    # the last segment of each trail ends on its ball
    ends = np.round(tagged(scene, "trail 0").get_xydata()[1::3].reshape(-1, 8, 2)[:, -1])
    behind = {tuple(point) for point in hidden.get_xydata()}
    assert sum(tuple(point) in behind for point in ends) < 0.05 * len(behind)


def test_every_group_color_stands_out_from_the_dark_background():
    dark = looks.THEMES["dark"]["figure.facecolor"]
    groups = [Group(name, run_of("bowl", 0.5, 10, 3, optimizer=name))
              for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")]
    with rc_context(looks.THEMES["dark"]):
        scene = draw_scene(SURFACES["bowl"], "", (640, 480), groups, "3d", 8)
        frame(scene, 0)
    for i in range(len(groups)):
        color = tagged(scene, f"ball {i}").get_markerfacecolor()
        assert abs(looks.lightness(color) - looks.lightness(dark)) > 0.1


def test_frames_are_spent_where_the_balls_move(tmp_path):
    # himmelblau: nine tenths of the motion is in the first nine steps
    from PIL import Image, ImageSequence

    import sgd_viz

    out = tmp_path / "paced.gif"
    assert sgd_viz.main(["--surface", "himmelblau", "--size", "160x120", "--quiet",
                         "--out", str(out)]) == 0
    with Image.open(out) as gif:
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]
    shown = durations[1:-1]                 # without the holds of the first and last frames
    assert len(durations) <= 61
    assert sum(shown[:9]) > 0.5 * sum(shown)
    assert max(shown) <= 300 and min(shown) >= 20
