"""Tests for the model summary table."""

import pytest
import torch
from torch import nn

from skvae.nn.models import AE, VAE, Posterior
from skvae.nn.summary import summarize

N_FEATURES = 10


def _conv_net():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 6 * 6, 3),
    )


def _cases():
    cases = [
        (cls(N_FEATURES, 2, hidden_dims), torch.zeros(2, N_FEATURES))
        for cls in (VAE, AE)
        for hidden_dims in ((), (8,), (16, 8), (32, 16, 8))
    ]
    return [*cases, (_conv_net(), torch.zeros(2, 1, 6, 6))]


class _Raises(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(N_FEATURES, 3)

    def forward(self, x):
        self.layer(x)
        raise RuntimeError("boom")


class _WithUnusedHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(N_FEATURES, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.body(x)


class _TupleOut(nn.Module):
    named = True

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(N_FEATURES, 2))

    def forward(self, x):
        pair = (x @ self.weight, x @ self.weight)
        return Posterior(*pair) if self.named else pair


def _row(summary, name):
    (row,) = [row for row in summary.rows if row.name == name]
    return row


@pytest.mark.parametrize("module, x", _cases())
def test_total_equals_parameter_count(module, x):
    """The total counts every parameter of the module once."""
    summary = summarize(module, x)
    assert summary.total_params == sum(p.numel() for p in module.parameters())
    assert summary.trainable_params == summary.total_params


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 10])
@pytest.mark.parametrize("module, x", _cases())
def test_column_sums_to_total(module, x, depth):
    """The Param # column sums to the total at every depth."""
    summary = summarize(module, x, depth=depth)
    assert sum(row.n_params for row in summary.rows) == summary.total_params


def test_shared_parameters_counted_once():
    """A layer registered twice is counted once."""
    layer = nn.Linear(N_FEATURES, N_FEATURES)
    module = nn.Sequential(layer, nn.ReLU(), layer)
    summary = summarize(module, torch.zeros(2, N_FEATURES))
    assert summary.total_params == sum(p.numel() for p in module.parameters()) == 110
    assert sum(row.n_params for row in summary.rows) == 110


def test_output_shapes_of_known_layers():
    """Leaf layers show their output shape with the batch dimension as -1."""
    vae = VAE(N_FEATURES, 2, (8,))
    summary = summarize(vae, torch.zeros(5, N_FEATURES))
    assert _row(summary, "encoder.layers.0").output_shape == "[-1, 8]"
    assert _row(summary, "encoder.layers.0").n_params == 88
    assert _row(summary, "mean_head").output_shape == "[-1, 2]"
    assert _row(summary, "decoder.layers.2").output_shape == "[-1, 10]"
    conv = summarize(_conv_net(), torch.zeros(2, 1, 6, 6))
    assert _row(conv, "0").output_shape == "[-1, 4, 6, 6]"
    assert _row(conv, "3").output_shape == "[-1, 144]"


def test_tuple_outputs_show_each_shape():
    """Tuples show each element's shape, NamedTuples with fields, cut when long."""
    module = _TupleOut()
    summary = summarize(module, torch.zeros(2, N_FEATURES))
    assert _row(summary, "").output_shape == "(mean: [-1, 2], logvar: [-1, 2])"
    module.named = False
    summary = summarize(module, torch.zeros(2, N_FEATURES))
    assert _row(summary, "").output_shape == "([-1, 2], [-1, 2])"
    vae = nn.Sequential(VAE(N_FEATURES, 2))
    (row,) = summarize(vae, torch.zeros(2, N_FEATURES), depth=1).rows
    assert row.output_shape.startswith("(log_px_z: [-1], kl: [-1]")
    assert row.output_shape.endswith("...") and len(row.output_shape) == 40


def test_frozen_parameters_are_non_trainable():
    """Parameters with requires_grad=False count as non-trainable."""
    vae = VAE(N_FEATURES, 2, (8,))
    vae.encoder.requires_grad_(False)
    summary = summarize(vae, torch.zeros(2, N_FEATURES))
    assert summary.trainable_params == summary.total_params - 88
    assert not _row(summary, "encoder.layers.0").trainable
    assert _row(summary, "mean_head").trainable
    assert "Non-trainable params: 88" in str(summary)


