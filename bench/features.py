"""Benchmark: batched image features against a plain per-image implementation.

Times, on real CIFAR-10 training images (10,000 by default, as load_cifar10 gives
them: float64 unless ``--dtype uint8``), the best of several interleaved rounds of

(a) a plain per-image version of the course's features, written here: for each
    image a gray level, np.diff gradients, arctan2, and a loop over the 9
    orientations with scipy.ndimage.uniform_filter sampled at the cell centres;
    the hue histogram with matplotlib.colors.rgb_to_hsv and np.histogram;
(b) ``extract_features(imgs, [hog_feature, color_histogram_hsv])``;

and prints both times, their projection to 60,000 images and the speed-up (target:
at least 10x, i.e. at most 7.6 s for 60,000 images on the course machines). It
also checks on a subset that the batch path gives the values of our per-image
path (the two definitions of (a) and (b) differ, so those are not compared).
"""

from __future__ import annotations

import argparse
import sys

import matplotlib.colors
import numpy as np
from _timing import interleaved
from scipy.ndimage import uniform_filter

from cs231n_lib.datasets import load_cifar10
from cs231n_lib.features import color_histogram_hsv, extract_features, hog_feature


def course_style_hog(im, num_bins=9, cell=8):
    """(H, W, 3) -> (H/8 * W/8 * 9,): HOG one image at a time, the course's way."""
    gray = 0.299 * im[..., 0] + 0.587 * im[..., 1] + 0.114 * im[..., 2]
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[:, :-1] = np.diff(gray, axis=1)
    gy[:-1, :] = np.diff(gray, axis=0)
    magnitude = np.sqrt(gx**2 + gy**2)
    theta = np.degrees(np.arctan2(gy, gx)) % 180.0
    width = 180.0 / num_bins
    hist = np.empty((gray.shape[0] // cell, gray.shape[1] // cell, num_bins))
    for b in range(num_bins):
        in_bin = (theta >= b * width) & (theta < (b + 1) * width)
        # The mean over an 8 x 8 window, read at the window that covers each cell.
        means = uniform_filter(np.where(in_bin, magnitude, 0.0), size=cell)
        hist[:, :, b] = means[cell // 2 :: cell, cell // 2 :: cell]
    return hist.ravel()


def course_style_hue_histogram(im, nbin=10, xmin=0, xmax=255):
    """(H, W, 3) -> (nbin,): fractions of pixels per hue bin, one image at a time."""
    hue = matplotlib.colors.rgb_to_hsv(im / xmax)[..., 0] * xmax
    density, edges = np.histogram(hue, bins=np.linspace(xmin, xmax, nbin + 1), density=True)
    return density * np.diff(edges)


def course_style_extract(imgs, feature_fns):
    """Call every function on every image, in a Python loop."""
    first = np.concatenate([fn(imgs[0]) for fn in feature_fns])
    feats = np.empty((len(imgs), first.size))
    for i, im in enumerate(imgs):
        feats[i] = np.concatenate([fn(im) for fn in feature_fns])
    return feats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--num-images", type=int, default=10000)
    parser.add_argument("--dtype", choices=["float64", "uint8"], default="float64")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--num-check",
        type=int,
        default=500,
        help="images on which batch and per-image results are compared",
    )
    args = parser.parse_args(argv)

    X_train, _, _, _ = load_cifar10(root=args.data_dir, dtype=np.dtype(args.dtype))
    imgs = X_train[: args.num_images]
    num = len(imgs)
    ours_fns = [hog_feature, color_histogram_hsv]
    course_fns = [course_style_hog, course_style_hue_histogram]

    def ours():
        return extract_features(imgs, ours_fns, batch_size=args.batch_size)

    def course():
        return course_style_extract(imgs, course_fns)

    ours()  # warm up
    best = interleaved({"course": course, "ours": ours}, args.rounds)
    t_ours, t_course = best["ours"], best["course"]
    scale = 60000 / num
    print(f"images: {num} x {imgs.shape[1:]} {imgs.dtype}, best of {args.rounds} rounds")
    print(
        f"(a) per-image, course's way: {t_course:8.2f} s   (60,000 images: "
        f"{t_course * scale:7.2f} s)"
    )
    print(
        f"(b) extract_features:        {t_ours:8.2f} s   (60,000 images: "
        f"{t_ours * scale:7.2f} s, target <= 7.6 s)"
    )
    print(f"speed-up (a) / (b): {t_course / t_ours:.1f}x (target >= 10x)")

    subset = imgs[: args.num_check]
    batched = extract_features(subset, ours_fns)
    one_by_one = extract_features(
        subset, [lambda im: hog_feature(im), lambda im: color_histogram_hsv(im)]
    )
    diff = np.abs(batched - one_by_one).max()
    print(f"batch vs per-image path on {len(subset)} images: max abs difference {diff:.3g}")
    return 0 if diff <= 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
