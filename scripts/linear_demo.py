"""The linear classifiers end to end on CIFAR-10, printing each step (`make demo`).

SVM: sanity loss, training by SGD, accuracy, loss curve and weight templates.
Softmax: sanity loss, a small grid search, accuracy, search plot and templates.
Features: HOG + hue histogram, a tuned LinearSVM on them, accuracy.
The plots go to the output folder.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from _demo import demo_parser, step

from cs231n_lib.classifiers import LinearSVM, Softmax, softmax_loss_vectorized, svm_loss_vectorized
from cs231n_lib.cross_validation import tune_linear_classifier
from cs231n_lib.data import CIFAR10_CLASSES, get_cifar10_data, get_cifar10_images
from cs231n_lib.features import (
    color_histogram_hsv,
    extract_features,
    hog_feature,
    standardize_features,
)


def parse_args(argv):
    parser = demo_parser(__doc__)
    parser.add_argument("--num-iters", type=int, default=1500)
    return parser.parse_args(argv)


def accuracy(model, X, y):
    return float(np.mean(model.predict(X) == y))


def report(model, data, X_val="X_val", X_test="X_test"):
    print(f"validation accuracy {accuracy(model, data[X_val], data['y_val']):.3f}, "
          f"test accuracy {accuracy(model, data[X_test], data['y_test']):.3f}")


def print_search(results):
    for (lr, reg), (train_acc, val_acc) in sorted(results.items()):
        print(f"lr {lr:.0e} reg {reg:.1e}: train {train_acc:.3f} val {val_acc:.3f}")


def main(argv=None):
    args = parse_args(argv)
    progress = not args.no_progress
    step("Load CIFAR-10: 49,000 / 1,000 / 1,000 / 500, mean subtracted, bias column")
    try:
        data = get_cifar10_data(root=args.data_dir)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print({k: v.shape for k, v in data.items() if k.startswith("X_")})
    plots = Plots(args.out)

    step("Sanity checks on the dev set, with weights near 0")
    W = 0.0001 * np.random.default_rng(0).standard_normal((data["X_dev"].shape[1], 10))
    svm_loss, _ = svm_loss_vectorized(W, data["X_dev"], data["y_dev"], 0.0)
    softmax_loss, _ = softmax_loss_vectorized(W, data["X_dev"], data["y_dev"], 0.0)
    print(f"SVM loss {svm_loss:.3f} (about C - 1 = 9); "
          f"softmax loss {softmax_loss:.3f} (about -ln(0.1) = {-np.log(0.1):.3f})")

    step(f"LinearSVM: learning rate 1e-7, reg 2.5e4, {args.num_iters} iterations")
    start = time.perf_counter()
    svm = LinearSVM()
    history = svm.train(data["X_train"], data["y_train"], learning_rate=1e-7, reg=2.5e4,
                        num_iters=args.num_iters, rng=0, progress=progress)
    print(f"loss {history[0]:.1f} -> {history[-1]:.2f} in {time.perf_counter() - start:.1f} s")
    report(svm, data)
    plots.loss(history, "svm_loss.png")
    plots.templates(svm.W, "svm_templates.png")

    step("Softmax: grid search over learning rate x regularization")
    results, _, softmax = tune_linear_classifier(
        Softmax, data["X_train"], data["y_train"], data["X_val"], data["y_val"],
        learning_rates=[1e-7, 1e-6], regs=[1e3, 2.5e4], num_iters=args.num_iters, rng=0,
        progress=progress,
    )
    print_search(results)
    report(softmax, data)
    plots.search(results, "softmax_search.png")
    plots.templates(softmax.W, "softmax_templates.png")

    step("Features: HOG + hue histogram of every image, standardized")
    images = get_cifar10_images(root=args.data_dir)
    start = time.perf_counter()
    fns = [hog_feature, color_histogram_hsv]
    raw = [extract_features(images[f"X_{s}"], fns, verbose=progress)
           for s in ("train", "val", "test")]
    feats = dict(zip(("F_train", "F_val", "F_test"), standardize_features(*raw), strict=True))
    print(f"{feats['F_train'].shape[1]} features per image in "
          f"{time.perf_counter() - start:.1f} s")
    results, _, model = tune_linear_classifier(
        LinearSVM, feats["F_train"], data["y_train"], feats["F_val"], data["y_val"],
        learning_rates=[1e-4, 1e-3], regs=[0.1, 10.0], num_iters=args.num_iters, rng=0,
        progress=progress,
    )
    print_search(results)
    report(model, {**feats, **data}, X_val="F_val", X_test="F_test")
    plots.search(results, "features_svm_search.png")
    return 0


class Plots:
    """Saves the demo's figures into one folder and says where."""

    def __init__(self, out):
        self.out = out

    def save(self, fig, name):
        import matplotlib.pyplot as plt

        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / name
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        print(f"plot saved to {path}")

    def loss(self, history, name):
        from cs231n_lib.vis import plot_loss

        self.save(plot_loss(history, smooth=50), name)

    def templates(self, W, name):
        from cs231n_lib.vis import plot_weight_templates

        self.save(plot_weight_templates(W, CIFAR10_CLASSES), name)

    def search(self, results, name):
        from cs231n_lib.vis import plot_hyperparameter_search

        self.save(plot_hyperparameter_search(results), name)


if __name__ == "__main__":
    sys.exit(main())
