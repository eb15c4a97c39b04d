"""The command line: the flags and their help, read into the settings that plan.make_plan checks.

The flags keep their values as text; make_plan reads text and Python values alike, so a flag
and the setting at the top of sgd_viz.py it overrides go through the same checks.
"""
import argparse
import difflib
import shlex

from optimizers import OPTIMIZERS
from surfaces import SURFACES

from .plan import one_line
from .readers import echo, flag, name_in
from .schedules import DEFAULT_WORDS, SCHEDULES
from .settings import ROWS

PROG = "sgd_viz.py"         # how the help and messages name the program, unless told


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr and exit status 2, without the usage, with
    a hint: the flag meant by a misspelt one, or the = that a value starting with - needs."""

    argv = ()               # the arguments being parsed, for the hints
    unknown = ()            # those that no flag took

    def parse_known_args(self, args=None, namespace=None):
        self.argv = list(args or ())
        namespace, self.unknown = super().parse_known_args(args, namespace)
        return namespace, self.unknown

    def error(self, message):
        if message.startswith("unrecognized arguments: "):     # each, shortened if long
            message = "unrecognized arguments: " + " ".join(
                part if len(part) <= 300 else echo(part) for part in self.unknown)
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


def default_text(value):
    """A default as the help shows it."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return "{}x{}".format(*value)
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def literal(help):
    """A help text as argparse shows it: argparse reads % as the start of a format."""
    return help.replace("%", "%%")


def build_parser(defaults, presets, usage="", prog=PROG):
    """The flags of settings.ROWS, their defaults taken from `defaults` (settings by name), and
    the examples of `usage` (lines that start with 'python ') as the epilog; `prog` names the
    program."""
    parser = Parser(
        prog=prog,
        description="Drop many balls on a 3D loss surface and animate gradient descent "
                    "rolling them downhill into a GIF.",
        epilog="examples:\n" + "\n".join(line for line in usage.splitlines()
                                          if line.lstrip().startswith("python ")),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sections = {}
    for row in (row for row in ROWS if row.flag):
        if row.section not in sections:
            sections[row.section] = parser.add_argument_group(row.section)
        default = defaults[row.name] if row.setting else False
        options = dict(action="store_true") if row.read is flag else dict(metavar=row.metavar)
        sections[row.section].add_argument(
            "--" + row.name.replace("_", "-"), default=default,
            help=literal(row.help.replace("DEFAULT", default_text(default))), **options)
    parser.add_argument("--preset", metavar="NAME", help=literal(
        "a lesson set up in one go (writes NAME.gif, or the file it names, unless --out): "
        + "; ".join(
            f"{name}: {text}" for name, (text, _) in presets.items())))
    parser.add_argument("--list", action="store_true",
                        help="list the surfaces, optimizers and presets, then exit")
    parser.add_argument("--force", action="store_true",
                        help="render even what looks too big to finish in reasonable time")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an internal error")
    return parser


def parse(argv, defaults, presets, usage="", prog=PROG):
    """The settings that `argv` asks for, by name, over `defaults`, and under "given" the
    settings its flags set; a preset's flags come before the others, so that explicit flags
    override them. A mistake in the flags exits 2, its line naming the program `prog`."""
    parser = build_parser(defaults, presets, usage, prog)
    preset = parser.parse_known_args(argv)[0].preset
    if preset:
        try:
            preset = name_in(presets, "preset")(preset)
        except ValueError as error:
            parser.error(f"argument --preset: {error}")
        flags = shlex.split(presets[preset][1])
        lesson, mine = vars(parser.parse_args(flags)), set_by(parser, argv)
        argv = ["--out", f"{preset}.gif", *flags, *argv]     # later flags override earlier
    values = {**defaults, **vars(parser.parse_args(argv))}    # with the settings no flag sets
    given = set_by(parser, argv)
    if preset:
        values["optimizer"] = narrowed(values, lesson)
        if "labels" not in mine and mine & GROUPING:    # the preset's names are its groups'
            values["labels"], given = defaults["labels"], given - {"labels"}
    return {**values, "given": given}


GROUPING = {"optimizer", "lr", "batch_size", "noise", "schedule", "init"}  # settings making groups


def set_by(parser, argv):
    """The names of the settings that the flags in `argv` set."""
    unset = object()
    seen = vars(parser.parse_args(argv, argparse.Namespace(**dict.fromkeys(
        vars(parser.parse_args([])), unset))))
    return {name for name, value in seen.items() if value is not unset}


def narrowed(values, lesson):
    """The optimizers asked for over a preset's: each one that the preset tunes, asked for
    without a learning rate of its own or --lr, keeps the preset's rate (NAME:lr=...)."""
    if values["optimizer"] == lesson["optimizer"] or values["lr"] != lesson["lr"] or not all(
            isinstance(value, str) for value in (values["optimizer"], lesson["optimizer"])):
        return values["optimizer"]
    def name(spec):
        return spec.strip().split(":")[0]
    rates = {name(spec): setting for spec in lesson["optimizer"].split(",")
             for setting in spec.split(":")[1:] if setting.startswith("lr=")}
    return ",".join(f"{spec}:{rates[name(spec)]}" if name(spec) in rates and "lr=" not in spec
                    else spec for spec in values["optimizer"].split(","))


def list_registries(presets):
    lines = ["surfaces (with the learning rate of their lesson for plain gradient descent; "
             "a lesson that shows another optimizer or other steps names them):"]
    lines += [f"  {name:18} lr {format(surface.lesson.lr or 'auto', '<7')} {surface.formula}"
              + ("" if (surface.lesson.optimizer, surface.lesson.steps) == ("sgd", 60) else
                 f"\n  {'':18} lesson: --optimizer {surface.lesson.optimizer} (lr auto), "
                 f"{surface.lesson.steps} steps")
              for name, surface in SURFACES.items()]
    lines += ["optimizers:"]
    for name, factory in OPTIMIZERS.items():
        settings = ", ".join(f"{key}={value}" for key, value in factory().hyperparameters.items())
        lines.append(f"  {name:18} {settings}")
    lines += ["schedules (--schedule; torch.optim.lr_scheduler's names and defaults):"]
    lines += [f"  {name:18} {torch_name or 'no scheduler'}: {DEFAULT_WORDS[name]}"
              for name, (torch_name, *_) in SCHEDULES.items()]
    lines += ["presets:"]
    lines += [f"  {name:18} {text}\n  {'':18} {flags}" for name, (text, flags) in presets.items()]
    return "\n".join(lines)
