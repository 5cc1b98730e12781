"""The kNN pipeline end to end on CIFAR-10, printing each step (`make demo`).

Load, subsample, distances, accuracy for k=1 and k=5, 5-fold cross-validation
over k with an error-bar plot, best k, test accuracy with the best k.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from _demo import demo_parser, step

from cs231n_lib.classifiers import KNearestNeighbor
from cs231n_lib.cross_validation import best_k, cross_validate_knn
from cs231n_lib.data import load_cifar10_subsample

K_CHOICES = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100]


def parse_args(argv):
    parser = demo_parser(__doc__)
    parser.add_argument("--num-training", type=int, default=5000)
    parser.add_argument("--num-test", type=int, default=500)
    parser.add_argument("--num-folds", type=int, default=5)
    return parser.parse_args(argv)


def accuracy_line(y_pred, y):
    correct = int(np.sum(y_pred == y))
    return f"{correct} / {len(y)} correct => accuracy {correct / len(y):.3f}"


def main(argv=None):
    args = parse_args(argv)
    step(f"Load CIFAR-10: the first {args.num_training} training and {args.num_test} test "
         "images, flattened")
    try:
        X_train, y_train, X_test, y_test = load_cifar10_subsample(
            args.num_training, args.num_test, root=args.data_dir
        )
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"X_train {X_train.shape} y_train {y_train.shape}, "
          f"X_test {X_test.shape} y_test {y_test.shape}")

    step("Distances (no loops)")
    knn = KNearestNeighbor().train(X_train, y_train)
    start = time.perf_counter()
    dists = knn.compute_distances_no_loops(X_test)
    print(f"dists {dists.shape} in {time.perf_counter() - start:.3f} s; "
          f"range {dists.min():.1f} .. {dists.max():.1f}")

    step("Accuracy on the test subsample")
    for k in (1, 5):
        print(f"k = {k}: {accuracy_line(knn.predict_labels(dists, k=k), y_test)}")

    step(f"{args.num_folds}-fold cross-validation over k in {K_CHOICES}")
    results = cross_validate_knn(X_train, y_train, K_CHOICES, num_folds=args.num_folds,
                                 progress=not args.no_progress)
    for k, accs in results.items():
        folds = " ".join(f"{a:.3f}" for a in accs)
        print(f"k = {k:3d}: mean {np.mean(accs):.4f} ± {np.std(accs):.4f}  folds {folds}")
    plot_path = save_plot(results, args.out)
    print(f"error-bar plot saved to {plot_path}")

    step("Best k")
    k = best_k(results)
    print(f"best k = {k} (mean cross-validation accuracy {np.mean(results[k]):.4f})")

    step(f"Test accuracy with k = {k}, trained on all {args.num_training} images")
    print(f"k = {k}: {accuracy_line(knn.predict_labels(dists, k=k), y_test)}")
    return 0


def save_plot(results, out):
    import matplotlib.pyplot as plt

    from cs231n_lib.vis import plot_cross_validation

    out.mkdir(parents=True, exist_ok=True)
    fig = plot_cross_validation(results, title="kNN on CIFAR-10: 5-fold cross-validation")
    path = out / "knn_cross_validation.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


if __name__ == "__main__":
    sys.exit(main())
