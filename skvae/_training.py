"""Training plumbing on plain values: seeds, net and callbacks, splits, sync.

The estimator passes each step the values it needs; nothing here reads the
estimator. ``fit`` is: spawn seeds, build the module (``_build``) and the net,
then for each training call split the rows, sync the net with the current
parameters and run skorch's epochs.
"""

import contextlib
import copy
import math
import signal
import threading
from typing import NamedTuple

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    LRScheduler,
    PassthroughScoring,
    ProgressBar,
)
from skorch.helper import predefined_split
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau

from ._accelerate import accelerated_net
from ._batches import DrawnRows, Rows, TensorBatches
from ._net import QuietPrintLog, StopOnDivergence

# About this many optimiser steps make max_epochs="auto": few epochs on big tables,
# many on tiny ones, within the bounds below. On an 8-feature factor model and on
# the digits, 2000 steps at lr=1e-3 reach within 0.1-0.3 nats of 5000 steps.
_AUTO_STEPS = 2500
_AUTO_EPOCHS_MIN, _AUTO_EPOCHS_MAX = 10, 500
# float32 keeps 24 significant bits: values within 2**10 standard deviations of 0
# keep at least 14 of them once standardised, far below the data's own noise.
_FLOAT32_SPAN = 2.0**10
# Adam's fused implementation (cpu, cuda, mps and others); tests set None (the
# default implementation) to compare.
FUSED_ADAM = True
# The optimizer parameter's names of torch's optimizers.
OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}
# The statistics computed after training (the VAE's kl_per_dim_ and
# n_active_units_, the AE's Gaussian of the codes) are estimated on at most this
# many of the training rows: their standard errors are then a few percent of the
# rows' spread, and encoding every row cost up to a twentieth of a short fit.
STATISTICS_ROWS = 2048
# Share of the rows held out for early stopping when validation_fraction is None.
EARLY_STOPPING_FRACTION = 0.1


class Seeds(NamedTuple):
    """One independent seed per random stream of a fit."""

    init: int  # weight initialisation
    shuffle: int  # order of the training rows in each epoch
    noise: int  # reparameterisation noise of the VAE's training passes
    binarize: int  # dynamic binarisation draws
    split: int  # which rows are held out for validation
    layers: int  # torch's (forked) global generator, for the user's layers
    statistics: int  # which rows the post-fit statistics are estimated on


# The streams each process of a data-parallel fit draws on its own; the others
# (the model, the held-out rows, the order of the batches) must agree.
_PER_PROCESS = ("noise", "binarize", "layers")


def spawn_seeds(random_state, process=0):
    """Seeds of every stream, spawned once from ``random_state``'s one draw.

    ``process`` > 0 (a process of a data-parallel fit other than the first)
    gives the streams of ``_PER_PROCESS`` seeds of that process's own.
    """
    entropy = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    children = np.random.SeedSequence(entropy).spawn(len(Seeds._fields))
    if process:
        children = [
            np.random.SeedSequence(child.entropy, spawn_key=(*child.spawn_key, process))
            if name in _PER_PROCESS
            else child
            for name, child in zip(Seeds._fields, children, strict=True)
        ]
    return Seeds(*(int(child.generate_state(1)[0]) for child in children))


def n_epochs(max_epochs, n_samples, batch_size):
    """``max_epochs``, or about ``_AUTO_STEPS`` optimiser steps for ``"auto"``."""
    if max_epochs != "auto":
        return max_epochs
    epochs = math.ceil(_AUTO_STEPS / math.ceil(n_samples / batch_size))
    return min(max(epochs, _AUTO_EPOCHS_MIN), _AUTO_EPOCHS_MAX)


def column_span(X):
    """Largest magnitude of each column of ``X``, its NaN entries left out."""
    return np.fmax.reduce(np.abs(X), axis=0)


def mean_and_scale(X):
    """Column means and standard deviations, 1 where a column is constant.

    Columns are divided by their largest magnitude first, so values near the top of
    the float64 range do not overflow when squared. A spread below float32
    resolution relative to the column's mean counts as constant (rounding noise).
    NaN entries (missing values) are left out: the statistics are those of each
    column's observed values.
    """
    span = column_span(X).astype(np.float64)
    span[span == 0] = 1.0
    unit = X / span
    mean = unit.mean(axis=0)
    if np.isnan(mean).any():  # NaN propagates: only then the slower passes
        mean, scale = np.nanmean(unit, axis=0), np.nanstd(unit, axis=0)
    else:
        scale = unit.std(axis=0)
    mean, scale = mean * span, scale * span
    constant = scale <= np.finfo(np.float32).eps * np.abs(mean)
    return mean, np.where(constant, 1.0, scale)


