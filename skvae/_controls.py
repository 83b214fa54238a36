"""Training controls as skorch callbacks: KL warm-up, LR schedules, early stopping.

KL warm-up anneals the KL weight from 0 to ``beta`` (Bowman et al. 2016, "Generating
Sentences from a Continuous Space"); the rest is skorch's ``LRScheduler`` and
``EarlyStopping`` configured from the estimator's parameters.
"""

from skorch.callbacks import EarlyStopping, LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau

from ._net import KLWarmup

# Share of the rows held out for early stopping when validation_fraction is None.
EARLY_STOPPING_FRACTION = 0.1


def control_callbacks(estimator, net_class, n_epochs):
    """Named callbacks for the KL weight, ``lr_schedule`` and ``early_stopping``.

    ``n_epochs`` is the length of the fit about to start (the cosine period).
    Order matters: the scheduler records ``event_lr`` before early stopping may
    end the epoch, and early stopping comes before the user's callbacks so that
    their ``on_train_end`` sees the restored best weights.
    """
    callbacks = []
    if "kl" in net_class.loss_parts:
        warmup = KLWarmup(estimator.beta, estimator.kl_warmup_epochs)
        callbacks.append(("kl_warmup", warmup))
    if estimator.lr_schedule == "cosine":
        # last_epoch=-1: start the schedule afresh each call; skorch would resume
        # it from the history's length, which is wrong for a new period.
        scheduler = LRScheduler(CosineAnnealingLR, T_max=n_epochs, last_epoch=-1)
        callbacks.append(("lr_scheduler", scheduler))
    elif estimator.lr_schedule == "plateau":
        scheduler = LRScheduler(
            ReduceLROnPlateau,
            monitor=monitored_loss,
            patience=max(1, estimator.n_iter_no_change // 2),
            factor=0.1,
            threshold=estimator.tol,
            threshold_mode="abs",
        )
        callbacks.append(("lr_scheduler", scheduler))
    if estimator.early_stopping:
        # skorch ends the epoch loop by raising KeyboardInterrupt, which its
        # partial_fit catches; its messages go through print only when verbose.
        stopper = EarlyStopping(
            monitor="valid_loss",
            patience=estimator.n_iter_no_change,
            threshold=estimator.tol,
            threshold_mode="abs",
            load_best=True,
        )
        callbacks.append(("early_stopping", stopper))
    return callbacks


def monitored_loss(net):
    """The epoch's validation loss, or its training loss without validation rows."""
    row = net.history[-1]
    return row["valid_loss"] if "valid_loss" in row else row["train_loss"]


def validation_fraction(estimator):
    """Share of rows to hold out, or None: early stopping needs validation rows.

    Early stopping counts when the net was built with it (fitting start), so a
    later ``set_params`` cannot leave its callback without a validation loss.
    """
    if estimator.validation_fraction is not None:
        return estimator.validation_fraction
    if "early_stopping" in dict(estimator.net_.callbacks_):
        return EARLY_STOPPING_FRACTION
    return None
