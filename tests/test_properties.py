"""The whole command line under generated flags (issue 16, "Done means"): on tiny scenes, main()
either writes a valid output and prints its result line, or refuses with one error line and
leaves the old file as it was; never a traceback, a warning or a stray temporary file. Issue 24
adds the file-system shapes at the outputs (special files, links to them, to each other, to
missing folders) and values in the settings block, through a copy of the script."""
import contextlib
import io
import os
import stat
import tempfile

import pytest
from conftest import listing, script_with, sweep
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


def generated(fast, full):
    """How many generated cases a property tries: each is a whole run (about 0.3 s of CPU), so
    the README's test command tries the first few and .ci/run's slow step all of them."""
    return pytest.mark.parametrize("examples", sweep([fast, full], lambda n: n == fast),
                                   ids=["few", "all"])


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


@generated(6, 40)
def test_a_run_writes_its_output_and_one_line_or_refuses_with_one_line(examples):
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None)
    @seed(16)
    @given(command_lines())
    def check(scene):
        args, kind, trajectories = scene
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "out" + kind)
            with open(out, "wb") as old:
                old.write(OLD)
            argv = [*args, "--out", out]
            if trajectories:
                argv += ["--save-trajectories", os.path.join(folder, "t" + trajectories)]
            stdout, stderr = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                status = sgd_viz.main(argv)         # a warning is an error (pyproject.toml)
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

    check()


# --- issue 24: file-system shapes at the outputs, and values in the settings block ---------------

SHAPES = ["none", "file", "fifo", "link to a fifo", "link to a missing folder", "link loop",
          "link to the trajectories", "through a missing folder", "link to a file",
          "dangling link", "folder"]
BLOCK = {                   # a setting of the block -> values as Python source (None: as it is)
    "OUT": [None, "'50%.gif'", "'.gif'", "'a\\x00.gif'", "'OUT.PNG'", "None", "'x' * 300 + '.gif'"],
    "LAYOUT": [None, "'3D'", "'Curve'", "'maps'"],
    "LEARNING_RATE": [None, "'AUTO'", "[0.05, 0.5]", "0", "float('nan')"],
    "OPTIMIZER": [None, "'rmsprop:alpha=1.5'", "['sgd', 'adam']", "'Momentum'"],
    "SURFACE": [None, "'x^2 + y^2'", "'\\uff58^2'", "'+'.join(['x'] * 101)", "'Bowl'"],
    "INIT": [None, "'ZEROS'", "'xavier'"],
}


def shape(folder, kind):
    """Make `kind` (see SHAPES) at folder/out.gif; returns the --out to give."""
    out = os.path.join(folder, "out.gif")
    if kind == "file":
        with open(out, "wb") as old:
            old.write(OLD)
    elif kind == "fifo":
        os.mkfifo(out)
    elif kind == "link to a fifo":
        os.mkfifo(os.path.join(folder, "fifo"))
        os.symlink("fifo", out)
    elif kind == "link to a missing folder":
        os.symlink(os.path.join("missing", "x.gif"), out)
    elif kind == "link loop":
        os.symlink("loop.gif", out)
        os.symlink("out.gif", os.path.join(folder, "loop.gif"))
    elif kind == "link to the trajectories":
        os.symlink("t.csv", out)
    elif kind == "through a missing folder":
        return os.path.join(folder, "missing", "..", "out.gif")
    elif kind == "link to a file":
        with open(os.path.join(folder, "target.gif"), "wb") as old:
            old.write(OLD)
        os.symlink("target.gif", out)
    elif kind == "dangling link":
        os.symlink("new.gif", out)
    elif kind == "folder":
        os.mkdir(out)
    return out


@st.composite
def attacks(draw):
    """A tiny scene, a shape at its output, maybe trajectories, and settings-block values."""
    names = draw(st.lists(st.sampled_from(list(BLOCK)), max_size=2, unique=True))
    block = {name: value for name in names
             if (value := draw(st.sampled_from(BLOCK[name]))) is not None}
    args = ["--quiet", "--balls=3", "--steps=2", "--frames=3", "--size=64x64"]
    kind = draw(st.sampled_from(SHAPES))
    given_out = draw(st.booleans()) or "OUT" not in block
    trajectories = draw(st.booleans()) or kind == "link to the trajectories"
    return block, args, kind, given_out, trajectories


@generated(5, 30)
def test_shapes_and_settings_are_written_validly_or_refused_leaving_all_as_it_was(examples):
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None)
    @seed(24)
    @given(attacks())
    def check(attack):
        block, args, kind, given_out, trajectories = attack
        with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as copy:
            script = script_with(copy, **block)
            out = shape(folder, kind)
            argv = [*args, *(["--out", out] if given_out else [])]
            if trajectories:
                with open(os.path.join(folder, "t.csv"), "wb") as old:
                    old.write(OLD)
                argv += ["--save-trajectories", os.path.join(folder, "t.csv")]
            before = listing(folder)
            stdout, stderr = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
                    pytest.MonkeyPatch.context() as patch:
                patch.chdir(folder)
                status = script.main(argv)          # a warning is an error (pyproject.toml)
            printed, errors = stdout.getvalue().splitlines(), stderr.getvalue().splitlines()
            after = listing(folder)
            said = f"{block} {kind} {argv}\nstdout: {printed}\nstderr: {errors}"
            assert status in (0, 2), said
            assert not [name for name in after if name.startswith(".sgd_viz-")], said
            for name, (what, held) in before.items():   # never a special file or a link replaced
                if what != stat.S_IFREG:
                    assert after.get(name) == (what, held), said
            if status == 2:
                assert printed == [] and len(errors) == 1, said
                assert errors[0].startswith("sgd_viz.py: error: "), said
                assert after == before, said
                return
            assert printed and printed[0].startswith("wrote "), said
            assert all(line.startswith("sgd_viz.py: note: ") for line in errors), said
            written = os.path.join(folder, printed[0].removeprefix("wrote ").rpartition(" (")[0])
            if written.lower().endswith(".html"):
                return
            with Image.open(written) as picture:
                picture.load()
                assert picture.size == (64, 64), said

    check()
