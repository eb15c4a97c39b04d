"""Benchmark sgd_viz against the usual matplotlib ways of animating the same scene into a GIF.

Rows, each drawing every step of the same run, at the same size, with the same balls:
  sgd_viz   sgd_viz.main([...]) end to end: simulate, static scene once, blit balls, GifWriter
  standard  the same surface mesh, colors, view and texts, artists updated in place,
            FuncAnimation(blit=False) and PillowWriter: the whole figure is redrawn every frame
  naive     ax.clear() and re-plot surface, trails and balls every frame, same animation path
  floor     GifWriter alone (palette mapping, delta, LZW, file writes) on frames that sgd_viz
            drew beforehand, untimed, into a raw file: no GIF writer can beat it
Scenes: default (sgd_viz's constants), notebook (1 ball on bowl, lr 0.01, 1000 steps, 800x800),
many (10,000 balls, 200 steps), long (100 balls, 2000 steps); naive runs on default and
notebook only unless --rows names it. Then the scale measurements: sgd_viz's frame loop with
10,000 vs 100 balls (100 frames), and simulate() alone for 100,000 balls x 1,000 steps on the
default surface and on bowl, recording the FRAMES steps that main() would draw.

Every run is a fresh child process: wall time excludes start-up and imports, peak memory is
the child's own VmHWM (a child's ru_maxrss also counts the parent it was forked from). A case
is not repeated after a run over SLOW seconds; a run over --timeout is cut, and its time is
shown as a lower bound.

    .venv/bin/python benchmarks/bench.py --quick          # under a minute, see QUICK
    .venv/bin/python benchmarks/bench.py                  # everything, 3 runs each: 20-30 min
    .venv/bin/python benchmarks/bench.py --scenes default,notebook --rows sgd_viz,standard
    .venv/bin/python benchmarks/bench.py --scenes many --rows naive --repeat 1 --no-scale
"""
import argparse
import contextlib
import functools
import hashlib
import importlib
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import namedtuple
from importlib import metadata

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sgd_viz  # noqa: E402
from optimizers import OPTIMIZERS  # noqa: E402
from sgd_viz_engine import (
    cli,  # noqa: E402
    gifwriter,  # noqa: E402
    output,  # noqa: E402
)
from sgd_viz_engine import scene as scene_module  # noqa: E402  (bench.py's `scene` is a Scene below)
from sgd_viz_engine.looks import BALL_COLOR, LOOKS, SURFACE_CMAP  # noqa: E402
from sgd_viz_engine.panels import TRAILED  # noqa: E402
from sgd_viz_engine.simulation import Dynamics, frame_steps, simulate, uniform_starts  # noqa: E402
from surfaces import SURFACES  # noqa: E402

OPTIMIZER = sgd_viz.OPTIMIZER or SURFACES[sgd_viz.SURFACE].lesson.optimizer   # None: the lesson's

DIVERGED_COLOR = LOOKS["diverged"].style["mfc"]

ROWS = ("sgd_viz", "standard", "naive", "floor")
SCENES = ("default", "notebook", "many", "long")
SLOW = 60                   # seconds: no more repeats of a case after a run this slow
QUICK = ("--quick: default scene (sgd_viz, standard, floor) and notebook cut to 100 steps "
         "(sgd_viz); 1 run each; scale on 3 frames, simulate on 3 steps")
QUICK_CASES = [("default", "sgd_viz"), ("default", "standard"), ("default", "floor"),
               ("notebook", "sgd_viz")]
Scene = namedtuple("Scene", "surface lr balls steps size")


def scenes(quick=False):
    """The table's scenes, then the scale cases; --quick cuts the slow ones."""
    lesson = SURFACES[sgd_viz.SURFACE].lesson      # the settings left to it: None
    default = Scene(sgd_viz.SURFACE, sgd_viz.LEARNING_RATE or lesson.lr, sgd_viz.BALLS,
                    sgd_viz.STEPS or lesson.steps, sgd_viz.SIZE)
    return {"default": default,
            "notebook": Scene("bowl", 0.01, 1, 100 if quick else 1000, (800, 800)),
            "many": default._replace(balls=10_000, steps=200),
            "long": default._replace(balls=100, steps=2000),
            "balls-100": default._replace(balls=100, steps=2 if quick else 99),
            "balls-10k": default._replace(balls=10_000, steps=2 if quick else 99),
            "simulate": default._replace(balls=100_000, steps=3 if quick else 1000),
            "simulate-bowl": default._replace(surface="bowl", balls=100_000,
                                              steps=3 if quick else 1000)}


