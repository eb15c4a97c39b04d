"""The command line: the flags and their help, read into the settings that plan.make_plan checks.

The flags keep their values as text; make_plan reads text and Python values alike, so a flag
and the setting at the top of sgd_viz.py it overrides go through the same checks.
"""
import argparse
import difflib
import shlex

from optimizers import OPTIMIZERS
from surfaces import SURFACES

from .looks import THEMES
from .panels import LAYOUTS
from .plan import FPS_RANGE, OUTPUT_KINDS, name_in, one_line
from .simulation import INITS


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr and exit status 2, without the usage, with
    a hint: the flag meant by a misspelt one, or the = that a value starting with - needs."""

    argv = ()               # the arguments being parsed, for the hints

    def parse_known_args(self, args=None, namespace=None):
        self.argv = list(args or ())
        return super().parse_known_args(args, namespace)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {one_line(message + self.hint(message))}\n")

    def hint(self, message):
        """' (did you mean --FLAG?)' for an unknown flag close to one, or for a flag whose value
        starts with '-' how to write it, or ''."""
        if message.startswith("unrecognized arguments: "):
            flags = [part.partition("=")[0] for part in self.argv if part.startswith("--")]
            for flag in flags:
                close = difflib.get_close_matches(flag, list(self._option_string_actions), n=1)
                if flag not in self._option_string_actions and close:
                    return f" (did you mean {close[0]}?)"
        if message.endswith(": expected one argument"):
            flag = message.removeprefix("argument ").partition(":")[0].split("/")[-1]
            given = [i for i, part in enumerate(self.argv[:-1])      # also abbreviated
                     if part.startswith("--") and flag.startswith(part)]
            following = self.argv[given[-1] + 1] if given else ""
            if following.startswith("-"):
                return f" (a value that starts with '-' needs '=': {flag}={following})"
        return ""


def shown(value):
    """A default as the help shows it."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return "{}x{}".format(*value)
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def build_parser(defaults, presets, usage=""):
    """The flags, their defaults taken from `defaults` (settings by name), and the examples
    of `usage` (lines that start with 'python ') as the epilog."""
    parser = Parser(
        prog="sgd_viz.py",
        description="Drop many balls on a 3D loss surface and animate gradient descent "
                    "rolling them downhill into a GIF.",
        epilog="examples:\n" + "\n".join(line for line in usage.splitlines()
                                          if line.lstrip().startswith("python ")),
        formatter_class=argparse.RawDescriptionHelpFormatter)

    def add(group, name, help, **options):
        dest = name.lstrip("-").replace("-", "_")
        group.add_argument(name, default=defaults[dest], help=help.replace(
            "DEFAULT", shown(defaults[dest])), **options)

    scene = parser.add_argument_group("the scene")
    add(scene, "--surface", f"loss surface (default DEFAULT): {', '.join(SURFACES)}; or a "
        "formula in x and y such as 'x**2 + 3*y**2' or 'sin(x)*cos(y) + 0.1*(x^2 + y^2)'")
    add(scene, "--bounds", "domain of the surface, written with = when it starts with a minus: "
        "--bounds=-6,6,-3,3 (default: the surface's own, or -5,5,-5,5 for a formula)",
        metavar="XMIN,XMAX,YMIN,YMAX")
    add(scene, "--optimizer", f"update rule (default DEFAULT): {', '.join(OPTIMIZERS)}; a "
        "comma-separated list compares several, each with its own colour, from the same "
        "starts with the same noise; NAME:KEY=VALUE sets a hyperparameter as torch.optim "
        "names it, e.g. momentum:momentum=0.5 or adam:betas=0.8/0.99:amsgrad=true "
        "(NAME:lr=VALUE fixes that one's learning rate)")
    add(scene, "--lr", "learning rate, > 0 (default DEFAULT); a comma-separated list makes a "
        "group for every pair of optimizer and learning rate")
    add(scene, "--balls", "number of balls (default DEFAULT)")
    add(scene, "--steps", "optimizer steps (default DEFAULT)")
    add(scene, "--init", f"how the balls start (default DEFAULT): {', '.join(INITS)}: uniform "
        "over the start region, normal around its centre, a regular grid, all at zero, or "
        "Xavier-style normal with standard deviation 1")
    add(scene, "--start-region", "where balls may start (default: the surface's bounds); "
        "write = when it starts with a minus", metavar="XMIN,XMAX,YMIN,YMAX")
    add(scene, "--batch-size", "on a surface over a data set (linear_regression): rows per "
        "gradient; its size m is batch gradient descent, 1 is stochastic, between is "
        "mini-batch (default: m); a list makes groups", metavar="B")
    add(scene, "--noise", "add Gaussian noise of this standard deviation to every gradient, "
        "the same draws for every group (default DEFAULT); a list makes groups",
        metavar="SIGMA")
    add(scene, "--anneal", "the noise falls linearly to 0 over the run, as in simulated "
        "annealing: balls shaken out of shallow wells settle in deep ones (default DEFAULT)",
        action="store_true")
    add(scene, "--tol", "a ball whose loss changes by less than EPS in a step has converged "
        "and stops; the GIF ends once every ball has settled (default: off)", metavar="EPS")
    add(scene, "--seed", "random seed of every draw: same seed, same bytes (default DEFAULT)")
    picture = parser.add_argument_group("the picture")
    add(picture, "--fps", f"frames per second, {FPS_RANGE[0]} to {FPS_RANGE[1]} "
        "(default DEFAULT)")
    add(picture, "--frames", "frame budget: a run with more steps shows a sample of them, "
        "denser early, always with the last step (default DEFAULT)")
    add(picture, "--hold", "seconds the last frame stays before the GIF loops (default "
        "DEFAULT)", metavar="SECONDS")
    add(picture, "--trail", "steps of trail drawn behind each ball (default DEFAULT)",
        metavar="STEPS")
    add(picture, "--hero", "N balls of each group drawn large over the faint crowd, with their "
        "whole path and arrows of each step and of its momentum (default DEFAULT)", metavar="N")
    add(picture, "--size", "picture size in pixels (default DEFAULT)", metavar="WxH")
    add(picture, "--layout", "; ".join(f"{name}: {text}" for name, (text, _) in LAYOUTS.items())
        + " (default DEFAULT)")
    add(picture, "--color", "group: a colour per group; basin: a colour per minimum the balls "
        "end in, with each basin's share (one group only; * marks a global minimum) "
        "(default DEFAULT)")
    add(picture, "--orbit", "turn the camera by DEG degrees over the animation (default "
        "DEFAULT; slower, the scene is redrawn)", metavar="DEG")
    add(picture, "--theme", f"colours of the figure: {', '.join(THEMES)} (default DEFAULT)")
    add(picture, "--title", "the title written on the picture; '' for none (default: a short "
        "one from the settings, such as \"Gradient descent on Himmelblau's function\")",
        metavar="TEXT")
    add(picture, "--labels", "names of the groups, comma-separated, one per group in the order "
        "the groups are made, e.g. --labels 'too small,just right,too large' (default: their "
        "optimizer and settings)", metavar="A,B,...")
    add(picture, "--table", "write the fuller status table (mean loss, diverged, share at a "
        "global minimum) instead of one line per group with its one number (default DEFAULT)",
        action="store_true")
    add(picture, "--out", "output, replaced only when complete (default DEFAULT): "
        + "; ".join(f"{kind} {what}" for kind, what in OUTPUT_KINDS.items()))
    add(picture, "--save-trajectories", "also write every ball's positions, losses and status "
        "to FILE (.npz or .csv)", metavar="FILE")
    picture.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--preset", metavar="NAME", help="a lesson set up in one go (writes "
                        "NAME.gif unless --out): " + "; ".join(
                            f"{name}: {text}" for name, (text, _) in presets.items()))
    parser.add_argument("--list", action="store_true",
                        help="list the surfaces, optimizers and presets, then exit")
    parser.add_argument("--force", action="store_true",
                        help="render even what looks too big to finish in reasonable time")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an internal error")
    return parser


