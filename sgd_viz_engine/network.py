"""A small network trained here on two half-moons, and its loss on a plane through its weights.

The data: MOONS rows of two interleaved half-moons (the recipe of scikit-learn's make_moons),
from numpy.random.default_rng(SEED): the upper moon (cos t, sin t) is class 0, the lower
(1 - cos t, 1/2 - sin t) class 1, t uniform in [0, pi], Gaussian noise of NOISE added.
The model: a 2-HIDDEN-1 network, tanh hidden units and a logistic output, fitted by full-batch
Adam to the mean cross-entropy, from Xavier-normal weights drawn from the same seed.

The plane (Li et al., "Visualizing the Loss Landscape of Neural Nets", 2018): the trained
weights theta* plus a d1 + b d2, where d1 and d2 are Gaussian directions, filter-normalised
(each unit's incoming weights scaled to the norm of that unit's trained weights; biases not
moved). A point (a, b) of the plane is a ball; the loss there is the network's loss with those
weights, and its gradient, by the chain rule, the network's gradient projected on d1 and d2.
Points are arrays of shape (..., 2), as in surfaces.py; losses and gradients broadcast over
the leading shape and are computed a chunk of points at a time, all rows at once.
"""
from functools import cache, lru_cache

import numpy as np

SEED = 2018
MOONS = 100         # rows of data
NOISE = 0.2         # standard deviation of the noise on the moons
HIDDEN = 16         # hidden units
TRAINING = 2000     # full-batch Adam steps
NEWTON = 8          # Newton steps to the plane's lowest point
CHUNK = 1 << 20     # points x rows x units computed at once


