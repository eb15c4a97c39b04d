"""Output files: the animation as a GIF, MP4, HTML page or PNG poster, and the trajectories;
each written to a temporary file beside its path (beside a symlink's target) and renamed over it
only when complete."""
import contextlib
import csv
import os
import signal
import stat
import tempfile

import numpy as np
from matplotlib import rc_context

from . import player
from .gifwriter import GifWriter, make_palette
from .looks import THEMES, exact_colors, group_colors
from .pacing import schedule
from .scene import canvas_image, draw_frame, draw_scene, turn
from .scene import title as scene_title
from .simulation import Run
from .videowriter import VideoError, VideoWriter

BIG_GIF = 5e6           # bytes: the big code hosts' image proxies show no larger image in a README
ORBIT_FUZZ = 12         # levels a pixel may be off while the camera turns (gifwriter's fuzz)
FIRST = 1.0             # seconds the first frame stays, so that the starts can be seen

HELD = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
OutputError = VideoError    # a failure of an outside tool, in one line: exit 2, not a bug


def written_path(path):
    """Where writing `path` lands: through a symlink, its target (the link is kept)."""
    return os.path.realpath(path) if os.path.islink(path) else os.fspath(path)


@contextlib.contextmanager
def named(path):
    """Re-raise an OSError about a temporary file (or about no file) as one about `path`."""
    try:
        yield
    except OSError as error:
        if error.filename is None or ".sgd_viz-" in os.fspath(error.filename):
            raise OSError(error.errno, error.strerror or str(error), os.fspath(path)) from None
        raise


@contextlib.contextmanager
def atomic_outputs(*paths):
    """Yield a temporary path beside each of `paths` (None for None); rename them all over their
    paths only if the block succeeds, one right after the other with the stopping signals held
    (see signals_held), so that they appear together or not at all. A new file gets the old
    one's permissions, or the usual ones for a new file."""
    targets = [None if path is None else written_path(path) for path in paths]
    temporaries = []
    try:
        for path, target in zip(paths, targets, strict=True):
            with named(path if target is None else target):
                temporaries.append(None if target is None else _temporary(target))
        yield temporaries
        for path, target, tmp in zip(paths, targets, temporaries, strict=True):
            if tmp is not None:
                with named(path):
                    os.chmod(tmp, _mode(target))
        with signals_held():
            for path, target, tmp in zip(paths, targets, temporaries, strict=True):
                if tmp is not None:
                    with named(path):
                        os.replace(tmp, target)
    finally:
        for tmp in temporaries:
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(tmp)


