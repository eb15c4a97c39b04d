"""The validated plan: every setting, from flags, the Python API or the settings block, checked
once, before any work, into the Plan that the simulation and the drawing follow.

A setting arrives as text (a flag) or as a Python value (a keyword or a setting at the top of
sgd_viz.py): its reader (settings.ROWS) turns either into a checked value. A mistake is a
PlanError: one line that names the flag, the value and what is allowed, which the command line
prints with exit 2 and the Python API raises.
"""
import dataclasses
import itertools
import math
from typing import Any, NamedTuple

import numpy as np

from optimizers import OPTIMIZERS, defaults
from surfaces import SURFACES, Surface

from .checks import LARGEST, drawn_problem, read_only, start_problem
from .cost import estimate
from .curvature import auto_rate
from .formula import surface_from_formula
from .looks import GROUP_COLORS
from .readers import echo, plain, same_file
from .settings import ROWS
from .simulation import Dynamics, starts_for
from .trial import kept_rate

MAX_SECONDS = 15 * 60       # estimated work beyond these needs force
MAX_MEMORY = 4e9            # bytes


class PlanError(ValueError):
    """A setting that cannot be used, in one line naming it, its value and what is allowed."""

    def __init__(self, message):
        super().__init__(one_line(message))


def one_line(text):
    """`text` with every character that is not printable escaped, as repr() escapes it: a
    value with a newline in it stays on the error's one line."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text))


class GroupPlan(NamedTuple):
    """One group to simulate: its label, how its balls move, and how --lr auto chose its
    rate ("" for a rate given or the lesson's)."""

    label: str
    dynamics: Dynamics
    rate_reason: str = ""


Plan = NamedTuple("Plan", [*((row.name, Any) for row in ROWS), ("groups", list[GroupPlan]),
                           ("shared", list[str])])
Plan.__doc__ = """A checked request: what to simulate and how to draw it. Every setting of
settings.ROWS by its flag's name, as read (bounds None: the surface's own), but the surface
is the Surface; the groups; and the words of the title that every group shares."""


def label(optimizer, digits=6):
    """An optimizer's name, learning rate and the hyperparameters that differ from its defaults,
    numbers to `digits` significant digits."""
    changed = [f"{key}={digits_of(value, digits)}" if isinstance(value, float) else
               f"{key}={value}" for key, value in optimizer.hyperparameters.items()
               if key != "lr" and value != defaults(optimizer.name)[key]]
    return " ".join([optimizer.name, f"lr={digits_of(optimizer.hyperparameters['lr'], digits)}",
                     *changed])


def digits_of(value, digits):
    """A float to `digits` significant digits, or beyond 16 as repr (the shortest exact)."""
    return f"{value:.{digits}g}" if digits <= 16 else repr(value)


def labelled(groups, batched, noisy):
    """The groups (GroupPlans with empty labels) labelled with the fewest significant digits,
    from 6, that tell every two apart (lr=0.1 and lr=0.1000001 are two groups); batch and
    noise are named when they differ between groups (`batched`, `noisy`)."""
    for digits in range(6, 18):
        labels = [" ".join([label(dynamics.optimizer, digits),
                            *([f"batch {dynamics.batch_size}"] if batched else []),
                            *([f"noise {digits_of(dynamics.noise, digits)}"] if noisy else [])])
                  for dynamics in (group.dynamics for group in groups)]
        if len(set(labels)) == len(labels):
            break
    return [group._replace(label=text) for group, text in zip(groups, labels, strict=True)]


def surface_of(name_or_formula, bounds=None):
    """A registered surface, a Surface, or one built from a formula; `bounds` replaces its
    domain."""
    if isinstance(name_or_formula, Surface):
        surface = name_or_formula
    elif name_or_formula not in SURFACES:
        return surface_from_formula(name_or_formula, bounds or ((-5, 5), (-5, 5)))
    else:
        surface = SURFACES[name_or_formula]
    return surface if bounds is None else dataclasses.replace(surface, bounds=bounds)


def learning_rate(surface, optimizer, given, lr, region):
    """The learning rate a group runs, and how auto chose it: NAME:lr=... (`given` has the
    hyperparameters written), else `lr`; with no rate given, the surface's own for plain
    gradient descent, else auto; "auto" from the curvature (see curvature.py)."""
    if "lr" in given:
        return given["lr"], ""
    if lr is None and optimizer.plain and surface.lesson.lr:
        return surface.lesson.lr, ""
    if lr is None or lr == "auto":
        rate, why = auto_rate(surface, optimizer, region)
        if not 0 < rate < math.inf:
            raise PlanError(f"argument --lr: auto finds no learning rate for {optimizer.name} on "
                            f"{surface.name} ({why}: {rate:g}); give one, e.g. --lr 0.01")
        return float(f"{rate:.3g}"), f"auto: {why}"
    return lr, ""


def verified(surface, dynamics, starts, steps, why):
    """The dynamics of a group whose rate auto chose (`why`), with the largest of that rate
    and its halvings that a trial run keeps on a surface with a minimum (see trial.py), and
    the reason for the status line."""
    if not why or not len(surface.minima):
        return dynamics, why    # without a minimum, leaving is the lesson
    rate = dynamics.optimizer.hyperparameters["lr"]
    kept = kept_rate(surface, dynamics, starts, steps, rate, 3)
    if kept is None:
        return dynamics, f"{why}; a trial run loses balls with it and every smaller rate tried"
    if kept == rate:
        return dynamics, why
    optimizer = OPTIMIZERS[dynamics.optimizer.name](**{**dynamics.optimizer.hyperparameters,
                                                      "lr": kept})
    return dynamics._replace(optimizer=optimizer), (
        f"{why}; {kept:g}, as a trial run lost balls at {rate:g}")


def groups_of(values, surface, region):
    """Every combination of optimizer, learning rate, batch size and noise, as GroupPlans (a
    repeated combination is one group); and the words of the title that all groups share."""
    starts = starts_for(surface, values["balls"], np.random.default_rng(values["seed"]),
                        values["init"], region)
    batches, noises = (list(dict.fromkeys(values[name] or [None]))   # each value once
                       for name in ("batch_size", "noise"))
    shared = [*([f"batch size {batches[0]}"] if len(batches) == 1 and batches[0] else []),
              *([f"noise {noises[0]:g}"] if len(noises) == 1 and noises[0] else []),
              *(["noise annealed"] if values["anneal"] and any(noises) else [])]
    groups = {}
    for (name, hyperparameters), lr, batch, noise in itertools.product(
            values["optimizer"], values["lr"] or [None], batches, noises):
        try:
            written = OPTIMIZERS[name](**hyperparameters)
        except ValueError as error:
            raise PlanError(f"argument --optimizer: {error}") from None
        lr, why = learning_rate(surface, written, hyperparameters, lr, region)
        optimizer = OPTIMIZERS[name](**{**hyperparameters, "lr": lr})
        if batch is not None and not batch <= surface.samples:
            raise PlanError(
                f"argument --batch-size: {surface.name} has no data set to batch; use "
                "--surface linear_regression" if not surface.samples else
                f"argument --batch-size: {batch} is more than the {surface.samples} rows of "
                "the data set")
        dynamics = Dynamics(**{**{name: values[name] for name in Dynamics._fields
                                  if name in values},
                               "optimizer": optimizer, "batch_size": batch, "noise": noise})
        dynamics, why = verified(surface, dynamics, starts, values["steps"], why)
        key = (name, tuple(dynamics.optimizer.hyperparameters.items()), batch, noise)
        groups.setdefault(key, GroupPlan("", dynamics, why))
    return labelled(list(groups.values()), len(batches) > 1, len(noises) > 1), shared


def check_surface(surface, read):
    """A PlanError if the surface is not finite where it is drawn or where the balls start."""
    problem = drawn_problem(surface)
    if problem:
        flag = "--bounds" if read["bounds"] is not None else "--surface"
        raise PlanError(f"argument {flag}: {problem}; the picture needs heights that are "
                        f"finite and within +-{LARGEST:g}: pick --bounds where they are")
    starts = starts_for(surface, read["balls"], np.random.default_rng(read["seed"]),
                        read["init"], read["start_region"])
    problem = start_problem(surface, starts)
    if problem:
        raise PlanError(f"argument --init: {problem}; pick another --init or --start-region")


def refuse_read_only(name, path, force):
    """A PlanError naming setting `name` if `path` is a read-only file and not `force`."""
    if path and read_only(path) and not force:
        raise PlanError(f"argument --{name.replace('_', '-')}: {echo(path)} is read-only; make "
                        "it writable, choose another file, or add --force (force=True in "
                        "Python) to replace it")


def make_plan(values, force=False):
    """Check every setting in `values` (a dict by setting name, text or Python values) and
    return the Plan; the first mistake raises a PlanError."""
    read = {}
    for row in ROWS:
        try:
            read[row.name] = row.read(plain(values[row.name]))
        except ValueError as error:
            raise PlanError(f"argument --{row.name.replace('_', '-')}: {error}") from None
    try:
        surface = surface_of(read["surface"], read["bounds"])
    except ValueError as error:
        raise PlanError(f"argument --surface: {error}") from None
    if read["start_region"] is None and read["bounds"] is None:
        read["start_region"] = surface.lesson.start
    if read["start_region"] is not None and not all(
            low <= start_low < start_high <= high for (low, high), (start_low, start_high)
            in zip(surface.bounds, read["start_region"], strict=True)):
        raise PlanError(f"argument --start-region: {read['start_region']} is not inside the "
                        f"bounds {surface.bounds}")
    check_surface(surface, read)
    groups, shared = groups_of(read, surface, read["start_region"])
    if read["labels"] is not None:
        if len(read["labels"]) != len(groups):
            made = "; ".join(group.label for group in groups)
            raise PlanError(f"argument --labels: {len(read['labels'])} name"
                            f"{'s' * (len(read['labels']) != 1)} for {len(groups)} group"
                            f"{'s' * (len(groups) != 1)} ({made}); give one name per group, "
                            "in that order")
        groups = [group._replace(label=name)
                  for group, name in zip(groups, read["labels"], strict=True)]
    if read["color"] == "basin" and len(groups) > 1:
        raise PlanError(f"argument --color: basin colors the balls of one group; these "
                        f"settings make {len(groups)} groups")
    if len(groups) > len(GROUP_COLORS):
        raise PlanError(f"argument --optimizer: {len(groups)} groups (optimizers x learning "
                        f"rates x batch sizes x noises); at most {len(GROUP_COLORS)} can be "
                        "told apart")
    for name in ("out", "save_trajectories"):
        refuse_read_only(name, read[name], force)
    if read["out"] and read["save_trajectories"] and same_file(read["out"],
                                                                read["save_trajectories"]):
        raise PlanError(f"argument --save-trajectories: {echo(read['save_trajectories'])} is "
                        f"the file that --out {echo(read['out'])} writes; choose another")
    plan = Plan(**{**read, "surface": surface, "groups": groups, "shared": shared})
    seconds, memory = estimate(plan)
    if (seconds > MAX_SECONDS or memory > MAX_MEMORY) and not force:
        raise PlanError(f"this would take about {seconds / 60:.0f} min and {memory / 1e9:.1f} "
                        f"GB ({plan.balls} balls, {plan.steps} steps, up to {plan.frames} frames "
                        "of {}x{}); lower --balls, --steps, --frames or --size, or add --force "
                        "(force=True in Python)".format(*plan.size))
    return plan