def moons(rows=MOONS, noise=NOISE, seed=SEED):
    """Two interleaved half-moons: inputs (rows, 2) and labels (rows,) of 0 and 1."""
    rng = np.random.default_rng(seed)
    label = np.arange(rows) % 2
    t = rng.uniform(0, np.pi, rows)
    points = np.where(label[:, None] == 0, np.column_stack([np.cos(t), np.sin(t)]),
                      np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    return points + rng.normal(0, noise, (rows, 2)), label.astype(float)


def _forward(weights, inputs):
    """Hidden activations (rows, HIDDEN) and logits (rows,) of a network (W1, b1, w2, b2)."""
    w1, b1, w2, b2 = weights
    hidden = np.tanh(inputs @ w1.T + b1)
    return hidden, hidden @ w2 + b2


def _train(inputs, labels, rng):
    """Weights (W1, b1, w2, b2) fitted by Adam (lr 0.02, torch's defaults otherwise)."""
    weights = [rng.normal(0, np.sqrt(2 / (2 + HIDDEN)), (HIDDEN, 2)), np.zeros(HIDDEN),
               rng.normal(0, np.sqrt(2 / (HIDDEN + 1)), HIDDEN), np.zeros(())]
    first = [np.zeros_like(w) for w in weights]
    second = [np.zeros_like(w) for w in weights]
    for step in range(1, TRAINING + 1):
        hidden, logits = _forward(weights, inputs)
        error = (1 / (1 + np.exp(-logits)) - labels) / len(labels)     # d loss / d logit
        back = np.outer(error, weights[2]) * (1 - hidden * hidden)
        grads = [back.T @ inputs, back.sum(0), hidden.T @ error, error.sum()]
        for i, g in enumerate(grads):
            first[i] = 0.9 * first[i] + 0.1 * g
            second[i] = 0.999 * second[i] + 0.001 * g * g
            weights[i] = weights[i] - 0.02 * (first[i] / (1 - 0.9**step)) / (
                np.sqrt(second[i] / (1 - 0.999**step)) + 1e-8)
    return weights


def _direction(weights, rng):
    """A Gaussian direction over (W1, w2), each unit's incoming weights scaled to the norm of
    the trained ones (filter normalisation); biases are not moved."""
    w1, _, w2, _ = weights
    d1 = rng.normal(size=w1.shape)
    d1 *= np.linalg.norm(w1, axis=1, keepdims=True) / np.linalg.norm(d1, axis=1, keepdims=True)
    d2 = rng.normal(size=w2.shape)
    d2 *= np.linalg.norm(w2) / np.linalg.norm(d2)
    return d1, d2


class Plane:
    """The trained network's loss on the plane theta* + a d1 + b d2, per row of data."""

    def __init__(self):
        rng = np.random.default_rng(SEED)
        self.kept = None, None
        self.inputs, self.labels = moons()
        self.weights = _train(self.inputs, self.labels, rng)
        w1, b1, self.w2, self.b2 = self.weights
        (self.d1, self.e1), (self.d2, self.e2) = _direction(self.weights, rng), _direction(
            self.weights, rng)
        # pre-activations are linear in (a, b): Z0 + a Z1 + b Z2, each (rows, HIDDEN)
        self.z0 = self.inputs @ w1.T + b1
        self.z1, self.z2 = self.inputs @ self.d1.T, self.inputs @ self.d2.T
        # Training stops near a minimum, not on it: the plane's own lowest point near theta*
        # (Newton's method) becomes its origin, so that (0, 0) is the minimum exactly.
        centre = np.zeros(2)
        for _ in range(NEWTON):
            g = self.loss_and_grad(centre)[1]
            hessian = np.column_stack([(self.loss_and_grad(centre + h)[1]
                                        - self.loss_and_grad(centre - h)[1]) / 2e-6
                                       for h in np.eye(2) * 1e-6])
            centre = centre - np.linalg.solve(hessian, g)
        a, b = centre
        self.z0 = self.z0 + a * self.z1 + b * self.z2
        self.w2 = self.w2 + a * self.e1 + b * self.e2
        self.kept = None, None

    def activations(self, a, b, rows):
        """tanh(Z0 + a Z1 + b Z2) over `rows` for points a, b (n, 1): (n, rows, HIDDEN). The
        last ones over all rows are kept: a ball's loss is measured where its next gradient
        is taken."""
        key = a.tobytes() + b.tobytes()
        if self.kept[0] == key:
            return np.array(self.kept[1][:, rows])
        hidden = a[:, :, None] * self.z1[rows]
        hidden += b[:, :, None] * self.z2[rows]
        hidden += self.z0[rows]
        np.tanh(hidden, out=hidden)
        if isinstance(rows, slice) and rows == slice(None):
            self.kept = key, hidden.copy()
        return hidden

    def loss_and_grad(self, p, rows=slice(None), need_grad=True):
        """Mean cross-entropy over `rows` at plane points p (..., 2), and its gradient."""
        p = np.asarray(p, dtype=float)
        flat = p.reshape(-1, 2)
        z1, z2, labels = self.z1[rows], self.z2[rows], self.labels[rows]
        loss, grad = np.empty(len(flat)), np.empty((len(flat), 2))
        chunk = max(1, CHUNK // (len(labels) * HIDDEN))
        for start in range(0, len(flat), chunk):
            a, b = flat[start:start + chunk, 0, None], flat[start:start + chunk, 1, None]
            hidden = self.activations(a, b, rows)                             # (n, rows, H)
            w2 = self.w2 + a * self.e1 + b * self.e2                          # (n, H)
            logits = np.matmul(hidden, w2[:, :, None])[..., 0] + self.b2      # (n, rows)
            if not need_grad:
                loss[start:start + chunk] = np.mean(np.logaddexp(0, logits) - labels * logits,
                                                    -1)
                continue
            error = (np.exp(-np.logaddexp(0, -logits)) - labels) / len(labels)      # (n, rows)
            # d logit / d(a, b) = hidden . e + sum_h w2_h (1 - hidden_h^2) z_h
            along = np.matmul(error[:, None, :], hidden)[:, 0]                   # (n, H)
            np.multiply(hidden, hidden, out=hidden)
            np.subtract(1, hidden, out=hidden)
            hidden *= error[:, :, None]
            for i, (e, z) in enumerate(((self.e1, z1), (self.e2, z2))):
                through = np.einsum("nrh,rh->nh", hidden, z)
                grad[start:start + chunk, i] = along @ e + np.einsum("nh,nh->n", w2, through)
        return loss.reshape(p.shape[:-1]), grad.reshape(p.shape)


@cache
def plane():
    """The plane, trained once on first use."""
    return Plane()


@lru_cache(maxsize=2)
def _mesh_loss(points, shape):
    return plane().loss_and_grad(np.frombuffer(points).reshape(shape), need_grad=False)[0]


def loss(p, rows=slice(None)):
    """Mean cross-entropy of the network at theta* + a d1 + b d2, over the rows of a batch."""
    p = np.asarray(p, dtype=float)
    if p.size > 2 * CHUNK // (MOONS * HIDDEN) and isinstance(rows, slice) and (
            rows == slice(None)):
        # the drawing's mesh, asked for by the checks and by each panel: computed once
        return _mesh_loss(np.ascontiguousarray(p).tobytes(), p.shape).copy()
    return plane().loss_and_grad(p, rows, need_grad=False)[0]


def grad(p, rows=slice(None)):
    return plane().loss_and_grad(p, rows)[1]
