"""Benchmark: vectorized kNN distances against the bare matrix product (`make bench`).

Times, in one run on the real data (500 test x 5,000 training images, float64):
``KNearestNeighbor.compute_distances_no_loops`` and ``X_test @ X_train.T`` of the
same shapes, each the best of several interleaved repeats, and prints their
ratio. Target: at most 1.10x the bare product.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _timing import interleaved

from cs231n_lib.classifiers import KNearestNeighbor
from cs231n_lib.datasets import load_cifar10_subsample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--num-training", type=int, default=5000)
    parser.add_argument("--num-test", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per round")
    args = parser.parse_args(argv)

    X_train, y_train, X_test, _ = load_cifar10_subsample(
        args.num_training, args.num_test, root=args.data_dir
    )
    knn = KNearestNeighbor().train(X_train, y_train)
    X_train_T = X_train.T

    def product():
        return X_test @ X_train_T

    def distances():
        return knn.compute_distances_no_loops(X_test)

    def textbook():
        # The usual one-line answer, for reference: several full-size temporaries.
        sq = np.sum(X_test**2, axis=1)[:, None] + np.sum(X_train**2, axis=1)
        return np.sqrt(np.maximum(sq - 2 * X_test @ X_train_T, 0))

    product(), distances()  # warm up BLAS threads and caches
    best = interleaved(
        {"product": product, "distances": distances, "textbook": textbook},
        args.rounds,
        args.repeats,
    )
    t_product, t_dist, t_text = best["product"], best["distances"], best["textbook"]
    shape = f"{args.num_test} x {X_train.shape[1]} @ {X_train.shape[1]} x {args.num_training}"
    print(f"bare matrix product ({shape}, float64): {t_product * 1e3:8.1f} ms")
    print(f"compute_distances_no_loops:                       {t_dist * 1e3:8.1f} ms")
    print(f"textbook one-line version (reference):            {t_text * 1e3:8.1f} ms")
    print(f"ratio textbook / product: {t_text / t_product:.3f}x")
    print(f"ratio distances / product: {t_dist / t_product:.3f}x (target <= 1.10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
