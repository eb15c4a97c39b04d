"""Gradient-descent optimizers as pure, vectorised init/update pairs (optax style, torch math).

Usage:
    opt = OPTIMIZERS["adam"](lr=0.05)            # every other hyperparameter keeps its default
    state = opt.init(x)                          # x: float array of shape (N, 2), one row per ball
    x, state = opt.update(x, surface.grad(x), state)
    x, state = opt.update(x, surface.grad(x), state, lr=0.01)     # this step's rate (a schedule)

Each optimizer computes a direction, and the learning rate scales it last, as optax's
scale_by_learning_rate does: x <- x - lr * direction, where lr may change from step to step.
Everything is elementwise, so x may have any shape; each ball keeps its own state, and a
numeric hyperparameter may be an array that broadcasts against x, one value per ball (the
phase map runs a grid of them at once). Nothing is modified in place: update returns a new x
and a new state (a named tuple of arrays and `step`, the number of updates done so far).

What an optimizer is, is declared on it: whether its update is plain gradient descent, whether
it carries momentum from step to step, its rule for --lr auto (a rate from the largest
curvature L of the surface and the side of the start region, see sgd_viz_engine/curvature.py),
and, for the picture of one ball's step, its update rule in words, what its state carries by
the rule's names, and, for an adaptive method, the factor it scales each coordinate by.

Names, defaults, checks and equations follow the torch.optim 2.x docs, and the floating-point
operations come in the order of torch's code (lerp, addcdiv, bias corrections). Torch fuses its
multiply-adds (fma), which numpy cannot, so trajectories agree with torch to ~1e-15, not bitwise.
"""

import difflib
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import numpy as np

_SGD_DEFAULTS = dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                     maximize=False)
_DEFAULTS = {
    "sgd": _SGD_DEFAULTS,
    "momentum": {**_SGD_DEFAULTS, "momentum": 0.9},
    "nesterov": {**_SGD_DEFAULTS, "momentum": 0.9, "nesterov": True},
    "adagrad": dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10, maximize=False),
    "rmsprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False, maximize=False),
    "adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False),
}
_ALLOWED = {  # hyperparameter -> (test, what is allowed); dampening is free, as in torch
    "lr": (lambda v: v > 0, "> 0"),
    "betas": (lambda v: (0 <= v) & (v < 1), "in [0, 1)"),
    **{name: (lambda v: v >= 0, ">= 0") for name in (
        "momentum", "weight_decay", "eps", "alpha", "lr_decay", "initial_accumulator_value")},
}


class Optimizer(NamedTuple):
    name: str
    hyperparameters: dict  # all of them, defaults included, lr first; a copy, for legends
    init: Callable[[np.ndarray], Any]  # x -> state
    update: Callable[..., tuple]  # (x, grad, state, lr=None) -> (x - lr * direction, state)
    plain: bool  # the update is plain gradient descent, x - lr * grad
    momentum: bool  # carries momentum from step to step (Adam's is its first moment)
    auto_rate: Callable[[float, float], tuple]  # (curvature L, side) -> (rate, reason)
    rule: str = ""          # the update rule as the picture writes it, its numbers filled in
    kept: tuple = ()        # (name in the rule, field of the state): what the state carries
    coordinate_scale: Callable | None = None    # an adaptive method's: state after a step ->
                            # the factor its direction scales each coordinate of the gradient
                            # (or of its average) by, so that lr times it is that coordinate's
                            # own learning rate; None for a method that scales none

    @property
    def adaptive(self):
        """Whether it gives each coordinate a learning rate of its own (see coordinate_scale)."""
        return self.coordinate_scale is not None


def _optimizer(name, hp, init, direction, auto_rate, plain=False, momentum=False, rule="",
               kept=(), coordinate_scale=None):
    """An Optimizer whose update steps by -lr * direction(x, grad, state) -> (direction, state),
    lr the step's rate if given, else the hyperparameter's."""
    rate = hp["lr"]

    def update(x, grad, state, lr=None):
        step, state = direction(x, grad, state)
        return x - (rate if lr is None else lr) * step, state

    return Optimizer(name, dict(hp), init, update, plain, momentum, auto_rate, rule, kept,
                     coordinate_scale)


def written(value, name):
    """A hyperparameter as a rule writes it: its value, rounded (`name` for one value per
    ball)."""
    return f"{value:.3g}" if np.ndim(value) == 0 else name


