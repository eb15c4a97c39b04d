"""Learning-rate schedules as torch.optim.lr_scheduler computes them: a rate for every step.

    schedule("cosine", {"eta_min": 0.001}, lr=0.1, steps=60) -> Schedule(rates, momenta)

The rate of step t (from 1) is the scheduler's after t - 1 of its steps, as in torch's loop
``opt.step(); sched.step()``. Each schedule is written as torch's get_lr() is, recursive
forms included, in its order of operations, so the rates equal torch's in float64. Names,
hyperparameters and defaults are torch's; where torch has no default (a step size, a decay,
a period, onecycle's peak), the default is stated here relative to the run.
"""
import difflib
import math
from typing import NamedTuple

import numpy as np

from .readers import named_settings


class Schedule(NamedTuple):
    """A rate for every step, and for onecycle a momentum (beta1 for Adam) for every step."""

    name: str
    hyperparameters: dict   # all of them, defaults filled in, for labels
    rates: np.ndarray       # (steps,)
    momenta: np.ndarray | None = None     # (steps,) or None: the optimizer's own


def _step(lr, steps, step_size, gamma):
    rate, rates = lr, []
    for epoch in range(steps):
        if epoch != 0 and epoch % step_size == 0:
            rate = rate * gamma
        rates.append(rate)
    return rates


def _exponential(lr, steps, gamma):
    rate, rates = lr, []
    for epoch in range(steps):
        if epoch != 0:
            rate = rate * gamma
        rates.append(rate)
    return rates


def _cosine(lr, steps, T_max, eta_min):
    rate, rates = lr, []
    for epoch in range(steps):
        if epoch == 0:
            pass
        elif (epoch - 1 - T_max) % (2 * T_max) == 0:
            rate = rate + (lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
        else:
            rate = ((1 + math.cos(math.pi * epoch / T_max))
                    / (1 + math.cos(math.pi * (epoch - 1) / T_max)) * (rate - eta_min) + eta_min)
        rates.append(rate)
    return rates


def _warm_restarts(lr, steps, T_0, T_mult, eta_min):
    period, t, rates = T_0, 0, []
    for epoch in range(steps):
        if epoch != 0:
            t += 1
            if t >= period:
                t, period = t % period, period * T_mult
        rates.append(eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / period)) / 2)
    return rates


def _warmup(lr, steps, start_factor, end_factor, total_iters):
    rate, rates = lr, []
    for epoch in range(steps):
        if epoch == 0:
            rate = rate * start_factor
        elif epoch <= total_iters:
            rate = rate * (1.0 + (end_factor - start_factor) / (
                total_iters * start_factor + (epoch - 1) * (end_factor - start_factor)))
        rates.append(rate)
    return rates


def _onecycle(lr, steps, max_lr, total_steps, pct_start, anneal_strategy, cycle_momentum,
              base_momentum, max_momentum, div_factor, final_div_factor, three_phase):
    initial = max_lr / div_factor
    low = initial / final_div_factor
    if three_phase:
        phases = [(float(pct_start * total_steps) - 1, initial, max_lr, max_momentum,
                   base_momentum),
                  (float(2 * pct_start * total_steps) - 2, max_lr, initial, base_momentum,
                   max_momentum),
                  (total_steps - 1, initial, low, max_momentum, max_momentum)]
    else:
        phases = [(float(pct_start * total_steps) - 1, initial, max_lr, max_momentum,
                   base_momentum),
                  (total_steps - 1, max_lr, low, base_momentum, max_momentum)]

    def anneal(start, end, pct):
        if anneal_strategy == "linear":
            return (end - start) * pct + start
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    rates, momenta = [], []
    for epoch in range(steps):
        start_step = 0.0
        for i, (end_step, start_lr, end_lr, start_momentum, end_momentum) in enumerate(phases):
            if epoch <= end_step or i == len(phases) - 1:
                pct = (epoch - start_step) / (end_step - start_step)
                rates.append(anneal(start_lr, end_lr, pct))
                momenta.append(anneal(start_momentum, end_momentum, pct))
                break
            start_step = end_step
    return rates, (momenta if cycle_momentum else None)


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _constant(lr, steps):
    return [lr] * steps


