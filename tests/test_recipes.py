"""The README's recipes, followed word for word in a copy of the project: with the new surface,
surface over data, optimizer and schedule registered, the whole suite passes (every test that
iterates over the registries meets them), `--list` shows them and a tiny render uses each."""
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

RECIPES = [   # README heading, the flag that uses what it adds, and more flags for the render
    ("Add a surface", "--surface", []),
    ("Add a surface over data", "--surface", ["--batch-size", "5"]),
    ("Add an optimizer", "--optimizer", []),
    ("Add a schedule", "--schedule", []),
]
REGISTRIES = {  # a registry that a recipe's '# in NAME:' line names: its file, start and end
    "SURFACES": ("surfaces.py", "SURFACES: dict", "    ]\n}"),
    "OPTIMIZERS": ("optimizers.py", "OPTIMIZERS = {", "}"),
    "SCHEDULES": ("sgd_viz_engine/schedules.py", "SCHEDULES = {", "}\nDEFAULT_WORDS"),
    "DEFAULT_WORDS": ("sgd_viz_engine/schedules.py", "DEFAULT_WORDS = {", "}\n\n\ndef "),
}


def recipe(title):
    """The Python block under the README heading `title`, split at its '# in REGISTRY:' lines
    into the definitions and the entries, as (registry, entry) pairs."""
    with open(os.path.join(ROOT, "README.md")) as file:
        readme = file.read()
    section = readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    definitions, *parts = re.split(r"\n# in (\w+):\n", code)
    return definitions, list(zip(parts[::2], parts[1::2], strict=True))


def copy_of_project(folder):
    shutil.copytree(ROOT, folder, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "__pycache__", ".*_cache", ".hypothesis", "build", "*.egg-info"))
    return folder


def add(path, definitions, entry, registry_start, registry_end):
    """Put the definitions (if any) before the registry and the entry at its end, as a reader
    would."""
    text = path.read_text()
    start = text.index(registry_start)
    end = text.index(registry_end, start)
    indent = re.search(r"\n( +)\S[^\n]*\n$", text[:end]).group(1)
    entry = "\n".join(indent + line for line in entry.strip().splitlines())
    before = definitions.strip() + "\n\n\n" if definitions.strip() else ""
    path.write_text(text[:start] + before + text[start:end].rstrip("\n") + "\n" + entry + "\n"
                    + text[end:])


def run(folder, *argv):
    result = subprocess.run([sys.executable, *argv], cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_the_recipes_touch_one_file_each_and_the_whole_suite_passes(tmp_path):
    folder = copy_of_project(tmp_path / "project")
    names = []
    for title, flag, more in RECIPES:
        definitions, entries = recipe(title)
        for registry, entry in entries:
            module, start, end = REGISTRIES[registry]
            add(folder / module, definitions, entry, start, end)
            definitions = ""
        names.append((flag, re.search(r'"(\w+)"', entries[0][1]).group(1), more))
    listed = run(folder, "sgd_viz.py", "--list")
    for flag, name, more in names:
        assert f"  {name} " in listed
        run(folder, "sgd_viz.py", flag, name, *more, "--balls", "5", "--steps", "3", "--size",
            "96x72", "--quiet", "--out", "t.gif")
        assert (folder / "t.gif").read_bytes()[:6] == b"GIF89a"
    run(folder, "-m", "pytest", "-p", "no:cacheprovider", "-x", "--ignore=tests/test_recipes.py")
