"""The phase map (--phases, the momentum-phases preset): its cells against the theory of
momentum on a quadratic, its drawn line against the formula, its file, its words."""
import numpy as np
import pytest
from conftest import plan_of
from matplotlib.text import Text
from PIL import Image

import sgd_viz
from optimizers import OPTIMIZERS
from sgd_viz_engine import phaseplot, phases

BOWL = ["--surface", "bowl", "--optimizer", "sgd", "--steps", "100",
        "--start-region=-2,2,-2,2"]
L = 0.5                 # the bowl (x/4)^2 + (y/2)^2: curvatures 1/8 and 1/2


def map_plan(*argv, out="map.png"):
    return plan_of([*argv, "--out", out])


def cells(spec, balls=6):
    """The map of `spec` on the bowl: each cell's (lr, momentum) and outcome."""
    found = phases.phase_map(map_plan(*BOWL, "--balls", str(balls), "--phases", spec))
    lr, momentum = (axis.values() for axis in found.axes)
    return [(rate, beta, phases.OUTCOMES[found.outcome[j, i]])
            for j, beta in enumerate(momentum) for i, rate in enumerate(lr)]


def test_cells_well_inside_the_theory_converge_and_well_outside_diverge():
    found = cells("lr=0:9:12,momentum=0:0.8:6")
    inside = [words for lr, beta, words in found if lr < 0.8 * 2 * (1 + beta) / L and lr > 0.5]
    outside = [words for lr, beta, words in found if lr > 1.2 * 2 * (1 + beta) / L]
    assert len(inside) > 20 and len(outside) > 10
    assert set(inside) <= {"converges smoothly", "converges, rippling"}
    assert set(outside) == {"diverges"}


def test_little_momentum_at_a_small_rate_is_smooth_and_much_momentum_ripples():
    # real roots of z^2 - (1 + beta - lr k) z + beta for both curvatures k: no overshoot
    smooth = cells("lr=0.4:1:2,momentum=0:0.1:2")
    assert {words for *_, words in smooth} == {"converges smoothly"}
    rippling = cells("lr=2:4:2,momentum=0.6:0.8:2")
    assert {words for *_, words in rippling} == {"converges, rippling"}


def test_too_much_momentum_or_too_small_a_rate_is_too_slow():
    found = cells("lr=0.02:0.1:2,momentum=0.97:0.99:2")
    assert {words for *_, words in found} == {"too slow"}


def test_the_line_drawn_is_the_theory_of_heavy_ball_momentum():
    plan = map_plan(*BOWL, "--balls", "2", "--phases", "lr=0:9:3,momentum=0:1:3")
    found = phases.phase_map(plan)
    (line,) = phaseplot.figure(found, plan).findobj(lambda artist: artist.get_gid() == "boundary")
    lr, beta = line.get_xdata(), line.get_ydata()
    assert beta.min() == 0 and beta.max() == 1
    np.testing.assert_allclose(lr, 2 * (1 + beta) / L, rtol=1e-6)   # L from the curvature
    assert found.curvature == pytest.approx(L, rel=1e-6)


def test_the_line_follows_the_axes_and_is_drawn_only_where_the_theory_holds():
    swapped = phases.phase_map(map_plan(*BOWL, "--balls", "2", "--phases",
                                        "momentum=0:1:2,lr=0:9:2"))
    np.testing.assert_allclose(swapped.boundary[:, 1], 2 * (1 + swapped.boundary[:, 0]) / L,
                               rtol=1e-6)
    other = phases.phase_map(map_plan(*BOWL, "--balls", "2", "--phases",
                                      "lr=0:9:2,dampening=0:0.5:2"))
    assert other.boundary is None


def test_any_two_numbers_of_the_optimizer_make_a_map():
    found = phases.phase_map(map_plan("--surface", "bowl", "--optimizer", "adam", "--balls", "3",
                                      "--steps", "20", "--phases", "lr=0.01:1:3,beta1=0:0.9:2"))
    assert found.outcome.shape == (2, 3) and found.boundary is None
    assert np.allclose(found.shares.sum(axis=-1), 1)


def stepped(name, key, values, x):
    """Four steps on the bowl of optimizer `name` with hyperparameter `key` set to `values`."""
    optimizer = phases.with_values(OPTIMIZERS[name](), {key: values})
    state, at = optimizer.init(x), x
    for _ in range(4):
        at, state = optimizer.update(at, at * [1 / 8, 1 / 2], state)
    return at


@pytest.mark.parametrize("name, key", [(name, key) for name in OPTIMIZERS
                                       for key in phases.names_of(OPTIMIZERS[name]())])
