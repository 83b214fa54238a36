"""Pure PyTorch modelling API: autoencoder modules, likelihoods, losses and bounds.

Infrastructure lives in submodules: :mod:`skvae.nn.init` (seeded initialisation),
:mod:`skvae.nn.summary` (layer tables) and :func:`skvae.nn.conv.conv_plan`.
"""

from .categorical import MixedLikelihood, categorical_log_prob
from .conv import ConvDecoder, ConvEncoder
from .impute import impute_missing
from .iwae import (
    ImportanceDraws,
    importance_draws,
    importance_log_weights,
    importance_weighted_bound,
    streamed_importance_weighted_bound,
)
from .likelihoods import (
    BernoulliLikelihood,
    GaussianLikelihood,
    bernoulli_log_prob,
    gaussian_log_prob,
    make_likelihood,
)
from .losses import elbo, gaussian_kl, gaussian_kl_per_dim
from .missing import observed_entries, observed_sum
from .mlp import MLPDecoder, MLPEncoder
from .models import AE, VAE
from .outputs import AEOutput, Posterior, VAEOutput
from .standardize import Standardize

__all__ = [
    "AE",
    "AEOutput",
    "BernoulliLikelihood",
    "ConvDecoder",
    "ConvEncoder",
    "GaussianLikelihood",
    "ImportanceDraws",
    "MLPDecoder",
    "MLPEncoder",
    "MixedLikelihood",
    "Posterior",
    "Standardize",
    "VAE",
    "VAEOutput",
    "bernoulli_log_prob",
    "categorical_log_prob",
    "elbo",
    "gaussian_kl",
    "gaussian_kl_per_dim",
    "gaussian_log_prob",
    "importance_draws",
    "impute_missing",
    "importance_log_weights",
    "importance_weighted_bound",
    "make_likelihood",
    "observed_entries",
    "observed_sum",
    "streamed_importance_weighted_bound",
]
