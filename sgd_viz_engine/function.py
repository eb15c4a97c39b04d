"""A surface given as a Python function f(x, y) of numpy arrays, with its gradient.

    surface_from_function(lambda x, y: np.sin(x) * np.cos(y), bounds=((-3, 3), (-3, 3)))
    with_gradient(surface, lambda x, y: (np.cos(x) * np.cos(y), -np.sin(x) * np.sin(y)))

f takes x and y, two float arrays of one shape, and returns the loss at each point (an array of
that shape; a number broadcasts). The gradient is the one given as grad(x, y) -> (df/dx, df/dy);
else the complex step, df/dx = Im f(x + ih, y) / h with h = 1e-20, which is exact to rounding
(no difference is taken) where f is analytic and written with numpy's functions, so that it
accepts complex arrays; else, where f does not (abs, comparisons, math.*), central differences
(f(x + h) - f(x - h)) / 2h with h = cbrt(eps) * max(1, |x|), accurate to about 1e-10 relative
for a smooth f. Which one applies is decided on a SAMPLES x SAMPLES grid over the bounds: the
complex step must give finite numbers that agree with central differences there.
"""
import dataclasses

import numpy as np

from .surface import Surface

COMPLEX_STEP = 1e-20
CENTRAL = np.finfo(float).eps ** (1 / 3)    # the step that balances rounding and truncation
SAMPLES = 7                                 # points a side where the gradient is checked
AGREE = 1e-5                                # relative: complex step vs central differences
CHECK = 1e-4                                # relative: a given gradient vs central differences


def surface_from_function(f, bounds):
    """The Surface of `f(x, y)` over `bounds` ((xmin, xmax), (ymin, ymax)) with a numerical
    gradient (see the module docstring; with_gradient gives it one), and no minima known; a
    ValueError in one line if f does not take arrays."""
    name = getattr(f, "__name__", "f")
    name = "f" if name == "<lambda>" else name
    doc = (getattr(f, "__doc__", None) or "").strip().splitlines()
    loss = _loss(f)
    samples = _samples(bounds)
    x, y = samples[..., 0], samples[..., 1]
    try:                            # f must take arrays: said here, once, in words
        with np.errstate(all="ignore"):
            shape = np.shape(f(x, y))
    except Exception as error:
        raise ValueError(f"{name}(x, y) failed on numpy arrays x and y ({type(error).__name__}: "
                         f"{error}); it must take arrays: np.sin, not math.sin") from None
    if shape not in ((), x.shape):
        raise ValueError(f"{name}(x, y) returned shape {shape} for x and y of shape {x.shape}: "
                         "it must return one value per point")
    gradient = _complex_step(f) if _complex_works(f, loss, samples) else _central(loss)
    return Surface(name=name, f=loss, grad=gradient, bounds=bounds, minima=(),
                   formula=doc[0] if doc else name)


def with_gradient(surface, grad):
    """`surface` with the gradient `grad(x, y)`, checked against its slopes (a ValueError in
    one line where they differ)."""
    gradient = _given(grad)
    _check(gradient, surface.f, _samples(surface.bounds), surface.name)
    return dataclasses.replace(surface, grad=gradient)


def _xy(p):
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def _loss(f):
    def loss(p):
        x, y = _xy(p)
        with np.errstate(all="ignore"):     # a loss that is not finite is a diverged ball
            return np.broadcast_to(np.asarray(f(x, y), dtype=float), x.shape)
    return loss


def _given(grad):
    def gradient(p):
        x, y = _xy(p)
        dx, dy = grad(x, y)
        return np.stack(np.broadcast_arrays(np.asarray(dx, float), np.asarray(dy, float), x)[:2],
                        axis=-1)
    return gradient


def _complex_step(f):
    def gradient(p):
        x, y = _xy(p)
        with np.errstate(all="ignore"):
            dx = np.imag(f(x + 1j * COMPLEX_STEP, y)) / COMPLEX_STEP
            dy = np.imag(f(x, y + 1j * COMPLEX_STEP)) / COMPLEX_STEP
        return np.stack(np.broadcast_arrays(dx, dy, x)[:2], axis=-1)
    return gradient


def _central(loss):
    def gradient(p):
        p = np.asarray(p, dtype=float)
        slopes = []
        for axis in range(2):
            step = np.zeros(p.shape)
            step[..., axis] = CENTRAL * np.maximum(1, np.abs(p[..., axis]))
            step[..., axis] = (p[..., axis] + step[..., axis]) - p[..., axis]   # exact in binary
            with np.errstate(all="ignore"):
                slopes.append((loss(p + step) - loss(p - step)) / (2 * step[..., axis]))
        return np.stack(slopes, axis=-1)
    return gradient


def _samples(bounds):
    """A SAMPLES x SAMPLES grid inside the bounds, off their centre lines (where symmetric
    surfaces have zero slopes that anything would match)."""
    (x0, x1), (y0, y1) = bounds
    share = (np.arange(SAMPLES) + 0.37) / SAMPLES
    return np.stack(np.meshgrid(x0 + share * (x1 - x0), y0 + share * (y1 - y0),
                                indexing="ij"), axis=-1)


def _agree(slopes, reference, tolerance):
    finite = np.isfinite(reference)
    scale = 1 + np.abs(reference[finite]).max(initial=0)
    return np.all(np.abs(slopes[finite] - reference[finite]) <= tolerance * scale)


def _complex_works(f, loss, samples):
    """Whether f takes complex arrays and its complex step matches its central differences."""
    x, y = samples[..., 0], samples[..., 1]
    try:
        with np.errstate(all="ignore"):
            probe = np.asarray(f(x + 1j * COMPLEX_STEP, y))
    except Exception:       # a function that takes only reals
        return False
    if not np.iscomplexobj(probe):
        return False
    slopes = _complex_step(f)(samples)
    return np.isfinite(slopes).all() and _agree(slopes, _central(loss)(samples), AGREE)


def _check(gradient, loss, samples, name):
    """A ValueError naming the first sample point where `gradient` is not f's slope."""
    slopes, reference = gradient(samples), _central(loss)(samples)
    if slopes.shape != reference.shape:
        raise ValueError(f"grad(x, y) must return (df/dx, df/dy), arrays like x; it returned "
                         f"shape {slopes.shape[:-1]} for x of shape {reference.shape[:-1]}")
    if _agree(slopes, reference, CHECK):
        return
    scale = 1 + np.abs(reference[np.isfinite(reference)]).max(initial=0)
    bad = ~(np.abs(slopes - reference) <= CHECK * scale).all(axis=-1) & np.isfinite(
        reference).all(axis=-1)
    (x, y), given, slope = samples[bad][0], slopes[bad][0], reference[bad][0]
    raise ValueError(f"grad(x, y) is ({given[0]:.6g}, {given[1]:.6g}) at x = {x:.6g}, "
                     f"y = {y:.6g}, where {name}'s slope is ({slope[0]:.6g}, {slope[1]:.6g}): "
                     "is it the gradient of this f?")