@contextlib.contextmanager
def signals_held():
    """Ctrl-C, SIGTERM and SIGHUP that arrive inside the block are recorded and raised again
    when it ends, so that none falls between two renames. Their Python handlers are swapped,
    not their delivery blocked: a blocked signal still reaches another thread, whose handler
    then runs in the main thread between the renames. Outside the main thread, where Python
    runs no handler, nothing changes."""
    caught = []
    try:
        before = {signum: signal.signal(signum, lambda signum, frame: caught.append(signum))
                  for signum in HELD}
    except ValueError:      # not the main thread
        yield
        return
    try:
        yield
    finally:
        for signum, handler in before.items():     # None: set outside Python, taken as default
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside `path`; rename it over `path` only if the block succeeds."""
    with atomic_outputs(path) as (tmp,):
        yield tmp


def _temporary(target):
    fd, tmp = tempfile.mkstemp(prefix=".sgd_viz-", suffix=".tmp" + os.path.splitext(target)[1],
                               dir=os.path.dirname(os.path.abspath(target)))
    os.close(fd)
    return tmp


def _mode(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)     # read the umask: mkstemp's files are private (0600)
        os.umask(umask)
        return 0o666 & ~umask


def render_plan(plan, groups, out, progress=None, trajectories=None):
    """render() with the picture settings of a plan.Plan; returns what render returns."""
    return render(groups, plan.surface, scene_title(plan.surface, groups, plan.shared, plan.title),
                  out, size=plan.size, fps=plan.fps, trail=plan.trail, hold=plan.hold,
                  orbit=plan.orbit, theme=plan.theme, layout=plan.layout, progress=progress,
                  trajectories=trajectories, table=plan.table)


def render(groups, surface, title, out, *, size, fps, trail, hold, orbit, theme, layout,
           progress=None, trajectories=None, table=False):
    """Draw the groups' runs into `out` (see write_picture) and, if given, write their
    trajectories to `trajectories` (see write_trajectories): both files are replaced only when
    both are complete. An error names the user's path, not a temporary one. Returns what
    write_picture returns."""
    with atomic_outputs(out, trajectories) as (picture, rows):
        if rows:
            with named(trajectories):
                write_trajectories(groups, rows)
        with named(out):
            return write_picture(groups, surface, title, picture, size=size, fps=fps,
                                 trail=trail, hold=hold, orbit=orbit, theme=theme,
                                 layout=layout, progress=progress, table=table)


def write_picture(groups, surface, title, path, *, size, fps, trail, hold, orbit, theme, layout,
                  progress=None, table=False):
    """Draw the groups' runs into `path`: a .gif, .mp4 (needs ffmpeg), .html page (the GIF in
    a player, see player.py) or a .png poster of the last step, the camera turning by `orbit`
    degrees over the animation to end on the surface's view; the animation shows its first
    frame for FIRST seconds, so that the starts can be seen, and its last for `hold` more;
    `table` writes the fuller status table. `progress`, if given, is called after each frame.
    Returns the optimizer step that each frame of the GIF shows (.gif and .html; None for the
    others)."""
    frames = len(groups[0].run.steps)
    kind = os.path.splitext(path)[1].lower()
    background = THEMES[theme].get("figure.facecolor", "white")
    with rc_context(THEMES[theme]):
        scene = draw_scene(surface, title, size, groups, layout, trail, table)
        start = scene.axes[0].azim - orbit     # it ends on the surface's chosen view

        def frame(k):
            turned = turn(scene, start + orbit * k / max(1, frames - 1)) if orbit else scene
            draw_frame(turned, k)

        if kind == ".png":
            frame(frames - 1)
            canvas_image(scene.fig).save(path, "PNG")
            return None
        if kind == ".mp4":
            writer = VideoWriter(fps, hold, FIRST)
        else:
            samples = []
            for k in sorted({0, frames // 2, frames - 1}):
                frame(k)
                samples.append(np.array(scene.fig.canvas.buffer_rgba()))
            colors = exact_colors([*group_colors(len(groups), background), background])
            writer = GifWriter(fps, make_palette(samples, colors), hold, FIRST,
                               fuzz=ORBIT_FUZZ if orbit else 0)
        writer.setup(scene.fig, path, scene.fig.dpi)
        try:
            drawn, delays = schedule(groups, surface.bounds, fps, paced=not orbit)
            delay = dict(zip(drawn.tolist(), delays.tolist(), strict=True))
            for k in range(frames):
                if k in delay:
                    frame(k)
                    writer.grab_frame(delay=delay[k])
                if progress:
                    progress()
        except BaseException:
            writer.abort()
            raise
        writer.finish()
    if kind == ".mp4":
        return None
    steps = [int(groups[0].run.steps[drawn[grab]]) for grab in writer.firsts]
    if kind == ".html":
        with open(path, "rb") as file:
            gif = file.read()
        with open(path, "w", encoding="utf-8") as file:
            file.write(player.page(gif, steps, title or "sgd_viz", size, background,
                                   THEMES[theme].get("text.color", "black")))
    return steps


def save_trajectories(groups, path):
    """Write the trajectories (see write_trajectories) to `path`, atomically."""
    with atomic_output(path) as tmp:
        write_trajectories(groups, tmp)


def write_trajectories(groups, path):
    """Positions, losses and status of every ball at every recorded step.

    .npz: `labels` (G,) the groups' labels, `balls` (G,) how many balls each group has, `steps`
    (G, T), and `positions` (G, T, N, 2), `losses` (G, T, N), `diverged`, `converged` and
    `escaped` (G, T, N), where N is the largest group: group g's balls are its first
    balls[g], the rest is NaN (False for the flags). Groups differ in size when balls are
    colored by basin.
    .csv: one row per group, step and ball: group, step, ball, x, y, loss, status.
    """
    if path.lower().endswith(".npz"):
        most = max(group.run.positions.shape[1] for group in groups)

        def padded(values):
            fill = False if values.dtype == bool else np.nan
            pad = [(0, 0)] * values.ndim
            pad[1] = (0, most - values.shape[1])
            return np.pad(values, pad, constant_values=fill)

        arrays = {name: np.stack([getattr(group.run, name) if name == "steps" else
                                  padded(getattr(group.run, name)) for group in groups])
                  for name in Run._fields}
        with open(path, "wb") as file:
            np.savez_compressed(file, labels=np.array([group.label for group in groups]),
                                balls=np.array([group.run.positions.shape[1]
                                                for group in groups]), **arrays)
        return
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["group", "step", "ball", "x", "y", "loss", "status"])
        for group in groups:
            run = group.run
            status = np.where(run.diverged, "diverged", np.where(
                run.escaped, "escaped", np.where(run.converged, "converged", "moving")))
            for row, step in enumerate(run.steps.tolist()):
                writer.writerows([group.label, step, ball, x, y, loss, state] for
                                 ball, ((x, y), loss, state) in enumerate(zip(
                                     run.positions[row].tolist(), run.losses[row].tolist(),
                                     status[row].tolist(), strict=True)))


def size_note(path):
    """A line to print when a GIF is too big for a README, naming what to change; or None."""
    if not path.lower().endswith(".gif") or os.path.getsize(path) <= BIG_GIF:
        return None
    return (f"{path} is {os.path.getsize(path) / 1e6:.2f} MB, more than the {BIG_GIF / 1e6:g} MB "
            "that code hosts show in a README; fewer --frames, a smaller --size, a shorter "
            "--trail, fewer --balls or no --orbit make it smaller")
