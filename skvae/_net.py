"""Private skorch nets: skorch runs the loop; these supply batches, noise and loss.

Batches are slices of one tensor placed on the training device once per fit, so the
hot path does no per-sample indexing, collation or numpy-to-torch copies.
"""

import math

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch import nn

from .nn import elbo


class TensorBatches:
    """Iterate over ``batch_size`` slices of ``dataset.tensors[0]``.

    With ``shuffle=True`` the rows are permuted once per epoch using ``generator``.
    The last batch may be smaller; there is always at least one batch.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None):
        self.X = dataset.tensors[0]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self):
        X = self.X
        if self.shuffle:
            order = torch.randperm(len(X), generator=self.generator)
            X = X[order.to(X.device)]
        for batch in X.split(self.batch_size):
            yield batch, None


class NegativeELBO(nn.Module):
    """Training loss of a VAE: the batch mean of ``-(log p(x|z) - beta * KL)``."""

    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = beta

    def forward(self, output):
        return -elbo(output.log_px_z, output.kl, self.beta).mean()


class NegativeLogLikelihood(nn.Module):
    """Training loss of an autoencoder: batch mean of ``-log p(x | x_hat)``."""

    def forward(self, output):
        return -output.log_px_z.mean()


class StopOnNonFiniteLoss(Callback):
    """Raise a clear error as soon as an epoch's training loss is NaN or infinite."""

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"Training diverged in epoch {len(net.history)}: the training loss is "
                f"{loss}. Lower `lr`, or standardise the inputs; the estimator was "
                "left unfitted."
            )


class AutoencoderNet(NeuralNet):
    """A NeuralNet whose criterion scores the module's output alone (no target)."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred)


class VAENet(AutoencoderNet):
    """Draws reparameterisation noise from ``noise_generator``, not the global RNG."""

    def __init__(self, *args, noise_generator=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.noise_generator = noise_generator

    def infer(self, x, **fit_params):
        eps = torch.randn(
            (len(x), self.module_.latent_dim),
            generator=self.noise_generator,
            device=x.device,
            dtype=x.dtype,
        )
        return self.module_(x, eps)
