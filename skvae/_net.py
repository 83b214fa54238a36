"""Private skorch nets: skorch runs the loop; these supply batches, noise and loss.

Batches come from ``_batches``: a batch of rows with holes arrives as a dict of
the rows and the mask of their observed entries, which reaches the module.
"""

import copy
import io
import math
import warnings
from typing import NamedTuple

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PrintLog
from skorch.utils import get_map_location
from torch.nn.parallel import DistributedDataParallel

from ._batches import unpack
from ._loss import NegativeELBO, NegativeLogLikelihood, loss_part


def bare_module(module):
    """``module`` without a data-parallel fit's DistributedDataParallel wrapper
    (accelerate's ``unwrap_model`` takes 0.15 ms, a third of a small batch)."""
    return module.module if isinstance(module, DistributedDataParallel) else module


# An epoch whose training loss rose above the call's first batch loss by this many
# times that loss's magnitude (at least 1 nat per row) has diverged: lr=1 to 30
# took an AE on a standardised table from 8.5 nats per row to between 2e8 and
# 3e31 in one epoch, finite losses of a model whose scores mean nothing.
DIVERGED_RISE = 1e4


class StopOnDivergence(Callback):
    """Raise a clear error as soon as training diverges.

    An epoch diverged when its training loss is NaN or infinite, or rose more than
    ``DIVERGED_RISE`` times above the first batch loss of the training call, or
    when its last steps left NaN or infinite weights: each batch's loss is
    computed before its step, so an epoch whose last step diverges has finite
    losses and broken weights.
    """

    def on_train_begin(self, net, **kwargs):
        self.first_epoch_ = len(net.history)  # the call's first epoch, 0-based

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        loss = net.history[-1, "train_loss"]
        start = net.history[self.first_epoch_, "batches", 0, "train_loss"]
        if not math.isfinite(loss):
            self._diverged(epoch, f"the training loss is {loss}")
        if loss - start > DIVERGED_RISE * max(abs(start), 1.0):
            self._diverged(
                epoch,
                f"the training loss rose from {start:.4g} to {loss:.4g} nats per row",
            )
        finite = [p.detach().isfinite().all() for p in net.module_.parameters()]
        if finite and not torch.stack(finite).all():
            self._diverged(
                epoch,
                "its last steps left NaN or infinite weights, after finite losses",
            )

    @staticmethod
    def _diverged(epoch, what):
        raise FloatingPointError(
            f"Training diverged in epoch {epoch}: {what}. Lower `lr`, or "
            "standardise the inputs; the estimator is left as it was before this "
            "call."
        )


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
    ``PassthroughScoring`` callbacks average per epoch. ``binarize_generator``
    draws the batches of :class:`DrawnRows` (dynamic binarisation); it carries
    its state from one training call to the next. ``trim_fraction`` of each
    training batch's rows, those of highest loss, are left out of its loss (the
    recorded parts count every row).
    """

    loss_class = NegativeLogLikelihood
    loss_parts = ("reconstruction",)
    draws_noise = False

    def __init__(self, *args, binarize_generator=None, trim_fraction=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.binarize_generator = binarize_generator
        self.trim_fraction = trim_fraction

    def infer(self, x, **fit_params):
        x, observed = unpack(x)
        return self.module_(x, observed=observed)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        self._record_parts(y_pred, training)
        return self.criterion_(y_pred, trim_fraction=self._trim(training))

    def _trim(self, training):
        """Training batches are trimmed; validation losses take every row."""
        return self.trim_fraction if training else 0.0

    def snapshot(self):
        """A copy of the net to put back if a training call fails.

        Training changes the module, optimizer, callbacks and generators in place,
        which are copied (generators by their states), and only appends rows to
        the history, whose list is copied. A fifth of the time of a deepcopy,
        which goes through skorch's pickling.
        """
        memo = {id(self.history): copy.copy(self.history)}
        copied = object.__new__(type(self))
        for name, value in vars(self).items():
            if isinstance(value, torch.Generator):
                value = GeneratorState.of(value).generator(value.device)
            else:
                value = copy.deepcopy(value, memo)
            setattr(copied, name, value)
        return copied

    def __getstate__(self):
        # The module, optimizer and criterion go to one torch.save, loaded with
        # skorch's device mapping: skorch pickles each tensor apart and unpickles
        # them with an unpickler that leaked 5 KB a load (skorch 1.4).
        torch_parts = {
            name: value
            for name, value in vars(self).items()
            if name.startswith(tuple(self.cuda_dependent_attributes_))
        }
        buffer = io.BytesIO()
        torch.save(torch_parts, buffer)
        torch_bytes = buffer.getvalue()
        # skorch's __getstate__ reads __dict__: it gets the net without them.
        vars_without = {k: v for k, v in vars(self).items() if k not in torch_parts}
        original, self.__dict__ = self.__dict__, vars_without
        try:
            state = super().__getstate__()
        finally:
            self.__dict__ = original
        state[_TORCH_PARTS] = torch_bytes
        # Generators are pickled as their states: unpickling a torch.Generator
        # leaks about 2.6 KB each time (torch 2.13), three of them per model.
        for name, value in state.items():
            if isinstance(value, torch.Generator):
                state[name] = GeneratorState.of(value)
        # The module parameter is module_ itself, which skorch pickles apart
        # (mapping its device); the validation rows are set again before each
        # training call.
        if state["module"] is torch_parts.get("module_"):
            state["module"] = _MODULE_
        state["train_split"] = None
        copies = {}
        for name in ("callbacks", "callbacks_"):
            state[name] = _without_training_copies(state[name], copies)
        return state

    def __setstate__(self, state):
        torch_bytes = state.pop(_TORCH_PARTS)
        saved_device = state["device"]
        super().__setstate__(state)  # skorch maps the device when CUDA is missing
        with warnings.catch_warnings():  # skorch has warned of a missing CUDA
            warnings.simplefilter("ignore")
            location = get_map_location(saved_device)
        # weights_only=False as in any pickle, which runs what it holds anyway.
        parts = torch.load(
            io.BytesIO(torch_bytes), map_location=location, weights_only=False
        )
        self.__dict__.update(parts)
        if isinstance(self.module, str) and self.module == _MODULE_:
            self.module = self.module_
        for name, value in list(vars(self).items()):
            if isinstance(value, GeneratorState):
                setattr(self, name, value.generator(self.device))

    def _record_parts(self, output, training):
        # Read on the host only at the batch's end, after skorch has read the
        # loss: read here, before the backward pass is queued, a GPU would sit
        # idle while the host queued it.
        parts = torch.stack([loss_part(output, p) for p in self.loss_parts])
        self._batch_parts = ("train" if training else "valid", parts)

    def on_batch_end(self, net, **kwargs):
        super().on_batch_end(net, **kwargs)
        # Popped, so no tensor stays behind in the net (or its pickle).
        prefix, parts = self.__dict__.pop("_batch_parts")
        for part, value in zip(self.loss_parts, parts.tolist(), strict=True):
            self.history.record_batch(f"{prefix}_{part}", value)


# What skorch's callbacks copy of the model while training, made afresh when each
# training call begins: EarlyStopping's best weights, and LRScheduler's torch
# scheduler, which holds a second copy of the optimizer. skorch pickles them
# outside its device mapping, so a CUDA model's pickle could not be loaded
# without CUDA; they also doubled the pickle.
_TRAINING_COPIES = ("best_model_weights_", "lr_scheduler_")
# Stands in a pickle for the module parameter when it is the trained module_.
_MODULE_ = "<module_>"
# The key of a pickled net's torch.save of its module, optimizer and criterion.
_TORCH_PARTS = "_skvae_torch_parts"


def _without_training_copies(callbacks, copies):
    """``callbacks`` (a list of callbacks or (name, callback) pairs, or None) with
    each callback holding training copies replaced by a copy without them.

    ``copies`` maps the ids of callbacks already copied to their copies, so a
    callback in two lists stays one object.
    """
    if callbacks is None:
        return None
    return [
        (item[0], _copied(item[1], copies))
        if isinstance(item, tuple)
        else _copied(item, copies)
        for item in callbacks
    ]


def _copied(callback, copies):
    if not any(getattr(callback, name, None) is not None for name in _TRAINING_COPIES):
        return callback
    if id(callback) not in copies:
        copied = copy.copy(callback)
        for name in _TRAINING_COPIES:
            if hasattr(copied, name):
                setattr(copied, name, None)
        copies[id(callback)] = copied
    return copies[id(callback)]


class GeneratorState(NamedTuple):
    """A ``torch.Generator`` as plain values: its device, seed and state bytes."""

    device: str
    seed: int
    state: np.ndarray

    @classmethod
    def of(cls, generator):
        state = generator.get_state().numpy()
        return cls(str(generator.device), generator.initial_seed(), state)

    def generator(self, device):
        """The generator again; on ``device`` if it is of another kind.

        A generator moved to another kind of device (a CUDA model loaded without
        CUDA) starts a new stream from the same seed: their states differ in kind.
        """
        if torch.device(device).type != torch.device(self.device).type:
            return torch.Generator(device=device).manual_seed(self.seed)
        generator = torch.Generator(device=self.device)
        return generator.set_state(torch.from_numpy(self.state.copy()))


class VAENet(AutoencoderNet):
    """Adds the KL weight schedule and reparameterisation noise to the net.

    Training batches of epoch ``e`` weigh the KL by ``beta * min(1, e /
    kl_warmup_epochs)`` (``beta`` when ``kl_warmup_epochs=0``), counted over the
    net's whole history and recorded as ``kl_weight``; validation batches use
    ``beta``, so ``valid_loss`` does not rise with the weight. With
    ``importance_samples=k > 1`` every row takes ``k`` draws and the loss is the
    importance-weighted bound. Noise comes from ``noise_generator``, not the
    global RNG.
    """

    loss_class = NegativeELBO
    loss_parts = ("reconstruction", "kl")
    draws_noise = True

    def __init__(
        self,
        *args,
        beta=1.0,
        kl_warmup_epochs=0,
        free_bits=0.0,
        importance_samples=1,
        noise_generator=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.beta = beta
        self.kl_warmup_epochs = kl_warmup_epochs
        self.free_bits = free_bits
        self.importance_samples = importance_samples
        self.noise_generator = noise_generator

    def infer(self, x, **fit_params):
        x, observed = unpack(x)
        module = bare_module(self.module_)
        k = self.importance_samples
        eps = torch.randn(
            (len(x), module.latent_dim) if k == 1 else (len(x), k, module.latent_dim),
            generator=self.noise_generator,
            device=x.device,
            dtype=module.dtype,
        )
        return self.module_(x, eps, observed=observed)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        self._record_parts(y_pred, training)
        weight = self.beta
        if training:
            # The epoch's row is already in the history: epochs count from 1.
            epoch, warmup = len(self.history), self.kl_warmup_epochs
            weight = self.beta * min(1.0, epoch / warmup) if warmup else self.beta
            self.history.record("kl_weight", weight)
        return self.criterion_(
            y_pred,
            kl_weight=weight,
            free_bits=self.free_bits,
            trim_fraction=self._trim(training),
        )
