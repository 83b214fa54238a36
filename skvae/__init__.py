"""Variational and plain autoencoders as scikit-learn estimators (PyTorch, skorch)."""

from ._ae import AETransformer
from ._vae import VAETransformer

__all__ = ["AETransformer", "VAETransformer"]
__version__ = "0.1.0"
