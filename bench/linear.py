"""Benchmark: the linear classifiers' losses and training against their bare work.

Times, in one run on the real data (``make bench``):

- the vectorized SVM and softmax losses (loss and gradient) on 500 x 3073 dev
  examples, against the two matrix products they cannot avoid, ``X @ W`` and
  ``X.T @ G`` (each in its fastest form); target at most 1.15x. Also the naive
  versions, for the speed-up.
- ``LinearSVM.train`` for 1,500 iterations of 200 examples, against a bare loop
  that does only each iteration's unavoidable work: drawing the rows, the two
  products and the weight update; target at most 1.15x.

The losses are called in turn, hundreds of times each, and the median counts;
training is timed in a few interleaved rounds, and the best counts.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _timing import best_time, interleaved, median_times

from cs231n_lib.classifiers import (
    LinearSVM,
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)
from cs231n_lib.datasets import get_cifar10_data


def bench_losses(X, y, W_c, reg, calls):
    # W as LinearClassifier stores it (Fortran order, like the gradient), and as
    # np.random.randn gives it in the notebooks (C order): same values.
    W = np.asfortranarray(W_c)
    G = np.ones((X.shape[0], W.shape[1]))  # stands for d loss / d scores

    def products():
        return X @ W, (G.T @ X).T  # X.T @ G in its fastest form for a C-ordered X

    def textbook_products():
        return X @ W, X.T @ G

    fns = {
        "products": products,
        "svm": lambda: svm_loss_vectorized(W, X, y, reg),
        "softmax": lambda: softmax_loss_vectorized(W, X, y, reg),
    }
    fns["products"]()  # warm up BLAS threads and caches
    best = median_times(fns, calls)
    # For information, in a round of their own: the slow form of X.T @ G, and W in
    # C order, where the gradient's layout differs from W's.
    extra = median_times(
        {
            "products": products,
            "textbook": textbook_products,
            "svm_c": lambda: svm_loss_vectorized(W_c, X, y, reg),
        },
        calls // 2,
    )
    naive = {
        "svm": best_time(lambda: svm_loss_naive(W, X, y, reg), 2),
        "softmax": best_time(lambda: softmax_loss_naive(W, X, y, reg), 2),
    }
    shape = f"{X.shape[0]} x {X.shape[1]}"
    print(f"losses on {shape} (float64), C = {W.shape[1]}:")
    print(f"  bare products X @ W and X.T @ G:  {best['products'] * 1e3:8.2f} ms")
    print(
        f"  (X.T @ G written as such:         {extra['textbook'] * 1e3:8.2f} ms, "
        f"{extra['textbook'] / extra['products']:.2f}x)"
    )
    print("  W in Fortran order, as LinearClassifier keeps it:")
    for name in ("svm", "softmax"):
        ratio = best[name] / best["products"]
        speedup = naive[name] / best[name]
        print(
            f"  {name + '_loss_vectorized:':28s}{best[name] * 1e3:8.2f} ms  "
            f"ratio {ratio:.3f}x (target <= 1.15x)"
        )
        print(
            f"  {name + '_loss_naive:':28s}{naive[name] * 1e3:8.2f} ms  "
            f"vectorized is {speedup:.0f}x faster"
        )
    ratio = extra["svm_c"] / extra["products"]
    print(
        f"  svm_loss_vectorized, W in C order: {extra['svm_c'] * 1e3:6.2f} ms  ratio {ratio:.3f}x"
    )


def bench_training(X, y, num_iters, batch_size, rounds):
    num_train, dim = X.shape
    num_classes = int(y.max()) + 1

    def bare():
        rng = np.random.default_rng(0)
        # In Fortran order, as LinearSVM keeps it, so that the update is as cheap.
        W = np.asfortranarray(0.001 * rng.standard_normal((dim, num_classes)))
        G = np.ones((batch_size, num_classes))
        for _ in range(num_iters):
            idx = rng.integers(num_train, size=batch_size)
            X_batch = X[idx]
            X_batch @ W
            W -= 1e-7 * (G.T @ X_batch).T

    def train():
        LinearSVM().train(
            X, y, learning_rate=1e-7, reg=2.5e4, num_iters=num_iters, batch_size=batch_size, rng=0
        )

    best = interleaved({"bare": bare, "train": train}, rounds, 1)
    ratio = best["train"] / best["bare"]
    print(f"LinearSVM.train, {num_iters} iterations of {batch_size} from {X.shape}:")
    print(f"  bare loop (rows, products, update): {best['bare']:6.2f} s")
    print(
        f"  LinearSVM.train:                    {best['train']:6.2f} s  "
        f"ratio {ratio:.3f}x (target <= 1.15x)"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--num-iters", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (training)")
    parser.add_argument(
        "--calls",
        type=int,
        default=500,
        help="calls of each loss, taken in turn (the median counts)",
    )
    args = parser.parse_args(argv)

    data = get_cifar10_data(root=args.data_dir)
    rng = np.random.default_rng(0)
    W = 0.0001 * rng.standard_normal((data["X_dev"].shape[1], 10))
    bench_losses(data["X_dev"], data["y_dev"], W, 2.5e4, args.calls)
    bench_training(data["X_train"], data["y_train"], args.num_iters, args.batch_size, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
