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
import re
from typing import Any, NamedTuple

import numpy as np

from optimizers import OPTIMIZERS, defaults
from surfaces import SURFACES

from . import phases
from .checks import LARGEST, drawn_problem, minima_problem, read_only, start_problem
from .cost import estimate
from .curvature import auto_rate
from .formula import surface_from_formula
from .function import surface_from_function, with_gradient
from .looks import GROUP_COLORS
from .readers import echo, optimizer_spec, plain, same_file
from .schedules import schedule
from .settings import ROW_OF, ROWS
from .simulation import Dynamics, starts_for
from .surface import Surface
from .trial import kept_rate

MAX_SECONDS = 15 * 60       # estimated work beyond these needs force
MAX_MEMORY = 4e9            # bytes


class PlanError(ValueError):
    """A setting that cannot be used, in one line: the reason (its value and what is allowed)
    and the setting, by its flag's name (None: the plan as a whole). The message names the
    setting as the command line does (argument --lr: ...), or as `name` says (see
    as_written)."""

    def __init__(self, reason, setting=None, name=None):
        self.reason, self.setting = one_line(reason), setting
        name = name or setting and f"argument --{setting.replace('_', '-')}"
        super().__init__(f"{name}: {self.reason}" if name else self.reason)


def as_written(error, values, keywords=None, flags=()):
    """`error` naming its setting as the caller gave it: by the keyword written (`keywords`
    maps a setting to it: lr=-1), as a flag (a setting in `flags`: argument --lr), else by
    its name in the settings block (LEARNING_RATE = -1). A reason that starts with the value
    does not repeat it; for the Python API (`keywords` given), the flags that it names are
    written as keywords (see in_python)."""
    setting = error.setting
    row = ROW_OF.get(setting)
    reason = error.reason if keywords is None else in_python(error.reason)
    if row is None or setting in flags or not (setting in (keywords or {}) or row.setting):
        return error if reason == error.reason else PlanError(reason, setting)
    value = values[setting]
    name = (f"{keywords[setting]}={echo(value)}" if setting in (keywords or {}) else
            f"{row.setting} = {echo(value)}")
    for text in (str(value), echo(value)):
        reason = reason.removeprefix(f"{text} is ")
    return PlanError(reason, setting, name)


def in_python(text):
    """`text` with the flags that it names written as the Python API takes them: --force as
    force=True, --start-region as start_region."""
    return re.sub(r"(?<![\w-])--([a-z][a-z-]*)", lambda flag: "force=True" if flag[1] == "force"
                  else flag[1].replace("-", "_"), text)


