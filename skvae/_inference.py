"""Inference over chunks of rows, with bounded memory and chunk-free results."""

import copy
import math

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from ._device import check_memory
from ._sklearn import validate_parameter_constraints
from ._validation import check_int, from_torch, torch_can_view
from .nn import observed_entries

# Inference runs in chunks of at least batch_size rows, otherwise of up to this many
# rows and values of the widest input or output: large enough that the per-chunk
# overhead vanishes on small networks (a 64-feature table infers 3 to 5 times
# faster than in chunks of 128 rows) and the matrix products run at full speed
# (MNIST rows encode 25% faster in chunks of 1337 rows than of 334), small enough
# that memory stays bounded (narrow tables slow down past 8192 rows).
INFERENCE_ROWS, INFERENCE_VALUES = 4096, 2**20


class NonFiniteOutputError(ValueError):
    """Finite rows on which the network overflows: their outputs are not finite.

    ``rows`` are their indices and ``output`` the whole output, with NaN or
    infinite values in those rows, for callers that score such rows (as -inf)
    rather than refuse them.
    """

    def __init__(self, message, rows, output):
        super().__init__(message)
        self.rows = rows
        self.output = output


def check_finite_output(output, what):
    """``output``, or a :class:`NonFiniteOutputError` naming its non-finite rows."""
    bad = ~np.isfinite(output).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
        raise NonFiniteOutputError(
            f"{len(rows)} of {len(output)} rows (at {shown}) lie so far from the "
            f"training data that the network overflows on them: their {what} are "
            "not finite. score_samples scores such rows -inf.",
            rows,
            output,
        )
    return output


def map_chunks(module, A, fn, *, rows, device, keys=None, private=False, missing=False):
    """Stack ``fn(module, chunk, chunk_keys, observed)`` over chunks of ``rows`` of
    ``A``.

    ``chunk_keys`` is the chunk's slice of ``keys``, per-row values computed
    beforehand (None without them). ``observed`` is the mask of the chunk's
    observed entries when ``missing`` says ``A`` has NaN entries, and None when
    the chunk has none (finding them costs as much as a tenth of encoding).

    Runs in ``A``'s precision: float64 input is computed with a float64 copy of
    the module, so results do not depend on how rows are chunked. Memory beyond
    the output is that of one chunk. The chunk tensors may share memory with
    ``A``, so ``fn`` must never write to them, unless ``private``: then each
    chunk is a copy (a user's network may begin with an in-place layer, such as
    ``ReLU(inplace=True)``, which would write to the caller's array).
    """
    dtype = torch.float64 if A.dtype == np.float64 else torch.float32
    if dtype != module.dtype:
        module = copy.deepcopy(module).to(dtype)
    module.eval()
    out = None
    with torch.inference_mode():
        for start in range(0, len(A), rows):
            span = slice(start, start + rows)
            chunk = as_tensor(A[span], dtype=dtype, device=device)
            if private:
                chunk = chunk.clone()
            observed = observed_entries(chunk) if missing else None
            result = fn(module, chunk, None if keys is None else keys[span], observed)
            result = result.cpu().numpy()
            if out is None:
                shape = (len(A), *result.shape[1:])
                check_memory(
                    math.prod(shape) * result.itemsize,
                    "cpu",
                    f"An output of shape {shape}",
                    "Pass fewer rows at a time.",
                )
                out = np.empty(shape, dtype=result.dtype)
            out[span] = result
    return out


def as_tensor(array, *, dtype, device):
    """``array`` as a tensor, sharing a CPU array's memory where torch can view it,
    a copy otherwise (read-only arrays, negative strides)."""
    if not torch_can_view(array):
        array = np.array(array, order="C")  # one writeable, contiguous copy
    return torch.as_tensor(array, dtype=dtype, device=device)


