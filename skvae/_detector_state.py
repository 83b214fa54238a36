"""What a fitted outlier detector keeps in a model file (``skvae.save``): its
model, score and threshold, and how they are put back after checks."""

import numpy as np
import torch

from ._serial import (
    ModelFileError,
    float64_spec,
    from_json,
    read_choice,
    read_dict,
    read_float,
    to_json,
)


class SavedDetector:
    """Mixin of the outlier detector: its fitted model and threshold."""

    def _saved_state(self, store):
        scale = self.error_scale_
        if scale is not None:
            prefix = store.tensors.prefix()
            store.tensors.add(prefix, {"error_scale_": torch.from_numpy(scale)})
        return {
            "estimator_": store.encode(self.estimator_, "estimator_"),
            "score_by_": self.score_by_,
            "offset_": to_json(self.offset_, "offset_"),
            "error_scale_": None if scale is None else prefix,
        }

    def _restore_state(self, state, store, device):
        keys = ("estimator_", "score_by_", "offset_", "error_scale_")
        # Files from before categorical columns have no "columns".
        keys += ("columns",) * ("columns" in state if isinstance(state, dict) else 0)
        state = read_dict(state, "fitted", keys)
        estimator = store.decode(state["estimator_"], "estimator_")
        n_features = getattr(estimator, "n_features_in_", None)
        if n_features is None:
            raise ModelFileError("estimator_ is not fitted.")
        scores = {"likelihood", "reconstruction"}
        self.score_by_ = read_choice(state["score_by_"], "score_by_", scores)
        self.offset_ = read_float(from_json(state["offset_"], "offset_"), "offset_")
        prefix = state["error_scale_"]
        self.error_scale_ = None
        if prefix is not None:
            if not isinstance(prefix, str):
                raise ModelFileError("error_scale_ is not a name prefix.")
            spec = {"error_scale_": float64_spec((n_features,))}
            scale = store.tensors.take(prefix, spec, "error_scale_")["error_scale_"]
            scale = scale.numpy().copy()
            if not (np.isfinite(scale) & (scale > 0)).all():
                raise ModelFileError("error_scale_ holds values that are not positive.")
            self.error_scale_ = scale
        self.estimator_ = estimator
