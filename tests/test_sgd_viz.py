"""The entry script: simulation against closed forms, the GIF against its own frames, the CLI."""

import numpy as np
import pytest
from PIL import Image, ImageSequence

import sgd_viz
import surfaces
from optimizers import OPTIMIZERS
from surfaces import SURFACES

TINY = ["--balls", "12", "--steps", "6", "--size", "160x120", "--quiet"]


def one_group(run, optimizer=None):
    label = sgd_viz.label(optimizer) if optimizer else "sgd lr=0.1"
    return [sgd_viz.Group(label, sgd_viz.BALL_COLOR, run)]


def scene_of(surface, run, size, title=""):
    return sgd_viz.draw_scene(surface, title, size, one_group(run))


# --- simulation ------------------------------------------------------------------------------

def test_plain_gradient_descent_on_bowl_matches_closed_form():
    # On (x/4)^2 + (y/2)^2 the update is x <- x (1 - lr/8), y <- y (1 - lr/2).
    lr, steps = 0.3, 25
    starts = sgd_viz.uniform_starts(SURFACES["bowl"], 50, np.random.default_rng(1))
    run = sgd_viz.simulate(SURFACES["bowl"], OPTIMIZERS["sgd"](lr=lr), starts, steps)
    t = np.arange(steps + 1)[:, None, None]
    expected = starts * np.array([1 - lr / 8, 1 - lr / 2]) ** t
    np.testing.assert_allclose(run.positions, expected, rtol=1e-12, atol=1e-300)
    bowl = (expected[..., 0] / 4) ** 2 + (expected[..., 1] / 2) ** 2
    np.testing.assert_allclose(run.losses, bowl,
                               rtol=1e-12, atol=1e-300)
    assert not run.diverged.any()


def test_uniform_starts_cover_the_bounds_and_follow_the_seed():
    surface = SURFACES["rosenbrock"]
    starts = sgd_viz.uniform_starts(surface, 5000, np.random.default_rng(3))
    (xmin, xmax), (ymin, ymax) = surface.bounds
    assert starts.shape == (5000, 2)
    assert xmin <= starts[:, 0].min() < xmin + 0.01 and xmax - 0.01 < starts[:, 0].max() <= xmax
    assert ymin <= starts[:, 1].min() < ymin + 0.01 and ymax - 0.01 < starts[:, 1].max() <= ymax
    again = sgd_viz.uniform_starts(surface, 5000, np.random.default_rng(3))
    assert np.array_equal(starts, again)


@pytest.mark.parametrize("surface, lr", [("bowl", 4.5), ("rosenbrock", 1.0),
                                         ("goldstein_price", 1e6), ("saddle", 0.5)])
def test_divergence_freezes_balls_on_the_edge_without_warnings(surface, lr):
    surface = SURFACES[surface]
    starts = sgd_viz.uniform_starts(surface, 200, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=lr), starts, 40)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    assert run.diverged[-1].mean() > 0.5
    assert np.isfinite(run.positions).all() and np.isfinite(run.losses).all()
    frozen = run.diverged[:-1]
    assert np.array_equal(run.positions[1:][frozen], run.positions[:-1][frozen])
    at_rest = run.positions[-1][run.diverged[-1]]
    assert (at_rest[:, 0] >= xmin).all() and (at_rest[:, 0] <= xmax).all()
    assert (at_rest[:, 1] >= ymin).all() and (at_rest[:, 1] <= ymax).all()
    on_edge = ((at_rest == [xmin, ymin]) | (at_rest == [xmax, ymax])).any(axis=1)
    assert on_edge.all()
    assert not run.diverged[0].any()
    # once diverged, always diverged
    assert (run.diverged[1:] >= run.diverged[:-1]).all()


def test_a_good_learning_rate_never_diverges():
    surface = SURFACES["wells"]
    starts = sgd_viz.uniform_starts(surface, 300, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=sgd_viz.LEARNING_RATE), starts, 100)
    assert not run.diverged.any()
    assert run.losses[-1].mean() < run.losses[0].mean()


# --- the GIF ---------------------------------------------------------------------------------

def frames_of(path):
    with Image.open(path) as im:
        return [(np.asarray(f.convert("RGB")), f.info.get("duration")) for f in
                ImageSequence.Iterator(im)]


@pytest.fixture(scope="module")
def tiny_gif(tmp_path_factory):
    out = tmp_path_factory.mktemp("gif") / "tiny.gif"
    assert sgd_viz.main([*TINY, "--out", str(out)]) == 0
    return out


