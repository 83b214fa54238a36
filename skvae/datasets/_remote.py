"""Fetch files once and check them against published SHA-256 digests."""

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

__all__ = ["download", "ensure_files", "sha256"]

logger = logging.getLogger(__name__)

# A module attribute, so that tests can serve files without the network.
_urlopen = urllib.request.urlopen


def sha256(path):
    """Return the SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(url, path, expected):
    """Download ``url`` to ``path``, which must then have digest ``expected``."""
    # Write to a temporary file in the same folder and rename it only once its
    # digest is right, so an interrupted or corrupted download never sits at
    # ``path`` looking like a good file.
    logger.info("Downloading %s to %s", url, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(tmp)
    try:
        try:
            with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=60) as response:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            raise OSError(
                f"Could not download {url} ({exc}). Without network access, "
                f"download the files elsewhere and place them in {path.parent}."
            ) from exc
        actual = sha256(tmp)
        if actual != expected:
            raise OSError(
                f"The file downloaded from {url} has SHA-256 {actual}, expected "
                f"{expected}; it was discarded. Try again, or place the file at "
                f"{path} by hand."
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_files(folder, digests, base_url, download_if_missing, caller):
    """Check the files named in ``digests`` in ``folder``, downloading missing ones.

    Parameters
    ----------
    folder : Path
        Folder holding the files.
    digests : dict of str to str
        SHA-256 hex digest of each file, by file name.
    base_url : str
        URL prefix to which a file name is appended to download it.
    download_if_missing : bool
        If False, a missing file is an ``OSError`` rather than a download.
    caller : str
        Name of the public function, for the error messages.
    """
    missing = [folder / name for name in digests if not (folder / name).is_file()]
    if missing and not download_if_missing:
        raise OSError(
            "Data not found and `download_if_missing` is False; missing: "
            + ", ".join(str(path) for path in missing)
        )
    for name, expected in digests.items():
        path = folder / name
        if path in missing:
            download(base_url + name, path, expected)
            continue
        actual = sha256(path)
        if actual != expected:
            raise OSError(
                f"{path} has SHA-256 {actual}, expected {expected}: it is "
                f"corrupted or not the published file. Delete it and call "
                f"{caller} again to download it afresh."
            )