# --- the pipelines, each run in a child process ------------------------------------------------

class Probe(gifwriter.GifWriter):
    """sgd_viz's GifWriter, also counting frames and timing the frame loop; with `record` set it
    saves the raw frames and its own arguments instead of encoding them, for the floor row."""

    record, frames, loop = None, 0, 0.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.arguments = args, kwargs

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi)
        self.raw = open(self.record + ".rgba", "wb") if self.record else None
        self.started = time.perf_counter()

    def grab_frame(self, **savefig_kwargs):
        if self.raw:
            self.raw.write(self.fig.canvas.buffer_rgba())
        else:
            super().grab_frame(**savefig_kwargs)
        Probe.frames += 1

    def finish(self):
        super().finish()
        Probe.loop = time.perf_counter() - self.started
        if self.raw:
            self.raw.close()
            with open(self.record + ".pkl", "wb") as file:
                size = self.fig.canvas.get_width_height()
                pickle.dump((self.arguments, size, Probe.frames), file)


def run_sgd_viz(scene, out):
    options = cli.build_parser(sgd_viz.settings(), sgd_viz.PRESETS)._option_string_actions
    argv = ["--surface", scene.surface, "--lr", str(scene.lr), "--balls", str(scene.balls),
            "--steps", str(scene.steps), "--size", "{}x{}".format(*scene.size), "--out", out,
            "--quiet"]
    argv += ["--frames", str(scene.steps + 1)] if "--frames" in options else []   # every step
    argv += ["--force"] if "--force" in options else []
    output.GifWriter = Probe        # render() calls the GifWriter it imported
    spent = {}
    # render() calls output's draw_scene; scene.hidden_by_view calls scene's visibility, at the
    # first frame drawn (one of the palette samples), not inside draw_scene
    output.draw_scene = timed(output.draw_scene, spent)
    scene_module.visibility = timed(scene_module.visibility, spent)
    start = time.perf_counter()
    if sgd_viz.main(argv) != 0:
        raise SystemExit(f"sgd_viz.main({argv}) failed")
    return {"wall": time.perf_counter() - start, "frames": Probe.frames, "loop": Probe.loop,
            "static": spent["draw_scene"] - spent.get("visibility in draw_scene", 0)}


def timed(function, spent):
    """`function`, adding the seconds it takes to spent[its name], and to spent["NAME in
    OUTER"] when it runs inside another timed function OUTER."""
    @functools.wraps(function)
    def call(*args, **kwargs):
        outer = list(timed.running)
        timed.running.append(function.__name__)
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            timed.running.pop()
            for key in [function.__name__, *(f"{function.__name__} in {o}" for o in outer)]:
                spent[key] = spent.get(key, 0) + elapsed
    return call


timed.running = []      # the names of the timed functions running, outermost first


