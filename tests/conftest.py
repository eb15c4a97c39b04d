"""Make the flat top-level modules importable from the tests; what several test files share."""
import importlib.util
import io
import os
import pathlib
import re
import resource
import signal
import stat
import sys

# A test worker runs on one core beside the others (pytest -n auto), where numpy's BLAS would
# start a thread per core in each, which then wait for one another: read when numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # the checkout
sys.path.insert(0, ROOT)
SCRIPT = os.path.join(ROOT, "sgd_viz.py")


def sweep(cases, fast):
    """The cases of a parametrized sweep (values, or tuples of them): those for which
    `fast(case)` holds run in the README's test command, the rest only in .ci/run's slow step
    (`pytest -m slow`), so that the one tries a few and the other every case."""
    return [pytest.param(*(case if isinstance(case, tuple) else (case,)),
                         marks=[] if fast(case) else [pytest.mark.slow]) for case in cases]


@pytest.fixture
def full_disk_after():
    """For a child process (preexec_fn): a file may grow to `size` bytes and a write past that
    fails (EFBIG, "File too large"), as it would on a full disk."""
    def after(size):
        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        return limit
    return after


def ctrl_c_on_import(folder, library="tqdm"):
    """A PYTHONPATH entry in `folder` under which importing `library` (one that the script loads
    before the work) sends the process Ctrl-C: an interrupt while the libraries load, at a
    known moment, however busy the machine is."""
    (pathlib.Path(folder) / library).mkdir(parents=True)
    (pathlib.Path(folder) / library / "__init__.py").write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n")
    return str(folder)


def drawn(scene, k, gid):
    """The moving artists that frame k of a scene draws (as scene.draw_frame draws them) tagged
    `gid`: a whole gid ("ball 0") or one without its group's number ("tally"), whatever the
    order of the scene's updates."""
    return [artist for update in scene.updates for artist in update(k)
            if gid in (artist.get_gid(), (artist.get_gid() or "").rpartition(" ")[0])]


def plan_of(args, force=False):
    """The plan that these flags make, over the settings of sgd_viz.py."""
    import sgd_viz
    from sgd_viz_engine import cli
    from sgd_viz_engine.plan import make_plan

    return make_plan(cli.parse(args, sgd_viz.settings(), sgd_viz.PRESETS), force=force)


def groups_for(*argv):
    """The groups that `python sgd_viz.py ARGV` simulates, with the settings of sgd_viz.py."""
    from sgd_viz_engine.simulation import simulate_groups

    return simulate_groups(plan_of([*argv, "--out", "x.gif"]))


def refused(args, capsys):
    """The one line that main() prints for `args`, which it must refuse with exit status 2."""
    import sgd_viz

    assert sgd_viz.main(args) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert captured.out == "" and err.count("\n") == 1 and err.startswith("sgd_viz.py: error: ")
    assert "Trace" not in err
    return err


def listing(folder):
    """Each name in `folder` with its kind (stat.S_IFMT) and, through no link, what it holds: a
    link's target, a file's bytes, None for anything else."""
    found = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        mode = os.lstat(path).st_mode
        found[name] = (stat.S_IFMT(mode), os.readlink(path) if stat.S_ISLNK(mode) else
                       pathlib.Path(path).read_bytes() if stat.S_ISREG(mode) else None)
    return found


def script_with(folder, **assignments):
    """The script's module with some settings of its block rewritten (NAME=Python source),
    loaded from a copy in `folder`."""
    text = pathlib.Path(SCRIPT).read_text(encoding="utf-8")
    for name, source in assignments.items():
        text, count = re.subn(rf"^{name} = .*$", lambda _, s=source, n=name: f"{n} = {s}",
                              text, count=1, flags=re.M)
        assert count == 1, name
    path = pathlib.Path(folder) / "sgd_viz_copy.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"sgd_viz_copy_{id(path)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gif_frames(gif):
    """(RGB pixels, duration in ms or None) of every frame of a GIF (a path or its bytes), as a
    browser shows them (Pillow composites each frame over the ones before)."""
    from PIL import Image, ImageSequence

    with Image.open(io.BytesIO(gif) if isinstance(gif, bytes) else gif) as im:
        return [(np.asarray(frame.convert("RGB")), frame.info.get("duration"))
                for frame in ImageSequence.Iterator(im)]
