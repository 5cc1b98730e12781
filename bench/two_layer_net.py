"""Benchmark: a training step of TwoLayerNet against the bare matrix products of that step.

Times, in one run on the real data (``make bench``), for minibatches of 200 CIFAR-10
images (D = 3072) and the notebook's net (H = 100, C = 10), in float32 (as the notebook
trains) and float64:

- ``net.loss(X_batch, y_batch, reg)``, the forward and the backward pass;
- the four products of the same shapes that the step cannot avoid: ``X @ W1``
  (N x D x H), ``hidden @ W2`` (N x H x C), ``X.T @ da`` (D x N x H, the gradient of
  W1) and ``hidden.T @ dscores`` (H x N x C), in the faster of two forms (``X.T @ da``
  or ``(da.T @ X).T``, measured first); the goal is at most 1.25x. (The step has a
  fifth, ``dscores @ W2.T`` of N x C x H, as small as the second: it counts against
  the net.)
- a whole training iteration of ``train`` (drawing the batch, the step, the updates),
  for information.

The candidates are called in turn, hundreds of times each, and the medians count.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _timing import median_times

from cs231n_lib.classifiers import TwoLayerNet
from cs231n_lib.datasets import get_cifar10_data

TARGET = 1.25


def bench_step(X_all, y_all, hidden_size, dtype, calls):
    rng = np.random.default_rng(0)
    X = np.ascontiguousarray(X_all[rng.integers(len(X_all), size=200)], dtype=dtype)
    y = y_all[:200]
    net = TwoLayerNet(X.shape[1], hidden_size, 10, std=1e-2, rng=0, dtype=dtype)
    W1, W2 = net.params["W1"], net.params["W2"]
    hidden = np.maximum(X @ W1, 0)
    da = rng.standard_normal(hidden.shape).astype(dtype)
    dscores = rng.standard_normal((200, 10)).astype(dtype)

    def plain():
        return X @ W1, hidden @ W2, X.T @ da, hidden.T @ dscores

    def transposed():  # the same products, with the transposes on the other side
        return X @ W1, hidden @ W2, (da.T @ X).T, (dscores.T @ hidden).T

    forms = median_times({"plain": plain, "transposed": transposed}, calls // 3)
    products = min((plain, transposed), key=lambda f: forms[f.__name__])
    fns = {"products": products, "step": lambda: net.loss(X, y, reg=0.25)}
    products()
    return median_times(fns, calls)


def bench_iterations(X_all, y_all, hidden_size, dtype, iters):
    X = np.asarray(X_all, dtype=dtype)
    net = TwoLayerNet(X.shape[1], hidden_size, 10, std=1e-4, rng=0, dtype=dtype)
    start = time.perf_counter()
    net.train(X, y_all, learning_rate=1e-3, reg=0.25, num_iters=iters, rng=0)
    return (time.perf_counter() - start) / iters


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--hidden-size", type=int, default=100)
    args = parser.parse_args(argv)
    data = get_cifar10_data(add_bias=False, dtype=np.float32)
    X, y = data["X_train"], data["y_train"]
    print(
        f"TwoLayerNet step, batch 200 x {X.shape[1]}, H = {args.hidden_size}, C = 10, "
        f"median of {args.calls} calls each"
    )
    worst = 0.0
    for dtype in (np.float32, np.float64):
        times = bench_step(X, y, args.hidden_size, dtype, args.calls)
        ratio = times["step"] / times["products"]
        worst = max(worst, ratio)
        print(
            f"{np.dtype(dtype).name:>8}: four bare products {times['products'] * 1e3:6.2f} ms, "
            f"net.loss (forward + backward) {times['step'] * 1e3:6.2f} ms: "
            f"ratio {ratio:.2f}x (goal <= {TARGET}x)"
        )
    for dtype in (np.float32, np.float64):
        per_iter = bench_iterations(X, y, args.hidden_size, dtype, 500)
        print(
            f"{np.dtype(dtype).name:>8}: a whole training iteration of train() (batch drawn "
            f"from 49,000 images, step, update): {per_iter * 1e3:.2f} ms"
        )
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
