"""The layers: forward values by hand, backward passes against numerical gradients."""

import numpy as np
import pytest

from cs231n_lib.classifiers import layers
from cs231n_lib.classifiers.layers import (
    affine_backward,
    affine_forward,
    affine_relu_backward,
    affine_relu_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
    svm_loss,
)
from cs231n_lib.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_array,
    rel_error,
)
from cs231n_lib.toy_data import LECTURE_SCORES

SEEDS = range(4)


def away_from_zero(rng, shape, margin=0.1):
    """Random values at least ``margin`` from 0: ReLU's kink is far beyond the step h."""
    return np.sign(rng.standard_normal(shape)) * (margin + np.abs(rng.standard_normal(shape)))


def affine_problem(seed, N=4, D=5, H=3):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((N, D)),
        rng.standard_normal((D, H)),
        rng.standard_normal(H),
        rng.standard_normal((N, H)),
    )


def test_affine_forward_by_hand():
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]])  # (N=3, D=2)
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])  # (D=2, H=3)
    b = np.array([0.5, -1.0, 0.0])
    out, _ = affine_forward(x, w, b)
    expected = [[5.5, 1.0, 0.0], [1.5, -2.0, -3.5], [1.5, -0.5, 0.25]]
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(4, 5, 3), (6, 2, 6), (1, 3, 2)])
def test_affine_backward_matches_numerical_gradients(seed, shape):
    x, w, b, dout = affine_problem(seed, *shape)
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    assert (dx.shape, dw.shape, db.shape) == (x.shape, w.shape, b.shape)
    assert grad_check_array(lambda v: affine_forward(v, w, b)[0], x, dout, dx) < 1e-8
    assert grad_check_array(lambda v: affine_forward(x, v, b)[0], w, dout, dw) < 1e-8
    assert grad_check_array(lambda v: affine_forward(x, w, v)[0], b, dout, db) < 1e-8


def test_relu_forward_and_backward_by_hand_including_the_kink():
    x = np.array([[-2.0, 0.0, 3.0], [1e-12, -1e-12, 0.5]])
    out, cache = relu_forward(x)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 3.0], [1e-12, 0.0, 0.5]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    # The gradient at exactly 0 is 0 by our convention; a tiny positive input passes it.
    np.testing.assert_array_equal(relu_backward(dout, cache), [[0, 0, 3.0], [4.0, 0, 6.0]])


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_backward_matches_numerical_gradients_away_from_the_kink(seed):
    rng = np.random.default_rng(seed)
    x, dout = away_from_zero(rng, (5, 7)), rng.standard_normal((5, 7))
    _, cache = relu_forward(x)
    assert (
        grad_check_array(lambda v: relu_forward(v)[0], x, dout, relu_backward(dout, cache)) < 1e-10
    )