def test_gif_frames_are_exactly_the_drawn_frames(tiny_gif):
    # Delta frames and transparency must composite back to what the canvas showed.
    _, args, plan = sgd_viz.parse([*TINY, "--out", str(tiny_gif)])
    groups = sgd_viz.simulate_groups(args, plan)
    starts = sgd_viz.uniform_starts(plan.surface, 12, np.random.default_rng(sgd_viz.SEED))
    assert np.array_equal(groups[0].run.positions[0], starts)
    with Image.open(tiny_gif) as im:
        palette = Image.new("P", (1, 1))
        palette.putpalette(im.getpalette()[:3 * 255])   # index 255 is kept for transparency
    scene = sgd_viz.draw_scene(plan.surface, sgd_viz.title(plan.surface, groups), (160, 120),
                               groups)
    decoded = frames_of(tiny_gif)
    assert len(decoded) == 7
    for k, (pixels, _) in enumerate(decoded):
        sgd_viz.draw_frame(scene, groups, k)
        canvas = Image.fromarray(np.asarray(scene.fig.canvas.buffer_rgba())[..., :3])
        expected = canvas.quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB")
        assert np.array_equal(pixels, np.asarray(expected)), f"frame {k}"


def test_gif_timing_and_loop(tiny_gif):
    decoded = frames_of(tiny_gif)
    delays = [d for _, d in decoded]
    assert all(d >= 20 for d in delays)
    assert delays[0] == 1000 // sgd_viz.FPS
    assert delays[-1] == 1000 // sgd_viz.FPS + 1000 * sgd_viz.HOLD
    with Image.open(tiny_gif) as im:
        assert im.info["loop"] == 0


def test_balls_are_drawn_over_the_surface():
    surface = SURFACES["wells"]
    starts = sgd_viz.uniform_starts(surface, 40, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=0.1), starts, 2)
    scene = scene_of(surface, run, (400, 300))
    empty = np.array(scene.fig.canvas.buffer_rgba())[..., :3].astype(int)
    sgd_viz.draw_frame(scene, one_group(run), 0)
    pixels = np.asarray(scene.fig.canvas.buffer_rgba())[..., :3].astype(int)
    ball = np.array([int(sgd_viz.BALL_COLOR[i:i + 2], 16) for i in (1, 3, 5)])
    def ball_pixels(image):
        return (np.abs(image - ball).sum(axis=-1) < 40).sum()

    assert ball_pixels(pixels) - ball_pixels(empty) > 40 * 5    # several pixels for each ball


def test_list_names_every_surface_and_optimizer(capsys):
    assert sgd_viz.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in [*SURFACES, *OPTIMIZERS]:
        assert name in out


def test_help_shows_examples(capsys):
    with pytest.raises(SystemExit) as exit_:
        sgd_viz.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "python sgd_viz.py --surface" in out and "--lr" in out


@pytest.mark.parametrize("steps, frames", [(10, 200), (199, 200), (200, 200), (1000, 200),
                                           (5000, 50), (3, 2)])
