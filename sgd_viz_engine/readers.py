"""The readers: a setting given as text (a flag) or as a Python value, checked.

Each reader takes text or a Python value and returns the checked value, or raises a ValueError
that says what is wrong in words; plan.make_plan adds the flag's name. settings.ROWS gives each
setting its reader.
"""
import difflib
import errno
import itertools
import math
import os
import shutil
import stat
from numbers import Integral, Real

import numpy as np

from optimizers import OPTIMIZERS

from .checks import LARGEST, limit, replaceable
from .formula import is_formula
from .surface import Surface

OUTPUT_KINDS = {".gif": "animated GIF", ".png": "poster of the last step",
                ".mp4": "video, needs ffmpeg",
                ".html": "a page that plays the GIF: pause, step, scrub, speed"}
MAX_BALLS = 1_000_000
MAX_STEPS = 100_000
SIZE_RANGE = (64, 4096)     # pixels, each side
FPS_RANGE = (1, 50)         # 50 fps is the 20 ms delay floor that GIF viewers honour
RESOLUTION = 1e-9           # the smallest span of bounds, a share of their magnitude
SMALLEST = 1e-280           # bounds all nearer 0: matplotlib draws the axis as -0.05..0.05


def number_text(value):
    """A number as a message shows it: an int in full, a float in the fewest digits."""
    return str(value) if isinstance(value, Integral) else f"{value:g}"


def echo(value, longest=300):
    """repr(value) as a message quotes it: a value longer than any path cut, with its length,
    so that the message stays one readable line."""
    text = repr(value)
    if len(text) <= longest:
        return text
    return f"{text[:longest - 60]}...{text[-20:]} ({len(str(value))} characters)"


def plain(value):
    """A numpy scalar or array as the Python value it holds (np.True_ -> True, an array -> a
    list), so that the readers take them as they take Python's own."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    return value


def number(kind, low, high=math.inf, above=False):
    """A reader of an int or float in [low, high] (in (low, high] with `above`)."""
    noun = "an integer" if kind is int else "a number"

    def read(given):
        if isinstance(given, str):
            try:
                value = kind(given)
            except ValueError:
                raise ValueError(f"{echo(given)} is not {noun}") from None
        elif isinstance(given, bool) or not isinstance(given, Integral if kind is int else Real):
            raise ValueError(f"{echo(given)} is not {noun}")
        else:
            value = kind(given)
        if not (math.isfinite(value) and (value > low if above else value >= low)
                and value <= high):
            upper = "" if high == math.inf else f" and <= {number_text(high)}"
            given = given if str(given).isprintable() and len(str(given)) <= 300 else echo(given)
            raise ValueError(f"{given} is out of range: needs {'>' if above else '>='} "
                             f"{number_text(low)}{upper}")
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
    """A reader of a name in `registry`, in any case (3D is 3d), with the closest name as a
    hint; with `formula`, a Surface, a Python function or text that is not a name but parses
    as a formula passes too (x, pi, x^2)."""
    def read(value):
        if formula and (isinstance(value, Surface) or callable(value)):
            return value
        if isinstance(value, str) and (value in registry or formula and (
                not value.isidentifier() or is_formula(value))):
            return value        # a surface that is not a name is a formula, built in make_plan
        return closest(value, registry, what, ", a formula in x and y or a Python function "
                       "f(x, y)" if formula else "")
    return read


def closest(value, names, what, also=""):
    """The name among `names` that `value` is in another case, or a ValueError naming the
    closest one as a hint and listing them all."""
    folded = {name.casefold(): name for name in names}
    if isinstance(value, str) and value.casefold() in folded:
        return folded[value.casefold()]
    close = difflib.get_close_matches(str(value).casefold(), list(folded), n=1)
    hint = f" (did you mean {folded[close[0]]}?)" if close else ""
    raise ValueError(f"unknown {what} {echo(value)}{hint}; choose from "
                     f"{', '.join(names)}{also}")


def box(value):
    """XMIN,XMAX,YMIN,YMAX as text or four numbers, or ((xmin, xmax), (ymin, ymax))."""
    try:
        parts = value.split(",") if isinstance(value, str) else list(itertools.chain.from_iterable(
            part if isinstance(part, list | tuple) else [part] for part in value))
        xmin, xmax, ymin, ymax = (float(part) for part in parts)
    except (TypeError, ValueError):
        raise ValueError(f"{echo(value)} is not XMIN,XMAX,YMIN,YMAX, e.g. -5,5,-3,3") from None
    if not all(map(math.isfinite, (xmin, xmax, ymin, ymax))) or xmin >= xmax or ymin >= ymax:
        raise ValueError(f"{echo(value)} needs finite numbers with XMIN < XMAX and YMIN < YMAX")
    if max(map(abs, (xmin, xmax, ymin, ymax))) > LARGEST:
        raise ValueError(f"{echo(value)} goes beyond {LARGEST:g}, where the drawing's arithmetic "
                         "overflows")
    for low, high in ((xmin, xmax), (ymin, ymax)):
        if max(abs(low), abs(high)) < SMALLEST:
            raise ValueError(f"{echo(value)} spans {low!r} to {high!r}, too small to draw: "
                             f"matplotlib's axes need a bound beyond +-{SMALLEST:g}")
        if high - low < RESOLUTION * max(abs(low), abs(high)):
            raise ValueError(f"{echo(value)} spans {low!r} to {high!r}, too narrow to draw: a span "
                             f"needs at least {RESOLUTION:g} of the largest bound")
    return (xmin, xmax), (ymin, ymax)


def points(value):
    """Points X,Y;X,Y as text, or a list of (x, y) pairs (one pair alone too), as an (N, 2)
    array; "" or [] for none."""
    try:
        found = np.array([part.split(",") for part in value.split(";") if part.strip()]
                         if isinstance(value, str) else value, dtype=float)
        if found.shape != (2,) and found.size and (found.ndim != 2 or found.shape[1] != 2):
            raise ValueError
        found = found.reshape(-1, 2)
    except (TypeError, ValueError):
        raise ValueError(f"{echo(value)} is not points X,Y;X,Y, e.g. 1,2;-1,-2 or "
                         "[(1, 2), (-1, -2)]") from None
    if not np.isfinite(found).all():
        raise ValueError(f"{echo(value)} needs finite numbers")
    return found


def function(value):
    """A Python function (anything callable)."""
    if not callable(value):
        raise ValueError(f"{echo(value)} is not a function")
    return value


def size(value):
    """WIDTHxHEIGHT as text, or a pair of ints."""
    try:
        width, height = (value.lower().partition("x")[::2] if isinstance(value, str) else value)
        pixels = number(int, 0)(width), number(int, 0)(height)
    except (TypeError, ValueError):
        raise ValueError(f"{echo(value)} is not WIDTHxHEIGHT, e.g. 800x600") from None
    low, high = SIZE_RANGE
    if not all(low <= side <= high for side in pixels):
        raise ValueError(f"{echo(value)} is out of range: each side {low} to {high} px")
    return pixels


def hyperparameter(text):
    """'true' -> True, '0.8/0.99' -> (0.8, 0.99), '0.5' -> 0.5."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        values = tuple(float(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"{echo(text)} is not a number, true/false or A/B (a pair such as "
                         "betas=0.9/0.999)") from None
    return values if len(values) > 1 else values[0]


