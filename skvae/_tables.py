"""Tables for ``skvae anomaly``: read a CSV or ``.npy`` table, write the scores CSV."""

import csv
import os
import sys

import numpy as np

from ._commands import CommandError, check_file


def read_table(path, header="auto"):
    """Rows of a ``.npy`` or CSV table as floats, and its column names or None."""
    check_file(path)
    if path.suffix.lower() == ".npy":
        X, columns = _read_npy(path), None
    else:
        X, columns = _read_csv(path, header)
    if len(X) == 0:
        raise CommandError(f"{path} has no data rows")
    return X, columns


def _read_npy(path):
    try:
        X = np.load(path, allow_pickle=False)
    # MemoryError: a header that claims more values than memory holds.
    except (OSError, ValueError, EOFError, MemoryError) as exc:
        raise CommandError(f"{path} is not a readable .npy file: {exc}") from None
    if not isinstance(X, np.ndarray):  # an .npz archive under an .npy name
        raise CommandError(f"{path} is not a .npy file holding one array")
    if X.ndim != 2:
        raise CommandError(
            f"{path} holds a {X.ndim}-D array of shape {X.shape}; expected a 2-D "
            "table (rows x columns)"
        )
    if X.dtype.kind not in "biuf":
        raise CommandError(f"{path} holds {X.dtype} values, not numbers")
    return X


def _read_csv(path, header):
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            return _parse_csv(path, csv.reader(file), header)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not a UTF-8 text file: {exc}") from None


def _parse_csv(path, reader, header):
    """Float rows and column names (or None) of a CSV file; blank lines skipped."""
    columns, rows, n_cells = None, [], None
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            line = reader.line_num
            if n_cells is None:
                n_cells = len(cells)
                if header == "yes" or (
                    header == "auto" and not any(map(_is_number, cells))
                ):
                    columns = [cell.strip() for cell in cells]
                    continue
            if len(cells) != n_cells:
                raise CommandError(
                    f"{path}: line {line} has {len(cells)} cells, expected {n_cells}"
                )
            rows.append(
                [_number(path, line, i, cell) for i, cell in enumerate(cells, 1)]
            )
    except csv.Error as exc:
        raise CommandError(f"{path}, line {reader.line_num}: {exc}") from None
    return np.array(rows, dtype=np.float64).reshape(len(rows), n_cells or 0), columns


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _number(path, line, column, cell):
    try:
        return float(cell)
    except ValueError:
        raise CommandError(
            f"{path}: line {line}, column {column}: {cell!r} is not a number"
        ) from None


def write_scores(scores, outliers, path=None):
    """Write the CSV ``row,score,is_outlier`` to ``path``, or to stdout when None.

    Return False when stdout's reader stopped early (e.g. ``head``), which is not
    an error, and True once every line is written.
    """
    lines = ["row,score,is_outlier\n"] + [
        f"{row},{float(score)!r},{int(outlier)}\n"
        for row, (score, outlier) in enumerate(zip(scores, outliers, strict=True))
    ]
    if path is None:
        try:
            sys.stdout.writelines(lines)
            sys.stdout.flush()
        except BrokenPipeError:
            # Point stdout at devnull so that flushing it at exit does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return False
        return True
    try:
        with open(path, "w", encoding="utf-8", newline="") as file:
            file.writelines(lines)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    return True