@pytest.mark.parametrize("make", [lambda: VAE(N_FEATURES, 2, (8,)), _Raises])
def test_training_flags_and_hooks_restored(make):
    """Training flags and hooks are restored, also when forward raises."""
    module = make()
    module.train()
    next(module.children()).eval()
    flags = [sub.training for sub in module.modules()]
    try:
        summarize(module, torch.zeros(2, N_FEATURES))
    except RuntimeError as error:
        assert str(error) == "boom"
    assert [sub.training for sub in module.modules()] == flags
    assert not any(sub._forward_hooks for sub in module.modules())


def test_raising_forward_propagates():
    """An error raised by forward reaches the caller."""
    with pytest.raises(RuntimeError, match="boom"):
        summarize(_Raises(), torch.zeros(2, N_FEATURES))


def test_global_random_stream_untouched():
    """Summarising a VAE, whose forward draws noise, leaves torch's RNG as it was."""
    vae = VAE(N_FEATURES, 2)
    torch.manual_seed(0)
    summarize(vae, torch.zeros(2, N_FEATURES))
    after = torch.rand(1)
    torch.manual_seed(0)
    assert torch.equal(after, torch.rand(1))


def test_uncalled_submodules_listed():
    """Submodules that forward never calls are listed with "--" and their params."""
    summary = summarize(_WithUnusedHead(), torch.zeros(2, N_FEATURES))
    head = _row(summary, "head")
    assert head.output_shape == "--"
    assert head.n_params == 10
    assert summary.total_params == 54


def test_rendered_table_names_layers_and_totals():
    """The table names every layer and shows totals with thousands separators."""
    vae = VAE(784, 2, (400,))
    summary = summarize(vae, torch.zeros(2, 784))
    text = str(summary)
    assert text == repr(summary)
    for row in summary.rows:
        assert f"{row.name.rpartition('.')[2]} ({row.layer})" in text
    total = sum(p.numel() for p in vae.parameters())
    assert f"Total params: {total:,}" in text and "," in f"{total:,}"
    assert f"Trainable params: {total:,}" in text
    assert not any(line != line.rstrip() for line in text.splitlines())


def test_buffers_mentioned_in_footer():
    """Buffer elements get a footer line only when the module has buffers."""
    assert "Buffer elements (not params): 9" in str(
        summarize(_conv_net(), torch.zeros(2, 1, 6, 6))
    )
    assert "Buffer" not in str(summarize(nn.Linear(3, 2), torch.zeros(2, 3)))


@pytest.mark.parametrize(
    "depth, names",
    [
        (0, [""]),
        (1, ["standardize", "encoder", "decoder", "likelihood", "code_head"]),
        (
            2,
            [
                "standardize",
                "encoder",
                "encoder.layers",
                "decoder",
                "decoder.layers",
                "likelihood",
                "code_head",
            ],
        ),
    ],
)
def test_depth_limits_rows(depth, names):
    """Only submodules up to depth levels below the root get rows."""
    ae = AE(N_FEATURES, 2, (8,))
    summary = summarize(ae, torch.zeros(2, N_FEATURES), depth=depth)
    assert [row.name for row in summary.rows] == names


def test_negative_depth_raises():
    """A negative depth is a clear error."""
    with pytest.raises(ValueError, match="depth must be >= 0"):
        summarize(nn.Linear(3, 2), torch.zeros(2, 3), depth=-1)


def test_root_with_own_parameters_gets_a_row():
    """A root that owns parameters directly is listed as "(root)"."""
    summary = summarize(nn.Linear(3, 4), torch.zeros(2, 3))
    assert [(row.name, row.output_shape, row.n_params) for row in summary.rows] == [
        ("", "[-1, 4]", 16)
    ]
    assert "(root) (Linear)" in str(summary)
