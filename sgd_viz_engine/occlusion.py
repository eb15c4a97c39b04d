"""Occlusion: which balls on the surface the camera cannot see, and where mplot3d draws them.

matplotlib's 3D toolkit has no depth buffer, so the scene works this out itself. Balls lie on
the surface, so for a fixed camera whether one is hidden depends only on where it is. Points
are arrays of shape (..., 3), coordinate last: x, y and the drawn height.
"""
import numpy as np

from .simulation import in_blocks

VISIBILITY_GRID = 256       # planes, and heights along each, of the camera's view of the surface


def camera(proj):
    """The camera of a 3D projection matrix in data coordinates: (eye point, None) for a
    perspective projection, (None, direction to the viewer) for an orthographic one."""
    centre = np.linalg.svd(proj[[0, 1, 3]])[2][-1]      # the one point projected to nowhere
    if abs(centre[3]) > 1e-12 * np.abs(centre[:3]).max():
        return centre[:3] / centre[3], None
    towards = centre[:3] if (proj @ [*centre[:3], 0])[2] < 0 else -centre[:3]
    return None, towards


def hidden(points, height, bounds, zlim, proj, samples=256, tolerance=2e-3):
    """Which points (N, 3) on the surface the camera cannot see: march each one's ray toward
    the camera, inside the drawn box, and look for surface above it (by more than `tolerance`
    of the height range, so that a ray grazing the surface it starts on is not counted)."""
    eye, towards = camera(proj)
    low, high = np.array(bounds, dtype=float).T
    t = np.linspace(0, 1, samples + 1)[1:]

    def march(p):
        d = eye - p if eye is not None else np.broadcast_to(towards, p.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            exits = [np.where(d[:, i] > 0, (high[i] - p[:, i]) / d[:, i],
                              np.where(d[:, i] < 0, (low[i] - p[:, i]) / d[:, i], np.inf))
                     for i in range(2)]
            exits.append(np.where(d[:, 2] > 0, (zlim[1] - p[:, 2]) / d[:, 2], np.inf))
        reach = np.minimum.reduce(exits)
        ray = p[:, None, :] + (reach[:, None] * t)[..., None] * d[:, None, :]
        under = ray[..., 2] < height(ray[..., :2]) - tolerance * (zlim[1] - zlim[0])
        return under.any(axis=1)
    return in_blocks(march, points, block=256)      # a block's samples: 256 x `samples`


def on_mesh(bounds, heights):
    """The drawn heights (n, n) of a mesh over `bounds` (rows along y), interpolated
    bilinearly: a function of points (..., 2) -> heights (...), as the mesh's quads show them."""
    (xmin, xmax), (ymin, ymax) = bounds
    n = len(heights)

    def height(p):
        u = np.clip((p[..., 0] - xmin) / (xmax - xmin) * (n - 1), 0, n - 1)
        v = np.clip((p[..., 1] - ymin) / (ymax - ymin) * (n - 1), 0, n - 1)
        i, j = np.minimum(v.astype(int), n - 2), np.minimum(u.astype(int), n - 2)
        s, t = u - j, v - i
        return ((1 - t) * ((1 - s) * heights[i, j] + s * heights[i, j + 1])
                + t * ((1 - s) * heights[i + 1, j] + s * heights[i + 1, j + 1]))
    return height


def projector(ax):
    """Drawn 3D points (..., 3) -> display pixels (..., 2) and depth (...) as mplot3d draws
    them: the axes' projection matrix, then its 2D transform to pixels."""
    proj, affine = ax.get_proj(), ax.transData.get_affine().get_matrix()

    def project(points):
        hx, hy, hz, hw = np.moveaxis(points @ proj[:, :3].T + proj[:, 3], -1, 0)
        x, y = hx / hw, hy / hw
        return np.stack([affine[0, 0] * x + affine[0, 1] * y + affine[0, 2],
                         affine[1, 0] * x + affine[1, 1] * y + affine[1, 2]], axis=-1), hz / hw
    return project


def visibility(height, bounds, zlim, proj, grid=VISIBILITY_GRID):
    """A function telling which drawn points (N, 3) on the surface the camera cannot see.

    The ray from a point to the eye stays in the vertical plane through both, and the point is
    hidden where the surface in that plane, between it and the eye, rises above the ray. So a
    fan of `grid` vertical planes through the eye crosses the box, each with `grid` heights
    from the eye's side, and keeps the running maximum of the slope at which the eye sees the
    surface: a point of the surface is hidden when that maximum before it is above its own
    slope. A drawn point is looked up at its distance on the planes either side of it; where
    they disagree (the edge of what is hidden) or one does not reach it, its own ray is
    marched. An orthographic camera has no eye: every point is marched.

    The fan is laid out in the box's own units, x and y as shares of the bounds' spans, where
    the box is a unit square whatever its aspect (bounds 1e-300 wide and 1 high included):
    scaling x and y keeps vertical planes vertical and, along each, the order of slopes."""
    eye, _ = camera(proj)
    if eye is None:
        return lambda points: hidden(points, height, bounds, zlim, proj)
    origin, span = np.array(bounds, dtype=float).T
    span = span - origin
    low, high = np.zeros(2), np.ones(2)

    def in_box(p):      # data (..., 2) -> shares of the bounds' spans
        return (p - origin) / span

    foot = in_box(eye[:2])
    ahead = np.arctan2(*((low + high) / 2 - foot)[::-1])

    def polar(p):       # points (..., 2) -> the angle of their plane, their distance from foot
        d = p - foot
        return ((np.arctan2(d[..., 1], d[..., 0]) - ahead + np.pi) % (2 * np.pi) - np.pi,
                np.hypot(d[..., 0], d[..., 1]))

    def slope(distance, z):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (z - eye[2]) / distance

    angles = polar(np.stack(np.meshgrid(*zip(low, high, strict=True)), axis=-1).reshape(-1, 2))[0]
    outside = np.any((foot < low) | (foot > high))
    planes = np.linspace(angles.min(), angles.max(), grid) if outside else np.linspace(
        -np.pi, np.pi, grid)
    direction = np.stack([np.cos(planes + ahead), np.sin(planes + ahead)], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):      # where each plane crosses the box
        ends = (np.stack([low, high])[:, None] - foot) / direction
    enter = np.maximum(np.nanmax(np.min(ends, axis=0), axis=-1), 0)
    step = np.maximum(np.nanmin(np.max(ends, axis=0), axis=-1) - enter, 0) / (grid - 1)
    distance = enter[:, None] + step[:, None] * np.arange(grid)
    surface = height(origin + span * np.clip(foot + distance[..., None] * direction[:, None],
                                             low, high))
    tolerance = 2e-3 * (zlim[1] - zlim[0])      # so that a ray grazing its own slope is seen
    horizon = np.fmax.accumulate(slope(distance, surface - tolerance), axis=1)    # past NaN

    def is_hidden(points):
        angle, far = polar(in_box(points[:, :2]))
        left = np.clip(((angle - planes[0]) / (planes[1] - planes[0])).astype(int), 0, grid - 2)
        votes, unsure = [], np.zeros(len(points), dtype=bool)
        for plane in (left, left + 1):
            with np.errstate(divide="ignore", invalid="ignore"):     # a plane through a corner
                at = (far - enter[plane]) / step[plane]
            unsure |= ~((at >= 0) & (at <= grid - 1))                # off this plane's ends
            at = np.clip(np.nan_to_num(at), 0, grid - 1)
            j = np.minimum(at.astype(int), grid - 2)            # the last height before it
            z = surface[plane, j] + (surface[plane, j + 1] - surface[plane, j]) * (at - j)
            votes.append(horizon[plane, j] > slope(far, z))
        result, unsure = votes[0], unsure | (votes[0] != votes[1])
        if unsure.any():
            result[unsure] = hidden(points[unsure], height, bounds, zlim, proj)
        return result
    return is_hidden
