"""Plots of fitted autoencoders as scikit-learn style Display objects."""

from ._interpolation import InterpolationDisplay
from ._latent_grid import LatentGridDisplay
from ._latent_space import LatentSpaceDisplay
from ._reconstruction import ReconstructionDisplay
from ._reconstruction_progress import ReconstructionProgressDisplay
from ._samples import SamplesDisplay
from ._training_curves import TrainingCurvesDisplay

__all__ = [
    "InterpolationDisplay",
    "LatentGridDisplay",
    "LatentSpaceDisplay",
    "ReconstructionDisplay",
    "ReconstructionProgressDisplay",
    "SamplesDisplay",
    "TrainingCurvesDisplay",
]