def rows_dtype(X, scale):
    """torch dtype to hold the training rows ``X`` in: float32 unless it blurs them.

    Rows the module reads as they are (``scale`` None) and float32 rows stay
    float32. float64 rows stay float64 when float32 would lose them: values
    beyond its range, scales below its normal numbers, or values so far from 0
    for their scale (a large offset) that standardising them after rounding to
    float32 would blur them. Holding rows in float32 spares every batch a
    float64 standardisation.
    """
    if scale is None or X.dtype != np.float64:
        return torch.float32
    span = column_span(X)
    low, high = np.finfo(np.float32).tiny * 2**24, np.finfo(np.float32).max / 2
    with np.errstate(over="ignore"):  # a scale near float64's top: not exact
        exact = (span <= _FLOAT32_SPAN * scale) & (span < high) & (scale > low)
    return torch.float32 if exact.all() else torch.float64


def make_callbacks(
    *,
    loss_parts,
    early_stopping,
    lr_schedule,
    n_iter_no_change,
    tol,
    max_epochs,
    verbose,
    callbacks,
):
    """skorch callbacks of a fit: loss parts, schedule, stopping, the user's.

    ``max_epochs`` is the length of the fit about to start (the cosine period).
    Order matters: the scheduler records ``event_lr`` before early stopping may
    end the epoch, and early stopping comes before the user's callbacks so that
    their ``on_train_end`` sees the restored best weights.
    """
    names = [f"{stage}_{part}" for stage in ("train", "valid") for part in loss_parts]
    made = [("stop_on_divergence", StopOnDivergence())]
    made += [
        (name, PassthroughScoring(name, on_train=name.startswith("train")))
        for name in names
    ]
    if lr_schedule == "cosine":
        # last_epoch=-1: start the schedule afresh each call; skorch would resume
        # it from the history's length, which is wrong for a new period.
        scheduler = LRScheduler(CosineAnnealingLR, T_max=max_epochs, last_epoch=-1)
        made.append(("lr_scheduler", scheduler))
    elif lr_schedule == "plateau":
        scheduler = LRScheduler(
            ReduceLROnPlateau,
            monitor=monitored_loss,
            patience=max(1, n_iter_no_change // 2),
            factor=0.1,
            threshold=tol,
            threshold_mode="abs",
        )
        made.append(("lr_scheduler", scheduler))
    if early_stopping:
        # skorch ends the epoch loop by raising KeyboardInterrupt, which its
        # partial_fit catches; its messages go through print only when verbose.
        stopper = EarlyStopping(
            monitor="valid_loss",
            patience=n_iter_no_change,
            threshold=tol,
            threshold_mode="abs",
            load_best=True,
        )
        made.append(("early_stopping", stopper))
    if verbose >= 2:
        made.append(("progress_bar", ProgressBar()))
    # skorch names its own callbacks too; a user's of the same name clashes.
    skorchs = {"epoch_timer", "train_loss", "valid_loss", "print_log"}
    taken = {name for name, _ in made} | skorchs
    for callback in callbacks or ():
        named = isinstance(callback, tuple) and len(callback) == 2
        if not isinstance(callback[1] if named else callback, Callback):
            raise ValueError(
                "callbacks must hold skorch Callback instances or (name, "
                f"Callback) pairs, got {callback!r}."
            )
        if named:
            name = callback[0]
            if not isinstance(name, str):
                raise TypeError(f"A callback's name must be a string, got {name!r}.")
            if name in taken:
                raise ValueError(
                    f"The callback name {name!r} is taken (by skvae's or skorch's "
                    "own callbacks, or another of yours); choose another."
                )
            taken.add(name)
        # A copy, so refitting starts afresh and the parameter is not mutated.
        made.append(copy.deepcopy(callback))
    return made


def monitored_loss(net):
    """The epoch's validation loss, or its training loss without validation rows."""
    row = net.history[-1]
    return row["valid_loss"] if "valid_loss" in row else row["train_loss"]


def make_net(
    net_class,
    module,
    *,
    seeds,
    device,
    callbacks,
    optimizer,
    accelerator=None,
    **params,
):
    """The initialised skorch net that trains ``module``.

    ``optimizer`` is the estimator's parameter: a name of ``OPTIMIZERS`` or an
    optimizer class, which skorch builds with ``lr`` and torch's defaults.
    ``params`` are the net's parameters that :func:`sync_net` keeps current
    (``lr``, ``batch_size``, ``verbose``, the loss's); the generators of each
    random stream are seeded here, once, and carry across training calls. With
    an ``accelerator``, the net is ``net_class`` with skorch's ``AccelerateMixin``.
    """
    params = {"device": device, **params}
    if accelerator is not None:
        net_class, accelerated = accelerated_net(net_class, accelerator, device)
        params.update(accelerated)
    if net_class.draws_noise:
        params["noise_generator"] = _generator(seeds.noise, device)
    if optimizer == "adam":
        # One fused kernel per step instead of a dozen ops per parameter: a fifth
        # of an MNIST MLP's training time on the CPU, the same steps to rounding.
        params["optimizer__fused"] = FUSED_ADAM
    return net_class(
        module=module,
        criterion=net_class.loss_class,
        optimizer=OPTIMIZERS.get(optimizer, optimizer),
        iterator_train=TensorBatches,
        iterator_train__shuffle=True,
        iterator_train__generator=torch.Generator().manual_seed(seeds.shuffle),
        iterator_valid=TensorBatches,
        train_split=None,
        callbacks=callbacks,
        callbacks__print_log=QuietPrintLog(keys_ignored=["reconstructions"]),
        binarize_generator=_generator(seeds.binarize, device),
        **params,
    ).initialize()


def _generator(seed, device):
    return torch.Generator(device=device).manual_seed(seed)


def statistics_rows(X, seed):
    """``X``, or a seeded random ``STATISTICS_ROWS`` of its rows, in their order."""
    if len(X) <= STATISTICS_ROWS:
        return X
    chosen = np.random.default_rng(seed).choice(len(X), STATISTICS_ROWS, replace=False)
    return X[np.sort(chosen)]


def split_rows(
    rows,
    validation_fraction,
    seed,
    *,
    early_stopping=False,
    draws=None,
    has_missing=False,
):
    """Training and validation datasets (None when nothing is held out).

    The held-out rows are a seeded random ``validation_fraction`` of ``rows``;
    early stopping needs some, 0.1 when ``validation_fraction`` is None. With a
    ``draws`` generator the training rows are binarised batch by batch.
    ``has_missing`` says the rows may have NaN entries.
    """
    fraction = validation_fraction
    if fraction is None and early_stopping:
        fraction = EARLY_STOPPING_FRACTION
    if fraction is None:
        return _training_set(rows, draws, has_missing), None
    n_valid = max(1, round(fraction * len(rows)))
    if n_valid >= len(rows):
        stopping = " for early_stopping" if validation_fraction is None else ""
        raise ValueError(
            f"validation_fraction={fraction}{stopping} leaves no rows to train on "
            f"out of {len(rows)}; use more rows, or validation_fraction=None and "
            "early_stopping=False."
        )
    order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))
    order = order.to(rows.device)
    valid = Rows(rows[order[:n_valid]], has_missing)
    return _training_set(rows[order[n_valid:]], draws, has_missing), valid


