"""
=====================================
Decoding a grid over the latent space
=====================================

With two latent dimensions, the decoder of a :class:`~skvae.VAETransformer` can
be drawn as a map: decode a regular grid of codes and tile the images in place.
:class:`~skvae.plotting.LatentGridDisplay` does it the classic way, with the
grid taken at evenly spaced *quantiles* of the N(0, 1) prior rather than at
evenly spaced values of ``z``.

The data are scikit-learn's bundled 8x8 digits, with pixel intensities scaled to
[0, 1] and modelled with a Bernoulli likelihood.
"""

# %%
# Fit a 2-D VAE
# -------------
# The same model as in the other examples of this gallery.
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skvae import VAETransformer
from skvae.plotting import LatentGridDisplay, LatentSpaceDisplay

digits = load_digits()
X = digits.data / 16.0  # intensities 0..16 -> [0, 1], for the Bernoulli likelihood
X_train, X_test, y_train, y_test = train_test_split(
    X, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)
vae = VAETransformer(
    latent_dim=2,
    hidden_dims=(256, 128),
    image_shape=(1, 8, 8),
    likelihood="bernoulli",
    max_epochs=100,
    batch_size=64,
    random_state=0,
)
vae.fit(X_train)
print(f"Held-out ELBO: {vae.score(X_test):.2f} nats per image")

# %%
# The decoded grid
# ----------------
# Fifteen points per side, at the quantiles 0.05, ..., 0.95 of N(0, 1). Each
# tile is :meth:`~skvae.VAETransformer.inverse_transform` of one code: the
# decoder's mean, the probability of each pixel being on. ``z0`` grows to the
# right and ``z1`` upwards, as in a scatter plot of the codes.
n_per_side = 15
fig, ax = plt.subplots(figsize=(7, 7), layout="constrained")
ax.set_title("Decoded over normal quantiles of z")
grid = LatentGridDisplay.from_estimator(
    vae, n_per_side=n_per_side, quantile_range=(0.05, 0.95), ax=ax, vmin=0, vmax=1
)

# %%
# Nine of the ten digits have a region of their own (the 8s, which overlap the
# 1s, 5s and 7s in the latent space, have none), and neighbouring tiles change
# smoothly: going up the left edge a 0 turns into a 4 and then a 6, along the
# top a 6 into a 1 and then a 2, along the bottom a 0 into a 9 and then a 3.
# Where two regions meet the tiles are blends of both, since the decoder is a
# smooth function of ``z``.
#
# Why quantiles
# -------------
# The ticks are ``scipy.stats.norm.ppf`` of the quantiles, the values of ``z``
# below which the prior puts 5%, ..., 95% of its mass:
quantiles = np.linspace(0.05, 0.95, n_per_side)
print("grid values:", np.round(grid.grid_values[0], 2) + 0.0)  # + 0.0: no "-0."
print("norm.ppf:   ", np.round(norm.ppf(quantiles), 2) + 0.0)

# %%
# Neighbouring quantiles are 0.9 / 14 apart, so every strip between two grid
# lines, and so every cell of the grid, holds the same prior mass. The grid
# spends its tiles where the prior, and so the training codes, put their mass:
# the values crowd around 0 and spread out towards the tails. Evenly spaced
# values would do otherwise. Fifteen values from -3 to 3 put 6 of the 15
# columns beyond ``|z| = 2``, where the prior has under 5% of its mass:
even = np.linspace(-3, 3, n_per_side)
tail_mass = 2 * norm.cdf(-2)
print(
    f"evenly spaced z: {np.sum(np.abs(even) > 2)} of {n_per_side} columns "
    f"beyond |z| = 2, which holds {tail_mass:.1%} of the prior's mass"
)

# %%
# In quantile units the grid is even, which is exactly the picture of the codes
# through the normal CDF (``cdf=True``, see
# :ref:`sphx_glr_auto_examples_plot_latent_space.py`): the decoded grid is the
# CDF view of the latent space, decoded. The test images' codes on the same
# axes show which
# digit each region of the grid belongs to; the dashed square marks the range
# the grid covers.
fig, ax = plt.subplots(figsize=(6, 5.2), layout="constrained")
LatentSpaceDisplay.from_estimator(vae, X_test, y_test, cdf=True, ax=ax)
ax.add_patch(
    plt.Rectangle((0.05, 0.05), 0.9, 0.9, fill=False, linestyle="--", color="k")
)
ax.set_title("Test codes through the normal CDF")
plt.show()
