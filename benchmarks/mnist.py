"""Training speed and quality of skvae on MNIST against a hand-written PyTorch loop.

The classic VAE of Kingma & Welling (2013) and PyTorch's ``examples/vae``: an MLP
784-400-20 with a Bernoulli likelihood, trained with Adam (lr 1e-3) in batches of
128 on dynamically binarised training images (fresh 0/1 pixels every epoch). With
``--architecture conv`` the same for skvae's convolutional VAE (image_shape
1x28x28). skvae is ``VAETransformer(..., binarize=True)``; the reference trains a
second copy of the same ``skvae.nn.VAE`` module in a plain loop: a shuffled tensor
cut into slices, ``torch.bernoulli`` per batch, the negative ELBO, a step.

The two are interleaved epoch by epoch in one process, since this host flips
between fast and slow modes: a skorch callback runs one reference epoch after
each skvae epoch. A skvae epoch is the wall time between two reference epochs,
so it includes all of skorch's per-epoch work (callbacks, history, logging).

Measured:

- seconds per epoch, median of epochs 2..N; the ratio skvae / reference is the
  median over epochs 2..N of each skvae epoch over the reference epoch right
  after it (paired, so a slow spell of the host hits both; judged against
  ``TARGETS["training"]``), with the ratio of the medians and of the fastest
  epochs shown too;
- achieved GFLOP/s (matmul and convolution FLOPs of a training step, forward and
  backward, counted by ``torch.utils.flop_counter``) against the GFLOP/s of a
  large float32 matmul measured on the same machine in the same run;
- epoch time at the end of the run against epoch 3 (median of epochs 28-30 over
  median of 2-4 for 30 epochs), for both. The host's slow spells move both
  loops alike, so a creeping slow-down of skvae's own is skvae's ratio over the
  reference's (``TARGETS["long_run"]``); the raw ratios are shown too;
- the test negative log-likelihood after ``--quality-epoch`` epochs: the
  importance-weighted bound (Burda et al. 2015) with k=1000 on the first 2000
  test images, binarised once with seed 0. skvae's model is scored by its own
  ``score_samples`` (``n_importance_samples=1000``) and both models by a
  hand-written bound in this file, which also cross-checks skvae's scores.

Run from anywhere (MNIST is read from ``../shared/data/mnist`` next to the
repository root; nothing is downloaded)::

    python benchmarks/mnist.py                      # MLP, 30 epochs
    python benchmarks/mnist.py --architecture conv --epochs 10
    python benchmarks/mnist.py --quick              # smoke test, 3000 rows

A standalone script: the test suite never imports or runs it.
"""

import copy
import math
import statistics
import time

import numpy as np
import torch
from _harness import (
    DATA_HOME,
    Run,
    epoch_median,
    make_parser,
    parse_args,
    per_round,
    protocol_of,
    ratio_table,
    reference_epoch,
    summary_row,
)
from skorch.callbacks import Callback
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from skvae import VAETransformer
from skvae.datasets import fetch_mnist
from skvae.nn import VAE, ConvDecoder, ConvEncoder

IMAGE_SHAPE = (1, 28, 28)
LATENT_DIM = 20
MLP_HIDDEN = (400,)
BATCH_SIZE = 128
LR = 1e-3
# Test images are binarised and scored with fixed draws, whatever --seed trains with.
EVAL_SEED = 0


# -- the two trainers ---------------------------------------------------------


def make_estimator(architecture, epochs, callbacks, seed):
    """The skvae estimator of the benchmark."""
    shape = {"architecture": "conv", "image_shape": IMAGE_SHAPE}
    return VAETransformer(
        latent_dim=LATENT_DIM,
        hidden_dims=MLP_HIDDEN if architecture == "mlp" else "auto",
        likelihood="bernoulli",
        binarize=True,
        max_epochs=epochs,
        batch_size=BATCH_SIZE,
        lr=LR,
        callbacks=callbacks,
        device="cpu",
        random_state=seed,
        **(shape if architecture == "conv" else {}),
    )


def make_module(architecture):
    """The same network as the estimator's, built from skvae.nn directly."""
    n_features = math.prod(IMAGE_SHAPE)
    if architecture == "mlp":
        return VAE(
            n_features, LATENT_DIM, hidden_dims=MLP_HIDDEN, likelihood="bernoulli"
        )
    return VAE(
        n_features,
        LATENT_DIM,
        likelihood="bernoulli",
        encoder=ConvEncoder(IMAGE_SHAPE),
        decoder=ConvDecoder(LATENT_DIM, IMAGE_SHAPE),
    )


class ReferenceLoop:
    """A hand-written training loop, run one epoch at a time."""

    def __init__(self, architecture, rows, seed):
        torch.manual_seed(seed + 1)
        self.rows = rows
        self.module = make_module(architecture)
        self.optimizer = torch.optim.Adam(self.module.parameters(), lr=LR)
        self.generator = torch.Generator().manual_seed(seed + 1)

    def epoch(self):
        """Train one epoch; return its wall time in seconds."""
        return reference_epoch(
            self.module,
            self.optimizer,
            self.rows,
            BATCH_SIZE,
            generator=self.generator,
            binarize=True,
        )


