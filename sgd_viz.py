"""sgd_viz: drop many balls on a 3D loss surface and watch gradient descent roll them downhill.

Every ball starts at a random point and follows the optimizer's update; for plain gradient
descent that is x <- x - lr * grad f(x). The whole run is simulated first (all balls at once,
vectorised), then drawn frame by frame into an animated GIF.

    python sgd_viz.py                                         # regenerate sgd.gif
    python sgd_viz.py --surface himmelblau                     # four minima, four crowds
    python sgd_viz.py --surface rastrigin --lr auto           # a rate from the curvature
    python sgd_viz.py --surface rosenbrock --optimizer adam --lr 0.05
    python sgd_viz.py --surface bowl --lr 4.5                 # too large: the balls fly off
    python sgd_viz.py --balls 50 --steps 60 --size 640x480 --out small.gif
    python sgd_viz.py --surface "sin(x)*cos(y) + 0.1*(x^2 + y^2)" --bounds=-6,6,-6,6
    python sgd_viz.py --preset optimizers                     # a lesson: see PRESETS
    python sgd_viz.py --list                                  # surfaces and optimizers

Change the settings below, or pass flags, which override them. A setting takes the values its
flag takes, as text or as Python values: LEARNING_RATE = [0.05, 0.5] makes two groups.
"""
import signal

if __name__ == "__main__":      # Ctrl-C while the libraries load: stop quietly, nothing written
    signal.signal(signal.SIGINT, signal.SIG_DFL)

import difflib
import io
import os
import sys

from tqdm import tqdm

from sgd_viz_engine import cli, curvature, output, phaseplot, simulation, trial
from sgd_viz_engine.api import Animation
from sgd_viz_engine.cli import PROG
from sgd_viz_engine.plan import PlanError, as_written, make_plan
from sgd_viz_engine.readers import name_in
from sgd_viz_engine.settings import SPELLINGS, values_of

# --- the scene -----------------------------------------------------------------------------
SURFACE = "wells"           # loss surface, see --list; a formula in x and y; or a Python
                            # function f(x, y) of numpy arrays x and y
BOUNDS = None               # ((xmin, xmax), (ymin, ymax)); None: the surface's own
MINIMA = None               # [(x, y), ...] global minima, drawn as stars; None: the surface's
GRAD = None                 # grad(x, y) -> (df/dx, df/dy) of a function SURFACE; None: numerical
OPTIMIZER = None            # update rule, see --list; a list makes groups; None: the surface's
                            # lesson's (plain gradient descent, "sgd", unless it names another)
LEARNING_RATE = None        # step size lr in x <- x - lr * grad f(x); a list makes groups;
                            # None: the surface's own (--list), "auto": from its curvature
SCHEDULE = None             # learning-rate schedule (cosine, step, warm-restarts, ...; None:
                            # constant); a list makes groups
BALLS = 300                 # number of balls, dropped at random over the start region
STEPS = None                # optimizer steps; one frame per step (up to FRAMES), plus the start;
                            # None: the surface's lesson's (60 unless it says)
INIT = "uniform"            # start points: uniform, normal, grid, zeros or xavier
START_REGION = None         # where balls start, like BOUNDS; None: the bounds
BATCH_SIZE = None           # rows per gradient on a surface over data (None: all of them)
NOISE = 0.0                 # standard deviation of Gaussian noise added to every gradient
ANNEAL = False              # the noise falls linearly to 0 over the run
TOL = None                  # converged when the loss changes by less than this (None: never)
SEED = 0                    # seed of every random draw: same seed, same GIF, byte for byte

# --- the picture ---------------------------------------------------------------------------
SIZE = (800, 600)           # width and height in pixels
FPS = 20                    # frames per second (GIF delays are whole 10 ms, at least 20 ms)
FRAMES = 200                # frame budget: longer runs are sampled, denser early
HOLD = 1.5                  # seconds the last frame stays before the GIF loops
TRAIL = 8                   # steps of trail drawn behind each ball
HERO = 0                    # balls per group drawn large, with their path and each step
LAYOUT = "3d"               # 3d, curve (learning curves), contour (a map) or multiples
COLOR = "group"             # color balls by "group", or by the "basin" they end in
ORBIT = 0                   # degrees the camera turns over the animation
THEME = "light"             # "light" or "dark"
TITLE = None                # the title on the picture; None: one from the settings; "": none
LABELS = None               # names of the groups, in order, e.g. ["too small", "too large"];
                            # None: from their settings
TABLE = False               # the fuller status table (mean loss, diverged, global minimum)
OUT = "sgd.gif"             # output: .gif, .png (poster), .html (player) or .mp4 (ffmpeg)
SAVE_TRAJECTORIES = None    # also write positions and losses to this .npz or .csv
PHASES = None               # "lr,momentum": instead of the balls, a phase map (a .png, or a .gif
                            # walking through it) of how balls end over a grid of these two
                            # hyperparameters of the optimizer

