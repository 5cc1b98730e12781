"""Benchmark: bag-of-visual-words features and a linear classifier on CIFAR-10.

Runs the whole pipeline of Coates, Lee and Ng (AISTATS 2011) once and prints the
wall-clock time of each stage and the accuracies:

1. patches: sample random 6x6 patches of the training images, normalize them and
   learn the ZCA whitening (:meth:`BagOfWords.fit_whitening`);
2. k-means: learn the vocabulary of ``--num-words`` words (:meth:`fit_vocabulary`);
3. encoding: the 4K features of all 60,000 images (49,000 train, 1,000 validation,
   10,000 test), on ``--n-jobs`` threads;
4. whitening: standardize the features, then whiten them (:func:`whiten_features`,
   ``--feature-eps``; ``--feature-eps -1`` skips it);
5. training: a Softmax (or LinearSVM) with SGD, in ``--phases`` calls of ``train``
   with the learning rate divided by 10 each time.

The accuracy is given on the 1,000 validation images, on the first 1,000 test
images (the test split of ``get_cifar10_images()``) and on all 10,000. Target:
test accuracy >= 0.70 and a total <= 10 minutes on the course machines.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from cs231n_lib.classifiers import LinearSVM, Softmax
from cs231n_lib.datasets import get_cifar10_images
from cs231n_lib.features import BagOfWords, standardize_features, whiten_features


class Stopwatch:
    """Time named stages with ``with watch("name"):``; ``watch.times`` keeps them."""

    def __init__(self):
        self.times = {}

    def __call__(self, name):
        self._name = name
        return self

    def __enter__(self):
        self._start = time.perf_counter()

    def __exit__(self, *exc):
        self.times[self._name] = time.perf_counter() - self._start
        print(f"  {self._name:<10} {self.times[self._name]:7.1f} s", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--num-words", type=int, default=1600, help="K, the vocabulary size")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--num-patches", type=int, default=200000)
    parser.add_argument("--whiten-eps", type=float, default=1.0, help="ZCA eps of the patches")
    parser.add_argument("--kmeans-epochs", type=int, default=10)
    parser.add_argument("--kmeans-batch-size", type=int, default=10000)
    parser.add_argument("--encode-batch-size", type=int, default=8)
    parser.add_argument("--n-jobs", type=int, default=None, help="encoding threads")
    parser.add_argument(
        "--feature-eps",
        type=float,
        default=0.01,
        help="eps of whiten_features; negative: no whitening of the features",
    )
    parser.add_argument("--classifier", choices=["svm", "softmax"], default="softmax")
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--reg", type=float, default=1e-4)
    parser.add_argument("--num-iters", type=int, default=6000)
    parser.add_argument(
        "--phases",
        type=int,
        default=3,
        help="split the iterations into phases, the learning rate / 10 at each",
    )
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress", action="store_true", help="progress bars on stderr")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    data = get_cifar10_images(num_test=10000, root=args.data_dir)
    print(
        f"loaded CIFAR-10 in {time.perf_counter() - start:.1f} s (not counted); "
        f"K={args.num_words}, stride {args.stride}, {args.num_patches} patches, "
        f"patch whitening eps {args.whiten_eps:g}, feature whitening eps {args.feature_eps:g}, "
        f"{args.classifier}: lr {args.learning_rate:g} (/10 in each of {args.phases} phases), "
        f"reg {args.reg:g}, {args.num_iters} iterations of {args.batch_size}",
        flush=True,
    )
    rng = np.random.default_rng(args.seed)
    bow = BagOfWords(
        num_words=args.num_words,
        stride=args.stride,
        whiten_eps=args.whiten_eps,
        kmeans_epochs=args.kmeans_epochs,
        kmeans_batch_size=args.kmeans_batch_size,
    )
    watch = Stopwatch()
    with watch("patches"):
        whitened = bow.fit_whitening(data["X_train"], args.num_patches, rng)
    with watch("k-means"):
        bow.fit_vocabulary(whitened, rng, progress=args.progress)
    with watch("encoding"):
        F = {
            split: bow.transform(
                data[f"X_{split}"],
                batch_size=args.encode_batch_size,
                n_jobs=args.n_jobs,
                progress=args.progress,
            )
            for split in ("train", "val", "test")
        }
    with watch("whitening"):
        F_train, F_val, F_test = standardize_features(F["train"], F["val"], F["test"])
        del F
        if args.feature_eps >= 0:
            F_train, F_val, F_test = whiten_features(F_train, F_val, F_test, eps=args.feature_eps)
    with watch("training"):
        model = LinearSVM() if args.classifier == "svm" else Softmax()
        for phase in range(args.phases):  # train() keeps W: each call continues
            model.train(
                F_train,
                data["y_train"],
                learning_rate=args.learning_rate / 10**phase,
                reg=args.reg,
                num_iters=args.num_iters // args.phases,
                batch_size=args.batch_size,
                rng=rng,
                progress=args.progress,
            )
    total = sum(watch.times.values())
    print(f"  {'total':<10} {total:7.1f} s (target <= 600 s)")

    train_acc = np.mean(model.predict(F_train[:10000]) == data["y_train"][:10000])
    val_acc = np.mean(model.predict(F_val) == data["y_val"])
    test_pred = model.predict(F_test)
    test_acc_1k = np.mean(test_pred[:1000] == data["y_test"][:1000])
    test_acc = np.mean(test_pred == data["y_test"])
    print(
        f"accuracy: train (first 10,000) {train_acc:.3f}, validation {val_acc:.3f}, "
        f"test (first 1,000) {test_acc_1k:.3f}, test (10,000) {test_acc:.3f} "
        f"(target >= 0.70)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
