"""Loss surfaces f(x, y) with analytic gradients, and a registry of them.

Points are float arrays of shape (..., 2), coordinate last: ``x, y = p[..., 0], p[..., 1]``.
Every ``f`` returns shape (...) and every ``grad`` returns shape (..., 2); both broadcast over
any leading shape (a meshgrid stacked to (H, W, 2) for drawing, (N, 2) for the balls), never
modify their input, and accept ints or lists (they go through ``np.asarray(p, dtype=float)``).

The benchmark functions follow the Virtual Library of Simulation Experiments (Surjanovic &
Bingham, https://www.sfu.ca/~ssurjano/optimization.html), with its standard domains.
"""

import numpy as np

from sgd_viz_engine import network as _model
from sgd_viz_engine.surface import Lesson, Surface, View, mean_over_rows


def _points(p):
    return np.asarray(p, dtype=float)


def _xy(p):
    """x and y as two arrays of their own: numpy's arithmetic on a strided column (a view
    p[..., 0]) is several times slower than on contiguous memory, and copying is cheap."""
    p = _points(p)
    return p[..., 0].copy(), p[..., 1].copy()


def _stack(gx, gy):
    return np.stack([gx, gy], axis=-1)


def bowl(p):
    """(x/4)^2 + (y/2)^2"""
    x, y = _xy(p)
    return (x / 4) ** 2 + (y / 2) ** 2


def bowl_grad(p):
    x, y = _xy(p)
    return _stack(x / 8, y / 2)


# Wells of different depths, so exactly one of them is the global minimum (at about
# (1.3596, 0.9080), f = -1.7061); the others bottom out near -1.04, -0.85 and -0.32.
# Plain gradient descent from a uniform grid of starts splits about 35/26/24/15% between them.
# (centre x, centre y, depth a, width s) of each well
_WELLS = ((1.5, 1.0, 2.0, 1.0), (-2.0, 1.5, 1.6, 0.9), (-1.0, -2.0, 1.3, 0.8),
          (2.0, -2.0, 1.0, 0.7))


def wells(p):
    """(x^2 + y^2)/10 - sum_i a_i exp(-|p - c_i|^2 / (2 s_i^2)), four Gaussian wells."""
    x, y = _xy(p)
    f = (x * x + y * y) / 10
    for cx, cy, depth, width in _WELLS:
        dx, dy = x - cx, y - cy
        f -= depth * np.exp((dx * dx + dy * dy) * (-0.5 / width**2))
    return f


def wells_grad(p):
    x, y = _xy(p)
    gx, gy = x / 5, y / 5
    for cx, cy, depth, width in _WELLS:
        dx, dy = x - cx, y - cy
        pull = np.exp((dx * dx + dy * dy) * (-0.5 / width**2)) * (depth / width**2)
        gx += dx * pull
        gy += dy * pull
    return _stack(gx, gy)


def saddle(p):
    """x^2 - y^2"""
    x, y = _xy(p)
    return x**2 - y**2


def saddle_grad(p):
    x, y = _xy(p)
    return _stack(2 * x, -2 * y)


def rosenbrock(p):
    """(1 - x)^2 + 100 (y - x^2)^2"""
    x, y = _xy(p)
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(p):
    x, y = _xy(p)
    return _stack(-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2))


def _beale_terms(x, y):
    return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3


def beale(p):
    """(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"""
    t1, t2, t3 = _beale_terms(*_xy(p))
    return t1**2 + t2**2 + t3**2


def beale_grad(p):
    x, y = _xy(p)
    t1, t2, t3 = _beale_terms(x, y)
    gx = 2 * (t1 * (y - 1) + t2 * (y**2 - 1) + t3 * (y**3 - 1))
    gy = 2 * x * (t1 + 2 * t2 * y + 3 * t3 * y**2)
    return _stack(gx, gy)


def himmelblau(p):
    """(x^2 + y - 11)^2 + (x + y^2 - 7)^2"""
    x, y = _xy(p)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def himmelblau_grad(p):
    x, y = _xy(p)
    u, v = x**2 + y - 11, x + y**2 - 7
    return _stack(4 * x * u + 2 * v, 2 * u + 4 * y * v)


def rastrigin(p):
    """20 + sum_i (x_i^2 - 10 cos(2 pi x_i))"""
    p = _points(p)
    return 20 + (p**2 - 10 * np.cos(2 * np.pi * p)).sum(-1)


