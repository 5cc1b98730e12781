"""Hyper-parameter search for :class:`~cs231n_lib.classifiers.TwoLayerNet`.

A *setting* is a dict with the four hyper-parameters the lesson tunes::

    {"hidden_size": 100, "learning_rate": 1e-3, "reg": 0.25, "num_epochs": 5}

:func:`tune_two_layer_net` trains one net per setting and keeps the best on the
validation set; :func:`random_settings` draws settings at random from ranges.
"""

from __future__ import annotations

import numbers

import numpy as np
from tqdm.auto import tqdm

from ._validation import (
    check_array_2d,
    check_labels,
    check_log_range,
    check_positive_float,
    check_positive_int,
    check_rng,
    is_positive_float,
)
from .classifiers.neural_net import TwoLayerNet

__all__ = ["SETTING_KEYS", "check_setting", "random_settings", "tune_two_layer_net"]

SETTING_KEYS = ("hidden_size", "learning_rate", "reg", "num_epochs")


def check_setting(setting, index=0):
    """One setting as ``(hidden_size, learning_rate, reg, num_epochs)``, or raise.

    Parameters
    ----------
    setting : dict
        With the keys of :data:`SETTING_KEYS`; ``num_epochs`` may be fractional.
    index : int
        Its position in the list, for the error message.

    Returns
    -------
    tuple of (int, float, float, float)
    """
    example = '{"hidden_size": 100, "learning_rate": 1e-3, "reg": 0.25, "num_epochs": 5}'
    if not isinstance(setting, dict) or set(setting) != set(SETTING_KEYS):
        got = sorted(setting) if isinstance(setting, dict) else type(setting).__name__
        raise ValueError(
            f"Expected settings[{index}] to be a dict with the keys {', '.join(SETTING_KEYS)}, "
            f"e.g. {example}; got {got}."
        )
    hidden_size = setting["hidden_size"]
    if (
        isinstance(hidden_size, bool)
        or not isinstance(hidden_size, numbers.Integral)
        or hidden_size < 1
    ):
        raise ValueError(
            f"Expected settings[{index}]['hidden_size'] to be a positive int, got {hidden_size!r}."
        )
    values = []
    for key, allow_zero in (("learning_rate", False), ("reg", True), ("num_epochs", False)):
        if not is_positive_float(setting[key], allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise ValueError(
                f"Expected settings[{index}][{key!r}] to be a number {bound}, got {setting[key]!r}."
            )
        values.append(float(setting[key]))
    return (int(hidden_size), *values)


def random_settings(num_settings, hidden_sizes, learning_rates, regs, num_epochs, rng=None):
    """Settings drawn at random: hidden sizes from a list, the rest from ranges.

    Parameters
    ----------
    num_settings : int
    hidden_sizes : sequence of int
        Each setting takes one of them.
    learning_rates, regs : (float, float)
        Ranges ``(low, high)``, sampled log-uniformly (both bounds > 0).
    num_epochs : float or sequence of float
        One value for every setting, or a list to choose from.
    rng : None, int or numpy.random.Generator
        ``None`` means seed 0.

    Returns
    -------
    list of dict
    """
    num_settings = check_positive_int(num_settings, "num_settings")
    rng = check_rng(rng)
    ranges = {}
    for name, bounds in (("learning_rates", learning_rates), ("regs", regs)):
        ranges[name] = np.log(check_log_range(bounds, name))
    epochs = [num_epochs] if isinstance(num_epochs, numbers.Real) else list(num_epochs)
    settings = [
        {
            "hidden_size": int(rng.choice(hidden_sizes)),
            "learning_rate": float(np.exp(rng.uniform(*ranges["learning_rates"]))),
            "reg": float(np.exp(rng.uniform(*ranges["regs"]))),
            "num_epochs": float(epochs[rng.integers(len(epochs))]),
        }
        for _ in range(num_settings)
    ]
    for i, setting in enumerate(settings):
        check_setting(setting, i)
    return settings


def tune_two_layer_net(
    X_train,
    y_train,
    X_val,
    y_val,
    settings,
    std=1e-4,
    batch_size=200,
    learning_rate_decay=0.95,
    momentum=0.0,
    rng=None,
    progress=True,
):
    """Train one :class:`TwoLayerNet` per setting; keep the best on the validation set.

    Every setting starts from the same seeds (the initial weights of a given hidden
    size and the minibatches are the same), so the results do not depend on the
    order of the settings. The nets compute in the precision of ``X_train``
    (float32 data: float32 nets, about twice as fast).

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    y_train : ndarray of shape (N,)
    X_val : ndarray of shape (N_val, D)
    y_val : ndarray of shape (N_val,)
    settings : list of dict
        Each with ``hidden_size``, ``learning_rate``, ``reg`` and ``num_epochs``
        (passes over the training set: ``num_epochs * N / batch_size`` iterations).
    std : float, default=1e-4
        The initial weights' standard deviation.
    batch_size : int, default=200
    learning_rate_decay : float, default=0.95
    momentum : float, default=0.0
    rng : None, int or numpy.random.Generator
        Draws the seeds; ``None`` means seed 0.
    progress : bool, default=True
        Show a progress bar over the settings, with the best validation accuracy.

    Returns
    -------
    results : dict
        ``{(hidden_size, learning_rate, reg, num_epochs): (train_acc, val_acc)}``;
        ``(nan, nan)`` for a setting whose training diverged.
    best_val : float
        The highest validation accuracy.
    best_net : TwoLayerNet
        The net of the best setting; ``best_net.history`` is its training history.
    """
    X_train = check_array_2d(X_train, "X_train")
    y_train = check_labels(y_train, X_train.shape[0], "y_train")
    X_val = check_array_2d(X_val, "X_val", f"(N_val, {X_train.shape[1]})")
    y_val = check_labels(y_val, X_val.shape[0], "y_val")
    if isinstance(settings, dict) or not len(settings):
        raise ValueError("Expected settings to be a non-empty list of dicts, one per setting.")
    keys = [check_setting(s, i) for i, s in enumerate(settings)]
    std = check_positive_float(std, "std")
    batch_size = check_positive_int(batch_size, "batch_size")
    rng = check_rng(rng)
    init_seed, train_seed = (int(s) for s in rng.integers(2**63, size=2))
    num_classes = int(max(y_train.max(), y_val.max())) + 1

    results, best_val, best_net = {}, -1.0, None
    bar = tqdm(keys, desc="tuning TwoLayerNet", disable=not progress)
    for key in bar:
        hidden_size, learning_rate, reg, num_epochs = key
        net = TwoLayerNet(
            X_train.shape[1], hidden_size, num_classes, std=std, rng=init_seed, dtype=X_train.dtype
        )
        num_iters = max(round(num_epochs * X_train.shape[0] / batch_size), 1)
        try:
            net.history = net.train(
                X_train,
                y_train,
                X_val,
                y_val,
                learning_rate=learning_rate,
                learning_rate_decay=learning_rate_decay,
                reg=reg,
                num_iters=num_iters,
                batch_size=batch_size,
                momentum=momentum,
                rng=train_seed,
            )
            train_acc = float(np.mean(net.predict(X_train) == y_train))
            val_acc = float(np.mean(net.predict(X_val) == y_val))
        except FloatingPointError:  # diverged: a learning rate too large
            train_acc = val_acc = float("nan")
        results[key] = (train_acc, val_acc)
        if val_acc > best_val:
            best_val, best_net = val_acc, net
        bar.set_postfix(best_val=f"{best_val:.3f}")
    if best_net is None:
        raise FloatingPointError("Training diverged for every setting. Try smaller learning rates.")
    return results, best_val, best_net
