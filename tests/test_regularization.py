"""The penalties: L2, L1 and elastic net; values, (sub)gradients, memory order, dtype."""

import numpy as np
import pytest

from cs231n_lib.classifiers import (
    REGULARIZERS,
    elastic_net_penalty,
    l1_penalty,
    l2_penalty,
    regularization_penalty,
)
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
    error = grad_check_sparse(lambda w: l2_penalty(w, 2.5)[0], W, grad, rng=seed, verbose=False)
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


# ----------------------------------------------------------------------------- L1, elastic net


def weights_with_zeros(seed, order="C"):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((9, 5))
    W[rng.random(W.shape) < 0.3] = 0.0
    return np.asarray(W, order=order)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("seed", range(3))
def test_l1_penalty_and_its_subgradient(seed, order):
    W = weights_with_zeros(seed, order)
    penalty, grad = l1_penalty(W, 0.75)
    np.testing.assert_allclose(penalty, 0.75 * np.abs(W).sum(), rtol=1e-13)
    assert isinstance(penalty, float)
    expected = np.where(W > 0, 0.75, np.where(W < 0, -0.75, 0.0))
    np.testing.assert_array_equal(grad, expected)  # 0 where W is exactly 0
    assert grad.flags.f_contiguous == (order == "F")


def test_l1_subgradient_is_checked_away_from_the_kinks():
    W = weights_with_zeros(4)
    W[W == 0] = 0.5  # the numerical gradient is only meaningful away from 0
    _, grad = l1_penalty(W, 2.0)
    error = grad_check_sparse(
        lambda w: l1_penalty(w, 2.0)[0], W, grad, num_checks=20, rng=0, verbose=False
    )
    assert error < 1e-8


@pytest.mark.parametrize("beta", [0.0, 0.3, 5.0])
def test_elastic_net_is_the_sum_of_l2_and_l1(beta):
    W = weights_with_zeros(7)
    penalty, grad = elastic_net_penalty(W, 1.5, beta)
    np.testing.assert_allclose(penalty, 1.5 * np.sum(beta * W * W + np.abs(W)), rtol=1e-13)
    np.testing.assert_allclose(grad, 1.5 * (2 * beta * W + np.sign(W)), rtol=1e-14)
    W[W == 0] = -0.25
    _, grad = elastic_net_penalty(W, 1.5, beta)
    error = grad_check_sparse(
        lambda w: elastic_net_penalty(w, 1.5, beta)[0], W, grad, num_checks=20, rng=1, verbose=False
    )
    assert error < 1e-8


def test_elastic_net_with_beta_zero_is_l1():
    W = weights_with_zeros(2)
    assert elastic_net_penalty(W, 0.4, 0.0)[0] == pytest.approx(l1_penalty(W, 0.4)[0])


@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_regularization_penalty_dispatches(regularizer):
    W = weights_with_zeros(3)
    direct = {
        "l2": l2_penalty(W, 0.2),
        "l1": l1_penalty(W, 0.2),
        "elastic_net": elastic_net_penalty(W, 0.2, 3.0),
    }[regularizer]
    penalty, grad = regularization_penalty(W, 0.2, regularizer, beta=3.0)
    assert penalty == direct[0]
    np.testing.assert_array_equal(grad, direct[1])


def test_l1_keeps_float32():
    W = weights_with_zeros(1).astype(np.float32)
    for regularizer in REGULARIZERS:
        assert regularization_penalty(W, 0.5, regularizer)[1].dtype == np.float32


@pytest.mark.parametrize(
    ("regularizer", "beta", "message"),
    [
        ("L1", 1.0, "lower case: 'l1'"),
        ("elastic-net", 1.0, "'elastic_net'"),
        ("l3", 1.0, "one of 'l2', 'l1', 'elastic_net', got 'l3'"),
        (None, 1.0, "got None"),
        ("elastic_net", -1.0, "beta >= 0"),
        ("elastic_net", float("nan"), "beta >= 0"),
    ],
)
def test_bad_choices_say_what_is_expected(regularizer, beta, message):
    with pytest.raises(ValueError, match=message):
        regularization_penalty(np.ones((2, 2)), 1.0, regularizer, beta)
