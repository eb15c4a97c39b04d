"""Every axis shows its scale: a tick label carries the power of ten that matplotlib would
write once at the axis's end, where mplot3d may put it out of sight (issue 24, #3)."""
import pytest
from conftest import sweep

import sgd_viz
from sgd_viz_engine.layouts import LAYOUTS


@pytest.mark.parametrize("layout", sweep(LAYOUTS, lambda layout: layout in ("3d", "curve")))
def test_each_axis_of_a_surface_a_million_wide_writes_its_scale_on_its_labels(layout):
    animation = sgd_viz.animate(surface="x^2+y^2", bounds="-1e6,1e6,-1e6,1e6", layout=layout,
                                balls=4, steps=3, frames=3, size=(640, 480))
    fig, _ = animation.funcanimation()
    fig.canvas.draw()
    checked = 0
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis, *([ax.zaxis] if ax.name == "3d" else [])):
            assert axis.get_offset_text().get_text() == ""
            low, high = axis.get_view_interval()
            if axis.get_scale() != "linear" or max(abs(low), abs(high)) < 1e5:
                continue
            labels = [tick.label1.get_text() for tick in axis.get_major_ticks()
                      if low <= tick.get_loc() <= high and tick.label1.get_visible()]
            shown = [text for text in labels if text not in ("", "0")]
            assert shown and all("e" in text for text in shown), labels
            checked += 1
    assert checked >= 2