def gradient_written(hp):
    """The gradient the rule descends along, as written: ∇f, with maximize and weight decay."""
    g = "−∇f" if hp["maximize"] else "∇f"
    if np.any(hp["weight_decay"] != 0):
        g = f"({g} + {written(hp['weight_decay'], 'λ')}·x)"
    return g


def half_the_limit(limit):
    """An auto rule: half of limit(L), the rate at which the method diverges on a quadratic
    of curvature L; on a flat surface (L = 0), where any rate is stable, a tenth of the side."""
    def rule(curvature, side):
        if not curvature > 0 or np.isinf(2 / curvature):    # or so nearly that 1/L overflows
            return side / 10, "a flat surface: a 10th of the start region's side"
        at = limit(curvature)
        return at / 2, f"half of {at:.3g}, where it diverges at curvature L = {curvature:.3g}"
    return rule


def share_of_side(share, first=1.0, why=""):
    """An auto rule for a method that divides the gradient by its own running size, so that
    its step does not grow with the curvature: a `share` of the start region's side, times
    `first`, the size of its first step at lr = 1 (`why` says so)."""
    def rule(curvature, side):
        return side / share * first, f"a {share}th of the start region's side" + (
            why if first != 1 else "")
    return rule


class SGDState(NamedTuple):
    step: int
    momentum_buffer: np.ndarray


class AdagradState(NamedTuple):
    step: int
    sum: np.ndarray  # running sum of squared gradients


class RMSpropState(NamedTuple):
    step: int
    square_avg: np.ndarray
    grad_avg: np.ndarray  # used when centered
    momentum_buffer: np.ndarray  # used when momentum > 0


class AdamState(NamedTuple):
    step: int
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray  # used when amsgrad


def defaults(name: str) -> dict:
    """All hyperparameters of optimizer `name` with their default values, lr first."""
    return dict(_DEFAULTS[name])


def _number(key, value, label=None):
    """`value` as a float (an array of floats, each checked), or a ValueError naming `label`
    (default `key`) and what is allowed."""
    label = label or key
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        test, allowed = _ALLOWED.get(key, (lambda v: True, ""))
        bad = ~np.isfinite(value) | ~np.asarray(test(value), dtype=bool)
        if bad.any():
            raise ValueError(f"Invalid {label}: {value[bad].flat[0].item()!r} (must be a finite "
                             f"number{' ' + allowed if allowed else ''})")
        return value.astype(float)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ValueError(f"Invalid {label}: {value!r} (must be a finite number)")
    test, allowed = _ALLOWED.get(key, (lambda v: True, ""))
    if not test(value):
        raise ValueError(f"Invalid {label}: {value!r} (must be {allowed})")
    return float(value)


def _hyperparameters(name, given):
    """Defaults of `name` overridden by `given`, checked like torch.optim (ValueError if bad)."""
    settings = defaults(name)
    for key, value in given.items():
        default = settings.get(key)
        if default is None:
            close = difflib.get_close_matches(str(key), list(settings), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"{name} got an unknown hyperparameter {key!r}{hint}; "
                             f"allowed: {', '.join(settings)}")
        if isinstance(default, bool):
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"Invalid {key}: {value!r} (must be True or False)")
            value = bool(value)
        elif isinstance(default, tuple):
            if not isinstance(value, (tuple, list)) or len(value) != len(default):
                raise ValueError(f"Invalid {key}: {value!r} (must be a pair of numbers)")
            value = tuple(_number(key, v, f"{key}[{i}]") for i, v in enumerate(value))
        else:
            value = _number(key, value)
        settings[key] = value
    if settings.get("nesterov") and (np.any(settings["momentum"] <= 0)
                                     or np.any(settings["dampening"] != 0)):
        raise ValueError(f"Invalid nesterov: True needs momentum > 0 and dampening == 0, got "
                         f"momentum={settings['momentum']}, dampening={settings['dampening']}")
    return settings


def _direction(x, grad, weight_decay, maximize):
    """The gradient torch descends along: g = ±grad + weight_decay * x."""
    g = -grad if maximize else grad
    return g + weight_decay * x if np.any(weight_decay != 0) else g


