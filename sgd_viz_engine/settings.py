"""The settings, one row each: its name in sgd_viz.py's settings block, its flag, reader and help.

Everything else follows from ROWS: the flags and their help (cli.py), the readers that check a
value given as text or as a Python value, and the fields of the plan (plan.py), and the settings
that sgd_viz.py's block holds (values_of). A new setting is a line in the block and a row here;
what reads it then finds it in the plan by the flag's name.
"""
from collections.abc import Callable
from typing import Any, NamedTuple

from optimizers import OPTIMIZERS
from surfaces import SURFACES

from .layouts import LAYOUTS
from .looks import THEMES
from .readers import (
    FPS_RANGE,
    MAX_BALLS,
    MAX_STEPS,
    OUTPUT_KINDS,
    box,
    flag,
    function,
    listed,
    name_in,
    names,
    number,
    optimizer_spec,
    optional,
    output_path,
    phase_axes,
    points,
    rate,
    size,
    text,
    trajectory_path,
)
from .schedules import DEFAULT_WORDS, SCHEDULES
from .schedules import spec as schedule_spec
from .simulation import INITS


class Row(NamedTuple):
    """A setting: the flag's name (--name, with - for _), the setting's name in the block
    (None for a flag without one), the reader, the help (DEFAULT stands for the default),
    the placeholder of its value in the help, and the help's section."""

    name: str
    setting: str | None
    read: Callable[[Any], Any]
    help: str
    metavar: str | None = None
    section: str = "the scene"
    flag: bool = True       # False: a setting only Python can give (a function)


SCENE, PICTURE = "the scene", "the picture"

