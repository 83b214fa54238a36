"""
=====================================
Interpolating between digits in a VAE
=====================================

Walk in a straight line from the latent code of one image to that of another and
decode the points along the way: a :class:`~skvae.VAETransformer` turns one digit
into the other through images that each look like handwriting, because every
point on the path is decoded by the same generative model.
:class:`~skvae.plotting.InterpolationDisplay` draws such a path.

Its midpoint is a "hybrid" of the two digits. We compare it with the naive
hybrid, the average of the two images' pixels, which is two digits drawn on top
of each other rather than one.

The data are scikit-learn's bundled 8x8 digits, with pixel intensities scaled to
[0, 1] and modelled with a Bernoulli likelihood.
"""

# %%
# Fit a 2-D VAE
# -------------
# The same model as in the other examples of this gallery.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors

from skvae import VAETransformer
from skvae.plotting import InterpolationDisplay, SamplesDisplay

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
# As the ends of each path we take, for each digit, the test image the model
# finds most typical: the one with the highest
# :meth:`~skvae.VAETransformer.score_samples` (its ELBO). An odd or badly
# written image would be reconstructed as another digit, and the path would
# not start where its label says.
scores = vae.score_samples(X_test)
typical = {
    digit: X_test[y_test == digit][np.argmax(scores[y_test == digit])]
    for digit in range(10)
}

# %%
# Interpolation
# -------------
# :meth:`~skvae.plotting.InterpolationDisplay.from_estimator` encodes both
# images with :meth:`~skvae.VAETransformer.transform` (the posterior means),
# takes ``n_steps`` evenly spaced points on the segment between the two codes
# and decodes each with :meth:`~skvae.VAETransformer.inverse_transform`. The
# ends are therefore the model's reconstructions of the two images, not the
# images themselves. With an odd ``n_steps`` the midpoint, ``t = 0.5``, is
# framed in red.
fig, axes = plt.subplots(2, 1, figsize=(8, 4.0), layout="constrained")
for ax, (start, end) in zip(axes, [(4, 3), (0, 1)], strict=True):
    InterpolationDisplay.from_estimator(
        vae, typical[start], typical[end], n_steps=9, ax=ax, vmin=0, vmax=1
    )
    ax.set_title(f"From a {start} to a {end}")

# %%
# The path from the 4 to the 3 passes through 9s and 5s, the one from the 0 to
# the 1 through 4s: in two latent dimensions a straight line between two
# clusters crosses the clusters that lie between them (compare the scatter of
# the codes in :ref:`sphx_glr_auto_examples_plot_latent_space.py`). Each step
# is a single digit-like
# image; none is the two ends faded into each other.
#
# The midpoint hybrid against the pixel average
# ---------------------------------------------
# For three pairs of digits, the two images, the average of their pixels, and
# the decoded midpoint of their codes, ``inverse_transform((z_a + z_b) / 2)``.
pairs = [(0, 1), (2, 7), (4, 3)]
columns = ["image a", "image b", "pixel average", "decoded midpoint"]
averages, midpoints = [], []
fig, axes = plt.subplots(len(pairs), 4, figsize=(6, 4.8), layout="constrained")
for row, (a, b) in zip(axes, pairs, strict=True):
    z_a, z_b = vae.transform(np.stack([typical[a], typical[b]]))
    midpoint = vae.inverse_transform((z_a + z_b)[None] / 2)[0]
    average = (typical[a] + typical[b]) / 2
    averages.append(average)
    midpoints.append(midpoint)
    for ax, image in zip(row, [typical[a], typical[b], average, midpoint], strict=True):
        SamplesDisplay(image[None], image_shape=(1, 8, 8)).plot(ax=ax, vmin=0, vmax=1)
for ax, title in zip(axes[0], columns, strict=True):
    ax.set_title(title, fontsize=10)

# %%
# The pixel average is not a digit: it is both digits at half strength, a 0
# with a bar through it, a 2 crossed by a 7, a 4 over a 3. The decoded midpoint
# is one shape with single strokes, here a 4, a thin 7 and a 9: for the model,
# the hybrid of two digits is whatever digit it places between them. (It is
# softer than a real image because the decoder returns each pixel's
# probability of being on.) Averaging in the latent space and decoding keeps
# the result among the images the model generates; averaging pixels leaves
# them.
#
# A number says the same: the distance from each image to its nearest
# neighbour among the training images. For comparison, the median distance of
# the test images, and of their reconstructions, which are as soft as the
# midpoints (so softness alone does not bring an image nearer the data).
neighbours = NearestNeighbors(n_neighbors=1).fit(X_train)
test_distance = np.median(neighbours.kneighbors(X_test)[0])
reconstructions = vae.inverse_transform(vae.transform(X_test))
reconstruction_distance = np.median(neighbours.kneighbors(reconstructions)[0])
average_distance = neighbours.kneighbors(np.array(averages))[0].ravel()
midpoint_distance = neighbours.kneighbors(np.array(midpoints))[0].ravel()
print(f"median test image: {test_distance:.2f}")
print(f"median reconstruction of a test image: {reconstruction_distance:.2f}")
print(f"{'pair':>6} {'pixel average':>14} {'decoded midpoint':>17}")
for (a, b), d_avg, d_mid in zip(
    pairs, average_distance, midpoint_distance, strict=True
):
    print(f"{a:>3}-{b:<2} {d_avg:>14.2f} {d_mid:>17.2f}")

# %%
# In each pair the decoded midpoint is nearer to a real digit than the pixel
# average, and for the first two about as near as a typical test image.
plt.show()
