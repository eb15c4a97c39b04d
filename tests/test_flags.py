"""Flags: every bad value is one line on stderr naming the flag, exit status 2, no traceback."""
import os
import shutil
import subprocess
import sys

import pytest
from conftest import SCRIPT
from hypothesis import given, settings
from hypothesis import strategies as st

import sgd_viz
from sgd_viz_engine import cli, simulation
from sgd_viz_engine.plan import PlanError, make_plan, surface_of
from sgd_viz_engine.readers import OUTPUT_KINDS

BAD = [
    (["--surface", "rosenbrok"], ["--surface", "rosenbrok", "did you mean rosenbrock"]),
    (["--surface", "Wellz"], ["--surface", "did you mean wells"]),
    (["--optimizer", "adamw"], ["--optimizer", "adamw", "did you mean adam"]),
    (["--optimizer", "sdg"], ["--optimizer", "did you mean sgd"]),
    (["--lr", "0"], ["--lr", "0", "> 0"]),
    (["--lr", "-1"], ["--lr", "-1"]),
    (["--lr", "nan"], ["--lr", "nan"]),
    (["--lr", "inf"], ["--lr", "inf"]),
    (["--lr", "1e999"], ["--lr", "1e999"]),
    (["--lr", "fast"], ["--lr", "fast", "not a number"]),
    (["--lr", ""], ["--lr"]),
    (["--balls", "0"], ["--balls", "0", ">= 1"]),
    (["--balls", "2.5"], ["--balls", "2.5", "not an integer"]),
    (["--balls", "9" * 5000], ["--balls"]),
    (["--steps", "0"], ["--steps"]),
    (["--steps", "-5"], ["--steps"]),
    (["--seed", "-1"], ["--seed"]),
    (["--fps", "0"], ["--fps", "1", "50"]),
    (["--fps", "51"], ["--fps"]),
    (["--frames", "1"], ["--frames"]),
    (["--size", "10x10"], ["--size", "64"]),
    (["--size", "800"], ["--size", "800", "WIDTHxHEIGHT"]),
    (["--size", "99999x600"], ["--size"]),
    (["--size", "axb"], ["--size"]),
    (["--size", "-800x600"], ["--size"]),
    (["--out", "/no/such/folder/x.gif"], ["--out", "does not exist"]),
    (["--out", "out.txt"], ["--out", ".gif"]),
    (["--out", "out"], ["--out", ".gif"]),
    (["--out", "/tmp"], ["--out"]),
    (["--out", "clip.mp4"], ["--out", "ffmpeg"]),
    (["--bogus"], ["--bogus"]),
    (["--batch-size", "10"], ["--batch-size", "no data set", "linear_regression"]),
    (["--surface", "linear_regression", "--batch-size", "101"], ["--batch-size", "100"]),
    (["--surface", "linear_regression", "--batch-size", "0"], ["--batch-size"]),
    (["--noise", "-1"], ["--noise"]),
    (["--tol", "0"], ["--tol"]),
    (["--orbit", "1e9"], ["--orbit"]),
    (["--theme", "neon"], ["--theme", "neon"]),
    (["--init", "he"], ["--init", "he"]),
    (["--optimizer", "adam:betas"], ["--optimizer", "KEY=VALUE"]),
    (["--optimizer", "adam:beta=0.9"], ["--optimizer", "beta"]),
    (["--optimizer", "sgd:lr=-1"], ["--optimizer", "lr"]),
    (["--surface", "linear_regression", "--batch-size", "10,200"], ["--batch-size", "200"]),
    (["--noise", "0,-2"], ["--noise"]),
    (["--optimizer", "sgd:nesterov=true"], ["--optimizer", "nesterov"]),
    (["--optimizer", "adam:betas=2/0.9"], ["--optimizer", "betas"]),
    (["--optimizer", "sgd,adamw"], ["--optimizer", "adamw", "did you mean adam"]),
    (["--lr", "0.1,-1"], ["--lr", "-1"]),
    (["--optimizer", "sgd,momentum,nesterov", "--lr", "1,2,3"], ["--optimizer", "at most 8"]),
    (["--layout", "grid"], ["--layout"]),
    (["--color", "basin", "--lr", "0.1,0.2"], ["--color", "2 groups"]),
    (["--save-trajectories", "t.json"], ["--save-trajectories", ".npz"]),
    (["--save-trajectories", "/no/such/t.npz"], ["--save-trajectories", "does not exist"]),
    (["--start-region=3,1,0,1"], ["--start-region"]),
    (["--surface", "__import__('os').system('echo owned')"], ["--surface", "not allowed"]),
    (["--surface", "x.__class__"], ["--surface", "not allowed"]),
    (["--surface", "9**9**9"], ["--surface", "inf"]),
    (["--surface", "log(x)"], ["--surface", "--bounds"]),
    (["--surface", "x" + "+x" * 20000], ["--surface"]),
    (["--surface", "x +"], ["--surface", "column"]),
    (["--bounds=1,0,0,1"], ["--bounds", "XMIN < XMAX"]),
    (["--bounds", "a,b"], ["--bounds", "XMIN,XMAX,YMIN,YMAX"]),
    (["--bounds=0,nan,0,1"], ["--bounds"]),
    (["--lr"], ["--lr"]),
    (["--labels", "a,b"], ["--labels", "2 names for 1 group", "sgd lr=0.1"]),
    (["--lr", "0.1,0.2", "--labels", "slow"], ["--labels", "1 name for 2 groups"]),
    (["--lr", "0.1,0.2", "--labels", "slow,"], ["--labels", "empty name"]),
    (["--lr", "0.1,0.2", "--labels", "a,a"], ["--labels", "alike"]),
    (["--title", "two\nlines"], ["--title", "one line"]),
    (["extra"], ["extra"]),
    (["--balls", "1000000", "--steps", "100000"], ["--force", "min"]),
    (["--size", "4096x4096", "--steps", "20000", "--frames", "20000"], ["--frames", "--size"]),
]


