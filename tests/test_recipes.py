"""The README's recipes, followed exactly in a copy of the project: the tests pass with the new
entry registered, and a tiny render uses it."""
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def recipe(title):
    """The Python block under the README heading `title`, split at its '# in REGISTRY:' line
    into the definitions and the registry entry."""
    with open(os.path.join(HERE, "README.md")) as file:
        readme = file.read()
    section = readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    definitions, entry = re.split(r"\n# in \w+:\n", code)
    return definitions, entry


def copy_of_project(tmp_path):
    for name in os.listdir(HERE):
        if name.endswith((".py", ".toml")):
            shutil.copy(os.path.join(HERE, name), tmp_path)
    shutil.copytree(os.path.join(HERE, "sgd_viz_engine"), tmp_path / "sgd_viz_engine",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(os.path.join(HERE, "tests"), tmp_path / "tests",
                    ignore=shutil.ignore_patterns("__pycache__", "test_recipes.py"))
    return tmp_path


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
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("title, module, start, end, flag, tests", [
    ("Add a surface", "surfaces.py", "SURFACES: dict", "    ]\n}", "--surface",
     ["tests/test_surfaces.py", "tests/test_numerics.py"]),
    ("Add an optimizer", "optimizers.py", "OPTIMIZERS = {", "}", "--optimizer",
     ["tests/test_optimizers.py", "tests/test_numerics.py"]),
])
def test_the_recipe_touches_one_file_and_the_tests_pass(tmp_path, title, module, start, end,
                                                        flag, tests):
    folder = copy_of_project(tmp_path)
    definitions, entry = recipe(title)
    add(folder / module, definitions, entry, start, end)
    name = re.search(r'"(\w+)"', entry).group(1)
    listed = run(folder, "sgd_viz.py", "--list")
    assert f"  {name} " in listed
    run(folder, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "-x", *tests)
    run(folder, "sgd_viz.py", flag, name, "--balls", "5", "--steps", "3", "--size", "96x72",
        "--quiet", "--out", "t.gif")
    assert (folder / "t.gif").read_bytes()[:6] == b"GIF89a"
