"""Which texts of a static scene overlap each other or the figure's edge: a checker for the
"no text collides" goal, not yet met (tick labels of the 3D axes meet their axis labels).

    .venv/bin/python benchmarks/text_collisions.py goldstein_price,wells 3d,curve,contour,multiples
"""
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from matplotlib.text import Text

from optimizers import OPTIMIZERS
from scene import draw_scene, title
from simulation import Group, simulate, uniform_starts
from surfaces import SURFACES
from textline import TextLine


def texts(scene, k=0):
    fig = scene.fig
    r = fig.canvas.get_renderer()
    boxes = []
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and t.get_figure(root=True) is fig:
            try:
                bb = t.get_window_extent(r)
            except Exception:
                continue
            if bb.width > 0 and bb.height > 0:
                boxes.append((t.get_text()[:30], (bb.x0, bb.y0, bb.x1, bb.y1)))
    for u in scene.updates:
        for a in u(k):
            if isinstance(a, TextLine) and a.text:
                w, h = a.size(fig.dpi)
                x, y = fig.transFigure.transform(a.xy)
                boxes.append((a.text[:30], (x, y - h/2, x + w, y + h/2)))
    return boxes

def collisions(scene):
    W, H = scene.fig.canvas.get_width_height()
    boxes = texts(scene)
    out = []
    for (n1, a), (n2, b) in itertools.combinations(boxes, 2):
        if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1:
            out.append((n1, n2))
    for n, a in boxes:
        if a[0] < -1 or a[1] < -1 or a[2] > W + 1 or a[3] > H + 1:
            out.append((n, "EDGE"))
    return out

def main(names, layouts):
    for name in names.split(","):
        surface = SURFACES[name]
        starts = uniform_starts(surface, 10, np.random.default_rng(0))
        run = simulate(surface, OPTIMIZERS["sgd"](lr=1e-4), starts, 3)
        for layout in layouts.split(","):
            count = {"multiples": 3, "curve": 2}.get(layout, 1)
            groups = [Group(f"sgd lr=0.0001 g{i}", run, OPTIMIZERS["sgd"](lr=1e-4))
                      for i in range(count)]
            for size in [(640, 480), (800, 600), (1920, 1080)]:
                found = collisions(draw_scene(surface, title(surface, groups), size, groups,
                                              layout))
                print(name, layout, "{}x{}".format(*size), len(found), found[:4])


if __name__ == "__main__":
    main(*sys.argv[1:3])