def _lerp(start, end, weight):
    """torch.lerp: start + weight * (end - start), computed from the nearer end as torch does."""
    if np.ndim(weight):
        return np.where(weight < 0.5, start + weight * (end - start),
                        end - (end - start) * (1 - weight))
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def sgd(name="sgd", /, **hyperparameters) -> Optimizer:
    """SGD: b = momentum b + (1 - dampening) g (b = g at first); x -= lr (g + momentum b or b).

    Nesterov steps along g + momentum b, heavy-ball momentum along b, plain SGD along g.
    `name` is only for the aliases below, which differ from "sgd" in their defaults.
    """
    hp = _hyperparameters(name, hyperparameters)
    momentum, dampening, nesterov = (hp[k] for k in ("momentum", "dampening", "nesterov"))

    def init(x):
        return SGDState(0, np.zeros_like(x))

    def direction(x, grad, state):
        g = _direction(x, grad, hp["weight_decay"], hp["maximize"])
        buffer = state.momentum_buffer
        if np.any(momentum != 0):
            if state.step == 0:
                buffer = np.array(g, copy=True)
            else:
                buffer = momentum * buffer + (1 - dampening) * g
            carried = g + momentum * buffer if nesterov else buffer
            # balls whose momentum is 0 step along g, as torch's momentum == 0 does
            g = carried if np.ndim(momentum) == 0 else np.where(momentum != 0, carried, g)
        return g, SGDState(state.step + 1, buffer)

    def limit(curvature):       # --lr auto: half of it
        return divergence_rate(curvature, momentum, dampening, nesterov)

    plain = not np.any(momentum) and not np.any(hp["weight_decay"]) and not hp["maximize"]
    carries = bool(np.any(momentum != 0))
    g, mu = gradient_written(hp), written(momentum, "μ")
    fed = f"{written(1 - dampening, '(1−d)')}·{g}" if np.any(dampening != 0) else g
    rule = (f"b ← {mu}·b + {fed},  x ← x − lr·" + (f"({g} + {mu}·b)" if nesterov else "b")
            if carries else f"x ← x − lr·{g}")
    return _optimizer(name, hp, init, direction, half_the_limit(limit), plain, carries, rule,
                      (("b", "momentum_buffer"),) if carries else ())


def divergence_rate(curvature, momentum=0.0, dampening=0.0, nesterov=False):
    """The learning rate beyond which SGD diverges on a quadratic of largest curvature L: 2/L
    for plain gradient descent, 2 (1 + beta) / L for heavy-ball momentum beta,
    2 (1 + beta) / ((1 + 2 beta) L) for Nesterov's; with dampening d, over (1 - d), the
    share of g in the buffer. Elementwise over arrays of momentum."""
    momentum = np.asarray(momentum, dtype=float)
    at = 2 * (1 + momentum) / curvature / (1 + 2 * momentum if nesterov else 1)
    share = np.abs(1 - np.where(momentum != 0, dampening, 0.0))
    rate = at / np.where(share == 0, 1.0, share)
    return rate if rate.ndim else float(rate)


def adagrad(**hyperparameters) -> Optimizer:
    """Adagrad: s += g^2; x -= lr / (1 + (step - 1) lr_decay) * g / (sqrt(s) + eps)."""
    hp = _hyperparameters("adagrad", hyperparameters)

    def init(x):
        return AdagradState(0, np.full_like(x, hp["initial_accumulator_value"]))

    def root(state):
        return np.sqrt(state.sum) + hp["eps"]

    def decay(state):
        return 1 + (state.step - 1) * hp["lr_decay"]

    def direction(x, grad, state):
        g = _direction(x, grad, hp["weight_decay"], hp["maximize"])
        state = AdagradState(state.step + 1, state.sum + g * g)
        return g / root(state) / decay(state), state

    def coordinate_scale(state):
        return 1 / root(state) / decay(state)

    g = gradient_written(hp)
    rate = (f"lr/(1 + {written(hp['lr_decay'], 'd')}·(t−1))" if np.any(hp["lr_decay"] != 0)
            else "lr")
    rule = f"s ← s + {g}²,  x ← x − {rate}·{g} / (√s + ε)"
    # --lr auto: a 10th of the side, as its steps shrink as 1/sqrt(step)
    return _optimizer("adagrad", hp, init, direction, share_of_side(10), rule=rule,
                      kept=(("s", "sum"),), coordinate_scale=coordinate_scale)