ROWS = [
    Row("surface", "SURFACE", name_in(SURFACES, "surface", formula=True),
        f"loss surface (default DEFAULT): {', '.join(SURFACES)}; or a formula in x and y such "
        "as 'x**2 + 3*y**2' or 'sin(x)*cos(y) + 0.1*(x^2 + y^2)'"),
    Row("bounds", "BOUNDS", optional(box),
        "domain of the surface, written with = when it starts with a minus: --bounds=-6,6,-3,3 "
        "(default: the surface's own, or -5,5,-5,5 for a formula)", "XMIN,XMAX,YMIN,YMAX"),
    Row("minima", "MINIMA", optional(points),
        "the surface's global minima, drawn as stars and counted in each group's share at a "
        "global minimum, written with = when it starts with a minus: --minima=1,2;-1,-2 "
        "(default: the surface's own; a formula has none)", "X,Y;X,Y"),
    Row("grad", "GRAD", optional(function),
        "the gradient of a surface given as a Python function f(x, y): grad(x, y) -> (df/dx, "
        "df/dy); None: the complex step where f takes complex numbers, else central "
        "differences", flag=False),
    Row("optimizer", "OPTIMIZER", optional(listed(optimizer_spec)),
        f"update rule (default: the surface's lesson's, sgd unless --list names another): "
        f"{', '.join(OPTIMIZERS)}; a comma-separated list "
        "compares several, each with its own color, from the same starts with the same "
        "noise; NAME:KEY=VALUE sets a hyperparameter as torch.optim names it, e.g. "
        "momentum:momentum=0.5 or adam:betas=0.8/0.99:amsgrad=true (NAME:lr=VALUE fixes that "
        "one's learning rate)"),
    Row("lr", "LEARNING_RATE", optional(listed(rate)),
        "learning rate, > 0 (default DEFAULT); a comma-separated list makes a group for every "
        "pair of optimizer and learning rate"),
    Row("schedule", "SCHEDULE", optional(listed(schedule_spec)),
        "learning-rate schedule, as torch.optim.lr_scheduler computes it, one scheduler step "
        f"per optimizer step (default: none, a constant rate): {', '.join(SCHEDULES)}; "
        "NAME:KEY=VALUE sets a hyperparameter by torch's name, e.g. cosine:eta_min=0.001 or "
        "warm-restarts:T_0=20:T_mult=2; a comma-separated list makes groups. Defaults: "
        + "; ".join(f"{name}: {words}" for name, words in DEFAULT_WORDS.items()), "NAME"),
    Row("balls", "BALLS", number(int, 1, MAX_BALLS), "number of balls (default DEFAULT)"),
    Row("steps", "STEPS", optional(number(int, 1, MAX_STEPS)),
        "optimizer steps (default: the surface's lesson's, 60 unless --list names another)"),
    Row("init", "INIT", listed(name_in(INITS, "init")),
        f"how the balls start (default DEFAULT): {', '.join(INITS)}: uniform over the start "
        "region, normal around its centre, a regular grid, all at zero, or Xavier-style normal "
        "with standard deviation 1; a comma-separated list makes groups"),
    Row("start_region", "START_REGION", optional(box),
        "where balls may start (default: the surface's bounds); write = when it starts with a "
        "minus", "XMIN,XMAX,YMIN,YMAX"),
    Row("batch_size", "BATCH_SIZE", optional(listed(number(int, 1, 10**9))),
        "on a surface over a data set (" + ", ".join(
            name for name, surface in SURFACES.items() if surface.samples) + "): rows per "
        "gradient; its size m is batch gradient descent, 1 is stochastic, between is "
        "mini-batch (default: m); a list makes groups", "B"),
    Row("noise", "NOISE", listed(number(float, 0, 1e6)),
        "add Gaussian noise of this standard deviation to every gradient, the same draws for "
        "every group (default DEFAULT); a list makes groups", "SIGMA"),
    Row("anneal", "ANNEAL", flag,
        "the noise falls linearly to 0 over the run, as in simulated annealing: balls shaken "
        "out of shallow wells settle in deep ones (default DEFAULT)"),
    Row("tol", "TOL", optional(number(float, 0, above=True)),
        "a ball whose loss changes by less than EPS in a step has converged and stops; the GIF "
        "ends once every ball has settled (default: off)", "EPS"),
    Row("seed", "SEED", number(int, 0, 2**63 - 1),
        "random seed of every draw: same seed, same bytes (default DEFAULT)"),
    Row("fps", "FPS", number(int, *FPS_RANGE),
        f"frames per second, {FPS_RANGE[0]} to {FPS_RANGE[1]} (default DEFAULT)",
        section=PICTURE),
    Row("frames", "FRAMES", number(int, 2, MAX_STEPS + 1),
        "frame budget: a run with more steps shows a sample of them, denser early, always with "
        "the last step (default DEFAULT)", section=PICTURE),
    Row("hold", "HOLD", number(float, 0, 60),
        "seconds the last frame stays before the GIF loops (default DEFAULT)", "SECONDS",
        PICTURE),
    Row("trail", "TRAIL", number(int, 0, 1000),
        "steps of trail drawn behind each ball (default DEFAULT)", "STEPS", PICTURE),
    Row("hero", "HERO", number(int, 0, 10),
        "N balls of each group drawn large over the faint crowd, with their whole path and "
        "arrows of each step and of its momentum (default DEFAULT)", "N", PICTURE),
    Row("size", "SIZE", size, "picture size in pixels (default DEFAULT)", "WxH", PICTURE),
    Row("layout", "LAYOUT", name_in(LAYOUTS, "layout"),
        "; ".join(f"{name}: {text}" for name, (text, _) in LAYOUTS.items())
        + " (default DEFAULT)", section=PICTURE),
    Row("color", "COLOR", name_in(("group", "basin"), "coloring"),
        "group: a color per group; basin: a color per minimum the balls end in, with each "
        "basin's share (one group only; ★ marks a global minimum) (default DEFAULT)",
        section=PICTURE),
    Row("orbit", "ORBIT", number(float, -3600, 3600),
        "turn the camera by DEG degrees over the animation (default DEFAULT; slower, the scene "
        "is redrawn)", "DEG", PICTURE),
    Row("theme", "THEME", name_in(THEMES, "theme"),
        f"colors of the figure: {', '.join(THEMES)} (default DEFAULT)", section=PICTURE),
    Row("title", "TITLE", optional(text),
        "the title written on the picture; '' for none (default: a short one from the "
        "settings, such as \"Gradient descent on Himmelblau's function\")", "TEXT", PICTURE),
    Row("labels", "LABELS", optional(names),
        "names of the groups, comma-separated, one per group in the order the groups are made, "
        "e.g. --labels 'too small,just right,too large' (default: their optimizer and "
        "settings)", "A,B,...", PICTURE),
    Row("table", "TABLE", flag,
        "write the fuller status table (mean loss, diverged, share at a global minimum) "
        "instead of one line per group with its one number (default DEFAULT)",
        section=PICTURE),
    Row("out", "OUT", optional(output_path),     # None: no file yet (the Python API saves later)
        "output, replaced only when complete (default DEFAULT): "
        + "; ".join(f"{kind} {what}" for kind, what in OUTPUT_KINDS.items()), section=PICTURE),
    Row("phases", "PHASES", optional(phase_axes),
        "instead of the balls, a phase map (a .png; a .gif walks a marker through it beside the "
        "balls run at each point): a grid of two hyperparameters of the "
        "optimizer, each cell's balls run from the same starts, each cell colored by how most "
        "of them end (converge smoothly, converge rippling, too slow, diverge); X,Y names them, "
        "e.g. lr,momentum (lr from 0 to 4.5/L, momentum 0 to 1, 40 cells each) or "
        "lr=0:9:40,momentum=0:1:40 (LOW:HIGH:CELLS); with lr and momentum, the theory's line "
        "lr = 2(1+β)/L where SGD diverges on a quadratic of largest curvature L",
        "X,Y", PICTURE),
    Row("save_trajectories", "SAVE_TRAJECTORIES", optional(trajectory_path),
        "also write every ball's positions, losses and status to FILE (.npz or .csv)", "FILE",
        PICTURE),
    Row("quiet", None, flag, "no progress bar", section=PICTURE),
]

READERS = {row.name: row.read for row in ROWS}      # setting (by its flag's name) -> its reader
ROW_OF = {row.name: row for row in ROWS}
SPELLINGS = {**{row.setting.lower(): row.name for row in ROWS if row.setting},
             **{row.name: row.name for row in ROWS}}   # a keyword of animate() -> its setting


def values_of(block):
    """The settings in `block` (a module's globals, such as sgd_viz.py's settings block) by
    their flag's name."""
    return {row.name: block[row.setting] for row in ROWS if row.setting}
