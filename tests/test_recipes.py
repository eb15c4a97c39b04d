"""The README's recipes, followed word for word in a copy of the project: with the new surface
and the new optimizer registered, the whole suite passes (every test that iterates over the
registries meets them), `--list` shows them and a tiny render uses each."""
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = [   # README heading, file, where its registry starts and ends, flag
    ("Add a surface", "surfaces.py", "SURFACES: dict", "    ]\n}", "--surface"),
    ("Add an optimizer", "optimizers.py", "OPTIMIZERS = {", "}", "--optimizer"),
]


def recipe(title):
    """The Python block under the README heading `title`, split at its '# in REGISTRY:' line
    into the definitions and the registry entry."""
    with open(os.path.join(HERE, "README.md")) as file:
        readme = file.read()
    section = readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    definitions, entry = re.split(r"\n# in \w+:\n", code)
    return definitions, entry


def copy_of_project(folder):
    shutil.copytree(HERE, folder, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "__pycache__", ".*_cache", ".hypothesis", "build", "*.egg-info"))
    return folder


def add(path, definitions, entry, registry_start, registry_end):
    """Put the definitions before the registry and the entry at its end, as a reader would."""
    text = path.read_text()
    start = text.index(registry_start)
    end = text.index(registry_end, start)
    indent = re.search(r"\n( +)\S[^\n]*\n$", text[:end]).group(1)
    entry = "\n".join(indent + line for line in entry.strip().splitlines())
    path.write_text(text[:start] + definitions.strip() + "\n\n\n" + text[start:end].rstrip("\n")
                    + "\n" + entry + "\n" + text[end:])


def run(folder, *argv):
    result = subprocess.run([sys.executable, *argv], cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_the_recipes_touch_one_file_each_and_the_whole_suite_passes(tmp_path):
    folder = copy_of_project(tmp_path / "project")
    names = []
    for title, module, start, end, flag in RECIPES:
        definitions, entry = recipe(title)
        add(folder / module, definitions, entry, start, end)
        names.append((flag, re.search(r'"(\w+)"', entry).group(1)))
    listed = run(folder, "sgd_viz.py", "--list")
    for flag, name in names:
        assert f"  {name} " in listed
        run(folder, "sgd_viz.py", flag, name, "--balls", "5", "--steps", "3", "--size", "96x72",
            "--quiet", "--out", "t.gif")
        assert (folder / "t.gif").read_bytes()[:6] == b"GIF89a"
    run(folder, "-m", "pytest", "-p", "no:cacheprovider", "-x", "--ignore=tests/test_recipes.py")