def one_line(text):
    """`text` with every character that is not printable escaped, as repr() escapes it: a
    value with a newline in it stays on the error's one line."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text))


class GroupPlan(NamedTuple):
    """One group to simulate: its label, how its balls move, how --lr auto chose its rate
    ("" for a rate given or the lesson's), and how its balls start (see --init)."""

    label: str
    dynamics: Dynamics
    rate_reason: str = ""
    init: str = "uniform"


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


def labelled(groups, batched, noisy, scheduled=(), started=False):
    """The groups (GroupPlans with empty labels) labelled with the fewest significant digits,
    from 6, that tell every two apart (lr=0.1 and lr=0.1000001 are two groups); batch, noise
    and start are named when they differ between groups (`batched`, `noisy`, `started`), and
    the schedule when `scheduled` gives each group's (several schedules)."""
    for digits in range(6, 18):
        labels = [" ".join([label(group.dynamics.optimizer, digits),
                            *([scheduled[index]] if scheduled else []),
                            *([f"batch {group.dynamics.batch_size}"] if batched else []),
                            *([f"noise {digits_of(group.dynamics.noise, digits)}"]
                              if noisy else []),
                            *([f"init {group.init}"] if started else [])])
                  for index, group in enumerate(groups)]
        if len(set(labels)) == len(labels):
            break
    return [group._replace(label=text) for group, text in zip(groups, labels, strict=True)]


def schedule_text(spec):
    """A schedule as --schedule writes it: name, then the hyperparameters given."""
    name, given = spec
    return ":".join([name, *(f"{key}={value}" for key, value in given.items())])


def scheduled(optimizer, spec, steps):
    """The rates (and onecycle's momenta) of a group's schedule `spec` (None: constant), or
    a PlanError, as torch's schedulers raise it."""
    if spec is None:
        return None, None
    name, given = spec
    try:
        made = schedule(name, given, optimizer.hyperparameters["lr"], steps)
    except ValueError as error:
        raise PlanError(error, "schedule") from None
    if made.momenta is not None and not {"momentum", "betas"} & set(optimizer.hyperparameters):
        raise PlanError(f"{schedule_text(spec)} cycles the momentum, and {optimizer.name} has "
                        "none (torch refuses it too); add cycle_momentum=false", "schedule")
    return made.rates, made.momenta


def surface_of(name_or_formula, bounds=None):
    """A registered surface, a Surface, or one built from a formula or a Python function
    f(x, y); `bounds` replaces its domain."""
    if isinstance(name_or_formula, Surface):
        surface = name_or_formula
    elif callable(name_or_formula):
        return surface_from_function(name_or_formula, bounds or ((-5, 5), (-5, 5)))
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
            raise PlanError(f"auto finds no learning rate for {optimizer.name} on "
                            f"{surface.name} ({why}: {rate:g}); give one, e.g. 0.01", "lr")
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


def starts_of(values, surface, init, region):
    """The start points of a group whose balls start as `init` says, (balls, 2): every group
    with the same `init` has the same."""
    return starts_for(surface, values["balls"], np.random.default_rng(values["seed"]), init,
                      region)


def groups_of(values, surface, region):
    """Every combination of optimizer, learning rate, schedule, batch size, noise and start, as
    GroupPlans (a repeated combination is one group); and the words of the title that all
    groups share."""
    lrs, batches, noises, inits = (list(dict.fromkeys(values[name] or [None]))    # each once
                                   for name in ("lr", "batch_size", "noise", "init"))
    shared = [*([f"batch size {batches[0]}"] if len(batches) == 1 and batches[0] else []),
              *([f"noise {noises[0]:g}"] if len(noises) == 1 and noises[0] else []),
              *(["noise annealed"] if values["anneal"] and any(noises) else [])]
    schedules = list(dict.fromkeys(
        None if spec is None else (spec[0], tuple(spec[1].items()))
        for spec in values["schedule"] or [None]))
    schedules = [None if spec is None else (spec[0], dict(spec[1])) for spec in schedules]
    if len(schedules) == 1 and schedules[0]:
        shared.append(f"{schedule_text(schedules[0])} schedule")
    groups, named = {}, {}
    for (name, hyperparameters), lr, spec, batch, noise, init in itertools.product(
            values["optimizer"], lrs, schedules, batches, noises, inits):
        try:
            written = OPTIMIZERS[name](**hyperparameters)
        except ValueError as error:
            raise PlanError(error, "optimizer") from None
        lr, why = learning_rate(surface, written, hyperparameters, lr, region)
        optimizer = OPTIMIZERS[name](**{**hyperparameters, "lr": lr})
        if batch is not None and not batch <= surface.samples:
            raise PlanError(
                f"{surface.name} has no data set to batch; use a surface over data: "
                + " or ".join(
                    name for name, known in SURFACES.items() if known.samples)
                if not surface.samples else
                f"{batch} is more than the {surface.samples} rows of the data set", "batch_size")
        dynamics = Dynamics(**{**{name: values[name] for name in Dynamics._fields
                                  if name in values},
                               "optimizer": optimizer, "batch_size": batch, "noise": noise})
        dynamics, why = verified(surface, dynamics, starts_of(values, surface, init, region),
                                 values["steps"], why)
        rates, momenta = scheduled(dynamics.optimizer, spec, values["steps"])
        dynamics = dynamics._replace(rates=rates, momenta=momenta)
        key = (name, tuple(dynamics.optimizer.hyperparameters.items()),
               spec and schedule_text(spec), batch, noise, init)
        groups.setdefault(key, GroupPlan("", dynamics, why, init))
        named.setdefault(key, "constant" if spec is None else schedule_text(spec))
    return labelled(list(groups.values()), len(batches) > 1, len(noises) > 1,
                    list(named.values()) if len(schedules) > 1 else (), len(inits) > 1), shared


def check_surface(surface, read):
    """A PlanError if the surface is not finite where it is drawn or where the balls start."""
    problem = drawn_problem(surface)
    if problem:
        raise PlanError(f"{problem}; the picture needs heights that are finite and within "
                        f"+-{LARGEST:g}: pick --bounds where they are",
                        "bounds" if read["bounds"] is not None else "surface")
    for init in read["init"]:
        problem = start_problem(surface, starts_of(read, surface, init, read["start_region"]))
        if problem:
            raise PlanError(f"{problem}; pick another --init or --start-region", "init")


def refuse_read_only(name, path, force):
    """A PlanError naming setting `name` if `path` is a read-only file and not `force`."""
    if path and read_only(path) and not force:
        raise PlanError(f"{echo(path)} is read-only; make it writable, choose another file, "
                        "or add --force to replace it", name)


def surface_with(read):
    """The surface that the settings `read` ask for, with their bounds, gradient and minima."""
    if read["grad"] is not None and not callable(read["surface"]):
        raise PlanError("a gradient goes with a surface given as a Python function f(x, y)",
                        "grad")
    try:
        surface = surface_of(read["surface"], read["bounds"])
    except ValueError as error:
        raise PlanError(error, "surface") from None
    if read["grad"] is not None:
        try:
            surface = with_gradient(surface, read["grad"])
        except ValueError as error:
            raise PlanError(error, "grad") from None
    if read["minima"] is not None:
        surface = dataclasses.replace(surface, minima=read["minima"])
        problem = minima_problem(surface)
        if problem:
            raise PlanError(problem, "minima")
    return surface


def with_lesson(read, lesson):
    """The settings `read` with what they leave to the surface's lesson taken from it: where
    the balls start, the optimizer, the steps, and, for the lesson's own run, its story."""
    own = all(read[name] is None for name in ("optimizer", "lr", "steps"))
    return {**read,
            "start_region": lesson.start if read["start_region"] is None and read["bounds"] is None
            else read["start_region"],
            "optimizer": read["optimizer"] or [optimizer_spec(lesson.optimizer)],
            "steps": lesson.steps if read["steps"] is None else read["steps"],
            "title": lesson.story if read["title"] is None and own and lesson.story
            else read["title"]}


def named(groups, labels):
    """The groups with the names in `labels` (None: the names they have)."""
    if labels is None:
        return groups
    if len(labels) != len(groups):
        made = "; ".join(group.label for group in groups)
        raise PlanError(f"{len(labels)} name{'s' * (len(labels) != 1)} for {len(groups)} "
                        f"group{'s' * (len(groups) != 1)} ({made}); give one name per group, "
                        "in that order", "labels")
    return [group._replace(label=name) for group, name in zip(groups, labels, strict=True)]


def make_plan(values, force=False):
    """Check every setting in `values` (a dict by setting name, text or Python values) and
    return the Plan; the first mistake raises a PlanError."""
    read = {}
    for row in ROWS:
        try:
            read[row.name] = row.read(plain(values[row.name]))
        except ValueError as error:
            raise PlanError(error, row.name) from None
    surface = surface_with(read)
    read = with_lesson(read, surface.lesson)
    if read["start_region"] is not None and not all(
            low <= start_low < start_high <= high for (low, high), (start_low, start_high)
            in zip(surface.bounds, read["start_region"], strict=True)):
        raise PlanError(f"{read['start_region']} is not inside the bounds {surface.bounds}",
                        "start_region")
    check_surface(surface, read)
    groups, shared = groups_of(read, surface, read["start_region"])
    groups = named(groups, read["labels"])
    if read["color"] == "basin" and len(groups) > 1:
        raise PlanError(f"basin colors the balls of one group; these settings make "
                        f"{len(groups)} groups", "color")
    if len(groups) > len(GROUP_COLORS):
        raise PlanError(f"{len(groups)} groups (optimizers x learning rates x schedules x "
                        f"batch sizes x noises x inits); at most {len(GROUP_COLORS)} can be "
                        "told apart", "optimizer")
    if read["phases"] is not None:
        try:
            read["phases"] = phases.check(read, surface, groups, read["start_region"])
        except ValueError as error:
            raise PlanError(error, "phases") from None
    for name in ("out", "save_trajectories"):
        refuse_read_only(name, read[name], force)
    if read["out"] and read["save_trajectories"] and same_file(read["out"],
                                                                read["save_trajectories"]):
        raise PlanError(f"{echo(read['save_trajectories'])} is the file that --out "
                        f"{echo(read['out'])} writes; choose another", "save_trajectories")
    plan = Plan(**{**read, "surface": surface, "groups": groups, "shared": shared})
    seconds, memory = estimate(plan)
    if (seconds > MAX_SECONDS or memory > MAX_MEMORY) and not force:
        raise PlanError(f"this would take about {seconds / 60:.0f} min and {memory / 1e9:.1f} "
                        f"GB ({plan.balls} balls, {plan.steps} steps, up to {plan.frames} frames "
                        "of {}x{}); lower --balls, --steps, --frames or --size, or add "
                        "--force".format(*plan.size))
    return plan