def _training_set(rows, draws, has_missing):
    if draws is None:
        return Rows(rows, has_missing)
    return DrawnRows(rows, draws, has_missing)


def sync_net(net, *, valid, **params):
    """Apply the current parameters to ``net`` before it trains again.

    Parameters may have changed with ``set_params`` since the net was built.
    skorch's own ``set_params`` applies each: ``lr`` reaches the optimizer
    without rebuilding it (the optimizer keeps its state), the rest are plain
    attributes. The optimizer itself is not among them: skorch rebuilds it, its
    state lost, whenever it is set.
    """
    net.set_params(
        train_split=None if valid is None else predefined_split(valid), **params
    )


def run_epochs(net, train, layers_seed, device):
    """Train ``net`` on ``train`` (on ``device``) for its ``max_epochs``,
    continuing its history.

    Layers of the user's modules (e.g. dropout) may draw from torch's global
    generator: they get a forked one, seeded for this call from ``layers_seed``
    and the epochs trained so far, and the caller's state is left as it was.
    A Ctrl-C (SIGINT) raises KeyboardInterrupt out of the call; a callback that
    raises KeyboardInterrupt (skorch's way to stop early) ends training.
    """
    call = np.random.SeedSequence(layers_seed, spawn_key=(len(net.history),))
    seed = int(call.generate_state(1)[0])
    device = torch.device(device)
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda), _interrupts() as interrupted:
        torch.default_generator.manual_seed(seed)
        for index in cuda:
            torch.cuda.default_generators[index].manual_seed(seed)
        # skorch's partial_fit, but a Ctrl-C is not swallowed: skorch catches
        # every KeyboardInterrupt, the way callbacks such as EarlyStopping end
        # training, and would return a half-trained model that looks fitted.
        net.notify("on_train_begin", X=train, y=None)
        try:
            net.fit_loop(train, _routing_method="partial_fit")
        except KeyboardInterrupt:
            if interrupted():
                raise
        net.notify("on_train_end", X=train, y=None)
    net.module_.eval()


@contextlib.contextmanager
def _interrupts():
    """Record whether a SIGINT (Ctrl-C) arrives, and still raise KeyboardInterrupt.

    Yields a function that says whether one arrived. Only Python's own handler
    in the main thread is wrapped (signals reach no other thread); a handler of
    the user's is left alone.
    """
    arrived = []
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield lambda: False
        return

    def handler(signum, frame):
        arrived.append(signum)
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(arrived)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