class Interleave(Callback):
    """After each skvae epoch, run one reference epoch; time both.

    skvae's epoch is the wall time since the previous reference epoch ended, so
    everything skorch does per epoch counts. At ``snapshot_epoch`` both modules'
    weights are copied, to score them after the run.
    """

    def __init__(self, reference, snapshot_epoch):
        self.reference = reference
        self.snapshot_epoch = snapshot_epoch

    def initialize(self):
        self.skvae_s_, self.reference_s_, self.snapshots_ = [], [], {}
        return self

    def on_train_begin(self, net, **kwargs):
        self.mark_ = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        self.skvae_s_.append(time.perf_counter() - self.mark_)
        self.reference_s_.append(self.reference.epoch())
        if len(net.history) == self.snapshot_epoch:
            self.snapshots_ = {
                "skvae": copy.deepcopy(net.module_.state_dict()),
                "reference": copy.deepcopy(self.reference.module.state_dict()),
            }
        self.mark_ = time.perf_counter()


# -- measures -------------------------------------------------------------------


def flops_per_row(module, n_features):
    """Matmul/conv FLOPs of one training step (forward and backward), per row."""
    module = copy.deepcopy(module).train()
    x = torch.rand(BATCH_SIZE, n_features).bernoulli()
    counter = FlopCounterMode(display=False)
    with counter:
        out = module(x, torch.randn(BATCH_SIZE, LATENT_DIM))
        (-(out.log_px_z - out.kl).mean()).backward()
    return counter.get_total_flops() / BATCH_SIZE


def matmul_peak_gflops(size=2048, repeats=10):
    """Best GFLOP/s of a square float32 matmul on this machine and thread count."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


@torch.inference_mode()
def hand_iwae_nll(module, X, k, rows_per_pass=1024):
    """Mean of ``-log (1/k) sum_j p(x, z_j) / q(z_j | x)`` over rows, by hand.

    Independent of skvae's own bound: torch's BCE and the Gaussian densities
    written out, draws from a generator seeded here.
    """
    module.eval()
    generator = torch.Generator().manual_seed(EVAL_SEED)
    x_all = torch.as_tensor(X, dtype=torch.float32)
    per_pass = max(1, rows_per_pass // k)
    total = 0.0
    for x in x_all.split(per_pass):
        mean, logvar = module.encode(x)
        std = torch.exp(0.5 * logvar)
        eps = torch.randn(len(x), k, LATENT_DIM, generator=generator)
        z = mean[:, None] + std[:, None] * eps
        logits = module.decode(z.reshape(-1, LATENT_DIM)).reshape(len(x), k, -1)
        target = x[:, None].expand_as(logits)
        log_px_z = -F.binary_cross_entropy_with_logits(
            logits, target, reduction="none"
        ).sum(-1)
        log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
        log_qz = torch.distributions.Normal(mean[:, None], std[:, None]).log_prob(z)
        log_w = log_px_z + log_pz - log_qz.sum(-1)
        total += float((torch.logsumexp(log_w, 1) - math.log(k)).sum())
    return -total / len(X)


# -- one architecture ---------------------------------------------------------------


def run_architecture(architecture, X_train, X_test, args):
    """Train both, interleaved; return (table rows, summary rows, JSON record)."""
    rows = torch.as_tensor(X_train, dtype=torch.float32)
    reference = ReferenceLoop(architecture, rows, args.seed)
    interleave = Interleave(reference, args.quality_epoch)
    estimator = make_estimator(
        architecture, args.epochs, [("interleave", interleave)], args.seed
    )
    peak_before = matmul_peak_gflops()
    start = time.perf_counter()
    estimator.fit(X_train)
    fit_s = time.perf_counter() - start
    peak = max(peak_before, matmul_peak_gflops())
    callback = dict(estimator.net_.callbacks_)["interleave"]
    times = {"skvae": callback.skvae_s_, "reference": callback.reference_s_}

    epoch = {m: epoch_median(t) for m, t in times.items()}
    fastest = {m: min(t[1:] or t) for m, t in times.items()}
    paired = per_round(times["skvae"][1:], times["reference"][1:])
    per_row = flops_per_row(reference.module, X_train.shape[1])
    gflops = {m: per_row * len(X_train) / epoch[m] / 1e9 for m in times}
    record = {
        "epochs": args.epochs,
        "fit_s": fit_s,
        "epoch_s": times,
        "median_epoch_s": epoch,
        "epoch_ratio": epoch["skvae"] / epoch["reference"],
        "paired_epoch_ratio_median": statistics.median(paired),
        "fastest_epoch_ratio": fastest["skvae"] / fastest["reference"],
        "flops_per_training_row": per_row,
        "achieved_gflops": gflops,
        "matmul_peak_gflops": peak,
    }
    label = f"MNIST {architecture}"
    summary = [
        summary_row(
            label,
            "epoch time skvae / reference (paired median)",
            record["paired_epoch_ratio_median"],
            "training",
        )
    ]
    table = {
        "case": label,
        "ref s/epoch": epoch["reference"],
        "skvae s/epoch": epoch["skvae"],
        "paired ratio": record["paired_epoch_ratio_median"],
        "ratio of medians": record["epoch_ratio"],
        "ratio of fastest": record["fastest_epoch_ratio"],
        "ref GFLOP/s": gflops["reference"],
        "skvae GFLOP/s": gflops["skvae"],
        "peak GFLOP/s": peak,
    }

    if args.epochs >= 30:
        late = (args.epochs - 2, args.epochs)
        long_run = {
            m: epoch_median(t, *late) / epoch_median(t, 2, 4) for m, t in times.items()
        }
        relative = long_run["skvae"] / long_run["reference"]
        record["late_over_epoch3"] = {**long_run, "skvae_over_reference": relative}
        table[f"skvae e{args.epochs}/e3"] = long_run["skvae"]
        table[f"ref e{args.epochs}/e3"] = long_run["reference"]
        summary.append(
            summary_row(
                label,
                f"epoch {args.epochs} / epoch 3 time, skvae's over the reference's",
                relative,
                "long_run",
            )
        )
        summary.append(
            summary_row(
                label,
                f"epoch {args.epochs} / epoch 3 time, skvae (reference "
                f"{long_run['reference']:.3f})",
                long_run["skvae"],
            )
        )

    if args.k and callback.snapshots_:
        record["nll"] = score_snapshots(estimator, reference, callback, X_test, args)
        nll = record["nll"]
        gap = nll["skvae_hand"] - nll["reference_hand"]
        table["ref NLL"] = nll["reference_hand"]
        table["skvae NLL"] = nll["skvae_score_samples"]
        summary.append(
            summary_row(
                label,
                f"test NLL gap skvae - reference after {args.quality_epoch} "
                f"epochs (nats; {nll['reference_hand']:.2f} reference)",
                gap,
                "nll_gap",
            )
        )
    return table, summary, record


def score_snapshots(estimator, reference, callback, X_test, args):
    """Test NLLs of both models' weights at the quality epoch."""
    skvae_module = copy.deepcopy(estimator.module_)
    skvae_module.load_state_dict(callback.snapshots_["skvae"])
    reference_module = copy.deepcopy(reference.module)
    reference_module.load_state_dict(callback.snapshots_["reference"])
    scorer = copy.deepcopy(estimator).set_params(n_importance_samples=args.k)
    scorer.net_.module_.load_state_dict(callback.snapshots_["skvae"])
    start = time.perf_counter()
    nll = {"skvae_score_samples": -float(scorer.score_samples(X_test).mean())}
    nll["score_samples_s"] = time.perf_counter() - start
    nll["skvae_hand"] = hand_iwae_nll(skvae_module, X_test, args.k)
    nll["reference_hand"] = hand_iwae_nll(reference_module, X_test, args.k)
    nll.update(epoch=args.quality_epoch, k=args.k, n_test=len(X_test))
    return nll


