"""The whole command line under generated flags (issue 16, "Done means"): on tiny scenes, main()
either writes a valid output and prints its result line, or refuses with one error line and
leaves the old file as it was; never a traceback, a warning or a stray temporary file."""
import contextlib
import io
import os
import tempfile
import warnings

from hypothesis import given, seed, settings
from hypothesis import strategies as st
from PIL import Image

import sgd_viz
from surfaces import SURFACES

FORMULAS = ["0", "x/x", "pi", "x", "1e306*(x^2+y^2)", "log(x^2+y^2)", "sqrt(x)",
            "sqrt(x) + y^2", "sin(x)*cos(y) + 0.1*(x^2 + y^2)"]
BOUNDS = [None, "-5,5,-5,5", "0,5,0,5", "0,1e-300,0,1", "0,1e-250,0,1",
          "-1e-150,1e-150,-1,1", "1,1.000000002,-1,1",
          "1,1.0000000001,-1,1", "-1e100,1e100,-1e100,1e100", "-1e50,1e50,-1,1", "-1e-3,1e-3,2,3"]
OLD = b"the old output, precious\n"


def flag(name, values):
    """[--name=value] for a drawn value, or [] for None (the default)."""
    return st.sampled_from(values).map(lambda v: [] if v is None else [f"--{name}={v}"])


@st.composite
def command_lines(draw):
    """A tiny scene's flags and the output kind."""
    kind = draw(st.sampled_from([".gif", ".png", ".html"]))
    args = ["--quiet",
            f"--balls={draw(st.integers(1, 6))}", f"--steps={draw(st.integers(1, 4))}",
            f"--frames={draw(st.integers(2, 5))}",
            f"--size={draw(st.sampled_from(['64x64', '96x72', '160x120']))}",
            f"--surface={draw(st.sampled_from([*SURFACES, *FORMULAS]))}"]
    for name, values in (
            ("bounds", BOUNDS),
            ("init", [None, "uniform", "normal", "grid", "zeros", "xavier"]),
            ("optimizer", [None, "sgd", "adam", "momentum", "rmsprop", "sgd,adam"]),
            ("lr", [None, "0.1", "auto", "0.01,0.1", "0", "-1", "abc", "1e9"]),
            ("layout", [None, "3d", "curve", "contour", "multiples"]),
            ("color", [None, "group", "basin"]),
            ("orbit", [None, "0", "90"]),
            ("hero", [None, "0", "1", "2"]),
            ("theme", [None, "light", "dark"])):
        args += draw(flag(name, values))
    trajectories = draw(st.sampled_from([None, ".npz", ".csv"]))
    return args, kind, trajectories


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@seed(16)
@given(command_lines())
def test_a_run_writes_its_output_and_one_line_or_refuses_with_one_line(scene):
    args, kind, trajectories = scene
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "out" + kind)
        with open(out, "wb") as old:
            old.write(OLD)
        argv = [*args, "--out", out]
        if trajectories:
            argv += ["--save-trajectories", os.path.join(folder, "t" + trajectories)]
        stdout, stderr = io.StringIO(), io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(stdout), \
                contextlib.redirect_stderr(stderr):
            warnings.simplefilter("error")
            status = sgd_viz.main(argv)
        printed, errors = stdout.getvalue().splitlines(), stderr.getvalue().splitlines()
        said = f"{argv}\nstdout: {printed}\nstderr: {errors}"
        assert status in (0, 2), said
        assert not [name for name in os.listdir(folder) if name.startswith(".sgd_viz-")], said
        if status == 2:
            assert printed == [] and len(errors) == 1, said
            assert errors[0].startswith("sgd_viz.py: error: "), said
            with open(out, "rb") as kept:
                assert kept.read() == OLD, said
            assert sorted(os.listdir(folder)) == ["out" + kind], said
            return
        assert printed and printed[0].startswith(f"wrote {out} "), said
        assert not any(line.startswith("wrote ") for line in printed[1:]), said
        assert all(line.startswith("sgd_viz.py: note: ") for line in errors), said
        if kind == ".html":
            with open(out, encoding="utf-8") as page:
                assert "data:image/gif;base64," in page.read(), said
        else:
            with Image.open(out) as picture:
                picture.load()
                assert picture.format == kind[1:].upper() and picture.size == tuple(
                    int(side) for side in args[4].removeprefix("--size=").split("x")), said
        if trajectories:
            assert os.path.getsize(os.path.join(folder, "t" + trajectories)) > 0, said
