"""The Python API in Python's words: a surface as a Python function with its gradient (given,
or numerical to a stated accuracy), declared minima, any spelling of a setting, numpy values,
and messages that name a setting as the caller wrote it: keyword, settings block or flag."""
import re

import numpy as np
import pytest
from PIL import Image

import sgd_viz

FEW = dict(balls=6, steps=3)
POINTS = np.random.default_rng(1).uniform(-2.5, 2.5, (50, 2))


def waves(x, y):
    return np.sin(x) * np.cos(y) + 0.1 * x ** 2 + np.exp(0.2 * y)


def waves_grad(x, y):
    return np.cos(x) * np.cos(y) + 0.2 * x, -np.sin(x) * np.sin(y) + 0.2 * np.exp(0.2 * y)


def kinked(x, y):
    return waves(x, y) + np.abs(x - 0.1)    # abs takes no complex step: central differences


def kinked_grad(x, y):
    dx, dy = waves_grad(x, y)
    return dx + np.sign(x - 0.1), dy


def gradient_at(surface, points):
    return sgd_viz.animate(surface=surface, bounds=(-3, 3, -3, 3), **FEW).plan.surface.grad(points)


def test_a_function_that_takes_complex_numbers_gets_the_complex_steps_exact_gradient():
    exact = np.stack(waves_grad(POINTS[:, 0], POINTS[:, 1]), axis=-1)
    np.testing.assert_allclose(gradient_at(waves, POINTS), exact, rtol=1e-14, atol=1e-14)


def test_a_function_that_does_not_gets_central_differences_to_1e_8():
    exact = np.stack(kinked_grad(POINTS[:, 0], POINTS[:, 1]), axis=-1)
    np.testing.assert_allclose(gradient_at(kinked, POINTS), exact, rtol=1e-8, atol=1e-8)


def test_a_given_gradient_is_the_one_used_and_is_checked_against_the_slopes():
    animation = sgd_viz.animate(surface=waves, grad=waves_grad, bounds=(-3, 3, -3, 3), **FEW)
    np.testing.assert_array_equal(animation.plan.surface.grad(POINTS),
                                  np.stack(waves_grad(POINTS[:, 0], POINTS[:, 1]), axis=-1))
    with pytest.raises(ValueError, match=r"^grad=<function .*: grad\(x, y\) is .* where waves's "
                                         r"slope is"):
        sgd_viz.animate(surface=waves, grad=lambda x, y: (x, y), **FEW)
    with pytest.raises(ValueError, match="^grad=.*: a gradient goes with a surface given as a "
                                         "Python function"):
        sgd_viz.animate(surface="bowl", grad=waves_grad, **FEW)


def test_a_function_rolls_the_balls_as_the_same_formula_does():
    settings = dict(bounds=(-3, 3, -3, 3), lr=0.05, balls=20, steps=30, optimizer="adam")
    function = sgd_viz.animate(surface=lambda x, y: (x - 1) ** 2 + 3 * np.sin(y) ** 2,
                               **settings)
    formula = sgd_viz.animate(surface="(x - 1)^2 + 3*sin(y)^2", **settings)
    np.testing.assert_allclose(function.trajectories["adam lr=0.05"]["positions"],
                               formula.trajectories["adam lr=0.05"]["positions"], rtol=1e-12)


@pytest.mark.parametrize("surface, words", [
    (lambda x, y: float(x) + y, "failed on numpy arrays"),          # a scalar-only function
    (lambda x, y: np.ones(3), "returned shape (3,)"),
    (lambda x, y: np.log(x) + y, "is nan at x ="),                  # not finite on the bounds
])
def test_a_function_that_cannot_be_a_surface_is_refused_in_words(surface, words):
    with pytest.raises(ValueError, match=r"^surface=<function <lambda>.*: .*" + re.escape(words)):
        sgd_viz.animate(surface=surface, **FEW)


def gold_pixels(path):
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return int((np.abs(pixels - [255, 215, 0]).sum(axis=-1) < 40).sum())