def test_a_hyperparameter_per_ball_moves_each_ball_as_its_own_optimizer(name, key):
    x = np.random.default_rng(0).uniform(-2, 2, (6, 2))
    values = np.array([0.01, 0.2, 0.7] * 2 if key == "lr" else [0.1, 0.3, 0.5] * 2)[:, None]
    try:
        alone = [stepped(name, key, float(value), x[i:i + 1])[0]
                 for i, value in enumerate(values[:, 0])]
    except ValueError:          # Nesterov's dampening: refused alone, refused per ball
        with pytest.raises(ValueError):
            stepped(name, key, values, x)
        return
    assert np.array_equal(stepped(name, key, values, x), np.array(alone))


def size_of(path):
    with Image.open(path) as image:
        return image.size


def test_the_preset_writes_a_png_of_the_picture_size(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    tiny = ["--balls", "3", "--phases", "lr=0:9:6,momentum=0:1:5"]
    assert sgd_viz.main(["--preset", "momentum-phases", *tiny, "--quiet"]) == 0
    assert size_of("momentum-phases.png") == (800, 600)
    assert "6x5 cells" in capsys.readouterr().out
    assert sgd_viz.main(["--preset", "momentum-phases", *tiny, "--size", "1920x1080",
                         "--out", "big.png", "--quiet"]) == 0
    assert size_of("big.png") == (1920, 1080)
    assert sgd_viz.main(["--list"]) == 0
    assert "momentum-phases" in capsys.readouterr().out


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    paths = [tmp_path / f"{name}.png" for name in "ab"]
    for path in paths:
        assert sgd_viz.main([*BOWL, "--balls", "4", "--phases", "lr=0:9:5,momentum=0:1:5",
                             "--seed", "3", "--out", str(path), "--quiet"]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_the_words_are_plain_and_big_enough():
    plan = map_plan(*BOWL, "--balls", "2", "--phases", "lr=0:9:3,momentum=0:1:3")
    fig = phaseplot.figure(phases.phase_map(plan), plan)
    fig.canvas.draw()
    texts = [text for text in fig.findobj(Text) if text.get_visible() and text.get_text()]
    assert min(text.get_fontsize() * fig.dpi / 72 for text in texts) >= 12
    words = {text.get_text() for text in texts}
    assert {"learning rate", "momentum β", *phases.OUTCOMES} <= words
    (title,) = [text for text in texts if text.get_gid() == "title"]
    assert "momentum" in title.get_text().lower() and title.get_fontsize() * fig.dpi / 72 >= 20


@pytest.mark.parametrize("flags, words", [
    (["--phases", "lr"], "two hyperparameters"),
    (["--phases", "lr,speed"], "no number 'speed'"),
    (["--phases", "lr=3:1,momentum"], "LOW < HIGH"),
    (["--phases", "lr,weight_decay"], "weight_decay needs its span"),
    (["--phases", "lr,momentum=-1:1"], "Invalid momentum"),
    (["--phases", "lr,momentum", "--out", "map.html"], "draws a .png"),
    (["--phases", "lr,momentum", "--optimizer", "sgd,adam"], "2 groups"),
    (["--phases", "lr,momentum", "--noise", "1"], "drop --noise"),
    (["--phases", "lr,momentum", "--save-trajectories", "t.npz"], "no trajectories"),
    (["--phases", "lr=0:1:1000,momentum=0:1:1000"], "out of range"),
])
def test_a_map_that_cannot_be_made_is_one_line_and_exit_2(flags, words, tmp_path, capsys,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "map.png"
    argv = [*BOWL, "--out", str(out), *flags]
    assert sgd_viz.main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--phases" in error and words in error
    assert not out.exists() and not (tmp_path / "map.html").exists()


def test_the_walk_is_a_gif_whose_balls_show_every_outcome(tmp_path):
    out = tmp_path / "walk.gif"
    argv = [*BOWL, "--balls", "3", "--fps", "5", "--phases", "lr=0:9:8,momentum=0:1:8"]
    plan = map_plan(*argv, out=str(out))
    fig, update = phaseplot.walk_figure(phases.phase_map(plan), plan, 40)
    (said,) = fig.findobj(lambda artist: artist.get_gid() == "outcome")
    seen = set()
    for k in range(40):
        update(k)
        seen.add(said.get_text())
    assert seen == set(phases.OUTCOMES)
    texts = [text for text in fig.findobj(Text) if text.get_visible() and text.get_text()]
    assert min(text.get_fontsize() * fig.dpi / 72 for text in texts) >= 12
    assert sgd_viz.main([*argv, "--out", str(out), "--quiet"]) == 0
    with Image.open(out) as gif:
        assert gif.size == (800, 600) and gif.n_frames > 10
