"""Hyper-parameter search for the linear classifiers: grid, random, seeding, divergence."""

import math

import numpy as np
import pytest

from cs231n_lib.classifiers import LinearSVM, Softmax
from cs231n_lib.cross_validation import tune_linear_classifier


def blobs(seed, num_train=200, dim=5, num_classes=3):
    rng = np.random.default_rng(seed)
    centres = 2 * rng.standard_normal((num_classes, dim))
    y = rng.integers(num_classes, size=num_train)
    X = centres[y] + 0.8 * rng.standard_normal((num_train, dim))
    return np.hstack([X, np.ones((num_train, 1))]), y


def split(seed=0):
    X, y = blobs(seed)
    return X[:150], y[:150], X[150:], y[150:]


@pytest.mark.parametrize("cls", [LinearSVM, Softmax])
def test_grid_search_tries_every_pair_and_returns_the_best(cls):
    X_tr, y_tr, X_val, y_val = split()
    lrs, regs = [1e-4, 1e-2], [0.0, 1e-3, 10.0]
    results, best_val, best_model = tune_linear_classifier(
        cls, X_tr, y_tr, X_val, y_val, lrs, regs, num_iters=100, progress=False
    )
    assert sorted(results) == sorted((lr, reg) for lr in lrs for reg in regs)
    assert best_val == max(val for _, val in results.values())
    assert isinstance(best_model, cls)
    assert np.mean(best_model.predict(X_val) == y_val) == best_val
    for (lr, reg), (train_acc, val_acc) in results.items():
        model = cls()
        model.train(
            X_tr,
            y_tr,
            learning_rate=lr,
            reg=reg,
            num_iters=100,
            rng=np.random.default_rng(int(np.random.default_rng(0).integers(2**63))),
        )
        assert train_acc == np.mean(model.predict(X_tr) == y_tr)
        assert val_acc == np.mean(model.predict(X_val) == y_val)
    assert best_val > 0.8  # the blobs are easy; a tiny learning rate is not


def test_results_do_not_depend_on_the_order_of_the_grid():
    X_tr, y_tr, X_val, y_val = split()
    a, _, _ = tune_linear_classifier(
        LinearSVM, X_tr, y_tr, X_val, y_val, [1e-3, 1e-2], [0.1, 1.0], 30, rng=4, progress=False
    )
    b, _, _ = tune_linear_classifier(
        LinearSVM, X_tr, y_tr, X_val, y_val, [1e-2, 1e-3], [1.0, 0.1], 30, rng=4, progress=False
    )
    assert a == b


@pytest.mark.parametrize("seed", range(3))
def test_random_search_is_log_uniform_within_bounds_and_seeded(seed):
    X_tr, y_tr, X_val, y_val = split()
    kwargs = {"search": "random", "num_samples": 12, "rng": seed, "progress": False}
    results, _, _ = tune_linear_classifier(
        Softmax, X_tr, y_tr, X_val, y_val, (1e-5, 1e-1), (1e-4, 1e2), 5, **kwargs
    )
    again, _, _ = tune_linear_classifier(
        Softmax, X_tr, y_tr, X_val, y_val, (1e-5, 1e-1), (1e-4, 1e2), 5, **kwargs
    )
    assert results == again
    assert len(results) == 12
    rng = np.random.default_rng(seed)
    expected_lr = np.exp(rng.uniform(math.log(1e-5), math.log(1e-1), size=12))
    expected_reg = np.exp(rng.uniform(math.log(1e-4), math.log(1e2), size=12))
    lrs, regs = np.array(list(results)).T
    np.testing.assert_allclose(lrs, expected_lr, rtol=1e-15)
    np.testing.assert_allclose(regs, expected_reg, rtol=1e-15)
    assert np.all((lrs >= 1e-5) & (lrs <= 1e-1))
    assert np.all((regs >= 1e-4) & (regs <= 1e2))


def test_random_log_uniform_draws_cover_the_decades_evenly():
    X_tr, y_tr, X_val, y_val = split()
    results, _, _ = tune_linear_classifier(
        LinearSVM,
        X_tr[:20],
        y_tr[:20],
        X_val,
        y_val,
        (1e-6, 1e-2),
        (1.0, 2.0),
        1,
        search="random",
        num_samples=400,
        progress=False,
    )
    decades = np.floor(np.log10([lr for lr, _ in results])).astype(int)
    counts = np.bincount(decades + 6, minlength=4)
    assert counts.min() > 60  # 100 expected per decade; uniform draws would give ~1 below 1e-4


def test_diverged_settings_are_recorded_as_nan_and_skipped():
    X_tr, y_tr, X_val, y_val = split()
    results, best_val, best_model = tune_linear_classifier(
        LinearSVM,
        X_tr * 1e3,
        y_tr,
        X_val * 1e3,
        y_val,
        [1e-4, 1e300],
        [0.0],
        20,
        progress=False,
    )
    assert all(math.isnan(v) for v in results[(1e300, 0.0)])
    assert best_val == results[(1e-4, 0.0)][1]
    assert np.all(np.isfinite(best_model.W))
    with pytest.raises(FloatingPointError, match="every setting"):
        tune_linear_classifier(
            LinearSVM, X_tr * 1e3, y_tr, X_val * 1e3, y_val, [1e300], [0.0], 20, progress=False
        )


def test_progress_bar_reports_the_best_validation_accuracy(capsys):
    X_tr, y_tr, X_val, y_val = split()
    # The tiny learning rate comes last and validates worse: the bar keeps the best.
    results, _, _ = tune_linear_classifier(
        LinearSVM, X_tr, y_tr, X_val, y_val, [1e-2, 1e-7], [0.1], 10
    )
    err = capsys.readouterr().err
    assert "tuning LinearSVM" in err
    assert "best_val=" in err
    vals = [val for _, val in results.values()]
    assert vals[1] < vals[0]
    final = err.rstrip().split("\r")[-1]  # what the bar shows at the end
    assert "2/2" in final
    assert final.endswith(f"best_val={max(vals):.3f}]"), final


def test_bad_search_arguments_say_what_to_fix():
    X_tr, y_tr, X_val, y_val = split()
    args = (LinearSVM, X_tr, y_tr, X_val, y_val)
    with pytest.raises(ValueError, match="search to be one of 'grid', 'random', got 'bayes'"):
        tune_linear_classifier(*args, [1e-3], [1.0], 5, search="bayes")
    with pytest.raises(ValueError, match="needs num_samples"):
        tune_linear_classifier(*args, (1e-3, 1e-2), (1.0, 2.0), 5, search="random")
    with pytest.raises(ValueError, match=r"learning_rates to be a range \(low, high\)"):
        tune_linear_classifier(
            *args, [1e-3, 1e-2, 1e-1], (1.0, 2.0), 5, search="random", num_samples=3
        )
    with pytest.raises(ValueError, match="only used by search='random'"):
        tune_linear_classifier(*args, [1e-3], [1.0], 5, num_samples=3)
    with pytest.raises(ValueError, match="learning_rates to be a non-empty list"):
        tune_linear_classifier(*args, [], [1.0], 5)
    with pytest.raises(ValueError, match="regs to be a non-empty list of numbers >= 0"):
        tune_linear_classifier(*args, [1e-3], [-1.0], 5)
    with pytest.raises(ValueError, match="N_val, 6"):
        tune_linear_classifier(LinearSVM, X_tr, y_tr, X_val[:, 0], y_val, [1e-3], [1.0], 5)
