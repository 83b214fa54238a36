"""Per-feature standardisation as a layer, so a model scores its raw input.

The map ``x -> (x - shift) / scale`` is part of the model: a density of the
standardised rows is a density of the raw rows once the log-Jacobian
``-sum(log scale)`` is added (change of variables).
"""

import torch
from torch import nn

__all__ = ["Standardize"]


class Standardize(nn.Module):
    """``(x - shift) / scale`` per feature, with statistics held as buffers.

    The buffers are float64, so that data far outside float32's range is
    standardised before any float32 arithmetic. :meth:`forward` and
    :meth:`inverse` compute in the dtype of their input.

    Parameters
    ----------
    n_features : int
        Width of each row. The map starts as the identity (shift 0, scale 1).

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import Standardize
    >>> layer = Standardize(2)
    >>> layer.set_statistics(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 4.0]))
    >>> layer(torch.tensor([[3.0, 6.0]]))
    tensor([[1., 1.]])
    >>> layer.inverse(torch.tensor([[1.0, 1.0]]))
    tensor([[3., 6.]])
    >>> round(float(layer.log_abs_det_jacobian()), 4)  # -log 2 - log 4
    -2.0794
    """

    def __init__(self, n_features):
        super().__init__()
        self.register_buffer("shift", torch.zeros(n_features, dtype=torch.float64))
        self.register_buffer("scale", torch.ones(n_features, dtype=torch.float64))
        # -sum(log scale), kept with the statistics: every scored batch adds it.
        self.register_buffer("log_det", torch.zeros((), dtype=torch.float64))

    def reset_parameters(self):
        """Make the map the identity again, in place."""
        with torch.no_grad():
            self.shift.zero_()
            self.scale.fill_(1.0)
            self.log_det.zero_()

    def set_statistics(self, shift, scale):
        """Copy in the per-feature ``shift`` and (positive) ``scale``.

        Parameters
        ----------
        shift, scale : Tensor or array-like of shape (n_features,)
            Offset subtracted from each feature, and what it is then divided by.
        """
        with torch.no_grad():
            self.shift.copy_(torch.as_tensor(shift, dtype=self.shift.dtype))
            self.scale.copy_(torch.as_tensor(scale, dtype=self.scale.dtype))
            self.log_det.copy_(-self.scale.log().sum())

    def forward(self, x):
        """Standardised rows, in ``x``'s dtype.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Rows in data units.

        Returns
        -------
        Tensor of shape (n, n_features)
            ``(x - shift) / scale``.
        """
        return (x - self.shift.to(x.dtype)).div_(self.scale.to(x.dtype))

    def inverse(self, x):
        """Rows in data units, in ``x``'s dtype.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Standardised rows.

        Returns
        -------
        Tensor of shape (n, n_features)
            ``x * scale + shift``.
        """
        return torch.addcmul(self.shift.to(x.dtype), x, self.scale.to(x.dtype))

    def log_abs_det_jacobian(self, observed=None):
        """``log |d forward(x) / dx|`` of a row: ``-sum(log scale)``, float64.

        Parameters
        ----------
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries of each row are observed; the Jacobian of a row's
            observed entries sums over those alone. None: all are.

        Returns
        -------
        Tensor of shape () or (n,)
            The log-Jacobian, the same for every row; of each row with
            ``observed``.
        """
        if observed is None:
            return self.log_det
        return observed.to(self.scale.dtype) @ -self.scale.log()