def test_frame_budget_samples_denser_early_and_ends_on_the_last_step(steps, frames):
    shown = sgd_viz.frame_steps(steps, frames)
    assert shown[0] == 0 and shown[-1] == steps
    assert (np.diff(shown) > 0).all() and len(shown) <= frames
    if steps + 1 <= frames:
        assert np.array_equal(shown, np.arange(steps + 1))
    elif frames >= 8:
        assert len(shown) >= 0.8 * frames
        gaps = np.diff(shown)
        assert gaps[: len(gaps) // 4].mean() < gaps[-len(gaps) // 4:].mean()


@pytest.mark.parametrize("name, batch_size, optimizer, lr", [
    ("wells", None, "adam", 0.05), ("linear_regression", 10, "adam", 0.05),
    ("rosenbrock", None, "momentum", 0.002)])       # the last: 32 of the 50 balls diverge
def test_many_balls_are_stepped_in_blocks_to_the_same_numbers(name, batch_size, optimizer, lr,
                                                              monkeypatch):
    surface = SURFACES[name]
    starts = sgd_viz.uniform_starts(surface, 50, np.random.default_rng(5))

    def run():
        return sgd_viz.simulate(surface, OPTIMIZERS[optimizer](lr=lr), starts, 20, noise=0.3,
                                tol=1e-6, batch_size=batch_size)

    whole = run()
    monkeypatch.setattr(sgd_viz, "BLOCK", 7)
    assert len(sgd_viz.blocks(len(starts))) == 8
    for a, b in zip(whole, run(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_recording_a_sample_gives_the_same_rows_as_the_full_run():
    surface, optimizer = SURFACES["himmelblau"], OPTIMIZERS["adam"](lr=0.3)
    starts = sgd_viz.uniform_starts(surface, 30, np.random.default_rng(2))
    full = sgd_viz.simulate(surface, optimizer, starts, 300)
    rows = sgd_viz.frame_steps(300, 40)
    sample = sgd_viz.simulate(surface, optimizer, starts, 300, rows)
    for name, full_values, sampled in zip(full._fields, full, sample, strict=True):
        assert np.array_equal(full_values[rows], sampled), name


def test_long_runs_are_sampled_to_the_frame_budget(tmp_path):
    out = tmp_path / "long.gif"
    assert sgd_viz.main(["--balls", "5", "--steps", "500", "--frames", "12", "--size",
                         "160x120", "--quiet", "--out", str(out)]) == 0
    assert len(frames_of(out)) == 12


# --- occlusion -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, elevation, azimuth", [
    ("wells", 50, -60), ("wells", 15, -60), ("himmelblau", 30, -60), ("rosenbrock", 40, -125),
    ("six_hump_camel", 25, 120), ("rastrigin", 65, -60)])
def test_hidden_balls_agree_with_an_exact_ray_march(name, elevation, azimuth, monkeypatch):
    # The reference marches every ball's own ray against the true surface with 1000 samples;
    # the scene looks balls up in the horizons of a fan of planes through the eye, and marches
    # only those where neighbouring planes disagree.
    monkeypatch.setitem(sgd_viz.VIEWS, name, sgd_viz.View(elevation, azimuth))
    surface = SURFACES[name]
    balls = sgd_viz.uniform_starts(surface, 2000, np.random.default_rng(1))
    scene = scene_of(surface, sgd_viz.simulate(surface, OPTIMIZERS["sgd"](), balls[:3], 1),
                     (320, 240))
    points = np.column_stack([balls, scene.lift(surface.f(balls))])    # as drawn
    exact = sgd_viz.hidden(points, sgd_viz.height_of(surface, scene.lift), surface.bounds,
                           scene.ax.get_zlim(), scene.ax.get_proj(), samples=1000)
    assert 0.02 < exact.mean() < 0.98          # the view really hides some balls and not all
    assert np.mean(scene.hidden(points) == exact) >= 0.99


def test_the_camera_is_where_matplotlib_puts_it():
    run = sgd_viz.simulate(SURFACES["wells"], OPTIMIZERS["sgd"](), [[0.0, 0.0]], 1)
    scene = scene_of(SURFACES["wells"], run, (320, 240))
    eye, towards = sgd_viz.camera(scene.ax.get_proj())
    assert towards is None
    np.testing.assert_allclose(eye, scene.ax._get_camera_loc(), rtol=1e-9)


@pytest.mark.parametrize("name", ["wells", "rosenbrock"])       # linear and log heights
def test_balls_are_projected_where_mplot3d_draws_them(name):
    from mpl_toolkits.mplot3d import proj3d

    surface = SURFACES[name]
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](), [[0.0, 0.0]], 1)
    scene = scene_of(surface, run, (320, 240))
    points = sgd_viz.uniform_starts(surface, 50, np.random.default_rng(2))
    xyz = np.column_stack([points, scene.lift(surface.f(points))])
    screen, depth = scene.dots[0].project(xyz)
    xs, ys, zs = proj3d.proj_transform(*xyz.T, scene.ax.get_proj())
    np.testing.assert_allclose(screen, scene.ax.transData.transform(np.column_stack([xs, ys])),
                               rtol=1e-9)
    np.testing.assert_allclose(depth, zs, rtol=1e-9)


def test_status_text_is_drawn_where_matplotlib_would_draw_it():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def ink(draw):          # bounding box of the dark pixels a drawing adds to a white canvas
        fig = Figure(figsize=(4, 1), dpi=100)
        FigureCanvasAgg(fig).draw()
        draw(fig)
        dark = np.asarray(fig.canvas.buffer_rgba())[..., :3].min(axis=-1) < 128
        rows, cols = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
        return np.array([rows[0], rows[-1], cols[0], cols[-1]])

    text = "step 12/60  mean loss -1.109"

    def pillow(fig):
        line = fig.add_artist(sgd_viz.TextLine(0.05, 0.5, "black"))
        line.set_text(text)
        fig.draw_artist(line)

    def matplotlib(fig):
        fig.draw_artist(fig.text(0.05, 0.5, text, family="monospace", va="center",
                                 color="black"))

    assert np.abs(ink(pillow) - ink(matplotlib)).max() <= 2       # pixels


