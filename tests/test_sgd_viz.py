"""The entry script end to end: the GIF against its own frames, outputs, groups, presets."""
import base64
import io
import os
import sys

import numpy as np
import pytest
from conftest import gif_frames, plan_of, sweep
from matplotlib.colors import to_rgb
from PIL import Image

import sgd_viz
from optimizers import OPTIMIZERS
from sgd_viz_engine import looks, plan
from sgd_viz_engine.layouts import LAYOUTS
from sgd_viz_engine.scene import PLAIN_RULE, draw_frame, draw_scene, title
from sgd_viz_engine.simulation import simulate_groups, uniform_starts
from surfaces import SURFACES

TINY = ["--balls", "12", "--steps", "6", "--size", "160x120", "--quiet"]




@pytest.fixture(scope="module")
def tiny_gif(tmp_path_factory):
    out = tmp_path_factory.mktemp("gif") / "tiny.gif"
    assert sgd_viz.main([*TINY, "--out", str(out)]) == 0
    return out


@pytest.mark.xdist_group("tiny_gif")      # one render for both
def test_gif_frames_are_exactly_the_drawn_frames(tiny_gif):
    # Delta frames and transparency must composite back to what the canvas showed: the colors
    # of the looks table and the background exactly, the others as Pillow maps them.
    plan = plan_of([*TINY, "--out", str(tiny_gif)])
    groups = simulate_groups(plan)
    starts = uniform_starts(plan.surface, 12, np.random.default_rng(sgd_viz.SEED))
    assert np.array_equal(groups[0].run.positions[0], starts)
    with Image.open(tiny_gif) as im:
        palette = Image.new("P", (1, 1))
        palette.putpalette(im.getpalette()[:3 * 255])   # index 255 is kept for transparency
    exact = [tuple(round(255 * c) for c in to_rgb(color))
             for color in looks.exact_colors([looks.BALL_COLOR, "white"])]
    scene = draw_scene(plan.surface, title(plan.surface, groups), (160, 120), groups, "3d",
                       8)
    decoded = gif_frames(tiny_gif)
    assert len(decoded) == 7
    for k, (pixels, _) in enumerate(decoded):
        draw_frame(scene, k)
        rgb = np.asarray(scene.fig.canvas.buffer_rgba())[..., :3]
        expected = np.array(Image.fromarray(rgb).quantize(
            palette=palette, dither=Image.Dither.NONE).convert("RGB"))
        kept = (rgb[..., None, :] == np.array(exact)).all(axis=-1).any(axis=-1)
        expected[kept] = rgb[kept]
        assert kept.any() and np.array_equal(pixels, expected), f"frame {k}"