def load_data(n_train, n_test):
    """Training images in [0, 1] and test images binarised once with seed 0."""
    X_train, _ = fetch_mnist(
        data_home=DATA_HOME, subset="train", download_if_missing=False, return_X_y=True
    )
    X_test, _ = fetch_mnist(
        data_home=DATA_HOME, subset="test", download_if_missing=False, return_X_y=True
    )
    X_test = X_test[:n_test]
    binary = np.random.default_rng(EVAL_SEED).random(X_test.shape) < X_test
    return X_train[:n_train].astype(np.float32), binary.astype(np.float32)


def main(argv=None):
    parser = make_parser(__doc__, threads=2)
    parser.add_argument(
        "--architecture", choices=["mlp", "conv"], nargs="+", default=["mlp"]
    )
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument(
        "--quality-epoch", type=int, default=10, help="epoch whose weights are scored"
    )
    parser.add_argument("--k", type=int, default=1000, help="draws per test image")
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-test", type=int, default=2000)
    quick = {"n_train": 3000, "n_test": 200, "epochs": 3, "quality_epoch": 3, "k": 20}
    args = parse_args(parser, argv, quick=quick)
    run = Run(args)
    X_train, X_test = load_data(args.n_train, args.n_test)
    print(
        f"{len(X_train)} training images, {args.epochs} epochs, batch {BATCH_SIZE}, "
        f"skvae and reference interleaved epoch by epoch; NLL after "
        f"{args.quality_epoch} epochs, k={args.k}, {len(X_test)} test images\n"
    )
    summaries, records = [], {}
    for architecture in args.architecture:
        table, summary, record = run_architecture(architecture, X_train, X_test, args)
        summaries += summary
        records[architecture] = record
        ratio_table([table])
    name = "_".join(["mnist", *args.architecture])
    name = "mnist" if name == "mnist_mlp" else name  # and mnist_conv, mnist_mlp_conv
    run.write(
        name,
        protocol=protocol_of(__doc__),
        results=records,
    )
    return summaries


if __name__ == "__main__":
    main()