def test_on_top_keeps_the_last_point_on_each_pixel_in_drawing_order():
    rng = np.random.default_rng(3)
    points = rng.integers(0, 6, size=(300, 2)).astype(float)
    points[[5, 77]] = np.nan
    last = {tuple(p): i for i, p in enumerate(points) if np.isfinite(p).all()}
    np.testing.assert_array_equal(sgd_viz.on_top(points), sorted(last.values()))
    assert len(sgd_viz.on_top(np.full((3, 2), np.nan))) == 0


def test_markers_drawn_on_whole_pixels_and_only_once_cover_the_same_pixels():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import IdentityTransform

    def image(points):
        fig = Figure(figsize=(1.6, 1.2), dpi=100)
        FigureCanvasAgg(fig).draw()
        fig.draw_artist(fig.add_artist(Line2D(*points.T, ls="", marker="o", ms=3, mfc="C1",
                                              mec="black", mew=0.6,
                                              transform=IdentityTransform())))
        return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)

    rng = np.random.default_rng(4)
    points = rng.normal([80, 60], 6, size=(2000, 2))        # crowded: most pixels repeat
    whole = np.round(points)
    np.testing.assert_array_equal(image(whole), image(points))      # Agg rounds them anyway
    kept = whole[sgd_viz.on_top(whole)]
    assert len(kept) < len(whole) / 2
    covered = (image(whole) < 255).any(axis=-1)
    np.testing.assert_array_equal((image(kept) < 255).any(axis=-1), covered)


def test_trails_follow_an_even_sample_of_at_most_trailed_balls(monkeypatch):
    monkeypatch.setattr(sgd_viz, "TRAILED", 10)
    surface = SURFACES["bowl"]
    starts = sgd_viz.uniform_starts(surface, 25, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=0.5), starts, 12)
    scene = scene_of(surface, run, (160, 120))
    sgd_viz.draw_frame(scene, one_group(run), 12)
    x, y = scene.dots[0].trail.get_data()
    assert np.isnan(x).sum() == 9                   # balls 0, 3, ..., 24, one gap after each
    assert len(x) == 9 * (sgd_viz.TRAIL + 2)        # TRAIL + 1 points and a gap per ball


def test_a_point_in_a_pit_seen_from_the_side_is_hidden_and_from_above_is_not():
    # f = -exp(-r^2): a pit at the origin. From elevation 5 the rim hides its bottom.
    def f(p):
        return -np.exp(-(p[..., 0] ** 2 + p[..., 1] ** 2) * 4)
    bounds = ((-2, 2), (-2, 2))
    bottom = np.array([[0.0, 0.0, -1.0]])
    for elevation, expected in [(5, True), (89, False)]:
        from matplotlib.figure import Figure
        ax = Figure().add_subplot(projection="3d")
        ax.set(xlim=bounds[0], ylim=bounds[1], zlim=(-1, 0))
        ax.view_init(elev=elevation, azim=30)
        assert sgd_viz.hidden(bottom, f, bounds, (-1, 0), ax.get_proj())[0] == expected


def test_seen_from_straight_above_each_pits_wall_on_the_centres_side_is_hidden():
    # The camera's foot is inside the box, so the planes fan all the way round it. Two narrow,
    # steep pits either side of the centre: their walls that face away from the camera are
    # steeper than its rays.
    from matplotlib.figure import Figure

    def f(p):
        x, y = p[..., 0], p[..., 1]
        return -np.exp(-((x - 1.2) ** 2 + y ** 2) * 400) - np.exp(-((x + 1.2) ** 2 + y ** 2) * 400)
    bounds = ((-2, 2), (-2, 2))
    ax = Figure().add_subplot(projection="3d")
    ax.set(xlim=bounds[0], ylim=bounds[1], zlim=(-1, 0))
    ax.view_init(elev=90, azim=30)
    eye, _ = sgd_viz.camera(ax.get_proj())
    assert np.all(np.abs(eye[:2]) < 2)
    xy = np.random.default_rng(0).normal([1.2, 0], 0.06, size=(2000, 2))
    xy = np.concatenate([xy, -xy])
    points = np.column_stack([xy, f(xy)])
    exact = sgd_viz.hidden(points, f, bounds, (-1, 0), ax.get_proj(), samples=1000)
    assert 0.02 < exact.mean() < 0.2
    assert np.all(np.abs(points[exact, 0]) < 1.25)          # never the far walls
    assert np.mean(sgd_viz.visibility(f, bounds, (-1, 0), ax.get_proj())(points) == exact) >= 0.99