def test_a_formula_declares_its_minima_on_the_command_line(tmp_path, capsys):
    formula = ["--surface", "(x - 1)^2 + (y + 2)^2 * (y - 2)^2", "--balls", "20", "--steps", "3",
               "--size", "320x240", "--quiet"]
    assert sgd_viz.main([*formula, "--out", str(tmp_path / "none.png")]) == 0
    assert sgd_viz.main([*formula, "--minima=1,2;1,-2", "--out", str(tmp_path / "two.png")]) == 0
    assert gold_pixels(tmp_path / "none.png") == 0 < gold_pixels(tmp_path / "two.png")
    assert sgd_viz.main([*formula, "--minima=0,0", "--out", str(tmp_path / "bad.png")]) == 2
    assert capsys.readouterr().err.startswith(
        "sgd_viz.py: error: argument --minima: (x - 1)^2 + (y + 2)^2 * (y - 2)^2 is 17 at (0, 0) "
        "but")
    assert sgd_viz.animate(surface=lambda x, y: (x - 1) ** 2 + (y + 2) ** 2,
                           minima=np.array([[1, -2]]), **FEW).plan.surface.minima.tolist() == [
        [1, -2]]


def test_a_setting_takes_its_own_name_and_its_flags():
    by_flag = sgd_viz.animate(lr=0.1, start_region=(-1, 1, -1, 1), **FEW)
    by_name = sgd_viz.animate(learning_rate=0.1, start_region=(-1, 1, -1, 1), **FEW)
    assert [group.label for group in by_name.groups] == ["sgd lr=0.1"]
    np.testing.assert_array_equal(by_flag.trajectories["sgd lr=0.1"]["positions"],
                                  by_name.trajectories["sgd lr=0.1"]["positions"])
    with pytest.raises(TypeError, match="'lr' and 'learning_rate', two names of one setting"):
        sgd_viz.animate(lr=0.1, learning_rate=0.2)
    for wrong, meant in [("learning_rat", "'learning_rate'"), ("LEARNING_RATE", "'learning_rate'"),
                         ("ball", "'balls'"), ("start_regio", "'start_region'")]:
        with pytest.raises(TypeError, match=f"unknown setting '{wrong}'; did you mean .*{meant}"):
            sgd_viz.animate(**{wrong: 1})


@pytest.mark.parametrize("keyword, value, message", [
    ("lr", -1, "lr=-1: out of range: needs > 0"),
    ("learning_rate", [0.1, -1], "learning_rate=[0.1, -1]: -1 is out of range: needs > 0"),
    ("balls", "many", "balls='many': not an integer"),
    ("color", "basin", "color='basin': basin colors the balls of one group; these settings "
                       "make 2 groups"),
])
def test_animate_names_the_keyword_as_written(keyword, value, message):
    options = {"lr": [0.1, 0.2]} if keyword == "color" else {}
    with pytest.raises(ValueError) as raised:
        sgd_viz.animate(**{keyword: value}, **options)
    assert str(raised.value).startswith(message) and "argument" not in str(raised.value)


def test_the_settings_block_is_named_by_its_setting_and_a_flag_by_the_flag(monkeypatch, capsys,
                                                                           tmp_path):
    monkeypatch.setattr(sgd_viz, "LEARNING_RATE", -0.1)
    out = ["--quiet", "--out", str(tmp_path / "x.gif")]
    assert sgd_viz.main(out) == 2
    assert capsys.readouterr().err == ("sgd_viz.py: error: LEARNING_RATE = -0.1: out of range: "
                                       "needs > 0\n")
    with pytest.raises(ValueError, match=r"^LEARNING_RATE = -0.1: out of range"):
        sgd_viz.animate(**FEW)
    assert sgd_viz.main([*out, "--lr", "-2"]) == 2
    assert capsys.readouterr().err == ("sgd_viz.py: error: argument --lr: -2 is out of range: "
                                       "needs > 0\n")
    assert sgd_viz.main([*out, "--lr", "0.1", "--balls", "3", "--steps", "1"]) == 0


def test_numpy_values_are_taken_wherever_numbers_and_lists_are():
    animation = sgd_viz.animate(lr=np.array([0.01, 0.1]), balls=np.int64(4), steps=np.int32(2),
                                noise=np.float64(0.5), anneal=np.True_, seed=np.uint8(3),
                                bounds=np.array([[-2, 2], [-3, 3]]), size=np.array([320, 240]),
                                minima=np.array([0.0, 0.0]), surface=np.str_("bowl"))
    assert [group.label for group in animation.groups] == ["sgd lr=0.01", "sgd lr=0.1"]
    assert animation.plan.balls == 4 and animation.plan.size == (320, 240)
    with pytest.raises(ValueError, match=r"^balls=np.float64\(4.5\): .*integer|^balls=4.5: "):
        sgd_viz.animate(balls=np.float64(4.5))