def encode_floor(prefix, out):
    """Time GifWriter alone on the recorded frames, read back one at a time (not timed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with open(prefix + ".pkl", "rb") as file:
        (args, kwargs), (width, height), frames = pickle.load(file)
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(fig).draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())      # where GifWriter reads each frame
    assert pixels.shape == (height, width, 4)
    writer, elapsed = gifwriter.GifWriter(*args, **kwargs), 0.0
    calls = [lambda: writer.setup(fig, out)] + [writer.grab_frame] * frames + [writer.finish]
    with open(prefix + ".rgba", "rb") as raw:
        for k, call in enumerate(calls):
            if 1 <= k <= frames:
                raw.readinto(pixels)
            start = time.perf_counter()
            call()
            elapsed += time.perf_counter() - start
    return {"wall": elapsed, "frames": frames}


BALLS_STYLE = dict(s=28, c=BALL_COLOR, edgecolors="black", linewidths=0.6,
                   depthshade=False, zorder=5)
LOST_STYLE = {**BALLS_STYLE, "s": 70, "c": DIVERGED_COLOR, "marker": "X", "zorder": 6}


TRAIL_STYLE = dict(color=BALL_COLOR, lw=1.2, alpha=0.6, zorder=3)


def frame_data(run, surface, k):
    """Step k as scene.draw_frame shows it: the trails as (3, M), one NaN-separated line
    through the last TRAIL steps of each of up to TRAILED balls; moving and diverged balls as
    (n, 3), and a two-line status."""
    first = max(0, k - sgd_viz.TRAIL)
    shown = np.clip(run.positions[first:k + 1], *np.array(surface.bounds, dtype=float).T)
    xyz = np.concatenate([shown, surface.f(shown)[..., None]], axis=-1)
    path = xyz[:, ::-(-xyz.shape[1] // TRAILED)]
    trails = np.concatenate([path, np.full_like(path[:1], np.nan)]).transpose(1, 0, 2)
    trails = trails.reshape(-1, 3).T if k > first else np.empty((3, 0))
    diverged = run.diverged[k]
    moving, frozen = xyz[-1][~diverged], xyz[-1][diverged]
    mean = f"{np.mean(run.losses[k][~diverged]):<9.4g}" if len(moving) else "-"
    status = (f"step {k:>4}/{len(run.positions) - 1}   mean loss {mean}\n"
              f"diverged {len(frozen)}/{len(diverged)}")
    return trails, moving, frozen, status


def run_matplotlib(scene, out, naive):
    """The usual way: a pyplot-free figure with sgd_viz's surface mesh, colormap, view, title,
    status and legend (not its lighting, floor contours, stars or occlusion test, which would
    only slow this down), FuncAnimation(blit=False) and PillowWriter."""
    from matplotlib.animation import FuncAnimation, PillowWriter
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    start = time.perf_counter()
    surface, optimizer = SURFACES[scene.surface], OPTIMIZERS[OPTIMIZER](lr=scene.lr)
    starts = uniform_starts(surface, scene.balls, np.random.default_rng(sgd_viz.SEED))
    run = simulate(surface, Dynamics(optimizer), starts, scene.steps)
    width, height = scene.size
    dpi = 100 * min(width / 800, height / 600) ** 0.5      # as sgd_viz: same pixels, same text
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0.03, 1, 0.8), projection="3d", computed_zorder=False)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    grid = surface.view.grid
    mesh = np.stack(np.meshgrid(np.linspace(xmin, xmax, grid),
                                np.linspace(ymin, ymax, grid)), axis=-1)
    z = surface.f(mesh)
    view = surface.view[:2]                                 # elevation, azimuth
    fig.text(0.02, 0.96, f"{surface.name}    {optimizer.name} lr={scene.lr:g}",
             fontsize="large", va="center")
    status = fig.text(0.02, 0.88, "", fontsize="medium", va="center", family="monospace")
    legend = [Line2D([], [], ls="", marker=marker, ms=7, mfc=color, mec="black", label=text)
              for marker, color, text in (("o", BALL_COLOR, "ball"),
                                           ("X", DIVERGED_COLOR, "diverged"))]

    def static():
        ax.plot_surface(mesh[..., 0], mesh[..., 1], z, cmap=SURFACE_CMAP,
                        rcount=grid, ccount=grid, linewidth=0,
                        antialiased=False, zorder=1)
        ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), zlim=(z.min(), z.max()), xlabel="x",
               ylabel="y", zlabel="loss")
        ax.view_init(*view)
        ax.tick_params(labelsize="small")
        ax.legend(handles=legend, loc="upper right", bbox_to_anchor=(0.99, 1.1),
                  frameon=False, fontsize="small")

    static()
    line = ax.plot([], [], [], **TRAIL_STYLE)[0]
    balls, lost = ax.scatter([], [], [], **BALLS_STYLE), ax.scatter([], [], [], **LOST_STYLE)

    def update(k):      # standard: move the artists made once
        trails, moving, frozen, text = frame_data(run, surface, k)
        line.set_data_3d(*trails)
        balls._offsets3d, lost._offsets3d = tuple(moving.T), tuple(frozen.T)
        status.set_text(text)

    def replot(k):      # naive: throw everything away and plot it again
        trails, moving, frozen, text = frame_data(run, surface, k)
        ax.clear()
        static()
        ax.plot(*trails, **TRAIL_STYLE)
        ax.scatter(*moving.T, **BALLS_STYLE)
        ax.scatter(*frozen.T, **LOST_STYLE)
        status.set_text(text)

    anim = FuncAnimation(fig, replot if naive else update, frames=len(run.positions),
                         blit=False, repeat=False)
    anim.save(out, writer=PillowWriter(fps=sgd_viz.FPS))
    return {"wall": time.perf_counter() - start, "frames": len(run.positions)}


def case(name, row, quick, tmp):
    """One run of one case in this (child) process; its report is the last line of stdout."""
    for module in ("matplotlib.animation", "matplotlib.backends.backend_agg",
                   "matplotlib.figure", "mpl_toolkits.mplot3d", "tqdm"):
        importlib.import_module(module)     # imports are not what is measured
    scene, out = scenes(quick)[name], os.path.join(tmp, f"{name}-{row}.gif")
    Probe.record = os.path.join(tmp, name) if row == "prerender" else None
    if row in ("sgd_viz", "prerender"):
        report = run_sgd_viz(scene, out)
    elif row == "floor":
        report = encode_floor(os.path.join(tmp, name), out)
    elif row in ("standard", "naive"):
        report = run_matplotlib(scene, out, naive=row == "naive")
    else:
        surface = SURFACES[scene.surface]
        starts = uniform_starts(surface, scene.balls, np.random.default_rng(0))
        start = time.perf_counter()
        simulate(surface, Dynamics(OPTIMIZERS[OPTIMIZER](lr=scene.lr)), starts,
                 scene.steps, frame_steps(scene.steps, sgd_viz.FRAMES))   # as main() records
        report = {"wall": time.perf_counter() - start}
    if row in ROWS:
        with open(out, "rb") as file:
            data = file.read()
        report.update(gif=len(data), sha=hashlib.sha256(data).hexdigest())
    with open("/proc/self/status") as file:
        peak_kb = next(int(line.split()[1]) for line in file if line.startswith("VmHWM:"))
    print(json.dumps({**report, "peak": peak_kb * 1024}))


# --- the parent: run the children, print the table ---------------------------------------------

def run_child(name, row, args, tmp):
    """One run in a fresh process: its report, or {'cut': why}."""
    command = [sys.executable, os.path.abspath(__file__), "--case", name, row, "--tmp", tmp]
    try:
        done = subprocess.run(command + (["--quick"] if args.quick else []), timeout=args.timeout,
                              capture_output=True, text=True, check=False)
    except subprocess.TimeoutExpired:
        return {"cut": f"> {args.timeout:g}", "wall": args.timeout}     # a lower bound
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return {"cut": f"failed ({done.returncode})"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(name, row, args, tmp):
    """Medians over --repeat runs of one case (fewer once a run takes over SLOW s)."""
    reports = []
    while len(reports) < args.repeat:
        report = run_child(name, row, args, tmp)
        print(f"{name}/{row} run {len(reports) + 1}: {report.get('cut', '')} "
              f"{report.get('wall', 0):.2f} s", file=sys.stderr, flush=True)
        if "cut" in report:
            return report
        reports.append(report)
        if report["wall"] > SLOW:
            break
    medians = {key: statistics.median(r[key] for r in reports) for key, value in reports[0].items()
               if isinstance(value, int | float) and key != "frames"}
    return {**reports[0], **medians, "runs": len(reports)}


def table(results, scenes_used, repeat):
    lines = ["| scene | pipeline | frames | size px | wall s (median) | peak MB | GIF MB "
             "| time x | size x |", "|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for (name, row), r in results.items():
        base = results.get((name, "sgd_viz"), {})
        ratios = [("> " if "cut" in r else "") + f"{r[key] / base[key]:.2f}"
                  if key in r and key in base and "cut" not in base else "-"
                  for key in ("wall", "gif")]
        if "cut" in r:
            measured = [r["cut"], "-", "-"]
        else:
            measured = [f"{r['wall']:.2f}" + ("*" if r["runs"] < repeat else ""),
                        f"{r['peak'] / 1e6:.0f}", f"{r['gif'] / 1e6:.2f}"]
        cells = [name, row, r.get("frames", "-"), "{}x{}".format(*scenes_used[name].size),
                 *measured, *ratios]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def notes(results, args):
    lines = [QUICK] if args.quick else []
    if not args.rows:
        lines.append("naive runs on default and notebook only: name it in --rows to run it on "
                     "every scene")
    if any(r.get("runs", args.repeat) < args.repeat for r in results.values()):
        lines.append(f"* fewer runs than --repeat: repeats stop after a run over {SLOW} s")
    same = [f"{name} {'yes' if r['sha'] == results[name, 'sgd_viz'].get('sha') else 'NO'}"
            for (name, row), r in results.items()
            if row == "floor" and "sha" in r and (name, "sgd_viz") in results]
    if same:
        lines.append("floor GIF byte-identical to sgd_viz's: " + ", ".join(same))
    for (name, row), r in results.items():
        base = results.get((name, "sgd_viz"), {})
        if row == "floor" and "static" in base and "cut" not in r:
            lines.append(f"{name}: sgd_viz draws its static scene once (figure, surface, axes, "
                         f"texts; no visibility map) in {base['static']:.2f} s; that plus the "
                         f"floor is {(base['static'] + r['wall']) / r['wall']:.2f}x the floor, "
                         "before any ball is drawn")
    lines.append("wall = the pipeline in a fresh process after imports (floor: GifWriter calls "
                 "only); peak = that process's VmHWM; MB = 10^6 bytes")
    return "\n".join(lines)


def scale(args, tmp, scenes_used):
    """sgd_viz's frame loop (draw_frame + GifWriter) with 10,000 vs 100 balls; simulate()."""
    small, big = (measure(name, "sgd_viz", args, tmp) for name in ("balls-100", "balls-10k"))
    frames = scenes_used["balls-10k"].steps + 1
    line = f"scale: sgd_viz frame loop (draw_frame + GifWriter) over {frames} frames: "
    if "cut" in small or "cut" in big:
        line += "cut"
    else:
        small, big = small["loop"] / small["frames"], big["loop"] / big["frames"]
        line += (f"10,000 balls {1e3 * big:.1f} ms/frame vs 100 balls {1e3 * small:.1f} "
                 f"ms/frame = {big / small:.2f}x")
    for name in ("simulate", "simulate-bowl"):
        sim, r = scenes_used[name], measure(name, "simulate", args, tmp)
        line += (f"\nscale: simulate {sim.balls:,} balls x {sim.steps:,} steps on {sim.surface}, "
                 f"recording the {sgd_viz.FRAMES} frames main() draws: "
                 + (f"{r['cut']} s" if "cut" in r else
                    f"{r['wall']:.2f} s, peak {r['peak'] / 1e6:.0f} MB"))
    return line