def test_a_surface_undefined_near_the_camera_still_hides_what_is_behind_its_hill():
    # NaN heights hide nothing (as in the exact march), and do not blind the planes past them.
    from matplotlib.figure import Figure

    def f(p):
        x, y = p[..., 0], p[..., 1]
        return np.where(x + y > 3, np.nan, np.exp(-(x ** 2 + y ** 2) * 2))
    bounds = ((-2, 2), (-2, 2))
    ax = Figure().add_subplot(projection="3d")
    ax.set(xlim=bounds[0], ylim=bounds[1], zlim=(0, 1))
    ax.view_init(elev=15, azim=45)          # the camera is beyond the corner (2, 2)
    xy = np.random.default_rng(0).uniform(-2, 2, size=(2000, 2))
    points = np.column_stack([xy, f(xy)])[xy.sum(axis=1) <= 3]
    exact = sgd_viz.hidden(points, f, bounds, (0, 1), ax.get_proj(), samples=1000)
    assert 0.2 < exact.mean() < 0.4
    assert np.mean(sgd_viz.visibility(f, bounds, (0, 1), ax.get_proj())(points) == exact) >= 0.99


# --- looks and outputs -----------------------------------------------------------------------

def test_dark_theme_has_a_dark_background(tmp_path):
    out = tmp_path / "dark.gif"
    assert sgd_viz.main(["--balls", "5", "--steps", "2", "--size", "160x120", "--quiet",
                         "--theme", "dark", "--out", str(out)]) == 0
    corner = frames_of(out)[0][0][2, 2]
    assert corner.max() < 40


def test_orbit_turns_the_camera_and_keeps_the_balls_on_the_surface(tmp_path):
    out = tmp_path / "orbit.gif"
    assert sgd_viz.main(["--balls", "5", "--steps", "4", "--size", "160x120", "--quiet",
                         "--orbit", "90", "--out", str(out)]) == 0
    first, last = frames_of(out)[0][0], frames_of(out)[-1][0]
    assert np.mean(np.any(first != last, axis=-1)) > 0.2       # the whole scene moved


def test_html_output_is_a_player_with_every_frame(tmp_path):
    out = tmp_path / "player.html"
    assert sgd_viz.main(["--balls", "5", "--steps", "3", "--size", "160x120", "--quiet",
                         "--out", str(out)]) == 0
    html = out.read_text()
    assert "<script" in html and html.count("data:image/png;base64") >= 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["player.html"]


# --- noise and convergence -------------------------------------------------------------------

def test_noise_is_added_to_the_gradient_from_its_own_seeded_stream():
    surface, lr, sigma = SURFACES["bowl"], 0.5, 0.3
    starts = sgd_viz.uniform_starts(surface, 20, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=lr), starts, 3, noise=sigma, seed=7)
    draws = np.random.default_rng([7, 1])
    x = starts
    for t in range(1, 4):
        x = x - lr * (surface.grad(x) + sigma * draws.standard_normal(x.shape))
        np.testing.assert_allclose(run.positions[t], x, rtol=1e-13)
    # the same noise reaches every optimizer: momentum's first step equals sgd's
    other = sgd_viz.simulate(surface, OPTIMIZERS["momentum"](lr=lr), starts, 1, noise=sigma,
                             seed=7)
    np.testing.assert_allclose(other.positions[1], run.positions[1], rtol=1e-15)


def test_converged_balls_stop_and_a_settled_run_ends():
    surface, tol = SURFACES["bowl"], 1e-4
    starts = sgd_viz.uniform_starts(surface, 50, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=1.0), starts, 400, tol=tol)
    assert run.converged[-1].all() and not run.converged[0].any()
    first = np.argmax(run.converged, axis=0)                 # step each ball stopped at
    for ball, t in enumerate(first):
        assert abs(run.losses[t, ball] - run.losses[t - 1, ball]) < tol
        assert abs(run.losses[t - 1, ball] - run.losses[t - 2, ball]) >= tol
        assert (run.positions[t:, ball] == run.positions[t, ball]).all()
    [cut] = sgd_viz.until_settled([run])
    assert len(cut.steps) == first.max() + 1 and cut.steps[-1] == first.max()
    moving = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=1.0), starts, 400)   # no tol
    assert [len(cut.steps) for cut in sgd_viz.until_settled([run, moving])] == [401, 401]
    for each in (run, moving):      # losses are kept per recorded step, with or without tol
        np.testing.assert_array_equal(each.losses, surface.f(each.positions))


# --- batch, mini-batch and stochastic gradient descent -----------------------------------------

