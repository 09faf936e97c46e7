"""Scoring Monte Carlo draws: exact columns held at their point scores give what redrawing
and renormalising them gives, the fast path equals the whole pipeline on the drawn
values, a thread pool's halves fill their own units, and draws without any standard
error are the point."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
import pytest

from services.scoring.engine import Table, evaluation, from_document, quota
from services.scoring.engine.model import Model
from services.scoring.engine.options import Options
from tests.scoring.engine.monte_carlo_support import document, nested_document, noisy_table


@pytest.fixture(scope="module")
def data():
    return noisy_table()


def _bound(data, nested: bool, complete: bool = False) -> Model:
    """The scheme (flat, or nested) bound to the table (with a missing S unless
    ``complete``), credibility on values and a group's own normalisation of S, after its
    point evaluation."""
    doc = document()
    doc["root"]["children"][2]["normalisation"] = {"method": "tscore", "scope": "all"}
    doc["overrides"] = [{"peer_group": "G1", "normalisation": {"S": {"method": "percentile"}}}]
    values = data.values.copy()
    if not complete:
        values[3, 2] = np.nan
    rates = np.linspace(0, 0.5, len(data.units))
    names, se = data.indicators, data.se
    if nested:
        doc = nested_document()
        values = np.column_stack([values, np.abs(values[:, 0] - 40)])
        se = np.column_stack([se, np.full(len(values), np.nan)])
        names = [*names, "S2"]
    table = Table(data.units, data.groups, names, values, se, discrepancy=rates)
    model = Model(from_document(doc), table, Options(credibility={"mode": "value"}))
    scores, s = model.evaluate(model.x0.T[:, None, :], point=True)
    model.s_point = s[:, 0, :]
    model.node_point = {k: v[0] for k, v in scores.items()}
    return model


def _draws(model: Model, d: int, dtype=np.float32):
    """Standard normals for P and Q (columns 0 and 1) and their standard errors."""
    z = np.random.default_rng(1).standard_normal((2, d, len(model.units))).astype(dtype)
    return z, np.nan_to_num(model.se0[:, :2].T).astype(dtype)


@pytest.mark.parametrize("nested", [False, True])
def test_exact_columns_held_at_point_scores_equal_redrawing_them(data, nested):
    """Draws reuse the point scores of exact columns; rebuilding and renormalising every
    column per draw (S listed as noisy with SE 0) gives the same composites and ranks."""
    model = _bound(data, nested)
    names = [i.id for i in model.indicators]
    d, n = 16, len(data.units)
    z, scale = _draws(model, d)
    out = []
    extra = len(names) - 2  # every other column listed as noisy, with SE 0
    for noisy, zz, sc in (
        ([0, 1], z, scale),
        (
            list(range(len(names))),
            np.concatenate([z, np.zeros((extra, d, n), np.float32)]),
            np.concatenate([scale, np.zeros((extra, n), np.float32)]),
        ),
    ):
        comp, ranks = np.empty((d, n), np.float32), np.empty((d, n), np.int32)
        model.evaluate_draws(zz, sc, noisy, comp, ranks)
        out.append((comp, ranks))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-5)
    np.testing.assert_array_equal(out[0][1], out[1][1])


@pytest.mark.parametrize("complete", [False, True], ids=["missing S", "complete"])
@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_draws_score_as_the_whole_pipeline_on_the_drawn_values(data, nested, complete):
    """x0 + z·scale built in full and scored by the general evaluation (every column
    rebuilt, normalised and aggregated) gives the same composites and group ranks."""
    model = _bound(data, nested, complete)
    assert model.complete is complete
    d, n = 12, len(data.units)
    z, scale = _draws(model, d, np.float64)
    comp, ranks = np.empty((d, n)), np.empty((d, n), np.int32)
    assert model.evaluate_draws(z, scale, [0, 1], comp, ranks) == []
    drawn = np.repeat(model.x0.T[:, None, :], d, axis=1)
    drawn[:2] += z * scale[:, None, :]
    full = model.evaluate(drawn, point=False)[0][model.scheme.root.id]
    np.testing.assert_allclose(comp, full, rtol=1e-10)
    np.testing.assert_array_equal(ranks, quota.rank_within(full, model.segments))


def test_with_a_thread_pool_each_half_fills_its_own_units(data, monkeypatch):
    monkeypatch.setattr(evaluation, "BLOCK_ELEMENTS", 1)  # one block per peer group
    model = _bound(data, nested=True)
    d, n = 8, len(data.units)
    z, scale = _draws(model, d)
    serial = np.empty((d, n), np.float32), np.empty((d, n), np.int32)
    model.evaluate_draws(z, scale, [0, 1], *serial)
    pooled = np.full((d, n), np.nan, np.float32), np.zeros((d, n), np.int32)
    with ThreadPoolExecutor(2) as pool:
        futures = model.evaluate_draws(z, scale, [0, 1], *pooled, pool=pool)
        assert len(futures) == 2
        wait(futures)
        for future in futures:
            future.result()
    np.testing.assert_array_equal(pooled[0], serial[0])
    np.testing.assert_array_equal(pooled[1], serial[1])


def test_draws_without_a_noisy_column_are_the_point(data):
    model = _bound(data, nested=False)
    d, n = 5, len(data.units)
    comp, ranks = np.empty((d, n)), np.empty((d, n), np.int32)
    assert model.evaluate_draws(np.empty((0, d, n)), np.empty((0, n)), [], comp, ranks) == []
    point = model.node_point[model.scheme.root.id]
    np.testing.assert_array_equal(comp, np.broadcast_to(point, (d, n)))
    np.testing.assert_array_equal(ranks[0], quota.rank_within(point, model.segments))
    assert (ranks == ranks[0]).all()
