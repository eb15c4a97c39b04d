"""The README's notebook example, run headless by a Jupyter kernel: the code block under
"In a notebook or a script" becomes a notebook, nbclient executes it, the run's inline output
must be the player carrying the GIF once, and the notebook is saved to see what it weighs.
Needs a notebook runtime, which the project does not depend on:

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
        NotebookClient(notebook, timeout=300, resources={"metadata": {"path": folder}}).execute()
        seconds = time.perf_counter() - start
        written = sorted(os.listdir(folder))
        saved = os.path.join(folder, "example.ipynb")
        nbformat.write(notebook, saved)
        size = os.path.getsize(saved)
    shown = [output["data"] for cell in notebook.cells for output in cell.outputs
             if "text/html" in output.get("data", {})]
    gifs = []
    for data in shown:
        html = data["text/html"]
        assert 'class="sgd-player"' in html and "<script>" in html, html[:200]
        assert html.count("base64,") == 1, "the GIF is carried once"
        gifs.append(base64.b64decode(html.split("base64,")[1].split('"')[0]))
        assert gifs[-1][:6] == b"GIF89a"
    print(f"executed in {seconds:.1f} s; {len(shown)} players shown, carrying GIFs of "
          f"{', '.join(f'{len(gif) / 1e6:.2f}' for gif in gifs)} MB; saved notebook "
          f"{size / 1e6:.2f} MB ({size / sum(map(len, gifs)):.2f}x the GIFs); wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