@pytest.mark.parametrize("size", [1, 7, 10, 100])
def test_each_epoch_uses_every_row_once(size):
    batches = sgd_viz.minibatches(100, size, np.random.default_rng(0))
    per_epoch = -(-100 // size)
    for _ in range(3):
        epoch = [next(batches) for _ in range(per_epoch)]
        assert all(len(b) == size for b in epoch[:-1]) and 1 <= len(epoch[-1]) <= size
        assert np.array_equal(np.sort(np.concatenate(epoch)), np.arange(100))


def test_mini_batches_are_really_sampled_and_shared_across_optimizers():
    surface = SURFACES["linear_regression"]
    starts = sgd_viz.uniform_starts(surface, 5, np.random.default_rng(0))
    # With batch size 1 an SGD step is exactly the gradient of one data row.
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=0.1), starts, 1, batch_size=1, seed=3)
    row = next(sgd_viz.minibatches(100, 1, np.random.default_rng([3, 2])))
    np.testing.assert_allclose(run.positions[1], starts - 0.1 * surface.grad(starts, row),
                               rtol=1e-14)
    assert not np.allclose(run.positions[1], starts - 0.1 * surface.grad(starts), rtol=1e-6)
    other = sgd_viz.simulate(surface, OPTIMIZERS["momentum"](lr=0.1), starts, 1, batch_size=1,
                             seed=3)
    np.testing.assert_allclose(other.positions[1], run.positions[1], rtol=1e-15)


def test_batch_gradient_descent_ends_at_the_least_squares_line():
    surface = SURFACES["linear_regression"]
    slope, intercept = np.polyfit(surfaces.REGRESSION_X, surfaces.REGRESSION_Y, 1)
    starts = sgd_viz.uniform_starts(surface, 20, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=0.3), starts, 400)
    np.testing.assert_allclose(run.positions[-1], np.tile([slope, intercept], (20, 1)),
                               atol=1e-8)
    noisy = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=0.3), starts, 400, batch_size=1)
    assert np.abs(noisy.positions[-1] - [slope, intercept]).max() > 1e-3   # SGD keeps jittering


@pytest.mark.parametrize("init", sgd_viz.INITS)
def test_every_init_gives_seeded_starts_inside_the_region(init):
    surface, region = SURFACES["wells"], ((-1.0, 3.0), (-2.0, 0.5))
    starts = sgd_viz.starts_for(surface, 400, np.random.default_rng(4), init, region)
    again = sgd_viz.starts_for(surface, 400, np.random.default_rng(4), init, region)
    assert starts.shape == (400, 2) and np.array_equal(starts, again)
    assert (starts[:, 0] >= -1).all() and (starts[:, 0] <= 3).all()
    assert (starts[:, 1] >= -2).all() and (starts[:, 1] <= 0.5).all()


def test_init_shapes_their_starts():
    surface = SURFACES["bowl"]
    rng = np.random.default_rng(0)
    grid = sgd_viz.starts_for(surface, 25, rng, "grid")
    assert sorted(set(grid[:, 0])) == list(np.linspace(-10, 10, 5))
    assert len({tuple(p) for p in grid}) == 25
    assert not sgd_viz.starts_for(surface, 9, rng, "zeros").any()
    normal = sgd_viz.starts_for(surface, 20000, rng, "normal", ((0, 6), (-3, 3)))
    np.testing.assert_allclose(normal.mean(axis=0), [3, 0], atol=0.05)
    np.testing.assert_allclose(normal.std(axis=0), [1, 1], atol=0.05)
    xavier = sgd_viz.starts_for(surface, 20000, rng, "xavier")
    np.testing.assert_allclose(xavier.std(axis=0), [1, 1], atol=0.03)


# --- groups ----------------------------------------------------------------------------------

def test_groups_are_every_pair_and_share_starts_and_noise(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(sgd_viz, "render", lambda groups, *args, **kwargs: seen.update(
        groups=groups))
    out = tmp_path / "g.gif"
    out.write_bytes(b"GIF89a")          # render is replaced: main only reports its size
    assert sgd_viz.main(["--optimizer", "sgd,adam:betas=0.8/0.99", "--lr", "0.01,0.1",
                         "--noise", "0.2", "--balls", "30", "--steps", "3", "--quiet",
                         "--out", str(out)]) == 0
    groups = seen["groups"]
    assert [g.label for g in groups] == ["sgd lr=0.01", "sgd lr=0.1",
                                         "adam lr=0.01 betas=(0.8, 0.99)",
                                         "adam lr=0.1 betas=(0.8, 0.99)"]
    assert len({g.colour for g in groups}) == 4
    for group in groups[1:]:
        assert np.array_equal(group.run.positions[0], groups[0].run.positions[0])
    # same noise: plain SGD's first step at two learning rates differ by exactly the lr ratio
    step_a = groups[0].run.positions[1] - groups[0].run.positions[0]
    step_b = groups[1].run.positions[1] - groups[1].run.positions[0]
    np.testing.assert_allclose(step_b, 10 * step_a, rtol=1e-10)


def test_label_names_only_the_hyperparameters_that_differ():
    assert sgd_viz.label(OPTIMIZERS["momentum"](lr=0.01, momentum=0.5)) == \
        "momentum lr=0.01 momentum=0.5"
    assert sgd_viz.label(OPTIMIZERS["adam"](lr=0.001)) == "adam lr=0.001"


def test_learning_curve_layout_renders_groups(tmp_path):
    out = tmp_path / "curve.png"
    assert sgd_viz.main(["--optimizer", "sgd,momentum", "--lr", "0.05", "--layout", "curve",
                         "--balls", "10", "--steps", "5", "--size", "320x240", "--quiet",
                         "--out", str(out)]) == 0
    pixels = np.asarray(Image.open(out).convert("RGB")).astype(int)
    for colour in sgd_viz.GROUP_COLOURS[:2]:        # both groups' curves and balls show
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels - rgb).sum(axis=-1) < 30).sum() > 30