class ChunkedInference(TransformerMixin):
    """The estimators' inference methods, computed over chunks of rows.

    A TransformerMixin itself: scikit-learn's ``set_output`` wraps only the
    ``transform`` of a class that defines it.

    Relies on the estimator's ``module_``, ``device_``, ``batch_size``,
    ``n_features_in_``, ``_validate_X`` and scoring hooks (``_score_batch``,
    ``_score_keys``).
    """

    # The parameters inference reads: set_params may have changed them since fit.
    _inference_params = ("batch_size",)

    @property
    def _n_features_out(self):
        return self.module_.latent_dim

    @property
    def _model_width(self):
        """Values per row as the model reads them (one-hot blocks included)."""
        return self.module_.n_features

    def _inference_rows(self, width):
        """Rows per inference chunk for arrays of ``width`` columns."""
        budget = INFERENCE_VALUES // max(width, self._model_width)
        return max(self.batch_size, min(INFERENCE_ROWS, budget))

    def _map_batches(self, A, fn, keys=None, missing=False):
        """``fn(module, chunk, chunk_keys, observed)`` over chunks of ``A``, stacked
        (see :func:`map_chunks`).

        Every inference passes here, so the parameters it reads are checked here.
        """
        names = self._inference_params
        validate_parameter_constraints(
            {name: self._parameter_constraints[name] for name in names},
            {name: getattr(self, name) for name in names},
            caller_name=type(self).__name__,
        )
        rows = self._inference_rows(A.shape[1])
        return map_chunks(
            self.module_,
            A,
            fn,
            rows=rows,
            device=self.device_,
            keys=keys,
            private=self._structure_["encoder"] is not None,
            missing=missing,
        )

    def transform(self, X):
        """Encode ``X`` into the latent space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            Latent codes, in ``X``'s float precision.
        """
        check_is_fitted(self)
        codes = self._encode_rows(*self._validate_X(X))
        return check_finite_output(codes, "codes")

    def _encode_rows(self, X, missing):
        """Latent codes of validated rows (with NaN entries when ``missing``),
        computed in batches."""
        return self._map_batches(
            X, lambda module, x, _, observed: module.code(x, observed), missing=missing
        )

    def inverse_transform(self, Z):
        """Decode latent codes back to the input space.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. from :meth:`transform`.

        Returns
        -------
        X : ndarray or DataFrame of shape (n_samples, n_features)
            The decoder's mean for each code, in the units of the training data;
            with categorical columns, the most probable category of each, and
            rows in the user's terms (a DataFrame when fitted on one).
        """
        check_is_fitted(self)
        Z = check_array(from_torch(Z), dtype=[np.float64, np.float32], input_name="Z")
        latent_dim = self._n_features_out
        if Z.shape[1] != latent_dim:
            raise ValueError(
                f"Z has {Z.shape[1]} columns, but {type(self).__name__} was fitted "
                f"with latent_dim={latent_dim}."
            )
        decoded = self._map_batches(Z, lambda module, z, *_: module.decode_mean(z))
        return self._in_user_terms(check_finite_output(decoded, "decoded rows"))

    def score_samples(self, X):
        """Log-likelihood estimate of each row, in nats (higher is more typical).

        Deterministic: a row gets the same score on every call, and in any batch,
        subset or order to within rounding.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Log-likelihood estimate of each row in nats, in the data's units;
            ``-inf`` for a row so far out that the network overflows on it.
            With categorical columns, each category counts its log-probability;
            under the Gaussian likelihood, integer columns and columns with a
            repeated value count as the normal scores of their quantiles, the
            other numbers in their own units (see ``categorical_features``).
        """
        check_is_fitted(self)
        rows = X  # as given: the numbers' log-Jacobian reads them in their units
        X, missing = self._validate_X(rows)
        scores = self._map_batches(
            X, self._score_batch, self._score_keys(X), missing=missing
        )
        scores += self._numbers_log_jacobian(rows, X)
        # A finite row far enough out overflows the network (the exponential of a
        # huge log-variance, then inf - inf): its likelihood underflows to nothing.
        # It scores -inf, the least likely row there is, never NaN.
        scores[np.isnan(scores)] = -np.inf
        return scores

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            Mean per-row log-likelihood estimate in nats.
        """
        return float(np.mean(self.score_samples(X)))

    def _sample_rng(self, n_samples, random_state):
        """The generator of a ``sample`` call, after checking ``n_samples``."""
        check_int(n_samples, "n_samples")
        # float64 codes, and rows in the module's precision and then float64.
        width = self._n_features_out + 2 * self._model_width
        check_memory(
            8 * width * n_samples,
            "cpu",
            f"sample(n_samples={n_samples})",
            "Draw fewer rows, or draw them in several calls.",
        )
        seed = self.random_state if random_state is None else random_state
        # The same check as the estimator's own random_state: numpy's names no
        # parameter ("Seed must be between 0 and 2**32 - 1").
        validate_parameter_constraints(
            {"random_state": ["random_state"]},
            {"random_state": seed},
            caller_name=f"{type(self).__name__}.sample",
        )
        return check_random_state(seed)
