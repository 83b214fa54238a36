"""Fully connected encoder trunk and decoder, sized from plain integers."""

from torch import nn

__all__ = ["MLPDecoder", "MLPEncoder"]


def _stack(in_features, hidden_dims):
    layers = []
    for width in hidden_dims:
        layers += [nn.Linear(in_features, width), nn.ReLU()]
        in_features = width
    return nn.Sequential(*layers), in_features


class MLPEncoder(nn.Module):
    """Maps ``n_features`` inputs through ReLU layers of widths ``hidden_dims``.

    With ``hidden_dims=()`` it is the identity, so a linear head on top gives a
    linear encoder. ``out_features`` is the width of the last layer.

    Parameters
    ----------
    n_features : int
        Input width.
    hidden_dims : tuple of int, default=()
        Widths of the hidden layers.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import MLPEncoder
    >>> encoder = MLPEncoder(10, (32, 16))
    >>> encoder.out_features, encoder(torch.zeros(4, 10)).shape
    (16, torch.Size([4, 16]))
    """

    def __init__(self, n_features, hidden_dims=()):
        super().__init__()
        self.layers, self.out_features = _stack(n_features, hidden_dims)

    def forward(self, x):
        """Apply the hidden layers to a batch of rows.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        Tensor of shape (n, out_features)
            Activations of the last hidden layer, or ``x`` itself when
            ``hidden_dims`` is empty.
        """
        return self.layers(x)


class MLPDecoder(nn.Module):
    """Maps a latent code to one output per feature through ReLU layers.

    ``hidden_dims`` is given in encoder order and mirrored, so the same tuple
    describes both halves of an autoencoder.

    Parameters
    ----------
    latent_dim : int
        Input (code) width.
    hidden_dims : tuple of int
        Encoder's hidden widths; the decoder uses them in reverse.
    n_features : int
        Output width.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import MLPDecoder
    >>> MLPDecoder(2, (32, 16), 10)(torch.zeros(4, 2)).shape
    torch.Size([4, 10])
    """

    def __init__(self, latent_dim, hidden_dims, n_features):
        super().__init__()
        trunk, width = _stack(latent_dim, tuple(reversed(hidden_dims)))
        self.layers = nn.Sequential(*trunk, nn.Linear(width, n_features))

    def forward(self, z):
        """Decode a batch of latent codes.

        Parameters
        ----------
        z : Tensor of shape (n, latent_dim)
            Latent codes.

        Returns
        -------
        Tensor of shape (n, n_features)
            One unbounded output per feature.
        """
        return self.layers(z)
