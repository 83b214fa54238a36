"""Convolutional encoder trunk and mirrored decoder for flattened image rows.

The layout follows the classic MNIST convolutional VAE (Kingma & Welling 2013's
model with the conv blocks of the Keras/TensorFlow tutorials): blocks of a 3x3
convolution, LeakyReLU and batch norm, with stride 2 where the image is halved.
Sizes are derived from ``image_shape``, and odd sides are restored exactly by the
transposed convolutions' ``output_padding``.
"""

from torch import nn

__all__ = ["ConvDecoder", "ConvEncoder", "conv_plan"]

# Halve the image until its smaller side is at most this many pixels.
_TARGET_SIDE = 8
_MAX_STAGES = 4
_BASE_CHANNELS, _MAX_CHANNELS = 32, 128
_SLOPE = 0.2


def conv_plan(image_shape, channels=None):
    """Channels and spatial sizes of the conv blocks for ``image_shape``.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` of the input images; ``H`` and ``W`` must be at least 3.
    channels : tuple of int, default=None
        Channels of the stride-2 (halving) blocks. ``None`` halves the image
        until its smaller side is at most 8 pixels (at least once, at most four
        times), with 32 channels doubling per block up to 128.

    Returns
    -------
    channels : tuple of int
        Channels of each halving block.
    sizes : list of tuple of int
        ``(H, W)`` of the input and after each halving block.

    Examples
    --------
    >>> from skvae.nn.conv import conv_plan
    >>> conv_plan((1, 28, 28))
    ((32, 64), [(28, 28), (14, 14), (7, 7)])
    >>> conv_plan((3, 45, 45))[1]
    [(45, 45), (23, 23), (12, 12), (6, 6)]
    """
    in_channels, height, width = image_shape
    if min(image_shape) < 1 or min(height, width) < 3:
        raise ValueError(
            "image_shape must be (C, H, W) with C >= 1 and H, W >= 3 for the "
            f"convolutional architecture, got {tuple(image_shape)!r}."
        )
    sizes = [(height, width)]
    if channels is None:
        while len(sizes) == 1 or (
            min(sizes[-1]) > _TARGET_SIDE and len(sizes) <= _MAX_STAGES
        ):
            sizes.append(tuple((side + 1) // 2 for side in sizes[-1]))
        channels = tuple(
            min(_BASE_CHANNELS * 2**i, _MAX_CHANNELS) for i in range(len(sizes) - 1)
        )
    else:
        channels = tuple(channels)
        for _ in channels:
            sizes.append(tuple((side + 1) // 2 for side in sizes[-1]))
    if not channels:
        raise ValueError("The convolutional architecture needs at least one block.")
    return channels, sizes


def _block(conv):
    return [conv, nn.LeakyReLU(_SLOPE), nn.BatchNorm2d(conv.out_channels)]


class ConvEncoder(nn.Module):
    """Convolutional trunk: flattened image rows in, flat features out.

    Halving blocks (3x3 convolution with stride 2, LeakyReLU, batch norm) are
    followed by one stride-1 block at the last width, then flattened.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)``; rows have ``C * H * W`` values in C, H, W order.
    channels : tuple of int, default=None
        Channels of the halving blocks; ``None`` derives them from
        ``image_shape`` (see :func:`conv_plan`).

    Attributes
    ----------
    out_features : int
        Width of the flattened output.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import ConvEncoder
    >>> encoder = ConvEncoder((1, 28, 28))
    >>> encoder.out_features, encoder(torch.zeros(4, 784)).shape
    (3136, torch.Size([4, 3136]))
    """

    def __init__(self, image_shape, channels=None):
        super().__init__()
        channels, sizes = conv_plan(image_shape, channels)
        self.image_shape = tuple(image_shape)
        layers = []
        in_channels = image_shape[0]
        for out_channels in channels:
            conv = nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1)
            layers += _block(conv)
            in_channels = out_channels
        layers += _block(nn.Conv2d(in_channels, in_channels, 3, padding=1))
        self.blocks = nn.Sequential(*layers)
        self.out_features = in_channels * sizes[-1][0] * sizes[-1][1]

    def forward(self, x):
        """Encode a batch of flattened images.

        Parameters
        ----------
        x : Tensor of shape (n, C * H * W)
            Image rows.

        Returns
        -------
        Tensor of shape (n, out_features)
            Flattened feature maps of the last block.
        """
        return self.blocks(x.reshape(len(x), *self.image_shape)).flatten(1)


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`: latent codes in, flattened images out.

    A linear layer fills the encoder's last feature map; a stride-1 block and
    transposed-convolution blocks with stride 2 double the size back, each with
    the ``output_padding`` that restores the encoder's size exactly. The last
    layer has no activation: it outputs the likelihood's mean or logits.

    Parameters
    ----------
    latent_dim : int
        Width of the codes.
    image_shape : tuple of int
        ``(C, H, W)`` of the images to produce.
    channels : tuple of int, default=None
        Channels of the encoder's halving blocks, in encoder order.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import ConvDecoder
    >>> ConvDecoder(2, (3, 45, 45))(torch.zeros(4, 2)).shape
    torch.Size([4, 6075])
    """

    def __init__(self, latent_dim, image_shape, channels=None):
        super().__init__()
        channels, sizes = conv_plan(image_shape, channels)
        self.seed_shape = (channels[-1], *sizes[-1])
        self.project = nn.Sequential(
            nn.Linear(latent_dim, channels[-1] * sizes[-1][0] * sizes[-1][1]),
            nn.LeakyReLU(_SLOPE),
        )
        layers = _block(nn.ConvTranspose2d(channels[-1], channels[-1], 3, padding=1))
        outputs = (*reversed(channels[:-1]), image_shape[0])
        for stage, out_channels in enumerate(outputs):
            # Invert stride-2 'same' convolution: 2 * in - 1 + padding == out.
            (height, width), (in_h, in_w) = sizes[-2 - stage], sizes[-1 - stage]
            padding = (height - (2 * in_h - 1), width - (2 * in_w - 1))
            conv = nn.ConvTranspose2d(
                channels[-1 - stage], out_channels, 3, 2, 1, output_padding=padding
            )
            layers += [conv] if stage == len(outputs) - 1 else _block(conv)
        self.blocks = nn.Sequential(*layers)

    def forward(self, z):
        """Decode a batch of codes into flattened images.

        Parameters
        ----------
        z : Tensor of shape (n, latent_dim)
            Latent codes.

        Returns
        -------
        Tensor of shape (n, C * H * W)
            One unbounded output per pixel and channel.
        """
        seed = self.project(z).view(len(z), *self.seed_shape)
        return self.blocks(seed).flatten(1)
