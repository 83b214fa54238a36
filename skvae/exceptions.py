"""Errors and warnings skvae raises for its model files (``skvae.load``)."""

__all__ = ["InconsistentVersionWarning", "ModelFileError"]


class ModelFileError(ValueError):
    """A file :func:`skvae.load` refuses.

    The file is not a skvae model file, or it is damaged, forged, or written by a
    newer skvae. Nothing in it was executed. The message names the problem.

    See Also
    --------
    skvae.load : Read a model file, checking it first.

    Examples
    --------
    >>> import skvae
    >>> from skvae.exceptions import ModelFileError
    >>> path = getfixture("tmp_path") / "notes.skvae"
    >>> _ = path.write_text("not a model")
    >>> try:
    ...     skvae.load(path)
    ... except ModelFileError as error:
    ...     print(type(error).__name__)
    ModelFileError
    """


class InconsistentVersionWarning(UserWarning):
    """A model file was written with other versions of skvae or its libraries.

    As scikit-learn's warning of the same name: the model may load and predict
    as before, but nothing promises it. Refit it with the versions in use to be
    sure.

    Parameters
    ----------
    library : str
        The first library whose version differs, e.g. ``"torch"``.
    saved_version : str
        Its version when the file was written.
    current_version : str
        Its version now.

    See Also
    --------
    skvae.load : Read a model file, checking it first.

    Examples
    --------
    >>> import warnings
    >>> from skvae.exceptions import InconsistentVersionWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn(InconsistentVersionWarning(
    ...         library="torch", saved_version="2.2.0", current_version="2.13.0"))
    >>> caught[0].category.__name__
    'InconsistentVersionWarning'
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
