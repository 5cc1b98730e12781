"""Benchmark: the linear classifiers' losses and training against their bare work.

Times, in one run on the real data (``make bench``):

- the vectorized SVM and softmax losses (loss and gradient) on 500 x 3073 dev
  examples, against the two matrix products they cannot avoid, ``X @ W`` and
  ``X.T @ G`` (each in its fastest form); target at most 1.15x. Also the naive
  versions, for the speed-up.
- ``LinearSVM.train`` for 1,500 iterations of 200 examples, against a bare loop
  that does only each iteration's unavoidable work: drawing the rows, the two
  products and the weight update; target at most 1.15x.

Each figure is the best of several interleaved repeats.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _timing import best_time, interleaved

from cs231n_lib.classifiers import (
    LinearSVM,
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)
from cs231n_lib.data import get_cifar10_data


def bench_losses(X, y, W, reg, rounds, repeats):
    G = np.ones((X.shape[0], W.shape[1]))  # stands for d loss / d scores

    def products():
        return X @ W, (G.T @ X).T  # X.T @ G in its fastest form for a C-ordered X

    def textbook_products():
        return X @ W, X.T @ G

    fns = {
        "products": products,
        "textbook": textbook_products,
        "svm": lambda: svm_loss_vectorized(W, X, y, reg),
        "softmax": lambda: softmax_loss_vectorized(W, X, y, reg),
    }
    fns["products"]()  # warm up BLAS threads and caches
    best = interleaved(fns, rounds, repeats)
    naive = {
        "svm": best_time(lambda: svm_loss_naive(W, X, y, reg), 2),
        "softmax": best_time(lambda: softmax_loss_naive(W, X, y, reg), 2),
    }
    shape = f"{X.shape[0]} x {X.shape[1]}"
    print(f"losses on {shape} (float64), C = {W.shape[1]}:")
    print(f"  bare products X @ W and X.T @ G:  {best['products'] * 1e3:8.2f} ms")
    print(f"  (X.T @ G written as such:         {best['textbook'] * 1e3:8.2f} ms)")
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


def bench_training(X, y, num_iters, batch_size, rounds):
    num_train, dim = X.shape
    num_classes = int(y.max()) + 1

    def bare():
        rng = np.random.default_rng(0)
        W = 0.001 * rng.standard_normal((dim, num_classes))
        G = np.ones((batch_size, num_classes))
        for _ in range(num_iters):
            idx = rng.integers(num_train, size=batch_size)
            X_batch = X[idx]
            X_batch @ W
            W -= 1e-7 * (G.T @ X_batch).T

    def train():
        LinearSVM().train(X, y, learning_rate=1e-7, reg=2.5e4, num_iters=num_iters,
                          batch_size=batch_size, rng=0)

    best = interleaved({"bare": bare, "train": train}, rounds, 1)
    ratio = best["train"] / best["bare"]
    print(f"LinearSVM.train, {num_iters} iterations of {batch_size} from {X.shape}:")
    print(f"  bare loop (rows, products, update): {best['bare']:6.2f} s")
    print(f"  LinearSVM.train:                    {best['train']:6.2f} s  "
          f"ratio {ratio:.3f}x (target <= 1.15x)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--num-iters", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--repeats", type=int, default=10, help="repeats per round (losses)")
    args = parser.parse_args(argv)

    data = get_cifar10_data(root=args.data_dir)
    rng = np.random.default_rng(0)
    W = 0.0001 * rng.standard_normal((data["X_dev"].shape[1], 10))
    bench_losses(data["X_dev"], data["y_dev"], W, 2.5e4, args.rounds, args.repeats)
    bench_training(data["X_train"], data["y_train"], args.num_iters, args.batch_size,
                   max(2, args.rounds // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
