"""Private skorch nets: skorch runs the loop; these supply batches, noise and loss.

Batches are slices of one tensor placed on the training device once per fit, so the
hot path does no per-sample indexing, collation or numpy-to-torch copies.
"""

import math

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PrintLog
from torch import nn

from .nn import elbo, gaussian_kl_per_dim


class TensorBatches:
    """Iterate over ``batch_size`` slices of ``dataset.tensors[0]``.

    With ``shuffle=True`` the rows are permuted once per epoch using ``generator``.
    With a ``binarize_generator`` (on the rows' device), each batch is a fresh 0/1
    draw that is 1 with probability the value (dynamic binarisation); the stored
    rows are never changed. The last batch may be smaller; there is always at
    least one batch.
    """

    def __init__(
        self,
        dataset,
        batch_size,
        shuffle=False,
        generator=None,
        binarize_generator=None,
    ):
        self.X = dataset.tensors[0]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.binarize_generator = binarize_generator

    def __len__(self):
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self):
        X = self.X
        if self.shuffle:
            order = torch.randperm(len(X), generator=self.generator)
            X = X[order.to(X.device)]
        for batch in X.split(self.batch_size):
            if self.binarize_generator is not None:
                batch = torch.bernoulli(batch, generator=self.binarize_generator)
            yield batch, None


class NegativeELBO(nn.Module):
    """Training loss of a VAE: the batch mean of ``-(log p(x|z) - beta * KL)``.

    With ``free_bits > 0`` the KL term is ``sum_d max(free_bits, KL_d)``, where
    ``KL_d`` is dimension ``d``'s KL averaged over the batch (Kingma et al. 2016):
    dimensions below the floor get no gradient from the KL.
    """

    def __init__(self, beta=1.0, free_bits=0.0):
        super().__init__()
        self.beta = beta
        self.free_bits = free_bits

    def forward(self, output):
        if not self.free_bits:
            return -elbo(output.log_px_z, output.kl, self.beta).mean()
        kl = gaussian_kl_per_dim(output.mean, output.logvar).mean(0)
        kl = kl.clamp(min=self.free_bits).sum()
        return -output.log_px_z.mean() + self.beta * kl


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


class KLWarmup(Callback):
    """Set the KL weight of each epoch: ``beta * min(1, epoch / epochs)``.

    ``epochs=0`` keeps ``beta``. Epochs count over the net's whole history, so
    the warm-up goes on across ``partial_fit`` calls. The weight is recorded in
    the history as ``kl_weight``. Validation batches use ``beta`` itself, so
    ``valid_loss`` (which early stopping watches) does not rise with the weight.
    """

    def __init__(self, beta=1.0, epochs=0):
        self.beta = beta
        self.epochs = epochs

    def on_epoch_begin(self, net, **kwargs):
        # The net's own on_epoch_begin has already added this epoch's row.
        epoch = len(net.history)
        self.weight_ = (
            self.beta * min(1.0, epoch / self.epochs) if self.epochs else self.beta
        )
        net.history.record("kl_weight", self.weight_)

    def on_batch_begin(self, net, training=False, **kwargs):
        net.criterion_.beta = self.weight_ if training else self.beta


class QuietPrintLog(PrintLog):
    """skorch's ``PrintLog``, minus building the epoch's table when nothing is printed.

    skorch's formats the table every epoch even with ``verbose=0``.
    """

    def on_epoch_end(self, net, **kwargs):
        if net.verbose:
            super().on_epoch_end(net, **kwargs)


class AutoencoderNet(NeuralNet):
    """A NeuralNet whose criterion scores the module's output alone (no target).

    Each batch also records the loss's parts (``train_reconstruction``, and
    ``train_kl`` for a VAE; ``valid_*`` on validation batches), which
    ``PassthroughScoring`` callbacks average per epoch. ``input_mean`` and
    ``input_scale`` are the estimator's standardisation, so :meth:`reconstruct`
    works in data units.
    """

    loss_parts = ("reconstruction",)

    def __init__(self, *args, input_mean=None, input_scale=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.input_mean = input_mean
        self.input_scale = input_scale

    @property
    def _default_callbacks(self):
        return [
            (name, QuietPrintLog() if name == "print_log" else callback)
            for name, callback in super()._default_callbacks
        ]

    def _set_training(self, training=True):
        # skorch calls this before every batch, and Module.train walks every layer:
        # skip the walk when the module and criterion are already in that mode.
        modules = [getattr(self, f"{name}_") for name in self._modules + self._criteria]
        if all(m.training == training for m in modules if isinstance(m, nn.Module)):
            return
        super()._set_training(training)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        prefix = "train" if training else "valid"
        # One device-to-host copy per batch for all parts, not one per part.
        values = torch.stack([_loss_part(y_pred, p) for p in self.loss_parts])
        for part, value in zip(self.loss_parts, values.tolist(), strict=True):
            self.history.record_batch(f"{prefix}_{part}", value)
        return self.criterion_(y_pred)

    def reconstruct(self, X):
        """Expected reconstructions of raw rows ``X`` (ndarray), in data units."""
        module = self.module_
        training = module.training
        module.eval()
        try:
            with torch.inference_mode():
                x = torch.as_tensor(
                    (X - self.input_mean) / self.input_scale,
                    dtype=torch.float32,
                    device=self.device,
                )
                out = module.reconstruct(x).cpu().double().numpy()
        finally:
            module.train(training)
        return out * self.input_scale + self.input_mean


def _loss_part(output, part):
    if part == "reconstruction":
        return -output.log_px_z.detach().mean()
    return output.kl.detach().mean()


class VAENet(AutoencoderNet):
    """Draws reparameterisation noise from ``noise_generator``, not the global RNG."""

    loss_parts = ("reconstruction", "kl")

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
