"""Tests of skvae._batches: slicing, sharding, binary draws, rows with holes."""

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from skvae._batches import DrawnRows, Rows, TensorBatches, draw_binary, unpack


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_binary_draws_have_the_distribution_of_torch_bernoulli(dtype):
    """draw_binary, the fast path, draws what torch.bernoulli draws.

    Tolerance: each value's frequency of 1s over 20,000 draws lies within 5
    standard errors of its probability, as torch.bernoulli's does; 0 and 1 are
    exact, and the draws keep the dtype.
    """
    p = torch.linspace(0, 1, 11, dtype=dtype).repeat(20_000, 1)
    fast = draw_binary(p, torch.Generator().manual_seed(0))
    slow = torch.bernoulli(p, generator=torch.Generator().manual_seed(0))
    assert fast.dtype == dtype
    assert set(fast.unique().tolist()) == {0.0, 1.0}
    expected = p[0].double().numpy()
    bound = 5 * np.sqrt(expected * (1 - expected) / len(p)) + 1e-12
    for draws in (fast, slow):
        frequency = draws.double().mean(0).numpy()
        assert np.all(np.abs(frequency - expected) <= bound)
    assert torch.all(fast[:, 0] == 0) and torch.all(fast[:, -1] == 1)


def test_binary_draws_are_independent_across_values():
    """Neighbouring values of a row are drawn independently (no shared uniform)."""
    p = torch.full((50_000, 2), 0.5)
    draws = draw_binary(p, torch.Generator().manual_seed(1)).double().numpy()
    both = np.mean(draws[:, 0] * draws[:, 1])
    assert abs(both - 0.25) < 5 * np.sqrt(0.25 * 0.75 / len(p))


def test_stored_rows_are_not_changed():
    """Binarising a batch never writes into the tensor the batches are cut from."""
    rows = torch.rand(10, 4, dtype=torch.float64) * 0.8 + 0.1
    before = rows.clone()
    batches = TensorBatches(
        DrawnRows(rows, torch.Generator().manual_seed(0)), batch_size=3
    )
    drawn = [x for x, _ in batches]
    assert torch.equal(rows, before)
    assert set(torch.cat(drawn).unique().tolist()) <= {0.0, 1.0}
    assert sum(len(x) for x in drawn) == len(rows)


def test_a_lone_last_row_joins_the_batch_before():
    """n = 2 * batch_size + 1: two batches, the last one a row larger; all rows."""
    rows = torch.arange(21.0).reshape(21, 1)
    batches = [x for x, _ in TensorBatches(TensorDataset(rows), batch_size=10)]
    assert [len(x) for x in batches] == [10, 11]
    assert len(TensorBatches(TensorDataset(rows), batch_size=10)) == 2
    assert torch.equal(torch.cat(batches), rows)
    one = [x for x, _ in TensorBatches(TensorDataset(rows[:1]), batch_size=10)]
    assert [len(x) for x in one] == [1]


@pytest.mark.parametrize("n_rows", [1, 20, 21, 50, 70])
@pytest.mark.parametrize("num_processes", [2, 3])
def test_processes_share_out_the_batches_of_one_process(n_rows, num_processes):
    """Processes of a data-parallel fit, their generators seeded alike, take turns
    at one process's batches, wrapping round so that all take as many steps."""
    rows = torch.arange(float(n_rows)).reshape(n_rows, 1)

    def batches(**shard):
        generator = torch.Generator().manual_seed(0)
        iterator = TensorBatches(
            TensorDataset(rows), 10, shuffle=True, generator=generator, **shard
        )
        return [x for x, _ in iterator], len(iterator)

    whole, _ = batches()
    shares = [
        batches(process_index=i, num_processes=num_processes)
        for i in range(num_processes)
    ]
    steps = -(-len(whole) // num_processes)
    for index, (share, length) in enumerate(shares):
        assert len(share) == length == steps
        for step, batch in enumerate(share):
            expected = whole[(index + step * num_processes) % len(whole)]
            assert torch.equal(batch, expected)


def _rows_with_holes():
    rows = torch.rand(9, 3, dtype=torch.float64) * 0.8 + 0.1
    rows[0, 1] = rows[4, 0] = rows[4, 2] = rows[8, 2] = float("nan")
    return rows


def test_rows_with_holes_give_their_observed_mask():
    """Batches of rows flagged with holes carry the mask of the non-NaN entries."""
    rows = _rows_with_holes()
    batches = [b for b, _ in TensorBatches(Rows(rows, has_missing=True), 4)]
    assert all(isinstance(batch, dict) for batch in batches)
    x = torch.cat([unpack(batch)[0] for batch in batches])
    observed = torch.cat([unpack(batch)[1] for batch in batches])
    assert torch.equal(observed, ~torch.isnan(rows))
    assert torch.equal(x[observed], rows[observed])


def test_complete_rows_give_plain_batches():
    """Rows not flagged with holes are batched as tensors, with no mask."""
    rows = torch.rand(9, 3)
    batches = [b for b, _ in TensorBatches(Rows(rows), 4)]
    assert all(isinstance(batch, torch.Tensor) for batch in batches)
    assert all(unpack(batch)[1] is None for batch in batches)
    assert torch.equal(torch.cat(batches), rows)


def test_drawn_rows_with_holes_keep_the_mask_of_the_values():
    """Binarising rows with holes: the mask comes from the values, not the draws."""
    rows = _rows_with_holes()
    data = DrawnRows(rows, torch.Generator().manual_seed(0), has_missing=True)
    batches = [b for b, _ in TensorBatches(data, 9)]
    x, observed = unpack(batches[0])
    assert torch.equal(observed, ~torch.isnan(rows))
    assert set(x[observed].unique().tolist()) <= {0.0, 1.0}
