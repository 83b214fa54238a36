"""Variational and plain autoencoders as scikit-learn estimators (PyTorch, skorch)."""

from ._ae import AETransformer
from ._impute import VAEImputer
from ._outlier import AutoencoderOutlierDetector
from ._persist import load, save
from ._vae import VAETransformer
from ._version import __version__ as __version__

__all__ = [
    "AETransformer",
    "AutoencoderOutlierDetector",
    "VAEImputer",
    "VAETransformer",
    "load",
    "save",
]
