"""Pure PyTorch building blocks: encoders, decoders, likelihoods and losses."""

from .init import build_seeded
from .likelihoods import (
    BernoulliLikelihood,
    GaussianLikelihood,
    bernoulli_log_prob,
    gaussian_log_prob,
    make_likelihood,
)
from .losses import elbo, gaussian_kl
from .mlp import MLPDecoder, MLPEncoder
from .models import AE, VAE, AEOutput, Posterior, VAEOutput

__all__ = [
    "AE",
    "AEOutput",
    "BernoulliLikelihood",
    "GaussianLikelihood",
    "MLPDecoder",
    "MLPEncoder",
    "Posterior",
    "VAE",
    "VAEOutput",
    "bernoulli_log_prob",
    "build_seeded",
    "elbo",
    "gaussian_kl",
    "gaussian_log_prob",
    "make_likelihood",
]
