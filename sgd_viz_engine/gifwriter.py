"""Animated GIFs streamed from a matplotlib canvas, one palette for every frame."""
import itertools
import struct
from typing import NamedTuple

import numpy as np
from matplotlib import animation
from matplotlib.colors import to_rgb
from PIL import GifImagePlugin, Image


def make_palette(frames, colors=()):
    """One palette for the whole GIF: `colors` exactly (the balls' own, which are too few
    pixels to win a color of their own), and the rest of 255 colors cut from sample frames
    (RGBA arrays), every other pixel of every other row of them (the same colors, a quarter
    of the work)."""
    exact = list(dict.fromkeys(tuple(round(255 * c) for c in to_rgb(color))
                               for color in colors))
    sample = Image.fromarray(np.concatenate([f[::2, ::2, :3] for f in frames]))
    cut = sample.quantize(255 - len(exact), method=Image.Quantize.MEDIANCUT,
                          dither=Image.Dither.NONE)
    palette = Image.new("P", (1, 1))
    palette.putpalette(cut.getpalette()[:3 * (255 - len(exact))] + list(itertools.chain(*exact)))
    palette.info["exact"] = len(exact)      # the last entries, which GifWriter maps exactly
    return palette


GREY = 8        # a color whose channels differ by at most this is a grey (see fuzz)


class GifWriter(animation.AbstractMovieWriter):
    """A matplotlib movie writer that streams frames into a GIF with one fixed palette.

    Each frame is mapped to the palette without dithering, and only the rectangle that changed
    since the previous frame is stored, with unchanged pixels transparent, so the file holds
    little more than the moving balls. Only pixels that differ from the previous frame's are
    mapped again. Memory stays at one frame whatever the frame count.

    With `fuzz` > 0 a pixel keeps the color it shows while its new one is within `fuzz` levels
    of it in every channel: when the camera turns, every pixel of the surface changes a little
    every frame, and storing only the ones that changed visibly keeps the file small. Greys
    (background, panes, grid, text) and the exact colors are never kept stale: on a flat area
    a stale pixel would show as haze.
    """

    TRANSPARENT = 255       # palette index kept free for "unchanged since the last frame"

    def __init__(self, fps, palette, hold=0.0, first=0.0, fuzz=0):
        super().__init__(fps=fps)
        self.fuzz = fuzz
        self.delay = max(2, round(100 / fps))                   # GIF delays are centiseconds
        self.hold = round(100 * hold)                           # added to the last frame's
        self.first = max(self.delay, round(100 * first))        # the first frame's
        self.palette = palette
        exact = palette.info.get("exact", 0)
        colors = np.array(palette.getpalette()[:3 * 255], dtype=np.uint32).reshape(-1, 3)
        keys = _keys(colors[255 - exact:])
        self.exact_keys, self.exact_indices = np.unique(keys, return_index=True)
        self.exact_indices = (self.exact_indices + 255 - exact).astype(np.uint8)
        self.colors = colors.astype(np.int16)

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi)
        self.file = open(outfile, "wb")
        self.previous = None        # (pixels as uint32, palette indices) of the last frame
        self.pending = None         # (indices, offset, delay) of a frame not yet written
        self.grabs = 0
        self.firsts = []            # for each frame of the GIF, the grab it starts with
        colors = bytes(self.palette.getpalette()[:3 * 255]).ljust(3 * 256, b"\0")
        width, height = fig.canvas.get_width_height()
        self.file.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF7, 0, 0) + colors)
        self.file.write(b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")          # loop forever

    def grab_frame(self, delay=None, **savefig_kwargs):
        """Add the canvas as it stands, shown for `delay` centiseconds (default: 1 / fps)."""
        self.grabs += 1
        delay = self.delay if delay is None else max(2, int(delay))
        rgba = np.asarray(self.fig.canvas.buffer_rgba())
        pixels = rgba.view(np.uint32).ravel()
        if self.previous is None:
            indices = self.quantize(rgba.reshape(1, -1, 4)).ravel()
            self._push(indices.reshape(rgba.shape[:2]), (0, 0), delay)
            self.pending = self.pending._replace(delay=self.first)
        else:
            old_pixels, indices = self.previous
            redo = np.flatnonzero(pixels != old_pixels)
            new = self.quantize(rgba.reshape(-1, 4)[redo][None]).ravel()
            moved = new != indices[redo]
            if self.fuzz:
                # greys (background, panes, grid, text) and the looks' colors stay exact:
                # a stale pixel shows on a flat area, not on the shaded surface
                rgb = rgba.reshape(-1, 4)[redo, :3]
                on_screen = self.colors[indices[redo]]
                change = np.abs(rgb - on_screen).max(axis=1)
                grey = (np.ptp(rgb, axis=1) <= GREY) | (np.ptp(on_screen, axis=1) <= GREY)
                exact = np.isin(new, self.exact_indices) | grey
                moved &= (change > self.fuzz) | exact
            if not moved.any():     # nothing moved: show the previous frame longer
                self.pending = self.pending._replace(delay=self.pending.delay + delay)
                return
            indices = indices.copy()
            indices[redo[moved]] = new[moved]
            rows, cols = np.divmod(redo[moved], rgba.shape[1])
            box = np.full((np.ptp(rows) + 1, np.ptp(cols) + 1), self.TRANSPARENT, dtype=np.uint8)
            box[rows - rows.min(), cols - cols.min()] = new[moved]
            self._push(box, (cols.min(), rows.min()), delay)
        self.previous = pixels.copy(), indices

    def quantize(self, rgba):
        """Palette indices of an (H, W, 4) array of pixels, each mapped to its nearest color."""
        if rgba.size == 0:
            return np.zeros(rgba.shape[:2], dtype=np.uint8)
        image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
        indices = np.array(image.quantize(palette=self.palette, dither=Image.Dither.NONE))
        # Pillow looks colors up in a cache of 6-bit cells, so a color in the palette may
        # come out as a near one in its cell (white as 252 grey): map the exact ones exactly.
        keys = _keys(rgba[..., :3])
        at = np.minimum(np.searchsorted(self.exact_keys, keys), len(self.exact_keys) - 1)
        hit = self.exact_keys[at] == keys if len(self.exact_keys) else np.zeros_like(keys, bool)
        indices[hit] = self.exact_indices[at[hit]]
        return indices

    def _push(self, indices, offset, delay):
        """Write the pending frame, whose delay is now final, and keep this one pending."""
        if self.pending is not None:
            self._write(*self.pending)
        self.pending = _Pending(indices, offset, delay)
        self.firsts.append(self.grabs - 1)

    def _write(self, indices, offset, delay):
        frame = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8))
        for chunk in GifImagePlugin.getdata(frame, offset=tuple(int(o) for o in offset),
                                            duration=10 * delay, disposal=1,
                                            transparency=self.TRANSPARENT):
            self.file.write(chunk)

    def finish(self):
        if self.pending is not None:
            self._write(*self.pending._replace(delay=self.pending.delay + self.hold))
        self.file.write(b";")
        self.file.close()

    def abort(self):
        """Close the file: the drawing failed before finish()."""
        self.file.close()


def _keys(rgb):
    """Colors (..., 3) as one integer each."""
    rgb = np.asarray(rgb, dtype=np.uint32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


class _Pending(NamedTuple):
    indices: np.ndarray
    offset: tuple[int, int]
    delay: int