# --- presets ---------------------------------------------------------------------------------

def groups_of(argv, tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(sgd_viz, "render", lambda groups, *args, **kwargs: seen.update(
        groups=groups, out=args[2]))
    monkeypatch.chdir(tmp_path)
    out = dict(zip(argv[::2], argv[1::2], strict=False)).get("--out")
    (tmp_path / (out or f"{argv[1]}.gif")).write_bytes(b"GIF89a")
    assert sgd_viz.main([*argv, "--quiet"]) == 0
    return seen


@pytest.mark.parametrize("preset, count", [("learning-rates", 3), ("optimizers", 6),
                                           ("batch-sizes", 3), ("local-minima", 2),
                                           ("saddle", 4)])
def test_every_preset_sets_up_its_groups(preset, count, tmp_path, monkeypatch):
    seen = groups_of(["--preset", preset], tmp_path, monkeypatch)
    assert len(seen["groups"]) == count and seen["out"] == f"{preset}.gif"


def test_preset_lessons_show_in_the_numbers(tmp_path, monkeypatch):
    rates = groups_of(["--preset", "learning-rates"], tmp_path, monkeypatch)["groups"]
    slow, good, wild = (group.run for group in rates)
    assert good.losses[-1].mean() < slow.losses[-1].mean() and wild.diverged[-1].all()
    saddle = groups_of(["--preset", "saddle"], tmp_path, monkeypatch)["groups"]
    plain = saddle[0].run
    assert plain.losses[-1].max() < 1e-3 and not plain.diverged[-1].any()     # stalls
    assert all(group.run.losses[-1].mean() < -0.1 for group in saddle[1:])     # escape


def test_explicit_flags_override_a_preset(tmp_path, monkeypatch):
    seen = groups_of(["--preset", "learning-rates", "--lr", "0.5", "--out", "mine.gif"],
                     tmp_path, monkeypatch)
    assert [group.label for group in seen["groups"]] == ["sgd lr=0.5"]
    assert seen["out"] == "mine.gif"


# --- for notebooks and scripts ---------------------------------------------------------------

def test_trajectories_are_saved_as_npz_and_csv(tmp_path):
    npz, table = tmp_path / "t.npz", tmp_path / "t.csv"
    common = ["--optimizer", "sgd,adam", "--balls", "4", "--steps", "3", "--size", "160x120",
              "--quiet", "--out", str(tmp_path / "t.gif")]
    assert sgd_viz.main([*common, "--save-trajectories", str(npz)]) == 0
    assert sgd_viz.main([*common, "--save-trajectories", str(table)]) == 0
    data = np.load(npz)
    assert list(data["labels"]) == ["sgd lr=0.1", "adam lr=0.1"]
    assert data["positions"].shape == (2, 4, 4, 2) and data["losses"].shape == (2, 4, 4)
    surface = SURFACES[sgd_viz.SURFACE]
    np.testing.assert_allclose(surface.f(data["positions"]), data["losses"], rtol=1e-12)
    rows = table.read_text().splitlines()
    assert rows[0] == "group,step,ball,x,y,loss,status" and len(rows) == 1 + 2 * 4 * 4
    group, step, ball, x, y, loss, status = rows[-1].split(",")
    assert (group, step, ball, status) == ("adam lr=0.1", "3", "3", "moving")
    assert float(x) == data["positions"][1, 3, 3, 0] and float(loss) == data["losses"][1, 3, 3]


def test_animate_gives_a_figure_and_an_animation_for_notebooks(tmp_path):
    fig, animation = sgd_viz.animate(surface="bowl", lr="0.5,1", balls=5, steps=3,
                                     size="200x150", layout="curve")
    assert len(fig.axes) == 2
    out = tmp_path / "notebook.gif"
    from matplotlib.animation import PillowWriter
    animation.save(out, writer=PillowWriter(fps=5))
    frames = frames_of(out)
    assert len(frames) == 4 and frames[0][0].shape == (150, 200, 3)
    colours = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)])
               for c in sgd_viz.GROUP_COLOURS[:2]]
    last = frames[-1][0].astype(int)
    for rgb in colours:     # the full redraw shows the balls and curves of both groups
        assert (np.abs(last - rgb).sum(axis=-1) < 40).sum() > 10


