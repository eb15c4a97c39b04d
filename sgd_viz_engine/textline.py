"""A line of text drawn by Pillow: the text that changes from frame to frame."""
import functools
import math

import numpy as np
from matplotlib.artist import Artist
from matplotlib.colors import to_rgba
from matplotlib.transforms import Bbox
from PIL import Image, ImageDraw, ImageFont


class TextLine(Artist):
    """A line of text drawn by Pillow, for the text that changes every frame: matplotlib lays
    text out glyph by glyph, several times slower. (x, y) in figure fractions, vertically
    centred there; with a `halo` color, the text is outlined in it, to read on any ground. A
    line that says before the first frame every text it will show (`reserve`) holds its place:
    its window extent is the box of the widest of them, which other text keeps out of."""

    def __init__(self, x, y, color=None, family="monospace", size="medium", halo=None):
        from matplotlib import rcParams
        from matplotlib.font_manager import FontProperties

        super().__init__()
        self.xy, self.text = (x, y), ""
        self.color = color if color is not None else rcParams["text.color"]
        self.font = FontProperties(family=family, size=size)
        self.halo = halo
        self.widest = None          # pixels across the widest text reserved, None: none
        self.set_animated(True)
        self.set_zorder(3)

    def set_text(self, text):
        self.text = text

    def get_text(self):
        return self.text

    def reserve(self, texts):
        """Hold the room of these texts, the ones it will show (in a figure)."""
        font = pillow_font(self.font, self.figure.dpi)
        self.widest = max(map(font.getlength, set(texts)), default=0.0)

    def get_window_extent(self, renderer=None):
        """The box, in pixels, of its text or, wider, of the widest text it reserved."""
        width, height = self.size(self.figure.dpi)
        x, y = self.figure.transFigure.transform(self.xy)
        return Bbox([[x, y - height / 2], [x + max(width, self.widest or 0), y + height / 2]])

    def size(self, dpi):
        """(width, height) of the text in pixels at `dpi`."""
        font = pillow_font(self.font, dpi)
        return font.getlength(self.text), sum(font.getmetrics())

    def draw(self, renderer):
        if not self.text:
            return
        font = pillow_font(self.font, renderer.dpi)
        ascent, descent = font.getmetrics()
        border = 2 if self.halo is not None else 0
        size = (math.ceil(font.getlength(self.text)) + 2 * border, ascent + descent + 2 * border)
        layers = [(self.halo, border), (self.color, 0)] if border else [(self.color, 0)]
        x, y = self.figure.transFigure.transform(self.xy)
        for color, stroke in layers:
            mask = Image.new("L", size)
            ImageDraw.Draw(mask).text((border, border), self.text, fill=255, font=font,
                                      stroke_width=stroke, stroke_fill=255)
            red, green, blue, alpha = to_rgba(color)
            rgba = np.empty((mask.height, mask.width, 4), dtype=np.uint8)
            rgba[..., :3] = np.round(255 * np.array([red, green, blue]))
            rgba[..., 3] = np.asarray(mask) * alpha
            # draw_image takes the image's bottom row first, at (x, y) pixels from bottom left
            renderer.draw_image(renderer.new_gc(), round(x) - border,
                                round(y - mask.height / 2), rgba[::-1])


@functools.cache
def pillow_font(font, dpi):
    """The Pillow font for matplotlib FontProperties at `dpi`, laid out without raqm so that
    every machine draws the same pixels."""
    from matplotlib.font_manager import findfont

    return ImageFont.truetype(findfont(font), font.get_size_in_points() * dpi / 72,
                              layout_engine=ImageFont.Layout.BASIC)
