"""Pure PyTorch building blocks: encoders, decoders, likelihoods and losses."""

from .conv import ConvDecoder, ConvEncoder, conv_plan
from .init import build_seeded
from .iwae import importance_log_weights, importance_weighted_bound
from .likelihoods import (
    BernoulliLikelihood,
    GaussianLikelihood,
    bernoulli_log_prob,
    gaussian_log_prob,
    make_likelihood,
)
from .losses import elbo, gaussian_kl, gaussian_kl_per_dim
from .mlp import MLPDecoder, MLPEncoder
from .models import AE, VAE, AEOutput, Posterior, VAEOutput
from .summary import ModelSummary, SummaryRow, summarize

__all__ = [
    "AE",
    "AEOutput",
    "BernoulliLikelihood",
    "ConvDecoder",
    "ConvEncoder",
    "GaussianLikelihood",
    "MLPDecoder",
    "MLPEncoder",
    "ModelSummary",
    "Posterior",
    "SummaryRow",
    "VAE",
    "VAEOutput",
    "bernoulli_log_prob",
    "build_seeded",
    "conv_plan",
    "elbo",
    "gaussian_kl",
    "gaussian_kl_per_dim",
    "gaussian_log_prob",
    "importance_log_weights",
    "importance_weighted_bound",
    "make_likelihood",
    "summarize",
]