def machine(load):
    with open("/proc/cpuinfo") as file:
        cpu = next((line.split(":", 1)[1].strip() for line in file
                    if line.startswith("model name")), platform.processor())
    versions = ", ".join(f"{name} {metadata.version(name)}"
                         for name in ("numpy", "matplotlib", "pillow"))
    return (f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{versions}; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 1)[1])
    parser.add_argument("--quick", action="store_true", help=QUICK)
    parser.add_argument("--scenes", help=f"comma-separated, from {','.join(SCENES)}")
    parser.add_argument("--rows", help=f"comma-separated, from {','.join(ROWS)}")
    parser.add_argument("--repeat", type=int, help="runs per case, medians reported (default 3)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per run (300)")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale measurements")
    parser.add_argument("--case", nargs=2, metavar=("SCENE", "ROW"), help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        case(*args.case, args.quick, args.tmp)
        return 0
    names = args.scenes.split(",") if args.scenes else list(SCENES)
    rows = args.rows.split(",") if args.rows else list(ROWS)
    args.repeat = args.repeat or (1 if args.quick else 3)
    for kind, given, known in (("scene", names, SCENES), ("row", rows, ROWS)):
        for item in set(given) - set(known):
            parser.error(f"unknown {kind} {item!r}; choose from {', '.join(known)}")
    if args.quick and not (args.scenes or args.rows):
        cases = QUICK_CASES
    else:
        cases = [(name, row) for name in names for row in rows
                 if args.rows or row != "naive" or name in ("default", "notebook")]
    load, results = os.getloadavg()[0], {}
    tmp = tempfile.mkdtemp(prefix="sgd_viz-bench-")
    try:
        for name, row in cases:
            if row == "floor":      # draw the frames first, untimed
                prerender = run_child(name, "prerender", args, tmp)
                if "cut" in prerender:
                    results[name, row] = prerender
                    continue
            results[name, row] = measure(name, row, args, tmp)
            with contextlib.suppress(FileNotFoundError):    # GBs of raw frames for long
                os.remove(os.path.join(tmp, name + ".rgba"))
        scenes_used = scenes(args.quick)
        print(table(results, scenes_used, args.repeat) + "\n\n" + notes(results, args),
              flush=True)
        if not args.no_scale:
            print(scale(args, tmp, scenes_used))
        print(machine(load))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
