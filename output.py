"""Output files: the animation as a GIF, MP4, HTML player or PNG poster, and the trajectories;
each written to a temporary file beside its path and renamed over it only when complete."""
import base64
import contextlib
import csv
import io
import os
import stat
import tempfile

import numpy as np
from matplotlib import animation, rc_context
from tqdm import tqdm

from gifwriter import GifWriter, make_palette
from looks import THEMES, exact_colours, group_colours
from scene import canvas_image, draw_frame, draw_scene, turn
from simulation import Run


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside `path`; rename it over `path` only if the block succeeds.
    The new file gets the old one's permissions, or the usual ones for a new file."""
    fd, tmp = tempfile.mkstemp(prefix=".sgd_viz-", suffix=".tmp" + os.path.splitext(path)[1],
                               dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    try:
        yield tmp
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)     # read the umask: mkstemp's files are private (0600)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def render(groups, surface, title, out, size=(800, 600), fps=20, trail=8, hold=1.5, orbit=0,
           theme="light", layout="3d", progress=False, first=1.0):
    """Draw the groups' runs into `out`: a .gif, .mp4 (needs ffmpeg), .html player or a .png
    poster of the last step, the camera turning by `orbit` degrees over the animation; a GIF
    shows its first frame for `first` seconds, so that the starts can be seen, and its last
    for `hold` more. The old file is replaced only when the new one is complete."""
    frames = len(groups[0].run.steps)
    kind = os.path.splitext(out)[1].lower()
    with rc_context(THEMES[theme]), atomic_output(out) as tmp:
        scene = draw_scene(surface, title, size, groups, layout, trail)
        start = scene.axes[0].azim

        def frame(k):
            shown = turn(scene, start + orbit * k / max(1, frames - 1)) if orbit else scene
            draw_frame(shown, k)

        if kind == ".png":
            frame(frames - 1)
            canvas_image(scene.fig).save(tmp, "PNG")
            return
        if kind == ".mp4":
            writer = CanvasFFMpegWriter(fps=fps)
        elif kind == ".html":
            writer = CanvasHTMLWriter(fps=fps, embed_frames=True, default_mode="loop")
        else:
            samples = []
            for k in sorted({0, frames // 2, frames - 1}):
                frame(k)
                samples.append(np.array(scene.fig.canvas.buffer_rgba()))
            colours = exact_colours([*group_colours(len(groups)),
                                     THEMES[theme].get("figure.facecolor", "white")])
            writer = GifWriter(fps, make_palette(samples, colours), hold, first)
        with writer.saving(scene.fig, tmp, scene.fig.dpi):
            for k in tqdm(range(frames), disable=not progress, unit="frame", leave=False):
                frame(k)
                writer.grab_frame()


class CanvasFFMpegWriter(animation.FFMpegWriter):
    """matplotlib's ffmpeg writer, fed the canvas as it stands (a full redraw would drop the
    animated artists that draw_frame blits)."""

    def grab_frame(self, **savefig_kwargs):
        self._proc.stdin.write(self.fig.canvas.buffer_rgba())


class CanvasHTMLWriter(animation.HTMLWriter):
    """matplotlib's JavaScript player, fed the canvas as it stands, as PNG frames."""

    def grab_frame(self, **savefig_kwargs):
        png = io.BytesIO()
        canvas_image(self.fig).save(png, "PNG")
        self._saved_frames.append(base64.encodebytes(png.getvalue()).decode("ascii"))


def save_trajectories(groups, path):
    """Positions, losses and status of every ball at every recorded step, as .npz (arrays with a
    leading group axis) or .csv (one row per group, step and ball)."""
    with atomic_output(path) as tmp:
        if path.lower().endswith(".npz"):
            with open(tmp, "wb") as file:
                np.savez_compressed(file, labels=np.array([group.label for group in groups]),
                                    **{name: np.stack([getattr(group.run, name)
                                                       for group in groups])
                                       for name in Run._fields})
            return
        with open(tmp, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["group", "step", "ball", "x", "y", "loss", "status"])
            for group in groups:
                run = group.run
                status = np.where(run.diverged, "diverged",
                                  np.where(run.converged, "converged", "moving"))
                for row, step in enumerate(run.steps.tolist()):
                    writer.writerows([group.label, step, ball, x, y, loss, state] for
                                     ball, ((x, y), loss, state) in enumerate(zip(
                                         run.positions[row].tolist(), run.losses[row].tolist(),
                                         status[row].tolist(), strict=True)))