@pytest.mark.xdist_group("tiny_gif")      # one render for both
def test_gif_timing_and_loop(tiny_gif):
    decoded = gif_frames(tiny_gif)
    delays = [d for _, d in decoded]
    assert all(d >= 20 for d in delays)
    assert delays[0] == 1000                    # a second to see where the balls start
    assert delays[1:-1] == [1000 // sgd_viz.FPS] * (len(delays) - 2)
    assert delays[-1] == 1000 // sgd_viz.FPS + 1000 * sgd_viz.HOLD
    with Image.open(tiny_gif) as im:
        assert im.info["loop"] == 0


def test_list_names_every_surface_and_optimizer(capsys):
    assert sgd_viz.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in [*SURFACES, *OPTIMIZERS]:
        assert name in out


def test_help_shows_examples(capsys):
    assert sgd_viz.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "python sgd_viz.py --surface" in out and "--lr" in out


def test_long_runs_are_sampled_to_the_frame_budget(tmp_path):
    out = tmp_path / "long.gif"
    assert sgd_viz.main(["--balls", "5", "--steps", "500", "--frames", "12", "--noise", "1",
                         "--size", "160x120", "--quiet", "--out", str(out)]) == 0
    assert len(gif_frames(out)) == 12


def test_dark_theme_has_a_dark_background(tmp_path):
    out = tmp_path / "dark.gif"
    assert sgd_viz.main(["--balls", "5", "--steps", "2", "--size", "160x120", "--quiet",
                         "--theme", "dark", "--out", str(out)]) == 0
    corner = gif_frames(out)[0][0][2, 2]
    assert corner.max() < 40


def test_orbit_turns_the_camera_and_keeps_the_balls_on_the_surface(tmp_path):
    out = tmp_path / "orbit.gif"
    assert sgd_viz.main(["--balls", "5", "--steps", "4", "--size", "320x240", "--quiet",
                         "--orbit", "90", "--out", str(out)]) == 0
    first, last = gif_frames(out)[0][0], gif_frames(out)[-1][0]
    assert np.mean(np.any(first != last, axis=-1)) > 0.1       # the whole scene moved


def written(argv, folder, monkeypatch):
    """Run main() in `folder` with a tiny picture and the trajectories saved: the names of the
    files it wrote, and the trajectories."""
    monkeypatch.chdir(folder)
    assert sgd_viz.main([*argv, "--balls", "3", "--steps", "2", "--size", "160x120", "--quiet",
                         "--save-trajectories", "t.npz"]) == 0
    with np.load(folder / "t.npz") as saved:        # closed here: a ResourceWarning else
        return sorted(os.listdir(folder)), dict(saved)


def test_groups_are_every_pair_and_share_starts_and_noise(tmp_path, monkeypatch):
    _, saved = written(["--optimizer", "sgd,adam:betas=0.8/0.99", "--lr", "0.01,0.1",
                        "--noise", "0.2", "--out", "g.gif"], tmp_path, monkeypatch)
    assert list(saved["labels"]) == ["sgd lr=0.01", "sgd lr=0.1",
                                     "adam lr=0.01 betas=(0.8, 0.99)",
                                     "adam lr=0.1 betas=(0.8, 0.99)"]
    assert len(set(looks.group_colors(4))) == 4
    positions = saved["positions"]                  # (groups, steps, balls, 2)
    for group in positions[1:]:
        assert np.array_equal(group[0], positions[0][0])
    # same noise: plain SGD's first step at two learning rates differ by exactly the lr ratio
    np.testing.assert_allclose(positions[1][1] - positions[1][0],
                               10 * (positions[0][1] - positions[0][0]), rtol=1e-10)


def test_label_names_only_the_hyperparameters_that_differ():
    assert plan.label(OPTIMIZERS["momentum"](lr=0.01, momentum=0.5)) == \
        "momentum lr=0.01 momentum=0.5"
    assert plan.label(OPTIMIZERS["adam"](lr=0.001)) == "adam lr=0.001"


def test_learning_curve_layout_renders_groups(tmp_path):
    out = tmp_path / "curve.png"
    assert sgd_viz.main(["--optimizer", "sgd,momentum", "--lr", "0.05", "--layout", "curve",
                         "--balls", "10", "--steps", "5", "--size", "320x240", "--quiet",
                         "--out", str(out)]) == 0
    pixels = np.asarray(Image.open(out).convert("RGB")).astype(int)
    for color in looks.GROUP_COLORS[:2]:        # both groups' curves and balls show
        rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels - rgb).sum(axis=-1) < 30).sum() > 30


@pytest.mark.parametrize("preset, count", sweep([   # two in the README's command
    ("learning-rates", 3), ("optimizers", 6), ("batch-sizes", 3), ("local-minima", 2),
    ("saddle", 4)], lambda case: case[0] in ("optimizers", "batch-sizes")))
def test_every_preset_sets_up_its_groups(preset, count, tmp_path, monkeypatch):
    files, saved = written(["--preset", preset], tmp_path, monkeypatch)
    assert files == sorted([f"{preset}.gif", "t.npz"]) and len(saved["labels"]) == count


def test_explicit_flags_override_a_preset(tmp_path, monkeypatch):
    files, saved = written(["--preset", "learning-rates", "--lr", "0.5", "--out", "mine.gif"],
                           tmp_path, monkeypatch)
    assert files == ["mine.gif", "t.npz"] and list(saved["labels"]) == ["sgd lr=0.5"]


def test_trajectories_are_saved_as_npz_and_csv(tmp_path):
    npz, table = tmp_path / "t.npz", tmp_path / "t.csv"
    common = ["--optimizer", "sgd,adam", "--lr", "0.1", "--balls", "4", "--steps", "3",
              "--size", "160x120", "--quiet", "--out", str(tmp_path / "t.gif")]
    assert sgd_viz.main([*common, "--save-trajectories", str(npz)]) == 0
    assert sgd_viz.main([*common, "--save-trajectories", str(table)]) == 0
    with np.load(npz) as saved:
        data = dict(saved)
    assert list(data["labels"]) == ["sgd lr=0.1", "adam lr=0.1"]
    assert data["positions"].shape == (2, 4, 4, 2) and data["losses"].shape == (2, 4, 4)
    surface = SURFACES[sgd_viz.SURFACE]
    np.testing.assert_allclose(surface.f(data["positions"]), data["losses"], rtol=1e-12)
    rows = table.read_text().splitlines()
    assert rows[0] == "group,step,ball,x,y,loss,status" and len(rows) == 1 + 2 * 4 * 4
    group, step, ball, x, y, loss, status = rows[-1].split(",")
    assert (group, step, ball, status) == ("adam lr=0.1", "3", "3", "moving")
    assert float(x) == data["positions"][1, 3, 3, 0] and float(loss) == data["losses"][1, 3, 3]