def rastrigin_grad(p):
    p = _points(p)
    return 2 * p + 20 * np.pi * np.sin(2 * np.pi * p)


def ackley(p):
    """-20 exp(-0.2 sqrt((x^2 + y^2)/2)) - exp((cos 2 pi x + cos 2 pi y)/2) + e + 20"""
    p = _points(p)
    r = np.sqrt((p**2).mean(-1))
    return 20 + np.e - 20 * np.exp(-0.2 * r) - np.exp(np.cos(2 * np.pi * p).mean(-1))


def ackley_grad(p):
    p = _points(p)
    r = np.sqrt((p**2).mean(-1))
    # The cone term has no gradient at r = 0; give 0 there, without dividing by zero.
    cone = np.where(r > 0, 2 * np.exp(-0.2 * r) / np.where(r > 0, r, 1.0), 0.0)
    ripple = np.pi * np.sin(2 * np.pi * p) * np.exp(np.cos(2 * np.pi * p).mean(-1))[..., None]
    return cone[..., None] * p + ripple


def six_hump_camel(p):
    """(4 - 2.1 x^2 + x^4/3) x^2 + xy + (4y^2 - 4) y^2"""
    x, y = _xy(p)
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (4 * y**2 - 4) * y**2


def six_hump_camel_grad(p):
    x, y = _xy(p)
    return _stack(8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3)


def styblinski_tang(p):
    """sum_i (x_i^4 - 16 x_i^2 + 5 x_i) / 2"""
    p = _points(p)
    return (p**4 - 16 * p**2 + 5 * p).sum(-1) / 2


def styblinski_tang_grad(p):
    p = _points(p)
    return 2 * p**3 - 16 * p + 2.5


def booth(p):
    """(x + 2y - 7)^2 + (2x + y - 5)^2"""
    x, y = _xy(p)
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def booth_grad(p):
    x, y = _xy(p)
    u, v = x + 2 * y - 7, 2 * x + y - 5
    return _stack(2 * u + 4 * v, 4 * u + 2 * v)


def matyas(p):
    """0.26 (x^2 + y^2) - 0.48 xy"""
    x, y = _xy(p)
    return 0.26 * (x**2 + y**2) - 0.48 * x * y


def matyas_grad(p):
    x, y = _xy(p)
    return _stack(0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x)


def three_hump_camel(p):
    """2x^2 - 1.05x^4 + x^6/6 + xy + y^2"""
    x, y = _xy(p)
    return 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2


def three_hump_camel_grad(p):
    x, y = _xy(p)
    return _stack(4 * x - 4.2 * x**3 + x**5 + y, x + 2 * y)


def _goldstein_price_parts(x, y):
    """f = A B, returned as (A, dA/dx = dA/dy, B, dB/dx, dB/dy)."""
    s, d = x + y + 1, 2 * x - 3 * y
    a = 19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2
    b = 18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2
    first = 1 + s**2 * a
    d_first = 2 * s * a + s**2 * (6 * x + 6 * y - 14)
    second = 30 + d**2 * b
    d_second_dx = 4 * d * b + d**2 * (24 * x - 36 * y - 32)
    d_second_dy = -6 * d * b + d**2 * (54 * y - 36 * x + 48)
    return first, d_first, second, d_second_dx, d_second_dy


def goldstein_price(p):
    """[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]
    * [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]"""
    first, _, second, _, _ = _goldstein_price_parts(*_xy(p))
    return first * second


def goldstein_price_grad(p):
    first, d_first, second, d_second_dx, d_second_dy = _goldstein_price_parts(*_xy(p))
    return _stack(d_first * second + first * d_second_dx, d_first * second + first * d_second_dy)


def levi(p):
    """sin^2(3 pi x) + (x - 1)^2 (1 + sin^2(3 pi y)) + (y - 1)^2 (1 + sin^2(2 pi y))  (N.13)"""
    x, y = _xy(p)
    return (
        np.sin(3 * np.pi * x) ** 2
        + (x - 1) ** 2 * (1 + np.sin(3 * np.pi * y) ** 2)
        + (y - 1) ** 2 * (1 + np.sin(2 * np.pi * y) ** 2)
    )


