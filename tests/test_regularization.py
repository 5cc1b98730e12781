"""The L2 penalty: value, gradient, memory order, dtype."""

import numpy as np
import pytest

from cs231n_lib.classifiers import l2_penalty
from cs231n_lib.gradient_check import grad_check_sparse


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("seed", range(3))
def test_penalty_is_reg_times_sum_of_squares(seed, order):
    rng = np.random.default_rng(seed)
    W = np.asarray(rng.standard_normal((7, 4)), order=order)
    penalty, grad = l2_penalty(W, 2.5)
    np.testing.assert_allclose(penalty, 2.5 * np.sum(W * W), rtol=1e-13)
    np.testing.assert_array_equal(grad, 5.0 * W)
    assert grad.flags.f_contiguous == (order == "F")
    assert isinstance(penalty, float)
    error = grad_check_sparse(lambda w: l2_penalty(w, 2.5)[0], W, grad, rng=seed,
                              verbose=False)
    assert error < 1e-8


def test_penalty_of_a_non_contiguous_view_and_float32():
    W = np.arange(24, dtype=np.float64).reshape(4, 6)[:, ::2]  # neither C nor F
    penalty, grad = l2_penalty(W, 1.0)
    assert penalty == np.sum(W * W)
    np.testing.assert_array_equal(grad, 2 * W)
    W32 = W.astype(np.float32)
    penalty32, grad32 = l2_penalty(W32, 1.0)
    assert penalty32 == pytest.approx(penalty, rel=1e-6)
    assert grad32.dtype == np.float32


def test_zero_strength_gives_zero():
    penalty, grad = l2_penalty(np.ones((3, 2)), 0.0)
    assert penalty == 0.0
    np.testing.assert_array_equal(grad, 0.0)