def test_basin_colours_split_the_balls_by_the_minimum_they_end_in():
    surface = SURFACES["wells"]
    starts = sgd_viz.uniform_starts(surface, 400, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=0.1), starts, 150)
    basins = sgd_viz.by_basin(sgd_viz.Group("sgd", sgd_viz.BALL_COLOR, run), surface)
    assert len(basins) == 4 and sum(b.run.positions.shape[1] for b in basins) == 400
    ends = np.concatenate([b.run.positions[-1] for b in basins])
    assert np.array_equal(np.sort(ends, axis=0), np.sort(run.positions[-1], axis=0))
    for basin in basins:        # each basin's balls end together, apart from the others
        spread = np.ptp(basin.run.positions[-1], axis=0).max()
        assert spread < 0.05
    globals_ = [b for b in basins if " *" in b.label]
    assert len(globals_) == 1
    np.testing.assert_allclose(globals_[0].run.positions[-1], np.broadcast_to(
        surface.minima[0], globals_[0].run.positions[-1].shape), atol=1e-3)
    shares = [int(b.label.rsplit(" ", 1)[1].rstrip("%")) for b in basins]
    assert 95 <= sum(shares) <= 105 and shares == sorted(shares, reverse=True)


def test_basin_colours_keep_diverged_balls_apart():
    surface = SURFACES["bowl"]
    starts = sgd_viz.uniform_starts(surface, 50, np.random.default_rng(0))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=4.2), starts, 60)
    basins = sgd_viz.by_basin(sgd_viz.Group("sgd", sgd_viz.BALL_COLOR, run), surface)
    assert basins[-1].label.startswith("diverged") and basins[-1].run.diverged[-1].all()


@pytest.mark.parametrize("layout", sgd_viz.LAYOUTS)
def test_every_layout_renders_every_group(layout, tmp_path):
    out = tmp_path / f"{layout}.png"
    assert sgd_viz.main(["--optimizer", "sgd,momentum", "--lr", "0.01", "--surface",
                         "himmelblau", "--layout", layout, "--balls", "20", "--steps", "4",
                         "--size", "400x300", "--quiet", "--out", str(out)]) == 0
    pixels = np.asarray(Image.open(out).convert("RGB")).astype(int)
    for colour in sgd_viz.GROUP_COLOURS[:2]:
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels - rgb).sum(axis=-1) < 30).sum() > 30, colour


def test_the_contour_panel_shows_each_ball_at_its_position():
    surface = SURFACES["himmelblau"]
    starts = sgd_viz.uniform_starts(surface, 40, np.random.default_rng(6))
    run = sgd_viz.simulate(surface, OPTIMIZERS["sgd"](lr=0.01), starts, 3)
    scene = sgd_viz.draw_scene(surface, "", (400, 300), one_group(run), layout="contour")
    sgd_viz.draw_frame(scene, one_group(run), 3)
    flat = scene.dots[0].flat
    shown = flat.axes.transData.inverted().transform(np.column_stack(flat.get_data()))
    expected = run.positions[3]
    near = np.abs(shown[:, None, :] - expected[None, :, :]).max(axis=-1)
    pixel = max(np.ptp(flat.axes.get_xlim()) / flat.axes.bbox.width,    # data units a pixel
                np.ptp(flat.axes.get_ylim()) / flat.axes.bbox.height)
    assert (near.min(axis=1) <= pixel).all()            # every marker is on a ball
    assert (near.min(axis=0) <= 1.5 * pixel).all()      # every ball is under a marker's pixel


def test_plain_gradient_descent_shows_its_update_rule():
    _, args, plan = sgd_viz.parse(["--balls", "2", "--steps", "1"])
    assert sgd_viz.simulate_groups(args, plan)[0].rule == sgd_viz.PLAIN_RULE
    for optimizer in ("adam", "sgd:momentum=0.5"):
        _, args, plan = sgd_viz.parse(["--optimizer", optimizer, "--balls", "2", "--steps", "1"])
        assert sgd_viz.simulate_groups(args, plan)[0].rule == ""
