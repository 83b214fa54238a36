"""
=============================
The latent space of a 2-D VAE
=============================

A :class:`~skvae.VAETransformer` with two latent dimensions maps each image to a
point in the plane, so the whole latent space fits in one scatter plot. Coloured
by digit, it shows what the model learned without ever seeing a label: images of
the same digit land close together.

The same codes drawn through the standard normal CDF answer a second question:
how closely do the codes follow the N(0, I) prior that the VAE samples from?

The data are scikit-learn's bundled 8x8 digits, with pixel intensities scaled to
[0, 1] and modelled with a Bernoulli likelihood.
"""

# %%
# Fit a 2-D VAE
# -------------
# Three quarters of the 1,797 images train the model; the other quarter, which
# it never sees, is what we plot and score.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skvae import VAETransformer
from skvae.plotting import LatentSpaceDisplay

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

# %%
# :meth:`~skvae.VAETransformer.score` is the mean evidence lower bound (ELBO) on
# ``log p(x)``, in nats per image. On the held-out images it is close to the
# training value, so the model has not memorised its training set.
print(f"Training ELBO: {vae.score(X_train):.2f} nats per image")
print(f"Held-out ELBO: {vae.score(X_test):.2f} nats per image")
print(f"KL per latent dimension (nats): {np.round(vae.kl_per_dim_, 2)}")

# %%
# The latent space, and the same codes through the normal CDF
# -----------------------------------------------------------
# :meth:`~skvae.VAETransformer.transform` returns the *posterior mean* of each
# image's code, never a random draw, so the scatter is the same on every call.
# On the left are these means; on the right, each coordinate ``z`` is replaced by
# ``Phi(z)``, the standard normal CDF, with ``cdf=True``.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
left.set_title("Posterior means z of the test images")
right.set_title("The same codes through the normal CDF")
LatentSpaceDisplay.from_estimator(vae, X_test, y_test, ax=left)
LatentSpaceDisplay.from_estimator(vae, X_test, y_test, cdf=True, ax=right)
left.get_legend().remove()  # the right panel's legend serves both

# %%
# On the left, most digits form their own cluster: 0, 2, 3, 4 and 6 stand
# apart and 9 nearly so, while 1, 5, 7 and 8, which share strokes, overlap near
# the centre. The
# clusters sit within about two units of the origin: the KL term of the loss
# pulls every posterior towards the N(0, 1) prior of each dimension.
#
# The CDF turns that prior into the uniform distribution on the unit square:
# if ``z`` is drawn from N(0, I), ``Phi(z)`` is spread evenly over
# [0, 1] x [0, 1]. So the right panel shows how the codes compare with the prior
# on a scale where "as the prior would have it" means "evenly": a clump is a
# region where the aggregate posterior (the codes of all images together) puts
# more mass than the prior, a gap one where it puts less. Here the codes reach
# all four edges of the square, so they spread over the whole prior, but they do
# not fill it evenly: each digit is a clump, with thin strips between clumps
# (between the 0s and the 4s on the left, say). Where the prior puts
# mass that no image's code occupies, samples drawn from the prior decode to
# images the model has seen little of.
#
# Each image's posterior is a small Gaussian around its mean, so the aggregate
# posterior is a little smoother than this scatter of means; the picture shows
# where it is dense and where it is thin.
#
# For reference, as many points drawn from the prior itself, through the same
# CDF:
rng = np.random.default_rng(0)
prior_draws = rng.standard_normal((len(X_test), 2))
fig, ax = plt.subplots(figsize=(5, 4.8), layout="constrained")
LatentSpaceDisplay(prior_draws, cdf=True).plot(ax=ax, color="grey")
ax.set_title("Draws from the N(0, I) prior through the CDF")
plt.show()
