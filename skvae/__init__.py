"""Variational and plain autoencoders as scikit-learn estimators (PyTorch, skorch)."""

from ._ae import AETransformer
from ._outlier import AutoencoderOutlierDetector
from ._vae import VAETransformer

__all__ = ["AETransformer", "AutoencoderOutlierDetector", "VAETransformer"]
__version__ = "0.1.0"
