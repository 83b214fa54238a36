"""Rows with missing entries: which are observed, and sums over those alone.

A density model trained and scored on the observed entries of each row is the
setting of MIWAE (Mattei & Frellsen 2019): the missing entries are left out of
``log p(x | z)``, which is then ``log p(x_obs | z)``, and the encoder reads them
as zeros.
"""

__all__ = ["observed_entries", "observed_sum"]


def observed_entries(x):
    """Mask of the entries of ``x`` that are not NaN; None when all are.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Rows, NaN where an entry is missing.

    Returns
    -------
    Tensor of bool, shape (n, n_features), or None
        True where an entry is observed; None when nothing is missing, which the
        modules read as "all observed" at no cost.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import observed_entries
    >>> observed_entries(torch.tensor([[1.0, float("nan")]]))
    tensor([[ True, False]])
    >>> observed_entries(torch.zeros(2, 3)) is None
    True
    """
    missing = x.isnan()
    return None if not missing.any() else missing.logical_not_()


def observed_sum(values, observed):
    """Sum of each row's ``values`` over its observed entries (all when None).

    A masked entry adds nothing and passes no gradient back, whatever its value;
    it must still be finite, as a gradient of 0 times NaN is NaN.

    Parameters
    ----------
    values : Tensor of shape (..., n_features)
        Per-entry terms, e.g. log-densities.
    observed : Tensor of bool, broadcastable with ``values``, or None
        Which entries count.

    Returns
    -------
    Tensor of shape (...)
        The sums.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import observed_sum
    >>> observed_sum(torch.tensor([[1.0, 2.0]]), torch.tensor([[True, False]]))
    tensor([1.])
    """
    if observed is None:
        return values.sum(-1)
    return values.where(observed, 0.0).sum(-1)
