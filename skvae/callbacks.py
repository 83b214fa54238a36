"""skorch callbacks for skvae estimators, passed with ``callbacks=[...]``."""

import torch
from sklearn.utils.validation import check_array
from skorch.callbacks import Callback

from ._net import bare_module
from ._validation import check_int

__all__ = ["RecordReconstructions"]


class RecordReconstructions(Callback):
    """Record reconstructions of fixed rows during training.

    On the first epoch, every ``every`` epochs after it and on the last epoch of
    each fit, the expected reconstructions of ``X`` (decoder mean at the posterior
    mean, in data units) are stored in the estimator's ``history_`` under
    ``"reconstructions"``. :class:`skvae.plotting.ReconstructionProgressDisplay`
    draws them, so one figure shows the reconstructions improving.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features)
        Rows to reconstruct, in the units of the training data. Keep it small:
        each recorded epoch stores an array of this shape.
    every : int, default=1
        Record every ``every`` epochs.

    See Also
    --------
    skvae.plotting.ReconstructionProgressDisplay : Plots what this records.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> from skvae.callbacks import RecordReconstructions
    >>> X = load_digits().data[:100]
    >>> vae = VAETransformer(
    ...     hidden_dims=(16,), max_epochs=5, random_state=0,
    ...     callbacks=[RecordReconstructions(X[:4], every=2)],
    ... ).fit(X)
    >>> [row["epoch"] for row in vae.history_ if "reconstructions" in row]
    [1, 3, 5]
    >>> vae.history_[-1, "reconstructions"].shape
    (4, 64)
    """

    def __init__(self, X, every=1):
        self.X = X
        self.every = every

    def initialize(self):
        """Check the parameters.

        Returns
        -------
        self : object
            This callback.
        """
        check_int(self.every, "every")
        self.X_ = check_array(self.X, input_name="X of RecordReconstructions")
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Check that the rows have the training data's width.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        X : object, default=None
            Training data (unused).
        y : object, default=None
            Training targets (unused).
        **kwargs : dict
            Further skorch arguments (unused).
        """
        n_features = bare_module(net.module_).n_features
        if self.X_.shape[1] != n_features:
            raise ValueError(
                f"RecordReconstructions got rows of {self.X_.shape[1]} features, "
                f"but the training data has {n_features}."
            )

    def on_epoch_end(self, net, **kwargs):
        """Record on the first epoch and every ``every`` epochs.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        **kwargs : dict
            Further skorch arguments (unused).
        """
        if (len(net.history) - 1) % self.every == 0:
            self._record(net)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Record the last epoch if it was not recorded yet.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        X : object, default=None
            Training data (unused).
        y : object, default=None
            Training targets (unused).
        **kwargs : dict
            Further skorch arguments (unused).
        """
        if len(net.history) and "reconstructions" not in net.history[-1]:
            self._record(net)

    def _record(self, net):
        module = bare_module(net.module_)
        training = module.training
        module.eval()
        try:
            with torch.inference_mode():
                # float64 rows: the module standardises them before casting. A
                # data-parallel net leaves the device to its accelerator.
                device = next(module.parameters()).device
                x = torch.as_tensor(self.X_, dtype=torch.float64, device=device)
                reconstructions = module.reconstruct(x).cpu().double().numpy()
        finally:
            module.train(training)
        net.history.record("reconstructions", reconstructions)
