"""The module of a fit, from plain values: its networks, seeded weights and checks.

Before anything is allocated, the module is built on the meta device to check
that training it fits in the device's memory; once built, it is run on rows of
zeros, so networks that do not fit the data fail here, in our words.
"""

import copy
import functools

import torch

from ._device import check_memory
from ._training import mean_and_scale
from .nn import ConvDecoder, ConvEncoder
from .nn.init import build_seeded

# Hidden layers of the MLP when hidden_dims="auto".
_MLP_HIDDEN_DIMS = (64, 32)
# Training holds four values per weight: the weight, its gradient and Adam's two
# moments.
_TRAINING_COPIES = 4


def make_module(
    module_class,
    n_features,
    *,
    latent_dim,
    likelihood,
    architecture,
    hidden_dims,
    image_shape,
    encoder,
    decoder,
    category_sizes=(),
):
    """A fresh ``module_class`` with the configured networks (and one-hot
    blocks of ``category_sizes`` at the end of each row).

    The user's ``encoder`` and ``decoder`` are copied, so fitting never changes
    them; otherwise the MLP or the convolutional networks are built.
    """
    if encoder is not None:
        networks = {
            "encoder": copy.deepcopy(encoder),
            "decoder": copy.deepcopy(decoder),
        }
    elif architecture == "conv":
        shape = tuple(image_shape)
        dims = None if hidden_dims == "auto" else tuple(hidden_dims)
        networks = {
            "encoder": ConvEncoder(shape, dims),
            "decoder": ConvDecoder(latent_dim, shape, dims),
        }
    else:
        dims = _MLP_HIDDEN_DIMS if hidden_dims == "auto" else tuple(hidden_dims)
        networks = {"hidden_dims": dims}
    if category_sizes:
        networks["category_sizes"] = tuple(category_sizes)
    return module_class(n_features, latent_dim, likelihood=likelihood, **networks)


def build_module(factory, X, seed, *, latent_dim, custom_networks, device):
    """The module from ``factory()``, seeded, checked on ``X``, its inputs fitted.

    A module with a ``standardize`` layer gets the column statistics of ``X``.
    ``custom_networks`` says the networks are the user's, so their failures on
    the data are reported as a ValueError naming them. A module too large to
    train in ``device``'s memory is a ValueError before anything is allocated.
    """
    n_features = X.shape[1]
    try:
        module = build_seeded(
            factory,
            torch.Generator().manual_seed(seed),
            check=functools.partial(check_module_memory, device=device),
        )
        module.eval()
        with torch.no_grad():
            width = module.decode(module.code(torch.zeros(2, n_features))).shape[1]
            if width != n_features:
                raise ValueError(
                    f"The decoder produces {width} values per row, but X has "
                    f"{n_features} features."
                )
            if custom_networks:  # a copy: batch norm's statistics would move
                _probe_training_pass(copy.deepcopy(module), n_features)
    # Shapes that do not fit raise RuntimeError; outputs of the wrong kind (a
    # tuple, say) AttributeError or TypeError, a scalar IndexError.
    except (RuntimeError, AttributeError, TypeError, IndexError) as exc:
        if not custom_networks:
            raise
        raise ValueError(
            f"The encoder/decoder modules failed on rows of {n_features} "
            f"features and codes of {latent_dim} dimensions: {exc}. Each must "
            "return one tensor of shape (n_rows, width)."
        ) from None
    if module.standardize is not None:
        shift, scale = mean_and_scale(X)
        # One-hot blocks are read as they are: 0/1, as their softmax scores them.
        n_numeric = n_features - sum(module.category_sizes)
        shift[n_numeric:], scale[n_numeric:] = 0.0, 1.0
        module.standardize.set_statistics(shift, scale)
    return module


def _probe_training_pass(module, n_features):
    """Run ``module``'s training pass on two rows of zeros: the user's networks may
    return other kinds or shapes in training mode (``if self.training``)."""
    module.train()
    with torch.random.fork_rng(devices=[]):  # a VAE draws its noise from it
        output = module(torch.zeros(2, n_features))
    if not all(isinstance(value, torch.Tensor) for value in output):
        raise TypeError("the training pass returned something other than tensors")


def check_module_memory(module, device):
    """Raise a ValueError when training ``module`` (on the meta device, where it
    allocates nothing) cannot fit in ``device``'s memory."""
    tensors = [*module.parameters(), *module.buffers()]
    n_bytes = sum(t.numel() * t.element_size() for t in tensors)
    n_weights = sum(p.numel() for p in module.parameters())
    check_memory(
        _TRAINING_COPIES * n_bytes,
        device,
        f"Training a model of {n_weights:,} weights (four values each: the "
        "weight, its gradient and Adam's two moments)",
        "Choose a smaller latent_dim, hidden_dims or network.",
    )
