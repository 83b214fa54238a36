"""Layer-by-layer model summary table, like torchinfo's and Keras' ``summary()``."""

from collections import defaultdict
from typing import NamedTuple

import torch

__all__ = ["ModelSummary", "SummaryRow", "summarize"]

_MAX_WIDTH = 40  # of an output shape entry


class SummaryRow(NamedTuple):
    """One submodule of a :class:`ModelSummary`.

    Parameters
    ----------
    name : str
        Dotted path from the root module; ``""`` for the root itself.
    layer : str
        Class name of the submodule.
    output_shape : str
        Output shape of its first call, ``"--"`` if it was not called.
    n_params : int
        Parameters of the module and of its unlisted descendants, counted on
        this row and on no other.
    trainable : bool
        Whether every parameter counted on this row requires grad.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn.summary import summarize
    >>> summarize(torch.nn.Linear(3, 2), torch.zeros(1, 3)).rows[0].n_params
    8
    """

    name: str
    layer: str
    output_shape: str
    n_params: int
    trainable: bool


class ModelSummary(NamedTuple):
    """Rows and totals of :func:`summarize`, printed as a text table.

    Parameters
    ----------
    rows : list of SummaryRow
        Submodules in registration order; their ``n_params`` sum to ``total_params``.
    total_params : int
        Number of parameter elements, each shared parameter counted once.
    trainable_params : int
        Number of those that require grad.
    buffer_elements : int
        Number of buffer elements (e.g. BatchNorm running statistics).

    Examples
    --------
    >>> import torch
    >>> from skvae.nn.models import VAE
    >>> from skvae.nn.summary import summarize
    >>> summary = summarize(VAE(n_features=10, latent_dim=2), torch.zeros(2, 10))
    >>> summary.rows[-1].name, summary.rows[-1].output_shape, summary.total_params
    ('logvar_head', '[-1, 2]', 84)
    """

    rows: list
    total_params: int
    trainable_params: int
    buffer_elements: int

    def __str__(self):
        cells = [("Layer (type)", "Output shape", "Param #")]
        for row in self.rows:
            label = row.name.rpartition(".")[2] or "(root)"
            label = "  " * row.name.count(".") + label
            count = f"{row.n_params:,}" if row.n_params else "--"
            cells.append((f"{label} ({row.layer})", row.output_shape, count))
        widths = [map(len, column) for column in zip(*cells, strict=True)]
        name_w, shape_w, count_w = map(max, widths)
        lines = [f"{a:<{name_w}}  {b:<{shape_w}}  {c:>{count_w}}" for a, b, c in cells]
        rule = "=" * len(lines[0])
        lines[1:1] = [rule]
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
        ]
        if self.buffer_elements:
            lines.append(f"Buffer elements (not params): {self.buffer_elements:,}")
        return "\n".join(lines)

    __repr__ = __str__


def _format_output(output):
    if isinstance(output, torch.Tensor):
        return str([-1, *output.shape[1:]]) if output.dim() else "[]"
    if isinstance(output, tuple | list):
        parts = [_format_output(value) for value in output]
        if hasattr(output, "_fields"):
            parts = [f"{f}: {p}" for f, p in zip(output._fields, parts, strict=True)]
        return f"({', '.join(parts)})"
    return type(output).__name__


def _describe(output):
    text = _format_output(output)
    return text if len(text) <= _MAX_WIDTH else text[: _MAX_WIDTH - 3] + "..."


def summarize(module, example_input, *, depth=3):
    """Run ``module`` once and tabulate its submodules, output shapes and parameters.

    ``module(example_input)`` runs in eval mode under :func:`torch.inference_mode`
    with the CPU (and input's CUDA) random state forked, so noise drawn in forward
    leaves the global stream untouched; training flags and hooks are restored
    afterwards, also when forward raises. Every submodule up to ``depth`` levels
    down gets a row, called or not (``"--"`` as output shape if not). Shapes are
    those of the first call with the first (batch) dimension written ``-1``;
    tuples show each element, NamedTuples ``field: shape``, cut at 40 characters.
    Each parameter is counted once, on its deepest listed owner's row, so the
    column sums to the total; the root gets a row, ``(root)``, only when some
    are counted on it (its own, or all of them at ``depth=0``).

    Parameters
    ----------
    module : torch.nn.Module
        Model to summarise.
    example_input : Tensor
        Input batch, on the module's device, e.g. ``torch.zeros(2, n_features)``.
    depth : int, default=3
        Deepest level of submodules listed; children of the root are level 1.

    Returns
    -------
    ModelSummary
        Rows and parameter totals; ``print`` it for the table.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn.models import VAE
    >>> from skvae.nn.summary import summarize
    >>> vae = VAE(n_features=10, latent_dim=2, hidden_dims=(8,))
    >>> summary = summarize(vae, torch.zeros(2, 10))
    >>> summary.total_params == sum(p.numel() for p in vae.parameters())
    True
    >>> print(summary)  # doctest: +ELLIPSIS
    Layer (type)                     Output shape  Param #
    ======================================================
    standardize (Standardize)        [-1, 10]           --
    encoder (MLPEncoder)             [-1, 8]            --
      layers (Sequential)            [-1, 8]            --
        0 (Linear)                   [-1, 8]            88
        1 (ReLU)                     [-1, 8]            --
    ...
    likelihood (GaussianLikelihood)  --                 10
    mean_head (Linear)               [-1, 2]            18
    logvar_head (Linear)             [-1, 2]            18
    ======================================================
    Total params: 248
    Trainable params: 248
    Non-trainable params: 0
    Buffer elements (not params): 21
    """
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}.")
    owner_of = defaultdict(list)  # listed module path -> parameters counted there
    for param_name, param in module.named_parameters():
        owner_of[".".join(param_name.split(".")[:-1][:depth])].append(param)
    listed = [
        (name, sub)
        for name, sub in module.named_modules()
        if (name.count(".") < depth if name else name in owner_of)
    ]
    outputs = {}

    def record(sub, _args, output):  # returns None, so the output is kept
        outputs.setdefault(sub, _describe(output))

    training = {sub: sub.training for sub in module.modules()}
    handles = [sub.register_forward_hook(record) for _, sub in listed]
    devices = [example_input.device] if example_input.device.type == "cuda" else []
    try:
        module.eval()
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            module(example_input)
    finally:
        for handle in handles:
            handle.remove()
        for sub, flag in training.items():
            sub.training = flag
    rows = [
        SummaryRow(
            name,
            type(sub).__name__,
            outputs.get(sub, "--"),
            sum(p.numel() for p in owner_of[name]),
            all(p.requires_grad for p in owner_of[name]),
        )
        for name, sub in listed
    ]
    params = list(module.parameters())
    trainable = sum(p.numel() for p in params if p.requires_grad)
    buffers = sum(b.numel() for b in module.buffers())
    return ModelSummary(rows, sum(p.numel() for p in params), trainable, buffers)