def levi_grad(p):
    x, y = _xy(p)
    # d/dt sin^2(k t) = k sin(2 k t)
    gx = 3 * np.pi * np.sin(6 * np.pi * x) + 2 * (x - 1) * (1 + np.sin(3 * np.pi * y) ** 2)
    gy = (
        3 * np.pi * (x - 1) ** 2 * np.sin(6 * np.pi * y)
        + 2 * (y - 1) * (1 + np.sin(2 * np.pi * y) ** 2)
        + 2 * np.pi * (y - 1) ** 2 * np.sin(4 * np.pi * y)
    )
    return _stack(gx, gy)


def mccormick(p):
    """sin(x + y) + (x - y)^2 - 1.5x + 2.5y + 1"""
    x, y = _xy(p)
    return np.sin(x + y) + (x - y) ** 2 - 1.5 * x + 2.5 * y + 1


def mccormick_grad(p):
    x, y = _xy(p)
    c, d = np.cos(x + y), 2 * (x - y)
    return _stack(c + d - 1.5, c - d + 2.5)


# Linear regression, the loss of the gradient-descent notes: fit y = w x + b to a seeded dataset
# of m points drawn around the line y = 1.5 x - 0.5. A point p is a parameter pair (w, b).
_data = np.random.default_rng(2024)
REGRESSION_X = _data.uniform(-2, 2, 100)
REGRESSION_Y = 1.5 * REGRESSION_X - 0.5 + _data.normal(0, 0.6, 100)
REGRESSION_BEST = np.linalg.lstsq(np.column_stack([REGRESSION_X, np.ones(100)]), REGRESSION_Y,
                                  rcond=None)[0]


def _moments(rows):
    """Means of x, y, x^2, xy and y^2 over the chosen rows of the data set."""
    x, y = REGRESSION_X[rows], REGRESSION_Y[rows]
    return x.mean(), y.mean(), (x * x).mean(), (x * y).mean(), (y * y).mean()


def linear_regression(p, rows=slice(None)):
    """J(w, b) = 1/(2m) sum_i (w x_i + b - y_i)^2, over the data set or the rows of a batch"""
    w, b = _xy(p)
    mx, my, mxx, mxy, myy = _moments(rows)    # the sum expanded: O(1) per point, not O(m)
    return 0.5 * (w * w * mxx + 2 * w * b * mx + b * b - 2 * w * mxy - 2 * b * my + myy)


def linear_regression_grad(p, rows=slice(None)):
    w, b = _xy(p)
    mx, my, mxx, mxy, _ = _moments(rows)
    return _stack(w * mxx + b * mx - mxy, w * mx + b - my)


# Logistic regression: a weight and a bias (w, b) classifying one feature. 100 rows from
# default_rng(2026): labels 0 or 1 with equal odds, the feature normal with mean -1 or +1 and
# standard deviation 1, so that the classes overlap and the minimum is finite.
_data = np.random.default_rng(2026)
CLASSES = _data.integers(0, 2, 100).astype(float)
FEATURES = _data.normal(2 * CLASSES - 1, 1.0)


def logistic_row(w, b, x, label):
    """log(1 + exp(-s z)), z = w x + b, s = +1 for label 1 and -1 for label 0"""
    return np.logaddexp(0, -(2 * label - 1) * (w * x + b))


def logistic_row_grad(w, b, x, label):
    # d/dz = sigmoid(z) - label, written without overflow for large |z|
    error = np.exp(-np.logaddexp(0, -(w * x + b))) - label
    return error * x, error


logistic_regression, logistic_regression_grad = mean_over_rows(
    logistic_row, logistic_row_grad, FEATURES, CLASSES)


# One neuron: the weights (w, v) of y = v tanh(w x), fitted by mean squared error to 100 rows
# from default_rng(2025): x uniform in [-2, 2], y from the teacher w = 1.5, v = 1 plus normal
# noise of 0.1. As tanh is odd, (w, v) and (-w, -v) fit alike: two equal minima; at the origin
# every gradient is exactly zero (a saddle), so balls started there stay.
_data = np.random.default_rng(2025)
NEURON_X = _data.uniform(-2, 2, 100)
NEURON_Y = 1.0 * np.tanh(1.5 * NEURON_X) + _data.normal(0, 0.1, 100)


def neuron_row(w, v, x, y):
    """(v tanh(w x) - y)^2 / 2"""
    return 0.5 * (v * np.tanh(w * x) - y) ** 2