# --- the lessons, one command each: --preset NAME; explicit flags override -------------------
PRESETS = {
    "learning-rates": ("too small, just right and too large on a bowl: crawls, converges, "
                       "diverges", "--surface bowl --lr 0.3,1.5,4.3 --layout curve --balls 60 "
                       "--steps 50 --title 'Too large a learning rate diverges' "
                       "--labels 'too small · lr 0.3,just right · lr 1.5,too large · lr 4.3'"),
    "optimizers": ("the race down Rosenbrock's valley from its classic start (-1.2, 1): momentum "
                   "overshoots and loops but arrives first, Adam heads down the valley and "
                   "follows, plain SGD crawls", "--surface rosenbrock --optimizer "
                   "sgd:lr=0.0015,momentum:lr=0.0015,nesterov:lr=0.0015,adagrad:lr=1,"
                   "rmsprop:lr=0.01,adam:lr=0.25 --start-region=-1.2001,-1.1999,0.9999,1.0001 "
                   "--balls 1 --hero 1 --layout curve --steps 400 "
                   "--title 'Momentum loops in first, Adam follows, SGD crawls'"),
    "batch-sizes": ("batch, mini-batch and stochastic gradient descent on linear regression, "
                    "zoomed on the minimum: the smaller the batch, the more the balls wander "
                    "around it", "--surface linear_regression --bounds=0,3,-2,1 --lr 0.1 "
                    "--batch-size 100,10,1 --layout curve --balls 60 --steps 100 "
                    "--title 'The smaller the batch, the noisier the descent' "
                    "--labels 'full batch · 100,mini-batch · 10,stochastic · 1'"),
    "local-minima": ("balls trapped in the wells they start above; annealed noise shakes more "
                     "into the deepest", "--surface wells --lr 0.1 --noise 0,3 --anneal "
                     "--layout curve --balls 150 --steps 150 "
                     "--title 'Annealed noise frees balls from shallow wells' "
                     "--labels 'plain GD,annealed noise'"),
    "saddle": ("on a saddle, plain GD stalls at the saddle point; noise and momentum escape "
               "downhill", "--surface saddle --optimizer momentum,sgd --lr 0.03 --noise 1,0 "
               "--init grid --start-region=-1.8,1.8,-0.0001,0.0001 --layout curve --balls 36 "
               "--steps 120 --title 'Plain GD stalls on a saddle; noise and momentum escape' "
               "--labels 'momentum + noise,momentum,noise,plain GD'"),
    "schedules": ("with stochastic gradients a constant rate stalls in a noise ball; a cosine "
                  "schedule's falling rate converges", "--surface linear_regression --lr 0.3 "
                  "--batch-size 1 --schedule constant,cosine --layout curve --balls 60 "
                  "--steps 150 --title 'A falling learning rate settles the noise' "
                  "--labels 'constant rate,cosine schedule'"),
    "initialisation": ("one tanh neuron y = v tanh(w x): balls started at zero sit on the "
                       "saddle at the origin forever, where every gradient is exactly zero; "
                       "random starts split between the two equal minima, (w*, v*) and "
                       "(-w*, -v*)", "--surface neuron --init zeros,xavier "
                       "--start-region=-2.5,2.5,-2.5,2.5 --lr 1.2 --balls 300 --steps 150 "
                       "--hero 1 --title 'Zero init stays on the saddle; random finds both "
                       "minima' --labels 'zero init,random init'"),
    "mini-batch-noise": ("a real model: a small network's loss on a plane through its weights, "
                         "balls started in a shallow minimum; full-batch gradient descent stays "
                         "in it, mini-batches' noise carries the balls over its rim to the deep "
                         "one", "--surface network --bounds=-0.4,0.2,-0.15,0.45 "
                         "--start-region=-0.18,-0.11,0.12,0.19 --batch-size 100,10 --lr 0.01 "
                         "--layout curve --balls 150 --steps 150 --title 'Mini-batch noise frees "
                         "balls from a shallow minimum' --labels 'full batch · 100,mini-batch · "
                         "10'"),
    "momentum-phases": ("the phase map of momentum on a bowl: each cell of learning rate and "
                        "momentum coloured by how 100 balls end; momentum lets larger steps "
                        "converge, rippling, up to the theory's line lr = 2(1+β)/L",
                        "--surface bowl --optimizer sgd --phases lr,momentum --balls 100 "
                        "--steps 100 --start-region=-2,2,-2,2 --out momentum-phases.png"),
    "warm-restarts": ("warm restarts: each restart's large rate shakes the balls out of the "
                      "wells, each cosine anneal settles most in the deepest; a constant large "
                      "rate never settles", "--surface wells --lr 2 --schedule "
                      "constant,warm-restarts:T_0=40 --layout multiples --balls 150 --steps 200 "
                      "--title 'Warm restarts shake balls out of shallow wells' "
                      "--labels 'constant rate,warm restarts'"),
}


