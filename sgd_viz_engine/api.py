"""The Python API's result: a run that shows itself in a notebook as the player of the command
line's .html page, saves to every output kind, and gives its trajectories as arrays."""
import os
import tempfile

from . import output, player, scene
from .plan import PlanError, in_python, refuse_read_only
from .readers import echo
from .settings import READERS


class Animation:
    """What animate() returns: the simulated groups, drawn only when shown or saved.

    In Jupyter it shows itself as the .html page's player (drawn once, then kept);
    ``.save(path)`` writes a .gif, .png, .html, .mp4 or the trajectories as .npz or .csv;
    ``.trajectories`` are the arrays; ``.funcanimation()`` is matplotlib's own player, which
    redraws the whole figure every frame (simple, and many times slower)."""

    def __init__(self, plan, groups):
        self.plan, self.groups = plan, groups
        self._gif = None

    def __repr__(self):
        plan = self.plan
        words = scene.title(plan.surface, self.groups, plan.shared, plan.title)
        return f"<sgd_viz animation: {words}>"

    @property
    def trajectories(self):
        """Each group's run by its label: steps (T,), positions (T, N, 2), losses (T, N),
        diverged, converged and escaped (T, N)."""
        return {group.label: group.run._asdict() for group in self.groups}

    def save(self, path, force=False):
        """Write the animation (.gif, .png, .html, .mp4) or the trajectories (.npz, .csv) to
        `path`, replacing it only once complete (a read-only file only with `force`); returns
        the path."""
        path = os.fspath(path)
        kind = os.path.splitext(path)[1].lower()
        name = "save_trajectories" if kind in (".npz", ".csv") else "out"
        try:
            path = READERS[name](path)
        except ValueError as error:
            raise PlanError(f"{echo(path)}: {error}") from None
        try:
            refuse_read_only(name, path, force)
        except PlanError as error:
            raise PlanError(in_python(error.reason), name, f"save({echo(path)})") from None
        if kind in (".npz", ".csv"):
            output.save_trajectories(self.groups, path)
            return path
        output.render_plan(self.plan, self.groups, path)
        return path

    def gif(self):
        """The animated GIF's bytes, as the command line writes them."""
        return self._drawn()[0]

    def _drawn(self):
        """The GIF's bytes and the step each of its frames shows, drawn once, then kept."""
        if self._gif is None:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "run.gif")
                steps = output.render_plan(self.plan, self.groups, path)
                with open(path, "rb") as file:
                    self._gif = file.read(), steps
        return self._gif

    def _repr_html_(self):
        """The player of the .html page, without the page: one copy of the GIF in a notebook."""
        gif, steps = self._drawn()
        return player.player(gif, steps, scene.title(self.plan.surface, self.groups,
                                                      self.plan.shared, self.plan.title),
                             self.plan.size)

    def funcanimation(self):
        """The figure and a matplotlib FuncAnimation of it, for matplotlib's own player
        (``HTML(anim.to_jshtml())``): the slow path, every frame drawn in full."""
        from matplotlib.animation import FuncAnimation

        plan = self.plan
        drawn = scene.draw_scene(plan.surface, scene.title(plan.surface, self.groups,
                                                           plan.shared, plan.title),
                                 plan.size, self.groups, plan.layout, plan.trail, plan.table)
        for artist in drawn.fig.findobj(lambda artist: artist.get_animated()):
            artist.set_animated(False)      # the animation redraws the whole figure
        animation = FuncAnimation(drawn.fig, lambda k: scene.draw_frame(drawn, k),
                                  frames=len(self.groups[0].run.steps),
                                  interval=1000 / plan.fps)
        return drawn.fig, animation
