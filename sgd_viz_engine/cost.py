"""The resource estimate: the seconds and bytes a plan needs, a model of the work that runs.

The simulation steps every ball of every group and records the steps it will draw (all of
them for a poster too), and the record is kept to the end; each step of each group also costs
Python's loop, whatever the balls. Heroes are run again, every step recorded, and every frame
draws their whole path up to it. Drawing costs a static figure,
then every frame its balls; with --orbit every frame redraws each 3D panel. Trajectories cost
per ball and recorded step, a CSV most. The constants come from benchmarks/estimate.py, which
compares this model with measurements.
"""
from .simulation import frame_steps

START = (0.85, 95e6)        # seconds and bytes: Python, numpy, matplotlib, a tiny scene
SIMULATE = 5e-8             # seconds per ball and step
STEP = 6e-5                 # seconds per step of a group, the loop's own
HERO = (1e-4, 6e-8)         # seconds per step of a group's heroes, and per point of a path drawn
RECORD = (1e-7, 26)         # seconds and bytes kept per ball and recorded step
BASINS = 1.5e-5             # seconds per ball to find the basins it ends in
PANEL = 0.15                # seconds to draw one panel's static part
PIXEL = (1.5e-7, 45)        # seconds to draw the static figure and bytes held, per pixel
FRAME = (4e-3, 1.5e-6, 5e-9)    # seconds per frame drawn, per ball and per pixel of a frame
ORBIT = (0.045, 2e-7)       # seconds per frame to redraw a 3D panel, and per pixel
TRAJECTORIES = {            # per ball and recorded step: seconds, and bytes while written
    ".csv": (4e-6, 72),     # text rows, and the status strings of every row of a group
    ".npz": (1.1e-6, 26),   # compressed, after stacking the groups' records
}
BASIN_GROUPS = 8            # --color basin splits one group into at most this many


def panels(plan):
    """The 3D panels drawn: one per group with multiples, else one."""
    if plan.layout != "multiples":
        return 1
    return BASIN_GROUPS if plan.color == "basin" else len(plan.groups)


def estimate(plan):
    """(seconds, bytes) that `plan` needs: see the module docstring."""
    balls = plan.balls * len(plan.groups)                  # every group steps its own balls
    recorded = len(frame_steps(plan.steps, plan.frames))   # what the simulation keeps
    kind = (plan.out or ".gif").lower().rpartition(".")[2]     # the API's GIF when shown
    frames = 1 if kind == "png" else recorded + 3 * (kind == "gif")   # 3 palette samples
    pixels = plan.size[0] * plan.size[1]
    trajectory = TRAJECTORIES.get((plan.save_trajectories or "").lower()[-4:], (0, 0))
    groups = len(plan.groups)
    heroes = min(plan.hero, plan.balls) * groups
    path = heroes * int(frame_steps(plan.steps, plan.frames).sum())   # points drawn, all frames
    seconds = (START[0] + balls * plan.steps * SIMULATE + balls * recorded * RECORD[0]
               + groups * plan.steps * (STEP + (HERO[0] if plan.hero else 0)) + path * HERO[1]
               + balls * BASINS + panels(plan) * PANEL + pixels * PIXEL[0]
               + frames * (FRAME[0] + balls * FRAME[1] + pixels * FRAME[2])
               + (frames * (panels(plan) * ORBIT[0] + pixels * ORBIT[1]) if plan.orbit else 0)
               + balls * recorded * trajectory[0])
    kept = balls * recorded * RECORD[1] * (2 if plan.color == "basin" else 1)  # split copies
    memory = (START[1] + kept + heroes * (plan.steps + 1) * RECORD[1] + pixels * PIXEL[1]
              + plan.balls * recorded * trajectory[1])
    return seconds, memory
