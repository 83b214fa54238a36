"""Seeded parameter initialisation that leaves torch's global generator alone.

Layers are built on the ``meta`` device (no random numbers drawn) and then filled
from an explicit ``torch.Generator`` with PyTorch's default schemes.
"""

import math

import torch
from torch import nn

__all__ = ["build_seeded"]

_WEIGHTED = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)


def build_seeded(factory, generator, *, check=None):
    """Call ``factory()`` and initialise the module it returns from ``generator``.

    The module is built on the CPU, as ``generator`` is a CPU generator; move it
    afterwards.

    Linear and convolution layers get PyTorch's default Kaiming-uniform weights
    and uniform biases from ``generator``. Other layers are reset with their own
    ``reset_parameters``, on a fork of torch's global generator seeded from
    ``generator``'s initial seed, so the global state is left as it was. A layer
    that owns parameters but has no ``reset_parameters`` is an error. Buffers
    that hold values when ``factory`` returns (e.g. of a module built outside it
    and copied in) keep them.

    Parameters
    ----------
    factory : callable
        Returns a new ``torch.nn.Module``; called with torch's default device set
        to ``meta``.
    generator : torch.Generator
        A CPU generator that supplies every random number.
    check : callable, default=None
        Called with the module while it is still on the meta device, before
        any memory is allocated: it may raise to refuse a module too large.

    Returns
    -------
    torch.nn.Module
        The module, on the CPU.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import VAE
    >>> from skvae.nn.init import build_seeded
    >>> def make():
    ...     return build_seeded(lambda: VAE(5, 2), torch.Generator().manual_seed(0))
    >>> bool(torch.equal(make().mean_head.weight, make().mean_head.weight))
    True
    """
    with torch.device("meta"):
        module = factory()
    if check is not None:
        check(module)
    for layer in module.modules():
        own = next(layer.parameters(recurse=False), None)
        if own is not None and not (
            isinstance(layer, _WEIGHTED) or hasattr(layer, "reset_parameters")
        ):
            raise ValueError(
                f"Cannot initialise the parameters of {type(layer).__name__}: give "
                "it a reset_parameters() method that initialises them."
            )
    # Buffers that already hold values (those of modules built elsewhere and
    # copied in) survive the move off the meta device.
    kept = {
        name: buffer.detach().clone()
        for name, buffer in module.named_buffers()
        if not buffer.is_meta
    }
    module = module.to_empty(device="cpu")
    with torch.no_grad():
        for name, value in kept.items():
            module.get_buffer(name).copy_(value)
    # Other layers' reset_parameters draw from the global generator: run them on
    # a forked copy seeded from ``generator``, so the caller's state is untouched.
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(generator.initial_seed())
        for layer in module.modules():
            if isinstance(layer, _WEIGHTED):
                _init_weighted(layer, generator)
            elif hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
            elif hasattr(layer, "reset_running_stats"):
                layer.reset_running_stats()
    return module


def _init_weighted(layer, generator):
    # The same distributions as the layers' own reset_parameters.
    weight = layer.weight
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if layer.bias is not None:
        fan_in = weight[0].numel()
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
