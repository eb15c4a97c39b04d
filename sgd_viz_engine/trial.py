"""Trial runs: a learning rate is offered (by --lr auto, or by the note on a group that
diverged) only once a short run of a sample of the balls keeps most of them on the surface.

The curvature's rule (curvature.py) knows the full gradient; mini-batches and noise make every
step's gradient another, and a rate that is stable for the mean gradient may fling balls off
the surface with the noisy one. A trial runs the group's own dynamics (its batches, noise and
seed) from the first SAMPLE starts for at most STEPS steps, and halves the rate until none of
them diverges.
"""
from optimizers import OPTIMIZERS

from .simulation import simulate

SAMPLE = 64         # balls of a trial run: the first of the run's starts
STEPS = 200         # steps of a trial run, at most
HALVINGS = 30       # smaller rates tried before giving up


def keeps(surface, dynamics, starts, steps):
    """Whether a trial run of `dynamics` from `starts` over `steps` (at most STEPS) keeps all
    its balls on the surface."""
    steps = min(steps, STEPS)
    run = simulate(surface, dynamics, starts[:SAMPLE], steps, [steps])
    return not run.diverged[-1].any()


def kept_rate(surface, dynamics, starts, steps, rate, digits):
    """The first of `rate`, rate / 2, rate / 4, ... (each rounded to `digits` significant
    digits, as it is shown) with which a trial run keeps the balls (see keeps), or None."""
    optimizer = dynamics.optimizer
    for _ in range(HALVINGS):
        rate = float(f"{rate:.{digits}g}")
        trial = OPTIMIZERS[optimizer.name](**{**optimizer.hyperparameters, "lr": rate})
        if keeps(surface, dynamics._replace(optimizer=trial), starts, steps):
            return rate
        rate /= 2
    return None
