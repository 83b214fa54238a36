"""Loaders for the MNIST and Fashion-MNIST image datasets."""

from ._mnist import fetch_fashion_mnist, fetch_mnist

__all__ = ["fetch_fashion_mnist", "fetch_mnist"]
