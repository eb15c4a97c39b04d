"""The README's notebook example, run headless by a Jupyter kernel: the code block under
"In a notebook or a script" becomes a notebook, nbclient executes it, and the run's inline
output must be the GIF. Needs a notebook runtime, which the project does not depend on:

    python -m venv /tmp/nb && /tmp/nb/bin/pip install -r requirements.txt nbclient ipykernel
    /tmp/nb/bin/python benchmarks/notebook_headless.py
"""
import base64
import os
import re
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as file:
        readme = file.read()
    section = readme[readme.index("## In a notebook or a script"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    lines = code.splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("run  "))   # shows the run
    cells = [f"import sys\nsys.path.insert(0, {ROOT!r})\n" + "\n".join(lines[:cut + 1]),
             "\n".join(lines[cut + 1:])]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        NotebookClient(notebook, timeout=120, resources={"metadata": {"path": folder}}).execute()
        seconds = time.perf_counter() - start
        written = sorted(os.listdir(folder))
    html = notebook.cells[0].outputs[0]["data"]["text/html"]
    gif = base64.b64decode(html.split("base64,")[1].split('"')[0])
    assert gif[:6] == b"GIF89a", html[:200]
    print(f"executed in {seconds:.1f} s: inline GIF {len(gif) / 1e6:.2f} MB, wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