def rmsprop(**hyperparameters) -> Optimizer:
    """RMSprop: v = alpha v + (1 - alpha) g^2; x -= lr g / (sqrt(v - centered mean(g)^2) + eps)."""
    hp = _hyperparameters("rmsprop", hyperparameters)
    alpha, momentum = hp["alpha"], hp["momentum"]

    def init(x):
        return RMSpropState(0, np.zeros_like(x), np.zeros_like(x), np.zeros_like(x))

    def root(square_avg, grad_avg):
        if hp["centered"]:      # the variance can round to just below 0, where torch gives nan
            return np.sqrt(np.maximum(square_avg - grad_avg * grad_avg, 0.0)) + hp["eps"]
        return np.sqrt(square_avg) + hp["eps"]

    def direction(x, grad, state):
        g = _direction(x, grad, hp["weight_decay"], hp["maximize"])
        square_avg = alpha * state.square_avg + (1 - alpha) * g * g
        grad_avg = state.grad_avg
        if hp["centered"]:
            grad_avg = _lerp(grad_avg, g, 1 - alpha)
        avg = root(square_avg, grad_avg)
        buffer = state.momentum_buffer
        step = g / avg
        if np.any(momentum > 0):
            buffer = momentum * buffer + step
            step = buffer if np.ndim(momentum) == 0 else np.where(momentum > 0, buffer, step)
        return step, RMSpropState(state.step + 1, square_avg, grad_avg, buffer)

    # --lr auto: a 50th of the side times sqrt(1 - alpha): its first step is lr / sqrt(1 - alpha);
    # alpha >= 1 (torch allows it) averages no g^2, whose square average stays 0 or goes negative
    first = np.where(alpha < 1, np.abs(1 - alpha) ** 0.5, 1.0)
    first = first if first.ndim else float(first)
    auto = share_of_side(50, first, " times sqrt(1 - alpha), the size of rmsprop's first step")
    carries = bool(np.any(momentum > 0))
    g, kept = gradient_written(hp), [("v", "square_avg")]
    a, rest = written(alpha, "α"), written(1 - alpha, "(1−α)")
    rule = f"v ← {a}·v + {rest}·{g}²,  "
    root_written = "√v"
    if hp["centered"]:
        rule += f"ḡ ← {a}·ḡ + {rest}·{g},  "
        root_written = "√(v − ḡ²)"
        kept.append(("ḡ", "grad_avg"))
    if carries:
        rule += f"b ← {written(momentum, 'μ')}·b + {g} / ({root_written} + ε),  x ← x − lr·b"
        kept.append(("b", "momentum_buffer"))
    else:
        rule += f"x ← x − lr·{g} / ({root_written} + ε)"
    return _optimizer("rmsprop", hp, init, direction, auto, momentum=carries, rule=rule,
                      kept=tuple(kept), coordinate_scale=lambda state: 1 / root(
                          state.square_avg, state.grad_avg))


def adam(**hyperparameters) -> Optimizer:
    """Adam: m = lerp(m, g, 1 - beta1), v = beta2 v + (1 - beta2) g^2; x -= lr m^ / (sqrt(v^)+eps).

    m^ = m / (1 - beta1^step) and v^ = v / (1 - beta2^step) (or the max of all v^ for amsgrad).
    """
    hp = _hyperparameters("adam", hyperparameters)
    beta1, beta2 = hp["betas"]

    def init(x):
        return AdamState(0, np.zeros_like(x), np.zeros_like(x), np.zeros_like(x))

    def denominator(state):
        """sqrt(v^) + eps, v^ = v / (1 - beta2^step)."""
        second_moment = state.max_exp_avg_sq if hp["amsgrad"] else state.exp_avg_sq
        return np.sqrt(second_moment) / (1 - beta2**state.step) ** 0.5 + hp["eps"]

    def direction(x, grad, state):
        step = state.step + 1
        g = _direction(x, grad, hp["weight_decay"], hp["maximize"])
        exp_avg = _lerp(state.exp_avg, g, 1 - beta1)
        exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * g * g
        max_exp_avg_sq = state.max_exp_avg_sq
        if hp["amsgrad"]:
            max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)
        state = AdamState(step, exp_avg, exp_avg_sq, max_exp_avg_sq)
        return exp_avg / (1 - beta1**step) / denominator(state), state

    g = gradient_written(hp)
    rule = (f"m ← {written(beta1, 'β₁')}·m + {written(1 - beta1, '(1−β₁)')}·{g},  "
            f"v ← {written(beta2, 'β₂')}·v + {written(1 - beta2, '(1−β₂)')}·{g}²,  "
            f"x ← x − lr·m̂ / (√{'max v̂' if hp['amsgrad'] else 'v̂'} + ε)")
    # --lr auto: a 50th of the side, as its steps are about lr
    return _optimizer("adam", hp, init, direction, share_of_side(50), momentum=True, rule=rule,
                      kept=(("m", "exp_avg"), ("v", "exp_avg_sq")),
                      coordinate_scale=lambda state: 1 / denominator(state))


OPTIMIZERS = {
    "sgd": sgd,
    "momentum": partial(sgd, "momentum"),
    "nesterov": partial(sgd, "nesterov"),
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
}
