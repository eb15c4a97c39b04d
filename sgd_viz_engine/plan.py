"""The validated plan: every setting, from flags, the Python API or the settings block, checked
once, before any work, into the Plan that the simulation and the drawing follow.

A setting arrives as text (a flag) or as a Python value (a keyword or a setting at the top of
sgd_viz.py): READERS turn either into a checked value. A mistake is a PlanError: one line that
names the flag, the value and what is allowed, which the command line prints with exit 2 and
the Python API raises.
"""
import dataclasses
import difflib
import itertools
import math
import os
import shutil
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from optimizers import OPTIMIZERS, defaults
from surfaces import SURFACES, Surface

from .checks import LARGEST, drawn_problem, limit, read_only, replaceable, start_problem
from .cost import estimate
from .curvature import auto_rate
from .formula import is_formula, surface_from_formula
from .looks import GROUP_COLOURS, THEMES
from .panels import LAYOUTS
from .simulation import INITS, starts_for

OUTPUT_KINDS = {".gif": "animated GIF", ".png": "poster of the last step",
                ".mp4": "video, needs ffmpeg", ".html": "a page with the GIF inline"}
MAX_BALLS = 1_000_000
MAX_STEPS = 100_000
SIZE_RANGE = (64, 4096)     # pixels, each side
FPS_RANGE = (1, 50)         # 50 fps is the 20 ms delay floor that GIF viewers honour
RESOLUTION = 1e-9           # the smallest span of bounds, a share of their magnitude
SMALLEST = 1e-280           # bounds all nearer 0: matplotlib draws the axis as -0.05..0.05
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


def shown(value):
    """A number as a message shows it: an int in full, a float in the fewest digits."""
    return str(value) if isinstance(value, Integral) else f"{value:g}"


class GroupPlan(NamedTuple):
    """One group to simulate: its label, optimizer, batch size (None: all rows) and noise, and
    where its learning rate comes from when it was not given."""

    label: str
    optimizer: object
    batch_size: object
    noise: float
    rate: str = ""          # how --lr auto chose its rate, "" for a rate given or the lesson's


class Plan(NamedTuple):
    """A checked request: what to simulate and how to draw it."""

    surface: Surface
    groups: list            # GroupPlan
    shared: list            # words of the title that every group shares
    balls: int
    steps: int
    seed: int
    init: str
    start_region: object    # ((xmin, xmax), (ymin, ymax)) or None for the bounds
    tol: object             # float or None
    anneal: bool            # noise falls to 0 over the run
    frames: int
    size: tuple
    fps: int
    hold: float
    trail: int
    hero: int               # balls per group drawn large, with their path and steps
    layout: str
    color: str
    orbit: float
    theme: str
    title: object           # text, "" for none, None: one from the settings (see scene.title)
    labels: object          # names of the groups, given (already in their labels) or None
    table: bool             # the fuller status table instead of one line per group
    out: str
    save_trajectories: object   # path or None
    quiet: bool


# --- readers: text or a Python value -> a checked value, or ValueError ------------------------

def number(kind, low, high=math.inf, above=False):
    """A reader of an int or float in [low, high] (in (low, high] with `above`)."""
    noun = "an integer" if kind is int else "a number"

    def read(given):
        if isinstance(given, str):
            try:
                value = kind(given)
            except ValueError:
                raise ValueError(f"{given!r} is not {noun}") from None
        elif isinstance(given, bool) or not isinstance(given, Integral if kind is int else Real):
            raise ValueError(f"{given!r} is not {noun}")
        else:
            value = kind(given)
        if not (math.isfinite(value) and (value > low if above else value >= low)
                and value <= high):
            upper = "" if high == math.inf else f" and <= {shown(high)}"
            given = given if str(given).isprintable() else repr(given)
            raise ValueError(f"{given} is out of range: needs {'>' if above else '>='} "
                             f"{shown(low)}{upper}")
        return value
    return read


