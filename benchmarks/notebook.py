"""The README's notebook example against the same scene through the command line, whole
processes side by side in one run: import, animate(), then the inline HTML (the GIF) or
.save("x.gif"); and, once, matplotlib's own player (FuncAnimation.to_jshtml), the slow path.

Each path runs --repeat times, alternating, every run a fresh `sys.executable` in a temporary
directory after one untimed warm-up (bytecode and font caches); medians and the ratio to the
command line are printed, with the size of what each path embeds or writes.

    .venv/bin/python benchmarks/notebook.py [--repeat 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENE = dict(surface="himmelblau", optimizer=["sgd", "adam"], lr=0.01, layout="curve")
FLAGS = ["--surface", "himmelblau", "--optimizer", "sgd,adam", "--lr", "0.01", "--layout",
         "curve", "--quiet", "--out", "x.gif"]
SETUP = f"import sys; sys.path.insert(0, {ROOT!r}); from sgd_viz import animate; "
PATHS = {
    "command line": [sys.executable, os.path.join(ROOT, "sgd_viz.py"), *FLAGS],
    "animate() inline HTML": [sys.executable, "-c", SETUP + f"html = animate(**{SCENE!r})"
                              "._repr_html_(); open('x.html', 'w').write(html)"],
    "animate().save('x.gif')": [sys.executable, "-c", SETUP + f"animate(**{SCENE!r})"
                                ".save('x.gif')"],
}
SLOW = {"FuncAnimation to_jshtml (slow path)": [
    sys.executable, "-c", SETUP + f"fig, anim = animate(**{SCENE!r}).funcanimation(); "
    "open('x.html', 'w').write(anim.to_jshtml())"]}


def run(command, folder):
    """Wall seconds of one fresh process, and the size of what it wrote, in MB."""
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    start = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return seconds, sum(os.path.getsize(os.path.join(folder, name))
                        for name in os.listdir(folder)) / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        times = {name: [] for name in [*PATHS, *SLOW]}
        sizes = {}
        for command in PATHS.values():
            run(command, folder)                 # warm caches
        for _ in range(args.repeat):
            for name, command in PATHS.items():
                seconds, sizes[name] = run(command, folder)
                times[name].append(seconds)
        for name, command in SLOW.items():
            seconds, sizes[name] = run(command, folder)
            times[name].append(seconds)
    base = statistics.median(times["command line"])
    print(f"{'path':38} {'median s':>9} {'ratio':>6} {'MB':>6}  runs")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:38} {median:9.2f} {median / base:6.2f} {sizes[name]:6.2f}  {len(values)}")


if __name__ == "__main__":
    main()
