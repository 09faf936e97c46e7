"""Category codes of respondents without sorting them: the same answers as
``np.unique(..., return_inverse=True)``, in time linear in the respondents when the
categories are few (a poll's sex, age group, education, township).

Sorting 100,000 string labels costs more than raking them: ``unique_codes`` takes the
labels from a sample, looks every element up among them (a binary search in a few
labels) and checks the look-up, adding any label the sample missed; ``compact``
numbers the combinations of crossed codes that occur with a presence count instead of
a sort when their product space is small.
"""

from __future__ import annotations

import numpy as np

# Up to this many distinct labels, one pass per label beats a sort of the whole array.
FEW = 32
# Arrays shorter than this are sorted: the passes' overhead is not worth it.
SHORT = 2048
_SAMPLE = 1024


def unique_codes(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted labels, int64 code per element) of a 1-D array; equal to
    ``np.unique(arr, return_inverse=True)``. Strings, integers and booleans with at most
    ``FEW`` distinct values take the linear path; anything else is sorted."""
    if arr.dtype.kind in "USiub" and arr.size >= SHORT:
        found = _by_search(arr)
        if found is not None:
            return found
    labels, codes = np.unique(arr, return_inverse=True)
    return labels, codes.reshape(-1).astype(np.int64)


def _by_search(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Labels from a sample, each element looked up among them, the look-up checked;
    labels the sample missed are added from the elements that did not match."""
    labels = np.unique(arr[:_SAMPLE])
    for _ in range(3):
        if labels.size > FEW:
            return None
        codes = np.searchsorted(labels, arr)
        np.minimum(codes, labels.size - 1, out=codes)
        missed = labels[codes] != arr
        if not missed.any():
            return labels, codes.astype(np.int64)
        labels = np.union1d(labels, np.unique(arr[missed]))
    return None


def compact(combined: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """(the values that occur, sorted; the index of each element among them) of
    non-negative int64 codes below ``space``: ``np.unique(combined, return_inverse=True)``,
    by a presence count when ``space`` is at most a few times the array's length."""
    if space <= max(4 * combined.size, 1 << 16):
        present = np.bincount(combined, minlength=space) > 0
        index = np.cumsum(present) - 1
        return np.flatnonzero(present), index[combined]
    values, inverse = np.unique(combined, return_inverse=True)
    return values, inverse.reshape(-1).astype(np.int64)