def listed(read):
    """A reader of one value or several: comma-separated text, or a list or tuple."""
    def read_list(value):
        parts = value.split(",") if isinstance(value, str) else (
            value if isinstance(value, list | tuple) else [value])
        if not parts:
            raise ValueError("needs at least one value")
        return [read(part) for part in parts]
    return read_list


def optional(read):
    """A reader that lets None through."""
    return lambda value: None if value is None else read(value)


def name_in(registry, what, formula=False):
    """A reader of a name in `registry`, with the closest name as a hint; with `formula`, a
    Surface or text that is not a name but parses as a formula passes too (x, pi, x^2)."""
    def read(value):
        if formula and isinstance(value, Surface):
            return value
        if isinstance(value, str) and (value in registry or formula and (
                not value.isidentifier() or is_formula(value))):
            return value        # a surface that is not a name is a formula, built in make_plan
        close = difflib.get_close_matches(str(value), list(registry), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        also = " or a formula in x and y" if formula else ""
        raise ValueError(f"unknown {what} {value!r}{hint}; choose from "
                         f"{', '.join(registry)}{also}")
    return read


def box(value):
    """XMIN,XMAX,YMIN,YMAX as text or four numbers, or ((xmin, xmax), (ymin, ymax))."""
    try:
        parts = value.split(",") if isinstance(value, str) else list(itertools.chain.from_iterable(
            part if isinstance(part, list | tuple) else [part] for part in value))
        xmin, xmax, ymin, ymax = (float(part) for part in parts)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not XMIN,XMAX,YMIN,YMAX, e.g. -5,5,-3,3") from None
    if not all(map(math.isfinite, (xmin, xmax, ymin, ymax))) or xmin >= xmax or ymin >= ymax:
        raise ValueError(f"{value!r} needs finite numbers with XMIN < XMAX and YMIN < YMAX")
    if max(map(abs, (xmin, xmax, ymin, ymax))) > LARGEST:
        raise ValueError(f"{value!r} goes beyond {LARGEST:g}, where the drawing's arithmetic "
                         "overflows")
    for low, high in ((xmin, xmax), (ymin, ymax)):
        if max(abs(low), abs(high)) < SMALLEST:
            raise ValueError(f"{value!r} spans {low!r} to {high!r}, too small to draw: "
                             f"matplotlib's axes need a bound beyond +-{SMALLEST:g}")
        if high - low < RESOLUTION * max(abs(low), abs(high)):
            raise ValueError(f"{value!r} spans {low!r} to {high!r}, too narrow to draw: a span "
                             f"needs at least {RESOLUTION:g} of the largest bound")
    return (xmin, xmax), (ymin, ymax)


def size(value):
    """WIDTHxHEIGHT as text, or a pair of ints."""
    try:
        width, height = (value.lower().partition("x")[::2] if isinstance(value, str) else value)
        pixels = number(int, 0)(width), number(int, 0)(height)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not WIDTHxHEIGHT, e.g. 800x600") from None
    low, high = SIZE_RANGE
    if not all(low <= side <= high for side in pixels):
        raise ValueError(f"{value!r} is out of range: each side {low} to {high} px")
    return pixels


def hyperparameter(text):
    """'true' -> True, '0.8/0.99' -> (0.8, 0.99), '0.5' -> 0.5."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        values = tuple(float(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"{text!r} is not a number, true/false or A/B (a pair such as "
                         "betas=0.9/0.999)") from None
    return values if len(values) > 1 else values[0]


def rate(value):
    """A learning rate > 0, or "auto" (see curvature.py)."""
    return "auto" if value == "auto" else number(float, 0, above=True)(value)


def optimizer_spec(text):
    """'adam:betas=0.8/0.99:amsgrad=true' -> (name, hyperparameters)."""
    name, *settings = str(text).strip().split(":")
    hyperparameters = {}
    for setting in settings:
        key, equals, value = setting.partition("=")
        if not equals:
            raise ValueError(f"{setting!r} in {text!r} is not KEY=VALUE")
        hyperparameters[key] = hyperparameter(value)
    return name_in(OPTIMIZERS, "optimizer")(name), hyperparameters


def writable(path):
    """A path whose folder exists and may be written, with a name the file system takes, and
    no file there that this user may not replace (another user's, in a sticky folder)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder")
    if not os.path.isdir(folder):
        raise ValueError(f"folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"folder {folder!r} is not writable")
    longest = limit(folder, "PC_NAME_MAX", 255)
    if len(os.fsencode(os.path.basename(path))) > longest:
        raise ValueError(f"{path!r} has a name longer than the {longest} bytes that its folder's "
                         "file system allows")
    if len(os.fsencode(os.path.abspath(path))) >= limit(folder, "PC_PATH_MAX", 4096):
        raise ValueError(f"{path!r} is a longer path than the file system allows")
    if os.path.exists(path) and not replaceable(path, folder):
        raise ValueError(f"{path!r} belongs to another user in a folder that only lets owners "
                         "replace their files (sticky)")
    return path


def output_path(path):
    kind = os.path.splitext(os.fspath(path))[1].lower()
    if kind not in OUTPUT_KINDS:
        raise ValueError(f"{os.fspath(path)!r} must end in {', '.join(OUTPUT_KINDS)} "
                         f"({'; '.join(OUTPUT_KINDS.values())})")
    if kind == ".mp4" and not shutil.which("ffmpeg"):
        raise ValueError(f"{os.fspath(path)!r} needs ffmpeg, which is not installed; "
                         "write a .gif instead")
    return writable(path)


def trajectory_path(path):
    if not os.fspath(path).lower().endswith((".npz", ".csv")):
        raise ValueError(f"{os.fspath(path)!r} must end in .npz or .csv")
    return writable(path)


def text(value):
    """Text on one line (a title)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    if not value.isprintable():
        raise ValueError(f"{value!r} must be one line of printable text")
    return value.strip()


def names(value):
    """Names of the groups: comma-separated text, or a list; each one line, not empty, and
    each different."""
    read = listed(text)(value)
    if not all(read):
        raise ValueError(f"{value!r} has an empty name; give every group a name")
    if len(set(read)) < len(read):
        raise ValueError(f"{value!r} names two groups alike; give each its own name")
    return read


def flag(value):
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not True or False")
    return value


READERS = {                 # setting (a flag's name, with _ for -) -> its reader
    "surface": name_in(SURFACES, "surface", formula=True),
    "bounds": optional(box),
    "optimizer": listed(optimizer_spec),
    "lr": optional(listed(rate)),
    "balls": number(int, 1, MAX_BALLS),
    "steps": number(int, 1, MAX_STEPS),
    "init": name_in(INITS, "init"),
    "start_region": optional(box),
    "batch_size": optional(listed(number(int, 1, 10**9))),
    "noise": listed(number(float, 0, 1e6)),
    "tol": optional(number(float, 0, above=True)),
    "anneal": flag,
    "seed": number(int, 0, 2**63 - 1),
    "fps": number(int, *FPS_RANGE),
    "frames": number(int, 2, MAX_STEPS + 1),
    "hold": number(float, 0, 60),
    "trail": number(int, 0, 1000),
    "hero": number(int, 0, 10),
    "size": size,
    "layout": name_in(LAYOUTS, "layout"),
    "color": name_in(("group", "basin"), "colouring"),
    "orbit": number(float, -3600, 3600),
    "theme": name_in(THEMES, "theme"),
    "title": optional(text),
    "labels": optional(names),
    "table": flag,
    "out": optional(output_path),   # None: no file yet (the Python API saves later)
    "save_trajectories": optional(trajectory_path),
    "quiet": flag,
}


# --- the plan ---------------------------------------------------------------------------------

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
        labels = [" ".join([label(group.optimizer, digits),
                            *([f"batch {group.batch_size}"] if batched else []),
                            *([f"noise {digits_of(group.noise, digits)}"] if noisy else [])])
                  for group in groups]
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


def learning_rate(surface, name, hyperparameters, lr, region):
    """The learning rate a group runs, and how auto chose it: NAME:lr=..., else `lr`; with no
    rate given, the surface's own for plain gradient descent, else auto; "auto" from the
    curvature (see curvature.py)."""
    if "lr" in hyperparameters:
        return hyperparameters["lr"], ""
    if lr is None and name == "sgd" and not hyperparameters and surface.lesson.lr:
        return surface.lesson.lr, ""
    if lr is None or lr == "auto":
        rate, why = auto_rate(surface, name, hyperparameters, region)
        return float(f"{rate:.3g}"), f"auto: {why}"
    return lr, ""


def groups_of(values, surface, region):
    """Every combination of optimizer, learning rate, batch size and noise, as GroupPlans (a
    repeated combination is one group); and the words of the title that all groups share."""
    batches, noises = (list(dict.fromkeys(values[name] or [None]))   # each value once
                       for name in ("batch_size", "noise"))
    shared = [*([f"batch size {batches[0]}"] if len(batches) == 1 and batches[0] else []),
              *([f"noise {noises[0]:g}"] if len(noises) == 1 and noises[0] else []),
              *(["noise annealed"] if values["anneal"] and any(noises) else [])]
    groups = {}
    for (name, hyperparameters), lr, batch, noise in itertools.product(
            values["optimizer"], values["lr"] or [None], batches, noises):
        lr, why = learning_rate(surface, name, hyperparameters, lr, region)
        try:
            optimizer = OPTIMIZERS[name](**{**hyperparameters, "lr": lr})
        except ValueError as error:
            raise PlanError(f"argument --optimizer: {error}") from None
        if batch is not None and not batch <= surface.samples:
            raise PlanError(
                f"argument --batch-size: {surface.name} has no data set to batch; use "
                "--surface linear_regression" if not surface.samples else
                f"argument --batch-size: {batch} is more than the {surface.samples} rows of "
                "the data set")
        key = (name, tuple(optimizer.hyperparameters.items()), batch, noise)
        groups.setdefault(key, GroupPlan("", optimizer, batch, noise, why))
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


def make_plan(values, force=False):
    """Check every setting in `values` (a dict by setting name, text or Python values) and
    return the Plan; the first mistake raises a PlanError."""
    read = {}
    for name, reader in READERS.items():
        try:
            read[name] = reader(values[name])
        except ValueError as error:
            raise PlanError(f"argument --{name.replace('_', '-')}: {error}") from None
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
        raise PlanError(f"argument --color: basin colours the balls of one group; these "
                        f"settings make {len(groups)} groups")
    if len(groups) > len(GROUP_COLOURS):
        raise PlanError(f"argument --optimizer: {len(groups)} groups (optimizers x learning "
                        f"rates x batch sizes x noises); at most {len(GROUP_COLOURS)} can be "
                        "told apart")
    for name in ("out", "save_trajectories"):
        if read[name] and read_only(read[name]) and not force:
            raise PlanError(f"argument --{name.replace('_', '-')}: {read[name]!r} is read-only; "
                            "make it writable, choose another file, or add --force to replace it")
    fields = {name: read[name] for name in Plan._fields if name in read}
    plan = Plan(**{**fields, "surface": surface, "groups": groups, "shared": shared})
    seconds, memory = estimate(plan)
    if (seconds > MAX_SECONDS or memory > MAX_MEMORY) and not force:
        raise PlanError(f"this would take about {seconds / 60:.0f} min and {memory / 1e9:.1f} "
                        f"GB ({plan.balls} balls, {plan.steps} steps, up to {plan.frames} frames "
                        "of {}x{}); lower --balls, --steps, --frames or --size, or add --force"
                        .format(*plan.size))
    return plan
