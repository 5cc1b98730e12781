"""Gradient checks on functions whose gradients are known."""

import numpy as np
import pytest

from cs231n_lib.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_array,
    grad_check_sparse,
    rel_error,
)

FUNCTIONS = [
    # (f, gradient of f)
    (lambda x: float(np.sum(x**2)), lambda x: 2 * x),
    (lambda x: float(np.sum(np.sin(x))), np.cos),
    (lambda x: float(np.log(np.sum(np.exp(x)))), lambda x: np.exp(x) / np.sum(np.exp(x))),
]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("f", "grad"), FUNCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_numerical_gradient_matches_known_gradient(seed, f, grad, shape):
    x = np.random.default_rng(seed).normal(size=shape)
    before = x.copy()
    numerical = eval_numerical_gradient(f, x)
    assert numerical.shape == shape
    assert rel_error(numerical, grad(x)) < 1e-7
    np.testing.assert_array_equal(x, before)  # the point is restored


def test_numerical_gradient_of_a_linear_function_is_exact_in_every_entry():
    W = np.arange(12.0).reshape(3, 4)
    numerical = eval_numerical_gradient(lambda x: float(np.sum(W * x)), np.ones((3, 4)))
    np.testing.assert_allclose(numerical, W, rtol=1e-9, atol=1e-9)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(z):
        calls.append(z.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return float(z.sum())

    with pytest.raises(RuntimeError, match="boom"):
        eval_numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert calls[1][0] == pytest.approx(1.0 - 1e-5)  # it was evaluating x - h


def test_numerical_gradient_verbose_prints_each_entry(capsys):
    x = np.array([1.0, -2.0, 0.5])
    eval_numerical_gradient(lambda x: float(np.sum(x**2)), x, verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    # Each line: the entry's index, then its numerical derivative 2 x.
    assert [line.split()[0] for line in lines] == ["(0,)", "(1,)", "(2,)"]
    np.testing.assert_allclose([float(line.split()[1]) for line in lines], 2 * x, rtol=1e-8)


@pytest.mark.parametrize("seed", range(5))
def test_grad_check_sparse_returns_small_error_for_right_gradient(seed):
    x = np.random.default_rng(seed).normal(size=(6, 5))
    error = grad_check_sparse(lambda z: float(np.sum(z**3)), x, 3 * x**2, rng=seed, verbose=False)
    assert 0 <= error < 1e-7


@pytest.mark.parametrize("seed", range(5))
def test_grad_check_sparse_returns_large_error_for_wrong_gradient(seed):
    x = np.random.default_rng(seed).uniform(0.5, 2.0, size=(6, 5))
    # Twice the true gradient: relative error |2g - g| / (|2g| + |g|) = 1/3.
    error = grad_check_sparse(lambda z: float(np.sum(z**3)), x, 6 * x**2, rng=seed, verbose=False)
    assert error == pytest.approx(1 / 3, rel=1e-6)


def test_grad_check_sparse_prints_one_line_per_check(capsys):
    x = np.ones((4, 4))
    grad_check_sparse(lambda z: float(np.sum(z)), x, np.ones((4, 4)), num_checks=7, rng=0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 7
    assert all(line.startswith("numerical: ") and "relative error: " in line for line in lines)


def test_grad_check_sparse_is_deterministic_with_seed_and_restores_x():
    x = np.random.default_rng(0).normal(size=(5, 5))
    before = x.copy()
    wrong = np.random.default_rng(1).normal(size=(5, 5))
    f = lambda z: float(np.sum(z**2))  # noqa: E731
    a = grad_check_sparse(f, x, wrong, rng=np.random.default_rng(7), verbose=False)
    b = grad_check_sparse(f, x, wrong, rng=np.random.default_rng(7), verbose=False)
    assert a == b
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    ("x", "grad", "error", "match"),
    [
        (np.ones(3, dtype=int), np.ones(3), TypeError, "floating-point ndarray"),
        ([1.0, 2.0], np.ones(2), TypeError, "floating-point ndarray"),
        (np.ones(3), np.ones(4), ValueError, r"same shape as x \(3,\)"),
    ],
)
def test_grad_check_sparse_rejects_bad_input(x, grad, error, match):
    with pytest.raises(error, match=match):
        grad_check_sparse(lambda z: 0.0, x, grad, verbose=False)


def test_rel_error_values():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0  # no NaN when both are zero
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert rel_error(np.array([1.0, 0.0]), np.array([1.0, 1e-3])) == pytest.approx(1.0)
    assert rel_error(np.array([2.0, 4.0]), np.array([2.0, 5.0])) == pytest.approx(1 / 9)
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))


# Array functions and their Jacobian-vector products dx = J^T df.
MATRIX = np.arange(12.0).reshape(4, 3)
ARRAY_FUNCTIONS = [
    (np.tanh, lambda x, df: df * (1 - np.tanh(x) ** 2)),
    (lambda x: x @ MATRIX, lambda x, df: df @ MATRIX.T),
    (lambda x: np.cumsum(x, axis=1), lambda x, df: np.cumsum(df[:, ::-1], axis=1)[:, ::-1]),
]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("f", "backward"), ARRAY_FUNCTIONS)
def test_numerical_gradient_array_is_the_upstream_gradient_times_the_jacobian(seed, f, backward):
    gen = np.random.default_rng(seed)
    x = gen.normal(size=(5, 4))
    df = gen.normal(size=f(x).shape)
    before = x.copy()
    numerical = eval_numerical_gradient_array(f, x, df)
    np.testing.assert_array_equal(x, before)
    assert rel_error(numerical, backward(x, df)) < 1e-8
    assert grad_check_array(f, x, df, backward(x, df)) == rel_error(numerical, backward(x, df))


def test_grad_check_array_returns_a_large_error_for_a_wrong_backward_pass():
    x = np.random.default_rng(0).normal(size=(3, 4))
    df = np.ones((3, 4))
    assert grad_check_array(np.tanh, x, df, df) > 1e-2  # forgot the local derivative


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: eval_numerical_gradient_array(np.tanh, np.ones((2, 3)), np.ones((3, 2))),
            "Expected df of the shape of f(x) (2, 3), got (3, 2)",
        ),
        (
            lambda: grad_check_array(np.tanh, np.ones((2, 3)), np.ones((2, 3)), np.ones(6)),
            "Expected analytic_dx of the shape of x (2, 3), got (6,)",
        ),
        (
            lambda: eval_numerical_gradient_array(np.tanh, [1.0, 2.0], np.ones(2)),
            "floating-point ndarray",
        ),
    ],
)
def test_array_checks_say_what_is_wrong(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value)