def test_animate_shows_the_command_lines_gif_and_saves_every_kind(tmp_path, monkeypatch):
    settings = dict(surface="bowl", lr=[0.5, 1], balls=5, steps=3, size=(200, 150),
                    layout="curve", theme="dark")
    animation = sgd_viz.animate(**settings)
    monkeypatch.chdir(tmp_path)
    assert sgd_viz.main(["--surface", "bowl", "--lr", "0.5,1", "--balls", "5", "--steps", "3",
                         "--size", "200x150", "--layout", "curve", "--theme", "dark",
                         "--quiet", "--out", "cli.gif"]) == 0
    html = animation._repr_html_()
    assert html.count("base64,") == 1                       # one copy in a saved notebook
    inline = base64.b64decode(html.split("base64,")[1].split('"')[0])
    assert inline == (tmp_path / "cli.gif").read_bytes()    # the same bytes, theme and all
    for name in ["api.gif", "api.png", "api.html", "api.npz", "api.csv"]:
        assert animation.save(tmp_path / name) == str(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 0
    assert html in (tmp_path / "api.html").read_text()      # the page's player
    assert sorted(animation.trajectories) == ["sgd lr=0.5", "sgd lr=1"]
    with np.load(tmp_path / "api.npz") as saved:
        np.testing.assert_array_equal(animation.trajectories["sgd lr=1"]["positions"],
                                      saved["positions"][1])
    with pytest.raises(ValueError, match="api.txt"):
        animation.save(tmp_path / "api.txt")


def test_funcanimation_is_the_slow_path_with_both_groups(tmp_path):
    fig, animation = sgd_viz.animate(surface="bowl", lr="0.5,1", balls=5, steps=3,
                                     size="200x150", layout="curve").funcanimation()
    assert len(fig.axes) == 2
    out = tmp_path / "notebook.gif"
    from matplotlib.animation import PillowWriter
    animation.save(out, writer=PillowWriter(fps=5))
    frames = gif_frames(out)
    assert len(frames) == 4 and frames[0][0].shape == (150, 200, 3)
    colors = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)])
               for c in looks.GROUP_COLORS[:2]]
    last = frames[-1][0].astype(int)
    for rgb in colors:     # the full redraw shows the balls and curves of both groups
        assert (np.abs(last - rgb).sum(axis=-1) < 40).sum() > 10


def test_the_api_takes_python_values_and_minus_signs_and_never_prints(capsys):
    animation = sgd_viz.animate(surface="-x^2 - y^2 + 0.1*x^4 + 0.1*y^4",
                                bounds=(-3, 3, -3, 3), lr=[0.01, 0.1], balls=4, steps=2)
    assert animation.plan.surface.bounds == ((-3, 3), (-3, 3)) and len(animation.groups) == 2
    assert sgd_viz.animate(bounds="-3,3,-3,3", balls=4, steps=2).plan.surface.bounds == (
        (-3, 3), (-3, 3))
    with pytest.raises(TypeError, match="'list'"):
        sgd_viz.animate(list=True)
    with pytest.raises(ValueError, match="preset"):
        sgd_viz.animate(preset="saddles")
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_renders_every_group(layout, tmp_path):
    out = tmp_path / f"{layout}.png"
    assert sgd_viz.main(["--optimizer", "sgd,momentum", "--lr", "0.01", "--surface",
                         "himmelblau", "--layout", layout, "--balls", "20", "--steps", "4",
                         "--size", "400x300", "--quiet", "--out", str(out)]) == 0
    pixels = np.asarray(Image.open(out).convert("RGB")).astype(int)
    for color in looks.GROUP_COLORS[:2]:
        rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels - rgb).sum(axis=-1) < 30).sum() > 30, color


@pytest.mark.parametrize("optimizer, shown", [("sgd", True), ("adam", False),
                                               ("sgd:momentum=0.5", False)])
def test_plain_gradient_descent_shows_its_update_rule(optimizer, shown):
    groups = simulate_groups(plan_of(["--optimizer", optimizer, "--balls", "2", "--steps", "1"]))
    fig = draw_scene(SURFACES["bowl"], "", (160, 120), groups, "3d", 8).fig
    assert (PLAIN_RULE in [text.get_text() for text in fig.texts]) == shown


# --- the settings block and the Python API share the plan's checks ---------------------------