def neuron_row_grad(w, v, x, y):
    t = np.tanh(w * x)
    residual = v * t - y
    return residual * v * x * (1 - t * t), residual * t


neuron, neuron_grad = mean_over_rows(neuron_row, neuron_row_grad, NEURON_X, NEURON_Y)


def network(p, rows=slice(None)):
    """A 2-16-1 network's cross-entropy on two half-moons, on a plane through its trained
    weights (see sgd_viz_engine/network.py; trained on first use, not on import)."""
    return _model.loss(p, rows)


def network_grad(p, rows=slice(None)):
    return _model.grad(p, rows)


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in [
        Surface("bowl", bowl, bowl_grad, ((-10, 10), (-10, 10)), np.array([(0.0, 0.0)]),
                "(x/4)^2 + (y/2)^2",
                view=View(35, -30),
                lesson=Lesson(0.5),
                title="a bowl"),
        Surface("wells", wells, wells_grad, ((-4, 4), (-4, 4)),
                np.array([(1.3595926615972702, 0.9079590417452389)]),
                "(x^2 + y^2)/10 - four Gaussian wells",
                view=View(65, -60),
                lesson=Lesson(0.1),
                title="four wells"),
        Surface("saddle", saddle, saddle_grad, ((-2, 2), (-2, 2)), np.empty((0, 2)),
                "x^2 - y^2",
                view=View(30, -50),
                lesson=Lesson(0.05), unbounded=True,
                title="a saddle"),
        Surface("rosenbrock", rosenbrock, rosenbrock_grad, ((-2, 2), (-1, 3)),
                np.array([(1.0, 1.0)]), "(1 - x)^2 + 100 (y - x^2)^2",
                view=View(80, -120, "log"),
                lesson=Lesson(0.001, reach=0.01,
                              story="Plain GD crawls down Rosenbrock's flat valley"),
                title="Rosenbrock's function"),
        Surface("beale", beale, beale_grad, ((-4.5, 4.5), (-4.5, 4.5)), np.array([(3.0, 0.5)]),
                "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
                view=View(40, 10, "log"),
                lesson=Lesson(5e-5, optimizer="adam", steps=150),
                title="Beale's function"),
        Surface("himmelblau", himmelblau, himmelblau_grad, ((-5, 5), (-5, 5)),
                np.array([(3.0, 2.0),
                          (-2.805118086952745, 3.131312518250573),
                          (-3.779310253377747, -3.2831859912861696),
                          (3.5844283403304917, -1.8481265269644036)]),
                "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
                view=View(50, 0),
                lesson=Lesson(0.01),
                title="Himmelblau's function"),
        Surface("rastrigin", rastrigin, rastrigin_grad, ((-5.12, 5.12), (-5.12, 5.12)),
                np.array([(0.0, 0.0)]), "20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y)",
                view=View(80, -90, floor=False),
                lesson=Lesson(0.001, story="Every ball stops in the nearest local minimum"),
                title="Rastrigin's function"),
        Surface("ackley", ackley, ackley_grad, ((-5, 5), (-5, 5)), np.array([(0.0, 0.0)]),
                "20 + e - 20 exp(-0.2 sqrt((x^2 + y^2)/2)) - exp((cos 2 pi x + cos 2 pi y)/2)",
                view=View(75, -60, floor=False),
                lesson=Lesson(0.1, story="Ackley's ripples keep plain GD off the centre"),
                title="Ackley's function"),
        Surface("six_hump_camel", six_hump_camel, six_hump_camel_grad, ((-3, 3), (-2, 2)),
                np.array([(0.08984201310031806, -0.7126564030207396),
                          (-0.08984201310031806, 0.7126564030207396)]),
                "(4 - 2.1 x^2 + x^4/3) x^2 + xy + (4y^2 - 4) y^2",
                view=View(70, -28, "log"),
                lesson=Lesson(0.01),
                title="the six-hump camel"),
        Surface("styblinski_tang", styblinski_tang, styblinski_tang_grad, ((-5, 5), (-5, 5)),
                np.array([(-2.903534027771177, -2.903534027771177)]),
                "(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y) / 2",
                view=View(62, 2),
                lesson=Lesson(0.005, story="Where a ball starts decides its well"),
                title="the Styblinski-Tang function"),
        Surface("booth", booth, booth_grad, ((-10, 10), (-10, 10)), np.array([(1.0, 3.0)]),
                "(x + 2y - 7)^2 + (2x + y - 5)^2",
                view=View(35, -50),
                lesson=Lesson(0.05),
                title="Booth's function"),
        Surface("matyas", matyas, matyas_grad, ((-10, 10), (-10, 10)), np.array([(0.0, 0.0)]),
                "0.26 (x^2 + y^2) - 0.48 xy",
                view=View(60, -135),
                lesson=Lesson(0.5, steps=150),
                title="the Matyas function"),
        Surface("three_hump_camel", three_hump_camel, three_hump_camel_grad, ((-5, 5), (-5, 5)),
                np.array([(0.0, 0.0)]), "2x^2 - 1.05x^4 + x^6/6 + xy + y^2",
                view=View(45, -70, "log"),
                lesson=Lesson(0.003, optimizer="adam", steps=150),
                title="the three-hump camel"),
        Surface("goldstein_price", goldstein_price, goldstein_price_grad, ((-2, 2), (-2, 2)),
                np.array([(0.0, -1.0)]),
                "[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]"
                " [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]",
                view=View(75, -50, "log"),
                lesson=Lesson(2e-6, optimizer="adam", steps=150),
                title="the Goldstein-Price function"),
        # Its ripples, the local minima that trap the balls, read only near the minimum: over
        # its whole domain, (-10, 10) each side, they are a thousandth of its heights. Seen
        # from high above, each ball in its own pit; a rate at which none bounces out.
        Surface("levi", levi, levi_grad, ((-1, 3), (-1, 3)), np.array([(1.0, 1.0)]),
                "sin^2(3 pi x) + (x-1)^2 (1 + sin^2(3 pi y)) + (y-1)^2 (1 + sin^2(2 pi y))",
                view=View(70, -60, floor=False, grid=160),
                lesson=Lesson(0.002, story="Lévi's ripples trap every ball"),
                title="Lévi's function"),
        # Exactly (1/2 - pi/3, -1/2 - pi/3): x - y = 1 and cos(x + y) = -1/2.
        Surface("mccormick", mccormick, mccormick_grad, ((-1.5, 4), (-3, 4)),
                np.array([(-0.5471975511965977, -1.5471975511965979)]),
                "sin(x + y) + (x - y)^2 - 1.5x + 2.5y + 1",
                lesson=Lesson(0.1),
                title="McCormick's function"),
        Surface("linear_regression", linear_regression, linear_regression_grad,
                ((-2.5, 5.5), (-4.5, 3.5)), REGRESSION_BEST[None],
                "1/(2m) sum_i (w x_i + b - y_i)^2, m = 100",
                samples=len(REGRESSION_X),
                view=View(40, -60, labels=("w (slope)", "b (intercept)")),
                lesson=Lesson(0.1),
                title="linear regression"),
        Surface("logistic_regression", logistic_regression, logistic_regression_grad,
                ((-3, 7), (-5, 5)), np.array([(1.5993168532230726, -0.20275986254321668)]),
                "1/m sum_i log(1 + exp(-s_i (w x_i + b))), m = 100",
                samples=len(FEATURES),
                view=View(35, -60, labels=("w (weight)", "b (bias)")),
                lesson=Lesson(1.0),
                title="logistic regression"),
        Surface("neuron", neuron, neuron_grad, ((-3, 3), (-3, 3)),
                np.array([(1.5393862198493888, 0.9777440541153486),
                          (-1.5393862198493888, -0.9777440541153486)]),
                "1/(2m) sum_i (v tanh(w x_i) - y_i)^2, m = 100",
                samples=len(NEURON_X),
                view=View(45, -60, labels=("w (input weight)", "v (output weight)")),
                lesson=Lesson(0.5, reach=0.005),
                title="one tanh neuron"),
        Surface("network", network, network_grad, ((-1, 1), (-1, 1)), np.array([(0.0, 0.0)]),
                "cross-entropy of a 2-16-1 network on two half-moons, on a plane of its weights",
                samples=_model.MOONS,
                view=View(60, -60, "log", labels=("direction 1", "direction 2"), grid=61),
                lesson=Lesson(0.02),
                title="a small network's loss"),
    ]
}
