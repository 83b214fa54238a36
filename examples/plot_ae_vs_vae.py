"""
===================================================
Autoencoder against variational autoencoder
===================================================

:class:`~skvae.AETransformer` and :class:`~skvae.VAETransformer` can share
every layer: the same encoder, the same decoder, the same likelihood. What
differs is the training loss. The AE only minimises the reconstruction term
``-log p(x|z)`` of its one code per image. The VAE encodes each image as a
distribution ``q(z|x)``, decodes a random draw from it, and adds the KL term
``KL(q(z|x) || N(0, I))`` to the loss.

This example fits both on scikit-learn's 8x8 digits with a 2-D latent space
and compares where they put the images and how well they rebuild them. It
ends, as the classic autoencoder tutorials do, with an AE whose three latent
dimensions are drawn as a 3-D scatter.
"""

# %%
# Two models with the same layers
# -------------------------------
# Pixel intensities scaled to [0, 1] with a Bernoulli likelihood; a quarter of
# the images is held out and used for every picture below.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skvae import AETransformer, VAETransformer
from skvae.plotting import LatentSpaceDisplay, ReconstructionDisplay

digits = load_digits()
X, y = digits.data / 16.0, digits.target
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
common = {
    "latent_dim": 2,
    "hidden_dims": (256, 128),
    "image_shape": (1, 8, 8),
    "likelihood": "bernoulli",
    "max_epochs": 100,
    "random_state": 0,
}
ae = AETransformer(**common).fit(X_train)
vae = VAETransformer(**common).fit(X_train)

# %%
# Where the test images land, per latent dimension:
print(f"{'':>4} {'mean of codes':>16} {'std of codes':>15}")
for name, model in (("AE", ae), ("VAE", vae)):
    Z = model.transform(X_test)
    mean, std = Z.mean(axis=0), Z.std(axis=0)
    print(f"{name:>4} {mean[0]:>7.2f} {mean[1]:>7.2f}  {std[0]:>6.2f} {std[1]:>6.2f}")

# %%
# Latent spaces side by side
# --------------------------
# :class:`~skvae.plotting.LatentSpaceDisplay` scatters the codes of the test
# images (for the VAE, the posterior means) on two axes. The dashed circle of
# radius 2 around the origin holds 86% of the draws from the N(0, I) prior.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
LatentSpaceDisplay.from_estimator(ae, X_test, y_test, ax=left)
left.set_title("AE codes")
LatentSpaceDisplay.from_estimator(vae, X_test, y_test, ax=right)
right.set_title("VAE posterior means")
for ax in (left, right):
    ax.add_patch(plt.Circle((0, 0), 2, fill=False, linestyle="--", color="grey"))
    ax.set_aspect("equal", adjustable="datalim")

# %%
# Both models group the digits by class, but only the VAE's codes are centred
# on the origin with a spread of about 1, filling the prior's circle with the
# classes packed against one another. The KL term pulls every posterior
# towards the N(0, I) prior, which centres the codes and fixes their scale;
# and since the decoder is trained on random draws around each code, nearby
# points must decode to similar images, which makes the space smooth and
# leaves little empty room between the classes. The AE has neither pressure:
# its codes lie wherever training left them, off-centre and on a scale three
# times larger (of the classes, only the 0s sit in the circle), stretched into arms with
# empty space between them, where nothing has told the decoder what to
# produce. That is why :meth:`~skvae.VAETransformer.sample` can simply decode
# draws from N(0, I), while :meth:`~skvae.AETransformer.sample` must first fit
# a Gaussian to the training codes.

# %%
# Reconstructions
# ---------------
# One test image of each digit (top rows) and its reconstruction by each model
# (bottom rows), with :class:`~skvae.plotting.ReconstructionDisplay`.
fixed = X_test[[np.flatnonzero(y_test == digit)[0] for digit in range(10)]]
fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 3.6), layout="constrained")
ReconstructionDisplay.from_estimator(ae, fixed, n_images=10, ax=top)
top.set_title("AE")
ReconstructionDisplay.from_estimator(vae, fixed, n_images=10, ax=bottom)
_ = bottom.set_title("VAE")

# %%
# Squared reconstruction error over the 64 pixels, averaged over the test
# images:
for name, model in (("AE", ae), ("VAE", vae)):
    errors = (model.inverse_transform(model.transform(X_test)) - X_test) ** 2
    print(f"{name:>4}: {errors.sum(axis=1).mean():.2f}")

# %%
# Two numbers per image are a narrow bottleneck: both models blur the digits
# that share a region of the latent space with others, and rebuild the 2, 4,
# 5, 7 and 8 above partly as their neighbours.
# The AE rebuilds the images a little better: its code is exact, while the VAE
# pays for its smooth, centred space with the noise of its random draws and
# the KL it must keep small.

# %%
# A 3-D latent space
# ------------------
# The classic autoencoder tutorials also fit an autoencoder with three latent
# dimensions and look at its codes in 3-D. ``dims=(0, 1, 2)`` makes
# :class:`~skvae.plotting.LatentSpaceDisplay` draw on matplotlib's 3-D axes;
# farther points are paler.
ae_3d = AETransformer(**{**common, "latent_dim": 3}).fit(X_train)
fig = plt.figure(figsize=(7.5, 5.5), layout="constrained")
ax = fig.add_subplot(projection="3d")
LatentSpaceDisplay.from_estimator(ae_3d, X_test, y_test, dims=(0, 1, 2), ax=ax)
_ = ax.set_title("AE with latent_dim=3: codes of the test images")

# %%
# How well do the codes keep the digits apart? A 5-nearest-neighbour
# classifier fitted on the codes of the training images, scored on those of
# the test images:
for name, model in (("AE, 2-D", ae), ("VAE, 2-D", vae), ("AE, 3-D", ae_3d)):
    knn = KNeighborsClassifier().fit(model.transform(X_train), y_train)
    print(f"{name:>8}: accuracy {knn.score(model.transform(X_test), y_test):.2f}")

# %%
# In two dimensions the AE keeps the digits apart a little better than the
# VAE, which packs its classes against one another around the prior. The
# third dimension gives the AE's classes more room: the 0s, 2s, 4s, 6s and 7s
# each take a region of their own, and the neighbours of a test image are far
# more often of its own digit. A still picture of a 3-D scatter hides part of it;
# with an interactive matplotlib backend the axes can be turned by dragging.
plt.show()
