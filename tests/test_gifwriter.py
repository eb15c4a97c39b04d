"""GifWriter against Pillow's own decoder and palette mapping, on a canvas drawn by hand."""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image, ImageSequence

from sgd_viz_engine.gifwriter import GifWriter, make_palette


def test_decoded_frames_are_the_canvas_mapped_to_the_palette_and_still_frames_merge(tmp_path):
    fig = Figure(figsize=(1.6, 1.2), dpi=100)
    FigureCanvasAgg(fig)
    box = fig.add_artist(Rectangle((0.2, 0.2), 0.2, 0.3, color="#d62728"))
    places = [None, (0.2, 0.2), (0.2, 0.2), (0.5, 0.4), (0.5, 0.4), (0.5, 0.4)]

    def draw(place):
        box.set_visible(place is not None)
        box.set_xy(place or (0, 0))
        fig.canvas.draw()
        return np.array(fig.canvas.buffer_rgba())

    palette = make_palette([draw(places[0]), draw(places[-1])], ["#d62728"])
    expected = []
    writer = GifWriter(fps=10, palette=palette, hold=0.5)
    with writer.saving(fig, tmp_path / "out.gif", fig.dpi):
        for place in places:
            canvas = Image.fromarray(draw(place)[..., :3])
            expected.append(canvas.quantize(palette=palette, dither=Image.Dither.NONE))
            writer.grab_frame()

    with Image.open(tmp_path / "out.gif") as im:
        assert im.info["loop"] == 0
        decoded = [(np.asarray(f.convert("RGB")), f.info["duration"])
                   for f in ImageSequence.Iterator(im)]
    assert [duration for _, duration in decoded] == [100, 200, 300 + 500]
    for (pixels, _), k in zip(decoded, (0, 1, 3), strict=True):
        assert np.array_equal(pixels, np.asarray(expected[k].convert("RGB"))), f"frame {k}"
    assert tuple(pixels[60, 100]) == (0xd6, 0x27, 0x28)        # the exact color, not a near one
