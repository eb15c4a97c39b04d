"""Record torch.optim.lr_scheduler's rates and trajectories into torch_schedules.json.

torch is not a dependency of the project: run this with a Python that has torch (2.13.0 made
the file), from the project's folder:  python tests/data/record_torch_schedules.py
Every case gives torch the hyperparameters that sgd_viz resolves (defaults filled in), steps
the optimizer and then the scheduler, as torch's loop does, and keeps the rate (and momentum or
beta1) that each optimizer step used, and for the trajectories the positions after each step.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
from sgd_viz_engine.schedules import SCHEDULES, schedule  # noqa: E402

torch.set_default_dtype(torch.float64)
RATES = [       # (schedule, hyperparameters given, lr, steps)
    ("step", {}, 0.1, 30), ("step", {"step_size": 7, "gamma": 0.5}, 0.3, 30),
    ("exponential", {}, 0.1, 30), ("exponential", {"gamma": 0.9}, 0.05, 30),
    ("cosine", {}, 0.1, 30), ("cosine", {"T_max": 10, "eta_min": 0.001}, 0.1, 45),
    ("warm-restarts", {}, 0.1, 30), ("warm-restarts", {"T_0": 5, "T_mult": 2,
                                                       "eta_min": 0.01}, 0.2, 60),
    ("warmup", {}, 0.1, 30), ("warmup", {"start_factor": 0.1, "end_factor": 0.9,
                                         "total_iters": 12}, 0.1, 30),
    ("onecycle", {}, 0.1, 30),
    ("onecycle", {"anneal_strategy": "linear", "three_phase": True, "pct_start": 0.25,
                  "total_steps": 40, "max_lr": 0.5}, 0.1, 33),
    ("onecycle", {"cycle_momentum": False, "div_factor": 10.0}, 0.1, 30),
]
OPTIMIZERS = {  # name -> (torch class, hyperparameters)
    "sgd": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "nesterov": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (torch.optim.Adagrad, {}), "rmsprop": (torch.optim.RMSprop, {}),
    "adam": (torch.optim.Adam, {}),
}
TRAJECTORIES = [("cosine", {"eta_min": 0.01}), ("warm-restarts", {"T_0": 4}),
                ("step", {"step_size": 3, "gamma": 0.5}), ("onecycle", {})]
STARTS = [[1.0, -2.0], [-3.0, 0.5], [2.5, 2.5]]
STEPS = 12


def torch_scheduler(name, optimizer, hyperparameters):
    torch_name = SCHEDULES[name][0]
    return getattr(torch.optim.lr_scheduler, torch_name)(optimizer, **hyperparameters)


def tilted_bowl_grad(p):
    x, y = p[:, 0], p[:, 1]
    return torch.stack([x / 8 + 0.1 * y, y / 2 + 0.1 * x], dim=-1)


def rates_case(name, given, lr, steps):
    resolved = schedule(name, given, lr, steps).hyperparameters
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    sched = torch_scheduler(name, opt, resolved)
    rates, momenta = [], []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        p.grad = torch.zeros(1)
        opt.step()
        sched.step()
    return dict(schedule=name, given=given, lr=lr, steps=steps, rates=rates,
                momenta=momenta if name == "onecycle" and resolved["cycle_momentum"] else None)


def trajectory_case(name, given, optimizer_name):
    lr = 0.3 if optimizer_name in ("sgd", "momentum", "nesterov", "adagrad") else 0.05
    if optimizer_name == "adagrad" and name == "onecycle":
        given = {**given, "cycle_momentum": False}      # adagrad has no momentum to cycle
    resolved = schedule(name, given, lr, STEPS).hyperparameters
    cls, extra = OPTIMIZERS[optimizer_name]
    p = torch.tensor(STARTS, requires_grad=True)
    opt = cls([p], lr=lr, **extra, foreach=False)
    sched = torch_scheduler(name, opt, resolved)
    path = []
    for _ in range(STEPS):
        p.grad = tilted_bowl_grad(p.detach())
        opt.step()
        sched.step()
        path.append(p.detach().tolist())
    return dict(schedule=name, given=given, optimizer=optimizer_name, lr=lr, steps=STEPS,
                starts=STARTS, positions=path)


if __name__ == "__main__":
    record = dict(torch=torch.__version__,
                  rates=[rates_case(*case) for case in RATES],
                  trajectories=[trajectory_case(name, given, optimizer)
                                for name, given in TRAJECTORIES for optimizer in OPTIMIZERS])
    with open(os.path.join(HERE, "torch_schedules.json"), "w") as file:
        json.dump(record, file, indent=1)
        file.write("\n")
