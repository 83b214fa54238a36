"""
=================================
Sampling new digits: VAE and AE
=================================

A :class:`~skvae.VAETransformer` is a generative model: its
:meth:`~skvae.VAETransformer.sample` draws codes from the N(0, I) prior and
decodes them. A plain :class:`~skvae.AETransformer` has no prior; its
:meth:`~skvae.AETransformer.sample` fits a Gaussian to the training codes after
training and decodes draws from that. This example draws from both, with
:class:`~skvae.plotting.SamplesDisplay`, and shows where the two kinds of draws
fall in latent space.

The data are scikit-learn's bundled 8x8 digits, with pixel intensities scaled to
[0, 1] and modelled with a Bernoulli likelihood.
"""

# %%
# Fit a 2-D VAE and a 2-D AE
# --------------------------
# The VAE is the same model as in the other examples of this gallery; the AE
# has the same layers and training settings, without the KL term and the
# sampling of ``z``.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skvae import AETransformer, VAETransformer
from skvae.plotting import LatentSpaceDisplay, SamplesDisplay

digits = load_digits()
X = digits.data / 16.0  # intensities 0..16 -> [0, 1], for the Bernoulli likelihood
X_train, X_test, y_train, y_test = train_test_split(
    X, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)
settings = dict(
    latent_dim=2,
    hidden_dims=(256, 128),
    image_shape=(1, 8, 8),
    likelihood="bernoulli",
    max_epochs=100,
    batch_size=64,
    random_state=0,
)
vae = VAETransformer(**settings).fit(X_train)
ae = AETransformer(**settings).fit(X_train)
print(f"VAE held-out ELBO: {vae.score(X_test):.2f} nats per image")

# %%
# Samples
# -------
# 64 draws from each model, on the same [0, 1] colour scale. Each image is the
# decoder's mean, the probability of each pixel being on, so samples are
# smoother than real digits.
fig, axes = plt.subplots(1, 2, figsize=(10, 5.4), layout="constrained")
sources = {
    "VAE": (vae, "the N(0, I) prior"),
    "AE": (ae, "a Gaussian fitted to its codes"),
}
for ax, (name, (model, source)) in zip(axes, sources.items(), strict=True):
    SamplesDisplay.from_estimator(
        model, n_samples=64, random_state=0, ax=ax, vmin=0, vmax=1
    )
    ax.set_title(f"{name}: codes from {source}")

# %%
# Both give mostly recognisable digits on this small, easy data set, and the
# AE's are often crisper: it is trained on reconstruction alone. The difference
# is in where the codes come from. The VAE's training pulls every image's code
# towards N(0, I), the distribution it later samples from, so its prior is part
# of the model; the AE's codes were never asked to follow any distribution, and
# the Gaussian that :meth:`~skvae.AETransformer.sample` draws from is only a
# summary of them, fitted after training. The numbers show it: the VAE's codes
# already have mean near 0 and spread near 1, while the AE's sit wherever
# training left them.
vae_codes = vae.transform(X_train)
ae_std = np.sqrt(np.diag(ae.latent_covariance_))
print(
    f"VAE codes:    mean {np.round(vae_codes.mean(axis=0), 2)}, "
    f"std {np.round(vae_codes.std(axis=0), 2)}"
)
print(f"AE Gaussian:  mean {np.round(ae.latent_mean_, 2)}, std {np.round(ae_std, 2)}")

# %%
# Where the draws fall
# --------------------
# The codes of the training images, with 200 codes drawn the way each model's
# ``sample`` draws them (black crosses): from the prior for the VAE, from
# ``N(latent_mean_, latent_covariance_)`` for the AE.
rng = np.random.default_rng(0)
draws = {
    "VAE": rng.standard_normal((200, 2)),
    "AE": rng.multivariate_normal(ae.latent_mean_, ae.latent_covariance_, 200),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
for ax, (name, model) in zip(axes, [("VAE", vae), ("AE", ae)], strict=True):
    LatentSpaceDisplay.from_estimator(model, X_train, y_train, ax=ax, s=6)
    ax.scatter(*draws[name].T, marker="x", color="k", s=14, linewidths=0.8)
    ax.set_title(f"{name}: training codes and 200 draws")
axes[0].get_legend().remove()

# %%
# The VAE's draws cover the same round region as its codes. The AE's codes
# form long arms (the 1s, 2s and 6s) reaching far from a dense centre, with
# empty wedges between them; a Gaussian cannot follow that shape, so some of its
# draws land where there is no code at all (to the right of the codes, and
# between the arms), where the decoder saw no training image, and few reach the
# tips of the arms. In short: a VAE samples from the distribution it was trained
# to match, an AE from a Gaussian fitted afterwards, which is only as good as
# its codes happen to be Gaussian.
plt.show()
