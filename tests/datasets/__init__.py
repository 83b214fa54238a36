"""Tests of skvae.datasets."""
