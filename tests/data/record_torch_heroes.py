"""Record what torch.optim's optimizers keep as a hero ball rolls on Rosenbrock's function,
into torch_heroes.json.

torch is not a dependency of the project: run this with a Python that has torch (2.13.0 made
the file), from the project's folder:  python tests/data/record_torch_heroes.py
For each optimizer, sgd_viz reads the flags FLAGS (its --lr auto resolves the rate) and draws
the starts; torch starts from the first, takes the gradient of Rosenbrock's function by its
own autograd, steps STEPS times, and keeps after each step the position, the optimizer's state
and, for the adaptive ones, the learning rate of each coordinate that torch's equations apply
(Adagrad: clr / (sqrt(sum) + eps); RMSprop: lr / (sqrt(square_avg) + eps); Adam:
lr / (sqrt(exp_avg_sq / (1 - beta2^t)) + eps)).
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
import sgd_viz  # noqa: E402
from sgd_viz_engine import cli  # noqa: E402
from sgd_viz_engine.plan import make_plan  # noqa: E402
from sgd_viz_engine.simulation import starts_for  # noqa: E402

torch.set_default_dtype(torch.float64)
FLAGS = ["--hero", "1", "--surface", "rosenbrock", "--balls", "20", "--steps", "24"]
STEPS = 24
CLASSES = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "nesterov": torch.optim.SGD,
           "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
           "adam": torch.optim.Adam}
STATE = {"sgd": (), "momentum": ("momentum_buffer",), "nesterov": ("momentum_buffer",),
         "adagrad": ("sum",), "rmsprop": ("square_avg",), "adam": ("exp_avg", "exp_avg_sq")}


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def rates(name, optimizer, state, hp):
    """The learning rate of each coordinate, from torch's state, by torch's equations."""
    if name == "adagrad":
        clr = hp["lr"] / (1 + (state["step"].item() - 1) * hp["lr_decay"])
        return (clr / (state["sum"].sqrt() + hp["eps"])).tolist()
    if name == "rmsprop":
        return (hp["lr"] / (state["square_avg"].sqrt() + hp["eps"])).tolist()
    if name == "adam":
        correction = 1 - hp["betas"][1] ** state["step"].item()
        return (hp["lr"] / ((state["exp_avg_sq"] / correction).sqrt() + hp["eps"])).tolist()
    return None


def record():
    cases = {}
    for name, cls in CLASSES.items():
        values = cli.parse([*FLAGS, "--optimizer", name], sgd_viz.settings(), sgd_viz.PRESETS)
        plan = make_plan(values)
        hp = dict(plan.groups[0].dynamics.optimizer.hyperparameters)
        start = starts_for(plan.surface, plan.balls, np.random.default_rng(plan.seed),
                           plan.init, plan.start_region)[0]
        p = torch.tensor(start.tolist(), requires_grad=True)
        given = {key: value for key, value in hp.items() if key in cls([p]).defaults}
        optimizer = cls([p], **given, foreach=False)
        steps = []
        for _ in range(STEPS):
            optimizer.zero_grad()
            rosenbrock(p).backward()
            grad = p.grad.detach().clone()
            optimizer.step()
            state = optimizer.state[p]
            steps.append({"position": p.detach().tolist(), "grad": grad.tolist(),
                          "state": {field: state[field].tolist() for field in STATE[name]},
                          "rates": rates(name, optimizer, state, hp)})
        cases[name] = {"start": start.tolist(), "hyperparameters": hp, "steps": steps}
    return {"torch": torch.__version__, "flags": FLAGS, "cases": cases}


if __name__ == "__main__":
    with open(os.path.join(HERE, "torch_heroes.json"), "w") as file:
        json.dump(record(), file)
