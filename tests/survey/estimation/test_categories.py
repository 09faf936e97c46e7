"""Category codes without a sort: always what ``np.unique(..., return_inverse=True)``
gives, on the fast paths and off them."""

import numpy as np
import pytest

from services.survey.estimation.categories import FEW, SHORT, compact, unique_codes


def _arrays():
    rng = np.random.default_rng(7)
    n = 20_000
    education = np.array(["primary", "middle", "high", "college"])
    yield "few strings", education[rng.integers(0, 4, n)]
    rare = education[rng.integers(0, 3, n)]
    rare[-3:] = ["zz-rare", "a-rare", "college"]  # labels the sample at the start misses
    yield "labels beyond the sample", rare
    yield "many strings", np.array([f"T{k:04d}" for k in rng.integers(0, 500, n)])
    yield "just over FEW", np.array([f"L{k:03d}" for k in np.arange(n) % (FEW + 1)])
    yield "bytes", np.array([b"x", b"y", b"ab"])[rng.integers(0, 3, n)]
    yield "integers", rng.choice([98, 1, 5, -3, 99], n)
    yield "unsigned", rng.integers(0, 7, n).astype(np.uint8)
    yield "booleans", rng.random(n) < 0.3
    yield "one label", np.full(n, "only")
    yield "short", education[rng.integers(0, 4, SHORT - 1)]
    yield "floats", rng.choice([0.5, 1.5, 2.0], n)


@pytest.mark.parametrize("name,arr", list(_arrays()), ids=[name for name, _ in _arrays()])
def test_unique_codes_equal_numpy_unique(name, arr):
    labels, codes = unique_codes(arr)
    expected_labels, expected_codes = np.unique(arr, return_inverse=True)
    np.testing.assert_array_equal(labels, expected_labels)
    assert labels.dtype == expected_labels.dtype
    np.testing.assert_array_equal(codes, expected_codes.reshape(-1))
    assert codes.dtype == np.int64


@pytest.mark.parametrize("space,n", [(24, 100_000), (10**9, 5_000), (7, 1)])
def test_compact_equals_numpy_unique(space, n):
    rng = np.random.default_rng(3)
    combined = rng.integers(0, space, n).astype(np.int64)
    values, index = compact(combined, space)
    expected_values, expected_index = np.unique(combined, return_inverse=True)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(index, expected_index.reshape(-1))


def test_few_labels_take_the_path_without_a_sort(monkeypatch):
    """The fast path is taken (not the fallback) for few labels, also when the sample
    missed some; many labels fall back to the sort."""
    arrays = dict(_arrays())

    def no_sort(*_args, **_kwargs):
        raise AssertionError("sorted the whole array")

    real_unique = np.unique
    monkeypatch.setattr(np, "unique", lambda arr, *a, **k: no_sort() if arr.size >= SHORT
                        else real_unique(arr, *a, **k))
    for name in ("few strings", "labels beyond the sample", "integers", "booleans"):
        labels, _ = unique_codes(arrays[name])
        assert labels.size <= FEW
    with pytest.raises(AssertionError):
        unique_codes(arrays["many strings"])
