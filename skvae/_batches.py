"""Batches of the training loop: slices of one tensor placed on the training
device once per fit, so the hot path does no per-sample indexing, collation or
numpy-to-torch copies.
"""

import math

import torch
from torch.utils.data import TensorDataset

from .nn import observed_entries


class Rows(TensorDataset):
    """Training or validation rows: one tensor, and whether entries may be missing.

    ``has_missing`` comes from the validation of the rows, so batches of complete
    rows (the usual case) carry no mask and cost nothing more.
    """

    def __init__(self, rows, has_missing=False):
        super().__init__(rows)
        self.has_missing = has_missing


class DrawnRows(Rows):
    """Training rows whose batches are fresh 0/1 draws: dynamic binarisation.

    Each time :class:`TensorBatches` cuts a batch from these rows, every value
    ``p`` in [0, 1] becomes a 1 with probability ``p``, drawn from ``generator``
    (on the rows' device) into a new tensor; the rows are never written.
    """

    def __init__(self, rows, generator, has_missing=False):
        super().__init__(rows, has_missing)
        self.generator = generator


class TensorBatches:
    """Iterate over ``batch_size`` slices of ``dataset.tensors[0]``.

    With ``shuffle=True`` the rows are permuted once per epoch using ``generator``.
    Batches of :class:`DrawnRows` are binarised. A batch of rows with missing
    (NaN) entries is the dict ``{"x": rows, "observed": mask}``, the mask taken
    before any binarisation; others are the rows alone. The last batch may be smaller,
    but never a single row after others: that row joins the batch before, as
    batch normalisation cannot train on one row. There is always at least one
    batch.

    In a data-parallel fit (its processes share ``generator``'s seed), process
    ``process_index`` takes every ``num_processes``-th batch, wrapping round to
    the first so that all take as many steps: accelerate's default sharding.
    """

    def __init__(
        self,
        dataset,
        batch_size,
        shuffle=False,
        generator=None,
        process_index=0,
        num_processes=1,
    ):
        self.X = dataset.tensors[0]
        self.batch_size = int(batch_size)  # torch's split takes no numpy ints
        self.shuffle = shuffle
        self.generator = generator
        self.draws = dataset.generator if isinstance(dataset, DrawnRows) else None
        self.has_missing = getattr(dataset, "has_missing", True)
        self.process_index = process_index
        self.num_processes = num_processes

    def __len__(self):
        n_rows = len(self.X)
        lone_row = n_rows > self.batch_size and n_rows % self.batch_size == 1
        n_batches = math.ceil(n_rows / self.batch_size) - lone_row
        return math.ceil(n_batches / self.num_processes)

    def __iter__(self):
        X = self.X
        if self.shuffle:
            order = torch.randperm(len(X), generator=self.generator)
            X = X[order.to(X.device)]
        batches = list(X.split(self.batch_size))
        if len(batches) > 1 and len(batches[-1]) == 1:
            batches[-2:] = [X[-(self.batch_size + 1) :]]
        if self.num_processes > 1:
            first, n = self.process_index, len(batches)
            steps = range(first, len(self) * self.num_processes, self.num_processes)
            batches = [batches[step % n] for step in steps]
        for batch in batches:
            observed = observed_entries(batch) if self.has_missing else None
            if self.draws is not None:
                batch = draw_binary(batch, self.draws)
            yield (batch if observed is None else with_mask(batch, observed)), None


def draw_binary(p, generator):
    """0/1 values, each a 1 with probability ``p``, in ``p``'s dtype and device.

    A 1 wherever a uniform draw from [0, 1) falls below ``p``: the same
    distribution as ``torch.bernoulli(p)``, which on the CPU takes 3 to 4 times
    as long (a third of an MNIST MLP's training step).
    """
    uniform = torch.rand(p.shape, generator=generator, dtype=p.dtype, device=p.device)
    return uniform.lt_(p)


def with_mask(rows, observed):
    """A batch of rows with holes, as the nets pass it on to the module."""
    return {"x": rows, "observed": observed}


def unpack(batch):
    """The rows and observed-entry mask (None: complete) of a batch."""
    if isinstance(batch, dict):
        return batch["x"], batch["observed"]
    return batch, None
