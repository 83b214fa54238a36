"""Data-parallel fits with Hugging Face Accelerate, through skorch's AccelerateMixin.

Experimental, as skorch's mixin is. Each process of an ``accelerate launch`` fits
on all the rows: every process builds the same seeded model, holds out the same
validation rows and shuffles them the same way, then trains on its own share of
each epoch's batches while DistributedDataParallel (prepared by the accelerator)
averages the gradients. skorch's ``DistributedHistory`` merges the processes'
batch records, so every process reads the same epoch losses and takes the same
early-stopping, schedule and divergence decisions. After training, the net is
detached: the plain net it extends, holding the unwrapped module and no
accelerator, which pickles and saves as a single-process fit does.

``accelerate`` is never imported here before an Accelerator is passed: an
instance means the package is loaded already.
"""

import os
import sys
from importlib.util import find_spec
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from skorch.hf import AccelerateMixin
from skorch.history import DistributedHistory

from ._net import AutoencoderNet, VAENet
from ._sklearn import HasMethods

# What accelerate runs that is not data parallel: each would need the model,
# optimizer and batches prepared otherwise.
_REFUSED = ("DEEPSPEED", "FSDP", "MEGATRON_LM", "XLA")


class AcceleratorInstance(HasMethods):
    """Instances of ``accelerate.Accelerator``, checked without importing accelerate:
    an instance means it is imported already."""

    def __init__(self):
        super().__init__(["prepare", "unwrap_model"])

    def is_satisfied_by(self, val):
        accelerate = sys.modules.get("accelerate")
        return accelerate is not None and isinstance(val, accelerate.Accelerator)

    def __str__(self):
        missing = find_spec("accelerate") is None
        return "an accelerate.Accelerator instance" + (
            " (accelerate is not installed: pip install accelerate)" if missing else ""
        )


class AcceleratedAutoencoderNet(AccelerateMixin, AutoencoderNet):
    """:class:`AutoencoderNet` trained through an ``accelerate.Accelerator``."""


class AcceleratedVAENet(AccelerateMixin, VAENet):
    """:class:`VAENet` trained through an ``accelerate.Accelerator``."""


_ACCELERATED = {
    AutoencoderNet: AcceleratedAutoencoderNet,
    VAENet: AcceleratedVAENet,
}
_PLAIN = {accelerated: plain for plain, accelerated in _ACCELERATED.items()}


def accelerated_device(accelerator, device):
    """The device ``accelerator`` trains this process on, once checked that the
    estimator leaves the device and the batches to it."""
    if not (isinstance(device, str) and device == "auto"):
        raise ValueError(
            f"device={device!r} was given with an accelerator, which places the "
            f"model itself (on {accelerator.device} in this process); leave "
            "device='auto'."
        )
    kind = str(getattr(accelerator.distributed_type, "value", ""))
    if kind in _REFUSED:
        raise ValueError(
            f"The accelerator runs {kind}; skvae trains data-parallel only "
            "(DistributedDataParallel, or one process)."
        )
    if accelerator.split_batches or not accelerator.even_batches:
        raise ValueError(
            "skvae shards its batches as accelerate does by default "
            "(split_batches=False, even_batches=True): each process takes its "
            "own batch_size rows a step. Leave the accelerator's "
            "DataLoaderConfiguration at those values."
        )
    device = accelerator.device
    # A CPU data-parallel fit runs on "cpu:0", which torch.load cannot map back.
    return "cpu" if device.type == "cpu" else str(device)


def shared_random_state(random_state, accelerator):
    """The ``random_state`` that every process of ``accelerator`` spawns its seeds
    from: the main process's (an int drawn from it unless it is one), so that
    the processes agree with ``random_state=None`` too. With one process,
    ``random_state`` itself.
    """
    if accelerator.num_processes == 1:
        return random_state
    from accelerate.utils import broadcast_object_list

    if not isinstance(random_state, Integral):
        random_state = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return broadcast_object_list([int(random_state)], from_process=0)[0]


def accelerated_net(net_class, accelerator, device):
    """The net class and the net's parameters of a fit through ``accelerator``, on
    ``device`` (:func:`accelerated_device`'s).

    The module is unwrapped once the training call has ended (:func:`detached`),
    after early stopping has put back its best weights, which were read from the
    wrapped module. Only the main process prints.
    """
    params = {
        "accelerator": accelerator,
        "unwrap_after_train": False,
        # skorch leaves the device to an accelerator that places the model.
        "device": None if accelerator.device_placement else device,
        "callbacks__print_log__sink": print if accelerator.is_main_process else _quiet,
        "iterator_train__process_index": accelerator.process_index,
        "iterator_train__num_processes": accelerator.num_processes,
    }
    if accelerator.num_processes > 1:
        params["history"] = DistributedHistory(
            store=_store(accelerator),
            rank=accelerator.process_index,
            world_size=accelerator.num_processes,
        )
    return _ACCELERATED[net_class], params


def _quiet(*args, **kwargs):
    """The print of the processes other than the main one."""


def _store(accelerator):
    """A new TCPStore for one fit's batch records, served by the main process on a
    free port that it tells the others."""
    from accelerate.utils import broadcast_object_list
    from torch.distributed import TCPStore

    host = os.environ.get("MASTER_ADDR", "127.0.0.1")
    if accelerator.is_main_process:
        store = TCPStore(host, 0, is_master=True)  # port 0: a free one
        broadcast_object_list([store.port], from_process=0)
        return store
    port = broadcast_object_list([None], from_process=0)[0]
    return TCPStore(host, port, is_master=False)


# AccelerateMixin's attributes, and the sharding of the training batches.
_ACCELERATED_ONLY = (
    "accelerator",
    "unwrap_after_train",
    "_wrapped_with_accelerator",
    "callbacks__print_log__sink",
    "iterator_train__process_index",
    "iterator_train__num_processes",
)


def detached(net, device):
    """The trained ``net`` as the plain net it extends, on ``device``.

    Its module unwrapped (``accelerator.unwrap_model``), its optimizer the
    torch one, its history the merged records and nothing of the
    accelerator, so it pickles, saves and trains on in one process as a net that
    never had one. A net without an accelerator is returned as it is.
    """
    if not isinstance(net, AccelerateMixin):
        return net
    accelerator = net.accelerator
    history = net.history
    if isinstance(history, DistributedHistory):
        history = history.history  # synced: every process's records
    accelerator.wait_for_everyone()  # no process reads the store any more
    plain = object.__new__(_PLAIN[type(net)])
    vars(plain).update(
        {k: v for k, v in vars(net).items() if k not in _ACCELERATED_ONLY}
    )
    # The losses are no modules: accelerate prepared the module and optimizer.
    plain.module_ = accelerator.unwrap_model(net.module_, keep_fp32_wrapper=False)
    if accelerator.num_processes > 1:
        from accelerate.utils import broadcast

        # Batch norm's running statistics follow each process's last batches (and
        # early stopping's best epoch); the main process's, which
        # DistributedDataParallel hands the others before each pass, are the
        # model's.
        for buffer in plain.module_.buffers():
            buffer.copy_(broadcast(buffer, from_process=0))
    plain.optimizer_ = net.optimizer_.optimizer  # under accelerate's wrapper
    plain.history = history
    plain.device = device
    dict(plain.callbacks_)["print_log"].sink = print
    return plain
