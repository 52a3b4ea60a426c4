"""Op-contract cases of the lazy conditional (arignote/compiler/ops/ifelse.py) and of the
ops behind arignote.gradient: the Map loop of jacobian/hessian and the identity ops whose
only effect is on gradients (zero_grad, grad_clip, ...)."""

import numpy as np

import arignote.gradient as G
import arignote.tensor as T
from arignote.ifelse import ifelse

from . import OpCase

_rng = np.random.default_rng(7)


def _normal(*shape):
    return _rng.standard_normal(shape)


def _branches(c, x, y):
    return ifelse(c, T.exp(x) * y.sum(), x * y + 1.0)


def _expected_branches(c, x, y):
    return np.exp(x) * y.sum() if c != 0 else x * y + 1.0


def _jacobian_expected(x):
    # d/dx_j of exp(x_i) * sum(x) = delta_ij exp(x_i) sum(x) + exp(x_i)
    e = np.exp(x)
    return np.diag(e * x.sum()) + e[:, None]


CASES = [
    OpCase("IfElse_then", _branches, [np.array(1, dtype="int8"), _normal(3), _normal(3)],
           _expected_branches),
    OpCase("IfElse_else", _branches, [np.array(0, dtype="int8"), _normal(3), _normal(3)],
           _expected_branches),
    OpCase("IfElse_float_condition_two_outputs",
           lambda c, x: ifelse(c, [x.sum(), x * 2], [x.max(), x]),
           [np.array(0.5), _normal(2, 3)],
           lambda c, x: [x.sum(), x * 2], grad_wrt=[1]),
    OpCase("Map_jacobian", lambda x: G.jacobian(T.exp(x) * x.sum(), x), [_normal(4)],
           _jacobian_expected),
    OpCase("Map_hessian", lambda x: G.hessian((x ** 3).sum() * x[0], x), [_normal(3)],
           lambda x: np.diag(6 * x * x[0]) + np.outer(np.eye(3)[0], 3 * x ** 2)
           + np.outer(3 * x ** 2, np.eye(3)[0])),
    OpCase("Map_jacobian_matrix_wrt", lambda x: G.jacobian(T.tanh(x).sum(axis=0), x),
           [_normal(2, 3)],
           lambda x: np.stack([np.zeros_like(x) + (np.arange(3) == i) * (1 - np.tanh(x) ** 2)
                               for i in range(3)]), grad=False),
    OpCase("ZeroGrad_identity", G.zero_grad, [_normal(2, 3)], lambda x: x, grad=False),
    OpCase("ConsiderConstant_identity", G.consider_constant, [_normal(3)], lambda x: x,
           grad=False),
    OpCase("DisconnectedGrad_identity", G.disconnected_grad, [_normal(3)], lambda x: x,
           grad=False),
    OpCase("UndefinedGrad_identity", G.undefined_grad, [_normal(3)], lambda x: x, grad=False),
    OpCase("GradClip_identity", lambda x: G.grad_clip(x, -0.1, 0.1), [_normal(2, 2)],
           lambda x: x, grad=False),
    OpCase("GradScale_one", lambda x: G.grad_scale(x, 1.0), [_normal(3)], lambda x: x),
]
