"""Inference over chunks of rows, with bounded memory and chunk-free results."""

import copy

import numpy as np
import torch

# Inference runs in chunks of at least batch_size rows, otherwise of up to this many
# rows and values of the widest input or output: large enough that the per-chunk
# overhead vanishes on small networks (a 64-feature table infers 3 to 5 times
# faster than in chunks of 128 rows) and the matrix products run at full speed
# (MNIST rows encode 25% faster in chunks of 1337 rows than of 334), small enough
# that memory stays bounded (narrow tables slow down past 8192 rows).
INFERENCE_ROWS, INFERENCE_VALUES = 4096, 2**20


def map_chunks(module, A, fn, *, rows, device, keys=None):
    """Stack ``fn(module, chunk_tensor, chunk_keys)`` over chunks of ``rows`` of ``A``.

    ``chunk_keys`` is the chunk's slice of ``keys``, per-row values computed
    beforehand (None without them).

    Runs in ``A``'s precision: float64 input is computed with a float64 copy of
    the module, so results do not depend on how rows are chunked. Memory beyond
    the output is that of one chunk. The chunk tensors may share memory with
    ``A``: ``fn`` must never write to them.
    """
    dtype = torch.float64 if A.dtype == np.float64 else torch.float32
    if dtype != module.dtype:
        module = copy.deepcopy(module).to(dtype)
    module.eval()
    out = None
    with torch.inference_mode():
        for start in range(0, len(A), rows):
            span = slice(start, start + rows)
            chunk = as_tensor(A[span], dtype=dtype, device=device)
            result = fn(module, chunk, None if keys is None else keys[span])
            result = result.cpu().numpy()
            if out is None:
                out = np.empty((len(A), *result.shape[1:]), dtype=result.dtype)
            out[span] = result
    return out


def as_tensor(array, *, dtype, device):
    """``array`` as a tensor, sharing its memory where it can.

    ``torch.as_tensor`` shares a CPU array of the same dtype, but warns on a
    read-only one and cannot view negative strides (``X[::-1]``): those get a
    copy.
    """
    if min(array.strides, default=0) < 0:
        array = np.ascontiguousarray(array)
    make = torch.as_tensor if array.flags.writeable else torch.tensor
    return make(array, dtype=dtype, device=device)