def run_of_settings(monkeypatch, **settings):
    """The run that the settings block, edited as a user would, makes."""
    for name, value in settings.items():
        monkeypatch.setattr(sgd_viz, name, value)
    return sgd_viz.animate(balls=5, steps=2)


def test_settings_are_python_values_as_a_user_writes_them(monkeypatch):
    run = run_of_settings(monkeypatch, LEARNING_RATE=[0.05, 0.5])
    assert list(run.trajectories) == ["sgd lr=0.05", "sgd lr=0.5"]
    ends = {batch: next(iter(run_of_settings(
        monkeypatch, LEARNING_RATE=0.1, SURFACE="linear_regression", BATCH_SIZE=batch)
        .trajectories.values()))["positions"][-1] for batch in (None, 100, 10)}
    np.testing.assert_allclose(ends[100], ends[None], rtol=1e-12)     # the whole batch
    assert np.abs(ends[10] - ends[None]).min() > 1e-6                 # a mini-batch of 10
    run = run_of_settings(monkeypatch, BATCH_SIZE=None, SURFACE="bowl",
                          BOUNDS=((-6, 6), (-3, 3)), OPTIMIZER=["sgd", "adam"])
    assert len(run.trajectories) == 2
    starts = next(iter(run.trajectories.values()))["positions"][0]
    assert (np.abs(starts) <= [6, 3]).all() and (np.abs(starts[:, 0]) > 3).any()


def test_a_bad_setting_is_one_line_naming_its_setting(monkeypatch, capsys):
    monkeypatch.setattr(sgd_viz, "LEARNING_RATE", -1)
    assert sgd_viz.main(["--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "LEARNING_RATE = -1: " in err and "> 0" in err


def test_the_python_api_raises_the_command_lines_reason(capsys):
    with pytest.raises(ValueError) as error:
        sgd_viz.animate(lr=[0.1, -2])
    assert sgd_viz.main(["--lr", "0.1,-2"]) == 2
    assert capsys.readouterr().err == "sgd_viz.py: error: argument --lr: " + str(
        error.value).removeprefix("lr=[0.1, -2]: ") + "\n"
    with pytest.raises(TypeError, match="'ball'.*'balls'"):
        sgd_viz.animate(ball=5)


def test_an_animation_ends_once_every_ball_has_settled(tmp_path):
    # booth's balls reach the minimum long before 200 steps; the still frames are left out.
    groups = simulate_groups(plan_of(["--surface", "booth", "--steps", "200"]))
    run = groups[0].run
    assert 30 <= len(run.steps) < 150
    span = np.ptp(np.array(SURFACES["booth"].bounds, dtype=float), axis=1).max()
    moved = np.abs(run.positions[-2] - run.positions[-1]).max()
    assert 0 < moved and np.abs(run.positions[-1] - SURFACES["booth"].minima).max() < 1e-3 * span


def test_every_color_of_the_looks_comes_out_exactly(tmp_path):
    out = tmp_path / "exact.gif"        # wells at 400x300: its minimum star shows from the start
    assert sgd_viz.main(["--balls", "40", "--steps", "3", "--size", "400x300", "--quiet",
                         "--out", str(out)]) == 0
    first = gif_frames(out)[0][0].reshape(-1, 3)
    for color in ("white", looks.BALL_COLOR, looks.LOOKS["minimum"].style["mfc"]):
        rgb = [round(255 * c) for c in to_rgb(color)]
        assert (first == rgb).all(axis=1).sum() >= 10, color


@pytest.mark.parametrize("tty, quiet, shown", [(True, [], True), (True, ["--quiet"], False),
                                                (False, [], False)])
def test_one_progress_bar_counts_every_step_simulated_and_every_frame_drawn(
        tty, quiet, shown, tmp_path, monkeypatch):
    bars = []

    class Bar:
        def __init__(self, total, disable, **_):
            self.total, self.disable, self.n = total, disable, 0
            bars.append(self)

        def update(self, n=1):
            self.n += n

        def __enter__(self):
            return self

        def __exit__(self, *_):
            return False

    class Stderr(io.StringIO):
        def isatty(self):
            return tty

    monkeypatch.setattr(sgd_viz, "tqdm", Bar)
    monkeypatch.setattr(sys, "stderr", Stderr())
    assert sgd_viz.main(["--balls", "5", "--steps", "7", "--lr", "0.01,0.02", "--size",
                         "160x120", *quiet, "--out", str(tmp_path / "p.gif")]) == 0
    (bar,) = bars
    assert bar.disable == (not shown)
    assert bar.n == bar.total == 2 * 7 + 8          # two groups' steps, then eight frames