@pytest.mark.parametrize("args, words", BAD, ids=[" ".join(a)[:40] for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(args, words, capsys):
    if "clip.mp4" in args and shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is installed here, so .mp4 is valid")
    assert sgd_viz.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for word in words:
        assert word in err


def test_unwritable_folder_is_refused(tmp_path, monkeypatch, capsys):
    # Root may write anywhere, so the permission check itself is what we can exercise here.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert sgd_viz.main(["--out", str(tmp_path / "x.gif")]) == 2
    assert "not writable" in capsys.readouterr().err


def test_error_from_a_real_process_has_no_traceback_and_keeps_the_file(tmp_path):
    old = tmp_path / "old.gif"
    old.write_bytes(b"GIF89a precious")
    result = subprocess.run([sys.executable, SCRIPT, "--lr", "-3",
                             "--out", str(old)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--lr" in result.stderr
    assert old.read_bytes() == b"GIF89a precious"


def test_an_internal_error_is_one_line_unless_debug(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(simulation, "simulate", broken)
    args = ["--out", str(tmp_path / "x.gif"), "--quiet"]
    assert sgd_viz.main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "please report" in err and "ZeroDivisionError" in err
    with pytest.raises(ZeroDivisionError):
        sgd_viz.main([*args, "--debug"])


# Fuzzing: whatever the flag values, parsing either accepts them or exits 2 with one line.
FLAGS = ["--surface", "--optimizer", "--lr", "--balls", "--steps", "--seed", "--fps",
         "--frames", "--size", "--out"]
values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["0", "-1", "1e-12", "1e12", "1e400", "nan", "-inf", "3", "800x600",
                     "0x0", "x", "wells", "adam", "a.gif", "/", "", " ", "--", "1_000"]),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FLAGS), values), max_size=4))
def test_fuzzed_flags_parse_or_exit_2(pairs):
    argv = [part for flag, value in pairs for part in (flag, value)]
    try:
        checked = make_plan(cli.parse(argv, sgd_viz.settings(), sgd_viz.PRESETS))
    except SystemExit as exit_:
        assert exit_.code == 2
        return
    except PlanError as error:
        assert "\n" not in str(error)
        return
    assert all(group.dynamics.optimizer.hyperparameters["lr"] > 0 for group in checked.groups)
    assert checked.balls >= 1 and checked.fps >= 1
    assert checked.out.lower().endswith(tuple(OUTPUT_KINDS))


def test_a_formula_surface_renders_on_its_bounds(tmp_path):
    out = tmp_path / "formula.gif"
    argv = ["--surface", "x**2 + 3*y**2", "--bounds=-2,2,-1,1", "--balls", "20", "--steps",
            "5", "--size", "160x120", "--quiet", "--out", str(out)]
    assert sgd_viz.main(argv) == 0
    surface = surface_of("x**2 + 3*y**2", ((-2, 2), (-1, 1)))
    assert surface.bounds == ((-2, 2), (-1, 1))
    assert os.listdir(tmp_path) == ["formula.gif"]


def test_bounds_replace_a_named_surface_domain():
    surface = surface_of("bowl", ((-1, 1), (-2, 2)))
    assert surface.bounds == ((-1, 1), (-2, 2)) and surface.f([3.0, 2.0]) == 9 / 16 + 1