def settings():
    """The settings above, by the name of the flag that overrides each (with _ for -)."""
    return values_of(globals())


def work(plan):
    """Simulate the plan, then write its picture and its trajectories (if asked), both or
    neither; the groups. One progress bar counts the steps simulated, then the frames drawn,
    on a terminal unless --quiet."""
    steps = len(plan.groups) * plan.steps * (1 + bool(plan.hero))
    with tqdm(total=steps + plan.frames, disable=plan.quiet or not sys.stderr.isatty(),
              leave=False, unit="step", bar_format="{l_bar}{bar}| {elapsed}<{remaining}") as bar:
        groups = simulation.simulate_groups(plan, tick=bar.update)
        bar.total = bar.n + len(groups[0].run.steps)      # the frames, once the run is known
        output.render_plan(plan, groups, plan.out, progress=bar.update,
                           trajectories=plan.save_trajectories)
    return groups


class Stopped(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP: the work stops and leaves no file behind."""


def main(argv=None, prog=PROG):
    """The command line: returns the exit status (0, 1 for a failure, 2 for bad input, 128 +
    the signal's number when interrupted); its messages name the program `prog`."""
    try:
        values = cli.parse(sys.argv[1:] if argv is None else list(argv), settings(), PRESETS,
                           __doc__, prog)
    except SystemExit as exit_:     # --help, or a mistake argparse found (one line printed)
        return exit_.code
    except BrokenPipeError:         # --help to a reader that left (| head): Python 3.10's
        silence_stdout()            # argparse lets the error out where later ones ignore it
        return 0
    if values["list"]:
        error = printed(cli.list_registries(PRESETS))
        if error is None or isinstance(error, BrokenPipeError):    # or the reader left: | head
            return 0
        print(f"{prog}: error: cannot write the list: {error.strerror or error}",
              file=sys.stderr)
        return 1
    try:
        plan = make_plan(values, force=values["force"])
        if plan.out is None:
            raise PlanError("needs a file name here (None is for animate())", "out")
    except PlanError as error:
        print(f"{prog}: error: {as_written(error, values, flags=values['given'])}",
              file=sys.stderr)
        return 2
    before = fingerprint(plan.out)
    try:
        return until_stopped(lambda: phase_map(plan) if plan.phases else finish(
            plan, work(plan), lesson=bool(values["preset"]), prog=prog))
    except KeyboardInterrupt as interrupt:
        signum = interrupt.args[0] if isinstance(interrupt, Stopped) else signal.SIGINT
        done = "was written" if fingerprint(plan.out) != before else "is unchanged"
        print(f"{prog}: interrupted by {signal.Signals(signum).name}; {plan.out} {done}",
              file=sys.stderr)
        return 128 + signum
    except output.OutputError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{prog}: error: cannot write {error.filename or plan.out}: "
              f"{error.strerror or error}", file=sys.stderr)
        return 1
    except Exception as error:
        if values["debug"]:
            raise
        print(f"{prog}: internal error: {type(error).__name__}: {error}; please report it "
              "(--debug shows the traceback)", file=sys.stderr)
        return 1


def until_stopped(run):
    """run(), with SIGINT, SIGTERM and SIGHUP raising Stopped(signum) (their handlers restored
    after). The signal stops it even where a library swallowed that exception (numpy before
    1.25 does, inside an array's conversion) and the work then failed, or went on to the end."""
    caught, handlers = [], {}

    def stop(signum, frame):
        caught.append(signum)
        raise Stopped(signum)
    try:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            handlers[signum] = signal.signal(signum, stop)
        try:
            status = run()
        except Exception:
            if not caught:
                raise
        if caught:
            raise Stopped(caught[0])
        return status
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def phase_map(plan):
    """Write the phase map that --phases asks for; print the result line."""
    said = phaseplot.write(plan)
    print(f"wrote {plan.out} ({os.path.getsize(plan.out) / 1e6:.2f} MB): {said}", flush=True)
    return 0


def fingerprint(path):
    """What tells whether a file was replaced: its inode, size and time, or None."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def finish(plan, groups, lesson=False, prog=PROG):
    """Print the result line, the rates chosen, and a note for each group that diverged unless
    the run is a `lesson` (a preset), whose divergence is meant; the notes name the program
    `prog`. The files are written by now: a standard output that is closed or full loses only
    the lines."""
    lost = sum(int(group.run.diverged[-1].sum()) for group in groups)
    balls = sum(group.run.positions.shape[1] for group in groups)
    escaped = sum(int(group.run.escaped[-1].sum()) for group in groups)
    lines = [f"wrote {plan.out} ({os.path.getsize(plan.out) / 1e6:.2f} MB): {len(groups)} "
             f"group{'s' * (len(groups) > 1)}, {balls} balls, {plan.steps} steps, {lost} "
             "diverged" + (f", {escaped} escaped" if plan.surface.unbounded else ""),
             *(f"{group.label}: {group.rate_reason}" for group in plan.groups
               if group.rate_reason)]
    error = printed("\n".join(lines))
    if error:
        print(f"{prog}: note: {plan.out} was written; its result line was not: "
              f"{error.strerror or error}", file=sys.stderr)
    big = output.size_note(plan.out)
    if big:
        print(f"{prog}: note: {big}", file=sys.stderr)
    for line in [] if lesson else diverging(plan, groups):
        print(f"{prog}: note: {line}", file=sys.stderr)
    return 0


def printed(text):
    """Print `text` on standard output; None, or the OSError that stopped it (a closed pipe, a
    full disk), standard output then silenced."""
    try:
        print(text, flush=True)
    except OSError as error:
        silence_stdout()
        return error
    return None


def silence_stdout():
    """Point standard output at os.devnull, so that what it still holds is not written (and
    fails again) when Python exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass            # not a file (a test's StringIO): nothing is flushed at exit


def diverging(plan, groups):
    """A line for each group where more than half the balls diverged on a surface with a
    minimum, with a rate to try: the one --lr auto would choose, or a tenth of this one if
    that is not smaller, halved until a trial run keeps its balls (see trial.py)."""
    if plan.color == "basin" or not len(plan.surface.minima):
        return      # basins regroup the balls; without a minimum, leaving is the lesson
    for group_plan, group in zip(plan.groups, groups, strict=True):
        optimizer = group_plan.dynamics.optimizer
        lost, lr = group.run.diverged[-1], optimizer.hyperparameters["lr"]
        if lost.mean() > 0.5:
            auto, _ = curvature.auto_rate(plan.surface, optimizer, plan.start_region)
            start = auto if auto < lr else lr / 10
            kept = trial.kept_rate(plan.surface, group_plan.dynamics, group.run.positions[0],
                                   plan.steps, start, 2)
            said = f"{lost.sum()} of {len(lost)} balls of {group.label} diverged"
            yield (f"{said}; a learning rate of {kept:g} would keep them (try --lr {kept:g})"
                   if kept else f"{said}; a trial run lost balls at every rate from "
                   f"{start:.2g} down to {start / 2 ** trial.HALVINGS:.2g}")


def animate(force=False, **options):
    """For notebooks and scripts: the run that the same settings would render, as an
    api.Animation that shows itself in Jupyter as the .html page's player, e.g.
    ``animate(surface="himmelblau", lr=[0.01, 0.02])``; ``.save("run.gif")`` writes any
    output kind and ``.trajectories`` gives the arrays.

    Options are the settings above, by their name in lower case (``learning_rate``) or their
    flag's (``lr``), as Python values (numpy's too) or as text; ``surface`` may be a Python
    function f(x, y) of numpy arrays x and y, with ``grad``, ``bounds`` and ``minima``. A bad
    value raises a ValueError naming the keyword as written (``lr=-1: ...``), an unknown name
    a TypeError naming the closest ones; `force` runs what looks too big to finish in
    reasonable time, as --force does."""
    values = {**settings(), "quiet": True, "out": None}    # written by .save(), if at all
    keywords, given = {}, {}
    for written, value in options.items():
        if written == "preset":
            continue
        if written not in SPELLINGS:
            close = difflib.get_close_matches(written.lower(), [*SPELLINGS, "preset", "force"],
                                              n=2)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise TypeError(f"animate() got an unknown setting {written!r}{hint}")
        name = SPELLINGS[written]
        if name in keywords:
            raise TypeError(f"animate() got {keywords[name]!r} and {written!r}, two names of "
                            "one setting")
        keywords[name], given[name] = written, value
    flags = set()
    if "preset" in options:
        try:
            preset = name_in(PRESETS, "preset")(options["preset"])
        except ValueError as error:
            raise PlanError(f"preset={options['preset']!r}: {error}") from None
        parsed = cli.parse(["--preset", preset], settings(), PRESETS)
        flags = parsed.pop("given") - {"out"}
        values = {**values, **parsed, "quiet": True, "out": None}
    values = {**values, **given}
    try:
        plan = make_plan(values, force=force)
    except PlanError as error:
        raise as_written(error, values, keywords, flags) from None
    return Animation(plan, simulation.simulate_groups(plan))


if __name__ == "__main__":
    raise SystemExit(main(prog=os.path.basename(sys.argv[0])))
