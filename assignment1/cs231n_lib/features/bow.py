"""Bag-of-visual-words features (Coates, Lee and Ng, AISTATS 2011).

An image is described by how strongly its small patches resemble each of K
"visual words", centroids of k-means learned on whitened random patches:

1. every ``6 x 6`` patch on a grid of step ``stride`` is normalized (brightness
   and contrast) and ZCA-whitened (:mod:`cs231n_lib.features.patches`);
2. its distances ``z_k = ||x - c_k||`` to the K centroids give the "triangle"
   code ``f_k = max(0, mean_j(z_j) - z_k)``: a word counts only if the patch is
   nearer to it than to the average word, so about half the code is zero;
3. the codes are summed over each quadrant of the image, giving 4K features.

A linear classifier on these features reaches 77.9% on CIFAR-10 in the paper
with K=1600 and stride 1; 74% here, measured on a JPEG copy of CIFAR-10
(docs/development.md, "Bag of visual words").
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from .._validation import (
    check_array_2d,
    check_images,
    check_positive_float,
    check_positive_int,
    check_rng,
)
from .kmeans import kmeans, squared_distances
from .patches import apply_zca, extract_patches, fit_zca, normalize_patches, sample_patches

__all__ = ["BagOfWords", "quadrant_sum_pool", "triangle_encode"]


def triangle_encode(dists, out=None):
    """The "triangle" soft code of each patch: ``max(0, mean_j(z_j) - z_k)``.

    Parameters
    ----------
    dists : ndarray of shape (M, K)
        ``z``: the L2 distances (not squared) of M patches to the K centroids.
    out : ndarray of shape (M, K), optional
        Where to write the codes; ``dists`` itself saves memory.

    Returns
    -------
    ndarray of shape (M, K)
        Never negative; row ``i`` is zero where ``z_ik`` is at least the row's mean.
    """
    dists = check_array_2d(dists, "dists", "(M, K)")
    mean = dists.mean(axis=1, keepdims=True)  # (M, 1)
    out = np.subtract(mean, dists, out=out)
    np.maximum(out, 0, out=out)
    return out


def quadrant_sum_pool(codes):
    """Sum the codes over each quadrant of the grid of patch positions.

    The grid of ``G_h x G_w`` positions is cut after row ``ceil(G_h / 2)`` and
    column ``ceil(G_w / 2)`` (as in the paper's code, which gives the middle row of
    an odd grid to the top half).

    Parameters
    ----------
    codes : ndarray of shape (N, G_h, G_w, K)
        The code of every patch of every image, ``G_h, G_w >= 2``.

    Returns
    -------
    ndarray of shape (N, 4K)
        The K sums of the top-left quadrant, then the top-right, bottom-left and
        bottom-right ones.
    """
    codes = np.asarray(codes)
    if codes.ndim != 4 or min(codes.shape[1:3]) < 2:
        raise ValueError(
            "Expected codes of shape (N, G_h, G_w, K) with G_h, G_w >= 2 (a grid of patch "
            f"positions with four quadrants), got shape {codes.shape}."
        )
    rows, cols = (codes.shape[1] + 1) // 2, (codes.shape[2] + 1) // 2
    quadrants = [
        codes[:, :rows, :cols],
        codes[:, :rows, cols:],
        codes[:, rows:, :cols],
        codes[:, rows:, cols:],
    ]
    return np.concatenate([q.sum(axis=(1, 2)) for q in quadrants], axis=1)


class BagOfWords:
    """Bag-of-visual-words feature extractor: ``fit`` learns, ``transform`` encodes.

    Parameters
    ----------
    num_words : int, default=1600
        K, the size of the vocabulary; each image gets 4K features.
    patch_size : int, default=6
    stride : int, default=1
        Step of the grid of patches that ``transform`` encodes, as in the paper.
        Stride 2 encodes 3.7x fewer patches of 32x32 images (4.5x faster), but loses
        about 4 points of test accuracy (0.704 against 0.742 with K=1600, on a JPEG
        copy of CIFAR-10).
    norm_eps : float, default=10.0
        The ``eps`` of :func:`normalize_patches` (pixel values 0..255).
    whiten_eps : float, default=1.0
        The ``eps`` of :func:`fit_zca`. The paper uses 0.1; on JPEG copies of
        CIFAR-10, whose finest details are compression noise, 1.0 is 2 points better
        (docs/development.md, "Bag of visual words").
    kmeans_epochs : int, default=10
    kmeans_batch_size : int, default=10000
    kmeans_init : {"random", "k-means++"}, default="random"
        Passed to :func:`kmeans`; random rows are as good for a large vocabulary and
        free.

    Attributes
    ----------
    zca_mean_ : ndarray of shape (D,), float32
    zca_ : ndarray of shape (D, D), float32
        The whitening transform, ``D = 3 * patch_size**2``.
    centroids_ : ndarray of shape (K, D), float32
        The visual words, in whitened space.
    inertia_ : float
        The k-means objective on the training patches.
    """

    def __init__(
        self,
        num_words=1600,
        patch_size=6,
        stride=1,
        norm_eps=10.0,
        whiten_eps=1.0,
        kmeans_epochs=10,
        kmeans_batch_size=10000,
        kmeans_init="random",
    ):
        self.num_words = check_positive_int(num_words, "num_words")
        self.patch_size = check_positive_int(patch_size, "patch_size")
        self.stride = check_positive_int(stride, "stride")
        self.norm_eps = check_positive_float(norm_eps, "norm_eps", allow_zero=True)
        self.whiten_eps = check_positive_float(whiten_eps, "whiten_eps", allow_zero=True)
        self.kmeans_epochs = check_positive_int(kmeans_epochs, "kmeans_epochs", low=0)
        self.kmeans_batch_size = check_positive_int(kmeans_batch_size, "kmeans_batch_size")
        self.kmeans_init = kmeans_init
        self.centroids_ = None

    @property
    def num_features(self):
        """4K, the number of features per image."""
        return 4 * self.num_words

    def fit(self, images, num_patches=100000, rng=None, progress=False):
        """Learn the whitening and the vocabulary from random patches of ``images``.

        Parameters
        ----------
        images : ndarray of shape (N, H, W, 3)
            Training images, pixel values 0..255.
        num_patches : int, default=100000
            M, the random patches to learn from; at least ``num_words``.
        rng : None, int or numpy.random.Generator
            Draws the patches and drives k-means; ``None`` means seed 0.
        progress : bool, default=False
            Show a progress bar over the k-means epochs (on stderr).

        Returns
        -------
        self
        """
        rng = check_rng(rng)
        whitened = self.fit_whitening(images, num_patches, rng)
        return self.fit_vocabulary(whitened, rng, progress)

    def fit_whitening(self, images, num_patches=100000, rng=None):
        """The first half of :meth:`fit`: sample patches, normalize, learn the whitening.

        Parameters
        ----------
        images, num_patches, rng
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (M, D), float32
            The whitened patches, for :meth:`fit_vocabulary`.
        """
        images = check_images(images, "images", channels=3)
        num_patches = check_positive_int(num_patches, "num_patches")
        if self.num_words > num_patches:
            raise ValueError(
                f"Expected num_patches >= num_words, got num_patches={num_patches} for "
                f"num_words={self.num_words}: k-means needs at least one patch per word. "
                "Sample more patches (ten times num_words or more is best)."
            )
        rng = check_rng(rng)
        patches = sample_patches(images, num_patches, self.patch_size, rng)  # (M, D)
        normalize_patches(patches, self.norm_eps, out=patches)
        self.zca_mean_, self.zca_ = fit_zca(patches, self.whiten_eps)
        self._image_shape = images.shape[1:]
        self.centroids_ = None
        return apply_zca(patches, self.zca_mean_, self.zca_)

    def fit_vocabulary(self, whitened, rng=None, progress=False):
        """The second half of :meth:`fit`: k-means on whitened patches.

        Parameters
        ----------
        whitened : ndarray of shape (M, D)
            The output of :meth:`fit_whitening`.
        rng, progress
            As in :meth:`fit`.

        Returns
        -------
        self
        """
        if not hasattr(self, "zca_"):
            raise RuntimeError("Call fit_whitening() before fit_vocabulary(), or use fit().")
        self.centroids_, self.inertia_ = kmeans(
            whitened,
            self.num_words,
            num_epochs=self.kmeans_epochs,
            batch_size=self.kmeans_batch_size,
            init=self.kmeans_init,
            rng=check_rng(rng),
            progress=progress,
        )
        return self

    def transform(self, images, batch_size=8, n_jobs=None, progress=False):
        """The 4K bag-of-words features of each image, computed ``batch_size`` at a time.

        Parameters
        ----------
        images : ndarray of shape (N, H, W, 3)
            Pixel values 0..255, of the size of the images given to :meth:`fit`.
        batch_size : int, default=8
            Images per chunk; memory grows as (batch_size * G_h * G_w, K) float32
            per thread (about 37 MB for 8 CIFAR-10 images at stride 1 and K=1600),
            not with N.
        n_jobs : int, optional
            Threads that encode chunks side by side, each with a one-thread BLAS;
            default: the number of cores this process may use. The features do not
            depend on it. On 2 cores, 2 threads are 1.25x faster than 1 (whose BLAS
            then uses both cores for the matrix products, but numpy's element-wise
            passes only one).
        progress : bool, default=False
            Show a progress bar over the images (on stderr).

        Returns
        -------
        ndarray of shape (N, 4K), float32
            The quadrant sums of :func:`quadrant_sum_pool`.
        """
        if self.centroids_ is None:
            raise RuntimeError(
                "This BagOfWords has no vocabulary yet: call fit() before transform()."
            )
        images = check_images(images, "images", channels=3)
        if images.shape[1:] != self._image_shape:
            raise ValueError(
                f"Expected images of shape (N, {', '.join(map(str, self._image_shape))}), "
                f"the size of the images given to fit(), got shape {images.shape}."
            )
        batch_size = check_positive_int(batch_size, "batch_size")
        n_jobs = _usable_cores() if n_jobs is None else check_positive_int(n_jobs, "n_jobs")
        out = np.empty((len(images), self.num_features), np.float32)

        def encode(start):  # each chunk fills its own rows of out
            chunk = images[start : start + batch_size]
            out[start : start + len(chunk)] = self._encode_chunk(chunk)
            return len(chunk)

        starts = range(0, len(images), batch_size)
        with tqdm(total=len(images), disable=not progress, unit="img", desc="bag of words") as bar:
            if n_jobs == 1:
                for start in starts:
                    bar.update(encode(start))
            else:  # numpy's passes release the GIL: threads share the cores. On an
                # error or Ctrl-C, map() cancels the chunks not started yet.
                with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(n_jobs) as pool:
                    for done in pool.map(encode, starts):
                        bar.update(done)
        return out

    def _encode_chunk(self, chunk):
        """(n, 4K) features of n images, with two passes over one (n * G^2, K) array.

        This is :func:`triangle_encode` then :func:`quadrant_sum_pool` (same values
        up to rounding), rewritten for speed: the row means and the quadrant sums
        are matrix products, and ``max(0, m - z) = m - min(z, m)``, so that the sum
        over a quadrant is the sum of ``m`` (a small product) minus the sum of
        ``min(z, m)``: one element-wise pass instead of two.
        """
        patches = extract_patches(chunk, self.patch_size, self.stride)  # (n, G_h, G_w, D)
        num, rows, cols, dim = patches.shape
        flat = patches.reshape(-1, dim)  # (n * G_h * G_w, D)
        normalize_patches(flat, self.norm_eps, out=flat)
        whitened = apply_zca(flat, self.zca_mean_, self.zca_)
        dists = squared_distances(whitened, self.centroids_)  # (n * G_h * G_w, K)
        np.sqrt(dists, out=dists)
        num_words = dists.shape[1]
        mean = dists @ np.full(num_words, 1.0 / num_words, dists.dtype)  # (n * G_h * G_w,)
        np.minimum(dists, mean[:, None], out=dists)  # min(z, m)
        quadrants = _quadrant_matrix(rows, cols, dists.dtype)  # (4, G_h * G_w)
        mean_sums = quadrants @ mean.reshape(num, rows * cols, 1)  # (n, 4, 1)
        pooled = mean_sums - quadrants @ dists.reshape(num, rows * cols, num_words)  # (n, 4, K)
        np.maximum(pooled, 0, out=pooled)  # rounding could leave tiny negatives
        return pooled.reshape(num, 4 * num_words)


def _usable_cores():
    """The number of cores this process may run on (its affinity, else all)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _quadrant_matrix(rows, cols, dtype):
    """(4, rows * cols) 0/1 matrix: row q marks the positions of quadrant q."""
    index = np.arange(rows * cols).reshape(1, rows, cols, 1)
    grid = np.zeros((1, rows, cols, rows * cols), dtype)
    np.put_along_axis(grid, index, 1, axis=3)  # one-hot position codes
    return quadrant_sum_pool(grid)[0].reshape(4, rows * cols)
