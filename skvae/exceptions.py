"""Errors and warnings skvae raises for its model files (``skvae.load``)."""


class ModelFileError(ValueError):
    """A file ``skvae.load`` refuses: not a model file, damaged, forged, or written
    by a newer skvae. Nothing in it was executed."""


class InconsistentVersionWarning(UserWarning):
    """A model file was written with other versions of skvae or its libraries.

    As scikit-learn's warning of the same name: the model may load and predict
    as before, but nothing promises it. ``library``, ``saved_version`` and
    ``current_version`` name the first difference.
    """

    def __init__(self, *, library, saved_version, current_version):
        self.library = library
        self.saved_version = saved_version
        self.current_version = current_version

    def __str__(self):
        return (
            f"This model was saved with {self.library} {self.saved_version} and is "
            f"loaded with {self.library} {self.current_version}. It may give other "
            "results or fail; refit it with the versions in use to be sure."
        )
