"""Installable: pip installs a clean copy of the project (its tracked files, from a git URL and
from a folder) into a fresh virtualenv, with the card's three modules, the package, the
runtime requirements and the command `sgd-viz`, which works from any folder."""
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

MODULES = {"sgd_viz.py", "surfaces.py", "optimizers.py"}

pytestmark = pytest.mark.slow


def sh(*argv, cwd=None):
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, (argv, result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout


def clean_copy(folder):
    """The tracked files as they are in the work tree (nothing built, cached or ignored), in a
    git repository of their own."""
    if shutil.which("git") is None or subprocess.run(
            ["git", "-C", ROOT, "rev-parse"], capture_output=True).returncode != 0:
        pytest.skip("needs a git checkout of the project")
    for name in sh("git", "-C", ROOT, "ls-files", "-z").split("\0"):
        if name and os.path.isfile(os.path.join(ROOT, name)):
            os.makedirs(os.path.join(folder, os.path.dirname(name)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), os.path.join(folder, name))
    git = ["git", "-C", str(folder), "-c", "user.name=test", "-c", "user.email=test@example.com"]
    sh(*git, "init", "-q")
    sh(*git, "add", "-A")
    sh(*git, "commit", "-q", "-m", "clean copy")


def installed(python, elsewhere):
    """Check what the virtualenv of `python` holds, from a folder outside the project."""
    files = sh(python, "-c", "import importlib.metadata as m\n"
               "for f in m.files('sgd_viz'): print(f.parts[0])", cwd=elsewhere).split()
    tops = set(files) - {"..", "__pycache__"}
    tops = {name for name in tops if not name.endswith(".dist-info")}
    assert tops == MODULES | {"sgd_viz_engine"}, tops
    requires = sh(python, "-c", "import importlib.metadata as m\n"
                  "print('\\n'.join(m.requires('sgd_viz')))", cwd=elsewhere).split()
    with open(os.path.join(ROOT, "requirements.txt")) as file:
        assert requires == file.read().split()
    where = sh(python, "-c", "import os, sgd_viz, sgd_viz_engine\n"
               "from sgd_viz import animate\n"
               "print(os.path.dirname(sgd_viz.__file__) == "
               "os.path.dirname(os.path.dirname(sgd_viz_engine.__file__)))", cwd=elsewhere)
    assert where.strip() == "True"
    assert ROOT not in sh(python, "-c", "import sgd_viz; print(sgd_viz.__file__)", cwd=elsewhere)


def test_pip_installs_the_modules_the_package_and_the_command(tmp_path):
    source, env, elsewhere = tmp_path / "source", tmp_path / "venv", tmp_path / "elsewhere"
    for folder in (source, elsewhere):
        folder.mkdir()
    clean_copy(source)
    sh(sys.executable, "-m", "venv", str(env))
    python, command = str(env / "bin" / "python"), str(env / "bin" / "sgd-viz")
    pip = [python, "-m", "pip", "install", "-q"]

    sh(*pip, f"git+file://{source}", cwd=elsewhere)
    installed(python, elsewhere)
    out = sh(command, "--preset", "saddle", "--size", "320x240", "--quiet", cwd=elsewhere)
    assert out.startswith("wrote saddle.gif")
    assert (elsewhere / "saddle.gif").read_bytes()[:6] == b"GIF89a"
    bad = subprocess.run([command, "--balls", "0"], cwd=elsewhere, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1, bad.stderr

    sh(*pip, "--force-reinstall", "--no-deps", str(source), cwd=elsewhere)
    installed(python, elsewhere)
    assert "presets:" in sh(command, "--list", cwd=elsewhere)