def rate(value):
    """A learning rate > 0, or "auto" (see curvature.py)."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    return number(float, 0, above=True)(value)


def named_settings(text, read):
    """'NAME:KEY=VALUE:...' -> (NAME, {KEY: read(VALUE), ...})."""
    name, *settings = str(text).strip().split(":")
    given = {}
    for setting in settings:
        key, equals, value = setting.partition("=")
        if not equals:
            raise ValueError(f"{echo(setting)} in {echo(text)} is not KEY=VALUE")
        given[key] = read(value)
    return name, given


def optimizer_spec(text):
    """'adam:betas=0.8/0.99:amsgrad=true' -> (name, hyperparameters)."""
    name, hyperparameters = named_settings(text, hyperparameter)
    return name_in(OPTIMIZERS, "optimizer")(name), hyperparameters


def phase_axes(value):
    """The two hyperparameters of a phase map, each NAME, NAME=LOW:HIGH or NAME=LOW:HIGH:CELLS,
    as comma-separated text or a pair (of such text or of tuples (NAME, LOW, HIGH[, CELLS])):
    two tuples (name, low, high, cells), None for what is not given."""
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, list | tuple) or len(parts) != 2:
        raise ValueError(f"{echo(value)} is not two hyperparameters X,Y, e.g. lr,momentum or "
                         "lr=0:9,momentum=0:1 (NAME=LOW:HIGH:CELLS sets the cells)")
    axes = []
    for part in parts:
        if isinstance(part, str):
            name, _, span = part.strip().partition("=")
            numbers = span.split(":") if span else []
        else:
            name, *numbers = part if isinstance(part, list | tuple) else (part,)
        if not isinstance(name, str) or not name.isidentifier() or len(numbers) not in (0, 2, 3):
            raise ValueError(f"{echo(part)} in {echo(value)} is not NAME, NAME=LOW:HIGH or "
                             "NAME=LOW:HIGH:CELLS, e.g. momentum=0:0.99")
        low, high = (number(float, -LARGEST, LARGEST)(each) for each in numbers[:2]) if \
            numbers else (None, None)
        if numbers and not low < high:
            raise ValueError(f"{echo(part)} in {echo(value)} needs LOW < HIGH")
        cells = number(int, 2, 400)(numbers[2]) if len(numbers) == 3 else None
        axes.append((name, low, high, cells))
    if axes[0][0] == axes[1][0]:
        raise ValueError(f"{echo(value)} names {axes[0][0]} twice; a map needs two")
    return tuple(axes)


def writable(path):
    """A path to a regular file, or to none yet, in a folder that exists and may be written,
    with a name the file system takes, that this user may replace (not another user's in a
    sticky folder); through a symlink, all of that holds for its target."""
    path = os.fspath(path)
    if "\0" in path:
        raise ValueError(f"{echo(path)} contains a NUL character, which no file name may")
    target = path
    if os.path.islink(path):
        try:
            os.stat(path)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise ValueError(f"{echo(path)} is a symlink loop") from None
        target = os.path.realpath(path)
    through = f" (the target of the symlink {echo(path)})" if target != path else ""
    folder = os.path.dirname(target) or os.curdir
    try:
        os.path.abspath(target)
    except OSError:         # the current folder was deleted
        raise ValueError(f"{echo(path)} is in the current folder, which no longer "
                         "exists") from None
    if os.path.isdir(target):
        raise ValueError(f"{echo(target)}{through} is a folder")
    if not os.path.isdir(folder):
        raise ValueError(f"folder {echo(folder)}{through} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"folder {echo(folder)}{through} is not writable")
    if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        raise ValueError(f"{echo(target)}{through} is not a regular file (a device, FIFO or "
                         "socket), which an output never replaces; choose a file")
    longest = limit(folder, "PC_NAME_MAX", 255)
    if len(os.fsencode(os.path.basename(target))) > longest:
        raise ValueError(f"{echo(target)}{through} has a name longer than the {longest} bytes "
                         "that its folder's file system allows")
    if len(os.fsencode(os.path.abspath(target))) >= limit(folder, "PC_PATH_MAX", 4096):
        raise ValueError(f"{echo(target)}{through} is a longer path than the file system allows")
    if os.path.exists(target) and not replaceable(target, folder):
        raise ValueError(f"{echo(target)}{through} belongs to another user in a folder that only "
                         "lets owners replace their files (sticky)")
    return path


def output_path(path):
    path = os.fspath(path)
    stem, kind = os.path.splitext(os.path.basename(path))
    if stem.startswith(".") and not kind and stem.lower() in OUTPUT_KINDS:
        raise ValueError(f"{echo(path)} needs a name before {stem}, e.g. run{stem}")
    if kind.lower() not in OUTPUT_KINDS:
        raise ValueError(f"{echo(path)} must end in {', '.join(OUTPUT_KINDS)} "
                         f"({'; '.join(OUTPUT_KINDS.values())})")
    if kind.lower() == ".mp4" and not shutil.which("ffmpeg"):
        raise ValueError(f"{echo(path)} needs ffmpeg, which is not installed; "
                         "write a .gif instead")
    return writable(path)


def trajectory_path(path):
    path = os.fspath(path)
    stem, kind = os.path.splitext(os.path.basename(path))
    if stem.lower() in (".npz", ".csv") and not kind:
        raise ValueError(f"{echo(path)} needs a name before {stem}, e.g. runs{stem}")
    if kind.lower() not in (".npz", ".csv"):
        raise ValueError(f"{echo(path)} must end in .npz or .csv")
    return writable(path)


def same_file(first, second):
    """Whether two output paths land on one file: the same target, through symlinks or not."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def text(value):
    """Text on one line (a title)."""
    if not isinstance(value, str):
        raise ValueError(f"{echo(value)} is not text")
    if not value.isprintable():
        raise ValueError(f"{echo(value)} must be one line of printable text")
    return value.strip()


def names(value):
    """Names of the groups: comma-separated text, or a list; each one line, not empty, and
    each different."""
    read = listed(text)(value)
    if not all(read):
        raise ValueError(f"{echo(value)} has an empty name; give every group a name")
    if len(set(read)) < len(read):
        raise ValueError(f"{echo(value)} names two groups alike; give each its own name")
    return read


def flag(value):
    if not isinstance(value, bool):
        raise ValueError(f"{echo(value)} is not True or False")
    return value

