"""
=====================================================
Watching a VAE learn: reconstructions and loss terms
=====================================================

A VAE's training loss has two parts: the reconstruction term ``-log p(x|z)``,
how badly the decoder rebuilds an image from its code, and the KL term
``KL(q(z|x) || p(z))``, how far each image's posterior lies from the N(0, I)
prior. This example follows both over the epochs of one fit on scikit-learn's
8x8 digits.

The callback :class:`~skvae.callbacks.RecordReconstructions` stores the
reconstructions of a few fixed images as training goes on, and
:class:`~skvae.plotting.ReconstructionProgressDisplay` draws them, one row per
recorded epoch. :class:`~skvae.plotting.TrainingCurvesDisplay` then draws the
per-epoch losses that every fit records in ``history_``, on training and on
held-out validation images.
"""

# %%
# The data
# --------
# 1,797 images of 64 pixels, scaled to [0, 1] for a Bernoulli likelihood. One
# image of each digit is kept aside to be reconstructed during training.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skvae import VAETransformer
from skvae.callbacks import RecordReconstructions
from skvae.plotting import ReconstructionProgressDisplay, TrainingCurvesDisplay

digits = load_digits()
X, y = digits.data / 16.0, digits.target
fixed = X[[np.flatnonzero(y == digit)[0] for digit in range(10)]]
print(f"{len(X)} images of {X.shape[1]} pixels; {len(fixed)} recorded")

# %%
# Training with the callback
# --------------------------
# ``callbacks=[...]`` takes skorch callbacks.
# ``RecordReconstructions(fixed, every=5)`` reconstructs ``fixed`` on the first
# epoch, every 5 epochs after it and on the last one.
# ``validation_fraction=0.2`` holds out a seeded fifth of the images, so that
# ``history_`` also holds the losses of images the model does not train on.
vae = VAETransformer(
    latent_dim=2,
    hidden_dims=(128, 64),
    image_shape=(1, 8, 8),
    likelihood="bernoulli",
    max_epochs=60,
    batch_size=64,
    validation_fraction=0.2,
    callbacks=[RecordReconstructions(fixed, every=5)],
    random_state=0,
)
vae.fit(X)

# %%
# The two terms at a few epochs, in nats per image (the training loss is their
# sum, as ``beta=1``):
print(f"{'epoch':>5} {'-log p(x|z)':>12} {'KL':>6} {'valid loss':>11}")
for epoch in (1, 5, 10, 15, 20, 30, 45, 60):
    row = vae.history_[epoch - 1]
    print(
        f"{epoch:>5} {row['train_reconstruction']:>12.2f} {row['train_kl']:>6.2f} "
        f"{row['valid_loss']:>11.2f}"
    )

# %%
# Reconstructions over the epochs
# -------------------------------
# The top row holds the ten images; each row below, their reconstructions
# (decoder mean at the posterior mean) at one recorded epoch.
fig, ax = plt.subplots(figsize=(5, 6), layout="constrained")
ReconstructionProgressDisplay.from_estimator(vae, ax=ax)
_ = ax.set_title("Reconstructions of ten digits during training")

# %%
# At epoch 1 the decoder outputs grey noise. At epochs 6 and 11 every image
# gets the *same* reconstruction, a blurred average digit: the encoder does not
# yet pass on anything about its input. By epoch 16 the reconstructions have
# parted into a few rough shapes (a dark upright stroke for the 1 and the 2, a
# 7, something like a 3 or 5 for the rest), by epoch 26 into most of the ten
# digits, and they keep sharpening to the end. A few stay blurred between
# neighbours (the 2 looks like a 1, the 8 like a 5): two latent dimensions can
# hold only so much of an image.

# %%
# Training curves
# ---------------
# Solid lines are the training images, dashed ones the validation images; the
# KL has its own scale on the right.
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
display = TrainingCurvesDisplay.from_estimator(vae, ax=ax)
# Headroom on the KL axis keeps its curves below the legend.
display.ax_kl_.set_ylim(0, 1.9 * max(vae.history_[:, "train_kl"]))
_ = ax.set_title("VAE training curves (nats per image)")

# %%
# The curves tell the same story in numbers.
#
# * In the first few epochs the reconstruction term falls fast as the decoder
#   learns the average digit, and the KL falls to almost zero: every posterior
#   sits on the prior, so the code carries no information about its image.
#   This is the cheapest way to lower the KL while the decoder cannot yet make
#   use of a code, and it explains the identical reconstructions above (a
#   brief *posterior collapse*).
# * Around epoch 12 the encoder starts to separate the images. The KL rises,
#   each nat of it being information about the image stored in ``z``, and the
#   reconstruction term drops by more than the KL costs, so the total loss
#   falls: it leaves the plateau of about 27 nats per image.
# * After that both move slowly: the model buys a few more tenths of a nat of
#   reconstruction with a little more KL. The KL stays small (about 2 nats over
#   the two dimensions) because it is what keeps the codes packed around the
#   prior, where :meth:`~skvae.VAETransformer.sample` draws from.
#
# The validation curves lie on the training ones, so the model is not
# overfitting; ``early_stopping=True`` would stop it when the validation loss
# no longer improves.
plt.show()
