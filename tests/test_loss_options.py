"""The lecture's options of the losses: the squared hinge and the choice of regularizer.

Naive and vectorized twins agree for every option, every gradient passes a gradient
check, and ``LinearClassifier.train`` passes the options on.
"""

import itertools

import numpy as np
import pytest

from cs231n_lib.classifiers import (
    REGULARIZERS,
    LinearSVM,
    Softmax,
    regularization_penalty,
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)
from cs231n_lib.gradient_check import grad_check_sparse
from cs231n_lib.toy_data import LECTURE_SCORES

SVM_OPTIONS = list(itertools.product([False, True], REGULARIZERS))


def random_problem(seed, num_train=25, dim=12, num_classes=6):
    rng = np.random.default_rng(seed)
    W = 0.3 * rng.standard_normal((dim, num_classes))
    return W, rng.standard_normal((num_train, dim)), rng.integers(num_classes, size=num_train)


@pytest.mark.parametrize("svm_loss", [svm_loss_naive, svm_loss_vectorized])
def test_squared_hinge_on_the_lecture_example(svm_loss):
    # cat: (5.1 - 3.2 + 1)^2; car: 0; frog: (2.2 + 3.1 + 1)^2 + (2.5 + 3.1 + 1)^2
    expected = [2.9**2, 0.0, 6.3**2 + 6.6**2]
    X, y = np.eye(3), np.arange(3)
    per_example = [
        svm_loss(LECTURE_SCORES, X[i : i + 1], y[i : i + 1], 0.0, squared_hinge=True)[0]
        for i in range(3)
    ]
    np.testing.assert_allclose(per_example, expected, rtol=1e-12)
    loss, grad = svm_loss(LECTURE_SCORES, X, y, 0.0, squared_hinge=True)
    np.testing.assert_allclose(loss, np.mean(expected), rtol=1e-12)
    # X is the identity, so dW[i] is d loss_i / d scores_i over 3: the frog row pulls
    # its two wrong scores up by 2 * margin and its own score down by their sum.
    np.testing.assert_allclose(grad[2], np.array([12.6, 13.2, -25.8]) / 3, rtol=1e-12)
    np.testing.assert_allclose(grad[1], 0.0)


@pytest.mark.parametrize(("squared_hinge", "regularizer"), SVM_OPTIONS)
@pytest.mark.parametrize("seed", range(3))
def test_svm_twins_agree_for_every_option(seed, squared_hinge, regularizer):
    W, X, y = random_problem(seed)
    options = {"squared_hinge": squared_hinge, "regularizer": regularizer, "beta": 0.6}
    loss_naive, grad_naive = svm_loss_naive(W, X, y, 0.4, **options)
    loss_vec, grad_vec = svm_loss_vectorized(W, X, y, 0.4, **options)
    np.testing.assert_allclose(loss_vec, loss_naive, rtol=1e-12)
    np.testing.assert_allclose(grad_vec, grad_naive, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("squared_hinge", "regularizer"), SVM_OPTIONS)
def test_svm_gradient_check_for_every_option(squared_hinge, regularizer):
    W, X, y = random_problem(11)
    options = {"squared_hinge": squared_hinge, "regularizer": regularizer, "beta": 2.0}
    _, grad = svm_loss_vectorized(W, X, y, 0.2, **options)
    error = grad_check_sparse(
        lambda w: svm_loss_vectorized(w, X, y, 0.2, **options)[0],
        W,
        grad,
        num_checks=25,
        rng=3,
        verbose=False,
    )
    assert error < 1e-6


@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_softmax_options(regularizer):
    W, X, y = random_problem(5)
    loss_naive, grad_naive = softmax_loss_naive(W, X, y, 0.3, regularizer=regularizer)
    loss_vec, grad_vec = softmax_loss_vectorized(W, X, y, 0.3, regularizer=regularizer)
    np.testing.assert_allclose(loss_vec, loss_naive, rtol=1e-12)
    np.testing.assert_allclose(grad_vec, grad_naive, rtol=1e-10, atol=1e-12)
    error = grad_check_sparse(
        lambda w: softmax_loss_vectorized(w, X, y, 0.3, regularizer=regularizer)[0],
        W,
        grad_vec,
        num_checks=25,
        rng=4,
        verbose=False,
    )
    assert error < 1e-6


@pytest.mark.parametrize("loss_fn", [svm_loss_vectorized, softmax_loss_vectorized])
@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_penalty_is_added_to_the_data_loss(loss_fn, regularizer):
    W, X, y = random_problem(8)
    data_loss, data_grad = loss_fn(W, X, y, 0.0)
    loss, grad = loss_fn(W, X, y, 0.9, regularizer=regularizer, beta=0.25)
    penalty, dpenalty = regularization_penalty(W, 0.9, regularizer, 0.25)
    np.testing.assert_allclose(loss, data_loss + penalty, rtol=1e-12)
    np.testing.assert_allclose(grad, data_grad + dpenalty, rtol=1e-12)


