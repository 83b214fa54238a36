"""The torch device an estimator runs on, and whether its memory can hold a job."""

import os

import torch


def resolve_device(device):
    """Turn ``device`` into a torch device string, checking that it exists."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available here; "
            "use device='auto' or device='cpu'."
        )
    if resolved.type == "meta":
        raise ValueError(
            f"device={device!r} holds no data (it only describes shapes); use "
            "device='auto', 'cpu' or 'cuda'."
        )
    try:  # torch raises anything from AssertionError to NotImplementedError here
        torch.empty(0, device=resolved)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc
        raise ValueError(
            f"device={device!r} is not usable here ({reason}); use device='auto' "
            "or device='cpu'."
        ) from None
    return str(resolved)


def memory_bytes(device):
    """All the memory of ``device`` in bytes (not what is free now), or None
    where it cannot be told (say on Windows, or an accelerator other than CUDA)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    if device.type != "cpu":
        return None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(n_bytes, device, what, remedy):
    """Raise a ValueError when ``what`` needs more than all of ``device``'s memory.

    Asked before allocating: torch's allocator fails in its own words, or the
    system swaps, and numpy asks for the memory only after the work is done.
    """
    total = memory_bytes(device)
    if total is not None and n_bytes > total:
        raise ValueError(
            f"{what} needs {n_bytes / 2**30:,.1f} GiB of memory, more than the "
            f"{total / 2**30:,.1f} GiB the {torch.device(device).type} device has "
            f"here. {remedy}"
        )
