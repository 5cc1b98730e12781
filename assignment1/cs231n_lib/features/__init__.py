"""Image features: a histogram of oriented gradients, a histogram of hues, and bags
of visual words (:class:`BagOfWords`, with its building blocks: patches, ZCA
whitening, k-means, triangle encoding and quadrant pooling, and
:func:`whiten_features` for the thousands of features they give).

Every feature function takes one image and returns a 1-D array, and the functions
of this module also take a stack of images (N, H, W, 3) and return one row per
image, computed without any Python loop over images or pixels. The
:func:`batch_feature` decorator marks such functions, so that
:func:`extract_features` calls them on whole chunks of images; it calls any other
function (a ``lambda``, say) once per image.

Calling a function on one image runs exactly the code of the stack case on
``im[None]``, so the two give identical numbers.
"""

from ._batch import batch_feature
from .bow import BagOfWords, quadrant_sum_pool, triangle_encode
from .color import color_histogram_hsv
from .extract import extract_features, standardize_features
from .hog import HOG_CELL_SIZE, HOG_NUM_BINS, hog_feature
from .kmeans import assign_clusters, kmeans, squared_distances
from .patches import (
    apply_zca,
    extract_patches,
    fit_zca,
    normalize_patches,
    num_patch_positions,
    sample_patches,
)
from .whiten import whiten_features

__all__ = [
    "HOG_CELL_SIZE",
    "HOG_NUM_BINS",
    "BagOfWords",
    "apply_zca",
    "assign_clusters",
    "batch_feature",
    "color_histogram_hsv",
    "extract_features",
    "extract_patches",
    "fit_zca",
    "hog_feature",
    "kmeans",
    "normalize_patches",
    "num_patch_positions",
    "quadrant_sum_pool",
    "sample_patches",
    "squared_distances",
    "standardize_features",
    "triangle_encode",
    "whiten_features",
]