def test_squared_hinge_is_zero_when_every_margin_is_met_and_larger_when_not():
    W, X, y = random_problem(2)
    hinge, _ = svm_loss_vectorized(W, X, y, 0.0)
    squared, _ = svm_loss_vectorized(W, X, y, 0.0, squared_hinge=True)
    W_far = 10 * W  # larger scores, larger violations: the square grows faster
    assert svm_loss_vectorized(W_far, X, y, 0.0, squared_hinge=True)[0] > (
        10 * svm_loss_vectorized(W_far, X, y, 0.0)[0]
    )
    assert hinge > 0
    assert squared > 0
    X_easy, y_easy = np.eye(3), np.arange(3)
    W_easy = 5 * np.eye(3)  # the correct score beats the others by 5 > 1
    assert svm_loss_vectorized(W_easy, X_easy, y_easy, 0.0, squared_hinge=True)[0] == 0.0


@pytest.mark.parametrize(
    "loss_fn", [svm_loss_naive, svm_loss_vectorized, softmax_loss_naive, softmax_loss_vectorized]
)
def test_a_bad_regularizer_fails_before_any_work(loss_fn):
    W, X, y = random_problem(0)
    with pytest.raises(ValueError, match="Expected regularizer to be one of"):
        loss_fn(W, X, y, 0.1, regularizer="ridge")


def separable_blobs(seed=0, num=150):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=num)
    X = np.hstack([4.0 * np.eye(3)[y] + 0.5 * rng.normal(size=(num, 3)), np.ones((num, 1))])
    return X, y


@pytest.mark.parametrize("model_cls", [LinearSVM, Softmax])
@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_train_passes_the_regularizer_on(model_cls, regularizer):
    X, y = separable_blobs()
    model = model_cls()
    history = model.train(
        X,
        y,
        learning_rate=1e-2,
        reg=1e-2,
        num_iters=150,
        batch_size=50,
        rng=0,
        regularizer=regularizer,
        beta=0.5,
    )
    assert np.mean(model.predict(X) == y) > 0.95
    # Same seed, same batches: the first loss is the initial W's, with the chosen penalty.
    W0 = np.asfortranarray(0.001 * np.random.default_rng(0).standard_normal((4, 3)))
    batch = np.random.default_rng(0)
    batch.standard_normal((4, 3))
    idx = batch.integers(len(X), size=50)
    loss_fn = {LinearSVM: svm_loss_vectorized, Softmax: softmax_loss_vectorized}[model_cls]
    expected, _ = loss_fn(W0, X[idx], y[idx], 1e-2, regularizer=regularizer, beta=0.5)
    assert history[0] == pytest.approx(expected, rel=1e-12)


def test_l1_training_gives_more_zero_like_weights_than_l2():
    rng = np.random.default_rng(0)
    # 3 informative features and 40 noise features: L1 drives the noise weights to 0.
    y = rng.integers(0, 3, size=600)
    X = np.hstack(
        [
            3.0 * np.eye(3)[y] + rng.normal(size=(600, 3)),
            rng.normal(size=(600, 40)),
            np.ones((600, 1)),
        ]
    )
    weights = {}
    for regularizer in ("l1", "l2"):
        model = LinearSVM()
        model.train(
            X,
            y,
            learning_rate=1e-2,
            reg=5e-2,
            num_iters=1500,
            batch_size=100,
            rng=1,
            regularizer=regularizer,
        )
        weights[regularizer] = model.W[3:43]
        assert np.mean(model.predict(X) == y) > 0.85
    near_zero = {r: np.mean(np.abs(w) < 2e-3) for r, w in weights.items()}
    assert near_zero["l1"] > 0.5 > near_zero["l2"]


def test_squared_hinge_svm_trains_and_its_option_is_checked():
    X, y = separable_blobs(3)
    model = LinearSVM(squared_hinge=True)
    assert model.squared_hinge is True
    model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=200, batch_size=50, rng=0)
    assert np.mean(model.predict(X) == y) > 0.95
    W = model.W.copy()
    np.testing.assert_allclose(
        model.loss(X, y, 1e-3)[0], svm_loss_vectorized(W, X, y, 1e-3, squared_hinge=True)[0]
    )
    with pytest.raises(TypeError, match="squared_hinge to be True or False"):
        LinearSVM(squared_hinge="yes")


def test_train_rejects_a_bad_regularizer_before_training():
    X, y = separable_blobs()
    model = Softmax()
    with pytest.raises(ValueError, match="lower case: 'elastic_net'"):
        model.train(X, y, regularizer="Elastic_Net", num_iters=5)
    assert model.W is None