def parse(argv, defaults, presets, usage=""):
    """The settings that `argv` asks for, by name, over `defaults`; a preset's flags come
    before the others, so that explicit flags override them. A mistake in the flags exits 2."""
    parser = build_parser(defaults, presets, usage)
    preset = parser.parse_known_args(argv)[0].preset
    if preset:
        try:
            name_in(presets, "preset")(preset)
        except ValueError as error:
            parser.error(f"argument --preset: {error}")
        flags = shlex.split(presets[preset][1])
        if regrouped(parser, argv):     # the preset's names belong to the preset's groups
            flags = without_labels(flags)
        argv = [*flags, *(["--out", f"{preset}.gif"]), *argv]
    return vars(parser.parse_args(argv))


def regrouped(parser, argv):
    """Whether `argv` sets what makes the groups (optimizers, rates, batch sizes, noises)
    without naming them with --labels."""
    making = ("optimizer", "lr", "batch_size", "noise", "labels")
    before, unset = {name: parser.get_default(name) for name in making}, object()
    parser.set_defaults(**dict.fromkeys(making, unset))
    try:
        given = vars(parser.parse_known_args(argv)[0])
    finally:
        parser.set_defaults(**before)
    return given["labels"] is unset and any(given[name] is not unset for name in making)


def without_labels(flags):
    """Preset flags without their --labels (as --labels=A,B or --labels A,B)."""
    kept, skip = [], False
    for flag in flags:
        if not skip and not flag.startswith("--labels="):
            if flag == "--labels":
                skip = True
            else:
                kept.append(flag)
        else:
            skip = False
    return kept


def list_registries(presets):
    lines = ["surfaces (with the learning rate of their lesson for plain gradient descent):"]
    lines += [f"  {name:18} lr {format(surface.lesson.lr or 'auto', '<7')} {surface.formula}"
              for name, surface in SURFACES.items()]
    lines += ["optimizers:"]
    for name, factory in OPTIMIZERS.items():
        settings = ", ".join(f"{key}={value}" for key, value in factory().hyperparameters.items())
        lines.append(f"  {name:18} {settings}")
    lines += ["presets:"]
    lines += [f"  {name:18} {text}\n  {'':18} {flags}" for name, (text, flags) in presets.items()]
    return "\n".join(lines)