# name -> (torch's class, function, defaults(lr, steps), checks: key -> (test, what is allowed))
SCHEDULES = {
    "constant": (None, _constant, lambda lr, steps: {}, {}),     # no scheduler, to compare
    "step": ("StepLR", _step,
             lambda lr, steps: dict(step_size=max(1, steps // 3), gamma=0.1),
             dict(step_size=(_positive_int, "an integer > 0"), gamma=(_number, "a number"))),
    "exponential": ("ExponentialLR", _exponential,
                    lambda lr, steps: dict(gamma=float(f"{0.01 ** (1 / max(steps - 1, 1)):.4g}")),
                    dict(gamma=(_number, "a number"))),
    "cosine": ("CosineAnnealingLR", _cosine,
               lambda lr, steps: dict(T_max=steps, eta_min=0.0),
               dict(T_max=(_positive_int, "an integer > 0"), eta_min=(_number, "a number"))),
    "warm-restarts": ("CosineAnnealingWarmRestarts", _warm_restarts,
                      lambda lr, steps: dict(T_0=max(1, steps // 4), T_mult=1, eta_min=0.0),
                      dict(T_0=(_positive_int, "an integer > 0"),
                           T_mult=(_positive_int, "an integer >= 1"),
                           eta_min=(_number, "a number"))),
    "warmup": ("LinearLR", _warmup,
               lambda lr, steps: dict(start_factor=1.0 / 3, end_factor=1.0, total_iters=5),
               dict(start_factor=(lambda v: _number(v) and 0 < v <= 1, "in (0, 1]"),
                    end_factor=(lambda v: _number(v) and 0 <= v <= 1, "in [0, 1]"),
                    total_iters=(lambda v: isinstance(v, int) and v >= 0, "an integer >= 0"))),
    "onecycle": ("OneCycleLR", _onecycle,
                 lambda lr, steps: dict(max_lr=lr, total_steps=steps, pct_start=0.3,
                                        anneal_strategy="cos", cycle_momentum=True,
                                        base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                                        final_div_factor=1e4, three_phase=False),
                 dict(max_lr=(lambda v: _number(v) and v > 0, "a number > 0"),
                      total_steps=(_positive_int, "an integer > 0"),
                      pct_start=(lambda v: _number(v) and 0 <= v <= 1, "in [0, 1]"),
                      anneal_strategy=(lambda v: v in ("cos", "linear"), "cos or linear"),
                      cycle_momentum=(lambda v: isinstance(v, bool), "true or false"),
                      three_phase=(lambda v: isinstance(v, bool), "true or false"),
                      base_momentum=(lambda v: _number(v) and 0 <= v < 1, "in [0, 1)"),
                      max_momentum=(lambda v: _number(v) and 0 <= v < 1, "in [0, 1)"),
                      div_factor=(lambda v: _number(v) and v > 0, "a number > 0"),
                      final_div_factor=(lambda v: _number(v) and v > 0, "a number > 0"))),
}
DEFAULT_WORDS = {           # what the run-relative defaults are, for --list and the help
    "constant": "the group's lr at every step (no scheduler)",
    "step": "step_size a third of the steps, gamma 0.1",
    "exponential": "gamma: a hundredfold fall over the run",
    "cosine": "T_max the run's steps, eta_min 0",
    "warm-restarts": "T_0 a quarter of the steps, T_mult 1, eta_min 0",
    "warmup": "start_factor 1/3, end_factor 1, total_iters 5",
    "onecycle": "max_lr the group's lr, total_steps the run's steps, pct_start 0.3, cos, "
                "momentum cycled 0.95 -> 0.85 -> 0.95, div_factor 25, final_div_factor 1e4",
}


def value_of(text):
    """A hyperparameter as text -> its value: true/false, an int, a float or a word."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def schedule(name, given, lr, steps):
    """The Schedule `name` with hyperparameters `given` (a dict; the rest default), for a run
    of `steps` steps at learning rate `lr`; a ValueError, as torch raises, if one is bad."""
    if name not in SCHEDULES:
        close = difflib.get_close_matches(str(name), list(SCHEDULES), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(f"unknown schedule {name!r}{hint}; choose from {', '.join(SCHEDULES)}")
    torch_name, function, defaults, checks = SCHEDULES[name]
    hyperparameters = defaults(lr, steps)
    for key, value in given.items():
        if key not in hyperparameters:
            close = difflib.get_close_matches(str(key), list(hyperparameters), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"{name} ({torch_name or 'no scheduler'}) has no hyperparameter "
                             f"{key!r}{hint}; allowed: {', '.join(hyperparameters) or 'none'}")
        if isinstance(hyperparameters[key], float) and _number(value):
            value = float(value)
        test, allowed = checks[key]
        if not test(value):
            raise ValueError(f"{name}: {key}={value!r} must be {allowed}")
        hyperparameters[key] = value
    if name == "onecycle" and hyperparameters["total_steps"] < steps:
        raise ValueError(f"onecycle: total_steps={hyperparameters['total_steps']} is fewer "
                         f"than the run's {steps} steps (torch stops with an error there)")
    rates = function(lr, steps, **hyperparameters)
    rates, momenta = rates if name == "onecycle" else (rates, None)
    return Schedule(name, hyperparameters, np.array(rates, dtype=float),
                    None if momenta is None else np.array(momenta, dtype=float))


def spec(text):
    """'cosine:eta_min=0.001' -> (name, hyperparameters); the values are checked by schedule(),
    which knows the run's rate and steps."""
    name, given = named_settings(text, value_of)
    if name not in SCHEDULES:
        schedule(name, {}, 1.0, 1)      # raises, with the closest name
    return name, given