def test_the_numerical_check_fails_at_the_kink_for_a_correct_relu():
    """Why checks keep inputs away from 0: within h of the kink, the estimate is wrong."""
    x = np.array([[3e-6, -2e-6, 1.0]])
    dout = np.ones((1, 3))
    _, cache = relu_forward(x)
    analytic = relu_backward(dout, cache)  # [1, 0, 1]: right
    numerical = eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout, h=1e-5)
    np.testing.assert_allclose(numerical, [[0.65, 0.4, 1.0]], atol=1e-9)
    assert rel_error(numerical, analytic) > 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_affine_relu_sandwich_is_the_two_layers_chained(seed):
    x, w, b, dout = affine_problem(seed, N=6, D=4, H=5)
    b = b + 3.0 * np.sign(b)  # pre-activations far from the kink for these small inputs
    x *= 0.1
    out, cache = affine_relu_forward(x, w, b)
    a, fc_cache = affine_forward(x, w, b)
    expected_out, relu_cache = relu_forward(a)
    np.testing.assert_array_equal(out, expected_out)
    grads = affine_relu_backward(dout, cache)
    expected = affine_backward(relu_backward(dout, relu_cache), fc_cache)
    for got, want in zip(grads, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert np.min(np.abs(a)) > 1e-3
    for i, value in enumerate((x, w, b)):

        def f(v, i=i):
            args = [x, w, b]
            args[i] = v
            return affine_relu_forward(*args)[0]

        assert grad_check_array(f, value, dout, grads[i]) < 1e-8


def test_softmax_loss_on_the_lectures_scores():
    loss, dscores = softmax_loss(LECTURE_SCORES[:1], np.array([0]))
    assert round(loss, 2) == 2.04
    probs = np.exp(LECTURE_SCORES[0]) / np.exp(LECTURE_SCORES[0]).sum()
    np.testing.assert_allclose(dscores[0], probs - [1, 0, 0], rtol=1e-12)


def test_svm_loss_on_the_lectures_scores():
    loss, dscores = svm_loss(LECTURE_SCORES, np.arange(3))
    assert loss == pytest.approx((2.9 + 0.0 + 12.9) / 3, abs=1e-12)
    np.testing.assert_allclose(
        dscores, np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3, atol=1e-15
    )


@pytest.mark.parametrize("loss_fn", [softmax_loss, svm_loss])
@pytest.mark.parametrize("seed", SEEDS)
def test_losses_on_scores_match_numerical_gradients_and_average_over_n(loss_fn, seed):
    rng = np.random.default_rng(seed)
    scores, y = rng.standard_normal((9, 4)), rng.integers(4, size=9)
    loss, dscores = loss_fn(scores, y)
    numerical = eval_numerical_gradient(lambda s: loss_fn(s, y)[0], scores.copy())
    assert rel_error(numerical, dscores) < 1e-7
    # Averaged over N: the loss of a batch is the mean of the examples' losses.
    singles = [loss_fn(scores[i : i + 1], y[i : i + 1])[0] for i in range(9)]
    assert loss == pytest.approx(np.mean(singles), rel=1e-12)


def test_softmax_loss_is_stable_for_huge_scores():
    with np.errstate(all="raise"):
        loss, dscores = softmax_loss(LECTURE_SCORES + 1000.0, np.arange(3))
    reference, expected = softmax_loss(LECTURE_SCORES, np.arange(3))
    assert loss == pytest.approx(reference, rel=1e-12)
    np.testing.assert_allclose(dscores, expected, atol=1e-15)


def test_softmax_loss_of_equal_scores_is_log_c():
    loss, _ = softmax_loss(np.zeros((5, 10)), np.arange(5))
    assert loss == pytest.approx(np.log(10), rel=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: affine_forward(np.ones((2, 3)), np.ones((4, 5)), np.ones(5)),
            "same D, got x (2, 3) and w (4, 5)",
        ),
        (
            lambda: affine_forward(np.ones((2, 3)), np.ones((3, 5)), np.ones(3)),
            "Expected b of shape (5,)",
        ),
        (
            lambda: affine_forward(np.ones((2, 32, 32, 3)), np.ones((3072, 5)), np.ones(5)),
            "x.reshape(x.shape[0], -1)",
        ),
        (
            lambda: softmax_loss(np.ones((3, 4)), np.array([0, 1, 4])),
            "0 <= y < C = 4 (the columns of scores), got a label 4",
        ),
        (lambda: svm_loss(np.ones((3, 4)), np.array([0, 1])), "shape (3,)"),
        (
            lambda: affine_backward(
                np.ones((2, 4)), affine_forward(np.ones((2, 3)), np.ones((3, 5)), np.ones(5))[1]
            ),
            "Expected dout of shape (2, 5)",
        ),
    ],
)
def test_bad_inputs_say_what_was_expected(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value)


def test_every_public_layer_is_exported():
    assert set(layers.__all__) == {
        name for name in dir(layers) if name.endswith(("_forward", "_backward", "_loss"))
    }
