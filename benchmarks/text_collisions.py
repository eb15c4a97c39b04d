"""Which texts collide in the static scene and the last frame, for every surface, layout and
size (tests/test_text.py checks a sample of these in the suite):

    .venv/bin/python benchmarks/text_collisions.py [surface,surface,...] [layout,layout,...]
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from test_text import SIZES, collisions, scene_of  # noqa: E402

from surfaces import SURFACES  # noqa: E402

COUNTS = {"3d": 1, "curve": 3, "contour": 2, "multiples": 4}


def main(names=None, layouts=None):
    found_any = 0
    for name in names.split(",") if names else SURFACES:
        for layout in layouts.split(",") if layouts else COUNTS:
            for size in SIZES:
                scene, groups = scene_of(name, layout, size, COUNTS[layout])
                found = collisions(scene, [0, len(groups[0].run.steps) - 1])
                found_any += len(found)
                if found:
                    print(name, layout, "{}x{}".format(*size), found)
    print(f"{found_any} collisions")


if __name__ == "__main__":
    main(*sys.argv[1:3])
